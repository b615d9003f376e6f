//! The privacy centre ("I tuoi dati"): what Varco keeps in this browser for
//! this site, in plain words, with a download of all of it as JSON and one
//! action that deletes everything, here and on the server. Reached from
//! the preferences, from the assistant's header, `Varco.showPrivacy()` and
//! `data-varco-open="privacy"`.
//!
//! The download holds the conversation with the assistant as the server
//! stores it (masked), asked with the Thread ID alone, besides what the
//! browser holds; when the server cannot be reached it holds what the
//! browser has, and says so.

use crate::browser;
use crate::chat::{ChatContext, SharedChat};
use crate::light::LightPart;
use crate::site::{SharedSite, Site};
use varco_core::chat::Line;
use varco_core::dates::{format_date_rome, DateStyle};
use varco_core::lang::Lang;
use varco_core::light_api::ConsentInForce;
use varco_core::texts::{AppKey, Key};
use varco_protocol::chat::Author;
use varco_protocol::json::{Object, Value};
use wasm_bindgen::JsValue;
use web_sys::{Element, HtmlDialogElement};
use yew::prelude::*;

#[derive(Properties)]
pub struct PrivacyProps {
    pub site: SharedSite,
    /// Where the consent and the navigation record are.
    pub light: LightPart,
    /// How many times the consent has changed while the app ran: what the
    /// centre shows is read again at each.
    pub consent_changes: u32,
    pub on_close: Callback<()>,
    /// Called when the centre leaves the screen, however it closed (focus
    /// goes back where it was).
    pub on_gone: Callback<()>,
}

impl PartialEq for PrivacyProps {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.site, &other.site)
            && self.light == other.light
            && self.consent_changes == other.consent_changes
    }
}

/// `2026-11-23T10:00:00.000Z` → «23/11/2026» (English «23 November
/// 2026»), the day in Rome.
fn day(lang: Lang, rfc3339: &str) -> String {
    format_date_rome(lang, rfc3339, DateStyle::Short).unwrap_or_else(|| rfc3339.to_owned())
}

/// The server's copy of the conversation, for the download.
enum ServerCopy {
    /// No conversation has reached the server.
    None,
    /// The server's answer (a `varco_protocol::chat::ThreadTranscript`),
    /// parsed by the browser: it goes into the file as the server sent
    /// it, and reading it into Rust types would cost the module a JSON
    /// reader of its own for them.
    Fetched(JsValue),
    /// The server could not be asked, or did not answer.
    Failed,
}

/// How long the download waits for the server's copy.
const SERVER_COPY_TIMEOUT_MS: i32 = 10_000;

/// Asks the server for the conversation, with its Thread ID and nothing
/// else.
async fn server_copy(chat: Option<&SharedChat>) -> ServerCopy {
    let Some(chat) = chat else {
        return ServerCopy::None;
    };
    let (api, thread) = {
        let c = chat.borrow();
        (c.api.clone(), c.thread.clone())
    };
    let Some(thread) = thread.filter(|t| t.opened) else {
        return ServerCopy::None;
    };
    let url = format!(
        "{api}/v1/threads/{}/messages",
        browser::encode_uri_component(&thread.thread_id)
    );
    let abort = web_sys::AbortController::new().ok();
    if let Some(abort) = abort.clone() {
        browser::after(SERVER_COPY_TIMEOUT_MS, move || abort.abort());
    }
    let signal = abort.as_ref().map(|a| a.signal());
    let Ok(response) = browser::fetch("GET", &url, None, false, signal.as_ref()).await else {
        return ServerCopy::Failed;
    };
    if response.status() != 200 {
        return ServerCopy::Failed;
    }
    let text = match response.text() {
        Ok(p) => wasm_bindgen_futures::JsFuture::from(p)
            .await
            .ok()
            .and_then(|t| t.as_string()),
        Err(_) => None,
    };
    // The answer is this thread's copy, or none.
    let copy = text
        .and_then(|t| js_sys::JSON::parse(&t).ok())
        .filter(|copy| {
            js_sys::Reflect::get(copy, &"thread_id".into())
                .ok()
                .and_then(|id| id.as_string())
                .is_some_and(|id| id == thread.thread_id)
        });
    copy.map_or(ServerCopy::Failed, ServerCopy::Fetched)
}

