//! The consent checklist (`shared/specs/consent-checklist.md`), end to end in
//! headless Chromium against the demo sites and the real server. Each test
//! is named after the check numbers it proves.

use serde_json::Value;
use std::time::Duration;
use varco_e2e::{Chromium, Tab, TestServer};
use varco_server::storage::StoredConsent;

const HOME: &str = "/demo-site/milomb/index.html";

async fn open(chromium: &Chromium, server: &TestServer, path: &str) -> Tab {
    let tab = chromium.tab().await.unwrap();
    tab.open(&server.url(path)).await.unwrap();
    tab
}

async fn press(tab: &Tab, name: &str) {
    tab.press(name).await.unwrap();
}

async fn banner_visible(tab: &Tab) -> bool {
    tab.banner_visible().await.unwrap()
}

async fn records(server: &TestServer) -> Vec<StoredConsent> {
    server.consents("milomb").await
}

async fn wait_records(server: &TestServer, n: usize) -> Vec<StoredConsent> {
    server.wait_consents("milomb", n).await
}

/// Fixtures on an origin of their own, a server that lets them embed
/// Varco, and a browser.
async fn fixtures_server_browser() -> (varco_e2e::FixtureServer, TestServer, Chromium) {
    let fixtures = varco_e2e::FixtureServer::start().await.unwrap();
    let server = TestServer::start(&[fixtures.base.clone()]).await.unwrap();
    (fixtures, server, Chromium::launch().await.unwrap())
}

/// A plain host page: `config` as its configuration block, `body` before
/// the tag that embeds Varco for `site` (without `data-api`).
fn host_page(server: &TestServer, config: &str, body: &str, site: &str) -> String {
    format!(
        r#"<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Pagina</title>
<script type="application/json" id="varco-config">{config}</script></head>
<body><h1>Pagina</h1>{body}
<script defer src="{}/varco/varco.js" data-site="{site}"></script></body></html>"#,
        server.base
    )
}

/// Keeps the last proof-of-consent record the page was handed.
const KEEP_THE_RECORD: &str =
    "<script>document.addEventListener('varco:record', e => window.__record = e.detail);</script>";

fn analytics_hits(tab: &Tab) -> usize {
    tab.requests()
        .iter()
        .filter(|r| r.url.contains("/demo-analytics/"))
        .count()
}

