//! Visitors' satisfaction, optional and never in the way: «Questa risposta
//! ti è stata utile?» under the assistant's last answer (a «No» offers the
//! reason), and a 1-5 rating after a live chat or a booking. Each goes to
//! the server once; a 409 (given before, from another page) counts as done.

use crate::browser;
use varco_core::texts::{AppKey, Texts};
use varco_protocol::feedback::{BookingFeedback, Reason, ThreadFeedback};
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

/// Sends `body` to `url`; whether the server took it (or had it already).
async fn send(url: &str, body: &str) -> bool {
    matches!(
        browser::request_json("POST", url, Some(body)).await,
        Ok((200..=299 | 409, _))
    )
}

fn thread_url(api: &str, thread_id: &str) -> String {
    format!(
        "{api}/v1/threads/{}/feedback",
        browser::encode_uri_component(thread_id)
    )
}

#[derive(Clone, Copy, PartialEq)]
enum Stage {
    Ask,
    /// «No»: the reason may follow.
    Why,
    Thanks,
}

#[derive(Properties, PartialEq)]
pub struct AnswerFeedbackProps {
    pub api: String,
    pub thread_id: String,
    pub event_id: i64,
    pub texts: Texts,
    /// Called once the visitor has answered (the chat remembers it while
    /// the page lives).
    pub on_given: Callback<i64>,
}

#[function_component(AnswerFeedback)]
pub fn answer_feedback(props: &AnswerFeedbackProps) -> Html {
    let stage = use_state(|| Stage::Ask);
    let failed = use_state(|| false);
    let reason = use_state(|| None::<Reason>);
    let comment = use_state(String::new);
    // The button pressed goes with the question: focus moves on to what
    // replaces it (the first reason, or the thanks), not to the page.
    let next_focus = use_node_ref();
    {
        let next_focus = next_focus.clone();
        use_effect_with(*stage, move |stage| {
            if *stage != Stage::Ask {
                if let Some(element) = next_focus.cast::<web_sys::HtmlElement>() {
                    let _ = element.focus();
                }
            }
        });
    }
    let texts = &props.texts;
    let url = thread_url(&props.api, &props.thread_id);
    let event_id = props.event_id;
    let post = {
        let (failed, url) = (failed.clone(), url.clone());
        move |feedback: ThreadFeedback, then: Box<dyn FnOnce(bool)>| {
            let body = varco_protocol::json::to_string(&feedback);
            let (failed, url) = (failed.clone(), url.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let ok = send(&url, &body).await;
                failed.set(!ok);
                then(ok);
            });
        }
    };
    let answer = |helped: bool| {
        let (stage, post, on_given) = (stage.clone(), post.clone(), props.on_given.clone());
        Callback::from(move |_| {
            let stage = stage.clone();
            let on_given = on_given.clone();
            post(
                ThreadFeedback::Answer { event_id, helped },
                Box::new(move |ok| {
                    if ok {
                        on_given.emit(event_id);
                        stage.set(if helped { Stage::Thanks } else { Stage::Why });
                    }
                }),
            );
        })
    };
    match *stage {
        Stage::Thanks => html! {
            <p class="feedback done" role="status" tabindex="-1" ref={next_focus}>{ texts.get(AppKey::feedback_thanks) }</p>
        },
        Stage::Ask => html! {
            <div class="feedback" role="group" aria-label={texts.get(AppKey::feedback_group).to_owned()}>
                <span>{ texts.get(AppKey::feedback_question) }</span>
                // The two answers wrap together: on a phone «No» stays beside «Sì».
                <span class="feedback-answers">
                    <button type="button" class="link-button" onclick={answer(true)}>{ texts.get(AppKey::feedback_yes) }</button>
                    <button type="button" class="link-button" onclick={answer(false)}>{ texts.get(AppKey::feedback_no) }</button>
                </span>
                if *failed { <p class="error" role="alert">{ texts.get(AppKey::feedback_failed) }</p> }
            </div>
        },
        Stage::Why => {
            let onsubmit = {
                let (stage, reason, comment, post) =
                    (stage.clone(), reason.clone(), comment.clone(), post.clone());
                Callback::from(move |e: SubmitEvent| {
                    e.prevent_default();
                    let comment = comment.trim();
                    // Nothing chosen, nothing written: nothing to send.
                    if reason.is_none() && comment.is_empty() {
                        stage.set(Stage::Thanks);
                        return;
                    }
                    let feedback = ThreadFeedback::AnswerReason {
                        event_id,
                        reason: reason.unwrap_or(Reason::Other),
                        comment: (!comment.is_empty()).then(|| comment.to_owned()),
                    };
                    let stage = stage.clone();
                    post(
                        feedback,
                        Box::new(move |ok| {
                            if ok {
                                stage.set(Stage::Thanks);
                            }
                        }),
                    );
                })
            };
            let on_comment = {
                let comment = comment.clone();
                Callback::from(move |e: InputEvent| {
                    comment.set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
                })
            };
            let id = format!("varco-why-{event_id}");
            html! {
                <form class="feedback why" {onsubmit}>
                    <p role="status">{ texts.get(AppKey::feedback_thanks) }</p>
                    <fieldset>
                        <legend>{ texts.get(AppKey::feedback_why) }</legend>
                        { for [
                            (Reason::OffTopic, AppKey::feedback_off_topic),
                            (Reason::Unclear, AppKey::feedback_unclear),
                            (Reason::Wrong, AppKey::feedback_wrong),
                            (Reason::Other, AppKey::feedback_other),
                        ].into_iter().enumerate().map(|(i, (r, key))| {
                            let reason = reason.clone();
                            let input_id = format!("{id}-{}", r.as_str());
                            let node = if i == 0 { next_focus.clone() } else { NodeRef::default() };
                            html! {
                                <div class="booking-check">
                                    <input type="radio" ref={node} id={input_id.clone()} name={id.clone()} value={r.as_str()}
                                        checked={*reason == Some(r)}
                                        onchange={Callback::from(move |_| reason.set(Some(r)))} />
                                    <label for={input_id}>{ texts.get(key) }</label>
                                </div>
                            }
                        }) }
                    </fieldset>
                    <label for={format!("{id}-comment")}>{ texts.get(AppKey::feedback_comment) }</label>
                    <textarea id={format!("{id}-comment")} rows="2" maxlength="500"
                        value={(*comment).clone()} oninput={on_comment} />
                    if *failed { <p class="error" role="alert">{ texts.get(AppKey::feedback_failed) }</p> }
                    <button type="submit" class="btn btn-outline">{ texts.get(AppKey::feedback_send) }</button>
                </form>
            }
        }
    }
}

