//! The assistant's thread API over HTTP against a real server and SQLite:
//! idempotent messages, the SSE stream and its resumption, limits and
//! errors.

use crate::common;

use common::threads::{messages, new_thread, post, read_events, uuid, ORIGIN};
use common::{spawn_app, spawn_app_with};
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn a_message_is_stored_once_and_answered_on_the_stream_with_a_topic() {
    let app = spawn_app().await;
    let thread = new_thread(&app.base).await;
    let cmid = uuid();
    let body = json!({"client_message_id": cmid, "text": "come faccio ad avere lo spid?"});
    let first = post(
        &app.base,
        &format!("/api/v1/threads/{thread}/messages"),
        body.clone(),
    )
    .await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["duplicate"], false);
    // A retry (the answer to the first was lost) is the same message.
    let retry = post(
        &app.base,
        &format!("/api/v1/threads/{thread}/messages"),
        body,
    )
    .await;
    assert_eq!(retry.status(), 200);
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry["duplicate"], true);
    assert_eq!(retry["event_id"], first["event_id"]);

    let events = read_events(&app.base, &thread, None, |e| messages(e).len() >= 2).await;
    let msgs = messages(&events);
    assert_eq!(msgs.len(), 2, "{events:?}");
    assert_eq!(msgs[0]["author"], "visitor");
    assert_eq!(msgs[0]["client_message_id"], cmid.as_str());
    assert_eq!(msgs[1]["author"], "assistant");
    assert_eq!(msgs[1]["topic"], "spid");
    assert!(!msgs[1]["links"].as_array().unwrap().is_empty());
    // Stored events carry increasing ids.
    let ids: Vec<i64> = events.iter().filter_map(|(id, _, _)| *id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    app.stop().await;
}

#[tokio::test]
async fn the_stream_resumes_after_last_event_id_without_repeating() {
    let app = spawn_app().await;
    let thread = new_thread(&app.base).await;
    for text in [
        "quanto costa la visura camerale",
        "e il diritto annuale quando si paga?",
    ] {
        let r = post(
            &app.base,
            &format!("/api/v1/threads/{thread}/messages"),
            json!({"client_message_id": uuid(), "text": text}),
        )
        .await;
        assert_eq!(r.status(), 202);
        // One question at a time, as a visitor would.
        read_events(&app.base, &thread, None, |e| {
            messages(e)
                .iter()
                .filter(|m| m["author"] == "assistant")
                .count()
                >= 1
        })
        .await;
    }
    let all = read_events(&app.base, &thread, None, |e| messages(e).len() >= 4).await;
    assert_eq!(messages(&all).len(), 4);
    let second_id = all.iter().filter_map(|(id, _, _)| *id).nth(1).unwrap();
    let rest = read_events(&app.base, &thread, Some(second_id), |e| {
        messages(e).len() >= 2
    })
    .await;
    let rest_ids: Vec<i64> = rest.iter().filter_map(|(id, _, _)| *id).collect();
    assert!(rest_ids.iter().all(|id| *id > second_id), "{rest_ids:?}");
    assert_eq!(
        messages(&rest)[0]["text"],
        "e il diritto annuale quando si paga?"
    );
    assert_eq!(messages(&rest)[1]["topic"], "diritto-annuale");
    app.stop().await;
}

#[tokio::test]
async fn ending_a_thread_is_an_event_and_later_messages_are_refused() {
    let app = spawn_app().await;
    let thread = new_thread(&app.base).await;
    let r = post(
        &app.base,
        &format!("/api/v1/threads/{thread}/end"),
        json!({}),
    )
    .await;
    assert_eq!(r.status(), 204);
    let again = post(
        &app.base,
        &format!("/api/v1/threads/{thread}/end"),
        json!({}),
    )
    .await;
    assert_eq!(again.status(), 204, "idempotent");
    let events = read_events(&app.base, &thread, None, |e| {
        e.iter().any(|(_, n, _)| n == "end")
    })
    .await;
    assert_eq!(events.iter().filter(|(_, n, _)| n == "end").count(), 1);
    let late = post(
        &app.base,
        &format!("/api/v1/threads/{thread}/messages"),
        json!({"client_message_id": uuid(), "text": "ciao"}),
    )
    .await;
    assert_eq!(late.status(), 409);
    assert_eq!(late.json::<Value>().await.unwrap()["error"], "thread_ended");
    app.stop().await;
}

