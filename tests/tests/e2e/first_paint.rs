//! The light part (issues 7 and 19): the first module paints the banner
//! and makes the visitor's decision itself, and the app is never requested
//! on a visit that only decides; when the visitor reaches for the app
//! (the privacy centre, the assistant), it arrives beside the light part,
//! which keeps the banner, the preferences and the visitor's place, and
//! a press made meanwhile; and if the app never arrives, consent still
//! works and the console says why.

use serde_json::Value;
use varco_e2e::{Chromium, FixtureServer, Tab, TestServer};

const HOME: &str = "/demo-site/milomb/index.html";

/// Holds the app's module back for `ms` (the loader calls `fetch` at the
/// time it needs the module, so wrapping it before the page runs is enough).
fn delay_app_module(ms: u64) -> String {
    format!(
        "(() => {{ const f = window.fetch; window.fetch = function (u, o) {{
            if (String(u).includes('varco_app.wasm')) return new Promise(r => setTimeout(r, {ms})).then(() => f.call(window, u, o));
            return f.call(window, u, o); }}; }})()"
    )
}

/// The first paint's banner, in the widget's shadow root.
const FIRST_BANNER: &str =
    "document.querySelector('varco-widget')?.shadowRoot?.querySelector('.first-paint section.banner')";

/// Makes the app come: the pointer over the assistant's launcher loads it
/// ahead of a press.
async fn reach_for_the_app(tab: &Tab) {
    tab.wait_for(
        "performance.getEntriesByName('varco:light-settled').length > 0",
        20,
    )
    .await
    .unwrap();
    tab.eval(HOVER_LAUNCHER).await.unwrap();
}

/// The pointer enters the light part's assistant launcher.
const HOVER_LAUNCHER: &str = "document.querySelector('varco-widget').shadowRoot.querySelector('.first-paint button.launcher').dispatchEvent(new PointerEvent('pointerenter'))";

/// Whether the app was requested at all.
fn app_requested(tab: &Tab) -> bool {
    tab.widget_files()
        .iter()
        .any(|f| f.starts_with("varco_app."))
}

/// Whether the app has arrived and rendered all of itself (its last step
/// is the assistant's launcher, which replaces the light part's).
const APP_ARRIVED: &str = "performance.getEntriesByName('varco:app-assistant-rendered').length > 0";

/// The demo's home page on a first visit, with the app held back for 1.5 s
/// and the first paint's banner on screen.
async fn first_banner_with_the_app_held_back() -> (TestServer, Chromium, Tab) {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.before_load(&delay_app_module(1500)).await.unwrap();
    tab.goto(&server.url(HOME)).await.unwrap();
    tab.wait_for(&format!("!!{FIRST_BANNER}"), 20)
        .await
        .unwrap();
    (server, chromium, tab)
}

/// The app's two files, which the light part must do without.
const THE_APP: [&str; 2] = ["*://*:*/varco/varco_app.js", "*://*:*/varco/varco_app.wasm"];

/// The demo's home page on a first visit, loaded, with `blocked` (some of
/// the app's files) never arriving: whatever happens comes from the light
/// part.
async fn home_with_the_app_blocked(blocked: &[&str]) -> (TestServer, Chromium, Tab) {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.block_urls(blocked).await.unwrap();
    tab.open(&server.url(HOME)).await.unwrap();
    (server, chromium, tab)
}

async fn press_first(tab: &Tab, action: &str) {
    let clicked = tab
        .eval(&format!(
            "(() => {{ const b = {FIRST_BANNER}?.querySelector(\"[data-action='{action}']\"); if (!b) return false; b.click(); return true; }})()"
        ))
        .await
        .unwrap();
    assert_eq!(clicked, Value::Bool(true), "no first-paint button {action}");
}

/// Every managed script is still `type="text/plain"`: nothing optional ran.
async fn assert_managed_scripts_inert(tab: &Tab) {
    assert_eq!(
        tab.eval("[...document.querySelectorAll('script[data-varco-category]')].every(s => s.type === 'text/plain')")
            .await
            .unwrap(),
        Value::Bool(true)
    );
}