/// Everything shown, as one JSON document (the download's text): what the
/// browser holds, and the conversation as the server stores it.
fn export(
    site: &Site,
    light: &LightPart,
    chat: Option<&SharedChat>,
    server: &ServerCopy,
) -> String {
    let consent = light.consent();
    let choice = consent.choice();
    let thread = chat.and_then(|chat| chat.borrow().thread.clone());
    // What this page holds of the conversation: messages not yet sent, and
    // (when the server's copy is missing) the messages it shows.
    let line = |fields: [(&str, &str); 2], author: Option<&str>| {
        let mut object: Vec<(String, Value)> = Vec::new();
        if let Some(author) = author {
            object.push(("author".into(), Value::String(author.into())));
        }
        for (key, text) in fields {
            object.push((key.into(), Value::String(text.into())));
        }
        Value::Object(object)
    };
    let (mut unsent, mut shown) = (Vec::new(), Vec::new());
    if let Some(chat) = chat {
        for l in &chat.borrow().transcript.lines {
            match l {
                Line::Pending { pending, .. } => unsent.push(line(
                    [
                        ("text", &pending.text),
                        (
                            "created_at",
                            &varco_core::consent::rfc3339_utc(pending.created_ms),
                        ),
                    ],
                    None,
                )),
                Line::Message { message, .. } => shown.push(line(
                    [("text", &message.text), ("created_at", &message.created_at)],
                    Some(author_name(message.author)),
                )),
                Line::Ended { .. } => {}
            }
        }
    }
    let mut text = String::new();
    let mut doc = Object::new(&mut text);
    doc.field("site", &site.boot.options.site)
        .field(
            "exported_at",
            &varco_core::consent::rfc3339_utc(browser::now_ms()),
        )
        .field("cookie_choice", &choice)
        .field("navigation", &light.history())
        .field("conversation", &thread)
        .field("conversation_unsent", &unsent)
        .field("conversation_on_server", &Value::Null);
    if matches!(server, ServerCopy::Failed) {
        doc.field(
            "conversation_note",
            site.texts.get(AppKey::privacy_export_partial),
        )
        .field("conversation_in_this_page", &shown);
    }
    doc.end();
    // Indented by the browser's JSON, which also places the server's copy
    // as it came.
    let indented = js_sys::JSON::parse(&text).ok().and_then(|doc| {
        if let ServerCopy::Fetched(copy) = server {
            js_sys::Reflect::set(&doc, &"conversation_on_server".into(), copy).ok()?;
        }
        js_sys::JSON::stringify_with_replacer_and_space(&doc, &JsValue::NULL, &2.into())
            .ok()?
            .as_string()
    });
    indented.unwrap_or(text)
}

/// How the file names who wrote a message, as the API does.
fn author_name(author: Author) -> &'static str {
    match author {
        Author::Visitor => "visitor",
        Author::Assistant => "assistant",
        Author::Operator => "operator",
        Author::System => "system",
    }
}

/// Where the download stands, said to the visitor.
#[derive(Clone, Copy, PartialEq)]
enum Export {
    Idle,
    Preparing,
    Done,
    /// Downloaded without the server's copy of the conversation.
    Partial,
}

