//! [`FromJson`] and [`ToJson`] for the wire types the app module (the
//! assistant, the live chat, the booking flow) reads and writes, so that it
//! can leave serde and `serde_json` out of its WebAssembly. As in
//! [`crate::json_impls`], each impl is the serde derive's behaviour field
//! for field: the same names, defaults, skipped fields and order, unknown
//! fields ignored except where the type denies them.
//! `protocol/tests/json.rs` compares both.

use crate::booking::{
    Availability, BookingConfirmation, BookingOptions, CancelBooking, DaySlots, FieldError,
    FieldErrors, NewBooking, OfficeOption, Person, ServiceOption, SlotInfo,
};
use crate::chat::{
    AnswerLink, Author, BookingChoice, ChatEvent, ChatMessage, NewMessage, NewThread,
};
use crate::json::{write_str, Fields, FromJson, Object, ToJson, Value};
use crate::json_impls::named_enum;
use crate::live::{LiveState, LiveStatus};
use crate::{plain_json_object, Health};

/// [`FromJson`] and [`ToJson`] for a struct with
/// `#[serde(deny_unknown_fields)]` whose fields are all required and always
/// written, in this order.
macro_rules! strict_json_object {
    ($t:ident { $($field:ident),+ $(,)? }) => {
        impl FromJson for $t {
            fn from_json(value: &Value) -> Option<Self> {
                let f = Fields::of(value)?;
                f.only(&[$(stringify!($field)),+])?;
                Some($t { $($field: f.required(stringify!($field))?),+ })
            }
        }
        impl ToJson for $t {
            fn write_json(&self, out: &mut String) {
                let mut object = Object::new(out);
                $(object.field(stringify!($field), &self.$field);)+
                object.end();
            }
        }
    };
}

// The assistant's threads (`crate::chat`).

named_enum!(Author {
    Visitor = "visitor",
    Assistant = "assistant",
    Operator = "operator",
    System = "system",
});

named_enum!(LiveState {
    Waiting = "waiting",
    Connected = "connected",
    Closed = "closed",
    Unavailable = "unavailable",
    Offline = "offline",
    MessageLeft = "message_left",
});

strict_json_object!(NewThread {
    thread_id,
    site,
    language,
    terms_revision,
});

strict_json_object!(NewMessage {
    client_message_id,
    text,
});

plain_json_object!(AnswerLink { title, url });

impl FromJson for BookingChoice {
    fn from_json(value: &Value) -> Option<Self> {
        let f = Fields::of(value)?;
        Some(BookingChoice {
            service: f.or_default("service")?,
            office: f.or_default("office")?,
        })
    }
}

impl ToJson for BookingChoice {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .some("service", &self.service)
            .some("office", &self.office)
            .end();
    }
}

impl FromJson for ChatMessage {
    fn from_json(value: &Value) -> Option<Self> {
        let f = Fields::of(value)?;
        Some(ChatMessage {
            author: f.required("author")?,
            text: f.required("text")?,
            client_message_id: f.or_default("client_message_id")?,
            created_at: f.required("created_at")?,
            topic: f.or_default("topic")?,
            links: f.or_default("links")?,
            quick_replies: f.or_default("quick_replies")?,
            live: f.or_default("live")?,
            booking: f.or_default("booking")?,
        })
    }
}

impl ToJson for ChatMessage {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("author", &self.author)
            .field("text", &self.text)
            .some("client_message_id", &self.client_message_id)
            .field("created_at", &self.created_at)
            .some("topic", &self.topic)
            .non_empty("links", &self.links, self.links.is_empty())
            .non_empty(
                "quick_replies",
                &self.quick_replies,
                self.quick_replies.is_empty(),
            )
            .some("live", &self.live)
            .some("booking", &self.booking)
            .end();
    }
}

/// `#[serde(tag = "kind", rename_all = "snake_case")]`: the tag, wherever
/// it stands in the object, names the variant, whose fields are read from
/// the same object (the tag one more unknown field there); a unit variant
/// ignores any other field. Written: the tag first, then the variant's
/// fields.
impl FromJson for ChatEvent {
    fn from_json(value: &Value) -> Option<Self> {
        let f = Fields::of(value)?;
        let kind: String = f.required("kind")?;
        Some(match kind.as_str() {
            "message" => ChatEvent::Message {
                message: f.required("message")?,
            },
            "typing" => ChatEvent::Typing {
                author: f.required("author")?,
            },
            "delta" => ChatEvent::Delta {
                text: f.required("text")?,
            },
            "end" => ChatEvent::End,
            "queue" => ChatEvent::Queue {
                position: f.required("position")?,
            },
            _ => return None,
        })
    }
}

impl ToJson for ChatEvent {
    fn write_json(&self, out: &mut String) {
        let mut object = Object::new(out);
        match self {
            ChatEvent::Message { message } => {
                object.field("kind", "message").field("message", message)
            }
            ChatEvent::Typing { author } => object.field("kind", "typing").field("author", author),
            ChatEvent::Delta { text } => object.field("kind", "delta").field("text", text),
            ChatEvent::End => object.field("kind", "end"),
            ChatEvent::Queue { position } => {
                object.field("kind", "queue").field("position", position)
            }
        };
        object.end();
    }
}

// The live chat (`crate::live`).

impl FromJson for LiveStatus {
    fn from_json(value: &Value) -> Option<Self> {
        let f = Fields::of(value)?;
        Some(LiveStatus {
            open: f.required("open")?,
            opens_at: f.or_default("opens_at")?,
            closes_at: f.or_default("closes_at")?,
        })
    }
}

impl ToJson for LiveStatus {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("open", &self.open)
            .some("opens_at", &self.opens_at)
            .some("closes_at", &self.closes_at)
            .end();
    }
}

// Appointments (`crate::booking`).

plain_json_object!(BookingOptions { services, offices });
plain_json_object!(ServiceOption { id, title });
plain_json_object!(OfficeOption {
    id,
    name,
    address,
    services,
});
plain_json_object!(Availability { days });
plain_json_object!(DaySlots { date, slots });
plain_json_object!(SlotInfo { start, end, free });
plain_json_object!(BookingConfirmation {
    code,
    service,
    office,
    address,
    date,
    start,
    end,
    ics,
});
plain_json_object!(FieldErrors { error, fields });
plain_json_object!(FieldError {
    field,
    code,
    message,
});

strict_json_object!(Person {
    nome,
    cognome,
    codice_fiscale,
    telefono,
    email,
});

strict_json_object!(CancelBooking { site, email });

impl FromJson for NewBooking {
    fn from_json(value: &Value) -> Option<Self> {
        let f = Fields::of(value)?;
        f.only(&[
            "site",
            "request_id",
            "service",
            "office",
            "date",
            "start",
            "person",
            "privacy_acknowledged",
            "language",
        ])?;
        Some(NewBooking {
            site: f.required("site")?,
            request_id: f.required("request_id")?,
            service: f.required("service")?,
            office: f.required("office")?,
            date: f.required("date")?,
            start: f.required("start")?,
            person: f.required("person")?,
            privacy_acknowledged: f.required("privacy_acknowledged")?,
            language: f.or_default("language")?,
        })
    }
}

impl ToJson for NewBooking {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("site", &self.site)
            .field("request_id", &self.request_id)
            .field("service", &self.service)
            .field("office", &self.office)
            .field("date", &self.date)
            .field("start", &self.start)
            .field("person", &self.person)
            .field("privacy_acknowledged", &self.privacy_acknowledged)
            .some("language", &self.language)
            .end();
    }
}

// The service (`crate`).

plain_json_object!(Health { status, version });
