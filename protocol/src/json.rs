//! A small JSON reader and writer for the widget's light part.
//!
//! The light part (`first-paint/`) runs on every page, so every byte of its
//! WebAssembly is paid by every visitor. `serde_json` with serde's derived
//! visitors was about a third of its code (the parser, a visitor per type,
//! error values that format floats and escaped strings). This module reads
//! a document into a [`Value`] tree once, and each type picks its fields
//! from the tree by hand ([`FromJson`]); writing goes through [`ToJson`].
//!
//! The format is the serde one, to the byte: what [`to_string`] writes is
//! what `serde_json::to_string` writes for the same value (field order,
//! skipped fields, escapes), and what [`from_str`] accepts `serde_json`
//! accepts too, so both modules read each other's storage and the server
//! reads both. `protocol/tests/json.rs` holds that with property tests.
//!
//! [`from_str`] says only whether a text is a `T`: what the light part
//! needs. A configuration that cannot be read is read again with
//! [`from_str_explained`], which says where the mistake is
//! (`categories[0].necessary`) and what it is, for the webmaster; the steps
//! of that path are noted only while explaining, as each failing reader
//! returns, so reading costs nothing more when nothing is wrong. The reader
//! is stricter than serde in three cases: a key repeated in one object,
//! nesting deeper than [`MAX_DEPTH`], and a struct written as an array of
//! its fields.

use crate::SortedMap;

/// How deeply arrays and objects may nest: a hostile or corrupted stored
/// value must not exhaust the stack (serde_json stops at 128).
pub const MAX_DEPTH: usize = 64;

/// A parsed JSON document. Numbers keep their text: the light part only
/// reads integers, and parsing floats would bring the code it saves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Value>),
    /// Keys in document order, each once.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The value of `key` in an object; `None` for another value or a key
    /// that is absent.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// What kind of value this is, as a message names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "true or false",
            Value::Number(_) => "a number",
            Value::String(_) => "a text",
            Value::Array(_) => "a list",
            Value::Object(_) => "an object",
        }
    }
}

/// Parses `text` as one JSON document (whitespace around it allowed).
pub fn parse(text: &str) -> Option<Value> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        at: 0,
    };
    let value = reader.value(0)?;
    reader.skip_space();
    (reader.at == reader.bytes.len()).then_some(value)
}

/// Reads `text` as a `T`; `None` if it is not JSON or not a `T`.
pub fn from_str<T: FromJson>(text: &str) -> Option<T> {
    T::from_json(&parse(text)?)
}

/// Why a text could not be read, said for the person who wrote it.
#[cfg(feature = "explain")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mistake {
    /// Where, as `categories[0].title`; empty for the whole document and
    /// for a text that is not JSON.
    pub path: String,
    /// What: `is not valid JSON (line 1, column 16)`, `missing field "id"`,
    /// `expected true or false, found a text`.
    pub reason: String,
    /// `false` when the text is not JSON at all.
    pub is_data: bool,
}

/// Reads `text` as a `T`, or says where and why it is not one.
#[cfg(feature = "explain")]
pub fn from_str_explained<T: FromJson>(text: &str) -> Result<T, Mistake> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        at: 0,
    };
    let parsed = reader.value(0).and_then(|value| {
        reader.skip_space();
        (reader.at == reader.bytes.len()).then_some(value)
    });
    let Some(value) = parsed else {
        let before = &text.as_bytes()[..reader.at.min(text.len())];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let column = 1 + before.iter().rev().take_while(|&&b| b != b'\n').count();
        return Err(Mistake {
            path: String::new(),
            reason: format!("is not valid JSON (line {line}, column {column})"),
            is_data: false,
        });
    };
    TRAIL.with(|t| *t.borrow_mut() = Some(Trail::default()));
    let read = T::from_json(&value);
    let trail = TRAIL.with(|t| t.borrow_mut().take()).unwrap_or_default();
    read.ok_or_else(|| {
        let mut path = String::new();
        for step in trail.steps.iter().rev() {
            match step {
                Step::Key(key) if path.is_empty() => path.push_str(key),
                Step::Key(key) => {
                    path.push('.');
                    path.push_str(key);
                }
                Step::Index(i) => {
                    path.push('[');
                    path.push_str(&i.to_string());
                    path.push(']');
                }
            }
        }
        Mistake {
            path,
            reason: trail
                .reason
                .unwrap_or_else(|| "has a value of the wrong kind".to_owned()),
            is_data: true,
        }
    })
}

