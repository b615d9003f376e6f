//! A webmaster edits an entry of the knowledge base in the console (issue
//! 21, item 3): the draft is checked as `kb check` checks files, a question
//! is tried against it, publishing it changes the assistant's answer at
//! once (on every instance), each version is kept with who and when, and
//! one step back is possible. Files edited on disk afterwards win again at
//! the next `kb reload`.

use crate::common;
use crate::kb_reload::{ask, copy_dir, reload};

use common::console::{add_operator, add_operator_with, Console};
use common::spawn_app_with_site;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

const QUESTION: &str = "lo spid è gratis?";
const SETTINGS: &str = "[server.rate_limits]\nthreads = { burst = 1000, per_minute = 1000 }\nmessages = { burst = 1000, per_minute = 1000 }\nevents = { burst = 1000, per_minute = 1000 }";

async fn app_with_own_kb() -> (common::App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("kb");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../kb/milomb"),
        &kb,
    );
    let app = spawn_app_with_site(SETTINGS, &format!("kb = {:?}", kb.display().to_string())).await;
    add_operator_with(
        &app,
        "web",
        "Redazione web",
        "password-della-redazione",
        &["--webmaster"],
    );
    (app, dir)
}

async fn post(console: &Console, path: &str, body: Value) -> (u16, Value) {
    let r = console.post(path).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Asks until the answer contains `text` (another instance sees a new
/// version within its reload check, 2 s).
async fn answers_within(base: &str, text: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = ask(base, QUESTION).await;
        if now.contains(text) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{base} still answers {now}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn a_webmaster_checks_tries_publishes_an_entry_and_goes_one_step_back() {
    let (app, _dir) = app_with_own_kb().await;
    let other = match common::database::postgres_server() {
        Some(_) => Some(app.another_instance().await),
        None => None,
    };
    let mut bases = vec![app.base.clone()];
    bases.extend(other.as_ref().map(|o| o.base.clone()));
    add_operator(&app, "giulia", "Giulia", "password-di-giulia");
    let operator = Console::login(&app.base, "giulia", "password-di-giulia").await;
    let web = Console::login(&app.base, "web", "password-della-redazione").await;

    // Only the site's webmasters see it; the session says which sites.
    let r = operator
        .get("/operator/api/kb?site=milomb")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let session = web.get_json("/operator/api/session").await;
    assert_eq!(session["kb_sites"][0]["id"], "milomb", "{session}");
    let overview = web.get_json("/operator/api/kb?site=milomb").await;
    let costo = overview["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "spid-costo")
        .cloned()
        .unwrap();
    assert_eq!(
        (costo["topic"].clone(), costo["version"].clone()),
        (json!("spid"), json!(0))
    );
    assert!(overview["topics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == "spid"));

    let view = web
        .get_json("/operator/api/kb/entry?site=milomb&id=spid-costo")
        .await;
    assert_eq!(view["version"], 0, "{view}");
    assert_eq!(view["history"], json!([]));
    let original = view["entry"].clone();
    assert!(original["answer"]
        .as_str()
        .unwrap()
        .contains("Le condizioni economiche"));
    assert!(original["english"]["answer"].is_string(), "{original}");

    // A broken draft: every problem, each in its part.
    let mut broken = original.clone();
    broken["questions"] = json!(["  ", ""]);
    broken["answer"] = json!("Vedi <b>qui</b>");
    broken["english"]["link_titles"] = json!([]);
    let (status, checked) = post(
        &web,
        "/operator/api/kb/check",
        json!({"site": "milomb", "entry": broken}),
    )
    .await;
    assert_eq!(status, 200);
    let problems = checked["problems"].as_array().unwrap();
    let text = checked.to_string();
    assert!(
        problems
            .iter()
            .any(|p| p["part"] == "it" && p["message"].as_str().unwrap().contains("questions")),
        "{text}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p["part"] == "it" && p["message"].as_str().unwrap().contains("HTML")),
        "{text}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p["part"] == "en" && p["message"].as_str().unwrap().contains("link")),
        "{text}"
    );
    let (status, refused) = post(
        &web,
        "/operator/api/kb/publish",
        json!({"site": "milomb", "entry": broken, "base_version": 0}),
    )
    .await;
    assert_eq!(
        (status, refused["error"].clone()),
        (422, json!("invalid_entry"))
    );

    // A good draft: no problem; a question tried against it gets it.
    let mut draft = original.clone();
    draft["answer"] = json!("Il rilascio di **SPID** allo sportello della Camera è gratuito.");
    let (_, checked) = post(
        &web,
        "/operator/api/kb/check",
        json!({"site": "milomb", "entry": draft}),
    )
    .await;
    assert_eq!(checked["problems"], json!([]));
    let (status, tried) = post(
        &web,
        "/operator/api/kb/try",
        json!({"site": "milomb", "entry": draft, "question": QUESTION, "language": "it"}),
    )
    .await;
    assert_eq!(status, 200, "{tried}");
    assert_eq!(tried["answer"]["from_draft"], true, "{tried}");
    assert_eq!(tried["answer"]["entry_id"], "spid-costo");
    assert!(tried["answer"]["text"]
        .as_str()
        .unwrap()
        .contains("è gratuito"));
    // Trying publishes nothing.
    for base in &bases {
        assert!(ask(base, QUESTION)
            .await
            .contains("Le condizioni economiche"));
    }

    // Published: the files become version 1, the draft version 2, and every
    // instance answers with it.
    let (status, published) = post(
        &web,
        "/operator/api/kb/publish",
        json!({"site": "milomb", "entry": draft, "base_version": 0}),
    )
    .await;
    assert_eq!((status, published.clone()), (200, json!({"version": 2})));
    assert!(
        ask(&app.base, QUESTION).await.contains("è gratuito"),
        "the publishing instance at once"
    );
    for base in &bases {
        answers_within(base, "è gratuito").await;
    }
    // A colleague who opened the entry before cannot overwrite it unseen.
    let (status, stale) = post(
        &web,
        "/operator/api/kb/publish",
        json!({"site": "milomb", "entry": original, "base_version": 0}),
    )
    .await;
    assert_eq!(
        (status, stale["error"].clone()),
        (409, json!("changed_meanwhile"))
    );
    let view = web
        .get_json("/operator/api/kb/entry?site=milomb&id=spid-costo")
        .await;
    assert_eq!(view["version"], 2);
    assert_eq!(view["entry"]["answer"], draft["answer"]);
    let history = view["history"].as_array().unwrap();
    assert_eq!(
        history
            .iter()
            .map(|v| (
                v["version"].clone(),
                v["origin"].clone(),
                v["author"].clone()
            ))
            .collect::<Vec<_>>(),
        [
            (json!(2), json!("console"), json!("web")),
            (json!(1), json!("files"), json!("file sul server"))
        ]
    );
    assert!(history[0]["created_ms"].as_i64().unwrap() > 1_700_000_000_000);
    let overview = web.get_json("/operator/api/kb?site=milomb").await;
    let costo = overview["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "spid-costo")
        .cloned()
        .unwrap();
    assert_eq!(
        (costo["version"].clone(), costo["changed_by"].clone()),
        (json!(2), json!("web"))
    );

    // One step back: the files' text answers again, as version 3.
    let (status, reverted) = post(
        &web,
        "/operator/api/kb/revert",
        json!({"site": "milomb", "id": "spid-costo", "base_version": 2}),
    )
    .await;
    assert_eq!((status, reverted), (200, json!({"version": 3})));
    for base in &bases {
        answers_within(base, "Le condizioni economiche").await;
    }
    let (status, again) = post(
        &web,
        "/operator/api/kb/revert",
        json!({"site": "milomb", "id": "spid-costo", "base_version": 2}),
    )
    .await;
    assert_eq!(
        (status, again["error"].clone()),
        (409, json!("changed_meanwhile"))
    );
    let view = web
        .get_json("/operator/api/kb/entry?site=milomb&id=spid-costo")
        .await;
    assert_eq!(view["history"][0]["origin"], "revert");
    assert_eq!(view["entry"], original);

    // Unknown entries and sites, and other people's drafts, get clear errors.
    let r = web
        .get("/operator/api/kb/entry?site=milomb&id=nessuna")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let mut unknown = original.clone();
    unknown["id"] = json!("nessuna");
    let (status, body) = post(
        &web,
        "/operator/api/kb/check",
        json!({"site": "milomb", "entry": unknown}),
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (404, json!("no_such_entry"))
    );
    let (status, _) = post(
        &operator,
        "/operator/api/kb/publish",
        json!({"site": "milomb", "entry": draft, "base_version": 3}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, body) = post(
        &web,
        "/operator/api/kb/try",
        json!({"site": "milomb", "entry": draft, "question": " "}),
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (422, json!("invalid_question"))
    );
    // Without the CSRF token nothing is published.
    let r = reqwest::Client::new()
        .post(format!("{}/operator/api/kb/publish", app.base))
        .header("cookie", &web.cookie)
        .json(&json!({"site": "milomb", "entry": draft, "base_version": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    if let Some(other) = other {
        other.stop().await;
    }
    app.stop().await;
}

#[tokio::test]
async fn a_published_entry_answers_after_a_restart_until_its_files_are_edited_and_reloaded() {
    let (app, dir) = app_with_own_kb().await;
    let web = Console::login(&app.base, "web", "password-della-redazione").await;
    let view = web
        .get_json("/operator/api/kb/entry?site=milomb&id=spid-costo")
        .await;
    let mut draft = view["entry"].clone();
    draft["answer"] = json!("Dalla console: lo **SPID** è gratuito.");
    let (status, body) = post(
        &web,
        "/operator/api/kb/publish",
        json!({"site": "milomb", "entry": draft, "base_version": 0}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // A restart answers with what was published, not with the files.
    let config = app.config_file.clone();
    let restarted = common::Instance::start_from(&config).await;
    assert!(ask(&restarted.base, QUESTION)
        .await
        .contains("Dalla console"));

    // The files edited on disk and reloaded: they win, as a new version.
    let file = dir.path().join("kb/entries/spid-costo.md");
    let text = std::fs::read_to_string(&file).unwrap();
    let (front, _) = text.rsplit_once("+++").unwrap();
    std::fs::write(
        &file,
        format!("{front}+++\nDal disco: lo **SPID** è gratuito.\n"),
    )
    .unwrap();
    let out = reload(&config);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    answers_within(&restarted.base, "Dal disco").await;
    answers_within(&app.base, "Dal disco").await;
    let view = web
        .get_json("/operator/api/kb/entry?site=milomb&id=spid-costo")
        .await;
    assert_eq!(view["version"], 3, "{view}");
    assert_eq!(view["history"][0]["origin"], "files");
    restarted.stop().await;
    app.stop().await;
}
