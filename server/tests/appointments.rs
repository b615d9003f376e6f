//! Appointments over HTTP against a real server and SQLite: options and
//! free places from the site's configuration, booking with field checks
//! on the server, idempotent retries, no double booking of the last place
//! under concurrent requests, cancellation, and the staff's day list.

mod common;

use common::spawn_app_with_site;
use common::threads::{post, uuid, ORIGIN};
use serde_json::{json, Value};
use varco_core::booking::{rome_local, Date};
use varco_server::api::now_ms;

/// Open every day from 08:00 to 18:00, 30-minute slots, two desks at the
/// Milan office; the day after tomorrow is closed everywhere.
fn settings() -> String {
    let closed = tomorrow().add_days(1);
    format!(
        r#"
[sites.appointments]
slot_minutes = 30
capacity = 1
min_notice_hours = 0
days_ahead = 10
closed_dates = ["{closed}"]

[[sites.appointments.services]]
id = "spid"
title = {{ it = "Identità digitale SPID", en = "SPID digital identity" }}

[[sites.appointments.services]]
id = "firma-digitale"
title = "Firma digitale"

[[sites.appointments.offices]]
id = "milano"
name = {{ it = "Sede di Milano", en = "Milan office" }}
address = "Via Meravigli 9/b, Milano"
services = ["spid", "firma-digitale"]
capacity = 2
hours = [{{ days = ["lun", "mar", "mer", "gio", "ven", "sab", "dom"], open = "08:00", close = "18:00" }}]

[[sites.appointments.offices]]
id = "lodi"
name = "Sede di Lodi"
address = "Via Haussmann 11/15, Lodi"
services = ["firma-digitale"]
hours = [{{ days = ["lun"], open = "09:00", close = "12:00" }}]
"#
    )
}

fn tomorrow() -> Date {
    rome_local(now_ms()).0.add_days(1)
}

fn person() -> Value {
    json!({"nome": "Mario", "cognome": "Rossi", "codice_fiscale": "rssmra85t10a562s",
           "telefono": "333 123 4567", "email": "mario.rossi@example.it"})
}

fn booking(start: &str) -> Value {
    json!({"site": "milomb", "request_id": uuid(), "service": "spid", "office": "milano",
           "date": tomorrow().to_string(), "start": start, "person": person(),
           "privacy_acknowledged": true, "language": "it"})
}

async fn get(url: String) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap()
}