async fn nothing_managed_ran(tab: &Tab) {
    let state = tab
        .eval(
            "({ plain: [...document.querySelectorAll('script[data-varco-category]')].every(s => s.type === 'text/plain'),
                noSrc: [...document.querySelectorAll('iframe[data-varco-category]')].every(f => !f.getAttribute('src')),
                ran: window.varcoDemoAnalytics || 0, inline: window.varcoDemoInline || 0,
                pk: document.cookie.includes('_pk_') })",
        )
        .await
        .unwrap();
    assert_eq!(state["plain"], true, "{state}");
    assert_eq!(state["noSrc"], true, "{state}");
    assert_eq!(state["ran"], 0, "{state}");
    assert_eq!(state["inline"], 0, "{state}");
    assert_eq!(state["pk"], false, "{state}");
    assert_eq!(
        analytics_hits(tab),
        0,
        "a request reached the analytics host"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c01_c02_c03_c24_before_any_choice_nothing_optional_exists_runs_or_is_recorded() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    for path in [
        HOME,
        "/demo-site/milomb/spid.html",
        "/demo-site/calvatone/tributi.html",
    ] {
        let tab = open(&chromium, &server, path).await;
        assert!(banner_visible(&tab).await, "{path}: banner on a deep link");
        tokio::time::sleep(Duration::from_millis(300)).await;
        nothing_managed_ran(&tab).await;
        // The Camera keeps the visited pages in the browser before any
        // consent (its notice; `navigation.collect` defaults to `always`),
        // under a key its configuration declares technical (`varco.*`).
        // The Comune has no personalisation, so Varco stores nothing there.
        let expected: &[&str] = if path.contains("/milomb/") {
            &["varco.nav"]
        } else {
            &[]
        };
        let keys = tab.eval("Object.keys(localStorage).sort()").await.unwrap();
        assert_eq!(
            keys,
            serde_json::json!(expected),
            "{path}: no choice stored, nothing but the local history"
        );
        assert_eq!(tab.eval("document.cookie").await.unwrap(), "");
    }
    assert!(records(&server).await.is_empty());
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c04_scrolling_clicking_escape_and_navigating_are_not_consent() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = open(&chromium, &server, HOME).await;
    tab.eval("window.scrollTo(0, document.body.scrollHeight); document.querySelector('main p').click(); document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}))").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(banner_visible(&tab).await);
    nothing_managed_ran(&tab).await;
    tab.goto(&server.url("/demo-site/milomb/firma-digitale.html"))
        .await
        .unwrap();
    tab.wait_widget().await.unwrap();
    assert!(
        banner_visible(&tab).await,
        "the banner is still there on the second page"
    );
    nothing_managed_ran(&tab).await;
    assert!(records(&server).await.is_empty());
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c06_c07_c08_c09_c10_c11_c12_c13_first_layer_has_everything_with_equal_prominence() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = open(&chromium, &server, HOME).await;
    let facts = tab
        .in_widget(
            "(() => {
            shadow.getAnimations().forEach(a => a.finish());
            const banner = shadow.querySelector('section.banner');
            const named = n => [...banner.querySelectorAll('button')].find(b => (b.getAttribute('aria-label') || b.textContent).trim() === n);
            const x = named('Chiudi e continua senza accettare'), acc = named('Accetta tutti'), rej = named('Rifiuta tutti'), cus = named('Personalizza');
            const r = e => e.getBoundingClientRect(), br = r(banner), xr = r(x);
            const cs = e => getComputedStyle(e);
            const lum = c => { const [R,G,B] = c.match(/\\d+/g).map(Number).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126*R + 0.7152*G + 0.0722*B; };
            const contrast = e => { const a = lum(cs(e).color), b = lum(cs(e).backgroundColor); return (Math.max(a,b) + 0.05) / (Math.min(a,b) + 0.05); };
            return { hasAll: !!(x && acc && rej && cus), xTopRight: xr.top - br.top < 40 && br.right - xr.right < 40,
                     xInside: banner.contains(x), text: banner.textContent,
                     policy: banner.querySelector('a') && banner.querySelector('a').getAttribute('href'),
                     sameTag: acc.tagName === rej.tagName && acc.className === rej.className,
                     accW: r(acc).width, rejW: r(rej).width, accH: r(acc).height, rejH: r(rej).height,
                     accFont: cs(acc).fontSize + cs(acc).fontWeight, rejFont: cs(rej).fontSize + cs(rej).fontWeight,
                     cAcc: contrast(acc), cRej: contrast(rej) };
        })()",
        )
        .await
        .unwrap();
    assert_eq!(facts["hasAll"], true, "{facts}");
    assert_eq!(facts["xInside"], true);
    assert_eq!(facts["xTopRight"], true, "{facts}");
    let text = facts["text"].as_str().unwrap();
    assert!(
        text.contains("X, restano attive le impostazioni predefinite"),
        "check 7: {text}"
    );
    assert!(
        text.contains("cookie tecnici")
            && text.contains("Solo con il tuo consenso")
            && text.contains("statistiche"),
        "check 8: {text}"
    );
    assert_eq!(facts["policy"], "/demo-site/milomb/cookie-policy.html");
    assert_eq!(facts["sameTag"], true, "check 12");
    let (aw, rw) = (
        facts["accW"].as_f64().unwrap(),
        facts["rejW"].as_f64().unwrap(),
    );
    assert!(
        (aw - rw).abs() / aw.max(rw) < 0.25,
        "check 13: widths {aw} vs {rw}"
    );
    assert_eq!(facts["accH"], facts["rejH"]);
    assert_eq!(facts["accFont"], facts["rejFont"]);
    assert!(
        facts["cAcc"].as_f64().unwrap() >= 4.5 && facts["cRej"].as_f64().unwrap() >= 4.5,
        "{facts}"
    );

    // Check 9: the policy page is readable without consenting, no overlay on it.
    tab.goto(&server.url("/demo-site/milomb/cookie-policy.html"))
        .await
        .unwrap();
    tab.wait_widget().await.unwrap();
    let covered = tab
        .eval("(() => { const h = document.querySelector('h1').getBoundingClientRect(); const e = document.elementFromPoint(h.left + 5, h.top + 5); return e.tagName; })()")
        .await
        .unwrap();
    assert_eq!(covered, "H1");

    // Check 11: "Personalizza" opens the categories with their third parties.
    let tab = open(&chromium, &server, HOME).await;
    press(&tab, "Personalizza").await;
    let prefs = tab
        .in_widget("(() => { const d = shadow.querySelector('dialog'); return { open: d.open, modal: d.matches(':modal'), boxes: [...d.querySelectorAll('input[type=checkbox]:not([data-category])')].map(i => ({ value: i.value, checked: i.checked, disabled: i.disabled, label: i.labels[0].textContent })), text: d.textContent }; })()")
        .await
        .unwrap();
    assert_eq!(prefs["open"], true);
    assert_eq!(prefs["modal"], true);
    let boxes = prefs["boxes"].as_array().unwrap();
    let values: Vec<&str> = boxes.iter().map(|b| b["value"].as_str().unwrap()).collect();
    assert_eq!(
        values,
        [
            "necessari",
            "analitici",
            "personalizzazione",
            "profilazione"
        ]
    );
    // Check 5: no pre-ticked boxes; necessary on and locked.
    assert_eq!(boxes[0]["checked"], true);
    assert_eq!(boxes[0]["disabled"], true);
    for b in &boxes[1..] {
        assert_eq!(b["checked"], false, "{b}");
        assert_eq!(b["disabled"], false, "{b}");
    }
    assert_eq!(boxes[1]["label"], "Statistiche");
    let text = prefs["text"].as_str().unwrap();
    assert!(
        text.contains("Web Analytics Italia (Matomo)")
            && text.contains("_pk_id.*")
            && text.contains("_pk_ses.*"),
        "{text}"
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c14_the_banner_speaks_the_page_language() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = open(&chromium, &server, "/demo-site/milomb/en/index.html").await;
    for name in ["Accept all", "Reject all", "Customise"] {
        let found = tab.in_widget(&format!("[...shadow.querySelectorAll('button')].some(b => b.textContent.trim() === {name:?})")).await.unwrap();
        assert_eq!(found, true, "{name}");
    }
    let x = tab
        .in_widget("shadow.querySelector('.banner .close').getAttribute('aria-label')")
        .await
        .unwrap();
    assert_eq!(x, "Close and continue without accepting");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c15_c16_c20_c28_x_and_reject_all_refuse_record_once_and_are_remembered() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    for (n, button, action) in [
        (1, "Chiudi e continua senza accettare", "close"),
        (2, "Rifiuta tutti", "reject_all"),
    ] {
        let tab = chromium.tab().await.unwrap();
        tab.open(&server.url(HOME)).await.unwrap();
        press(&tab, button).await;
        let rows = wait_records(&server, n).await;
        assert_eq!(rows.len(), n, "exactly one record for {button}");
        let r = &rows[n - 1].record;
        assert_eq!(r.action.as_str(), action);
        assert_eq!(r.accepted, ["necessari"]);
        assert_eq!(
            r.rejected,
            ["analitici", "personalizzazione", "profilazione"]
        );
        assert_eq!(r.language, "it");
        assert_eq!(r.revision, "2026-11-01");
        // The body holds only the contract's fields: the server refuses a
        // record with any other field (deny_unknown_fields), and this one
        // was stored. One request for one decision.
        for _ in 0..50 {
            if tab
                .requests()
                .iter()
                .any(|q| q.url.ends_with("/api/v1/consents"))
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            tab.requests()
                .iter()
                .filter(|q| q.url.ends_with("/api/v1/consents"))
                .count(),
            1,
            "one request"
        );
        assert!(!banner_visible(&tab).await);
        nothing_managed_ran(&tab).await;
        // Check 20: reloading and other pages do not ask again.
        for path in [HOME, "/demo-site/milomb/spid.html"] {
            tab.goto(&server.url(path)).await.unwrap();
            tab.wait_widget().await.unwrap();
            assert!(!banner_visible(&tab).await, "{path}");
            nothing_managed_ran(&tab).await;
        }
        let stored: Value = serde_json::from_str(
            tab.eval("localStorage.getItem('varco.consent')")
                .await
                .unwrap()
                .as_str()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(stored["rejected"].as_array().unwrap().len(), 3);
        assert!(
            tab.eval("Object.keys(localStorage).every(k => k.startsWith('varco.'))")
                .await
                .unwrap()
                == Value::Bool(true)
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(records(&server).await.len(), 2, "no record sent twice");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c17_accept_all_runs_managed_scripts_once_in_order_and_loads_iframes_without_reload() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = open(&chromium, &server, HOME).await;
    tab.eval("window.__sameDocument = true; window.__order = []; document.addEventListener('varco:consent', e => window.__event = e.detail)").await.unwrap();
    press(&tab, "Accetta tutti").await;
    tab.wait_for(
        "window.varcoDemoAnalytics === 1 && window.varcoDemoInline === 1",
        10,
    )
    .await
    .unwrap();
    tab.wait_for("document.querySelector('iframe[data-varco-category]').getAttribute('src') === '/demo-site/shared/video-embed.html'", 10).await.unwrap();
    assert_eq!(
        tab.eval("window.__sameDocument").await.unwrap(),
        true,
        "no reload"
    );
    tab.wait_for("document.cookie.includes('_pk_id.')", 5)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        tab.eval("window.varcoDemoAnalytics").await.unwrap(),
        1,
        "once"
    );
    assert_eq!(
        tab.eval("window.__event.categories.analitici")
            .await
            .unwrap(),
        true
    );
    let consent = tab.eval("Varco.consent()").await.unwrap();
    assert_eq!(consent["categories"]["profilazione"], true);
    assert_eq!(consent["revision"], "2026-11-01");
    let rows = wait_records(&server, 1).await;
    assert_eq!(rows[0].record.action.as_str(), "accept_all");
    assert_eq!(
        rows[0].record.consent_id,
        consent["consent_id"].as_str().unwrap()
    );
    // The next page runs them at load, once.
    tab.goto(&server.url("/demo-site/milomb/spid.html"))
        .await
        .unwrap();
    tab.wait_for("window.varcoDemoAnalytics === 1", 10)
        .await
        .unwrap();
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c18_c25_c26_c27_one_category_then_withdrawal_from_the_footer_link() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = open(&chromium, &server, HOME).await;
    press(&tab, "Personalizza").await;
    tab.in_widget("shadow.querySelector('input[value=analitici]').click()")
        .await
        .unwrap();
    press(&tab, "Salva le mie scelte").await;
    tab.wait_for("window.varcoDemoAnalytics === 1", 10)
        .await
        .unwrap();
    tab.wait_for("document.cookie.includes('_pk_ses.')", 5)
        .await
        .unwrap();
    assert_eq!(
        tab.eval("document.querySelector('iframe[data-varco-category]').getAttribute('src')")
            .await
            .unwrap(),
        Value::Null
    );
    let placeholder = tab
        .eval("!!document.querySelector('varco-placeholder')?.shadowRoot.querySelector('button')")
        .await
        .unwrap();
    assert_eq!(
        placeholder, true,
        "a blocked iframe has a placeholder with a button"
    );
    let rows = wait_records(&server, 1).await;
    assert_eq!(rows[0].record.action.as_str(), "custom");
    assert_eq!(rows[0].record.accepted, ["necessari", "analitici"]);

    // Check 25: the footer link reopens the preferences with the stored state.
    tab.eval("document.querySelector('[data-varco-open=preferences]').click()")
        .await
        .unwrap();
    tab.wait_preferences().await.unwrap();
    let checked = tab
        .in_widget("[...shadow.querySelectorAll('dialog input:checked:not([data-category])')].map(i => i.value)")
        .await
        .unwrap();
    assert_eq!(checked, serde_json::json!(["necessari", "analitici"]));
    // Check 26: withdrawing is one click, as accepting was.
    press(&tab, "Rifiuta tutti").await;
    let rows = wait_records(&server, 2).await;
    assert_eq!(rows[1].record.action.as_str(), "withdraw");
    // Check 27: its cookies are deleted, and its scripts do not run on the next load.
    tab.wait_for("!document.cookie.includes('_pk_')", 5)
        .await
        .unwrap();
    tab.clear_requests();
    tab.goto(&server.url(HOME)).await.unwrap();
    tab.wait_widget().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    nothing_managed_ran(&tab).await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c21_c22_c23_expired_changed_or_unreadable_choices_ask_again() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = open(&chromium, &server, HOME).await;
    press(&tab, "Rifiuta tutti").await;
    wait_records(&server, 1).await;
    let stored = tab
        .eval("localStorage.getItem('varco.consent')")
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();

    // 22: an older revision asks again, saying what changed; nothing optional runs meanwhile.
    let old = stored.replace("\"revision\":\"2026-11-01\"", "\"revision\":\"2025-01-01\"");
    tab.eval(&format!("localStorage.setItem('varco.consent', {old:?})"))
        .await
        .unwrap();
    tab.goto(&server.url(HOME)).await.unwrap();
    tab.wait_widget().await.unwrap();
    assert!(banner_visible(&tab).await);
    let text = tab
        .in_widget("shadow.querySelector('.banner .changed').textContent")
        .await
        .unwrap();
    assert!(
        text.as_str().unwrap().contains("Abbiamo aggiornato"),
        "{text}"
    );
    nothing_managed_ran(&tab).await;

    // 22: so does a third party added to a category since the choice.
    let mut without: Value = serde_json::from_str(&stored).unwrap();
    let services = without["services"]
        .as_array_mut()
        .expect("the choice lists the third parties it was shown");
    services.retain(|s| !s.as_str().unwrap().starts_with("analitici/"));
    tab.eval(&format!(
        "localStorage.setItem('varco.consent', {:?})",
        without.to_string()
    ))
    .await
    .unwrap();
    tab.open(&server.url(HOME)).await.unwrap();
    assert!(banner_visible(&tab).await);
    let text = tab
        .in_widget("shadow.querySelector('.banner .changed').textContent")
        .await
        .unwrap();
    assert!(
        text.as_str()
            .unwrap()
            .contains("Web Analytics Italia (Matomo) (Statistiche)"),
        "{text}"
    );

    // 21: a refusal older than six months may be asked again; younger, not.
    let day = 86_400_000i64;
    for (age_days, asks) in [(170, false), (190, true)] {
        let now = tab.eval("Date.now()").await.unwrap().as_f64().unwrap() as i64;
        let refusal = serde_json::json!({"v":1,"consent_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","revision":"2026-11-01",
            "decided_at":"2026-01-01T00:00:00.000Z","decided_ms": now - age_days * day,
            "accepted":["necessari"],"rejected":["analitici","personalizzazione","profilazione"],"action":"reject_all"});
        tab.eval(&format!(
            "localStorage.setItem('varco.consent', {:?})",
            refusal.to_string()
        ))
        .await
        .unwrap();
        tab.goto(&server.url(HOME)).await.unwrap();
        tab.wait_widget().await.unwrap();
        assert_eq!(
            banner_visible(&tab).await,
            asks,
            "refusal {age_days} days old"
        );
    }

    // 23: unreadable data shows the banner and runs nothing.
    for junk in ["{not json", "{\"v\":99}", "null", "[]"] {
        tab.eval(&format!("localStorage.setItem('varco.consent', {junk:?})"))
            .await
            .unwrap();
        tab.goto(&server.url(HOME)).await.unwrap();
        tab.wait_widget().await.unwrap();
        assert!(banner_visible(&tab).await, "{junk}");
        nothing_managed_ran(&tab).await;
    }
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c22_a_new_revision_on_the_server_counts_even_when_the_page_is_stale() {
    // The server's configuration has moved on; the page's JSON block has not.
    let server = TestServer::start_with(&[], |config| {
        let site = config.sites.iter_mut().find(|s| s.id == "milomb").unwrap();
        site.widget.revision = Some("2027-01-01".into());
    })
    .await
    .unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = open(&chromium, &server, HOME).await;
    let fetched = "performance.getEntriesByType('resource').some(r => r.name.endsWith('/api/v1/sites/milomb'))";
    tab.wait_for(fetched, 10).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    press(&tab, "Rifiuta tutti").await;
    let rows = wait_records(&server, 1).await;
    assert_eq!(
        rows[0].record.revision, "2027-01-01",
        "the record names the server's revision"
    );
    tab.open(&server.url(HOME)).await.unwrap();
    tab.wait_for(fetched, 10).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !banner_visible(&tab).await,
        "a choice under the server's revision holds"
    );
    // A choice made under the page's older revision is asked again once
    // the server has answered, saying why; nothing optional runs.
    let stored = tab
        .eval("localStorage.getItem('varco.consent')")
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .replace("2027-01-01", "2026-11-01");
    tab.eval(&format!(
        "localStorage.setItem('varco.consent', {stored:?})"
    ))
    .await
    .unwrap();
    tab.open(&server.url(HOME)).await.unwrap();
    tab.wait_for(
        "!!document.querySelector('varco-widget').shadowRoot.querySelector('.banner .changed')",
        10,
    )
    .await
    .unwrap();
    nothing_managed_ran(&tab).await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c29_backend_unreachable_the_choice_applies_and_the_record_arrives_later_once() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = open(&chromium, &server, HOME).await;
    tab.block_urls(&["*://*:*/api/v1/consents"]).await.unwrap();
    press(&tab, "Accetta tutti").await;
    tab.wait_for("window.varcoDemoAnalytics === 1", 10)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(records(&server).await.is_empty());
    assert_eq!(
        tab.eval("JSON.parse(localStorage.getItem('varco.outbox')).length")
            .await
            .unwrap(),
        1
    );
    tab.block_urls(&[]).await.unwrap();
    tab.eval("window.dispatchEvent(new Event('online'))")
        .await
        .unwrap();
    let rows = wait_records(&server, 1).await;
    assert_eq!(rows.len(), 1);
    tab.wait_for("localStorage.getItem('varco.outbox') === null", 10)
        .await
        .unwrap();
    // A reload with an empty queue sends nothing more.
    tab.goto(&server.url(HOME)).await.unwrap();
    tab.wait_widget().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(records(&server).await.len(), 1);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c19_c31_no_cookie_wall_keyboard_only_and_escape_never_grants() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = open(&chromium, &server, HOME).await;
    // 19: the page's links stay usable while the banner is up.
    let top = tab.eval("(() => { const a = [...document.querySelectorAll('header a[href]')].find(a => { const r = a.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.top >= 0 && r.top < innerHeight / 2; }); const r = a.getBoundingClientRect(); return document.elementFromPoint(r.left + 2, r.top + 2) === a || a.contains(document.elementFromPoint(r.left + 2, r.top + 2)); })()").await.unwrap();
    assert_eq!(top, true);
    // 31: the controls are buttons, reachable with Tab, with a visible focus style.
    let focus = tab
        .in_widget("(() => { const b = shadow.querySelector('.banner .btn'); b.focus(); const cs = getComputedStyle(b); return { focused: shadow.activeElement === b, outline: cs.outlineStyle, width: cs.outlineWidth, tab: [...shadow.querySelectorAll('.banner button')].every(x => x.tabIndex === 0) }; })()")
        .await
        .unwrap();
    assert_eq!(focus["focused"], true);
    assert_eq!(focus["tab"], true);
    assert_ne!(focus["outline"], "none", "{focus}");
    // Escape in the preferences closes them and grants nothing; focus returns.
    tab.in_widget("[...shadow.querySelectorAll('button')].find(b => b.textContent.trim() === 'Personalizza').focus()").await.unwrap();
    press(&tab, "Personalizza").await;
    tab.wait_preferences().await.unwrap();
    tab.in_widget("shadow.querySelector('input[value=analitici]').click()")
        .await
        .unwrap();
    tab.in_widget(
        "shadow.querySelector('dialog').dispatchEvent(new Event('cancel', {cancelable: true}))",
    )
    .await
    .unwrap();
    tab.wait_for(
        "!document.querySelector('varco-widget').shadowRoot.querySelector('dialog')",
        5,
    )
    .await
    .unwrap();
    assert!(banner_visible(&tab).await);
    nothing_managed_ran(&tab).await;
    assert!(records(&server).await.is_empty());
    server.stop().await.unwrap();
}

/// Tabs forward until the focus is on the widget control named `name`.
async fn tab_to(tab: &Tab, name: &str) -> Value {
    for _ in 0..200 {
        tab.key("Tab").await.unwrap();
        let f = tab.focused().await.unwrap();
        if f["inWidget"] == true && f["name"] == name {
            return f;
        }
    }
    panic!("Tab never reached {name:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c31_real_keys_reach_and_activate_every_control_and_the_panel_traps_focus() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = open(&chromium, &server, HOME).await;
    // Tab reaches the four controls, each with a visible focus indicator.
    for name in [
        "Chiudi e continua senza accettare",
        "Accetta tutti",
        "Rifiuta tutti",
        "Personalizza",
    ] {
        let f = tab_to(&tab, name).await;
        assert_eq!(f["tag"], "BUTTON", "{f}");
        assert_ne!(f["outline"], "none", "visible focus on {name}: {f}");
    }
    // Space opens the panel from "Personalizza"; focus moves into it.
    tab.key("Space").await.unwrap();
    tab.wait_preferences().await.unwrap();
    tab.wait_for("(() => { const s = document.querySelector('varco-widget').shadowRoot; return s.querySelector('dialog').contains(s.activeElement); })()", 5)
        .await
        .unwrap();
    // Forty presses of Tab, then of Shift+Tab, never leave the dialog.
    for key in ["Tab", "Shift+Tab"] {
        for i in 0..40 {
            tab.key(key).await.unwrap();
            let inside = tab
                .in_widget("shadow.querySelector('dialog').contains(shadow.activeElement)")
                .await
                .unwrap();
            assert_eq!(
                inside,
                true,
                "{key} #{i} left the dialog: {}",
                tab.focused().await.unwrap()
            );
        }
    }
    // Space toggles a category switch; Escape closes without granting and
    // gives focus back to "Personalizza".
    let mut toggled = false;
    for _ in 0..40 {
        let f = tab.focused().await.unwrap();
        if f["value"] == "analitici" {
            tab.key("Space").await.unwrap();
            toggled = true;
            break;
        }
        tab.key("Tab").await.unwrap();
    }
    assert!(toggled, "the analitici switch is reachable with Tab");
    assert_eq!(
        tab.in_widget("shadow.querySelector('input[value=analitici]').checked")
            .await
            .unwrap(),
        true
    );
    tab.key("Escape").await.unwrap();
    tab.wait_for(
        "!document.querySelector('varco-widget').shadowRoot.querySelector('dialog')",
        5,
    )
    .await
    .unwrap();
    tab.wait_for("(() => { const s = document.querySelector('varco-widget').shadowRoot; return s.activeElement?.textContent.trim() === 'Personalizza'; })()", 5)
        .await
        .unwrap();
    assert!(banner_visible(&tab).await, "Escape is not a choice");
    nothing_managed_ran(&tab).await;
    assert!(records(&server).await.is_empty());
    // Enter activates "Rifiuta tutti".
    tab_to(&tab, "Rifiuta tutti").await;
    tab.key("Enter").await.unwrap();
    let rows = wait_records(&server, 1).await;
    assert_eq!(rows[0].record.action.as_str(), "reject_all");
    assert!(!banner_visible(&tab).await);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn javascript_api_queues_early_calls_and_reports_the_choice() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.before_load("window.Varco = window.Varco || {q: []}; window.Varco.q.push(['showPreferences']); document.addEventListener('varco:ready', () => window.__ready = true);").await.unwrap();
    tab.goto(&server.url(HOME)).await.unwrap();
    tab.wait_widget().await.unwrap();
    tab.wait_for("window.__ready === true", 5).await.unwrap();
    tab.wait_preferences().await.unwrap();
    assert_eq!(tab.eval("Varco.consent()").await.unwrap(), Value::Null);
    press(&tab, "Rifiuta tutti").await;
    let c = tab.eval("Varco.consent()").await.unwrap();
    assert_eq!(c["categories"]["necessari"], true);
    assert_eq!(c["categories"]["analitici"], false);
    tab.eval("Varco.reset()").await.unwrap();
    tab.wait_for(
        "!!document.querySelector('varco-widget').shadowRoot.querySelector('section.banner')",
        5,
    )
    .await
    .unwrap();
    assert_eq!(tab.eval("Varco.consent()").await.unwrap(), Value::Null);
    server.stop().await.unwrap();
}

/// Runs axe-core (WCAG 2.1 A and AA rules) on the widget only.
async fn axe_violations(tab: &Tab) -> Value {
    tab.axe_violations().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a11y_axe_finds_no_wcag21_aa_violation_in_the_banner_the_preferences_or_the_floating_button(
) {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = open(&chromium, &server, HOME).await;
    tab.in_widget("shadow.getAnimations().forEach(a => a.finish())")
        .await
        .unwrap();
    let banner = axe_violations(&tab).await;
    assert_eq!(banner, Value::Array(vec![]), "banner: {banner:#}");
    press(&tab, "Personalizza").await;
    tab.in_widget("shadow.querySelectorAll('details').forEach(d => d.open = true)")
        .await
        .unwrap();
    let panel = axe_violations(&tab).await;
    assert_eq!(panel, Value::Array(vec![]), "preferences: {panel:#}");
    // The floating button, after a choice.
    press(&tab, "Rifiuta tutti").await;
    let name = tab
        .in_widget("shadow.querySelector('button.reopen').getAttribute('aria-label')")
        .await
        .unwrap();
    assert_eq!(name, "Preferenze cookie");
    let after = axe_violations(&tab).await;
    assert_eq!(after, Value::Array(vec![]), "floating button: {after:#}");
    tab.in_widget("shadow.querySelector('button.reopen').click()")
        .await
        .unwrap();
    tab.wait_preferences().await.unwrap();
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_layout_shift_caused_by_the_banner() {
    // A plain host page with no web fonts or scripts of its own, so that any
    // layout shift measured is Varco's.
    let (fixtures, server, chromium) = fixtures_server_browser().await;
    let config =
        std::fs::read_to_string(varco_e2e::root().join("demo-site/milomb/varco-config.json"))
            .unwrap();
    let paragraphs =
        "<p>Testo della pagina che occupa lo schermo, per vedere se qualcosa si sposta.</p>"
            .repeat(40);
    let page = format!(
        r#"<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Pagina</title>
<script type="application/json" id="varco-config">{config}</script></head>
<body><h1>Pagina</h1>{paragraphs}<script defer src="{}/varco/varco.js" data-site="milomb" data-api="{}/api"></script></body></html>"#,
        server.base, server.base
    );
    let tab = chromium.tab().await.unwrap();
    tab.before_load("window.__cls = 0; new PerformanceObserver(l => l.getEntries().forEach(e => { if (!e.hadRecentInput) window.__cls += e.value; })).observe({ type: 'layout-shift', buffered: true });").await.unwrap();
    tab.goto(&fixtures.page("cls.html", &page)).await.unwrap();
    tab.wait_widget().await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(banner_visible(&tab).await);
    assert_eq!(
        tab.eval("window.__cls").await.unwrap(),
        0,
        "layout shift while the banner appeared"
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_privacy_control_starts_refused_and_an_explicit_choice_wins() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.before_load(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });",
    )
    .await
    .unwrap();
    tab.goto(&server.url(HOME)).await.unwrap();
    tab.wait_widget().await.unwrap();
    assert!(!banner_visible(&tab).await, "GPC is a refusal: no banner");
    nothing_managed_ran(&tab).await;
    assert!(
        records(&server).await.is_empty(),
        "a browser signal is not a decision: no record"
    );
    assert_eq!(
        tab.eval("Varco.consent()").await.unwrap(),
        Value::Null,
        "no choice yet"
    );
    tab.eval("Varco.showPreferences()").await.unwrap();
    tab.wait_preferences().await.unwrap();
    press(&tab, "Accetta tutti").await;
    tab.wait_for("window.varcoDemoAnalytics === 1", 10)
        .await
        .unwrap();
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_backend_the_record_is_an_event_for_the_site() {
    let (fixtures, server, chromium) = fixtures_server_browser().await;
    let page = host_page(
        &server,
        r#"{"revision":"1","cookie_policy_url":"/cookie","categories":[
 {"id":"necessari","necessary":true,"description":"Tecnici."},{"id":"analitici","title":"Statistiche","description":"Statistiche."}]}"#,
        KEEP_THE_RECORD,
        "calvatone",
    );
    let tab = chromium.tab().await.unwrap();
    tab.goto(&fixtures.page("no-backend.html", &page))
        .await
        .unwrap();
    tab.wait_widget().await.unwrap();
    press(&tab, "Accetta tutti").await;
    tab.wait_for("!!window.__record", 5).await.unwrap();
    let r = tab.eval("window.__record").await.unwrap();
    assert_eq!(r["action"], "accept_all");
    assert_eq!(r["site"], "calvatone");
    assert_eq!(r["accepted"], serde_json::json!(["necessari", "analitici"]));
    assert!(
        tab.requests().iter().all(|q| !q.url.contains("/api/")),
        "no API request without data-api"
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c30_analytics_filed_as_necessary_is_refused_and_nothing_runs() {
    let (fixtures, server, chromium) = fixtures_server_browser().await;
    let page = host_page(
        &server,
        r#"{"revision":"1","cookie_policy_url":"/cookie","categories":[
 {"id":"necessari","necessary":true,"description":"Tecnici.","services":[{"name":"Matomo","kind":"analytics","cookies":["_pk_id.*"]}]}]}"#,
        r#"<script type="text/plain" data-varco-category="necessari">window.trackerRan = true;</script>"#,
        "milomb",
    );
    let tab = chromium.tab().await.unwrap();
    tab.goto(&fixtures.page("c30.html", &page)).await.unwrap();
    // The error comes from the app module, which the loader adds when the
    // first paint declines to paint: wait for it, then leave time for any
    // second message, which would be one too many.
    tab.wait_console(30, |l| l.level == "error" && l.text.contains("Varco"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let errors: Vec<String> = tab
        .errors_but_favicon()
        .into_iter()
        .map(|l| l.text)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("categories[0].services[0].kind") && errors[0].contains("Matomo"),
        "{}",
        errors[0]
    );
    assert_eq!(
        tab.eval("window.trackerRan === undefined").await.unwrap(),
        true
    );
    assert_eq!(
        tab.eval("document.querySelector('varco-widget') === null")
            .await
            .unwrap(),
        true
    );
    server.stop().await.unwrap();
}

/// Adds a category the server does not publish to the page's configuration
/// block before Varco reads it (`readystatechange` to `interactive` fires
/// before deferred scripts run), and keeps what the page is told.
const UNPUBLISHED_CATEGORY: &str = r#"
document.addEventListener('readystatechange', () => {
  const el = document.getElementById('varco-config');
  if (document.readyState !== 'interactive' || !el) return;
  const config = JSON.parse(el.textContent);
  config.categories.push({ id: 'sondaggi', title: 'Sondaggi', description: 'Questionari di gradimento.' });
  el.textContent = JSON.stringify(config);
});
document.addEventListener('varco:record-refused', e => {
  window.__refused = (window.__refused || []).concat([e.detail]);
});
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_the_server_refuses_is_told_to_the_page_with_its_reason_and_never_sent_again() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    // The server's configuration cannot be fetched, so the widget goes by
    // the page's, which names a category the server does not know.
    tab.block_urls(&["*://*:*/api/v1/sites/*"]).await.unwrap();
    tab.before_load(UNPUBLISHED_CATEGORY).await.unwrap();
    tab.open(&server.url(HOME)).await.unwrap();
    press(&tab, "Accetta tutti").await;
    tab.wait_for("window.__refused?.length === 1", 10)
        .await
        .unwrap();
    let refused = tab.eval("window.__refused[0]").await.unwrap();
    assert_eq!(refused["status"], 422, "{refused}");
    assert_eq!(refused["error"], "invalid_record", "{refused}");
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("sondaggi"),
        "the server's reason: {refused}"
    );
    assert_eq!(refused["record_id"], refused["record"]["record_id"]);
    assert_eq!(refused["record"]["action"], "accept_all");
    let warned = tab.console_lines().into_iter().any(|l| {
        l.level == "warning"
            && l.text
                .starts_with("Varco: the server refused a consent record")
            && l.text.contains(message)
    });
    assert!(
        warned,
        "a console warning with the reason: {:#?}",
        tab.console_lines()
    );
    // Dropped from the queue: nothing retries it, not even coming back
    // online or another page.
    assert_eq!(
        tab.eval("localStorage.getItem('varco.outbox')")
            .await
            .unwrap(),
        Value::Null
    );
    tab.eval("window.dispatchEvent(new Event('online'))")
        .await
        .unwrap();
    tab.open(&server.url("/demo-site/milomb/spid.html"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let posts = tab
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.url.ends_with("/api/v1/consents"))
        .count();
    assert_eq!(posts, 1, "sent once, never again");
    assert!(records(&server).await.is_empty());
    server.stop().await.unwrap();
}

/// Holds the app's module back until the page calls `__releaseApp()`, so
/// that the first paint's banner can be measured on its own.
const HOLD_APP: &str = "(() => { let release; const gate = new Promise(r => release = r);
    window.__releaseApp = () => release();
    const f = window.fetch;
    window.fetch = function (u, o) {
        if (String(u).includes('varco_app.wasm')) return gate.then(() => f.call(window, u, o));
        return f.call(window, u, o);
    }; })()";

/// Makes the page's embed ask for English (`data-lang="en"`) before the
/// loader reads it: the Comune's demo has no English page of its own.
const IN_ENGLISH: &str = "new MutationObserver((_, o) => {
    const s = document.querySelector('script[src*=\"varco.js\"]');
    if (s) { s.setAttribute('data-lang', 'en'); o.disconnect(); }
}).observe(document, { childList: true, subtree: true })";

