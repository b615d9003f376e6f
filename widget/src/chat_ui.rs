//! The assistant's panel: launcher, welcome and terms, the message list
//! (`role="log"`), quick replies and the input. Answers are rendered from
//! the markdown tree of `varco_core::markdown` into elements: no HTML
//! string from the server ever reaches the DOM.
//!
//! The message list is the panel's one polite live region: a message is
//! added to it once (a visitor's echo keeps the line its pending copy had),
//! streamed text and the typing signal stay outside it, and a list that
//! (re)appears with the panel starts silent, so that reopening reads
//! nothing again. The list follows the conversation unless the visitor has
//! scrolled up to read; then a "new messages" control jumps to the end.
//!
//! Where the panel covers the page ([`COVERS_THE_PAGE`]) it is modal:
//! focus stays inside it and the page's other top-level elements are
//! `inert` until it closes.

use crate::booking_ui::BookingFlow;
use crate::chat::{self, Chat, ChatContext, SharedChat};
use crate::feedback_ui::{AnswerFeedback, Rated, RatingForm};
use crate::leave_message_ui::LeaveMessageForm;
use std::rc::Rc;
use varco_core::chat::Line;
use varco_core::live::{desk_note, DeskNote};
use varco_core::markdown::{self, Block, Inline};
use varco_core::texts::{AppKey, Key, Texts};
use varco_protocol::chat::{Author, BookingChoice, ChatMessage};
use varco_protocol::live::LiveState;
use varco_protocol::navigation::Recommendation;
use web_sys::{Element, HtmlElement, HtmlTextAreaElement};
use yew::prelude::*;

/// Within this many pixels of the end the transcript counts as read to the
/// end, and keeps following.
const AT_END_PX: i32 = 24;

/// Marks the host element while the panel is open, for the widget's own
/// styles (the floating consent button steps aside).
const PANEL_OPEN_ATTR: &str = "data-panel-open";

fn covers_the_page() -> bool {
    crate::browser::window()
        .match_media(crate::layout::COVERS_THE_PAGE)
        .ok()
        .flatten()
        .is_some_and(|q| q.matches())
}

fn host() -> Option<Element> {
    crate::browser::document()
        .query_selector(crate::mount::HOST_TAG)
        .ok()
        .flatten()
}

/// Makes the host page's other top-level elements inert; returns the ones
/// this made inert, so that exactly those are given back.
fn make_page_inert() -> Vec<Element> {
    let Some(body) = crate::browser::document().body() else {
        return Vec::new();
    };
    let host = host();
    let children = body.children();
    (0..children.length())
        .filter_map(|i| children.item(i))
        .filter(|el| Some(el) != host.as_ref())
        .filter(|el| {
            !matches!(
                el.tag_name().to_ascii_lowercase().as_str(),
                "script" | "style" | "link" | "template" | "noscript" | "meta"
            )
        })
        .filter(|el| !el.has_attribute("inert"))
        .inspect(|el| {
            let _ = el.set_attribute("inert", "");
        })
        .collect()
}

/// What the effect after the last render left in place.
#[derive(Default)]
struct Shown {
    open: bool,
    accepted: bool,
    modal: bool,
    /// The message list was in the DOM.
    log: bool,
    /// The page's elements this panel made inert.
    inert: Vec<Element>,
}

/// Scrolls the transcript to its end.
fn scroll_to_end(body: &NodeRef) {
    if let Some(el) = body.cast::<Element>() {
        el.set_scroll_top(el.scroll_height());
    }
}

#[derive(Properties, PartialEq)]
pub struct ChatProps {
    /// Which corner: `right` or `left`.
    pub side: &'static str,
}

