//! Black-box tests of the server over HTTP, against a real database.

use crate::common;

use common::spawn_app;
use std::path::Path;
use varco_protocol::{ApiError, Health, SiteConfig};

#[tokio::test]
async fn healthz_answers_and_the_database_file_is_created_with_its_migrations() {
    let app = spawn_app().await;
    let r = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    let h: Health = r.json().await.unwrap();
    assert_eq!(h.status, "ok");
    if let Some(file) = common::database::sqlite_file(&app.database) {
        assert!(file.exists(), "the SQLite file is created under its folder");
    }
    let database = app.database.clone();
    let _dir = app.stop().await;

    // The migrations ran: the consent table exists, empty, and the schema
    // is at the newest version.
    assert_eq!(
        common::database::count(&database, "SELECT count(*) FROM consent_records", &[]).await,
        0
    );
    let storage = varco_server::storage::Storage::open(&database)
        .await
        .unwrap();
    assert!(storage.schema_version().await.unwrap() >= 14);
    storage.close().await;
}

#[tokio::test]
async fn site_config_is_served_for_a_known_site() {
    let app = spawn_app().await;
    let r = reqwest::get(format!("{}/api/v1/sites/milomb", app.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cfg: SiteConfig = r.json().await.unwrap();
    assert_eq!(cfg.site.as_deref(), Some("milomb"));
    assert_eq!(cfg.revision.as_deref(), Some("7"));
    assert_eq!(cfg.categories.len(), 2);
    assert_eq!(
        cfg.categories[1].services[0].cookies,
        ["_pk_id.*", "_pk_ses.*"]
    );
    app.stop().await;
}

#[tokio::test]
async fn unknown_site_and_unknown_endpoint_are_json_404s() {
    let app = spawn_app().await;
    for path in ["/api/v1/sites/nessuno", "/api/v1/nothing-here"] {
        let r = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
        let e: ApiError = r.json().await.unwrap();
        assert_eq!(e.error, "not_found");
    }
    app.stop().await;
}

#[tokio::test]
async fn origins_are_checked_and_allowed_ones_get_cors_headers() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/sites/milomb", app.base);

    let r = client
        .get(&url)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let e: ApiError = r.json().await.unwrap();
    assert_eq!(e.error, "origin_not_allowed");

    let r = client
        .get(&url)
        .header("origin", "https://www.milomb.camcom.it")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://www.milomb.camcom.it"
    );
    assert_eq!(r.headers()["access-control-expose-headers"], "retry-after");
    assert!(
        r.headers()
            .get("access-control-allow-credentials")
            .is_none(),
        "the visitor API never takes cookies"
    );

    let r = client
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://www.milomb.camcom.it")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(r.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    app.stop().await;
}

#[tokio::test]
async fn widget_files_are_served_cross_origin_with_the_wasm_mime_type() {
    let app = spawn_app().await;
    let r = reqwest::get(format!("{}/varco/varco_app.wasm", app.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/wasm");
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let r = reqwest::get(format!("{}/varco/varco.js", app.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("javascript"));
    let r = reqwest::get(format!("{}/", app.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_and_releases_the_port() {
    let app = spawn_app().await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    app.stop().await;
    assert!(tokio::net::TcpStream::connect(&addr).await.is_err());
}

#[test]
fn check_config_command_reports_every_problem_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        r#"
[[sites]]
id = "Milano!"
[sites.widget]
[[sites.widget.categories]]
id = "necessari"
necessary = true
description = "x"
[[sites.widget.categories.services]]
name = "Matomo"
kind = "analytics"
"#,
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_varco-server"))
        .args(["--config"])
        .arg(&bad)
        .arg("check-config")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sites[0] (Milano!).id"), "{err}");
    assert!(err.contains("categories[0].services[0].kind"), "{err}");
    assert!(err.contains("cookie_policy_url"), "{err}");

    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("varco.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_varco-server"))
        .arg("--config")
        .arg(&demo)
        .arg("check-config")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
