//! When nobody answers live, and passing a conversation on, over HTTP
//! against a real server, database and SMTP server (aiosmtpd): operators'
//! presence decides whether a visitor joins the queue or is offered to
//! leave a message; a long wait, or the last operator leaving, offers it
//! to a waiting visitor; the message lands masked in the console's inbox
//! and its answer is e-mailed; a conversation passes to a colleague who is
//! online, or to an office whose operators only may take it.

use crate::common;

use common::console::{add_operator, add_operator_with, Console, ALWAYS_OPEN};
use common::smtp::Smtp;
use common::threads::{messages, new_thread, open_events, post, uuid, SseEvent};
use common::{spawn_app_configured, spawn_app_with_site, App};
use serde_json::{json, Value};

/// The desk always open, with a short wait before a message is offered.
fn desk(max_wait_seconds: u32) -> String {
    ALWAYS_OPEN.replace(
        "email = \"urp@example.it\"",
        &format!("email = \"urp@example.it\"\nmax_wait_seconds = {max_wait_seconds}"),
    )
}

async fn mailing_app(smtp: &Smtp, max_wait_seconds: u32) -> App {
    spawn_app_configured(
        &smtp.settings("http://127.0.0.1", ""),
        &desk(max_wait_seconds),
        "",
        |_| {},
    )
    .await
}