#[function_component(ChatWidget)]
pub fn chat_widget(props: &ChatProps) -> Html {
    let chat = use_context::<ChatContext>().map(|c| c.0);
    let refresh = use_force_update();
    {
        let (refresh, chat) = (refresh.clone(), chat.clone());
        use_effect_with((), move |_| {
            if let Some(chat) = chat {
                Chat::on_change(&chat, Rc::new(move || refresh.force_update()));
            }
        });
    }
    let launcher = use_node_ref();
    let input = use_node_ref();
    let accept = use_node_ref();
    let panel = use_node_ref();
    let body = use_node_ref();
    let draft = use_state(String::new);
    let shown = use_mut_ref(Shown::default);
    // Where the transcript was at its last scroll event.
    let last_scroll_top = use_mut_ref(|| 0i32);
    let (open, accepted, booking) = chat
        .as_ref()
        .map(|c| {
            let c = c.borrow();
            (c.open, c.accepted(), c.booking.is_some())
        })
        .unwrap_or((false, false, false));
    let modal = open && covers_the_page();
    let log_shown = open && !booking;
    // The message list reads out what is added to it only once it is in
    // the DOM: one that appears with its messages (the panel reopens, the
    // booking flow closes) reads nothing again.
    let log_live = log_shown && shown.borrow().log;
    // After every render, one effect keeps the DOM around the panel in step
    // (one, not one per concern: each hook's code is repeated in the WASM).
    {
        let (shown, chat, body) = (shown.clone(), chat.clone(), body.clone());
        let (launcher, input, accept) = (launcher.clone(), input.clone(), accept.clone());
        use_effect(move || {
            let mut s = shown.borrow_mut();
            // Focus: into the panel when it opens, back to the launcher
            // when it closes.
            if (open, accepted) != (s.open, s.accepted) {
                if open && (!s.open || accepted) {
                    let target = if accepted { &input } else { &accept };
                    if let Some(el) = target.cast::<HtmlElement>() {
                        let _ = el.focus();
                    }
                } else if !open && s.open {
                    if let Some(el) = launcher.cast::<HtmlElement>() {
                        let _ = el.focus();
                    }
                }
            }
            // The host carries the panel's state for the widget's styles.
            if open != s.open {
                if let Some(h) = host() {
                    let _ = if open {
                        h.set_attribute(PANEL_OPEN_ATTR, "")
                    } else {
                        h.remove_attribute(PANEL_OPEN_ATTR)
                    };
                }
            }
            // Where it covers the page, the open panel is modal: the page's
            // other elements are inert until it closes, then exactly those
            // are given back.
            if modal && !s.modal {
                s.inert = make_page_inert();
            } else if !modal {
                for el in s.inert.drain(..) {
                    let _ = el.remove_attribute("inert");
                }
            }
            let log_appeared = log_shown && !s.log;
            (s.open, s.accepted, s.modal, s.log) = (open, accepted, modal, log_shown);
            drop(s);
            if let Some(chat) = &chat {
                // The transcript follows the conversation, unless the
                // visitor has scrolled up to read.
                if log_shown && chat.borrow().follows_end {
                    scroll_to_end(&body);
                }
                // The desk's status, asked again once it has gone stale.
                Chat::check_desk(chat);
            }
            if log_appeared {
                // Now the list may read what is added to it.
                if let Some(chat) = &chat {
                    chat::changed(chat);
                }
            }
        });
    }

    let Some(chat) = chat else { return html! {} };
    let c = chat.borrow();
    let texts = &c.texts;
    let name = c.name.clone();
    if !open {
        let label = if c.unread > 0 {
            format!(
                "{} ({})",
                texts.fill(Key::chat_open, &name),
                texts.unread(c.unread)
            )
        } else {
            texts.fill(Key::chat_open, &name)
        };
        let onclick = {
            let chat = chat.clone();
            Callback::from(move |_: MouseEvent| Chat::set_open(&chat, true))
        };
        return html! {
            <button type="button" ref={launcher} class={classes!("launcher", props.side)} aria-label={label} aria-expanded="false" {onclick}>
                <svg aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="28" height="28">
                    <path fill="currentColor" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z"/>
                </svg>
                if c.unread > 0 { <span class="badge" aria-hidden="true">{ c.unread }</span> }
            </button>
        };
    }

    let minimise = {
        let chat = chat.clone();
        Callback::from(move |_: MouseEvent| Chat::set_open(&chat, false))
    };
    let end = {
        let chat = chat.clone();
        Callback::from(move |_: MouseEvent| Chat::end(&chat))
    };
    let onkeydown = {
        let chat = chat.clone();
        let panel = panel.clone();
        Callback::from(move |e: KeyboardEvent| {
            // Escape closes the innermost thing: what inside the panel
            // handles it (a booking step) stops it or marks it handled.
            if e.key() == "Escape" && !e.default_prevented() && !e.is_composing() {
                e.prevent_default();
                // The booking flow handles Escape inside it; from the panel's
                // header it is still the innermost step: it closes first.
                if chat.borrow().booking.is_some() {
                    Chat::set_booking(&chat, None);
                    crate::booking_ui::focus_opener();
                    return;
                }
                Chat::set_open(&chat, false);
                return;
            }
            if modal {
                if let Some(p) = panel.cast::<Element>() {
                    crate::layout::trap_tab(&p, &e);
                }
            }
        })
    };
    let onscroll = {
        let chat = chat.clone();
        Callback::from(move |e: Event| {
            let el: Element = e.target_unchecked_into();
            let top = el.scroll_top();
            let at_end = el.scroll_height() - top - el.client_height() <= AT_END_PX;
            // Only the visitor moves the transcript up. A scroll event is
            // dispatched a frame after the scroll: by then an answer may
            // have made the list longer, so "not at the end" alone does not
            // mean the visitor scrolled away (the panel would stop
            // following the conversation by itself).
            let went_up = top < *last_scroll_top.borrow() - 1;
            *last_scroll_top.borrow_mut() = top;
            let mut c = chat.borrow_mut();
            if at_end {
                c.follows_end = true;
            } else if went_up {
                c.follows_end = false;
            }
            if at_end && c.new_below {
                c.new_below = false;
                drop(c);
                chat::changed(&chat);
            }
        })
    };
    let jump_to_end = {
        let chat = chat.clone();
        let body = body.clone();
        let input = input.clone();
        Callback::from(move |_: MouseEvent| {
            {
                let mut c = chat.borrow_mut();
                c.follows_end = true;
                c.new_below = false;
            }
            scroll_to_end(&body);
            // The control goes: focus moves on to where the visitor
            // continues, the question box.
            if let Some(t) = input
                .cast::<HtmlTextAreaElement>()
                .filter(|t| !t.disabled())
            {
                let _ = t.focus();
            }
            chat::changed(&chat);
        })
    };
    let send = {
        let chat = chat.clone();
        let draft = draft.clone();
        let input = input.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = input
                .cast::<HtmlTextAreaElement>()
                .map(|t| t.value())
                .unwrap_or_default();
            if !text.trim().is_empty() {
                Chat::send(&chat, &text);
                draft.set(String::new());
                if let Some(t) = input.cast::<HtmlTextAreaElement>() {
                    t.set_value("");
                }
            }
        })
    };
    let oninput = {
        let draft = draft.clone();
        let chat = chat.clone();
        Callback::from(move |e: InputEvent| {
            let t: HtmlTextAreaElement = e.target_unchecked_into();
            draft.set(t.value());
            Chat::typing(&chat);
        })
    };
    let ended = c.transcript.ended();
    // "Parla con un operatore" is offered until a person is asked for;
    // while nobody answers it says when someone will, before it is pressed.
    let can_hand_off = accepted && c.live_chat && !ended && !c.transcript.with_operator();
    let desk = match c
        .desk
        .as_ref()
        .map(|d| desk_note(texts, d, crate::browser::now_ms()))
    {
        Some(DeskNote::Closed(note)) => Some(note),
        _ => None,
    };
    let handoff = |place: &str| HandoffButton {
        label: texts.get(AppKey::live_start).to_owned(),
        note: desk.clone(),
        note_id: format!("varco-handoff-note-{place}"),
        busy: c.handoff_busy,
    };
    // Enter sends, Shift+Enter starts a new line.
    let on_input_key = {
        let chat = chat.clone();
        let draft = draft.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" && !e.shift_key() && !e.is_composing() {
                e.prevent_default();
                let t: HtmlTextAreaElement = e.target_unchecked_into();
                let text = t.value();
                if !text.trim().is_empty() {
                    Chat::send(&chat, &text);
                    t.set_value("");
                    draft.set(String::new());
                }
            }
        })
    };

    let welcome = if accepted {
        // Once the terms are accepted the welcome is one line (with the
        // notice), and the actions.
        html! {
            <div class="welcome compact">
                <p class="welcome-line">{ texts.get(AppKey::chat_welcome_short) }
                    if let Some(url) = c.privacy_url.clone() {
                        {" "}<a href={url} target="_blank" rel="noopener noreferrer">{ texts.get(AppKey::chat_privacy_short) }<span class="sr-only">{" "}{ texts.get(Key::new_tab) }</span></a>
                    }
                </p>
                { suggestions(&chat, &c.suggestions, !ended, texts.get(AppKey::chat_suggestions)) }
                if c.books() || can_hand_off {
                    <div class="actions">
                        if c.books() { { booking_button(&chat, texts.get(AppKey::booking_start), None) } }
                        if can_hand_off { { handoff_button(&chat, handoff("welcome")) } }
                    </div>
                }
            </div>
        }
    } else {
        let on_accept = {
            let chat = chat.clone();
            Callback::from(move |_: MouseEvent| Chat::accept_terms(&chat))
        };
        html! {
            <div class="welcome">
                if c.terms_changed() { <p><strong>{ texts.get(AppKey::chat_terms_changed) }</strong></p> }
                <p>{ texts.fill(AppKey::chat_welcome, &name) }</p>
                if let Some(url) = c.privacy_url.clone() {
                    <p><a href={url} target="_blank" rel="noopener noreferrer">{ texts.get(AppKey::chat_privacy_link) }<span class="sr-only">{" "}{ texts.get(Key::new_tab) }</span></a></p>
                }
                <p class="muted">{ texts.get(AppKey::chat_gate_note) }</p>
                <button type="button" ref={accept} class="btn btn-primary" onclick={on_accept}>{ texts.get(AppKey::chat_accept) }</button>
                { suggestions(&chat, &c.suggestions, false, texts.get(AppKey::chat_suggestions)) }
            </div>
        }
    };

    let last_assistant = c.transcript.lines.iter().rposition(
        |l| matches!(l, Line::Message { message, .. } if message.author != Author::Visitor),
    );
    let thread_id = c.thread.as_ref().map(|t| t.thread_id.clone());
    // The live chat is rated under the message that says the operator
    // closed it (the last one, if it happened twice).
    let closed_at = c.transcript.lines.iter().rposition(
        |l| matches!(l, Line::Message { message, .. } if message.live == Some(LiveState::Closed)),
    );
    let on_given = {
        let chat = chat.clone();
        Callback::from(move |event_id: i64| chat.borrow_mut().feedback_given.push(event_id))
    };
    let on_rated = {
        let chat = chat.clone();
        Callback::from(move |()| chat.borrow_mut().live_chat_rated = true)
    };
    let lines = c.transcript.lines.iter().enumerate().map(|(i, line)| {
        match line {
            Line::Message { event_id, message } => {
                let quick = if Some(i) == last_assistant && !message.quick_replies.is_empty() {
                    quick_replies(&chat, message, texts.get(AppKey::chat_quick_replies))
                } else {
                    html! {}
                };
                let last = Some(i) == last_assistant;
                let offers_booking = last && c.books() && accepted && !ended
                    && (message.topic.as_deref() == Some("appuntamenti")
                        || message.live == Some(LiveState::Unavailable));
                let offers_operator = last && can_hand_off && message.topic.as_deref() == Some("operatore");
                let asks_feedback = last
                    && message.author == Author::Assistant
                    && varco_core::feedback::asks_about(message.topic.as_deref())
                    && !c.feedback_given.contains(event_id);
                let rates_live_chat = Some(i) == closed_at && !c.live_chat_rated;
                // A visitor's message keeps the line of its pending copy,
                // key and elements: it is added to the log once.
                if let (Author::Visitor, Some(cmid)) = (message.author, &message.client_message_id) {
                    return visitor_line(&chat, cmid, &message.text, false, texts);
                }
                html! { <div key={format!("e{event_id}")} class={classes!("msg", author_class(message.author))}>
                    <span class="sr-only">{ author_name(message.author, &name, texts) }{": "}</span>
                    { render_markdown(&message.text, texts.get(Key::new_tab)) }
                    if !message.links.is_empty() {
                        <ul class="msg-links">{ for message.links.iter().filter_map(|l| {
                            let href = markdown::safe_href(&l.url)?;
                            Some(html! { <li><a {href} target="_blank" rel="noopener noreferrer">{ &l.title }<span class="sr-only">{" "}{ texts.get(Key::new_tab) }</span></a></li> })
                        }) }</ul>
                    }
                    { quick }
                    if offers_booking || offers_operator {
                        <div class="actions">
                            if offers_booking { { booking_button(&chat, texts.get(AppKey::booking_start), message.booking.clone()) } }
                            if offers_operator { { handoff_button(&chat, handoff("answer")) } }
                        </div>
                    }
                    if asks_feedback {
                        if let Some(thread_id) = thread_id.clone() {
                            <AnswerFeedback api={c.api.clone()} {thread_id} event_id={*event_id}
                                texts={c.texts.clone()} on_given={on_given.clone()} />
                        }
                    }
                    if rates_live_chat {
                        if let Some(thread_id) = thread_id.clone() {
                            <RatingForm texts={c.texts.clone()} on_given={on_rated.clone()}
                                rated={Rated::LiveChat { api: c.api.clone(), thread_id }} />
                        }
                    }
                </div> }
            }
            Line::Pending { pending, failed } => {
                visitor_line(&chat, &pending.client_message_id, &pending.text, *failed, texts)
            }
            Line::Ended { event_id } => html! {
                <div key={format!("e{event_id}")} class="msg system"><p>{ texts.get(AppKey::chat_ended) }</p></div>
            },
        }
    });
    // Someone is preparing an answer: the assistant from the moment the
    // question leaves (until its answer arrives or starts streaming), or
    // the operator while they type.
    let typing = if c.transcript.awaits_answer() {
        Some(texts.fill(AppKey::chat_typing, &name))
    } else if c.transcript.typing == Some(Author::Operator) {
        Some(texts.get(AppKey::live_operator_typing).to_owned())
    } else {
        None
    };
    let waiting = c
        .transcript
        .queued()
        .then(|| match c.transcript.queue_position {
            Some(p) => texts.fill(AppKey::live_waiting, &p.to_string()),
            None => texts.get(AppKey::live_waiting_plain).to_owned(),
        });
    html! {
        <section ref={panel} class={classes!("chat-panel", props.side, modal.then_some("modal"))} role="dialog"
                aria-modal={if modal { "true" } else { "false" }} aria-labelledby="varco-chat-title" {onkeydown}>
            // Not a <header>: inside a dialog it would still count as a
            // second page banner landmark for some tools.
            <div class="chat-head">
                <h2 id="varco-chat-title">{ &name }</h2>
                <button type="button" class="icon-button" aria-label={texts.get(AppKey::chat_new).to_owned()} title={texts.get(AppKey::chat_new).to_owned()} onclick={end}>
                    <svg aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="20" height="20"><path fill="currentColor" d="M12 4V1L8 5l4 4V6a6 6 0 1 1-6 6H4a8 8 0 1 0 8-8z"/></svg>
                </button>
                <button type="button" class="icon-button" aria-label={texts.get(Key::privacy_open).to_owned()} title={texts.get(Key::privacy_open).to_owned()}
                        onclick={Callback::from(|_: MouseEvent| crate::commands::send(crate::commands::Command::ShowPrivacy))}>
                    <svg aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="20" height="20"><path fill="currentColor" d="M12 2 4 5v6c0 5 3.4 9.7 8 11 4.6-1.3 8-6 8-11V5zm0 5a2.5 2.5 0 1 1 0 5 2.5 2.5 0 0 1 0-5zm0 7c2.2 0 4 1 4.5 2.3A6.9 6.9 0 0 1 12 19.9a6.9 6.9 0 0 1-4.5-3.6C8 15 9.8 14 12 14z"/></svg>
                </button>
                <button type="button" class="icon-button" aria-label={texts.get(AppKey::chat_minimise).to_owned()} title={texts.get(AppKey::chat_minimise).to_owned()} onclick={minimise}>
                    <svg aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="20" height="20"><path fill="currentColor" d="M5 11h14v2H5z"/></svg>
                </button>
            </div>
            if let Some(cancel) = c.booking {
                <div class="chat-body booking-body">
                    <BookingFlow api={c.api.clone()} site={c.site.clone()} texts={c.texts.clone()}
                        privacy_url={c.booking_privacy_url.clone()} {cancel} prefill={c.booking_choice.clone()}
                        on_close={let chat = chat.clone(); Callback::from(move |_| {
                            Chat::set_booking(&chat, None);
                            crate::booking_ui::focus_opener();
                        })} />
                </div>
            } else {
            <div class="chat-body" ref={body} {onscroll}>
                { welcome }
                <div class="messages" role="log" aria-relevant="additions"
                    aria-live={if c.announce && log_live { "polite" } else { "off" }}
                    aria-label={texts.get(AppKey::chat_messages_label).to_owned()}>
                    { for lines }
                </div>
                // The answer as it streams, outside the log: the log reads
                // the whole answer once, when it arrives.
                if !c.transcript.streaming.is_empty() {
                    <div class="msg assistant streaming" aria-hidden="true">{ render_markdown(&c.transcript.streaming, texts.get(Key::new_tab)) }</div>
                }
                <p class={classes!("typing", typing.is_some().then_some("active"))} role="status">
                    if let Some(t) = typing {
                        <span class="dots" aria-hidden="true"><span></span><span></span><span></span></span>{ t }
                    }
                </p>
                <p class="live-status" role="status">{ waiting.unwrap_or_default() }</p>
                if c.transcript.offers_message() {
                    if let Some(thread_id) = c.thread.as_ref().map(|t| t.thread_id.clone()) {
                        <LeaveMessageForm api={c.api.clone()} {thread_id} texts={c.texts.clone()}
                            privacy_url={c.live_chat_privacy_url.clone()} />
                    }
                }
                if c.handoff_failed { <p class="error" role="alert">{ texts.get(AppKey::live_failed) }</p> }
                if c.offline { <p class="offline" role="status">{ texts.get(AppKey::chat_offline) }</p> }
                if c.new_below {
                    <button type="button" class="new-messages" onclick={jump_to_end}>
                        <svg aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="18" height="18"><path fill="currentColor" d="M11 4h2v12l5.5-5.5 1.4 1.4L12 19.8l-7.9-7.9 1.4-1.4L11 16z"/></svg>
                        { texts.get(AppKey::chat_new_messages) }
                    </button>
                }
            </div>
            <form class="chat-input" onsubmit={send}>
                <label for="varco-chat-input" class="sr-only">{ texts.get(AppKey::chat_input_label) }</label>
                <textarea id="varco-chat-input" ref={input} rows="2" maxlength="2000"
                    placeholder={texts.get(AppKey::chat_input_label).to_owned()}
                    value={(*draft).clone()} disabled={!accepted || ended} {oninput} onkeydown={on_input_key} />
                <button type="submit" class="btn btn-primary" disabled={!accepted || ended || draft.trim().is_empty()}>{ texts.get(AppKey::chat_send) }</button>
            </form>
            }
        </section>
    }
}