/// A screen: a phone (touch, 2 device pixels per CSS pixel) or a desktop
/// screen of `width` × `height` pixels zoomed to `zoom` (1280×800 at 200 %
/// gives the page 640×400 CSS pixels).
#[derive(Debug, Clone, Copy)]
struct Screen {
    width: i64,
    height: i64,
    zoom: Option<f64>,
}

const PHONE: Screen = Screen {
    width: 390,
    height: 844,
    zoom: None,
};
const SMALL_PHONE: Screen = Screen {
    width: 360,
    height: 640,
    zoom: None,
};
const ZOOMED_200: Screen = Screen {
    width: 1280,
    height: 800,
    zoom: Some(2.0),
};
const DESKTOP: Screen = Screen {
    width: 1280,
    height: 800,
    zoom: Some(1.0),
};

async fn tab_on(chromium: &Chromium, screen: Screen) -> Tab {
    let tab = chromium.tab().await.unwrap();
    match screen.zoom {
        Some(scale) => tab
            .zoomed_screen(screen.width, screen.height, scale)
            .await
            .unwrap(),
        None => tab.phone_screen(screen.width, screen.height).await.unwrap(),
    }
    tab
}

/// The banner's height over the viewport's, its text and whether what the
/// checklist asks of the first layer is in it.
const BANNER_FACTS: &str = "(() => {
    const s = document.querySelector('varco-widget').shadowRoot;
    s.getAnimations().forEach(a => a.finish());
    const b = [...s.querySelectorAll('section.banner')].pop();
    const r = b.getBoundingClientRect(), text = b.querySelector('.banner-text');
    return { share: r.height / innerHeight, bottom: r.bottom, height: innerHeight,
             text: b.textContent, link: !!b.querySelector('.banner-text a[href]'),
             actions: [...b.querySelectorAll('.actions button')].map(x => x.textContent.trim()),
             scrolls: text.scrollHeight > text.clientHeight + 1, overflowY: getComputedStyle(text).overflowY };
})()";

