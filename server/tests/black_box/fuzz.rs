//! Hostile input on every public endpoint: for each route of the API, the
//! console and the health check, thousands of requests whose path
//! parameter, query string, headers and body are arbitrary (any JSON value,
//! any text with multi-byte and control characters, any bytes), or, most
//! often, a valid request with one part changed (a field of the body
//! replaced, removed or added, one query parameter changed): what reaches
//! the parsers behind the first checks. Every answer must be a 2xx or a
//! 4xx, an error must be JSON with an `error` code, the connection must
//! never drop, and the server must still be healthy afterwards (so no
//! 5xx, not even a 503: the database is fine all along).
//!
//! One server, one keep-alive client, a few endpoints fuzzed at a time. A
//! run's seed is printed on failure with the smallest request found; set
//! `VARCO_FUZZ_SEED` to replay it, `VARCO_FUZZ_ONLY` to fuzz the endpoints
//! whose name holds a word, and `VARCO_FUZZ_CASES` for longer runs.

use crate::common;

use common::console::add_operator_with;
use common::threads::{new_thread, post, ORIGIN};
use common::{spawn_app_configured, PERSONALISATION};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError, TestRunner};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use varco_core::booking::rome_local;
use varco_core::consent::rfc3339_utc;
use varco_server::api::now_ms;

/// Requests per endpoint (each case is one request).
const CASES: u32 = 2_000;
/// Endpoints fuzzed at the same time.
const PARALLEL: usize = 4;

/// Appointments every day, and a live chat desk that is always open, so
/// that valid requests reach the end of every handler whatever the hour.
fn site_settings() -> String {
    r#"
[sites.live_chat]
hours = [{ days = ["lun", "mar", "mer", "gio", "ven", "sab", "dom"], open = "00:00", close = "24:00" }]
email = "urp@example.it"

[sites.appointments]
slot_minutes = 30
capacity = 2
min_notice_hours = 0
days_ahead = 10

[[sites.appointments.services]]
id = "spid"
title = { it = "Identità digitale SPID", en = "SPID digital identity" }

[[sites.appointments.offices]]
id = "milano"
name = "Sede di Milano"
address = "Via Meravigli 9/b, Milano"
services = ["spid"]
hours = [{ days = ["lun", "mar", "mer", "gio", "ven", "sab", "dom"], open = "08:00", close = "18:00" }]

[sites.widget.assistant]
live_chat_privacy_url = "/privacy-chat.html"
"#
    .to_owned()
}

/// Rate limits out of the way, every class of them: this test is about
/// input, not traffic (a 429 would pass as a 4xx and reach no handler).
fn server_settings() -> String {
    let mut settings = String::from("[server.rate_limits]\n");
    for class in varco_server::config::rate_limits::Class::ALL {
        settings.push_str(&format!(
            "{} = {{ burst = 100000000, per_minute = 100000000 }}\n",
            class.name()
        ));
    }
    // E-mail on (to a port nobody listens on: the outbox keeps retrying),
    // so that messages for the office and their answers are taken.
    settings.push_str(
        "\n[mail]\nhost = \"127.0.0.1\"\nport = 9\nsecurity = \"none\"\n\
         from = \"Varco <varco@example.it>\"\npublic_url = \"http://127.0.0.1\"\n",
    );
    settings
}

// ---------------------------------------------------------------------------
// What is sent
// ---------------------------------------------------------------------------

/// Placeholder in a template, replaced by a new UUID v4 in each request.
const FRESH_UUID: &str = "$uuid";