/// A message of the visitor, sent from this page (`failed`: it did not go)
/// or confirmed by the server: the same elements either way. What the
/// visitor typed is text, not markdown.
fn visitor_line(chat: &SharedChat, cmid: &str, text: &str, failed: bool, texts: &Texts) -> Html {
    let retry = {
        let chat = chat.clone();
        Callback::from(move |_: MouseEvent| Chat::retry(&chat))
    };
    html! { <div key={format!("p{cmid}")} class={classes!("msg", "visitor", failed.then_some("failed"))}>
        <span class="sr-only">{ texts.get(AppKey::chat_you) }{": "}</span>
        <p>{ text }</p>
        if failed {
            <p class="status"><span>{ texts.get(AppKey::chat_not_sent) }</span>{" "}
                <button type="button" class="link-button" onclick={retry}>{ texts.get(AppKey::chat_retry) }</button></p>
        }
    </div> }
}

fn author_class(a: Author) -> &'static str {
    match a {
        Author::Visitor => "visitor",
        Author::Assistant => "assistant",
        Author::Operator => "operator",
        Author::System => "system",
    }
}

fn author_name<'a>(a: Author, assistant: &'a str, texts: &'a Texts) -> &'a str {
    match a {
        Author::Visitor => texts.get(AppKey::chat_you),
        Author::Assistant => assistant,
        Author::Operator => texts.get(AppKey::live_operator),
        Author::System => texts.get(AppKey::live_notice),
    }
}