/// The end of a visit that never needed the app: it was not requested and
/// the page logged no error.
async fn ends_without_the_app(tab: Tab, server: TestServer) {
    assert!(!app_requested(&tab), "{:?}", tab.widget_files());
    let errors = tab.errors_but_favicon();
    assert!(errors.is_empty(), "{errors:#?}");
    tab.close().await;
    server.stop().await.unwrap();
}

async fn stored_choice(tab: &Tab) -> Value {
    tab.eval("JSON.parse(localStorage.getItem('varco.consent') || 'null')")
        .await
        .unwrap()
}

#[tokio::test]
async fn the_banner_is_on_screen_before_anything_else_and_a_decision_never_requests_the_app() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    // When the banner enters the shadow root, note what the page has loaded
    // and asked for so far.
    tab.before_load(
        "new MutationObserver((_, doc) => {
            const host = document.querySelector('varco-widget');
            if (!host || !host.shadowRoot) return;
            doc.disconnect();
            const seen = () => {
                if (window.__atBanner || !host.shadowRoot.querySelector('section.banner')) return false;
                window.__atBanner = {
                    resources: performance.getEntriesByType('resource').map(e => e.name),
                    appScript: !!document.querySelector('script[src*=\"varco_app\"]'),
                    firstPaint: !!host.shadowRoot.querySelector('.first-paint section.banner'),
                };
                return true;
            };
            if (!seen()) new MutationObserver((_, o) => { if (seen()) o.disconnect(); })
                .observe(host.shadowRoot, { childList: true, subtree: true });
        }).observe(document, { childList: true, subtree: true });",
    )
    .await
    .unwrap();
    tab.open(&server.url(HOME)).await.unwrap();
    let at_banner = tab.eval("window.__atBanner").await.unwrap();
    assert_eq!(at_banner["firstPaint"], true, "{at_banner}");
    assert_eq!(at_banner["appScript"], false, "{at_banner}");
    let widget_files: Vec<&str> = at_banner["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|u| u.contains("/varco/"))
        .collect();
    assert!(
        widget_files
            .iter()
            .all(|u| u.ends_with("/varco/varco.js") || u.ends_with("/varco/varco_first.wasm")),
        "{widget_files:?}"
    );
    // The visitor decides there, and that is the whole visit: the app is
    // never requested.
    tab.press("Accetta tutti").await.unwrap();
    let records = server.wait_consents("milomb", 1).await;
    assert_eq!(records[0].record.action.as_str(), "accept_all");
    tab.wait_for("window.varcoDemoAnalytics === 1", 10)
        .await
        .unwrap();
    assert!(!tab.banner_visible().await.unwrap());
    ends_without_the_app(tab, server).await;
}

#[tokio::test]
async fn a_refusal_on_the_first_banner_is_stored_and_recorded_without_the_app() {
    let (server, _chromium, tab) = first_banner_with_the_app_held_back().await;
    press_first(&tab, "reject_all").await;
    // The banner goes at once, and the light part has stored the choice.
    assert_eq!(
        tab.eval(&format!("!!{FIRST_BANNER}")).await.unwrap(),
        Value::Bool(false)
    );
    let choice = stored_choice(&tab).await;
    assert_eq!(
        choice["accepted"],
        serde_json::json!(["necessari"]),
        "{choice}"
    );
    let records = server.wait_consents("milomb", 1).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].record.action.as_str(), "reject_all");
    // Nothing optional runs, and the floating button is there to change it.
    assert_managed_scripts_inert(&tab).await;
    tab.wait_for("!!document.querySelector('varco-widget').shadowRoot.querySelector('.first-paint button.reopen')", 5)
        .await
        .unwrap();
    assert!(!app_requested(&tab));
    tab.close().await;
    server.stop().await.unwrap();
}

/// The light part's preferences dialog, open.
const LIGHT_PREFS: &str =
    "document.querySelector('varco-widget')?.shadowRoot?.querySelector('.first-paint dialog.prefs[open]')";

