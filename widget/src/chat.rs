//! The assistant's imperative shell: storage, the event stream (read with
//! `fetch`, see [`LiveStream`]), sending with retries. The rules (terms,
//! thread expiry, transcript merging, the stream's format and reconnection)
//! are in `varco_core`.
//!
//! Nothing is sent before the visitor accepts the terms: every request of
//! this module starts from [`Chat::flush`] or [`Chat::connect`], and both
//! return at once while the terms are not accepted.

use crate::browser::{self, Store};
use crate::config::Boot;
use crate::light::LightPart;
use crate::suggestions::Suggestions;
use std::cell::RefCell;
use std::rc::Rc;
use varco_core::chat::{
    current_thread, parse_outbox, terms_accepted, terms_changed, AcceptedTerms, Pending,
    StoredThread, Transcript, DEFAULT_THREAD_HOURS, OUTBOX_KEY, TERMS_KEY, THREAD_KEY,
};
use varco_core::delivery::{delivery, reconnect, retry_delay_ms, Delivery, StreamEnd};
use varco_core::lang::Lang;
use varco_core::sse::{SseEvent, SseParser};
use varco_core::texts::Texts;
use varco_protocol::chat::{Author, BookingChoice, ChatEvent, NewMessage, NewThread};
use varco_protocol::json;
use varco_protocol::live::{LiveState, LiveStatus};
use varco_protocol::navigation::Recommendation;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The assistant's state, shared by the app's components through a Yew
/// context ([`ChatContext`]) and by the tasks of this module (requests, the
/// stream, timers), which hold their own handle.
pub type SharedChat = Rc<RefCell<Chat>>;

/// The assistant's state as the app provides it to its components
/// (`use_context::<ChatContext>()`); equal while it is the same
/// conversation state, so that providing it again re-renders nothing.
#[derive(Clone)]
pub struct ChatContext(pub SharedChat);

