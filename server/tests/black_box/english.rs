//! An English conversation (issue 21, item 4): a thread opened from an
//! English page gets English answers, with English link titles, from the
//! entries' English versions; an Italian thread still gets Italian ones.

use crate::common;

use common::spawn_app;
use common::threads::{open_events, post, post_message, uuid, SseEvent};
use serde_json::{json, Value};

async fn thread_in(base: &str, language: &str) -> String {
    let id = uuid();
    let r = post(
        base,
        "/api/v1/threads",
        json!({"thread_id": id, "site": "milomb", "language": language, "terms_revision": "1"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    id
}

fn answer(events: &[SseEvent]) -> Option<Value> {
    events
        .iter()
        .find(|(_, n, d)| n == "message" && d["message"]["author"] == "assistant")
        .map(|(_, _, d)| d["message"].clone())
}

async fn ask(base: &str, thread: &str, question: &str) -> Value {
    let mut events = open_events(base, thread, None).await;
    assert_eq!(post_message(base, thread, question).await.status(), 202);
    events.wait_for(|e| answer(e).is_some()).await;
    answer(&events.events).unwrap()
}

#[tokio::test]
async fn an_english_thread_gets_english_answers_and_links() {
    let app = spawn_app().await;
    let en = thread_in(&app.base, "en").await;
    let a = ask(&app.base, &en, "how much does SPID cost?").await;
    assert_eq!(a["topic"], "spid", "{a}");
    let text = a["text"].as_str().unwrap();
    assert!(text.starts_with("The cost of issuing **SPID**"), "{text}");
    let titles: Vec<&str> = a["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&"SPID (in Italian)"), "{titles:?}");

    // Not the Camera's job: the right office, in English.
    let other = thread_in(&app.base, "en").await;
    let a = ask(&app.base, &other, "where do I renew my passport").await;
    assert_eq!(a["topic"], "fuori-competenza", "{a}");
    assert!(a["text"].as_str().unwrap().contains("Questura"), "{a}");
    assert!(!a["text"].as_str().unwrap().contains("solo in italiano"));

    let it = thread_in(&app.base, "it").await;
    let a = ask(&app.base, &it, "quanto costa lo SPID?").await;
    assert_eq!(a["topic"], "spid");
    assert!(
        a["text"]
            .as_str()
            .unwrap()
            .starts_with("Le condizioni economiche"),
        "{a}"
    );
    app.stop().await;
}
