//! Live chat with an operator, over HTTP against a real server and
//! database: the visitor's hand-off and queue, the console's login,
//! session cookie and CSRF checks, taking a conversation (once), messages
//! both ways, typing, closing, and what is stored.

use crate::common;

use common::console::{add_operator, login, Console, ALWAYS_OPEN};
use common::threads::{messages, new_thread, open_events, post, EventStream, SseEvent, ORIGIN};
use common::{spawn_app_with_site, App};
use serde_json::{json, Value};
use varco_core::booking::{rome_local, rome_to_utc_ms, Date};

async fn live_app() -> App {
    spawn_app_with_site("", ALWAYS_OPEN).await
}

async fn handoff(base: &str, thread: &str) -> reqwest::Response {
    post(
        base,
        &format!("/api/v1/threads/{thread}/handoff"),
        json!(null),
    )
    .await
}

fn live_states(events: &[SseEvent]) -> Vec<String> {
    messages(events)
        .iter()
        .filter_map(|m| m["live"].as_str().map(str::to_owned))
        .collect()
}

fn has_message(events: &[SseEvent], author: &str, text_part: &str) -> bool {
    messages(events)
        .iter()
        .any(|m| m["author"] == author && m["text"].as_str().unwrap_or("").contains(text_part))
}

#[tokio::test]
async fn the_console_login_uses_argon2_a_strict_cookie_and_csrf_tokens() {
    let app = live_app().await;
    add_operator(&app, "giulia", "Giulia", "una-password-lunga");

    // Wrong password, unknown user: the same refusal.
    for (u, p) in [
        ("giulia", "sbagliata-123"),
        ("nessuno", "una-password-lunga"),
    ] {
        let r = login(&app.base, u, p).await;
        assert_eq!(r.status(), 401);
        assert!(r.headers().get("set-cookie").is_none());
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_credentials");
    }

    let r = login(&app.base, "giulia", "una-password-lunga").await;
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("varco_operator="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/operator"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    // Opened on this machine over http: not Secure (else the browser drops it).
    assert!(!cookie.contains("Secure"), "{cookie}");
    let session: Value = r.json().await.unwrap();
    assert_eq!(session["display_name"], "Giulia");
    assert_eq!(session["sites"][0]["id"], "milomb");
    let csrf = session["csrf_token"].as_str().unwrap().to_owned();
    assert!(csrf.len() >= 32);
    let cookie = cookie.split(';').next().unwrap().to_owned();

    // The password is stored as an argon2id hash, never as typed.
    let stored = common::database::everything_stored(&app.database).await;
    assert!(stored.contains("$argon2id$"), "the search sees the hash");
    assert!(!stored.contains("una-password-lunga"));

    let client = reqwest::Client::new();
    let session_of = |cookie: Option<&str>| {
        let mut r = client.get(format!("{}/operator/api/session", app.base));
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        r.send()
    };
    assert_eq!(session_of(None).await.unwrap().status(), 401);
    assert_eq!(
        session_of(Some("varco_operator=forged"))
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(session_of(Some(&cookie)).await.unwrap().status(), 200);

    // A state change without the CSRF token, with a wrong one, or from
    // another site's page is refused.
    let logout = |csrf: Option<&str>, origin: Option<&str>| {
        let mut r = client
            .post(format!("{}/operator/api/logout", app.base))
            .header("cookie", &cookie);
        if let Some(t) = csrf {
            r = r.header("x-csrf-token", t);
        }
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        r.send()
    };
    for (token, origin) in [
        (None, None),
        (Some("0".repeat(64)), None),
        (Some(csrf.clone()), Some("https://evil.example")),
    ] {
        let r = logout(token.as_deref(), origin).await.unwrap();
        assert_eq!(r.status(), 403);
    }
    assert_eq!(session_of(Some(&cookie)).await.unwrap().status(), 200);

    // Logout ends the session and clears the cookie.
    let own_origin = app.base.clone();
    let r = logout(Some(&csrf), Some(&own_origin)).await.unwrap();
    assert_eq!(r.status(), 204);
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(session_of(Some(&cookie)).await.unwrap().status(), 401);
}

#[tokio::test]
async fn the_cookie_is_secure_outside_this_machine_and_logins_are_rate_limited() {
    let app = live_app().await;
    add_operator(&app, "giulia", "Giulia", "una-password-lunga");
    let r = reqwest::Client::new()
        .post(format!("{}/operator/api/login", app.base))
        .header("host", "chat.milomb.camcom.it")
        .json(&json!({"username": "giulia", "password": "una-password-lunga"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("; Secure"));

    // Guessing: after a handful of attempts a client must wait.
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(
            login(&app.base, "giulia", "tentativo-sbagliato")
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(
        statuses.contains(&401) && statuses.last() == Some(&429),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_visitor_waits_in_the_queue_one_operator_takes_the_chat_and_they_talk_live() {
    let app = live_app().await;
    add_operator(&app, "giulia", "Giulia", "una-password-lunga");
    add_operator(&app, "marco", "Marco", "altra-password-lunga");
    let giulia = Console::login(&app.base, "giulia", "una-password-lunga").await;
    let marco = Console::login(&app.base, "marco", "altra-password-lunga").await;
    let mut list_changes =
        EventStream::new(giulia.get("/operator/api/events").send().await.unwrap());

    // Two visitors ask for a person.
    let first = new_thread(&app.base).await;
    let second = new_thread(&app.base).await;
    let r = handoff(&app.base, &first).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"state": "waiting", "position": 1})
    );
    let r = handoff(&app.base, &second).await;
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"state": "waiting", "position": 2})
    );
    // Asking again changes nothing.
    let r = handoff(&app.base, &first).await;
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"state": "waiting", "position": 1})
    );
    list_changes
        .wait_for(|e| e.iter().any(|(_, n, _)| n == "changed"))
        .await;

    // The waiting visitor sees the live chat's welcome, with its notice, and
    // their place.
    let mut second_stream = open_events(&app.base, &second, None).await;
    second_stream
        .wait_for(|e| e.iter().any(|(_, n, d)| n == "queue" && d["position"] == 2))
        .await;
    assert_eq!(live_states(&second_stream.events), ["waiting"]);
    let welcome = messages(&second_stream.events)[0]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(welcome.contains("](/privacy-chat.html)"), "{welcome}");

    let list = giulia.conversations().await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["thread_id"], first.as_str());
    assert_eq!(
        (list[0]["state"].as_str(), list[0]["position"].as_u64()),
        (Some("waiting"), Some(1))
    );

    // Both operators take the first conversation at once: one gets it.
    let (a, b) = tokio::join!(giulia.take(&first), marco.take(&first));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    let (winner, loser) = if a.status() == 200 {
        (&giulia, &marco)
    } else {
        (&marco, &giulia)
    };
    let lost: Value = if a.status() == 200 {
        b.json().await.unwrap()
    } else {
        a.json().await.unwrap()
    };
    assert_eq!(lost["error"], "already_taken");
    // The second visitor moves up.
    second_stream
        .wait_for(|e| e.iter().any(|(_, n, d)| n == "queue" && d["position"] == 1))
        .await;
    // The other operator can neither read nor write in it.
    let r = loser
        .get(&format!("/operator/api/threads/{first}/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(loser.say(&first, "Buongiorno").await.status(), 403);

    // Live, both ways. The visitor types a codice fiscale by accident.
    let mut visitor = open_events(&app.base, &first, None).await;
    visitor
        .wait_for(|e| live_states(e).contains(&"connected".to_owned()))
        .await;
    let mut console = winner.events(&first).await;
    console
        .wait_for(|e| live_states(e).contains(&"connected".to_owned()))
        .await;

    let r = post(
        &app.base,
        &format!("/api/v1/threads/{first}/typing"),
        json!(null),
    )
    .await;
    assert_eq!(r.status(), 204);
    console
        .wait_for(|e| {
            e.iter()
                .any(|(_, n, d)| n == "typing" && d["author"] == "visitor")
        })
        .await;
    let typed = "Il mio codice fiscale è RSSMRA85T10A562S, mi serve la visura";
    let r = post(
        &app.base,
        &format!("/api/v1/threads/{first}/messages"),
        json!({"client_message_id": common::threads::uuid(), "text": typed}),
    )
    .await;
    assert_eq!(r.status(), 202);
    // The operator reads it as typed, while the conversation is live...
    console
        .wait_for(|e| has_message(e, "visitor", "RSSMRA85T10A562S"))
        .await;

    let r = winner
        .post(&format!("/operator/api/threads/{first}/typing"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    visitor
        .wait_for(|e| {
            e.iter()
                .any(|(_, n, d)| n == "typing" && d["author"] == "operator")
        })
        .await;
    assert_eq!(
        winner
            .say(&first, "Buongiorno, la aiuto io con la visura.")
            .await
            .status(),
        202
    );
    visitor
        .wait_for(|e| has_message(e, "operator", "la aiuto io"))
        .await;

    // ...what is stored is masked: a replay shows the placeholder.
    let replay = open_events(&app.base, &first, None)
        .await
        .read_until(|e| has_message(e, "operator", "la aiuto io"))
        .await;
    assert!(has_message(&replay, "visitor", "[codice fiscale]"));
    assert!(!has_message(&replay, "visitor", "RSSMRA85T10A562S"));
    // The assistant stayed silent once a person was asked for.
    assert!(!messages(&replay).iter().any(|m| m["author"] == "assistant"));

    // A console that lost its stream resumes after the last event it saw
    // (the browser sends Last-Event-ID): nothing lost, nothing twice.
    let seen = console
        .events
        .iter()
        .filter(|(_, n, _)| n == "message")
        .find(|(_, _, d)| d["message"]["live"] == "connected")
        .and_then(|(id, _, _)| *id)
        .unwrap();
    let mut resumed = EventStream::new(
        winner
            .get(&format!("/operator/api/threads/{first}/events"))
            .header("last-event-id", seen.to_string())
            .send()
            .await
            .unwrap(),
    );
    resumed
        .wait_for(|e| has_message(e, "operator", "la aiuto io"))
        .await;
    let ids: Vec<i64> = resumed.events.iter().filter_map(|(id, _, _)| *id).collect();
    assert!(ids.iter().all(|id| *id > seen), "{ids:?}");
    assert_eq!(
        messages(&resumed.events).len(),
        2,
        "the visitor's message and the reply"
    );

    // The operator closes: the visitor is told, the thread ends, the
    // conversation leaves the list.
    let r = winner
        .post(&format!("/operator/api/threads/{first}/close"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    visitor
        .wait_for(|e| e.iter().any(|(_, n, _)| n == "end"))
        .await;
    assert_eq!(
        live_states(&visitor.events).last().map(String::as_str),
        Some("closed")
    );
    console
        .wait_for(|e| e.iter().any(|(_, n, _)| n == "end"))
        .await;
    let list = giulia.conversations().await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["thread_id"], second.as_str());
    assert_eq!(winner.say(&first, "ancora?").await.status(), 404);

    // A visitor who leaves the queue leaves the list too.
    let r = post(
        &app.base,
        &format!("/api/v1/threads/{second}/end"),
        json!(null),
    )
    .await;
    assert_eq!(r.status(), 204);
    assert!(giulia.conversations().await.is_empty());
}

#[tokio::test]
async fn outside_the_desks_hours_the_visitor_is_offered_booking_or_email() {
    let (settings, _) = open_after_tomorrow();
    let app = spawn_app_with_site("", &settings).await;
    let thread = new_thread(&app.base).await;
    let r = handoff(&app.base, &thread).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"state": "unavailable"})
    );
    let events = open_events(&app.base, &thread, None)
        .await
        .read_until(|e| !live_states(e).is_empty())
        .await;
    let text = messages(&events)[0]["text"].as_str().unwrap().to_owned();
    assert!(text.contains("non sono disponibili"), "{text}");
    assert!(text.contains("dalle 09:00 alle 12:00"), "{text}");
    assert!(text.contains("mailto:urp@example.it"), "{text}");
    // Nothing was queued: the assistant keeps answering.
    add_operator(&app, "giulia", "Giulia", "una-password-lunga");
    let giulia = Console::login(&app.base, "giulia", "una-password-lunga").await;
    assert!(giulia.conversations().await.is_empty());
}

/// The desk's settings open only on the weekday after tomorrow (or the
/// next day that is no national holiday), 09:00 to 12:00 Italian time (so
/// the test does not depend on the hour it runs at), and that day.
fn open_after_tomorrow() -> (String, Date) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let (today, _) = rome_local(now);
    // Not a national holiday, which would close the desk (at most today+4,
    // so still the first such weekday from today).
    let other: Date = varco_core::holidays::Calendar::default().first_open_from(today.add_days(2));
    let day = ["lun", "mar", "mer", "gio", "ven", "sab", "dom"][usize::from(other.weekday())];
    let settings = ALWAYS_OPEN.replace(
        r#"days = ["lun", "mar", "mer", "gio", "ven", "sab", "dom"], open = "00:00", close = "24:00""#,
        &format!(r#"days = ["{day}"], open = "09:00", close = "12:00""#),
    );
    (settings, other)
}

async fn desk_status(base: &str, site: &str, origin: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{base}/api/v1/sites/{site}/live"))
        .header("origin", origin)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_desk_status_says_when_operators_answer_before_anyone_asks() {
    let (settings, day) = open_after_tomorrow();
    let app = spawn_app_with_site("", &settings).await;
    let r = desk_status(&app.base, "milomb", ORIGIN).await;
    assert_eq!(r.status(), 200);
    let opens = varco_core::consent::rfc3339_utc(rome_to_utc_ms(day, 9 * 60));
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"open": false, "opens_at": opens})
    );
    // Another site's page may not ask, an unknown site is not found.
    let r = desk_status(&app.base, "milomb", "https://elsewhere.example").await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "origin_not_allowed"
    );
    let r = desk_status(&app.base, "nessuno", ORIGIN).await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "not_found");

    // A site without a live chat says so.
    let plain = common::spawn_app().await;
    let r = desk_status(&plain.base, "milomb", ORIGIN).await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "no_live_chat");
}