impl PartialEq for ChatContext {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Re-renders the panel after a change made outside its components (an
/// answer arrived, a request ended): the panel's re-render, which it sets
/// when it mounts ([`Chat::on_change`]). Called with no borrow held.
pub fn changed(this: &SharedChat) {
    let rerender = this.borrow().rerender.clone();
    if let Some(rerender) = rerender {
        rerender();
    }
}

/// The thread's event stream while it is open or being opened. It is read
/// with `fetch` and parsed by `varco_core::sse`, not with `EventSource`,
/// which would send the page's cookies and address (`Referer`) next to the
/// Thread ID on every connection. Dropping it aborts the request, so
/// nothing outlives the conversation; the task that reads the stream sees
/// the abort and ends without reconnecting.
struct LiveStream {
    abort: web_sys::AbortController,
}

impl Drop for LiveStream {
    fn drop(&mut self) {
        self.abort.abort();
    }
}

pub struct Chat {
    pub api: String,
    /// Where the welcome's suggestions come from.
    suggest: Suggestions,
    pub site: String,
    pub lang: Lang,
    pub texts: Texts,
    pub name: String,
    pub privacy_url: Option<String>,
    pub terms_revision: String,
    pub transcript: Transcript,
    pub thread: Option<StoredThread>,
    pub open: bool,
    pub unread: u32,
    pub offline: bool,
    /// New messages are announced only after the replay of the transcript.
    pub announce: bool,
    source: Option<LiveStream>,
    flushing: bool,
    retry_scheduled: bool,
    /// "Potrebbe interessarti...": pages and topics for the welcome,
    /// from the light part's navigation record, asked once per page when the panel
    /// first opens.
    pub suggestions: Vec<Recommendation>,
    suggestions_asked: bool,
    /// The SOL notice; set when the site takes appointments.
    pub booking_privacy_url: Option<String>,
    /// The booking flow is open in the panel: `Some(true)` on the
    /// cancellation form.
    pub booking: Option<bool>,
    /// What the booking flow opens with already chosen (a booking request
    /// that named a service or an office).
    pub booking_choice: Option<BookingChoice>,
    /// The visitor sent a message from this page: an answer that opens the
    /// booking flow opens it here (not when a later page replays it).
    asked_here: bool,
    /// The site offers a live chat with an operator (it has the live
    /// chat's notice).
    pub live_chat: bool,
    /// The live chat's notice, linked where the visitor leaves a message.
    pub live_chat_privacy_url: Option<String>,
    /// A hand-off request is on its way.
    pub handoff_busy: bool,
    /// The last hand-off request failed.
    pub handoff_failed: bool,
    /// Whether the live chat's desk answers now and when that changes, as
    /// the server said (`GET /sites/{id}/live`), for the hand-off button.
    pub desk: Option<LiveStatus>,
    /// When the desk's status was last asked for (0: never).
    desk_asked_ms: i64,
    /// The transcript follows the conversation: the visitor has not
    /// scrolled up to read, so what arrives scrolls into view.
    pub follows_end: bool,
    /// Messages arrived while the visitor was reading further up: the
    /// "new messages" control shows.
    pub new_below: bool,
    /// When the visitor's "typing" was last sent (sent at most every 3 s).
    typing_sent_ms: i64,
    /// Counts the operator's "typing" signals, so that one that is not
    /// followed by another within 6 s fades.
    typing_seq: u32,
    /// The answers the visitor said were helpful or not, while the page
    /// lives (the server refuses a second time with a 409 anyway).
    pub feedback_given: Vec<i64>,
    /// The live chat has been rated.
    pub live_chat_rated: bool,
    /// The panel's re-render (see [`changed`]).
    rerender: Option<Rc<dyn Fn()>>,
}

impl Chat {
    /// Sets up the assistant if the site has one and a backend.
    pub fn install(boot: &Boot, light: LightPart) -> Option<SharedChat> {
        let api = boot.options.api.clone()?;
        let assistant = boot.site.assistant.clone()?;
        if assistant.enabled == Some(false) {
            return None;
        }
        let chat = Chat {
            suggest: Suggestions::new(boot, api.clone(), light),
            api,
            site: boot.options.site.clone(),
            lang: boot.lang,
            texts: Texts::new(boot.lang, &boot.site.texts),
            name: assistant
                .name
                .clone()
                .unwrap_or_else(|| "Assistente".to_owned()),
            privacy_url: assistant.privacy_url.clone(),
            terms_revision: assistant
                .terms_revision
                .clone()
                .unwrap_or_else(|| "1".to_owned()),
            transcript: Transcript::default(),
            thread: None,
            open: false,
            unread: 0,
            offline: !browser::window().navigator().on_line(),
            announce: false,
            source: None,
            flushing: false,
            retry_scheduled: false,
            suggestions: Vec::new(),
            suggestions_asked: false,
            booking_privacy_url: assistant.booking_privacy_url.clone(),
            booking: None,
            booking_choice: None,
            asked_here: false,
            live_chat: assistant
                .live_chat_privacy_url
                .as_deref()
                .is_some_and(|u| !u.trim().is_empty()),
            live_chat_privacy_url: assistant.live_chat_privacy_url.clone(),
            handoff_busy: false,
            handoff_failed: false,
            desk: None,
            desk_asked_ms: 0,
            follows_end: true,
            new_below: false,
            typing_sent_ms: 0,
            typing_seq: 0,
            feedback_given: Vec::new(),
            live_chat_rated: false,
            rerender: None,
        };
        let this = Rc::new(RefCell::new(chat));
        Self::resume(&this);
        let online = this.clone();
        let on_online = Closure::<dyn Fn()>::new(move || {
            online.borrow_mut().offline = false;
            Chat::connect(&online);
            Chat::flush(online.clone(), 0);
            changed(&online);
        });
        let _ = browser::window()
            .add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
        on_online.forget();
        let offline = this.clone();
        let on_offline = Closure::<dyn Fn()>::new(move || {
            offline.borrow_mut().offline = true;
            changed(&offline);
        });
        let _ = browser::window()
            .add_event_listener_with_callback("offline", on_offline.as_ref().unchecked_ref());
        on_offline.forget();
        let shown = this.clone();
        let on_visible = Closure::<dyn Fn()>::new(move || {
            if !browser::document().hidden() {
                Chat::connect(&shown);
            }
        });
        let _ = browser::document().add_event_listener_with_callback(
            "visibilitychange",
            on_visible.as_ref().unchecked_ref(),
        );
        on_visible.forget();
        follow_visual_viewport();
        // The panel is modal where it covers the page: re-render when the
        // screen crosses that width.
        if let Ok(Some(query)) = browser::window().match_media(crate::layout::COVERS_THE_PAGE) {
            let crossed = this.clone();
            let on_change = Closure::<dyn Fn()>::new(move || changed(&crossed));
            let _ = query
                .add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
            on_change.forget();
        }
        Some(this)
    }

    /// Sets the panel's re-render (see [`changed`]).
    pub fn on_change(this: &SharedChat, rerender: Rc<dyn Fn()>) {
        this.borrow_mut().rerender = Some(rerender);
    }

    /// Asks the server whether the live chat's desk answers now, unless
    /// what it said last is still true (the desk has not opened or closed
    /// since), at most once a minute (a server that is away, or a clock
    /// ahead of the server's, costs one request a minute, not a loop).
    /// Only once the terms are accepted and the panel is open: the request
    /// names the site and nothing else.
    pub fn check_desk(this: &SharedChat) {
        let url = {
            let mut c = this.borrow_mut();
            if !c.live_chat || !c.open || !c.accepted() {
                return;
            }
            let now = browser::now_ms();
            let current = c.desk.as_ref().is_some_and(|d| {
                varco_core::live::desk_note(&c.texts, d, now) != varco_core::live::DeskNote::Stale
            });
            if current || now - c.desk_asked_ms < 60_000 {
                return;
            }
            c.desk_asked_ms = now;
            format!(
                "{}/v1/sites/{}/live",
                c.api,
                browser::encode_uri_component(&c.site)
            )
        };
        let this = this.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let status = crate::chat::fetch_json::<LiveStatus>(&url).await;
            let mut c = this.borrow_mut();
            // Unknown (the server is away): the button says nothing more,
            // and pressing it still tells the visitor.
            c.desk = status;
            drop(c);
            changed(&this);
        });
    }

