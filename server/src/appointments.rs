//! Appointments at the desks ("Agenda"): what can be booked where, the
//! free places, booking and cancelling. The rules (field checks, slots,
//! Rome time, codes, the `.ics` file) are in `varco_core::booking`; this
//! module reads the site's `[sites.appointments]` and speaks HTTP.
//!
//! The visitor's details go to the appointments table and nowhere else:
//! no thread, no navigation data, and no log line (lines here name the
//! site and the office only).

use crate::agenda::{free_days, Described};
use crate::api::{now_ms, site_for, site_of_query, Failure, JsonBody};
use crate::client::ClientIp;
use crate::config::appointments::{AppointmentsConfig, OfficeConfig, ServiceConfig};
use crate::config::Site;
use crate::state::AppState;
use crate::storage::{Booked, Changed, NewAppointment, StoredAppointment};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use std::net::IpAddr;
use std::sync::OnceLock;
use varco_core::booking::{
    booking_code, check_email, check_person, format_hhmm, is_bookable_slot, normalise_booking_code,
    parse_hhmm, rome_local, rome_to_utc_ms, slot_taken_meanwhile, slot_unavailable, Date,
};
use varco_core::booking_mail::BookingMailKind;
use varco_core::consent::{is_uuid_v4, rfc3339_utc};
use varco_core::lang::Lang;
use varco_protocol::booking::{
    Availability, BookingConfirmation, BookingOptions, CancelBooking, FieldError, FieldErrors,
    NewBooking, OfficeOption, ServiceOption,
};

/// The key of the server's process under which client networks are hashed;
/// never written anywhere.
static CLIENT_HASH_KEY: OnceLock<[u8; 32]> = OnceLock::new();

/// How a booking records its client for the per-client limit: an HMAC of
/// the client's network under a key that lives only in this process's
/// memory. The database holds no address, and once the server restarts
/// the stored hashes cannot be linked to any address by anyone (nor
/// counted: a restart forgets the per-client counts, while those per
/// person and per e-mail address stay).
fn client_key(ip: IpAddr) -> Result<String, Failure> {
    let key = match CLIENT_HASH_KEY.get() {
        Some(key) => key,
        None => {
            let mut key = [0u8; 32];
            getrandom::getrandom(&mut key).map_err(|e| {
                tracing::error!(error = %e, "the operating system's random source failed");
                Failure::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "random_source_unavailable",
                    "the server cannot make a booking now; try again",
                )
            })?;
            CLIENT_HASH_KEY.get_or_init(|| key)
        }
    };
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
    // The client's network, as the rate limits count it (IPv6 by /64).
    match crate::client::bucket_key(ip) {
        IpAddr::V4(v4) => mac.update(&v4.octets()),
        IpAddr::V6(v6) => mac.update(&v6.octets()[..8]),
    }
    let digest = mac.finalize().into_bytes();
    Ok(digest[..16].iter().map(|b| format!("{b:02x}")).collect())
}

fn lang_of(code: Option<&str>) -> Lang {
    match code {
        Some(c) if c.starts_with("en") => Lang::En,
        _ => Lang::It,
    }
}

fn appointments_of(site: &Site) -> Result<&AppointmentsConfig, Failure> {
    site.appointments.as_ref().ok_or_else(|| {
        Failure::not_found(format!(
            "site {:?} does not take appointments (no [sites.appointments])",
            site.id
        ))
    })
}

#[derive(Debug, Deserialize)]
pub struct OptionsQuery {
    site: Option<String>,
    lang: Option<String>,
}

