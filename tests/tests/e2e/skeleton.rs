//! The walking skeleton, end to end: one script tag mounts the widget on
//! every demo page, in an open shadow root, without touching the host page's
//! styles, under a strict CSP and hostile CSS, and without ever breaking the
//! page when something goes wrong.

use serde_json::Value;
use varco_e2e::{demo_pages, Chromium, FixtureServer, Tab, TestServer};

/// Console problems that are not Varco's: the demo pages' own favicon and
/// Bootstrap Italia's inline styles refused by the strict-CSP page.
fn varco_errors(tab: &Tab) -> Vec<String> {
    tab.errors_but_favicon()
        .into_iter()
        .map(|l| format!("[{}] {}", l.level, l.text))
        .filter(|t| !(t.contains("Content Security Policy") && !t.to_lowercase().contains("varco")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_demo_page_mounts_the_widget_in_an_open_shadow_root_without_console_errors() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let pages = demo_pages();
    assert!(
        pages.len() >= 10,
        "the demo has two sites of several pages: {pages:?}"
    );
    let tab = chromium.tab().await.unwrap();
    for path in pages {
        tab.console.lock().unwrap().clear();
        let started = std::time::Instant::now();
        tab.goto(&server.url(&path)).await.unwrap();
        tab.wait_widget()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let facts = tab
            .eval(
                "(() => { const hosts = document.querySelectorAll('varco-widget'); const h = hosts[0];
                  return { hosts: hosts.length, parent: h.parentElement.tagName, open: h.shadowRoot !== null,
                           sheets: h.shadowRoot.adoptedStyleSheets.length,
                           styled: h.shadowRoot.querySelectorAll('[style]').length,
                           ourStyles: [...document.querySelectorAll('style')].filter(s => s.textContent.includes('varco')).length
                                    + document.querySelectorAll('link[href*=\"/varco/\"]').length }; })()",
            )
            .await
            .unwrap();
        assert_eq!(facts["hosts"], 1, "{path}: {facts}");
        assert_eq!(facts["parent"], "BODY", "{path}");
        assert_eq!(facts["open"], true, "{path}");
        assert_eq!(facts["sheets"], 1, "{path}");
        assert_eq!(
            facts["styled"], 0,
            "{path}: no style= attribute inside the widget"
        );
        assert_eq!(
            facts["ourStyles"], 0,
            "{path}: no <style> or <link> of Varco's in the host document"
        );
        let errors = varco_errors(&tab);
        assert!(errors.is_empty(), "{path}: console errors: {errors:#?}");
        eprintln!("{path}: ok in {:?}", started.elapsed());
    }
    server.stop().await.unwrap();
}

/// Computed styles of the host page's own elements.
const HOST_STYLES: &str = "(() => {
    const props = ['display','position','color','background-color','font-family','font-size','font-weight','line-height','margin-top','margin-bottom','padding-top','padding-bottom','width','height','border-top-width','text-decoration-line'];
    const pick = sel => { const e = document.querySelector(sel); if (!e) return null; const cs = getComputedStyle(e); return Object.fromEntries(props.map(p => [p, cs.getPropertyValue(p)])); };
    const sels = ['html','body','header','h1','main p','main a','nav','footer','footer a','.btn','button','.card','.it-footer','ul','input'];
    return Object.fromEntries(sels.map(s => [s, pick(s)]));
})()";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_page_elements_keep_their_computed_styles_with_and_without_the_widget() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    // Pages without a managed iframe: a blocked iframe is replaced by its
    // placeholder on purpose (the consent manager's job), which is not a
    // restyling of the host page.
    for path in [
        "/demo-site/milomb/spid.html",
        "/demo-site/calvatone/anagrafe.html",
    ] {
        let without = chromium.tab().await.unwrap();
        without.block_urls(&["*://*:*/varco/*"]).await.unwrap();
        without.goto(&server.url(path)).await.unwrap();
        without
            .wait_for("document.readyState === 'complete'", 10)
            .await
            .unwrap();
        let before = without.eval(HOST_STYLES).await.unwrap();
        assert_eq!(
            without
                .eval("document.querySelector('varco-widget') === null")
                .await
                .unwrap(),
            true
        );

        let with = chromium.tab().await.unwrap();
        with.goto(&server.url(path)).await.unwrap();
        with.wait_widget().await.unwrap();
        let after = with.eval(HOST_STYLES).await.unwrap();
        assert!(before["body"].is_object() && before["h1"].is_object());
        assert_eq!(
            before, after,
            "{path}: the widget changed the host page's styles"
        );
    }
    server.stop().await.unwrap();
}

