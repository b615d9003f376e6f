//! Appointments over HTTP against a real server and SQLite: options and
//! free places from the site's configuration, booking with field checks
//! on the server, idempotent retries, no double booking of the last place
//! under concurrent requests, cancellation, and the staff's day list.

use crate::common;

use common::spawn_app_with_site;
use common::threads::{post, uuid, ORIGIN};
use serde_json::{json, Value};
use varco_core::booking::{check_codice_fiscale, rome_local, Date};
use varco_core::holidays::Calendar;
use varco_server::api::now_ms;

/// Open every day from 08:00 to 18:00, 30-minute slots, two desks at the
/// Milan office; the day after tomorrow is closed everywhere.
fn settings() -> String {
    settings_with("")
}

/// [`settings`] with `limits` added to `[sites.appointments]`.
fn settings_with(limits: &str) -> String {
    let closed = tomorrow().add_days(1);
    format!(
        r#"
[sites.appointments]
{limits}
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

/// The first day from tomorrow on which, as two days later, no national
/// holiday falls (the tests book both; the day between is closed by the
/// settings): "tomorrow" on most days of the year.
fn tomorrow() -> Date {
    let holidays = Calendar::default();
    let mut day = rome_local(now_ms()).0.add_days(1);
    while holidays.closes(day) || holidays.closes(day.add_days(2)) {
        day = day.add_days(1);
    }
    day
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

/// The days the Milan office lists for SPID from `from`, `days` of them
/// at most (closed ones left out), and the whole answer.
async fn listed_days(base: &str, from: &str, days: u32) -> (Vec<String>, Value) {
    let r = get(format!(
        "{base}/api/v1/appointments/slots?site=milomb&office=milano&service=spid&from={from}&days={days}"
    ))
    .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let listed = body["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap().to_owned())
        .collect();
    (listed, body)
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
    let (days, body) = listed_days(&app.base, &from, 3).await;
    let third = tomorrow().add_days(2).to_string();
    assert_eq!(days, [from, third], "the closed day is left out");
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
    let storage = varco_server::storage::Storage::open(&app.database)
        .await
        .unwrap();
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
    // Forty people from one address (a test's client): its per-client limits
    // (the booking rate and the active bookings) are raised, so that the
    // slot's capacity is what refuses them.
    let app = spawn_app_with_site(
        "[server.rate_limits]\nbooking = { burst = 40, per_minute = 40 }",
        &settings_with("max_active_per_client = 100"),
    )
    .await;
    let attempts = 40;
    let tasks: Vec<_> = (0..attempts)
        .map(|i| {
            let base = app.base.clone();
            let mut body = booking("11:00");
            body["person"] = someone(i);
            tokio::spawn(async move {
                post(&base, "/api/v1/appointments", body)
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
    let storage = varco_server::storage::Storage::open(&app.database)
        .await
        .unwrap();
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

/// Person number `i`: a valid codice fiscale and an e-mail address of
/// their own.
fn someone(i: usize) -> Value {
    json!({"nome": "Mario", "cognome": "Rossi", "codice_fiscale": codice_fiscale(i),
           "telefono": "333 123 4567", "email": format!("persona{i}@example.it")})
}

/// A valid codice fiscale for each `i` below 1000 (the place code varies).
fn codice_fiscale(i: usize) -> String {
    let first = format!("RSSMRA85T10A{i:03}");
    ('A'..='Z')
        .map(|check| format!("{first}{check}"))
        .find(|cf| check_codice_fiscale(cf).is_ok())
        .unwrap()
}

/// The first 30 free slots of the Milan office: tomorrow's twenty and ten
/// of the day after the closed day.
fn thirty_slots() -> Vec<(String, String)> {
    let times: Vec<String> = (8..18)
        .flat_map(|h| [format!("{h:02}:00"), format!("{h:02}:30")])
        .collect();
    [tomorrow(), tomorrow().add_days(2)]
        .iter()
        .flat_map(|d| times.iter().map(move |t| (d.to_string(), t.clone())))
        .take(30)
        .collect()
}

/// A script that asks for thirty slots at once, each with `person(i)`;
/// returns the answers (status, body) and what the desk's lists hold.
/// The per-client booking rate (`[server.rate_limits] booking`) out of
/// reach, so that the limits on active bookings are what refuses a script.
const BOOKING_RATE_OUT_OF_REACH: &str =
    "[server.rate_limits]\nbooking = { burst = 100, per_minute = 100 }";

async fn take_thirty_slots(
    app: &common::App,
    person: impl Fn(usize) -> Value,
) -> (Vec<(u16, Value)>, usize) {
    let tasks: Vec<_> = thirty_slots()
        .into_iter()
        .enumerate()
        .map(|(i, (date, start))| {
            let base = app.base.clone();
            let mut body = booking(&start);
            body["date"] = json!(date);
            body["person"] = person(i);
            tokio::spawn(async move {
                let r = post(&base, "/api/v1/appointments", body).await;
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let storage = varco_server::storage::Storage::open(&app.database)
        .await
        .unwrap();
    let mut stored = 0;
    for day in [tomorrow(), tomorrow().add_days(2)] {
        stored += storage
            .appointments_on("milomb", &day.to_string())
            .await
            .unwrap()
            .len();
    }
    storage.close().await;
    (answers, stored)
}

/// Asserts `allowed` bookings and a `booking_limit_reached` for the rest,
/// each with `message`.
fn assert_only(answers: &[(u16, Value)], allowed: usize, message: &str) {
    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, allowed, "{answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != 201) {
        assert_eq!(*status, 409, "{body}");
        assert_eq!(body["error"], "booking_limit_reached", "{body}");
        assert_eq!(body["message"], message, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_script_asking_for_thirty_slots_with_one_codice_fiscale_gets_two() {
    let app = spawn_app_with_site(BOOKING_RATE_OUT_OF_REACH, &settings()).await;
    // The same person each time, with the address written differently.
    let (answers, stored) = take_thirty_slots(&app, |i| {
        let mut p = person();
        if i % 2 == 1 {
            p["codice_fiscale"] = json!("RSS MRA 85T10 A562S");
            p["email"] = json!(format!("mario.rossi+{i}@example.it"));
        }
        p
    })
    .await;
    assert_only(
        &answers,
        2,
        "Con questo codice fiscale hai già 2 appuntamenti prenotati, il massimo consentito. Per prenotarne un altro, annulla prima uno di quelli che hai.",
    );
    assert_eq!(stored, 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_script_asking_for_thirty_slots_with_one_email_address_gets_three() {
    let app = spawn_app_with_site(BOOKING_RATE_OUT_OF_REACH, &settings()).await;
    // Thirty people, one mailbox (its tags and case do not make it another).
    let (answers, stored) = take_thirty_slots(&app, |i| {
        let mut p = someone(i);
        p["email"] = json!(match i % 3 {
            0 => "segreteria@example.it".to_owned(),
            1 => "Segreteria@EXAMPLE.it".to_owned(),
            _ => format!("segreteria+{i}@example.it"),
        });
        p
    })
    .await;
    assert_only(
        &answers,
        3,
        "Con questo indirizzo email sono già stati prenotati 3 appuntamenti, il massimo consentito. Per prenotarne un altro, annulla prima uno di quelli prenotati.",
    );
    assert_eq!(stored, 3);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_script_asking_for_thirty_slots_for_thirty_people_from_one_client_gets_five() {
    let app = spawn_app_with_site(BOOKING_RATE_OUT_OF_REACH, &settings()).await;
    let (answers, stored) = take_thirty_slots(&app, someone).await;
    assert_only(
        &answers,
        5,
        "Da questa connessione a Internet sono già stati prenotati 5 appuntamenti, il massimo consentito. Per prenotarne un altro, annulla prima uno di quelli prenotati oppure contatta l'ufficio.",
    );
    assert_eq!(stored, 5);
    // No client address is stored: the key is a hash.
    let keys = common::database::texts(&app.database, "SELECT client_key FROM appointments").await;
    assert_eq!(keys.len(), 5);
    assert!(
        keys.iter()
            .all(|k| k.len() == 32 && k.bytes().all(|b| b.is_ascii_hexdigit())),
        "{keys:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_limits_are_the_sites_and_a_cancellation_frees_a_place_in_them() {
    let limits = "max_active_per_person = 1\nmax_active_per_email = 10\nmax_active_per_client = 10";
    let app = spawn_app_with_site("", &settings_with(limits)).await;
    let first = post(&app.base, "/api/v1/appointments", booking("09:00")).await;
    assert_eq!(first.status(), 201);
    let code = first.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut second = booking("09:30");
    second["language"] = json!("en");
    let r = post(&app.base, "/api/v1/appointments", second.clone()).await;
    assert_eq!(r.status(), 409);
    let refusal: Value = r.json().await.unwrap();
    assert_eq!(refusal["error"], "booking_limit_reached");
    assert_eq!(
        refusal["message"],
        "You already have an appointment booked with this codice fiscale, the maximum allowed. To book another one, first cancel the one you have."
    );
    assert_eq!(
        free_places(&app.base, &tomorrow().to_string(), "09:30").await,
        2,
        "nothing was taken"
    );

    let cancelled = post(
        &app.base,
        &format!("/api/v1/appointments/{code}/cancel"),
        json!({"site": "milomb", "email": "mario.rossi@example.it"}),
    )
    .await;
    assert_eq!(cancelled.status(), 200);
    // The same request again (a retry by the widget) now books.
    let r = post(&app.base, "/api/v1/appointments", second.clone()).await;
    assert_eq!(r.status(), 201);
    // And its retry gets the same booking back, not a refusal.
    let again = post(&app.base, "/api/v1/appointments", second).await;
    assert_eq!(again.status(), 200);
    let r = post(&app.base, "/api/v1/appointments", booking("10:00")).await;
    assert_eq!(r.status(), 409);
    app.stop().await;
}

#[tokio::test]
async fn bookings_already_begun_or_cancelled_do_not_count() {
    let limits = "max_active_per_person = 1";
    let app = spawn_app_with_site("", &settings_with(limits)).await;
    // Yesterday's appointment of the same person (as the desk's list
    // keeps it until the purge).
    let storage = varco_server::storage::Storage::open(&app.database)
        .await
        .unwrap();
    let yesterday = rome_local(now_ms()).0.add_days(-1).to_string();
    let past = varco_server::storage::NewAppointment {
        code: "PAST-0001".into(),
        site: "milomb".into(),
        request_id: uuid(),
        service: "spid".into(),
        office: "milano".into(),
        date: yesterday.clone(),
        start: "10:00".into(),
        end: "10:30".into(),
        starts_at: varco_core::consent::rfc3339_utc(now_ms() - 86_400_000),
        person: serde_json::from_value(json!({"nome": "Mario", "cognome": "Rossi",
            "codice_fiscale": "RSSMRA85T10A562S", "telefono": "3331234567",
            "email": "mario.rossi@example.it"}))
        .unwrap(),
        language: "it".into(),
        created_at: varco_core::consent::rfc3339_utc(now_ms() - 2 * 86_400_000),
        client_key: "past".into(),
    };
    let booked = storage
        .book_appointment(
            &past,
            1,
            varco_core::booking::BookingLimits {
                per_person: 1,
                per_email: 1,
                per_client: 1,
            },
            None,
            now_ms(),
        )
        .await
        .unwrap();
    assert!(
        matches!(booked, varco_server::storage::Booked::Created),
        "{booked:?}"
    );
    storage.close().await;

    let first = post(&app.base, "/api/v1/appointments", booking("14:00")).await;
    assert_eq!(first.status(), 201, "yesterday's does not count");
    let code = first.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        post(&app.base, "/api/v1/appointments", booking("14:30"))
            .await
            .status(),
        409
    );
    post(
        &app.base,
        &format!("/api/v1/appointments/{code}/cancel"),
        json!({"site": "milomb", "email": "mario.rossi@example.it"}),
    )
    .await;
    assert_eq!(
        post(&app.base, "/api/v1/appointments", booking("14:30"))
            .await
            .status(),
        201,
        "a cancelled one does not count"
    );
    app.stop().await;
}

#[tokio::test]
async fn limits_out_of_range_are_configuration_errors() {
    let toml = common::CONFIG.to_owned()
        + &settings_with("max_active_per_person = 0\nmax_active_per_client = 1001");
    let err = varco_server::config::Config::parse(&toml, std::path::Path::new("."))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("appointments.max_active_per_person: 0 is out of range (1 to 1000)"),
        "{err}"
    );
    assert!(
        err.contains("appointments.max_active_per_client: 1001 is out of range (1 to 1000)"),
        "{err}"
    );
}

/// The booking flow offered in the assistant (its notice set), with
/// synonyms for a service and an office.
const BOOKS_IN_THE_ASSISTANT: &str = r#"
[sites.widget.assistant]
name = "CamOn"
booking_privacy_url = "/privacy-sol.html"
"#;

/// Sends `text` in a new thread (in `language`) and returns the assistant's
/// answer as the event stream delivers it.
async fn answer_to(base: &str, text: &str, language: &str) -> Value {
    let thread = uuid();
    let r = post(
        base,
        "/api/v1/threads",
        json!({"thread_id": thread, "site": "milomb", "language": language, "terms_revision": "1"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let r = post(
        base,
        &format!("/api/v1/threads/{thread}/messages"),
        json!({"client_message_id": uuid(), "text": text}),
    )
    .await;
    assert_eq!(r.status(), 202);
    let events = common::threads::read_events(base, &thread, None, |events| {
        events
            .iter()
            .any(|(_, _, e)| e["message"]["author"] == "assistant")
    })
    .await;
    events
        .into_iter()
        .find(|(_, _, e)| e["message"]["author"] == "assistant")
        .map(|(_, _, e)| e["message"].clone())
        .unwrap()
}

#[tokio::test]
async fn a_booking_request_naming_a_service_and_an_office_opens_the_flow_with_them_chosen() {
    let site = settings()
        .replace(
            "title = \"Firma digitale\"",
            "title = \"Firma digitale\"\nsynonyms = [\"CNS\", \"digital signature\"]",
        )
        .replace(
            "name = \"Sede di Lodi\"",
            "name = \"Sede di Lodi\"\nsynonyms = [\"Lodigiano\"]",
        );
    let app = common::spawn_app_configured("", &site, BOOKS_IN_THE_ASSISTANT, |_| {}).await;

    let answer = answer_to(
        &app.base,
        "voglio prenotare un appuntamento per la firma digitale a Lodi",
        "it",
    )
    .await;
    assert_eq!(
        answer["booking"],
        json!({"service": "firma-digitale", "office": "lodi"}),
        "{answer}"
    );
    assert_eq!(answer["topic"], "appuntamenti");
    let text = answer["text"].as_str().unwrap();
    assert!(
        text.contains("«Firma digitale»") && text.contains("«Sede di Lodi»"),
        "{text}"
    );
    assert!(!text.contains("dimmi per quale servizio"), "{text}");

    // Typos, case, accents, synonyms; English.
    let answer = answer_to(
        &app.base,
        "VOREI PRENOTARE un apuntamento per la CNS nel Lodigiàno",
        "it",
    )
    .await;
    assert_eq!(
        answer["booking"],
        json!({"service": "firma-digitale", "office": "lodi"}),
        "{answer}"
    );
    let answer = answer_to(
        &app.base,
        "I would like to book the digital signature at the Milan office",
        "en",
    )
    .await;
    assert_eq!(
        answer["booking"],
        json!({"service": "firma-digitale", "office": "milano"}),
        "{answer}"
    );
    let text = answer["text"].as_str().unwrap();
    assert!(
        text.contains("“Firma digitale”") && text.contains("“Milan office”"),
        "{text}"
    );

    // One of them named: that one. An office without the service: the
    // service, and the visitor is told to choose another office.
    let answer = answer_to(&app.base, "prenotare un appuntamento per lo SPID", "it").await;
    assert_eq!(answer["booking"], json!({"service": "spid"}), "{answer}");
    let answer = answer_to(&app.base, "prenotare lo SPID a Lodi", "it").await;
    assert_eq!(answer["booking"], json!({"service": "spid"}), "{answer}");
    assert!(
        answer["text"]
            .as_str()
            .unwrap()
            .contains("La sede «Sede di Lodi» non offre questo servizio"),
        "{answer}"
    );

    // Neither named, or another question about appointments: the
    // knowledge base answers, without a choice.
    for question in [
        "voglio prenotare un appuntamento",
        "come annullo la prenotazione della firma digitale a Lodi?",
    ] {
        let answer = answer_to(&app.base, question, "it").await;
        assert_eq!(answer.get("booking"), None, "{question}: {answer}");
        assert_eq!(answer["topic"], "appuntamenti", "{question}: {answer}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_site_that_does_not_book_in_the_assistant_gets_the_usual_answer() {
    let app = spawn_app_with_site("", &settings()).await;
    let answer = answer_to(
        &app.base,
        "voglio prenotare un appuntamento per la firma digitale a Lodi",
        "it",
    )
    .await;
    assert_eq!(answer.get("booking"), None, "{answer}");
    app.stop().await;
}

/// The next 7 December (Sant'Ambrogio, Milan's patron day), today
/// included: on 7 December next year's is 365 days away, and the 9th after
/// it is past the longest booking horizon (366 days).
fn next_sant_ambrogio() -> Date {
    let today = rome_local(now_ms()).0;
    let this_year = Date::new(today.year, 12, 7).unwrap();
    if this_year >= today {
        this_year
    } else {
        Date::new(today.year + 1, 12, 7).unwrap()
    }
}

#[tokio::test]
async fn an_office_is_closed_on_the_national_holidays_and_its_comunes_patron_day_unlisted() {
    // Open every day of the week, nothing listed as closed, a year ahead:
    // the Milan office (its CAP names the comune) closes on Sant'Ambrogio
    // and on the Immacolata all the same.
    let settings = settings()
        .replace("days_ahead = 10", "days_ahead = 366")
        .replace(
            r#"address = "Via Meravigli 9/b, Milano""#,
            r#"address = "Via Meravigli 9/b, 20123 Milano""#,
        );
    let settings = settings
        .lines()
        .filter(|l| !l.starts_with("closed_dates"))
        .collect::<Vec<_>>()
        .join("\n");
    let app = spawn_app_with_site("", &settings).await;
    let patron = next_sant_ambrogio();
    let (days, _) = listed_days(&app.base, &patron.to_string(), 3).await;
    assert_eq!(
        days,
        [patron.add_days(2).to_string()],
        "7 December (Sant'Ambrogio) and 8 December (Immacolata) are closed"
    );
    for date in [patron, patron.add_days(1)] {
        let mut body = booking("10:00");
        body["date"] = json!(date.to_string());
        let r = post(&app.base, "/api/v1/appointments", body).await;
        assert_eq!(r.status(), 422, "{date}");
    }
    let mut body = booking("10:00");
    body["date"] = json!(patron.add_days(2).to_string());
    let r = post(&app.base, "/api/v1/appointments", body).await;
    assert_eq!(r.status(), 201);
    app.stop().await;
}

#[test]
fn a_patron_day_is_set_checked_or_asked_for() {
    let parse = |settings: &str| {
        varco_server::config::Config::parse(
            &(common::CONFIG.to_owned() + settings),
            std::path::Path::new("."),
        )
    };
    // The tests' offices name no CAP: the server starts, and says what to set.
    let config = parse(&settings()).unwrap();
    let warnings = config.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("offices[0] (milano).patron_day")
                && w.contains("set the patron day (MM-DD)")),
        "{warnings:?}"
    );
    // Set by hand, or "none": nothing to say.
    let set = settings()
        .replace(
            r#"address = "Via Meravigli 9/b, Milano""#,
            "address = \"Via Meravigli 9/b, Milano\"\npatron_day = \"12-07\"",
        )
        .replace(
            r#"address = "Via Haussmann 11/15, Lodi""#,
            "address = \"Via Haussmann 11/15, Lodi\"\npatron_day = \"none\"",
        );
    let warnings = parse(&set).unwrap().warnings();
    assert!(
        warnings.iter().all(|w| !w.contains("patron_day")),
        "{warnings:?}"
    );
    // Without `[mail]` nobody is told by e-mail: the configuration says so.
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("sites.milomb.appointments: no [mail] section")),
        "{warnings:?}"
    );
    // A day that is not one is an error naming the field.
    let err = parse(&set.replace("\"12-07\"", "\"12-32\""))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("offices[0] (milano).patron_day: \"12-32\" is not a day of the year"),
        "{err}"
    );
}
