//! The consent manager's shell: reads and writes the stored choice, sends
//! the proof of each decision, brings managed content to life, tells the page.
//! The rules themselves are in `varco_core::consent`.

use crate::browser::{self, Store};
use crate::config::Boot;
use crate::managed;
use std::cell::RefCell;
use std::rc::Rc;
use varco_core::consent::{
    self as rules, AskReason, Decision, Rules, Status, StoredChoice, OUTBOX_KEY, STORAGE_KEY,
};
use varco_core::delivery::{delivery, retry_delay_ms, Delivery};
use varco_core::texts::{Key, Texts};
use varco_protocol::json::{self, Object, ToJson};
use varco_protocol::ConsentRecord;
use wasm_bindgen::JsValue;

pub type Shared = Rc<RefCell<Controller>>;

/// What changed in the consent state outside the views that show it, for
/// whoever shows it (the app re-renders): told through [`listen`], so that
/// this module knows nothing of its views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The server's configuration replaced the page's: the banner asks
    /// again if the stored choice no longer matches it.
    SiteChanged,
    /// A decision made from the page (a blocked embed's "Allow").
    Decided,
}

thread_local! {
    static LISTENER: std::cell::Cell<Option<fn(Change)>> = const { std::cell::Cell::new(None) };
}

/// Sets the one listener of [`Change`]s.
pub fn listen(listener: fn(Change)) {
    LISTENER.with(|l| l.set(Some(listener)));
}

fn tell(change: Change) {
    if let Some(listener) = LISTENER.with(|l| l.get()) {
        listener(change);
    }
}

pub struct Controller {
    pub boot: Boot,
    pub rules: Rules,
    pub texts: Texts,
    pub status: Status,
    /// The last readable stored choice, even if it must be asked again:
    /// the preferences panel shows it, and turning its categories off is a
    /// withdrawal.
    pub previous: Option<StoredChoice>,
    cookie_mode: bool,
    /// What the page's analytics tools were last told (see
    /// `varco_core::signals::changes`); `None` before anything.
    told: Option<varco_core::signals::Told>,
}

/// `window.Varco.consent()`'s shape.
struct ConsentView<'a> {
    consent_id: &'a str,
    revision: &'a str,
    decided_at: &'a str,
    categories: varco_protocol::SortedMap<bool>,
}

impl ToJson for ConsentView<'_> {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("consent_id", self.consent_id)
            .field("revision", self.revision)
            .field("decided_at", self.decided_at)
            .field("categories", &self.categories)
            .end();
    }
}

impl Controller {
    pub fn load(boot: Boot) -> Controller {
        let rules = Rules::from_site(&boot.site);
        let texts = Texts::new(boot.lang, &boot.site.texts);
        let cookie_mode = boot
            .site
            .consent
            .as_ref()
            .and_then(|c| c.storage.as_deref())
            == Some("cookie");
        let mut c = Controller {
            boot,
            rules,
            texts,
            status: Status::Ask(AskReason::First),
            previous: None,
            cookie_mode,
            told: None,
        };
        c.read_stored();
        c
    }

    /// The analytics tools have heard the state in force already (from the
    /// light part, before the app took over): later activations tell them
    /// only what changes.
    pub fn signalled(&mut self) {
        if let Some(settings) = self
            .boot
            .site
            .consent
            .as_ref()
            .and_then(|k| k.signals.as_ref())
        {
            self.told = Some(varco_core::signals::told(
                settings,
                &self.status,
                &self.rules,
            ));
        }
    }

    /// Reads the stored choice and works out the status under the rules.
    fn read_stored(&mut self) {
        let raw = if self.cookie_mode {
            browser::cookie(STORAGE_KEY)
        } else {
            Store::get(STORAGE_KEY)
        };
        let parsed = rules::parse_stored(raw.as_deref());
        if parsed.is_err() {
            browser::warn("Varco: the stored consent choice is unreadable (corrupted, foreign or from another version); the banner asks again and nothing optional runs.");
        }
        self.previous = parsed.clone().ok().flatten();
        let gpc = crate::page::global_privacy_control(&browser::window());
        self.status = rules::status(parsed, &self.rules, browser::now_ms(), gpc);
    }

