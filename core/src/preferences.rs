//! What the preferences dialog says, worked out once for its two renderers:
//! the light part's (`first-paint/src/preferences.rs`, plain DOM, so that
//! a visitor who only customises their consent never downloads the app)
//! and the app's (`widget/src/app.rs`, Yew). Both show this
//! [`PreferencesContent`], so the dialog is the same whoever paints it.

use crate::consent::{service_key, Status};
use crate::dates::{format_date_rome, DateStyle};
use crate::texts::{Key, Texts};
use varco_protocol::SiteConfig;

/// The dialog's texts and switches, in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferencesContent {
    pub title: String,
    pub close_label: String,
    /// What the switches do, or, on a site with nothing optional, that
    /// there is nothing to choose.
    pub intro: String,
    /// «Le tue scelte attuali, del 04/12/2026.», when a choice is in force.
    pub current: Option<String>,
    pub categories: Vec<CategoryContent>,
    /// The label of the list of third parties under each category.
    pub services_label: String,
    /// «Sempre attivi», beside a necessary category.
    pub always_on: String,
    /// The link-styled button that opens the privacy centre.
    pub privacy_open: String,
    /// Save, accept all, reject all; `None` when there is nothing to choose.
    pub actions: Option<[String; 3]>,
}

/// One category's switch and what it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryContent {
    pub id: String,
    pub title: String,
    pub description: String,
    /// Always on, and its switch cannot be turned off.
    pub necessary: bool,
    /// The switch's initial position: the choice in force, not a default
    /// (nothing optional starts on without a choice).
    pub on: bool,
    pub services: Vec<ServiceContent>,
}

/// A third party, with its own switch and its details as «label: value»
/// lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceContent {
    /// `category/name`, as the stored choice and the record name it.
    pub key: String,
    pub name: String,
    /// The switch's initial position: on if its category is on and the
    /// visitor did not switch it off alone.
    pub on: bool,
    /// «Finalità: …», «Conservazione: …».
    pub details: Vec<String>,
    /// «Cookie»'s label and the names (shown as code), if any.
    pub cookies: Option<(String, String)>,
}

