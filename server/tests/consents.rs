//! Proof of consent over HTTP: append-only, once per record_id, validated,
//! exported for the data controller.

mod common;

use common::spawn_app;
use varco_protocol::{ApiError, ConsentAction, ConsentReceipt, ConsentRecord};

fn record(record_id: &str) -> ConsentRecord {
    ConsentRecord {
        record_id: record_id.into(),
        consent_id: "3f2504e0-4f89-41d3-9a0c-0305e82c3301".into(),
        site: "milomb".into(),
        decided_at: "2026-11-22T19:30:00.000Z".into(),
        revision: "7".into(),
        accepted: vec!["necessari".into(), "analitici".into()],
        rejected: vec![],
        action: ConsentAction::AcceptAll,
        language: "it".into(),
        texts_hash: "fnv1a64:0123456789abcdef".into(),
    }
}

const R1: &str = "9b2c4a1e-6f0d-4e8a-b3c2-1d2e3f4a5b6c";
const R2: &str = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";

#[tokio::test]
async fn a_record_is_stored_once_however_often_it_is_retried() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/consents", app.base);
    let first = client.post(&url).json(&record(R1)).send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: ConsentReceipt = first.json().await.unwrap();
    assert!(!first.duplicate);
    for _ in 0..3 {
        let again = client.post(&url).json(&record(R1)).send().await.unwrap();
        assert_eq!(again.status(), 200);
        let again: ConsentReceipt = again.json().await.unwrap();
        assert!(again.duplicate);
        assert_eq!(again.seq, first.seq);
    }
    let second: ConsentReceipt = client
        .post(&url)
        .json(&record(R2))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(second.seq > first.seq);

    let db = app.db.clone();
    let _dir = app.stop().await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM consent_records")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 2);
    // Append-only: the database itself refuses to rewrite history.
    let update = sqlx::query("UPDATE consent_records SET action = 'accept_all' WHERE seq = 1")
        .execute(&pool)
        .await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
}

#[tokio::test]
async fn invalid_records_get_a_json_4xx_naming_the_problem() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/consents", app.base);

    let mut bad = record(R1);
    bad.rejected = vec!["necessari".into()];
    bad.consent_id = "123".into();
    let r = client.post(&url).json(&bad).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let e: ApiError = r.json().await.unwrap();
    assert_eq!(e.error, "invalid_record");
    assert!(
        e.message.contains("consent_id") && e.message.contains("necessary"),
        "{}",
        e.message
    );

    let mut unknown = record(R1);
    unknown.site = "altrove".into();
    let r = client.post(&url).json(&unknown).send().await.unwrap();
    assert_eq!(r.status(), 422);

    // Fields the contract does not have (an IP, a user id) are refused.
    let mut v = serde_json::to_value(record(R1)).unwrap();
    v["user_id"] = "abc".into();
    let r = client.post(&url).json(&v).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let e: ApiError = r.json().await.unwrap();
    assert_eq!(e.error, "invalid_body");

    let r = client
        .post(&url)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = client
        .post(&url)
        .json(&"x".repeat(4000))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let e: ApiError = r.json().await.unwrap();
    assert_eq!(e.error, "body_too_large");

    let r = client
        .post(&url)
        .header("origin", "https://evil.example")
        .json(&record(R1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn the_export_command_prints_the_period_as_csv_and_json() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/consents", app.base);
    client.post(&url).json(&record(R1)).send().await.unwrap();
    let mut custom = record(R2);
    custom.action = ConsentAction::Custom;
    custom.accepted = vec!["necessari".into()];
    custom.rejected = vec!["analitici".into()];
    client.post(&url).json(&custom).send().await.unwrap();
    let config = app.config_file.clone();
    let dir = app.stop().await;

    let today = varco_core::consent::rfc3339_utc(varco_server::api::now_ms())[..10].to_owned();
    let run = |format: &str, from: &str, to: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_varco-server"))
            .arg("--config")
            .arg(&config)
            .args([
                "consents", "export", "--site", "milomb", "--from", from, "--to", to, "--format",
                format,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let csv = run("csv", &today, &today);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("seq,received_at,record_id"));
    assert!(
        lines[1].contains(R1)
            && lines[1].contains("accept_all")
            && lines[1].contains("necessari analitici")
    );
    assert!(lines[2].contains(R2) && lines[2].contains("custom"));
    let json: serde_json::Value = serde_json::from_str(&run("json", &today, &today)).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[1]["rejected"][0], "analitici");
    // A period before today is empty.
    assert_eq!(run("csv", "2020-01-01", "2020-12-31").lines().count(), 1);
    drop(dir);
}
