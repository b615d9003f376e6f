//! Several instances of one deployment on one PostgreSQL database behave
//! as one server: events posted through one reach streams held by the
//! other, a change made through one is seen at once by the other's cache,
//! a client gets no more requests from two instances than from one (and,
//! once over its limit, is refused without a query),
//! console sessions work on both and a conversation is taken once, a
//! question retried through the other instance is answered once, the
//! pieces of a streamed answer reach the other instance in order (equal
//! ones too), and a periodic task runs once per period.
//!
//! On SQLite one process owns the database: these tests say so and pass
//! (the periodic claim is checked on both).

use crate::common;

use common::console::{add_operator, Console, ALWAYS_OPEN};
use common::llm::spawn_with_external;
use common::threads::{
    deltas, messages, new_thread, open_events, post, post_message, uuid, EventStream,
};
use common::{spawn_app_with_site, App};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use varco_server::storage::Storage;

/// Two instances on one database, or `None` on SQLite.
async fn two_instances(site: &str) -> Option<(App, common::Instance)> {
    if common::database::postgres_server().is_none() {
        eprintln!("several instances need PostgreSQL: nothing to check on SQLite");
        return None;
    }
    let a = spawn_app_with_site("", site).await;
    let b = a.another_instance().await;
    Some((a, b))
}

fn has_text(events: &[common::threads::SseEvent], author: &str, text: &str) -> bool {
    messages(events)
        .iter()
        .any(|m| m["author"] == author && m["text"].as_str().unwrap_or("").contains(text))
}

