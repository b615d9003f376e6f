//! Checks on what a webmaster configures: the script tag's `data-*`
//! attributes and the site configuration (JSON block or server TOML).
//!
//! Every problem is reported as a [`ConfigError`] naming the field and the
//! reason, so the console message (or `varco-server check-config`) tells the
//! webmaster exactly what to fix. A configuration with errors is never used:
//! the widget then stays off and managed scripts stay blocked (fail closed).

use crate::lang::Lang;
use std::fmt;
use varco_protocol::json::quoted;
use varco_protocol::navigation::{Collect, NavigationSettings};
use varco_protocol::{ServiceKind, SiteConfig};

/// One problem in a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Where: `data-site`, `categories[1].services[0].kind`, ...
    pub field: String,
    /// Why, in a sentence for the webmaster.
    pub reason: String,
}

impl ConfigError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.field, self.reason)
    }
}

/// Where the floating controls (launcher, preferences button) sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Position {
    #[default]
    BottomRight,
    BottomLeft,
}

/// The script tag's `data-*` attributes as read from the page, unchecked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmbedAttributes {
    pub site: Option<String>,
    pub api: Option<String>,
    pub position: Option<String>,
    pub lang: Option<String>,
}

/// The checked options of one embed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedOptions {
    pub site: String,
    /// Base URL of the API (`https://host/api`), without a trailing slash.
    /// `None`: the site has no backend; the banner runs alone.
    pub api: Option<String>,
    pub position: Position,
    /// Forces the language instead of following `<html lang>`.
    pub lang: Option<Lang>,
}

/// A site id: lowercase letters, digits and dashes, 1 to 63 characters,
/// starting with a letter or digit (it appears in URLs and file names).
pub fn check_site_id(id: &str) -> Result<(), String> {
    let ok_len = (1..=63).contains(&id.len());
    let ok_chars = id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let ok_start = id.bytes().next().is_some_and(|b| b != b'-');
    if ok_len && ok_chars && ok_start {
        Ok(())
    } else {
        Err(format!(
            "{} is not a site id: use 1 to 63 lowercase letters, digits or dashes, as in \"milomb\"",
            quoted(id)
        ))
    }
}

/// A link the widget will put in an `href`: an absolute `https:`/`http:` URL
/// or a path on the same site. Anything else (`javascript:`, `data:`...) is
/// refused.
pub fn check_link(url: &str) -> Result<(), String> {
    let u = url.trim();
    let lower = u.to_ascii_lowercase();
    if u.is_empty() {
        Err("is empty".into())
    } else if lower.starts_with("https://") || lower.starts_with("http://") || u.starts_with('/') {
        Ok(())
    } else {
        Err(format!(
            "{} must be an https:// or http:// URL or a path starting with /",
            quoted(u)
        ))
    }
}

/// Checks the script tag's attributes. The first problem found is returned:
/// the widget prints one console error and stays off.
pub fn parse_embed(attrs: &EmbedAttributes) -> Result<EmbedOptions, ConfigError> {
    let site = match attrs.site.as_deref().map(str::trim) {
        None | Some("") => {
            return Err(ConfigError::new(
                "data-site",
                "is missing: add data-site=\"<your site id>\" to the Varco script tag",
            ))
        }
        Some(s) => s,
    };
    check_site_id(site).map_err(|r| ConfigError::new("data-site", r))?;

    let api = match attrs.api.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(url) => {
            check_link(url).map_err(|r| ConfigError::new("data-api", r))?;
            Some(url.trim_end_matches('/').to_owned())
        }
    };

    let position = match attrs.position.as_deref().map(str::trim) {
        None | Some("") | Some("bottom-right") => Position::BottomRight,
        Some("bottom-left") => Position::BottomLeft,
        Some(other) => {
            return Err(ConfigError::new(
                "data-position",
                format!(
                    "{} is not a position: use \"bottom-right\" or \"bottom-left\"",
                    quoted(other)
                ),
            ))
        }
    };

    let lang = match attrs.lang.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(tag) if tag.eq_ignore_ascii_case("it") || tag.eq_ignore_ascii_case("en") => {
            Some(Lang::from_tag(tag))
        }
        Some(other) => {
            return Err(ConfigError::new(
                "data-lang",
                format!("{} is not a supported language: use \"it\" or \"en\", or leave it out to follow <html lang>", quoted(other)),
            ))
        }
    };

    Ok(EmbedOptions {
        site: site.to_owned(),
        api,
        position,
        lang,
    })
}

