//! Delivers the consent signals of `varco_core::signals` to the page's
//! analytics tools: Matomo's `_paq` queue, and Google's `gtag`.
//!
//! `gtag`'s queue (`dataLayer`) takes a command only as an `arguments`
//! object, which only JavaScript can make: the loader hands over a function
//! that calls the page's own `gtag` if it has one, or pushes its
//! `arguments` to `dataLayer` as Google's snippet does.

use std::cell::RefCell;
use varco_core::signals::Signal;
use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    static GTAG: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
}

/// Keeps the loader's `gtag` function for the Consent Mode signals.
pub fn install(gtag: Option<js_sys::Function>) {
    GTAG.with(|g| *g.borrow_mut() = gtag);
}

/// Tells each tool its signals, in order. A tool that cannot be told is
/// skipped with a warning: the page goes on, and nothing is granted by it.
pub fn deliver(signals: &[Signal]) {
    for signal in signals {
        if deliver_one(signal).is_err() {
            crate::browser::warn(
                "Varco: a consent signal could not be delivered to the page's analytics tool.",
            );
        }
    }
}

fn deliver_one(signal: &Signal) -> Result<(), JsValue> {
    let window = crate::browser::window();
    match signal {
        Signal::Matomo(command) => {
            // Before Matomo loads, `_paq` is an array (created here if the
            // page has none); once it has loaded, an object of Matomo's
            // whose `push` runs the command at once. Either way, `push`.
            let mut queue = js_sys::Reflect::get(&window, &"_paq".into())?;
            if queue.is_undefined() || queue.is_null() {
                queue = js_sys::Array::new().into();
                js_sys::Reflect::set(&window, &"_paq".into(), &queue)?;
            }
            let push: js_sys::Function =
                js_sys::Reflect::get(&queue, &"push".into())?.dyn_into()?;
            push.call1(&queue, &js_sys::Array::of1(&JsValue::from_str(command)))?;
        }
        Signal::ConsentMode { mode, fields } => {
            let Some(gtag) = GTAG.with(|g| g.borrow().clone()) else {
                return Err(JsValue::NULL);
            };
            let object = js_sys::Object::new();
            for (kind, state) in fields {
                js_sys::Reflect::set(&object, &(*kind).into(), &(*state).into())?;
            }
            gtag.call3(&JsValue::NULL, &"consent".into(), &(*mode).into(), &object)?;
        }
    }
    Ok(())
}