/// "Parla con un operatore", and while nobody answers, when someone will.
struct HandoffButton {
    label: String,
    note: Option<String>,
    /// Unique per place: the button may show in the welcome and under an
    /// answer at once.
    note_id: String,
    busy: bool,
}

fn handoff_button(chat: &SharedChat, b: HandoffButton) -> Html {
    let onclick = {
        let chat = chat.clone();
        Callback::from(move |_: MouseEvent| Chat::handoff(&chat))
    };
    let described = b.note.as_ref().map(|_| b.note_id.clone());
    html! {
        <span class="handoff">
            <button type="button" class="btn btn-outline handoff-start" aria-disabled={b.busy.then_some("true")}
                aria-describedby={described} {onclick}>{ b.label }</button>
            if let Some(note) = b.note {
                <span class="handoff-note" id={b.note_id}>{ note }</span>
            }
        </span>
    }
}

fn quick_replies(chat: &SharedChat, message: &ChatMessage, label: &str) -> Html {
    let buttons = message.quick_replies.iter().map(|q| {
        let chat = chat.clone();
        let text = q.clone();
        let onclick = Callback::from(move |_: MouseEvent| Chat::send(&chat, &text));
        html! { <li><button type="button" class="quick-reply" {onclick}>{ q }</button></li> }
    });
    html! {
        <div class="quick" role="group" aria-label={label.to_owned()}>
            <p class="muted">{ label }</p>
            <ul>{ for buttons }</ul>
        </div>
    }
}

