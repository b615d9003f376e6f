//! One source for each site's configuration (issue 21): the server's. The
//! command prints the block a page carries; every demo page carries exactly
//! that; a page whose block differs is reported by visitors' browsers and
//! listed for the site's webmasters in the console, and for nobody else.

use crate::common;

use common::console::{add_operator, add_operator_with, Console};
use common::threads::ORIGIN;
use common::{spawn_app, App};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use varco_protocol::SiteConfig;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// What `varco-server site-block` prints for `site` of `config`.
fn site_block(config: &Path, site: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_varco-server"))
        .arg("--config")
        .arg(config)
        .args(["site-block", "--site", site])
        .output()
        .unwrap()
}

/// The JSON inside `<script type="application/json" id="varco-config">`.
fn block_json(html: &str) -> Option<Value> {
    let start = html.find(r#"<script type="application/json" id="varco-config">"#)?;
    let rest = &html[start..];
    let open = rest.find('>')? + 1;
    let close = rest.find("</script>")?;
    Some(serde_json::from_str(&rest[open..close]).unwrap())
}

/// A block as the widget reads it, the site's name left out (the server
/// says it in what it serves; a page need not).
fn as_read(block: &Value) -> SiteConfig {
    SiteConfig {
        site: None,
        ..serde_json::from_value(block.clone()).unwrap()
    }
}

#[test]
fn every_demo_page_carries_the_block_the_server_prints() {
    let config = root().join("server/varco.toml");
    for site in ["milomb", "calvatone"] {
        let out = site_block(&config, site);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed = String::from_utf8(out.stdout).unwrap();
        let server = block_json(&printed).expect("the command prints the element");
        assert_eq!(server["site"], site);
        let mut pages = 0;
        let mut walk = vec![root().join("demo-site").join(site)];
        while let Some(dir) = walk.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk.push(path);
                } else if path.extension().is_some_and(|e| e == "html") {
                    let html = std::fs::read_to_string(&path).unwrap();
                    if let Some(page) = block_json(&html) {
                        pages += 1;
                        assert!(
                            as_read(&page) == as_read(&server),
                            "{} differs from the server's block",
                            path.display()
                        );
                    }
                }
            }
        }
        assert!(pages > 3, "{site}: only {pages} pages with a block");
    }
    let out = site_block(&config, "nessuno");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no site \"nessuno\""));
}

async fn report(app: &App, origin: Option<&str>, body: Value) -> reqwest::Response {
    let mut r = reqwest::Client::new()
        .post(format!("{}/api/v1/sites/milomb/stale-block", app.base))
        .json(&body);
    if let Some(o) = origin {
        r = r.header("origin", o);
    }
    r.send().await.unwrap()
}

#[tokio::test]
async fn pages_with_a_stale_block_are_listed_for_the_sites_webmasters_only() {
    let app = spawn_app().await;
    // The printed block is the configuration the API serves.
    let out = site_block(&app.config_file, "milomb");
    let printed = block_json(&String::from_utf8(out.stdout).unwrap()).unwrap();
    let served: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/sites/milomb", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(printed, served);

    // Reports: from a page of the site, a path only.
    for _ in 0..3 {
        let r = report(
            &app,
            Some(ORIGIN),
            json!({"path": "/servizi/visure.html?x=1#a"}),
        )
        .await;
        assert_eq!(r.status(), 204);
    }
    assert_eq!(
        report(&app, Some(ORIGIN), json!({"path": "/chi-siamo.html"}))
            .await
            .status(),
        204
    );
    for (origin, body, status) in [
        (None, json!({"path": "/a.html"}), 400),
        (
            Some("https://altro.example"),
            json!({"path": "/a.html"}),
            403,
        ),
        (Some(ORIGIN), json!({"path": "a.html"}), 422),
        (
            Some(ORIGIN),
            json!({"path": format!("/{}", "a".repeat(600))}),
            422,
        ),
        (Some(ORIGIN), json!({"path": "/a\u{1}.html"}), 422),
        (
            Some(ORIGIN),
            json!({"path": "/a.html", "user_id": "x"}),
            422,
        ),
    ] {
        assert_eq!(
            report(&app, origin, body.clone()).await.status(),
            status,
            "{origin:?} {body}"
        );
    }

    add_operator(&app, "giulia", "Giulia", "una-password-lunga");
    add_operator_with(
        &app,
        "web",
        "Redazione web",
        "altra-password-lunga",
        &["--webmaster"],
    );
    let giulia = Console::login(&app.base, "giulia", "una-password-lunga").await;
    let web = Console::login(&app.base, "web", "altra-password-lunga").await;
    let session: Value = web.get_json("/operator/api/session").await;
    assert_eq!(session["webmaster_sites"][0]["id"], "milomb");
    let session: Value = giulia.get_json("/operator/api/session").await;
    assert_eq!(session["webmaster_sites"], json!([]));
    assert_eq!(
        giulia
            .get("/operator/api/stale-pages?site=milomb")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let list: Value = web.get_json("/operator/api/stale-pages?site=milomb").await;
    assert_eq!(list["command"], "varco-server site-block --site milomb");
    let pages: Vec<(String, String, i64)> = list["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["origin"].as_str().unwrap().to_owned(),
                p["path"].as_str().unwrap().to_owned(),
                p["reports"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pages,
        [
            (ORIGIN.to_owned(), "/chi-siamo.html".to_owned(), 1),
            (ORIGIN.to_owned(), "/servizi/visure.html".to_owned(), 3),
        ]
    );

    // Fixed: taken off the list, once.
    let remove = |path: &str| {
        web.post("/operator/api/stale-pages/remove")
            .json(&json!({"site": "milomb", "origin": ORIGIN, "path": path}))
            .send()
    };
    assert_eq!(remove("/chi-siamo.html").await.unwrap().status(), 204);
    assert_eq!(remove("/chi-siamo.html").await.unwrap().status(), 404);
    let list: Value = web.get_json("/operator/api/stale-pages?site=milomb").await;
    assert_eq!(list["pages"].as_array().unwrap().len(), 1);
}
