//! What the panel's forms share.

use crate::browser;
use web_sys::{Element, HtmlElement};
use yew::NodeRef;

/// Once the form is drawn again, puts focus on its first field marked
/// `aria-invalid=true`, so that a screen reader reads what is wrong.
pub fn focus_first_invalid(root: &NodeRef) {
    let root = root.clone();
    browser::after(0, move || {
        if let Some(el) = root
            .cast::<Element>()
            .and_then(|r| r.query_selector("[aria-invalid=true]").ok().flatten())
            .and_then(|e| wasm_bindgen::JsCast::dyn_into::<HtmlElement>(e).ok())
        {
            let _ = el.focus();
        }
    });
}
