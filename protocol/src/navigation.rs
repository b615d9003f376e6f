//! Navigation data: the site configuration's `navigation` section and the
//! bodies of `POST /api/v1/navigation` (upload of page views) and of the
//! recommendations built from them.
//!
//! The page views of one browser are grouped under a UserID (UUID v4) that
//! the widget makes with the first record. The UserID travels alone: no
//! other identifier made by the widget is ever sent, stored or logged with
//! it (see the invariants in ARCHITECTURE.md). Withdrawing consent deletes
//! everything stored for a UserID with `DELETE /api/v1/users/{user_id}`.

use serde::{Deserialize, Serialize};

/// Most page views in one [`NavigationBatch`].
pub const MAX_BATCH_ENTRIES: usize = 100;
/// Longest [`PageView::path`], in characters (Unicode scalar values).
pub const MAX_PATH_CHARS: usize = 512;
/// Longest [`PageView::title`], in characters (Unicode scalar values).
pub const MAX_TITLE_CHARS: usize = 200;

/// When the widget records page views on a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Collect {
    /// Kept in the visitor's browser from the first page, before any
    /// consent; uploaded only once `personalizzazione` is granted.
    #[default]
    Always,
    /// Nothing is recorded until `personalizzazione` is granted.
    AfterConsent,
    /// Nothing is recorded.
    Off,
}

/// The site configuration's optional `navigation` section. Every field has
/// a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NavigationSettings {
    /// `always` (default), `after-consent` or `off`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collect: Option<Collect>,
    /// Most page views kept in the browser (default 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_entries: Option<u32>,
    /// Days a page view is kept in the browser (default 365).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_days: Option<u32>,
    /// Query parameters kept in recorded paths (default none: the query
    /// string is dropped). The fragment is always dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_query_params: Option<Vec<String>>,
    /// Keep the local history when `personalizzazione` is withdrawn
    /// (default false: it is cleared with its UserID). The server's copy is
    /// deleted either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_local_on_withdrawal: Option<bool>,
    /// Suggest pages from the local history, without the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_suggestions: Option<bool>,
}

/// One page view, as uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageView {
    /// Idempotency key (UUID v4), made when the view is recorded: the
    /// server stores each key once, so the widget may retry freely.
    pub key: String,
    /// Path with only the site's allowed query parameters, no fragment; at
    /// most [`MAX_PATH_CHARS`] characters.
    pub path: String,
    /// The page's title, at most [`MAX_TITLE_CHARS`] characters.
    pub title: String,
    /// RFC 3339 UTC, the browser's clock.
    pub visited_at: String,
}

/// `POST /api/v1/navigation`: page views of one UserID, oldest first, at
/// most [`MAX_BATCH_ENTRIES`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NavigationBatch {
    pub site: String,
    /// UUID v4, the same for one browser until consent is withdrawn.
    pub user_id: String,
    pub entries: Vec<PageView>,
}

/// The answer to [`NavigationBatch`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NavigationReceipt {
    /// Page views stored now.
    pub stored: u32,
    /// Page views whose key had been stored already (retries).
    pub duplicates: u32,
}

/// A page or topic suggested to the visitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
}

/// Suggestions for one UserID, best first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Recommendations {
    pub items: Vec<Recommendation>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

    #[test]
    fn collect_modes_are_kebab_case_and_default_to_always() {
        for (mode, json) in [
            (Collect::Always, r#""always""#),
            (Collect::AfterConsent, r#""after-consent""#),
            (Collect::Off, r#""off""#),
        ] {
            assert_eq!(serde_json::to_string(&mode).unwrap(), json);
            assert_eq!(serde_json::from_str::<Collect>(json).unwrap(), mode);
        }
        assert!(serde_json::from_str::<Collect>(r#""after_consent""#).is_err());
        assert_eq!(Collect::default(), Collect::Always);
    }

    #[test]
    fn settings_use_snake_case_keys_and_omit_defaults() {
        let json = r#"{"collect":"after-consent","max_entries":50,"max_days":30,
            "allowed_query_params":["q"],"keep_local_on_withdrawal":true,"local_suggestions":false}"#;
        let s: NavigationSettings = serde_json::from_str(json).unwrap();
        assert_eq!(s.collect, Some(Collect::AfterConsent));
        assert_eq!(s.max_entries, Some(50));
        assert_eq!(
            s.allowed_query_params.as_deref(),
            Some(&["q".to_owned()][..])
        );
        assert_eq!(s.keep_local_on_withdrawal, Some(true));
        assert_eq!(
            serde_json::to_string(&NavigationSettings::default()).unwrap(),
            "{}"
        );
    }

    #[test]
    fn unknown_fields_in_batches_are_refused() {
        let view = format!(
            r#"{{"key":"{ID}","path":"/","title":"Home","visited_at":"2026-11-22T10:00:00.000Z"}}"#
        );
        let ok = format!(r#"{{"site":"milomb","user_id":"{ID}","entries":[{view}]}}"#);
        let batch: NavigationBatch = serde_json::from_str(&ok).unwrap();
        assert_eq!(batch.entries[0].path, "/");
        let extra = format!(r#"{{"site":"milomb","user_id":"{ID}","entries":[],"other_id":"x"}}"#);
        assert!(serde_json::from_str::<NavigationBatch>(&extra).is_err());
        let extra_in_entry = ok.replace(r#""path":"/""#, r#""path":"/","other_id":"x""#);
        assert!(serde_json::from_str::<NavigationBatch>(&extra_in_entry).is_err());
    }
}
