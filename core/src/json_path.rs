//! Where in a JSON text a parser stopped, as a path a webmaster can read
//! (`categories[0].necessary`).
//!
//! `serde_json` says where a wrong value is by line and column only. Rather
//! than a second, path-tracking deserializer in every visitor's download
//! (`serde_path_to_error` cost about 9 KB gzip), the text before that
//! position is scanned for the keys and indices still open there.

/// The path of the value that was being read when the parser stopped at
/// `line` and `column` (1-based, in bytes, as `serde_json::Error` gives
/// them; the column is the last byte read). Empty for the whole document.
pub fn json_path_at(text: &str, line: usize, column: usize) -> String {
    let start_of_line = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    // The byte at `column` is where the parser gave up (the end of the
    // wrong value, or the `}` that closed an object lacking a field): scan
    // what came before it.
    let end = (start_of_line + column.saturating_sub(1)).min(text.len());
    let closing = matches!(text.as_bytes().get(end), Some(b'}' | b']'));
    path_of_open_values(&text.as_bytes()[..end], closing)
}

#[derive(Clone, Copy, PartialEq)]
enum Value {
    /// Not begun (after `[`, `,` or `:`).
    Before,
    Open,
    Done,
}

enum Frame {
    Object {
        key: Option<String>,
        after_colon: bool,
        value: Value,
    },
    Array {
        index: usize,
        value: Value,
    },
}

impl Frame {
    fn value(&mut self) -> &mut Value {
        match self {
            Frame::Object { value, .. } | Frame::Array { value, .. } => value,
        }
    }
}

/// `closing`: the parser stopped at the `}` or `]` after `bytes`, so the
/// last value in it is complete (a number's end cannot be told otherwise).
fn path_of_open_values(bytes: &[u8], closing: bool) -> String {
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    let begin = |stack: &mut Vec<Frame>| {
        if let Some(frame) = stack.last_mut() {
            let value = frame.value();
            if *value == Value::Before {
                *value = Value::Open;
            }
        }
    };
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let (text, closed, next) = string_at(bytes, i + 1);
                i = next;
                match stack.last_mut() {
                    Some(Frame::Object {
                        key,
                        after_colon: false,
                        ..
                    }) => {
                        if closed {
                            *key = Some(text);
                        }
                    }
                    Some(frame) => {
                        *frame.value() = if closed { Value::Done } else { Value::Open };
                    }
                    None => {}
                }
                continue;
            }
            b'{' => {
                begin(&mut stack);
                stack.push(Frame::Object {
                    key: None,
                    after_colon: false,
                    value: Value::Before,
                });
            }
            b'[' => {
                begin(&mut stack);
                stack.push(Frame::Array {
                    index: 0,
                    value: Value::Before,
                });
            }
            b'}' | b']' => {
                stack.pop();
                if let Some(frame) = stack.last_mut() {
                    *frame.value() = Value::Done;
                }
            }
            b':' => {
                if let Some(Frame::Object {
                    after_colon, value, ..
                }) = stack.last_mut()
                {
                    *after_colon = true;
                    *value = Value::Before;
                }
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object {
                    key,
                    after_colon,
                    value,
                }) => {
                    *key = None;
                    *after_colon = false;
                    *value = Value::Before;
                }
                Some(Frame::Array { index, value }) => {
                    *index += 1;
                    *value = Value::Before;
                }
                None => {}
            },
            b' ' | b'\t' | b'\n' | b'\r' => {}
            // A number, `true`, `false` or `null`.
            _ => begin(&mut stack),
        }
        i += 1;
    }
    if closing {
        if let Some(frame) = stack.last_mut() {
            *frame.value() = Value::Done;
        }
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object {
                key: Some(key),
                after_colon: true,
                value: Value::Before | Value::Open,
            } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Array {
                index,
                value: Value::Open,
            } => {
                path.push('[');
                path.push_str(&index.to_string());
                path.push(']');
            }
            _ => break,
        }
    }
    path
}

