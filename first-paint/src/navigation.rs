//! Navigation data's shell: records this page view in localStorage, uploads
//! the history while `personalizzazione` is granted, and on withdrawal
//! stops, asks the server to delete the UserID's data (retried until it
//! confirms) and clears or keeps the local history as the site says. The
//! rules are in `varco_core::navigation`.
//!
//! The UserID never travels with anything else: the only requests made
//! here are the upload (`site`, `user_id`, page views), the deletion and the
//! recommendations, and none of them carries a Thread ID.

use crate::browser::{self, Store};
use crate::consent::Shared;
use std::cell::RefCell;
use std::rc::Rc;
use varco_core::delivery::{delivery, retry_delay_ms, Delivery};
use varco_core::navigation::{
    add_deletion, batch, clean_path, confirm_deletion, deletions_json, keep_local_on_withdrawal,
    mark_uploaded, may_record, on_withdrawal, parse_deletions, parse_history, record,
    site_collect_mode, History, Limits, PendingDeletion, Visit, CONSENT_CATEGORY, DELETION_KEY,
    HISTORY_KEY,
};
use varco_protocol::navigation::{Collect, NavigationSettings};
use wasm_bindgen::prelude::*;

struct Navigation {
    api: Option<String>,
    site: String,
    mode: Collect,
    limits: Limits,
    settings: Option<NavigationSettings>,
    /// `personalizzazione` as last seen.
    granted: bool,
    uploading: bool,
    /// Aborts the upload in flight: a withdrawal or a deletion must not
    /// let a batch under the old UserID arrive after it.
    upload_abort: Option<web_sys::AbortController>,
    deleting: bool,
}

impl Navigation {
    /// Aborts the upload in flight, if any.
    fn cancel_upload(&mut self) {
        if let Some(abort) = self.upload_abort.take() {
            abort.abort();
        }
    }
}

type SharedNav = Rc<RefCell<Navigation>>;

thread_local! {
    static NAV: RefCell<Option<SharedNav>> = const { RefCell::new(None) };
}

/// Reads the history; an unreadable one is dropped with a console warning
/// (and its UserID, if it can be read, queued for deletion on the server).
fn load(site: &str) -> Option<History> {
    match parse_history(Store::get(HISTORY_KEY).as_deref(), site) {
        Ok(h) => h,
        Err(corrupt) => {
            browser::warn(&format!("Varco: {corrupt}."));
            if let Some(forgotten) = corrupt.forgotten {
                queue_deletion(forgotten);
            }
            Store::remove(HISTORY_KEY);
            None
        }
    }
}

fn save(history: Option<&History>) {
    match history.map(varco_protocol::json::to_string) {
        Some(json) => Store::set(HISTORY_KEY, &json),
        None => Store::remove(HISTORY_KEY),
    }
}

fn queue_deletion(d: PendingDeletion) {
    let queue = add_deletion(parse_deletions(Store::get(DELETION_KEY).as_deref()), d);
    match deletions_json(&queue) {
        Some(json) => Store::set(DELETION_KEY, &json),
        None => Store::remove(DELETION_KEY),
    }
}

