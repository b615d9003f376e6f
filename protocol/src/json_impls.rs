//! [`FromJson`] and [`ToJson`] for the wire types the light part reads and
//! writes, field for field as their serde derives (same names, same
//! defaults, same skipped fields, same order). `protocol/tests/json.rs`
//! compares both on values with every field set, so a field added to a
//! type and forgotten here fails there.

use crate::json::{write_str, Fields, FromJson, Object, ToJson, Value};
use crate::navigation::{
    Collect, NavigationBatch, NavigationReceipt, NavigationSettings, PageView, Recommendation,
    Recommendations,
};
use crate::{
    ApiError, AssistantConfig, Category, ConsentAction, ConsentRecord, ConsentSettings,
    ConsentSignals, Localized, Service, ServiceKind, SiteConfig,
};

/// A unit enum written as one of its names (serde's `rename_all`).
macro_rules! named_enum {
    ($t:ty { $($variant:ident = $name:literal),* $(,)? }) => {
        impl FromJson for $t {
            fn from_json(value: &Value) -> Option<Self> {
                match value.as_str() {
                    $(Some($name) => Some(<$t>::$variant),)*
                    _ => crate::json::expected(
                        concat!("one of" $(, " ", "\"", $name, "\"")*),
                        value,
                    ),
                }
            }
        }
        impl ToJson for $t {
            fn write_json(&self, out: &mut String) {
                write_str(out, match self { $(<$t>::$variant => $name,)* });
            }
        }
    };
}
// For `crate::json_app`, which calls it with the same names in scope.
pub(crate) use named_enum;

named_enum!(ServiceKind {
    Technical = "technical",
    Analytics = "analytics",
    Profiling = "profiling",
    Personalisation = "personalisation",
    Embed = "embed",
    Other = "other",
});

named_enum!(ConsentAction {
    AcceptAll = "accept_all",
    RejectAll = "reject_all",
    Close = "close",
    Custom = "custom",
    Withdraw = "withdraw",
});

named_enum!(Collect {
    Always = "always",
    AfterConsent = "after-consent",
    Off = "off",
});

impl FromJson for Localized {
    fn from_json(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) => Some(Localized::Plain(s.clone())),
            Value::Object(_) => FromJson::from_json(value).map(Localized::ByLanguage),
            other => crate::json::expected("a text, or an object of texts by language code", other),
        }
    }
}

impl ToJson for Localized {
    fn write_json(&self, out: &mut String) {
        match self {
            Localized::Plain(s) => write_str(out, s),
            Localized::ByLanguage(map) => map.write_json(out),
        }
    }
}

impl FromJson for Service {
    fn from_json(value: &Value) -> Option<Self> {
        let f = Fields::of(value)?;
        Some(Service {
            name: f.required("name")?,
            kind: f.or_default("kind")?,
            purpose: f.or_default("purpose")?,
            retention: f.or_default("retention")?,
            cookies: f.or_default("cookies")?,
        })
    }
}

impl ToJson for Service {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .some("purpose", &self.purpose)
            .some("retention", &self.retention)
            .non_empty("cookies", &self.cookies, self.cookies.is_empty())
            .end();
    }
}

impl FromJson for Category {
    fn from_json(value: &Value) -> Option<Self> {
        let f = Fields::of(value)?;
        Some(Category {
            id: f.required("id")?,
            title: f.or_default("title")?,
            description: f.or_default("description")?,
            necessary: f.or_default("necessary")?,
            services: f.or_default("services")?,
        })
    }
}

impl ToJson for Category {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("id", &self.id)
            .some("title", &self.title)
            .some("description", &self.description)
            .field("necessary", &self.necessary)
            .non_empty("services", &self.services, self.services.is_empty())
            .end();
    }
}

