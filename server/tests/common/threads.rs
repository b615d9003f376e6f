//! The thread API as a widget would use it: open a thread, post, read the
//! event stream.

use serde_json::{json, Value};
use std::time::Duration;

pub const ORIGIN: &str = "https://www.milomb.camcom.it";

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub async fn post(base: &str, path: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("origin", ORIGIN)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Posts a visitor message (a new one, with a fresh `client_message_id`).
pub async fn post_message(base: &str, thread: &str, text: &str) -> reqwest::Response {
    post(
        base,
        &format!("/api/v1/threads/{thread}/messages"),
        json!({"client_message_id": uuid(), "text": text}),
    )
    .await
}

pub async fn new_thread(base: &str) -> String {
    let id = uuid();
    let r = post(
        base,
        "/api/v1/threads",
        json!({"thread_id": id, "site": "milomb", "language": "it", "terms_revision": "1"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    id
}

/// One event: (id, event name, data).
pub type SseEvent = (Option<i64>, String, Value);

/// An open `/events` stream.
pub struct EventStream {
    response: reqwest::Response,
    buf: String,
    pub events: Vec<SseEvent>,
}

/// Opens the event stream of `thread`, resuming after `last_event_id`.
pub async fn open_events(base: &str, thread: &str, last_event_id: Option<i64>) -> EventStream {
    let mut req = reqwest::Client::new()
        .get(format!("{base}/api/v1/threads/{thread}/events"))
        .header("origin", ORIGIN);
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id.to_string());
    }
    let response = req.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    EventStream {
        response,
        buf: String::new(),
        events: Vec::new(),
    }
}

impl EventStream {
    /// Reads until `until` holds for the events so far (or 10 s pass).
    pub async fn read_until(mut self, until: impl Fn(&[SseEvent]) -> bool) -> Vec<SseEvent> {
        self.wait_for(until).await;
        self.events
    }

    /// Wraps any open event stream (the console's, for one).
    pub fn new(response: reqwest::Response) -> EventStream {
        assert_eq!(response.status(), 200);
        EventStream {
            response,
            buf: String::new(),
            events: Vec::new(),
        }
    }

    /// Reads until `until` holds for the events so far (or 10 s pass),
    /// keeping the stream open for more.
    pub async fn wait_for(&mut self, until: impl Fn(&[SseEvent]) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !until(&self.events) {
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .expect("events in time")
                .unwrap()
                .expect("the stream is still open");
            self.push(&chunk);
        }
    }

    /// Reads until the server ends the stream (it must, within `within`),
    /// keeping the events it sent meanwhile; returns the keep-alive
    /// comments seen.
    pub async fn wait_end(&mut self, within: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + within;
        let mut comments = 0;
        loop {
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .unwrap_or_else(|_| panic!("the stream did not end within {within:?}"))
                .expect("the stream ends cleanly, not with a broken connection");
            let Some(chunk) = chunk else {
                return comments;
            };
            comments += String::from_utf8_lossy(&chunk)
                .lines()
                .filter(|l| l.starts_with(':'))
                .count();
            self.push(&chunk);
        }
    }

    fn push(&mut self, chunk: &[u8]) {
        self.buf.push_str(&String::from_utf8_lossy(chunk));
        while let Some(end) = self.buf.find("\n\n") {
            let block: String = self.buf.drain(..end + 2).collect();
            let (mut id, mut name, mut data) = (None, String::new(), String::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            if !data.is_empty() {
                self.events
                    .push((id, name, serde_json::from_str(&data).unwrap()));
            }
        }
    }
}

/// Reads SSE events from `/events` until `until` says stop (or 10 s pass).
pub async fn read_events(
    base: &str,
    thread: &str,
    last_event_id: Option<i64>,
    until: impl Fn(&[SseEvent]) -> bool,
) -> Vec<SseEvent> {
    open_events(base, thread, last_event_id)
        .await
        .read_until(until)
        .await
}

pub fn messages(events: &[SseEvent]) -> Vec<&Value> {
    events
        .iter()
        .filter(|(_, n, _)| n == "message")
        .map(|(_, _, d)| &d["message"])
        .collect()
}

/// The pieces of a streamed answer among `events`, joined in order.
pub fn deltas(events: &[SseEvent]) -> String {
    events
        .iter()
        .filter(|(_, n, _)| n == "delta")
        .map(|(_, _, d)| d["text"].as_str().unwrap().to_owned())
        .collect()
}
