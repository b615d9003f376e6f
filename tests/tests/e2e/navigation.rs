//! Navigation data end to end (issue 5): nothing leaves the browser before
//! `personalizzazione` is granted; the pending history is uploaded whole
//! once it is, stored once; withdrawal deletes the server's copy and
//! aborts an upload in flight; and over a full session no request carries
//! both the UserID and a Thread ID, and no API request carries a cookie or
//! a `Referer`.

use serde_json::Value;
use std::time::Duration;
use varco_e2e::{Chromium, RequestTap, Tab, TestServer};

const PAGES: [&str; 5] = [
    "/demo-site/milomb/index.html",
    "/demo-site/milomb/spid.html",
    "/demo-site/milomb/firma-digitale.html",
    "/demo-site/milomb/certificati-visure.html",
    "/demo-site/milomb/contatti.html",
];

/// Keeps, in the page's sessionStorage (Varco never uses it), the URL and
/// body of every request the page makes with fetch, sendBeacon or
/// EventSource: DevTools events do not always carry keepalive bodies.
const RECORD_REQUESTS: &str = r#"
(() => {
  const log = (url, body) => {
    try {
      const list = JSON.parse(sessionStorage.getItem('__requests') || '[]');
      list.push({ url: String(url), body: body == null ? '' : String(body) });
      sessionStorage.setItem('__requests', JSON.stringify(list));
    } catch (e) {}
  };
  const fetch0 = window.fetch;
  window.fetch = function (input, init) {
    if (input instanceof Request) {
      input.clone().text().then(b => log(input.url, b), () => log(input.url, ''));
    } else {
      log(input, init && init.body);
    }
    return fetch0.apply(this, arguments);
  };
  const beacon0 = navigator.sendBeacon && navigator.sendBeacon.bind(navigator);
  if (beacon0) navigator.sendBeacon = (url, data) => { log(url, data); return beacon0(url, data); };
  const ES = window.EventSource;
  window.EventSource = function (url, opts) { log(url, ''); return new ES(url, opts); };
  window.EventSource.prototype = ES.prototype;
  Object.assign(window.EventSource, { CONNECTING: 0, OPEN: 1, CLOSED: 2 });
})();
"#;

async fn recorded(tab: &Tab) -> Vec<(String, String)> {
    let v = tab
        .eval("JSON.parse(sessionStorage.getItem('__requests') || '[]').map(r => [r.url, r.body])")
        .await
        .unwrap();
    serde_json::from_value(v).unwrap()
}

async fn history(tab: &Tab) -> Value {
    let raw = tab.eval("localStorage.getItem('varco.nav')").await.unwrap();
    match raw.as_str() {
        Some(s) => serde_json::from_str(s).unwrap(),
        None => Value::Null,
    }
}

/// Waits until the server has confirmed every page view of the history.
async fn all_uploaded(tab: &Tab, secs: u64) {
    tab.wait_for(
        "JSON.parse(localStorage.getItem('varco.nav')).entries.every(e => e.uploaded)",
        secs,
    )
    .await
    .unwrap();
}

async fn stored_views(server: &TestServer, user: &str) -> usize {
    let storage = varco_server::storage::Storage::open(&server.database)
        .await
        .unwrap();
    let n = storage
        .page_views("milomb", user, 10_000)
        .await
        .unwrap()
        .len();
    storage.close().await;
    n
}

async fn browse(tab: &Tab, server: &TestServer, path: &str) {
    tab.open(&server.url(path)).await.unwrap();
    tab.wait_widget().await.unwrap();
}

