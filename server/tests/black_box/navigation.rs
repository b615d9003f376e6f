//! Navigation data over HTTP against a real server and SQLite: batches
//! stored once per key, checked, deleted on request, recommendations; a
//! deleted UserID's uploads refused for good; sites that collect nothing
//! take nothing; the schema never links a UserID to a Thread ID; retention
//! with a clock the test controls.

use crate::common;

use common::threads::{uuid, ORIGIN};
use common::{spawn_app, spawn_app_with_widget, App, PERSONALISATION};
use serde_json::{json, Value};
use varco_core::consent::rfc3339_utc;
use varco_server::api::now_ms;

/// A server whose site asks consent to `personalizzazione`, as one must to
/// take navigation data.
async fn navigation_app() -> App {
    spawn_app_with_widget("body_limit = 1024", PERSONALISATION).await
}

fn view(path: &str, at_ms: i64) -> Value {
    json!({"key": uuid(), "path": path, "title": "Pagina", "visited_at": rfc3339_utc(at_ms)})
}

async fn upload(base: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/api/v1/navigation"))
        .header("origin", ORIGIN)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn count_views(db: &varco_server::config::Database, user: &str) -> usize {
    let storage = varco_server::storage::Storage::open(db).await.unwrap();
    let n = storage
        .page_views("milomb", user, 10_000)
        .await
        .unwrap()
        .len();
    storage.close().await;
    n
}

#[tokio::test]
async fn a_batch_is_stored_once_however_often_it_is_retried() {
    let app = navigation_app().await;
    let user = uuid();
    let now = now_ms();
    let entries: Vec<Value> = (0..3)
        .map(|i| view(&format!("/pagina-{i}.html"), now - i * 1000))
        .collect();
    let body = json!({"site": "milomb", "user_id": user, "entries": entries});
    let r = upload(&app.base, &body).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"stored": 3, "duplicates": 0})
    );
    // The same batch again (a retry after a lost answer), and one that
    // overlaps it (another tab): nothing is stored twice.
    let r = upload(&app.base, &body).await;
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"stored": 0, "duplicates": 3})
    );
    let overlap = json!({"site": "milomb", "user_id": user, "entries": [entries[2].clone(), view("/nuova.html", now)]});
    assert_eq!(
        upload(&app.base, &overlap)
            .await
            .json::<Value>()
            .await
            .unwrap(),
        json!({"stored": 1, "duplicates": 1})
    );
    assert_eq!(count_views(&app.database, &user).await, 4);
    app.stop().await;
}

