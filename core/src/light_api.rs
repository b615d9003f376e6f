//! What the app reads from the light part.
//!
//! The page runs two WebAssembly modules that share no memory. The light
//! part (`first-paint/`) owns the consent and the navigation record for
//! the page's whole life; the app (`widget/`: the assistant and the
//! privacy centre) asks it for what it shows, through the few functions
//! the light part exports for it (`first-paint/src/light.rs`), as JSON
//! text of the types below.

use crate::consent::StoredChoice;
use varco_protocol::json::{Fields, FromJson, Object, ToJson, Value};

/// The consent in force, as the privacy centre shows and exports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentInForce {
    /// The visitor's valid choice.
    Decided(StoredChoice),
    /// The site asks about nothing optional: there is nothing to decide.
    NothingToAsk,
    /// No valid choice: never asked, expired, or asked again.
    Undecided,
}

impl ConsentInForce {
    /// The visitor's choice, if there is one in force.
    pub fn choice(&self) -> Option<&StoredChoice> {
        match self {
            ConsentInForce::Decided(choice) => Some(choice),
            _ => None,
        }
    }
}

impl ToJson for ConsentInForce {
    fn write_json(&self, out: &mut String) {
        let mut object = Object::new(out);
        match self {
            ConsentInForce::Decided(choice) => {
                object.field("state", "decided").field("choice", choice)
            }
            ConsentInForce::NothingToAsk => object.field("state", "nothing_to_ask"),
            ConsentInForce::Undecided => object.field("state", "undecided"),
        };
        object.end();
    }
}

impl FromJson for ConsentInForce {
    fn from_json(value: &Value) -> Option<Self> {
        let f = Fields::of(value)?;
        let state: String = f.required("state")?;
        Some(match state.as_str() {
            "decided" => ConsentInForce::Decided(f.required("choice")?),
            "nothing_to_ask" => ConsentInForce::NothingToAsk,
            "undecided" => ConsentInForce::Undecided,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use varco_protocol::json;

    #[test]
    fn each_state_reads_back_as_written() {
        let choice: StoredChoice = json::from_str(
            r#"{"v":1,"consent_id":"c1","revision":"2026-01","decided_at":"2026-12-07T10:00:00Z","decided_ms":1,"accepted":["statistiche"],"rejected":["marketing"],"action":"custom","refused_services":["statistiche/matomo"]}"#,
        )
        .unwrap();
        for state in [
            ConsentInForce::Decided(choice),
            ConsentInForce::NothingToAsk,
            ConsentInForce::Undecided,
        ] {
            let text = json::to_string(&state);
            assert_eq!(
                json::from_str::<ConsentInForce>(&text),
                Some(state),
                "{text}"
            );
        }
    }

    #[test]
    fn an_unknown_state_or_a_decision_without_its_choice_is_refused() {
        for text in [
            r#"{"state":"maybe"}"#,
            r#"{"state":"decided"}"#,
            r#"{"choice":null}"#,
            "[]",
        ] {
            assert_eq!(json::from_str::<ConsentInForce>(text), None, "{text}");
        }
    }
}