impl FromJson for AssistantConfig {
    fn from_json(value: &Value) -> Option<Self> {
        let f = Fields::of(value)?;
        Some(AssistantConfig {
            name: f.or_default("name")?,
            privacy_url: f.or_default("privacy_url")?,
            live_chat_privacy_url: f.or_default("live_chat_privacy_url")?,
            booking_privacy_url: f.or_default("booking_privacy_url")?,
            terms_revision: f.or_default("terms_revision")?,
            enabled: f.or_default("enabled")?,
        })
    }
}

impl ToJson for AssistantConfig {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .some("name", &self.name)
            .some("privacy_url", &self.privacy_url)
            .some("live_chat_privacy_url", &self.live_chat_privacy_url)
            .some("booking_privacy_url", &self.booking_privacy_url)
            .some("terms_revision", &self.terms_revision)
            .some("enabled", &self.enabled)
            .end();
    }
}

impl FromJson for SiteConfig {
    fn from_json(value: &Value) -> Option<Self> {
        let f = Fields::of(value)?;
        Some(SiteConfig {
            site: f.or_default("site")?,
            revision: f.or_default("revision")?,
            cookie_policy_url: f.or_default("cookie_policy_url")?,
            privacy_url: f.or_default("privacy_url")?,
            assistant: f.or_default("assistant")?,
            categories: f.or_default("categories")?,
            texts: f.or_default("texts")?,
            consent: f.or_default("consent")?,
            navigation: f.or_default("navigation")?,
        })
    }
}

impl ToJson for SiteConfig {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .some("site", &self.site)
            .some("revision", &self.revision)
            .some("cookie_policy_url", &self.cookie_policy_url)
            .some("privacy_url", &self.privacy_url)
            .some("assistant", &self.assistant)
            .non_empty("categories", &self.categories, self.categories.is_empty())
            .non_empty("texts", &self.texts, self.texts.is_empty())
            .some("consent", &self.consent)
            .some("navigation", &self.navigation)
            .end();
    }
}

impl FromJson for ConsentSettings {
    fn from_json(value: &Value) -> Option<Self> {
        let f = Fields::of(value)?;
        Some(ConsentSettings {
            accept_days: f.or_default("accept_days")?,
            refuse_days: f.or_default("refuse_days")?,
            storage: f.or_default("storage")?,
            respect_gpc: f.or_default("respect_gpc")?,
            floating_button: f.or_default("floating_button")?,
            revision_note: f.or_default("revision_note")?,
            signals: f.or_default("signals")?,
        })
    }
}

impl ToJson for ConsentSettings {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .some("accept_days", &self.accept_days)
            .some("refuse_days", &self.refuse_days)
            .some("storage", &self.storage)
            .some("respect_gpc", &self.respect_gpc)
            .some("floating_button", &self.floating_button)
            .some("revision_note", &self.revision_note)
            .some("signals", &self.signals)
            .end();
    }
}

impl FromJson for ConsentSignals {
    fn from_json(value: &Value) -> Option<Self> {
        let f = Fields::of(value)?;
        Some(ConsentSignals {
            matomo: f.or_default("matomo")?,
            google_consent_mode: f.or_default("google_consent_mode")?,
        })
    }
}

impl ToJson for ConsentSignals {
    fn write_json(&self, out: &mut String) {
        let modes = &self.google_consent_mode;
        Object::new(out)
            .some("matomo", &self.matomo)
            .non_empty("google_consent_mode", modes, modes.is_empty())
            .end();
    }
}

impl FromJson for NavigationSettings {
    fn from_json(value: &Value) -> Option<Self> {
        let f = Fields::of(value)?;
        Some(NavigationSettings {
            collect: f.or_default("collect")?,
            max_entries: f.or_default("max_entries")?,
            max_days: f.or_default("max_days")?,
            allowed_query_params: f.or_default("allowed_query_params")?,
            keep_local_on_withdrawal: f.or_default("keep_local_on_withdrawal")?,
            local_suggestions: f.or_default("local_suggestions")?,
        })
    }
}

