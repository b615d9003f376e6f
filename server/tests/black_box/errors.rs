//! Every error answer is JSON (`ApiError`: `error`, a stable code, and
//! `message`), axum's own rejections included: a query string, a path or a
//! body that cannot be read, a method a route does not have, a route that
//! does not exist. The status stays what it says.

use crate::common;

use common::threads::{uuid, ORIGIN};
use common::{spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode};
use varco_protocol::ApiError;

/// Checks that `r` is a JSON error with `status` and `error`, and returns
/// its message.
async fn json_error(r: reqwest::Response, status: u16, error: &str) -> String {
    let what = format!("{} {}", r.status(), r.url());
    assert_eq!(r.status().as_u16(), status, "{what}");
    let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{what}: {content_type}"
    );
    let body: ApiError = r.json().await.unwrap();
    assert_eq!(body.error, error, "{what}: {}", body.message);
    assert!(!body.message.is_empty(), "{what}");
    body.message
}

#[tokio::test]
async fn a_missing_or_unreadable_query_parameter_is_a_json_400() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    // `user_id` is required.
    let r = client
        .get(format!("{}/api/v1/recommendations?site=milomb", app.base))
        .send()
        .await
        .unwrap();
    let message = json_error(r, 400, "invalid_query").await;
    assert!(message.contains("user_id"), "{message}");
    // `after` is a number.
    let r = client
        .get(format!(
            "{}/api/v1/threads/{}/events?after=dopo",
            app.base,
            uuid()
        ))
        .send()
        .await
        .unwrap();
    json_error(r, 400, "invalid_query").await;
    // `days` is a small number.
    let r = client
        .get(format!(
            "{}/api/v1/appointments/slots?site=milomb&office=a&service=b&days=99999999",
            app.base
        ))
        .send()
        .await
        .unwrap();
    json_error(r, 400, "invalid_query").await;
    app.stop().await;
}

#[tokio::test]
async fn a_path_parameter_that_is_not_text_is_a_json_400() {
    let app = spawn_app().await;
    // %FF decodes to a byte that is not UTF-8.
    for path in [
        "/api/v1/sites/%FF",
        "/api/v1/threads/%FF%FE/messages",
        "/api/v1/users/%C3",
    ] {
        let method = if path.ends_with("messages") {
            Method::POST
        } else if path.contains("users") {
            Method::DELETE
        } else {
            Method::GET
        };
        let r = reqwest::Client::new()
            .request(method, format!("{}{path}", app.base))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        json_error(r, 400, "invalid_path").await;
    }
    app.stop().await;
}

#[tokio::test]
async fn a_body_that_is_not_json_or_of_another_type_or_too_large_is_a_json_error() {
    let app = spawn_app().await; // body_limit = 1024
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/consents", app.base);
    let send = |content_type: &'static str, body: Vec<u8>| {
        client
            .post(&url)
            .header("origin", ORIGIN)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let r = send("application/json", b"{\"record_id\": ".to_vec())
        .await
        .unwrap();
    json_error(r, 400, "invalid_body").await;
    let r = send("application/json", b"[1, 2]".to_vec()).await.unwrap();
    json_error(r, 422, "invalid_body").await;
    let r = send("text/plain", b"{}".to_vec()).await.unwrap();
    json_error(r, 415, "unsupported_media_type").await;
    let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(4096)).into_bytes();
    let r = send("application/json", big).await.unwrap();
    json_error(r, 413, "body_too_large").await;
    app.stop().await;
}

#[tokio::test]
async fn a_method_that_a_route_does_not_have_is_a_json_405_with_allow() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    for (method, path) in [
        (Method::PUT, "/api/v1/consents".to_owned()),
        (Method::GET, "/api/v1/consents".to_owned()),
        (Method::DELETE, "/api/v1/sites/milomb".to_owned()),
        (Method::PATCH, format!("/api/v1/threads/{}", uuid())),
        (Method::GET, "/operator/api/login".to_owned()),
        (Method::POST, "/healthz".to_owned()),
    ] {
        let r = client
            .request(method, format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert!(r.headers().contains_key("allow"), "{path}");
        json_error(r, 405, "method_not_allowed").await;
    }
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_route_is_a_json_404_under_api_and_elsewhere() {
    let app = spawn_app().await;
    for path in [
        "/api/v2/sites/milomb",
        "/api/v1/threads",
        "/api/v1/threads/a/b/c/d",
        "/api/",
        "/api",
        "/operator/api/nothing",
        "/nothing-here",
    ] {
        let r = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
        if path == "/api/v1/threads" {
            // The route exists for POST only.
            json_error(r, 405, "method_not_allowed").await;
        } else {
            json_error(r, 404, "not_found").await;
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn the_demo_analytics_stub_is_mounted_only_for_the_demo() {
    let app = spawn_app().await;
    let r = reqwest::get(format!("{}/demo-analytics/matomo.php?idsite=1", app.base))
        .await
        .unwrap();
    json_error(r, 404, "not_found").await;
    app.stop().await;

    let demo = spawn_app_with("demo = true").await;
    let r = reqwest::get(format!("{}/demo-analytics/matomo.php?idsite=1", demo.base))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    demo.stop().await;
}