/// `GET /api/v1/appointments/options?site=...&lang=...`.
pub async fn options(
    State(state): State<AppState>,
    Query(query): Query<OptionsQuery>,
    headers: HeaderMap,
) -> Result<Json<BookingOptions>, Failure> {
    let site = site_of_query(&state.config, query.site.as_deref(), &headers)?;
    let config = appointments_of(site)?;
    let lang = lang_of(query.lang.as_deref()).code();
    Ok(Json(BookingOptions {
        services: config
            .services
            .iter()
            .map(|s| ServiceOption {
                id: s.id.clone(),
                title: s.title.get(lang).to_owned(),
            })
            .collect(),
        offices: config
            .offices
            .iter()
            .map(|o| OfficeOption {
                id: o.id.clone(),
                name: o.name.get(lang).to_owned(),
                address: o.address.clone(),
                services: o.services.clone(),
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct SlotsQuery {
    site: Option<String>,
    office: String,
    service: String,
    /// First day, `YYYY-MM-DD` (default: today in Rome).
    from: Option<String>,
    /// Days from `from` (default and most: the site's `days_ahead`).
    days: Option<u16>,
}

/// `GET /api/v1/appointments/slots?site=&office=&service=&from=&days=`:
/// the days the office is open, each with its slots and free places.
pub async fn availability(
    State(state): State<AppState>,
    Query(query): Query<SlotsQuery>,
    headers: HeaderMap,
) -> Result<Json<Availability>, Failure> {
    let site = site_of_query(&state.config, query.site.as_deref(), &headers)?;
    let config = appointments_of(site)?;
    let (office, _) = offered(config, &query.office, &query.service)?;
    let now = now_ms();
    let (today, _) = rome_local(now);
    let from = match query.from.as_deref() {
        None => today,
        Some(s) => Date::parse(s).ok_or_else(|| {
            Failure::new(
                StatusCode::BAD_REQUEST,
                "invalid_date",
                "`from` must be a date written YYYY-MM-DD",
            )
        })?,
    };
    let from = if from.days_from_epoch() < today.days_from_epoch() {
        today
    } else {
        from
    };
    let days = query
        .days
        .unwrap_or(config.days_ahead)
        .min(config.days_ahead);
    let days = free_days(&state.storage, &site.id, config, office, from, days, now)
        .await
        .map_err(storage_failure)?;
    Ok(Json(Availability { days }))
}

/// The office and the service, if both exist and the office offers it.
fn offered<'a>(
    config: &'a AppointmentsConfig,
    office: &str,
    service: &str,
) -> Result<(&'a OfficeConfig, &'a ServiceConfig), Failure> {
    let office = config.office(office).ok_or_else(|| {
        Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_office",
            format!("no office {office:?}"),
        )
    })?;
    match config.service(service) {
        Some(found) if office.services.iter().any(|s| s == service) => Ok((office, found)),
        _ => Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "service_not_offered",
            format!("office {:?} does not offer {service:?}", office.id),
        )),
    }
}

fn storage_failure(e: anyhow::Error) -> Failure {
    Failure::storage(
        "appointments storage",
        &e,
        "the appointments cannot be read or written now; try again",
    )
}

fn field_errors(fields: Vec<FieldError>) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(FieldErrors {
            error: "invalid_fields".into(),
            fields,
        }),
    )
        .into_response()
}

/// `POST /api/v1/appointments`: books a place, or says field by field what
/// is wrong (422), or that the slot has just filled up or the person, the
/// e-mail address or the client holds as many bookings as allowed (409).
pub async fn book(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    JsonBody(booking): JsonBody<NewBooking>,
) -> Response {
    match book_checked(&state, client, &headers, booking).await {
        Ok(r) => r,
        Err(f) => f.into_response(),
    }
}

async fn book_checked(
    state: &AppState,
    client: IpAddr,
    headers: &HeaderMap,
    booking: NewBooking,
) -> Result<Response, Failure> {
    let site = site_for(&state.config, &booking.site, headers)?;
    let config = appointments_of(site)?;
    let lang = lang_of(booking.language.as_deref());
    if !is_uuid_v4(&booking.request_id) {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_id",
            "request_id must be a UUID v4",
        ));
    }
    let (office, service) = offered(config, &booking.office, &booking.service)?;

    let person = check_person(&booking.person, lang);
    let mut problems = person.as_ref().err().cloned().unwrap_or_default();
    if !booking.privacy_acknowledged {
        problems.push(FieldError {
            field: "privacy_acknowledged".into(),
            code: "missing".into(),
            message: varco_core::texts::Texts::new(lang, &Default::default())
                .get(varco_core::texts::AppKey::booking_privacy_missing)
                .to_owned(),
        });
    }
    let now = now_ms();
    let schedule =
        crate::agenda::schedule(&state.storage, &site.id, config, office, rome_local(now).0)
            .await
            .map_err(storage_failure)?;
    let date = Date::parse(&booking.date);
    let start = parse_hhmm(&booking.start);
    let (today, _) = rome_local(now);
    let slot = match (date, start) {
        (Some(date), Some(start))
            if date.days_from_epoch() - today.days_from_epoch() <= i64::from(config.days_ahead)
                && is_bookable_slot(&schedule, date, start, now, config.min_notice_minutes()) =>
        {
            Some((date, start))
        }
        _ => None,
    };
    if slot.is_none() {
        problems.push(FieldError {
            field: "start".into(),
            code: "not_available".into(),
            message: slot_unavailable(lang).into(),
        });
    }
    let (Ok(person), Some((date, start)), true) = (person, slot, problems.is_empty()) else {
        return Ok(field_errors(problems));
    };
    let end = start + schedule.slot_minutes;
    let starts_at_ms = rome_to_utc_ms(date, start);
    let mut appointment = NewAppointment {
        code: String::new(),
        site: site.id.clone(),
        request_id: booking.request_id.clone(),
        service: service.id.clone(),
        office: office.id.clone(),
        date: date.to_string(),
        start: format_hhmm(start),
        end: format_hhmm(end),
        starts_at: rfc3339_utc(starts_at_ms),
        person,
        language: lang.code().to_owned(),
        created_at: rfc3339_utc(now),
        client_key: client_key(client)?,
    };
    for _ in 0..5 {
        appointment.code = booking_code(random_bytes());
        let mail = state.booking_mails.as_ref().and_then(|mails| {
            mails.compose(
                site,
                config,
                &StoredAppointment::from(&appointment),
                &BookingMailKind::Confirmation,
                now,
            )
        });
        let outcome = state
            .storage
            .book_appointment(
                &appointment,
                schedule.capacity,
                config.limits(),
                mail.as_ref(),
                now,
            )
            .await
            .map_err(storage_failure)?;
        let stored = match outcome {
            Booked::CodeTaken => continue,
            // 409, not 429: waiting does not help, the visitor's bookings
            // are in the way (and a 429 would have clients retry it).
            Booked::LimitReached(limit) => {
                tracing::info!(site = %site.id, office = %office.id, "booking refused: limit of active bookings");
                return Err(Failure::new(
                    StatusCode::CONFLICT,
                    "booking_limit_reached",
                    limit.message(lang),
                ));
            }
            Booked::Full => {
                return Err(Failure::new(
                    StatusCode::CONFLICT,
                    "slot_full",
                    slot_taken_meanwhile(lang),
                ))
            }
            Booked::Repeated(existing) => {
                return Ok((
                    StatusCode::OK,
                    Json(confirmation(config, site, &existing, now)),
                )
                    .into_response())
            }
            Booked::Created => StoredAppointment::from(&appointment),
        };
        if let (Some(mails), Some(_)) = (&state.booking_mails, &mail) {
            mails.mailer.queued();
        }
        tracing::info!(site = %site.id, office = %office.id, "appointment booked");
        return Ok((
            StatusCode::CREATED,
            Json(confirmation(config, site, &stored, now)),
        )
            .into_response());
    }
    Err(Failure::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "no_code",
        "no free booking code was found; try again",
    ))
}

