//! The desk agenda in the console, for operators with the desk role: the
//! bookings of a day or a week per office and service, what happened at
//! the desk (attended, no-show), cancelling with a reason (the visitor is
//! told by e-mail), days closed from the console, and the CSV export.
//!
//! Log lines name the site and the operator, never a visitor.

use super::Authenticated;
use crate::agenda::{cancelled_by, csv};
use crate::api::{is_plain_text, now_ms, Failure, JsonBody};
use crate::config::appointments::AppointmentsConfig;
use crate::config::Site;
use crate::state::AppState;
use crate::storage::{Changed, ClosedDay, Outcome, StoredAppointment};
use crate::threads::storage_failure;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use varco_core::booking::{normalise_booking_code, rome_local, Date};
use varco_core::booking_mail::BookingMailKind;
use varco_core::consent::rfc3339_utc;
use varco_protocol::desk::{
    Agenda, AgendaBooking, AgendaChoice, AgendaClosedDay, CloseDay, DayClosed, OfficeCancel,
    OfficeCancelled, SetOutcome,
};

/// Days one agenda request may span.
const MAX_DAYS: u16 = 31;
/// The longest reason an office may give.
const MAX_REASON_CHARS: usize = 500;

/// The site, if the operator works at its desks and it takes bookings.
fn desk_site<'a>(
    state: &'a AppState,
    auth: &Authenticated,
    site: &str,
) -> Result<(&'a Site, &'a AppointmentsConfig), Failure> {
    let operator = &auth.session.operator;
    if !operator.desk {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "desk_role_required",
            "only operators with the desk role see the agenda",
        ));
    }
    let found = state
        .config
        .site(site)
        .filter(|s| operator.serves(&s.id))
        .and_then(|s| s.appointments.as_ref().map(|a| (s, a)));
    found.ok_or_else(|| Failure::not_found(format!("no agenda of site {site:?} for you")))
}

#[derive(Debug, Deserialize)]
pub struct AgendaQuery {
    site: String,
    from: Option<String>,
    days: Option<u16>,
}

fn period(query: &AgendaQuery) -> Result<(Date, u16), Failure> {
    let from = match query.from.as_deref() {
        None => rome_local(now_ms()).0,
        Some(s) => Date::parse(s).ok_or_else(|| {
            Failure::new(
                StatusCode::BAD_REQUEST,
                "invalid_date",
                "`from` must be a date written YYYY-MM-DD",
            )
        })?,
    };
    Ok((from, query.days.unwrap_or(1).clamp(1, MAX_DAYS)))
}

fn status_of(a: &StoredAppointment) -> &'static str {
    match (&a.cancelled_at, a.outcome.as_deref()) {
        (Some(_), _) => "cancelled",
        (None, Some("attended")) => "attended",
        (None, Some("no_show")) => "no_show",
        _ => "booked",
    }
}

fn office_name(config: &AppointmentsConfig, id: &str) -> String {
    if id == "*" {
        return "Tutte le sedi".to_owned();
    }
    config
        .office(id)
        .map_or(id.to_owned(), |o| o.name.get("it").to_owned())
}