    pub fn accepted(&self) -> bool {
        terms_accepted(Store::get(TERMS_KEY).as_deref(), &self.terms_revision)
    }

    pub fn terms_changed(&self) -> bool {
        terms_changed(Store::get(TERMS_KEY).as_deref(), &self.terms_revision)
    }

    /// On a new page: the conversation in progress continues (its
    /// transcript is replayed from the server), and messages left unsent
    /// by an earlier page go out.
    fn resume(this: &SharedChat) {
        let mut c = this.borrow_mut();
        if !c.accepted() {
            return;
        }
        c.thread = current_thread(
            Store::get(THREAD_KEY).as_deref(),
            &c.site,
            browser::now_ms(),
            DEFAULT_THREAD_HOURS,
        );
        if c.thread.is_none() {
            Store::remove(THREAD_KEY);
        }
        let thread_id = c.thread.as_ref().map(|t| t.thread_id.clone());
        let outbox: Vec<Pending> = parse_outbox(Store::get(OUTBOX_KEY).as_deref())
            .into_iter()
            .filter(|p| Some(&p.thread_id) == thread_id.as_ref())
            .collect();
        for p in &outbox {
            c.transcript.add_pending(p.clone());
        }
        save_outbox(&outbox);
        drop(c);
        Self::connect(this);
        Self::flush(this.clone(), 0);
    }

