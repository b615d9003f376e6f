//! `window.Varco`, the webmasters' JavaScript API, and the declarative
//! `data-varco-open="preferences"` hook.
//!
//! The loader installs a stub whose methods queue their calls in
//! `Varco.q`; here the real methods replace them and the queue is run, so
//! nothing called before the WASM was ready is lost. `Varco.q.push([...])`
//! keeps working afterwards.

use crate::browser::{dispatch, document, window};
use crate::consent::Shared;
use varco_core::banner::FirstAction;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// What a method of `window.Varco` asks for.
fn method(name: &str) -> Option<FirstAction> {
    Some(match name {
        "showPreferences" => FirstAction::Preferences,
        "showPrivacy" => FirstAction::Privacy,
        "showBanner" => FirstAction::Banner,
        "reset" => FirstAction::Reset,
        _ => return None,
    })
}

fn run(entry: &JsValue, ask: fn(FirstAction)) {
    let name = js_sys::Reflect::get(entry, &JsValue::from(0))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    if let Some(action) = method(&name) {
        ask(action);
    }
}

fn set_fn(obj: &js_sys::Object, name: &str, f: impl Fn() -> JsValue + 'static) {
    let c = Closure::<dyn Fn() -> JsValue>::new(f);
    let _ = js_sys::Reflect::set(obj, &name.into(), c.as_ref());
    c.forget();
}

/// Installs `window.Varco` (and runs the calls queued before it), the
/// `data-varco-open` links and the outbox's retry when the browser comes
/// back online. What the page asks is passed to `ask`: the light part
/// loads the app for it, the app carries it out. With `announce`, tells the
/// page `varco:ready` and the choice in force (`varco:consent`); the app
/// that takes over from the light part does not tell it twice.
pub fn install(controller: Shared, ask: fn(FirstAction), announce: bool) {
    let w = window();
    let old = js_sys::Reflect::get(&w, &"Varco".into()).unwrap_or(JsValue::UNDEFINED);
    let queued: js_sys::Array = js_sys::Reflect::get(&old, &"q".into())
        .ok()
        .and_then(|q| q.dyn_into().ok())
        .unwrap_or_default();

    let api = js_sys::Object::new();
    let c = controller.clone();
    set_fn(&api, "consent", move || c.borrow().consent_js());
    for name in ["showPreferences", "showPrivacy", "showBanner", "reset"] {
        set_fn(&api, name, move || {
            if let Some(action) = method(name) {
                ask(action);
            }
            JsValue::UNDEFINED
        });
    }
    let q = js_sys::Object::new();
    let push = Closure::<dyn Fn(JsValue)>::new(move |entry: JsValue| run(&entry, ask));
    let _ = js_sys::Reflect::set(&q, &"push".into(), push.as_ref());
    push.forget();
    let _ = js_sys::Reflect::set(&api, &"q".into(), &q);
    let _ = js_sys::Reflect::set(&w, &"Varco".into(), &api);
    for entry in queued.iter() {
        run(&entry, ask);
    }

    // <a href="#" data-varco-open="preferences"> (or "privacy") anywhere
    // on the page.
    let click = Closure::<dyn Fn(web_sys::Event)>::new(move |e: web_sys::Event| {
        let hit = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("[data-varco-open]").ok().flatten())
            .and_then(|el| el.get_attribute("data-varco-open"));
        let action = match hit.as_deref() {
            Some("preferences") => FirstAction::Preferences,
            Some("privacy") => FirstAction::Privacy,
            _ => return,
        };
        e.prevent_default();
        ask(action);
    });
    let _ = document().add_event_listener_with_callback("click", click.as_ref().unchecked_ref());
    click.forget();

    // Deliver queued consent records when the browser comes back online.
    let c = controller.clone();
    let online = Closure::<dyn Fn()>::new(move || crate::consent::flush_outbox(c.clone(), 0));
    let _ = w.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
    online.forget();

    if !announce {
        return;
    }
    dispatch("varco:ready", &JsValue::NULL);
    let current = controller.borrow().consent_js();
    if !current.is_null() {
        dispatch("varco:consent", &current);
    }
}
