//! The privacy centre ("I tuoi dati"): what Varco keeps in this browser for
//! this site, in plain words, with a download of all of it as JSON and one
//! action that deletes everything, here and on the server. Reached from
//! the preferences, from the assistant's header, `Varco.showPrivacy()` and
//! `data-varco-open="privacy"`.

use crate::browser;
use crate::consent::Shared;
use varco_core::consent::{Decision, Status};
use varco_core::texts::Key;
use web_sys::{Element, HtmlDialogElement};
use yew::prelude::*;

#[derive(Properties)]
pub struct PrivacyProps {
    pub controller: Shared,
    pub on_decide: Callback<Decision>,
    pub on_close: Callback<()>,
}

impl PartialEq for PrivacyProps {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.controller, &other.controller)
    }
}

/// `2026-11-23T10:00:00.000Z` → `23/11/2026`.
fn day(rfc3339: &str) -> String {
    match (rfc3339.get(0..4), rfc3339.get(5..7), rfc3339.get(8..10)) {
        (Some(y), Some(m), Some(d)) => format!("{d}/{m}/{y}"),
        _ => rfc3339.to_owned(),
    }
}

/// Everything shown, as one JSON document (the download).
fn export(controller: &Shared) -> serde_json::Value {
    let c = controller.borrow();
    let choice = match &c.status {
        Status::Decided(choice) => serde_json::to_value(choice).ok(),
        _ => None,
    };
    let thread = crate::chat::shared().and_then(|chat| chat.borrow().thread.clone());
    serde_json::json!({
        "site": c.boot.options.site,
        "exported_at": varco_core::consent::rfc3339_utc(browser::now_ms()),
        "cookie_choice": choice,
        "navigation": crate::navigation::summary(),
        "conversation": thread,
    })
}

