//! The desk agenda of the console over HTTP (issue 20): only operators with
//! the desk role see it; they mark attendance on the day, cancel with a
//! reason that reaches the visitor by e-mail (received by a real SMTP
//! server), close a day so that nobody can book it, and export CSV.

use crate::common;

use common::booking::{book, open_day, APPOINTMENTS};
use common::console::{add_operator, add_operator_with, Console};
use common::smtp::Smtp;
use common::spawn_app_customized;
use common::threads::ORIGIN;
use serde_json::{json, Value};
use varco_core::booking::rome_local;
use varco_server::api::now_ms;
use varco_server::storage::{NewAppointment, Storage};

const PASSWORD: &str = "una password lunga";

async fn start(smtp: &Smtp) -> (common::App, Storage) {
    let (tx, rx) = std::sync::mpsc::channel();
    let app = spawn_app_customized(
        &smtp.settings("http://127.0.0.1", ""),
        APPOINTMENTS,
        "",
        |_| {},
        move |state| {
            let _ = tx.send(state.storage.clone());
        },
    )
    .await;
    let storage = rx.recv().unwrap();
    add_operator_with(&app, "sportello", "Sportello", PASSWORD, &["--desk"]);
    add_operator(&app, "chat", "Solo chat", PASSWORD);
    (app, storage)
}

/// A booking for today at 08:00 (a time already gone, as at the desk),
/// written as the booking endpoint writes it.
async fn book_today(storage: &Storage, code: &str) {
    let now = now_ms();
    let today = rome_local(now).0;
    let booked = storage
        .book_appointment(
            &NewAppointment {
                code: code.into(),
                site: "milomb".into(),
                request_id: uuid::Uuid::new_v4().to_string(),
                service: "spid".into(),
                office: "milano".into(),
                date: today.to_string(),
                start: "08:00".into(),
                end: "08:30".into(),
                starts_at: varco_core::consent::rfc3339_utc(varco_core::booking::rome_to_utc_ms(
                    today,
                    8 * 60,
                )),
                person: serde_json::from_value(json!({"nome": "Anna", "cognome": "Verdi",
                    "codice_fiscale": "VRDNNA80A41F205X", "telefono": "0212345678",
                    "email": "=anna.verdi@example.it"}))
                .unwrap(),
                language: "it".into(),
                created_at: varco_core::consent::rfc3339_utc(now - 86_400_000),
                client_key: "desk-test".into(),
            },
            1,
            varco_core::booking::BookingLimits {
                per_person: 9,
                per_email: 9,
                per_client: 9,
            },
            None,
            now,
        )
        .await
        .unwrap();
    assert!(matches!(booked, varco_server::storage::Booked::Created));
}

