//! Managed scripts and embeds (issue 3, item 4) on a host page written for
//! the test: inline and external scripts mixed, a nonce under a strict CSP,
//! `async`/`defer`, content added later, the iframe placeholder, and cookie
//! deletion on the host and its parent domain. The page is served under
//! `www.comune.varco.test` (mapped to this machine) so that a parent domain
//! exists; the widget and the API come from the real server.

use serde_json::{json, Value};
use std::time::Duration;
use varco_e2e::{Chromium, FixtureServer, Tab, TestServer};

const NONCE: &str = "r4nd0mN0nce";

/// The milomb categories (the server checks records against them), with
/// the Matomo cookies declared under `analitici`.
const CONFIG: &str = r#"{"revision":"2026-11-01","cookie_policy_url":"/cookie","categories":[
 {"id":"necessari","necessary":true,"description":"Tecnici."},
 {"id":"analitici","title":"Statistiche","description":"Statistiche di visita.","services":[{"name":"Matomo","kind":"analytics","cookies":["_pk_id.*","_pk_ses.*"]}]},
 {"id":"personalizzazione","title":"Personalizzazione","description":"Suggerimenti."},
 {"id":"profilazione","title":"Video","description":"Video di terze parti.","services":[{"name":"Video","kind":"profiling"}]}]}"#;

struct Setup {
    server: TestServer,
    fixtures: FixtureServer,
    chromium: Chromium,
    page_url: String,
}

async fn setup() -> Setup {
    let fixtures = FixtureServer::start().await.unwrap();
    let host_origin = fixtures
        .url_on("www.comune.varco.test", "")
        .trim_end_matches('/')
        .to_owned();
    // The server holds the page's configuration: with a backend the
    // server's counts, and a different one would ask again once it arrives.
    let server = TestServer::start_with(&[host_origin], |config| {
        let milomb = config.sites.iter_mut().find(|s| s.id == "milomb").unwrap();
        milomb.widget = serde_json::from_str(CONFIG).unwrap();
    })
    .await
    .unwrap();
    let chromium = Chromium::launch().await.unwrap();
    // The slow script answers after the fast one would: order must still hold.
    fixtures.script(
        "slow.js",
        "window.__order.push('slow-external');",
        Duration::from_millis(700),
    );
    fixtures.script(
        "fast.js",
        "window.__order.push('fast-external');",
        Duration::ZERO,
    );
    fixtures.script(
        "async.js",
        "window.__async = (window.__async || 0) + 1;",
        Duration::ZERO,
    );
    fixtures.script(
        "defer.js",
        "window.__order.push('defer-external');",
        Duration::ZERO,
    );
    fixtures.page(
        "frame.html",
        "<!doctype html><title>Video</title><p>video</p>",
    );
    let api = server.url("/api");
    let widget = server.url("/varco/varco.js");
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{NONCE}' {base} 'wasm-unsafe-eval'; connect-src 'self' {base}; frame-src 'self'",
        base = server.base
    );
    let page = format!(
        r##"<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Comune di prova</title>
<meta http-equiv="Content-Security-Policy" content="{csp}">
<script type="application/json" id="varco-config">{CONFIG}</script>
<script nonce="{NONCE}">window.__order = []; window.__ran = 0;</script>
<script type="text/plain" data-varco-category="analitici" nonce="{NONCE}">window.__order.push('inline-1'); window.__ran++;</script>
<script type="text/plain" data-varco-category="analitici" src="/slow.js" nonce="{NONCE}" data-extra="kept"></script>
<script type="text/plain" data-varco-category="analitici" nonce="{NONCE}">window.__order.push('inline-2');</script>
<script type="text/plain" data-varco-category="analitici" src="/fast.js" nonce="{NONCE}"></script>
<script type="text/plain" data-varco-category="analitici" src="/async.js" async nonce="{NONCE}"></script>
<script type="text/plain" data-varco-category="analitici" src="/defer.js" defer nonce="{NONCE}"></script>
<script type="text/plain" data-varco-category="profilazione" nonce="{NONCE}">window.__profiling = true;</script>
</head><body><h1>Comune di prova</h1>
<iframe data-varco-category="profilazione" data-varco-src="/frame.html" title="Video di presentazione" width="320" height="180"></iframe>
<footer><a href="#" data-varco-open="preferences">Preferenze cookie</a></footer>
<script src="{widget}" data-site="milomb" data-api="{api}" defer></script>
</body></html>"##
    );
    fixtures.page("managed.html", &page);
    let page_url = fixtures.url_on("www.comune.varco.test", "managed.html");
    Setup {
        server,
        fixtures,
        chromium,
        page_url,
    }
}

