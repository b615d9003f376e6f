//! Personal data typed in a conversation is masked in what is stored, from
//! the visitor and from the operator alike: the other side of a live chat
//! reads the message as typed, a replay (and the database) only the masked
//! copy. The rules themselves are tested in `varco-core`
//! (`core/tests/redaction_corpus.rs`).

use crate::common;

use common::console::{add_operator, Console, ALWAYS_OPEN};
use common::threads::{messages, new_thread, open_events, post, uuid, SseEvent};
use common::{spawn_app_with_site, App};
use serde_json::json;

fn has_message(events: &[SseEvent], author: &str, text_part: &str) -> bool {
    messages(events)
        .iter()
        .any(|m| m["author"] == author && m["text"].as_str().unwrap_or("").contains(text_part))
}

/// What the database holds of a thread's events, as text.
async fn stored(app: &App, thread: &str) -> String {
    let storage = varco_server::storage::Storage::open(&app.database)
        .await
        .unwrap();
    let events = storage.events_after(thread, 0).await.unwrap();
    storage.close().await;
    serde_json::to_string(&events).unwrap()
}

#[tokio::test]
async fn a_codice_fiscale_typed_in_pieces_is_stored_masked() {
    let app = spawn_app_with_site("", "").await;
    let thread = new_thread(&app.base).await;
    let typed =
        "Il mio codice fiscale è RSS MRA 85T10 A562S, l'IBAN it60 x054 2811 1010 0000 0123 456";
    let r = post(
        &app.base,
        &format!("/api/v1/threads/{thread}/messages"),
        json!({"client_message_id": uuid(), "text": typed}),
    )
    .await;
    assert_eq!(r.status(), 202);
    let replay = open_events(&app.base, &thread, None)
        .await
        .read_until(|e| messages(e).len() >= 2)
        .await;
    assert_eq!(
        messages(&replay)[0]["text"],
        "Il mio codice fiscale è [codice fiscale], l'IBAN [IBAN]"
    );
    let stored = stored(&app, &thread).await;
    for personal in ["RSS MRA", "85T10", "A562S", "x054"] {
        assert!(!stored.contains(personal), "{personal} stored: {stored}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_operators_reply_is_read_as_typed_live_and_stored_masked() {
    let app = spawn_app_with_site("", ALWAYS_OPEN).await;
    add_operator(&app, "giulia", "Giulia", "una-password-lunga");
    let console = Console::login(&app.base, "giulia", "una-password-lunga").await;
    let thread = new_thread(&app.base).await;
    let r = post(
        &app.base,
        &format!("/api/v1/threads/{thread}/handoff"),
        json!(null),
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = console
        .post(&format!("/operator/api/threads/{thread}/take"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut visitor = open_events(&app.base, &thread, None).await;
    visitor
        .wait_for(|e| messages(e).iter().any(|m| m["live"] == "connected"))
        .await;

    // The operator reads back the visitor's details to check them.
    let reply = "Ho trovato la pratica di RSSMRA85T10A562S: la richiamo al 333 123 4567 o scrivo a mario.rossi@example.it";
    let r = console
        .post(&format!("/operator/api/threads/{thread}/messages"))
        .json(&json!({"client_message_id": uuid(), "text": reply}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    // The visitor reads it as typed, live...
    visitor
        .wait_for(|e| has_message(e, "operator", "Ho trovato"))
        .await;
    assert!(has_message(&visitor.events, "operator", reply));

    // ...while a replay, and the database, hold the masked copy.
    let masked =
        "Ho trovato la pratica di [codice fiscale]: la richiamo al [telefono] o scrivo a [email]";
    let replay = open_events(&app.base, &thread, None)
        .await
        .read_until(|e| has_message(e, "operator", "Ho trovato"))
        .await;
    assert!(has_message(&replay, "operator", masked), "{replay:?}");
    let stored = stored(&app, &thread).await;
    for personal in ["RSSMRA85T10A562S", "123 4567", "mario.rossi@example.it"] {
        assert!(!stored.contains(personal), "{personal} stored: {stored}");
    }
    assert!(stored.contains(masked), "{stored}");
    app.stop().await;
}
