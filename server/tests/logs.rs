//! No log line holds a UserID or a Thread ID (ARCHITECTURE.md, invariants):
//! a whole session is run against the real server with every log level on,
//! and each line the server wrote is searched for both identifiers.
//!
//! This file installs a global subscriber, so it holds one test.

mod common;

use common::threads::{messages, new_thread, post, read_events, uuid, ORIGIN};
use common::{spawn_app_with_widget, PERSONALISATION};
use serde_json::json;
use std::sync::{Arc, Mutex};
use tracing_subscriber::fmt::MakeWriter;
use varco_core::consent::rfc3339_utc;
use varco_server::api::now_ms;

/// Everything logged, in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_log_line_holds_a_user_id_or_a_thread_id() {
    let logs = Captured::default();
    // Every level of the server, its HTTP layer and the database; the test's
    // own HTTP client is left out (its lines are not the server's logs).
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "trace,reqwest=off,hyper_util::client=off,hyper::client=off",
        ))
        .with_ansi(false)
        .with_writer(logs.clone())
        .init();

    // A site that takes navigation data: it asks consent to personalizzazione.
    let app = spawn_app_with_widget("body_limit = 1024", PERSONALISATION).await;
    let client = reqwest::Client::new();
    let user = uuid();
    let view = |path: &str| json!({"key": uuid(), "path": path, "title": "Pagina", "visited_at": rfc3339_utc(now_ms())});

    // Navigation: upload, a retry, a refused batch, recommendations.
    let batch = json!({"site": "milomb", "user_id": user,
        "entries": [view("/demo-site/milomb/spid.html"), view("/demo-site/milomb/firma-digitale.html")]});
    assert_eq!(
        post(&app.base, "/api/v1/navigation", batch.clone())
            .await
            .status(),
        200
    );
    assert_eq!(
        post(&app.base, "/api/v1/navigation", batch).await.status(),
        200
    );
    let refused = json!({"site": "milomb", "user_id": user, "entries": [{"key": "x"}]});
    assert!(post(&app.base, "/api/v1/navigation", refused)
        .await
        .status()
        .is_client_error());
    let r = client
        .get(format!(
            "{}/api/v1/recommendations?site=milomb&user_id={user}",
            app.base
        ))
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // A conversation: opened, a question answered, deleted.
    let thread = new_thread(&app.base).await;
    let r = post(
        &app.base,
        &format!("/api/v1/threads/{thread}/messages"),
        json!({"client_message_id": uuid(), "text": "come si richiede lo spid?"}),
    )
    .await;
    assert_eq!(r.status(), 202);
    read_events(&app.base, &thread, None, |e| messages(e).len() >= 2).await;
    let r = client
        .delete(format!("{}/api/v1/threads/{thread}", app.base))
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);

    // Withdrawal: the UserID's data deleted.
    let r = client
        .delete(format!("{}/api/v1/users/{user}?site=milomb", app.base))
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.stop().await;

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    // The session was logged (or this test would prove nothing)...
    for expected in [
        "navigation batch",
        "assistant answered",
        "/api/v1/threads/{id}/messages",
        "/api/v1/users/{user_id}",
    ] {
        assert!(text.contains(expected), "{expected:?} not logged:\n{text}");
    }
    // ...and no line names either identifier, let alone both.
    for line in text.lines() {
        assert!(
            !line.contains(&user) && !line.contains(&thread),
            "an identifier in the logs: {line}"
        );
    }
}