    /// Adopts the server's configuration of the site when it differs from
    /// the page's (a new revision, categories or third parties): with a
    /// backend the server's is the one that counts, and the banner asks
    /// again if the stored choice no longer matches it. Fetched after the
    /// banner is up, so it never delays it; if it fails, the page's stays.
    pub fn refresh_from_server(this: Shared) {
        let (api, site_id) = {
            let c = this.borrow();
            match &c.boot.options.api {
                Some(api) => (api.clone(), c.boot.options.site.clone()),
                None => return,
            }
        };
        wasm_bindgen_futures::spawn_local(async move {
            let url = format!("{api}/v1/sites/{}", browser::encode_uri_component(&site_id));
            let Ok(text) = browser::get_text(&url).await else {
                return;
            };
            let Some(site) = json::from_str::<varco_protocol::SiteConfig>(&text) else {
                browser::warn(&format!("Varco: the server's configuration of \"{site_id}\" is not valid JSON of the expected shape; the page's is used."));
                return;
            };
            let errors = varco_core::config::check_site_config(&site);
            if !errors.is_empty() {
                browser::warn(&format!("Varco: the server's configuration of \"{site_id}\" is invalid; the page's is used. {}", errors[0]));
                return;
            }
            // A page whose block differs from the server's is reported, so
            // that the site's webmaster sees it in the console and fixes it.
            // (A page with no block has nothing to fix: it takes the
            // server's.)
            // Compared as written (the shape the server serves), its name
            // of the site aside: a page's block need not say it.
            let mut site = site;
            let stale = {
                let c = this.borrow();
                let page = &c.boot.site;
                let named = std::mem::replace(&mut site.site, page.site.clone());
                let written = json::to_string(page);
                let differs = written != json::to_string(&site);
                site.site = named;
                differs && written != "{}"
            };
            if stale {
                browser::warn("Varco: this page's configuration block differs from the server's, which is used; `varco-server site-block` prints the right one.");
                let path = browser::window().location().pathname().unwrap_or_default();
                let mut body = String::from("{\"path\":");
                json::write_str(&mut body, &path);
                body.push('}');
                let url = format!("{url}/stale-block");
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = browser::send_json("POST", &url, &body).await;
                });
            }
            let rules = Rules::from_site(&site);
            {
                let mut c = this.borrow_mut();
                if rules == c.rules {
                    return;
                }
                c.texts = Texts::new(c.boot.lang, &site.texts);
                c.cookie_mode =
                    site.consent.as_ref().and_then(|k| k.storage.as_deref()) == Some("cookie");
                c.boot.site = site;
                c.rules = rules;
                c.read_stored();
            }
            Self::activate(&this);
            tell(Change::SiteChanged);
        });
    }

    /// Whether the site shows the floating button that reopens the
    /// preferences (default: yes).
    pub fn floating_button(&self) -> bool {
        self.boot
            .site
            .consent
            .as_ref()
            .and_then(|s| s.floating_button)
            .unwrap_or(true)
    }

    /// The sides of the floating consent button and of the assistant's
    /// launcher: opposite each other, the launcher where the tag says.
    pub fn sides(&self) -> (&'static str, &'static str) {
        match self.boot.options.position {
            varco_core::config::Position::BottomRight => ("left", "right"),
            varco_core::config::Position::BottomLeft => ("right", "left"),
        }
    }

    pub fn grants(&self, category: &str) -> bool {
        self.status.grants(&self.rules, category)
    }

    /// Whether content of `category`, marked as the third party `service`
    /// if it is, may run now.
    pub fn grants_service(&self, category: &str, service: Option<&str>) -> bool {
        self.status.grants_service(&self.rules, category, service)
    }

    pub fn must_ask(&self) -> bool {
        matches!(self.status, Status::Ask(_))
    }

    pub fn ask_reason(&self) -> Option<&AskReason> {
        match &self.status {
            Status::Ask(r) => Some(r),
            _ => None,
        }
    }

    /// Fingerprint of the banner texts the visitor saw.
    pub fn texts_hash(&self) -> String {
        let t = &self.texts;
        rules::texts_hash(&[
            t.get(Key::banner_title),
            t.get(Key::banner_technical),
            t.get(Key::banner_purposes),
            t.get(Key::banner_close_note),
            t.get(Key::accept_all),
            t.get(Key::reject_all),
            t.get(Key::customise),
            t.get(Key::close_banner),
            self.boot.site.cookie_policy_url.as_deref().unwrap_or(""),
        ])
    }

    /// Applies a decision: stores it, deletes what a withdrawal leaves
    /// behind, sends (or queues) its record, runs what is now granted and
    /// tells the page.
    pub fn decide(this: &Shared, decision: Decision) {
        let (choice, withdrawn_cookies, changed) = {
            let mut c = this.borrow_mut();
            let consent_id = c
                .previous
                .as_ref()
                .map(|p| p.consent_id.clone())
                .unwrap_or_else(browser::uuid_v4);
            let choice = rules::decide(
                &decision,
                &c.rules,
                c.previous.as_ref(),
                &consent_id,
                browser::now_ms(),
            );
            let before: Vec<String> = c
                .rules
                .categories
                .iter()
                .filter(|(id, _)| c.grants(id))
                .map(|(id, _)| id.clone())
                .collect();
            let patterns = c
                .previous
                .as_ref()
                .map(|p| rules::cookies_to_delete(&c.boot.site, p, &choice))
                .unwrap_or_default();
            c.store(&choice);
            c.status = Status::Decided(choice.clone());
            c.previous = Some(choice.clone());
            let after: Vec<String> = choice.accepted.clone();
            let granted: Vec<&String> = after.iter().filter(|a| !before.contains(a)).collect();
            let revoked: Vec<&String> = before.iter().filter(|b| !after.contains(b)).collect();
            let changed = browser::to_js(&ConsentChange { granted, revoked });
            (choice, patterns, changed)
        };
        managed::delete_cookies(&withdrawn_cookies);
        let record = {
            let c = this.borrow();
            rules::record(
                &choice,
                &c.boot.options.site,
                c.boot.lang.code(),
                &c.texts_hash(),
                &browser::uuid_v4(),
            )
        };
        Self::send(this, record);
        Self::activate(this);
        let detail = this.borrow().consent_js();
        browser::dispatch("varco:consent", &detail);
        browser::dispatch("varco:change", &changed);
    }

    /// Forgets the choice (`Varco.reset()`): the banner asks again.
    pub fn reset(this: &Shared) {
        let mut c = this.borrow_mut();
        if c.cookie_mode {
            browser::set_cookie(&format!("{STORAGE_KEY}=; max-age=0; path=/"));
        } else {
            Store::remove(STORAGE_KEY);
        }
        c.previous = None;
        c.status = Status::Ask(AskReason::First);
    }

    fn store(&self, choice: &StoredChoice) {
        let json = json::to_string(choice);
        if self.cookie_mode {
            let days = if choice.accepted.len() > self.rules.necessary().count() {
                self.rules.accept_days
            } else {
                self.rules.refuse_days
            };
            let secure =
                if browser::window().location().protocol().ok().as_deref() == Some("https:") {
                    "; Secure"
                } else {
                    ""
                };
            browser::set_cookie(&format!(
                "{STORAGE_KEY}={}; max-age={}; path=/; SameSite=Lax{secure}",
                browser::encode_uri_component(&json),
                days as u64 * 86_400
            ));
        } else {
            Store::set(STORAGE_KEY, &json);
        }
    }

    /// Brings to life what the current state grants.
    pub fn activate(this: &Shared) {
        let granted_view = this.clone();
        let allow_view = this.clone();
        let titles = this.clone();
        let c = this.borrow();
        let placeholder = managed::Placeholder {
            text: c.texts.get(Key::embed_blocked).to_owned(),
            allow: c.texts.get(Key::embed_allow).to_owned(),
            title_of: Box::new(move |id: &str| {
                let c = titles.borrow();
                let lang = c.boot.lang.code();
                c.boot
                    .site
                    .categories
                    .iter()
                    .find(|cat| cat.id == id)
                    .and_then(|cat| cat.title.as_ref().map(|t| t.get(lang).to_owned()))
                    .unwrap_or_else(|| id.to_owned())
            }),
            // "Allow" on a blocked embed: its category on, with all its
            // third parties; what else was on or off stays.
            on_allow: Rc::new(move |category: String| {
                let (mut categories, refused_services) = {
                    let c = allow_view.borrow();
                    let on: Vec<String> = c
                        .rules
                        .optional()
                        .filter(|id| c.grants(id))
                        .map(str::to_owned)
                        .collect();
                    let prefix = format!("{category}/");
                    let refused: Vec<String> = match &c.status {
                        Status::Decided(choice) => choice
                            .refused_services
                            .iter()
                            .filter(|k| !k.starts_with(&prefix))
                            .cloned()
                            .collect(),
                        _ => Vec::new(),
                    };
                    (on, refused)
                };
                categories.push(category);
                Controller::decide(
                    &allow_view,
                    Decision::Save {
                        categories,
                        refused_services,
                    },
                );
                tell(Change::Decided);
            }),
        };
        drop(c);
        managed::apply(
            Rc::new(move |cat: &str, service: Option<&str>| {
                granted_view.borrow().grants_service(cat, service)
            }),
            Rc::new(placeholder),
        );
        // Delivered with the controller free: the page's `gtag` is the
        // page's code, and may call `window.Varco`.
        let settings = this
            .borrow()
            .boot
            .site
            .consent
            .as_ref()
            .and_then(|k| k.signals.clone());
        let Some(settings) = settings else {
            return;
        };
        let signals = {
            let mut c = this.borrow_mut();
            let (signals, told) =
                varco_core::signals::changes(&settings, &c.status, &c.rules, c.told.as_ref());
            c.told = Some(told);
            signals
        };
        crate::signals::deliver(&signals);
    }

    /// `Varco.consent()`: null before a valid choice.
    pub fn consent_js(&self) -> JsValue {
        let Status::Decided(choice) = &self.status else {
            return JsValue::NULL;
        };
        let mut categories = varco_protocol::SortedMap::new();
        for (id, _) in &self.rules.categories {
            categories.insert(id.clone(), choice.grants(id));
        }
        let view = ConsentView {
            consent_id: &choice.consent_id,
            revision: &choice.revision,
            decided_at: &choice.decided_at,
            categories,
        };
        browser::to_js(&view)
    }

    /// Queues the record and tries to deliver the queue. Without a backend
    /// the record is handed to the site as a `varco:record` event.
    fn send(this: &Shared, record: ConsentRecord) {
        let api = this.borrow().boot.options.api.clone();
        if api.is_none() {
            let detail = browser::to_js(&record);
            browser::dispatch("varco:record", &detail);
            return;
        }
        let mut queue = outbox();
        queue.push(record);
        save_outbox(&queue);
        flush_outbox(this.clone(), 0);
    }
}

