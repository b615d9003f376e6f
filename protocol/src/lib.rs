//! The contract between the widget (in the visitor's browser) and the server.
//!
//! Every JSON body that crosses the wire is one of these types, used by both
//! sides: the widget deserialises exactly what the server serialises. Keep
//! this crate free of behaviour (validation and rules live in `varco-core`)
//! and of heavy dependencies (it is compiled into the WASM).

use serde::{Deserialize, Serialize};

pub mod booking;
pub mod chat;
pub mod desk;
pub mod feedback;
pub mod json;
mod json_app;
mod json_impls;
pub mod kb;
pub mod live;
pub mod navigation;
pub mod reports;
pub mod sorted_map;

pub use sorted_map::SortedMap;

/// API version prefix, under the site's `data-api` base URL.
pub const API_V1: &str = "/v1";

/// A user-visible string: either the same in every language, or one per
/// language code (`{"it": "...", "en": "..."}`).
///
/// Serialised untagged. Deserialised by [`LocalizedVisitor`], not by
/// `#[serde(untagged)]`: an untagged derive buffers every value and builds
/// (and formats) an error for each variant that does not match, which the
/// banner's first paint would pay for each text of the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Localized {
    Plain(String),
    ByLanguage(SortedMap<String>),
}

struct LocalizedVisitor;

impl<'de> serde::de::Visitor<'de> for LocalizedVisitor {
    type Value = Localized;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a text, or an object of texts by language code")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Localized, E> {
        Ok(Localized::Plain(text.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, text: String) -> Result<Localized, E> {
        Ok(Localized::Plain(text))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Localized, A::Error> {
        let mut by_language = SortedMap::new();
        while let Some((lang, text)) = map.next_entry::<String, String>()? {
            by_language.insert(lang, text);
        }
        Ok(Localized::ByLanguage(by_language))
    }
}

impl<'de> Deserialize<'de> for Localized {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LocalizedVisitor)
    }
}

impl Localized {
    /// The text for `lang`, falling back to Italian (the sites' first
    /// language), then to any language present.
    pub fn get(&self, lang: &str) -> &str {
        match self {
            Localized::Plain(s) => s,
            Localized::ByLanguage(map) => map
                .get(lang)
                .or_else(|| map.get("it"))
                .or_else(|| map.values().next())
                .map(String::as_str)
                .unwrap_or(""),
        }
    }

    pub fn is_blank(&self) -> bool {
        match self {
            Localized::Plain(s) => s.trim().is_empty(),
            Localized::ByLanguage(map) => map.values().all(|s| s.trim().is_empty()),
        }
    }
}

impl From<&str> for Localized {
    fn from(s: &str) -> Self {
        Localized::Plain(s.to_owned())
    }
}

/// What a third party in a consent category is, so that the configuration
/// checks can refuse an analytics or profiling service filed as necessary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceKind {
    Technical,
    Analytics,
    Profiling,
    Personalisation,
    Embed,
    #[default]
    Other,
}

/// A third-party (or first-party) service declared inside a category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    #[serde(default)]
    pub kind: ServiceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Localized>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Localized>,
    /// Cookie name patterns; `*` matches any run of characters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cookies: Vec<String>,
}

/// A consent category (`necessari`, `analitici`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Localized>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Localized>,
    /// Necessary categories are always on and cannot be turned off.
    #[serde(default)]
    pub necessary: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<Service>,
}

/// The assistant's public settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AssistantConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_chat_privacy_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_privacy_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms_revision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// The public configuration of one site: what the widget needs to show the
/// banner and the assistant. It comes from the page's JSON block
/// (`<script type="application/json" id="varco-config">`) and from
/// `GET /api/v1/sites/{id}`, which serves the same shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SiteConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie_policy_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assistant: Option<AssistantConfig>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Category>,
    /// Per-language overrides of the widget's texts, by text key.
    #[serde(default, skip_serializing_if = "SortedMap::is_empty")]
    pub texts: SortedMap<SortedMap<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentSettings>,
    /// Navigation data: when page views are recorded and how many are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub navigation: Option<navigation::NavigationSettings>,
}

/// How the consent manager behaves on a site. Every field has a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ConsentSettings {
    /// Days an acceptance is kept (default 365).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept_days: Option<u32>,
    /// Days a refusal is kept before the banner may ask again (default 180,
    /// the Garante's six months; never less).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refuse_days: Option<u32>,
    /// `local` (localStorage, default) or `cookie` (so server code can read it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    /// Honour `navigator.globalPrivacyControl` (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respect_gpc: Option<bool>,
    /// Show the small button that reopens the preferences (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floating_button: Option<bool>,
    /// What changed in the current revision, shown when the banner asks again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_note: Option<Localized>,
    /// Consent signals for the page's analytics tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signals: Option<ConsentSignals>,
}

