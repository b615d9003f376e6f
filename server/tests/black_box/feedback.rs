//! Visitors' satisfaction and the webmaster's reports, over HTTP against a
//! real server and database: an answer is rated once and a «no» may say
//! why; a live chat and a booking get a 1-5 rating once; nothing stored
//! with the feedback leads back to a conversation or a booking; the
//! report's numbers are what the test did, for webmasters only, with no
//! identifier in them, and each table exports as CSV.

use crate::common;

use common::booking::{book, open_day, APPOINTMENTS};
use common::console::{add_operator, add_operator_with, Console, ALWAYS_OPEN};
use common::threads::{new_thread, open_events, post, post_message, uuid, SseEvent};
use common::{spawn_app_with_site, App};
use serde_json::{json, Value};
use varco_core::consent::rfc3339_utc;
use varco_server::api::now_ms;

/// The event id of the assistant's answers so far, in order.
fn answers(events: &[SseEvent]) -> Vec<i64> {
    events
        .iter()
        .filter(|(_, n, d)| n == "message" && d["message"]["author"] == "assistant")
        .filter_map(|(id, _, _)| *id)
        .collect()
}

/// Asks `question` in `thread` and waits for its answer: its event id.
/// `after`: the thread's last answer so far (the stream replays from it).
async fn ask(app: &App, thread: &str, question: &str, after: Option<i64>) -> i64 {
    let mut events = open_events(&app.base, thread, after).await;
    assert_eq!(
        post_message(&app.base, thread, question).await.status(),
        202
    );
    events.wait_for(|e| !answers(e).is_empty()).await;
    answers(&events.events)[0]
}

async fn feedback(app: &App, thread: &str, body: Value) -> reqwest::Response {
    post(
        &app.base,
        &format!("/api/v1/threads/{thread}/feedback"),
        body,
    )
    .await
}

async fn error_of(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    (status, body["error"].as_str().unwrap_or("").to_owned())
}

async fn rows(app: &App) -> Vec<String> {
    common::database::texts(
        &app.database,
        "SELECT site || '|' || day || '|' || kind || '|' || COALESCE(topic, '') || '|' ||
                COALESCE(office, '') || '|' || COALESCE(service, '') || '|' ||
                COALESCE(CAST(rating AS TEXT), '') || '|' || COALESCE(reason, '') || '|' ||
                COALESCE(comment, '') FROM feedback ORDER BY kind",
    )
    .await
}

