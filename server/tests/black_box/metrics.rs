//! `/metrics` for the sysadmin's Prometheus: the figures by route template
//! with no identifier in any label, and only to whom `metrics_from` names,
//! asking directly.

use crate::common;

use common::threads::{new_thread, post, uuid};
use common::{spawn_app, spawn_app_with};
use serde_json::json;

async fn scrape(base: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut r = reqwest::Client::new().get(format!("{base}/metrics"));
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.send().await.unwrap()
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_name_no_identifier() {
    let app = spawn_app().await;
    let thread = new_thread(&app.base).await;
    let r = post(
        &app.base,
        &format!("/api/v1/threads/{thread}/messages"),
        json!({"client_message_id": uuid(), "text": "come richiedo lo SPID?"}),
    )
    .await;
    assert_eq!(r.status(), 202);
    let missing = uuid();
    let r = reqwest::get(format!("{}/api/v1/threads/{missing}/messages", app.base))
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());

    let r = scrape(&app.base, &[]).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = r.text().await.unwrap();
    for line in [
        r#"varco_http_requests_total{method="POST",route="/api/v1/threads",status="201"}"#,
        r#"varco_http_requests_total{method="POST",route="/api/v1/threads/{id}/messages",status="202"}"#,
        r#"varco_http_requests_total{method="GET",route="/api/v1/threads/{id}/messages",status="4"#,
        r#"varco_http_request_duration_seconds_count{method="POST",route="/api/v1/threads/{id}/messages"}"#,
        "varco_event_streams_open ",
        "varco_hub_channels ",
        "varco_database_writes_waiting ",
        "varco_database_errors_total ",
        // The message posted above went to the database in a batch.
        "varco_message_batch_rows_count ",
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
    assert!(
        text.lines().any(
            |l| l.starts_with("varco_http_request_duration_seconds_bucket{")
                && l.contains(r#"route="/api/v1/threads/{id}/messages""#)
        ),
        "no latency buckets:\n{text}"
    );
    for id in [&thread, &missing] {
        assert!(
            !text.contains(id.as_str()),
            "an identifier in the metrics:\n{text}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn metrics_are_not_served_through_a_proxy_or_to_others() {
    let app = spawn_app().await;
    for header in ["x-forwarded-for", "forwarded", "x-real-ip"] {
        let r = scrape(&app.base, &[(header, "203.0.113.7")]).await;
        assert_eq!(r.status(), 404, "{header}");
    }
    app.stop().await;

    let app = spawn_app_with("metrics_from = []").await;
    assert_eq!(scrape(&app.base, &[]).await.status(), 404);
    app.stop().await;

    let app = spawn_app_with("metrics_from = [\"10.0.0.0/8\"]").await;
    assert_eq!(
        scrape(&app.base, &[]).await.status(),
        404,
        "127.0.0.1 is not in 10/8"
    );
    app.stop().await;
}
