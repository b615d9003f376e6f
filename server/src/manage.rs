//! The page a booking e-mail links to: the visitor sees the booking and
//! cancels it or moves it to another free slot, with no login and no
//! script: the link's signed token (`links`) is the key, and it expires
//! when the appointment starts. Plain HTML forms, served in the booking's
//! language, in Bootstrap Italia's look.
//!
//! Every change goes through the same storage calls and e-mails as the
//! assistant's (`Storage::cancel_booking`, `Storage::move_booking`).

use crate::agenda::{free_days, Described};
use crate::api::now_ms;
use crate::booking_mail::BookingMails;
use crate::config::appointments::AppointmentsConfig;
use crate::config::Site;
use crate::state::AppState;
use crate::storage::{Changed, NewSlot, StoredAppointment};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use std::fmt::Write as _;
use std::sync::Arc;
use varco_core::booking::{
    format_hhmm, is_bookable_slot, parse_hhmm, rome_local, rome_to_utc_ms, Date,
};
use varco_core::booking_mail::{escape_html as esc, BookingMailKind};
use varco_core::consent::{parse_rfc3339_ms, rfc3339_utc};
use varco_core::dates::{time_of_day, weekday_date};
use varco_core::lang::Lang;

const PAGE_CSS: &str = include_str!("../pages/manage.css");
const PAGE: &str = "/appointments/manage";
/// Days of free slots shown at once on the page that moves a booking.
const DAYS_PER_PAGE: u16 = 7;

/// The page's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(booking_page))
        .route("/appointments/manage.css", get(stylesheet))
        .route("/appointments/manage/cancel", get(cancel_page).post(cancel))
        .route("/appointments/manage/move", get(move_page).post(move_to))
}

/// Its own stylesheet only, no script at all, in no frame; forms post to
/// this server only.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_FRAME_OPTIONS, "DENY"),
            // The token is in the address: never in a Referer, a cache or
            // a search engine.
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
            (header::HeaderName::from_static("x-robots-tag"), "noindex"),
        ],
        body,
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        PAGE_CSS,
    )
        .into_response()
}

fn see_other(location: String) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

/// The words of the page, in the booking's language.
struct Words {
    lang: Lang,
}

impl Words {
    fn t(&self, it: &'static str, en: &'static str) -> &'static str {
        match self.lang {
            Lang::It => it,
            Lang::En => en,
        }
    }
}

/// The whole page around `body`.
fn page(lang: Lang, site_name: &str, title: &str, body: &str) -> String {
    let w = Words { lang };
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n<title>{title} - {site}</title>\n\
         <link rel=\"stylesheet\" href=\"/appointments/manage.css\">\n</head>\n<body>\n\
         <a class=\"skip\" href=\"#main\">{skip}</a>\n\
         <header class=\"header\"><div class=\"container\"><p class=\"site\">{site}</p></div></header>\n\
         <main id=\"main\" tabindex=\"-1\"><div class=\"container\">\n{body}</div></main>\n\
         <footer><div class=\"container\"><p>{footer}</p></div></footer>\n</body>\n</html>\n",
        lang = lang.code(),
        title = esc(title),
        site = esc(site_name),
        skip = w.t("Vai al contenuto", "Skip to content"),
        footer = w.t(
            "Questa pagina è raggiungibile solo dal link dell'e-mail della prenotazione, fino all'inizio dell'appuntamento.",
            "This page can be reached only from the link in the booking e-mail, until the appointment starts."
        ),
    )
}