/// One public endpoint and a valid request to it.
#[derive(Clone, Debug)]
struct Endpoint {
    name: &'static str,
    method: Method,
    /// `{}` marks the path parameter.
    path: &'static str,
    /// The path parameter of a valid request.
    param: Option<String>,
    /// The query of a valid request.
    query: Vec<(&'static str, String)>,
    /// The body of a valid request (JSON), if the endpoint reads one.
    body: Option<Value>,
    /// Sent from the site's page (`Origin`), or from the console (no
    /// `Origin`, the session's cookie and CSRF token).
    console: bool,
    /// Whether the logged-in session may be sent (not to `logout`).
    session: bool,
    /// A successful answer is an event stream: its headers are checked,
    /// then it is dropped.
    stream: bool,
    /// Static files: a redirect (a folder without its `/`) is fine.
    files: bool,
    /// A page for people (the booking page): its errors are pages too,
    /// and a redirect is how its forms answer.
    page: bool,
    /// Fewer requests than the others: each valid one reads a whole
    /// knowledge base (a quarter of a second unoptimised), and hostile
    /// input is as well covered in fewer.
    costly: bool,
}

impl Endpoint {
    fn new(name: &'static str, method: Method, path: &'static str) -> Endpoint {
        Endpoint {
            name,
            method,
            path,
            param: None,
            query: Vec::new(),
            body: None,
            console: false,
            session: false,
            stream: false,
            files: false,
            page: false,
            costly: false,
        }
    }
    fn costly(mut self) -> Self {
        self.costly = true;
        self
    }
    fn param(mut self, value: &str) -> Self {
        self.param = Some(value.to_owned());
        self
    }
    fn query(mut self, pairs: &[(&'static str, &str)]) -> Self {
        self.query = pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        self
    }
    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    fn console(mut self, session: bool) -> Self {
        self.console = true;
        self.session = session;
        self
    }
    fn stream(mut self) -> Self {
        self.stream = true;
        self
    }
    fn files(mut self) -> Self {
        self.files = true;
        self
    }
    fn page(mut self) -> Self {
        self.page = true;
        self
    }
}

/// A path parameter as sent.
#[derive(Clone, Debug)]
enum Segment {
    Valid,
    /// Any text, percent-encoded.
    Text(String),
    /// Any bytes (not always UTF-8), percent-encoded.
    Bytes(Vec<u8>),
    /// Extra segments, `.` and `..` included.
    Segments(Vec<String>),
}

#[derive(Clone, Debug)]
enum QueryInput {
    Valid,
    /// The `i`th parameter's value replaced.
    Replace(usize, String),
    Remove(usize),
    /// The `i`th parameter sent twice, the second time with this value.
    Repeat(usize, String),
    /// Any bytes, percent-encoded except `=` and `&`.
    Raw(Vec<u8>),
}

#[derive(Clone, Debug)]
enum BodyInput {
    None,
    Json(Value),
    Text(String),
    Bytes(Vec<u8>),
}

#[derive(Clone, Debug)]
enum Credentials {
    Session,
    None,
    /// A cookie and a CSRF token of the right shape that are not a session.
    Forged(String),
}

#[derive(Clone, Debug)]
struct Input {
    param: Segment,
    query: QueryInput,
    body: BodyInput,
    /// `None`: `application/json` when there is a body.
    content_type: Option<String>,
    /// `None`: the endpoint's own (the site's page, or none for the console).
    origin: Option<Option<String>>,
    credentials: Credentials,
    last_event_id: Option<String>,
    /// Seeds the fresh UUIDs of the template.
    uuid_seed: u128,
}

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

/// Characters that parsers trip on: every UTF-8 length, controls,
/// separators, digits, quotes.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>(),
        2 => prop::sample::select(vec![
            'é', 'ß', 'İ', 'ﬀ', '€', '𝄞', '\u{300}', '\u{200b}', '\u{feff}', '\u{0}', '\u{7f}',
            '\n', '\r', '\t', ' ', '-', ':', '+', '.', ',', '/', '\\', '"', '\'', 'T', 'Z', '0',
            '9', '@', '%', '*', '_', '[', ']', '(', ')', '#', '?', '&', '=', '<', '>',
        ]),
    ]
}

/// Values people and scripts put in the fields of this API.
const SAMPLES: &[&str] = &[
    "2026-01-01T10:20:30.123+01:00",
    "2026-01-01T00:00:00Z",
    "2026-03-14",
    "09:40",
    "24:00",
    "RSSMRA85T10A562S",
    "rss mra 85t10 a562s",
    "mario.rossi@example.it",
    "+39 333 123 4567",
    "(02) 1234.5678",
    "ABCD-2345",
    "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    "milomb",
    "it",
    "en-GB",
    "/demo-site/milomb/spid.html?x=1#y",
    "Come ottengo lo SPID? **subito** [link](javascript:alert(1))",
    "IT60 X054 2811 1010 0000 0123 456",
    "4111 1111 1111 1111",
    "accept_all",
    "7",
    "-1",
    "9223372036854775808",
];

/// A character position in a text: from its start or from its end (where
/// offsets, fractions and check characters are), taken modulo its length.
#[derive(Clone, Copy, Debug)]
enum Pos {
    Start(usize),
    End(usize),
}

impl Pos {
    fn within(self, len: usize) -> usize {
        let len = len.max(1);
        match self {
            Pos::Start(i) => i % len,
            Pos::End(i) => len - 1 - i % len,
        }
    }
}

fn pos() -> impl Strategy<Value = Pos> {
    prop_oneof![
        any::<usize>().prop_map(Pos::Start),
        (0..10usize).prop_map(Pos::End)
    ]
}

/// One edit of a text.
#[derive(Clone, Debug)]
enum Edit {
    Replace(Pos, char),
    Insert(Pos, char),
    Remove(Pos),
    /// As many characters as the new one has bytes replaced by it: the
    /// length in bytes stays, and a parser that checks the length and then
    /// slices by byte position cuts a character.
    SameBytes(Pos, char),
    Truncate(Pos),
}

impl Edit {
    fn apply(&self, text: &str) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        let n = chars.len();
        match *self {
            Edit::Replace(p, c) if n > 0 => chars[p.within(n)] = c,
            Edit::Insert(p, c) => chars.insert(p.within(n + 1), c),
            Edit::Remove(p) if n > 0 => {
                chars.remove(p.within(n));
            }
            Edit::SameBytes(p, c) if n > 0 => {
                let i = p.within(n);
                let end = (i + c.len_utf8()).min(n);
                chars.splice(i..end, [c]);
            }
            Edit::Truncate(p) => chars.truncate(p.within(n + 1)),
            _ => {}
        }
        chars.into_iter().collect()
    }
}

