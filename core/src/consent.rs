//! Consent rules: what a stored choice means now, what a decision stores,
//! what record it sends, what a withdrawal must clean up.
//!
//! Sources: Garante, *Linee guida cookie e altri strumenti di tracciamento*
//! (10 June 2021); EDPB Cookie Banner Taskforce report (2023); GDPR art. 7.
//! The widget calls these functions with what it read from the browser; no
//! function here touches a browser API or the clock.

use serde::{Deserialize, Serialize};
use varco_protocol::json::{Fields, FromJson, Object, ToJson, Value};
use varco_protocol::{ConsentAction, ConsentRecord, SiteConfig};

/// Version of the stored choice's shape. Data with another version (an older
/// shape we no longer read, or a newer one written by a later Varco) counts
/// as no choice: the banner asks again, nothing non-necessary runs.
pub const SCHEMA_VERSION: u32 = 1;
/// localStorage key (or cookie name) of the stored choice.
pub const STORAGE_KEY: &str = "varco.consent";
/// localStorage key of the records not yet delivered to the server.
pub const OUTBOX_KEY: &str = "varco.outbox";

const DAY_MS: f64 = 86_400_000.0;
pub const DEFAULT_ACCEPT_DAYS: u32 = 365;
/// Six months: the Garante's minimum before a refusal may be asked again.
pub const MIN_REFUSE_DAYS: u32 = 180;

/// The visitor's choice as kept in the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredChoice {
    pub v: u32,
    pub consent_id: String,
    pub revision: String,
    /// RFC 3339.
    pub decided_at: String,
    /// The same instant in milliseconds since the epoch (for expiry).
    pub decided_ms: i64,
    pub accepted: Vec<String>,
    pub rejected: Vec<String>,
    pub action: ConsentAction,
    /// The third parties the visitor was shown (`category/name`), so that a
    /// new one asks again (checklist 22). Absent in choices stored before
    /// it existed: those are not re-asked for services alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<String>>,
    /// The third parties (`category/name`) the visitor switched off inside
    /// a category they accepted: their scripts stay inert.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused_services: Vec<String>,
}

impl FromJson for StoredChoice {
    fn from_json(value: &Value) -> Option<Self> {
        let f = Fields::of(value)?;
        Some(StoredChoice {
            v: f.required("v")?,
            consent_id: f.required("consent_id")?,
            revision: f.required("revision")?,
            decided_at: f.required("decided_at")?,
            decided_ms: f.required("decided_ms")?,
            accepted: f.required("accepted")?,
            rejected: f.required("rejected")?,
            action: f.required("action")?,
            services: f.or_default("services")?,
            refused_services: f.or_default("refused_services")?,
        })
    }
}

impl ToJson for StoredChoice {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("v", &self.v)
            .field("consent_id", &self.consent_id)
            .field("revision", &self.revision)
            .field("decided_at", &self.decided_at)
            .field("decided_ms", &self.decided_ms)
            .field("accepted", &self.accepted)
            .field("rejected", &self.rejected)
            .field("action", &self.action)
            .some("services", &self.services)
            .non_empty(
                "refused_services",
                &self.refused_services,
                self.refused_services.is_empty(),
            )
            .end();
    }
}

impl StoredChoice {
    pub fn grants(&self, category: &str) -> bool {
        self.accepted.iter().any(|c| c == category)
    }

    /// Whether the third party `service` of `category` may run: its
    /// category accepted and the service not switched off.
    pub fn grants_service(&self, category: &str, service: &str) -> bool {
        self.grants(category)
            && !self
                .refused_services
                .contains(&service_key(category, service))
    }
}

/// The rules of one site, from its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub revision: String,
    /// Category ids in display order, with whether each is necessary.
    pub categories: Vec<(String, bool)>,
    /// Every third party as `category/name`, in display order.
    pub services: Vec<String>,
    pub accept_days: u32,
    pub refuse_days: u32,
    pub respect_gpc: bool,
}

impl Rules {
    pub fn from_site(site: &SiteConfig) -> Rules {
        let consent = site.consent.clone().unwrap_or_default();
        Rules {
            revision: site.revision.clone().unwrap_or_else(|| "1".to_owned()),
            categories: site
                .categories
                .iter()
                .map(|c| (c.id.clone(), c.necessary))
                .collect(),
            services: site
                .categories
                .iter()
                .flat_map(|c| c.services.iter().map(move |s| service_key(&c.id, &s.name)))
                .collect(),
            accept_days: consent.accept_days.unwrap_or(DEFAULT_ACCEPT_DAYS),
            refuse_days: consent
                .refuse_days
                .unwrap_or(MIN_REFUSE_DAYS)
                .max(MIN_REFUSE_DAYS),
            respect_gpc: consent.respect_gpc.unwrap_or(true),
        }
    }

    pub fn necessary(&self) -> impl Iterator<Item = &str> {
        self.categories
            .iter()
            .filter(|(_, n)| *n)
            .map(|(id, _)| id.as_str())
    }

    pub fn optional(&self) -> impl Iterator<Item = &str> {
        self.categories
            .iter()
            .filter(|(_, n)| !*n)
            .map(|(id, _)| id.as_str())
    }
}

/// Why the banner is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AskReason {
    /// No choice stored.
    First,
    /// Stored data that cannot be read as a choice of this version.
    Unreadable,
    /// The choice is older than its retention.
    Expired,
    /// The policy's revision changed, or categories or third parties were
    /// added since (`new_services` as `category/name`).
    Changed {
        new_categories: Vec<String>,
        new_services: Vec<String>,
    },
}

/// What the stored state means now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Ask: show the banner; only necessary categories are on.
    Ask(AskReason),
    /// A valid choice.
    Decided(StoredChoice),
    /// No choice, but the browser sends Global Privacy Control: every
    /// optional category is refused until the visitor chooses otherwise.
    /// Nothing is stored and no record is sent for a signal.
    GpcRefused,
    /// The site declares no optional category: there is nothing to ask
    /// (the Garante's guidelines require no banner for technical cookies
    /// alone), so no banner, nothing stored and no record; the privacy
    /// links stay.
    NothingToAsk,
}

impl Status {
    /// Whether `category` may run now. Fail closed: only a valid choice
    /// grants anything optional.
    pub fn grants(&self, rules: &Rules, category: &str) -> bool {
        if rules.necessary().any(|c| c == category) {
            return true;
        }
        match self {
            Status::Decided(choice) => choice.grants(category),
            _ => false,
        }
    }

    /// Whether content of `category`, marked as the third party `service`
    /// if it is, may run now: a necessary category's always may; any
    /// other's only with its category accepted and the service not
    /// switched off.
    pub fn grants_service(&self, rules: &Rules, category: &str, service: Option<&str>) -> bool {
        if rules.necessary().any(|c| c == category) {
            return true;
        }
        match (self, service) {
            (Status::Decided(choice), Some(service)) => choice.grants_service(category, service),
            (Status::Decided(choice), None) => choice.grants(category),
            _ => false,
        }
    }
}