/// What has focus inside the widget: its class, its `data-action` or
/// `data-prefs`, and whether it is in the light part's dialog.
const FOCUSED: &str = "(() => { const a = document.querySelector('varco-widget').shadowRoot.activeElement;
    return a ? { cls: a.className, action: a.getAttribute('data-action') || a.getAttribute('data-prefs'), inDialog: !!a.closest('dialog') } : null; })()";

/// «Personalizza» opens the preferences in the light part: the visitor
/// switches a category on and saves, and the whole visit never requests
/// the app (it is blocked here: nothing could come from it).
#[tokio::test]
async fn customising_and_saving_happen_in_the_light_part_without_the_app() {
    let (server, _chromium, tab) = home_with_the_app_blocked(&THE_APP).await;
    tab.eval(&format!(
        "{FIRST_BANNER}.querySelector(\"[data-action='customise']\").focus()"
    ))
    .await
    .unwrap();
    tab.key("Enter").await.unwrap();
    tab.wait_for(&format!("!!{LIGHT_PREFS}"), 5).await.unwrap();
    // Modal, over the banner, focus inside; nothing optional starts on.
    let focused = tab.eval(FOCUSED).await.unwrap();
    assert_eq!(focused["inDialog"], true, "{focused}");
    assert!(tab.banner_visible().await.unwrap());
    let switches = tab
        .in_widget("[...shadow.querySelectorAll('.first-paint dialog input.switch:not([data-category])')].map(i => [i.value, i.checked, i.disabled])")
        .await
        .unwrap();
    assert_eq!(
        switches,
        serde_json::json!([
            ["necessari", true, true],
            ["analitici", false, false],
            ["personalizzazione", false, false],
            ["profilazione", false, false]
        ]),
        "{switches}"
    );
    // Escape goes back to the banner, on «Personalizza», with no choice.
    tab.key("Escape").await.unwrap();
    tab.wait_for(&format!("!{LIGHT_PREFS}"), 5).await.unwrap();
    assert_eq!(tab.eval(FOCUSED).await.unwrap()["action"], "customise");
    assert_eq!(stored_choice(&tab).await, Value::Null);
    // Again with Space, then the analytics switch on and «Salva».
    tab.key("Space").await.unwrap();
    tab.wait_for(&format!("!!{LIGHT_PREFS}"), 5).await.unwrap();
    tab.in_widget("shadow.querySelector('.first-paint dialog input[value=analitici]').click()")
        .await
        .unwrap();
    tab.press("Salva le mie scelte").await.unwrap();
    let records = server.wait_consents("milomb", 1).await;
    assert_eq!(records[0].record.action.as_str(), "custom");
    assert_eq!(records[0].record.accepted, ["necessari", "analitici"]);
    let choice = stored_choice(&tab).await;
    assert_eq!(
        choice["accepted"],
        serde_json::json!(["necessari", "analitici"])
    );
    tab.wait_for("window.varcoDemoAnalytics === 1", 10)
        .await
        .unwrap();
    assert!(!tab.banner_visible().await.unwrap());
    assert_eq!(
        tab.eval(&format!("!!{LIGHT_PREFS}")).await.unwrap(),
        Value::Bool(false)
    );
    // Focus goes on in the page (its main content), not to <body>.
    assert_eq!(
        tab.eval("document.activeElement !== document.body && document.querySelector('main').contains(document.activeElement)")
            .await
            .unwrap(),
        Value::Bool(true)
    );
    ends_without_the_app(tab, server).await;
}

