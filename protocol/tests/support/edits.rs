//! Random edits to the objects of a JSON document, for the property tests
//! that compare `varco_protocol::json` with serde on what a hostile or
//! corrupted store may hold. Shared by `protocol/tests/json.rs` and
//! `core/tests/json.rs` (each includes this file with `#[path]`).

use proptest::prelude::*;
use varco_protocol::json::FromJson;

/// What happens to one object of a document.
#[derive(Debug, Clone)]
pub enum Edit {
    Keep,
    Remove(prop::sample::Index),
    /// Adds the field, or replaces its value if it is there.
    Set(String, serde_json::Value),
}

/// Applies `edits` to the objects of `value`, one edit each, depth first,
/// until they run out.
pub fn apply(value: &mut serde_json::Value, edits: &mut std::slice::Iter<Edit>) {
    match value {
        serde_json::Value::Object(map) => {
            match edits.next() {
                Some(Edit::Remove(i)) if !map.is_empty() => {
                    let key = map.keys().nth(i.index(map.len())).unwrap().clone();
                    map.remove(&key);
                }
                Some(Edit::Set(k, v)) => {
                    map.insert(k.clone(), v.clone());
                }
                _ => {}
            }
            for v in map.values_mut() {
                apply(v, edits);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                apply(v, edits);
            }
        }
        _ => {}
    }
}

/// Both readers on serde's text of `value` with `edits` made to it: the
/// same value, or both none.
pub fn both_read_the_edited_text_alike<T>(value: &T, edits: &[Edit]) -> Result<(), TestCaseError>
where
    T: FromJson + serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let mut doc = serde_json::to_value(value).unwrap();
    apply(&mut doc, &mut edits.iter());
    let text = doc.to_string();
    let serde = serde_json::from_str::<T>(&text).ok();
    prop_assert_eq!(
        varco_protocol::json::from_str::<T>(&text),
        serde,
        "{}",
        text
    );
    Ok(())
}