/// The page under the banner: it scrolls, and a link of the page above the
/// banner is the element at its own centre (nothing covers it).
const PAGE_USABLE: &str = "(() => {
    const s = document.querySelector('varco-widget').shadowRoot;
    const top = [...s.querySelectorAll('section.banner')].pop().getBoundingClientRect().top;
    const before = scrollY; scrollBy({ top: 120, behavior: 'instant' }); const scrolled = scrollY > before; scrollTo({ top: before, behavior: 'instant' });
    const link = [...document.querySelectorAll('a[href]')].find(a => {
        const r = a.getBoundingClientRect();
        return r.width > 4 && r.height > 4 && r.top >= 0 && r.bottom < top && r.left >= 0 && r.right <= innerWidth;
    });
    let reachable = false;
    if (link) { const r = link.getBoundingClientRect(); const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); reachable = hit === link || link.contains(hit); }
    return { scrolled, link: link ? link.textContent.trim() : null, reachable };
})()";

async fn assert_banner_fits(tab: &Tab, what: &str, english: bool) {
    let facts = tab.eval(BANNER_FACTS).await.unwrap();
    let share = facts["share"].as_f64().unwrap();
    assert!(
        share <= 1.0 / 3.0,
        "{what}: the banner takes {:.1} % of the screen: {facts}",
        share * 100.0
    );
    assert!(
        facts["bottom"].as_f64().unwrap() <= facts["height"].as_f64().unwrap() + 0.5,
        "{what}: {facts}"
    );
    // Nothing legally required is dropped: the text scrolls inside.
    let text = facts["text"].as_str().unwrap();
    let needed: &[&str] = if english {
        &[
            "technical cookies",
            "Only with your consent",
            "If you close this banner with the X, the default settings stay",
        ]
    } else {
        &[
            "cookie tecnici",
            "Solo con il tuo consenso",
            "Se chiudi il banner con la X, restano attive le impostazioni predefinite",
        ]
    };
    for n in needed {
        assert!(text.contains(n), "{what}: {n:?} missing: {text}");
    }
    assert_eq!(facts["link"], true, "{what}: the cookie policy link");
    assert_eq!(facts["actions"].as_array().unwrap().len(), 3, "{what}");
    if facts["scrolls"] == true {
        assert_eq!(facts["overflowY"], "auto", "{what}");
    }
    // The three actions and the X: on screen, whole, not covered; the
    // assistant's launcher is not covered either.
    let problems = tab.widget_geometry_problems().await.unwrap();
    assert!(problems.is_empty(), "{what}: {problems:#?}");
    // The policy link, scrolled into view inside the text, too.
    tab.in_widget(
        "[...shadow.querySelectorAll('.banner-text a')].pop().scrollIntoView({ block: 'nearest' })",
    )
    .await
    .unwrap();
    let problems = tab.widget_geometry_problems().await.unwrap();
    assert!(problems.is_empty(), "{what}, text scrolled: {problems:#?}");
    tab.in_widget("[...shadow.querySelectorAll('.banner-text')].pop().scrollTop = 0")
        .await
        .unwrap();
    let page = tab.eval(PAGE_USABLE).await.unwrap();
    assert_eq!(page["scrolled"], true, "{what}: the page scrolls: {page}");
    assert_eq!(
        page["reachable"], true,
        "{what}: a page link above the banner: {page}"
    );
}