/// Reads the stored text. `Err` means something is there but it is not a
/// choice we can trust (corrupted, foreign, or another schema version).
pub fn parse_stored(raw: Option<&str>) -> Result<Option<StoredChoice>, ()> {
    let Some(raw) = raw else { return Ok(None) };
    let choice: StoredChoice = varco_protocol::json::from_str(raw).ok_or(())?;
    let ids_ok = choice
        .accepted
        .iter()
        .chain(&choice.rejected)
        .all(|c| !c.is_empty() && c.len() <= 64);
    if choice.v != SCHEMA_VERSION
        || !is_uuid_v4(&choice.consent_id)
        || !ids_ok
        || choice.decided_ms <= 0
    {
        return Err(());
    }
    Ok(Some(choice))
}

/// The state at `now_ms`, given what storage held.
pub fn status(
    stored: Result<Option<StoredChoice>, ()>,
    rules: &Rules,
    now_ms: i64,
    gpc: bool,
) -> Status {
    if rules.optional().next().is_none() {
        return Status::NothingToAsk;
    }
    let choice = match stored {
        Err(()) => return Status::Ask(AskReason::Unreadable),
        Ok(None) if gpc && rules.respect_gpc => return Status::GpcRefused,
        Ok(None) => return Status::Ask(AskReason::First),
        Ok(Some(c)) => c,
    };
    let refused = !rules.optional().any(|c| choice.grants(c));
    let days = if refused {
        rules.refuse_days
    } else {
        rules.accept_days
    };
    if (now_ms - choice.decided_ms) as f64 > days as f64 * DAY_MS {
        return Status::Ask(AskReason::Expired);
    }
    let new_categories: Vec<String> = rules
        .optional()
        .filter(|c| {
            !choice
                .accepted
                .iter()
                .chain(&choice.rejected)
                .any(|k| k == c)
        })
        .map(str::to_owned)
        .collect();
    let new_services: Vec<String> = match &choice.services {
        Some(known) => rules
            .services
            .iter()
            .filter(|s| !known.contains(s))
            .cloned()
            .collect(),
        None => Vec::new(),
    };
    if choice.revision != rules.revision || !new_categories.is_empty() || !new_services.is_empty() {
        return Status::Ask(AskReason::Changed {
            new_categories,
            new_services,
        });
    }
    Status::Decided(choice)
}

/// What the visitor pressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    AcceptAll,
    RejectAll,
    /// The X: keeps the defaults (only necessary).
    Close,
    /// "Salva le mie scelte" with these optional categories on, and these
    /// third parties (`category/name`) switched off inside them.
    Save {
        categories: Vec<String>,
        refused_services: Vec<String>,
    },
}

impl Decision {
    /// «Salva» with `categories` on, each with all its third parties.
    pub fn save(categories: Vec<String>) -> Decision {
        Decision::Save {
            categories,
            refused_services: Vec::new(),
        }
    }
}

/// The choice a decision stores. `previous` is what was stored before (if
/// readable): turning off a category it had accepted is a withdrawal.
pub fn decide(
    decision: &Decision,
    rules: &Rules,
    previous: Option<&StoredChoice>,
    consent_id: &str,
    now_ms: i64,
) -> StoredChoice {
    let wanted = |id: &str| match decision {
        Decision::AcceptAll => true,
        Decision::RejectAll | Decision::Close => false,
        Decision::Save { categories, .. } => categories.iter().any(|c| c == id),
    };
    let mut accepted: Vec<String> = rules.necessary().map(str::to_owned).collect();
    let mut rejected = Vec::new();
    for id in rules.optional() {
        if wanted(id) {
            accepted.push(id.to_owned());
        } else {
            rejected.push(id.to_owned());
        }
    }
    // Only third parties of accepted categories can be switched off alone,
    // and only the ones the site declares.
    let refused_services: Vec<String> = match decision {
        Decision::Save {
            refused_services, ..
        } => rules
            .services
            .iter()
            .filter(|key| {
                refused_services.contains(key)
                    && key
                        .split_once('/')
                        .is_some_and(|(category, _)| accepted.iter().any(|a| a == category))
                    && !rules.necessary().any(|n| key.starts_with(&format!("{n}/")))
            })
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    let withdrawn = previous.is_some_and(|p| {
        rejected.iter().any(|c| p.grants(c))
            || refused_services.iter().any(|key| {
                key.split_once('/')
                    .is_some_and(|(category, service)| p.grants_service(category, service))
            })
    });
    let action = if withdrawn {
        ConsentAction::Withdraw
    } else {
        match decision {
            Decision::AcceptAll => ConsentAction::AcceptAll,
            Decision::RejectAll => ConsentAction::RejectAll,
            Decision::Close => ConsentAction::Close,
            Decision::Save { .. } => ConsentAction::Custom,
        }
    };
    StoredChoice {
        v: SCHEMA_VERSION,
        consent_id: consent_id.to_owned(),
        revision: rules.revision.clone(),
        decided_at: rfc3339_utc(now_ms),
        decided_ms: now_ms,
        accepted,
        rejected,
        action,
        services: Some(rules.services.clone()),
        refused_services,
    }
}

/// How a third party is named in the stored choice.
pub fn service_key(category: &str, name: &str) -> String {
    format!("{category}/{name}")
}

/// The proof-of-consent record of a stored choice.
pub fn record(
    choice: &StoredChoice,
    site: &str,
    language: &str,
    texts_hash: &str,
    record_id: &str,
) -> ConsentRecord {
    ConsentRecord {
        record_id: record_id.to_owned(),
        consent_id: choice.consent_id.clone(),
        site: site.to_owned(),
        decided_at: choice.decided_at.clone(),
        revision: choice.revision.clone(),
        accepted: choice.accepted.clone(),
        rejected: choice.rejected.clone(),
        action: choice.action,
        language: language.to_owned(),
        texts_hash: texts_hash.to_owned(),
        services_accepted: services_of(choice, true),
        services_rejected: services_of(choice, false),
    }
}

/// The third parties the choice was made on (`category/name`) that it
/// lets run (`allowed`), or not.
fn services_of(choice: &StoredChoice, allowed: bool) -> Vec<String> {
    choice
        .services
        .iter()
        .flatten()
        .filter(|key| {
            key.split_once('/').is_some_and(|(category, service)| {
                choice.grants_service(category, service) == allowed
            })
        })
        .cloned()
        .collect()
}

/// How long the widget keeps a record it could not deliver, in days: a
/// visitor who decided while the network or the server was down usually
/// comes back to the site within a month, and the outbox is flushed on
/// every page. Past that the record is no longer a timely proof, so the
/// widget gives up on it ([`record_outlived`]) and the server refuses a
/// `decided_at` older than this ([`check_record`]): one bound for both.
pub const RECORD_RETRY_DAYS: i64 = 30;

/// How far ahead of the server's clock a record's `decided_at` may be:
/// `decided_at` comes from the browser's clock, and one synchronised by
/// the operating system is off by seconds. Five minutes is the usual
/// tolerance between clocks that synchronise (Kerberos' default); a
/// record dated further ahead was not made now.
pub const RECORD_CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// Whether a queued record is past the retry window at `now_ms` (or its
/// date cannot be read): the server would refuse it, so the widget drops
/// it instead of sending it.
pub fn record_outlived(decided_at: &str, now_ms: i64) -> bool {
    parse_rfc3339_ms(decided_at).is_none_or(|at| at < now_ms - RECORD_RETRY_DAYS * DAY_MS as i64)
}

/// One category as a site published it under a revision: what a record of
/// that revision is checked against. The server keeps every revision it has
/// served, so a record retried after the site moved on is still checked
/// against what the visitor was shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedCategory {
    pub id: String,
    pub necessary: bool,
}