/// One step of the path to a mistake.
#[cfg(feature = "explain")]
enum Step {
    Key(String),
    Index(usize),
}

/// What [`from_str_explained`] learns as the readers that failed return,
/// innermost first.
#[cfg(feature = "explain")]
#[derive(Default)]
struct Trail {
    steps: Vec<Step>,
    reason: Option<String>,
}

#[cfg(feature = "explain")]
std::thread_local! {
    /// `Some` only while explaining.
    static TRAIL: std::cell::RefCell<Option<Trail>> = const { std::cell::RefCell::new(None) };
}

#[cfg(feature = "explain")]
fn note(f: impl FnOnce(&mut Trail)) {
    TRAIL.with(|t| {
        if let Some(trail) = t.borrow_mut().as_mut() {
            f(trail)
        }
    });
}

/// Notes (while explaining) that the value at `key` of an object failed.
pub fn failed_at_key(_key: &str) {
    #[cfg(feature = "explain")]
    note(|t| t.steps.push(Step::Key(_key.to_owned())));
}

fn failed_at_index(_i: usize) {
    #[cfg(feature = "explain")]
    note(|t| t.steps.push(Step::Index(_i)));
}

/// Says (while explaining) why a value failed, unless a value inside it
/// already said; `None`, for the reader to return.
pub fn wrong<T>(_reason: impl FnOnce() -> String) -> Option<T> {
    #[cfg(feature = "explain")]
    note(|t| {
        if t.reason.is_none() {
            t.reason = Some(_reason())
        }
    });
    None
}

/// [`wrong`] for a value of another kind than `expected`.
pub fn expected<T>(expected: &str, found: &Value) -> Option<T> {
    wrong(|| format!("expected {expected}, found {}", found.kind()))
}

/// `value` as JSON text, as `serde_json::to_string` writes it.
pub fn to_string<T: ToJson + ?Sized>(value: &T) -> String {
    let mut out = String::new();
    value.write_json(&mut out);
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, word: &str) -> Option<()> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word.as_bytes()).then(|| self.at = end)
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'n' => self.eat("null").map(|_| Value::Null),
            b't' => self.eat("true").map(|_| Value::Bool(true)),
            b'f' => self.eat("false").map(|_| Value::Bool(false)),
            b'"' => self.string().map(Value::String),
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if self.peek()? == b']' {
                    self.at += 1;
                    return Some(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    match self.peek()? {
                        b',' => self.at += 1,
                        b']' => {
                            self.at += 1;
                            return Some(Value::Array(items));
                        }
                        _ => return None,
                    }
                }
            }
            b'{' => {
                self.at += 1;
                let mut fields: Vec<(String, Value)> = Vec::new();
                if self.peek()? == b'}' {
                    self.at += 1;
                    return Some(Value::Object(fields));
                }
                loop {
                    if self.peek()? != b'"' {
                        return None;
                    }
                    let key = self.string()?;
                    if self.peek()? != b':' || fields.iter().any(|(k, _)| *k == key) {
                        return None;
                    }
                    self.at += 1;
                    fields.push((key, self.value(depth + 1)?));
                    match self.peek()? {
                        b',' => self.at += 1,
                        b'}' => {
                            self.at += 1;
                            return Some(Value::Object(fields));
                        }
                        _ => return None,
                    }
                }
            }
            _ => self.number(),
        }
    }

    /// RFC 8259's number grammar; the text is kept.
    fn number(&mut self) -> Option<Value> {
        let start = self.at;
        let digits = |r: &mut Self| {
            let from = r.at;
            while r.bytes.get(r.at).is_some_and(u8::is_ascii_digit) {
                r.at += 1;
            }
            r.at > from
        };
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        match self.bytes.get(self.at)? {
            b'0' => self.at += 1,
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if !digits(self) {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        let text = std::str::from_utf8(&self.bytes[start..self.at]).ok()?;
        Some(Value::Number(text.to_owned()))
    }

    /// A string, the opening quote under the cursor.
    fn string(&mut self) -> Option<String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while let Some(&b) = self.bytes.get(self.at) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            // The input is a &str and the run stops only at ASCII bytes, so
            // the run is whole UTF-8.
            out.push_str(std::str::from_utf8(&self.bytes[start..self.at]).ok()?);
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    return Some(out);
                }
                b'\\' => {
                    self.at += 1;
                    let escaped = *self.bytes.get(self.at)?;
                    self.at += 1;
                    out.push(match escaped {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    });
                }
                // A raw control character: JSON forbids it.
                _ => return None,
            }
        }
    }

    /// The character of a `\u` escape (its `\u` read), joining a surrogate
    /// pair; a lone surrogate is refused, as serde_json does.
    fn unicode_escape(&mut self) -> Option<char> {
        let high = self.hex4()?;
        if !(0xD800..0xE000).contains(&high) {
            return char::from_u32(high);
        }
        if high >= 0xDC00 {
            return None;
        }
        self.eat("\\u")?;
        let low = self.hex4()?;
        if !(0xDC00..0xE000).contains(&low) {
            return None;
        }
        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes.get(self.at..self.at + 4)?;
        self.at += 4;
        digits
            .iter()
            .try_fold(0u32, |acc, &d| Some(acc * 16 + char::from(d).to_digit(16)?))
    }
}