/// `varco:change`'s detail: the categories granted and revoked.
struct ConsentChange<'a> {
    granted: Vec<&'a String>,
    revoked: Vec<&'a String>,
}

impl ToJson for ConsentChange<'_> {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("granted", &self.granted)
            .field("revoked", &self.revoked)
            .end();
    }
}

fn outbox() -> Vec<ConsentRecord> {
    Store::get(OUTBOX_KEY)
        .and_then(|raw| json::from_str(&raw))
        .unwrap_or_default()
}

fn save_outbox(queue: &[ConsentRecord]) {
    if queue.is_empty() {
        Store::remove(OUTBOX_KEY);
    } else {
        Store::set(OUTBOX_KEY, &json::to_string(queue));
    }
}

/// `varco:record-refused`'s detail.
struct Refusal<'a> {
    record_id: &'a str,
    status: u16,
    error: &'a str,
    message: &'a str,
    record: &'a ConsentRecord,
}

impl ToJson for Refusal<'_> {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("record_id", self.record_id)
            .field("status", &self.status)
            .field("error", self.error)
            .field("message", self.message)
            .field("record", self.record)
            .end();
    }
}

/// A record the server refused for good leaves the queue (sending it again
/// would be refused again and block the records after it), but never
/// silently: the console says why, and the page gets `varco:record-refused`
/// with the server's reason and the record, to keep it some other way.
fn tell_refused(record: &ConsentRecord, status: u16, answer: &str) {
    let reason = json::from_str::<varco_protocol::ApiError>(answer);
    let (error, message) = match &reason {
        Some(r) => (r.error.as_str(), r.message.as_str()),
        None => ("", "the server gave no reason"),
    };
    tell_dropped(
        record,
        &format!("the server refused a consent record (HTTP {status} {error})"),
        status,
        error,
        message,
    );
}

