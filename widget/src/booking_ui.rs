//! Booking an appointment at the desks, inside the assistant's panel: the
//! service and the office, a day and a free time, the visitor's details
//! (checked as they are typed with the same rules the server applies, from
//! `varco_core::booking`), a summary to confirm, then the code and an
//! `.ics` file. Also cancelling a booking with its code and e-mail.
//!
//! The details go to `POST /api/v1/appointments` and nowhere else: never
//! into the conversation, the navigation data or storage.
//!
//! The flow opens with the service and the office of a booking request
//! already chosen (`prefill`). Escape goes back one step (from the first,
//! closes the flow) and never reaches the panel, which would close the
//! whole assistant; going back puts focus on the control that had opened
//! the step left. The step's content scrolls; its actions stay in view.

use crate::browser;
use crate::feedback_ui::{Rated, RatingForm};
use std::rc::Rc;
use varco_core::booking::{parse_hhmm, Date, Field};
use varco_core::dates::{format_datetime, format_hhmm_text, format_iso_day, time_range, DateStyle};
use varco_core::texts::{AppKey, Key, Texts};
use varco_protocol::booking::{
    Availability, BookingConfirmation, BookingOptions, CancelBooking, FieldError, FieldErrors,
    NewBooking, Person,
};
use varco_protocol::chat::BookingChoice;
use varco_protocol::json;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct BookingProps {
    pub api: String,
    pub site: String,
    pub texts: Texts,
    /// The SOL notice (`assistant.booking_privacy_url`).
    pub privacy_url: Option<String>,
    /// Open on the cancellation form.
    pub cancel: bool,
    /// What a booking request already chose.
    #[prop_or_default]
    pub prefill: Option<BookingChoice>,
    pub on_close: Callback<()>,
}

/// Where focus goes when a step is shown.
#[derive(Clone, Copy, PartialEq)]
enum Focus {
    /// The step's heading (a step reached going forward).
    Heading,
    /// The step's forward button (back from the step it had opened).
    Next,
    /// «Annulla una prenotazione» (back from the cancellation form).
    CancelLink,
}

/// What Escape (or «Indietro») does on a step.
enum Back {
    To(Step, Focus),
    Close,
    /// Nothing while a booking is being sent.
    Stay,
}

#[derive(Clone, PartialEq)]
enum Step {
    Choose,
    Slot,
    Details,
    Confirm,
    Done(Rc<BookingConfirmation>),
    Cancel,
    Cancelled,
}

impl Step {
    /// "Passo n di 4" for the four steps before the confirmation.
    fn number(&self) -> Option<u8> {
        match self {
            Step::Choose => Some(1),
            Step::Slot => Some(2),
            Step::Details => Some(3),
            Step::Confirm => Some(4),
            _ => None,
        }
    }
}

#[derive(Clone, PartialEq)]
struct State {
    step: Step,
    options: Option<Rc<BookingOptions>>,
    availability: Option<Rc<Availability>>,
    loading: bool,
    service: String,
    office: String,
    date: String,
    start: String,
    person: Person,
    privacy: bool,
    /// Problems to show next to their field (`field` is a [`Field`] name,
    /// `privacy_acknowledged` or `start`).
    errors: Vec<FieldError>,
    /// One message for the whole step (service down, slot taken, ...).
    notice: Option<String>,
    /// Idempotency key of this booking: a retry after a lost answer gets
    /// the same booking back.
    request_id: String,
    sending: bool,
    cancel_code: String,
    cancel_email: String,
    /// The service or office came from the visitor's request.
    prefilled: bool,
    focus: Focus,
}

impl State {
    fn back(&self, opened_on_cancel: bool) -> Back {
        match self.step {
            Step::Choose | Step::Done(_) | Step::Cancelled => Back::Close,
            Step::Slot => Back::To(Step::Choose, Focus::Next),
            Step::Details => Back::To(Step::Slot, Focus::Next),
            Step::Confirm if self.sending => Back::Stay,
            Step::Confirm => Back::To(Step::Details, Focus::Next),
            Step::Cancel if opened_on_cancel => Back::Close,
            Step::Cancel => Back::To(Step::Choose, Focus::CancelLink),
        }
    }
}

enum Action {
    Options(Option<BookingOptions>),
    Service(String),
    Office(String),
    Loading,
    Slots(Option<Availability>),
    Date(String),
    Start(String),
    Typed(Field, String),
    Privacy(bool),
    Errors(Vec<FieldError>),
    Go(Step),
    Back(Step, Focus),
    Notice(Option<String>),
    Sending(bool),
    CancelCode(String),
    CancelEmail(String),
}