#[tokio::test]
async fn bad_requests_get_a_json_4xx_never_a_500() {
    let app = spawn_app().await;
    let thread = new_thread(&app.base).await;
    let msg = format!("/api/v1/threads/{thread}/messages");
    let cases: Vec<(&str, String, Value, u16)> = vec![
        (
            "bad thread id",
            "/api/v1/threads".into(),
            json!({"thread_id": "42", "site": "milomb", "language": "it", "terms_revision": "1"}),
            400,
        ),
        (
            "unknown site",
            "/api/v1/threads".into(),
            json!({"thread_id": uuid(), "site": "nope", "language": "it", "terms_revision": "1"}),
            422,
        ),
        (
            "bad language",
            "/api/v1/threads".into(),
            json!({"thread_id": uuid(), "site": "milomb", "language": "xx", "terms_revision": "1"}),
            422,
        ),
        (
            "a UserID is not accepted",
            "/api/v1/threads".into(),
            json!({"thread_id": uuid(), "site": "milomb", "language": "it", "terms_revision": "1", "user_id": uuid()}),
            422,
        ),
        (
            "empty text",
            msg.clone(),
            json!({"client_message_id": uuid(), "text": "   "}),
            422,
        ),
        (
            "bad client id",
            msg.clone(),
            json!({"client_message_id": "x", "text": "ciao"}),
            400,
        ),
        ("missing field", msg.clone(), json!({"text": "ciao"}), 422),
        (
            "unknown thread",
            format!("/api/v1/threads/{}/messages", uuid()),
            json!({"client_message_id": uuid(), "text": "ciao"}),
            404,
        ),
    ];
    for (what, path, body, status) in cases {
        let r = post(&app.base, &path, body).await;
        assert_eq!(r.status().as_u16(), status, "{what}");
        let body: Value = r.json().await.unwrap();
        assert!(
            body["error"].is_string() && body["message"].is_string(),
            "{what}: {body}"
        );
    }
    // Not JSON at all, and a body over the size limit.
    let c = reqwest::Client::new();
    let r = c
        .post(format!("{}{msg}", app.base))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let big = json!({"client_message_id": uuid(), "text": "a".repeat(5000)});
    let r = c
        .post(format!("{}{msg}", app.base))
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // Another site's origin.
    let r = c
        .post(format!("{}{msg}", app.base))
        .header("origin", "https://evil.example")
        .json(&json!({"client_message_id": uuid(), "text": "ciao"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn a_message_over_2000_characters_is_refused_by_name() {
    let app = spawn_app_with("body_limit = 65536").await;
    let thread = new_thread(&app.base).await;
    let path = format!("/api/v1/threads/{thread}/messages");
    let r = post(
        &app.base,
        &path,
        json!({"client_message_id": uuid(), "text": "è".repeat(2001)}),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_text");
    let r = post(
        &app.base,
        &path,
        json!({"client_message_id": uuid(), "text": "è".repeat(2000)}),
    )
    .await;
    assert_eq!(r.status(), 202, "2000 characters (4000 bytes) are fine");
    app.stop().await;
}

#[tokio::test]
async fn a_flood_of_messages_is_rate_limited_per_client_with_retry_after() {
    let app = spawn_app_with("messages_per_minute = 4").await;
    let thread = new_thread(&app.base).await;
    let path = format!("/api/v1/threads/{thread}/messages");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = post(
            &app.base,
            &path,
            json!({"client_message_id": uuid(), "text": "ciao"}),
        )
        .await;
        statuses.push((
            r.status().as_u16(),
            r.headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned()),
        ));
    }
    assert_eq!(statuses[0].0, 202);
    assert_eq!(statuses[1].0, 202);
    assert_eq!(statuses[2].0, 429, "{statuses:?}");
    assert!(statuses[2]
        .1
        .as_deref()
        .is_some_and(|s| s.parse::<u64>().unwrap() >= 1));
    app.stop().await;
}

#[tokio::test]
async fn thread_tables_hold_no_user_id() {
    let app = spawn_app().await;
    let storage = varco_server::storage::Storage::open(&app.database)
        .await
        .unwrap();
    for (table, columns) in storage.schema().await.unwrap() {
        if table.starts_with("thread") {
            assert!(
                columns.iter().all(|c| !c.contains("user")),
                "{table}: {columns:?}"
            );
        }
    }
    storage.close().await;
    app.stop().await;
}

/// An event stream never ends by itself; at shutdown the server ends them
/// all, so that a restart does not leave visitors on a stream that nothing
/// feeds (the widget resumes from `Last-Event-ID` on the next server).
#[tokio::test]
async fn shutdown_ends_open_event_streams() {
    let app = spawn_app().await;
    let thread = new_thread(&app.base).await;
    let mut stream = reqwest::Client::new()
        .get(format!("{}/api/v1/threads/{thread}/events", app.base))
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let stopped = tokio::spawn(app.stop());
    // A guard against hanging, not a speed check.
    let ended = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match stream.chunk().await {
                Ok(Some(_)) => continue,
                Ok(None) | Err(_) => break,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the event stream stayed open after shutdown");
    let _dir = tokio::time::timeout(Duration::from_secs(30), stopped)
        .await
        .expect("the server stops")
        .unwrap();
}

#[tokio::test]
async fn a_visitor_can_delete_a_conversation_and_nothing_of_it_remains() {
    let app = spawn_app().await;
    let thread = new_thread(&app.base).await;
    let r = post(
        &app.base,
        &format!("/api/v1/threads/{thread}/messages"),
        json!({"client_message_id": uuid(), "text": "ciao"}),
    )
    .await;
    assert_eq!(r.status(), 202);
    read_events(&app.base, &thread, None, |e| messages(e).len() >= 2).await;
    let delete = || async {
        reqwest::Client::new()
            .delete(format!("{}/api/v1/threads/{thread}", app.base))
            .header("origin", ORIGIN)
            .send()
            .await
            .unwrap()
    };
    assert_eq!(delete().await.status(), 204);
    assert_eq!(delete().await.status(), 404, "already gone");
    let storage = varco_server::storage::Storage::open(&app.database)
        .await
        .unwrap();
    assert!(storage.thread(&thread).await.unwrap().is_none());
    assert!(storage.events_after(&thread, 0).await.unwrap().is_empty());
    storage.close().await;
    app.stop().await;
}

#[tokio::test]
async fn personal_data_typed_by_accident_is_masked_before_it_is_stored() {
    let app = spawn_app().await;
    let thread = new_thread(&app.base).await;
    let typed =
        "Sono Mario, CF RSSMRA85T10A562S, mail mario.rossi@example.it, cell. 333 123 4567: \
                 la pratica n. 1234567 del 12/03/2025 da 25 euro, come richiedo lo SPID?";
    let r = post(
        &app.base,
        &format!("/api/v1/threads/{thread}/messages"),
        json!({"client_message_id": uuid(), "text": typed}),
    )
    .await;
    assert_eq!(r.status(), 202);
    let events = read_events(&app.base, &thread, None, |e| messages(e).len() >= 2).await;
    let expected = "Sono Mario, CF [codice fiscale], mail [email], cell. [telefono]: \
                    la pratica n. 1234567 del 12/03/2025 da 25 euro, come richiedo lo SPID?";
    assert_eq!(messages(&events)[0]["text"], expected);
    assert_eq!(messages(&events)[1]["author"], "assistant");
    let storage = varco_server::storage::Storage::open(&app.database)
        .await
        .unwrap();
    let stored = serde_json::to_string(&storage.events_after(&thread, 0).await.unwrap()).unwrap();
    storage.close().await;
    for personal in ["RSSMRA85T10A562S", "mario.rossi@example.it", "123 4567"] {
        assert!(!stored.contains(personal), "{personal} stored: {stored}");
    }
    app.stop().await;
}

/// The visitor's copy of the conversation (the privacy centre's export):
/// every message as stored, personal data masked, asked with the Thread ID
/// and nothing else; another site's origin or an unknown thread gets none.
#[tokio::test]
async fn a_conversation_is_read_back_as_stored_masked_with_its_thread_id_alone() {
    let app = spawn_app().await;
    let thread = new_thread(&app.base).await;
    for (i, text) in [
        "come faccio ad avere lo spid? il mio CF è RSSMRA85T10A562S",
        "quanto costa la firma digitale?",
    ]
    .into_iter()
    .enumerate()
    {
        let r = post(
            &app.base,
            &format!("/api/v1/threads/{thread}/messages"),
            json!({"client_message_id": uuid(), "text": text}),
        )
        .await;
        assert_eq!(r.status(), 202);
        // One question at a time, as a visitor asks: its answer first.
        read_events(&app.base, &thread, None, |e| {
            messages(e).len() >= 2 * (i + 1)
        })
        .await;
    }
    let get = |origin: &'static str, thread: String| {
        let base = app.base.clone();
        async move {
            reqwest::Client::new()
                .get(format!("{base}/api/v1/threads/{thread}/messages"))
                .header("origin", origin)
                .send()
                .await
                .unwrap()
        }
    };
    let r = get(ORIGIN, thread.clone()).await;
    assert_eq!(r.status(), 200);
    let transcript: Value = r.json().await.unwrap();
    assert_eq!(transcript["thread_id"], thread.as_str());
    assert_eq!(transcript["ended"], false);
    let said: Vec<(&str, &str)> = transcript["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["author"].as_str().unwrap(), m["text"].as_str().unwrap()))
        .collect();
    assert_eq!(said.len(), 4, "{transcript:#}");
    assert_eq!(
        said[0],
        (
            "visitor",
            "come faccio ad avere lo spid? il mio CF è [codice fiscale]"
        )
    );
    assert_eq!(said[1].0, "assistant");
    assert!(said[1].1.to_lowercase().contains("spid"), "{}", said[1].1);
    assert_eq!(said[2], ("visitor", "quanto costa la firma digitale?"));
    assert_eq!(said[3].0, "assistant");
    assert!(!transcript.to_string().contains("RSSMRA85T10A562S"));

    assert_eq!(
        get("https://elsewhere.example", thread.clone())
            .await
            .status(),
        403
    );
    let unknown = get(ORIGIN, uuid()).await;
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.unwrap();
    assert!(
        body["error"].is_string() && body["message"].is_string(),
        "{body}"
    );
    assert_eq!(get(ORIGIN, "not-a-uuid".into()).await.status(), 400);
    app.stop().await;
}

/// Messages sent together are written together (group commit): each is
/// stored once, with its own increasing id, and copies of one message
/// sent at the same moment are one message.
#[tokio::test]
async fn concurrent_messages_are_each_stored_once_and_copies_are_one() {
    let app = spawn_app_with("messages_per_minute = 1000").await;
    let thread = new_thread(&app.base).await;
    let path = format!("/api/v1/threads/{thread}/messages");
    let texts: Vec<String> = (0..20)
        .map(|i| format!("domanda numero {i} sullo spid"))
        .collect();
    let sends = texts.iter().map(|text| {
        post(
            &app.base,
            &path,
            json!({"client_message_id": uuid(), "text": text}),
        )
    });
    let mut ids = Vec::new();
    for response in futures::future::join_all(sends).await {
        assert_eq!(response.status(), 202);
        let receipt: Value = response.json().await.unwrap();
        assert_eq!(receipt["duplicate"], false);
        ids.push(receipt["event_id"].as_i64().unwrap());
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 20, "each message has its own event id");

    let cmid = uuid();
    let copies = (0..5).map(|_| {
        post(
            &app.base,
            &path,
            json!({"client_message_id": cmid, "text": "una sola volta"}),
        )
    });
    let mut statuses = Vec::new();
    let mut copy_ids = Vec::new();
    for response in futures::future::join_all(copies).await {
        statuses.push(response.status().as_u16());
        let receipt: Value = response.json().await.unwrap();
        copy_ids.push(receipt["event_id"].as_i64().unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [200, 200, 200, 200, 202],
        "one stored, four duplicates"
    );
    assert!(copy_ids.windows(2).all(|w| w[0] == w[1]), "{copy_ids:?}");

    let events = read_events(&app.base, &thread, None, |e| {
        messages(e)
            .iter()
            .filter(|m| m["author"] == "visitor")
            .count()
            >= 21
    })
    .await;
    let visitor: Vec<&Value> = messages(&events)
        .into_iter()
        .filter(|m| m["author"] == "visitor")
        .collect();
    assert_eq!(visitor.len(), 21, "{events:?}");
    let stored_ids: Vec<i64> = events.iter().filter_map(|(id, _, _)| *id).collect();
    assert!(stored_ids.windows(2).all(|w| w[0] < w[1]), "{stored_ids:?}");
    app.stop().await;
}

/// Messages are written in batches: one that cannot be stored (its
/// conversation was deleted while it was on its way) fails by itself, and
/// the messages written with it are stored all the same.
#[tokio::test]
async fn a_message_that_cannot_be_stored_fails_alone_in_its_batch() {
    let (app, inside) = common::spawn_app_inside("", "").await;
    let storage = &inside.storage;
    let now = "2026-12-05T10:00:00Z";
    let open = |thread_id: String| varco_protocol::chat::NewThread {
        thread_id,
        site: "milomb".into(),
        language: "it".into(),
        terms_revision: "1".into(),
    };
    let (kept, deleted) = (uuid(), uuid());
    storage
        .create_thread(&open(kept.clone()), now)
        .await
        .unwrap();
    storage
        .create_thread(&open(deleted.clone()), now)
        .await
        .unwrap();
    assert!(storage.delete_thread(&deleted).await.unwrap());

    let message = |text: &str| varco_protocol::chat::ChatMessage {
        client_message_id: Some(uuid()),
        ..varco_protocol::chat::ChatMessage::new(varco_protocol::chat::Author::Visitor, text, now)
    };
    let sent: Vec<(&str, varco_protocol::chat::ChatMessage)> = (0..30)
        .map(|i| {
            let thread = if i == 15 {
                deleted.as_str()
            } else {
                kept.as_str()
            };
            (thread, message(&format!("domanda {i}")))
        })
        .collect();
    let results = futures::future::join_all(
        sent.iter()
            .map(|(thread, m)| storage.append_message(thread, m)),
    )
    .await;
    for (i, result) in results.iter().enumerate() {
        if i == 15 {
            assert!(result.is_err(), "a message to a deleted thread: {result:?}");
        } else {
            assert!(matches!(result, Ok((_, false))), "message {i}: {result:?}");
        }
    }
    let stored = storage.events_after(&kept, 0).await.unwrap();
    assert_eq!(stored.len(), 29, "{stored:?}");
    app.stop().await;
}