/// A record that waited in the queue past the retry window
/// (`varco_core::consent::RECORD_RETRY_DAYS`) is dropped unsent, since the
/// server would refuse it: told like a refusal, with status 0.
fn tell_outlived(record: &ConsentRecord) {
    let message = format!(
        "decided_at {} is more than {} days old (the retry window): the record was never delivered",
        record.decided_at,
        varco_core::consent::RECORD_RETRY_DAYS
    );
    tell_dropped(
        record,
        "a consent record waited too long to be delivered",
        0,
        "record_outlived",
        &message,
    );
}

fn tell_dropped(record: &ConsentRecord, what: &str, status: u16, error: &str, message: &str) {
    web_sys::console::warn_2(
        &JsValue::from_str(&format!("Varco: {what}; it is not sent again. Reason:")),
        &JsValue::from_str(message),
    );
    let detail = browser::to_js(&Refusal {
        record_id: &record.record_id,
        status,
        error,
        message,
        record,
    });
    browser::dispatch("varco:record-refused", &detail);
}

/// Removes one record from the stored queue (read again: another tab or
/// the page may have queued more meanwhile).
fn remove_from_outbox(record_id: &str) {
    let rest: Vec<ConsentRecord> = outbox()
        .into_iter()
        .filter(|r| r.record_id != record_id)
        .collect();
    save_outbox(&rest);
}