impl Reducible for State {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Options(options) => {
                s.loading = false;
                s.options = options.map(Rc::new);
                // A choice the site does not offer (any more) is no choice.
                if let Some(o) = &s.options {
                    if !o.services.iter().any(|x| x.id == s.service) {
                        s.service.clear();
                    }
                    let service = &s.service;
                    if !o.offices.iter().any(|x| {
                        x.id == s.office && (service.is_empty() || x.services.contains(service))
                    }) {
                        s.office.clear();
                    }
                }
                s.prefilled &= !(s.service.is_empty() && s.office.is_empty());
            }
            Action::Service(id) => {
                s.notice = None;
                s.service = id;
                // An office that does not offer the new service is no choice.
                let offers = s.options.as_ref().is_some_and(|o| {
                    o.offices
                        .iter()
                        .any(|x| x.id == s.office && x.services.contains(&s.service))
                });
                if !offers {
                    s.office.clear();
                }
            }
            Action::Office(id) => {
                s.notice = None;
                s.office = id;
            }
            Action::Loading => {
                s.loading = true;
                s.notice = None;
            }
            Action::Slots(availability) => {
                s.loading = false;
                s.availability = availability.map(Rc::new);
                let first = s
                    .availability
                    .as_ref()
                    .and_then(|a| a.days.iter().find(|d| d.slots.iter().any(|x| x.free > 0)));
                if !s
                    .availability
                    .as_ref()
                    .is_some_and(|a| a.days.iter().any(|d| d.date == s.date))
                {
                    s.date = first.map(|d| d.date.clone()).unwrap_or_default();
                    s.start.clear();
                }
            }
            Action::Date(d) => {
                s.date = d;
                s.start.clear();
            }
            Action::Start(t) => {
                s.notice = None;
                s.start = t;
                s.errors.retain(|e| e.field != "start");
            }
            Action::Typed(field, value) => {
                match field {
                    Field::Nome => s.person.nome = value,
                    Field::Cognome => s.person.cognome = value,
                    Field::CodiceFiscale => s.person.codice_fiscale = value,
                    Field::Telefono => s.person.telefono = value,
                    Field::Email => s.person.email = value,
                }
                // As the visitor types, a problem shown goes once fixed.
                let now = field.check(raw(&s.person, field));
                if now.is_ok() {
                    s.errors.retain(|e| e.field != field.name());
                }
            }
            Action::Privacy(v) => {
                s.privacy = v;
                if v {
                    s.errors.retain(|e| e.field != "privacy_acknowledged");
                }
            }
            Action::Errors(errors) => s.errors = errors,
            Action::Go(step) => {
                s.step = step;
                s.sending = false;
                s.focus = Focus::Heading;
            }
            Action::Back(step, focus) => {
                s.step = step;
                s.notice = None;
                s.focus = focus;
            }
            Action::Notice(n) => {
                s.notice = n;
                s.sending = false;
                s.loading = false;
            }
            Action::Sending(v) => s.sending = v,
            Action::CancelCode(v) => s.cancel_code = v,
            Action::CancelEmail(v) => s.cancel_email = v,
        }
        Rc::new(s)
    }
}

fn raw(person: &Person, field: Field) -> &str {
    match field {
        Field::Nome => &person.nome,
        Field::Cognome => &person.cognome,
        Field::CodiceFiscale => &person.codice_fiscale,
        Field::Telefono => &person.telefono,
        Field::Email => &person.email,
    }
}

fn label_key(field: Field) -> AppKey {
    match field {
        Field::Nome => AppKey::booking_nome,
        Field::Cognome => AppKey::booking_cognome,
        Field::CodiceFiscale => AppKey::booking_codice_fiscale,
        Field::Telefono => AppKey::booking_telefono,
        Field::Email => AppKey::booking_email,
    }
}

fn autocomplete(field: Field) -> &'static str {
    match field {
        Field::Nome => "given-name",
        Field::Cognome => "family-name",
        Field::CodiceFiscale => "off",
        Field::Telefono => "tel",
        Field::Email => "email",
    }
}

/// Problems of the typed details, as the server would report them.
fn local_errors(person: &Person, privacy: bool, texts: &Texts) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = Field::ALL
        .iter()
        .filter_map(|f| {
            f.check(raw(person, *f)).err().map(|p| FieldError {
                field: f.name().to_owned(),
                code: p.code().to_owned(),
                message: p.message(*f, texts.lang()).to_owned(),
            })
        })
        .collect();
    if !privacy {
        errors.push(FieldError {
            field: "privacy_acknowledged".into(),
            code: "missing".into(),
            message: texts.get(AppKey::booking_privacy_missing).to_owned(),
        });
    }
    errors
}

fn error_for<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a FieldError> {
    errors.iter().find(|e| e.field == field)
}

/// «venerdì 4 dicembre 2026»: a `YYYY-MM-DD` day of the API.
fn long_date(date: &str, texts: &Texts) -> String {
    format_iso_day(texts.lang(), date, DateStyle::Weekday)
}