/// `GET /operator/api/agenda?site=&from=&days=`: the bookings of the
/// period (cancelled ones too) and the days closed from the console.
pub async fn agenda(
    State(state): State<AppState>,
    auth: Authenticated,
    Query(query): Query<AgendaQuery>,
) -> Result<Json<Agenda>, Failure> {
    let (site, config) = desk_site(&state, &auth, &query.site)?;
    let (from, days) = period(&query)?;
    let to = from.add_days(i64::from(days) - 1);
    let rows = state
        .storage
        .appointments_between(&site.id, &from.to_string(), &to.to_string())
        .await
        .map_err(storage_failure)?;
    let closed = state
        .storage
        .closed_days(&site.id, &from.to_string())
        .await
        .map_err(storage_failure)?;
    Ok(Json(Agenda {
        site: site.id.clone(),
        from: from.to_string(),
        days,
        offices: config
            .offices
            .iter()
            .map(|o| AgendaChoice {
                id: o.id.clone(),
                name: o.name.get("it").to_owned(),
            })
            .collect(),
        services: config
            .services
            .iter()
            .map(|s| AgendaChoice {
                id: s.id.clone(),
                name: s.title.get("it").to_owned(),
            })
            .collect(),
        bookings: rows
            .iter()
            .map(|a| AgendaBooking {
                code: a.code.clone(),
                date: a.date.clone(),
                start: a.start.clone(),
                end: a.end.clone(),
                service: a.service.clone(),
                service_title: config
                    .service(&a.service)
                    .map_or(a.service.clone(), |s| s.title.get("it").to_owned()),
                office: a.office.clone(),
                office_name: office_name(config, &a.office),
                nome: a.nome.clone(),
                cognome: a.cognome.clone(),
                codice_fiscale: a.codice_fiscale.clone(),
                telefono: a.telefono.clone(),
                email: a.email.clone(),
                status: status_of(a).to_owned(),
                cancelled_by: cancelled_by(a).map(str::to_owned),
                cancel_reason: a.cancel_reason.clone(),
            })
            .collect(),
        closed_days: closed
            .into_iter()
            .map(|d| AgendaClosedDay {
                office_name: office_name(config, &d.office),
                office: d.office,
                date: d.date,
                reason: d.reason,
                closed_by: d.created_by,
            })
            .collect(),
    }))
}

/// `GET /operator/api/agenda.csv?site=&from=&days=`: the same bookings as
/// a file for a spreadsheet.
pub async fn agenda_csv(
    State(state): State<AppState>,
    auth: Authenticated,
    Query(query): Query<AgendaQuery>,
) -> Result<Response, Failure> {
    let (site, _) = desk_site(&state, &auth, &query.site)?;
    let (from, days) = period(&query)?;
    let to = from.add_days(i64::from(days) - 1);
    let rows = state
        .storage
        .appointments_between(&site.id, &from.to_string(), &to.to_string())
        .await
        .map_err(storage_failure)?;
    tracing::info!(site = %site.id, operator = %auth.session.operator.username, "agenda exported");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"prenotazioni-{}-{from}-{to}.csv\"",
                    site.id
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        csv(&rows),
    )
        .into_response())
}

fn booking_code(raw: &str) -> Result<String, Failure> {
    normalise_booking_code(raw).ok_or_else(|| Failure::not_found("no booking with this code"))
}

/// `POST /operator/api/appointments/{code}/outcome`: attended, no-show, or
/// taken back; only on the day of the booking or after.
pub async fn set_outcome(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(code): Path<String>,
    JsonBody(request): JsonBody<SetOutcome>,
) -> Result<StatusCode, Failure> {
    let (site, _) = desk_site(&state, &auth, &request.site)?;
    let code = booking_code(&code)?;
    let outcome = Outcome::parse(&request.outcome).ok_or_else(|| {
        Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_outcome",
            "outcome must be attended, no_show or pending",
        )
    })?;
    let booking = state
        .storage
        .appointment(&site.id, &code)
        .await
        .map_err(storage_failure)?
        .ok_or_else(|| Failure::not_found("no booking with this code"))?;
    let today = rome_local(now_ms()).0.to_string();
    if booking.date > today && outcome != Outcome::Pending {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_yet",
            "the appointment has not come yet",
        ));
    }
    let done = state
        .storage
        .set_outcome(&site.id, &code, outcome, &auth.session.operator.username)
        .await
        .map_err(storage_failure)?;
    if !done {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "cancelled",
            "the booking was cancelled",
        ));
    }
    tracing::info!(site = %site.id, operator = %auth.session.operator.username, "booking outcome set");
    Ok(StatusCode::NO_CONTENT)
}

fn reason_of(raw: &str) -> Result<String, Failure> {
    let reason = raw.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS || !is_plain_text(reason) {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_reason",
            format!("give a reason of 1 to {MAX_REASON_CHARS} characters, text only"),
        ));
    }
    Ok(reason.to_owned())
}