/// Issue 17, item 2: on a phone (390×844 and 360×640) and at 200 % zoom the
/// banner (the first paint's and the app's, on both demo sites, in Italian
/// and English) takes at most a third of the screen, its three actions
/// always in view and its text, complete, scrolling inside; the page
/// behind scrolls and its links work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_small_screens_and_zoomed_the_banner_takes_at_most_a_third_and_the_page_stays_usable() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let pages = [
        (HOME, false),
        ("/demo-site/milomb/en/index.html", true),
        ("/demo-site/calvatone/index.html", false),
        ("/demo-site/calvatone/index.html", true),
    ];
    for screen in [PHONE, SMALL_PHONE, ZOOMED_200] {
        for (path, english) in pages {
            let what = format!(
                "{path} ({}) at {}×{}",
                if english { "en" } else { "it" },
                screen.width,
                screen.height
            );
            let tab = tab_on(&chromium, screen).await;
            tab.before_load(HOLD_APP).await.unwrap();
            if english && path.contains("calvatone") {
                tab.before_load(IN_ENGLISH).await.unwrap();
            }
            tab.goto(&server.url(path)).await.unwrap();
            tab.wait_for(
                "!!document.querySelector('varco-widget')?.shadowRoot?.querySelector('.first-paint section.banner')",
                30,
            )
            .await
            .unwrap();
            assert_banner_fits(&tab, &format!("first paint, {what}"), english).await;
            tab.eval("__releaseApp()").await.unwrap();
            tab.wait_widget().await.unwrap();
            assert_banner_fits(&tab, &format!("app, {what}"), english).await;
            tab.close().await;
        }
    }
    server.stop().await.unwrap();
}

