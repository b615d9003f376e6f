//! The site's managed scripts and embeds.
//!
//! The webmaster marks them `<script type="text/plain" data-varco-category>`
//! and `<iframe data-varco-category data-varco-src>`: inert until consent.
//! `data-varco-service` (a third party's name, as in the configuration)
//! also keeps them inert while the visitor has switched that third party
//! off alone.
//! When their category is granted they are brought to life without a
//! reload, once each, in document order (an external script that is not
//! `async` is waited for before the next one runs). Content added later is
//! handled by a MutationObserver. A blocked iframe gets an accessible
//! placeholder with a button that allows its category.

use crate::browser::{cookies, document, set_cookie};
use std::cell::RefCell;
use std::rc::Rc;
use varco_core::consent::{cookie_domains, cookie_matches};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, MutationObserver, MutationObserverInit};

/// Marks an element Varco has handled.
const DONE: &str = "data-varco-done";
const PLACEHOLDER_TAG: &str = "varco-placeholder";

/// What the placeholders say and do.
pub struct Placeholder {
    pub text: String,
    pub allow: String,
    pub title_of: Box<dyn Fn(&str) -> String>,
    pub on_allow: Rc<dyn Fn(String)>,
}

thread_local! {
    static GRANTED: RefCell<Rc<Granted>> = RefCell::new(Rc::new(|_: &str, _: Option<&str>| false));
    static PLACEHOLDER: RefCell<Option<Rc<Placeholder>>> = const { RefCell::new(None) };
    static OBSERVER: RefCell<Option<MutationObserver>> = const { RefCell::new(None) };
}

/// Whether content of a category (`data-varco-category`), marked as one of
/// its third parties (`data-varco-service`, the service's name) or not,
/// may run.
pub type Granted = dyn Fn(&str, Option<&str>) -> bool;

/// Sets what is granted and applies it to the page now and to content added later.
pub fn apply(granted: Rc<Granted>, placeholder: Rc<Placeholder>) {
    GRANTED.with(|g| *g.borrow_mut() = granted);
    PLACEHOLDER.with(|p| *p.borrow_mut() = Some(placeholder));
    scan();
    OBSERVER.with(|o| {
        if o.borrow().is_none() {
            let cb =
                Closure::<dyn Fn(JsValue, JsValue)>::new(|_records: JsValue, _obs: JsValue| scan());
            if let Ok(observer) = MutationObserver::new(cb.as_ref().unchecked_ref()) {
                let init = MutationObserverInit::new();
                init.set_child_list(true);
                init.set_subtree(true);
                if let Some(root) = document().document_element() {
                    let _ = observer.observe_with_options(&root, &init);
                }
                *o.borrow_mut() = Some(observer);
            }
            cb.forget();
        }
    });
}

/// Whether `el` may run, by its category and, if marked, its service.
fn granted(el: &Element, category: &str) -> bool {
    let service = el.get_attribute("data-varco-service");
    GRANTED.with(|g| (g.borrow())(category, service.as_deref()))
}

/// Runs granted scripts and loads granted iframes; placeholders for the rest.
fn scan() {
    let doc = document();
    let mut pending = Vec::new();
    if let Ok(list) = doc.query_selector_all("script[type='text/plain'][data-varco-category]") {
        for i in 0..list.length() {
            if let Some(el) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                let category = el.get_attribute("data-varco-category").unwrap_or_default();
                if !el.has_attribute(DONE) && granted(&el, &category) {
                    let _ = el.set_attribute(DONE, "");
                    pending.push(el);
                }
            }
        }
    }
    run_in_order(pending, 0);

    if let Ok(list) = doc.query_selector_all("iframe[data-varco-category][data-varco-src]") {
        for i in 0..list.length() {
            if let Some(frame) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                let category = frame
                    .get_attribute("data-varco-category")
                    .unwrap_or_default();
                if granted(&frame, &category) {
                    if !frame.has_attribute(DONE) {
                        let _ = frame.set_attribute(DONE, "");
                        if let Some(p) = placeholder_of(&frame) {
                            p.remove();
                        }
                        let _ = frame.remove_attribute("hidden");
                        if let Some(src) = frame.get_attribute("data-varco-src") {
                            let _ = frame.set_attribute("src", &src);
                        }
                    }
                } else if !frame.has_attribute(DONE) && placeholder_of(&frame).is_none() {
                    add_placeholder(&frame, &category);
                }
            }
        }
    }
}