/// «venerdì 4 dicembre 2026 alle 09:30».
fn date_and_time(date: &str, start: &str, texts: &Texts) -> String {
    match (Date::parse(date), parse_hhmm(&format_hhmm_text(start))) {
        (Some(d), Some(minute)) => format_datetime(texts.lang(), d, minute),
        _ => format!("{}, {}", long_date(date, texts), format_hhmm_text(start)),
    }
}

/// «venerdì 4 dicembre 2026, dalle 09:30 alle 09:50».
fn date_and_times(date: &str, start: &str, end: &str, texts: &Texts) -> String {
    let times = match (
        parse_hhmm(&format_hhmm_text(start)),
        parse_hhmm(&format_hhmm_text(end)).or((end == "24:00").then_some(24 * 60)),
    ) {
        (Some(a), Some(b)) => time_range(texts.lang(), a, b),
        _ => format!("{start}–{end}"),
    };
    format!("{}, {times}", long_date(date, texts))
}

/// After the flow closes, focus goes back to the button that opened it (the
/// newest «Prenota un appuntamento» of the panel), or to the text box.
pub fn focus_opener() {
    browser::after(0, || {
        let Some(shadow) = varco_first_paint::mount::existing_shadow(&browser::document()) else {
            return;
        };
        let target = shadow
            .query_selector_all(".booking-start")
            .ok()
            .and_then(|all| all.item(all.length().checked_sub(1)?))
            .or_else(|| {
                shadow
                    .query_selector("#varco-chat-input")
                    .ok()
                    .flatten()
                    .map(Into::into)
            })
            .and_then(|n| wasm_bindgen::JsCast::dyn_into::<HtmlElement>(n).ok());
        if let Some(el) = target {
            let _ = el.focus();
        }
    });
}

fn select_value(e: &Event) -> String {
    e.target_unchecked_into::<HtmlSelectElement>().value()
}

fn input_value(e: &InputEvent) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