fn multi_byte_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::sample::select(vec!['é', 'ß', '\u{300}', '€', 'ﬀ', '\u{200b}', '𝄞', '😀']),
        any::<char>().prop_filter("multi-byte", |c| c.len_utf8() > 1),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        2 => (pos(), tricky_char()).prop_map(|(p, c)| Edit::Replace(p, c)),
        1 => (pos(), tricky_char()).prop_map(|(p, c)| Edit::Insert(p, c)),
        1 => pos().prop_map(Edit::Remove),
        4 => (pos(), multi_byte_char()).prop_map(|(p, c)| Edit::SameBytes(p, c)),
        1 => pos().prop_map(Edit::Truncate),
    ]
}

fn text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => (prop::sample::select(SAMPLES), edit()).prop_map(|(s, e)| e.apply(s)),
        2 => prop::collection::vec(tricky_char(), 0..32).prop_map(|v| v.into_iter().collect()),
        2 => any::<String>(),
        1 => "[ -~]{0,200}",
        1 => prop::sample::select(SAMPLES).prop_map(str::to_owned),
        // Long runs, past every length limit.
        1 => (1..2_500usize, tricky_char()).prop_map(|(n, c)| std::iter::repeat_n(c, n).collect()),
    ]
    .boxed()
}

fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Where a value sits in a JSON document.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every position in `value` (the root excluded).
fn positions(value: &Value) -> Vec<Vec<Step>> {
    fn walk(value: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    at.push(Step::Key(k.clone()));
                    out.push(at.clone());
                    walk(v, at, out);
                    at.pop();
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    at.push(Step::Index(i));
                    out.push(at.clone());
                    walk(v, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

fn get<'a>(value: &'a Value, at: &[Step]) -> Option<&'a Value> {
    at.iter().try_fold(value, |v, step| match step {
        Step::Key(k) => v.get(k.as_str()),
        Step::Index(i) => v.get(*i),
    })
}

fn get_mut<'a>(value: &'a mut Value, at: &[Step]) -> Option<&'a mut Value> {
    at.iter().try_fold(value, |v, step| match step {
        Step::Key(k) => v.get_mut(k.as_str()),
        Step::Index(i) => v.get_mut(*i),
    })
}

/// The template with one change at one position.
#[derive(Clone, Debug)]
enum Change {
    Replace(Value),
    /// The value, if it is text, edited.
    Edit(Edit),
    Remove,
    /// A field that is not in the protocol, beside the position.
    AddField(String, Value),
}

fn changed(template: &Value, at: &[Step], change: Change) -> Value {
    let mut out = template.clone();
    let (parent, last) = at.split_at(at.len().saturating_sub(1));
    match change {
        Change::Replace(v) => {
            if let Some(slot) = get_mut(&mut out, at) {
                *slot = v;
            }
        }
        Change::Edit(e) => {
            if let Some(Value::String(text)) = get_mut(&mut out, at) {
                *text = e.apply(text);
            }
        }
        Change::Remove => match (get_mut(&mut out, parent), last.first()) {
            (Some(Value::Object(map)), Some(Step::Key(k))) => {
                map.remove(k);
            }
            (Some(Value::Array(items)), Some(Step::Index(i))) if *i < items.len() => {
                items.remove(*i);
            }
            _ => {}
        },
        Change::AddField(k, v) => {
            if let Some(Value::Object(map)) = get_mut(&mut out, parent) {
                map.insert(k, v);
            }
        }
    }
    out
}

fn body_strategy(template: Option<Value>) -> BoxedStrategy<BodyInput> {
    let anything = prop_oneof![
        4 => json_value().prop_map(BodyInput::Json),
        2 => text().prop_map(BodyInput::Text),
        2 => prop::collection::vec(any::<u8>(), 0..256).prop_map(BodyInput::Bytes),
        1 => Just(BodyInput::None),
    ];
    let Some(template) = template else {
        return prop_oneof![3 => Just(BodyInput::None), 1 => anything].boxed();
    };
    let at = positions(&template);
    let n = at.len().max(1);
    // The text fields, for edits: a valid value with one character changed
    // is what gets past the first checks to the parsers.
    let texts: Vec<Vec<Step>> = at
        .iter()
        .filter(|p| matches!(get(&template, p), Some(Value::String(_))))
        .cloned()
        .collect();
    let t = texts.len().max(1);
    let change = prop_oneof![
        3 => json_value().prop_map(Change::Replace),
        3 => text().prop_map(|s| Change::Replace(Value::String(s))),
        1 => Just(Change::Remove),
        1 => (text(), json_value()).prop_map(|(k, v)| Change::AddField(k, v)),
    ];
    let (valid, edited) = (template.clone(), template.clone());
    prop_oneof![
        4 => (0..n, change).prop_map(move |(i, change)| {
            BodyInput::Json(match at.get(i) {
                Some(at) => changed(&template, at, change),
                None => template.clone(),
            })
        }),
        6 => (0..t, edit()).prop_map(move |(i, e)| {
            BodyInput::Json(match texts.get(i) {
                Some(at) => changed(&edited, at, Change::Edit(e)),
                None => edited.clone(),
            })
        }),
        1 => Just(BodyInput::Json(valid)),
        2 => anything,
    ]
    .boxed()
}