/// Issue 17, item 2: the preferences' actions («Salva le mie scelte»...)
/// stay in view, whole and not covered, while the list of categories
/// scrolls, at every size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preferences_actions_stay_in_view_while_the_list_scrolls() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    for screen in [DESKTOP, PHONE, SMALL_PHONE, ZOOMED_200] {
        let what = format!("{}×{}", screen.width, screen.height);
        let tab = tab_on(&chromium, screen).await;
        tab.open(&server.url(HOME)).await.unwrap();
        press(&tab, "Personalizza").await;
        tab.wait_preferences().await.unwrap();
        // Every category's services open: the longest list there is.
        tab.in_widget("shadow.querySelectorAll('details').forEach(d => d.open = true)")
            .await
            .unwrap();
        let scrolls = tab
            .in_widget("(() => { const b = shadow.querySelector('.prefs-body'); return b.scrollHeight > b.clientHeight; })()")
            .await
            .unwrap();
        assert_eq!(scrolls, true, "{what}: the list scrolls");
        for at in ["0", "b.scrollHeight / 2", "b.scrollHeight"] {
            let actions = tab
                .in_widget(&format!(
                    "(() => {{ const b = shadow.querySelector('.prefs-body'); b.scrollTop = {at};
                        return [...shadow.querySelectorAll('dialog .actions button')].map(x => {{
                            const r = x.getBoundingClientRect();
                            const hit = shadow.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                            return {{ name: x.textContent.trim(), inside: r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth,
                                      hit: hit === x || x.contains(hit) }}; }}); }})()"
                ))
                .await
                .unwrap();
            let names: Vec<&str> = actions
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["name"].as_str().unwrap())
                .collect();
            assert_eq!(
                names,
                ["Salva le mie scelte", "Accetta tutti", "Rifiuta tutti"],
                "{what}"
            );
            for a in actions.as_array().unwrap() {
                assert_eq!(a["inside"], true, "{what}, list at {at}: {a}");
                assert_eq!(a["hit"], true, "{what}, list at {at}: {a}");
            }
        }
        // The dialog is the only thing that counts while it is open.
        let problems: Vec<String> = tab
            .widget_geometry_problems()
            .await
            .unwrap()
            .into_iter()
            .filter(|p| p.contains("Salva") || p.contains("Accetta") || p.contains("Rifiuta"))
            .collect();
        assert!(problems.is_empty(), "{what}: {problems:#?}");
        tab.close().await;
    }
    server.stop().await.unwrap();
}

