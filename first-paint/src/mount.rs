//! The mounting point both modules share: one `<varco-widget>` with an open
//! shadow root at the end of `<body>`, and while the banner is up a skip link
//! at the start of `<body>` (its own `<varco-skip>` host), so that the first
//! press of Tab reaches the banner without moving the widget ahead of the
//! page's own controls on every page.
//!
//! All widget styles live in a constructable stylesheet adopted by the shadow
//! root: nothing is added to the host document's head, and no `style=`
//! attribute is ever written, so a strict CSP (`style-src 'self'`) works and
//! the host's CSS and ours cannot reach each other.

use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    CssStyleSheet, Document, Element, FocusOptions, HtmlElement, KeyboardEvent, ShadowRoot,
    ShadowRootInit, ShadowRootMode,
};

/// The light part's stylesheet: the banner, the launchers, the skip link
/// and what every view of the widget shares (`src/light.css` without
/// comments and spare whitespace, see `build.rs`).
pub const LIGHT_STYLES: &str = include_str!(concat!(env!("OUT_DIR"), "/light.min.css"));

/// The app's stylesheet, adopted after the light part's when the app
/// mounts (`src/app.css`, minified the same way). Only the app uses it, so
/// only the app's module carries it.
pub const APP_STYLES: &str = include_str!(concat!(env!("OUT_DIR"), "/app.min.css"));

/// Name of the host element.
pub const HOST_TAG: &str = "varco-widget";

/// Class of the light part's container. The app renders in a container of
/// its own, after it in the same shadow root.
pub const FIRST_PAINT_CLASS: &str = "first-paint";

/// What matches the app's container.
const APP_CONTAINER: &str = ".varco:not(.first-paint)";

/// Name of the skip link's host element.
pub const SKIP_TAG: &str = "varco-skip";

/// What a control of the page or of the widget matches when it can take
/// focus from the keyboard.
pub const FOCUSABLE: &str = "button:not([disabled]), input:not([disabled]), a[href], summary, select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

/// A host element with an open shadow root that has adopted `sheets`
/// (the main host's, for the skip link) or the light part's stylesheet.
fn new_host(
    document: &Document,
    tag: &str,
    sheets: Option<JsValue>,
) -> Result<(Element, ShadowRoot), JsValue> {
    let host = document.create_element(tag)?;
    let shadow = host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?;
    let sheets = match sheets {
        Some(sheets) => sheets,
        None => {
            let sheet = CssStyleSheet::new()?;
            sheet.replace_sync(LIGHT_STYLES)?;
            js_sys::Array::of1(&sheet).into()
        }
    };
    js_sys::Reflect::set(&shadow, &JsValue::from_str("adoptedStyleSheets"), &sheets)?;
    Ok((host, shadow))
}

fn body(document: &Document) -> Result<HtmlElement, JsValue> {
    document
        .body()
        .ok_or_else(|| JsValue::from_str("the page has no <body>"))
}

/// Creates the host element, its shadow root and its styles.
fn mount_host(document: &Document) -> Result<ShadowRoot, JsValue> {
    let body = body(document)?;
    let (host, shadow) = new_host(document, HOST_TAG, None)?;
    body.append_child(&host)?;
    Ok(shadow)
}