/// A link that is not valid (changed, expired, or its booking gone): in
/// both languages, since it says nothing of whose it was.
fn invalid_link() -> Response {
    let body = "<h1>Link non valido o scaduto</h1>\n\
        <p class=\"notice error\">Questo link non apre nessuna prenotazione: è scaduto (l'appuntamento è già iniziato) o non è stato copiato per intero.</p>\n\
        <p>Per annullare una prenotazione puoi usare anche l'assistente virtuale del sito, con il codice e l'indirizzo e-mail della prenotazione.</p>\n\
        <h2 lang=\"en\">Invalid or expired link</h2>\n\
        <p lang=\"en\">This link opens no booking: it has expired (the appointment has started) or was not copied in full. You can also cancel a booking with the website's virtual assistant, using its code and e-mail address.</p>\n";
    html(
        StatusCode::NOT_FOUND,
        page(Lang::It, "Varco", "Link non valido o scaduto", body),
    )
}

/// What a valid token opens.
struct Opened<'a> {
    site: &'a Site,
    config: &'a AppointmentsConfig,
    mails: &'a Arc<BookingMails>,
    booking: StoredAppointment,
}

async fn open<'a>(state: &'a AppState, token: &str) -> Result<Opened<'a>, Response> {
    let mails = state.booking_mails.as_ref().ok_or_else(invalid_link)?;
    let target = mails
        .links
        .check(token, now_ms())
        .ok_or_else(invalid_link)?;
    let site = state.config.site(&target.site).ok_or_else(invalid_link)?;
    let config = site.appointments.as_ref().ok_or_else(invalid_link)?;
    let booking = state
        .storage
        .appointment(&site.id, &target.code)
        .await
        .map_err(|e| unavailable(&e))?
        .ok_or_else(invalid_link)?;
    Ok(Opened {
        site,
        config,
        mails,
        booking,
    })
}

fn unavailable(e: &anyhow::Error) -> Response {
    tracing::error!(error = %format!("{e:#}"), "manage page: the bookings cannot be read or written");
    let body = "<h1>Servizio non disponibile</h1>\n\
        <p class=\"notice error\">Non è possibile leggere le prenotazioni in questo momento. Riprova tra qualche minuto.</p>\n\
        <p lang=\"en\">Bookings cannot be read right now. Please try again in a few minutes.</p>\n";
    html(
        StatusCode::SERVICE_UNAVAILABLE,
        page(Lang::It, "Varco", "Servizio non disponibile", body),
    )
}

/// A page's query read, and the booking its token opens; else the page
/// that says why not.
async fn asked(
    state: &AppState,
    query: Result<Query<TokenQuery>, QueryRejection>,
) -> Result<(TokenQuery, String, Opened<'_>), Response> {
    let Ok(Query(mut query)) = query else {
        return Err(bad_form());
    };
    let token = query.token.take().unwrap_or_default();
    let opened = open(state, &token).await?;
    Ok((query, token, opened))
}

/// A form posted from this server's page, read, and the booking its token
/// opens; else the page that says why not.
async fn posted<'a>(
    state: &'a AppState,
    headers: &HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Result<(TokenForm, String, Opened<'a>), Response> {
    if !same_origin(state, headers) {
        return Err(forbidden());
    }
    let Ok(Form(mut form)) = form else {
        return Err(bad_form());
    };
    let token = form.token.take().unwrap_or_default();
    let opened = open(state, &token).await?;
    Ok((form, token, opened))
}

fn details(w: &Words, d: &Described, code: &str) -> String {
    format!(
        "<dl class=\"details\">\n<dt>{}</dt><dd>{}</dd>\n<dt>{}</dt><dd>{}</dd>\n<dt>{}</dt><dd>{}</dd>\n<dt>{}</dt><dd>{}</dd>\n<dt>{}</dt><dd>{} - {} {}</dd>\n</dl>\n",
        w.t("Codice", "Code"),
        esc(code),
        w.t("Servizio", "Service"),
        esc(&d.service),
        w.t("Sede", "Office"),
        esc(&d.place()),
        w.t("Data", "Date"),
        esc(&weekday_date(d.lang, d.date)),
        w.t("Orario", "Time"),
        time_of_day(d.start),
        time_of_day(d.end),
        w.t("(ora italiana)", "(Italian time)"),
    )
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
    done: Option<String>,
    from: Option<String>,
}

