//! The shared rate limits while PostgreSQL cannot answer for them: every
//! request is counted by its instance alone, and requests that arrive
//! together do not each wait for the database in turn. A test binary of its
//! own: it reads the process's count of database errors.

mod common;

use common::spawn_app_with_site;
use common::threads::{new_thread, post, uuid};
use serde_json::json;

async fn database_errors(base: &str) -> u64 {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("varco_database_errors_total "))
        .and_then(|n| n.trim().parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no database error count in:\n{text}")) as u64
}

#[tokio::test]
async fn while_the_shared_buckets_fail_a_burst_asks_the_database_once_and_is_served() {
    if common::database::postgres_server().is_none() {
        eprintln!("the shared rate limits need PostgreSQL: nothing to check on SQLite");
        return;
    }
    // Leases of 64 / 8 = 8 tokens: every message asks the shared bucket
    // through one lease.
    let app = spawn_app_with_site(
        "",
        "[sites.rate_limits]\nmessages = { burst = 64, per_minute = 600 }\n",
    )
    .await;
    let thread = new_thread(&app.base).await;
    common::database::execute(
        &app.database,
        "ALTER TABLE rate_buckets RENAME TO rate_buckets_away",
        &[],
    )
    .await
    .unwrap();
    let before = database_errors(&app.base).await;
    let path = format!("/api/v1/threads/{thread}/messages");
    let burst = (0..20).map(|i| {
        post(
            &app.base,
            &path,
            json!({"client_message_id": uuid(), "text": format!("domanda {i} sullo spid")}),
        )
    });
    let statuses: Vec<u16> = futures::future::join_all(burst)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses, [202; 20],
        "counted here alone, every message is taken"
    );
    // The first request's query failed; those that waited for it did not
    // each try again. The next try comes a second later at the earliest,
    // so a burst slowed down by a loaded machine may see a few more, never
    // one per request.
    let failed = database_errors(&app.base).await - before;
    assert!(
        (1..=5).contains(&failed),
        "{failed} queries failed for 20 requests"
    );
    common::database::execute(
        &app.database,
        "ALTER TABLE rate_buckets_away RENAME TO rate_buckets",
        &[],
    )
    .await
    .unwrap();
    app.stop().await;
}