/// Checks a site configuration and returns every problem found (empty: fine).
pub fn check_site_config(cfg: &SiteConfig) -> Vec<ConfigError> {
    let mut errors = Vec::new();

    if let Some(site) = &cfg.site {
        if let Err(r) = check_site_id(site) {
            errors.push(ConfigError::new("site", r));
        }
    }
    for (field, url) in [
        ("cookie_policy_url", &cfg.cookie_policy_url),
        ("privacy_url", &cfg.privacy_url),
    ] {
        if let Some(url) = url {
            if let Err(r) = check_link(url) {
                errors.push(ConfigError::new(field, r));
            }
        }
    }
    if let Some(assistant) = &cfg.assistant {
        for (field, url) in [
            ("assistant.privacy_url", &assistant.privacy_url),
            (
                "assistant.live_chat_privacy_url",
                &assistant.live_chat_privacy_url,
            ),
            (
                "assistant.booking_privacy_url",
                &assistant.booking_privacy_url,
            ),
        ] {
            if let Some(url) = url {
                if let Err(r) = check_link(url) {
                    errors.push(ConfigError::new(field, r));
                }
            }
        }
    }

    if !cfg.categories.is_empty() && cfg.cookie_policy_url.is_none() {
        errors.push(ConfigError::new(
            "cookie_policy_url",
            "is missing: the banner must link the cookie policy (Garante, guidelines of 10 June 2021)",
        ));
    }

    let mut seen: Vec<&str> = Vec::new();
    for (i, cat) in cfg.categories.iter().enumerate() {
        let at = |rest: &str| format!("categories[{i}]{rest}");
        let id_ok = !cat.id.is_empty()
            && cat
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !id_ok {
            errors.push(ConfigError::new(
                at(".id"),
                format!(
                    "{} is not a category id: use lowercase letters, digits, - or _",
                    quoted(&cat.id)
                ),
            ));
        }
        if seen.contains(&cat.id.as_str()) {
            errors.push(ConfigError::new(
                at(".id"),
                format!("{} is declared twice", quoted(&cat.id)),
            ));
        }
        seen.push(&cat.id);

        if cat.description.as_ref().is_none_or(|d| d.is_blank()) {
            errors.push(ConfigError::new(
                at(".description"),
                format!(
                    "category {} has no description: visitors must be told what they consent to",
                    quoted(&cat.id)
                ),
            ));
        }
        if cat.necessary {
            for (j, service) in cat.services.iter().enumerate() {
                if matches!(
                    service.kind,
                    ServiceKind::Analytics | ServiceKind::Profiling
                ) {
                    errors.push(ConfigError::new(
                        at(&format!(".services[{j}].kind")),
                        format!(
                            "{} is an {} service and cannot be filed under the necessary category {}: it needs consent",
                            quoted(&service.name),
                            if service.kind == ServiceKind::Analytics { "analytics" } else { "profiling" },
                            quoted(&cat.id)
                        ),
                    ));
                }
            }
        }
    }
    if let Some(nav) = &cfg.navigation {
        check_navigation(nav, &mut errors);
    }
    if let Some(signals) = cfg.consent.as_ref().and_then(|c| c.signals.as_ref()) {
        check_signals(cfg, signals, &mut errors);
    }
    errors
}