/// `POST /operator/api/appointments/{code}/cancel` with a reason: the
/// place is free again and the visitor is told by e-mail why.
pub async fn cancel(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(code): Path<String>,
    JsonBody(request): JsonBody<OfficeCancel>,
) -> Result<Json<OfficeCancelled>, Failure> {
    let (site, config) = desk_site(&state, &auth, &request.site)?;
    let code = booking_code(&code)?;
    let reason = reason_of(&request.reason)?;
    let now = now_ms();
    let operator = auth.session.operator.username.clone();
    let mut emailed = false;
    let changed = state
        .storage
        .cancel_booking(
            &site.id,
            &code,
            None,
            Some((&operator, &reason)),
            &rfc3339_utc(now),
            now,
            |a| {
                let mail = state.booking_mails.as_ref().and_then(|mails| {
                    mails.compose(
                        site,
                        config,
                        a,
                        &BookingMailKind::CancelledByOffice {
                            reason: reason.clone(),
                        },
                        now,
                    )
                });
                emailed = mail.is_some();
                mail
            },
        )
        .await
        .map_err(storage_failure)?;
    match changed {
        Changed::Done(_) => {
            if let Some(mails) = &state.booking_mails {
                mails.mailer.queued();
            }
            tracing::info!(site = %site.id, operator = %operator, "booking cancelled by the office");
            Ok(Json(OfficeCancelled {
                visitor_emailed: emailed,
            }))
        }
        Changed::AlreadyCancelled(_) => Err(Failure::new(
            StatusCode::CONFLICT,
            "already_cancelled",
            "the booking was cancelled already",
        )),
        Changed::NotFound | Changed::Full => Err(Failure::not_found("no booking with this code")),
    }
}

fn closing(config: &AppointmentsConfig, request: &CloseDay) -> Result<(String, Date), Failure> {
    let office = request.office.trim();
    if office != "*" && config.office(office).is_none() {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_office",
            format!("no office {office:?}"),
        ));
    }
    let date = Date::parse(&request.date).ok_or_else(|| {
        Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_date",
            "`date` must be a date written YYYY-MM-DD",
        )
    })?;
    Ok((office.to_owned(), date))
}

/// `POST /operator/api/closed-days`: closes an office (or, with `*`, every
/// office) on a day from today on: nobody can book it any more. Bookings
/// already made stay, and the answer counts them for staff to cancel.
pub async fn close_day(
    State(state): State<AppState>,
    auth: Authenticated,
    JsonBody(request): JsonBody<CloseDay>,
) -> Result<Json<DayClosed>, Failure> {
    let (site, config) = desk_site(&state, &auth, &request.site)?;
    let (office, date) = closing(config, &request)?;
    let reason = reason_of(&request.reason)?;
    let today = rome_local(now_ms()).0;
    if date.days_from_epoch() < today.days_from_epoch() {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "date_past",
            "a day already gone cannot be closed",
        ));
    }
    state
        .storage
        .add_closed_day(
            &site.id,
            &ClosedDay {
                office: office.clone(),
                date: date.to_string(),
                reason,
                created_by: auth.session.operator.username.clone(),
            },
            &rfc3339_utc(now_ms()),
        )
        .await
        .map_err(storage_failure)?;
    let active = state
        .storage
        .appointments_between(&site.id, &date.to_string(), &date.to_string())
        .await
        .map_err(storage_failure)?
        .iter()
        .filter(|a| a.cancelled_at.is_none() && (office == "*" || a.office == office))
        .count();
    tracing::info!(site = %site.id, operator = %auth.session.operator.username, "a day closed from the console");
    Ok(Json(DayClosed {
        active_bookings: u32::try_from(active).unwrap_or(u32::MAX),
    }))
}

/// `POST /operator/api/closed-days/remove`: opens the day again.
pub async fn reopen_day(
    State(state): State<AppState>,
    auth: Authenticated,
    JsonBody(request): JsonBody<CloseDay>,
) -> Result<StatusCode, Failure> {
    let (site, config) = desk_site(&state, &auth, &request.site)?;
    let (office, date) = closing(config, &request)?;
    let removed = state
        .storage
        .remove_closed_day(&site.id, &office, &date.to_string())
        .await
        .map_err(storage_failure)?;
    if !removed {
        return Err(Failure::not_found(
            "that day was not closed from the console",
        ));
    }
    tracing::info!(site = %site.id, operator = %auth.session.operator.username, "a closed day opened again");
    Ok(StatusCode::NO_CONTENT)
}
