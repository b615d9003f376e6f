//! Deleted personal data cannot be read back from the database's files: the
//! rows are overwritten (`secure_delete`) and the WAL, which holds their
//! older versions, is emptied after the deletion. The files of a running
//! server are searched byte by byte for a text that was uploaded, then
//! deleted over the API.
//!
//! On PostgreSQL, which keeps a deleted row's bytes in its data files until
//! the space is reused (see the README, "In production"), the same tests
//! check that no row holds the text any more.

use crate::common;

use common::threads::{messages, new_thread, post, read_events, uuid, ORIGIN};
use common::{spawn_app_with_widget, PERSONALISATION};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;
use varco_core::consent::rfc3339_utc;
use varco_server::api::now_ms;
use varco_server::config::Database;

/// A text found nowhere else: letters only, so that no masking of
/// personal data changes it on its way in.
fn needle(prefix: &str) -> String {
    let letters: String = uuid()
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| (b'a' + c.to_digit(16).unwrap() as u8) as char)
        .collect();
    format!("{prefix}{letters}")
}

/// The database file and its WAL and shared-memory index.
fn database_files(db: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| PathBuf::from(format!("{}{suffix}", db.display()));
    [db.to_owned(), with("-wal"), with("-shm")]
}

/// The files among [`database_files`] that hold `text`.
fn files_holding(db: &Path, text: &str) -> Vec<PathBuf> {
    database_files(db)
        .into_iter()
        .filter(|file| {
            std::fs::read(file).is_ok_and(|bytes| {
                bytes
                    .windows(text.len())
                    .any(|window| window == text.as_bytes())
            })
        })
        .collect()
}

/// Waits until the server has emptied its WAL, which it does at the next
/// checkpoint round after a deletion: every change made until then,
/// the deletion included, is in the database file, and the WAL holds no
/// older version of any page.
async fn wal_emptied(db: &Path) {
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the WAL was not emptied after the deletion"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether the database holds `text`: in its files on SQLite, in a row on
/// PostgreSQL.
async fn holds(database: &Database, text: &str) -> bool {
    match database {
        Database::Sqlite(db) => !files_holding(db, text).is_empty(),
        Database::Postgres(_) => common::database::everything_stored(database)
            .await
            .contains(text),
    }
}

/// Waits for what follows a deletion (the WAL emptied, on SQLite), then
/// asserts that nothing holds any of `texts`.
async fn gone(database: &Database, texts: &[&str]) {
    if let Database::Sqlite(db) = database {
        wal_emptied(db).await;
        for text in texts {
            assert_eq!(files_holding(db, text), Vec::<PathBuf>::new());
        }
    }
    for text in texts {
        assert!(!holds(database, text).await, "{text} is still stored");
    }
}

#[tokio::test]
async fn a_deleted_users_page_titles_are_not_in_the_database_files() {
    let app = spawn_app_with_widget("", PERSONALISATION).await;
    let user = uuid();
    let title = needle("PaginaSegretissima");
    let entries: Vec<_> = (0..20)
        .map(|i| json!({"key": uuid(), "path": format!("/pagina-{i}.html"), "title": title, "visited_at": rfc3339_utc(now_ms())}))
        .collect();
    let r = post(
        &app.base,
        "/api/v1/navigation",
        json!({"site": "milomb", "user_id": user, "entries": entries}),
    )
    .await;
    assert_eq!(r.status(), 200);
    // The search finds what is there (or it would prove nothing below).
    assert!(holds(&app.database, &title).await);

    let r = reqwest::Client::new()
        .delete(format!("{}/api/v1/users/{user}?site=milomb", app.base))
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    gone(&app.database, &[&title, &user]).await;
    app.stop().await;
}

#[tokio::test]
async fn a_deleted_conversations_messages_are_not_in_the_database_files() {
    let app = spawn_app_with_widget("", "").await;
    let thread = new_thread(&app.base).await;
    let secret = needle("MessaggioSegretissimo");
    let r = post(
        &app.base,
        &format!("/api/v1/threads/{thread}/messages"),
        json!({"client_message_id": uuid(), "text": format!("come richiedo lo SPID? {secret}")}),
    )
    .await;
    assert_eq!(r.status(), 202);
    // Deleted once answered, so that nothing more is written to it.
    read_events(&app.base, &thread, None, |e| messages(e).len() >= 2).await;
    assert!(holds(&app.database, &secret).await);

    let r = reqwest::Client::new()
        .delete(format!("{}/api/v1/threads/{thread}", app.base))
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    gone(&app.database, &[&secret]).await;
    app.stop().await;
}