/// The categories of `rules`, as published.
pub fn published_categories(rules: &Rules) -> Vec<PublishedCategory> {
    rules
        .categories
        .iter()
        .map(|(id, necessary)| PublishedCategory {
            id: id.clone(),
            necessary: *necessary,
        })
        .collect()
}

/// Every problem of a record received by the server at `now_ms` (empty:
/// fine), each a sentence for the developer naming the field and the value.
///
/// `published` holds the category lists the site has published under the
/// record's revision (usually one; none if it never published that
/// revision). A valid record is what [`decide`] and [`record`] make:
/// every published category exactly once, in `accepted` or `rejected`;
/// necessary ones accepted; `accept_all` rejects nothing; `reject_all` and
/// `close` accept the necessary ones only; a withdrawal rejects at least
/// one category (the one withdrawn); `custom` may split them any way.
pub fn check_record(
    r: &ConsentRecord,
    published: &[Vec<PublishedCategory>],
    now_ms: i64,
) -> Vec<String> {
    let mut errors = Vec::new();
    if !is_uuid_v4(&r.record_id) {
        errors.push("record_id must be a UUID v4".to_owned());
    }
    if !is_uuid_v4(&r.consent_id) {
        errors.push("consent_id must be a UUID v4".to_owned());
    }
    match parse_rfc3339_ms(&r.decided_at) {
        None => errors.push("decided_at must be an RFC 3339 date-time".to_owned()),
        Some(at) if at > now_ms + RECORD_CLOCK_SKEW_MS => errors.push(format!(
            "decided_at {} is in the future (more than {} minutes ahead of the server's clock)",
            shown(&r.decided_at),
            RECORD_CLOCK_SKEW_MS / 60_000
        )),
        Some(_) if record_outlived(&r.decided_at, now_ms) => errors.push(format!(
            "decided_at {} is more than {RECORD_RETRY_DAYS} days old (the widget's retry window)",
            shown(&r.decided_at)
        )),
        Some(_) => {}
    }
    for (field, value, max) in [
        ("revision", &r.revision, 64),
        ("language", &r.language, 16),
        ("texts_hash", &r.texts_hash, 128),
    ] {
        if value.is_empty() || value.len() > max {
            errors.push(format!("{field} must be 1 to {max} characters"));
        }
    }
    if !r.language.is_empty()
        && !r
            .language
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        errors.push(format!(
            "language {} must be a language tag such as \"it\" or \"en\"",
            shown(&r.language)
        ));
    }

    // Each category once, in one list.
    let listed: Vec<&String> = r.accepted.iter().chain(&r.rejected).collect();
    for (i, c) in listed.iter().enumerate() {
        if listed[..i].contains(c) {
            continue;
        }
        let (in_accepted, in_rejected) = (
            r.accepted.iter().filter(|a| a == c).count(),
            r.rejected.iter().filter(|a| a == c).count(),
        );
        if in_accepted > 0 && in_rejected > 0 {
            errors.push(format!(
                "category {} is both accepted and rejected",
                shown(c)
            ));
        } else if in_accepted > 1 {
            errors.push(format!("category {} is accepted twice", shown(c)));
        } else if in_rejected > 1 {
            errors.push(format!("category {} is rejected twice", shown(c)));
        }
    }

    errors.extend(service_problems(r));

    // What the action means for the lists, where the lists alone tell.
    match r.action {
        ConsentAction::AcceptAll if !r.rejected.is_empty() => errors.push(format!(
            "action accept_all, but categories are rejected: {}",
            names(&r.rejected)
        )),
        ConsentAction::AcceptAll if !r.services_rejected.is_empty() => errors.push(format!(
            "action accept_all, but services are rejected: {}",
            names(&r.services_rejected)
        )),
        ConsentAction::Withdraw if r.rejected.is_empty() && r.services_rejected.is_empty() => {
            errors.push(
                "action withdraw, but nothing is rejected (a withdrawal turns at least one category or service off)"
                    .to_owned(),
            )
        }
        _ => {}
    }

    // Against what the site published under this revision: the record is
    // fine if it fits one of the lists (a revision whose categories were
    // changed without a new revision name has several, oldest first; the
    // problems named are those against the latest).
    if (1..=64).contains(&r.revision.len()) {
        match published
            .iter()
            .map(|categories| check_against(r, categories))
            .reduce(|found, next| if found.is_empty() { found } else { next })
        {
            None => errors.push(format!(
                "revision {} was never published by site {}",
                shown(&r.revision),
                shown(&r.site)
            )),
            Some(problems) => errors.extend(problems),
        }
    }
    errors
}

/// The problems of a record's lists against one published list.
fn check_against(r: &ConsentRecord, categories: &[PublishedCategory]) -> Vec<String> {
    let mut errors = Vec::new();
    let listed = |id: &str| r.accepted.iter().chain(&r.rejected).any(|c| c == id);
    let mut unknown: Vec<String> = Vec::new();
    for c in r.accepted.iter().chain(&r.rejected) {
        if !categories.iter().any(|p| &p.id == c) && !unknown.contains(c) {
            unknown.push(c.clone());
        }
    }
    if !unknown.is_empty() {
        errors.push(format!(
            "unknown categories for revision {}: {}",
            shown(&r.revision),
            names(&unknown)
        ));
    }
    for p in categories.iter().filter(|p| p.necessary) {
        if r.rejected.contains(&p.id) {
            errors.push(format!(
                "necessary category {} cannot be rejected",
                shown(&p.id)
            ));
        } else if !r.accepted.contains(&p.id) {
            errors.push(format!(
                "necessary category {} must be accepted",
                shown(&p.id)
            ));
        }
    }
    let missing: Vec<String> = categories
        .iter()
        .filter(|p| !p.necessary && !listed(&p.id))
        .map(|p| p.id.clone())
        .collect();
    if !missing.is_empty() {
        errors.push(format!(
            "categories of revision {} neither accepted nor rejected: {}",
            shown(&r.revision),
            names(&missing)
        ));
    }
    if matches!(r.action, ConsentAction::RejectAll | ConsentAction::Close) {
        let optional_accepted: Vec<String> = r
            .accepted
            .iter()
            .filter(|c| categories.iter().any(|p| &p.id == *c && !p.necessary))
            .cloned()
            .collect();
        if !optional_accepted.is_empty() {
            errors.push(format!(
                "action {} accepts only the necessary categories, but these are accepted: {}",
                r.action.as_str(),
                names(&optional_accepted)
            ));
        }
    }
    errors
}