/// A switch per third party: Matomo switched off alone inside an accepted
/// «analitici» keeps the scripts marked `data-varco-service` with its name
/// inert while the category's other scripts run; the record lists it among
/// the services rejected; switched on again later, it runs. All in the
/// light part.
#[tokio::test]
async fn a_third_party_switched_off_alone_stays_blocked_and_is_recorded() {
    const MATOMO: &str = "analitici/Web Analytics Italia (Matomo)";
    let (server, _chromium, tab) = home_with_the_app_blocked(&THE_APP).await;
    tab.eval(
        "(() => { const s = document.createElement('script'); s.type = 'text/plain';
            s.setAttribute('data-varco-category', 'analitici');
            s.setAttribute('data-varco-service', 'Web Analytics Italia (Matomo)');
            s.textContent = 'window.__matomoOnly = (window.__matomoOnly || 0) + 1;';
            document.body.appendChild(s); })()",
    )
    .await
    .unwrap();
    press_first(&tab, "customise").await;
    tab.wait_for(&format!("!!{LIGHT_PREFS}"), 5).await.unwrap();
    let switch = |key: &str| {
        format!("shadow.querySelector('.first-paint dialog input.switch[value=\"{key}\"]')")
    };
    // The category on turns its third parties on; then Matomo off alone.
    tab.in_widget(&format!("{}.click()", switch("analitici")))
        .await
        .unwrap();
    assert_eq!(
        tab.in_widget(&format!("{}.checked", switch(MATOMO)))
            .await
            .unwrap(),
        Value::Bool(true)
    );
    tab.in_widget(&format!(
        "{0}.closest('details').open = true, {0}.click()",
        switch(MATOMO)
    ))
    .await
    .unwrap();
    tab.press("Salva le mie scelte").await.unwrap();
    let records = server.wait_consents("milomb", 1).await;
    let record = &records[0].record;
    assert_eq!(record.action.as_str(), "custom");
    assert!(
        record.accepted.contains(&"analitici".to_owned()),
        "{record:?}"
    );
    assert!(
        record.services_rejected.contains(&MATOMO.to_owned()),
        "{record:?}"
    );
    assert!(
        !record.services_accepted.contains(&MATOMO.to_owned()),
        "{record:?}"
    );
    // The category's unmarked scripts run; Matomo's stays inert.
    tab.wait_for("window.varcoDemoInline === 1", 10)
        .await
        .unwrap();
    assert_eq!(
        tab.eval("window.__matomoOnly === undefined").await.unwrap(),
        Value::Bool(true)
    );
    assert_eq!(
        stored_choice(&tab).await["refused_services"],
        serde_json::json!([MATOMO])
    );
    // Later, from the floating button: Matomo on again, and it runs.
    tab.wait_for("!!document.querySelector('varco-widget').shadowRoot.querySelector('.first-paint button.reopen')", 5)
        .await
        .unwrap();
    tab.in_widget("shadow.querySelector('.first-paint button.reopen').click()")
        .await
        .unwrap();
    tab.wait_for(&format!("!!{LIGHT_PREFS}"), 5).await.unwrap();
    assert_eq!(
        tab.in_widget(&format!(
            "[{0}.checked, {1}.checked]",
            switch("analitici"),
            switch(MATOMO)
        ))
        .await
        .unwrap(),
        serde_json::json!([true, false])
    );
    tab.in_widget(&format!("{}.click()", switch(MATOMO)))
        .await
        .unwrap();
    tab.press("Salva le mie scelte").await.unwrap();
    let records = server.wait_consents("milomb", 2).await;
    assert!(records[1]
        .record
        .services_accepted
        .contains(&MATOMO.to_owned()));
    tab.wait_for("window.__matomoOnly === 1", 10).await.unwrap();
    assert!(!app_requested(&tab), "{:?}", tab.widget_files());
    tab.close().await;
    server.stop().await.unwrap();
}

