//! `[sites.appointments]`: the services and offices a site books, checked
//! at load, and what they mean for `varco_core::booking`.

use super::hours::{check_hours, intervals, HoursConfig};
use serde::Deserialize;
use varco_core::booking::{BookingLimits, Date, Schedule};
use varco_core::booking_request::{
    booking_request, booking_request_reply, Bookable, BookableOffice,
};
use varco_core::holidays::{comune_of_address, patron_day, Calendar, YearlyDay};
use varco_core::lang::Lang;
use varco_protocol::chat::BookingChoice;
use varco_protocol::Localized;

/// `[sites.appointments]` in the server's TOML.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AppointmentsConfig {
    /// Length of a slot, in minutes (default 20); an office may override it.
    #[serde(default = "default_slot_minutes")]
    pub slot_minutes: u16,
    /// Visitors per slot (default 1: one desk); an office may override it.
    #[serde(default = "default_capacity")]
    pub capacity: u32,
    /// How long before a slot it can still be booked (default 2 hours).
    #[serde(default = "default_min_notice_hours")]
    pub min_notice_hours: u16,
    /// How far ahead slots are offered (default 30 days).
    #[serde(default = "default_days_ahead")]
    pub days_ahead: u16,
    /// Closures of every office beyond the national holidays and each
    /// office's patron day (which close without being listed), `YYYY-MM-DD`.
    #[serde(default)]
    pub closed_dates: Vec<String>,
    pub services: Vec<ServiceConfig>,
    pub offices: Vec<OfficeConfig>,
    /// Active bookings (not cancelled, not yet begun) one codice fiscale may
    /// hold at once (default 2: what one person needs, e.g. two services
    /// on different days).
    #[serde(default = "default_max_active_per_person")]
    pub max_active_per_person: u32,
    /// Active bookings under one e-mail address (default 3: a family or a
    /// colleague booking with one address), counted lowercased and without
    /// a `+tag`.
    #[serde(default = "default_max_active_per_email")]
    pub max_active_per_email: u32,
    /// Active bookings made from one client (its IP address; an IPv6
    /// client by its /64) (default 5: an office or a household behind one
    /// address).
    #[serde(default = "default_max_active_per_client")]
    pub max_active_per_client: u32,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    pub id: String,
    pub title: Localized,
    /// Other names a visitor may call the service by in the assistant
    /// («CNS», «visura», «digital signature»): a booking request that names
    /// it opens the booking flow with it chosen.
    #[serde(default)]
    pub synonyms: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OfficeConfig {
    pub id: String,
    pub name: Localized,
    /// Other names of the office for booking requests («Milan»,
    /// «Brianza»); its id and names count already.
    #[serde(default)]
    pub synonyms: Vec<String>,
    pub address: String,
    /// Ids of the services offered here.
    pub services: Vec<String>,
    pub hours: Vec<HoursConfig>,
    #[serde(default)]
    pub slot_minutes: Option<u16>,
    #[serde(default)]
    pub capacity: Option<u32>,
    /// Closures of this office only, `YYYY-MM-DD`.
    #[serde(default)]
    pub closed_dates: Vec<String>,
    /// The patron day of the office's comune, `MM-DD`, or `"none"`. When
    /// absent it is found from the comune after the CAP in `address`, for
    /// the comuni `varco_core::holidays` knows.
    #[serde(default)]
    pub patron_day: Option<String>,
}

impl OfficeConfig {
    /// The office's patron day: `Ok(None)` when it has none, `Err` with
    /// what to set when it is not known.
    pub fn patron_day_in_force(&self) -> Result<Option<YearlyDay>, String> {
        match self.patron_day.as_deref() {
            Some("none") => Ok(None),
            Some(day) => YearlyDay::parse(day)
                .map(Some)
                .ok_or_else(|| format!("patron_day: {day:?} is not a day of the year (MM-DD) or \"none\"")),
            None => match comune_of_address(&self.address) {
                Some(comune) => patron_day(comune).map(|(day, _)| Some(day)).ok_or_else(|| {
                    format!(
                        "patron_day: the patron day of {comune} is not known to Varco; set it (MM-DD), or \"none\""
                    )
                }),
                None => Err(
                    "patron_day: the address names no comune after a CAP; set the patron day (MM-DD), or \"none\"".into(),
                ),
            },
        }
    }
}

