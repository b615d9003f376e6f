//! Server-Sent Events read from a plain byte stream, as the HTML standard's
//! "event stream interpretation" says.
//!
//! The widget reads the thread's stream with `fetch` rather than
//! `EventSource`: an `EventSource` sends the page's cookies and its address
//! (`Referer`) with every connection, and neither may travel next to a
//! Thread ID. The parsing lives here, without I/O, so that it is tested
//! natively; the shell only feeds it the bytes as they arrive.
//!
//! Lines end with CRLF, LF or CR, and a chunk may end anywhere (inside a
//! line, between CR and LF, inside a UTF-8 sequence): only complete lines
//! are decoded, and CR and LF never occur inside a UTF-8 sequence. A
//! leading byte order mark is skipped; comments (`:` lines, the server's
//! heartbeats) and unknown fields are ignored; an event left incomplete
//! when the stream ends is never dispatched.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field; `message` when the event names none.
    pub event: String,
    /// The `data:` lines, joined with LF.
    pub data: String,
    /// The `id:` field of this event, if it had one. (The standard's "last
    /// event ID" carries over to events without one: see
    /// [`SseParser::last_event_id`]; a live-only event of ours has none.)
    pub id: Option<String>,
}

/// The parser's state between chunks.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of the line not yet ended.
    line: Vec<u8>,
    /// The last chunk ended with CR: a LF at the start of the next one
    /// ends the same line.
    after_cr: bool,
    /// No line has been decoded yet (a byte order mark may lead).
    started: bool,
    data: String,
    has_data: bool,
    event: String,
    id: Option<String>,
    last_event_id: String,
}

impl SseParser {
    pub fn new() -> SseParser {
        SseParser::default()
    }

    /// The id of the last event that had one (what a reconnection resumes
    /// after).
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Reads the next chunk of the stream; returns the events it
    /// completes, in order.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        let mut bytes = chunk;
        if self.after_cr && !bytes.is_empty() {
            self.after_cr = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        while let Some(end) = bytes.iter().position(|b| *b == b'\r' || *b == b'\n') {
            self.line.extend_from_slice(&bytes[..end]);
            let line = std::mem::take(&mut self.line);
            if let Some(event) = self.process_line(&line) {
                events.push(event);
            }
            let crlf = bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n');
            if bytes[end] == b'\r' && end + 1 == bytes.len() {
                self.after_cr = true;
            }
            bytes = &bytes[end + if crlf { 2 } else { 1 }..];
        }
        self.line.extend_from_slice(bytes);
        events
    }