#[function_component(BookingFlow)]
pub fn booking_flow(props: &BookingProps) -> Html {
    let prefill = props.prefill.clone().unwrap_or_default();
    let state = use_reducer(|| State {
        step: if props.cancel {
            Step::Cancel
        } else {
            Step::Choose
        },
        options: None,
        availability: None,
        loading: !props.cancel,
        prefilled: !props.cancel && (prefill.service.is_some() || prefill.office.is_some()),
        service: prefill.service.unwrap_or_default(),
        office: prefill.office.unwrap_or_default(),
        focus: Focus::Heading,
        date: String::new(),
        start: String::new(),
        person: Person::default(),
        privacy: false,
        errors: Vec::new(),
        notice: None,
        request_id: browser::uuid_v4(),
        sending: false,
        cancel_code: String::new(),
        cancel_email: String::new(),
    });
    let heading = use_node_ref();
    let root = use_node_ref();
    let texts = &props.texts;

    // The services and offices, once.
    {
        let (state, api, site, lang) = (
            state.dispatcher(),
            props.api.clone(),
            props.site.clone(),
            texts.lang().code(),
        );
        let cancel = props.cancel;
        use_effect_with((), move |_| {
            if !cancel {
                load_options(state, api, site, lang);
            }
        });
    }
    // A step reached going forward starts with its heading focused, so
    // that a screen reader reads where the visitor is; going back, focus
    // returns to the control that had opened the step left.
    {
        let (heading, root) = (heading.clone(), root.clone());
        let step = std::mem::discriminant(&state.step);
        let focus = state.focus;
        use_effect_with(step, move |_| {
            let selector = match focus {
                Focus::Heading => None,
                Focus::Next => Some(".booking-nav .btn-primary"),
                Focus::CancelLink => Some(".booking-nav .link-button"),
            };
            let target = selector
                .and_then(|sel| root.cast::<Element>()?.query_selector(sel).ok().flatten())
                .and_then(|e| wasm_bindgen::JsCast::dyn_into::<HtmlElement>(e).ok())
                .or_else(|| heading.cast::<HtmlElement>());
            if let Some(el) = target {
                let _ = el.focus();
            }
        });
    }
    // After a failed "Avanti", the first field with a problem gets focus.
    let focus_first_error = {
        let root = root.clone();
        move || crate::forms::focus_first_invalid(&root)
    };

    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    let go = |step: Step| {
        let state = state.dispatcher();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::Go(step.clone())))
    };
    // «Indietro» and Escape: one step back, or out of the flow.
    let back = {
        let (state, on_close, opened_on_cancel) =
            (state.clone(), props.on_close.clone(), props.cancel);
        move || match state.back(opened_on_cancel) {
            Back::To(step, focus) => state.dispatch(Action::Back(step, focus)),
            Back::Close => on_close.emit(()),
            Back::Stay => {}
        }
    };
    let back_button = {
        let back = back.clone();
        Callback::from(move |_: MouseEvent| back())
    };
    // Escape is the flow's: it must not reach the panel, whose own Escape
    // closes the whole assistant.
    let onkeydown = {
        let back = back.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" && !e.default_prevented() {
                e.prevent_default();
                e.stop_propagation();
                back();
            }
        })
    };
    // A forward button that cannot be used yet stays focusable and says
    // why when pressed (`aria-disabled`), instead of doing nothing.
    let hint = |key: AppKey| {
        let (state, text) = (state.dispatcher(), texts.get(key).to_owned());
        move || state.dispatch(Action::Notice(Some(text.clone())))
    };

    let title = if matches!(state.step, Step::Cancel | Step::Cancelled) {
        texts.get(AppKey::booking_cancel_title)
    } else {
        texts.get(AppKey::booking_title)
    };
    let step_label = state.step.number().map(|n| {
        texts
            .get(AppKey::booking_step)
            .replace("{n}", &n.to_string())
    });
    let notice = state
        .notice
        .clone()
        .map(|n| html! { <p class="booking-notice" role="alert">{ n }</p> });

    let body = match &state.step {
        Step::Choose => choose_step(&state, texts),
        Step::Slot => slot_step(&state, texts),
        Step::Details => details_step(&state, texts, props.privacy_url.as_deref()),
        Step::Confirm => confirm_step(&state, texts),
        Step::Done(c) => html! { <>
            { done_step(c, texts, &root) }
            <RatingForm texts={texts.clone()} rated={Rated::Booking {
                api: props.api.clone(), site: props.site.clone(), code: c.code.clone() }} />
        </> },
        Step::Cancel => {
            let submit = {
                let (state, api, site, texts) = (
                    state.clone(),
                    props.api.clone(),
                    props.site.clone(),
                    texts.clone(),
                );
                Callback::from(move |e: SubmitEvent| {
                    e.prevent_default();
                    let ready = !state.sending
                        && !state.cancel_code.trim().is_empty()
                        && !state.cancel_email.trim().is_empty();
                    if ready {
                        cancel(&state, api.clone(), site.clone(), texts.clone())
                    }
                })
            };
            // Enter in a field submits; the button is in the actions below.
            html! {
                <form id="varco-bk-cancel-form" onsubmit={submit}>
                    { cancel_step(&state, texts) }
                </form>
            }
        }
        Step::Cancelled => html! { <p role="status">{ texts.get(AppKey::booking_cancelled) }</p> },
    };

    // The step's own buttons: back and forward.
    let nav = match &state.step {
        Step::Choose => {
            let ready = !state.service.is_empty() && !state.office.is_empty();
            let next = {
                let (state_h, api, site) = (state.clone(), props.api.clone(), props.site.clone());
                let hint = hint(AppKey::booking_pick_choice);
                Callback::from(move |_: MouseEvent| {
                    if state_h.loading {
                        return;
                    }
                    if state_h.service.is_empty() || state_h.office.is_empty() {
                        hint();
                        return;
                    }
                    load_slots(&state_h, api.clone(), site.clone(), Step::Slot)
                })
            };
            html! {
                <div class="booking-nav">
                    <button type="button" class="btn btn-primary" aria-disabled={(!ready || state.loading).then_some("true")} onclick={next}>{ texts.get(AppKey::booking_next) }</button>
                    <button type="button" class="link-button" onclick={go(Step::Cancel)}>{ texts.get(AppKey::booking_cancel_start) }</button>
                </div>
            }
        }
        Step::Slot => {
            let next = {
                let state = state.clone();
                let hint = hint(AppKey::booking_pick_slot);
                Callback::from(move |_: MouseEvent| {
                    if state.start.is_empty() {
                        hint();
                    } else {
                        state.dispatch(Action::Go(Step::Details));
                    }
                })
            };
            html! {
                <div class="booking-nav">
                    <button type="button" class="btn btn-outline" onclick={back_button.clone()}>{ texts.get(AppKey::booking_back) }</button>
                    <button type="button" class="btn btn-primary" aria-disabled={state.start.is_empty().then_some("true")} onclick={next}>{ texts.get(AppKey::booking_next) }</button>
                </div>
            }
        }
        Step::Details => {
            let next = {
                let state = state.clone();
                let texts = texts.clone();
                let focus_first_error = focus_first_error.clone();
                Callback::from(move |_: MouseEvent| {
                    let errors = local_errors(&state.person, state.privacy, &texts);
                    if errors.is_empty() {
                        state.dispatch(Action::Errors(Vec::new()));
                        state.dispatch(Action::Go(Step::Confirm));
                    } else {
                        state.dispatch(Action::Errors(errors));
                        focus_first_error();
                    }
                })
            };
            html! {
                <div class="booking-nav">
                    <button type="button" class="btn btn-outline" onclick={back_button.clone()}>{ texts.get(AppKey::booking_back) }</button>
                    <button type="button" class="btn btn-primary" onclick={next}>{ texts.get(AppKey::booking_next) }</button>
                </div>
            }
        }
        Step::Confirm => {
            let confirm = {
                let (state, api, site, texts) = (
                    state.clone(),
                    props.api.clone(),
                    props.site.clone(),
                    texts.clone(),
                );
                let focus_first_error = focus_first_error.clone();
                Callback::from(move |_: MouseEvent| {
                    if state.sending {
                        return;
                    }
                    submit(
                        &state,
                        api.clone(),
                        site.clone(),
                        texts.clone(),
                        focus_first_error.clone(),
                    )
                })
            };
            let busy = state.sending.then_some("true");
            html! {
                <div class="booking-nav">
                    <button type="button" class="btn btn-outline" aria-disabled={busy} onclick={back_button.clone()}>{ texts.get(AppKey::booking_back) }</button>
                    <button type="button" class="btn btn-primary" aria-disabled={busy} onclick={confirm}>
                        { if state.sending { texts.get(AppKey::booking_sending) } else { texts.get(AppKey::booking_confirm) } }
                    </button>
                </div>
            }
        }
        Step::Cancel => {
            let ready = !state.sending
                && !state.cancel_code.trim().is_empty()
                && !state.cancel_email.trim().is_empty();
            html! {
                <div class="booking-nav">
                    if !props.cancel {
                        <button type="button" class="btn btn-outline" onclick={back_button.clone()}>{ texts.get(AppKey::booking_back) }</button>
                    }
                    <button type="submit" form="varco-bk-cancel-form" class="btn btn-primary" aria-disabled={(!ready).then_some("true")}>{ texts.get(AppKey::booking_cancel_submit) }</button>
                </div>
            }
        }
        Step::Done(_) | Step::Cancelled => html! {
            <div class="booking-nav">
                <button type="button" class="btn btn-primary" onclick={close.clone()}>{ texts.get(AppKey::privacy_close) }</button>
            </div>
        },
    };

    let prefilled = (state.prefilled && state.step == Step::Choose && state.options.is_some())
        .then(
            || html! { <p class="booking-prefilled">{ texts.get(AppKey::booking_prefilled) }</p> },
        );
    html! {
        <section class="booking" ref={root} aria-labelledby="varco-booking-title" {onkeydown}>
            <div class="booking-head">
                <h3 id="varco-booking-title" tabindex="-1" ref={heading}>{ title }</h3>
                <button type="button" class="icon-button" aria-label={texts.get(AppKey::booking_close).to_owned()} title={texts.get(AppKey::booking_close).to_owned()} onclick={close}>
                    <svg aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="20" height="20"><path fill="currentColor" d="M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z"/></svg>
                </button>
            </div>
            // A step of text alone (the summary, a cancellation's outcome)
            // may scroll on a small or zoomed screen: it takes focus so that
            // the keyboard can scroll it too.
            <div class="booking-step" tabindex={matches!(state.step, Step::Confirm | Step::Cancelled).then_some("0")}>
                if let Some(label) = step_label { <p class="muted">{ label }</p> }
                { prefilled.unwrap_or_default() }
                { notice.unwrap_or_default() }
                { body }
            </div>
            { nav }
        </section>
    }
}

