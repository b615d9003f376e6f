//! The mounting point both modules share: one `<varco-widget>` with an open
//! shadow root at the end of `<body>`.
//!
//! All widget styles live in a constructable stylesheet adopted by the shadow
//! root: nothing is added to the host document's head, and no `style=`
//! attribute is ever written, so a strict CSP (`style-src 'self'`) works and
//! the host's CSS and ours cannot reach each other.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CssStyleSheet, Document, Element, ShadowRoot, ShadowRootInit, ShadowRootMode};

/// The widget's stylesheet (all of it: the first paint's banner and the
/// app's panels share the shadow root, so they share the sheet).
pub const STYLES: &str = include_str!("widget.css");

/// Name of the host element.
pub const HOST_TAG: &str = "varco-widget";

/// Class of the first paint's container, which the app removes when its
/// own banner is on screen.
pub const FIRST_PAINT_CLASS: &str = "first-paint";

/// Creates the host element, its shadow root and its styles.
fn mount_host(document: &Document) -> Result<ShadowRoot, JsValue> {
    let body = document
        .body()
        .ok_or_else(|| JsValue::from_str("the page has no <body>"))?;
    let host = document.create_element(HOST_TAG)?;
    let shadow = host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?;
    let sheet = CssStyleSheet::new()?;
    sheet.replace_sync(STYLES)?;
    js_sys::Reflect::set(
        &shadow,
        &JsValue::from_str("adoptedStyleSheets"),
        &js_sys::Array::of1(&sheet),
    )?;
    body.append_child(&host)?;
    Ok(shadow)
}

/// A `<div class="varco {extra}">` at the end of the shadow root: where a
/// module renders.
fn container(document: &Document, shadow: &ShadowRoot, extra: &str) -> Result<Element, JsValue> {
    let root = document.create_element("div")?;
    root.set_class_name(&format!("varco {extra}").trim_end().to_owned());
    shadow.append_child(&root)?;
    Ok(root)
}

/// The host's shadow root, if a `<varco-widget>` is already on the page.
pub fn existing_shadow(document: &Document) -> Option<ShadowRoot> {
    document
        .query_selector(HOST_TAG)
        .ok()
        .flatten()
        .and_then(|host| host.shadow_root())
}

/// Mounts the host for the first paint and returns its container.
pub fn mount_first_paint(document: &Document) -> Result<Element, JsValue> {
    if document.query_selector(HOST_TAG)?.is_some() {
        return Err(JsValue::from_str("a <varco-widget> is already on the page"));
    }
    let shadow = mount_host(document)?;
    container(document, &shadow, FIRST_PAINT_CLASS)
}

/// Mounts the app: in the first paint's shadow root if it painted one,
/// otherwise on a new host. Returns the element the app renders into.
pub fn mount_app(document: &Document) -> Result<Element, JsValue> {
    let shadow = match document.query_selector(HOST_TAG)? {
        None => mount_host(document)?,
        Some(host) => {
            let first_painted = host.shadow_root().filter(|s| {
                s.query_selector(&format!(".{FIRST_PAINT_CLASS}"))
                    .ok()
                    .flatten()
                    .is_some()
                    && s.query_selector(".varco:not(.first-paint)")
                        .ok()
                        .flatten()
                        .is_none()
            });
            first_painted.ok_or_else(|| {
                JsValue::from_str(
                    "a <varco-widget> is already on the page (is varco.js included twice?)",
                )
            })?
        }
    };
    container(document, &shadow, "")
}

/// Removes what the first paint left, once the app's own view is on
/// screen. If the visitor had focused one of its buttons, focus moves to
/// the app's button for the same action (`data-action`), so a keyboard or
/// screen reader user keeps their place.
pub fn retire_first_paint(document: &Document) {
    let Some(shadow) = existing_shadow(document) else {
        return;
    };
    let Ok(Some(first)) = shadow.query_selector(&format!(".{FIRST_PAINT_CLASS}")) else {
        return;
    };
    let focused_action = shadow
        .active_element()
        .filter(|el| first.contains(Some(el)))
        .and_then(|el| el.get_attribute("data-action"));
    first.remove();
    if let Some(action) = focused_action {
        let selector = format!(".banner [data-action='{action}']");
        if let Some(button) = shadow
            .query_selector(&selector)
            .ok()
            .flatten()
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = button.focus();
        }
    }
}