#[tokio::test]
async fn bad_batches_get_a_json_4xx_naming_the_problem() {
    let app = navigation_app().await;
    let user = uuid();
    let now = now_ms();
    let cases = [
        (
            json!({"site": "milomb", "user_id": "not-a-uuid", "entries": [view("/", now)]}),
            400,
            "invalid_user_id",
        ),
        (
            json!({"site": "milomb", "user_id": user, "entries": []}),
            422,
            "invalid_entries",
        ),
        (
            json!({"site": "milomb", "user_id": user, "entries": [view("/a#b", now)]}),
            422,
            "invalid_entry",
        ),
        (
            json!({"site": "milomb", "user_id": user, "entries": [view("https://x.it/", now)]}),
            422,
            "invalid_entry",
        ),
        (
            json!({"site": "milomb", "user_id": user, "entries": [view("/", now + 3 * 86_400_000)]}),
            422,
            "invalid_entry",
        ),
        (
            json!({"site": "milomb", "user_id": user, "entries": [{"key": "k", "path": "/", "title": "", "visited_at": rfc3339_utc(now)}]}),
            422,
            "invalid_entry",
        ),
        (
            json!({"site": "altro", "user_id": user, "entries": [view("/", now)]}),
            422,
            "unknown_site",
        ),
        (
            json!({"site": "milomb", "user_id": user, "entries": [view("/", now)], "thread_id": uuid()}),
            422,
            "invalid_body",
        ),
    ];
    for (body, status, error) in cases {
        let r = upload(&app.base, &body).await;
        assert_eq!(r.status(), status, "{body}");
        let answer: Value = r.json().await.unwrap();
        assert_eq!(answer["error"], error, "{body}: {answer}");
    }
    let too_many: Vec<Value> = (0..101).map(|_| view("/", now)).collect();
    let r = upload(
        &app.base,
        &json!({"site": "milomb", "user_id": user, "entries": too_many}),
    )
    .await;
    assert!(r.status().is_client_error());
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/navigation", app.base))
        .header("origin", "https://evil.example")
        .json(&json!({"site": "milomb", "user_id": user, "entries": [view("/", now)]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(count_views(&app.database, &user).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn deleting_a_user_removes_only_that_users_data_and_can_be_repeated() {
    let app = navigation_app().await;
    let (user, other) = (uuid(), uuid());
    for u in [&user, &other] {
        let body = json!({"site": "milomb", "user_id": u, "entries": [view("/a.html", now_ms()), view("/b.html", now_ms())]});
        assert_eq!(upload(&app.base, &body).await.status(), 200);
    }
    let delete = || async {
        reqwest::Client::new()
            .delete(format!("{}/api/v1/users/{user}?site=milomb", app.base))
            .header("origin", ORIGIN)
            .send()
            .await
            .unwrap()
    };
    let r = delete().await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"deleted": 2}));
    assert_eq!(
        delete().await.json::<Value>().await.unwrap(),
        json!({"deleted": 0})
    );
    assert_eq!(count_views(&app.database, &user).await, 0);
    assert_eq!(count_views(&app.database, &other).await, 2);
    app.stop().await;
}

async fn delete_user(base: &str, user: &str) -> reqwest::Response {
    reqwest::Client::new()
        .delete(format!("{base}/api/v1/users/{user}?site=milomb"))
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_upload_for_a_deleted_user_id_is_refused_for_good() {
    let app = navigation_app().await;
    let (user, other) = (uuid(), uuid());
    let batch = |user: &str| json!({"site": "milomb", "user_id": user, "entries": [view("/a.html", now_ms()), view("/b.html", now_ms())]});
    let first = batch(&user);
    assert_eq!(upload(&app.base, &first).await.status(), 200);
    assert_eq!(delete_user(&app.base, &user).await.status(), 200);

    // The same batch again (a retry that was on its way), and a new one
    // (another tab that had not heard of the withdrawal): both refused.
    for body in [first, batch(&user)] {
        let r = upload(&app.base, &body).await;
        assert_eq!(r.status(), 410, "{body}");
        let answer: Value = r.json().await.unwrap();
        assert_eq!(answer["error"], "user_deleted", "{answer}");
        assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(count_views(&app.database, &user).await, 0);
    // Deleting again is still confirmed, and the refusal stays.
    let r = delete_user(&app.base, &user).await;
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"deleted": 0}));
    assert_eq!(upload(&app.base, &batch(&user)).await.status(), 410);
    // A UserID deleted before it uploaded anything is refused all the same.
    let never_uploaded = uuid();
    assert_eq!(delete_user(&app.base, &never_uploaded).await.status(), 200);
    assert_eq!(
        upload(&app.base, &batch(&never_uploaded)).await.status(),
        410
    );
    // Other users are not touched.
    assert_eq!(upload(&app.base, &batch(&other)).await.status(), 200);
    assert_eq!(count_views(&app.database, &other).await, 2);
    app.stop().await;
}

/// Uploads sent while the deletion is under way: whichever order the
/// server takes them in, once the deletion is confirmed nothing of the
/// UserID is stored, and each upload got 200 (before) or 410 (after).
#[tokio::test]
async fn uploads_racing_the_deletion_leave_nothing_behind() {
    let app = navigation_app().await;
    let user = uuid();
    let uploads = (0..20).map(|i| {
        let body = json!({"site": "milomb", "user_id": user,
            "entries": [view(&format!("/pagina-{i}.html"), now_ms())]});
        let base = app.base.clone();
        async move { upload(&base, &body).await.status().as_u16() }
    });
    let (statuses, deleted) = tokio::join!(
        futures::future::join_all(uploads),
        delete_user(&app.base, &user)
    );
    assert_eq!(deleted.status(), 200);
    assert!(
        statuses.iter().all(|s| [200, 410].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(count_views(&app.database, &user).await, 0, "{statuses:?}");
    app.stop().await;
}

/// The server takes navigation data only where the site asks consent to
/// `personalizzazione` and collects it: elsewhere no widget uploads, and an
/// upload would store data that no consent covers.
#[tokio::test]
async fn a_site_that_does_not_ask_consent_to_personalisation_takes_no_navigation_data() {
    let off = r#"
[sites.widget.navigation]
collect = "off"
"#;
    let without_category = spawn_app().await;
    let with_collect_off = spawn_app_with_widget("", &format!("{PERSONALISATION}{off}")).await;
    for app in [&without_category, &with_collect_off] {
        let user = uuid();
        let body =
            json!({"site": "milomb", "user_id": user, "entries": [view("/a.html", now_ms())]});
        let r = upload(&app.base, &body).await;
        assert_eq!(r.status(), 422);
        let answer: Value = r.json().await.unwrap();
        assert_eq!(answer["error"], "navigation_off", "{answer}");
        assert!(
            answer["message"]
                .as_str()
                .is_some_and(|m| m.contains("personalizzazione")),
            "{answer}"
        );
        let r = reqwest::Client::new()
            .get(format!(
                "{}/api/v1/recommendations?site=milomb&user_id={user}",
                app.base
            ))
            .header("origin", ORIGIN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "navigation_off");
        // A deletion is still answered: the site may have collected before.
        assert_eq!(delete_user(&app.base, &user).await.status(), 200);
        assert_eq!(count_views(&app.database, &user).await, 0);
    }
    without_category.stop().await;
    with_collect_off.stop().await;
}

#[tokio::test]
async fn recommendations_follow_the_uploaded_history() {
    let app = navigation_app().await;
    let user = uuid();
    let get = |user: String| {
        let base = app.base.clone();
        async move {
            reqwest::Client::new()
                .get(format!(
                    "{base}/api/v1/recommendations?site=milomb&user_id={user}"
                ))
                .header("origin", ORIGIN)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        get(user.clone()).await,
        json!({"items": []}),
        "no history, no suggestion"
    );
    let now = now_ms();
    let entries = [
        view("/demo-site/milomb/firma-digitale.html", now - 3000),
        view("/demo-site/milomb/firma-digitale.html", now - 2000),
        view("/demo-site/milomb/spid.html", now - 1000),
    ];
    assert_eq!(
        upload(
            &app.base,
            &json!({"site": "milomb", "user_id": user, "entries": entries})
        )
        .await
        .status(),
        200
    );
    let items = get(user.clone()).await["items"].as_array().unwrap().clone();
    let topics: Vec<&str> = items.iter().map(|i| i["topic"].as_str().unwrap()).collect();
    assert_eq!(topics, ["firma-digitale", "spid"], "{items:?}");
    assert!(items
        .iter()
        .all(|i| !i["title"].as_str().unwrap().is_empty()));

    // `site` may be left out: the page's origin tells it.
    let by_origin = |origin: Option<&'static str>| {
        let url = format!("{}/api/v1/recommendations?user_id={user}", app.base);
        async move {
            let mut request = reqwest::Client::new().get(url);
            if let Some(origin) = origin {
                request = request.header("origin", origin);
            }
            request.send().await.unwrap()
        }
    };
    let r = by_origin(Some(ORIGIN)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["items"], json!(items));
    // Without an origin either, the server's only site.
    let r = by_origin(None).await;
    assert_eq!(r.status(), 200);
    let r = by_origin(Some("https://elsewhere.example")).await;
    assert_eq!(r.status(), 403, "an origin of no site is refused");
    app.stop().await;
}

#[tokio::test]
async fn no_table_holds_a_user_id_with_a_thread_id_and_consent_records_hold_neither() {
    let app = navigation_app().await;
    let storage = varco_server::storage::Storage::open(&app.database)
        .await
        .unwrap();
    let schema = storage.schema().await.unwrap();
    assert!(
        schema
            .iter()
            .any(|(_, cols)| cols.iter().any(|c| c == "user_id")),
        "the navigation table exists"
    );
    for (table, columns) in &schema {
        let user = columns.iter().any(|c| c.contains("user"));
        let thread = columns.iter().any(|c| c.contains("thread"));
        assert!(!(user && thread), "{table} links the two ids: {columns:?}");
        if table.starts_with("consent") {
            assert!(!user && !thread, "{table}: {columns:?}");
        }
    }
    storage.close().await;
    app.stop().await;
}

#[tokio::test]
async fn the_purge_deletes_each_kind_when_its_retention_is_over() {
    let app = navigation_app().await;
    let user = uuid();
    let now = now_ms();
    let day = 86_400_000i64;
    let entries = [
        view("/vecchia.html", now - 200 * day),
        view("/recente.html", now),
    ];
    assert_eq!(
        upload(
            &app.base,
            &json!({"site": "milomb", "user_id": user, "entries": entries})
        )
        .await
        .status(),
        200
    );
    let config = varco_server::config::Config::load(&app.config_file).unwrap();
    let storage = varco_server::storage::Storage::open(&app.database)
        .await
        .unwrap();
    let navigation = |report: &varco_server::retention::PurgeReport| {
        report
            .iter()
            .find(|(s, k, _)| s == "milomb" && k.name() == "navigation")
            .unwrap()
            .2
    };

    // Today nothing is past 365 days.
    let report = varco_server::retention::purge(&storage, &config, now, true)
        .await
        .unwrap();
    assert_eq!(navigation(&report), 0);
    // 200 days from now the older view is 400 days old: a dry run counts
    // it and deletes nothing...
    let later = now + 200 * day;
    let report = varco_server::retention::purge(&storage, &config, later, true)
        .await
        .unwrap();
    assert_eq!(navigation(&report), 1);
    assert_eq!(
        storage.page_views("milomb", &user, 10).await.unwrap().len(),
        2
    );
    // ...the real purge deletes it, and only it.
    let report = varco_server::retention::purge(&storage, &config, later, false)
        .await
        .unwrap();
    assert_eq!(navigation(&report), 1);
    let left = storage.page_views("milomb", &user, 10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].0, "/recente.html");
    storage.close().await;
    app.stop().await;
}

/// A client that sends an upload and leaves before the answer (a closed
/// tab, a proxy that gave up, a load test that stops) does not cut the
/// upload off halfway: it is stored, and the server goes on answering
/// everyone. Dropped while its statement waited, the handler used to lose
/// the upload and, on PostgreSQL, leave the pool a connection short for
/// good. (PostgreSQL only: there a test can hold the table so that the
/// upload is surely waiting inside the database when its client leaves.)
#[tokio::test]
async fn an_upload_whose_client_leaves_while_it_is_stored_is_stored_all_the_same() {
    use sqlx::Connection;
    use tokio::io::AsyncWriteExt;
    let Some(_) = common::database::postgres_server() else {
        eprintln!(
            "holding a table from outside the server needs PostgreSQL: nothing to check on SQLite"
        );
        return;
    };
    let app = spawn_app_with_widget("", PERSONALISATION).await;
    let varco_server::config::Database::Postgres(url) = &app.database else {
        unreachable!("the server runs on PostgreSQL");
    };
    let host = app.base.trim_start_matches("http://").to_owned();
    let now = now_ms();
    let user = uuid();
    let entries: Vec<Value> = (0..100)
        .map(|i| view(&format!("/pagina-{i}.html"), now - i * 1000))
        .collect();
    let body = json!({"site": "milomb", "user_id": user, "entries": entries}).to_string();
    let request = format!(
        "POST /api/v1/navigation HTTP/1.1\r\nHost: {host}\r\nOrigin: {ORIGIN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );

    let mut holder = sqlx::PgConnection::connect(url).await.unwrap();
    let mut hold = holder.begin().await.unwrap();
    sqlx::query("LOCK TABLE page_views IN EXCLUSIVE MODE")
        .execute(&mut *hold)
        .await
        .unwrap();
    let mut client = tokio::net::TcpStream::connect(&host).await.unwrap();
    client.write_all(request.as_bytes()).await.unwrap();
    let mut watcher = sqlx::PgConnection::connect(url).await.unwrap();
    loop {
        let (waiting,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pg_locks WHERE relation = 'page_views'::regclass AND NOT granted",
        )
        .fetch_one(&mut watcher)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // The client leaves while its upload waits; the server notices the
    // closed connection before the table is let go.
    drop(client);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    hold.commit().await.unwrap();

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let stored = count_views(&app.database, &user).await;
        if stored == 100 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the upload whose client left was stored {stored} of 100 views"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // And the pool has all its connections: many requests at once are
    // answered.
    let later = (0..12).map(|_| {
        let base = app.base.clone();
        async move {
            let body =
                json!({"site": "milomb", "user_id": uuid(), "entries": [view("/dopo.html", now)]});
            upload(&base, &body).await.status()
        }
    });
    for status in futures::future::join_all(later).await {
        assert_eq!(status, 200);
    }
    app.stop().await;
}