#[function_component(PrivacyCentre)]
pub fn privacy_centre(props: &PrivacyProps) -> Html {
    let dialog = use_node_ref();
    let confirming = use_state(|| false);
    let deleted = use_state(|| false);
    {
        let dialog = dialog.clone();
        use_effect_with((), move |_| {
            if let Some(d) = dialog.cast::<HtmlDialogElement>() {
                let _ = d.show_modal();
            }
            crate::app::restore_focus_on_close
        });
    }
    let c = props.controller.borrow();
    let texts = &c.texts;
    let lang = c.boot.lang.code();
    let history = crate::navigation::summary();
    let thread = crate::chat::shared().and_then(|chat| chat.borrow().thread.clone());

    let pages = match &history {
        Some(h) if !h.entries.is_empty() => {
            let first = varco_core::consent::rfc3339_utc(
                h.entries.first().map(|e| e.at_ms).unwrap_or_default(),
            );
            let last = varco_core::consent::rfc3339_utc(
                h.entries.last().map(|e| e.at_ms).unwrap_or_default(),
            );
            let sent = h.entries.len() - h.pending();
            texts
                .get(Key::privacy_pages_range)
                .replace("{n}", &h.entries.len().to_string())
                .replace("{from}", &day(&first))
                .replace("{to}", &day(&last))
                .replace("{sent}", &sent.to_string())
        }
        _ => texts.get(Key::privacy_pages_none).to_owned(),
    };
    let consent = match &c.status {
        Status::Decided(choice) => {
            let granted: Vec<String> = c
                .boot
                .site
                .categories
                .iter()
                .filter(|k| choice.accepted.contains(&k.id))
                .map(|k| {
                    k.title
                        .as_ref()
                        .map(|t| t.get(lang).to_owned())
                        .unwrap_or_else(|| k.id.clone())
                })
                .collect();
            texts
                .get(Key::privacy_consent_made)
                .replace("{granted}", &granted.join(", "))
                .replace("{date}", &day(&choice.decided_at))
        }
        _ => texts.get(Key::privacy_consent_none).to_owned(),
    };
    let none = texts.get(Key::privacy_none).to_owned();

    let oncancel = {
        let close = props.on_close.clone();
        Callback::from(move |e: Event| {
            e.prevent_default();
            close.emit(());
        })
    };
    let onkeydown = {
        let dialog = dialog.clone();
        Callback::from(move |e: KeyboardEvent| {
            if let Some(d) = dialog.cast::<Element>() {
                crate::app::trap_tab(&d, &e);
            }
        })
    };
    let close = {
        let close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| close.emit(()))
    };
    let on_download = {
        let controller = props.controller.clone();
        let dialog = dialog.clone();
        Callback::from(move |_: MouseEvent| {
            let json = serde_json::to_string_pretty(&export(&controller)).unwrap_or_default();
            if let Some(d) = dialog.cast::<Element>() {
                browser::download(&d, &json, "application/json", "varco-i-miei-dati.json");
            }
        })
    };
    let on_delete = {
        let confirming = confirming.clone();
        Callback::from(move |_: MouseEvent| confirming.set(true))
    };
    let on_confirm = {
        let decide = props.on_decide.clone();
        let deleted = deleted.clone();
        let confirming = confirming.clone();
        Callback::from(move |_: MouseEvent| {
            // Withdrawal first (proof of it, cookies, uploads stop), then
            // what remains of the history and the conversation.
            decide.emit(Decision::RejectAll);
            crate::navigation::forget_everything();
            if let Some(chat) = crate::chat::shared() {
                crate::chat::Chat::forget_everything(&chat);
            }
            confirming.set(false);
            deleted.set(true);
        })
    };
    let notices = [
        (c.boot.site.privacy_url.clone(), Key::privacy_notice_site),
        (
            c.boot
                .site
                .assistant
                .as_ref()
                .and_then(|a| a.privacy_url.clone()),
            Key::privacy_notice_assistant,
        ),
        (
            c.boot.site.cookie_policy_url.clone(),
            Key::cookie_policy_link,
        ),
    ];
    let mut listed: Vec<String> = Vec::new();
    let notices = notices.into_iter().filter_map(|(url, key)| {
        let url = url?;
        if listed.contains(&url) {
            return None;
        }
        listed.push(url.clone());
        Some(html! { <li><a href={url} target="_blank" rel="noopener noreferrer">{ texts.get(key) }{" "}<span class="sr-only">{ texts.get(Key::new_tab) }</span></a></li> })
    });
    html! {
        <dialog class="prefs privacy" ref={dialog} aria-labelledby="varco-privacy-title" {oncancel} {onkeydown}>
            <button type="button" class="close" aria-label={texts.get(Key::privacy_close).to_owned()} onclick={close.clone()}>
                <span aria-hidden="true">{"×"}</span>
            </button>
            <h2 id="varco-privacy-title" class="banner-title">{ texts.get(Key::privacy_title) }</h2>
            <p>{ texts.get(Key::privacy_intro) }</p>
            <dl class="stored">
                <dt>{ texts.get(Key::privacy_consent) }</dt><dd>{ consent }</dd>
                <dt>{ texts.get(Key::privacy_user_id) }</dt>
                <dd><code>{ history.as_ref().map(|h| h.user_id.clone()).unwrap_or_else(|| none.clone()) }</code></dd>
                <dt>{ texts.get(Key::privacy_pages) }</dt><dd>{ pages }</dd>
                <dt>{ texts.get(Key::privacy_thread) }</dt>
                <dd><code>{ thread.map(|t| t.thread_id).unwrap_or_else(|| none.clone()) }</code></dd>
            </dl>
            <p class="sr-only" role="status">{ if *deleted { texts.get(Key::privacy_deleted) } else { "" } }</p>
            if *deleted { <p class="done" aria-hidden="true">{ texts.get(Key::privacy_deleted) }</p> }
            if *confirming {
                <div class="confirm" role="group" aria-labelledby="varco-privacy-confirm">
                    <p id="varco-privacy-confirm">{ texts.get(Key::privacy_delete_confirm) }</p>
                    <div class="actions">
                        <button type="button" class="btn btn-primary" onclick={on_confirm}>{ texts.get(Key::privacy_delete_yes) }</button>
                        <button type="button" class="btn btn-outline" onclick={{ let confirming = confirming.clone(); Callback::from(move |_: MouseEvent| confirming.set(false)) }}>{ texts.get(Key::privacy_close) }</button>
                    </div>
                </div>
            } else {
                <div class="actions">
                    <button type="button" class="btn btn-outline" onclick={on_download}>{ texts.get(Key::privacy_download) }</button>
                    <button type="button" class="btn btn-outline" onclick={on_delete}>{ texts.get(Key::privacy_delete) }</button>
                </div>
            }
            <h3 class="notices-title">{ texts.get(Key::privacy_notices) }</h3>
            <ul class="notices">{ for notices }</ul>
        </dialog>
    }
}