fn input_strategy(endpoint: &Endpoint) -> BoxedStrategy<Input> {
    let param = prop_oneof![
        3 => Just(Segment::Valid),
        3 => text().prop_map(Segment::Text),
        1 => prop::collection::vec(any::<u8>(), 0..48).prop_map(Segment::Bytes),
        1 => prop::collection::vec(
            prop_oneof![Just(".".to_owned()), Just("..".to_owned()), Just(String::new()), "[a-z%0-9.]{1,8}"],
            1..4
        )
        .prop_map(Segment::Segments),
    ];
    let n = endpoint.query.len().max(1);
    let query = prop_oneof![
        2 => Just(QueryInput::Valid),
        4 => (0..n, text()).prop_map(|(i, v)| QueryInput::Replace(i, v)),
        1 => (0..n).prop_map(QueryInput::Remove),
        1 => (0..n, text()).prop_map(|(i, v)| QueryInput::Repeat(i, v)),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(QueryInput::Raw),
    ];
    let content_type = prop_oneof![
        8 => Just(None),
        1 => prop::sample::select(vec![
            "text/plain",
            "application/json; charset=latin1",
            "application/x-www-form-urlencoded",
            "application/jsonx",
            "",
        ])
        .prop_map(|s| Some(s.to_owned())),
        1 => "[ -~]{0,40}".prop_map(Some),
    ];
    let origin = prop_oneof![
        8 => Just(None),
        1 => Just(Some(None)),
        1 => "[ -~]{0,40}".prop_map(|o| Some(Some(o))),
    ];
    let credentials = if endpoint.session {
        prop_oneof![
            8 => Just(Credentials::Session),
            1 => Just(Credentials::None),
            1 => "[0-9a-f]{64}".prop_map(Credentials::Forged),
        ]
        .boxed()
    } else {
        prop_oneof![
            1 => Just(Credentials::None),
            1 => "[ -~]{0,80}".prop_map(Credentials::Forged),
        ]
        .boxed()
    };
    let last_event_id = prop_oneof![
        3 => Just(None),
        1 => "[ -~]{0,24}".prop_map(Some),
        1 => any::<i64>().prop_map(|n| Some(n.to_string())),
    ];
    (
        param,
        query,
        body_strategy(endpoint.body.clone()),
        content_type,
        origin,
        credentials,
        last_event_id,
        any::<u128>(),
    )
        .prop_map(
            |(param, query, body, content_type, origin, credentials, last_event_id, uuid_seed)| {
                Input {
                    param,
                    query,
                    body,
                    content_type,
                    origin,
                    credentials,
                    last_event_id,
                    uuid_seed,
                }
            },
        )
        .boxed()
}

// ---------------------------------------------------------------------------
// Sending and checking
// ---------------------------------------------------------------------------