/// The floating button's box and whether it shows (not hidden, opaque).
const REOPEN: &str = "(() => {
    const b = document.querySelector('varco-widget').shadowRoot.querySelector('button.reopen');
    if (!b) return null;
    const r = b.getBoundingClientRect(), cs = getComputedStyle(b);
    return { l: r.left, t: r.top, r: r.right, b: r.bottom,
             shown: r.width > 0 && cs.visibility === 'visible' && cs.opacity !== '0' && cs.pointerEvents !== 'none' };
})()";

/// The page's footer links that the floating button overlaps (any part of
/// them, not only their centre), if it shows.
const FOOTER_LINKS_UNDER_REOPEN: &str = "(() => {
    const b = document.querySelector('varco-widget').shadowRoot.querySelector('button.reopen');
    if (!b) return [];
    const r = b.getBoundingClientRect(), cs = getComputedStyle(b);
    if (r.width === 0 || cs.opacity === '0') return [];
    return [...document.querySelectorAll('footer a')].filter(a => [...a.getClientRects()].some(l =>
        l.width > 0 && l.left < r.right && l.right > r.left && l.top < r.bottom && l.bottom > r.top))
        .map(a => a.textContent.trim());
})()";

/// Issue 17, item 2: at rest, on a desktop and on a phone, the floating
/// consent button covers none of the page's footer links wherever the page
/// is scrolled (it fades out and lets clicks through over the footer); it
/// shows again above the footer; and it makes way for the assistant's
/// panel while it is open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_floating_button_covers_neither_the_footer_links_nor_another_varco_control() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    for screen in [DESKTOP, PHONE] {
        for path in [HOME, "/demo-site/calvatone/index.html"] {
            let what = format!("{path} at {}×{}", screen.width, screen.height);
            let tab = tab_on(&chromium, screen).await;
            tab.open(&server.url(path)).await.unwrap();
            press(&tab, "Rifiuta tutti").await;
            tab.wait_for(&format!("{REOPEN}?.shown === true"), 5)
                .await
                .unwrap();
            // Down the page a screen at a time to its end, then back up.
            let steps = tab
                .eval("Math.ceil((document.scrollingElement.scrollHeight - innerHeight) / (innerHeight / 2))")
                .await
                .unwrap()
                .as_i64()
                .unwrap();
            let mut hidden_over_footer = false;
            for i in (0..=steps).chain((0..steps).rev()) {
                tab.eval(&format!(
                    "scrollTo({{ top: {i} * innerHeight / 2, behavior: 'instant' }})"
                ))
                .await
                .unwrap();
                // The button follows the scroll event; wait for it to have
                // run (one animation frame after the scroll).
                tab.eval("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                    .await
                    .unwrap();
                let under = tab.eval(FOOTER_LINKS_UNDER_REOPEN).await.unwrap();
                assert_eq!(under, serde_json::json!([]), "{what}, step {i}");
                let covered = tab.page_links_covered("footer a").await.unwrap();
                assert!(covered.is_empty(), "{what}, step {i}: {covered:?}");
                hidden_over_footer |= tab.eval(REOPEN).await.unwrap()["shown"] == false;
            }
            assert!(
                hidden_over_footer,
                "{what}: the page's footer reaches the button's corner"
            );
            // Back at the top of the page it shows again.
            assert_eq!(tab.eval(REOPEN).await.unwrap()["shown"], true, "{what}");
            // The assistant's panel open: the button makes way.
            tab.press(&format!(
                "Apri l'assistente virtuale {}",
                if path == HOME {
                    "CamOn"
                } else {
                    "Assistente del Comune"
                }
            ))
            .await
            .unwrap();
            tab.wait_for(
                "!!document.querySelector('varco-widget').shadowRoot.querySelector('.chat-panel')",
                10,
            )
            .await
            .unwrap();
            assert_eq!(
                tab.in_widget("getComputedStyle(shadow.querySelector('button.reopen')).display")
                    .await
                    .unwrap(),
                "none",
                "{what}"
            );
            let problems = tab.widget_geometry_problems().await.unwrap();
            assert!(
                !problems.iter().any(|p| p.contains("Preferenze cookie")),
                "{what}: {problems:#?}"
            );
            tab.close().await;
        }
    }
    server.stop().await.unwrap();
}

/// Issue 17, item 11: axe, every rule (best practices included, the whole
/// page), finds nothing on the banner and on the preferences, on a desktop
/// and on a phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_nothing_on_the_banner_or_the_preferences_on_a_desktop_or_a_phone() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    for screen in [DESKTOP, PHONE] {
        let what = format!("{}×{}", screen.width, screen.height);
        let tab = tab_on(&chromium, screen).await;
        tab.open(&server.url(HOME)).await.unwrap();
        tab.in_widget("shadow.getAnimations().forEach(a => a.finish())")
            .await
            .unwrap();
        let banner = tab.axe_all_violations().await.unwrap();
        assert_eq!(banner, serde_json::json!([]), "banner, {what}: {banner:#}");
        press(&tab, "Personalizza").await;
        tab.wait_preferences().await.unwrap();
        tab.in_widget("shadow.querySelectorAll('details').forEach(d => d.open = true)")
            .await
            .unwrap();
        let prefs = tab.axe_all_violations().await.unwrap();
        assert_eq!(
            prefs,
            serde_json::json!([]),
            "preferences, {what}: {prefs:#}"
        );
        tab.close().await;
    }
    server.stop().await.unwrap();
}

/// The Comune di Calvatone's notice says the site uses no persistent cookie
/// of any kind: its statistics, once accepted, run without cookies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_comune_s_statistics_set_no_cookie_once_accepted() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = open(&chromium, &server, "/demo-site/calvatone/tributi.html").await;
    tab.wait_widget().await.unwrap();
    press(&tab, "Accetta tutti").await;
    tab.wait_for("window.varcoDemoAnalytics === 1", 10)
        .await
        .unwrap();
    tab.wait_for(
        "performance.getEntriesByType('resource').some(e => e.name.includes('/demo-analytics/'))",
        10,
    )
    .await
    .unwrap();
    let cookies = tab.eval("document.cookie").await.unwrap();
    assert!(
        !cookies.as_str().unwrap_or_default().contains("_pk_"),
        "the statistics set a cookie: {cookies}"
    );
    let listed = tab
        .eval("document.querySelector('#varco-config').textContent")
        .await
        .unwrap();
    assert!(
        !listed.as_str().unwrap_or_default().contains("_pk_"),
        "the configuration still declares Matomo's cookies"
    );
    server.stop().await.unwrap();
}

/// A site with technical cookies alone has nothing to ask: no banner, no
/// choice stored, no record; the preferences link stays, and the dialog it
/// opens describes the cookies without offering a choice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_with_technical_cookies_alone_shows_no_banner_but_keeps_its_links() {
    let (fixtures, server, chromium) = fixtures_server_browser().await;
    let page = host_page(
        &server,
        r#"{"revision":"1","cookie_policy_url":"/cookie","categories":[
 {"id":"necessari","necessary":true,"description":"Servono al funzionamento del sito."}]}"#,
        KEEP_THE_RECORD,
        "milomb",
    );
    let tab = chromium.tab().await.unwrap();
    tab.goto(&fixtures.page("technical-only.html", &page))
        .await
        .unwrap();
    tab.wait_widget().await.unwrap();
    tab.wait_for(
        "!!document.querySelector('varco-widget')?.shadowRoot?.querySelector('button.reopen')",
        10,
    )
    .await
    .unwrap();
    assert!(!banner_visible(&tab).await, "a banner with nothing to ask");
    tab.in_widget("shadow.querySelector('button.reopen').click()")
        .await
        .unwrap();
    tab.wait_preferences().await.unwrap();
    let dialog = tab
        .in_widget(
            "({ text: shadow.querySelector('dialog.prefs').textContent,
                buttons: [...shadow.querySelectorAll('dialog.prefs button')].map(b => b.textContent.trim()) })",
        )
        .await
        .unwrap();
    let text = dialog["text"].as_str().unwrap_or_default();
    assert!(text.contains("solo cookie tecnici"), "{dialog}");
    assert!(text.contains("I tuoi dati"), "{dialog}");
    let buttons = dialog["buttons"].to_string();
    assert!(
        !buttons.contains("Accetta tutti") && !buttons.contains("Rifiuta tutti"),
        "{dialog}"
    );
    assert_eq!(
        tab.eval("Object.keys(localStorage).filter(k => k.startsWith('varco.consent'))")
            .await
            .unwrap(),
        serde_json::json!([])
    );
    assert_eq!(
        tab.eval("window.__record === undefined").await.unwrap(),
        true
    );
    assert!(records(&server).await.is_empty());
    assert!(
        tab.errors_but_favicon().is_empty(),
        "{:?}",
        tab.errors_but_favicon()
    );
    server.stop().await.unwrap();
}

