//! The light part's banner in plain DOM calls, with the same markup as the
//! app's (`widget/src/app.rs`), so that when the app takes over the swap
//! is invisible. What the visitor presses goes to the caller (`light.rs`
//! makes the decision, or reaches for the app for "Customise").

use crate::dom::{add, element};
use crate::mount;
use std::cell::RefCell;
use varco_core::banner::{BannerContent, FirstAction};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, ShadowRoot};

/// This module's banner, if it is on the page.
fn light_banner() -> Option<Element> {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| mount::existing_shadow(&d))
        .and_then(|s| {
            s.query_selector(".first-paint section.banner")
                .ok()
                .flatten()
        })
}

/// Whether this module's banner is on the page.
pub fn is_up() -> bool {
    light_banner().is_some()
}

/// Takes the banner down without a decision (the server's configuration
/// says the stored choice holds after all); focus, if it was in it, goes
/// to the page's main content.
pub fn take_down() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(shadow) = mount::existing_shadow(&document) else {
        return;
    };
    let Ok(Some(banner)) = shadow.query_selector(".first-paint section.banner") else {
        return;
    };
    let had_focus = shadow
        .active_element()
        .is_some_and(|f| banner.contains(Some(&f)));
    banner.remove();
    mount::remove_skip_link(&document);
    if had_focus {
        mount::focus_main_content(&document);
    }
}

thread_local! {
    /// The element that had focus before focus entered the banner.
    static BEFORE: RefCell<Option<Element>> = const { RefCell::new(None) };
}

/// Takes the banner away once it is answered. The container stays: the
/// launchers go in it, and it tells the app that the light part ran. With
/// `had_focus`, focus goes back to where the visitor was before the
/// banner, else to the page's main content.
fn dismiss(banner: &Element, had_focus: bool) {
    banner.remove();
    let Some(document) = banner.owner_document() else {
        return;
    };
    mount::remove_skip_link(&document);
    if had_focus {
        let back = BEFORE.with(|b| b.borrow_mut().take());
        if !back.is_some_and(|el| mount::focus(&el, true)) {
            mount::focus_main_content(&document);
        }
    }
}

/// The banner was answered in the preferences opened over it: it goes,
/// and focus (which was in the dialog) goes where [`dismiss`] sends it.
pub fn answered() {
    if let Some(banner) = light_banner() {
        dismiss(&banner, true);
    }
}

/// Paints the banner in the light part's container; `press` hears each
/// press (a decision once the banner has gone, "Customise", or
/// "Customise" called off with Escape).
pub fn paint_banner(content: &BannerContent, press: fn(FirstAction)) -> Option<()> {
    let document = web_sys::window()?.document()?;
    let root = mount::first_paint_container(&document).ok()?;
    let section = render(&document, content).ok()?;
    listen(&section, press);
    // First in the container, as in the app: the launchers come after it.
    root.prepend_with_node_1(&section).ok()?;
    // Not needed for the banner to work: a failure leaves it without.
    let _ = mount::show_skip_link(&document, &content.skip);
    Some(())
}

fn button(document: &Document, class: &str, action: FirstAction, text: &str) -> Element {
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
    );
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
    );
    add(
        &close,
        element(document, "span", &[("aria-hidden", "true")], Some("×")),
    );
    section.append_child(&close)?;
    // The text scrolls inside the banner on small screens; the actions stay.
    let text = add(
        &section,
        element(document, "div", &[("class", "banner-text")], None),
    );
    add(
        &text,
        element(
            document,
            "h2",
            &[("class", "banner-title"), ("id", "varco-banner-title")],
            Some(&content.title),
        ),
    );
    if let Some(changed) = &content.changed {
        let p = element(document, "p", &[("class", "changed")], None);
        add(&p, element(document, "strong", &[], Some(&changed.lead)));
        for extra in changed.note.iter().chain(changed.news.iter()) {
            p.append_with_str_1(&format!(" {extra}"))?;
        }
        text.append_child(&p)?;
    }
    add(&text, element(document, "p", &[], Some(&content.purposes)));
    add(
        &text,
        element(document, "p", &[], Some(&content.close_note)),
    );
    if let Some((url, label)) = &content.policy {
        let p = element(document, "p", &[], None);
        add(&p, element(document, "a", &[("href", url)], Some(label)));
        text.append_child(&p)?;
    }
    let actions = element(document, "div", &[("class", "actions")], None);
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
        add(&actions, button(document, class, action, text));
    }
    section.append_child(&actions)?;
    Ok(section)
}

/// A decision takes the banner away at once and, if focus was
/// in the banner, moves it to where the visitor was before it, else to the
/// page's main content. "Customise" leaves the banner up and marks the
/// button busy until the app opens the preferences, and Escape meanwhile
/// cancels it.
fn listen(section: &Element, press: fn(FirstAction)) {
    let banner = section.clone();
    // One listener for the three events: each closure type adds glue to
    // this module, which every visit downloads.
    let on_event = Closure::<dyn Fn(web_sys::Event)>::new(move |e: web_sys::Event| {
        let kind = e.type_();
        if kind == "focusin" {
            let from = e.unchecked_ref::<web_sys::FocusEvent>().related_target();
            if let Some(from) = from.and_then(|t| t.dyn_into::<Element>().ok()) {
                if !banner.contains(Some(&from)) {
                    BEFORE.with(|b| *b.borrow_mut() = Some(from));
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
                    press(FirstAction::CancelCustomise);
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
        if action == FirstAction::Customise {
            // The preferences open over the banner, which stays.
            press(action);
            return;
        }
        let had_focus = banner
            .get_root_node()
            .unchecked_into::<ShadowRoot>()
            .active_element()
            .is_some_and(|f| banner.contains(Some(&f)));
        dismiss(&banner, had_focus);
        press(action);
    });
    for kind in ["click", "focusin", "keydown"] {
        let _ = section.add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
    }
    // The banner lives until it is answered or the app replaces it; so
    // does its listener.
    on_event.forget();
}