/// Later, the floating button opens the same dialog with the choice in
/// force; withdrawing there is a decision like any other, and focus goes
/// back to the floating button. Still no app.
#[tokio::test]
async fn the_floating_button_opens_the_light_preferences_with_the_choice_in_force() {
    let (server, _chromium, tab) = first_banner_with_the_app_held_back().await;
    press_first(&tab, "accept_all").await;
    server.wait_consents("milomb", 1).await;
    tab.wait_for("!!document.querySelector('varco-widget').shadowRoot.querySelector('.first-paint button.reopen')", 5)
        .await
        .unwrap();
    tab.in_widget("shadow.querySelector('.first-paint button.reopen').focus()")
        .await
        .unwrap();
    tab.key("Enter").await.unwrap();
    tab.wait_for(&format!("!!{LIGHT_PREFS}"), 5).await.unwrap();
    let analytics = tab
        .in_widget("shadow.querySelector('.first-paint dialog input[value=analitici]').checked")
        .await
        .unwrap();
    assert_eq!(analytics, Value::Bool(true));
    let current = tab
        .in_widget("shadow.querySelector('.first-paint dialog .prefs-body p.muted').textContent")
        .await
        .unwrap();
    assert!(
        current
            .as_str()
            .unwrap()
            .starts_with("Le tue scelte attuali, del "),
        "{current}"
    );
    // Tab stays inside the modal dialog, both ways.
    for _ in 0..12 {
        tab.key("Tab").await.unwrap();
        assert_eq!(tab.eval(FOCUSED).await.unwrap()["inDialog"], true);
    }
    tab.key("Shift+Tab").await.unwrap();
    assert_eq!(tab.eval(FOCUSED).await.unwrap()["inDialog"], true);
    tab.press("Rifiuta tutti").await.unwrap();
    let records = server.wait_consents("milomb", 2).await;
    // From everything accepted to nothing: a withdrawal.
    assert_eq!(records[1].record.action.as_str(), "withdraw");
    assert_eq!(
        stored_choice(&tab).await["accepted"],
        serde_json::json!(["necessari"])
    );
    assert_eq!(
        tab.eval(FOCUSED).await.unwrap()["cls"]
            .as_str()
            .map(|c| c.contains("reopen")),
        Some(true)
    );
    assert!(!app_requested(&tab), "{:?}", tab.widget_files());
    tab.close().await;
    server.stop().await.unwrap();
}

/// The app's arrival moves nothing of the light part's: the banner is the
/// same element, focus stays on the button it was on, and Enter on it
/// decides.
#[tokio::test]
async fn the_apps_arrival_leaves_the_banner_and_focus_where_they_are() {
    let (server, _chromium, tab) = first_banner_with_the_app_held_back().await;
    tab.eval(&format!(
        "(() => {{ window.__banner = {FIRST_BANNER}; window.__banner.querySelector(\"[data-action='accept_all']\").focus(); }})()"
    ))
    .await
    .unwrap();
    reach_for_the_app(&tab).await;
    tab.wait_for(APP_ARRIVED, 30).await.unwrap();
    let after = tab
        .in_widget(
            "({ action: shadow.activeElement?.getAttribute('data-action'),
                sameBanner: shadow.querySelector('section.banner') === window.__banner,
                banners: shadow.querySelectorAll('section.banner').length,
                launchers: shadow.querySelectorAll('button.launcher').length,
                appLauncher: !!shadow.querySelector('.varco:not(.first-paint) button.launcher') })",
        )
        .await
        .unwrap();
    assert_eq!(
        after,
        serde_json::json!({"action": "accept_all", "sameBanner": true, "banners": 1, "launchers": 1, "appLauncher": true})
    );
    tab.key("Enter").await.unwrap();
    tab.wait_for("!!localStorage.getItem('varco.consent')", 5)
        .await
        .unwrap();
    assert!(!tab.banner_visible().await.unwrap());
    let records = server.wait_consents("milomb", 1).await;
    assert_eq!(records.len(), 1, "one decision, one record");
    tab.close().await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn without_the_app_consent_still_works_and_a_reach_for_it_says_why() {
    let (server, _chromium, tab) = home_with_the_app_blocked(&THE_APP[1..]).await;
    tab.press("Accetta tutti").await.unwrap();
    tab.wait_for("window.varcoDemoAnalytics === 1", 10)
        .await
        .unwrap();
    server.wait_consents("milomb", 1).await;
    // The assistant is the app's: the loader says in one warning that it
    // could not load, and the light part stays.
    tab.in_widget("shadow.querySelector('.first-paint button.launcher').click()")
        .await
        .unwrap();
    tab.wait_console(30, |l| {
        l.level == "warning" && l.text.contains("varco_app.wasm")
    })
    .await
    .unwrap();
    assert_eq!(
        tab.in_widget("!!shadow.querySelector('.first-paint button.reopen')")
            .await
            .unwrap(),
        Value::Bool(true)
    );
    tab.close().await;
    server.stop().await.unwrap();
}

