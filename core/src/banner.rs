//! What the consent banner says, worked out once for its two renderers.
//!
//! The banner is painted twice over a first visit: first by the small
//! first-paint module (`banner/`, plain DOM calls, loaded before anything
//! else) and then by the full app (`widget/`, Yew), which replaces it when
//! it has loaded. Both render this [`BannerContent`], so the visitor sees
//! the same words in the same places and the swap does not move anything.

use crate::consent::AskReason;
use crate::lang::Lang;
use crate::texts::{Key, Texts};
use varco_protocol::SiteConfig;

/// The banner's texts, in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BannerContent {
    pub title: String,
    /// Why the banner asks again, when a stored choice no longer matches.
    pub changed: Option<ChangedNotice>,
    /// "This site uses technical cookies... for these purposes: a, b."
    pub purposes: String,
    pub close_note: String,
    /// The cookie policy's address and the link's text.
    pub policy: Option<(String, String)>,
    pub close_label: String,
    /// The skip link at the start of the page that leads to the banner.
    pub skip: String,
    pub accept_all: String,
    pub reject_all: String,
    pub customise: String,
}

/// "We have updated our policy. <note> What is new: Analytics, Name (Category)."
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedNotice {
    pub lead: String,
    pub note: Option<String>,
    /// "What is new: ..." with its full stop, when something was added.
    pub news: Option<String>,
}

/// What the visitor did in the light part (the first module) that the app
/// carries out: a press in the first paint's banner before the app took it
/// over, or a reach for what only the app has (the preferences, the
/// privacy centre, the assistant), which is what loads the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstAction {
    AcceptAll,
    RejectAll,
    /// The X: refuse everything optional, like "Reject all".
    Close,
    /// "Customise": open the preferences over the banner.
    Customise,
    /// Escape pressed while the preferences asked for with "Customise" were
    /// still opening: they do not open, the banner stays.
    CancelCustomise,
    /// The floating button, `Varco.showPreferences()` or a
    /// `data-varco-open="preferences"` link: the preferences, not over a
    /// banner.
    Preferences,
    /// The privacy centre («I tuoi dati»).
    Privacy,
    /// The assistant's launcher: its panel opens.
    Assistant,
    /// `Varco.showBanner()`.
    Banner,
    /// `Varco.reset()`: the choice is forgotten and the banner asks again.
    Reset,
    /// Nothing to carry out: the app only loads (the visitor's pointer or
    /// focus reached the assistant's launcher, or a conversation is in
    /// progress, whose stream and unread messages are the app's).
    LoadApp,
}

const FIRST_ACTIONS: [FirstAction; 11] = [
    FirstAction::AcceptAll,
    FirstAction::RejectAll,
    FirstAction::Close,
    FirstAction::Customise,
    FirstAction::CancelCustomise,
    FirstAction::Preferences,
    FirstAction::Privacy,
    FirstAction::Assistant,
    FirstAction::Banner,
    FirstAction::Reset,
    FirstAction::LoadApp,
];

impl FirstAction {
    /// The name carried in the DOM (`data-action`) and across the modules.
    pub fn name(self) -> &'static str {
        match self {
            FirstAction::AcceptAll => "accept_all",
            FirstAction::RejectAll => "reject_all",
            FirstAction::Close => "close",
            FirstAction::Customise => "customise",
            FirstAction::CancelCustomise => "cancel_customise",
            FirstAction::Preferences => "preferences",
            FirstAction::Privacy => "privacy",
            FirstAction::Assistant => "assistant",
            FirstAction::Banner => "banner",
            FirstAction::Reset => "reset",
            FirstAction::LoadApp => "load_app",
        }
    }

    pub fn from_name(name: &str) -> Option<FirstAction> {
        FIRST_ACTIONS.into_iter().find(|a| a.name() == name)
    }

    /// The decision a press in the banner makes, if it makes one.
    pub fn decision(self) -> Option<crate::consent::Decision> {
        use crate::consent::Decision;
        match self {
            FirstAction::AcceptAll => Some(Decision::AcceptAll),
            FirstAction::RejectAll => Some(Decision::RejectAll),
            FirstAction::Close => Some(Decision::Close),
            _ => None,
        }
    }
}

/// A category's title in `lang`, or its id.
pub fn category_title(site: &SiteConfig, id: &str, lang: Lang) -> String {
    site.categories
        .iter()
        .find(|k| k.id == id)
        .and_then(|k| k.title.as_ref())
        .map(|t| t.get(lang.code()).to_owned())
        .unwrap_or_else(|| id.to_owned())
}

