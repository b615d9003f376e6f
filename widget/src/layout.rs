//! Where the widget's controls are and where focus is: shared by the
//! consent dialogs, the assistant's panel and the privacy centre.

use crate::browser;
use crate::mount::FOCUSABLE;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, KeyboardEvent};

/// Where the open panel fills the screen (the same width as the
/// `max-width` of the panel's narrow-screen rule in `first-paint/src/app.css`).
pub const COVERS_THE_PAGE: &str = "(max-width: 480px)";

/// The element that has focus, looking inside our own shadow root.
pub fn focused() -> Option<HtmlElement> {
    let doc = browser::document();
    let active = doc.active_element()?;
    if active
        .tag_name()
        .eq_ignore_ascii_case(crate::mount::HOST_TAG)
    {
        return active.shadow_root()?.active_element()?.dyn_into().ok();
    }
    active.dyn_into().ok()
}

/// Keeps Tab and Shift+Tab inside `container` (a modal dialog), wrapping
/// from the last control to the first and back. A native modal dialog makes
/// the page inert, but focus can still leave for the browser's own UI.
pub fn trap_tab(container: &Element, e: &KeyboardEvent) {
    if e.key() != "Tab" {
        return;
    }
    let Ok(list) = container.query_selector_all(FOCUSABLE) else {
        return;
    };
    let items: Vec<HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i).and_then(|n| n.dyn_into::<HtmlElement>().ok()))
        .filter(|el| el.offset_parent().is_some())
        .collect();
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return;
    };
    let current = focused();
    let at = |el: &HtmlElement| current.as_ref().is_some_and(|c| c == el);
    let outside = current
        .as_ref()
        .is_none_or(|c| !container.contains(Some(c)));
    if e.shift_key() && (at(first) || outside) {
        e.prevent_default();
        let _ = last.focus();
    } else if !e.shift_key() && (at(last) || outside) {
        e.prevent_default();
        let _ = first.focus();
    }
}