/// Opens the booking flow in the panel, with what a booking request named
/// already chosen.
fn booking_button(chat: &SharedChat, label: &str, choice: Option<BookingChoice>) -> Html {
    let onclick = {
        let chat = chat.clone();
        Callback::from(move |_: MouseEvent| Chat::open_booking(&chat, Some(false), choice.clone()))
    };
    html! { <button type="button" class="btn btn-primary booking-start" {onclick}>{ label }</button> }
}

/// "Potrebbe interessarti...": a topic is a quick reply once the terms are
/// accepted (it asks the assistant); a page is a link on the site.
fn suggestions(chat: &SharedChat, items: &[Recommendation], can_ask: bool, label: &str) -> Html {
    let entries: Vec<Html> = items
        .iter()
        .filter_map(|r| {
            if can_ask && r.topic.is_some() {
                let chat = chat.clone();
                let text = r.title.clone();
                let onclick = Callback::from(move |_: MouseEvent| Chat::send(&chat, &text));
                return Some(html! { <li><button type="button" class="quick-reply" {onclick}>{ &r.title }</button></li> });
            }
            let href = markdown::safe_href(r.url.as_deref()?)?;
            Some(html! { <li><a class="suggestion" {href}>{ &r.title }</a></li> })
        })
        .collect();
    if entries.is_empty() {
        return html! {};
    }
    html! {
        <div class="quick suggestions" role="group" aria-label={label.to_owned()}>
            <p class="muted">{ label }</p>
            <ul>{ for entries }</ul>
        </div>
    }
}