/// `GET /appointments/manage?token=`: the booking, and what can be done.
async fn booking_page(
    State(state): State<AppState>,
    q: Result<Query<TokenQuery>, QueryRejection>,
) -> Response {
    let (q, token, opened) = match asked(&state, q).await {
        Ok(asked) => asked,
        Err(page) => return page,
    };
    let d = Described::of(opened.config, &opened.booking);
    let w = Words { lang: d.lang };
    let mut body = String::new();
    let title = w.t("La tua prenotazione", "Your booking");
    let _ = writeln!(body, "<h1>{title}</h1>");
    match (q.done.as_deref(), &opened.booking.cancelled_at) {
        (Some("cancelled"), Some(_)) => {
            let _ = writeln!(
                body,
                "<p class=\"notice\" role=\"status\">{}</p>",
                w.t(
                    "La prenotazione è annullata. Ti abbiamo inviato un'e-mail di conferma.",
                    "Your booking is cancelled. We have sent you a confirmation e-mail."
                )
            );
        }
        (Some("moved"), None) => {
            let _ = writeln!(
                body,
                "<p class=\"notice\" role=\"status\">{}</p>",
                w.t(
                    "L'appuntamento è spostato. Ti abbiamo inviato un'e-mail con i nuovi dati e il file per il calendario.",
                    "Your appointment is moved. We have sent you an e-mail with the new details and the calendar file."
                )
            );
        }
        (_, Some(at)) => {
            let when = parse_rfc3339_ms(at)
                .map(|ms| weekday_date(d.lang, rome_local(ms).0))
                .unwrap_or_default();
            let _ = writeln!(
                body,
                "<p class=\"notice info\">{} {}.</p>",
                w.t(
                    "Questa prenotazione è stata annullata il",
                    "This booking was cancelled on"
                ),
                esc(&when)
            );
        }
        _ => {}
    }
    body.push_str("<div class=\"card\">\n");
    body.push_str(&details(&w, &d, &opened.booking.code));
    body.push_str("</div>\n");
    if opened.booking.cancelled_at.is_none() {
        let _ = writeln!(
            body,
            "<h2>{}</h2>\n<p>{}</p>\n<div class=\"actions\">\n\
             <a class=\"btn btn-primary\" href=\"/appointments/manage/move?token={t}\">{}</a>\n\
             <a class=\"btn btn-outline\" href=\"/appointments/manage/cancel?token={t}\">{}</a>\n</div>",
            w.t("Non puoi venire?", "Can't make it?"),
            w.t(
                "Sposta l'appuntamento a un altro orario libero, oppure annullalo: il posto andrà a un'altra persona.",
                "Move the appointment to another free time, or cancel it: the place will go to someone else."
            ),
            w.t("Sposta l'appuntamento", "Move the appointment"),
            w.t("Annulla la prenotazione", "Cancel the booking"),
            t = esc(&token),
        );
    }
    html(
        StatusCode::OK,
        page(d.lang, &opened.site.name, title, &body),
    )
}

/// `GET /appointments/manage/cancel?token=`: asks to confirm.
async fn cancel_page(
    State(state): State<AppState>,
    q: Result<Query<TokenQuery>, QueryRejection>,
) -> Response {
    let (_, token, opened) = match asked(&state, q).await {
        Ok(asked) => asked,
        Err(page) => return page,
    };
    if opened.booking.cancelled_at.is_some() {
        return see_other(format!("{PAGE}?token={token}"));
    }
    let d = Described::of(opened.config, &opened.booking);
    let w = Words { lang: d.lang };
    let title = w.t("Annulla la prenotazione", "Cancel the booking");
    let body = format!(
        "<h1>{title}</h1>\n<p>{}</p>\n<div class=\"card\">\n{}</div>\n\
         <div class=\"actions\">\n<form method=\"post\" action=\"/appointments/manage/cancel\">\n\
         <input type=\"hidden\" name=\"token\" value=\"{t}\">\n\
         <button type=\"submit\" class=\"btn btn-danger\">{}</button>\n</form>\n\
         <a class=\"btn btn-outline\" href=\"{PAGE}?token={t}\">{}</a>\n</div>\n",
        w.t(
            "Vuoi davvero annullare questo appuntamento? Non si può tornare indietro, ma potrai prenotarne un altro.",
            "Do you really want to cancel this appointment? It cannot be undone, but you can book another one."
        ),
        details(&w, &d, &opened.booking.code),
        w.t("Sì, annulla la prenotazione", "Yes, cancel the booking"),
        w.t("No, torna alla prenotazione", "No, back to the booking"),
        t = esc(&token),
    );
    html(
        StatusCode::OK,
        page(d.lang, &opened.site.name, title, &body),
    )
}

