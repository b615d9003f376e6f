//! Proof of consent over HTTP: append-only, once per record_id, validated
//! against itself and the revisions the site published, exported for the
//! data controller.

use crate::common;

use common::spawn_app;
use std::path::Path;
use varco_core::consent::{
    decide, rfc3339_utc, Decision, Rules, RECORD_CLOCK_SKEW_MS, RECORD_RETRY_DAYS,
};
use varco_protocol::{ApiError, ConsentAction, ConsentReceipt, ConsentRecord};
use varco_server::api::now_ms;
use varco_server::config::Database;

const DAY_MS: i64 = 86_400_000;

/// An `accept_all` of the test site's revision "7" (`necessari`,
/// `analitici`), made now.
fn record(record_id: &str) -> ConsentRecord {
    ConsentRecord {
        record_id: record_id.into(),
        consent_id: "3f2504e0-4f89-41d3-9a0c-0305e82c3301".into(),
        site: "milomb".into(),
        decided_at: rfc3339_utc(now_ms()),
        revision: "7".into(),
        accepted: vec!["necessari".into(), "analitici".into()],
        rejected: vec![],
        action: ConsentAction::AcceptAll,
        language: "it".into(),
        texts_hash: "fnv1a64:0123456789abcdef".into(),
        services_accepted: Vec::new(),
        services_rejected: Vec::new(),
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

    let db = app.database.clone();
    let _dir = app.stop().await;
    assert_eq!(stored_records(&db).await, 2);
    // Append-only: the database itself refuses to rewrite history.
    let update = common::database::execute(
        &db,
        "UPDATE consent_records SET action = 'accept_all' WHERE seq = 1",
        &[],
    )
    .await;
    assert!(update.unwrap_err().contains("append-only"));
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
    assert!(lines[0].ends_with(",texts_hash,services_accepted,services_rejected"));
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

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn post(base: &str, record: &ConsentRecord) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/api/v1/consents"))
        .json(record)
        .send()
        .await
        .unwrap()
}

/// The problems the server names for `record` (asserting a 422
/// `invalid_record`), one per item.
async fn refused(base: &str, record: &ConsentRecord) -> Vec<String> {
    let r = post(base, record).await;
    assert_eq!(r.status(), 422, "{record:?}");
    let e: ApiError = r.json().await.unwrap();
    assert_eq!(e.error, "invalid_record");
    e.message.split("; ").map(str::to_owned).collect()
}

/// A record that names the third parties it lets run and those it does
/// not (per-service consent) is stored with both lists, as sent.
#[tokio::test]
async fn the_third_parties_of_a_record_are_stored_as_sent() {
    let app = spawn_app().await;
    let mut r = record(R1);
    r.action = ConsentAction::Custom;
    r.services_accepted = vec!["analitici/Web Analytics Italia".into()];
    r.services_rejected = vec!["analitici/Hotjar".into()];
    let sent = reqwest::Client::new()
        .post(format!("{}/api/v1/consents", app.base))
        .json(&r)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 201);
    let db = app.database.clone();
    let _dir = app.stop().await;
    let storage = varco_server::storage::Storage::open(&db).await.unwrap();
    let stored = storage.consents("milomb", "0000", "9999").await.unwrap();
    storage.close().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].record, r);
}

async fn stored_records(db: &Database) -> i64 {
    common::database::count(db, "SELECT count(*) FROM consent_records", &[]).await
}

#[tokio::test]
async fn the_record_seen_in_the_register_is_refused_naming_each_of_its_faults() {
    let app = spawn_app().await;
    // `accept_all` with every category rejected, dated 1999, for a revision
    // the site never published.
    let mut r = record(&uuid());
    r.accepted = vec![];
    r.rejected = vec!["necessari".into(), "analitici".into()];
    r.decided_at = "1999-03-14T09:00:00.000Z".into();
    r.revision = "1999-01-01".into();
    assert_eq!(
        refused(&app.base, &r).await,
        [
            "decided_at \"1999-03-14T09:00:00.000Z\" is more than 30 days old (the widget's retry window)",
            "action accept_all, but categories are rejected: \"necessari\", \"analitici\"",
            "revision \"1999-01-01\" was never published by site \"milomb\"",
        ]
    );
    // The same faults under the published revision: the lists are checked
    // against it too.
    r.revision = "7".into();
    assert_eq!(
        refused(&app.base, &r).await,
        [
            "decided_at \"1999-03-14T09:00:00.000Z\" is more than 30 days old (the widget's retry window)",
            "action accept_all, but categories are rejected: \"necessari\", \"analitici\"",
            "necessary category \"necessari\" cannot be rejected",
        ]
    );
    let db = app.database.clone();
    let _dir = app.stop().await;
    assert_eq!(stored_records(&db).await, 0, "nothing refused is stored");
}