/// Clicks the first paint's button for `action` at the moment the loader
/// (or the app) makes the User Timing mark `mark`: a press that lands in a
/// given phase of the hand-over, whatever the machine's speed.
fn press_at_mark(mark: &str, action: &str) -> String {
    format!(
        "(() => {{ const m = performance.mark.bind(performance);
            performance.mark = (name, o) => {{
                const r = m(name, o);
                if (name === 'varco:{mark}') {{
                    const b = document.querySelector('varco-widget')?.shadowRoot?.querySelector(\".first-paint [data-action='{action}']\");
                    window.__pressedAt = b ? name : 'no first-paint button at ' + name;
                    if (b) b.click();
                }}
                return r;
            }}; }})()"
    )
}

/// A press in the light part's banner while the app starts is the light
/// part's, and applied once.
#[tokio::test]
async fn a_press_in_the_first_paint_during_the_apps_start_is_applied() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    // Right after `start` (the app's first task), once its render is
    // scheduled, and in the task of its first render.
    for mark in ["app-started", "app-render-scheduled", "app-rendered"] {
        for (action, expected) in [("reject_all", "reject_all"), ("customise", "")] {
            let tab = chromium.tab().await.unwrap();
            tab.before_load(&press_at_mark(mark, action)).await.unwrap();
            tab.goto(&server.url(HOME)).await.unwrap();
            reach_for_the_app(&tab).await;
            tab.wait_app().await.unwrap();
            assert_eq!(
                tab.eval("window.__pressedAt").await.unwrap(),
                format!("varco:{mark}"),
                "{action} at {mark}"
            );
            if action == "customise" {
                tab.wait_preferences()
                    .await
                    .unwrap_or_else(|e| panic!("customise pressed at {mark}: no preferences: {e}"));
                assert!(tab.banner_visible().await.unwrap(), "under the preferences");
                assert_eq!(stored_choice(&tab).await, Value::Null);
            } else {
                tab.wait_for("!!localStorage.getItem('varco.consent')", 10)
                    .await
                    .unwrap_or_else(|e| panic!("{action} pressed at {mark}: no choice: {e}"));
                assert!(!tab.banner_visible().await.unwrap(), "{action} at {mark}");
                let records = server.wait_consents("milomb", 1).await;
                assert_eq!(
                    records.last().unwrap().record.action.as_str(),
                    expected,
                    "{action} at {mark}"
                );
            }
            tab.close().await;
        }
    }
    server.stop().await.unwrap();
}

/// Escape pressed in the first paint's banner while the preferences asked
/// for there are still on their way (the app not arrived): they never
/// open, the banner stays, and focus is on the app's «Personalizza».
/// Samples, in every animation frame from the page's start, each banner in
/// the widget: the opacity it shows (its own and its ancestors', across the
/// shadow boundary) and whether it was ever animated.
const BANNER_FRAMES: &str = "(() => {
    window.__bannerFrames = [];
    window.__animatedBanners = 0;
    const animated = new WeakSet();
    const shown = el => {
        let o = 1;
        for (let e = el; e; e = e.parentElement || e.getRootNode().host) o *= Number(getComputedStyle(e).opacity);
        return o;
    };
    const frame = () => {
        const shadow = document.querySelector('varco-widget')?.shadowRoot;
        for (const b of shadow ? shadow.querySelectorAll('section.banner') : []) {
            if (b.getBoundingClientRect().width === 0) continue;
            window.__bannerFrames.push(shown(b));
            if (!animated.has(b) && b.getAnimations().length) { animated.add(b); window.__animatedBanners++; }
        }
        requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
})()";

