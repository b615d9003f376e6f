//! What both modules read from the host page: the embed's attributes, the
//! page's language, the JSON configuration block, cookies and the Global
//! Privacy Control signal. Reading only; nothing here throws.

use varco_core::config::EmbedAttributes;
use varco_core::lang::Lang;
use wasm_bindgen::JsValue;
use web_sys::{Document, Element};

/// Id of the optional JSON block that completes the script tag's attributes.
pub const CONFIG_BLOCK_ID: &str = "varco-config";

/// The `<script>` that loaded Varco: the one the loader saw, or the first
/// that looks like it.
pub fn embed_script(document: &Document, script: Option<Element>) -> Option<Element> {
    script.or_else(|| {
        document
            .query_selector("script[data-site][src*='varco']")
            .ok()
            .flatten()
    })
}

/// The embed's `data-*` attributes, unchecked.
pub fn embed_attributes(script: Option<&Element>) -> EmbedAttributes {
    let attr = |name: &str| script.and_then(|s| s.get_attribute(name));
    EmbedAttributes {
        site: attr("data-site"),
        api: attr("data-api"),
        position: attr("data-position"),
        lang: attr("data-lang"),
    }
}

/// The language of `<html lang>`.
pub fn page_lang(document: &Document) -> Lang {
    let tag = document
        .document_element()
        .and_then(|e| e.get_attribute("lang"))
        .unwrap_or_default();
    Lang::from_tag(&tag)
}

/// The text of `<script type="application/json" id="varco-config">`.
pub fn config_block(document: &Document) -> Option<String> {
    document
        .get_element_by_id(CONFIG_BLOCK_ID)
        .map(|block| block.text_content().unwrap_or_default())
}

/// `document.cookie`, read.
pub fn cookies(document: &Document) -> String {
    js_sys::Reflect::get(document, &"cookie".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// One cookie's value, decoded.
pub fn cookie(document: &Document, name: &str) -> Option<String> {
    cookies(document).split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| decode_uri_component(v))
    })
}

pub fn decode_uri_component(s: &str) -> String {
    js_sys::decode_uri_component(s)
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| s.to_owned())
}

/// Whether the browser sends Global Privacy Control.
pub fn global_privacy_control(window: &web_sys::Window) -> bool {
    js_sys::Reflect::get(
        &window.navigator(),
        &JsValue::from_str("globalPrivacyControl"),
    )
    .map(|v| v.is_truthy())
    .unwrap_or(false)
}
