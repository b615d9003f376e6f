//! Prepared replies of the live chat over HTTP (issue 20): kept per site
//! by the operators who answer for it, checked, and never another site's.

use crate::common;

use common::console::{add_operator, add_operator_with, Console, ALWAYS_OPEN};
use common::spawn_app_with_site;
use serde_json::{json, Value};

const PASSWORD: &str = "una password lunga";

#[tokio::test]
async fn operators_keep_their_sites_prepared_replies() {
    let app = spawn_app_with_site("", ALWAYS_OPEN).await;
    add_operator(&app, "giulia", "Giulia", PASSWORD);
    add_operator_with(&app, "altro", "Altro", PASSWORD, &["--site", "milomb"]);
    let giulia = Console::login(&app.base, "giulia", PASSWORD).await;

    let r = giulia
        .post("/operator/api/replies")
        .json(&json!({"site": "milomb", "title": "Orari", "text": "Lo sportello è aperto dal lunedì al venerdì, 9-12."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let added: Value = r.json().await.unwrap();
    let id = added["id"].as_i64().unwrap();

    for (body, status) in [
        (json!({"site": "milomb", "title": " ", "text": "x"}), 422),
        (json!({"site": "milomb", "title": "x", "text": ""}), 422),
        (
            json!({"site": "milomb", "title": "x".repeat(81), "text": "x"}),
            422,
        ),
        (json!({"site": "altrove", "title": "x", "text": "x"}), 404),
        // NUL: the JSON extractor refuses it already (400).
        (
            json!({"site": "milomb", "title": "x\u{0}", "text": "x"}),
            400,
        ),
        (
            json!({"site": "milomb", "title": "x", "text": "riga\u{0}"}),
            400,
        ),
        // Other control characters: the reply's own check (422).
        (
            json!({"site": "milomb", "title": "x\u{7}", "text": "x"}),
            422,
        ),
        (
            json!({"site": "milomb", "title": "x", "text": "riga\u{1b}[2J"}),
            422,
        ),
    ] {
        let r = giulia
            .post("/operator/api/replies")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{body}");
    }

    // Another operator of the site sees it; the text is kept as written.
    let altro = Console::login(&app.base, "altro", PASSWORD).await;
    let listed: Value = altro
        .get("/operator/api/replies")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["replies"][0]["title"], "Orari");
    assert_eq!(
        listed["replies"][0]["text"],
        "Lo sportello è aperto dal lunedì al venerdì, 9-12."
    );

    // Without the CSRF token nothing is removed; with it, once.
    let r = reqwest::Client::new()
        .post(format!("{}/operator/api/replies/{id}/remove", app.base))
        .header("cookie", &altro.cookie)
        .json(&json!({"site": "milomb"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let remove = || {
        altro
            .post(&format!("/operator/api/replies/{id}/remove"))
            .json(&json!({"site": "milomb"}))
            .send()
    };
    assert_eq!(remove().await.unwrap().status(), 204);
    assert_eq!(remove().await.unwrap().status(), 404);
    let listed: Value = giulia
        .get("/operator/api/replies")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["replies"], json!([]));
}