/// Computed styles of the widget's banner and its controls.
const WIDGET_STYLES: &str = "(() => {
    const shadow = document.querySelector('varco-widget').shadowRoot;
    shadow.getAnimations().forEach(a => a.finish());
    const props = ['display','position','visibility','opacity','color','background-color','font-size','font-weight','padding-top','border-top-width','border-top-color','min-height','bottom','z-index'];
    const pick = e => { const cs = getComputedStyle(e); return Object.fromEntries(props.map(p => [p, cs.getPropertyValue(p)])); };
    const els = [shadow.querySelector('[role=region]'), ...shadow.querySelectorAll('button'), shadow.querySelector('a')];
    const host = getComputedStyle(document.querySelector('varco-widget'));
    return { els: els.map(pick), hostDisplay: host.display, hostOpacity: host.opacity,
             visible: els.every(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; }) };
})()";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_keeps_its_styles_on_a_page_with_hostile_css() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let normal = chromium.tab().await.unwrap();
    normal
        .goto(&server.url("/demo-site/milomb/index.html"))
        .await
        .unwrap();
    normal.wait_widget().await.unwrap();
    let reference = normal.eval(WIDGET_STYLES).await.unwrap();

    let hostile = chromium.tab().await.unwrap();
    hostile
        .goto(&server.url("/demo-site/milomb/hostile.html"))
        .await
        .unwrap();
    hostile.wait_widget().await.unwrap();
    // The hostile sheet is really applied to the page...
    assert_eq!(
        hostile
            .eval("getComputedStyle(document.querySelector('main div')).backgroundColor")
            .await
            .unwrap(),
        "rgb(255, 255, 0)"
    );
    let attacked = hostile.eval(WIDGET_STYLES).await.unwrap();
    // ...but not to the widget.
    assert_eq!(attacked["visible"], true, "{attacked}");
    assert_eq!(attacked["hostDisplay"], "contents");
    assert_eq!(attacked["hostOpacity"], "1");
    assert_eq!(reference["els"], attacked["els"]);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_works_under_a_strict_csp() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.before_load(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', e =>
            window.__csp.push({directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile || ''}));",
    )
    .await
    .unwrap();
    tab.goto(&server.url("/demo-site/milomb/csp.html"))
        .await
        .unwrap();
    tab.wait_widget().await.unwrap();
    let csp = tab
        .eval("document.querySelector('meta[http-equiv=Content-Security-Policy]').content")
        .await
        .unwrap();
    assert!(csp.as_str().unwrap().contains("style-src 'self'"));
    let visible = tab
        .in_widget("shadow.querySelector('[role=region]').getBoundingClientRect().height > 50")
        .await
        .unwrap();
    assert_eq!(visible, true, "the banner is rendered and styled");
    let violations = tab.eval("window.__csp").await.unwrap();
    let ours: Vec<&Value> = violations
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| {
            v["source"].as_str().unwrap_or("").contains("/varco/")
                || v["blocked"].as_str().unwrap_or("").contains("/varco/")
        })
        .collect();
    assert!(ours.is_empty(), "CSP violations caused by Varco: {ours:#?}");
    server.stop().await.unwrap();
}

fn host_page(head: &str, body_end: &str) -> String {
    format!(
        r##"<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Pagina di prova</title>{head}</head>
<body><h1>Pagina di prova</h1><p><a id="link" href="#sezione">Vai alla sezione</a></p>
<script type="text/plain" data-varco-category="analitici">window.trackerRan = true;</script>
<button id="host-button" type="button">Bottone della pagina</button>
{body_end}
<script>window.hostScriptRan = true; document.getElementById('host-button').addEventListener('click', () => window.hostClicked = true);</script>
</body></html>"##
    )
}