#[tokio::test]
async fn a_message_posted_through_one_instance_reaches_a_stream_on_the_other() {
    let Some((a, b)) = two_instances("").await else {
        return;
    };
    let thread = new_thread(&a.base).await;
    let mut on_b = open_events(&b.base, &thread, None).await;
    let r = post_message(&a.base, &thread, "Come si attiva lo SPID?").await;
    assert_eq!(r.status(), 202);
    // The visitor's message and the assistant's answer, both made on A.
    on_b.wait_for(|e| has_text(e, "visitor", "SPID") && has_text(e, "assistant", ""))
        .await;
    let ids: Vec<i64> = on_b.events.iter().filter_map(|(id, _, _)| *id).collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids, unique, "each stored event once, in order");
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_thread_ended_through_one_instance_is_ended_at_once_on_the_other() {
    let Some((a, b)) = two_instances("").await else {
        return;
    };
    let thread = new_thread(&a.base).await;
    let say = |base: String| {
        let thread = thread.clone();
        async move {
            post(
                &base,
                &format!("/api/v1/threads/{thread}/messages"),
                json!({"client_message_id": uuid(), "text": "Buongiorno"}),
            )
            .await
            .status()
        }
    };
    // A now holds the thread (open) in its cache.
    assert_eq!(say(a.base.clone()).await, 202);
    let r = post(
        &b.base,
        &format!("/api/v1/threads/{thread}/end"),
        json!(null),
    )
    .await;
    assert!(r.status().is_success(), "{}", r.status());
    // A's cache would keep it open for seconds; B's notice drops it. The
    // notice travels asynchronously, so A is asked until it knows, within
    // far less than the cache's lifetime would take.
    let started = std::time::Instant::now();
    loop {
        let status = say(a.base.clone()).await;
        if status == 409 {
            break;
        }
        assert_eq!(status, 202);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "instance A still takes messages for a thread ended through B"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    b.stop().await;
    a.stop().await;
}

/// Opens `count` conversations from one client, through `a` and `b` in
/// turn: the statuses, in order.
async fn open_threads_alternately(a: &App, b: &common::Instance, count: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for i in 0..count {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let r = post(
            base,
            "/api/v1/threads",
            json!({"thread_id": uuid(), "site": "milomb", "language": "it", "terms_revision": "1"}),
        )
        .await;
        statuses.push(r.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn a_client_gets_no_more_from_two_instances_than_from_one() {
    let site = "[sites.rate_limits]\nthreads = { burst = 4, per_minute = 0.001 }\n";
    let Some((a, b)) = two_instances(site).await else {
        return;
    };
    let statuses = open_threads_alternately(&a, &b, 8).await;
    assert_eq!(statuses, [201, 201, 201, 201, 429, 429, 429, 429]);
    // Each instance's own bucket is empty now too: it refuses by itself,
    // without a query, so a flood over the limit costs the database
    // nothing (a shared take would move the bucket's clock).
    let buckets = "SELECT key || ' ' || tokens || ' ' || at_ms FROM rate_buckets ORDER BY key";
    let before = common::database::texts(&a.database, buckets).await;
    assert!(!before.is_empty(), "the shared buckets are in the database");
    for base in [&a.base, &b.base, &a.base, &b.base] {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let r = post(
            base,
            "/api/v1/threads",
            json!({"thread_id": uuid(), "site": "milomb", "language": "it", "terms_revision": "1"}),
        )
        .await;
        assert_eq!(r.status(), 429);
    }
    assert_eq!(common::database::texts(&a.database, buckets).await, before);
    b.stop().await;
    a.stop().await;
}

/// With a generous limit each instance takes a few tokens at once and
/// spends them without a query: the client still gets no more than the
/// limit, and hardly less.
#[tokio::test]
async fn tokens_taken_ahead_by_each_instance_never_add_up_to_more_than_the_limit() {
    // Leases of 32 / 8 = 4 tokens.
    let site = "[sites.rate_limits]\nthreads = { burst = 32, per_minute = 0.001 }\n";
    let Some((a, b)) = two_instances(site).await else {
        return;
    };
    let statuses = open_threads_alternately(&a, &b, 48).await;
    let granted = statuses.iter().filter(|s| **s == 201).count();
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 429),
        "{statuses:?}"
    );
    // Each lease is spent within its lifetime here, so all 32 go; at most
    // the three unspent tokens of each instance's last lease could be lost.
    assert!(
        (26..=32).contains(&granted),
        "{granted} granted: {statuses:?}"
    );
    assert_eq!(&statuses[40..], &[429; 8], "{statuses:?}");
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_console_works_through_either_instance_and_a_conversation_is_taken_once() {
    let Some((a, b)) = two_instances(ALWAYS_OPEN).await else {
        return;
    };
    add_operator(&a, "giulia", "Giulia", "una-password-lunga");
    add_operator(&a, "marco", "Marco", "un-altra-password");
    // Logged in through A, the console's session and CSRF token serve on B.
    let giulia_a = Console::login(&a.base, "giulia", "una-password-lunga").await;
    let giulia_b = Console {
        base: b.base.clone(),
        ..giulia_a
    };
    let marco_a = Console::login(&a.base, "marco", "un-altra-password").await;
    let mut console_b =
        EventStream::new(giulia_b.get("/operator/api/events").send().await.unwrap());
    let thread = new_thread(&a.base).await;
    let r = post(
        &a.base,
        &format!("/api/v1/threads/{thread}/handoff"),
        json!(null),
    )
    .await;
    assert_eq!(r.status(), 200);
    // The queue changed on A: the console on B hears of it.
    console_b
        .wait_for(|e| e.iter().any(|(_, n, _)| n == "changed"))
        .await;
    let waiting = giulia_b.conversations().await;
    assert!(
        waiting.iter().any(|c| c["thread_id"] == thread.as_str()),
        "{waiting:?}"
    );
    // Two operators on two instances take it at once: one gets it.
    let (one, other) = tokio::join!(giulia_b.take(&thread), marco_a.take(&thread));
    let mut statuses = [one.status().as_u16(), other.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses[0], 200, "{statuses:?}");
    assert_ne!(statuses[1], 200, "{statuses:?}");
    let winner = if one.status() == 200 {
        &giulia_b
    } else {
        &marco_a
    };
    // The visitor's stream on B gets the operator's message sent on A or B.
    let mut visitor = open_events(&b.base, &thread, None).await;
    assert_eq!(
        winner
            .say(&thread, "Buongiorno, sono in linea")
            .await
            .status(),
        202
    );
    visitor
        .wait_for(|e| has_text(e, "operator", "sono in linea"))
        .await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_periodic_task_is_claimed_once_per_period_whichever_instance_asks() {
    let dir = tempfile::tempdir().unwrap();
    let database = common::database::fresh(dir.path(), "v.db").await;
    let one = Storage::open(&database).await.unwrap();
    let two = Storage::open(&database).await.unwrap();
    let hour = Duration::from_secs(3600);
    let slack = Duration::from_secs(60);
    let t0 = 1_800_000_000_000;
    assert!(one.claim_periodic("purge", t0, hour, slack).await.unwrap());
    assert!(!two
        .claim_periodic("purge", t0 + 5_000, hour, slack)
        .await
        .unwrap());
    assert!(!one
        .claim_periodic("purge", t0 + 30 * 60_000, hour, slack)
        .await
        .unwrap());
    // Within the slack of the period's end, the next run is due.
    let next = t0 + 59 * 60_000 + 30_000;
    let (x, y) = tokio::join!(
        one.claim_periodic("purge", next, hour, slack),
        two.claim_periodic("purge", next, hour, slack)
    );
    assert_eq!(
        [x.unwrap(), y.unwrap()].iter().filter(|c| **c).count(),
        1,
        "asked together, one instance runs it"
    );
    // Another task has a period of its own.
    assert!(two.claim_periodic("other", t0, hour, slack).await.unwrap());
}

/// A stand-in for an external assistant (the chat-completions protocol,
/// one JSON answer) that answers a request only when the gate lets it;
/// returns its `/v1` base URL, how many requests it received, the gate.
async fn gated_assistant() -> (String, Arc<AtomicUsize>, Arc<Semaphore>) {
    let asked = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Semaphore::new(0));
    let handler = {
        let (asked, gate) = (asked.clone(), gate.clone());
        move || async move {
            asked.fetch_add(1, Ordering::SeqCst);
            gate.acquire().await.unwrap().forget();
            axum::Json(json!({
                "object": "chat.completion",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "Scegli un gestore di identità digitale."}, "finish_reason": "stop"}],
            }))
        }
    };
    let app = axum::Router::new().route("/v1/chat/completions", axum::routing::post(handler));
    (common::llm::serve(app).await, asked, gate)
}