impl PreferencesContent {
    /// The dialog for `site` in the language of `texts`; `status` is the
    /// consent state in force and `granted` says whether an optional
    /// category is on in it.
    pub fn new(
        site: &SiteConfig,
        texts: &Texts,
        status: &Status,
        granted: impl Fn(&str) -> bool,
    ) -> Self {
        let lang = texts.lang();
        let nothing_to_ask = *status == Status::NothingToAsk;
        let current = match status {
            Status::Decided(choice) => Some(format!(
                "{} {}.",
                texts.get(Key::prefs_current),
                format_date_rome(lang, &choice.decided_at, DateStyle::Short)
                    .unwrap_or_else(|| choice.decided_at.clone())
            )),
            _ => None,
        };
        let code = lang.code();
        let categories = site
            .categories
            .iter()
            .map(|cat| CategoryContent {
                id: cat.id.clone(),
                title: cat
                    .title
                    .as_ref()
                    .map(|t| t.get(code).to_owned())
                    .unwrap_or_else(|| cat.id.clone()),
                description: cat
                    .description
                    .as_ref()
                    .map(|d| d.get(code).to_owned())
                    .unwrap_or_default(),
                necessary: cat.necessary,
                on: cat.necessary || granted(&cat.id),
                services: cat
                    .services
                    .iter()
                    .map(|s| ServiceContent {
                        key: service_key(&cat.id, &s.name),
                        name: s.name.clone(),
                        on: cat.necessary
                            || match status {
                                Status::Decided(choice) => choice.grants_service(&cat.id, &s.name),
                                _ => false,
                            },
                        details: [
                            (Key::service_purpose, &s.purpose),
                            (Key::service_retention, &s.retention),
                        ]
                        .into_iter()
                        .filter_map(|(key, text)| {
                            text.as_ref()
                                .map(|t| format!("{}: {}", texts.get(key), t.get(code)))
                        })
                        .collect(),
                        cookies: (!s.cookies.is_empty()).then(|| {
                            (
                                texts.get(Key::service_cookies).to_owned(),
                                s.cookies.join(", "),
                            )
                        }),
                    })
                    .collect(),
            })
            .collect();
        PreferencesContent {
            title: texts.get(Key::prefs_title).to_owned(),
            close_label: texts.get(Key::prefs_close).to_owned(),
            intro: texts
                .get(if nothing_to_ask {
                    Key::privacy_consent_not_needed
                } else {
                    Key::prefs_intro
                })
                .to_owned(),
            current,
            categories,
            services_label: texts.get(Key::prefs_services).to_owned(),
            always_on: texts.get(Key::prefs_always_on).to_owned(),
            privacy_open: texts.get(Key::privacy_open).to_owned(),
            actions: (!nothing_to_ask).then(|| {
                [
                    texts.get(Key::prefs_save).to_owned(),
                    texts.get(Key::accept_all).to_owned(),
                    texts.get(Key::reject_all).to_owned(),
                ]
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::{decide, Decision, Rules};
    use crate::lang::Lang;
    use varco_protocol::SortedMap;

    const ID: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    // Friday 4 December 2026, 23:30 UTC: already Saturday 5 in Rome.
    const NOW: i64 = 1_796_427_000_000;

    fn site() -> SiteConfig {
        serde_json::from_str(
            r#"{"revision":"1","categories":[
                {"id":"necessari","necessary":true,"title":{"it":"Necessari","en":"Necessary"},"description":"Servono al sito."},
                {"id":"analitici","description":{"it":"Misurano le visite.","en":"Count visits."},
                 "services":[{"name":"Matomo","kind":"analytics","purpose":{"it":"Statistiche","en":"Statistics"},"cookies":["_pk_id*","_pk_ses*"]}]}
            ]}"#,
        )
        .unwrap()
    }

    #[test]
    fn switches_start_from_the_choice_in_force_and_necessary_ones_are_on() {
        let site = site();
        let texts = Texts::new(Lang::It, &SortedMap::new());
        let asked = PreferencesContent::new(
            &site,
            &texts,
            &Status::Ask(crate::consent::AskReason::First),
            |_| false,
        );
        assert_eq!(
            asked
                .categories
                .iter()
                .map(|c| (c.id.as_str(), c.on, c.necessary))
                .collect::<Vec<_>>(),
            [("necessari", true, true), ("analitici", false, false)]
        );
        assert_eq!(asked.current, None);
        assert!(asked.actions.is_some());
        // A category without a title is named by its id.
        assert_eq!(asked.categories[1].title, "analitici");
        let rules = Rules::from_site(&site);
        let choice = decide(&Decision::AcceptAll, &rules, None, ID, NOW);
        let decided =
            PreferencesContent::new(&site, &texts, &Status::Decided(choice.clone()), |c| {
                choice.grants(c)
            });
        assert!(decided.categories[1].on);
        assert!(decided.categories[1].services[0].on);
        assert_eq!(decided.categories[1].services[0].key, "analitici/Matomo");
        // Matomo switched off alone: its category stays on, its switch off.
        let save = Decision::Save {
            categories: vec!["analitici".into()],
            refused_services: vec!["analitici/Matomo".into()],
        };
        let alone = decide(&save, &rules, Some(&choice), ID, NOW);
        let content =
            PreferencesContent::new(&site, &texts, &Status::Decided(alone.clone()), |c| {
                alone.grants(c)
            });
        assert!(content.categories[1].on);
        assert!(!content.categories[1].services[0].on);
        // The date is Rome's, not UTC's.
        assert_eq!(
            decided.current.as_deref(),
            Some("Le tue scelte attuali, del 05/12/2026.")
        );
    }

    #[test]
    fn third_parties_are_described_in_the_visitors_language() {
        let texts = Texts::new(Lang::En, &SortedMap::new());
        let content = PreferencesContent::new(&site(), &texts, &Status::NothingToAsk, |_| false);
        let matomo = &content.categories[1].services[0];
        assert_eq!(matomo.name, "Matomo");
        assert_eq!(matomo.details, ["Purpose: Statistics"]);
        assert_eq!(
            matomo.cookies.as_ref().map(|(_, c)| c.as_str()),
            Some("_pk_id*, _pk_ses*")
        );
        assert_eq!(content.categories[1].description, "Count visits.");
        // Nothing to choose: no actions, and the intro says so.
        assert_eq!(content.actions, None);
        assert_eq!(content.intro, texts.get(Key::privacy_consent_not_needed));
    }
}