/// A `<div class="varco {extra}">` at the end of the shadow root: where a
/// module renders.
fn container(document: &Document, shadow: &ShadowRoot, extra: &str) -> Result<Element, JsValue> {
    let root = document.create_element("div")?;
    root.set_class_name(format!("varco {extra}").trim_end());
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

/// The light part's container (the banner, the launchers): the one it
/// mounted before, or a new host's. Fails if another `<varco-widget>` is on
/// the page (varco.js included twice).
pub fn first_paint_container(document: &Document) -> Result<Element, JsValue> {
    match existing_shadow(document) {
        None => mount_first_paint(document),
        Some(shadow) => shadow
            .query_selector(&format!(".{FIRST_PAINT_CLASS}"))?
            .ok_or_else(|| JsValue::from_str("a <varco-widget> is already on the page")),
    }
}

/// Whether the app is mounted (it then shows the assistant's launcher).
pub fn app_mounted(document: &Document) -> bool {
    existing_shadow(document)
        .and_then(|shadow| shadow.query_selector(APP_CONTAINER).ok().flatten())
        .is_some()
}

/// Mounts the app: beside the light part, in its shadow root, if it
/// painted anything, otherwise on a new host. Returns the element the app
/// renders into.
pub fn mount_app(document: &Document) -> Result<Element, JsValue> {
    let shadow = match document.query_selector(HOST_TAG)? {
        None => mount_host(document)?,
        Some(host) => {
            let first_painted = host.shadow_root().filter(|s| {
                s.query_selector(&format!(".{FIRST_PAINT_CLASS}"))
                    .ok()
                    .flatten()
                    .is_some()
                    && s.query_selector(APP_CONTAINER).ok().flatten().is_none()
            });
            first_painted.ok_or_else(|| {
                JsValue::from_str(
                    "a <varco-widget> is already on the page (is varco.js included twice?)",
                )
            })?
        }
    };
    // The app's rules come after the light part's, as they did in one sheet.
    let sheet = CssStyleSheet::new()?;
    sheet.replace_sync(APP_STYLES)?;
    let key = JsValue::from_str("adoptedStyleSheets");
    let sheets = js_sys::Array::from(&js_sys::Reflect::get(&shadow, &key)?);
    sheets.push(&sheet);
    js_sys::Reflect::set(&shadow, &key, &sheets)?;
    container(document, &shadow, "")
}

/// Removes the light part's launcher of the assistant once the app's is
/// on screen; if it had focus, the app's takes it, so a keyboard or
/// screen reader user keeps their place.
pub fn retire_light_launcher(document: &Document) {
    let Some(shadow) = existing_shadow(document) else {
        return;
    };
    let Ok(Some(light)) = shadow.query_selector(&format!(".{FIRST_PAINT_CLASS} button.launcher"))
    else {
        return;
    };
    let had_focus = shadow.active_element().is_some_and(|f| f == light);
    light.remove();
    if had_focus {
        if let Ok(Some(own)) = shadow.query_selector(&format!("{APP_CONTAINER} button.launcher")) {
            focus(&own, false);
        }
    }
}

/// The element that has focus, looking inside our own shadow root.
pub fn focused() -> Option<HtmlElement> {
    let doc = crate::browser::document();
    let active = doc.active_element()?;
    if active.tag_name().eq_ignore_ascii_case(HOST_TAG) {
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

/// Focuses `el` (without scrolling the page if `keep_scroll`) if it is on
/// screen; returns whether it took focus.
pub fn focus(el: &Element, keep_scroll: bool) -> bool {
    if !el.is_connected() || el.get_client_rects().length() == 0 {
        return false;
    }
    let options = FocusOptions::new();
    options.set_prevent_scroll(keep_scroll);
    let _ = el
        .unchecked_ref::<HtmlElement>()
        .focus_with_options(&options);
    el.matches(":focus").unwrap_or(false)
}

/// Focuses the first control of the page's main content (`<main>` or
/// `role="main"`), without scrolling the page: where a visitor who has just
/// answered the banner goes on from. Returns whether it found one.
pub fn focus_main_content(document: &Document) -> bool {
    let Ok(Some(main)) = document.query_selector("main, [role=main]") else {
        return false;
    };
    let Ok(list) = main.query_selector_all(FOCUSABLE) else {
        return false;
    };
    (0..list.length())
        .filter_map(|i| list.item(i).and_then(|n| n.dyn_into::<Element>().ok()))
        .any(|el| focus(&el, true))
}

/// Moves focus into the banner (the skip link's action): to the banner
/// itself, so that a screen reader reads its name and the next Tab reaches
/// its first control.
fn focus_banner(document: &Document) {
    let Some(shadow) = existing_shadow(document) else {
        return;
    };
    if let Ok(Some(banner)) = shadow.query_selector("section.banner") {
        focus(&banner, false);
    }
}

/// Puts the skip link to the banner at the start of `<body>` (or renames
/// the one there): a button, hidden until it has focus, that moves focus
/// into the banner. It is the first thing Tab reaches; nothing is focused
/// on load.
pub fn show_skip_link(document: &Document, label: &str) -> Result<(), JsValue> {
    if let Some(host) = document.query_selector(SKIP_TAG)? {
        if let Some(button) = host
            .shadow_root()
            .and_then(|s| s.query_selector("button").ok().flatten())
        {
            button.set_text_content(Some(label));
        }
        return Ok(());
    }
    let body = body(document)?;
    // The widget's stylesheet, shared with the main host.
    let sheets = existing_shadow(document)
        .and_then(|s| js_sys::Reflect::get(&s, &JsValue::from_str("adoptedStyleSheets")).ok());
    let (host, shadow) = new_host(document, SKIP_TAG, sheets)?;
    let root = document.create_element("div")?;
    root.set_class_name("varco");
    let button = document.create_element("button")?;
    button.set_attribute("type", "button")?;
    button.set_class_name("skip");
    button.set_text_content(Some(label));
    let doc = document.clone();
    // The same closure type as the banner's listener (less glue).
    let on_click =
        Closure::<dyn Fn(web_sys::Event)>::new(move |_: web_sys::Event| focus_banner(&doc));
    button.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref())?;
    // It lives as long as its button, which may be removed and made again.
    on_click.forget();
    root.append_child(&button)?;
    shadow.append_child(&root)?;
    body.insert_before(&host, body.first_child().as_ref())?;
    Ok(())
}

/// Removes the skip link (the banner is gone).
pub fn remove_skip_link(document: &Document) {
    if let Ok(Some(host)) = document.query_selector(SKIP_TAG) {
        host.remove();
    }
}

#[cfg(test)]
mod tests {
    use super::{APP_STYLES, LIGHT_STYLES};

    /// A stylesheet's rules, without its comments.
    fn without_comments(source: &str) -> String {
        source
            .split("/*")
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part
                } else {
                    part.split_once("*/").map_or("", |(_, rule)| rule)
                }
            })
            .collect()
    }

    #[test]
    fn the_shipped_stylesheets_keep_every_rule_and_drop_the_comments() {
        for (shipped, source, kept) in [
            (
                LIGHT_STYLES,
                include_str!("light.css"),
                &[
                    ":host{all:initial!important;",
                    ".banner p:last-child{margin-bottom:0}",
                    ".first-paint:has(>.banner) .launcher,",
                    "@media (max-width:36em){",
                    "max-height:calc(100vh - 2em);",
                ][..],
            ),
            (
                APP_STYLES,
                include_str!("app.css"),
                &[".prefs.privacy[open]{", ".chat-panel{"][..],
            ),
        ] {
            let rules = without_comments(source);
            assert!(!shipped.contains("/*") && !shipped.contains('\n'));
            assert_eq!(shipped.matches('{').count(), rules.matches('{').count());
            assert_eq!(shipped.matches('}').count(), rules.matches('}').count());
            for kept in kept {
                assert!(shipped.contains(kept), "{kept} in {shipped}");
            }
            assert!(shipped.len() < source.len() * 9 / 10);
        }
    }

    /// The light part styles only what it paints (the banner, the
    /// preferences, the launchers): the app's views (the privacy centre,
    /// the assistant's panel, booking) are in the app's sheet.
    #[test]
    fn the_light_sheet_leaves_the_apps_views_to_the_apps_sheet() {
        for selector in [".prefs", ".category", ".switch", ".link-button"] {
            assert!(
                LIGHT_STYLES.contains(&format!("{selector}{{")),
                "{selector}"
            );
            assert!(!APP_STYLES.contains(&format!("{selector}{{")), "{selector}");
        }
        for selector in [".chat-panel", ".booking", ".prefs.privacy[open]", ".stored"] {
            assert!(
                !LIGHT_STYLES.contains(&format!("{selector}{{")),
                "{selector}"
            );
            assert!(APP_STYLES.contains(&format!("{selector}{{")), "{selector}");
        }
    }
}