#[derive(Deserialize)]
pub struct TokenForm {
    token: Option<String>,
    slot: Option<String>,
}

/// A form may be posted only from this server's own pages. A browser
/// says where a request comes from in `Sec-Fetch-Site`; the page's
/// `Referrer-Policy: no-referrer` makes its forms send `Origin: null`, so
/// `Origin` is checked only when there is no `Sec-Fetch-Site` (an older
/// browser). The token is needed anyway: this keeps other sites from
/// posting a token they learnt.
fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return site == "same-origin" || site == "none";
    }
    let Some(origin) = text(header::ORIGIN).filter(|o| *o != "null") else {
        return true;
    };
    let own = state
        .config
        .mail
        .as_ref()
        .map(|m| origin_of(m.public_base()))
        .unwrap_or_default();
    let host = text(header::HOST).unwrap_or("");
    origin == own || origin == format!("http://{host}") || origin == format!("https://{host}")
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or("")),
        None => String::new(),
    }
}

/// A form or an address that is not one of the page's (another encoding,
/// broken text, a field twice).
fn bad_form() -> Response {
    html(
        StatusCode::BAD_REQUEST,
        page(
            Lang::It,
            "Varco",
            "Richiesta non valida",
            "<h1>Richiesta non valida</h1>\n<p class=\"notice error\">La richiesta non è leggibile. Torna alla pagina della prenotazione dal link dell'e-mail e riprova.</p>\n<p lang=\"en\">The request cannot be read. Go back to the booking page from the e-mail's link and try again.</p>\n",
        ),
    )
}

fn forbidden() -> Response {
    html(
        StatusCode::FORBIDDEN,
        page(
            Lang::It,
            "Varco",
            "Richiesta non consentita",
            "<h1>Richiesta non consentita</h1>\n<p class=\"notice error\">Il modulo deve essere inviato da questa pagina.</p>\n<p lang=\"en\">The form must be sent from this page.</p>\n",
        ),
    )
}

/// `POST /appointments/manage/cancel`: cancels, tells the visitor by
/// e-mail, and shows the booking as cancelled.
async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let (_, token, opened) = match posted(&state, &headers, form).await {
        Ok(posted) => posted,
        Err(page) => return page,
    };
    let now = now_ms();
    let changed = state
        .storage
        .cancel_booking(
            &opened.site.id,
            &opened.booking.code,
            None,
            None,
            &rfc3339_utc(now),
            now,
            |a| {
                opened.mails.compose(
                    opened.site,
                    opened.config,
                    a,
                    &BookingMailKind::CancelledByVisitor,
                    now,
                )
            },
        )
        .await;
    match changed {
        Ok(Changed::Done(_)) => {
            opened.mails.mailer.queued();
            tracing::info!(site = %opened.site.id, "appointment cancelled from the e-mail's link");
            see_other(format!("{PAGE}?token={}&done=cancelled", token))
        }
        Ok(_) => see_other(format!("{PAGE}?token={token}")),
        Err(e) => unavailable(&e),
    }
}