#[tokio::test]
async fn each_rule_of_a_consistent_record_is_enforced() {
    let app = spawn_app().await;
    let now = now_ms();
    type Change = fn(&mut ConsentRecord, i64);
    let cases: [(&str, Change, &str); 12] = [
        (
            "accept_all rejects nothing",
            |r, _| {
                r.accepted = vec!["necessari".into()];
                r.rejected = vec!["analitici".into()];
            },
            "action accept_all, but categories are rejected: \"analitici\"",
        ),
        (
            "reject_all accepts the necessary only",
            |r, _| r.action = ConsentAction::RejectAll,
            "action reject_all accepts only the necessary categories, but these are accepted: \"analitici\"",
        ),
        (
            "close accepts the necessary only",
            |r, _| r.action = ConsentAction::Close,
            "action close accepts only the necessary categories, but these are accepted: \"analitici\"",
        ),
        (
            "a withdrawal rejects something",
            |r, _| r.action = ConsentAction::Withdraw,
            "action withdraw, but nothing is rejected (a withdrawal turns at least one category or service off)",
        ),
        (
            "necessary categories are accepted",
            |r, _| {
                r.action = ConsentAction::Custom;
                r.accepted = vec!["analitici".into()];
            },
            "necessary category \"necessari\" must be accepted",
        ),
        (
            "every category is listed",
            |r, _| {
                r.action = ConsentAction::Custom;
                r.accepted = vec!["necessari".into()];
            },
            "categories of revision \"7\" neither accepted nor rejected: \"analitici\"",
        ),
        (
            "only published categories",
            |r, _| r.accepted.push("profilazione".into()),
            "unknown categories for revision \"7\": \"profilazione\"",
        ),
        (
            "no category twice",
            |r, _| r.accepted.push("analitici".into()),
            "category \"analitici\" is accepted twice",
        ),
        (
            "not in both lists",
            |r, _| {
                r.action = ConsentAction::Custom;
                r.rejected = vec!["analitici".into()];
            },
            "category \"analitici\" is both accepted and rejected",
        ),
        (
            "a service belongs to one of the record's categories",
            |r, _| r.services_accepted.push("profilazione/Tracker".into()),
            "service \"profilazione/Tracker\" belongs to no category of the record",
        ),
        (
            "not from the future",
            |r, now| r.decided_at = rfc3339_utc(now + RECORD_CLOCK_SKEW_MS + 60_000),
            "is in the future (more than 5 minutes ahead of the server's clock)",
        ),
        (
            "not older than the retry window",
            |r, now| r.decided_at = rfc3339_utc(now - RECORD_RETRY_DAYS * DAY_MS - 60_000),
            "is more than 30 days old (the widget's retry window)",
        ),
    ];
    for (rule, change, reason) in cases {
        let mut r = record(&uuid());
        change(&mut r, now);
        let problems = refused(&app.base, &r).await;
        assert_eq!(problems.len(), 1, "{rule}: {problems:?}");
        assert!(problems[0].contains(reason), "{rule}: {problems:?}");
    }
    // Just inside both bounds of decided_at: fine.
    for at in [
        now + RECORD_CLOCK_SKEW_MS - 60_000,
        now - (RECORD_RETRY_DAYS - 1) * DAY_MS,
    ] {
        let mut r = record(&uuid());
        r.decided_at = rfc3339_utc(at);
        assert_eq!(post(&app.base, &r).await.status(), 201, "{}", r.decided_at);
    }
    let db = app.database.clone();
    let _dir = app.stop().await;
    assert_eq!(stored_records(&db).await, 2);
}

/// The test site's rules, as the widget reads them from the same
/// configuration.
fn site_rules(revision: &str, categories: &[(&str, bool)]) -> Rules {
    Rules {
        revision: revision.into(),
        categories: categories
            .iter()
            .map(|(id, necessary)| (id.to_string(), *necessary))
            .collect(),
        services: vec![],
        accept_days: 365,
        refuse_days: 180,
        respect_gpc: true,
    }
}

/// The record the widget sends for `decision` after `previous`.
fn sent(
    rules: &Rules,
    decision: Decision,
    previous: Option<&varco_core::consent::StoredChoice>,
) -> (varco_core::consent::StoredChoice, ConsentRecord) {
    let choice = decide(
        &decision,
        rules,
        previous,
        "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        now_ms(),
    );
    let r =
        varco_core::consent::record(&choice, "milomb", "it", "fnv1a64:0123456789abcdef", &uuid());
    (choice, r)
}