/// Eight random bytes from the OS generator (through a UUID v4, whose
/// bytes other than 6 and 8 are all random).
fn random_bytes() -> [u8; 8] {
    let u = uuid::Uuid::new_v4().into_bytes();
    [u[0], u[1], u[2], u[3], u[4], u[5], u[7], u[9]]
}

/// What the visitor is shown and can save: the code, the summary and the
/// `.ics` file (which holds no personal data: the code is enough).
fn confirmation(
    config: &AppointmentsConfig,
    site: &Site,
    a: &StoredAppointment,
    now: i64,
) -> BookingConfirmation {
    let described = Described::of(config, a);
    BookingConfirmation {
        code: a.code.clone(),
        ics: described.calendar_file(site, &a.code, now),
        service: described.service,
        office: described.office,
        address: described.address,
        date: a.date.clone(),
        start: a.start.clone(),
        end: a.end.clone(),
    }
}

#[derive(Debug, serde::Serialize)]
pub struct Cancelled {
    pub cancelled: bool,
}

/// `POST /api/v1/appointments/{code}/cancel` with `{site, email}`. The
/// same 404 for an unknown code and a wrong address: the API does not
/// tell which codes exist.
pub async fn cancel(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<CancelBooking>,
) -> Result<Json<Cancelled>, Failure> {
    let site = site_for(&state.config, &request.site, &headers)?;
    appointments_of(site)?;
    let not_found = || Failure::not_found("no booking with this code and e-mail address");
    let code = normalise_booking_code(&code).ok_or_else(not_found)?;
    let email = check_email(&request.email).map_err(|_| not_found())?;
    let now = now_ms();
    let config = appointments_of(site)?;
    let changed = state
        .storage
        .cancel_booking(
            &site.id,
            &code,
            Some(&email),
            None,
            &rfc3339_utc(now),
            now,
            |a| {
                state.booking_mails.as_ref().and_then(|mails| {
                    mails.compose(site, config, a, &BookingMailKind::CancelledByVisitor, now)
                })
            },
        )
        .await
        .map_err(storage_failure)?;
    match changed {
        Changed::Done(_) => {
            if let Some(mails) = &state.booking_mails {
                mails.mailer.queued();
            }
            tracing::info!(site = %site.id, "appointment cancelled");
        }
        // Cancelling twice is fine.
        Changed::AlreadyCancelled(_) => {}
        Changed::NotFound | Changed::Full => return Err(not_found()),
    }
    Ok(Json(Cancelled { cancelled: true }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ip: &str) -> String {
        client_key(ip.parse().unwrap()).unwrap()
    }

    #[test]
    fn a_client_is_counted_by_its_network_under_a_hash() {
        let k = key("203.0.113.7");
        assert_eq!(k.len(), 32);
        assert!(k.bytes().all(|b| b.is_ascii_hexdigit()));
        // Not the address, dotted or in hex (not "203" alone: a random
        // hash holds those three digits now and then).
        assert!(!k.contains("203.0") && !k.contains("cb007107"), "{k}");
        assert_eq!(
            key("::ffff:203.0.113.7"),
            k,
            "IPv4-mapped is the same client"
        );
        assert_ne!(key("203.0.113.8"), k);
        // An IPv6 client holds its whole /64.
        assert_eq!(
            key("2001:db8:1:2:aaaa::1"),
            key("2001:db8:1:2:ffff:ffff:ffff:ffff")
        );
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
    }
}