#[function_component(PrivacyCentre)]
pub fn privacy_centre(props: &PrivacyProps) -> Html {
    let chat = use_context::<ChatContext>().map(|c| c.0);
    let dialog = use_node_ref();
    let confirming = use_state(|| false);
    let deleted = use_state(|| false);
    let exported = use_state(|| Export::Idle);
    {
        let dialog = dialog.clone();
        let gone = props.on_gone.clone();
        use_effect_with((), move |_| {
            if let Some(d) = dialog.cast::<HtmlDialogElement>() {
                let _ = d.show_modal();
            }
            move || gone.emit(())
        });
    }
    let c = &*props.site;
    let texts = &c.texts;
    let lang = c.boot.lang.code();
    let visitor_lang = c.boot.lang;
    let history = props.light.history();
    let thread = chat.as_ref().and_then(|chat| chat.borrow().thread.clone());

    let pages = match &history {
        Some(h) if !h.entries.is_empty() => {
            let first = varco_core::consent::rfc3339_utc(
                h.entries.first().map(|e| e.at_ms).unwrap_or_default(),
            );
            let last = varco_core::consent::rfc3339_utc(
                h.entries.last().map(|e| e.at_ms).unwrap_or_default(),
            );
            let sent = h.entries.len() - h.pending();
            let key = if h.entries.len() == 1 {
                AppKey::privacy_pages_one
            } else {
                AppKey::privacy_pages_range
            };
            texts
                .get(key)
                .replace("{n}", &h.entries.len().to_string())
                .replace("{from}", &day(visitor_lang, &first))
                .replace("{to}", &day(visitor_lang, &last))
                .replace("{sent}", &sent.to_string())
        }
        _ => texts.get(AppKey::privacy_pages_none).to_owned(),
    };
    let consent = match props.light.consent() {
        ConsentInForce::Decided(choice) => {
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
                .get(AppKey::privacy_consent_made)
                .replace("{granted}", &granted.join(", "))
                .replace("{date}", &day(visitor_lang, &choice.decided_at))
        }
        ConsentInForce::NothingToAsk => texts.get(Key::privacy_consent_not_needed).to_owned(),
        ConsentInForce::Undecided => texts.get(AppKey::privacy_consent_none).to_owned(),
    };
    let none = texts.get(AppKey::privacy_none).to_owned();

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
                crate::layout::trap_tab(&d, &e);
            }
        })
    };
    let close = {
        let close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| close.emit(()))
    };
    let on_download = {
        let (site, light) = (props.site.clone(), props.light.clone());
        let chat = chat.clone();
        let dialog = dialog.clone();
        let exported = exported.clone();
        Callback::from(move |_: MouseEvent| {
            if *exported == Export::Preparing {
                return;
            }
            exported.set(Export::Preparing);
            let (site, light, chat, dialog, exported) = (
                site.clone(),
                light.clone(),
                chat.clone(),
                dialog.clone(),
                exported.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                let server = server_copy(chat.as_ref()).await;
                let json = export(&site, &light, chat.as_ref(), &server);
                if let Some(d) = dialog.cast::<Element>() {
                    browser::download(&d, &json, "application/json", "varco-i-miei-dati.json");
                }
                exported.set(if matches!(server, ServerCopy::Failed) {
                    Export::Partial
                } else {
                    Export::Done
                });
            });
        })
    };
    let export_status = match *exported {
        Export::Idle => None,
        Export::Preparing => Some(texts.get(AppKey::privacy_preparing)),
        Export::Done => Some(texts.get(AppKey::privacy_export_ready)),
        Export::Partial => Some(texts.get(AppKey::privacy_export_partial)),
    };
    let on_delete = {
        let confirming = confirming.clone();
        Callback::from(move |_: MouseEvent| confirming.set(true))
    };
    let on_confirm = {
        let light = props.light.clone();
        let chat = chat.clone();
        let deleted = deleted.clone();
        let confirming = confirming.clone();
        Callback::from(move |_: MouseEvent| {
            // Withdrawal first (proof of it, cookies, uploads stop), then
            // what remains of the history and the conversation.
            light.forget_everything();
            if let Some(chat) = &chat {
                crate::chat::Chat::forget_everything(chat);
            }
            confirming.set(false);
            deleted.set(true);
        })
    };
    let notices = [
        (
            c.boot.site.privacy_url.clone(),
            texts.get(AppKey::privacy_notice_site),
        ),
        (
            c.boot
                .site
                .assistant
                .as_ref()
                .and_then(|a| a.privacy_url.clone()),
            texts.get(AppKey::privacy_notice_assistant),
        ),
        (
            c.boot.site.cookie_policy_url.clone(),
            texts.get(Key::cookie_policy_link),
        ),
    ];
    let mut listed: Vec<String> = Vec::new();
    let notices = notices.into_iter().filter_map(|(url, label)| {
        let url = url?;
        if listed.contains(&url) {
            return None;
        }
        listed.push(url.clone());
        Some(html! { <li><a href={url} target="_blank" rel="noopener noreferrer">{ label }{" "}<span class="sr-only">{ texts.get(Key::new_tab) }</span></a></li> })
    });
    html! {
        <dialog class="prefs privacy" ref={dialog} aria-labelledby="varco-privacy-title" {oncancel} {onkeydown}>
            <button type="button" class="close" aria-label={texts.get(AppKey::privacy_close).to_owned()} onclick={close.clone()}>
                <span aria-hidden="true">{"×"}</span>
            </button>
            <h2 id="varco-privacy-title" class="banner-title">{ texts.get(AppKey::privacy_title) }</h2>
            <p>{ texts.get(AppKey::privacy_intro) }</p>
            <dl class="stored">
                <dt>{ texts.get(AppKey::privacy_consent) }</dt><dd>{ consent }</dd>
                <dt>{ texts.get(AppKey::privacy_user_id) }</dt>
                <dd><code>{ history.as_ref().map(|h| h.user_id.clone()).unwrap_or_else(|| none.clone()) }</code></dd>
                <dt>{ texts.get(AppKey::privacy_pages) }</dt><dd>{ pages }</dd>
                <dt>{ texts.get(AppKey::privacy_thread) }</dt>
                <dd><code>{ thread.map(|t| t.thread_id).unwrap_or_else(|| none.clone()) }</code></dd>
            </dl>
            <p class="sr-only" role="status">{ if *deleted { texts.get(AppKey::privacy_deleted) } else { "" } }</p>
            <p class={classes!("export-status", (*exported == Export::Partial).then_some("partial"))} role="status">{ export_status.unwrap_or_default() }</p>
            if *deleted { <p class="done" aria-hidden="true">{ texts.get(AppKey::privacy_deleted) }</p> }
            if *confirming {
                <div class="confirm" role="group" aria-labelledby="varco-privacy-confirm">
                    <p id="varco-privacy-confirm">{ texts.get(AppKey::privacy_delete_confirm) }</p>
                    <div class="actions">
                        <button type="button" class="btn btn-primary" onclick={on_confirm}>{ texts.get(AppKey::privacy_delete_yes) }</button>
                        <button type="button" class="btn btn-outline" onclick={{ let confirming = confirming.clone(); Callback::from(move |_: MouseEvent| confirming.set(false)) }}>{ texts.get(AppKey::privacy_close) }</button>
                    </div>
                </div>
            } else {
                <div class="actions">
                    <button type="button" class="btn btn-outline" aria-disabled={(*exported == Export::Preparing).then_some("true")} onclick={on_download}>{ texts.get(AppKey::privacy_download) }</button>
                    <button type="button" class="btn btn-outline" onclick={on_delete}>{ texts.get(AppKey::privacy_delete) }</button>
                </div>
            }
            <h3 class="notices-title">{ texts.get(AppKey::privacy_notices) }</h3>
            <ul class="notices">{ for notices }</ul>
        </dialog>
    }
}