#[tokio::test]
async fn every_record_the_widget_makes_is_stored() {
    let app = spawn_app().await;
    let rules = site_rules("7", &[("necessari", true), ("analitici", false)]);
    let (accepted, r) = sent(&rules, Decision::AcceptAll, None);
    assert_eq!(post(&app.base, &r).await.status(), 201);
    let (_, r) = sent(&rules, Decision::save(vec![]), Some(&accepted));
    assert_eq!(r.action, ConsentAction::Withdraw);
    assert_eq!(post(&app.base, &r).await.status(), 201);
    for decision in [
        Decision::RejectAll,
        Decision::Close,
        Decision::save(vec![]),
        Decision::save(vec!["analitici".into()]),
    ] {
        let (_, r) = sent(&rules, decision.clone(), None);
        assert_eq!(post(&app.base, &r).await.status(), 201, "{decision:?}");
    }
    let db = app.database.clone();
    let _dir = app.stop().await;
    assert_eq!(stored_records(&db).await, 6);
}

/// Serves the configuration in `dir` again (the same database), with
/// `edit` applied to its TOML; returns the base URL and what stops it.
async fn serve_again(
    dir: &Path,
    edit: impl FnOnce(String) -> String,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let file = dir.join("varco.toml");
    let toml = edit(std::fs::read_to_string(&file).unwrap());
    std::fs::write(&file, toml).unwrap();
    let config = varco_server::config::Config::load(&file).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(varco_server::startup::serve(config, listener, async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    (base, tx, handle)
}

#[tokio::test]
async fn a_record_is_checked_against_the_revision_it_names_as_the_site_published_it() {
    let app = spawn_app().await;
    let old_rules = site_rules("7", &[("necessari", true), ("analitici", false)]);
    // Decided under revision 7, still in the visitor's outbox while the
    // site publishes revision 8 with a new category.
    let (_, late) = sent(&old_rules, Decision::RejectAll, None);
    let dir = app.stop().await;
    let (base, stop, handle) = serve_again(dir.path(), |toml| {
        toml.replace("revision = \"7\"", "revision = \"8\"")
            + "\n[[sites.widget.categories]]\nid = \"video\"\ndescription = \"Video di terze parti.\"\n"
    })
    .await;
    assert_eq!(
        post(&base, &late).await.status(),
        201,
        "revision 7 was published"
    );

    // Under revision 8 the new category must be there.
    let mut stale = late.clone();
    stale.record_id = uuid();
    stale.revision = "8".into();
    assert_eq!(
        refused(&base, &stale).await,
        ["categories of revision \"8\" neither accepted nor rejected: \"video\""]
    );
    let new_rules = site_rules(
        "8",
        &[("necessari", true), ("analitici", false), ("video", false)],
    );
    let (_, current) = sent(&new_rules, Decision::AcceptAll, None);
    assert_eq!(post(&base, &current).await.status(), 201);
    // A category of revision 8 in a record of revision 7 is unknown there.
    let mut mixed = current.clone();
    mixed.record_id = uuid();
    mixed.revision = "7".into();
    assert_eq!(
        refused(&base, &mixed).await,
        ["unknown categories for revision \"7\": \"video\""]
    );
    // A revision never served by this server.
    let mut unknown = current.clone();
    unknown.record_id = uuid();
    unknown.revision = "6".into();
    assert_eq!(
        refused(&base, &unknown).await,
        ["revision \"6\" was never published by site \"milomb\""]
    );
    stop.send(()).unwrap();
    handle.await.unwrap().unwrap();
    drop(dir);
}

#[tokio::test]
async fn the_demo_sites_store_every_record_their_widget_makes() {
    // The demo's own configuration (the pages carry the same JSON), on a
    // fresh database.
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("varco.toml");
    let mut config = varco_server::config::Config::load(&demo).unwrap();
    let dir = tempfile::tempdir().unwrap();
    config.server.database = common::database::fresh(dir.path(), "varco.db").await;
    config.server.static_root = None;
    let sites: Vec<(String, Rules)> = config
        .sites
        .iter()
        .map(|s| (s.id.clone(), Rules::from_site(&s.widget)))
        .collect();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(varco_server::startup::serve(config, listener, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(sites.len() >= 2);
    for (site, rules) in &sites {
        let optional: Vec<String> = rules.optional().map(str::to_owned).collect();
        let (accepted, _) = sent(rules, Decision::AcceptAll, None);
        for (decision, previous) in [
            (Decision::AcceptAll, None),
            (Decision::RejectAll, None),
            (Decision::Close, None),
            (Decision::save(optional[..1].to_vec()), None),
            (Decision::save(vec![]), Some(&accepted)),
        ] {
            let (_, mut r) = sent(rules, decision.clone(), previous);
            r.site = site.clone();
            let answer = post(&base, &r).await;
            assert_eq!(
                answer.status(),
                201,
                "{site} {decision:?}: {}",
                answer.text().await.unwrap()
            );
        }
    }
    stop.send(()).unwrap();
    handle.await.unwrap().unwrap();
}
