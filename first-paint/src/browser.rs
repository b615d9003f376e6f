//! Small wrappers around browser APIs that may be missing or throw.
//!
//! Storage first: localStorage can be blocked (private browsing, disabled
//! storage, sandboxed iframes), full, or hold data another script wrote.
//! Every access goes through [`Store`], which falls back to memory for the
//! rest of the visit and says once in the console what happened. Nothing
//! here throws into the host page.

use std::cell::{Cell, RefCell};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Storage, Window};

pub fn window() -> Window {
    web_sys::window().expect("a window")
}

pub fn document() -> Document {
    window().document().expect("a document")
}

pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

pub fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}

/// A random UUID v4, from the browser's CSPRNG.
pub fn uuid_v4() -> String {
    let mut bytes = [0u8; 16];
    let filled = window()
        .crypto()
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes).map(|_| ()));
    if filled.is_err() {
        // No CSPRNG: still unique enough for a record id, never used as a secret.
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = ((js_sys::Math::random() * 256.0) as u8) ^ (i as u8);
        }
    }
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

thread_local! {
    /// What could not be stored, by key. A few keys at most: a list is
    /// enough, and smaller in the module than a map.
    static MEMORY: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
    static WARNED: Cell<bool> = const { Cell::new(false) };
}

fn forget(key: &str) {
    MEMORY.with(|m| m.borrow_mut().retain(|(k, _)| k != key));
}

/// localStorage with a memory fallback.
pub struct Store;

impl Store {
    fn local() -> Option<Storage> {
        match window().local_storage() {
            Ok(Some(s)) => Some(s),
            _ => {
                Self::warn_once("localStorage is not available (blocked or disabled)");
                None
            }
        }
    }

    fn warn_once(why: &str) {
        if !WARNED.with(|w| w.replace(true)) {
            warn(&format!(
                "Varco: {why}; your choices are kept in memory for this visit only and nothing optional is enabled without them."
            ));
        }
    }

    pub fn get(key: &str) -> Option<String> {
        if let Some(v) = MEMORY.with(|m| {
            m.borrow()
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        }) {
            return Some(v);
        }
        Self::local().and_then(|s| match s.get_item(key) {
            Ok(v) => v,
            Err(_) => {
                Self::warn_once("localStorage cannot be read");
                None
            }
        })
    }

    pub fn set(key: &str, value: &str) {
        let stored = Self::local().is_some_and(|s| s.set_item(key, value).is_ok());
        if stored {
            forget(key);
        } else {
            Self::warn_once("localStorage cannot be written (full or blocked)");
            forget(key);
            MEMORY.with(|m| m.borrow_mut().push((key.to_owned(), value.to_owned())));
        }
    }

    pub fn remove(key: &str) {
        forget(key);
        if let Some(s) = Self::local() {
            let _ = s.remove_item(key);
        }
    }
}

/// `document.cookie`, read.
pub fn cookies() -> String {
    crate::page::cookies(&document())
}

/// `document.cookie = ...`, write one cookie line.
pub fn set_cookie(line: &str) {
    let _ = js_sys::Reflect::set(&document(), &"cookie".into(), &JsValue::from_str(line));
}

/// Reads one cookie's value.
pub fn cookie(name: &str) -> Option<String> {
    crate::page::cookie(&document(), name)
}

pub use crate::page::decode_uri_component;

pub fn encode_uri_component(s: &str) -> String {
    js_sys::encode_uri_component(s)
        .as_string()
        .unwrap_or_default()
}

/// Dispatches `name` on `document` with `detail`.
pub fn dispatch(name: &str, detail: &JsValue) {
    let init = web_sys::CustomEventInit::new();
    init.set_detail(detail);
    if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = document().dispatch_event(&event);
    }
}

/// Sends JSON with `fetch` (no cookies, kept alive across a page change).
/// Ok(status) for any HTTP answer, Err for a network failure.
pub async fn send_json(method: &str, url: &str, body: &str) -> Result<u16, JsValue> {
    Ok(fetch(method, url, Some(body), true, None).await?.status())
}

