//! The consent flow with the keyboard alone (issue 17, items 10 and 11):
//! the first Tab reaches the banner (through the skip link at the start of
//! the page) without anything focused on load, before the app arrives and
//! after; after a choice focus goes on to a sensible place, never
//! `<body>`; Escape in the preferences gives focus back to «Personalizza»
//! however early it is pressed, while the app arrives too, on a slowed
//! page, every time. The banner and the preferences are the light part's
//! for the page's whole life: the app's arrival moves nothing.

use serde_json::Value;
use varco_e2e::{Chromium, Tab, TestServer};

const HOME: &str = "/demo-site/milomb/index.html";
const EN_HOME: &str = "/demo-site/milomb/en/index.html";

/// Holds the app's module back until the page calls `__releaseApp()` (the
/// loader fetches it when it needs it, so wrapping `fetch` first is enough).
const HOLD_APP: &str = "(() => { let release; const gate = new Promise(r => release = r);
    window.__releaseApp = () => release();
    const f = window.fetch;
    window.fetch = function (u, o) {
        if (String(u).includes('varco_app.wasm')) return gate.then(() => f.call(window, u, o));
        return f.call(window, u, o);
    }; })()";

/// The first paint's banner is on screen.
const FIRST_BANNER: &str =
    "!!document.querySelector('varco-widget')?.shadowRoot?.querySelector('.first-paint section.banner')";

/// The app has arrived and rendered all of itself (its last step is the
/// assistant's launcher).
const APP_ARRIVED: &str = "performance.getEntriesByName('varco:app-assistant-rendered').length > 0";

/// The pointer enters the light part's assistant launcher: the app loads.
const HOVER_LAUNCHER: &str = "document.querySelector('varco-widget').shadowRoot.querySelector('.first-paint button.launcher').dispatchEvent(new PointerEvent('pointerenter'))";

/// The light part has applied the choice and installed `window.Varco`.
const LIGHT_SETTLED: &str = "performance.getEntriesByName('varco:light-settled').length > 0";

const NO_DIALOG: &str =
    "!document.querySelector('varco-widget').shadowRoot.querySelector('dialog[open]')";

/// Where focus is, with the first paint's or the app's part of the widget.
async fn focus(tab: &Tab) -> Value {
    let mut f = tab.focus_place().await.unwrap();
    let part = tab
        .eval(
            "(() => { const s = document.querySelector('varco-widget')?.shadowRoot; const a = s?.activeElement;
                if (!a) return null; return a.closest('.first-paint') ? 'first-paint' : 'app'; })()",
        )
        .await
        .unwrap();
    f["part"] = part;
    f
}

/// Presses Tab until the focused element's name is `name` (at most
/// `limit` times); returns where focus is.
async fn tab_to(tab: &Tab, name: &str, limit: usize) -> Value {
    tab_to_where(tab, name, limit, |_| true).await
}

/// Like [`tab_to`], for a control of the widget (the page may have one of
/// the same name).
async fn tab_to_widget(tab: &Tab, name: &str, limit: usize) -> Value {
    tab_to_where(tab, name, limit, |f| f["host"] == "VARCO-WIDGET").await
}

async fn tab_to_where(tab: &Tab, name: &str, limit: usize, also: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..limit {
        tab.key("Tab").await.unwrap();
        let f = focus(tab).await;
        if f["name"] == name && also(&f) {
            return f;
        }
    }
    panic!(
        "{limit} presses of Tab never reached {name:?}: {}",
        focus(tab).await
    );
}

/// Nothing is focused: the page has not moved focus on load.
async fn assert_nothing_focused(tab: &Tab) {
    let f = focus(tab).await;
    assert_eq!(f["body"], true, "focus moved on load: {f}");
}