/// Keeps the floating consent button off the page's footer: while it lies
/// over the page's `<footer>` (or `role="contentinfo"`), whose links it
/// would cover, it is transparent to the eye and to the pointer (the
/// stylesheet's `data-over-footer`), though Tab still reaches it. It comes
/// back as the page scrolls up. Runs on every scroll and resize.
pub fn keep_reopen_off_footer() {
    let document = crate::browser::document();
    let Some(button) =
        existing_shadow(&document).and_then(|s| s.query_selector("button.reopen").ok().flatten())
    else {
        return;
    };
    let b = button.get_bounding_client_rect();
    if b.width() == 0.0 {
        return;
    }
    let over = document
        .query_selector_all("footer, [role=contentinfo]")
        .map(|list| {
            (0..list.length())
                .filter_map(|i| list.item(i).and_then(|n| n.dyn_into::<Element>().ok()))
                .any(|footer| {
                    let f = footer.get_bounding_client_rect();
                    f.width() > 0.0
                        && f.left() < b.right()
                        && f.right() > b.left()
                        && f.top() < b.bottom()
                        && f.bottom() > b.top()
                })
        })
        .unwrap_or(false);
    let _ = if over {
        button.set_attribute("data-over-footer", "")
    } else {
        button.remove_attribute("data-over-footer")
    };
}