/// A type read from a [`Value`]. `None` when the value is not one.
pub trait FromJson: Sized {
    fn from_json(value: &Value) -> Option<Self>;
}

/// A type written as JSON, as serde's derive writes it.
pub trait ToJson {
    fn write_json(&self, out: &mut String);
}

/// [`FromJson`] and [`ToJson`] for a struct whose fields are all required
/// and always written, in this order: what serde's derive does without
/// attributes (unknown fields ignored on the way in).
#[macro_export]
macro_rules! plain_json_object {
    ($t:ident { $($field:ident),+ $(,)? }) => {
        impl $crate::json::FromJson for $t {
            fn from_json(value: &$crate::json::Value) -> Option<Self> {
                let f = $crate::json::Fields::of(value)?;
                Some($t { $($field: f.required(stringify!($field))?),+ })
            }
        }
        impl $crate::json::ToJson for $t {
            fn write_json(&self, out: &mut String) {
                let mut object = $crate::json::Object::new(out);
                $(object.field(stringify!($field), &self.$field);)+
                object.end();
            }
        }
    };
}

/// The fields of an object, read as serde's derive reads a struct: unknown
/// fields ignored, a missing field an error unless it has a default.
pub struct Fields<'a>(&'a [(String, Value)]);

impl<'a> Fields<'a> {
    /// The fields of `value`, if it is an object.
    pub fn of(value: &'a Value) -> Option<Self> {
        match value {
            Value::Object(fields) => Some(Fields(fields)),
            other => expected("an object", other),
        }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// `Some` if every field is one of `known` (`#[serde(deny_unknown_fields)]`).
    pub fn only(&self, known: &[&str]) -> Option<()> {
        match self.0.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            None => Some(()),
            Some((unknown, _)) => wrong(|| format!("has an unknown field {}", quoted(unknown))),
        }
    }

    /// A field that must be there.
    pub fn required<T: FromJson>(&self, key: &str) -> Option<T> {
        match self.get(key) {
            None => wrong(|| format!("misses the field {}", quoted(key))),
            Some(value) => Self::read(key, value),
        }
    }

    /// A field with `#[serde(default)]` (or an `Option`): its default when
    /// absent, an error when present but not a `T`.
    pub fn or_default<T: FromJson + Default>(&self, key: &str) -> Option<T> {
        match self.get(key) {
            None => Some(T::default()),
            Some(value) => Self::read(key, value),
        }
    }

    fn read<T: FromJson>(key: &str, value: &Value) -> Option<T> {
        let read = T::from_json(value);
        if read.is_none() {
            failed_at_key(key);
        }
        read
    }
}

impl FromJson for String {
    fn from_json(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) => Some(s.clone()),
            other => expected("a text", other),
        }
    }
}

impl FromJson for bool {
    fn from_json(value: &Value) -> Option<Self> {
        match value {
            Value::Bool(b) => Some(*b),
            other => expected("true or false", other),
        }
    }
}

