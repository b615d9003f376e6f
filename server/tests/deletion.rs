//! Deleted personal data cannot be read back from the database's files: the
//! rows are overwritten (`secure_delete`) and the WAL, which holds their
//! older versions, is emptied after the deletion. The files of a running
//! server are searched byte by byte for a text that was uploaded, then
//! deleted over the API.

mod common;

use common::threads::{messages, new_thread, post, read_events, uuid, ORIGIN};
use common::{spawn_app_with_widget, PERSONALISATION};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;
use varco_core::consent::rfc3339_utc;
use varco_server::api::now_ms;

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
    assert!(!files_holding(&app.db, &title).is_empty());

    let r = reqwest::Client::new()
        .delete(format!("{}/api/v1/users/{user}?site=milomb", app.base))
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    wal_emptied(&app.db).await;
    assert_eq!(files_holding(&app.db, &title), Vec::<PathBuf>::new());
    assert_eq!(files_holding(&app.db, &user), Vec::<PathBuf>::new());
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
    assert!(!files_holding(&app.db, &secret).is_empty());

    let r = reqwest::Client::new()
        .delete(format!("{}/api/v1/threads/{thread}", app.base))
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    wal_emptied(&app.db).await;
    assert_eq!(files_holding(&app.db, &secret), Vec::<PathBuf>::new());
    app.stop().await;
}