/// Each signal names an optional category of the site (a necessary one
/// would grant it before any choice) and a consent type Consent Mode knows.
fn check_signals(
    cfg: &SiteConfig,
    signals: &varco_protocol::ConsentSignals,
    errors: &mut Vec<ConfigError>,
) {
    const NOT_OPTIONAL: &str = "must be an optional category of the site";
    let optional = |id: &str| cfg.categories.iter().any(|c| c.id == id && !c.necessary);
    if signals.matomo.as_deref().is_some_and(|id| !optional(id)) {
        errors.push(ConfigError::new("consent.signals.matomo", NOT_OPTIONAL));
    }
    for (kind, id) in &signals.google_consent_mode {
        let reason = if !crate::signals::CONSENT_MODE_TYPES.contains(&kind.as_str()) {
            "is not a Consent Mode v2 type"
        } else if !optional(id) {
            NOT_OPTIONAL
        } else {
            continue;
        };
        errors.push(ConfigError::new(
            format!("consent.signals.google_consent_mode.{kind}"),
            reason,
        ));
    }
}

/// Longest time a page view may be kept in the browser: ten years is
/// already far beyond any notice.
const MAX_NAVIGATION_DAYS: u32 = 3650;

fn check_navigation(nav: &NavigationSettings, errors: &mut Vec<ConfigError>) {
    use crate::navigation::MAX_ENTRIES_CAP;
    if let Some(n) = nav.max_entries {
        if n == 0 || n as usize > MAX_ENTRIES_CAP {
            errors.push(ConfigError::new(
                "navigation.max_entries",
                format!("{n} is out of range: use 1 to {MAX_ENTRIES_CAP} page views"),
            ));
        }
    }
    if let Some(d) = nav.max_days {
        if d == 0 || d > MAX_NAVIGATION_DAYS {
            errors.push(ConfigError::new(
                "navigation.max_days",
                format!("{d} is out of range: use 1 to {MAX_NAVIGATION_DAYS} days"),
            ));
        }
    }
    for (i, name) in nav.allowed_query_params.iter().flatten().enumerate() {
        let ok = !name.is_empty()
            && name.len() <= 64
            && !name
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "&=#?".contains(c));
        if !ok {
            errors.push(ConfigError::new(
                format!("navigation.allowed_query_params[{i}]"),
                format!("{} is not a query parameter name", quoted(name)),
            ));
        }
    }
    if nav.keep_local_on_withdrawal == Some(true)
        && nav.collect.unwrap_or_default() != Collect::Always
    {
        errors.push(ConfigError::new(
            "navigation.keep_local_on_withdrawal",
            "applies only with navigation.collect = \"always\": with \"after-consent\" nothing may stay once consent is withdrawn",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(site: &str) -> EmbedAttributes {
        EmbedAttributes {
            site: Some(site.into()),
            ..Default::default()
        }
    }

    #[test]
    fn minimal_embed_is_fine() {
        let o = parse_embed(&attrs("milomb")).unwrap();
        assert_eq!(o.site, "milomb");
        assert_eq!(o.api, None);
        assert_eq!(o.position, Position::BottomRight);
    }

    #[test]
    fn missing_or_bad_site_names_the_attribute() {
        let e = parse_embed(&EmbedAttributes::default()).unwrap_err();
        assert_eq!(e.field, "data-site");
        let e = parse_embed(&attrs("Milano Lodi")).unwrap_err();
        assert_eq!(e.field, "data-site");
        assert!(e.reason.contains("lowercase"));
    }

    #[test]
    fn api_is_trimmed_and_checked() {
        let mut a = attrs("milomb");
        a.api = Some("https://example.org/api/".into());
        assert_eq!(
            parse_embed(&a).unwrap().api.as_deref(),
            Some("https://example.org/api")
        );
        a.api = Some("/api".into());
        assert_eq!(parse_embed(&a).unwrap().api.as_deref(), Some("/api"));
        a.api = Some("javascript:alert(1)".into());
        assert_eq!(parse_embed(&a).unwrap_err().field, "data-api");
    }

    #[test]
    fn bad_position_and_lang_are_refused() {
        let mut a = attrs("milomb");
        a.position = Some("top".into());
        assert_eq!(parse_embed(&a).unwrap_err().field, "data-position");
        let mut a = attrs("milomb");
        a.lang = Some("fr".into());
        assert_eq!(parse_embed(&a).unwrap_err().field, "data-lang");
        a.lang = Some("en".into());
        assert_eq!(parse_embed(&a).unwrap().lang, Some(Lang::En));
    }

    fn config(json: &str) -> SiteConfig {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn analytics_under_necessary_is_refused() {
        let cfg = config(
            r#"{"cookie_policy_url":"/cookie","categories":[{"id":"necessari","necessary":true,
            "description":"x","services":[{"name":"Matomo","kind":"analytics"}]}]}"#,
        );
        let errs = check_site_config(&cfg);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "categories[0].services[0].kind");
        assert!(errs[0].reason.contains("Matomo"));
    }

    #[test]
    fn category_without_description_and_missing_policy_are_refused() {
        let cfg = config(r#"{"categories":[{"id":"analitici","title":"Statistiche"}]}"#);
        let fields: Vec<_> = check_site_config(&cfg)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["cookie_policy_url", "categories[0].description"]);
    }

    #[test]
    fn duplicate_ids_and_script_links_are_refused() {
        let cfg = config(
            r#"{"cookie_policy_url":"javascript:void(0)","categories":[
            {"id":"a","description":"x"},{"id":"a","description":"y"}]}"#,
        );
        let fields: Vec<_> = check_site_config(&cfg)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["cookie_policy_url", "categories[1].id"]);
    }

    #[test]
    fn a_good_config_has_no_errors() {
        let cfg = config(
            r#"{"cookie_policy_url":"/cookie","categories":[
            {"id":"necessari","necessary":true,"description":"x","services":[{"name":"Varco","kind":"technical"}]},
            {"id":"analitici","description":"y","services":[{"name":"Matomo","kind":"analytics"}]}]}"#,
        );
        assert!(check_site_config(&cfg).is_empty());
    }

    #[test]
    fn navigation_settings_out_of_range_are_refused_by_name() {
        let ok = config(
            r#"{"navigation":{"collect":"always","max_entries":500,"max_days":365,
            "allowed_query_params":["q","page"],"keep_local_on_withdrawal":true}}"#,
        );
        assert_eq!(check_site_config(&ok), vec![]);
        let bad = config(
            r#"{"navigation":{"collect":"after-consent","max_entries":0,"max_days":100000,
            "allowed_query_params":["q","a=b",""],"keep_local_on_withdrawal":true}}"#,
        );
        let fields: Vec<_> = check_site_config(&bad)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "navigation.max_entries",
                "navigation.max_days",
                "navigation.allowed_query_params[1]",
                "navigation.allowed_query_params[2]",
                "navigation.keep_local_on_withdrawal"
            ]
        );
        let huge = config(r#"{"navigation":{"max_entries":4000000000}}"#);
        assert!(check_site_config(&huge)[0].reason.contains("1 to 2000"));
    }

    #[test]
    fn consent_signals_name_optional_categories_and_known_types() {
        let mut cfg: SiteConfig = serde_json::from_str(
            r#"{"revision":"1","cookie_policy_url":"/c","categories":[
              {"id":"necessari","necessary":true,"description":"Tecnici."},
              {"id":"analitici","description":"Statistiche."}],
             "consent":{"signals":{"matomo":"analitici",
               "google_consent_mode":{"analytics_storage":"analitici"}}}}"#,
        )
        .unwrap();
        assert!(check_site_config(&cfg).is_empty());
        let signals = cfg.consent.as_mut().unwrap().signals.as_mut().unwrap();
        signals.matomo = Some("necessari".into());
        signals
            .google_consent_mode
            .insert("ad_storage".into(), "marketing".into());
        signals
            .google_consent_mode
            .insert("cookies_storage".into(), "analitici".into());
        let fields: Vec<String> = check_site_config(&cfg)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "consent.signals.matomo",
                "consent.signals.google_consent_mode.ad_storage",
                "consent.signals.google_consent_mode.cookies_storage",
            ]
        );
    }
}