#[tokio::test]
async fn a_desk_marked_always_open_answers_at_any_hour_whatever_its_hours() {
    let (settings, _) = open_after_tomorrow();
    let settings = settings.replace(
        "email = \"urp@example.it\"",
        "email = \"urp@example.it\"\nalways_open = true",
    );
    assert!(settings.contains("always_open"), "{settings}");
    let app = spawn_app_with_site("", &settings).await;
    let r = desk_status(&app.base, "milomb", ORIGIN).await;
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"open": true}));
    let thread = new_thread(&app.base).await;
    let r = handoff(&app.base, &thread).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["state"], "waiting");
}

#[tokio::test]
async fn a_site_without_live_chat_says_so_and_the_console_page_is_locked_down() {
    let app = common::spawn_app().await;
    let thread = new_thread(&app.base).await;
    let r = handoff(&app.base, &thread).await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "no_live_chat");

    let r = reqwest::get(format!("{}/operator", app.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let page = r.text().await.unwrap();
    assert!(page.contains("login-form"));
    // The console's API is not open to other sites' pages.
    let r = reqwest::Client::new()
        .post(format!("{}/operator/api/login", app.base))
        .header("origin", ORIGIN)
        .json(&json!({"username": "x", "password": "y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

/// Runs `varco-server operator <args>` on the app's database, as an
/// administrator would while the server runs.
fn operator_command(app: &App, args: &[&str]) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_varco-server"))
        .args(["--config"])
        .arg(&app.config_file)
        .arg("operator")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "operator {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The requirement is one second; a loaded test machine gets more. The
/// server's own promptness comes from its design: changes made by this
/// server wake the streams at once, others are seen by a check every half
/// second.
const STREAM_END: std::time::Duration = std::time::Duration::from_secs(5);

/// Giulia's console: its list stream, and the stream of a conversation she
/// took (with its `connected` message read).
struct Following {
    giulia: Console,
    thread: String,
    list: EventStream,
    conversation: EventStream,
}

async fn giulia_takes_a_conversation(app: &App) -> Following {
    add_operator(app, "giulia", "Giulia", "una-password-lunga");
    let giulia = Console::login(&app.base, "giulia", "una-password-lunga").await;
    let list = EventStream::new(giulia.get("/operator/api/events").send().await.unwrap());
    let thread = new_thread(&app.base).await;
    assert_eq!(handoff(&app.base, &thread).await.status(), 200);
    assert_eq!(giulia.take(&thread).await.status(), 200);
    let mut conversation = giulia.events(&thread).await;
    conversation
        .wait_for(|e| live_states(e).contains(&"connected".to_owned()))
        .await;
    Following {
        giulia,
        thread,
        list,
        conversation,
    }
}

/// The console's list stream is still open: a newly queued visitor is
/// announced on it.
async fn list_still_follows(app: &App, list: &mut EventStream) {
    let seen = list.events.len();
    let thread = new_thread(&app.base).await;
    assert_eq!(handoff(&app.base, &thread).await.status(), 200);
    list.wait_for(|e| e.len() > seen).await;
}

#[tokio::test]
async fn an_operators_streams_end_at_logout() {
    let app = live_app().await;
    let mut f = giulia_takes_a_conversation(&app).await;
    let r = f.giulia.post("/operator/api/logout").send().await.unwrap();
    assert_eq!(r.status(), 204);
    f.conversation.wait_end(STREAM_END).await;
    f.list.wait_end(STREAM_END).await;
}

#[tokio::test]
async fn an_operators_streams_end_when_the_operator_is_removed() {
    let app = live_app().await;
    let mut f = giulia_takes_a_conversation(&app).await;
    // Another process changes the database: the server is not told.
    operator_command(&app, &["remove", "giulia"]);
    f.conversation.wait_end(STREAM_END).await;
    f.list.wait_end(STREAM_END).await;
    let r = f
        .giulia
        .get(&format!("/operator/api/threads/{}/events", f.thread))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn a_new_password_ends_every_stream_of_every_session_of_the_operator() {
    let app = live_app().await;
    let mut f = giulia_takes_a_conversation(&app).await;
    let other_session = Console::login(&app.base, "giulia", "una-password-lunga").await;
    let mut other_list = EventStream::new(
        other_session
            .get("/operator/api/events")
            .send()
            .await
            .unwrap(),
    );
    add_operator(&app, "giulia", "Giulia", "una-password-nuova");
    f.conversation.wait_end(STREAM_END).await;
    f.list.wait_end(STREAM_END).await;
    other_list.wait_end(STREAM_END).await;
    Console::login(&app.base, "giulia", "una-password-nuova").await;
}

#[tokio::test]
async fn a_closed_conversations_stream_ends_after_its_end_and_the_list_stays() {
    let app = live_app().await;
    let mut f = giulia_takes_a_conversation(&app).await;
    let r = f
        .giulia
        .post(&format!("/operator/api/threads/{}/close", f.thread))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    f.conversation.wait_end(STREAM_END).await;
    // Nothing cut off: the closing message, then the end, came first.
    assert_eq!(
        live_states(&f.conversation.events)
            .last()
            .map(String::as_str),
        Some("closed")
    );
    assert_eq!(f.conversation.events.last().unwrap().1, "end");
    list_still_follows(&app, &mut f.list).await;
}

#[tokio::test]
async fn a_conversation_taken_by_another_operator_ends_the_first_ones_stream() {
    let app = live_app().await;
    let mut f = giulia_takes_a_conversation(&app).await;
    add_operator(&app, "marco", "Marco", "altra-password-lunga");
    let marco = Console::login(&app.base, "marco", "altra-password-lunga").await;
    // No request moves a conversation from one operator to another without
    // closing it; the database is changed by hand to put it back in the
    // queue (as a future "hand back" would), and Marco takes it.
    common::database::execute(
        &app.database,
        "UPDATE live_chats SET operator = NULL, taken_ms = NULL WHERE thread_id = $1",
        &[&f.thread],
    )
    .await
    .unwrap();
    assert_eq!(marco.take(&f.thread).await.status(), 200);
    f.conversation.wait_end(STREAM_END).await;
    let mut his = marco.events(&f.thread).await;
    his.wait_for(|e| live_states(e).iter().filter(|s| *s == "connected").count() == 2)
        .await;
    list_still_follows(&app, &mut f.list).await;
}