/// Markdown subset → elements. Text is always a text node.
pub fn render_markdown(source: &str, new_tab: &str) -> Html {
    let blocks = markdown::parse(source);
    let rendered = blocks.iter().map(|b| match b {
        Block::Paragraph(inlines) => html! { <p>{ render_inlines(inlines, new_tab) }</p> },
        Block::List { ordered: true, items } => html! { <ol>{ for items.iter().map(|i| html! { <li>{ render_inlines(i, new_tab) }</li> }) }</ol> },
        Block::List { ordered: false, items } => html! { <ul>{ for items.iter().map(|i| html! { <li>{ render_inlines(i, new_tab) }</li> }) }</ul> },
    });
    html! { <>{ for rendered }</> }
}

fn render_inlines(inlines: &[Inline], new_tab: &str) -> Html {
    let rendered = inlines.iter().map(|i| match i {
        Inline::Text(t) => html! { { t.clone() } },
        Inline::Strong(c) => html! { <strong>{ render_inlines(c, new_tab) }</strong> },
        Inline::Emphasis(c) => html! { <em>{ render_inlines(c, new_tab) }</em> },
        Inline::LineBreak => html! { <br/> },
        Inline::Link { href, children } => html! {
            <a href={href.clone()} target="_blank" rel="noopener noreferrer">{ render_inlines(children, new_tab) }<span class="sr-only">{" "}{ new_tab }</span></a>
        },
    });
    html! { <>{ for rendered }</> }
}