/// Records this page view if the site and the visitor's choice allow it,
/// uploads what is pending if `personalizzazione` is granted, and follows
/// later decisions.
pub fn install(controller: &Shared) {
    let (nav, granted) = {
        let c = controller.borrow();
        let settings = c.boot.site.navigation.clone();
        let granted = c.grants(CONSENT_CATEGORY);
        let nav = Navigation {
            api: c.boot.options.api.clone(),
            site: c.boot.options.site.clone(),
            mode: site_collect_mode(&c.boot.site),
            limits: Limits::from_settings(settings.as_ref()),
            settings,
            granted,
            uploading: false,
            upload_abort: None,
            deleting: false,
        };
        (Rc::new(RefCell::new(nav)), granted)
    };
    NAV.with(|n| *n.borrow_mut() = Some(nav.clone()));
    let mode = nav.borrow().mode;
    if may_record(mode, granted) {
        record_this_page(&nav);
    } else if Store::get(HISTORY_KEY).is_some() {
        // `off`, or `after-consent` without consent: nothing may stay here.
        save(None);
    }
    flush_deletions(nav.clone(), 0);
    if granted {
        upload(nav.clone(), 0);
    }
    // Every decision (banner, preferences, another tab through the page's
    // API) is announced with `varco:consent`.
    let controller = controller.clone();
    let on_consent = Closure::<dyn Fn()>::new(move || {
        let granted = controller.borrow().grants(CONSENT_CATEGORY);
        consent_changed(&nav, granted);
    });
    let _ = browser::document()
        .add_event_listener_with_callback("varco:consent", on_consent.as_ref().unchecked_ref());
    on_consent.forget();
}

fn record_this_page(nav: &SharedNav) {
    let location = browser::window().location();
    let path = format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    );
    let n = nav.borrow();
    let allowed = varco_core::navigation::allowed_query_params(n.settings.as_ref());
    let path = clean_path(&path, allowed);
    let title = browser::document().title();
    let visit = Visit {
        key: browser::uuid_v4(),
        path: &path,
        title: &title,
        at_ms: browser::now_ms(),
    };
    let history = record(load(&n.site), &n.site, browser::uuid_v4, visit, &n.limits);
    save(Some(&history));
}

fn consent_changed(nav: &SharedNav, granted: bool) {
    let was = std::mem::replace(&mut nav.borrow_mut().granted, granted);
    if granted == was {
        return;
    }
    if granted {
        // With `after-consent`, this page is the first one recorded.
        if nav.borrow().mode == Collect::AfterConsent {
            record_this_page(nav);
        }
        upload(nav.clone(), 0);
        return;
    }
    // Withdrawn: uploads stop (the one in flight is aborted, the next ones
    // check `granted`), the server forgets the UserID, and the local
    // history goes (or stays, marked uploaded, under a new UserID, if the
    // site says so).
    nav.borrow_mut().cancel_upload();
    let (site, keep_local) = {
        let n = nav.borrow();
        (
            n.site.clone(),
            n.mode == Collect::Always && keep_local_on_withdrawal(n.settings.as_ref()),
        )
    };
    let withdrawal = on_withdrawal(load(&site), keep_local, browser::uuid_v4);
    save(withdrawal.history.as_ref());
    if let Some(d) = withdrawal.delete {
        queue_deletion(d);
    }
    flush_deletions(nav.clone(), 0);
}