async fn free_places(base: &str, date: &str, start: &str) -> u64 {
    let r = get(format!(
        "{base}/api/v1/appointments/slots?site=milomb&office=milano&service=spid&from={date}&days=1"
    ))
    .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["days"][0]["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["start"] == start)
        .unwrap_or_else(|| panic!("no slot {start}: {body}"))["free"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn options_and_slots_come_from_the_configuration() {
    let app = spawn_app_with_site("", &settings()).await;
    let r = get(format!(
        "{}/api/v1/appointments/options?site=milomb&lang=en",
        app.base
    ))
    .await;
    assert_eq!(r.status(), 200);
    let options: Value = r.json().await.unwrap();
    assert_eq!(options["services"][0]["title"], "SPID digital identity");
    assert_eq!(options["offices"][0]["name"], "Milan office");
    assert_eq!(options["offices"][1]["services"], json!(["firma-digitale"]));

    let from = tomorrow().to_string();
    let r = get(format!(
        "{}/api/v1/appointments/slots?site=milomb&office=milano&service=spid&from={from}&days=3",
        app.base
    ))
    .await;
    let body: Value = r.json().await.unwrap();
    let days: Vec<&str> = body["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    let third = tomorrow().add_days(2).to_string();
    assert_eq!(
        days,
        [from.as_str(), third.as_str()],
        "the closed day is left out"
    );
    let slots = body["days"][0]["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 20, "08:00 to 18:00 in 30 minutes");
    assert_eq!(
        slots[0],
        json!({"start": "08:00", "end": "08:30", "free": 2})
    );

    // Lodi does not offer SPID.
    let r = get(format!(
        "{}/api/v1/appointments/slots?site=milomb&office=lodi&service=spid",
        app.base
    ))
    .await;
    assert_eq!(r.status(), 422);
    app.stop().await;
}

#[tokio::test]
async fn a_booking_gets_a_code_and_a_calendar_file_and_a_retry_gets_the_same() {
    let app = spawn_app_with_site("", &settings()).await;
    let body = booking("10:00");
    let r = post(&app.base, "/api/v1/appointments", body.clone()).await;
    assert_eq!(r.status(), 201);
    let confirmation: Value = r.json().await.unwrap();
    let code = confirmation["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 9, "XXXX-XXXX: {code}");
    assert_eq!(confirmation["office"], "Sede di Milano");
    assert_eq!(confirmation["service"], "Identità digitale SPID");
    assert_eq!(confirmation["end"], "10:30");
    let ics = confirmation["ics"].as_str().unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    assert!(
        ics.contains("BEGIN:VEVENT") && ics.contains("DTSTART:"),
        "{ics}"
    );
    assert!(ics.contains(&code), "the code is in the event");
    assert!(
        !ics.to_uppercase().contains("RSSMRA85T10A562S") && !ics.contains("Rossi"),
        "no personal data in the calendar file"
    );

    // The answer was lost; the widget sends the same request again.
    let again = post(&app.base, "/api/v1/appointments", body).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["code"], code.as_str());
    assert_eq!(
        free_places(&app.base, &tomorrow().to_string(), "10:00").await,
        1,
        "one place taken, not two"
    );

    // Stored normalised, and listed for the desk.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_varco-server"))
        .arg("--config")
        .arg(&app.config_file)
        .args(["appointments", "list", "--site", "milomb", "--date"])
        .arg(tomorrow().to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("date,start,end,office,service,code,cognome,nome"));
    assert!(
        lines[1].contains(&code) && lines[1].contains("RSSMRA85T10A562S"),
        "{csv}"
    );
    assert!(lines[1].contains("mario.rossi@example.it"), "{csv}");
    app.stop().await;
}

#[tokio::test]
async fn the_server_checks_every_field_and_the_slot() {
    let app = spawn_app_with_site("", &settings()).await;
    let mut body = booking("10:00");
    body["person"]["codice_fiscale"] = json!("RSSMRA85T10A562T");
    body["person"]["email"] = json!("mario.rossi@");
    body["person"]["telefono"] = json!("12");
    body["privacy_acknowledged"] = json!(false);
    let r = post(&app.base, "/api/v1/appointments", body).await;
    assert_eq!(r.status(), 422);
    let errors: Value = r.json().await.unwrap();
    let fields: Vec<(&str, &str)> = errors["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            ("codice_fiscale", "check_character"),
            ("telefono", "format"),
            ("email", "format"),
            ("privacy_acknowledged", "missing"),
        ],
        "{errors}"
    );
    assert!(errors["fields"][0]["message"]
        .as_str()
        .unwrap()
        .contains("codice fiscale"));

    // A time that is not a slot, a closed day, a day too far.
    for (date, start) in [
        (tomorrow(), "10:10"),
        (tomorrow().add_days(1), "10:00"),
        (tomorrow().add_days(40), "10:00"),
    ] {
        let mut body = booking(start);
        body["date"] = json!(date.to_string());
        let r = post(&app.base, "/api/v1/appointments", body).await;
        assert_eq!(r.status(), 422, "{date} {start}");
        let errors: Value = r.json().await.unwrap();
        assert_eq!(errors["fields"][0]["field"], "start");
    }
    let storage = varco_server::storage::Storage::open(&app.db).await.unwrap();
    assert!(storage
        .appointments_on("milomb", &tomorrow().to_string())
        .await
        .unwrap()
        .is_empty());
    storage.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_visitors_at_once_never_take_more_places_than_the_slot_has() {
    // The visitors all come from this machine's address: its per-client
    // limit on bookings is raised to let them all through.
    let app = spawn_app_with_site(
        "[server.rate_limits]\nbooking = { burst = 40, per_minute = 40 }",
        &settings(),
    )
    .await;
    let attempts = 40;
    let tasks: Vec<_> = (0..attempts)
        .map(|_| {
            let base = app.base.clone();
            tokio::spawn(async move {
                post(&base, "/api/v1/appointments", booking("11:00"))
                    .await
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let created = statuses.iter().filter(|s| **s == 201).count();
    let full = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!(created, 2, "capacity 2: {statuses:?}");
    assert_eq!(full, attempts - 2, "{statuses:?}");
    let storage = varco_server::storage::Storage::open(&app.db).await.unwrap();
    let stored = storage
        .appointments_on("milomb", &tomorrow().to_string())
        .await
        .unwrap();
    storage.close().await;
    assert_eq!(stored.len(), 2);
    assert_eq!(
        free_places(&app.base, &tomorrow().to_string(), "11:00").await,
        0
    );
    app.stop().await;
}

#[tokio::test]
async fn a_booking_is_cancelled_with_its_code_and_email_and_the_place_is_free_again() {
    let app = spawn_app_with_site("", &settings()).await;
    let r = post(&app.base, "/api/v1/appointments", booking("12:00")).await;
    let code = r.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let date = tomorrow().to_string();
    assert_eq!(free_places(&app.base, &date, "12:00").await, 1);
    let cancel = |code: String, email: &'static str| {
        let base = app.base.clone();
        async move {
            post(
                &base,
                &format!("/api/v1/appointments/{code}/cancel"),
                json!({"site": "milomb", "email": email}),
            )
            .await
            .status()
        }
    };
    assert_eq!(cancel(code.clone(), "someone.else@example.it").await, 404);
    assert_eq!(
        cancel("ZZZZ-ZZZZ".into(), "mario.rossi@example.it").await,
        404
    );
    // Lowercase and without the dash, as people type it.
    let typed = code.to_lowercase().replace('-', "");
    assert_eq!(cancel(typed, "Mario.Rossi@Example.it").await, 200);
    assert_eq!(
        cancel(code.clone(), "mario.rossi@example.it").await,
        200,
        "twice is fine"
    );
    assert_eq!(free_places(&app.base, &date, "12:00").await, 2);
    app.stop().await;
}