/// Integers as serde_json reads them: digits only (`1.0` and `1e3` are
/// floats, which no integer field accepts), within the type's range.
macro_rules! integers {
    ($($t:ty),*) => {$(
        impl FromJson for $t {
            fn from_json(value: &Value) -> Option<Self> {
                match value {
                    Value::Number(text) if !text.contains(['.', 'e', 'E']) => match text.parse() {
                        Ok(n) => Some(n),
                        Err(_) => wrong(|| format!("{text} is out of range")),
                    },
                    other => expected("a whole number", other),
                }
            }
        }
        impl ToJson for $t {
            fn write_json(&self, out: &mut String) {
                use std::fmt::Write;
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
integers!(u8, u16, u32, u64, i32, i64, usize);

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: &Value) -> Option<Self> {
        match value {
            Value::Null => Some(None),
            other => T::from_json(other).map(Some),
        }
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: &Value) -> Option<Self> {
        match value {
            Value::Array(items) => {
                let mut read = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match T::from_json(item) {
                        Some(v) => read.push(v),
                        None => {
                            failed_at_index(i);
                            return None;
                        }
                    }
                }
                Some(read)
            }
            other => expected("a list", other),
        }
    }
}

impl<T: FromJson> FromJson for SortedMap<T> {
    fn from_json(value: &Value) -> Option<Self> {
        match value {
            // Inserted one by one: collecting would bring the iterator
            // adapters' code for one use.
            Value::Object(fields) => {
                let mut map = SortedMap::new();
                for (k, v) in fields {
                    map.insert(k.clone(), Fields::read(k, v)?);
                }
                Some(map)
            }
            other => expected("an object", other),
        }
    }
}

impl FromJson for Value {
    fn from_json(value: &Value) -> Option<Self> {
        Some(value.clone())
    }
}

/// Writes `text` as a JSON string with serde_json's escapes.
pub fn write_str(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[(c as usize) >> 4]));
                out.push(char::from(HEX[(c as usize) & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `text` in double quotes, escaped as a JSON string: how messages quote a
/// value the webmaster wrote (Rust's `{:?}` would bring the Unicode tables
/// of `Debug` into the light part).
pub fn quoted(text: &str) -> String {
    let mut out = String::new();
    write_str(&mut out, text);
    out
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        write_str(out, self);
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        write_str(out, self);
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(v) => v.write_json(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            item.write_json(out);
        }
        out.push(']');
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out);
    }
}

impl<T: ToJson> ToJson for SortedMap<T> {
    fn write_json(&self, out: &mut String) {
        let mut object = Object::new(out);
        for (k, v) in self {
            object.field(k, v);
        }
        object.end();
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out);
    }
}

impl ToJson for Value {
    fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => b.write_json(out),
            Value::Number(text) => out.push_str(text),
            Value::String(s) => write_str(out, s),
            Value::Array(items) => items.write_json(out),
            Value::Object(fields) => {
                let mut object = Object::new(out);
                for (k, v) in fields {
                    object.field(k, v);
                }
                object.end();
            }
        }
    }
}

