//! The stored shapes of the consent shell (`varco.consent`, the
//! navigation history, the deletion queue) as the light part writes and
//! reads them with `varco_protocol::json`, against `serde_json`: a choice
//! stored by one module is read by the other, and by earlier versions.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use varco_core::consent::StoredChoice;
use varco_core::navigation::{History, PendingDeletion, StoredEntry};
use varco_protocol::json::{self, FromJson, ToJson};
use varco_protocol::ConsentAction;

fn same_as_serde<T>(value: &T) -> Result<(), TestCaseError>
where
    T: ToJson
        + FromJson
        + serde::Serialize
        + serde::de::DeserializeOwned
        + PartialEq
        + std::fmt::Debug,
{
    let serde_text = serde_json::to_string(value).unwrap();
    let ours = json::to_string(value);
    prop_assert_eq!(&ours, &serde_text);
    let read = json::from_str::<T>(&serde_text);
    prop_assert_eq!(read.as_ref(), Some(value));
    Ok(())
}

fn action() -> impl Strategy<Value = ConsentAction> {
    prop_oneof![
        Just(ConsentAction::AcceptAll),
        Just(ConsentAction::RejectAll),
        Just(ConsentAction::Close),
        Just(ConsentAction::Custom),
        Just(ConsentAction::Withdraw),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn stored_choices_are_written_and_read_as_serde_does(
        v in any::<u32>(),
        ids in (any::<String>(), any::<String>(), any::<String>()),
        decided_ms in any::<i64>(),
        accepted in vec(any::<String>(), 0..4),
        rejected in vec(any::<String>(), 0..4),
        action in action(),
        services in option::of(vec(any::<String>(), 0..4)),
        refused_services in vec(any::<String>(), 0..3),
    ) {
        let (consent_id, revision, decided_at) = ids;
        same_as_serde(&StoredChoice {
            v, consent_id, revision, decided_at, decided_ms, accepted, rejected, action, services,
            refused_services,
        })?;
    }

    #[test]
    fn histories_and_deletions_are_written_and_read_as_serde_does(
        site in any::<String>(),
        user_id in any::<String>(),
        entries in vec((any::<String>(), any::<String>(), any::<String>(), any::<i64>(), any::<bool>()), 0..5),
    ) {
        let history = History {
            site: site.clone(),
            user_id: user_id.clone(),
            entries: entries
                .into_iter()
                .map(|(key, path, title, at_ms, uploaded)| StoredEntry { key, path, title, at_ms, uploaded })
                .collect(),
        };
        same_as_serde(&history)?;
        same_as_serde(&vec![PendingDeletion { site, user_id }])?;
    }
}

/// A choice stored before `services` existed is still read.
#[test]
fn a_choice_without_services_is_read() {
    let raw = r#"{"v":1,"consent_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","revision":"1","decided_at":"2026-01-01T00:00:00.000Z","decided_ms":1767225600000,"accepted":["necessari"],"rejected":[],"action":"reject_all"}"#;
    let ours: StoredChoice = json::from_str(raw).unwrap();
    assert_eq!(ours, serde_json::from_str::<StoredChoice>(raw).unwrap());
    assert_eq!(ours.services, None);
}