#[tokio::test]
async fn an_answer_is_rated_once_and_a_no_may_say_why() {
    let app = spawn_app_with_site("", "").await;
    let thread = new_thread(&app.base).await;
    let answer = ask(&app, &thread, "come richiedo lo SPID?", None).await;

    // A reason before a «no» has nothing to explain.
    let early = feedback(
        &app,
        &thread,
        json!({"about": "answer_reason", "event_id": answer, "reason": "wrong"}),
    )
    .await;
    assert_eq!(error_of(early).await, (409, "not_unhelpful".into()));
    let r = feedback(
        &app,
        &thread,
        json!({"about": "answer", "event_id": answer, "helped": false}),
    )
    .await;
    assert_eq!(r.status(), 204);
    let again = feedback(
        &app,
        &thread,
        json!({"about": "answer", "event_id": answer, "helped": true}),
    )
    .await;
    assert_eq!(error_of(again).await, (409, "already_given".into()));

    // The reason, once; its comment masked like any message.
    let long = feedback(
        &app,
        &thread,
        json!({"about": "answer_reason", "event_id": answer, "reason": "wrong", "comment": "x".repeat(501)}),
    )
    .await;
    assert_eq!(error_of(long).await, (422, "comment_too_long".into()));
    let r = feedback(
        &app,
        &thread,
        json!({"about": "answer_reason", "event_id": answer, "reason": "wrong",
               "comment": "orari vecchi, scrivetemi a mario.rossi@example.it"}),
    )
    .await;
    assert_eq!(r.status(), 204);
    let again = feedback(
        &app,
        &thread,
        json!({"about": "answer_reason", "event_id": answer, "reason": "unclear"}),
    )
    .await;
    assert_eq!(error_of(again).await, (409, "already_given".into()));

    // Only an answer of this thread: not the visitor's own message, not
    // another conversation's answer, not a made-up id.
    let other = new_thread(&app.base).await;
    let others = ask(&app, &other, "quanto costa una visura?", None).await;
    for (t, id) in [
        (&thread, others),
        (&other, answer),
        (&thread, answer - 1),
        (&thread, 999_999),
    ] {
        let r = feedback(
            &app,
            t,
            json!({"about": "answer", "event_id": id, "helped": true}),
        )
        .await;
        assert_eq!(error_of(r).await.0, 404, "event {id}");
    }
    // Unknown fields and made-up reasons are refused by name.
    for body in [
        json!({"about": "answer", "event_id": others, "helped": true, "user_id": uuid()}),
        json!({"about": "answer_reason", "event_id": others, "reason": "boring"}),
        json!({"about": "stars", "rating": 5}),
    ] {
        let r = feedback(&app, &other, body.clone()).await;
        assert!(r.status().is_client_error(), "{body}: {}", r.status());
    }
    // Not from another site's pages.
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/threads/{other}/feedback", app.base))
        .header("origin", "https://evil.example")
        .json(&json!({"about": "answer", "event_id": others, "helped": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let stored = rows(&app).await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert!(stored[0].starts_with("milomb|"), "{stored:?}");
    assert!(stored[0].contains("|answer|spid|"), "{stored:?}");
    assert!(stored[1].contains("|answer_reason|spid|"), "{stored:?}");
    assert!(stored[1].contains("|wrong|orari vecchi"), "{stored:?}");
    assert!(!stored[1].contains("mario.rossi"), "{stored:?}");
    for row in &stored {
        assert!(!row.contains(&thread), "{row}");
    }
    // The day is Rome's, and nothing finer.
    let day = varco_core::reports::rome_day(now_ms());
    assert!(stored
        .iter()
        .all(|r| r.split('|').nth(1) == Some(day.as_str())));
    app.stop().await;
}

#[tokio::test]
async fn a_live_chat_and_a_booking_are_rated_once_each() {
    let app = spawn_app_with_site("", &format!("{ALWAYS_OPEN}{APPOINTMENTS}")).await;
    add_operator_with(
        &app,
        "giulia",
        "Giulia",
        "una-password-lunga",
        &["--office", "URP"],
    );
    let giulia = Console::login(&app.base, "giulia", "una-password-lunga").await;
    let thread = new_thread(&app.base).await;
    let rate = |rating: u8| json!({"about": "live_chat", "rating": rating, "comment": "gentile"});
    // No operator has answered yet: nothing to rate.
    assert_eq!(
        error_of(feedback(&app, &thread, rate(5)).await).await.0,
        404
    );
    let r = post(
        &app.base,
        &format!("/api/v1/threads/{thread}/handoff"),
        json!(null),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        error_of(feedback(&app, &thread, rate(5)).await).await.0,
        404,
        "still waiting"
    );
    assert_eq!(giulia.take(&thread).await.status(), 200);
    let r = giulia
        .post(&format!("/operator/api/threads/{thread}/close"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    // Rated after the operator closed (the conversation has ended).
    for bad in [0, 6] {
        assert_eq!(
            error_of(feedback(&app, &thread, rate(bad)).await).await,
            (422, "invalid_rating".into())
        );
    }
    assert_eq!(feedback(&app, &thread, rate(4)).await.status(), 204);
    assert_eq!(
        error_of(feedback(&app, &thread, rate(1)).await).await,
        (409, "already_given".into())
    );

    let booking = book(&app.base, open_day(), "10:00", "it").await;
    let code = booking["code"].as_str().unwrap();
    let rate_booking = |code: &str, rating: u8| {
        post(
            &app.base,
            "/api/v1/appointments/feedback",
            json!({"site": "milomb", "code": code, "rating": rating}),
        )
    };
    assert_eq!(rate_booking(code, 5).await.status(), 204);
    assert_eq!(
        error_of(rate_booking(code, 4).await).await,
        (409, "already_given".into())
    );
    assert_eq!(error_of(rate_booking("ZZZZ-9999", 4).await).await.0, 404);

    let stored = rows(&app).await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert!(stored[0].contains("|booking||milano|spid|5|"), "{stored:?}");
    assert!(
        stored[1].contains("|live_chat||URP||4||gentile"),
        "{stored:?}"
    );
    for row in &stored {
        assert!(!row.contains(&thread) && !row.contains(code), "{row}");
    }
    app.stop().await;
}

fn consent(action: &str, accepted: &[&str], rejected: &[&str]) -> Value {
    json!({
        "record_id": uuid(),
        "consent_id": uuid(),
        "site": "milomb",
        "decided_at": rfc3339_utc(now_ms()),
        "revision": "7",
        "accepted": accepted,
        "rejected": rejected,
        "action": action,
        "language": "it",
        "texts_hash": "fnv1a64:0000000000000000"
    })
}

#[tokio::test]
async fn the_report_counts_what_visitors_did_for_the_sites_webmasters_only() {
    let app = spawn_app_with_site("", &format!("{ALWAYS_OPEN}{APPOINTMENTS}")).await;
    // Consent decisions.
    for record in [
        consent("accept_all", &["necessari", "analitici"], &[]),
        consent("accept_all", &["necessari", "analitici"], &[]),
        consent("reject_all", &["necessari"], &["analitici"]),
    ] {
        let r = post(&app.base, "/api/v1/consents", record).await;
        assert_eq!(r.status(), 201, "{:?}", r.text().await);
    }
    // Two SPID answers (one helped, one not, with a reason), and a question
    // the assistant cannot place.
    let thread = new_thread(&app.base).await;
    let spid = ask(&app, &thread, "Come faccio ad avere lo SPID?", None).await;
    let spid_again = ask(&app, &thread, "lo spid è gratis?", Some(spid)).await;
    let lost = ask(&app, &thread, "zxqw blorft", Some(spid_again)).await;
    for body in [
        json!({"about": "answer", "event_id": spid, "helped": true}),
        json!({"about": "answer", "event_id": spid_again, "helped": false}),
        json!({"about": "answer_reason", "event_id": spid_again, "reason": "unclear", "comment": "troppo lunga"}),
        json!({"about": "answer", "event_id": lost, "helped": false}),
    ] {
        assert_eq!(feedback(&app, &thread, body).await.status(), 204);
    }
    // A hand-off taken by an operator of the URP, rated 5.
    add_operator_with(
        &app,
        "giulia",
        "Giulia",
        "una-password-lunga",
        &["--office", "URP"],
    );
    let giulia = Console::login(&app.base, "giulia", "una-password-lunga").await;
    let chat = new_thread(&app.base).await;
    let r = post(
        &app.base,
        &format!("/api/v1/threads/{chat}/handoff"),
        json!(null),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(giulia.take(&chat).await.status(), 200);
    assert_eq!(
        feedback(&app, &chat, json!({"about": "live_chat", "rating": 5}))
            .await
            .status(),
        204
    );
    // Two bookings, one cancelled by the visitor.
    let day = open_day();
    let kept = book(&app.base, day, "10:00", "it").await;
    let cancelled = book(&app.base, day, "11:00", "it").await;
    let r = post(
        &app.base,
        &format!(
            "/api/v1/appointments/{}/cancel",
            cancelled["code"].as_str().unwrap()
        ),
        json!({"site": "milomb", "email": "maria.damico@example.it"}),
    )
    .await;
    assert_eq!(r.status(), 200);

    add_operator(&app, "sportello", "Sportello", "altra-password-lunga");
    add_operator_with(
        &app,
        "web",
        "Redazione web",
        "terza-password-lunga",
        &["--webmaster"],
    );
    let web = Console::login(&app.base, "web", "terza-password-lunga").await;
    let desk = Console::login(&app.base, "sportello", "altra-password-lunga").await;
    let to = day.to_string();
    let path = format!("/operator/api/reports?site=milomb&to={to}");
    // Not for an operator who is not the site's webmaster.
    let r = desk.get(&path).send().await.unwrap();
    assert_eq!(r.status(), 404);

    let r = web.get(&path).send().await.unwrap();
    let status = r.status();
    let report: Value = r.json().await.unwrap();
    let text = report.to_string();
    assert_eq!(status, 200, "{text}");
    let topic = |id: &str| {
        report["topics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["topic"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let spid_row = topic("spid");
    assert_eq!(spid_row["title"], "SPID", "{text}");
    assert_eq!(spid_row["answers"], 2, "{text}");
    assert_eq!(
        (spid_row["helped"].clone(), spid_row["not_helped"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(
        report["reasons"],
        json!([{"topic": "spid", "reason": "unclear", "count": 1}])
    );
    assert_eq!(report["unsure_total"], 1, "{text}");
    assert_eq!(report["unsure"][0]["text"], "zxqw blorft");
    let live = &report["live_chat"];
    assert_eq!(
        (live["requested"].clone(), live["taken"].clone()),
        (json!(1), json!(1)),
        "{text}"
    );
    assert_eq!(live["by_office"][0]["office"], "URP");
    assert!(live["median_wait_s"].is_u64(), "{text}");
    assert_eq!(
        report["bookings"],
        json!([{"service": "Identità digitale SPID", "office": "Sede di Milano",
                "booked": 2, "cancelled": 1, "attended": 0, "no_shows": 0}])
    );
    assert_eq!(
        report["consents"]["actions"],
        json!({"accept_all": 2, "reject_all": 1})
    );
    let categories = report["consents"]["categories"].as_array().unwrap();
    assert!(
        categories.contains(&json!({"category": "analitici", "granted": 2, "refused": 1})),
        "{text}"
    );
    assert_eq!(
        report["consents"]["by_day"][0]["actions"],
        json!({"accept_all": 2, "reject_all": 1})
    );
    assert_eq!(report["ratings"][0]["about"], "live_chat");
    assert_eq!(report["ratings"][0]["by_rating"], json!([0, 0, 0, 0, 1]));
    assert_eq!(report["comments"][0]["comment"], "troppo lunga");
    assert_eq!(report["comments"][0]["subject"], "SPID");
    // Aggregates only: no Thread ID, booking code, address or e-mail.
    for secret in [
        thread.as_str(),
        chat.as_str(),
        kept["code"].as_str().unwrap(),
        "maria.damico",
        "127.0.0.1",
        "rssmra85t10a562s",
    ] {
        assert!(!text.contains(secret), "{secret} in the report: {text}");
    }
    // An earlier period holds none of it.
    let before = web
        .get_json("/operator/api/reports?site=milomb&from=2025-01-01&to=2025-01-31")
        .await;
    assert_eq!(before["topics"], json!([]));
    assert_eq!(before["live_chat"]["requested"], 0);
    // A period that does not read is refused by name.
    for bad in [
        "from=2026-13-01",
        "from=2026-12-06&to=2026-12-01",
        "from=2024-01-01&to=2026-01-01",
    ] {
        let r = web
            .get(&format!("/operator/api/reports?site=milomb&{bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(r).await, (400, "invalid_period".into()), "{bad}");
    }

    // Each table as CSV.
    let r = web
        .get(&format!(
            "/operator/api/reports.csv?site=milomb&to={to}&table=topics"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    assert!(
        csv.starts_with("topic,title,answers,helped,not_helped\r\n"),
        "{csv}"
    );
    assert!(csv.contains("spid,SPID,2,1,1\r\n"), "{csv}");
    let r = web
        .get("/operator/api/reports.csv?site=milomb&table=passwords")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await, (400, "invalid_table".into()));
    app.stop().await;
}