    pub fn accept_terms(this: &SharedChat) {
        let revision = this.borrow().terms_revision.clone();
        let terms = AcceptedTerms {
            revision,
            accepted_ms: browser::now_ms(),
        };
        Store::set(TERMS_KEY, &json::to_string(&terms));
        Self::check_desk(this);
        changed(this);
    }

    /// Queues a visitor message and tries to deliver it.
    pub fn send(this: &SharedChat, text: &str) {
        let text = text.trim();
        if text.is_empty() || !this.borrow().accepted() {
            return;
        }
        let now = browser::now_ms();
        let pending = {
            let mut c = this.borrow_mut();
            let thread_id = c.current_thread_id(now);
            let pending = Pending {
                client_message_id: browser::uuid_v4(),
                thread_id,
                text: text
                    .chars()
                    .take(varco_protocol::chat::MAX_MESSAGE_CHARS)
                    .collect(),
                created_ms: now,
            };
            c.transcript.add_pending(pending.clone());
            c.announce = true;
            c.asked_here = true;
            // Sending brings the conversation's end back into view.
            c.follows_end = true;
            c.new_below = false;
            c.save_thread();
            pending
        };
        let mut outbox = parse_outbox(Store::get(OUTBOX_KEY).as_deref());
        outbox.push(pending);
        save_outbox(&outbox);
        changed(this);
        Self::flush(this.clone(), 0);
    }

    /// The conversation's Thread ID, made at its first message (or
    /// hand-off request); the conversation is marked active now.
    fn current_thread_id(&mut self, now: i64) -> String {
        let site = self.site.clone();
        let thread = self.thread.get_or_insert_with(|| StoredThread {
            thread_id: browser::uuid_v4(),
            site,
            created_ms: now,
            active_ms: now,
            opened: false,
            ended: false,
        });
        thread.active_ms = now;
        thread.thread_id.clone()
    }

