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
