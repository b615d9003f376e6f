//! What each visitor journey fetches of Varco (issue 19), in Chromium: a
//! consent-only visit and a returning visit load the light part alone (the
//! loader and the first module), and so do the preferences, the page's
//! `Varco.showBanner()`, `Varco.showPreferences()` and `Varco.reset()`;
//! the assistant's code arrives only when
//! the visitor reaches for it. The files are the ones `widget/size-budget.json`
//! lists for each journey, whose gzip sizes `tests/tests/e2e/size_budget.rs`
//! holds to their budgets.

use serde_json::Value;
use std::collections::BTreeSet;
use varco_e2e::{ask, root, Chromium, TestServer};

const HOME: &str = "/demo-site/milomb/index.html";
const SECOND: &str = "/demo-site/milomb/spid.html";
const THIRD: &str = "/demo-site/milomb/diritto-annuale.html";
const LAUNCHER: &str = "Apri l'assistente virtuale CamOn";

/// The journey's files in `widget/size-budget.json`.
fn journey_files(name: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join("widget/size-budget.json")).unwrap();
    let budget: Value = serde_json::from_str(&text).unwrap();
    budget["journeys"][name]["files"]
        .as_array()
        .unwrap_or_else(|| panic!("widget/size-budget.json: journeys.{name}.files"))
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deciding_on_the_banner_and_coming_back_load_the_light_part_alone() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();

    // Consent only: the banner, a decision, a second page.
    tab.open(&server.url(HOME)).await.unwrap();
    tab.press("Accetta tutti").await.unwrap();
    let records = server.wait_consents("milomb", 1).await;
    assert_eq!(records[0].record.action.as_str(), "accept_all");
    tab.wait_for("window.varcoDemoAnalytics === 1", 10)
        .await
        .unwrap();
    tab.open(&server.url(SECOND)).await.unwrap();
    tab.wait_for("window.varcoDemoAnalytics === 1", 10)
        .await
        .unwrap();
    assert_eq!(tab.widget_files(), journey_files("consent_only"));

    // Returning: the stored choice applies, the managed scripts run,
    // nothing is asked, and still nothing but the light part loads.
    tab.clear_requests();
    tab.open(&server.url(THIRD)).await.unwrap();
    tab.wait_for("window.varcoDemoAnalytics === 1", 10)
        .await
        .unwrap();
    assert!(!tab.banner_visible().await.unwrap());
    assert_eq!(tab.widget_files(), journey_files("returning"));
    assert_eq!(server.consents("milomb").await.len(), 1);

    // The page's own "change your choice" through `window.Varco`: the
    // banner again, a new decision, still the light part alone.
    tab.eval("window.Varco.showBanner()").await.unwrap();
    assert!(tab.banner_visible().await.unwrap());
    tab.press("Rifiuta tutti").await.unwrap();
    let records = server.wait_consents("milomb", 2).await;
    // From everything accepted to nothing: a withdrawal.
    assert_eq!(records[1].record.action.as_str(), "withdraw");
    tab.eval("window.Varco.reset()").await.unwrap();
    assert!(tab.banner_visible().await.unwrap());
    assert_eq!(
        tab.eval("localStorage.getItem('varco.consent')")
            .await
            .unwrap(),
        Value::Null
    );
    // The preferences are the light part's too: from the banner, and from
    // the page's `Varco.showPreferences()`.
    tab.press("Personalizza").await.unwrap();
    tab.wait_preferences().await.unwrap();
    tab.press("Salva le mie scelte").await.unwrap();
    let records = server.wait_consents("milomb", 3).await;
    assert_eq!(records[2].record.accepted, ["necessari"]);
    tab.eval("window.Varco.showPreferences()").await.unwrap();
    tab.wait_preferences().await.unwrap();
    tab.press("Accetta tutti").await.unwrap();
    let records = server.wait_consents("milomb", 4).await;
    assert_eq!(records[3].record.action.as_str(), "accept_all");
    assert_eq!(tab.widget_files(), journey_files("returning"));
    let errors = tab.errors_but_favicon();
    assert!(errors.is_empty(), "{errors:#?}");
    tab.close().await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_assistants_code_arrives_when_the_visitor_reaches_for_it() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.open(&server.url(HOME)).await.unwrap();
    tab.press("Rifiuta tutti").await.unwrap();
    server.wait_consents("milomb", 1).await;
    let light = journey_files("consent_only");
    assert_eq!(tab.widget_files(), light, "before the reach");

    tab.press(LAUNCHER).await.unwrap();
    tab.wait_for(
        "!!document.querySelector('varco-widget').shadowRoot.querySelector('.chat-panel')",
        10,
    )
    .await
    .unwrap();
    tab.press("Accetto").await.unwrap();
    tab.wait_for(
        "!document.querySelector('varco-widget').shadowRoot.getElementById('varco-chat-input').disabled",
        5,
    )
    .await
    .unwrap();
    ask(&tab, "come faccio ad avere lo spid?").await;
    tab.wait_for(
        "document.querySelector('varco-widget').shadowRoot.querySelectorAll('.messages .msg.assistant').length >= 1",
        20,
    )
    .await
    .unwrap();
    let extra: BTreeSet<String> = tab.widget_files().difference(&light).cloned().collect();
    assert_eq!(extra, journey_files("assistant_extra"));
    // One launcher, the app's; the light part stays (its floating button).
    assert_eq!(
        tab.in_widget("[shadow.querySelectorAll('.first-paint button.reopen').length, shadow.querySelectorAll('button.launcher, .chat-panel').length, shadow.querySelectorAll('.first-paint button.launcher').length]")
            .await
            .unwrap(),
        serde_json::json!([1, 1, 0])
    );
    let errors = tab.errors_but_favicon();
    assert!(errors.is_empty(), "{errors:#?}");
    tab.close().await;
    server.stop().await.unwrap();
}
