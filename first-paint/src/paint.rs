//! The first paint: the banner in plain DOM calls, when the visitor must be
//! asked. See the crate's documentation for what it may and may not do.

use crate::mount;
use crate::page;
use std::cell::RefCell;
use varco_core::banner::{BannerContent, FirstAction};
use varco_core::config::{check_site_config, parse_embed};
use varco_core::consent::{self as rules, Rules, Status, STORAGE_KEY};
use varco_core::texts::Texts;
use varco_protocol::SiteConfig;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, ShadowRoot};

thread_local! {
    /// What `prepare` decided, waiting for `paint` in the next task.
    static PREPARED: RefCell<Option<BannerContent>> = const { RefCell::new(None) };
}

/// Reads the options, the configuration and the stored choice, and decides
/// whether the visitor must be asked; returns whether there is a banner to
/// paint.
///
/// Deciding and painting are two calls, which the loader makes in two tasks:
/// on a slow CPU each of them compiles (lazily, on the main thread) and runs
/// enough code that together they would be one long task blocking the
/// visitor's input.
///
/// `script` is the embed's `<script>`.
#[wasm_bindgen]
pub fn prepare(script: Option<Element>) -> bool {
    let content = banner_content(script);
    let must_ask = content.is_some();
    PREPARED.with(|p| *p.borrow_mut() = content);
    must_ask
}

/// Paints the banner `prepare` decided on; returns whether it did.
///
/// `on_action` is called with the name of a [`FirstAction`] when the
/// visitor presses one of the banner's buttons before the app has taken
/// over.
#[wasm_bindgen]
pub fn paint(on_action: js_sys::Function) -> bool {
    let Some(content) = PREPARED.with(|p| p.borrow_mut().take()) else {
        return false;
    };
    paint_banner(&content, on_action).is_some()
}

/// The banner's content if the visitor must be asked, `None` if not or if
/// anything is wrong (the app reports configuration errors).
fn banner_content(script: Option<Element>) -> Option<BannerContent> {
    let window = web_sys::window()?;
    let document = window.document()?;
    let script = page::embed_script(&document, script);
    let options = parse_embed(&page::embed_attributes(script.as_ref())).ok()?;
    let site: SiteConfig = match page::config_block(&document) {
        Some(text) => serde_json::from_str(&text).ok()?,
        None => SiteConfig::default(),
    };
    if !check_site_config(&site).is_empty() {
        return None;
    }
    let rules = Rules::from_site(&site);
    let cookie_mode = site.consent.as_ref().and_then(|c| c.storage.as_deref()) == Some("cookie");
    let stored = if cookie_mode {
        page::cookie(&document, STORAGE_KEY)
    } else {
        window
            .local_storage()
            .ok()
            .flatten()
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
    };
    let status = rules::status(
        rules::parse_stored(stored.as_deref()),
        &rules,
        js_sys::Date::now() as i64,
        page::global_privacy_control(&window),
    );
    let Status::Ask(reason) = status else {
        return None;
    };
    let lang = options.lang.unwrap_or_else(|| page::page_lang(&document));
    let texts = Texts::new(lang, &site.texts);
    Some(BannerContent::new(&site, &texts, Some(&reason)))
}

fn paint_banner(content: &BannerContent, on_action: js_sys::Function) -> Option<()> {
    let document = web_sys::window()?.document()?;
    let root = mount::mount_first_paint(&document).ok()?;
    let section = render(&document, content).ok()?;
    listen(&section, on_action);
    root.append_child(&section).ok()?;
    // Not needed for the banner to work: a failure leaves it without.
    let _ = mount::show_skip_link(&document, &content.skip);
    Some(())
}

/// Appends `child` to `parent`.
fn add(parent: &Element, child: Element) -> Result<Element, JsValue> {
    parent.append_child(&child)?;
    Ok(child)
}