/// Replaces each inert script with a live copy, one after the other.
fn run_in_order(scripts: Vec<Element>, from: usize) {
    let doc = document();
    for i in from..scripts.len() {
        let old = &scripts[i];
        let Ok(new) = doc.create_element("script") else {
            continue;
        };
        let attrs = old.attributes();
        for j in 0..attrs.length() {
            if let Some(a) = attrs.item(j) {
                let name = a.name();
                if name != "type" && name != DONE && name != "data-varco-type" {
                    let _ = new.set_attribute(&name, &a.value());
                }
            }
        }
        if let Some(t) = old.get_attribute("data-varco-type") {
            let _ = new.set_attribute("type", &t);
        }
        // The nonce is hidden from getAttribute once the page has loaded;
        // the property still holds it.
        if let Ok(nonce) = js_sys::Reflect::get(old, &"nonce".into()) {
            let _ = js_sys::Reflect::set(&new, &"nonce".into(), &nonce);
        }
        new.set_text_content(old.text_content().as_deref());
        let external = old.has_attribute("src");
        let waits = external && !old.has_attribute("async");
        if external {
            // Dynamically inserted scripts are async unless told otherwise.
            let _ = js_sys::Reflect::set(
                &new,
                &"async".into(),
                &JsValue::from_bool(old.has_attribute("async")),
            );
        }
        if waits {
            let rest = scripts.clone();
            let next = Closure::once_into_js(move || run_in_order(rest, i + 1));
            let _ = new.add_event_listener_with_callback("load", next.unchecked_ref());
            let _ = new.add_event_listener_with_callback("error", next.unchecked_ref());
            let _ = old.replace_with_with_node_1(&new);
            return;
        }
        let _ = old.replace_with_with_node_1(&new);
    }
}

fn placeholder_of(frame: &Element) -> Option<Element> {
    frame
        .previous_element_sibling()
        .filter(|p| p.tag_name().eq_ignore_ascii_case(PLACEHOLDER_TAG))
}

/// An accessible placeholder before a blocked iframe, in its own shadow root
/// (so the host page's CSS and ours stay apart here too).
fn add_placeholder(frame: &Element, category: &str) {
    let Some(p) = PLACEHOLDER.with(|p| p.borrow().clone()) else {
        return;
    };
    let doc = document();
    let build = || -> Result<(), JsValue> {
        let host = doc.create_element(PLACEHOLDER_TAG)?;
        let shadow =
            host.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))?;
        let sheet = web_sys::CssStyleSheet::new()?;
        sheet.replace_sync(PLACEHOLDER_CSS)?;
        js_sys::Reflect::set(
            &shadow,
            &"adoptedStyleSheets".into(),
            &js_sys::Array::of1(&sheet),
        )?;
        let title = (p.title_of)(category);
        let frame_title = frame.get_attribute("title").unwrap_or_default();
        let box_ = doc.create_element("div")?;
        box_.set_class_name("box");
        box_.set_attribute("role", "group")?;
        box_.set_attribute("aria-label", &frame_title)?;
        let text = doc.create_element("p")?;
        text.set_text_content(Some(&format!("{} {}.", p.text, title)));
        let button = doc.create_element("button")?;
        button.set_attribute("type", "button")?;
        button.set_text_content(Some(&format!("{} «{}»", p.allow, title)));
        let on_allow = p.on_allow.clone();
        let category = category.to_owned();
        let click = Closure::<dyn Fn()>::new(move || on_allow(category.clone()));
        button.add_event_listener_with_callback("click", click.as_ref().unchecked_ref())?;
        click.forget();
        box_.append_child(&text)?;
        box_.append_child(&button)?;
        shadow.append_child(&box_)?;
        frame.set_attribute("hidden", "")?;
        frame.before_with_node_1(&host)?;
        Ok(())
    };
    let _ = build();
}

const PLACEHOLDER_CSS: &str = ":host{all:initial!important;display:block!important;font-family:inherit!important}
.box{font-family:var(--varco-font,inherit);font-size:max(16px,1rem);line-height:1.5;color:var(--varco-text,#1a1a1a);background:#f2f4f6;border:1px solid var(--varco-border,#c5c7c9);border-radius:var(--varco-radius,4px);padding:1.5em;max-width:560px}
.box p{margin:0 0 1em}
button{font:inherit;font-weight:600;cursor:pointer;min-height:2.75em;padding:.5em 1.25em;border-radius:var(--varco-radius,4px);border:2px solid var(--varco-primary,#0066cc);background:var(--varco-primary,#0066cc);color:var(--varco-on-primary,#fff)}
button:focus-visible{outline:3px solid var(--varco-focus,#f90);outline-offset:2px}";

/// Deletes the cookies matching `patterns`, on path `/`, for the host and
/// its parent domain (and host-only).
pub fn delete_cookies(patterns: &[String]) {
    if patterns.is_empty() {
        return;
    }
    let host = crate::browser::window()
        .location()
        .hostname()
        .unwrap_or_default();
    let domains = cookie_domains(&host);
    for pair in cookies().split(';') {
        let name = pair.split('=').next().unwrap_or("").trim();
        if name.is_empty() || !patterns.iter().any(|p| cookie_matches(p, name)) {
            continue;
        }
        let expired = "expires=Thu, 01 Jan 1970 00:00:00 GMT; max-age=0; path=/";
        set_cookie(&format!("{name}=; {expired}"));
        for d in &domains {
            set_cookie(&format!("{name}=; {expired}; domain={d}"));
            set_cookie(&format!("{name}=; {expired}; domain=.{d}"));
        }
    }
}
