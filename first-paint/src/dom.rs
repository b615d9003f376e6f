//! Building the light part's views with plain DOM calls (the banner and
//! the preferences; `entry` build only).

use wasm_bindgen::{JsValue, UnwrapThrowExt};
use web_sys::{Document, Element};

/// An element with attributes and, optionally, text.
///
/// The tags and attribute names are the module's own literals, for which
/// the DOM never throws: a failure here would be a bug of ours, and it
/// throws into the caller's event (the page goes on) rather than being
/// handled at every call, which the light part's size pays for.
pub fn element(
    document: &Document,
    tag: &str,
    attributes: &[(&str, &str)],
    text: Option<&str>,
) -> Element {
    let el = document.create_element(tag).unwrap_throw();
    for (name, value) in attributes {
        el.set_attribute(name, value).unwrap_throw();
    }
    if let Some(text) = text {
        el.set_text_content(Some(text));
    }
    el
}

/// Appends `child` to `parent` and gives it back.
pub fn add(parent: &Element, child: Element) -> Element {
    parent.append_child(&child).unwrap_throw();
    child
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
        ),
    );
    for (name, value) in attributes {
        input.set_attribute(name, value)?;
    }
    js_sys::Reflect::set(&input, &"checked".into(), &JsValue::from_bool(on))?;
    if fixed {
        input.set_attribute("disabled", "")?;
    }
    Ok(input)
}