/// Consent signals that analytics tools on the page understand, each
/// mapped to the category whose consent grants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ConsentSignals {
    /// Matomo (Web Analytics Italia): the category that lets it keep its
    /// cookies. Until then Matomo counts without them
    /// (`_paq.push(['requireCookieConsent'])`); a decision gives or
    /// forgets that consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matomo: Option<String>,
    /// Google Consent Mode v2: each consent type (`analytics_storage`,
    /// `ad_storage`, `ad_user_data`, `ad_personalization`, ...) with the
    /// category that grants it. Every type listed starts `denied`.
    #[serde(default, skip_serializing_if = "SortedMap::is_empty")]
    pub google_consent_mode: SortedMap<String>,
}

/// What the visitor did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentAction {
    AcceptAll,
    RejectAll,
    Close,
    Custom,
    Withdraw,
}

impl ConsentAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentAction::AcceptAll => "accept_all",
            ConsentAction::RejectAll => "reject_all",
            ConsentAction::Close => "close",
            ConsentAction::Custom => "custom",
            ConsentAction::Withdraw => "withdraw",
        }
    }
}

/// `POST /api/v1/consents`: the proof of one decision. Deliberately no IP,
/// no user agent, no UserID, no Thread ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRecord {
    /// New for each record (UUID v4): a retried record is stored once.
    pub record_id: String,
    /// The same for one browser until it is reset (UUID v4).
    pub consent_id: String,
    pub site: String,
    /// RFC 3339, the browser's clock.
    pub decided_at: String,
    pub revision: String,
    pub accepted: Vec<String>,
    pub rejected: Vec<String>,
    pub action: ConsentAction,
    pub language: String,
    /// Hash of the banner texts shown to the visitor.
    pub texts_hash: String,
    /// The third parties (`category/name`) the choice lets run: those of
    /// the accepted categories that the visitor did not switch off.
    /// Empty in records made before per-service consent.
    #[serde(default)]
    pub services_accepted: Vec<String>,
    /// The third parties that may not run: switched off alone, or in a
    /// rejected category.
    #[serde(default)]
    pub services_rejected: Vec<String>,
}

/// Answer to `POST /api/v1/consents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentReceipt {
    pub seq: i64,
    pub received_at: String,
    /// True when this `record_id` had been stored already.
    pub duplicate: bool,
}

/// The body of every 4xx/5xx answer of the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// A stable, machine-readable code (`not_found`, `origin_not_allowed`, ...).
    pub error: String,
    /// A sentence for the developer reading the console.
    pub message: String,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localized_falls_back_to_italian() {
        let t: Localized = serde_json::from_str(r#"{"it":"Chiudi","en":"Close"}"#).unwrap();
        assert_eq!(t.get("en"), "Close");
        assert_eq!(t.get("de"), "Chiudi");
        let p: Localized = serde_json::from_str(r#""Chiudi""#).unwrap();
        assert_eq!(p.get("en"), "Chiudi");
    }

    #[test]
    fn localized_round_trips_and_refuses_other_shapes() {
        for json in [r#""Chiudi""#, r#"{"en":"Close","it":"Chiudi"}"#, "{}"] {
            let t: Localized = serde_json::from_str(json).unwrap();
            assert_eq!(serde_json::to_string(&t).unwrap(), json);
        }
        for bad in ["3", "null", r#"["Chiudi"]"#] {
            let err = serde_json::from_str::<Localized>(bad).unwrap_err();
            assert!(
                err.to_string()
                    .contains("a text, or an object of texts by language code"),
                "{bad}: {err}"
            );
        }
        // A wrong value inside a map names what was expected there.
        let err = serde_json::from_str::<Localized>(r#"{"it":3}"#).unwrap_err();
        assert!(err.to_string().contains("expected a string"), "{err}");
    }

    #[test]
    fn site_config_round_trips() {
        let json = r#"{"revision":"1","categories":[{"id":"necessari","necessary":true,
            "services":[{"name":"Varco","kind":"technical","cookies":["varco.*"]}]}]}"#;
        let cfg: SiteConfig = serde_json::from_str(json).unwrap();
        assert_eq!(cfg.categories[0].services[0].kind, ServiceKind::Technical);
        let back: SiteConfig = serde_json::from_str(&serde_json::to_string(&cfg).unwrap()).unwrap();
        assert_eq!(cfg, back);
    }
}