/// [`send_json`] that reads the answer's body too (a refusal's reason),
/// and that `signal` can abort while it is out: Ok((status, text)) for any
/// HTTP answer (text empty when unreadable), Err for a network failure or
/// an abort.
///
/// A request with a `signal` is not kept alive across a page change:
/// Chromium rejects an aborted keepalive `fetch` but still sends it, so
/// only a plain one is really cancelled. (Its caller keeps what it sends
/// until the server confirms, and sends it again from the next page.)
pub async fn send_json_read(
    method: &str,
    url: &str,
    body: &str,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<(u16, String), JsValue> {
    let response = fetch(method, url, Some(body), signal.is_none(), signal).await?;
    Ok((response.status(), text_of(&response).await))
}

/// One `fetch` to the API: `body` goes as JSON; with `keepalive` the
/// request outlives the page (an upload as the visitor leaves); `signal`
/// aborts it.
///
/// Nothing goes with it but what the API needs: no cookies (the site's own,
/// an analytics id...) and no `Referer` (the page the visitor is on), even
/// when the API is on the site's own origin. `Origin` still goes (it is
/// what the API checks), as a CORS request always sends it.
pub async fn fetch(
    method: &str,
    url: &str,
    body: Option<&str>,
    keepalive: bool,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<web_sys::Response, JsValue> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    init.set_referrer_policy(web_sys::ReferrerPolicy::NoReferrer);
    if keepalive {
        let _ = js_sys::Reflect::set(&init, &"keepalive".into(), &JsValue::TRUE);
    }
    if signal.is_some() {
        init.set_signal(signal);
    }
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
        let headers = web_sys::Headers::new()?;
        headers.set("content-type", "application/json")?;
        init.set_headers(&headers);
    }
    let request = web_sys::Request::new_with_str_and_init(url, &init)?;
    let response =
        wasm_bindgen_futures::JsFuture::from(window().fetch_with_request(&request)).await?;
    response.dyn_into()
}

/// The body of `response` as text; empty when it cannot be read.
async fn text_of(response: &web_sys::Response) -> String {
    match response.text() {
        Ok(p) => wasm_bindgen_futures::JsFuture::from(p)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// GETs JSON with `fetch` (no cookies) and reads it as a `T`. Err for a
/// network failure, a status other than 200 or a body that is not a `T`.
pub async fn get_json<T: varco_protocol::json::FromJson>(url: &str) -> Result<T, JsValue> {
    let text = get_text(url).await?;
    varco_protocol::json::from_str(&text).ok_or_else(|| JsValue::from_str("unexpected JSON"))
}

/// GETs `url` and returns the body of a 200 answer as text.
///
/// Every answer is parsed on its text (`varco_protocol::json` here,
/// `serde_json` in the app): one copy into the module and a native parse,
/// instead of a call into JavaScript per field.
pub async fn get_text(url: &str) -> Result<String, JsValue> {
    let response = fetch("GET", url, None, false, None).await?;
    if response.status() != 200 {
        return Err(JsValue::from_str(&format!("HTTP {}", response.status())));
    }
    let text = wasm_bindgen_futures::JsFuture::from(response.text()?).await?;
    text.as_string()
        .ok_or_else(|| JsValue::from_str("the answer is not text"))
}

/// Runs `f` after `ms` milliseconds.
pub fn after(ms: i32, f: impl FnOnce() + 'static) {
    let cb = wasm_bindgen::closure::Closure::once_into_js(f);
    let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), ms);
}

/// Offers `content` as a file named `name`, from inside `root` (the
/// shadow root's container: the link never appears in the host page).
pub fn download(root: &web_sys::Element, content: &str, mime: &str, name: &str) {
    let parts = js_sys::Array::of1(&content.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(a) = document().create_element("a") {
        let _ = a.set_attribute("href", &url);
        let _ = a.set_attribute("download", name);
        let _ = root.append_child(&a);
        if let Some(a) = a.dyn_ref::<web_sys::HtmlElement>() {
            a.click();
        }
        a.remove();
    }
    after(1000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
}

/// Sends `body` as JSON (or nothing for GET) and reads the answer's body:
/// Ok((status, text)) for any HTTP answer (empty when the body cannot be
/// read), Err for a network failure. The caller parses the text with
/// `serde_json`.
pub async fn request_json(
    method: &str,
    url: &str,
    body: Option<&str>,
) -> Result<(u16, String), JsValue> {
    let response = fetch(method, url, body, false, None).await?;
    let text = text_of(&response).await;
    Ok((response.status(), text))
}

/// `value` as a plain JavaScript value (objects, arrays, strings, numbers),
/// for the site's events and `window.Varco`; `null` if it cannot be
/// written.
pub fn to_js<T: varco_protocol::json::ToJson>(value: &T) -> JsValue {
    js_sys::JSON::parse(&varco_protocol::json::to_string(value)).unwrap_or(JsValue::NULL)
}

/// A User Timing mark `varco:<step>` (read by the benchmark and by a
/// webmaster's DevTools); nothing if the browser has no Performance API.
pub fn mark(step: &str) {
    let performance = js_sys::Reflect::get(&window(), &JsValue::from_str("performance"));
    if let Ok(performance) = performance {
        if let Ok(mark) = js_sys::Reflect::get(&performance, &JsValue::from_str("mark")) {
            if let Some(mark) = mark.dyn_ref::<js_sys::Function>() {
                let _ = mark.call1(&performance, &JsValue::from_str(&format!("varco:{step}")));
            }
        }
    }
}

/// The message of a JS exception, for console output.
pub fn js_message(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}