/// What a rating is about, and where it goes.
#[derive(Clone, PartialEq)]
pub enum Rated {
    LiveChat {
        api: String,
        thread_id: String,
    },
    Booking {
        api: String,
        site: String,
        code: String,
    },
}

#[derive(Properties, PartialEq)]
pub struct RatingProps {
    pub rated: Rated,
    pub texts: Texts,
    /// Called once the rating is taken.
    #[prop_or_default]
    pub on_given: Callback<()>,
}

/// A 1-5 rating (radio buttons, keyboard as any radio group) with an
/// optional comment.
#[function_component(RatingForm)]
pub fn rating_form(props: &RatingProps) -> Html {
    let rating = use_state(|| None::<u8>);
    let comment = use_state(String::new);
    let missing = use_state(|| false);
    let failed = use_state(|| false);
    let done = use_state(|| false);
    let texts = &props.texts;
    let (question, id) = match &props.rated {
        Rated::LiveChat { .. } => (AppKey::rating_live_chat, "varco-rate-live"),
        Rated::Booking { .. } => (AppKey::rating_booking, "varco-rate-booking"),
    };
    if *done {
        return html! {
            <p class="feedback done" role="status">{ texts.get(AppKey::feedback_thanks) }</p>
        };
    }
    let onsubmit = {
        let (rating, comment, missing, failed, done) = (
            rating.clone(),
            comment.clone(),
            missing.clone(),
            failed.clone(),
            done.clone(),
        );
        let (rated, on_given) = (props.rated.clone(), props.on_given.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(value) = *rating else {
                missing.set(true);
                return;
            };
            let text = comment.trim();
            let text = (!text.is_empty()).then(|| text.to_owned());
            let (url, body) = match &rated {
                Rated::LiveChat { api, thread_id } => (
                    thread_url(api, thread_id),
                    varco_protocol::json::to_string(&ThreadFeedback::LiveChat {
                        rating: value,
                        comment: text,
                    }),
                ),
                Rated::Booking { api, site, code } => (
                    format!("{api}/v1/appointments/feedback"),
                    varco_protocol::json::to_string(&BookingFeedback {
                        site: site.clone(),
                        code: code.clone(),
                        rating: value,
                        comment: text,
                    }),
                ),
            };
            let (failed, done, on_given) = (failed.clone(), done.clone(), on_given.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let ok = send(&url, &body).await;
                failed.set(!ok);
                if ok {
                    done.set(true);
                    on_given.emit(());
                }
            });
        })
    };
    let on_comment = {
        let comment = comment.clone();
        Callback::from(move |e: InputEvent| {
            comment.set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        })
    };
    html! {
        <form class="feedback rating" {onsubmit} novalidate=true>
            <fieldset aria-describedby={format!("{id}-scale")}
                aria-invalid={missing.then_some("true")}>
                <legend>{ texts.get(question) }</legend>
                <p class="muted" id={format!("{id}-scale")}>{ texts.get(AppKey::rating_scale) }</p>
                <div class="stars">
                    { for (1..=5u8).map(|n| {
                        let (rating, missing) = (rating.clone(), missing.clone());
                        let input_id = format!("{id}-{n}");
                        html! {
                            <span class="star">
                                <input type="radio" id={input_id.clone()} name={id} value={n.to_string()}
                                    checked={*rating == Some(n)}
                                    onchange={Callback::from(move |e: Event| {
                                        if e.target_unchecked_into::<HtmlInputElement>().checked() {
                                            rating.set(Some(n));
                                            missing.set(false);
                                        }
                                    })} />
                                <label for={input_id}>{ n }</label>
                            </span>
                        }
                    }) }
                </div>
            </fieldset>
            if *missing { <p class="error" role="alert">{ texts.get(AppKey::rating_missing) }</p> }
            <label for={format!("{id}-comment")}>{ texts.get(AppKey::feedback_comment) }</label>
            <textarea id={format!("{id}-comment")} rows="2" maxlength="500"
                value={(*comment).clone()} oninput={on_comment} />
            if *failed { <p class="error" role="alert">{ texts.get(AppKey::feedback_failed) }</p> }
            <button type="submit" class="btn btn-outline">{ texts.get(AppKey::feedback_send) }</button>
        </form>
    }
}