/// Uploads the pending history in batches while consent holds; each
/// receipt marks its entries in the history as read again from storage
/// (another tab may have added to it). Network failures and 5xx retry with
/// backoff; a refused batch is dropped from the queue with a warning, or
/// it would block everything after it. A withdrawal or a deletion aborts
/// the request in flight (so it is not kept alive across a page change:
/// what it carried is still pending, and goes from the next page).
fn upload(nav: SharedNav, attempt: u32) {
    {
        let mut n = nav.borrow_mut();
        if n.uploading || !n.granted || n.api.is_none() {
            return;
        }
        n.uploading = true;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let failed = loop {
            let (api, site, granted) = {
                let n = nav.borrow();
                (n.api.clone().unwrap_or_default(), n.site.clone(), n.granted)
            };
            if !granted {
                break false;
            }
            let Some(history) = load(&site) else {
                break false;
            };
            let queued = parse_deletions(Store::get(DELETION_KEY).as_deref());
            if queued.iter().any(|d| d.user_id == history.user_id) {
                break false;
            }
            let Some(b) = batch(&history) else {
                break false;
            };
            let keys: Vec<String> = b.entries.iter().map(|e| e.key.clone()).collect();
            let body = varco_protocol::json::to_string(&b);
            let Ok(abort) = web_sys::AbortController::new() else {
                break false;
            };
            let signal = abort.signal();
            nav.borrow_mut().upload_abort = Some(abort);
            let url = format!("{api}/v1/navigation");
            let answer = browser::send_json_read("POST", &url, &body, Some(&signal)).await;
            nav.borrow_mut().upload_abort = None;
            if signal.aborted() {
                // Withdrawn or deleted meanwhile: nothing more under this
                // UserID, and no retry.
                break false;
            }
            let status = answer.ok().map(|(status, _)| status);
            let gone = match delivery(status) {
                Delivery::Delivered => false,
                Delivery::RetryLater => break true,
                Delivery::Refused(410) => true,
                Delivery::Refused(status) => {
                    browser::warn(&format!(
                        "Varco: the server refused {} page views ({status}); they are not sent again.",
                        keys.len()
                    ));
                    false
                }
            };
            let Some(h) = load(&site) else { continue };
            // Withdrawn meanwhile: the history is already another one.
            if h.user_id != b.user_id {
                continue;
            }
            if gone {
                // The server deleted this UserID's data (410 Gone) and
                // refuses it for good: what is here stays here, marked
                // sent, and later pages go under a new UserID.
                browser::warn("Varco: the server has deleted the navigation data of this browser and takes no more under the same identifier; a new one is used from now on.");
                let renewed = on_withdrawal(Some(h), true, browser::uuid_v4);
                save(renewed.history.as_ref());
            } else {
                save(Some(&mark_uploaded(h, &keys)));
            }
        };
        nav.borrow_mut().uploading = false;
        if failed {
            browser::after(retry_delay_ms(attempt), move || upload(nav, attempt + 1));
        }
    });
}

/// Sends the queued deletions until the server confirms each (200, even
/// with nothing to delete; 4xx means there is nothing it could delete).
fn flush_deletions(nav: SharedNav, attempt: u32) {
    let api = {
        let mut n = nav.borrow_mut();
        if n.deleting {
            return;
        }
        let Some(api) = n.api.clone() else { return };
        n.deleting = true;
        api
    };
    wasm_bindgen_futures::spawn_local(async move {
        let mut failed = false;
        for d in parse_deletions(Store::get(DELETION_KEY).as_deref()) {
            let url = format!(
                "{api}/v1/users/{}?site={}",
                browser::encode_uri_component(&d.user_id),
                browser::encode_uri_component(&d.site)
            );
            // A refusal (4xx) means there is nothing the server could delete.
            if delivery(browser::send_json("DELETE", &url, "").await.ok()) == Delivery::RetryLater {
                failed = true;
                continue;
            }
            let queue = confirm_deletion(parse_deletions(Store::get(DELETION_KEY).as_deref()), &d);
            match deletions_json(&queue) {
                Some(json) => Store::set(DELETION_KEY, &json),
                None => Store::remove(DELETION_KEY),
            }
        }
        nav.borrow_mut().deleting = false;
        if failed {
            browser::after(retry_delay_ms(attempt), move || {
                flush_deletions(nav, attempt + 1)
            });
        } else if nav.borrow().granted {
            // A history recorded under a new UserID may now go.
            upload(nav, 0);
        }
    });
}

/// What the privacy centre shows about navigation data, read now.
pub fn summary() -> Option<History> {
    let site = NAV.with(|n| n.borrow().as_ref().map(|n| n.borrow().site.clone()))?;
    load(&site)
}

/// The privacy centre's "delete everything": the local history goes and
/// the server is asked to forget its UserID (queued until it confirms).
pub fn forget_everything() {
    let Some(nav) = NAV.with(|n| n.borrow().clone()) else {
        return;
    };
    let site = nav.borrow().site.clone();
    if let Some(h) = load(&site) {
        queue_deletion(PendingDeletion {
            site,
            user_id: h.user_id,
        });
    }
    nav.borrow_mut().cancel_upload();
    save(None);
    flush_deletions(nav, 0);
}