/// `GET /appointments/manage/move?token=&from=`: the free slots of the
/// booking's office and service, a week of open days at a time.
async fn move_page(
    State(state): State<AppState>,
    q: Result<Query<TokenQuery>, QueryRejection>,
) -> Response {
    let (q, token, opened) = match asked(&state, q).await {
        Ok(asked) => asked,
        Err(page) => return page,
    };
    let from = q.from.as_deref().and_then(Date::parse);
    move_form(&state, &opened, &token, from, None).await
}

async fn move_form(
    state: &AppState,
    opened: &Opened<'_>,
    token: &str,
    from: Option<Date>,
    problem: Option<&str>,
) -> Response {
    if opened.booking.cancelled_at.is_some() {
        return see_other(format!("{PAGE}?token={token}"));
    }
    let d = Described::of(opened.config, &opened.booking);
    let w = Words { lang: d.lang };
    let Some(office) = opened.config.office(&opened.booking.office) else {
        return invalid_link();
    };
    let now = now_ms();
    let (today, _) = rome_local(now);
    let from = from
        .filter(|f| f.days_from_epoch() > today.days_from_epoch())
        .unwrap_or(today);
    // Open days come in a week of calendar days or more: look ahead far
    // enough to fill the page, within the site's horizon.
    let horizon = opened.config.days_ahead;
    let mut days = match free_days(
        &state.storage,
        &opened.site.id,
        opened.config,
        office,
        from,
        horizon,
        now,
    )
    .await
    {
        Ok(days) => days,
        Err(_) => return unavailable(&anyhow::anyhow!("free slots")),
    };
    for day in &mut days {
        day.slots.retain(|s| {
            s.free > 0 && !(day.date == opened.booking.date && s.start == opened.booking.start)
        });
    }
    days.retain(|day| !day.slots.is_empty());
    let more = days.len() > usize::from(DAYS_PER_PAGE);
    days.truncate(usize::from(DAYS_PER_PAGE));

    let title = w.t("Sposta l'appuntamento", "Move the appointment");
    let mut body = format!("<h1>{title}</h1>\n");
    if let Some(problem) = problem {
        let _ = writeln!(
            body,
            "<p class=\"notice error\" role=\"alert\" id=\"problem\">{}</p>",
            esc(problem)
        );
    }
    let _ = writeln!(
        body,
        "<p>{} <strong>{}</strong>, {} {}.</p>",
        w.t("Ora l'appuntamento è", "The appointment is now on"),
        esc(&weekday_date(d.lang, d.date)),
        w.t("alle", "at"),
        time_of_day(d.start)
    );
    if days.is_empty() {
        let _ = writeln!(
            body,
            "<p class=\"notice info\">{}</p>\n<p><a href=\"{PAGE}?token={t}\">{}</a></p>",
            w.t(
                "Non ci sono altri orari liberi in questa sede nei prossimi giorni.",
                "There are no other free times at this office in the coming days."
            ),
            w.t("Torna alla prenotazione", "Back to the booking"),
            t = esc(token)
        );
        return html(
            StatusCode::OK,
            page(d.lang, &opened.site.name, title, &body),
        );
    }
    let _ = writeln!(
        body,
        "<form method=\"post\" action=\"/appointments/manage/move\">\n\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\n<p>{}</p>",
        esc(token),
        w.t(
            "Scegli il nuovo orario (ora italiana), poi conferma.",
            "Choose the new time (Italian time), then confirm."
        )
    );
    for day in &days {
        let Some(date) = Date::parse(&day.date) else {
            continue;
        };
        let _ = writeln!(
            body,
            "<fieldset>\n<legend>{}</legend>\n<div class=\"slots\">",
            esc(&weekday_date(d.lang, date))
        );
        for s in &day.slots {
            let _ = writeln!(
                body,
                "<label><input type=\"radio\" name=\"slot\" value=\"{date}T{start}\" required{described}> {start} - {end}</label>",
                date = day.date,
                start = esc(&s.start),
                end = esc(&s.end),
                described = if problem.is_some() { " aria-describedby=\"problem\"" } else { "" },
            );
        }
        body.push_str("</div>\n</fieldset>\n");
    }
    let _ =
        writeln!(
        body,
        "<div class=\"actions\">\n<button type=\"submit\" class=\"btn btn-primary\">{}</button>\n\
         <a class=\"btn btn-outline\" href=\"{PAGE}?token={t}\">{}</a>\n</div>\n</form>",
        w.t("Conferma il nuovo orario", "Confirm the new time"),
        w.t("Annulla e torna alla prenotazione", "Cancel and go back to the booking"),
        t = esc(token)
    );
    if more {
        if let Some(last) = days.last().and_then(|day| Date::parse(&day.date)) {
            let _ = writeln!(
                body,
                "<p><a href=\"/appointments/manage/move?token={}&amp;from={}\">{}</a></p>",
                esc(token),
                last.add_days(1),
                w.t("Mostra altri giorni", "Show more days")
            );
        }
    }
    html(
        StatusCode::OK,
        page(d.lang, &opened.site.name, title, &body),
    )
}