/// The most third parties a record may list (both lists together).
pub const MAX_RECORD_SERVICES: usize = 200;

/// What is wrong with a record's third parties: each `category/name` of one
/// of the record's categories, listed once; one that may run belongs to an
/// accepted category.
fn service_problems(r: &ConsentRecord) -> Vec<String> {
    let mut errors = Vec::new();
    let listed: Vec<(&String, bool)> = r
        .services_accepted
        .iter()
        .map(|k| (k, true))
        .chain(r.services_rejected.iter().map(|k| (k, false)))
        .collect();
    if listed.len() > MAX_RECORD_SERVICES {
        errors.push(format!(
            "at most {MAX_RECORD_SERVICES} services may be listed, the record lists {}",
            listed.len()
        ));
        return errors;
    }
    for (i, (key, runs)) in listed.iter().enumerate() {
        if listed[..i].iter().any(|(k, _)| k == key) {
            errors.push(format!("service {} is listed twice", shown(key)));
            continue;
        }
        let category = match key.split_once('/') {
            Some((category, name)) if !name.is_empty() && key.len() <= 200 => category,
            _ => {
                errors.push(format!(
                    "service {} must be \"category/name\", at most 200 characters",
                    shown(key)
                ));
                continue;
            }
        };
        let accepted = r.accepted.iter().any(|c| c == category);
        if !accepted && !r.rejected.iter().any(|c| c == category) {
            errors.push(format!(
                "service {} belongs to no category of the record",
                shown(key)
            ));
        } else if *runs && !accepted {
            errors.push(format!(
                "service {} may run, but its category is not accepted",
                shown(key)
            ));
        }
    }
    errors
}

/// A value from the record as quoted in a message: JSON-quoted, and cut
/// short, so that a long value cannot make the message long.
fn shown(value: &str) -> String {
    const MAX_CHARS: usize = 40;
    if value.chars().count() <= MAX_CHARS {
        varco_protocol::json::quoted(value)
    } else {
        let cut: String = value.chars().take(MAX_CHARS).collect();
        format!("{}…", varco_protocol::json::quoted(&cut))
    }
}

/// A list of category ids as quoted in a message (at most ten named).
fn names(ids: &[String]) -> String {
    const MAX_NAMED: usize = 10;
    let mut out: Vec<String> = ids.iter().take(MAX_NAMED).map(|c| shown(c)).collect();
    if ids.len() > MAX_NAMED {
        out.push(format!("and {} more", ids.len() - MAX_NAMED));
    }
    out.join(", ")
}

/// Categories that a new choice turns off although the previous one had
/// them on: their cookies must be deleted.
pub fn withdrawn(previous: &StoredChoice, next: &StoredChoice) -> Vec<String> {
    previous
        .accepted
        .iter()
        .filter(|c| !next.grants(c))
        .cloned()
        .collect()
}

/// The third parties (`category/name`) that `previous` let run and `next`
/// switches off while their category stays accepted: their cookies go too.
pub fn withdrawn_services(previous: &StoredChoice, next: &StoredChoice) -> Vec<String> {
    next.refused_services
        .iter()
        .filter(|key| {
            key.split_once('/').is_some_and(|(category, service)| {
                next.grants(category) && previous.grants_service(category, service)
            })
        })
        .cloned()
        .collect()
}

/// The cookie patterns to delete once `next` has replaced `previous`: those
/// declared by the services of each withdrawn category, and by each third
/// party switched off alone.
pub fn cookies_to_delete(
    site: &SiteConfig,
    previous: &StoredChoice,
    next: &StoredChoice,
) -> Vec<String> {
    let categories = withdrawn(previous, next);
    let services = withdrawn_services(previous, next);
    let mut patterns = Vec::new();
    for cat in &site.categories {
        for service in &cat.services {
            if categories.contains(&cat.id)
                || services.contains(&service_key(&cat.id, &service.name))
            {
                patterns.extend(service.cookies.iter().cloned());
            }
        }
    }
    patterns
}

/// `*` matches any run of characters; everything else matches itself.
pub fn cookie_matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

/// The domains on which a cookie of `host` may have been set: the host and
/// its parent domain (`www.milomb.camcom.it` → `milomb.camcom.it`). None for
/// `localhost` and IP addresses.
pub fn cookie_domains(host: &str) -> Vec<String> {
    // An IPv6 address comes in brackets; an IPv4 one ends in a number, which
    // no top-level domain does.
    let is_ip = host.starts_with('[')
        || host
            .rsplit('.')
            .next()
            .is_some_and(|last| !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()));
    if is_ip || !host.contains('.') {
        return Vec::new();
    }
    let mut out = vec![host.to_owned()];
    if let Some((_, parent)) = host.split_once('.') {
        if parent.contains('.') {
            out.push(parent.to_owned());
        }
    }
    out
}

/// A short, stable fingerprint of the texts the banner showed (FNV-1a, 64 bit).
pub fn texts_hash(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0x1f)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("fnv1a64:{h:016x}")
}

pub fn is_uuid_v4(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            14 => *c == b'4',
            19 => matches!(c, b'8' | b'9' | b'a' | b'b' | b'A' | b'B'),
            _ => c.is_ascii_hexdigit(),
        })
}