async fn agenda(console: &Console, from: &str, days: u16) -> Value {
    let r = console
        .get(&format!(
            "/operator/api/agenda?site=milomb&from={from}&days={days}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn booking<'a>(agenda: &'a Value, code: &str) -> &'a Value {
    agenda["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["code"] == code)
        .unwrap_or_else(|| panic!("{code} in {agenda}"))
}

#[tokio::test]
async fn only_desk_operators_see_the_agenda_and_mark_who_came() {
    let smtp = Smtp::start().await;
    let (app, storage) = start(&smtp).await;
    book_today(&storage, "K7QX-4M2P").await;
    let today = rome_local(now_ms()).0.to_string();

    let chat = Console::login(&app.base, "chat", PASSWORD).await;
    let session: Value = chat
        .get("/operator/api/session")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(session["desk_sites"], json!([]));
    let r = chat
        .get("/operator/api/agenda?site=milomb")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "desk_role_required");

    let desk = Console::login(&app.base, "sportello", PASSWORD).await;
    let session: Value = desk
        .get("/operator/api/session")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(session["desk_sites"][0]["id"], "milomb");
    let day = agenda(&desk, &today, 1).await;
    let b = booking(&day, "K7QX-4M2P");
    assert_eq!(b["status"], "booked");
    assert_eq!(b["nome"], "Anna");
    assert_eq!(b["office_name"], "Sede di Milano");
    assert_eq!(b["service_title"], "Identità digitale SPID");
    assert_eq!(day["offices"].as_array().unwrap().len(), 1);

    // Without the CSRF token nothing changes.
    let r = reqwest::Client::new()
        .post(format!(
            "{}/operator/api/appointments/K7QX-4M2P/outcome",
            app.base
        ))
        .header("cookie", &desk.cookie)
        .json(&json!({"site": "milomb", "outcome": "attended"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    for (outcome, status) in [
        ("attended", "attended"),
        ("no_show", "no_show"),
        ("pending", "booked"),
    ] {
        let r = desk
            .post("/operator/api/appointments/K7QX-4M2P/outcome")
            .json(&json!({"site": "milomb", "outcome": outcome}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204, "{outcome}");
        assert_eq!(
            booking(&agenda(&desk, &today, 1).await, "K7QX-4M2P")["status"],
            status
        );
    }
    let r = desk
        .post("/operator/api/appointments/K7QX-4M2P/outcome")
        .json(&json!({"site": "milomb", "outcome": "maybe"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // A booking of a day to come cannot be marked yet.
    let future = book(&app.base, open_day(), "10:30", "it").await;
    let code = future["code"].as_str().unwrap();
    let r = desk
        .post(&format!("/operator/api/appointments/{code}/outcome"))
        .json(&json!({"site": "milomb", "outcome": "attended"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "not_yet");

    // The export: every booking of the period, safe in a spreadsheet.
    let r = desk
        .get(&format!(
            "/operator/api/agenda.csv?site=milomb&from={today}&days=7"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let text = r.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("date,start,end,office,service,code"),
        "{text}"
    );
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        text.contains(",'=anna.verdi@example.it,"),
        "a formula is never run: {text}"
    );
}

#[tokio::test]
async fn an_office_cancels_with_a_reason_that_the_visitor_reads_by_email() {
    let smtp = Smtp::start().await;
    let (app, _) = start(&smtp).await;
    let day = open_day();
    let booked = book(&app.base, day, "10:30", "it").await;
    let code = booked["code"].as_str().unwrap().to_owned();
    smtp.wait_for(1).await;
    let desk = Console::login(&app.base, "sportello", PASSWORD).await;

    let r = desk
        .post(&format!("/operator/api/appointments/{code}/cancel"))
        .json(&json!({"site": "milomb", "reason": "   "}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "a reason is needed");
    let r = desk
        .post(&format!("/operator/api/appointments/{code}/cancel"))
        .json(&json!({"site": "milomb", "reason": "chiuso\u{0}"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "text only: {}", r.status());

    let r = desk
        .post(&format!("/operator/api/appointments/{code}/cancel"))
        .json(&json!({"site": "milomb", "reason": "Sportello chiuso per un guasto alla rete"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["visitor_emailed"], true);
    let mail = smtp.wait_for(2).await.remove(1);
    assert!(
        mail.subject.starts_with("Prenotazione annullata:"),
        "{}",
        mail.subject
    );
    assert!(
        mail.text.contains("l'ufficio ha dovuto annullare"),
        "{}",
        mail.text
    );
    assert!(mail
        .text
        .contains("Motivo: Sportello chiuso per un guasto alla rete"));

    let listed = agenda(&desk, &day.to_string(), 1).await;
    let b = booking(&listed, &code);
    assert_eq!(b["status"], "cancelled");
    assert_eq!(b["cancelled_by"], "sportello");
    assert_eq!(
        b["cancel_reason"],
        "Sportello chiuso per un guasto alla rete"
    );
    let r = desk
        .post(&format!("/operator/api/appointments/{code}/cancel"))
        .json(&json!({"site": "milomb", "reason": "di nuovo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    // The place is free again.
    let slots: Value = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/appointments/slots?site=milomb&office=milano&service=spid&from={day}&days=1",
            app.base
        ))
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let slot = slots["days"][0]["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["start"] == "10:30")
        .unwrap()
        .clone();
    assert_eq!(slot["free"], 1);
}

#[tokio::test]
async fn a_day_closed_from_the_console_cannot_be_booked_until_it_is_opened_again() {
    let smtp = Smtp::start().await;
    let (app, _) = start(&smtp).await;
    let day = open_day();
    book(&app.base, day, "09:00", "it").await;
    let desk = Console::login(&app.base, "sportello", PASSWORD).await;
    let listed = |base: String| async move {
        let slots: Value = reqwest::Client::new()
            .get(format!(
                "{base}/api/v1/appointments/slots?site=milomb&office=milano&service=spid&from={day}&days=1"
            ))
            .header("origin", ORIGIN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        slots["days"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["date"] == day.to_string())
    };
    assert!(listed(app.base.clone()).await);

    let r = desk
        .post("/operator/api/closed-days")
        .json(&json!({"site": "milomb", "office": "milano", "date": day.to_string(), "reason": "Inventario"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["active_bookings"], 1,
        "the booking made before stays, counted"
    );
    assert!(!listed(app.base.clone()).await, "closed: no slot offered");
    let r = common::threads::post(
        &app.base,
        "/api/v1/appointments",
        json!({"site": "milomb", "request_id": common::threads::uuid(), "service": "spid", "office": "milano",
               "date": day.to_string(), "start": "11:00",
               "person": {"nome": "Luca", "cognome": "Neri", "codice_fiscale": "rssmra85t10a562s",
                          "telefono": "333 123 4567", "email": "luca.neri@example.it"},
               "privacy_acknowledged": true, "language": "it"}),
    )
    .await;
    assert_eq!(r.status(), 422, "nobody can book a closed day");
    let agenda_now = agenda(&desk, &day.to_string(), 1).await;
    assert_eq!(agenda_now["closed_days"][0]["reason"], "Inventario");
    assert_eq!(agenda_now["closed_days"][0]["closed_by"], "sportello");

    for (office, date, status) in [
        ("roma", day.to_string(), 422),
        ("milano", "2020-01-01".to_owned(), 422),
        ("milano", "ieri".to_owned(), 422),
    ] {
        let r = desk
            .post("/operator/api/closed-days")
            .json(&json!({"site": "milomb", "office": office, "date": date, "reason": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{office} {date}");
    }

    let r = desk
        .post("/operator/api/closed-days/remove")
        .json(&json!({"site": "milomb", "office": "milano", "date": day.to_string()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(listed(app.base.clone()).await, "open again");
}
