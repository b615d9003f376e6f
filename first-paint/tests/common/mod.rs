//! Helpers shared by the light part's browser tests, which start it as the
//! loader does (`cargo xtask test` runs them in headless Chromium, built
//! with `entry`). Each test file is its own page (its own wasm instance),
//! so a test that starts the light part lives in a file of its own.

#![allow(dead_code)]

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement, ShadowRoot};

pub fn document() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Runs JavaScript in the page and returns its value.
pub fn js(source: &str) -> wasm_bindgen::JsValue {
    js_sys::eval(source).unwrap_or_else(|e| panic!("{source}: {e:?}"))
}

/// Records, in `window.__warnings`, every console warning; in
/// `window.__requests`, the URL and body of every request to `/api/`
/// (fetch and sendBeacon), answering each as a network failure; and in
/// `window.__errors`, every error that reaches the page.
pub fn spy() {
    js(r#"
        window.__warnings = []; window.__requests = []; window.__errors = [];
        const warn0 = console.warn;
        console.warn = (...args) => { window.__warnings.push(args.join(' ')); warn0.apply(console, args); };
        window.addEventListener('error', e => window.__errors.push(String(e.message)));
        window.addEventListener('unhandledrejection', e => window.__errors.push(String(e.reason)));
        const fetch0 = window.fetch;
        window.fetch = function (input, init) {
            const url = String(input && input.url || input);
            if (!url.includes('/api/')) return fetch0.apply(this, arguments);
            const method = (input && input.method) || (init && init.method) || 'GET';
            const record = body => window.__requests.push({ url, method, body: body || '' });
            if (input instanceof Request) return input.clone().text().then(record, () => record('')).then(() => { throw new TypeError('Failed to fetch'); });
            record(init && init.body);
            return Promise.reject(new TypeError('Failed to fetch'));
        };
        navigator.sendBeacon = (url, data) => { window.__requests.push({ url: String(url), method: 'BEACON', body: String(data || '') }); return true; };
    "#);
}

pub fn warnings() -> Vec<String> {
    strings("window.__warnings")
}

pub fn errors() -> Vec<String> {
    strings("window.__errors")
}

/// `method url body` of each request recorded by [`spy`].
pub fn requests() -> Vec<String> {
    strings("window.__requests.map(r => r.method + ' ' + r.url + ' ' + r.body)")
}

fn strings(expr: &str) -> Vec<String> {
    let array: js_sys::Array = js(expr).unchecked_into();
    array.iter().filter_map(|v| v.as_string()).collect()
}

/// The Camera's configuration: the necessary category and the
/// personalisation the navigation data depend on.
pub const MILOMB: &str = r#"{"revision": "1", "cookie_policy_url": "/cookie", "categories": [
    {"id": "necessari", "necessary": true, "description": "x",
     "services": [{"name": "Varco", "kind": "technical", "cookies": ["varco.*"]}]},
    {"id": "personalizzazione", "title": "Personalizzazione", "description": "y",
     "services": [{"name": "CamOn", "kind": "personalisation"}]}]}"#;

/// Puts the embed (with a backend under `/api`) and [`MILOMB`] on the
/// page and starts the light part, step by step as the loader does.
pub fn boot_milomb() {
    document()
        .document_element()
        .unwrap()
        .set_attribute("lang", "it")
        .unwrap();
    let config = document().create_element("script").unwrap();
    config.set_attribute("type", "application/json").unwrap();
    config.set_id("varco-config");
    config.set_text_content(Some(MILOMB));
    document().head().unwrap().append_child(&config).unwrap();
    let script = document().create_element("script").unwrap();
    script.set_attribute("data-site", "milomb").unwrap();
    script.set_attribute("data-api", "/api").unwrap();
    document().body().unwrap().append_child(&script).unwrap();
    use varco_first_paint::light;
    let nothing = js_sys::Function::new_no_args("");
    let state = light::prepare(Some(script), nothing.clone(), nothing);
    assert_ne!(state, 0, "the light part starts");
    if state == 2 {
        assert!(light::paint(), "the banner is painted");
    }
    assert!(light::settle(), "the light part settles");
}

pub fn shadow() -> ShadowRoot {
    document()
        .query_selector("varco-widget")
        .unwrap()
        .expect("the widget's host")
        .shadow_root()
        .expect("an open shadow root")
}

pub fn banner_visible() -> bool {
    shadow().query_selector("[role=region]").unwrap().is_some()
}

/// Clicks the widget's button whose text or label is `name`.
pub fn press(name: &str) {
    let list = shadow().query_selector_all("button").unwrap();
    let button = (0..list.length())
        .map(|i| list.item(i).unwrap().unchecked_into::<Element>())
        .find(|b| {
            b.get_attribute("aria-label").as_deref() == Some(name)
                || b.text_content().unwrap_or_default().trim() == name
        })
        .unwrap_or_else(|| panic!("no button {name:?}"));
    button.unchecked_into::<HtmlElement>().click();
}

pub async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

/// Waits up to `ms` for `check`.
pub async fn until(ms: i32, check: impl Fn() -> bool) -> bool {
    let mut waited = 0;
    while waited < ms {
        if check() {
            return true;
        }
        sleep(25).await;
        waited += 25;
    }
    check()
}