async fn until_asked(asked: &AtomicUsize, times: usize) {
    for _ in 0..400 {
        if asked.load(Ordering::SeqCst) >= times {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "the assistant was asked {} times, not {times}",
        asked.load(Ordering::SeqCst)
    );
}

#[tokio::test]
async fn a_question_retried_through_the_other_instance_while_it_is_answered_is_answered_once() {
    if common::database::postgres_server().is_none() {
        eprintln!("several instances need PostgreSQL: nothing to check on SQLite");
        return;
    }
    let (url, asked, gate) = gated_assistant().await;
    let a = spawn_with_external(&url, 20).await;
    let b = a.another_instance().await;
    let thread = new_thread(&a.base).await;
    let mut stream = open_events(&a.base, &thread, None).await;
    let path = format!("/api/v1/threads/{thread}/messages");
    let question = json!({"client_message_id": uuid(), "text": "Come si attiva lo SPID?"});
    assert_eq!(post(&a.base, &path, question.clone()).await.status(), 202);
    until_asked(&asked, 1).await;
    // A is preparing the answer when the retry (whose first response was
    // lost on the way, say) reaches B, where no answer is stored yet.
    assert_eq!(post(&b.base, &path, question).await.status(), 200);
    until_asked(&asked, 2).await;
    gate.add_permits(2);
    stream.wait_for(|e| messages(e).len() >= 2).await;
    // Both prepared an answer; the later one must not be stored.
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let transcript: serde_json::Value = reqwest::Client::new()
            .get(format!("{}{path}", b.base))
            .header("origin", common::threads::ORIGIN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let authors: Vec<&str> = transcript["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["author"].as_str().unwrap())
            .collect();
        assert_eq!(
            authors,
            ["visitor", "assistant"],
            "one question, one answer"
        );
    }
    assert_eq!(
        messages(&stream.events).len(),
        2,
        "the visitor sees one answer: {:?}",
        stream.events
    );
    b.stop().await;
    a.stop().await;
}

/// A stand-in for an external assistant that streams its answer in
/// `pieces` once the gate lets it; returns its `/v1` base URL and the gate.
async fn gated_streaming_assistant(pieces: &'static [&'static str]) -> (String, Arc<Semaphore>) {
    let gate = Arc::new(Semaphore::new(0));
    let handler = {
        let gate = gate.clone();
        move || async move {
            gate.acquire().await.unwrap().forget();
            (
                [("content-type", "text/event-stream")],
                common::llm::completion_stream(pieces),
            )
        }
    };
    let url = common::llm::serve(
        axum::Router::new().route("/v1/chat/completions", axum::routing::post(handler)),
    )
    .await;
    (url, gate)
}

#[tokio::test]
async fn the_pieces_of_a_streamed_answer_reach_the_other_instance_in_order_equal_ones_too() {
    if common::database::postgres_server().is_none() {
        eprintln!("several instances need PostgreSQL: nothing to check on SQLite");
        return;
    }
    const PIECES: &[&str] = &[
        "Sì, ",
        "sì, ",
        "sì, ",
        "sì, ",
        "lo SPID si chiede ",
        "a un gestore.",
    ];
    let (url, gate) = gated_streaming_assistant(PIECES).await;
    let a = spawn_with_external(&url, 20).await;
    let b = a.another_instance().await;
    let thread = new_thread(&a.base).await;
    // B's stream has read the database before its headers came: the
    // question stored after them reaches it only from A, so once B has it,
    // A knows that B follows the thread. A piece streamed before A knew
    // would not be relayed (pieces are not stored; the whole answer is).
    let mut on_b = open_events(&b.base, &thread, None).await;
    let r = post_message(&a.base, &thread, "Come si attiva lo SPID?").await;
    assert_eq!(r.status(), 202);
    on_b.wait_for(|e| !messages(e).is_empty()).await;
    gate.add_permits(1);
    on_b.wait_for(|e| messages(e).len() >= 2).await;
    assert_eq!(
        deltas(&on_b.events),
        PIECES.concat(),
        "every piece, in order, on the other instance"
    );
    b.stop().await;
    a.stop().await;
}