    /// "Parla con un operatore": asks the server to hand the conversation
    /// to a person. What follows (the queue, the operator's messages, or
    /// the desk's hours) arrives on the event stream.
    pub fn handoff(this: &SharedChat) {
        let thread_id = {
            let mut c = this.borrow_mut();
            if c.handoff_busy || !c.accepted() || !c.live_chat {
                return;
            }
            c.handoff_busy = true;
            c.handoff_failed = false;
            c.announce = true;
            let id = c.current_thread_id(browser::now_ms());
            c.save_thread();
            id
        };
        changed(this);
        let this = this.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let asked = match Self::open_thread(&this, &thread_id).await {
                Ok(()) => {
                    let api = this.borrow().api.clone();
                    let url = format!(
                        "{api}/v1/threads/{}/handoff",
                        browser::encode_uri_component(&thread_id)
                    );
                    matches!(browser::send_json("POST", &url, "").await, Ok(200))
                }
                Err(_) => false,
            };
            let mut c = this.borrow_mut();
            c.handoff_busy = false;
            c.handoff_failed = !asked;
            drop(c);
            changed(&this);
        });
    }

    /// The visitor is typing: the operator sees it (at most every 3 s,
    /// only while an operator is in the conversation).
    pub fn typing(this: &SharedChat) {
        let url = {
            let mut c = this.borrow_mut();
            let now = browser::now_ms();
            let connected =
                c.transcript.live_state() == Some(LiveState::Connected) && !c.transcript.ended();
            let Some(t) = c.thread.as_ref().filter(|t| t.opened) else {
                return;
            };
            if !connected || now - c.typing_sent_ms < 3_000 {
                return;
            }
            let url = format!(
                "{}/v1/threads/{}/typing",
                c.api,
                browser::encode_uri_component(&t.thread_id)
            );
            c.typing_sent_ms = now;
            url
        };
        wasm_bindgen_futures::spawn_local(async move {
            let _ = browser::send_json("POST", &url, "").await;
        });
    }

    /// The privacy centre's "delete everything": the conversation goes from
    /// this browser (thread, outbox, terms acceptance) and, if the server
    /// has it, from the server.
    pub fn forget_everything(this: &SharedChat) {
        let (api, opened) = {
            let mut c = this.borrow_mut();
            c.source = None;
            let opened = c.thread.take().filter(|t| t.opened).map(|t| t.thread_id);
            c.transcript = Transcript::default();
            c.unread = 0;
            (c.api.clone(), opened)
        };
        for key in [THREAD_KEY, OUTBOX_KEY, TERMS_KEY] {
            Store::remove(key);
        }
        if let Some(thread_id) = opened {
            wasm_bindgen_futures::spawn_local(async move {
                let url = format!(
                    "{api}/v1/threads/{}",
                    browser::encode_uri_component(&thread_id)
                );
                if !matches!(browser::send_json("DELETE", &url, "").await, Ok(204 | 404)) {
                    browser::warn("Varco: the server could not delete the conversation now; it is deleted when its retention ends.");
                }
            });
        }
        changed(this);
    }

    /// Retries the visitor's undelivered messages now.
    pub fn retry(this: &SharedChat) {
        Self::flush(this.clone(), 0);
    }

    fn save_thread(&self) {
        match &self.thread {
            Some(t) => {
                Store::set(THREAD_KEY, &json::to_string(t));
            }
            None => Store::remove(THREAD_KEY),
        }
    }

    /// Delivers the outbox in order: opens the thread on the server if
    /// needed, then posts each message. A message leaves the outbox when
    /// the server has answered for it; on a network error, a 5xx, 408 or
    /// 429 it stays, is marked "not sent", and is retried with backoff.
    pub fn flush(this: SharedChat, attempt: u32) {
        {
            let mut c = this.borrow_mut();
            if c.flushing || !c.accepted() {
                return;
            }
            c.flushing = true;
        }
        wasm_bindgen_futures::spawn_local(async move {
            let failed = Self::deliver(&this).await;
            let mut c = this.borrow_mut();
            c.flushing = false;
            if failed && !c.retry_scheduled {
                c.retry_scheduled = true;
                let again = this.clone();
                browser::after(retry_delay_ms(attempt), move || {
                    again.borrow_mut().retry_scheduled = false;
                    Chat::flush(again, attempt + 1);
                });
            }
            drop(c);
            changed(&this);
        });
    }

    /// One pass over the outbox; `true` if something must be retried.
    async fn deliver(this: &SharedChat) -> bool {
        loop {
            let outbox = parse_outbox(Store::get(OUTBOX_KEY).as_deref());
            let Some(next) = outbox.first().cloned() else {
                return false;
            };
            match Self::open_thread(this, &next.thread_id).await {
                Ok(()) => {}
                Err(true) => return this.borrow_mut().mark_failed(&next),
                Err(false) => {
                    drop_pending(this, &next);
                    continue;
                }
            }
            let api = this.borrow().api.clone();
            let body = NewMessage {
                client_message_id: next.client_message_id.clone(),
                text: next.text.clone(),
            };
            let body = json::to_string(&body);
            let url = format!("{api}/v1/threads/{}/messages", next.thread_id);
            match delivery(browser::send_json("POST", &url, &body).await.ok()) {
                Delivery::Delivered => {
                    this.borrow_mut()
                        .transcript
                        .set_failed(&next.client_message_id, false);
                    remove_from_outbox(&next.client_message_id);
                    // The server is back: a stream waiting out its backoff
                    // reconnects now, to bring the answer.
                    Self::connect(this);
                }
                Delivery::RetryLater => return this.borrow_mut().mark_failed(&next),
                Delivery::Refused(status) => {
                    browser::warn(&format!("Varco: the server refused a message ({status})."));
                    drop_pending(this, &next);
                }
            }
        }
    }

    /// Opens the thread on the server, unless this page or an earlier one
    /// has. `Err(true)`: try again later; `Err(false)`: refused.
    async fn open_thread(this: &SharedChat, thread_id: &str) -> Result<(), bool> {
        let (api, body) = {
            let c = this.borrow();
            let opened = c
                .thread
                .as_ref()
                .is_some_and(|t| t.thread_id == thread_id && t.opened);
            if opened {
                return Ok(());
            }
            let body = NewThread {
                thread_id: thread_id.to_owned(),
                site: c.site.clone(),
                language: c.lang.code().to_owned(),
                terms_revision: c.terms_revision.clone(),
            };
            (c.api.clone(), json::to_string(&body))
        };
        let answer = browser::send_json("POST", &format!("{api}/v1/threads"), &body)
            .await
            .ok();
        match delivery(answer) {
            Delivery::Delivered => {
                let mut c = this.borrow_mut();
                if let Some(t) = c.thread.as_mut().filter(|t| t.thread_id == thread_id) {
                    t.opened = true;
                }
                c.save_thread();
                drop(c);
                Self::connect(this);
                Ok(())
            }
            Delivery::RetryLater => Err(true),
            Delivery::Refused(status) => {
                browser::warn(&format!(
                    "Varco: the server refused to open the conversation ({status})."
                ));
                Err(false)
            }
        }
    }

    fn mark_failed(&mut self, p: &Pending) -> bool {
        self.transcript.set_failed(&p.client_message_id, true);
        true
    }

    /// Opens (or reopens) the event stream of the current thread, resuming
    /// after the last event seen.
    pub fn connect(this: &SharedChat) {
        Self::open_stream(this, 0);
    }

    /// Connection number `attempt` of the stream (0 for a fresh start):
    /// when it ends, `delivery::reconnect` says whether and when to try
    /// again; a stream the server refuses for good (the thread is gone) is
    /// not tried again on this page.
    fn open_stream(this: &SharedChat, attempt: u32) {
        let (url, thread_id) = {
            let c = this.borrow();
            let Some(t) = c.thread.as_ref().filter(|t| t.opened && !t.ended) else {
                return;
            };
            if c.source.is_some() || !c.accepted() {
                return;
            }
            (
                format!(
                    "{}/v1/threads/{}/events?after={}",
                    c.api,
                    browser::encode_uri_component(&t.thread_id),
                    c.transcript.last_event_id
                ),
                t.thread_id.clone(),
            )
        };
        let Ok(abort) = web_sys::AbortController::new() else {
            return;
        };
        let signal = abort.signal();
        this.borrow_mut().source = Some(LiveStream { abort });
        let chat = this.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let end = follow(&chat, &thread_id, &url, &signal).await;
            if signal.aborted() {
                // Dropped on purpose: the conversation ended or was deleted.
                return;
            }
            // Not aborted, so the stream in `source` is still this one.
            chat.borrow_mut().source = None;
            match reconnect(attempt, end) {
                // A tab in the background reconnects when it is shown again
                // (see `install`), replaying what it missed: a forgotten tab
                // does not hold a stream open for hours.
                Some(_) if browser::document().hidden() => {}
                Some((delay, next)) => {
                    browser::after(delay, move || Chat::open_stream(&chat, next));
                }
                None => browser::warn(&format!(
                    "Varco: the server refused the conversation's event stream ({}); it is not asked again on this page.",
                    match end {
                        StreamEnd::Refused(status) => status,
                        _ => 0,
                    }
                )),
            }
        });
    }

    /// Ends the conversation: the server is told (best effort) and the next
    /// message starts a new thread.
    pub fn end(this: &SharedChat) {
        let (api, thread) = {
            let mut c = this.borrow_mut();
            c.source = None;
            (c.api.clone(), c.thread.take())
        };
        if let Some(t) = thread.filter(|t| t.opened) {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = browser::send_json(
                    "POST",
                    &format!("{api}/v1/threads/{}/end", t.thread_id),
                    "{}",
                )
                .await;
            });
        }
        let mut c = this.borrow_mut();
        c.transcript = Transcript::default();
        c.save_thread();
        drop(c);
        save_outbox(&[]);
        changed(this);
    }

    /// Opens the booking flow (or, with `cancel`, the cancellation form)
    /// in the panel; `None` closes it.
    pub fn set_booking(this: &SharedChat, booking: Option<bool>) {
        Self::open_booking(this, booking, None);
    }

    /// Opens the booking flow with `choice` already chosen (or closes it,
    /// with `booking` `None`).
    pub fn open_booking(this: &SharedChat, booking: Option<bool>, choice: Option<BookingChoice>) {
        let mut c = this.borrow_mut();
        c.booking = booking;
        c.booking_choice = choice;
        drop(c);
        changed(this);
    }

    /// Whether the site takes appointments through the assistant.
    pub fn books(&self) -> bool {
        self.booking_privacy_url.is_some()
    }

    pub fn set_open(this: &SharedChat, open: bool) {
        let mut c = this.borrow_mut();
        c.open = open;
        let ask = open && !c.suggestions_asked;
        c.suggestions_asked |= open;
        if open {
            c.unread = 0;
            // A panel opens on the latest messages.
            c.follows_end = true;
            c.new_below = false;
        }
        drop(c);
        if ask {
            ask_suggestions(this);
        }
        if open {
            Self::check_desk(this);
        }
        changed(this);
    }
}

