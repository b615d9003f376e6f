//! The console's history of closed live chats over HTTP (issue 20):
//! searched in what is stored (masked), read as stored, only the
//! operator's sites, and never a conversation still open.

use crate::common;

use common::console::{add_operator, Console, ALWAYS_OPEN};
use common::spawn_app_with_site;
use common::threads::{new_thread, post, post_message};
use serde_json::{json, Value};

const PASSWORD: &str = "una password lunga";

#[tokio::test]
async fn closed_conversations_are_searched_and_read_masked() {
    let app = spawn_app_with_site("", ALWAYS_OPEN).await;
    add_operator(&app, "giulia", "Giulia", PASSWORD);
    let console = Console::login(&app.base, "giulia", PASSWORD).await;

    let thread = new_thread(&app.base).await;
    let r = post(
        &app.base,
        &format!("/api/v1/threads/{thread}/handoff"),
        json!({}),
    )
    .await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(console.take(&thread).await.status(), 200);
    let r = post_message(
        &app.base,
        &thread,
        "Visura per la ditta, il mio codice fiscale è RSSMRA85T10A562S",
    )
    .await;
    assert!(r.status().is_success());
    assert!(console
        .say(&thread, "Ecco come si richiede la visura.")
        .await
        .status()
        .is_success());

    // Still open: not in the history.
    let open: Value = console
        .get("/operator/api/history")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(open["conversations"], json!([]));
    let r = console
        .get(&format!("/operator/api/history/{thread}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let r = console
        .post(&format!("/operator/api/threads/{thread}/close"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());

    let all: Value = console
        .get("/operator/api/history")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let item = &all["conversations"][0];
    assert_eq!(item["thread_id"], thread.as_str());
    assert_eq!(item["operator"], "giulia");
    let first = item["first_message"].as_str().unwrap();
    assert!(first.starts_with("Visura per la ditta"), "{first}");
    assert!(
        !first.contains("RSSMRA85T10A562S"),
        "stored masked: {first}"
    );
    assert!(!all.to_string().contains("user_id"), "{all}");

    for (q, found) in [
        ("VISURA", 1),
        ("visura%", 0),
        ("come si richiede", 1),
        ("RSSMRA85T10A562S", 0),
        ("tachigrafo", 0),
    ] {
        let r: Value = console
            .get("/operator/api/history")
            .query(&[("q", q)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["conversations"].as_array().unwrap().len(), found, "{q}");
    }

    let read: Value = console
        .get(&format!("/operator/api/history/{thread}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let texts: Vec<&str> = read["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("Ecco come si richiede la visura.")),
        "{texts:?}"
    );
    assert!(
        texts.iter().all(|t| !t.contains("RSSMRA85T10A562S")),
        "{texts:?}"
    );

    // Control characters (PostgreSQL refuses NUL in text) are refused
    // before the database, as a thread id that is none.
    let r = console
        .get("/operator/api/history")
        .query(&[("q", "visura\u{0}")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = console
        .get("/operator/api/history/%00")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Without a session, nothing.
    let r = reqwest::Client::new()
        .get(format!("{}/operator/api/history", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
