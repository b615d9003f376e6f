//! Suggestions for the assistant's welcome («Potrebbe interessarti»), from
//! the navigation record that the light part keeps. With consent to
//! `personalizzazione` they come from `GET /api/v1/recommendations` (a
//! request of its own: the site and the UserID, never a Thread ID);
//! without it, and whenever the server has none or cannot be reached, from
//! the local history if the site enables `navigation.local_suggestions`,
//! which sends nothing.

use crate::browser;
use crate::config::Boot;
use crate::light::LightPart;
use varco_core::light_api::ConsentInForce;
use varco_core::navigation::{local_recommendations, History, CONSENT_CATEGORY};
use varco_protocol::navigation::{Recommendation, Recommendations};

/// How many suggestions the assistant's welcome shows.
const SUGGESTIONS: usize = 3;

/// Where the suggestions come from.
#[derive(Clone)]
pub struct Suggestions {
    light: LightPart,
    api: String,
    site: String,
    /// The site lets the browser suggest from the local history.
    local: bool,
    /// The site declares `personalizzazione` necessary: no choice needed.
    always_granted: bool,
}

impl Suggestions {
    pub fn new(boot: &Boot, api: String, light: LightPart) -> Suggestions {
        Suggestions {
            light,
            api,
            site: boot.options.site.clone(),
            local: boot
                .site
                .navigation
                .as_ref()
                .and_then(|s| s.local_suggestions)
                .unwrap_or(false),
            always_granted: boot
                .site
                .categories
                .iter()
                .any(|c| c.id == CONSENT_CATEGORY && c.necessary),
        }
    }

    /// Whether the consent in force grants personalisation.
    fn granted(&self) -> bool {
        match self.light.consent() {
            ConsentInForce::Decided(choice) => {
                self.always_granted || choice.grants(CONSENT_CATEGORY)
            }
            _ => self.always_granted,
        }
    }

    fn local_only(&self, history: Option<&History>) -> Vec<Recommendation> {
        if !self.local {
            return Vec::new();
        }
        let here = browser::window().location().pathname().unwrap_or_default();
        history
            .map(|h| local_recommendations(h, &here, SUGGESTIONS))
            .unwrap_or_default()
    }

    /// Asks for them; `done` is called only if there are any.
    pub fn ask(&self, done: impl FnOnce(Vec<Recommendation>) + 'static) {
        let history = self.light.history();
        let remote = match &history {
            Some(h) if self.granted() && h.entries.iter().any(|e| e.uploaded) => Some(format!(
                "{}/v1/recommendations?site={}&user_id={}",
                self.api,
                browser::encode_uri_component(&self.site),
                browser::encode_uri_component(&h.user_id)
            )),
            _ => None,
        };
        let Some(url) = remote else {
            let items = self.local_only(history.as_ref());
            if !items.is_empty() {
                done(items);
            }
            return;
        };
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let fetched = browser::get_json::<Recommendations>(&url).await.ok();
            // Withdrawn while the request was out: show nothing from it.
            if !this.granted() {
                return;
            }
            let mut items: Vec<Recommendation> = fetched
                .map(|r| r.items)
                .unwrap_or_default()
                .into_iter()
                .filter(|r| r.url.as_deref().is_none_or(is_site_path))
                .take(SUGGESTIONS)
                .collect();
            if items.is_empty() {
                items = this.local_only(history.as_ref());
            }
            if !items.is_empty() {
                done(items);
            }
        });
    }
}

/// Suggested pages stay on the site: a path, not `//host` nor a scheme.
fn is_site_path(url: &str) -> bool {
    url.starts_with('/') && !url.starts_with("//") && !url.contains('\\')
}
