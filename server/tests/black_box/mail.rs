//! Booking e-mails, received by a real SMTP server process (aiosmtpd): the
//! confirmation with its calendar file and the link to the page that
//! manages the booking; cancelling and moving there, each change mailed;
//! the reminder, queued once; a mail server that is down, and a restart,
//! lose nothing.

use crate::common;

use common::booking::{book, open_day, APPOINTMENTS};
use common::smtp::{Received, Smtp};
use common::threads::{post, ORIGIN};
use common::{spawn_app_configured, spawn_app_customized, Instance};
use serde_json::{json, Value};
use varco_core::booking::Date;
use varco_server::api::now_ms;

/// The links in the e-mails start with this; the tests put the server's
/// own address in its place.
const PUBLIC_URL: &str = "http://127.0.0.1";

/// The link to the manage page in `mail`, pointing at `base`.
fn manage_link(mail: &Received, base: &str) -> String {
    mail.link(&format!("{PUBLIC_URL}/appointments/manage?token="))
        .unwrap_or_else(|| panic!("no manage link in {}", mail.text))
        .replacen(PUBLIC_URL, base, 1)
}

fn token_of(link: &str) -> String {
    link.split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned()
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Posts the page's form as a browser on the server's own page does.
async fn submit(base: &str, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    browser()
        .post(format!("{base}{path}"))
        .header("origin", base)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// A page's status and text; every answer of the booking page is a page,
/// its errors too.
async fn page(url: &str) -> (u16, String) {
    let r = browser().get(url).send().await.unwrap();
    let status = r.status().as_u16();
    if status != 303 {
        let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert_eq!(content_type, "text/html; charset=utf-8", "{url}");
    }
    let text = r.text().await.unwrap();
    if status != 303 {
        assert!(text.starts_with("<!doctype html>"), "{text}");
    }
    (status, text)
}

async fn free(base: &str, date: Date, start: &str) -> u64 {
    let r = reqwest::Client::new()
        .get(format!(
            "{base}/api/v1/appointments/slots?site=milomb&office=milano&service=spid&from={date}&days=1"
        ))
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    body["days"][0]["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["start"] == start)
        .map_or(0, |s| s["free"].as_u64().unwrap())
}

#[tokio::test]
async fn a_booking_is_confirmed_by_email_with_its_calendar_file_and_a_link_to_manage_it() {
    let smtp = Smtp::start().await;
    let app = spawn_app_configured(&smtp.settings(PUBLIC_URL, ""), APPOINTMENTS, "", |_| {}).await;
    let day = open_day();
    let booked = book(&app.base, day, "10:30", "it").await;
    let code = booked["code"].as_str().unwrap();

    let mail = smtp.wait_for(1).await.remove(0);
    assert_eq!(mail.to, "maria.damico@example.it");
    assert!(
        mail.subject
            .starts_with("Prenotazione confermata: Identità digitale SPID, "),
        "{}",
        mail.subject
    );
    assert!(mail.subject.ends_with("alle 10:30"), "{}", mail.subject);
    for part in [
        "Gentile Maria D'Amico,".to_owned(),
        format!("Codice: {code}"),
        "Servizio: Identità digitale SPID".to_owned(),
        "Sede: Sede di Milano, Via Meravigli 9/b, 20123 Milano".to_owned(),
        format!(
            "Data: {}",
            varco_core::dates::weekday_date(varco_core::lang::Lang::It, day)
        ),
        "Orario: 10:30 - 11:00 (ora italiana)".to_owned(),
    ] {
        assert!(mail.text.contains(&part), "{part:?} in:\n{}", mail.text);
    }
    assert!(
        mail.html.contains(&format!("<td>{code}</td>")),
        "{}",
        mail.html
    );
    assert!(mail.html.contains("D&#39;Amico"));
    let raw = String::from_utf8_lossy(&mail.raw);
    assert!(
        raw.contains("From: \"Camera di commercio\" <prenotazioni@milomb.example>"),
        "{raw}"
    );
    assert!(raw.contains("Message-ID: <"), "{raw}");

    let (name, ctype, ics) = &mail.attachments[0];
    assert_eq!(name, "appuntamento.ics");
    assert_eq!(ctype, "text/calendar");
    assert!(ics.contains(&format!("UID:{code}@milomb.varco")), "{ics}");
    assert!(ics.contains("BEGIN:VEVENT"));
    assert!(
        !ics.contains("D'Amico") && !ics.contains("maria"),
        "no personal data: {ics}"
    );

    // The link opens the booking, in its language, with nothing that could
    // leak the token.
    let link = manage_link(&mail, &app.base);
    let r = browser().get(&link).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("<html lang=\"it\">"));
    assert!(html.contains(code), "{html}");
    assert!(html.contains("Sposta l&#39;appuntamento") || html.contains("Sposta l'appuntamento"));

    // A token changed by one character, or cut, opens nothing.
    let token = token_of(&link);
    let mut forged = token.clone().into_bytes();
    let last = forged.len() - 1;
    forged[last] = if forged[last] == b'0' { b'1' } else { b'0' };
    let forged = String::from_utf8(forged).unwrap();
    for bad in [
        forged.as_str(),
        &token[..token.len() - 4],
        "",
        "milomb.XXXX-XXXX.99999999999999.00",
    ] {
        let (status, html) = page(&format!("{}/appointments/manage?token={bad}", app.base)).await;
        assert_eq!(status, 404, "{bad:?}");
        assert!(html.contains("Link non valido o scaduto"));
        assert!(!html.contains(code));
    }
}

#[tokio::test]
async fn english_bookings_get_english_mail_and_pages() {
    let smtp = Smtp::start().await;
    let app = spawn_app_configured(&smtp.settings(PUBLIC_URL, ""), APPOINTMENTS, "", |_| {}).await;
    book(&app.base, open_day(), "09:00", "en").await;
    let mail = smtp.wait_for(1).await.remove(0);
    assert!(
        mail.subject
            .starts_with("Booking confirmed: SPID digital identity, "),
        "{}",
        mail.subject
    );
    assert!(mail
        .text
        .contains("Office: Milan office, Via Meravigli 9/b, 20123 Milano"));
    assert_eq!(mail.attachments[0].0, "appointment.ics");
    let (status, html) = page(&manage_link(&mail, &app.base)).await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Your booking"));
}

#[tokio::test]
async fn the_link_moves_and_cancels_the_booking_and_each_change_is_mailed() {
    let smtp = Smtp::start().await;
    let app = spawn_app_configured(&smtp.settings(PUBLIC_URL, ""), APPOINTMENTS, "", |_| {}).await;
    let day = open_day();
    let booked = book(&app.base, day, "10:30", "it").await;
    let code = booked["code"].as_str().unwrap().to_owned();
    // Another visitor holds 11:00.
    book(&app.base, day, "11:00", "it").await;
    let mails = smtp.wait_for(2).await;
    let mine = mails.iter().find(|m| m.text.contains(&code)).unwrap();
    let link = manage_link(mine, &app.base);
    let token = token_of(&link);

    // The move page offers free slots only: not the booking's own, not
    // the one taken.
    let (status, html) = page(&format!(
        "{}/appointments/manage/move?token={token}",
        app.base
    ))
    .await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("value=\"{day}T09:00\"")), "{html}");
    assert!(!html.contains(&format!("value=\"{day}T10:30\"")));
    assert!(!html.contains(&format!("value=\"{day}T11:00\"")));
    assert!(html.contains("<fieldset>") && html.contains("<legend>"));

    // Posted from another site: refused, nothing moves.
    let r = browser()
        .post(format!("{}/appointments/manage/move", app.base))
        .header("origin", "https://evil.example")
        .form(&[("token", token.as_str()), ("slot", &format!("{day}T09:00"))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // A browser says so in Sec-Fetch-Site (its Origin is `null` under the
    // page's no-referrer policy).
    let r = browser()
        .post(format!("{}/appointments/manage/cancel", app.base))
        .header("origin", "null")
        .header("sec-fetch-site", "cross-site")
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(free(&app.base, day, "09:00").await, 1);
    assert_eq!(free(&app.base, day, "10:30").await, 0);
    // Not a form: a page that says so, nothing changes.
    let r = browser()
        .post(format!("{}/appointments/manage/cancel", app.base))
        .header("content-type", "application/json")
        .body("{\"token\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(free(&app.base, day, "10:30").await, 0);

    // The slot taken meanwhile: the page says so, nothing moves.
    let r = submit(
        &app.base,
        "/appointments/manage/move",
        &[("token", &token), ("slot", &format!("{day}T11:00"))],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Questo orario non è più libero"));
    assert_eq!(free(&app.base, day, "10:30").await, 0);

    // Moved to 09:00: the old place is free again, the new one taken, an
    // e-mail with the new time and a new link.
    let r = submit(
        &app.base,
        "/appointments/manage/move",
        &[("token", &token), ("slot", &format!("{day}T09:00"))],
    )
    .await;
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.ends_with("&done=moved"), "{location}");
    assert_eq!(free(&app.base, day, "10:30").await, 1);
    assert_eq!(free(&app.base, day, "09:00").await, 0);
    let (_, html) = page(&format!("{}{location}", app.base)).await;
    assert!(
        html.contains("L&#39;appuntamento è spostato")
            || html.contains("L'appuntamento è spostato"),
        "{html}"
    );
    assert!(html.contains("09:00 - 09:30"));
    let moved = smtp.wait_for(3).await.remove(2);
    assert!(
        moved.subject.starts_with("Prenotazione spostata:"),
        "{}",
        moved.subject
    );
    assert!(moved.text.contains("Orario: 09:00 - 09:30"));
    assert_eq!(moved.attachments.len(), 1);
    let new_token = token_of(&manage_link(&moved, &app.base));

    // Cancelled: asked first, then done; mailed once; the place is free.
    let (status, html) = page(&format!(
        "{}/appointments/manage/cancel?token={new_token}",
        app.base
    ))
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("Sì, annulla la prenotazione"));
    assert_eq!(
        free(&app.base, day, "09:00").await,
        0,
        "asking does not cancel"
    );
    let r = submit(
        &app.base,
        "/appointments/manage/cancel",
        &[("token", &new_token)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(free(&app.base, day, "09:00").await, 1);
    let r = submit(
        &app.base,
        "/appointments/manage/cancel",
        &[("token", &new_token)],
    )
    .await;
    assert_eq!(r.status(), 303, "cancelling twice is fine");
    let cancelled = smtp.wait_for(4).await.remove(3);
    assert!(
        cancelled.subject.starts_with("Prenotazione annullata:"),
        "{}",
        cancelled.subject
    );
    assert!(cancelled.attachments.is_empty());
    assert!(
        cancelled.link(PUBLIC_URL).is_none(),
        "no link to a cancelled booking"
    );
    let (status, html) = page(&format!(
        "{}/appointments/manage?token={new_token}",
        app.base
    ))
    .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Questa prenotazione è stata annullata il"),
        "{html}"
    );
    assert!(!html.contains("manage/cancel?token"));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(smtp.received().len(), 4, "the second cancel sent nothing");
}

#[tokio::test]
async fn a_mail_server_that_is_down_or_a_restart_loses_no_email() {
    let mut smtp = Smtp::not_started();
    let app = spawn_app_configured(&smtp.settings(PUBLIC_URL, ""), APPOINTMENTS, "", |_| {}).await;
    // The booking does not wait for the mail server.
    let booked = book(&app.base, open_day(), "10:30", "it").await;
    let code = booked["code"].as_str().unwrap().to_owned();
    let config_file = app.config_file.clone();
    // Failed attempts meanwhile; then the server stops with the e-mail
    // still in its outbox.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let _dir = app.stop().await;
    smtp.restart().await;
    let again = Instance::start_from(&config_file).await;
    let mails = smtp.wait_for(1).await;
    assert!(mails[0].text.contains(&code));
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(smtp.received().len(), 1, "sent once");
    again.stop().await;
}

#[tokio::test]
async fn a_reminder_is_queued_once_for_bookings_made_before_its_time() {
    let smtp = Smtp::start().await;
    let (tx, rx) = std::sync::mpsc::channel();
    let app = spawn_app_customized(
        &smtp.settings(PUBLIC_URL, "reminder_hours = 240"),
        APPOINTMENTS,
        "",
        |_| {},
        move |state| {
            let _ = tx.send((
                state.storage.clone(),
                state.config.clone(),
                state.booking_mails.clone(),
            ));
        },
    )
    .await;
    let (storage, config, mails) = rx.recv().unwrap();
    let mails = mails.expect("[mail] is set");
    let day = open_day();
    let early = book(&app.base, day, "09:00", "it").await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let late = book(&app.base, day, "09:30", "it").await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let cancelled = book(&app.base, day, "10:00", "it").await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    smtp.wait_for(3).await;
    // Two were booked long before the reminder's window opened.
    for code in [&early, &cancelled] {
        common::database::execute(
            &app.database,
            "UPDATE appointments SET created_at = '2020-01-01T00:00:00Z' WHERE code = $1",
            &[code],
        )
        .await
        .unwrap();
    }
    let r = post(
        &app.base,
        &format!("/api/v1/appointments/{cancelled}/cancel"),
        json!({"site": "milomb", "email": "MARIA.damico@example.it"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    smtp.wait_for(4).await;

    let now = now_ms();
    let queued = varco_server::booking_mail::queue_reminders(&storage, &config, &mails, now)
        .await
        .unwrap();
    assert_eq!(
        queued, 1,
        "only the booking made before the window, not cancelled"
    );
    let again = varco_server::booking_mail::queue_reminders(&storage, &config, &mails, now)
        .await
        .unwrap();
    assert_eq!(again, 0, "once");
    mails.mailer.queued();
    let all = smtp.wait_for(5).await;
    let reminder = &all[4];
    assert!(
        reminder
            .subject
            .starts_with("Promemoria: Identità digitale SPID,"),
        "{}",
        reminder.subject
    );
    assert!(reminder.text.contains(&early));
    assert!(!all
        .iter()
        .any(|m| m.subject.starts_with("Promemoria") && m.text.contains(&late)));
    assert_eq!(
        all[3].subject.split(':').next(),
        Some("Prenotazione annullata")
    );
}

#[tokio::test]
async fn without_mail_settings_no_email_is_promised_and_no_link_opens() {
    let app = spawn_app_configured("", APPOINTMENTS, "", |_| {}).await;
    book(&app.base, open_day(), "10:30", "it").await;
    let (status, _) = page(&format!(
        "{}/appointments/manage?token=milomb.X.1.0",
        app.base
    ))
    .await;
    assert_eq!(status, 404);
}