/// The string whose first byte after the opening quote is at `from`: its
/// text (common escapes undone), whether it was closed, and the index after it.
fn string_at(bytes: &[u8], from: usize) -> (String, bool, usize) {
    let mut text = Vec::new();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return (String::from_utf8_lossy(&text).into_owned(), true, i + 1),
            b'\\' if i + 1 < bytes.len() => {
                text.push(match bytes[i + 1] {
                    b'n' => b'\n',
                    b't' => b'\t',
                    other => other,
                });
                i += 2;
            }
            byte => {
                text.push(byte);
                i += 1;
            }
        }
    }
    (String::from_utf8_lossy(&text).into_owned(), false, i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[allow(dead_code)]
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Site {
        #[serde(default)]
        name: String,
        #[serde(default)]
        categories: Vec<Category>,
        #[serde(default)]
        nested: Option<Nested>,
    }
    #[allow(dead_code)]
    #[derive(Deserialize, Debug)]
    struct Category {
        id: String,
        #[serde(default)]
        necessary: bool,
        #[serde(default)]
        title: Option<String>,
    }
    #[allow(dead_code)]
    #[derive(Deserialize, Debug)]
    struct Nested {
        list: Vec<Vec<u32>>,
    }

    /// The path `serde_json`'s own position leads to, for `text`.
    fn path_of_error(text: &str) -> String {
        let e = serde_json::from_str::<Site>(text).unwrap_err();
        assert!(e.is_data(), "{e}");
        json_path_at(text, e.line(), e.column())
    }

    #[test]
    fn a_wrong_value_is_named_by_its_key_and_index() {
        assert_eq!(
            path_of_error(r#"{"categories": [{"id": "a"}, {"id": "b", "necessary": "yes"}]}"#),
            "categories[1].necessary"
        );
        assert_eq!(path_of_error(r#"{"name": 5}"#), "name");
        assert_eq!(path_of_error(r#"{"name": 12345}"#), "name");
        assert_eq!(path_of_error(r#"{"name": true }"#), "name");
        assert_eq!(path_of_error(r#"{"name": ["x"]}"#), "name");
        assert_eq!(
            path_of_error(r#"{"categories": [{"id": "a", "title": {"it": "x"}}]}"#),
            "categories[0].title"
        );
        assert_eq!(
            path_of_error(r#"{"nested": {"list": [[1, 2], [3, "four"]]}}"#),
            "nested.list[1][1]"
        );
    }

    #[test]
    fn a_site_configuration_names_the_field_the_webmaster_wrote_wrong() {
        for (text, path) in [
            (
                r#"{"cookie_policy_url": "/c", "categories": [{"id": "analitici", "description": "x", "necessary": "yes"}]}"#,
                "categories[0].necessary",
            ),
            (
                r#"{"cookie_policy_url": "/c", "categories": [{"id": "analitici", "title": ["Statistiche"]}]}"#,
                "categories[0].title",
            ),
        ] {
            let e = serde_json::from_str::<varco_protocol::SiteConfig>(text).unwrap_err();
            assert_eq!(json_path_at(text, e.line(), e.column()), path, "{e}");
        }
    }

    #[test]
    fn a_missing_field_names_the_object_that_lacks_it() {
        assert_eq!(
            path_of_error(r#"{"categories": [{"id": "a"}, {"necessary": true}]}"#),
            "categories[1]"
        );
        assert_eq!(
            path_of_error(r#"{"categories": [{"id": "a"}, {"title": "t", "necessary": false }]}"#),
            "categories[1]"
        );
    }

    #[test]
    fn an_unknown_field_at_the_top_names_the_document() {
        assert_eq!(path_of_error(r#"{"name": "x", "colour": "red"}"#), "");
    }

    #[test]
    fn keys_with_escapes_and_values_on_other_lines_are_followed() {
        let text = "{\n  \"name\": \"a \\\"quoted\\\" [name] {x}\",\n  \"categories\": [\n    {\"id\": \"a\",\n     \"necessary\": null}\n  ]\n}";
        assert_eq!(path_of_error(text), "categories[0].necessary");
    }

    #[test]
    fn a_position_past_the_text_or_at_its_start_is_no_path() {
        assert_eq!(json_path_at("{\"a\": 1}", 9, 99), "");
        assert_eq!(json_path_at("{\"a\": 1}", 1, 0), "");
        assert_eq!(json_path_at("", 1, 1), "");
    }
}
