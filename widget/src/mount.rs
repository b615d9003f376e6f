//! Mounting point: one `<varco-widget>` with an open shadow root.
//!
//! All widget styles live in a constructable stylesheet adopted by the shadow
//! root: nothing is added to the host document's head, and no `style=`
//! attribute is ever written, so a strict CSP (`style-src 'self'`) works and
//! the host's CSS and ours cannot reach each other.

use wasm_bindgen::JsValue;
use web_sys::{CssStyleSheet, Document, Element, ShadowRootInit, ShadowRootMode};

/// The widget's stylesheet.
pub const STYLES: &str = include_str!("widget.css");

/// Name of the host element.
pub const HOST_TAG: &str = "varco-widget";

/// Creates the host element at the end of `<body>` and returns the element
/// inside its shadow root where the app renders.
pub fn mount(document: &Document) -> Result<Element, JsValue> {
    if document.query_selector(HOST_TAG)?.is_some() {
        return Err(JsValue::from_str(
            "a <varco-widget> is already on the page (is varco.js included twice?)",
        ));
    }
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
    let root = document.create_element("div")?;
    root.set_class_name("varco");
    shadow.append_child(&root)?;
    body.append_child(&host)?;
    Ok(root)
}
