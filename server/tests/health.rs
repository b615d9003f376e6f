//! `/healthz` reports whether the database takes writes: 503 while every
//! write fails although reads work, 200 again once writes work.
//!
//! How writes are made to fail for real: the process's file-size limit
//! (`RLIMIT_FSIZE`) is lowered to one byte, as a full disk or an exhausted
//! quota would do. The kernel then refuses every write to a regular file at
//! an offset past the limit with `EFBIG`, open descriptors included, so
//! SQLite's next commit (its WAL frames) fails inside SQLite, exactly where
//! a full disk fails it. Changing the file's mode would not do: the server
//! holds it open already, and root ignores modes. `SIGXFSZ`, which the
//! kernel also sends, is ignored so that the process lives.
//!
//! The limit is the whole process's: this file holds one test, and nothing
//! is written to a file while it is low.
//!
//! On PostgreSQL the database is turned read-only instead, as a standby
//! is: every write fails inside PostgreSQL, reads go on.

mod common;

use common::threads::{post, uuid};
use common::{spawn_app_with_widget, PERSONALISATION};
use serde_json::json;
use varco_core::consent::rfc3339_utc;
use varco_protocol::{ApiError, Health};
use varco_server::api::now_ms;
use varco_server::config::Database;

/// Sets the soft file-size limit of this process, returning the old one.
fn set_file_size_limit(soft: libc::rlim_t) -> libc::rlim_t {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on a struct we own.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_FSIZE, &mut limit), 0);
        let old = limit.rlim_cur;
        limit.rlim_cur = soft;
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
        old
    }
}

async fn health(base: &str) -> reqwest::Response {
    reqwest::get(format!("{base}/healthz")).await.unwrap()
}

fn consent() -> serde_json::Value {
    json!({
        "record_id": uuid(),
        "consent_id": uuid(),
        "site": "milomb",
        "decided_at": rfc3339_utc(now_ms()),
        "revision": "7",
        "accepted": ["necessari"],
        "rejected": ["analitici", "personalizzazione"],
        "action": "reject_all",
        "language": "it",
        "texts_hash": "fnv1a64:0000000000000000"
    })
}

/// Makes the database refuse writes while reads go on, until the returned
/// future runs: on SQLite a disk that takes no more bytes (the process's
/// file size limit), on PostgreSQL a database turned read-only (as a
/// standby is), its sessions restarted so that the server's pool opens
/// read-only ones.
async fn writes_fail(
    database: &Database,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
    match database {
        Database::Sqlite(_) => {
            // SAFETY: ignoring a signal has no memory effects.
            unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
            let old = set_file_size_limit(1);
            Box::pin(async move {
                set_file_size_limit(old);
            })
        }
        Database::Postgres(_) => {
            read_only(database, true).await;
            let database = database.clone();
            Box::pin(async move { read_only(&database, false).await })
        }
    }
}

async fn read_only(database: &Database, on: bool) {
    let Database::Postgres(url) = database else {
        unreachable!("PostgreSQL only")
    };
    let (server, name) = url.rsplit_once('/').unwrap();
    // From another database: a read-only one refuses the ALTER itself.
    let admin = Database::Postgres(format!("{server}/postgres"));
    let setting = if on { "on" } else { "off" };
    common::database::execute(
        &admin,
        &format!("ALTER DATABASE \"{name}\" SET default_transaction_read_only = {setting}"),
        &[],
    )
    .await
    .unwrap();
    common::database::execute(
        &admin,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
        &[name],
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_503_while_writes_fail_and_200_once_they_work_again() {
    // A site that takes navigation data, so that its recommendations are a
    // read of the database.
    let app = spawn_app_with_widget("body_limit = 1024", PERSONALISATION).await;
    let r = health(&app.base).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Health>().await.unwrap().status, "ok");
    assert_eq!(
        post(&app.base, "/api/v1/consents", consent())
            .await
            .status(),
        201
    );

    let undo = writes_fail(&app.database).await;

    // Writes fail: a visitor's consent record is refused with a 503...
    let refused = post(&app.base, "/api/v1/consents", consent()).await;
    let refused_status = refused.status();
    let refused_body: Option<ApiError> = refused.json().await.ok();
    // ...and so is the health check, with a JSON body that says why.
    let r = health(&app.base).await;
    let unhealthy_status = r.status();
    let unhealthy: Option<ApiError> = r.json().await.ok();
    // Reads still work (the reader connections are fine).
    let reads = reqwest::get(format!(
        "{}/api/v1/recommendations?site=milomb&user_id={}",
        app.base,
        uuid()
    ))
    .await
    .unwrap()
    .status();

    undo.await;

    assert_eq!(refused_status, 503, "{refused_body:?}");
    assert_eq!(refused_body.unwrap().error, "storage_unavailable");
    assert_eq!(unhealthy_status, 503, "{unhealthy:?}");
    assert_eq!(unhealthy.unwrap().error, "database_unwritable");
    assert_eq!(reads, 200);

    // Writes work again: healthy at the next check, and a record is stored.
    let r = health(&app.base).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Health>().await.unwrap().status, "ok");
    assert_eq!(
        post(&app.base, "/api/v1/consents", consent())
            .await
            .status(),
        201
    );
    app.stop().await;
}
