//! Per-client rate limits over HTTP against the real server: every public
//! endpoint class answers a burst beyond its limit with `429`, a JSON error
//! and `Retry-After`, while another client is not affected; a site's own
//! limits apply to requests that name it; behind a trusted proxy the client
//! is the address it forwards for, and a client that is not a trusted proxy
//! gains nothing by writing `X-Forwarded-For`.
//!
//! Clients are told apart by their source address: Linux routes all of
//! 127.0.0.0/8 to the loopback interface, so a client bound to 127.0.0.2
//! reaches the server on 127.0.0.1 as another peer. The limits refill at
//! one token in 1000 minutes, so nothing here depends on time.

use crate::common;

use common::spawn_app_with;
use reqwest::{Client, Method, Response};
use serde_json::{json, Value};
use std::net::IpAddr;
use varco_server::config::rate_limits::Class;

/// A refill so slow that no token comes back during a test.
const NEVER: &str = "per_minute = 0.001";

fn client_from(address: &str) -> Client {
    Client::builder()
        .local_address(address.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// `[server.rate_limits]` with every class at `burst`.
fn every_class_at(burst: u32) -> String {
    let mut s = String::from("[server.rate_limits]\n");
    for c in Class::ALL {
        s.push_str(&format!("{} = {{ burst = {burst}, {NEVER} }}\n", c.name()));
    }
    s
}

/// One request of an endpoint class: method, path and JSON body. Most are
/// refused by the handler (unknown thread, empty body): the limit counts
/// every request all the same, and a refusal is not a 429.
struct Call {
    method: Method,
    path: String,
    body: Option<Value>,
}

fn call(method: Method, path: &str, body: Option<Value>) -> Call {
    Call {
        method,
        path: path.to_owned(),
        body,
    }
}

async fn send(client: &Client, base: &str, c: &Call) -> Response {
    let mut req = client.request(c.method.clone(), format!("{base}{}", c.path));
    if let Some(body) = &c.body {
        req = req.json(body);
    }
    req.send().await.unwrap()
}

/// Asserts a 429 with `{"error": "rate_limited"}` and a `Retry-After` of
/// whole seconds.
async fn assert_limited(r: Response, what: &str) -> Value {
    assert_eq!(r.status(), 429, "{what}");
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{what}: Retry-After in seconds"));
    assert!(retry >= 1, "{what}: Retry-After {retry}");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "{what}"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited", "{what}: {body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    body
}

fn thread() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[tokio::test]
async fn every_endpoint_class_limits_each_client_on_its_own() {
    let app = spawn_app_with(&every_class_at(2)).await;
    let (t1, t2, t3) = (thread(), thread(), thread());
    // Each class with three requests of it; the third goes over the burst.
    let classes: Vec<(&str, [Call; 3])> = vec![
        (
            "site_config",
            [0, 1, 2].map(|_| call(Method::GET, "/api/v1/sites/milomb", None)),
        ),
        (
            "stale_block",
            [0, 1, 2].map(|_| {
                call(
                    Method::POST,
                    "/api/v1/sites/milomb/stale-block",
                    Some(json!({"path": "/a.html"})),
                )
            }),
        ),
        (
            "consents",
            [0, 1, 2].map(|_| call(Method::POST, "/api/v1/consents", Some(json!({})))),
        ),
        (
            "threads",
            [0, 1, 2].map(|_| call(Method::POST, "/api/v1/threads", Some(json!({})))),
        ),
        (
            "messages",
            [0, 1, 2].map(|_| {
                call(
                    Method::POST,
                    &format!("/api/v1/threads/{t1}/messages"),
                    Some(json!({"client_message_id": thread(), "text": "ciao"})),
                )
            }),
        ),
        (
            "typing",
            [0, 1, 2].map(|_| call(Method::POST, &format!("/api/v1/threads/{t1}/typing"), None)),
        ),
        (
            "handoff",
            [0, 1, 2].map(|_| call(Method::POST, &format!("/api/v1/threads/{t1}/handoff"), None)),
        ),
        (
            "leave_message",
            [0, 1, 2].map(|_| {
                call(
                    Method::POST,
                    &format!("/api/v1/threads/{t1}/leave-message"),
                    Some(json!({})),
                )
            }),
        ),
        // Ending and deleting a thread share one bucket.
        (
            "thread_end",
            [
                call(Method::POST, &format!("/api/v1/threads/{t1}/end"), None),
                call(Method::DELETE, &format!("/api/v1/threads/{t2}"), None),
                call(Method::POST, &format!("/api/v1/threads/{t3}/end"), None),
            ],
        ),
        // Feedback on a conversation and on a booking share one bucket.
        (
            "feedback",
            [
                call(
                    Method::POST,
                    &format!("/api/v1/threads/{t1}/feedback"),
                    Some(json!({"about": "answer", "event_id": 1, "helped": true})),
                ),
                call(
                    Method::POST,
                    "/api/v1/appointments/feedback",
                    Some(json!({"site": "milomb", "code": "ABCD-1234", "rating": 5})),
                ),
                call(
                    Method::POST,
                    &format!("/api/v1/threads/{t1}/feedback"),
                    Some(json!({"about": "live_chat", "rating": 5})),
                ),
            ],
        ),
        (
            "events",
            [0, 1, 2].map(|_| call(Method::GET, &format!("/api/v1/threads/{t1}/events"), None)),
        ),
        (
            "navigation",
            [0, 1, 2].map(|_| call(Method::POST, "/api/v1/navigation", Some(json!({})))),
        ),
        (
            "user_deletion",
            [0, 1, 2].map(|_| {
                call(
                    Method::DELETE,
                    &format!("/api/v1/users/{}?site=milomb", thread()),
                    None,
                )
            }),
        ),
        (
            "recommendations",
            [0, 1, 2].map(|_| {
                call(
                    Method::GET,
                    &format!("/api/v1/recommendations?site=milomb&user_id={}", thread()),
                    None,
                )
            }),
        ),
        // Options and free places share one bucket.
        (
            "appointment_reads",
            [
                call(
                    Method::GET,
                    "/api/v1/appointments/options?site=milomb",
                    None,
                ),
                call(Method::GET, "/api/v1/appointments/slots?site=milomb", None),
                call(
                    Method::GET,
                    "/api/v1/appointments/options?site=milomb",
                    None,
                ),
            ],
        ),
        (
            "booking",
            [0, 1, 2].map(|_| call(Method::POST, "/api/v1/appointments", Some(json!({})))),
        ),
        (
            "cancellation",
            [0, 1, 2].map(|_| {
                call(
                    Method::POST,
                    "/api/v1/appointments/ABCD-1234/cancel",
                    Some(json!({"site": "milomb", "email": "a@example.it"})),
                )
            }),
        ),
        // Checking, trying and publishing drafts share one bucket, which
        // counts before the session is looked at.
        (
            "kb_drafts",
            [
                call(Method::POST, "/operator/api/kb/check", Some(json!({}))),
                call(Method::POST, "/operator/api/kb/try", Some(json!({}))),
                call(Method::POST, "/operator/api/kb/publish", Some(json!({}))),
            ],
        ),
        // Another username each time: this is the per-client limit.
        (
            "login",
            [0, 1, 2].map(|i| {
                call(
                    Method::POST,
                    "/operator/api/login",
                    Some(json!({"username": format!("user{i}"), "password": "x"})),
                )
            }),
        ),
    ];
    let covered: Vec<&str> = classes.iter().map(|(name, _)| *name).collect();
    for c in Class::ALL {
        assert!(
            covered.contains(&c.name()) || c == Class::LoginUsername,
            "{} is not tested here",
            c.name()
        );
    }

    let first = client_from("127.0.0.2");
    let second = client_from("127.0.0.3");
    for (name, calls) in &classes {
        for (i, c) in calls[..2].iter().enumerate() {
            let r = send(&first, &app.base, c).await;
            assert_ne!(r.status(), 429, "{name}: request {i} is within the burst");
        }
        assert_limited(send(&first, &app.base, &calls[2]).await, name).await;
        // Another client has its own bucket.
        let r = send(&second, &app.base, &calls[2]).await;
        assert_ne!(r.status(), 429, "{name}: another client is not affected");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_site_sets_its_own_limits_for_the_requests_that_name_it() {
    // A site that asks consent to personalisation (or it has no
    // recommendations to give).
    let app = common::spawn_app_configured(
        &format!("[server.rate_limits]\nrecommendations = {{ burst = 1, {NEVER} }}"),
        &format!("[sites.rate_limits]\nrecommendations = {{ burst = 3, {NEVER} }}"),
        common::PERSONALISATION,
        |_| {},
    )
    .await;
    let client = client_from("127.0.0.2");
    let user = thread();
    let named = format!("/api/v1/recommendations?site=milomb&user_id={user}");
    let unnamed = format!("/api/v1/recommendations?user_id={user}");
    // Named by `?site=`: the site's three.
    for i in 0..3 {
        let r = send(&client, &app.base, &call(Method::GET, &named, None)).await;
        assert_eq!(r.status(), 200, "request {i} within the site's burst");
    }
    assert_limited(
        send(&client, &app.base, &call(Method::GET, &named, None)).await,
        "over the site's burst",
    )
    .await;
    // Named by the page's `Origin`: the same site, the same bucket.
    let r = client
        .get(format!("{}{unnamed}", app.base))
        .header("origin", common::threads::ORIGIN)
        .send()
        .await
        .unwrap();
    assert_limited(r, "the site's origin counts under the site").await;
    // Naming no site: the server's limit of one, in a bucket of its own.
    let r = send(&client, &app.base, &call(Method::GET, &unnamed, None)).await;
    assert_eq!(r.status(), 200);
    assert_limited(
        send(&client, &app.base, &call(Method::GET, &unnamed, None)).await,
        "over the server's burst",
    )
    .await;
    app.stop().await;
}

async fn post_thread(client: &Client, base: &str, forwarded: &[(&str, &str)]) -> Response {
    let mut req = client
        .post(format!("{base}/api/v1/threads"))
        .json(&json!({}));
    for (name, value) in forwarded {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_bucket_and_others_cannot_forge_one() {
    let app = spawn_app_with(&format!(
        "trusted_proxies = [\"127.0.0.1\"]\n[server.rate_limits]\nthreads = {{ burst = 1, {NEVER} }}"
    ))
    .await;
    let proxy = client_from("127.0.0.1");
    let xff = "x-forwarded-for";
    // Two visitors behind the proxy: a bucket each.
    assert_ne!(
        post_thread(&proxy, &app.base, &[(xff, "198.51.100.1")])
            .await
            .status(),
        429
    );
    assert_limited(
        post_thread(&proxy, &app.base, &[(xff, "198.51.100.1")]).await,
        "the first visitor's second request",
    )
    .await;
    assert_ne!(
        post_thread(&proxy, &app.base, &[(xff, "198.51.100.2")])
            .await
            .status(),
        429
    );
    // A visitor that wrote its own X-Forwarded-For, which the proxy
    // appended to: the rightmost address is still the real one.
    assert_limited(
        post_thread(&proxy, &app.base, &[(xff, "203.0.113.77, 198.51.100.1")]).await,
        "a forged first element changes nothing",
    )
    .await;
    // IPv6 visitors share a bucket per /64.
    assert_ne!(
        post_thread(&proxy, &app.base, &[(xff, "2001:db8:1:2::1")])
            .await
            .status(),
        429
    );
    assert_limited(
        post_thread(&proxy, &app.base, &[(xff, "2001:db8:1:2:ffff::9")]).await,
        "another address of the same /64",
    )
    .await;
    assert_ne!(
        post_thread(&proxy, &app.base, &[(xff, "2001:db8:1:3::1")])
            .await
            .status(),
        429
    );

    // A client that is not a trusted proxy: its headers are not read.
    let direct = client_from("127.0.0.4");
    assert_ne!(
        post_thread(&direct, &app.base, &[(xff, "192.0.2.1")])
            .await
            .status(),
        429
    );
    for forged in [
        vec![(xff, "192.0.2.2")],
        vec![("forwarded", "for=192.0.2.3")],
        vec![(xff, "192.0.2.4"), ("forwarded", "for=\"[2001:db8::4]\"")],
    ] {
        assert_limited(
            post_thread(&direct, &app.base, &forged).await,
            &format!("forged {forged:?}"),
        )
        .await;
    }
    app.stop().await;
}

#[tokio::test]
async fn a_proxy_that_writes_forwarded_is_read_by_rfc_7239() {
    let app = spawn_app_with(&format!(
        "trusted_proxies = [\"127.0.0.0/8\"]\nclient_address_header = \"Forwarded\"\n[server.rate_limits]\nthreads = {{ burst = 1, {NEVER} }}"
    ))
    .await;
    let proxy = client_from("127.0.0.9");
    let fwd = "forwarded";
    assert_ne!(
        post_thread(
            &proxy,
            &app.base,
            &[(fwd, "for=\"[2001:db8:cafe::17]:4711\";proto=https")]
        )
        .await
        .status(),
        429
    );
    assert_limited(
        post_thread(
            &proxy,
            &app.base,
            &[(fwd, "for=_forged, for=\"[2001:db8:cafe::18]\"")],
        )
        .await,
        "the same /64, after a hop the client wrote",
    )
    .await;
    assert_ne!(
        post_thread(&proxy, &app.base, &[(fwd, "for=192.0.2.60;by=127.0.0.9")])
            .await
            .status(),
        429
    );
    // X-Forwarded-For is not this proxy's header: the proxy itself is the
    // client, with its own bucket.
    assert_ne!(
        post_thread(&proxy, &app.base, &[("x-forwarded-for", "192.0.2.60")])
            .await
            .status(),
        429
    );
    assert_limited(
        post_thread(&proxy, &app.base, &[("x-forwarded-for", "192.0.2.61")]).await,
        "X-Forwarded-For ignored",
    )
    .await;
    app.stop().await;
}

async fn login(client: &Client, base: &str, forwarded_for: &str, username: &str) -> Response {
    client
        .post(format!("{base}/operator/api/login"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"username": username, "password": "tentativo-sbagliato"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn guesses_at_one_account_are_limited_whatever_their_address_and_others_still_log_in() {
    let app = spawn_app_with(&format!(
        "trusted_proxies = [\"127.0.0.1\"]\n[server.rate_limits]\nlogin_username = {{ burst = 3, {NEVER} }}"
    ))
    .await;
    let proxy = client_from("127.0.0.1");
    // A script spread over many addresses, at one account.
    for i in 1..=3 {
        let r = login(&proxy, &app.base, &format!("198.51.100.{i}"), "giulia").await;
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    let body = assert_limited(
        login(&proxy, &app.base, "198.51.100.4", "giulia").await,
        "a fourth address at the same account",
    )
    .await;
    assert!(
        body["message"].as_str().unwrap().contains("username"),
        "{body}"
    );
    // The same clients at another account: not locked out.
    let r = login(&proxy, &app.base, "198.51.100.4", "marco").await;
    assert_eq!(r.status(), 401);
    app.stop().await;
}
