//! No log line holds a UserID or a Thread ID (ARCHITECTURE.md, invariants),
//! nor what else arrives with a visitor's request (the page in `Referer`,
//! the site's cookies, the client's address): a whole session is run
//! against the real server with every log level on, and each line the
//! server wrote is searched for all of them.
//!
//! This file installs a global subscriber, so it holds one test.

mod common;

use common::logs::Captured;
use common::threads::{messages, new_thread, post, read_events, uuid, ORIGIN};
use common::{spawn_app_with_widget, PERSONALISATION};
use serde_json::json;
use varco_core::consent::rfc3339_utc;
use varco_server::api::now_ms;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_log_line_holds_a_user_id_or_a_thread_id() {
    let logs = Captured::install("trace,reqwest=off,hyper_util::client=off,hyper::client=off");

    // A site that takes navigation data: it asks consent to personalizzazione.
    let app = spawn_app_with_widget("body_limit = 1024", PERSONALISATION).await;
    // What a careless browser or proxy sends along, each value distinctive.
    let referer = "https://www.milomb.camcom.it/pagina-visitata-7f3a";
    let cookie = "_pk_id.1.a1b2=cookie-del-sito-5e9c";
    let forged = "203.0.113.77";
    let client_ip = "127.0.0.9";
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("referer", referer.parse().unwrap());
    headers.insert("cookie", cookie.parse().unwrap());
    headers.insert("x-forwarded-for", forged.parse().unwrap());
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .local_address(client_ip.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
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
    let r = client
        .post(format!("{}/api/v1/threads/{thread}/messages", app.base))
        .header("origin", ORIGIN)
        .json(&json!({"client_message_id": uuid(), "text": "come si richiede lo spid?"}))
        .send()
        .await
        .unwrap();
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

    let text = logs.text();
    // The session was logged (or this test would prove nothing)...
    for expected in [
        "navigation batch",
        "assistant answered",
        "/api/v1/threads/{id}/messages",
        "/api/v1/users/{user_id}",
    ] {
        assert!(text.contains(expected), "{expected:?} not logged:\n{text}");
    }
    // ...and no line names either identifier, let alone both, nor the
    // page, the cookies or an address of the client.
    for line in text.lines() {
        assert!(
            !line.contains(&user) && !line.contains(&thread),
            "an identifier in the logs: {line}"
        );
        for (what, value) in [
            ("Referer", referer),
            ("Referer", "pagina-visitata-7f3a"),
            ("cookie", "cookie-del-sito-5e9c"),
            ("X-Forwarded-For", forged),
            ("client address", client_ip),
        ] {
            assert!(!line.contains(value), "the {what} in the logs: {line}");
        }
    }
}