/// `POST /appointments/manage/move` with `slot=YYYY-MM-DDTHH:MM`: moves the
/// booking if the slot is still free, e-mails the new details, and shows
/// the booking under its new link.
async fn move_to(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let (form, token, opened) = match posted(&state, &headers, form).await {
        Ok(posted) => posted,
        Err(page) => return page,
    };
    let w = Words {
        lang: Described::of(opened.config, &opened.booking).lang,
    };
    let chosen = form.slot.as_deref().and_then(|s| {
        let (date, start) = s.split_once('T')?;
        Some((Date::parse(date)?, parse_hhmm(start)?))
    });
    let Some((date, start)) = chosen else {
        let problem = w.t("Scegli un orario.", "Choose a time.");
        return move_form(&state, &opened, &token, None, Some(problem)).await;
    };
    let Some(office) = opened.config.office(&opened.booking.office) else {
        return invalid_link();
    };
    let now = now_ms();
    let (today, _) = rome_local(now);
    let schedule = match crate::agenda::schedule(
        &state.storage,
        &opened.site.id,
        opened.config,
        office,
        today,
    )
    .await
    {
        Ok(schedule) => schedule,
        Err(e) => return unavailable(&e),
    };
    let taken_meanwhile = w.t(
        "Questo orario non è più libero. Scegline un altro.",
        "This time is no longer free. Please choose another one.",
    );
    if date.days_from_epoch() - today.days_from_epoch() > i64::from(opened.config.days_ahead)
        || !is_bookable_slot(
            &schedule,
            date,
            start,
            now,
            opened.config.min_notice_minutes(),
        )
    {
        return move_form(&state, &opened, &token, None, Some(taken_meanwhile)).await;
    }
    let slot = NewSlot {
        date: date.to_string(),
        start: format_hhmm(start),
        end: format_hhmm(start + schedule.slot_minutes),
        starts_at: rfc3339_utc(rome_to_utc_ms(date, start)),
    };
    let changed = state
        .storage
        .move_booking(
            &opened.site.id,
            &opened.booking.code,
            &slot,
            schedule.capacity,
            now,
            |a| {
                opened
                    .mails
                    .compose(opened.site, opened.config, a, &BookingMailKind::Moved, now)
            },
        )
        .await;
    match changed {
        Ok(Changed::Done(_)) => {
            opened.mails.mailer.queued();
            tracing::info!(site = %opened.site.id, office = %office.id, "appointment moved from the e-mail's link");
            let new_token = opened.mails.links.sign(
                &opened.site.id,
                &opened.booking.code,
                rome_to_utc_ms(date, start),
            );
            see_other(format!("{PAGE}?token={new_token}&done=moved"))
        }
        Ok(Changed::Full) => move_form(&state, &opened, &token, None, Some(taken_meanwhile)).await,
        Ok(_) => see_other(format!("{PAGE}?token={token}")),
        Err(e) => unavailable(&e),
    }
}
