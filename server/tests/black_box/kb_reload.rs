//! A knowledge base edited on disk is loaded without a restart (issue 21,
//! item 3): `varco-server kb reload` checks the files and, if they are
//! valid, every running instance answers from them within seconds; files
//! with problems are refused by the command and never loaded, and the
//! previous knowledge base goes on answering. SIGHUP does the same.

use crate::common;

use common::spawn_app_with_site;
use common::threads::{new_thread, open_events, post_message, SseEvent};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

fn answer(events: &[SseEvent]) -> Option<Value> {
    events
        .iter()
        .find(|(_, n, d)| n == "message" && d["message"]["author"] == "assistant")
        .map(|(_, _, d)| d["message"].clone())
}

pub(crate) async fn ask(base: &str, question: &str) -> String {
    let thread = new_thread(base).await;
    let mut events = open_events(base, &thread, None).await;
    assert_eq!(post_message(base, &thread, question).await.status(), 202);
    events.wait_for(|e| answer(e).is_some()).await;
    answer(&events.events).unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) fn reload(config: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_varco-server"))
        .arg("--config")
        .arg(config)
        .args(["kb", "reload", "--site", "milomb"])
        .output()
        .unwrap()
}

#[tokio::test]
async fn an_edited_knowledge_base_answers_after_kb_reload_and_a_broken_one_never_does() {
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("kb");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../kb/milomb"),
        &kb,
    );
    // The test asks again and again until the answer changes.
    let app = spawn_app_with_site(
        "[server.rate_limits]\nthreads = { burst = 1000, per_minute = 1000 }\nmessages = { burst = 1000, per_minute = 1000 }\nevents = { burst = 1000, per_minute = 1000 }",
        &format!("kb = {:?}", kb.display().to_string()),
    )
    .await;
    // On PostgreSQL a second instance of the deployment reloads too.
    let other = match common::database::postgres_server() {
        Some(_) => Some(app.another_instance().await),
        None => None,
    };
    let mut bases = vec![app.base.clone()];
    bases.extend(other.as_ref().map(|o| o.base.clone()));
    let question = "lo spid è gratis?";
    for base in &bases {
        let before = ask(base, question).await;
        assert!(before.contains("Le condizioni economiche"), "{before}");
    }

    // The webmaster edits the answer on disk and reloads.
    let file = kb.join("entries/spid-costo.md");
    let text = std::fs::read_to_string(&file).unwrap();
    let (front, _) = text.rsplit_once("+++").unwrap();
    std::fs::write(
        &file,
        format!("{front}+++\nIl rilascio di **SPID** allo sportello è gratuito.\n"),
    )
    .unwrap();
    let out = reload(&app.config_file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid"));
    for base in &bases {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let now = ask(base, question).await;
            if now.contains("è gratuito") {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{base} still {now}");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    // A broken file: the command says what is wrong and asks nothing; the
    // server goes on with what it has.
    std::fs::write(
        kb.join("entries/spid-costo.md"),
        "+++\nid = \"spid-costo\"\n+++\n",
    )
    .unwrap();
    let out = reload(&app.config_file);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("entries/spid-costo.md"), "{err}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    for base in &bases {
        assert!(ask(base, question).await.contains("è gratuito"));
    }

    // SIGHUP reloads every site's files as the command does (the server
    // runs in this process: it gets the signal).
    std::fs::write(
        &file,
        format!("{front}+++\nLo **SPID** è gratuito per tutti.\n"),
    )
    .unwrap();
    // SAFETY: signalling this very process; the server installed its
    // handler when it started.
    unsafe { libc::kill(libc::getpid(), libc::SIGHUP) };
    for base in &bases {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !ask(base, question).await.contains("per tutti") {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{base}: SIGHUP did not reload"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    if let Some(other) = other {
        other.stop().await;
    }
    app.stop().await;
}

/// `kb bench` scores each labelled set of the site (the development and
/// held-out ones, Italian and English), each in its language.
#[tokio::test]
async fn kb_bench_scores_every_labelled_set_in_its_language() {
    let app = common::spawn_app().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_varco-server"))
        .arg("--config")
        .arg(&app.config_file)
        .args(["kb", "bench", "--site", "milomb", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sets: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<(String, String)> = sets
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["set"].as_str().unwrap().to_owned(),
                s["language"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (set, language) in [
        ("questions", "it"),
        ("questions-heldout", "it"),
        ("questions-en", "en"),
        ("questions-en-heldout", "en"),
    ] {
        assert!(
            names.contains(&(set.to_owned(), language.to_owned())),
            "{names:?}"
        );
    }
    for s in sets.as_array().unwrap() {
        let accuracy = s["report"]["top1_accuracy"].as_f64().unwrap();
        assert!(s["report"]["total"].as_u64().unwrap() > 20, "{s}");
        assert!((0.5..=1.0).contains(&accuracy), "{s}");
    }
    app.stop().await;
}

/// Two instances that reload the same edited files at once both try to
/// keep the files as a new version of the entry; the database keeps one.
/// The instance whose version was refused must answer with the version
/// that was kept, like every other instance, not with what it read before
/// (PostgreSQL only: there instances share the versions). The race is
/// made certain: the test locks `kb_versions` so that the reload has read
/// the versions and waits to add its own (PostgreSQL shows the wait in
/// `pg_locks`), keeps another version in the meantime, then lets it go.
#[tokio::test]
async fn a_reload_that_loses_the_race_to_keep_a_version_answers_with_the_version_kept() {
    use sqlx::Connection;
    use varco_server::assistant::published;
    use varco_server::config::Database;
    use varco_server::storage::{KbVersion, Storage};
    let Some(_) = common::database::postgres_server() else {
        eprintln!("instances share knowledge-base versions on PostgreSQL only");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("kb");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../kb/milomb"),
        &kb,
    );
    let database = common::database::fresh(dir.path(), "race.db").await;
    let storage = Storage::open(&database).await.unwrap();
    let file = kb.join("entries/spid-costo.md");
    let on_disk = std::fs::read_to_string(&file).unwrap();
    let (front, _) = on_disk.rsplit_once("+++").unwrap();
    let version = |version: i64, origin: &str, italian: String| KbVersion {
        entry_id: "spid-costo".into(),
        version,
        origin: origin.into(),
        author: "test".into(),
        created_ms: version,
        title: published::title_of(&italian),
        italian,
        english: std::fs::read_to_string(kb.join("en/spid-costo.md")).ok(),
    };
    // The files as kept when the entry was first published.
    assert!(storage
        .kb_add_version("milomb", 0, &version(1, "files", on_disk.clone()))
        .await
        .unwrap());
    // The webmaster edits the file on disk.
    std::fs::write(&file, format!("{front}+++\nTesto modificato sul disco.\n")).unwrap();

    let Database::Postgres(url) = &database else {
        unreachable!()
    };
    let mut lock = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut lock).await.unwrap();
    sqlx::query("LOCK TABLE kb_versions IN EXCLUSIVE MODE")
        .execute(&mut lock)
        .await
        .unwrap();
    let reload = tokio::spawn({
        let (storage, kb) = (storage.clone(), kb.clone());
        async move { published::current_files(&storage, "milomb", &kb, 10).await }
    });
    // The reload has read version 1 and waits to add version 2.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (waiting,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
             WHERE c.relname = 'kb_versions' AND NOT l.granted",
        )
        .fetch_one(&mut lock)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        assert!(
            !reload.is_finished(),
            "the reload did not wait for the lock"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "the reload never waited"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Meanwhile the console publishes version 2.
    let published_text = format!("{front}+++\nTesto pubblicato dalla console.\n");
    let kept = version(2, "console", published_text.clone());
    sqlx::query(
        "INSERT INTO kb_versions (site, entry_id, version, origin, author, created_ms, title, italian, english)
         VALUES ('milomb', $1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&kept.entry_id)
    .bind(kept.version)
    .bind(&kept.origin)
    .bind(&kept.author)
    .bind(kept.created_ms)
    .bind(&kept.title)
    .bind(&kept.italian)
    .bind(&kept.english)
    .execute(&mut lock)
    .await
    .unwrap();
    sqlx::query("COMMIT").execute(&mut lock).await.unwrap();

    let files = reload.await.unwrap().unwrap().expect("the files are valid");
    let (italian, _) = published::entry_texts(&files, "spid-costo").unwrap();
    assert_eq!(
        italian, published_text,
        "the reload answers with the version kept"
    );
    let versions = storage.kb_latest("milomb", None).await.unwrap();
    let latest = versions
        .iter()
        .find(|v| v.entry_id == "spid-costo")
        .unwrap();
    assert_eq!((latest.version, latest.origin.as_str()), (2, "console"));
}