async fn set_personalisation(tab: &Tab, on: bool) {
    tab.eval("Varco.showPreferences()").await.unwrap();
    tab.wait_preferences().await.unwrap();
    let checked = tab
        .in_widget("shadow.querySelector('input[value=personalizzazione]').checked")
        .await
        .unwrap();
    if checked != Value::Bool(on) {
        tab.in_widget("shadow.querySelector('input[value=personalizzazione]').click()")
            .await
            .unwrap();
    }
    tab.press("Salva le mie scelte").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_leaves_the_browser_before_consent_then_the_whole_history_is_uploaded_once() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.before_load(RECORD_REQUESTS).await.unwrap();
    browse(&tab, &server, PAGES[0]).await;
    tab.press("Rifiuta tutti").await.unwrap();
    for path in &PAGES[1..4] {
        browse(&tab, &server, path).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let h = history(&tab).await;
    let user = h["user_id"]
        .as_str()
        .expect("a UserID in this browser")
        .to_owned();
    assert_eq!(
        h["entries"].as_array().unwrap().len(),
        4,
        "kept locally before consent: {h}"
    );
    let leaked: Vec<_> = recorded(&tab)
        .await
        .into_iter()
        .filter(|(u, b)| u.contains("/navigation") || u.contains(&user) || b.contains(&user))
        .collect();
    assert!(leaked.is_empty(), "nothing before consent: {leaked:?}");
    assert!(tab
        .requests()
        .iter()
        .all(|r| !r.url.contains("/navigation") && !r.url.contains(&user)));
    assert_eq!(stored_views(&server, &user).await, 0);

    set_personalisation(&tab, true).await;
    all_uploaded(&tab, 10).await;
    assert_eq!(
        stored_views(&server, &user).await,
        4,
        "the pending history, complete"
    );
    // Later pages go as they are seen; a reload stores nothing twice.
    browse(&tab, &server, PAGES[4]).await;
    all_uploaded(&tab, 10).await;
    assert_eq!(stored_views(&server, &user).await, 5);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_retried_after_a_lost_answer_is_stored_once() {
    let mut server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    browse(&tab, &server, PAGES[0]).await;
    tab.press("Accetta tutti").await.unwrap();
    all_uploaded(&tab, 10).await;
    let user = history(&tab).await["user_id"].as_str().unwrap().to_owned();
    // The server stores a batch but its answer never arrives: the widget
    // still has it as pending, and sends it again.
    tab.eval("(() => { const h = JSON.parse(localStorage.getItem('varco.nav')); h.entries.forEach(e => e.uploaded = false); localStorage.setItem('varco.nav', JSON.stringify(h)); })()").await.unwrap();
    server.halt().await.unwrap();
    server.resume().await.unwrap();
    browse(&tab, &server, PAGES[1]).await;
    all_uploaded(&tab, 15).await;
    assert_eq!(stored_views(&server, &user).await, 2);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawal_deletes_the_servers_copy_and_the_local_history() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    browse(&tab, &server, PAGES[0]).await;
    tab.press("Accetta tutti").await.unwrap();
    browse(&tab, &server, PAGES[1]).await;
    all_uploaded(&tab, 10).await;
    let user = history(&tab).await["user_id"].as_str().unwrap().to_owned();
    assert_eq!(stored_views(&server, &user).await, 2);
    tab.clear_requests();
    set_personalisation(&tab, false).await;
    tab.wait_for("localStorage.getItem('varco.nav.delete') === null", 10)
        .await
        .unwrap();
    assert_eq!(
        stored_views(&server, &user).await,
        0,
        "the server forgot the UserID"
    );
    assert!(tab
        .requests()
        .iter()
        .any(|r| r.method == "DELETE" && r.url.contains(&user)));
    // Collection goes on locally under a new UserID, and nothing is sent.
    let h = history(&tab).await;
    assert!(h.is_null() || h["user_id"] != user.as_str(), "{h}");
    browse(&tab, &server, PAGES[2]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        tab.requests()
            .iter()
            .all(|r| !r.url.contains("/navigation")),
        "no upload after withdrawal"
    );
    server.stop().await.unwrap();
}

/// Keeps in the page what became of each upload: its HTTP status, or the
/// name of the error that ended it (`AbortError` for one the widget
/// cancelled).
const WATCH_UPLOADS: &str = r#"
(() => {
  window.__uploads = [];
  const fetch0 = window.fetch;
  window.fetch = function (input, init) {
    const url = input instanceof Request ? input.url : String(input);
    const answer = fetch0.apply(this, arguments);
    if (url.includes('/api/v1/navigation')) {
      const upload = { outcome: 'pending' };
      window.__uploads.push(upload);
      answer.then(r => upload.outcome = r.status, e => upload.outcome = e.name);
    }
    return answer;
  };
})();
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawal_aborts_the_upload_in_flight_and_nothing_more_goes_under_the_old_user_id() {
    use chromiumoxide::cdp::browser_protocol::fetch::{
        ContinueRequestParams, DisableParams, EnableParams, EventRequestPaused, RequestPattern,
        RequestStage,
    };
    use futures::StreamExt;

    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.before_load(RECORD_REQUESTS).await.unwrap();
    tab.before_load(WATCH_UPLOADS).await.unwrap();
    browse(&tab, &server, PAGES[0]).await;
    browse(&tab, &server, PAGES[1]).await;
    let old_user = history(&tab).await["user_id"].as_str().unwrap().to_owned();
    // DevTools holds every upload before it leaves the browser, as a very
    // slow network would.
    let mut paused = tab
        .page
        .event_listener::<EventRequestPaused>()
        .await
        .unwrap();
    let hold = EnableParams::builder()
        .pattern(
            RequestPattern::builder()
                .url_pattern("*/api/v1/navigation*")
                .request_stage(RequestStage::Request)
                .build(),
        )
        .build();
    tab.page.execute(hold).await.unwrap();
    tab.press("Accetta tutti").await.unwrap();
    let held = tokio::time::timeout(Duration::from_secs(20), paused.next())
        .await
        .expect("the upload left the widget")
        .unwrap();
    assert_eq!(
        tab.eval("window.__uploads.map(u => u.outcome)")
            .await
            .unwrap(),
        serde_json::json!(["pending"])
    );

    set_personalisation(&tab, false).await;
    tab.wait_for("window.__uploads[0].outcome === 'AbortError'", 10)
        .await
        .unwrap();
    tab.wait_for("localStorage.getItem('varco.nav.delete') === null", 10)
        .await
        .unwrap();
    // Whatever DevTools still holds is let go now: an aborted request
    // goes nowhere.
    let _ = tab
        .page
        .execute(ContinueRequestParams::new(held.request_id.clone()))
        .await;
    tab.page.execute(DisableParams::default()).await.unwrap();

    // Consent again: the history goes under a new UserID, and nothing more
    // under the old one.
    set_personalisation(&tab, true).await;
    browse(&tab, &server, PAGES[2]).await;
    all_uploaded(&tab, 10).await;
    let new_user = history(&tab).await["user_id"].as_str().unwrap().to_owned();
    assert_ne!(new_user, old_user);
    assert!(stored_views(&server, &new_user).await >= 1);
    assert_eq!(
        stored_views(&server, &old_user).await,
        0,
        "nothing stored under the deleted UserID"
    );
    let uploads_for_old: Vec<_> = recorded(&tab)
        .await
        .into_iter()
        .filter(|(u, b)| u.contains("/v1/navigation") && b.contains(&old_user))
        .collect();
    assert_eq!(
        uploads_for_old.len(),
        1,
        "only the aborted one: {uploads_for_old:?}"
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_refused_as_gone_is_not_sent_again_and_later_pages_go_under_a_new_user_id() {
    use chromiumoxide::cdp::browser_protocol::fetch::{
        DisableParams, EnableParams, EventRequestPaused, FulfillRequestParams, HeaderEntry,
        RequestPattern,
    };
    use futures::StreamExt;

    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.before_load(RECORD_REQUESTS).await.unwrap();
    browse(&tab, &server, PAGES[0]).await;
    browse(&tab, &server, PAGES[1]).await;
    let old_user = history(&tab).await["user_id"].as_str().unwrap().to_owned();
    // The server has deleted this UserID (another tab's withdrawal, a
    // request to the office): it answers the upload 410 Gone.
    let mut paused = tab
        .page
        .event_listener::<EventRequestPaused>()
        .await
        .unwrap();
    let intercept = EnableParams::builder()
        .pattern(
            RequestPattern::builder()
                .url_pattern("*/api/v1/navigation*")
                .build(),
        )
        .build();
    tab.page.execute(intercept).await.unwrap();
    tab.press("Accetta tutti").await.unwrap();
    let held = tokio::time::timeout(Duration::from_secs(20), paused.next())
        .await
        .expect("the upload left the widget")
        .unwrap();
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD
        .encode(r#"{"error":"user_deleted","message":"the data of this user_id was deleted"}"#);
    let gone = FulfillRequestParams::builder()
        .request_id(held.request_id.clone())
        .response_code(410)
        .response_header(HeaderEntry::new("content-type", "application/json"))
        .body(body)
        .build()
        .unwrap();
    tab.page.execute(gone).await.unwrap();
    tab.wait_for(
        &format!("JSON.parse(localStorage.getItem('varco.nav')).user_id !== {old_user:?}"),
        10,
    )
    .await
    .unwrap();
    let h = history(&tab).await;
    assert_eq!(h["entries"].as_array().unwrap().len(), 2, "kept here: {h}");
    assert!(
        h["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["uploaded"] == true),
        "not sent again under any UserID: {h}"
    );
    tab.page.execute(DisableParams::default()).await.unwrap();

    browse(&tab, &server, PAGES[2]).await;
    all_uploaded(&tab, 10).await;
    let new_user = history(&tab).await["user_id"].as_str().unwrap().to_owned();
    assert_eq!(
        stored_views(&server, &new_user).await,
        1,
        "only the new page"
    );
    let for_old = recorded(&tab)
        .await
        .into_iter()
        .filter(|(u, b)| u.contains("/v1/navigation") && b.contains(&old_user))
        .count();
    assert_eq!(for_old, 1, "the refused batch was not retried");
    assert!(tab.console_lines().iter().any(|l| l.level == "warning"
        && l.text
            .contains("Varco: the server has deleted the navigation data")));
    server.stop().await.unwrap();
}

/// The suggestions follow the consent while the assistant is open: those
/// made from the uploaded history go as soon as personalisation is
/// withdrawn, without closing and reopening the assistant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawing_personalisation_with_the_assistant_open_takes_its_suggestions_away() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    browse(&tab, &server, PAGES[0]).await;
    tab.press("Rifiuta tutti").await.unwrap();
    for path in &PAGES[1..4] {
        browse(&tab, &server, path).await;
    }
    set_personalisation(&tab, true).await;
    all_uploaded(&tab, 10).await;
    browse(&tab, &server, PAGES[1]).await;
    tab.press("Apri l'assistente virtuale CamOn").await.unwrap();
    let suggested = "document.querySelector('varco-widget').shadowRoot.querySelectorAll('.suggestions a, .suggestions .quick-reply').length";
    tab.wait_for(&format!("{suggested} >= 1"), 10)
        .await
        .unwrap();
    set_personalisation(&tab, false).await;
    tab.wait_for(&format!("{suggested} === 0"), 10)
        .await
        .unwrap();
    let open = tab
        .in_widget("!!shadow.querySelector('.chat-panel')")
        .await
        .unwrap();
    assert_eq!(open, Value::Bool(true), "the assistant stayed open");
    server.stop().await.unwrap();
}

/// A cookie of the site's own origin, as the demo's Matomo sets: the API
/// shares the origin with the pages, so only the widget's requests can keep
/// it away from the API.
const SITE_COOKIE: &str = "_pk_id.1.fff0=0123456789abcdef.1767225600";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_a_full_session_no_request_carries_both_the_user_id_and_a_thread_id() {
    // The pages, and so the API, are reached through a tap that keeps the
    // headers every request arrived with.
    let tap = RequestTap::bind().await.unwrap();
    let server = TestServer::start(&[tap.base.clone()]).await.unwrap();
    tap.relay_to(&server.base);
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.before_load(RECORD_REQUESTS).await.unwrap();
    tab.open(&tap.url(PAGES[0])).await.unwrap();
    tab.eval(&format!(
        "document.cookie = '{SITE_COOKIE}; path=/; max-age=3600'"
    ))
    .await
    .unwrap();
    tab.press("Rifiuta tutti").await.unwrap();
    for path in &PAGES[1..5] {
        tab.open(&tap.url(path)).await.unwrap();
    }
    tab.press("Apri l'assistente virtuale CamOn").await.unwrap();
    tab.press("Accetto").await.unwrap();
    tab.in_widget("shadow.getElementById('varco-chat-input').focus()")
        .await
        .unwrap();
    tab.type_text("come si richiede lo spid?").await.unwrap();
    tab.key("Enter").await.unwrap();
    tab.wait_for("document.querySelector('varco-widget').shadowRoot.querySelectorAll('.messages > .msg.assistant').length >= 1", 20).await.unwrap();
    set_personalisation(&tab, true).await;
    all_uploaded(&tab, 10).await;
    assert!(
        recorded(&tab)
            .await
            .iter()
            .all(|(u, _)| !u.contains("/recommendations")),
        "no suggestions asked without consent"
    );
    tab.open(&tap.url(PAGES[1])).await.unwrap();
    // With consent, the welcome suggests topics from the uploaded history
    // (SPID, digital signature, ...), asked in a request of their own.
    tab.press("Apri l'assistente virtuale CamOn").await.unwrap();
    tab.wait_for(
        "document.querySelector('varco-widget').shadowRoot.querySelectorAll('.suggestions .quick-reply').length >= 1",
        10,
    )
    .await
    .unwrap();
    let label = tab
        .in_widget("shadow.querySelector('.suggestions').textContent")
        .await
        .unwrap();
    assert!(
        label.as_str().unwrap().contains("Potrebbe interessarti"),
        "{label}"
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    let user = history(&tab).await["user_id"].as_str().unwrap().to_owned();
    let thread = tab
        .eval("JSON.parse(localStorage.getItem('varco.chat.thread')).thread_id")
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    set_personalisation(&tab, false).await;
    tab.wait_for("localStorage.getItem('varco.nav.delete') === null", 10)
        .await
        .unwrap();

    let mut seen: Vec<(String, String)> = recorded(&tab).await;
    seen.extend(
        tab.requests()
            .into_iter()
            .map(|r| (r.url, r.body.unwrap_or_default())),
    );
    assert!(
        seen.iter()
            .any(|(u, b)| u.contains("/navigation") && b.contains(&user)),
        "the upload was seen"
    );
    assert!(
        seen.iter()
            .any(|(u, b)| u.contains(&thread) || b.contains(&thread)),
        "the chat was seen"
    );
    assert!(
        seen.iter()
            .any(|(u, _)| u.contains("/recommendations") && u.contains(&user)),
        "the suggestions request was seen"
    );
    for (url, body) in &seen {
        let text = format!("{url} {body}");
        assert!(
            !(text.contains(&user) && text.contains(&thread)),
            "both ids in one request: {url}"
        );
    }
    // The consent records carry neither.
    for row in server.consents("milomb").await {
        let json = serde_json::to_string(&row.record).unwrap();
        assert!(!json.contains(&user) && !json.contains(&thread), "{json}");
    }

    // Nothing goes with an API request but what the API needs: not the
    // site's cookies, not the page's address. (The headers are the ones
    // that went over the wire, `Cookie` included.)
    let heads = tap.heads();
    let to_api: Vec<_> = heads
        .iter()
        .filter(|h| h.target.starts_with("/api/"))
        .collect();
    for kind in [
        "/v1/sites/",
        "/v1/consents",
        "/v1/threads",
        "/events",
        "/v1/navigation",
        "/v1/users/",
        "/v1/recommendations",
    ] {
        assert!(
            to_api.iter().any(|h| h.target.contains(kind)),
            "a request to {kind} went through the tap"
        );
    }
    for h in &to_api {
        let head = format!("{} {:?}", h.target, h.headers);
        assert!(
            !(head.contains(&user) && head.contains(&thread)),
            "both ids in one request's head: {head}"
        );
        assert_eq!(
            h.header("cookie"),
            None,
            "{} {} went with cookies",
            h.method,
            h.target
        );
        assert_eq!(
            h.header("referer"),
            None,
            "{} {} went with a Referer",
            h.method,
            h.target
        );
    }
    // The widget's own files too (but `varco.js`, which the page's tag
    // loads as the page decides): no Referer, and no cookie with the
    // modules.
    let files: Vec<_> = heads
        .iter()
        .filter(|h| h.target.starts_with("/varco/") && h.target != "/varco/varco.js")
        .collect();
    assert!(
        files.iter().any(|h| h.target == "/varco/varco_app.wasm"),
        "{files:?}"
    );
    for h in files {
        assert_eq!(
            h.header("referer"),
            None,
            "{} went with a Referer",
            h.target
        );
        if h.target.ends_with(".wasm") {
            assert_eq!(h.header("cookie"), None, "{} went with cookies", h.target);
        }
    }
    // The check can fail: the page's own requests do carry the cookie.
    assert!(
        heads.iter().any(|h| h.target.starts_with("/demo-site/")
            && h.header("cookie").is_some_and(|c| c.contains(SITE_COOKIE))),
        "the site's cookie goes with its pages"
    );
    assert!(
        heads.iter().any(|h| h.target.starts_with("/demo-site/")
            && h.header("referer")
                .is_some_and(|r| r.starts_with(&tap.base))),
        "the page's address goes with the page's own requests"
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_privacy_centre_shows_what_is_kept_downloads_it_and_deletes_everything() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.before_load("const c0 = URL.createObjectURL; URL.createObjectURL = b => { window.__download = b; return c0(b); };").await.unwrap();
    browse(&tab, &server, PAGES[0]).await;
    tab.press("Accetta tutti").await.unwrap();
    browse(&tab, &server, PAGES[1]).await;
    all_uploaded(&tab, 10).await;
    tab.press("Apri l'assistente virtuale CamOn").await.unwrap();
    tab.press("Accetto").await.unwrap();
    tab.in_widget("shadow.getElementById('varco-chat-input').focus()")
        .await
        .unwrap();
    tab.type_text("quanto costa una visura?").await.unwrap();
    tab.key("Enter").await.unwrap();
    tab.wait_for("document.querySelector('varco-widget').shadowRoot.querySelectorAll('.messages > .msg.assistant').length >= 1", 20).await.unwrap();
    let user = history(&tab).await["user_id"].as_str().unwrap().to_owned();
    let thread = tab
        .eval("JSON.parse(localStorage.getItem('varco.chat.thread')).thread_id")
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();

    // From the assistant's header.
    tab.press("I tuoi dati").await.unwrap();
    tab.wait_for(
        "!!document.querySelector('varco-widget').shadowRoot.querySelector('dialog.privacy[open]')",
        5,
    )
    .await
    .unwrap();
    let text = tab
        .in_widget("shadow.querySelector('dialog.privacy').textContent")
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.contains(&user) && text.contains(&thread), "{text}");
    assert!(
        text.contains("2 pagine") && text.contains("inviate alla Camera: 2"),
        "{text}"
    );
    assert!(text.contains("Consentiti:"), "{text}");
    let violations = tab.axe_violations().await.unwrap();
    assert_eq!(violations, serde_json::json!([]), "{violations:#}");

    tab.press("Scarica i miei dati (JSON)").await.unwrap();
    tab.wait_for("!!window.__download", 5).await.unwrap();
    let file: Value = serde_json::from_str(
        tab.eval("window.__download.text()")
            .await
            .unwrap()
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(file["navigation"]["user_id"], user.as_str());
    assert_eq!(file["conversation"]["thread_id"], thread.as_str());
    assert_eq!(file["navigation"]["entries"].as_array().unwrap().len(), 2);

    tab.press("Cancella tutti i miei dati").await.unwrap();
    tab.press("Sì, cancella").await.unwrap();
    tab.wait_for("document.querySelector('varco-widget').shadowRoot.querySelector('dialog.privacy [role=status]').textContent.includes('cancellati')", 5).await.unwrap();
    tab.wait_for("localStorage.getItem('varco.nav.delete') === null && localStorage.getItem('varco.chat.thread') === null", 10).await.unwrap();
    assert_eq!(
        stored_views(&server, &user).await,
        0,
        "the server forgot the UserID"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let storage = varco_server::storage::Storage::open(&server.database)
        .await
        .unwrap();
    assert!(
        storage.thread(&thread).await.unwrap().is_none(),
        "the server forgot the conversation"
    );
    storage.close().await;
    let last = server.consents("milomb").await.pop().unwrap();
    assert_eq!(
        last.record.accepted,
        ["necessari"],
        "every optional consent withdrawn"
    );
    server.stop().await.unwrap();
}

/// Turns on `navigation.local_suggestions` in the page's configuration
/// block before Varco reads it (`readystatechange` to `interactive` fires
/// before deferred scripts run).
const LOCAL_SUGGESTIONS: &str = r#"
document.addEventListener('readystatechange', () => {
  const el = document.getElementById('varco-config');
  if (document.readyState !== 'interactive' || !el) return;
  const config = JSON.parse(el.textContent);
  config.navigation = Object.assign({}, config.navigation, { local_suggestions: true });
  el.textContent = JSON.stringify(config);
});
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_suggestions_come_from_this_browser_alone_without_consent() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.before_load(RECORD_REQUESTS).await.unwrap();
    tab.before_load(LOCAL_SUGGESTIONS).await.unwrap();
    browse(&tab, &server, PAGES[0]).await;
    tab.press("Rifiuta tutti").await.unwrap();
    for path in [PAGES[1], PAGES[2], PAGES[1], PAGES[0]] {
        browse(&tab, &server, path).await;
    }
    tab.press("Apri l'assistente virtuale CamOn").await.unwrap();
    tab.wait_for(
        "document.querySelector('varco-widget').shadowRoot.querySelectorAll('.suggestions a').length >= 2",
        10,
    )
    .await
    .unwrap();
    // Before the assistant's terms are accepted they are links to pages:
    // the most visited first, never the page the visitor is on.
    let hrefs = tab
        .in_widget(
            "[...shadow.querySelectorAll('.suggestions a')].map(a => a.getAttribute('href'))",
        )
        .await
        .unwrap();
    assert_eq!(hrefs, serde_json::json!([PAGES[1], PAGES[2]]));
    let user = history(&tab).await["user_id"].as_str().unwrap().to_owned();
    let sent: Vec<_> = recorded(&tab)
        .await
        .into_iter()
        .filter(|(u, b)| {
            u.contains("/recommendations")
                || u.contains("/navigation")
                || u.contains(&user)
                || b.contains(&user)
        })
        .collect();
    assert!(sent.is_empty(), "computed locally, nothing sent: {sent:?}");
    server.stop().await.unwrap();
}