fn default_slot_minutes() -> u16 {
    20
}
fn default_capacity() -> u32 {
    1
}
fn default_min_notice_hours() -> u16 {
    2
}
fn default_days_ahead() -> u16 {
    30
}
fn default_max_active_per_person() -> u32 {
    2
}
fn default_max_active_per_email() -> u32 {
    3
}
fn default_max_active_per_client() -> u32 {
    5
}

/// The most a limit on active bookings may be set to.
const MAX_LIMIT: u32 = 1000;

impl AppointmentsConfig {
    /// Every problem, each naming its field.
    pub fn check(&self) -> Vec<String> {
        let mut errors = Vec::new();
        let id_ok = |id: &str| {
            !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if !(5..=240).contains(&self.slot_minutes) {
            errors.push(format!(
                "slot_minutes: {} is out of range (5 to 240)",
                self.slot_minutes
            ));
        }
        if !(1..=100).contains(&self.capacity) {
            errors.push(format!(
                "capacity: {} is out of range (1 to 100)",
                self.capacity
            ));
        }
        if !(1..=366).contains(&self.days_ahead) {
            errors.push(format!(
                "days_ahead: {} is out of range (1 to 366)",
                self.days_ahead
            ));
        }
        for (i, d) in self.closed_dates.iter().enumerate() {
            if Date::parse(d).is_none() {
                errors.push(format!(
                    "closed_dates[{i}]: {d:?} is not a date (YYYY-MM-DD)"
                ));
            }
        }
        for (field, value) in [
            ("max_active_per_person", self.max_active_per_person),
            ("max_active_per_email", self.max_active_per_email),
            ("max_active_per_client", self.max_active_per_client),
        ] {
            if !(1..=MAX_LIMIT).contains(&value) {
                errors.push(format!(
                    "{field}: {value} is out of range (1 to {MAX_LIMIT})"
                ));
            }
        }
        if self.services.is_empty() {
            errors.push("services: at least one service is needed".into());
        }
        for (i, s) in self.services.iter().enumerate() {
            if !id_ok(&s.id) {
                errors.push(format!(
                    "services[{i}].id: {:?} must be lowercase letters, digits or -",
                    s.id
                ));
            }
            if self.services[..i].iter().any(|o| o.id == s.id) {
                errors.push(format!("services[{i}].id: {:?} is declared twice", s.id));
            }
        }
        if self.offices.is_empty() {
            errors.push("offices: at least one office is needed".into());
        }
        for (i, o) in self.offices.iter().enumerate() {
            let at = format!("offices[{i}] ({})", o.id);
            if !id_ok(&o.id) {
                errors.push(format!("{at}.id: must be lowercase letters, digits or -"));
            }
            if self.offices[..i].iter().any(|p| p.id == o.id) {
                errors.push(format!("{at}.id: declared twice"));
            }
            for s in &o.services {
                if !self.services.iter().any(|x| &x.id == s) {
                    errors.push(format!("{at}.services: {s:?} is not in `services`"));
                }
            }
            if o.hours.is_empty() {
                errors.push(format!("{at}.hours: the office has no opening hours"));
            }
            errors.extend(check_hours(&format!("{at}.hours"), &o.hours));
            if let Some(m) = o.slot_minutes {
                if !(5..=240).contains(&m) {
                    errors.push(format!("{at}.slot_minutes: {m} is out of range (5 to 240)"));
                }
            }
            if let Some(c) = o.capacity {
                if !(1..=100).contains(&c) {
                    errors.push(format!("{at}.capacity: {c} is out of range (1 to 100)"));
                }
            }
            for (j, d) in o.closed_dates.iter().enumerate() {
                if Date::parse(d).is_none() {
                    errors.push(format!(
                        "{at}.closed_dates[{j}]: {d:?} is not a date (YYYY-MM-DD)"
                    ));
                }
            }
            // A patron day that is set must be one; one that cannot be
            // found is a warning (see `warnings`).
            if o.patron_day.is_some() {
                if let Err(e) = o.patron_day_in_force() {
                    errors.push(format!("{at}.{e}"));
                }
            }
        }
        errors
    }

    /// What the server starts with but an operator should mend: an office
    /// whose patron day is not known takes appointments on it.
    pub fn warnings(&self) -> Vec<String> {
        self.offices
            .iter()
            .enumerate()
            .filter(|(_, o)| o.patron_day.is_none())
            .filter_map(|(i, o)| {
                o.patron_day_in_force()
                    .err()
                    .map(|e| format!("offices[{i}] ({}).{e}", o.id))
            })
            .collect()
    }

    pub(crate) fn office(&self, id: &str) -> Option<&OfficeConfig> {
        self.offices.iter().find(|o| o.id == id)
    }

    pub(crate) fn service(&self, id: &str) -> Option<&ServiceConfig> {
        self.services.iter().find(|s| s.id == id)
    }

    /// The office's schedule, for `varco_core::booking` (checked config).
    pub(crate) fn schedule(&self, office: &OfficeConfig) -> Schedule {
        Schedule {
            hours: intervals(&office.hours),
            closed_dates: self
                .closed_dates
                .iter()
                .chain(&office.closed_dates)
                .filter_map(|d| Date::parse(d))
                .collect(),
            calendar: Calendar {
                open_on_holidays: false,
                patron_day: office.patron_day_in_force().ok().flatten(),
            },
            slot_minutes: office.slot_minutes.unwrap_or(self.slot_minutes),
            capacity: office.capacity.unwrap_or(self.capacity),
        }
    }

    pub(crate) fn min_notice_minutes(&self) -> u16 {
        self.min_notice_hours.saturating_mul(60)
    }

    /// The choices a visitor's message names, if it asks to book (see
    /// `varco_core::booking_request`), and what the assistant answers.
    pub fn booking_request(
        &self,
        question: &str,
        language: &str,
    ) -> Option<(BookingChoice, String)> {
        let names = |localized: &Localized| -> Vec<String> {
            match localized {
                Localized::Plain(s) => vec![s.clone()],
                Localized::ByLanguage(map) => map.values().cloned().collect(),
            }
        };
        let services: Vec<Bookable> = self
            .services
            .iter()
            .map(|s| Bookable {
                id: s.id.clone(),
                names: names(&s.title)
                    .into_iter()
                    .chain(s.synonyms.iter().cloned())
                    .collect(),
            })
            .collect();
        let offices: Vec<BookableOffice> = self
            .offices
            .iter()
            .map(|o| BookableOffice {
                place: Bookable {
                    id: o.id.clone(),
                    names: names(&o.name)
                        .into_iter()
                        .chain(o.synonyms.iter().cloned())
                        .collect(),
                },
                services: o.services.clone(),
            })
            .collect();
        let request = booking_request(question, &services, &offices)?;
        let lang = if language == "en" { Lang::En } else { Lang::It };
        let service = request
            .service
            .as_deref()
            .and_then(|id| self.service(id))
            .map(|s| s.title.get(lang.code()));
        let office_name = |id: Option<&str>| {
            id.and_then(|id| self.office(id))
                .map(|o| o.name.get(lang.code()))
        };
        let text = booking_request_reply(
            lang,
            service,
            office_name(request.office.as_deref()),
            office_name(request.office_without_service.as_deref()),
        );
        Some((
            BookingChoice {
                service: request.service,
                office: request.office,
            },
            text,
        ))
    }

    pub(crate) fn limits(&self) -> BookingLimits {
        BookingLimits {
            per_person: self.max_active_per_person,
            per_email: self.max_active_per_email,
            per_client: self.max_active_per_client,
        }
    }
}