/// Reads one connection of the thread's stream until it ends, applying each
/// event; says how it ended.
/// GETs `url` and reads a 200 answer as a `T`.
pub async fn fetch_json<T: json::FromJson>(url: &str) -> Option<T> {
    browser::get_json(url).await.ok()
}

async fn follow(
    chat: &SharedChat,
    thread_id: &str,
    url: &str,
    signal: &web_sys::AbortSignal,
) -> StreamEnd {
    let Ok(response) = browser::fetch("GET", url, None, false, Some(signal)).await else {
        return StreamEnd::Failed;
    };
    let status = response.status();
    let is_stream = response
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .is_some_and(|t| t.trim_start().starts_with("text/event-stream"));
    if status != 200 || !is_stream {
        return match delivery(Some(status)) {
            Delivery::Refused(status) => StreamEnd::Refused(status),
            _ => StreamEnd::Failed,
        };
    }
    let Some(reader) = response.body().map(|b| {
        b.get_reader()
            .unchecked_into::<web_sys::ReadableStreamDefaultReader>()
    }) else {
        return StreamEnd::Failed;
    };
    let opened_ms = browser::now_ms();
    // What arrives after the replay of the transcript is new, and is
    // announced.
    let announce = chat.clone();
    browser::after(800, move || {
        announce.borrow_mut().announce = true;
    });
    let mut parser = SseParser::new();
    loop {
        let Ok(chunk) = wasm_bindgen_futures::JsFuture::from(reader.read()).await else {
            break;
        };
        let done = js_sys::Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            break;
        }
        let Ok(value) = js_sys::Reflect::get(&chunk, &"value".into()) else {
            break;
        };
        let bytes = js_sys::Uint8Array::new(&value).to_vec();
        for event in parser.feed(&bytes) {
            apply_event(chat, thread_id, event);
        }
        if signal.aborted() {
            break;
        }
    }
    StreamEnd::Closed {
        lived_ms: browser::now_ms() - opened_ms,
    }
}

