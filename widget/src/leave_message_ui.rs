//! «Lascia un messaggio»: when nobody can answer live within the desk's
//! hours, the visitor writes the question and the address the answer goes
//! to, and agrees to be contacted by e-mail (the live chat's notice). It
//! goes to `POST /api/v1/threads/{id}/leave-message` and nowhere else;
//! what follows (the confirmation) arrives on the conversation's stream,
//! which then hides this form.

use crate::browser;
use varco_core::texts::{AppKey, Key, Texts};
use varco_protocol::live::LeaveMessage;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LeaveMessageProps {
    pub api: String,
    pub thread_id: String,
    pub texts: Texts,
    /// The live chat's notice.
    pub privacy_url: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Problem {
    Text,
    Email,
    Consent,
}

#[function_component(LeaveMessageForm)]
pub fn leave_message_form(props: &LeaveMessageProps) -> Html {
    let text = use_state(String::new);
    let email = use_state(String::new);
    let consent = use_state(|| false);
    let problems = use_state(Vec::<Problem>::new);
    let sending = use_state(|| false);
    let failed = use_state(|| false);
    let client_message_id = use_state(browser::uuid_v4);
    let root = use_node_ref();
    let texts = &props.texts;

    let onsubmit = {
        let (text, email, consent, problems, sending, failed, cmid, root) = (
            text.clone(),
            email.clone(),
            consent.clone(),
            problems.clone(),
            sending.clone(),
            failed.clone(),
            client_message_id.clone(),
            root.clone(),
        );
        let url = format!(
            "{}/v1/threads/{}/leave-message",
            props.api,
            browser::encode_uri_component(&props.thread_id)
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *sending {
                return;
            }
            let mut found = Vec::new();
            if text.trim().is_empty() {
                found.push(Problem::Text);
            }
            if varco_core::booking::check_email(email.trim()).is_err() {
                found.push(Problem::Email);
            }
            if !*consent {
                found.push(Problem::Consent);
            }
            let invalid = !found.is_empty();
            problems.set(found);
            if invalid {
                crate::forms::focus_first_invalid(&root);
                return;
            }
            let body = varco_protocol::json::to_string(&LeaveMessage {
                client_message_id: (*cmid).clone(),
                text: text.trim().to_owned(),
                email: email.trim().to_owned(),
                consent: true,
            });
            sending.set(true);
            failed.set(false);
            let (sending, failed, url) = (sending.clone(), failed.clone(), url.clone());
            wasm_bindgen_futures::spawn_local(async move {
                // 409: this conversation has left its message already (a
                // retry after a lost answer). The stream says the rest.
                let ok = matches!(
                    browser::request_json("POST", &url, Some(&body)).await,
                    Ok((200 | 201 | 409, _))
                );
                failed.set(!ok);
                sending.set(ok);
            });
        })
    };
    let has = |p: Problem| problems.contains(&p);
    let invalid = |p: Problem| if has(p) { "true" } else { "false" };
    let on_text = {
        let (text, problems) = (text.clone(), problems.clone());
        Callback::from(move |e: InputEvent| {
            text.set(e.target_unchecked_into::<HtmlTextAreaElement>().value());
            if problems.contains(&Problem::Text) {
                problems.set(
                    problems
                        .iter()
                        .copied()
                        .filter(|p| *p != Problem::Text)
                        .collect(),
                );
            }
        })
    };
    let on_email = {
        let email = email.clone();
        Callback::from(move |e: InputEvent| {
            email.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_consent = {
        let (consent, problems) = (consent.clone(), problems.clone());
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            consent.set(on);
            if on {
                problems.set(
                    problems
                        .iter()
                        .copied()
                        .filter(|p| *p != Problem::Consent)
                        .collect(),
                );
            }
        })
    };
    let error = |p: Problem, id: &'static str, key: AppKey| {
        has(p).then(|| html! { <p class="field-error" {id} role="alert">{ texts.get(key) }</p> })
    };
    html! {
        <form ref={root} class="leave-message" onsubmit={onsubmit} novalidate=true
              aria-labelledby="varco-leave-title">
            <h3 id="varco-leave-title">{ texts.get(AppKey::leave_title) }</h3>
            <div class="booking-field">
                <label for="varco-leave-text">{ texts.get(AppKey::leave_text_label) }</label>
                <textarea id="varco-leave-text" rows="3" maxlength="2000" required=true
                    value={(*text).clone()} oninput={on_text}
                    aria-invalid={invalid(Problem::Text)}
                    aria-describedby={has(Problem::Text).then_some("varco-leave-text-error")} />
                { error(Problem::Text, "varco-leave-text-error", AppKey::leave_text_missing).unwrap_or_default() }
            </div>
            <div class="booking-field">
                <label for="varco-leave-email">{ texts.get(AppKey::leave_email_label) }</label>
                <input id="varco-leave-email" type="email" inputmode="email" autocomplete="email"
                    autocapitalize="none" spellcheck="false" required=true
                    value={(*email).clone()} oninput={on_email}
                    aria-invalid={invalid(Problem::Email)}
                    aria-describedby={has(Problem::Email).then_some("varco-leave-email-error")} />
                { error(Problem::Email, "varco-leave-email-error", AppKey::leave_email_invalid).unwrap_or_default() }
            </div>
            <div class="booking-check">
                <input type="checkbox" id="varco-leave-consent" checked={*consent} onchange={on_consent}
                    aria-invalid={invalid(Problem::Consent)}
                    aria-describedby={has(Problem::Consent).then_some("varco-leave-consent-error")} />
                <label for="varco-leave-consent">{ texts.get(AppKey::leave_consent) }</label>
            </div>
            if let Some(url) = props.privacy_url.as_deref().and_then(varco_core::markdown::safe_href) {
                <p><a href={url} target="_blank" rel="noopener noreferrer">{ texts.get(AppKey::leave_privacy_link) }<span class="sr-only">{" "}{ texts.get(Key::new_tab) }</span></a></p>
            }
            { error(Problem::Consent, "varco-leave-consent-error", AppKey::leave_consent_missing).unwrap_or_default() }
            if *failed { <p class="error" role="alert">{ texts.get(AppKey::leave_failed) }</p> }
            <button type="submit" class="btn btn-primary" aria-disabled={sending.then_some("true")}>{ texts.get(AppKey::leave_send) }</button>
        </form>
    }
}