fn load_options(state: UseReducerDispatcher<State>, api: String, site: String, lang: &'static str) {
    wasm_bindgen_futures::spawn_local(async move {
        let url = format!(
            "{api}/v1/appointments/options?site={}&lang={lang}",
            browser::encode_uri_component(&site)
        );
        let options = crate::chat::fetch_json::<BookingOptions>(&url).await;
        state.dispatch(Action::Options(options));
    });
}

/// Fetches the free places of the chosen office and service, then shows
/// `then`.
fn load_slots(state: &UseReducerHandle<State>, api: String, site: String, then: Step) {
    let dispatcher = state.dispatcher();
    let url = format!(
        "{api}/v1/appointments/slots?site={}&office={}&service={}",
        browser::encode_uri_component(&site),
        browser::encode_uri_component(&state.office),
        browser::encode_uri_component(&state.service)
    );
    dispatcher.dispatch(Action::Loading);
    wasm_bindgen_futures::spawn_local(async move {
        let availability = crate::chat::fetch_json::<Availability>(&url).await;
        let ok = availability.is_some();
        dispatcher.dispatch(Action::Slots(availability));
        if ok {
            dispatcher.dispatch(Action::Go(then));
        }
    });
}

fn submit(
    state: &UseReducerHandle<State>,
    api: String,
    site: String,
    texts: Texts,
    focus_first_error: impl Fn() + 'static,
) {
    let booking = NewBooking {
        site: site.clone(),
        request_id: state.request_id.clone(),
        service: state.service.clone(),
        office: state.office.clone(),
        date: state.date.clone(),
        start: state.start.clone(),
        person: state.person.clone(),
        privacy_acknowledged: state.privacy,
        language: Some(texts.lang().code().to_owned()),
    };
    let body = json::to_string(&booking);
    let handle = state.clone();
    let state = state.dispatcher();
    state.dispatch(Action::Sending(true));
    wasm_bindgen_futures::spawn_local(async move {
        let answer =
            browser::request_json("POST", &format!("{api}/v1/appointments"), Some(&body)).await;
        match answer {
            Ok((200 | 201, text)) => match json::from_str::<BookingConfirmation>(&text) {
                Some(c) => state.dispatch(Action::Go(Step::Done(Rc::new(c)))),
                None => state.dispatch(Action::Notice(Some(
                    texts.get(AppKey::booking_unavailable).to_owned(),
                ))),
            },
            Ok((409, text)) => {
                // Taken meanwhile: back to the times, freshly counted.
                let message = json::from_str::<varco_protocol::ApiError>(&text)
                    .map(|e| e.message)
                    .unwrap_or_default();
                load_slots(&handle, api, site, Step::Slot);
                state.dispatch(Action::Notice(Some(message)));
            }
            Ok((422, text)) => {
                let errors = json::from_str::<FieldErrors>(&text)
                    .map(|e| e.fields)
                    .unwrap_or_default();
                let step = if errors.iter().any(|e| e.field == "start") {
                    Step::Slot
                } else {
                    Step::Details
                };
                state.dispatch(Action::Go(step));
                state.dispatch(Action::Errors(errors));
                state.dispatch(Action::Notice(Some(
                    texts.get(AppKey::booking_errors).to_owned(),
                )));
                focus_first_error();
            }
            _ => state.dispatch(Action::Notice(Some(
                texts.get(AppKey::booking_unavailable).to_owned(),
            ))),
        }
    });
}

