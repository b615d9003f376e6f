//! No log line holds a client's address: neither the TCP peer nor the
//! address a trusted proxy forwards for, not even when a limit refuses it.
//!
//! This file installs a global subscriber, so it holds one test.

mod common;

use common::logs::Captured;
use common::spawn_app_with;
use common::threads::{uuid, ORIGIN};
use serde_json::json;
use std::net::IpAddr;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_log_line_holds_a_client_address() {
    let logs = Captured::install("trace,reqwest=off,hyper_util::client=off,hyper::client=off");

    // The test's clients come from 127.0.0.7 (directly) and from 127.0.0.1
    // (the trusted proxy) on behalf of two forwarded addresses.
    let app = spawn_app_with(
        "trusted_proxies = [\"127.0.0.1\"]\n[server.rate_limits]\nthreads = { burst = 1, per_minute = 0.001 }\nlogin = { burst = 1, per_minute = 0.001 }",
    )
    .await;
    let direct = reqwest::Client::builder()
        .local_address("127.0.0.7".parse::<IpAddr>().unwrap())
        .build()
        .unwrap();
    let proxy = reqwest::Client::new();
    let forwarded = ["198.51.100.77", "2001:db8:77::77"];
    let mut statuses = Vec::new();
    for (client, xff) in [
        (&direct, None),
        (&proxy, Some(forwarded[0])),
        (&proxy, Some(forwarded[1])),
    ] {
        // Each opens two threads (the second is refused) and tries to log
        // in twice (the second is refused).
        for _ in 0..2 {
            let mut req = client
                .post(format!("{}/api/v1/threads", app.base))
                .header("origin", ORIGIN)
                .json(&json!({"thread_id": uuid(), "site": "milomb", "language": "it", "terms_revision": "1"}));
            if let Some(x) = xff {
                req = req.header("x-forwarded-for", x);
            }
            statuses.push(req.send().await.unwrap().status().as_u16());
            let mut req = client
                .post(format!("{}/operator/api/login", app.base))
                .json(&json!({"username": "giulia", "password": "sbagliata"}));
            if let Some(x) = xff {
                req = req.header("x-forwarded-for", x);
            }
            statuses.push(req.send().await.unwrap().status().as_u16());
        }
    }
    app.stop().await;
    assert_eq!(
        statuses,
        [201, 401, 429, 429].repeat(3),
        "each client opened one thread and tried one login"
    );

    let text = logs.text();
    // The refusals were logged (or this test would prove nothing)...
    for expected in ["rate limit reached", "a console login failed"] {
        assert!(text.contains(expected), "{expected:?} not logged:\n{text}");
    }
    // ...without the addresses they were for.
    for line in text.lines() {
        for address in ["127.0.0.7", forwarded[0], forwarded[1], "2001:db8:77::"] {
            assert!(
                !line.contains(address),
                "a client's address in the logs: {line}"
            );
        }
    }
}