/// The page of a site that tells Matomo and Google's Consent Mode about its
/// visitors' choices. `own_gtag`: the page defines `gtag` itself (it
/// records each call); otherwise it only has Google's `dataLayer`.
fn page_with_signals(server: &TestServer, own_gtag: bool) -> String {
    let gtag = if own_gtag {
        "window.gtagCalls = []; window.gtag = function () { window.gtagCalls.push([].slice.call(arguments)); };"
    } else {
        "window.dataLayer = window.dataLayer || [];"
    };
    format!(
        r#"<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Camera</title>
<script>window._paq = window._paq || []; window._paq.push(['trackPageView']); {gtag}</script>
<script type="application/json" id="varco-config">{{"revision":"1","cookie_policy_url":"/cookie","categories":[
 {{"id":"necessari","necessary":true,"description":"Tecnici."}},
 {{"id":"analitici","title":"Statistiche","description":"Statistiche."}},
 {{"id":"profilazione","title":"Profilazione","description":"Pubblicità."}}],
 "consent":{{"signals":{{"matomo":"analitici","google_consent_mode":{{
   "analytics_storage":"analitici","ad_storage":"profilazione","ad_user_data":"profilazione"}}}}}}}}</script></head>
<body><h1>Camera</h1><footer><a href="/cookie">Cookie</a></footer>
<script defer src="{}/varco/varco.js" data-site="milomb"></script></body></html>"#,
        server.base
    )
}

/// What the tools were told: Matomo's commands, and Consent Mode's
/// (mode, fields) from `dataLayer`'s `arguments` objects or from the
/// page's own `gtag`.
const SIGNALS_TOLD: &str = r#"(() => ({
  paq: window._paq.filter(c => c[0] !== 'trackPageView').map(c => c[0]),
  consent: (window.gtagCalls || (window.dataLayer || [])
      .filter(e => Object.prototype.toString.call(e) === '[object Arguments]'))
    .filter(e => e[0] === 'consent').map(e => [e[1], e[2]]),
}))()"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matomo_and_consent_mode_hear_the_defaults_and_every_decision() {
    let (fixtures, server, chromium) = fixtures_server_browser().await;
    let denied = serde_json::json!({"ad_storage": "denied", "ad_user_data": "denied", "analytics_storage": "denied"});
    for own_gtag in [false, true] {
        let url = fixtures.page(
            &format!("signals-{own_gtag}.html"),
            &page_with_signals(&server, own_gtag),
        );
        let tab = chromium.tab().await.unwrap();
        tab.goto(&url).await.unwrap();
        tab.wait_widget().await.unwrap();
        tab.wait_for("window._paq.length > 1", 10).await.unwrap();
        assert_eq!(
            tab.eval(SIGNALS_TOLD).await.unwrap(),
            serde_json::json!({"paq": ["requireCookieConsent"], "consent": [["default", denied]]}),
            "before any choice (own gtag: {own_gtag})"
        );

        tab.eval("Varco.showPreferences()").await.unwrap();
        tab.wait_preferences().await.unwrap();
        tab.in_widget("shadow.querySelector('#varco-cat-analitici').click()")
            .await
            .unwrap();
        press(&tab, "Salva le mie scelte").await;
        tab.wait_for("window._paq.length > 2", 10).await.unwrap();
        let analytics_only = serde_json::json!({"ad_storage": "denied", "ad_user_data": "denied", "analytics_storage": "granted"});
        assert_eq!(
            tab.eval(SIGNALS_TOLD).await.unwrap(),
            serde_json::json!({
                "paq": ["requireCookieConsent", "rememberCookieConsentGiven"],
                "consent": [["default", denied], ["update", analytics_only]],
            }),
            "after the statistics alone (own gtag: {own_gtag})"
        );

        // A returning visitor: the defaults, then the choice in force.
        tab.goto(&url).await.unwrap();
        tab.wait_widget().await.unwrap();
        tab.wait_for("window._paq.length > 2", 10).await.unwrap();
        assert_eq!(
            tab.eval(SIGNALS_TOLD).await.unwrap(),
            serde_json::json!({
                "paq": ["requireCookieConsent", "rememberCookieConsentGiven"],
                "consent": [["default", denied], ["update", analytics_only]],
            }),
            "a returning visitor (own gtag: {own_gtag})"
        );
        tab.eval("Varco.showPreferences()").await.unwrap();
        tab.wait_preferences().await.unwrap();
        press(&tab, "Rifiuta tutti").await;
        tab.wait_for("window._paq.length > 3", 10).await.unwrap();
        assert_eq!(
            tab.eval(SIGNALS_TOLD).await.unwrap(),
            serde_json::json!({
                "paq": ["requireCookieConsent", "rememberCookieConsentGiven", "forgetCookieConsentGiven"],
                "consent": [["default", denied], ["update", analytics_only], ["update", denied]],
            }),
            "after a withdrawal (own gtag: {own_gtag})"
        );
        // The same refusal again is a new record but no news for the tools:
        // they are told each state once. (Signals go out in the same task
        // that stores the decision, so its new time is the sync point.)
        let before = tab.eval("Varco.consent().decided_at").await.unwrap();
        tab.eval("Varco.showPreferences()").await.unwrap();
        tab.wait_preferences().await.unwrap();
        press(&tab, "Rifiuta tutti").await;
        tab.wait_for(
            &format!("Varco.consent() && Varco.consent().decided_at !== {before}"),
            10,
        )
        .await
        .unwrap();
        assert_eq!(
            tab.eval(SIGNALS_TOLD).await.unwrap(),
            serde_json::json!({
                "paq": ["requireCookieConsent", "rememberCookieConsentGiven", "forgetCookieConsentGiven"],
                "consent": [["default", denied], ["update", analytics_only], ["update", denied]],
            }),
            "after the same refusal again (own gtag: {own_gtag})"
        );
        assert!(
            tab.errors_but_favicon().is_empty(),
            "{:?}",
            tab.errors_but_favicon()
        );
        tab.eval("localStorage.clear()").await.unwrap();
        tab.close().await;
    }
    server.stop().await.unwrap();
}

/// Once Matomo has loaded, `_paq` is Matomo's own object, whose `push` runs
/// each command at once: Varco's signals go through it, and it stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loaded_matomo_keeps_its_queue_and_runs_the_signals() {
    let (fixtures, server, chromium) = fixtures_server_browser().await;
    let page = host_page(
        &server,
        r#"{"revision":"1","cookie_policy_url":"/cookie","categories":[
 {"id":"necessari","necessary":true,"description":"Tecnici."},
 {"id":"analitici","title":"Statistiche","description":"Statistiche."}],
 "consent":{"signals":{"matomo":"analitici"}}}"#,
        "<script>window.matomoRan = []; window._paq = { loaded: true, push: function (c) { window.matomoRan.push(c[0]); } };</script>",
        "milomb",
    );
    let tab = chromium.tab().await.unwrap();
    tab.goto(&fixtures.page("matomo-loaded.html", &page))
        .await
        .unwrap();
    tab.wait_widget().await.unwrap();
    press(&tab, "Accetta tutti").await;
    tab.wait_for("window.matomoRan.length >= 2", 10)
        .await
        .unwrap();
    assert_eq!(
        tab.eval("({ ran: window.matomoRan, kept: window._paq.loaded === true })")
            .await
            .unwrap(),
        serde_json::json!({"ran": ["requireCookieConsent", "rememberCookieConsentGiven"], "kept": true})
    );
    server.stop().await.unwrap();
}