/// The page still works and nothing managed ran.
async fn assert_page_intact(tab: &Tab) {
    tab.wait_for("window.hostScriptRan === true", 10)
        .await
        .unwrap();
    tab.eval("document.getElementById('host-button').click()")
        .await
        .unwrap();
    assert_eq!(tab.eval("window.hostClicked === true").await.unwrap(), true);
    assert_eq!(
        tab.eval("window.trackerRan === undefined").await.unwrap(),
        true,
        "a managed script ran"
    );
    assert_eq!(
        tab.eval("document.querySelector('script[data-varco-category]').type")
            .await
            .unwrap(),
        "text/plain"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_in_head_from_another_origin_mounts_the_widget() {
    let fixtures = FixtureServer::start().await.unwrap();
    let server = TestServer::start(&[fixtures.base.clone()]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tag = format!(
        r#"<script async src="{}/varco/varco.js" data-site="milomb" data-api="{}/api"></script>"#,
        server.base, server.base
    );
    let url = fixtures.page("async-head.html", &host_page(&tag, ""));
    let tab = chromium.tab().await.unwrap();
    tab.goto(&url).await.unwrap();
    tab.wait_widget().await.unwrap();
    assert_page_intact(&tab).await;
    assert!(varco_errors(&tab).is_empty(), "{:#?}", tab.console_lines());

    // And at the end of <body> with defer, same origin as the page.
    let tag = format!(
        r#"<script defer src="{}/varco/varco.js" data-site="milomb"></script>"#,
        server.base
    );
    let url = fixtures.page("defer-body.html", &host_page("", &tag));
    let tab = chromium.tab().await.unwrap();
    tab.goto(&url).await.unwrap();
    tab.wait_widget().await.unwrap();
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_configuration_is_one_console_error_and_the_page_keeps_working() {
    let fixtures = FixtureServer::start().await.unwrap();
    let server = TestServer::start(&[fixtures.base.clone()]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let cases = [
        (
            "bad-site",
            format!(
                r#"<script defer src="{}/varco/varco.js" data-site="Camera di Milano"></script>"#,
                server.base
            ),
            "`data-site`",
            "",
        ),
        (
            "bad-position",
            format!(
                r#"<script defer src="{}/varco/varco.js" data-site="milomb" data-position="top"></script>"#,
                server.base
            ),
            "`data-position`",
            "",
        ),
        (
            "necessary-analytics",
            format!(
                r#"<script defer src="{}/varco/varco.js" data-site="milomb"></script>"#,
                server.base
            ),
            "categories[0].services[0].kind",
            r#"<script type="application/json" id="varco-config">{"cookie_policy_url":"/c","categories":[{"id":"necessari","necessary":true,"description":"x","services":[{"name":"Matomo","kind":"analytics"}]}]}</script>"#,
        ),
        (
            "broken-json",
            format!(
                r#"<script defer src="{}/varco/varco.js" data-site="milomb"></script>"#,
                server.base
            ),
            "#varco-config",
            r#"<script type="application/json" id="varco-config">{"categories": [</script>"#,
        ),
    ];
    for (name, tag, field, head) in cases {
        let tab = chromium.tab().await.unwrap();
        tab.goto(&fixtures.page(&format!("{name}.html"), &host_page(head, &tag)))
            .await
            .unwrap();
        tab.wait_for("window.hostScriptRan === true", 10)
            .await
            .unwrap();
        // The app reports configuration errors (the first paint just paints
        // nothing): wait for its report, then a little more for a second one.
        tab.wait_console(30, |l| l.level == "error" && l.text.contains("Varco"))
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let errors: Vec<String> = tab
            .errors_but_favicon()
            .into_iter()
            .map(|l| l.text)
            .collect();
        assert_eq!(
            errors.len(),
            1,
            "{name}: exactly one console error, got {errors:#?}"
        );
        assert!(
            errors[0].contains(field),
            "{name}: the error names {field}: {}",
            errors[0]
        );
        assert_eq!(
            tab.eval("document.querySelector('varco-widget') === null")
                .await
                .unwrap(),
            true,
            "{name}"
        );
        assert_page_intact(&tab).await;
    }
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_webassembly_or_a_wasm_that_fails_to_load_leaves_the_page_working_with_a_warning() {
    let fixtures = FixtureServer::start().await.unwrap();
    let server = TestServer::start(&[fixtures.base.clone()]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tag = format!(
        r#"<script defer src="{}/varco/varco.js" data-site="milomb"></script>"#,
        server.base
    );
    let url = fixtures.page("failure.html", &host_page("", &tag));

    let no_wasm = chromium.tab().await.unwrap();
    no_wasm
        .before_load("delete window.WebAssembly;")
        .await
        .unwrap();
    no_wasm.goto(&url).await.unwrap();
    no_wasm
        .wait_for("document.readyState === 'complete'", 10)
        .await
        .unwrap();
    assert_page_intact(&no_wasm).await;
    let warnings: Vec<String> = no_wasm
        .console_lines()
        .into_iter()
        .filter(|l| l.level == "warning")
        .map(|l| l.text)
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("Varco") && w.contains("WebAssembly")),
        "{warnings:#?}"
    );

    let blocked = chromium.tab().await.unwrap();
    blocked.block_urls(&["*://*:*/*.wasm"]).await.unwrap();
    blocked.goto(&url).await.unwrap();
    blocked
        .wait_for("document.readyState === 'complete'", 10)
        .await
        .unwrap();
    blocked
        .wait_console(30, |l| {
            l.level == "warning" && l.text.contains("varco_app.wasm")
        })
        .await
        .unwrap();
    assert_page_intact(&blocked).await;
    let warnings: Vec<String> = blocked
        .console_lines()
        .into_iter()
        .filter(|l| l.level == "warning")
        .map(|l| l.text)
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("Varco") && w.contains("varco_app.wasm")),
        "{warnings:#?}"
    );
    assert_eq!(
        blocked
            .eval("document.querySelector('varco-widget') === null")
            .await
            .unwrap(),
        true
    );

    let throwing = chromium.tab().await.unwrap();
    // The widget's mount step throws: a broken browser API must not break the page.
    throwing
        .before_load("window.CSSStyleSheet = function () { throw new Error('broken CSSOM'); };")
        .await
        .unwrap();
    throwing.goto(&url).await.unwrap();
    throwing
        .wait_for("document.readyState === 'complete'", 10)
        .await
        .unwrap();
    throwing
        .wait_console(30, |l| l.text.contains("broken CSSOM"))
        .await
        .unwrap();
    assert_page_intact(&throwing).await;
    let said: Vec<String> = throwing
        .console_lines()
        .into_iter()
        .filter(|l| l.level == "warning" || l.level == "error")
        .map(|l| l.text)
        .collect();
    assert!(
        said.iter()
            .any(|w| w.contains("Varco") && w.contains("broken CSSOM")),
        "{said:#?}"
    );
    server.stop().await.unwrap();
}