impl ToJson for NavigationSettings {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .some("collect", &self.collect)
            .some("max_entries", &self.max_entries)
            .some("max_days", &self.max_days)
            .some("allowed_query_params", &self.allowed_query_params)
            .some("keep_local_on_withdrawal", &self.keep_local_on_withdrawal)
            .some("local_suggestions", &self.local_suggestions)
            .end();
    }
}

impl ToJson for ConsentRecord {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("record_id", &self.record_id)
            .field("consent_id", &self.consent_id)
            .field("site", &self.site)
            .field("decided_at", &self.decided_at)
            .field("revision", &self.revision)
            .field("accepted", &self.accepted)
            .field("rejected", &self.rejected)
            .field("action", &self.action)
            .field("language", &self.language)
            .field("texts_hash", &self.texts_hash)
            .field("services_accepted", &self.services_accepted)
            .field("services_rejected", &self.services_rejected)
            .end();
    }
}

impl FromJson for ConsentRecord {
    fn from_json(value: &Value) -> Option<Self> {
        let f = Fields::of(value)?;
        f.only(&[
            "record_id",
            "consent_id",
            "site",
            "decided_at",
            "revision",
            "accepted",
            "rejected",
            "action",
            "language",
            "texts_hash",
            "services_accepted",
            "services_rejected",
        ])?;
        Some(ConsentRecord {
            record_id: f.required("record_id")?,
            consent_id: f.required("consent_id")?,
            site: f.required("site")?,
            decided_at: f.required("decided_at")?,
            revision: f.required("revision")?,
            accepted: f.required("accepted")?,
            rejected: f.required("rejected")?,
            action: f.required("action")?,
            language: f.required("language")?,
            texts_hash: f.required("texts_hash")?,
            services_accepted: f.or_default("services_accepted")?,
            services_rejected: f.or_default("services_rejected")?,
        })
    }
}

/// The app writes it without serde, which would add its own code for one
/// body to the assistant's download.
impl ToJson for crate::live::LeaveMessage {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("client_message_id", &self.client_message_id)
            .field("text", &self.text)
            .field("email", &self.email)
            .field("consent", &self.consent)
            .end();
    }
}

impl ToJson for PageView {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("key", &self.key)
            .field("path", &self.path)
            .field("title", &self.title)
            .field("visited_at", &self.visited_at)
            .end();
    }
}

impl ToJson for NavigationBatch {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("site", &self.site)
            .field("user_id", &self.user_id)
            .field("entries", &self.entries)
            .end();
    }
}

impl FromJson for Recommendation {
    fn from_json(value: &Value) -> Option<Self> {
        let f = Fields::of(value)?;
        Some(Recommendation {
            title: f.required("title")?,
            url: f.or_default("url")?,
            topic: f.or_default("topic")?,
        })
    }
}

crate::plain_json_object!(ApiError { error, message });
crate::plain_json_object!(NavigationReceipt { stored, duplicates });

impl FromJson for Recommendations {
    fn from_json(value: &Value) -> Option<Self> {
        Some(Recommendations {
            items: Fields::of(value)?.required("items")?,
        })
    }
}

/// The app sends feedback without serde (see [`crate::live::LeaveMessage`]).
impl ToJson for crate::feedback::ThreadFeedback {
    fn write_json(&self, out: &mut String) {
        use crate::feedback::ThreadFeedback;
        let mut object = Object::new(out);
        match self {
            ThreadFeedback::Answer { event_id, helped } => object
                .field("about", "answer")
                .field("event_id", event_id)
                .field("helped", helped),
            ThreadFeedback::AnswerReason {
                event_id,
                reason,
                comment,
            } => object
                .field("about", "answer_reason")
                .field("event_id", event_id)
                .field("reason", reason.as_str())
                .some("comment", comment),
            ThreadFeedback::LiveChat { rating, comment } => object
                .field("about", "live_chat")
                .field("rating", rating)
                .some("comment", comment),
        };
        object.end();
    }
}

impl ToJson for crate::feedback::BookingFeedback {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("site", &self.site)
            .field("code", &self.code)
            .field("rating", &self.rating)
            .some("comment", &self.comment)
            .end();
    }
}