fn cancel(state: &UseReducerHandle<State>, api: String, site: String, texts: Texts) {
    let body = json::to_string(&CancelBooking {
        site,
        email: state.cancel_email.trim().to_owned(),
    });
    let url = format!(
        "{api}/v1/appointments/{}/cancel",
        browser::encode_uri_component(state.cancel_code.trim())
    );
    let state = state.dispatcher();
    state.dispatch(Action::Sending(true));
    wasm_bindgen_futures::spawn_local(async move {
        match browser::request_json("POST", &url, Some(&body)).await {
            Ok((200, _)) => state.dispatch(Action::Go(Step::Cancelled)),
            Ok((404 | 400 | 422, _)) => state.dispatch(Action::Notice(Some(
                texts.get(AppKey::booking_cancel_not_found).to_owned(),
            ))),
            _ => state.dispatch(Action::Notice(Some(
                texts.get(AppKey::booking_unavailable).to_owned(),
            ))),
        }
    });
}

fn choose_step(state: &UseReducerHandle<State>, texts: &Texts) -> Html {
    let Some(options) = state.options.clone() else {
        return if state.loading {
            html! { <p role="status">{ texts.get(AppKey::booking_loading) }</p> }
        } else {
            html! { <p role="alert">{ texts.get(AppKey::booking_unavailable) }</p> }
        };
    };
    let on_service = {
        let state = state.dispatcher();
        Callback::from(move |e: Event| state.dispatch(Action::Service(select_value(&e))))
    };
    let on_office = {
        let state = state.dispatcher();
        Callback::from(move |e: Event| state.dispatch(Action::Office(select_value(&e))))
    };
    let offices = options
        .offices
        .iter()
        .filter(|o| state.service.is_empty() || o.services.contains(&state.service));
    html! {
        <div class="booking-fields">
            <label for="varco-bk-service">{ texts.get(AppKey::booking_service) }</label>
            <select id="varco-bk-service" onchange={on_service}>
                <option value="" selected={state.service.is_empty()}>{ texts.get(AppKey::booking_choose) }</option>
                { for options.services.iter().map(|s| html! {
                    <option value={s.id.clone()} selected={s.id == state.service}>{ &s.title }</option>
                }) }
            </select>
            <label for="varco-bk-office">{ texts.get(AppKey::booking_office) }</label>
            <select id="varco-bk-office" onchange={on_office} disabled={state.service.is_empty() && state.office.is_empty()}>
                <option value="" selected={state.office.is_empty()}>{ texts.get(AppKey::booking_choose) }</option>
                { for offices.map(|o| html! {
                    <option value={o.id.clone()} selected={o.id == state.office}>{ format!("{} – {}", o.name, o.address) }</option>
                }) }
            </select>
            if state.loading { <p role="status">{ texts.get(AppKey::booking_loading) }</p> }
        </div>
    }
}

