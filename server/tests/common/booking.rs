//! Bookings from a test: a site whose office is open every day, the first
//! day that is no holiday, and a booking made as the assistant makes it.

use super::threads::{post, uuid};
use serde_json::{json, Value};
use varco_core::booking::{rome_local, Date};
use varco_core::holidays::Calendar;
use varco_server::api::now_ms;

/// Open every day from 08:00 to 18:00, 30-minute slots, one place each.
pub const APPOINTMENTS: &str = r#"
[sites.appointments]
max_active_per_person = 5
max_active_per_email = 5
max_active_per_client = 10
slot_minutes = 30
capacity = 1
min_notice_hours = 0
days_ahead = 10

[[sites.appointments.services]]
id = "spid"
title = { it = "Identità digitale SPID", en = "SPID digital identity" }

[[sites.appointments.offices]]
id = "milano"
name = { it = "Sede di Milano", en = "Milan office" }
address = "Via Meravigli 9/b, 20123 Milano"
services = ["spid"]
hours = [{ days = ["lun", "mar", "mer", "gio", "ven", "sab", "dom"], open = "08:00", close = "18:00" }]
"#;

/// The first day after today that is no holiday in Milano.
pub fn open_day() -> Date {
    let calendar = Calendar {
        open_on_holidays: false,
        patron_day: varco_core::holidays::patron_day("Milano").map(|(day, _)| day),
    };
    let mut day = rome_local(now_ms()).0.add_days(1);
    while calendar.closes(day) {
        day = day.add_days(1);
    }
    day
}

pub async fn book(base: &str, date: Date, start: &str, lang: &str) -> Value {
    let r = post(
        base,
        "/api/v1/appointments",
        json!({"site": "milomb", "request_id": uuid(), "service": "spid", "office": "milano",
               "date": date.to_string(), "start": start,
               "person": {"nome": "Maria", "cognome": "D'Amico", "codice_fiscale": "rssmra85t10a562s",
                          "telefono": "333 123 4567", "email": "maria.damico@example.it"},
               "privacy_acknowledged": true, "language": lang}),
    )
    .await;
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}
