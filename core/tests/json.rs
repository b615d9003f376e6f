//! The stored shapes of the consent shell (`varco.consent`, the
//! navigation history, the deletion queue) as the light part writes and
//! reads them with `varco_protocol::json`, against `serde_json`: a choice
//! stored by one module is read by the other, and by earlier versions.

#[path = "../../protocol/tests/support/edits.rs"]
mod edits;

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

/// The assistant's stored shapes (`varco_core::chat`): the accepted terms,
/// the current thread, the outbox. Each property also edits serde's text
/// (a field removed, added or replaced, in any object of it) and checks
/// that both readers still agree.
mod chat_storage {
    use super::edits::{both_read_the_edited_text_alike, Edit};
    use super::same_as_serde;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use varco_core::chat::{AcceptedTerms, Pending, StoredThread};
    use varco_protocol::json::{self, FromJson};

    const FIELD_NAMES: &[&str] = &[
        "revision",
        "accepted_ms",
        "thread_id",
        "site",
        "created_ms",
        "active_ms",
        "opened",
        "ended",
        "client_message_id",
        "text",
    ];

    fn leaf() -> impl Strategy<Value = serde_json::Value> {
        prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            any::<u64>().prop_map(|n| serde_json::json!(n)),
            (-1e20f64..1e20).prop_map(|f| serde_json::json!(f)),
            any::<String>().prop_map(serde_json::Value::String),
            Just(serde_json::json!([])),
            Just(serde_json::json!({})),
            Just(serde_json::json!(["a", 1])),
        ]
    }

    fn edit() -> impl Strategy<Value = Edit> {
        let key = prop_oneof![
            prop::sample::select(FIELD_NAMES).prop_map(str::to_owned),
            "[a-z_]{0,8}",
        ];
        prop_oneof![
            3 => Just(Edit::Keep),
            1 => any::<prop::sample::Index>().prop_map(Edit::Remove),
            2 => (key, leaf()).prop_map(|(k, v)| Edit::Set(k, v)),
        ]
    }

    fn edits() -> impl Strategy<Value = Vec<Edit>> {
        vec(edit(), 1..5)
    }

    /// [`same_as_serde`], then both readers on serde's text with `edits`
    /// made to it: the same value, or both none.
    fn same_as_serde_edited<T>(value: &T, edits: &[Edit]) -> Result<(), TestCaseError>
    where
        T: varco_protocol::json::ToJson
            + FromJson
            + serde::Serialize
            + serde::de::DeserializeOwned
            + PartialEq
            + std::fmt::Debug,
    {
        same_as_serde(value)?;
        both_read_the_edited_text_alike(value, edits)
    }

    fn pending() -> impl Strategy<Value = Pending> {
        (
            any::<String>(),
            any::<String>(),
            any::<String>(),
            any::<i64>(),
        )
            .prop_map(|(client_message_id, thread_id, text, created_ms)| Pending {
                client_message_id,
                thread_id,
                text,
                created_ms,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn accepted_terms_are_written_and_read_as_serde_does(
            revision in any::<String>(),
            accepted_ms in any::<i64>(),
            edits in edits(),
        ) {
            same_as_serde_edited(&AcceptedTerms { revision, accepted_ms }, &edits)?;
        }

        #[test]
        fn stored_threads_are_written_and_read_as_serde_does(
            (thread_id, site) in (any::<String>(), any::<String>()),
            (created_ms, active_ms) in (any::<i64>(), any::<i64>()),
            (opened, ended) in (any::<bool>(), any::<bool>()),
            edits in edits(),
        ) {
            same_as_serde_edited(
                &StoredThread { thread_id, site, created_ms, active_ms, opened, ended },
                &edits,
            )?;
        }

        #[test]
        fn outboxes_are_written_and_read_as_serde_does(
            outbox in vec(pending(), 0..4),
            edits in edits(),
        ) {
            // What `serde_json::to_string(outbox)` writes for the
            // `&[Pending]` the app saves.
            prop_assert_eq!(
                json::to_string(outbox.as_slice()),
                serde_json::to_string(outbox.as_slice()).unwrap()
            );
            same_as_serde_edited(&outbox, &edits)?;
        }
    }

    /// A thread stored before `opened` and `ended` existed is still read;
    /// unknown fields are ignored.
    #[test]
    fn a_thread_without_its_flags_is_read() {
        let raw = r#"{"thread_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","site":"milomb","created_ms":1,"active_ms":2,"later":true}"#;
        let ours: StoredThread = json::from_str(raw).unwrap();
        assert_eq!(ours, serde_json::from_str::<StoredThread>(raw).unwrap());
        assert!(!ours.opened && !ours.ended);
        for bad in [
            r#"{"thread_id":"t","site":"s","created_ms":1}"#,
            r#"{"thread_id":"t","site":"s","created_ms":1,"active_ms":2,"opened":null}"#,
            r#"{"thread_id":"t","site":"s","created_ms":1.5,"active_ms":2}"#,
        ] {
            assert!(serde_json::from_str::<StoredThread>(bad).is_err(), "{bad}");
            assert_eq!(json::from_str::<StoredThread>(bad), None, "{bad}");
        }
    }
}