/// The skip link is focused, visible and inside the viewport.
async fn assert_on_visible_skip_link(tab: &Tab, label: &str) {
    let f = focus(tab).await;
    assert_eq!(f["host"], "VARCO-SKIP", "{f}");
    assert_eq!(f["name"], label, "{f}");
    let r = tab
        .eval(
            "(() => { const b = document.querySelector('varco-skip').shadowRoot.querySelector('button').getBoundingClientRect();
                return b.width > 40 && b.height >= 40 && b.left >= 0 && b.top >= 0 && b.right <= innerWidth && b.bottom <= innerHeight; })()",
        )
        .await
        .unwrap();
    assert_eq!(r, true, "the focused skip link is on screen");
    // It is the first child of <body>.
    assert_eq!(
        tab.eval("document.body.firstElementChild.tagName")
            .await
            .unwrap(),
        "VARCO-SKIP"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_tab_reaches_the_banner_before_and_after_the_app_arrives() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    for (page, skip, close) in [
        (
            HOME,
            "Vai all'informativa sui cookie",
            "Chiudi e continua senza accettare",
        ),
        (
            EN_HOME,
            "Skip to the cookie notice",
            "Close and continue without accepting",
        ),
    ] {
        // The first paint's banner, the app held back.
        let tab = chromium.tab().await.unwrap();
        tab.before_load(HOLD_APP).await.unwrap();
        tab.goto(&server.url(page)).await.unwrap();
        tab.wait_for(FIRST_BANNER, 30).await.unwrap();
        assert_nothing_focused(&tab).await;
        tab.key("Tab").await.unwrap();
        assert_on_visible_skip_link(&tab, skip).await;
        tab.key("Enter").await.unwrap();
        let f = focus(&tab).await;
        assert_eq!(
            (f["tag"].as_str(), f["part"].as_str()),
            (Some("SECTION"), Some("first-paint")),
            "{f}"
        );
        tab.key("Tab").await.unwrap();
        let f = focus(&tab).await;
        assert_eq!(f["name"], close, "{f}");
        // The app arrives (the pointer over the assistant's launcher):
        // focus stays where it is, on the light part's banner.
        tab.wait_for(LIGHT_SETTLED, 30).await.unwrap();
        tab.eval(&format!("{HOVER_LAUNCHER}; __releaseApp()"))
            .await
            .unwrap();
        tab.wait_for(APP_ARRIVED, 30).await.unwrap();
        let f = focus(&tab).await;
        assert_eq!(
            (f["name"].as_str(), f["part"].as_str()),
            (Some(close), Some("first-paint")),
            "{f}"
        );
        tab.close().await;

        // The app there before the first Tab.
        let tab = chromium.tab().await.unwrap();
        tab.open(&server.url(page)).await.unwrap();
        tab.eval(HOVER_LAUNCHER).await.unwrap();
        tab.wait_for(APP_ARRIVED, 30).await.unwrap();
        assert_nothing_focused(&tab).await;
        tab.key("Tab").await.unwrap();
        assert_on_visible_skip_link(&tab, skip).await;
        tab.key("Enter").await.unwrap();
        let f = focus(&tab).await;
        assert_eq!(
            (f["tag"].as_str(), f["part"].as_str()),
            (Some("SECTION"), Some("first-paint")),
            "{f}"
        );
        tab.key("Tab").await.unwrap();
        assert_eq!(focus(&tab).await["name"], close);

        // Once the visitor has chosen, the skip link goes, and on the next
        // page the first Tab is the page's own first control.
        tab.press(if page == HOME {
            "Rifiuta tutti"
        } else {
            "Reject all"
        })
        .await
        .unwrap();
        assert_eq!(
            tab.eval("document.querySelector('varco-skip') === null")
                .await
                .unwrap(),
            true
        );
        tab.open(&server.url(page)).await.unwrap();
        assert!(!tab.banner_visible().await.unwrap());
        tab.key("Tab").await.unwrap();
        let f = focus(&tab).await;
        assert_eq!(f["host"], Value::Null, "{f}");
        assert_eq!(
            tab.eval("document.activeElement === document.querySelector('a, button, input')")
                .await
                .unwrap(),
            true,
            "{f}"
        );
        tab.close().await;
    }
    server.stop().await.unwrap();
}