/// An element with attributes and, optionally, text.
fn element(
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

fn button(
    document: &Document,
    class: &str,
    action: FirstAction,
    text: &str,
) -> Result<Element, JsValue> {
    element(
        document,
        "button",
        &[
            ("type", "button"),
            ("class", class),
            ("data-action", action.name()),
        ],
        Some(text),
    )
}

/// The same markup as the app's banner (`widget/src/app.rs`), so the swap
/// is invisible.
fn render(document: &Document, content: &BannerContent) -> Result<Element, JsValue> {
    let section = element(
        document,
        "section",
        &[
            ("class", "banner"),
            ("role", "region"),
            ("aria-labelledby", "varco-banner-title"),
            // Where the skip link takes focus.
            ("tabindex", "-1"),
        ],
        None,
    )?;
    let close = element(
        document,
        "button",
        &[
            ("type", "button"),
            ("class", "close"),
            ("aria-label", &content.close_label),
            ("data-action", FirstAction::Close.name()),
        ],
        None,
    )?;
    add(
        &close,
        element(document, "span", &[("aria-hidden", "true")], Some("×"))?,
    )?;
    section.append_child(&close)?;
    // The text scrolls inside the banner on small screens; the actions stay.
    let text = add(
        &section,
        element(document, "div", &[("class", "banner-text")], None)?,
    )?;
    add(
        &text,
        element(
            document,
            "h2",
            &[("class", "banner-title"), ("id", "varco-banner-title")],
            Some(&content.title),
        )?,
    )?;
    if let Some(changed) = &content.changed {
        let p = element(document, "p", &[("class", "changed")], None)?;
        add(&p, element(document, "strong", &[], Some(&changed.lead))?)?;
        for extra in changed.note.iter().chain(changed.news.iter()) {
            p.append_with_str_1(&format!(" {extra}"))?;
        }
        text.append_child(&p)?;
    }
    add(&text, element(document, "p", &[], Some(&content.purposes))?)?;
    add(
        &text,
        element(document, "p", &[], Some(&content.close_note))?,
    )?;
    if let Some((url, label)) = &content.policy {
        let p = element(document, "p", &[], None)?;
        add(&p, element(document, "a", &[("href", url)], Some(label))?)?;
        text.append_child(&p)?;
    }
    let actions = element(document, "div", &[("class", "actions")], None)?;
    for (class, action, text) in [
        (
            "btn btn-primary",
            FirstAction::AcceptAll,
            &content.accept_all,
        ),
        (
            "btn btn-primary",
            FirstAction::RejectAll,
            &content.reject_all,
        ),
        (
            "btn btn-outline",
            FirstAction::Customise,
            &content.customise,
        ),
    ] {
        add(&actions, button(document, class, action, text)?)?;
    }
    section.append_child(&actions)?;
    Ok(section)
}

/// Hands each press to the loader. A decision also takes the banner away at
/// once (the app applies it when it starts) and, if focus was in the
/// banner, moves it to where the visitor was before it, else to the page's
/// main content; "Customise" leaves the banner up and marks the button busy
/// until the app opens the preferences, and Escape meanwhile cancels it.
fn listen(section: &Element, on_action: js_sys::Function) {
    // The element that had focus before focus entered the banner.
    let before: RefCell<Option<Element>> = RefCell::new(None);
    let banner = section.clone();
    // One listener for the three events: each closure type adds glue to
    // this module, which every first visit downloads.
    let on_event = Closure::<dyn Fn(web_sys::Event)>::new(move |e: web_sys::Event| {
        let kind = e.type_();
        if kind == "focusin" {
            let from = e.unchecked_ref::<web_sys::FocusEvent>().related_target();
            if let Some(from) = from.and_then(|t| t.dyn_into::<Element>().ok()) {
                if !banner.contains(Some(&from)) {
                    *before.borrow_mut() = Some(from);
                }
            }
            return;
        }
        if kind == "keydown" {
            let key = e.unchecked_ref::<web_sys::KeyboardEvent>().key();
            // Space presses a button on keyup, and only the button that had
            // its keydown: if the app takes over in between, the press is
            // lost. Here Space presses on keydown, as Enter does.
            if key == " " {
                if let Some(button) = e
                    .target()
                    .and_then(|t| t.dyn_into::<Element>().ok())
                    .and_then(|el| el.closest("button[data-action]").ok().flatten())
                {
                    e.prevent_default();
                    button.unchecked_ref::<web_sys::HtmlElement>().click();
                }
                return;
            }
            if key == "Escape" {
                if let Ok(Some(busy)) = banner.query_selector("[aria-busy]") {
                    busy.remove_attribute("aria-busy").ok();
                    let name = JsValue::from_str(FirstAction::CancelCustomise.name());
                    let _ = on_action.call1(&JsValue::NULL, &name);
                }
            }
            return;
        }
        let Some(button) = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|el| el.closest("button[data-action]").ok().flatten())
        else {
            return;
        };
        let Some(action) = button
            .get_attribute("data-action")
            .and_then(|name| FirstAction::from_name(&name))
        else {
            return;
        };
        let _ = on_action.call1(&JsValue::NULL, &JsValue::from_str(action.name()));
        if action == FirstAction::Customise {
            let _ = button.set_attribute("aria-busy", "true");
            return;
        }
        let had_focus = banner
            .get_root_node()
            .unchecked_into::<ShadowRoot>()
            .active_element()
            .is_some_and(|f| banner.contains(Some(&f)));
        // The container stays, empty: it tells the app that the first
        // paint ran.
        banner.remove();
        let Some(document) = banner.owner_document() else {
            return;
        };
        mount::remove_skip_link(&document);
        if had_focus {
            let back = before.borrow_mut().take();
            if !back.is_some_and(|el| mount::focus(&el, true)) {
                mount::focus_main_content(&document);
            }
        }
    });
    for kind in ["click", "focusin", "keydown"] {
        let _ = section.add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
    }
    // The banner lives until the app replaces it; so does its listener.
    on_event.forget();
}
