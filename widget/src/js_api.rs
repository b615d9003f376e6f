//! `window.Varco`, the webmasters' JavaScript API, and the declarative
//! `data-varco-open="preferences"` hook.
//!
//! The loader installs a stub whose methods queue their calls in
//! `Varco.q`; here the real methods replace them and the queue is run, so
//! nothing called before the WASM was ready is lost. `Varco.q.push([...])`
//! keeps working afterwards.

use crate::browser::{dispatch, document, window};
use crate::commands::{self, Command};
use crate::consent::Shared;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

fn run(entry: &JsValue) {
    let name = js_sys::Reflect::get(entry, &JsValue::from(0))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    match name.as_str() {
        "showPreferences" => commands::send(Command::ShowPreferences),
        "showPrivacy" => commands::send(Command::ShowPrivacy),
        "showBanner" => commands::send(Command::ShowBanner),
        "reset" => commands::send(Command::Reset),
        _ => {}
    }
}

fn set_fn(obj: &js_sys::Object, name: &str, f: impl Fn() -> JsValue + 'static) {
    let c = Closure::<dyn Fn() -> JsValue>::new(f);
    let _ = js_sys::Reflect::set(obj, &name.into(), c.as_ref());
    c.forget();
}

pub fn install(controller: Shared) {
    let w = window();
    let old = js_sys::Reflect::get(&w, &"Varco".into()).unwrap_or(JsValue::UNDEFINED);
    let queued: js_sys::Array = js_sys::Reflect::get(&old, &"q".into())
        .ok()
        .and_then(|q| q.dyn_into().ok())
        .unwrap_or_default();

    let api = js_sys::Object::new();
    let c = controller.clone();
    set_fn(&api, "consent", move || c.borrow().consent_js());
    set_fn(&api, "showPreferences", || {
        commands::send(Command::ShowPreferences);
        JsValue::UNDEFINED
    });
    set_fn(&api, "showPrivacy", || {
        commands::send(Command::ShowPrivacy);
        JsValue::UNDEFINED
    });
    set_fn(&api, "showBanner", || {
        commands::send(Command::ShowBanner);
        JsValue::UNDEFINED
    });
    set_fn(&api, "reset", || {
        commands::send(Command::Reset);
        JsValue::UNDEFINED
    });
    let q = js_sys::Object::new();
    let push = Closure::<dyn Fn(JsValue)>::new(|entry: JsValue| run(&entry));
    let _ = js_sys::Reflect::set(&q, &"push".into(), push.as_ref());
    push.forget();
    let _ = js_sys::Reflect::set(&api, &"q".into(), &q);
    let _ = js_sys::Reflect::set(&w, &"Varco".into(), &api);
    for entry in queued.iter() {
        run(&entry);
    }

    // <a href="#" data-varco-open="preferences"> (or "privacy") anywhere
    // on the page.
    let click = Closure::<dyn Fn(web_sys::Event)>::new(|e: web_sys::Event| {
        let hit = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("[data-varco-open]").ok().flatten())
            .and_then(|el| el.get_attribute("data-varco-open"));
        let command = match hit.as_deref() {
            Some("preferences") => Command::ShowPreferences,
            Some("privacy") => Command::ShowPrivacy,
            _ => return,
        };
        e.prevent_default();
        commands::send(command);
    });
    let _ = document().add_event_listener_with_callback("click", click.as_ref().unchecked_ref());
    click.forget();

    // Deliver queued consent records when the browser comes back online.
    let c = controller.clone();
    let online = Closure::<dyn Fn()>::new(move || crate::consent::flush_outbox(c.clone(), 0));
    let _ = w.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
    online.forget();

    dispatch("varco:ready", &JsValue::NULL);
    let current = controller.borrow().consent_js();
    if !current.is_null() {
        dispatch("varco:consent", &current);
    }
}