async fn open(s: &Setup) -> Tab {
    let tab = s.chromium.tab().await.unwrap();
    tab.open(&s.page_url).await.unwrap();
    tab
}

fn csp_violations(tab: &Tab) -> Vec<String> {
    tab.console_lines()
        .into_iter()
        .filter(|l| l.text.contains("Content Security Policy"))
        .map(|l| l.text)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c17_mixed_inline_and_external_scripts_run_once_in_document_order_keeping_nonce_and_attributes(
) {
    let s = setup().await;
    let tab = open(&s).await;
    assert_eq!(
        tab.eval("window.__order").await.unwrap(),
        json!([]),
        "nothing runs before a choice"
    );
    tab.press("Personalizza").await.unwrap();
    tab.wait_preferences().await.unwrap();
    tab.in_widget("shadow.querySelector('input[value=analitici]').click()")
        .await
        .unwrap();
    tab.press("Salva le mie scelte").await.unwrap();
    tab.wait_for("window.__order.length === 5 && window.__async === 1", 10)
        .await
        .unwrap();
    let order = tab.eval("window.__order").await.unwrap();
    assert_eq!(
        order,
        json!([
            "inline-1",
            "slow-external",
            "inline-2",
            "fast-external",
            "defer-external"
        ])
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        tab.eval("[window.__ran, window.__async, window.__order.length]")
            .await
            .unwrap(),
        json!([1, 1, 5]),
        "once each"
    );
    // The live copies keep what the webmaster wrote; only the type changes.
    let live = tab
        .eval(
            "[...document.querySelectorAll('script[data-varco-category=analitici]')].map(s => ({
                type: s.type, nonce: s.nonce, extra: s.dataset.extra || null, async: s.async,
                defer: s.hasAttribute('defer'), src: s.getAttribute('src') }))",
        )
        .await
        .unwrap();
    let live = live.as_array().unwrap();
    assert_eq!(live.len(), 6, "{live:?}");
    assert!(
        live.iter()
            .all(|s| s["type"] != "text/plain" && s["nonce"] == NONCE),
        "{live:?}"
    );
    assert_eq!(live[1]["extra"], "kept");
    assert_eq!(live[4]["async"], true, "async kept");
    assert_eq!(live[5]["defer"], true, "defer kept");
    assert!(
        csp_violations(&tab).is_empty(),
        "the nonce let every script run: {:?}",
        csp_violations(&tab)
    );
    // The other category stayed blocked.
    assert_eq!(
        tab.eval("window.__profiling === undefined").await.unwrap(),
        true
    );
    assert_eq!(
        tab.eval("document.querySelector('iframe').getAttribute('src')")
            .await
            .unwrap(),
        Value::Null
    );
    s.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_added_later_is_blocked_until_consent_and_runs_once_after_it() {
    let s = setup().await;
    let tab = open(&s).await;
    // Added before any choice: stays inert.
    tab.eval(
        "(() => { const s = document.createElement('script'); s.type = 'text/plain'; s.nonce = 'r4nd0mN0nce';
            s.dataset.varcoCategory = 'analitici'; s.textContent = 'window.__late = (window.__late || 0) + 1;';
            document.body.appendChild(s); })()",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(tab.eval("window.__late === undefined").await.unwrap(), true);
    tab.press("Accetta tutti").await.unwrap();
    tab.wait_for("window.__late === 1", 10).await.unwrap();
    // Added after consent: runs at once, once; a late iframe loads.
    tab.eval(
        "(() => { const s = document.createElement('script'); s.type = 'text/plain'; s.nonce = 'r4nd0mN0nce';
            s.dataset.varcoCategory = 'analitici'; s.textContent = 'window.__later = (window.__later || 0) + 1;';
            document.body.appendChild(s);
            const f = document.createElement('iframe'); f.id = 'late-frame'; f.title = 'Altro video';
            f.dataset.varcoCategory = 'profilazione'; f.dataset.varcoSrc = '/frame.html'; document.body.appendChild(f); })()",
    )
    .await
    .unwrap();
    tab.wait_for("window.__later === 1", 5).await.unwrap();
    tab.wait_for(
        "document.getElementById('late-frame').getAttribute('src') === '/frame.html'",
        5,
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        tab.eval("[window.__late, window.__later]").await.unwrap(),
        json!([1, 1])
    );
    s.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_iframe_has_an_accessible_placeholder_whose_button_allows_its_category() {
    let s = setup().await;
    let tab = open(&s).await;
    tab.press("Rifiuta tutti").await.unwrap();
    s.server.wait_consents("milomb", 1).await;
    let placeholder = tab
        .eval(
            "(() => { const p = document.querySelector('varco-placeholder'); const b = p?.shadowRoot.querySelector('button');
                const g = p?.shadowRoot.querySelector('[role=group]');
                return { next: p?.nextElementSibling?.tagName, hidden: p?.nextElementSibling?.hidden,
                         group: g?.getAttribute('aria-label'), button: b?.textContent, text: g?.textContent }; })()",
        )
        .await
        .unwrap();
    assert_eq!(placeholder["next"], "IFRAME", "{placeholder}");
    assert_eq!(placeholder["hidden"], true);
    assert_eq!(
        placeholder["group"], "Video di presentazione",
        "named after the iframe's title"
    );
    assert_eq!(placeholder["button"], "Consenti «Video»");
    // Keyboard: the button is reachable and works with Enter.
    tab.eval(
        "document.querySelector('varco-placeholder').shadowRoot.querySelector('button').focus()",
    )
    .await
    .unwrap();
    let focused = tab.eval("document.activeElement.tagName").await.unwrap();
    assert_eq!(focused, "VARCO-PLACEHOLDER");
    tab.key("Enter").await.unwrap();
    tab.wait_for(
        "document.querySelector('iframe').getAttribute('src') === '/frame.html'",
        10,
    )
    .await
    .unwrap();
    tab.wait_for("window.__profiling === true", 5)
        .await
        .unwrap();
    assert_eq!(
        tab.eval("document.querySelector('varco-placeholder') === null")
            .await
            .unwrap(),
        true
    );
    assert_eq!(
        tab.eval("document.querySelector('iframe').hidden")
            .await
            .unwrap(),
        false
    );
    assert_eq!(
        tab.eval("window.__order.length").await.unwrap(),
        0,
        "only that category was allowed"
    );
    let rows = s.server.wait_consents("milomb", 2).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].record.accepted, ["necessari", "profilazione"]);
    assert_eq!(rows[1].record.action.as_str(), "custom");
    s.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c27_withdrawal_deletes_declared_cookies_on_the_host_and_its_parent_domain() {
    let s = setup().await;
    let tab = open(&s).await;
    tab.press("Accetta tutti").await.unwrap();
    tab.wait_for("window.__order.length === 5", 10)
        .await
        .unwrap();
    // What a tracker would set: host-only, on the parent domain, on a
    // sub-path; and a cookie of the site's own that must survive.
    tab.eval(
        "document.cookie = '_pk_id.1.abc=host; path=/';
         document.cookie = '_pk_ses.1.abc=parent; path=/; domain=comune.varco.test';
         document.cookie = 'site_session=keep; path=/';",
    )
    .await
    .unwrap();
    assert_eq!(
        tab.eval("document.cookie.split('; ').filter(c => c.startsWith('_pk_')).length")
            .await
            .unwrap(),
        2
    );
    tab.eval("document.querySelector('[data-varco-open=preferences]').click()")
        .await
        .unwrap();
    tab.wait_preferences().await.unwrap();
    tab.in_widget("shadow.querySelector('input[value=analitici]').click()")
        .await
        .unwrap();
    tab.press("Salva le mie scelte").await.unwrap();
    tab.wait_for("!document.cookie.includes('_pk_')", 5)
        .await
        .unwrap();
    assert!(tab
        .eval("document.cookie")
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .contains("site_session=keep"));
    let rows = s.server.wait_consents("milomb", 2).await;
    assert_eq!(rows[1].record.action.as_str(), "withdraw");
    assert_eq!(rows[1].record.rejected, ["analitici"]);
    // The next load runs nothing of the withdrawn category.
    tab.open(&s.page_url).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(tab.eval("window.__order").await.unwrap(), json!([]));
    assert_eq!(
        tab.eval("window.__profiling").await.unwrap(),
        true,
        "the category still granted runs"
    );
    drop(s.fixtures);
    s.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_choice_can_live_in_a_first_party_cookie_that_server_code_can_read() {
    let fixtures = FixtureServer::start().await.unwrap();
    // The server's configuration of the site counts once it has loaded, so
    // the server holds the page's: with another one, a choice made before
    // it arrives would be asked again on the next page (a race on a slow
    // machine).
    let config = CONFIG.replacen('{', r#"{"consent":{"storage":"cookie"},"#, 1);
    let server = TestServer::start_with(&[fixtures.base.clone()], |c| {
        let site = c.sites.iter_mut().find(|s| s.id == "milomb").unwrap();
        site.widget = serde_json::from_str(&config).unwrap();
    })
    .await
    .unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let page = format!(
        r#"<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Cookie</title>
<script type="application/json" id="varco-config">{config}</script></head><body><h1>Cookie</h1>
<script src="{}" data-site="milomb" data-api="{}" defer></script></body></html>"#,
        server.url("/varco/varco.js"),
        server.url("/api")
    );
    let url = fixtures.page("cookie.html", &page);
    let tab = chromium.tab().await.unwrap();
    tab.open(&url).await.unwrap();
    assert_eq!(
        tab.eval("document.cookie.includes('varco.consent')")
            .await
            .unwrap(),
        false,
        "nothing before a choice"
    );
    tab.press("Rifiuta tutti").await.unwrap();
    tab.wait_for("document.cookie.includes('varco.consent=')", 5)
        .await
        .unwrap();
    assert_eq!(
        tab.eval("localStorage.getItem('varco.consent')")
            .await
            .unwrap(),
        Value::Null,
        "the cookie, not localStorage"
    );
    let cookie = tab
        .eval("decodeURIComponent(document.cookie.split('; ').find(c => c.startsWith('varco.consent=')).slice('varco.consent='.length))")
        .await
        .unwrap();
    let stored: Value = serde_json::from_str(cookie.as_str().unwrap()).unwrap();
    assert_eq!(stored["accepted"], json!(["necessari"]));
    assert_eq!(stored["revision"], "2026-11-01");
    // Its lifetime is the refusal's: six months, first-party, SameSite=Lax.
    let cookies = tab.page.get_cookies().await.unwrap();
    let c = cookies.iter().find(|c| c.name == "varco.consent").unwrap();
    let days = (c.expires - chrono_now_s()) / 86_400.0;
    assert!((175.0..=181.0).contains(&days), "expires in {days} days");
    assert_eq!(c.path, "/");
    // Reloading reads it back: no banner (once the server's configuration,
    // under which the choice was made, has loaded).
    tab.open(&url).await.unwrap();
    tab.wait_for("performance.getEntriesByType('resource').some(r => r.name.endsWith('/api/v1/sites/milomb'))", 10).await.unwrap();
    tab.wait_for(
        "!document.querySelector('varco-widget').shadowRoot.querySelector('section.banner')",
        5,
    )
    .await
    .unwrap();
    server.stop().await.unwrap();
}

/// On a site without the assistant, the widget's views swap back and forth
/// (banner, closed with the consent button, preferences, banner again)
/// without a single error: yew 0.23 panicked here (yewstack/yew#4092).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_views_swap_without_errors_on_a_site_without_the_assistant() {
    let s = setup().await;
    let tab = open(&s).await;
    tab.press("Accetta tutti").await.unwrap();
    tab.wait_for(
        "document.querySelector('varco-widget').shadowRoot.querySelector('button.reopen') !== null",
        5,
    )
    .await
    .unwrap();
    for _ in 0..2 {
        tab.eval("window.Varco.showBanner()").await.unwrap();
        tab.wait_for("document.querySelector('varco-widget').shadowRoot.querySelector('section.banner') !== null", 5).await.unwrap();
        tab.press("Accetta tutti").await.unwrap();
        tab.wait_for("document.querySelector('varco-widget').shadowRoot.querySelector('button.reopen') !== null", 5).await.unwrap();
        tab.eval("document.querySelector('[data-varco-open=preferences]').click()")
            .await
            .unwrap();
        tab.wait_preferences().await.unwrap();
        tab.press("Salva le mie scelte").await.unwrap();
        tab.wait_for("document.querySelector('varco-widget').shadowRoot.querySelector('button.reopen') !== null", 5).await.unwrap();
    }
    let errors = tab.errors_but_favicon();
    assert!(errors.is_empty(), "{errors:#?}");
    drop(s.fixtures);
    s.server.stop().await.unwrap();
}

/// A page that carries no configuration block, only `data-site` and
/// `data-api`: the server's configuration is the site's, and the page's
/// managed scripts and embeds wait for it, then follow the visitor's
/// choice as on a page with the block (issue 21, item 7: one source for a
/// site's configuration).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_without_a_block_takes_the_servers_configuration_and_releases_its_scripts_on_consent(
) {
    let s = setup().await;
    let api = s.server.url("/api");
    let widget = s.server.url("/varco/varco.js");
    let page = format!(
        r##"<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Comune di prova</title>
<script>window.__ran = [];</script>
<script type="text/plain" data-varco-category="analitici">window.__ran.push('analitici');</script>
<script type="text/plain" data-varco-category="profilazione">window.__ran.push('profilazione');</script>
</head><body><h1>Comune di prova</h1>
<iframe data-varco-category="profilazione" data-varco-src="/frame.html" title="Video di presentazione" width="320" height="180"></iframe>
<script src="{widget}" data-site="milomb" data-api="{api}" defer></script>
</body></html>"##
    );
    s.fixtures.page("no-block.html", &page);
    let tab = s.chromium.tab().await.unwrap();
    tab.open(&s.fixtures.url_on("www.comune.varco.test", "no-block.html"))
        .await
        .unwrap();
    // The banner lists the server's categories.
    tab.press("Personalizza").await.unwrap();
    tab.wait_preferences().await.unwrap();
    assert_eq!(
        tab.in_widget("['analitici', 'personalizzazione', 'profilazione'].map(v => shadow.querySelector(`input[value=${v}]`) !== null)")
            .await
            .unwrap(),
        json!([true, true, true])
    );
    assert_eq!(tab.eval("window.__ran").await.unwrap(), json!([]));
    tab.in_widget("shadow.querySelector('input[value=analitici]').click()")
        .await
        .unwrap();
    tab.press("Salva le mie scelte").await.unwrap();
    tab.wait_for("window.__ran.length === 1", 10).await.unwrap();
    assert_eq!(
        tab.eval("window.__ran").await.unwrap(),
        json!(["analitici"])
    );
    assert_eq!(
        tab.eval("document.querySelector('iframe').getAttribute('src')")
            .await
            .unwrap(),
        Value::Null,
        "the embed's category was refused"
    );
    // Everything accepted later releases the rest, once.
    tab.eval("window.Varco.showBanner()").await.unwrap();
    tab.press("Accetta tutti").await.unwrap();
    tab.wait_for(
        "window.__ran.length === 2 && document.querySelector('iframe').getAttribute('src') === '/frame.html'",
        10,
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        tab.eval("window.__ran").await.unwrap(),
        json!(["analitici", "profilazione"])
    );
    // Stale-block reports are for pages whose block differs, not for this one.
    let errors = tab.errors_but_favicon();
    assert!(errors.is_empty(), "{errors:#?}");
    s.server.stop().await.unwrap();
}

fn chrono_now_s() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}