/// The stored choice's accepted categories.
async fn accepted(tab: &Tab) -> Value {
    tab.eval("JSON.parse(localStorage.getItem('varco.consent') || 'null')?.accepted ?? null")
        .await
        .unwrap()
}

async fn in_main_content(tab: &Tab) -> bool {
    tab.eval("document.querySelector('main').contains(document.activeElement) && document.activeElement !== document.body")
        .await
        .unwrap()
        == Value::Bool(true)
}

/// The whole consent flow with keys only: first Tab, the skip link, the
/// banner, «Personalizza», a category toggled with Space, «Salva le mie
/// scelte»; then the floating button reached with Tab, the preferences
/// showing the stored choice, Escape back to the floating button.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consent_flow_with_the_keyboard_alone_on_a_desktop_and_on_a_phone() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    for phone in [false, true] {
        let tab = chromium.tab().await.unwrap();
        if phone {
            tab.phone_screen(390, 844).await.unwrap();
        } else {
            tab.zoomed_screen(1280, 800, 1.0).await.unwrap();
        }
        tab.open(&server.url(HOME)).await.unwrap();
        assert_nothing_focused(&tab).await;
        tab.key("Tab").await.unwrap();
        assert_on_visible_skip_link(&tab, "Vai all'informativa sui cookie").await;
        tab.key("Enter").await.unwrap();
        tab_to(&tab, "Personalizza", 8).await;
        tab.key("Enter").await.unwrap();
        tab.wait_preferences().await.unwrap();
        tab.wait_for("(() => { const s = document.querySelector('varco-widget').shadowRoot; return s.querySelector('dialog').contains(s.activeElement); })()", 10)
            .await
            .unwrap();
        let mut toggled = false;
        for _ in 0..40 {
            tab.key("Tab").await.unwrap();
            if tab.focus_place().await.unwrap()["tag"] == "INPUT"
                && tab.in_widget("shadow.activeElement.value").await.unwrap() == "analitici"
            {
                tab.key("Space").await.unwrap();
                toggled = true;
                break;
            }
        }
        assert!(toggled, "Tab reaches the «Statistiche» switch");
        tab_to(&tab, "Salva le mie scelte", 40).await;
        tab.key("Enter").await.unwrap();
        tab.wait_for(NO_DIALOG, 10).await.unwrap();
        assert_eq!(
            accepted(&tab).await,
            serde_json::json!(["necessari", "analitici"])
        );
        assert!(!tab.banner_visible().await.unwrap());
        // Focus went on to the page's content, not to <body>.
        assert!(in_main_content(&tab).await, "{}", focus(&tab).await);

        // The floating button, reached with Tab from there.
        tab_to_widget(&tab, "Preferenze cookie", 300).await;
        // Focused, it shows, even over the page's footer.
        assert_eq!(
            tab.in_widget("getComputedStyle(shadow.activeElement).opacity")
                .await
                .unwrap(),
            "1"
        );
        tab.key("Enter").await.unwrap();
        tab.wait_preferences().await.unwrap();
        // The stored state, not the defaults.
        assert_eq!(
            tab.in_widget("[...shadow.querySelectorAll('dialog input[type=checkbox]:not([data-category])')].filter(i => i.checked).map(i => i.value)")
                .await
                .unwrap(),
            serde_json::json!(["necessari", "analitici"])
        );
        tab.key("Escape").await.unwrap();
        tab.wait_for(NO_DIALOG, 10).await.unwrap();
        let f = focus(&tab).await;
        assert_eq!(
            (f["name"].as_str(), f["host"].as_str()),
            (Some("Preferenze cookie"), Some("VARCO-WIDGET")),
            "Escape gives focus back to the floating button: {f}"
        );
        assert_eq!(
            accepted(&tab).await,
            serde_json::json!(["necessari", "analitici"]),
            "Escape changes nothing"
        );
        tab.close().await;
    }
    server.stop().await.unwrap();
}