/// The banner reads at full strength in the first frame it shows, and its
/// entry runs once: the app's arrival does not make it enter again, and
/// with reduced motion nothing moves.
#[tokio::test]
async fn the_banner_is_opaque_in_its_first_frame_and_enters_once() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    for reduced in [false, true] {
        let tab = chromium.tab().await.unwrap();
        if reduced {
            tab.prefer_reduced_motion().await.unwrap();
        }
        tab.before_load(BANNER_FRAMES).await.unwrap();
        tab.goto(&server.url(HOME)).await.unwrap();
        reach_for_the_app(&tab).await;
        tab.wait_for(APP_ARRIVED, 20).await.unwrap();
        // A few frames of the banner after the app came, long after any
        // entry would end.
        tab.wait_for("window.__bannerFrames.length > 0", 5)
            .await
            .unwrap();
        tab.eval("new Promise(r => setTimeout(r, 400))")
            .await
            .unwrap();
        let frames = tab.eval("window.__bannerFrames").await.unwrap();
        let frames = frames.as_array().unwrap();
        assert!(frames.len() > 3, "{frames:?}");
        assert!(
            frames.iter().all(|o| o.as_f64() == Some(1.0)),
            "reduced motion {reduced}: the banner showed at less than full opacity: {frames:?}"
        );
        let animated = tab.eval("window.__animatedBanners").await.unwrap();
        assert_eq!(
            animated,
            serde_json::json!(if reduced { 0 } else { 1 }),
            "reduced motion {reduced}: banners that entered"
        );
        tab.close().await;
    }
    server.stop().await.unwrap();
}

/// The demo home page's configuration block, to put in another page.
fn demo_config_block() -> String {
    let home = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo-site/milomb/index.html"),
    )
    .unwrap();
    let start = home
        .find(r#"<script type="application/json" id="varco-config">"#)
        .unwrap();
    let end = start + home[start..].find("</script>").unwrap() + "</script>".len();
    home[start..end].to_owned()
}

/// With an `async` tag and the configuration block in `<head>`, a page
/// still arriving (here held by a slow script of its own) shows the banner
/// at once, and a decision taken then reaches the managed scripts that
/// arrive after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_tag_in_head_paints_the_banner_while_the_page_is_still_arriving() {
    let fixtures = FixtureServer::start().await.unwrap();
    let server = TestServer::start(&[fixtures.base.clone()]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let (slow, release) = fixtures.held_script("slow.js", "window.slowRan = true;");
    let page = format!(
        r#"<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Pagina lunga</title>{block}
<script async src="{base}/varco/varco.js" data-site="milomb" data-api="{base}/api"></script></head>
<body><h1>Pagina lunga</h1><p>L'inizio della pagina.</p>
<script src="{slow}"></script>
<script type="text/plain" data-varco-category="analitici">window.lateTracker = (window.lateTracker || 0) + 1;</script>
<p id="end">La fine della pagina.</p></body></html>"#,
        block = demo_config_block(),
        base = server.base,
    );
    let url = fixtures.page("long.html", &page);
    let tab = chromium.tab().await.unwrap();
    let (loaded, while_arriving) = tokio::join!(tab.goto(&url), async {
        let seen = tab
            .wait_for(
                &format!("!!{FIRST_BANNER} && document.readyState === 'loading' && !window.slowRan && !document.getElementById('end')"),
                20,
            )
            .await;
        if seen.is_ok() {
            // Decided before the rest of the page is there.
            press_first(&tab, "accept_all").await;
        }
        let _ = release.send(true);
        seen
    });
    while_arriving.expect("the banner is on screen while the page is still loading");
    loaded.unwrap();
    tab.wait_for("window.slowRan && window.lateTracker === 1", 10)
        .await
        .unwrap();
    server.wait_consents("milomb", 1).await;
    tab.wait_widget().await.unwrap();
    assert_eq!(
        tab.eval("window.lateTracker").await.unwrap(),
        1,
        "the managed script that came after the decision ran once"
    );
    ends_without_the_app(tab, server).await;
}
