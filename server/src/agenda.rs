//! What the booking features share: a booking as a visitor reads it, and
//! the free places of an office. Plain functions over the configuration
//! and the storage.

use crate::config::appointments::{AppointmentsConfig, OfficeConfig};
use crate::config::Site;
use crate::storage::{Storage, StoredAppointment};
use varco_core::booking::{
    calendar_texts, format_hhmm, ics, parse_hhmm, rome_local, rome_to_utc_ms, slots, CalendarEvent,
    Date, Schedule,
};
use varco_core::lang::Lang;
use varco_protocol::booking::{DaySlots, SlotInfo};

/// What a visitor reads about a booking, in the booking's language.
pub struct Described {
    pub lang: Lang,
    pub service: String,
    pub office: String,
    pub address: String,
    pub date: Date,
    pub start: u16,
    pub end: u16,
}

impl Described {
    pub fn of(config: &AppointmentsConfig, a: &StoredAppointment) -> Described {
        let lang = if a.language.starts_with("en") {
            Lang::En
        } else {
            Lang::It
        };
        let service = config
            .service(&a.service)
            .map_or(a.service.clone(), |s| s.title.get(lang.code()).to_owned());
        let (office, address) = config.office(&a.office).map_or_else(
            || (a.office.clone(), String::new()),
            |o| (o.name.get(lang.code()).to_owned(), o.address.clone()),
        );
        Described {
            lang,
            service,
            office,
            address,
            date: Date::parse(&a.date).unwrap_or(Date {
                year: 1970,
                month: 1,
                day: 1,
            }),
            start: parse_hhmm(&a.start).unwrap_or(0),
            end: parse_hhmm(&a.end).unwrap_or(0),
        }
    }

    pub fn starts_at_ms(&self) -> i64 {
        rome_to_utc_ms(self.date, self.start)
    }

    /// The office and its address, as a calendar's location.
    pub fn place(&self) -> String {
        if self.address.is_empty() {
            self.office.clone()
        } else {
            format!("{}, {}", self.office, self.address)
        }
    }

    /// The appointment as an `.ics` file (no personal data: the code is
    /// enough), stamped `now_ms`.
    pub fn calendar_file(&self, site: &Site, code: &str, now_ms: i64) -> String {
        let (summary, description) = calendar_texts(self.lang, &self.service, &site.name, code);
        let uid = format!("{code}@{}.varco", site.id);
        ics(&CalendarEvent {
            uid: &uid,
            summary: &summary,
            location: &self.place(),
            description: &description,
            start_utc_ms: rome_to_utc_ms(self.date, self.start),
            end_utc_ms: rome_to_utc_ms(self.date, self.end),
            created_utc_ms: now_ms,
        })
    }
}

/// The days from `from` (at most `days`, none past the site's
/// `days_ahead`) on which `office` is open, each with its slots and their
/// free places at `now`.
pub async fn free_days(
    storage: &Storage,
    site: &str,
    config: &AppointmentsConfig,
    office: &OfficeConfig,
    from: Date,
    days: u16,
    now: i64,
) -> anyhow::Result<Vec<DaySlots>> {
    let (today, _) = rome_local(now);
    let last = today.add_days(i64::from(config.days_ahead));
    let schedule = schedule(storage, site, config, office, today).await?;
    let mut out = Vec::new();
    for i in 0..i64::from(days) {
        let date = from.add_days(i);
        if date.days_from_epoch() > last.days_from_epoch() {
            break;
        }
        let taken = storage
            .places_taken(site, &office.id, &date.to_string())
            .await?;
        let day = slots(&schedule, date, now, config.min_notice_minutes(), |start| {
            let start = format_hhmm(start);
            taken
                .iter()
                .find(|(s, _)| *s == start)
                .map_or(0, |(_, n)| *n)
        });
        if !day.is_empty() {
            out.push(DaySlots {
                date: date.to_string(),
                slots: day
                    .into_iter()
                    .map(|(start, end, free)| SlotInfo {
                        start: format_hhmm(start),
                        end: format_hhmm(end),
                        free,
                    })
                    .collect(),
            });
        }
    }
    Ok(out)
}

/// When `office` receives by appointment: its configuration, with the
/// days closed from the console (for it, or for every office of the site)
/// from `from` on.
pub async fn schedule(
    storage: &Storage,
    site: &str,
    config: &AppointmentsConfig,
    office: &OfficeConfig,
    from: Date,
) -> anyhow::Result<Schedule> {
    let mut schedule = config.schedule(office);
    schedule.closed_dates.extend(
        storage
            .closed_days(site, &from.to_string())
            .await?
            .into_iter()
            .filter(|d| d.office == "*" || d.office == office.id)
            .filter_map(|d| Date::parse(&d.date)),
    );
    Ok(schedule)
}

/// Bookings as CSV (RFC 4180), one line each after the header: what staff
/// export from the console and `varco-server appointments list` prints.
pub fn csv(rows: &[StoredAppointment]) -> String {
    let mut out = String::from(
        "date,start,end,office,service,code,cognome,nome,codice_fiscale,telefono,email,created_at,cancelled_at,outcome,cancelled_by,cancel_reason\r\n",
    );
    for a in rows {
        let fields = [
            a.date.as_str(),
            &a.start,
            &a.end,
            &a.office,
            &a.service,
            &a.code,
            &a.cognome,
            &a.nome,
            &a.codice_fiscale,
            &a.telefono,
            &a.email,
            &a.created_at,
            a.cancelled_at.as_deref().unwrap_or(""),
            a.outcome.as_deref().unwrap_or(""),
            cancelled_by(a).unwrap_or(""),
            a.cancel_reason.as_deref().unwrap_or(""),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Who cancelled a booking: an operator's username, `visitor`, or none.
pub fn cancelled_by(a: &StoredAppointment) -> Option<&str> {
    match (&a.cancelled_at, &a.cancelled_by) {
        (None, _) => None,
        (Some(_), Some(operator)) => Some(operator),
        (Some(_), None) => Some("visitor"),
    }
}

/// Quotes a CSV field when it needs it (RFC 4180); a leading `=`, `+`, `-`
/// or `@` is prefixed with `'` so that a spreadsheet never runs it as a formula.
pub fn csv_field(f: &str) -> String {
    let f = if f.starts_with(['=', '+', '-', '@']) {
        format!("'{f}")
    } else {
        f.to_owned()
    };
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f
    }
}