fn slot_step(state: &UseReducerHandle<State>, texts: &Texts) -> Html {
    let Some(availability) = state.availability.clone() else {
        return html! { <p role="alert">{ texts.get(AppKey::booking_unavailable) }</p> };
    };
    if !availability
        .days
        .iter()
        .any(|d| d.slots.iter().any(|s| s.free > 0))
    {
        return html! { <p role="status">{ texts.get(AppKey::booking_no_slots) }</p> };
    }
    let on_date = {
        let state = state.dispatcher();
        Callback::from(move |e: Event| state.dispatch(Action::Date(select_value(&e))))
    };
    let day = availability.days.iter().find(|d| d.date == state.date);
    let full = texts.get(AppKey::booking_full);
    let slots = day.into_iter().flat_map(|d| d.slots.iter()).map(|slot| {
        let id = format!("varco-bk-t{}", slot.start.replace(':', ""));
        let onchange = {
            let state = state.dispatcher();
            let start = slot.start.clone();
            Callback::from(move |_: Event| state.dispatch(Action::Start(start.clone())))
        };
        html! {
            <li>
                <input type="radio" name="varco-bk-time" id={id.clone()} value={slot.start.clone()}
                    checked={slot.start == state.start} disabled={slot.free == 0} {onchange} />
                <label for={id}>{ format!("{}–{}", format_hhmm_text(&slot.start), format_hhmm_text(&slot.end)) }
                    if slot.free == 0 { <span class="muted">{ format!(" ({full})") }</span> }
                </label>
            </li>
        }
    });
    html! {
        <div class="booking-fields">
            <label for="varco-bk-day">{ texts.get(AppKey::booking_day) }</label>
            <select id="varco-bk-day" onchange={on_date}>
                { for availability.days.iter().filter(|d| d.slots.iter().any(|s| s.free > 0)).map(|d| html! {
                    <option value={d.date.clone()} selected={d.date == state.date}>{ long_date(&d.date, texts) }</option>
                }) }
            </select>
            <fieldset>
                <legend>{ texts.get(AppKey::booking_time) }</legend>
                <ul class="booking-times">{ for slots }</ul>
            </fieldset>
            if let Some(e) = error_for(&state.errors, "start") { <p class="field-error" role="alert">{ &e.message }</p> }
        </div>
    }
}

fn details_step(state: &UseReducerHandle<State>, texts: &Texts, privacy_url: Option<&str>) -> Html {
    let fields = Field::ALL.iter().map(|&field| {
        let name = field.name();
        let id = format!("varco-bk-{name}");
        let error_id = format!("{id}-error");
        let error = error_for(&state.errors, name);
        let oninput = {
            let state = state.dispatcher();
            Callback::from(move |e: InputEvent| state.dispatch(Action::Typed(field, input_value(&e))))
        };
        // Leaving a field checks it, so that problems show as the visitor goes.
        let onblur = {
            let state = state.clone();
            let texts = texts.clone();
            Callback::from(move |_: FocusEvent| {
                let value = raw(&state.person, field);
                if value.trim().is_empty() {
                    return;
                }
                if let Err(p) = field.check(value) {
                    let mut errors = state.errors.clone();
                    errors.retain(|e| e.field != field.name());
                    errors.push(FieldError {
                        field: field.name().to_owned(),
                        code: p.code().to_owned(),
                        message: p.message(field, texts.lang()).to_owned(),
                    });
                    state.dispatch(Action::Errors(errors));
                }
            })
        };
        // What the on-screen keyboard offers and what the browser may fill
        // in or correct: names capitalised, codes in capitals, addresses
        // and numbers as typed, nothing spell-checked.
        let (input_type, inputmode, autocapitalize) = match field {
            Field::Email => ("email", "email", "none"),
            Field::Telefono => ("tel", "tel", "none"),
            Field::CodiceFiscale => ("text", "text", "characters"),
            Field::Nome | Field::Cognome => ("text", "text", "words"),
        };
        html! {
            <div class="booking-field">
                <label for={id.clone()}>{ texts.get(label_key(field)) }</label>
                <input id={id} type={input_type} autocomplete={autocomplete(field)} required=true
                    {inputmode} {autocapitalize} spellcheck="false" autocorrect="off"
                    value={raw(&state.person, field).to_owned()}
                    aria-invalid={if error.is_some() { "true" } else { "false" }}
                    aria-describedby={error.map(|_| error_id.clone())}
                    {oninput} {onblur} />
                if let Some(e) = error { <p class="field-error" id={error_id} role="alert">{ &e.message }</p> }
            </div>
        }
    });
    let on_privacy = {
        let state = state.dispatcher();
        Callback::from(move |e: Event| {
            state.dispatch(Action::Privacy(
                e.target_unchecked_into::<HtmlInputElement>().checked(),
            ))
        })
    };
    let privacy_error = error_for(&state.errors, "privacy_acknowledged");
    html! {
        <div class="booking-fields">
            { for fields }
            <div class="booking-check">
                <input type="checkbox" id="varco-bk-privacy" checked={state.privacy} onchange={on_privacy}
                    aria-invalid={if privacy_error.is_some() { "true" } else { "false" }}
                    aria-describedby={privacy_error.map(|_| "varco-bk-privacy-error")} />
                <label for="varco-bk-privacy">{ texts.get(AppKey::booking_privacy) }</label>
            </div>
            if let Some(url) = privacy_url.and_then(varco_core::markdown::safe_href) {
                <p><a href={url} target="_blank" rel="noopener noreferrer">{ texts.get(AppKey::booking_privacy_link) }<span class="sr-only">{" "}{ texts.get(Key::new_tab) }</span></a></p>
            }
            if let Some(e) = privacy_error { <p class="field-error" id="varco-bk-privacy-error" role="alert">{ &e.message }</p> }
        </div>
    }
}