/// After a choice focus goes back to where the visitor came from (a page
/// link, the floating button that opened the preferences), else to the
/// page's main content: never to `<body>`, and without scrolling the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_choice_focus_goes_on_to_the_page_never_to_body() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();

    // Through the skip link: on to the main content, the page not scrolled.
    let tab = chromium.tab().await.unwrap();
    tab.open(&server.url(HOME)).await.unwrap();
    tab.key("Tab").await.unwrap();
    tab.key("Enter").await.unwrap();
    tab_to(&tab, "Accetta tutti", 8).await;
    tab.key("Enter").await.unwrap();
    tab.wait_for("!!localStorage.getItem('varco.consent')", 10)
        .await
        .unwrap();
    assert!(in_main_content(&tab).await, "{}", focus(&tab).await);
    assert_eq!(tab.eval("scrollY").await.unwrap(), 0);
    tab.close().await;

    // From a link of the page into the banner (the banner follows the
    // page's last control): back to that link.
    let tab = chromium.tab().await.unwrap();
    tab.open(&server.url(HOME)).await.unwrap();
    let last = tab
        .eval("(() => { const links = [...document.querySelectorAll('footer a[href]')]; const a = links[links.length - 1]; a.focus(); return a.textContent.trim(); })()")
        .await
        .unwrap();
    let f = tab_to(&tab, "Chiudi e continua senza accettare", 3).await;
    assert_eq!(f["host"], "VARCO-WIDGET");
    tab.key("Enter").await.unwrap();
    tab.wait_for("!!localStorage.getItem('varco.consent')", 10)
        .await
        .unwrap();
    let f = focus(&tab).await;
    assert_eq!(
        (f["name"].as_str(), f["host"].as_str()),
        (last.as_str(), None),
        "{f}"
    );

    // The preferences opened from the floating button: back to it after
    // «Salva le mie scelte».
    tab.eval("scrollTo({ top: 0, behavior: 'instant' })")
        .await
        .unwrap();
    tab.in_widget("shadow.querySelector('button.reopen').focus()")
        .await
        .unwrap();
    tab.key("Enter").await.unwrap();
    tab.wait_preferences().await.unwrap();
    tab_to(&tab, "Salva le mie scelte", 40).await;
    tab.key("Enter").await.unwrap();
    tab.wait_for(NO_DIALOG, 10).await.unwrap();
    let f = focus(&tab).await;
    assert_eq!(f["name"], "Preferenze cookie", "{f}");
    tab.close().await;

    // A choice in the first paint's banner, the app not there yet: on to
    // the main content, and the app does not move focus when it arrives.
    let tab = chromium.tab().await.unwrap();
    tab.before_load(HOLD_APP).await.unwrap();
    tab.goto(&server.url(HOME)).await.unwrap();
    tab.wait_for(FIRST_BANNER, 30).await.unwrap();
    tab.key("Tab").await.unwrap();
    tab.key("Enter").await.unwrap();
    let f = tab_to(&tab, "Rifiuta tutti", 8).await;
    assert_eq!(f["part"], "first-paint", "{f}");
    tab.key("Enter").await.unwrap();
    assert!(in_main_content(&tab).await, "{}", focus(&tab).await);
    let before = focus(&tab).await;
    tab.eval("__releaseApp()").await.unwrap();
    tab.wait_widget().await.unwrap();
    tab.wait_for("!!localStorage.getItem('varco.consent')", 10)
        .await
        .unwrap();
    assert_eq!(focus(&tab).await, before);
    assert_eq!(accepted(&tab).await, serde_json::json!(["necessari"]));
    tab.close().await;
    server.stop().await.unwrap();
}