/// One event of the stream of `thread_id`, into the transcript (once: a
/// stored event has its own id, and one seen before is skipped).
fn apply_event(chat: &SharedChat, thread_id: &str, e: SseEvent) {
    let Some(event) = json::from_str::<ChatEvent>(&e.data) else {
        return;
    };
    // A live-only event (typing, a streamed delta, the queue) has no id.
    let id = e.id.and_then(|id| id.parse::<i64>().ok());
    let mut c = chat.borrow_mut();
    if c.thread.as_ref().map(|t| t.thread_id.as_str()) != Some(thread_id) {
        return;
    }
    let ended = matches!(event, ChatEvent::End);
    let operator_typing = matches!(
        event,
        ChatEvent::Typing {
            author: Author::Operator
        }
    );
    // An answer to a booking request asked on this page opens the booking
    // flow with what the request named.
    let booking_choice = match &event {
        ChatEvent::Message { message } if message.author == Author::Assistant => {
            message.booking.clone()
        }
        _ => None,
    };
    let fresh = c.transcript.apply(id, event);
    if let Some(choice) = booking_choice.filter(|_| fresh && c.asked_here && c.books()) {
        c.booking = Some(false);
        c.booking_choice = Some(choice);
    }
    if operator_typing {
        c.typing_seq = c.typing_seq.wrapping_add(1);
        let (seq, chat) = (c.typing_seq, chat.clone());
        browser::after(6_000, move || {
            let mut c = chat.borrow_mut();
            if c.typing_seq == seq && c.transcript.typing == Some(Author::Operator) {
                c.transcript.typing = None;
                drop(c);
                changed(&chat);
            }
        });
    }
    if fresh && !c.open && c.announce {
        c.unread += 1;
    }
    if fresh && c.open && !c.follows_end {
        c.new_below = true;
    }
    if ended {
        if let Some(t) = c.thread.as_mut() {
            t.ended = true;
        }
        c.save_thread();
        // Aborts this stream: the conversation is over.
        c.source = None;
    }
    drop(c);
    changed(chat);
}