async fn handoff(base: &str, thread: &str) -> Value {
    let r = post(
        base,
        &format!("/api/v1/threads/{thread}/handoff"),
        json!(null),
    )
    .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn leave(base: &str, thread: &str, body: Value) -> reqwest::Response {
    post(
        base,
        &format!("/api/v1/threads/{thread}/leave-message"),
        body,
    )
    .await
}

fn live_texts(events: &[SseEvent], state: &str) -> Vec<String> {
    messages(events)
        .iter()
        .filter(|m| m["live"] == state)
        .map(|m| m["text"].as_str().unwrap_or("").to_owned())
        .collect()
}

async fn error_of(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    (status, body["error"].as_str().unwrap_or("").to_owned())
}

#[tokio::test]
async fn with_nobody_online_the_visitor_leaves_a_message_that_is_answered_by_email() {
    let smtp = Smtp::start().await;
    let app = mailing_app(&smtp, 600).await;
    add_operator(&app, "giulia", "Giulia", "una-password-lunga");

    // Nobody is logged in: no queue, an offer to leave a message.
    let thread = new_thread(&app.base).await;
    assert_eq!(
        handoff(&app.base, &thread).await,
        json!({"state": "offline"})
    );
    let mut stream = open_events(&app.base, &thread, None).await;
    stream
        .wait_for(|e| !live_texts(e, "offline").is_empty())
        .await;
    assert!(live_texts(&stream.events, "offline")[0].contains("nessun operatore è collegato"));

    // What the form must carry.
    let good = json!({
        "client_message_id": uuid(),
        "text": "Come rinnovo la firma digitale? Il mio codice fiscale è RSSMRA80A01F205X",
        "email": "maria.rossi@example.it",
        "consent": true,
    });
    for (change, code) in [
        (json!({"consent": false}), "consent_required"),
        (json!({"email": "maria.rossi"}), "invalid_email"),
        (json!({"text": "   "}), "invalid_text"),
        (json!({"text": "a\u{7}b"}), "invalid_text"),
    ] {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        assert_eq!(
            error_of(leave(&app.base, &thread, body).await).await,
            (422, code.to_owned())
        );
    }
    let r = leave(&app.base, &thread, good.clone()).await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().await.unwrap()["state"], "message_left");
    // One message per conversation.
    assert_eq!(
        error_of(leave(&app.base, &thread, good.clone()).await).await,
        (409, "message_already_left".to_owned())
    );
    stream
        .wait_for(|e| !live_texts(e, "message_left").is_empty())
        .await;

    // Stored masked, like any message; the address kept to answer.
    let stored = common::database::everything_stored(&app.database).await;
    assert!(
        !stored.contains("RSSMRA80A01F205X"),
        "the codice fiscale is masked"
    );

    // The console's inbox.
    let giulia = Console::login(&app.base, "giulia", "una-password-lunga").await;
    let inbox: Value = giulia.get_json("/operator/api/inbox").await;
    let messages = inbox["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m["email"], "maria.rossi@example.it");
    assert_eq!(m["language"], "it");
    assert!(m["text"]
        .as_str()
        .unwrap()
        .starts_with("Come rinnovo la firma digitale?"));
    assert!(!m["text"].as_str().unwrap().contains("RSSMRA80A01F205X"));
    assert!(m.get("answered_at").is_none());
    let id = m["id"].as_i64().unwrap();

    // Answering needs the CSRF token, and plain text.
    let r = reqwest::Client::new()
        .post(format!("{}/operator/api/inbox/{id}/answer", app.base))
        .header("cookie", &giulia.cookie)
        .json(&json!({"text": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let answer = |text: &str| {
        giulia
            .post(&format!("/operator/api/inbox/{id}/answer"))
            .json(&json!({ "text": text }))
            .send()
    };
    assert_eq!(error_of(answer("").await.unwrap()).await.0, 422);
    let r = answer("Buongiorno, può rinnovarla online sul sito della Camera.\n\nCordiali saluti")
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        error_of(answer("di nuovo").await.unwrap()).await,
        (409, "already_answered".to_owned())
    );

    let mail = smtp.wait_for(1).await.remove(0);
    assert_eq!(mail.to, "maria.rossi@example.it");
    assert!(
        mail.subject.starts_with("Risposta al tuo messaggio"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("può rinnovarla online"), "{}", mail.text);
    assert!(
        mail.text.contains("> Come rinnovo la firma digitale?"),
        "{}",
        mail.text
    );
    assert!(!mail.text.contains("RSSMRA80A01F205X"));
    let raw = String::from_utf8_lossy(&mail.raw);
    assert!(raw.contains("Reply-To: urp@example.it"), "{raw}");

    let inbox: Value = giulia.get_json("/operator/api/inbox").await;
    let m = &inbox["messages"][0];
    assert_eq!(m["answered_by"], "giulia");
    assert!(m["answer"]
        .as_str()
        .unwrap()
        .contains("può rinnovarla online"));
}

#[tokio::test]
async fn an_online_operator_is_queued_for_one_away_is_not_and_a_long_wait_offers_a_message() {
    let smtp = Smtp::start().await;
    let app = mailing_app(&smtp, 2).await;
    add_operator(&app, "giulia", "Giulia", "una-password-lunga");
    let giulia = Console::login(&app.base, "giulia", "una-password-lunga").await;
    let session: Value = giulia.get_json("/operator/api/session").await;
    assert_eq!(session["presence"], "online");

    // Online: the visitor waits in the queue.
    let waiting = new_thread(&app.base).await;
    assert_eq!(
        handoff(&app.base, &waiting).await,
        json!({"state": "waiting", "position": 1})
    );
    // The wait passes the limit: offered a message, still in the queue.
    let mut stream = open_events(&app.base, &waiting, None).await;
    stream
        .wait_for(|e| !live_texts(e, "offline").is_empty())
        .await;
    let offer = live_texts(&stream.events, "offline").remove(0);
    assert!(
        offer.contains("L'attesa è più lunga del previsto"),
        "{offer}"
    );
    assert!(offer.contains("continuare ad attendere"), "{offer}");
    assert_eq!(giulia.conversations().await.len(), 1, "still waiting");

    // Away: nobody to answer, a new visitor is not queued.
    let r = giulia
        .post("/operator/api/presence")
        .json(&json!({"presence": "away"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let other = new_thread(&app.base).await;
    assert_eq!(
        handoff(&app.base, &other).await,
        json!({"state": "offline"})
    );
    assert_eq!(giulia.conversations().await.len(), 1);
    let r = giulia
        .post("/operator/api/presence")
        .json(&json!({"presence": "busy"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "not a presence");

    // Back online: the waiting visitor is taken and talks live.
    giulia
        .post("/operator/api/presence")
        .json(&json!({"presence": "online"}))
        .send()
        .await
        .unwrap();
    assert_eq!(giulia.take(&waiting).await.status(), 200);
    stream
        .wait_for(|e| !live_texts(e, "connected").is_empty())
        .await;
    // With an operator answering, a message for the office has no place.
    let r = leave(
        &app.base,
        &waiting,
        json!({"client_message_id": uuid(), "text": "Ciao", "email": "a@example.it", "consent": true}),
    )
    .await;
    assert_eq!(error_of(r).await, (409, "connected".to_owned()));
}

#[tokio::test]
async fn a_waiting_visitor_is_offered_a_message_when_the_last_operator_leaves() {
    let smtp = Smtp::start().await;
    let app = mailing_app(&smtp, 0).await;
    add_operator(&app, "giulia", "Giulia", "una-password-lunga");
    let giulia = Console::login(&app.base, "giulia", "una-password-lunga").await;
    let thread = new_thread(&app.base).await;
    assert_eq!(handoff(&app.base, &thread).await["state"], "waiting");
    let r = giulia.post("/operator/api/logout").send().await.unwrap();
    assert_eq!(r.status(), 204);
    let mut stream = open_events(&app.base, &thread, None).await;
    stream
        .wait_for(|e| !live_texts(e, "offline").is_empty())
        .await;
    assert!(live_texts(&stream.events, "offline")[0].contains("non sono più collegati"));
    // Once per wait.
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    let again = open_events(&app.base, &thread, None)
        .await
        .read_until(|e| !live_texts(e, "offline").is_empty())
        .await;
    assert_eq!(live_texts(&again, "offline").len(), 1);
    // The visitor leaves a message: out of the queue.
    let r = leave(
        &app.base,
        &thread,
        json!({"client_message_id": uuid(), "text": "Richiamatemi", "email": "a@example.it", "consent": true}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let giulia = Console::login(&app.base, "giulia", "una-password-lunga").await;
    assert!(giulia.conversations().await.is_empty());
}

#[tokio::test]
async fn without_email_a_site_takes_no_messages_and_visitors_queue_as_before() {
    let app = spawn_app_with_site("", ALWAYS_OPEN).await;
    let thread = new_thread(&app.base).await;
    assert_eq!(handoff(&app.base, &thread).await["state"], "waiting");
    let r = leave(
        &app.base,
        &thread,
        json!({"client_message_id": uuid(), "text": "Ciao", "email": "a@example.it", "consent": true}),
    )
    .await;
    assert_eq!(error_of(r).await, (422, "no_messages".to_owned()));
}

#[tokio::test]
async fn a_conversation_passes_to_a_colleague_online_or_to_an_office_with_a_note() {
    let app = spawn_app_with_site("", ALWAYS_OPEN).await;
    add_operator(&app, "giulia", "Giulia", "una-password-lunga");
    add_operator_with(
        &app,
        "marco",
        "Marco",
        "altra-password-lunga",
        &["--office", "Registro imprese"],
    );
    add_operator_with(
        &app,
        "anna",
        "Anna",
        "terza-password-lunga",
        &["--office", "Registro imprese"],
    );
    add_operator(&app, "paolo", "Paolo", "quarta-password-lunga");
    let giulia = Console::login(&app.base, "giulia", "una-password-lunga").await;
    let marco = Console::login(&app.base, "marco", "altra-password-lunga").await;
    let anna = Console::login(&app.base, "anna", "terza-password-lunga").await;

    let thread = new_thread(&app.base).await;
    assert_eq!(handoff(&app.base, &thread).await["state"], "waiting");
    assert_eq!(giulia.take(&thread).await.status(), 200);
    let mut visitor = open_events(&app.base, &thread, None).await;

    let transfer_path = format!("/operator/api/threads/{thread}/transfer");
    let targets: Value = giulia.get_json(&transfer_path).await;
    let names: Vec<(&str, &str)> = targets["operators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["username"].as_str().unwrap(),
                o["presence"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("anna", "online"),
            ("marco", "online"),
            ("paolo", "offline")
        ]
    );
    assert_eq!(
        targets["offices"],
        json!([{"name": "Registro imprese", "online": 2}])
    );
    // Only someone else's conversation... only one's own can be passed on.
    assert_eq!(
        marco.get(&transfer_path).send().await.unwrap().status(),
        403
    );

    let transfer = |who: &Console, body: Value| who.post(&transfer_path).json(&body).send();
    for (body, expected) in [
        (json!({"operator": "paolo"}), (409, "not_online")),
        (json!({"operator": "nessuno"}), (404, "no_such_operator")),
        (json!({"operator": "giulia"}), (404, "no_such_operator")),
        (json!({"office": "Protocollo"}), (404, "no_such_office")),
        (
            json!({"operator": "marco", "office": "Registro imprese"}),
            (422, "choose_one"),
        ),
        (json!({}), (422, "choose_one")),
    ] {
        assert_eq!(
            error_of(transfer(&giulia, body).await.unwrap()).await,
            (expected.0, expected.1.to_owned())
        );
    }

    // To Marco, with a note: he has it at once; the visitor is told.
    let r = transfer(
        &giulia,
        json!({"operator": "marco", "note": "Chiede della visura; CF RSSMRA80A01F205X"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 204);
    visitor
        .wait_for(|e| {
            live_texts(e, "connected")
                .iter()
                .any(|t| t.contains("passata a Marco"))
        })
        .await;
    assert_eq!(giulia.say(&thread, "ci sono ancora?").await.status(), 403);
    let list = marco.conversations().await;
    let c = &list[0];
    assert_eq!(
        (c["mine"].as_bool(), c["note_by"].as_str()),
        (Some(true), Some("giulia"))
    );
    let note = c["note"].as_str().unwrap();
    assert!(
        note.starts_with("Chiede della visura") && !note.contains("RSSMRA80A01F205X"),
        "{note}"
    );
    assert_eq!(
        marco.say(&thread, "Buongiorno, sono Marco").await.status(),
        202
    );
    visitor
        .wait_for(|e| {
            messages(e)
                .iter()
                .any(|m| m["text"] == "Buongiorno, sono Marco")
        })
        .await;

    // Marco passes it to his office: back in the queue, for its operators.
    let r = transfer(
        &marco,
        json!({"office": "Registro imprese", "note": "Per Anna"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 204);
    visitor
        .wait_for(|e| {
            live_texts(e, "waiting")
                .iter()
                .any(|t| t.contains("ufficio Registro imprese"))
        })
        .await;
    let seen_by_giulia = giulia.conversations().await;
    assert_eq!(seen_by_giulia[0]["office"], "Registro imprese");
    assert_eq!(seen_by_giulia[0]["can_take"], false);
    assert_eq!(
        error_of(giulia.take(&thread).await).await,
        (409, "other_office".to_owned())
    );
    assert_eq!(anna.conversations().await[0]["can_take"], true);
    assert_eq!(anna.take(&thread).await.status(), 200);
    visitor
        .wait_for(|e| {
            live_texts(e, "connected")
                .iter()
                .any(|t| t.contains("Anna"))
        })
        .await;
}
