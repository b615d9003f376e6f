//! The assistant's panel: launcher, welcome and terms, the message list
//! (`role="log"`), quick replies and the input. Answers are rendered from
//! the markdown tree of `varco_core::markdown` into elements: no HTML
//! string from the server ever reaches the DOM.

use crate::booking_ui::BookingFlow;
use crate::chat::{self, Chat, SharedChat};
use std::rc::Rc;
use varco_core::chat::Line;
use varco_core::markdown::{self, Block, Inline};
use varco_core::texts::{Key, Texts};
use varco_protocol::chat::{Author, BookingChoice, ChatMessage};
use varco_protocol::live::LiveState;
use varco_protocol::navigation::Recommendation;
use web_sys::{HtmlElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ChatProps {
    /// Which corner: `right` or `left`.
    pub side: &'static str,
}

#[function_component(ChatWidget)]
pub fn chat_widget(props: &ChatProps) -> Html {
    let refresh = use_force_update();
    {
        let refresh = refresh.clone();
        use_effect_with((), move |_| {
            chat::on_refresh(Rc::new(move || refresh.force_update()));
        });
    }
    let launcher = use_node_ref();
    let input = use_node_ref();
    let accept = use_node_ref();
    let draft = use_state(String::new);
    let was_open = use_mut_ref(|| false);
    let chat = chat::shared();
    let (open, accepted) = chat
        .as_ref()
        .map(|c| (c.borrow().open, c.borrow().accepted()))
        .unwrap_or((false, false));

    // Focus: into the panel when it opens, back to the launcher when it closes.
    {
        let (launcher, input, accept, was_open) = (
            launcher.clone(),
            input.clone(),
            accept.clone(),
            was_open.clone(),
        );
        use_effect_with((open, accepted), move |&(open, accepted)| {
            let before = *was_open.borrow();
            if open && (!before || accepted) {
                let target = if accepted {
                    input.cast::<HtmlElement>()
                } else {
                    accept.cast::<HtmlElement>()
                };
                if let Some(el) = target {
                    let _ = el.focus();
                }
            } else if !open && before {
                if let Some(el) = launcher.cast::<HtmlElement>() {
                    let _ = el.focus();
                }
            }
            *was_open.borrow_mut() = open;
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
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.prevent_default();
                // The booking flow handles Escape inside it; from the panel's
                // header it is still the innermost step: it closes first.
                if chat.borrow().booking.is_some() {
                    Chat::set_booking(&chat, None);
                    crate::booking_ui::focus_opener();
                    return;
                }
                Chat::set_open(&chat, false);
            }
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
    let live_state = c.transcript.live_state();
    // "Parla con un operatore" is offered until a person is asked for.
    let can_hand_off = accepted && c.live_chat && !ended && !c.transcript.with_operator();
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

    let welcome = {
        let on_accept = {
            let chat = chat.clone();
            Callback::from(move |_: MouseEvent| Chat::accept_terms(&chat))
        };
        html! {
            <div class="welcome">
                if c.terms_changed() { <p><strong>{ texts.get(Key::chat_terms_changed) }</strong></p> }
                <p>{ texts.fill(Key::chat_welcome, &name) }</p>
                if let Some(url) = c.privacy_url.clone() {
                    <p><a href={url} target="_blank" rel="noopener noreferrer">{ texts.get(Key::chat_privacy_link) }<span class="sr-only">{" "}{ texts.get(Key::new_tab) }</span></a></p>
                }
                if !accepted {
                    <p class="muted">{ texts.get(Key::chat_gate_note) }</p>
                    <button type="button" ref={accept} class="btn btn-primary" onclick={on_accept}>{ texts.get(Key::chat_accept) }</button>
                }
                { suggestions(&chat, &c.suggestions, accepted && !ended, texts.get(Key::chat_suggestions)) }
                if accepted && (c.books() || can_hand_off) {
                    <p class="actions">
                        if c.books() { { booking_button(&chat, texts.get(Key::booking_start), None) } }
                        if can_hand_off { { handoff_button(&chat, texts.get(Key::live_start), c.handoff_busy) } }
                    </p>
                }
            </div>
        }
    };

    let last_assistant = c.transcript.lines.iter().rposition(
        |l| matches!(l, Line::Message { message, .. } if message.author != Author::Visitor),
    );
    let lines = c.transcript.lines.iter().enumerate().map(|(i, line)| {
        match line {
            Line::Message { event_id, message } => {
                let quick = if Some(i) == last_assistant && !message.quick_replies.is_empty() {
                    quick_replies(&chat, message, texts.get(Key::chat_quick_replies))
                } else {
                    html! {}
                };
                let last = Some(i) == last_assistant;
                let offers_booking = last && c.books() && accepted && !ended
                    && (message.topic.as_deref() == Some("appuntamenti")
                        || message.live == Some(LiveState::Unavailable));
                let offers_operator = last && can_hand_off && message.topic.as_deref() == Some("operatore");
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
                        <p class="actions">
                            if offers_booking { { booking_button(&chat, texts.get(Key::booking_start), message.booking.clone()) } }
                            if offers_operator { { handoff_button(&chat, texts.get(Key::live_start), c.handoff_busy) } }
                        </p>
                    }
                </div> }
            }
            Line::Pending { pending, failed } => {
                let retry = {
                    let chat = chat.clone();
                    Callback::from(move |_: MouseEvent| Chat::retry(&chat))
                };
                html! { <div key={format!("p{}", pending.client_message_id)} class={classes!("msg", "visitor", failed.then_some("failed"))}>
                    <span class="sr-only">{ texts.get(Key::chat_you) }{": "}</span>
                    <p>{ &pending.text }</p>
                    if *failed {
                        <p class="status"><span>{ texts.get(Key::chat_not_sent) }</span>{" "}
                            <button type="button" class="link-button" onclick={retry}>{ texts.get(Key::chat_retry) }</button></p>
                    }
                </div> }
            }
            Line::Ended { event_id } => html! {
                <div key={format!("e{event_id}")} class="msg system"><p>{ texts.get(Key::chat_ended) }</p></div>
            },
        }
    });
    let typing = c
        .transcript
        .typing
        .filter(|a| *a != Author::Visitor)
        .map(|a| match a {
            Author::Operator => texts.get(Key::live_operator_typing).to_owned(),
            _ => texts.fill(Key::chat_typing, &name),
        });
    let waiting = (live_state == Some(LiveState::Waiting) && !ended).then(|| {
        match c.transcript.queue_position {
            Some(p) => texts.fill(Key::live_waiting, &p.to_string()),
            None => texts.get(Key::live_waiting_plain).to_owned(),
        }
    });
    html! {
        <section class={classes!("chat-panel", props.side)} role="dialog" aria-modal="false" aria-labelledby="varco-chat-title" {onkeydown}>
            <header class="chat-head">
                <h2 id="varco-chat-title">{ &name }</h2>
                <button type="button" class="icon-button" aria-label={texts.get(Key::chat_new).to_owned()} title={texts.get(Key::chat_new).to_owned()} onclick={end}>
                    <svg aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="20" height="20"><path fill="currentColor" d="M12 4V1L8 5l4 4V6a6 6 0 1 1-6 6H4a8 8 0 1 0 8-8z"/></svg>
                </button>
                <button type="button" class="icon-button" aria-label={texts.get(Key::privacy_open).to_owned()} title={texts.get(Key::privacy_open).to_owned()}
                        onclick={Callback::from(|_: MouseEvent| crate::app::send(crate::app::Command::ShowPrivacy))}>
                    <svg aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="20" height="20"><path fill="currentColor" d="M12 2 4 5v6c0 5 3.4 9.7 8 11 4.6-1.3 8-6 8-11V5zm0 5a2.5 2.5 0 1 1 0 5 2.5 2.5 0 0 1 0-5zm0 7c2.2 0 4 1 4.5 2.3A6.9 6.9 0 0 1 12 19.9a6.9 6.9 0 0 1-4.5-3.6C8 15 9.8 14 12 14z"/></svg>
                </button>
                <button type="button" class="icon-button" aria-label={texts.get(Key::chat_minimise).to_owned()} title={texts.get(Key::chat_minimise).to_owned()} onclick={minimise}>
                    <svg aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="20" height="20"><path fill="currentColor" d="M5 11h14v2H5z"/></svg>
                </button>
            </header>
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
            <div class="chat-body">
                { welcome }
                <div class="messages" role="log" aria-live={if c.announce { "polite" } else { "off" }} aria-label={texts.get(Key::chat_messages_label).to_owned()}>
                    { for lines }
                </div>
                if !c.transcript.streaming.is_empty() {
                    <div class="msg assistant streaming" aria-hidden="true">{ render_markdown(&c.transcript.streaming, texts.get(Key::new_tab)) }</div>
                }
                <p class="typing" role="status">{ typing.unwrap_or_default() }</p>
                <p class="live-status" role="status">{ waiting.unwrap_or_default() }</p>
                if c.handoff_failed { <p class="error" role="alert">{ texts.get(Key::live_failed) }</p> }
                if c.offline { <p class="offline" role="status">{ texts.get(Key::chat_offline) }</p> }
            </div>
            <form class="chat-input" onsubmit={send}>
                <label for="varco-chat-input" class="sr-only">{ texts.get(Key::chat_input_label) }</label>
                <textarea id="varco-chat-input" ref={input} rows="2" maxlength="2000"
                    placeholder={texts.get(Key::chat_input_label).to_owned()}
                    value={(*draft).clone()} disabled={!accepted || ended} {oninput} onkeydown={on_input_key} />
                <button type="submit" class="btn btn-primary" disabled={!accepted || ended || draft.trim().is_empty()}>{ texts.get(Key::chat_send) }</button>
            </form>
            }
        </section>
    }
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
        Author::Visitor => texts.get(Key::chat_you),
        Author::Assistant => assistant,
        Author::Operator => texts.get(Key::live_operator),
        Author::System => texts.get(Key::live_notice),
    }
}

/// "Parla con un operatore".
fn handoff_button(chat: &SharedChat, label: &str, busy: bool) -> Html {
    let onclick = {
        let chat = chat.clone();
        Callback::from(move |_: MouseEvent| Chat::handoff(&chat))
    };
    html! { <button type="button" class="btn btn-outline handoff-start" aria-disabled={busy.then_some("true")} {onclick}>{ label }</button> }
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