    fn process_line(&mut self, raw: &[u8]) -> Option<SseEvent> {
        let mut raw = raw;
        if !self.started {
            self.started = true;
            raw = raw.strip_prefix("\u{feff}".as_bytes()).unwrap_or(raw);
        }
        if raw.is_empty() {
            return self.dispatch();
        }
        if raw.starts_with(b":") {
            return None;
        }
        let line = String::from_utf8_lossy(raw);
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => {
                self.id = Some(value.to_owned());
                value.clone_into(&mut self.last_event_id);
            }
            // `retry` is ignored: reconnection follows the widget's own
            // backoff (`delivery::reconnect`).
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let id = self.id.take();
        let event = std::mem::take(&mut self.event);
        if !std::mem::replace(&mut self.has_data, false) {
            self.data.clear();
            return None;
        }
        Some(SseEvent {
            event: if event.is_empty() {
                "message".to_owned()
            } else {
                event
            },
            data: std::mem::take(&mut self.data),
            id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: &str, data: &str, id: Option<&str>) -> SseEvent {
        SseEvent {
            event: event.to_owned(),
            data: data.to_owned(),
            id: id.map(str::to_owned),
        }
    }

    /// Feeds `stream` split at every byte boundary given, and returns all
    /// events.
    fn parse_split(stream: &[u8], cuts: &[usize]) -> Vec<SseEvent> {
        let mut parser = SseParser::new();
        let mut events = Vec::new();
        let mut from = 0;
        for &cut in cuts.iter().chain(std::iter::once(&stream.len())) {
            events.extend(parser.feed(&stream[from..cut]));
            from = cut;
        }
        events
    }

    const STREAM: &str =
        "\u{feff}: heartbeat\r\n\r\nid: 7\r\nevent: message\r\ndata: {\"text\":\"città\"}\r\n\r\n\
                          event: typing\ndata: {}\n\n\
                          : keep-alive\r\
                          id: 8\revent: end\rdata: a\rdata:b\rdata\r\r";

    fn expected() -> Vec<SseEvent> {
        vec![
            ev("message", "{\"text\":\"città\"}", Some("7")),
            ev("typing", "{}", None),
            ev("end", "a\nb\n", Some("8")),
        ]
    }

    #[test]
    fn a_whole_stream_gives_each_event_once_with_its_own_id() {
        assert_eq!(parse_split(STREAM.as_bytes(), &[]), expected());
    }

    #[test]
    fn chunks_may_end_anywhere_even_inside_crlf_or_a_utf8_sequence() {
        let bytes = STREAM.as_bytes();
        for cut in 0..=bytes.len() {
            assert_eq!(parse_split(bytes, &[cut]), expected(), "cut at {cut}");
        }
        let every_byte: Vec<usize> = (1..bytes.len()).collect();
        assert_eq!(parse_split(bytes, &every_byte), expected());
        // Empty chunks (a read that brought nothing) change nothing, even
        // between CR and LF.
        let doubled: Vec<usize> = (1..bytes.len()).flat_map(|i| [i, i]).collect();
        assert_eq!(parse_split(bytes, &doubled), expected());
    }

    #[test]
    fn the_last_event_id_carries_over_to_events_without_one() {
        let mut parser = SseParser::new();
        let events = parser.feed(b"id: 3\ndata: x\n\ndata: y\n\n");
        assert_eq!(
            events,
            vec![ev("message", "x", Some("3")), ev("message", "y", None)]
        );
        assert_eq!(parser.last_event_id(), "3");
    }

    #[test]
    fn comments_unknown_fields_and_events_without_data_dispatch_nothing() {
        let mut parser = SseParser::new();
        let events = parser.feed(b": hi\nretry: 10\nfoo: bar\nevent: end\n\nid: 5\n\n");
        assert!(events.is_empty(), "{events:?}");
        // An event without data still moves the last event id...
        assert_eq!(parser.last_event_id(), "5");
        // ...and its type does not leak into the next event.
        assert_eq!(parser.feed(b"data: z\n\n"), vec![ev("message", "z", None)]);
    }

    #[test]
    fn only_one_space_after_the_colon_is_removed_and_a_line_without_colon_is_a_field() {
        let mut parser = SseParser::new();
        let events = parser.feed(b"data:  two spaces\ndata\ndata:x:y\n\n");
        assert_eq!(events, vec![ev("message", " two spaces\n\nx:y", None)]);
    }

    #[test]
    fn an_id_with_nul_is_ignored_and_an_empty_id_resets() {
        let mut parser = SseParser::new();
        parser.feed(b"id: 4\ndata: a\n\n");
        parser.feed(b"id: 9\0\ndata: b\n\n");
        assert_eq!(parser.last_event_id(), "4");
        let events = parser.feed(b"id\ndata: c\n\n");
        assert_eq!(events, vec![ev("message", "c", Some(""))]);
        assert_eq!(parser.last_event_id(), "");
    }

    #[test]
    fn an_incomplete_event_at_the_end_is_never_dispatched() {
        let mut parser = SseParser::new();
        assert!(parser.feed(b"id: 1\ndata: half").is_empty());
        assert!(parser.feed(b"\n").is_empty());
    }

    #[test]
    fn a_bom_only_leads_the_stream_and_invalid_utf8_is_replaced() {
        let mut parser = SseParser::new();
        let events = parser.feed(b"data: \xff\n\n");
        assert_eq!(events, vec![ev("message", "\u{fffd}", None)]);
        // A BOM later on is content, not skipped.
        let events = parser.feed("data: \u{feff}x\n\n".as_bytes());
        assert_eq!(events, vec![ev("message", "\u{feff}x", None)]);
    }
}
