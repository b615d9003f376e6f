//! Consent signals for the page's analytics tools: what Matomo (Web
//! Analytics Italia) and Google's Consent Mode v2 are told when Varco
//! starts and after each decision, through their documented queues
//! (`_paq` and `gtag('consent', …)`). The shell (`first-paint/src/signals.rs`)
//! only delivers them.

use crate::consent::{Rules, Status};
use varco_protocol::ConsentSignals;

/// Consent Mode v2's consent types.
pub const CONSENT_MODE_TYPES: [&str; 7] = [
    "ad_storage",
    "analytics_storage",
    "ad_user_data",
    "ad_personalization",
    "functionality_storage",
    "personalization_storage",
    "security_storage",
];

/// One command for one tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal<'a> {
    /// `_paq.push([command])`.
    Matomo(&'static str),
    /// `gtag('consent', mode, fields)`, `mode` being `default` or `update`
    /// and each field's value `granted` or `denied` (in the order of the
    /// site's settings: a plain list keeps the widget small).
    ConsentMode {
        mode: &'static str,
        fields: Vec<(&'a str, &'static str)>,
    },
}

/// What the tools are told. `starting`: Varco has just started on this
/// page, so they first hear the defaults (Matomo without cookies, every
/// mapped type denied), then what a choice already in force grants. After
/// a decision they hear what it grants now.
pub fn signals<'a>(
    settings: &'a ConsentSignals,
    status: &Status,
    rules: &Rules,
    starting: bool,
) -> Vec<Signal<'a>> {
    let mut out = Vec::new();
    let gcm = &settings.google_consent_mode;
    if starting {
        if settings.matomo.is_some() {
            out.push(Signal::Matomo("requireCookieConsent"));
        }
        if !gcm.is_empty() {
            out.push(Signal::ConsentMode {
                mode: "default",
                fields: gcm.keys().map(|k| (k.as_str(), "denied")).collect(),
            });
        }
        // Before a decision there is nothing to update.
        if !matches!(status, Status::Decided(_)) {
            return out;
        }
    }
    if let Some(category) = &settings.matomo {
        out.push(Signal::Matomo(if status.grants(rules, category) {
            "rememberCookieConsentGiven"
        } else {
            "forgetCookieConsentGiven"
        }));
    }
    if !gcm.is_empty() {
        out.push(Signal::ConsentMode {
            mode: "update",
            fields: gcm
                .iter()
                .map(|(kind, category)| {
                    let state = if status.grants(rules, category) {
                        "granted"
                    } else {
                        "denied"
                    };
                    (kind.as_str(), state)
                })
                .collect(),
        });
    }
    out
}

/// What the tools were last told on this page: whether a choice was in
/// force, then what Matomo and each Consent Mode type heard as granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Told(Vec<bool>);

/// What telling the tools the state now amounts to (see [`changes`]).
pub fn told(settings: &ConsentSignals, status: &Status, rules: &Rules) -> Told {
    let mut state = vec![matches!(status, Status::Decided(_))];
    if let Some(category) = &settings.matomo {
        state.push(status.grants(rules, category));
    }
    state.extend(
        settings
            .google_consent_mode
            .iter()
            .map(|(_, category)| status.grants(rules, category)),
    );
    Told(state)
}