/// Percent-encodes every byte but the unreserved ones (and `keep`).
fn encode(bytes: &[u8], keep: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// At most the first 2,000 bytes of `text` (cut anywhere: the server gets
/// broken characters too): a URL longer than 64 KiB is refused by the
/// HTTP client before it is sent.
fn url_part(text: &str) -> &[u8] {
    &text.as_bytes()[..text.len().min(2_000)]
}

/// A UUID v4 made from `seed` and `n`.
fn uuid_from(seed: u128, n: u128) -> String {
    let bytes = seed
        .wrapping_add(n.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .to_le_bytes();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// Replaces every [`FRESH_UUID`] in `value` with a new UUID.
fn fresh_uuids(value: &mut Value, seed: u128, n: &mut u128) {
    match value {
        Value::String(s) if s == FRESH_UUID => {
            *n += 1;
            *s = uuid_from(seed, *n);
        }
        Value::Array(items) => items.iter_mut().for_each(|v| fresh_uuids(v, seed, n)),
        Value::Object(map) => map.values_mut().for_each(|v| fresh_uuids(v, seed, n)),
        _ => {}
    }
}

struct Fuzzer {
    base: String,
    client: reqwest::Client,
    /// The operator's session: (cookie, CSRF token).
    session: (String, String),
}

impl Fuzzer {
    fn url(&self, endpoint: &Endpoint, input: &Input) -> String {
        let param = match &input.param {
            Segment::Valid => {
                let valid = endpoint.param.clone().unwrap_or_default();
                if valid == FRESH_UUID {
                    uuid_from(input.uuid_seed, 0)
                } else {
                    valid
                }
            }
            Segment::Text(t) => encode(url_part(t), &[]),
            Segment::Bytes(b) => encode(b, &[]),
            Segment::Segments(s) => s.join("/"),
        };
        let path = endpoint.path.replace("{}", &param);
        let valid = |pairs: &[(&str, String)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), encode(v.as_bytes(), &[])))
                .collect()
        };
        let mut pairs = valid(&endpoint.query);
        match &input.query {
            QueryInput::Valid => {}
            QueryInput::Replace(i, v) => {
                if let Some(p) = pairs.get_mut(*i) {
                    p.1 = encode(url_part(v), &[]);
                } else {
                    pairs.push(("x".into(), encode(url_part(v), &[])));
                }
            }
            QueryInput::Remove(i) => {
                if *i < pairs.len() {
                    pairs.remove(*i);
                }
            }
            QueryInput::Repeat(i, v) => {
                let key = pairs.get(*i).map_or("x".to_owned(), |p| p.0.clone());
                pairs.push((key, encode(url_part(v), &[])));
            }
            QueryInput::Raw(bytes) => {
                return format!("{}{path}?{}", self.base, encode(bytes, b"=&%"));
            }
        }
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{}", self.base, query.join("&"))
        }
    }

    /// Sends one request and checks the answer; `Err` says what is wrong.
    async fn send(&self, endpoint: &Endpoint, input: &Input) -> Result<(), String> {
        let url = self.url(endpoint, input);
        let mut request = self.client.request(endpoint.method.clone(), &url);
        let origin = match &input.origin {
            None if endpoint.console => None,
            None => Some(ORIGIN.to_owned()),
            Some(o) => o.clone(),
        };
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        match &input.credentials {
            Credentials::Session => {
                request = request
                    .header("cookie", &self.session.0)
                    .header("x-csrf-token", &self.session.1);
            }
            Credentials::None => {}
            Credentials::Forged(token) => {
                request = request
                    .header("cookie", format!("varco_operator={token}"))
                    .header("x-csrf-token", token.as_str());
            }
        }
        if let Some(id) = &input.last_event_id {
            request = request.header("last-event-id", id.as_str());
        }
        let body = match &input.body {
            BodyInput::None => None,
            BodyInput::Json(v) => {
                let mut v = v.clone();
                fresh_uuids(&mut v, input.uuid_seed, &mut 0);
                Some(serde_json::to_vec(&v).unwrap())
            }
            BodyInput::Text(t) => Some(t.clone().into_bytes()),
            BodyInput::Bytes(b) => Some(b.clone()),
        };
        if let Some(body) = body {
            let content_type = input
                .content_type
                .clone()
                .unwrap_or_else(|| "application/json".to_owned());
            request = request.header("content-type", content_type).body(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("no answer (connection dropped?): {e}"))?;
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if status.is_server_error() {
            let body = response.text().await.unwrap_or_default();
            return Err(format!("{status} to {url}: {body}"));
        }
        if status.is_success() && endpoint.stream && content_type == "text/event-stream" {
            return Ok(());
        }
        let ok_status = status.is_success()
            || status.is_client_error()
            || ((endpoint.files || endpoint.page) && status.is_redirection());
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("{status} to {url}: the body broke off: {e}"))?;
        if !ok_status {
            return Err(format!("{status} to {url}"));
        }
        if status.is_client_error() && endpoint.page {
            if !content_type.starts_with("text/html") || !body.starts_with(b"<!doctype html>") {
                return Err(format!(
                    "{status} to {url} is not a page ({content_type}): {}",
                    String::from_utf8_lossy(&body)
                ));
            }
            return Ok(());
        }
        if status.is_client_error() {
            let error = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned));
            if !content_type.starts_with("application/json") || error.is_none() {
                return Err(format!(
                    "{status} to {url} is not a JSON error ({content_type}): {}",
                    String::from_utf8_lossy(&body)
                ));
            }
        }
        Ok(())
    }

    async fn healthy(&self) -> Result<(), String> {
        let r = self
            .client
            .get(format!("{}/healthz", self.base))
            .send()
            .await
            .map_err(|e| format!("/healthz does not answer: {e}"))?;
        if r.status() == 200 {
            Ok(())
        } else {
            Err(format!("/healthz answers {}", r.status()))
        }
    }
}

// ---------------------------------------------------------------------------
// The server and its data
// ---------------------------------------------------------------------------