thread_local! {
    static FLUSHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Delivers queued records one by one. A record leaves the queue when the
/// server has answered for it (stored, already stored, or refused for good);
/// on a network error or a 5xx it stays, and delivery is retried with
/// backoff and when the browser comes back online. The server stores each
/// `record_id` once, so a retry (or another tab) never duplicates a record.
pub fn flush_outbox(this: Shared, attempt: u32) {
    if FLUSHING.with(|f| f.replace(true)) {
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let Some(api) = this.borrow().boot.options.api.clone() else {
            FLUSHING.with(|f| f.set(false));
            return;
        };
        let url = format!("{api}/v1/consents");
        let mut failed = false;
        loop {
            let queue = outbox();
            let Some(record) = queue.first().cloned() else {
                break;
            };
            if varco_core::consent::record_outlived(&record.decided_at, browser::now_ms()) {
                tell_outlived(&record);
                remove_from_outbox(&record.record_id);
                continue;
            }
            let body = json::to_string(&record);
            let answer = browser::send_json_read("POST", &url, &body, None)
                .await
                .ok();
            match delivery(answer.as_ref().map(|(status, _)| *status)) {
                Delivery::RetryLater => {
                    failed = true;
                    break;
                }
                Delivery::Refused(status) => {
                    let text = answer.map(|(_, text)| text).unwrap_or_default();
                    tell_refused(&record, status, &text);
                }
                Delivery::Delivered => {}
            }
            remove_from_outbox(&record.record_id);
        }
        FLUSHING.with(|f| f.set(false));
        if failed {
            browser::after(retry_delay_ms(attempt), move || {
                flush_outbox(this, attempt + 1)
            });
        }
    });
}