impl BannerContent {
    pub fn new(site: &SiteConfig, texts: &Texts, reason: Option<&AskReason>) -> BannerContent {
        let lang = texts.lang();
        let mut purposes = String::new();
        purposes.push_str(texts.get(Key::banner_technical));
        purposes.push(' ');
        purposes.push_str(texts.get(Key::banner_purposes));
        purposes.push(' ');
        let optional: Vec<String> = site
            .categories
            .iter()
            .filter(|k| !k.necessary)
            .map(|k| {
                k.title
                    .as_ref()
                    // Mid-sentence: "per queste finalità: statistiche, ...".
                    .map(|t| lowercase_first(t.get(lang.code())))
                    .unwrap_or_else(|| k.id.clone())
            })
            .collect();
        purposes.push_str(&optional.join(", "));
        purposes.push('.');
        let changed = match reason {
            Some(AskReason::Changed {
                new_categories,
                new_services,
            }) => {
                // New services read as "Name (Category title)".
                let news: Vec<String> = new_categories
                    .iter()
                    .map(|id| category_title(site, id, lang))
                    .chain(
                        new_services
                            .iter()
                            .filter_map(|key| key.split_once('/'))
                            .map(|(cat, name)| {
                                let mut s = String::from(name);
                                s.push_str(" (");
                                s.push_str(&category_title(site, cat, lang));
                                s.push(')');
                                s
                            }),
                    )
                    .collect();
                Some(ChangedNotice {
                    lead: texts.get(Key::banner_changed).to_owned(),
                    note: site
                        .consent
                        .as_ref()
                        .and_then(|s| s.revision_note.as_ref())
                        .map(|n| n.get(lang.code()).to_owned()),
                    news: (!news.is_empty()).then(|| {
                        let mut s = String::from(texts.get(Key::banner_new_categories));
                        s.push(' ');
                        s.push_str(&news.join(", "));
                        s.push('.');
                        s
                    }),
                })
            }
            _ => None,
        };
        BannerContent {
            title: texts.get(Key::banner_title).to_owned(),
            changed,
            purposes,
            close_note: texts.get(Key::banner_close_note).to_owned(),
            policy: site
                .cookie_policy_url
                .as_ref()
                .map(|url| (url.clone(), texts.get(Key::cookie_policy_link).to_owned())),
            close_label: texts.get(Key::close_banner).to_owned(),
            skip: texts.get(Key::skip_to_banner).to_owned(),
            accept_all: texts.get(Key::accept_all).to_owned(),
            reject_all: texts.get(Key::reject_all).to_owned(),
            customise: texts.get(Key::customise).to_owned(),
        }
    }
}

/// The first letter in lower case ("Statistiche" → "statistiche"), leaving
/// the rest alone (acronyms stay: "Video di YouTube" → "video di YouTube").
/// Only the first character is mapped, so the Unicode case tables are not
/// pulled in for whole strings.
fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use varco_protocol::SortedMap as BTreeMap;
    use varco_protocol::{Category, ConsentSettings, Localized};

    fn site() -> SiteConfig {
        SiteConfig {
            cookie_policy_url: Some("/cookie".into()),
            categories: vec![
                Category {
                    id: "necessary".into(),
                    title: Some(Localized::Plain("Necessari".into())),
                    description: None,
                    necessary: true,
                    services: vec![],
                },
                Category {
                    id: "statistics".into(),
                    title: Some(Localized::Plain("Statistiche".into())),
                    description: None,
                    necessary: false,
                    services: vec![],
                },
                Category {
                    id: "video".into(),
                    title: None,
                    description: None,
                    necessary: false,
                    services: vec![],
                },
            ],
            consent: Some(ConsentSettings {
                revision_note: Some(Localized::Plain("Aggiunto YouTube.".into())),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn lists_the_optional_purposes_mid_sentence() {
        let texts = Texts::new(Lang::It, &BTreeMap::new());
        let b = BannerContent::new(&site(), &texts, Some(&AskReason::First));
        assert!(
            b.purposes.ends_with("finalità: statistiche, video."),
            "{}",
            b.purposes
        );
        assert_eq!(b.policy.as_ref().map(|p| p.0.as_str()), Some("/cookie"));
        assert!(b.changed.is_none());
        assert_eq!(b.accept_all, "Accetta tutti");
    }

    #[test]
    fn says_what_changed_when_asking_again() {
        let texts = Texts::new(Lang::It, &BTreeMap::new());
        let reason = AskReason::Changed {
            new_categories: vec!["video".into()],
            new_services: vec!["statistics/Matomo".into()],
        };
        let b = BannerContent::new(&site(), &texts, Some(&reason));
        let changed = b.changed.expect("a notice");
        assert_eq!(changed.note.as_deref(), Some("Aggiunto YouTube."));
        assert_eq!(
            changed.news.as_deref(),
            Some("Novità: video, Matomo (Statistiche).")
        );
    }

    #[test]
    fn first_actions_round_trip_by_name() {
        let mut names = std::collections::BTreeSet::new();
        for a in FIRST_ACTIONS {
            assert_eq!(FirstAction::from_name(a.name()), Some(a));
            assert!(names.insert(a.name()), "{} twice", a.name());
        }
        assert_eq!(FirstAction::from_name("grant_everything"), None);
    }
}