/// A thread handed to a person and taken by the console's operator.
async fn live_thread(fuzzer: &Fuzzer) -> String {
    let id = new_thread(&fuzzer.base).await;
    let r = post(
        &fuzzer.base,
        &format!("/api/v1/threads/{id}/handoff"),
        json!(null),
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = fuzzer
        .client
        .post(format!("{}/operator/api/threads/{id}/take", fuzzer.base))
        .header("cookie", &fuzzer.session.0)
        .header("x-csrf-token", &fuzzer.session.1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    id
}

fn person() -> Value {
    json!({"nome": "Mario", "cognome": "Rossi", "codice_fiscale": "RSSMRA85T10A562S",
           "telefono": "333 123 4567", "email": "mario.rossi@example.it"})
}

/// Every public endpoint, each with a valid request on data made for it
/// (so that one endpoint's deletions leave the others' data alone).
async fn endpoints(fuzzer: &Fuzzer) -> Vec<Endpoint> {
    let base = &fuzzer.base;
    // With an offset (`+00:00`, not `Z`): its digits are what a parser
    // slices.
    let now = rfc3339_utc(now_ms()).replace('Z', "+00:00");
    // A day the offices are open (no national holiday).
    let tomorrow = varco_core::holidays::Calendar::default()
        .first_open_from(rome_local(now_ms()).0.add_days(1))
        .to_string();
    let upload = |user: &str| {
        json!({"site": "milomb", "user_id": user, "entries": [
            {"key": FRESH_UUID, "path": "/demo-site/milomb/spid.html", "title": "SPID", "visited_at": now}
        ]})
    };
    let user = uuid::Uuid::new_v4().to_string();
    let mut stored = upload(&user);
    fresh_uuids(&mut stored, 1, &mut 0);
    assert_eq!(post(base, "/api/v1/navigation", stored).await.status(), 200);
    let booking = json!({"site": "milomb", "request_id": FRESH_UUID, "service": "spid",
        "office": "milano", "date": tomorrow, "start": "10:00", "person": person(),
        "privacy_acknowledged": true, "language": "it"});
    let mut first = booking.clone();
    fresh_uuids(&mut first, 2, &mut 0);
    let r = post(base, "/api/v1/appointments", first).await;
    assert_eq!(r.status(), 201);
    let code = r.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let message = json!({"client_message_id": FRESH_UUID, "text": "come ottengo lo spid?"});
    let consent = json!({"record_id": FRESH_UUID, "consent_id": FRESH_UUID, "site": "milomb",
        "decided_at": now, "revision": "7", "accepted": ["necessari", "analitici"],
        "rejected": [], "action": "accept_all", "language": "it",
        "texts_hash": "fnv1a64:0123456789abcdef"});
    let slots = [
        ("site", "milomb"),
        ("office", "milano"),
        ("service", "spid"),
        ("from", tomorrow.as_str()),
        ("days", "2"),
    ];
    use Method as M;
    vec![
        Endpoint::new("health", M::GET, "/healthz"),
        Endpoint::new("site config", M::GET, "/api/v1/sites/{}").param("milomb"),
        Endpoint::new("live desk status", M::GET, "/api/v1/sites/{}/live").param("milomb"),
        Endpoint::new("stale block", M::POST, "/api/v1/sites/{}/stale-block")
            .param("milomb")
            .body(json!({"path": "/servizi.html"})),
        Endpoint::new("consent", M::POST, "/api/v1/consents").body(consent),
        Endpoint::new("new thread", M::POST, "/api/v1/threads").body(
            json!({"thread_id": FRESH_UUID, "site": "milomb", "language": "it", "terms_revision": "1"}),
        ),
        Endpoint::new("message", M::POST, "/api/v1/threads/{}/messages")
            .param(&new_thread(base).await)
            .body(message.clone()),
        Endpoint::new("thread messages", M::GET, "/api/v1/threads/{}/messages")
            .param(&new_thread(base).await),
        Endpoint::new("thread events", M::GET, "/api/v1/threads/{}/events")
            .param(&new_thread(base).await)
            .query(&[("after", "0")])
            .stream(),
        Endpoint::new("typing", M::POST, "/api/v1/threads/{}/typing").param(&live_thread(fuzzer).await),
        Endpoint::new("handoff", M::POST, "/api/v1/threads/{}/handoff").param(&new_thread(base).await),
        Endpoint::new("leave message", M::POST, "/api/v1/threads/{}/leave-message")
            .param(&new_thread(base).await)
            .body(json!({"client_message_id": FRESH_UUID, "text": "Richiamatemi", "email": "a@example.it", "consent": true})),
        Endpoint::new("feedback", M::POST, "/api/v1/threads/{}/feedback")
            .param(&new_thread(base).await)
            .body(json!({"about": "answer_reason", "event_id": 1, "reason": "unclear", "comment": "Poco chiara"})),
        Endpoint::new("end thread", M::POST, "/api/v1/threads/{}/end").param(&new_thread(base).await),
        Endpoint::new("delete thread", M::DELETE, "/api/v1/threads/{}").param(&new_thread(base).await),
        Endpoint::new("navigation", M::POST, "/api/v1/navigation").body(upload(&user)),
        Endpoint::new("delete user", M::DELETE, "/api/v1/users/{}")
            .param(FRESH_UUID)
            .query(&[("site", "milomb")]),
        Endpoint::new("recommendations", M::GET, "/api/v1/recommendations")
            .query(&[("site", "milomb"), ("user_id", &user)]),
        Endpoint::new("booking options", M::GET, "/api/v1/appointments/options")
            .query(&[("site", "milomb"), ("lang", "it")]),
        Endpoint::new("free slots", M::GET, "/api/v1/appointments/slots").query(&slots),
        Endpoint::new("book", M::POST, "/api/v1/appointments").body(booking),
        Endpoint::new("cancel booking", M::POST, "/api/v1/appointments/{}/cancel")
            .param(&code)
            .body(json!({"site": "milomb", "email": "mario.rossi@example.it"})),
        Endpoint::new("booking feedback", M::POST, "/api/v1/appointments/feedback")
            .body(json!({"site": "milomb", "code": code, "rating": 4, "comment": "Veloce"})),
        Endpoint::new("console page", M::GET, "/operator/{}").param("console.js").files(),
        Endpoint::new("console login", M::POST, "/operator/api/login")
            .body(json!({"username": "fuzz", "password": "una-password-lunga"}))
            .console(false),
        Endpoint::new("console logout", M::POST, "/operator/api/logout").console(false),
        Endpoint::new("console session", M::GET, "/operator/api/session").console(true),
        Endpoint::new("console list", M::GET, "/operator/api/conversations").console(true),
        Endpoint::new("console events", M::GET, "/operator/api/events")
            .console(true)
            .stream(),
        Endpoint::new("console take", M::POST, "/operator/api/threads/{}/take")
            .param(&live_thread(fuzzer).await)
            .console(true),
        Endpoint::new("console thread events", M::GET, "/operator/api/threads/{}/events")
            .param(&live_thread(fuzzer).await)
            .query(&[("after", "0")])
            .console(true)
            .stream(),
        Endpoint::new("console message", M::POST, "/operator/api/threads/{}/messages")
            .param(&live_thread(fuzzer).await)
            .body(message)
            .console(true),
        Endpoint::new("console typing", M::POST, "/operator/api/threads/{}/typing")
            .param(&live_thread(fuzzer).await)
            .console(true),
        Endpoint::new("console close", M::POST, "/operator/api/threads/{}/close")
            .param(&live_thread(fuzzer).await)
            .console(true),
        Endpoint::new("presence", M::POST, "/operator/api/presence")
            .body(json!({"presence": "away"}))
            .console(true),
        Endpoint::new("inbox", M::GET, "/operator/api/inbox").console(true),
        Endpoint::new("inbox answer", M::POST, "/operator/api/inbox/{}/answer")
            .param("1")
            .body(json!({"text": "Buongiorno"}))
            .console(true),
        Endpoint::new("transfer targets", M::GET, "/operator/api/threads/{}/transfer")
            .param(&live_thread(fuzzer).await)
            .console(true),
        Endpoint::new("transfer", M::POST, "/operator/api/threads/{}/transfer")
            .param(&live_thread(fuzzer).await)
            .body(json!({"office": "Registro imprese", "note": "Per la visura"}))
            .console(true),
        Endpoint::new("stale pages", M::GET, "/operator/api/stale-pages")
            .query(&[("site", "milomb")])
            .console(true),
        Endpoint::new("remove stale page", M::POST, "/operator/api/stale-pages/remove")
            .body(json!({"site": "milomb", "origin": "https://www.milomb.camcom.it", "path": "/servizi.html"}))
            .console(true),
        Endpoint::new("reports", M::GET, "/operator/api/reports")
            .query(&[("site", "milomb"), ("from", "2026-01-01"), ("to", tomorrow.as_str())])
            .console(true),
        Endpoint::new("reports csv", M::GET, "/operator/api/reports.csv")
            .query(&[("site", "milomb"), ("table", "comments")])
            .console(true),
        Endpoint::new("knowledge base", M::GET, "/operator/api/kb")
            .query(&[("site", "milomb")])
            .console(true),
        Endpoint::new("knowledge base entry", M::GET, "/operator/api/kb/entry")
            .query(&[("site", "milomb"), ("id", "spid-costo")])
            .console(true),
        Endpoint::new("check an entry", M::POST, "/operator/api/kb/check")
            .body(json!({"site": "milomb", "entry": kb_entry()}))
            .console(true)
            .costly(),
        Endpoint::new("try an entry", M::POST, "/operator/api/kb/try")
            .body(json!({"site": "milomb", "entry": kb_entry(), "question": "lo spid costa?", "language": "it"}))
            .console(true)
            .costly(),
        Endpoint::new("publish an entry", M::POST, "/operator/api/kb/publish")
            .body(json!({"site": "milomb", "entry": kb_entry(), "base_version": 0}))
            .console(true)
            .costly(),
        Endpoint::new("revert an entry", M::POST, "/operator/api/kb/revert")
            .body(json!({"site": "milomb", "id": "spid-costo", "base_version": 2}))
            .console(true),
        Endpoint::new("prepared replies", M::GET, "/operator/api/replies").console(true),
        Endpoint::new("add prepared reply", M::POST, "/operator/api/replies")
            .body(json!({"site": "milomb", "title": "Orari", "text": "Dalle 9 alle 12."}))
            .console(true),
        Endpoint::new("remove prepared reply", M::POST, "/operator/api/replies/{}/remove")
            .param("1")
            .body(json!({"site": "milomb"}))
            .console(true),
        Endpoint::new("history", M::GET, "/operator/api/history")
            .query(&[("q", "visura")])
            .console(true),
        Endpoint::new("history transcript", M::GET, "/operator/api/history/{}")
            .param(FRESH_UUID)
            .console(true),
        Endpoint::new("agenda", M::GET, "/operator/api/agenda")
            .query(&[("site", "milomb"), ("from", tomorrow.as_str()), ("days", "2")])
            .console(true),
        Endpoint::new("agenda csv", M::GET, "/operator/api/agenda.csv")
            .query(&[("site", "milomb"), ("from", tomorrow.as_str()), ("days", "2")])
            .console(true),
        Endpoint::new("booking outcome", M::POST, "/operator/api/appointments/{}/outcome")
            .param(&code)
            .body(json!({"site": "milomb", "outcome": "pending"}))
            .console(true),
        Endpoint::new("office cancel", M::POST, "/operator/api/appointments/{}/cancel")
            .param(&code)
            .body(json!({"site": "milomb", "reason": "Sportello chiuso"}))
            .console(true),
        Endpoint::new("close day", M::POST, "/operator/api/closed-days")
            .body(json!({"site": "milomb", "office": "milano", "date": tomorrow, "reason": "Inventario"}))
            .console(true),
        Endpoint::new("reopen day", M::POST, "/operator/api/closed-days/remove")
            .body(json!({"site": "milomb", "office": "milano", "date": tomorrow}))
            .console(true),
        Endpoint::new("booking page", M::GET, "/appointments/manage")
            .query(&[("token", "milomb.K7QX-4M2P.99999999999999.00")])
            .page(),
        Endpoint::new("booking move page", M::GET, "/appointments/manage/move")
            .query(&[("token", "milomb.K7QX-4M2P.99999999999999.00"), ("from", tomorrow.as_str())])
            .page(),
        Endpoint::new("booking cancel form", M::POST, "/appointments/manage/cancel").page(),
        Endpoint::new("widget files", M::GET, "/varco/{}").param("varco.js").files(),
    ]
}

#[test]
fn every_endpoint_answers_hostile_input_with_json_4xx_and_stays_healthy() {
    let cases = std::env::var("VARCO_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CASES);
    let seed = std::env::var("VARCO_FUZZ_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        });
    println!(
        "fuzz seed {seed} (replay with VARCO_FUZZ_SEED={seed}), {cases} requests per endpoint"
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (app, fuzzer, endpoints) = runtime.block_on(async {
        let app = spawn_app_configured(
            &server_settings(),
            &site_settings(),
            PERSONALISATION,
            |_| {},
        )
        .await;
        add_operator_with(
            &app,
            "fuzz",
            "Fuzz",
            "una-password-lunga",
            &["--desk", "--webmaster"],
        );
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap();
        let r = client
            .post(format!("{}/operator/api/login", app.base))
            .json(&json!({"username": "fuzz", "password": "una-password-lunga"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let cookie = r.headers()["set-cookie"].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let csrf = r.json::<Value>().await.unwrap()["csrf_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let fuzzer = Fuzzer {
            base: app.base.clone(),
            client,
            session: (cookie, csrf),
        };
        let mut endpoints = endpoints(&fuzzer).await;
        // `VARCO_FUZZ_ONLY=consent` fuzzes the endpoints whose name holds it.
        if let Ok(only) = std::env::var("VARCO_FUZZ_ONLY") {
            endpoints.retain(|e| e.name.contains(only.as_str()));
        }
        (app, fuzzer, endpoints)
    });

    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::<String>::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL {
            scope.spawn(|| {
                while let Some(endpoint) = endpoints.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let config = Config {
                        cases: if endpoint.costly {
                            (cases / 10).max(1)
                        } else {
                            cases
                        },
                        failure_persistence: None,
                        rng_seed: RngSeed::Fixed(seed ^ fxhash(endpoint.name)),
                        // Unoptimised, ChaCha took a seventh of the run.
                        rng_algorithm: RngAlgorithm::XorShift,
                        max_shrink_iters: 500,
                        ..Config::default()
                    };
                    let mut runner = TestRunner::new(config);
                    let started = std::time::Instant::now();
                    let result = runner.run(&input_strategy(endpoint), |input| {
                        runtime
                            .block_on(fuzzer.send(endpoint, &input))
                            .map_err(TestCaseError::fail)
                    });
                    println!(
                        "{}: {} requests in {:.1?}",
                        endpoint.name,
                        runner.config().cases,
                        started.elapsed()
                    );
                    let health = runtime.block_on(fuzzer.healthy());
                    let mut failures = failures.lock().unwrap();
                    if let Err(e) = result {
                        failures.push(format!(
                            "{} {} ({}): {e}",
                            endpoint.method, endpoint.path, endpoint.name
                        ));
                    }
                    if let Err(e) = health {
                        failures.push(format!("after {}: {e}", endpoint.name));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    runtime.block_on(async {
        fuzzer.healthy().await.unwrap();
        app.stop().await;
    });
    assert!(
        failures.is_empty(),
        "seed {seed}: {} endpoint(s) failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// A stable hash of an endpoint's name, so that each gets its own inputs.
fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A valid entry of the Camera's knowledge base, as the console sends it.
fn kb_entry() -> Value {
    json!({
        "id": "spid-costo",
        "topic": "spid",
        "title": "Quanto costa SPID",
        "questions": ["quanto costa lo spid", "lo spid è gratis?", "prezzo dello spid"],
        "keywords": ["costo"],
        "links": [{"title": "SPID", "url": "/demo-site/milomb/spid.html"}],
        "answer": "Il rilascio di **SPID** allo sportello è gratuito.",
        "english": {"title": "SPID cost", "questions": ["how much is spid"], "keywords": [],
                    "link_titles": ["SPID (in Italian)"], "answer": "SPID is free."}
    })
}