/// Writes an object field by field, in the order of the calls.
pub struct Object<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Object<'a> {
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        Object { out, first: true }
    }

    pub fn field<T: ToJson + ?Sized>(&mut self, key: &str, value: &T) -> &mut Self {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_str(self.out, key);
        self.out.push(':');
        value.write_json(self.out);
        self
    }

    /// A field with `skip_serializing_if = "Option::is_none"`.
    pub fn some<T: ToJson>(&mut self, key: &str, value: &Option<T>) -> &mut Self {
        if let Some(v) = value {
            self.field(key, v);
        }
        self
    }

    /// A field with `skip_serializing_if = "Vec::is_empty"` (or a map's).
    pub fn non_empty<T: ToJson + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
        empty: bool,
    ) -> &mut Self {
        if !empty {
            self.field(key, value);
        }
        self
    }

    pub fn end(&mut self) {
        self.out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_of_value() {
        let v = parse(r#" {"a": [1, -2.5e3, true, false, null], "b": "x\n\u00e8\ud83d\ude00"} "#)
            .unwrap();
        assert_eq!(
            v.get("a"),
            Some(&Value::Array(vec![
                Value::Number("1".into()),
                Value::Number("-2.5e3".into()),
                Value::Bool(true),
                Value::Bool(false),
                Value::Null
            ]))
        );
        assert_eq!(v.get("b").and_then(Value::as_str), Some("x\nè😀"));
    }

    #[test]
    fn refuses_what_is_not_json() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            "+1",
            ".5",
            "1e",
            "tru",
            "nul",
            "\"abc",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\ud800\\u0041\"",
            "\"a\u{1}\"",
            "{\"a\" 1}",
            "{a:1}",
            "[1 2]",
            "1 2",
            "{\"a\":1,\"a\":2}",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused_without_overflowing() {
        let deep = "[".repeat(100_000);
        assert_eq!(parse(&deep), None);
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_some());
    }

    #[test]
    fn integers_refuse_floats_and_out_of_range_values() {
        assert_eq!(from_str::<u32>("42"), Some(42));
        assert_eq!(from_str::<u32>("42.0"), None);
        assert_eq!(from_str::<u32>("4e1"), None);
        assert_eq!(from_str::<u32>("-1"), None);
        assert_eq!(from_str::<u8>("256"), None);
        assert_eq!(from_str::<i64>("-9223372036854775808"), Some(i64::MIN));
    }

    #[cfg(feature = "explain")]
    #[test]
    fn a_text_that_is_not_json_is_told_by_line_and_column() {
        let e = from_str_explained::<crate::SiteConfig>("{\n  \"categories\": [").unwrap_err();
        assert!(!e.is_data);
        assert_eq!(e.path, "");
        assert_eq!(e.reason, "is not valid JSON (line 2, column 18)");
        let e = from_str_explained::<crate::SiteConfig>(r#"{"cookie_policy_url": "/c"} {"#)
            .unwrap_err();
        assert!(!e.is_data && e.reason.contains("JSON"), "{e:?}");
    }

    #[cfg(feature = "explain")]
    #[test]
    fn a_value_of_the_wrong_kind_is_told_by_its_path() {
        let explained = |text: &str| {
            let e = from_str_explained::<crate::SiteConfig>(text).unwrap_err();
            assert!(e.is_data, "{e:?}");
            (e.path, e.reason)
        };
        assert_eq!(
            explained(
                r#"{"cookie_policy_url": "/c", "categories": [{"id": "a", "description": "x", "necessary": "yes"}]}"#
            ),
            (
                "categories[0].necessary".to_owned(),
                "expected true or false, found a text".to_owned()
            )
        );
        let (path, reason) = explained(r#"{"categories": [{"id": "a"}, {"title": "b"}]}"#);
        assert_eq!(path, "categories[1]");
        assert_eq!(reason, r#"misses the field "id""#);
        let (path, reason) = explained(r#"{"categories": [{"id": "a", "title": ["b"]}]}"#);
        assert_eq!(path, "categories[0].title");
        assert_eq!(
            reason,
            "expected a text, or an object of texts by language code, found a list"
        );
        let (path, reason) = explained(r#"{"categories": [{"id": "a", "title": {"it": 5}}]}"#);
        assert_eq!(path, "categories[0].title.it");
        assert_eq!(reason, "expected a text, found a number");
        let (path, reason) = explained(
            r#"{"categories": [{"id": "a", "services": [{"name": "M", "kind": "analitics"}]}]}"#,
        );
        assert_eq!(path, "categories[0].services[0].kind");
        assert!(
            reason.starts_with(r#"expected one of "technical" "analytics""#),
            "{reason}"
        );
        assert!(reason.ends_with("found a text"), "{reason}");
    }

    #[cfg(feature = "explain")]
    #[test]
    fn reading_without_explaining_notes_nothing() {
        assert_eq!(from_str::<Vec<bool>>("[true, 1]"), None);
        TRAIL.with(|t| assert!(t.borrow().is_none()));
        assert!(from_str_explained::<Vec<bool>>("[true, 1]").is_err());
        TRAIL.with(|t| assert!(t.borrow().is_none()));
        assert_eq!(
            from_str_explained::<Vec<bool>>("[true, false]"),
            Ok(vec![true, false])
        );
    }

    #[test]
    fn strings_are_written_with_serde_json_escapes() {
        let text = "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}/è😀\u{7f}";
        assert_eq!(to_string(text), serde_json::to_string(text).unwrap());
        assert_eq!(from_str::<String>(&to_string(text)).as_deref(), Some(text));
    }
}