/// Formats a UNIX time in milliseconds as RFC 3339 UTC (`2026-11-22T19:26:41.000Z`).
pub fn rfc3339_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Civil-from-days (H. Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// Parses an RFC 3339 date-time (`Z` or `±hh:mm`) to UNIX milliseconds;
/// `None` for anything else, dates that do not exist (`2026-02-30`)
/// included.
///
/// The text comes from requests and the browser's storage, so it is read as
/// bytes and each one is checked before it is used: a multi-byte character
/// where a digit or a separator belongs is simply not one.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let digits = |from: usize, len: usize| -> Option<i64> {
        b.get(from..from + len)?.iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let separator = |at: usize, allowed: &[u8]| b.get(at).is_some_and(|c| allowed.contains(c));
    if !(separator(4, b"-")
        && separator(7, b"-")
        && separator(10, b"Tt ")
        && separator(13, b":")
        && separator(16, b":"))
    {
        return None;
    }
    let (y, mo, d) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (h, mi, se) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    let month_days = u8::try_from(mo)
        .map(|m| i64::from(crate::booking::days_in_month(y as i32, m)))
        .unwrap_or(0);
    if !(1..=month_days).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    // `digits(17, 2)` succeeded: there are at least 19 bytes.
    let mut rest = &b[19..];
    let mut millis = 0i64;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let n = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        // Milliseconds: the first three digits, padded with zeros.
        millis = fraction[..n]
            .iter()
            .chain(b"00")
            .take(3)
            .fold(0, |m, &c| m * 10 + i64::from(c - b'0'));
        rest = &fraction[n..];
    }
    let offset_min = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2]
            if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) =>
        {
            let hours = i64::from((h1 - b'0') * 10 + (h2 - b'0'));
            let minutes = i64::from((m1 - b'0') * 10 + (m2 - b'0'));
            if hours > 23 || minutes > 59 {
                return None;
            }
            let sign = if *sign == b'-' { -1 } else { 1 };
            sign * (hours * 60 + minutes)
        }
        _ => return None,
    };
    // Days-from-civil (H. Hinnant).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + h * 3600 + mi * 60 + se) - offset_min * 60) * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    const NOW: i64 = 1_795_000_000_000;

    fn rules() -> Rules {
        Rules {
            revision: "2026-11-01".into(),
            categories: vec![
                ("necessari".into(), true),
                ("analitici".into(), false),
                ("personalizzazione".into(), false),
                ("profilazione".into(), false),
            ],
            services: vec![service_key("analitici", "Web Analytics Italia")],
            accept_days: 365,
            refuse_days: 180,
            respect_gpc: true,
        }
    }

    fn stored(choice: &StoredChoice) -> Result<Option<StoredChoice>, ()> {
        parse_stored(Some(&serde_json::to_string(choice).unwrap()))
    }

    #[test]
    fn nothing_stored_asks_and_grants_only_necessary() {
        let s = status(Ok(None), &rules(), NOW, false);
        assert_eq!(s, Status::Ask(AskReason::First));
        assert!(s.grants(&rules(), "necessari"));
        assert!(!s.grants(&rules(), "analitici"));
    }

    #[test]
    fn accept_all_grants_everything_and_lasts_a_year() {
        let c = decide(&Decision::AcceptAll, &rules(), None, ID, NOW);
        assert_eq!(c.action, ConsentAction::AcceptAll);
        assert_eq!(
            c.accepted,
            [
                "necessari",
                "analitici",
                "personalizzazione",
                "profilazione"
            ]
        );
        assert!(c.rejected.is_empty());
        let day = 86_400_000;
        assert!(matches!(
            status(stored(&c), &rules(), NOW + 364 * day, false),
            Status::Decided(_)
        ));
        assert_eq!(
            status(stored(&c), &rules(), NOW + 366 * day, false),
            Status::Ask(AskReason::Expired)
        );
    }

    #[test]
    fn a_refusal_is_kept_six_months_and_never_less() {
        let c = decide(&Decision::Close, &rules(), None, ID, NOW);
        assert_eq!(c.action, ConsentAction::Close);
        assert_eq!(c.accepted, ["necessari"]);
        let day = 86_400_000;
        assert!(matches!(
            status(stored(&c), &rules(), NOW + 179 * day, false),
            Status::Decided(_)
        ));
        assert_eq!(
            status(stored(&c), &rules(), NOW + 181 * day, false),
            Status::Ask(AskReason::Expired)
        );
        // A site cannot configure a shorter refusal.
        let mut cfg = SiteConfig::default();
        cfg.consent = Some(varco_protocol::ConsentSettings {
            refuse_days: Some(30),
            ..Default::default()
        });
        assert_eq!(Rules::from_site(&cfg).refuse_days, 180);
    }

    #[test]
    fn custom_save_grants_only_the_chosen_category() {
        let c = decide(
            &Decision::save(vec!["analitici".into()]),
            &rules(),
            None,
            ID,
            NOW,
        );
        assert_eq!(c.action, ConsentAction::Custom);
        let s = status(stored(&c), &rules(), NOW, false);
        assert!(s.grants(&rules(), "analitici"));
        assert!(!s.grants(&rules(), "profilazione"));
        assert_eq!(c.rejected, ["personalizzazione", "profilazione"]);
    }

    #[test]
    fn turning_off_an_accepted_category_is_a_withdrawal_whatever_the_button() {
        let before = decide(&Decision::AcceptAll, &rules(), None, ID, NOW);
        for d in [
            Decision::RejectAll,
            Decision::Close,
            Decision::save(vec!["analitici".into()]),
        ] {
            let after = decide(&d, &rules(), Some(&before), ID, NOW + 1000);
            assert_eq!(after.action, ConsentAction::Withdraw, "{d:?}");
        }
        let after = decide(
            &Decision::save(vec!["analitici".into()]),
            &rules(),
            Some(&before),
            ID,
            NOW,
        );
        assert_eq!(
            withdrawn(&before, &after),
            ["personalizzazione", "profilazione"]
        );
        // Adding a category is not a withdrawal.
        let narrow = decide(
            &Decision::save(vec!["analitici".into()]),
            &rules(),
            None,
            ID,
            NOW,
        );
        let wider = decide(&Decision::AcceptAll, &rules(), Some(&narrow), ID, NOW);
        assert_eq!(wider.action, ConsentAction::AcceptAll);
    }

    #[test]
    fn a_new_revision_or_a_new_category_asks_again_at_once() {
        let c = decide(&Decision::RejectAll, &rules(), None, ID, NOW);
        let mut r = rules();
        r.revision = "2027-01-01".into();
        let changed = |cats: &[&str], services: &[&str]| {
            Status::Ask(AskReason::Changed {
                new_categories: cats.iter().map(|s| s.to_string()).collect(),
                new_services: services.iter().map(|s| s.to_string()).collect(),
            })
        };
        assert_eq!(status(stored(&c), &r, NOW + 1, false), changed(&[], &[]));
        let mut r = rules();
        r.categories.push(("video".into(), false));
        assert_eq!(
            status(stored(&c), &r, NOW + 1, false),
            changed(&["video"], &[])
        );
        // A new third party in an existing category asks again too, even in
        // a refused category: the visitor decides with the full list.
        let mut r = rules();
        r.services.push(service_key("profilazione", "Meta Pixel"));
        assert_eq!(
            status(stored(&c), &r, NOW + 1, false),
            changed(&[], &["profilazione/Meta Pixel"])
        );
        // A removed third party does not.
        let mut r = rules();
        r.services.clear();
        assert!(matches!(
            status(stored(&c), &r, NOW + 1, false),
            Status::Decided(_)
        ));
    }

    #[test]
    fn a_choice_stored_before_services_were_tracked_is_not_reasked_for_them() {
        let mut c = decide(&Decision::RejectAll, &rules(), None, ID, NOW);
        c.services = None;
        let raw = serde_json::to_string(&c).unwrap();
        assert!(!raw.contains("services"));
        let mut r = rules();
        r.services.push(service_key("profilazione", "Meta Pixel"));
        assert!(matches!(
            status(parse_stored(Some(&raw)), &r, NOW + 1, false),
            Status::Decided(_)
        ));
    }

    /// A site with technical cookies alone asks nothing, whatever is
    /// stored (a choice made when it had optional categories, or garbage),
    /// and grants only what it has.
    #[test]
    fn a_site_without_optional_categories_asks_nothing() {
        let necessary_only = Rules {
            categories: vec![("necessari".into(), true)],
            services: Vec::new(),
            ..rules()
        };
        let earlier = decide(&Decision::AcceptAll, &rules(), None, ID, NOW);
        for stored_now in [Ok(None), Err(()), stored(&earlier)] {
            for gpc in [false, true] {
                let s = status(stored_now.clone(), &necessary_only, NOW + 1, gpc);
                assert_eq!(s, Status::NothingToAsk);
                assert!(s.grants(&necessary_only, "necessari"));
                assert!(!s.grants(&necessary_only, "analitici"));
            }
        }
    }

    #[test]
    fn gpc_refuses_until_the_visitor_chooses() {
        assert_eq!(status(Ok(None), &rules(), NOW, true), Status::GpcRefused);
        assert!(!Status::GpcRefused.grants(&rules(), "analitici"));
        let c = decide(&Decision::AcceptAll, &rules(), None, ID, NOW);
        assert!(
            matches!(status(stored(&c), &rules(), NOW, true), Status::Decided(_)),
            "an explicit choice wins"
        );
        let mut r = rules();
        r.respect_gpc = false;
        assert_eq!(
            status(Ok(None), &r, NOW, true),
            Status::Ask(AskReason::First)
        );
    }

    #[test]
    fn stored_data_of_every_bad_shape_counts_as_no_choice() {
        let good =
            serde_json::to_string(&decide(&Decision::AcceptAll, &rules(), None, ID, NOW)).unwrap();
        assert!(parse_stored(Some(&good)).unwrap().is_some());
        let bad = [
            "",
            "{",
            "null",
            "42",
            "\"accepted\"",
            "[]",
            "{}",
            r#"{"necessari":true,"analitici":true}"#,
            &good.replace("\"v\":1", "\"v\":2"),
            &good.replace("\"v\":1", "\"v\":0"),
            &good.replace(ID, "not-a-uuid"),
            &good.replace("\"accept_all\"", "\"yes\""),
            &good.replace("\"decided_ms\":1795000000000", "\"decided_ms\":-5"),
            &good.replace("[\"necessari\"", "[\"\""),
            // orestbida's cookieconsent shape under our key
            r#"{"categories":["necessary","analytics"],"revision":0,"data":null,"consentTimestamp":"2024-01-01T00:00:00.000Z"}"#,
        ];
        for raw in bad {
            assert_eq!(parse_stored(Some(raw)), Err(()), "{raw}");
            assert_eq!(
                status(parse_stored(Some(raw)), &rules(), NOW, false),
                Status::Ask(AskReason::Unreadable)
            );
        }
    }

    #[test]
    fn records_carry_the_choice_and_nothing_else() {
        let c = decide(
            &Decision::save(vec!["analitici".into()]),
            &rules(),
            None,
            ID,
            NOW,
        );
        let rid = "9b2c4a1e-6f0d-4e8a-b3c2-1d2e3f4a5b6c";
        let r = record(&c, "milomb", "it", &texts_hash(&["a", "b"]), rid);
        assert_eq!(check_record(&r, &published(), NOW), Vec::<String>::new());
        let json = serde_json::to_value(&r).unwrap();
        let keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "accepted",
                "action",
                "consent_id",
                "decided_at",
                "language",
                "record_id",
                "rejected",
                "revision",
                "services_accepted",
                "services_rejected",
                "site",
                "texts_hash"
            ]
        );
    }

    const RID: &str = "9b2c4a1e-6f0d-4e8a-b3c2-1d2e3f4a5b6c";
    const DAY: i64 = 86_400_000;

    fn published() -> Vec<Vec<PublishedCategory>> {
        vec![published_categories(&rules())]
    }

    /// The record the widget sends for `decision` (after `previous`), made
    /// at `NOW`.
    fn sent(decision: Decision, previous: Option<&StoredChoice>) -> ConsentRecord {
        let c = decide(&decision, &rules(), previous, ID, NOW);
        record(&c, "milomb", "it", "fnv1a64:0123456789abcdef", RID)
    }

    fn problems(r: &ConsentRecord) -> Vec<String> {
        check_record(r, &published(), NOW)
    }

    #[test]
    fn every_record_the_widget_sends_is_consistent() {
        let accepted_before = decide(&Decision::AcceptAll, &rules(), None, ID, NOW);
        let all_optional: Vec<String> = rules().optional().map(str::to_owned).collect();
        for (decision, previous) in [
            (Decision::AcceptAll, None),
            (Decision::RejectAll, None),
            (Decision::Close, None),
            (Decision::save(vec![]), None),
            (Decision::save(vec!["analitici".into()]), None),
            (Decision::save(all_optional), None),
            (Decision::AcceptAll, Some(&accepted_before)),
            (Decision::RejectAll, Some(&accepted_before)),
            (Decision::Close, Some(&accepted_before)),
            (
                Decision::save(vec!["profilazione".into()]),
                Some(&accepted_before),
            ),
        ] {
            let r = sent(decision.clone(), previous);
            assert_eq!(problems(&r), Vec::<String>::new(), "{decision:?} {r:?}");
        }
        // Made a second ago, or a minute ahead of the server's clock: fine.
        let mut r = sent(Decision::AcceptAll, None);
        r.decided_at = rfc3339_utc(NOW + 60_000);
        assert!(problems(&r).is_empty());
    }

    #[test]
    fn accept_all_rejects_nothing() {
        let mut r = sent(Decision::AcceptAll, None);
        r.accepted.retain(|c| c != "profilazione");
        r.rejected.push("profilazione".into());
        assert_eq!(
            problems(&r),
            ["action accept_all, but categories are rejected: \"profilazione\""]
        );
    }

    #[test]
    fn reject_all_and_close_accept_only_the_necessary() {
        for decision in [Decision::RejectAll, Decision::Close] {
            let mut r = sent(decision, None);
            r.rejected.retain(|c| c != "analitici");
            r.accepted.push("analitici".into());
            assert_eq!(
                problems(&r),
                [format!(
                    "action {} accepts only the necessary categories, but these are accepted: \"analitici\"",
                    r.action.as_str()
                )]
            );
        }
    }

    #[test]
    fn a_withdrawal_rejects_something() {
        let mut r = sent(Decision::AcceptAll, None);
        r.action = ConsentAction::Withdraw;
        assert_eq!(
            problems(&r),
            ["action withdraw, but nothing is rejected (a withdrawal turns at least one category or service off)"]
        );
    }

    #[test]
    fn necessary_categories_are_accepted() {
        let mut r = sent(Decision::RejectAll, None);
        r.accepted.clear();
        assert_eq!(
            problems(&r),
            ["necessary category \"necessari\" must be accepted"]
        );
        r.rejected.push("necessari".into());
        r.action = ConsentAction::Custom;
        assert_eq!(
            problems(&r),
            ["necessary category \"necessari\" cannot be rejected"]
        );
    }

    #[test]
    fn every_published_category_is_accepted_or_rejected() {
        let mut r = sent(Decision::save(vec!["analitici".into()]), None);
        r.rejected.clear();
        assert_eq!(
            problems(&r),
            ["categories of revision \"2026-11-01\" neither accepted nor rejected: \"personalizzazione\", \"profilazione\""]
        );
    }

    #[test]
    fn only_published_categories_and_each_once() {
        let mut r = sent(Decision::save(vec!["analitici".into()]), None);
        r.accepted.push("sconosciuta".into());
        r.rejected.push("sconosciuta".into());
        assert_eq!(
            problems(&r),
            [
                "category \"sconosciuta\" is both accepted and rejected",
                "unknown categories for revision \"2026-11-01\": \"sconosciuta\""
            ]
        );
        let mut r = sent(Decision::save(vec!["analitici".into()]), None);
        r.accepted.push("analitici".into());
        r.rejected.push("profilazione".into());
        r.rejected.push("analitici".into());
        assert_eq!(
            problems(&r),
            [
                "category \"analitici\" is both accepted and rejected",
                "category \"profilazione\" is rejected twice",
            ]
        );
        let mut r = sent(Decision::AcceptAll, None);
        r.accepted.push("necessari".into());
        assert_eq!(problems(&r), ["category \"necessari\" is accepted twice"]);
    }

    #[test]
    fn the_revision_is_one_the_site_published_with_its_own_categories() {
        let r = sent(Decision::RejectAll, None);
        assert_eq!(
            check_record(&r, &[], NOW),
            ["revision \"2026-11-01\" was never published by site \"milomb\""]
        );
        // The same revision name published twice with other categories: a
        // record that fits either list is fine; otherwise the problems are
        // those against the latest.
        let mut older = rules();
        older.categories.retain(|(c, _)| c != "personalizzazione");
        let mut newer = rules();
        newer.categories.push(("video".into(), false));
        let both = [published_categories(&older), published_categories(&newer)];
        let mut r = sent(Decision::RejectAll, None);
        r.rejected.retain(|c| c != "personalizzazione");
        assert!(check_record(&r, &both, NOW).is_empty());
        r.rejected.push("altro".into());
        assert_eq!(
            check_record(&r, &both, NOW),
            [
                "unknown categories for revision \"2026-11-01\": \"altro\"",
                "categories of revision \"2026-11-01\" neither accepted nor rejected: \"personalizzazione\", \"video\""
            ]
        );
    }

    #[test]
    fn decided_at_is_neither_in_the_future_nor_older_than_the_retry_window() {
        let mut r = sent(Decision::AcceptAll, None);
        r.decided_at = rfc3339_utc(NOW + RECORD_CLOCK_SKEW_MS + 1000);
        let future = rfc3339_utc(NOW + RECORD_CLOCK_SKEW_MS + 1000);
        assert_eq!(
            problems(&r),
            [format!("decided_at \"{future}\" is in the future (more than 5 minutes ahead of the server's clock)")]
        );
        r.decided_at = rfc3339_utc(NOW - (RECORD_RETRY_DAYS - 1) * DAY);
        assert!(problems(&r).is_empty());
        let old = rfc3339_utc(NOW - RECORD_RETRY_DAYS * DAY - 1000);
        r.decided_at = old.clone();
        assert_eq!(
            problems(&r),
            [format!(
                "decided_at \"{old}\" is more than 30 days old (the widget's retry window)"
            )]
        );
        r.decided_at = "ieri".into();
        assert_eq!(problems(&r), ["decided_at must be an RFC 3339 date-time"]);
    }

    #[test]
    fn the_outbox_gives_up_when_the_server_would_refuse() {
        let r = sent(Decision::AcceptAll, None);
        assert!(!record_outlived(&r.decided_at, NOW));
        assert!(!record_outlived(
            &r.decided_at,
            NOW + (RECORD_RETRY_DAYS - 1) * DAY
        ));
        let later = NOW + RECORD_RETRY_DAYS * DAY + 1;
        assert!(record_outlived(&r.decided_at, later));
        assert!(!check_record(&r, &published(), later).is_empty());
        assert!(record_outlived("ieri", NOW));
    }

    #[test]
    fn the_record_seen_in_the_register_is_refused_for_each_of_its_faults() {
        // `accept_all` with every category rejected, dated 1999, for a
        // revision the site never published.
        let mut r = sent(Decision::AcceptAll, None);
        r.accepted.clear();
        r.rejected = rules().categories.iter().map(|(c, _)| c.clone()).collect();
        r.decided_at = "1999-05-01T10:00:00Z".into();
        r.revision = "1998".into();
        // The server finds nothing published under "1998".
        assert_eq!(
            check_record(&r, &[], NOW),
            [
                "decided_at \"1999-05-01T10:00:00Z\" is more than 30 days old (the widget's retry window)",
                "service \"analitici/Web Analytics Italia\" may run, but its category is not accepted",
                "action accept_all, but categories are rejected: \"necessari\", \"analitici\", \"personalizzazione\", \"profilazione\"",
                "revision \"1998\" was never published by site \"milomb\"",
            ]
        );
    }

    #[test]
    fn values_quoted_in_a_problem_are_cut_short() {
        let mut r = sent(Decision::AcceptAll, None);
        r.language = "<script>".repeat(2);
        r.accepted.push("x".repeat(5000));
        r.action = ConsentAction::Withdraw;
        r.rejected = vec!["necessari".into(), "necessari".into()];
        r.decided_at = "2999-01-01T00:00:00Z".into();
        r.record_id = "x".into();
        // The server joins the problems with "; ": none holds one itself.
        assert_eq!(problems(&r).len(), 6, "{:?}", problems(&r));
        assert!(
            problems(&r).iter().all(|p| !p.contains(';')),
            "{:?}",
            problems(&r)
        );
        let all = problems(&r).join("; ");
        assert!(
            all.contains("language \"<script><script>\" must be a language tag"),
            "{all}"
        );
        assert!(all.contains(&format!("\"{}\"…", "x".repeat(40))), "{all}");
        assert!(all.len() < 400, "{all}");
        let many: Vec<String> = (0..50).map(|i| format!("c{i}")).collect();
        assert_eq!(names(&many).matches(", ").count(), 10);
        assert!(names(&many).ends_with("and 40 more"));
    }

    #[test]
    fn cookie_patterns_and_domains() {
        assert!(cookie_matches("_pk_id.*", "_pk_id.1.1fff"));
        assert!(cookie_matches("_pk_ses.*", "_pk_ses.1.1fff"));
        assert!(!cookie_matches("_pk_id.*", "_pk_ses.1.1fff"));
        assert!(cookie_matches("YSC", "YSC"));
        assert!(!cookie_matches("YSC", "YSC2"));
        assert!(cookie_matches("*", "anything"));
        assert_eq!(
            cookie_domains("www.milomb.camcom.it"),
            ["www.milomb.camcom.it", "milomb.camcom.it"]
        );
        assert_eq!(cookie_domains("example.it"), ["example.it"]);
        assert!(cookie_domains("127.0.0.1").is_empty());
        assert!(cookie_domains("localhost").is_empty());
    }

    #[test]
    fn texts_hash_is_stable_and_sensitive() {
        assert_eq!(
            texts_hash(&["Accetta tutti", "Rifiuta tutti"]),
            texts_hash(&["Accetta tutti", "Rifiuta tutti"])
        );
        assert_ne!(
            texts_hash(&["Accetta tutti", "Rifiuta tutti"]),
            texts_hash(&["Accetta tuttiRifiuta", " tutti"])
        );
    }

    #[test]
    fn rfc3339_round_trips() {
        for ms in [0, 951_782_400_000, 1_795_000_000_123, 4_107_542_400_999] {
            assert_eq!(
                parse_rfc3339_ms(&rfc3339_utc(ms)),
                Some(ms),
                "{}",
                rfc3339_utc(ms)
            );
        }
        assert_eq!(rfc3339_utc(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            parse_rfc3339_ms("2026-11-22T20:26:41+01:00"),
            parse_rfc3339_ms("2026-11-22T19:26:41Z")
        );
        assert_eq!(parse_rfc3339_ms("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339_ms("22/11/2026"), None);
    }

    #[test]
    fn rfc3339_is_parsed_byte_by_byte_and_refuses_what_is_not_one() {
        let utc = parse_rfc3339_ms("2026-01-01T00:00:00Z").unwrap();
        assert_eq!(
            parse_rfc3339_ms("2026-01-01T00:00:00.5-01:30"),
            Some(utc + 90 * 60_000 + 500)
        );
        assert_eq!(
            parse_rfc3339_ms("2026-01-01t00:00:00.123456789z"),
            Some(utc + 123)
        );
        assert_eq!(
            parse_rfc3339_ms("2024-02-29T00:00:00Z"),
            Some(1_709_164_800_000)
        );
        for bad in [
            // A two-byte character where the offset's digits are: the
            // request that made the handler panic.
            "2026-01-01T00:00:00+0\u{e9}00",
            "2026-01-01T00:00:00+\u{e9}:00",
            "2026-01-01T00:00:00\u{e9}",
            "2026-01-01T00:00:00.\u{e9}Z",
            "2026-01-0\u{e9}T00:00:00Z",
            "\u{e9}026-01-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-00-10T00:00:00Z",
            "2026-01-00T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00+24:00",
            "2026-01-01T00:00:00+01:60",
            "2026-01-01T00:00:00++1:00",
            "2026-01-01T00:00:00+0100",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00Zx",
            "+026-01-01T00:00:00Z",
            "2026-01-01",
            "",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad:?}");
        }
    }

    /// Matomo switched off inside an accepted category: the category is
    /// granted, Matomo is not, the record says so, and switching it off
    /// later is a withdrawal whose record the server accepts.
    #[test]
    fn a_third_party_switched_off_alone_stays_off_and_is_recorded() {
        let rules = rules();
        let matomo = rules
            .services
            .iter()
            .find(|k| k.starts_with("analitici/"))
            .expect("the test site has an analytics service")
            .clone();
        let (category, name) = matomo.split_once('/').unwrap();
        let all = decide(&Decision::AcceptAll, &rules, None, ID, NOW);
        assert!(all.grants_service(category, name));
        let save = Decision::Save {
            categories: vec!["analitici".into()],
            // Unknown keys and keys of categories left off are not kept.
            refused_services: vec![
                matomo.clone(),
                "analitici/Nobody".into(),
                "profilazione/X".into(),
            ],
        };
        let c = decide(&save, &rules, Some(&all), ID, NOW);
        assert_eq!(c.refused_services, [matomo.clone()]);
        assert!(c.grants("analitici") && !c.grants_service(category, name));
        assert_eq!(
            c.action,
            ConsentAction::Withdraw,
            "Matomo had been accepted"
        );
        assert_eq!(withdrawn_services(&all, &c), [matomo.clone()]);
        let site: SiteConfig = serde_json::from_str(
            r#"{"categories":[{"id":"necessari","necessary":true},
                {"id":"analitici","services":[{"name":"Web Analytics Italia","cookies":["_pk_id*"]},{"name":"Altro","cookies":["_altro"]}]},
                {"id":"profilazione","services":[{"name":"Video","cookies":["YSC"]}]}]}"#,
        )
        .unwrap();
        // Matomo off alone: its cookies go, the category's others stay.
        let matomo_off = Decision::Save {
            categories: rules.optional().map(str::to_owned).collect(),
            refused_services: vec![matomo.clone()],
        };
        let alone = decide(&matomo_off, &rules, Some(&all), ID, NOW);
        assert_eq!(cookies_to_delete(&site, &all, &alone), ["_pk_id*"]);
        // With «profilazione» left off in `c`, its services' cookies go too.
        assert_eq!(cookies_to_delete(&site, &all, &c), ["_pk_id*", "YSC"]);
        // Everything optional withdrawn.
        let less = decide(&Decision::save(vec![]), &rules, Some(&all), ID, NOW);
        assert_eq!(
            cookies_to_delete(&site, &all, &less),
            ["_pk_id*", "_altro", "YSC"]
        );
        let status = Status::Decided(c.clone());
        assert!(!status.grants_service(&rules, category, Some(name)));
        assert!(status.grants_service(&rules, category, None));
        let r = record(
            &c,
            "milomb",
            "it",
            "h",
            "9b2c4a1e-6f0d-4e8a-b3c2-1d2e3f4a5b6c",
        );
        assert!(r.services_rejected.contains(&matomo));
        assert!(!r.services_accepted.contains(&matomo));
        assert_eq!(
            r.services_accepted.len() + r.services_rejected.len(),
            rules.services.len()
        );
        assert_eq!(check_record(&r, &published(), NOW), Vec::<String>::new());
        // Stored and read back, the refusal holds.
        let back = parse_stored(Some(&varco_protocol::json::to_string(&c)))
            .unwrap()
            .unwrap();
        assert_eq!(back.refused_services, [matomo]);
    }

    #[test]
    fn a_records_third_parties_must_fit_its_categories() {
        let mut r = sent(Decision::save(vec!["analitici".into()]), None);
        r.services_accepted.push("profilazione/Y".into());
        r.services_rejected.push("profilazione/Y".into());
        r.services_rejected.push("nessuna".into());
        r.services_rejected.push("altro/X".into());
        assert_eq!(
            problems(&r),
            [
                "service \"profilazione/Y\" may run, but its category is not accepted",
                "service \"profilazione/Y\" is listed twice",
                "service \"nessuna\" must be \"category/name\", at most 200 characters",
                "service \"altro/X\" belongs to no category of the record",
            ]
        );
        let mut r = sent(Decision::AcceptAll, None);
        let moved = r.services_accepted.pop().unwrap();
        r.services_rejected.push(moved.clone());
        assert_eq!(
            problems(&r),
            [format!(
                "action accept_all, but services are rejected: \"{moved}\""
            )]
        );
        let mut r = sent(Decision::AcceptAll, None);
        r.services_accepted = (0..=MAX_RECORD_SERVICES)
            .map(|i| format!("analitici/{i}"))
            .collect();
        assert_eq!(problems(&r).len(), 1);
    }
}