/// The signals that bring the tools from what they were `last` told
/// (`None`: nothing yet on this page, so the defaults first) to the state
/// now, and what they will then have been told. Nothing when nothing
/// changed: the same state is never told twice, however many times the
/// consent state is applied (a decision made before the page's start
/// finished, the app taking over from the light part, another tab).
pub fn changes<'a>(
    settings: &'a ConsentSignals,
    status: &Status,
    rules: &Rules,
    last: Option<&Told>,
) -> (Vec<Signal<'a>>, Told) {
    let now = told(settings, status, rules);
    if last == Some(&now) {
        return (Vec::new(), now);
    }
    (signals(settings, status, rules, last.is_none()), now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::{decide, Decision};

    #[test]
    fn the_same_state_is_told_once_and_each_change_after_it() {
        let settings = settings();
        let ask = Status::Ask(crate::consent::AskReason::First);
        let (first, defaults) = changes(&settings, &ask, &rules(), None);
        assert_eq!(first, signals(&settings, &ask, &rules(), true));
        let (again, same) = changes(&settings, &ask, &rules(), Some(&defaults));
        assert!(again.is_empty(), "the defaults are told once: {again:?}");
        assert_eq!(same, defaults);
        // Refusing everything denies what the defaults denied, but a choice
        // is now in force: the tools hear it.
        let refused = decided(Decision::RejectAll);
        let (told_refusal, after) = changes(&settings, &refused, &rules(), Some(&defaults));
        assert_eq!(told_refusal, signals(&settings, &refused, &rules(), false));
        let (repeated, _) = changes(&settings, &refused, &rules(), Some(&after));
        assert!(
            repeated.is_empty(),
            "a repeated refusal is told once: {repeated:?}"
        );
        let accepted = decided(Decision::AcceptAll);
        let (told_acceptance, _) = changes(&settings, &accepted, &rules(), Some(&after));
        assert_eq!(
            told_acceptance,
            [
                Signal::Matomo("rememberCookieConsentGiven"),
                consent_mode(
                    "update",
                    &[("ad_storage", "granted"), ("analytics_storage", "granted")]
                ),
            ]
        );
    }

    fn rules() -> Rules {
        Rules {
            revision: "1".into(),
            categories: vec![
                ("necessari".into(), true),
                ("analitici".into(), false),
                ("profilazione".into(), false),
            ],
            services: Vec::new(),
            accept_days: 365,
            refuse_days: 180,
            respect_gpc: true,
        }
    }

    fn settings() -> ConsentSignals {
        ConsentSignals {
            matomo: Some("analitici".into()),
            google_consent_mode: [
                ("analytics_storage", "analitici"),
                ("ad_storage", "profilazione"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        }
    }

    fn consent_mode(mode: &'static str, pairs: &[(&'static str, &'static str)]) -> Signal<'static> {
        Signal::ConsentMode {
            mode,
            fields: pairs.to_vec(),
        }
    }

    fn decided(decision: Decision) -> Status {
        Status::Decided(decide(&decision, &rules(), None, "id", 1_000))
    }

    #[test]
    fn before_a_choice_the_tools_hear_only_the_defaults() {
        for status in [
            Status::Ask(crate::consent::AskReason::First),
            Status::GpcRefused,
        ] {
            assert_eq!(
                signals(&settings(), &status, &rules(), true),
                [
                    Signal::Matomo("requireCookieConsent"),
                    consent_mode(
                        "default",
                        &[("ad_storage", "denied"), ("analytics_storage", "denied")]
                    ),
                ]
            );
        }
    }

    #[test]
    fn a_choice_in_force_is_told_after_the_defaults_and_each_decision_after_it() {
        let one = decided(Decision::save(vec!["analitici".into()]));
        assert_eq!(
            signals(&settings(), &one, &rules(), true),
            [
                Signal::Matomo("requireCookieConsent"),
                consent_mode(
                    "default",
                    &[("ad_storage", "denied"), ("analytics_storage", "denied")]
                ),
                Signal::Matomo("rememberCookieConsentGiven"),
                consent_mode(
                    "update",
                    &[("ad_storage", "denied"), ("analytics_storage", "granted")]
                ),
            ]
        );
        assert_eq!(
            signals(&settings(), &decided(Decision::RejectAll), &rules(), false),
            [
                Signal::Matomo("forgetCookieConsentGiven"),
                consent_mode(
                    "update",
                    &[("ad_storage", "denied"), ("analytics_storage", "denied")]
                ),
            ]
        );
    }

    #[test]
    fn a_site_without_signals_tells_nothing() {
        let none = ConsentSignals::default();
        assert!(signals(&none, &decided(Decision::AcceptAll), &rules(), true).is_empty());
        assert!(signals(&none, &decided(Decision::AcceptAll), &rules(), false).is_empty());
    }
}
