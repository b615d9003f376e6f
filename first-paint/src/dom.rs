//! Building the light part's views with plain DOM calls (the banner and
//! the preferences; `entry` build only).

use wasm_bindgen::JsValue;
use web_sys::{Document, Element};

/// An element with attributes and, optionally, text.
pub fn element(
    document: &Document,
    tag: &str,
    attributes: &[(&str, &str)],
    text: Option<&str>,
) -> Result<Element, JsValue> {
    let el = document.create_element(tag)?;
    for (name, value) in attributes {
        el.set_attribute(name, value)?;
    }
    if let Some(text) = text {
        el.set_text_content(Some(text));
    }
    Ok(el)
}

/// Appends `child` to `parent` and gives it back.
pub fn add(parent: &Element, child: Element) -> Result<Element, JsValue> {
    parent.append_child(&child)?;
    Ok(child)
}

/// A switch (a checkbox styled as one) appended to `parent`: `on` is set
/// as the property, which is what `:checked` reads; a `fixed` switch is
/// disabled (a necessary category, always on).
pub fn switch(
    document: &Document,
    parent: &Element,
    attributes: &[(&str, &str)],
    on: bool,
    fixed: bool,
) -> Result<Element, JsValue> {
    let input = add(
        parent,
        element(
            document,
            "input",
            &[("type", "checkbox"), ("class", "switch")],
            None,
        )?,
    )?;
    for (name, value) in attributes {
        input.set_attribute(name, value)?;
    }
    js_sys::Reflect::set(&input, &"checked".into(), &JsValue::from_bool(on))?;
    if fixed {
        input.set_attribute("disabled", "")?;
    }
    Ok(input)
}