fn ask_suggestions(this: &SharedChat) {
    let suggest = this.borrow().suggest.clone();
    let this = this.clone();
    suggest.ask(move |items| {
        this.borrow_mut().suggestions = items;
        changed(&this);
    });
}

/// The consent to personalisation changed, or the visitor deleted their
/// data: what is shown goes, and is asked again if the panel is open.
pub fn reset_suggestions(this: &SharedChat) {
    let open = {
        let mut c = this.borrow_mut();
        c.suggestions.clear();
        c.suggestions_asked = c.open;
        c.open
    };
    if open {
        ask_suggestions(this);
    }
    changed(this);
}

fn remove_from_outbox(client_message_id: &str) {
    let rest: Vec<Pending> = parse_outbox(Store::get(OUTBOX_KEY).as_deref())
        .into_iter()
        .filter(|p| p.client_message_id != client_message_id)
        .collect();
    save_outbox(&rest);
}

/// A message the server refused for good (not a delivery problem).
fn drop_pending(this: &SharedChat, p: &Pending) {
    this.borrow_mut()
        .transcript
        .set_failed(&p.client_message_id, true);
    remove_from_outbox(&p.client_message_id);
}

fn save_outbox(outbox: &[Pending]) {
    if outbox.is_empty() {
        Store::remove(OUTBOX_KEY);
    } else {
        Store::set(OUTBOX_KEY, &json::to_string(outbox));
    }
}

/// Keeps `--varco-vvh` on the widget's host equal to the visible viewport's
/// height, so that on a phone the panel stays above the on-screen keyboard
/// without the page zooming or scrolling under it.
fn follow_visual_viewport() {
    let Some(vv) = browser::window().visual_viewport() else {
        return;
    };
    let update = {
        let vv = vv.clone();
        move || {
            let host = browser::document()
                .query_selector(crate::mount::HOST_TAG)
                .ok()
                .flatten();
            if let Some(host) = host.and_then(|h| h.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = host
                    .style()
                    // Whole pixels: formatting a float would bring Rust's
                    // float printing (about 6 KiB gzip) for one property.
                    .set_property("--varco-vvh", &format!("{}px", vv.height() as u32));
            }
        }
    };
    update();
    let listener = Closure::<dyn Fn()>::new(update);
    let _ = vv.add_event_listener_with_callback("resize", listener.as_ref().unchecked_ref());
    listener.forget();
}
