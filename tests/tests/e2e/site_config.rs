//! One source for each site's configuration (issue 21), end to end: a page
//! whose configuration block differs from the server's is reported by the
//! visitor's browser (one that matches is not), and the site's webmaster
//! finds it in the console, with the command that prints the right block,
//! and takes it off the list once fixed, with the keyboard alone.

use serde_json::json;
use std::time::{Duration, Instant};
use varco_e2e::live::{add_operators, console_login, wait_in_console, PASSWORD};
use varco_e2e::{Chromium, FixtureServer, TestServer};
use varco_server::storage::{Operator, Storage};

fn host_page(server: &TestServer, config: &str) -> String {
    format!(
        r#"<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Pagina</title>
<script type="application/json" id="varco-config">{config}</script></head>
<body><h1>Pagina</h1>
<script defer src="{0}/varco/varco.js" data-site="milomb" data-api="{0}/api"></script></body></html>"#,
        server.base
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_with_a_stale_block_is_reported_and_listed_for_the_webmaster() {
    let fixtures = FixtureServer::start().await.unwrap();
    let server = TestServer::start(&[fixtures.base.clone()]).await.unwrap();
    let config =
        std::fs::read_to_string(varco_e2e::root().join("demo-site/milomb/varco-config.json"))
            .unwrap();
    let stale = config.replace(
        "\"revision\": \"2026-11-01\"",
        "\"revision\": \"2026-10-01\"",
    );
    assert_ne!(stale, config, "the demo's revision is 2026-11-01");
    let in_sync = fixtures.page("in-sync.html", &host_page(&server, &config));
    let out_of_date = fixtures.page("out-of-date.html", &host_page(&server, &stale));

    let chromium = Chromium::launch().await.unwrap();
    let visitor = chromium.tab().await.unwrap();
    for page in [&in_sync, &out_of_date] {
        visitor.goto(page).await.unwrap();
        visitor.wait_widget().await.unwrap();
    }
    let storage = Storage::open(&server.database).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let pages = loop {
        let pages = storage.stale_pages("milomb").await.unwrap();
        if !pages.is_empty() || Instant::now() > deadline {
            break pages;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let paths: Vec<(&str, &str)> = pages
        .iter()
        .map(|p| (p.origin.as_str(), p.path.as_str()))
        .collect();
    assert_eq!(paths, [(fixtures.base.as_str(), "/out-of-date.html")]);
    let hash = varco_server::operator::hash_password(PASSWORD).unwrap();
    storage
        .upsert_operator(
            &Operator {
                username: "web".into(),
                display_name: "Redazione web".into(),
                sites: vec!["milomb".into()],
                desk: false,
                webmaster: true,
                office: None,
            },
            &hash,
            "2026-11-23T09:00:00.000Z",
        )
        .await
        .unwrap();
    storage.close().await;
    add_operators(&server, &[("giulia", "Giulia", None)]).await;

    // An operator who is not the site's webmaster has no such view.
    let console = chromium.tab().await.unwrap();
    console_login(&console, &server, "giulia").await;
    assert_eq!(
        console
            .eval("document.getElementById('view-site-config').hidden")
            .await
            .unwrap(),
        true
    );
    console
        .eval("document.getElementById('logout').click()")
        .await
        .unwrap();
    wait_in_console(&console, "!document.getElementById('login-screen').hidden").await;

    // The webmaster's view lists the page, with the command.
    console_login(&console, &server, "web").await;
    console
        .eval("document.getElementById('view-site-config').focus()")
        .await
        .unwrap();
    console.key("Enter").await.unwrap();
    wait_in_console(
        &console,
        "document.querySelector('#site-config-list tr[data-path=\"/out-of-date.html\"]')",
    )
    .await;
    assert_eq!(
        console
            .eval("document.getElementById('site-config-command').textContent")
            .await
            .unwrap(),
        json!("varco-server site-block --site milomb")
    );
    let violations = console.axe_page_violations().await.unwrap();
    assert_eq!(violations, json!([]), "{violations:#}");

    // Fixed: taken off the list.
    console
        .eval("document.querySelector('button.site-config-remove').focus()")
        .await
        .unwrap();
    console.key("Enter").await.unwrap();
    wait_in_console(&console, "document.getElementById('site-config-empty')").await;
    wait_in_console(
        &console,
        "document.getElementById('site-config-status').textContent.includes('rimossa')",
    )
    .await;
    server.stop().await.unwrap();
}