/// Holds the app's module back for `ms` (a different phase of the
/// moment of its arrival for each run: the assertions wait for events, not for time).
fn delay_app_module(ms: u64) -> String {
    format!(
        "(() => {{ const f = window.fetch; window.fetch = function (u, o) {{
            if (String(u).includes('varco_app.wasm')) return new Promise(r => setTimeout(r, {ms})).then(() => f.call(window, u, o));
            return f.call(window, u, o); }}; }})()"
    )
}

/// The Escape walk, again and again on a page slowed four times: the skip
/// link, «Personalizza» with Space, then Escape, at once or once the
/// preferences are open. The preferences are the light part's; in half of
/// the runs the app arrives while the visitor is on «Personalizza» or in
/// the dialog (the pointer reaches the assistant's launcher, as a
/// conversation in progress would load it), at a different moment each
/// time. Every time the preferences end closed, the banner stays, nothing
/// is chosen, and focus is on «Personalizza».
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escape_from_the_preferences_returns_to_personalizza_every_time_even_while_the_app_arrives()
{
    use chromiumoxide::cdp::browser_protocol::emulation::SetCpuThrottlingRateParams;
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let mut run = 0;
    for app_arrives in [None, Some(0), Some(150), Some(400), Some(800), Some(1500)] {
        for escape_at_once in [false, true] {
            run += 1;
            let tab = chromium.tab().await.unwrap();
            tab.page
                .execute(SetCpuThrottlingRateParams::new(4.0))
                .await
                .unwrap();
            if let Some(delay) = app_arrives {
                tab.before_load(&delay_app_module(delay)).await.unwrap();
            }
            tab.goto(&server.url(HOME)).await.unwrap();
            tab.wait_for(
                "!!document.querySelector('varco-widget')?.shadowRoot?.querySelector('section.banner')",
                60,
            )
            .await
            .unwrap();
            tab.key("Tab").await.unwrap();
            tab.key("Enter").await.unwrap();
            let pressed_in = tab_to(&tab, "Personalizza", 8).await;
            if app_arrives.is_some() {
                tab.wait_for(LIGHT_SETTLED, 60).await.unwrap();
                tab.eval(HOVER_LAUNCHER).await.unwrap();
            }
            tab.key("Space").await.unwrap();
            if !escape_at_once {
                tab.wait_for(
                    "!!document.querySelector('varco-widget').shadowRoot.querySelector('dialog[open]')",
                    60,
                )
                .await
                .unwrap_or_else(|e| {
                    panic!("run {run} ({app_arrives:?}): the preferences did not open: {e}")
                });
            }
            tab.key("Escape").await.unwrap();
            let context = format!(
                "run {run} (app arriving {app_arrives:?}, Escape at once: {escape_at_once}, Space pressed in {})",
                pressed_in["part"]
            );
            if app_arrives.is_some() {
                tab.wait_for(APP_ARRIVED, 60)
                    .await
                    .unwrap_or_else(|e| panic!("{context}: {e}"));
            }
            tab.wait_for(NO_DIALOG, 30)
                .await
                .unwrap_or_else(|e| panic!("{context}: the preferences stay open: {e}"));
            let in_part = "!!a.closest('.first-paint')";
            let on_personalizza = format!("(() => {{ const a = document.querySelector('varco-widget').shadowRoot.activeElement;
                return !!a && a.getAttribute('data-action') === 'customise' && {in_part}; }})()");
            if let Err(e) = tab.wait_for(&on_personalizza, 30).await {
                panic!(
                    "{context}: focus is on {} instead of «Personalizza»: {e}",
                    focus(&tab).await
                );
            }
            assert!(tab.banner_visible().await.unwrap(), "run {run}");
            assert_eq!(tab.eval(NO_DIALOG).await.unwrap(), true, "run {run}");
            assert_eq!(accepted(&tab).await, Value::Null, "Escape is not a choice");
            tab.close().await;
        }
    }
    server.stop().await.unwrap();
}