fn summary_rows(state: &State, texts: &Texts) -> Html {
    let options = state.options.as_deref();
    let service = options
        .and_then(|o| o.services.iter().find(|s| s.id == state.service))
        .map_or(state.service.clone(), |s| s.title.clone());
    let office = options
        .and_then(|o| o.offices.iter().find(|x| x.id == state.office))
        .map_or(state.office.clone(), |o| {
            format!("{} – {}", o.name, o.address)
        });
    let p = &state.person;
    html! {
        <dl class="booking-summary">
            <dt>{ texts.get(AppKey::booking_service) }</dt><dd>{ service }</dd>
            <dt>{ texts.get(AppKey::booking_where) }</dt><dd>{ office }</dd>
            <dt>{ texts.get(AppKey::booking_when) }</dt><dd>{ date_and_time(&state.date, &state.start, texts) }</dd>
            <dt>{ texts.get(AppKey::booking_nome) }</dt><dd>{ format!("{} {}", p.nome.trim(), p.cognome.trim()) }</dd>
            <dt>{ texts.get(AppKey::booking_codice_fiscale) }</dt><dd>{ p.codice_fiscale.trim().to_ascii_uppercase() }</dd>
            <dt>{ texts.get(AppKey::booking_telefono) }</dt><dd>{ p.telefono.trim() }</dd>
            <dt>{ texts.get(AppKey::booking_email) }</dt><dd>{ p.email.trim() }</dd>
        </dl>
    }
}

fn confirm_step(state: &UseReducerHandle<State>, texts: &Texts) -> Html {
    html! {
        <div>
            <p>{ texts.get(AppKey::booking_summary) }</p>
            { summary_rows(state, texts) }
        </div>
    }
}

fn done_step(c: &Rc<BookingConfirmation>, texts: &Texts, root: &NodeRef) -> Html {
    let download = {
        let (c, root) = (c.clone(), root.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(r) = root.cast::<Element>() {
                browser::download(
                    &r,
                    &c.ics,
                    "text/calendar",
                    &format!("appuntamento-{}.ics", c.code),
                );
            }
        })
    };
    html! {
        <div role="status">
            <p><strong>{ texts.get(AppKey::booking_done) }</strong></p>
            <dl class="booking-summary">
                <dt>{ texts.get(AppKey::booking_code) }</dt><dd class="booking-code">{ &c.code }</dd>
                <dt>{ texts.get(AppKey::booking_service) }</dt><dd>{ &c.service }</dd>
                <dt>{ texts.get(AppKey::booking_where) }</dt><dd>{ format!("{} – {}", c.office, c.address) }</dd>
                <dt>{ texts.get(AppKey::booking_when) }</dt><dd>{ date_and_times(&c.date, &c.start, &c.end, texts) }</dd>
            </dl>
            <p class="muted">{ texts.get(AppKey::booking_code_note) }</p>
            <button type="button" class="btn" onclick={download}>{ texts.get(AppKey::booking_ics) }</button>
        </div>
    }
}

fn cancel_step(state: &UseReducerHandle<State>, texts: &Texts) -> Html {
    let on_code = {
        let state = state.dispatcher();
        Callback::from(move |e: InputEvent| state.dispatch(Action::CancelCode(input_value(&e))))
    };
    let on_email = {
        let state = state.dispatcher();
        Callback::from(move |e: InputEvent| state.dispatch(Action::CancelEmail(input_value(&e))))
    };
    html! {
        <div class="booking-fields">
            <label for="varco-bk-code">{ texts.get(AppKey::booking_code) }</label>
            <input id="varco-bk-code" type="text" autocomplete="off" autocapitalize="characters"
                spellcheck="false" autocorrect="off"
                value={state.cancel_code.clone()} oninput={on_code} />
            <label for="varco-bk-cancel-email">{ texts.get(AppKey::booking_email) }</label>
            <input id="varco-bk-cancel-email" type="email" inputmode="email" autocomplete="email"
                autocapitalize="none" spellcheck="false" autocorrect="off"
                value={state.cancel_email.clone()} oninput={on_email} />
        </div>
    }
}
