//! The light part's preferences dialog, in plain DOM calls with the app's
//! markup (`widget/src/app.rs`), from the same
//! `varco_core::preferences::PreferencesContent`. A visitor who customises
//! their consent, from the banner or later from the floating button, does
//! it here: the app is not downloaded for it.
//!
//! The dialog is a native modal `<dialog>`: the page behind it is inert,
//! Escape closes it without granting anything, and Tab stays inside it
//! (`mount::trap_tab`). What the visitor presses goes to the caller
//! (`light.rs`), which decides.

use crate::dom::{self, add, element};
use crate::mount;
use std::cell::RefCell;
use varco_core::preferences::PreferencesContent;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

/// What the visitor did in the dialog.
pub enum Pressed {
    /// «Salva le mie scelte», with the optional categories switched on and
    /// the third parties (`category/name`) switched off inside them.
    Save {
        categories: Vec<String>,
        refused_services: Vec<String>,
    },
    AcceptAll,
    RejectAll,
    /// The link to the privacy centre, which only the app has.
    Privacy,
    /// Closed without a choice (the ×, Escape); focus is back already.
    Closed,
}

struct Open {
    dialog: Element,
    /// Opened with «Personalizza» over the banner: closing goes back to it.
    from_banner: bool,
    /// What had focus before, to give it back.
    opener: Option<Element>,
    /// The dialog's listener, dropped when it closes.
    listener: Closure<dyn Fn(web_sys::Event)>,
}

thread_local! {
    static OPEN: RefCell<Option<Open>> = const { RefCell::new(None) };
}

pub fn is_open() -> bool {
    OPEN.with(|o| o.borrow().is_some())
}

/// Whether the dialog was opened over the banner.
pub fn from_banner() -> bool {
    OPEN.with(|o| o.borrow().as_ref().is_some_and(|o| o.from_banner))
}

/// Opens the dialog in the light part's container; `press` hears the
/// buttons (closing is handled here).
pub fn open(content: &PreferencesContent, from_banner: bool, press: fn(Pressed)) -> Option<()> {
    if is_open() {
        return Some(());
    }
    let document = web_sys::window()?.document()?;
    let root = mount::first_paint_container(&document).ok()?;
    let opener = mount::focused().map(|el| el.unchecked_into::<Element>());
    let dialog = render(&document, content).ok()?;
    let listener = listen(&dialog, press);
    root.append_child(&dialog).ok()?;
    let show = js_sys::Reflect::get(&dialog, &JsValue::from_str("showModal")).ok()?;
    show.unchecked_ref::<js_sys::Function>()
        .call0(&dialog)
        .ok()?;
    OPEN.with(|o| {
        *o.borrow_mut() = Some(Open {
            dialog,
            from_banner,
            opener,
            listener,
        })
    });
    Some(())
}

/// Closes the dialog. With `give_focus_back`, focus returns to
/// «Personalizza» if the dialog was opened over the banner, else to what
/// opened it, else to the page's main content.
pub fn close(give_focus_back: bool) {
    let Some(open) = OPEN.with(|o| o.borrow_mut().take()) else {
        return;
    };
    open.dialog.remove();
    // Not while it may be running: closing is often its own doing.
    let listener = open.listener;
    crate::browser::after(0, move || drop(listener));
    if !give_focus_back {
        return;
    }
    let Some(document) = open.dialog.owner_document() else {
        return;
    };
    let customise = open
        .from_banner
        .then(|| mount::existing_shadow(&document))
        .flatten()
        .and_then(|s| {
            s.query_selector(".first-paint section.banner button[data-action='customise']")
                .ok()
                .flatten()
        });
    let back = customise.or(open.opener.filter(|el| el.is_connected()));
    if !back.is_some_and(|el| mount::focus(&el, true)) {
        mount::focus_main_content(&document);
    }
}

/// The app's markup for the same content.
fn render(document: &Document, content: &PreferencesContent) -> Result<Element, JsValue> {
    let dialog = element(
        document,
        "dialog",
        &[("class", "prefs"), ("aria-labelledby", "varco-prefs-title")],
        None,
    );
    let close = add(
        &dialog,
        element(
            document,
            "button",
            &[
                ("type", "button"),
                ("class", "close"),
                ("aria-label", &content.close_label),
                ("data-prefs", "close"),
            ],
            None,
        ),
    );
    add(
        &close,
        element(document, "span", &[("aria-hidden", "true")], Some("×")),
    );
    add(
        &dialog,
        element(
            document,
            "h2",
            &[("id", "varco-prefs-title"), ("class", "banner-title")],
            Some(&content.title),
        ),
    );
    // The list scrolls; the actions below it stay in view.
    let body = add(
        &dialog,
        element(document, "div", &[("class", "prefs-body")], None),
    );
    add(&body, element(document, "p", &[], Some(&content.intro)));
    if let Some(current) = &content.current {
        add(
            &body,
            element(document, "p", &[("class", "muted")], Some(current)),
        );
    }
    let list = add(
        &body,
        element(document, "ul", &[("class", "categories")], None),
    );
    for cat in &content.categories {
        let item = add(
            &list,
            element(document, "li", &[("class", "category")], None),
        );
        let head = add(
            &item,
            element(document, "div", &[("class", "category-head")], None),
        );
        let input_id = format!("varco-cat-{}", cat.id);
        let desc_id = format!("{input_id}-desc");
        dom::switch(
            document,
            &head,
            &[
                ("id", &input_id),
                ("value", &cat.id),
                ("aria-describedby", &desc_id),
            ],
            cat.on,
            cat.necessary,
        )?;
        add(
            &head,
            element(document, "label", &[("for", &input_id)], Some(&cat.title)),
        );
        if cat.necessary {
            add(
                &head,
                element(
                    document,
                    "span",
                    &[("class", "always")],
                    Some(&content.always_on),
                ),
            );
        }
        add(
            &item,
            element(document, "p", &[("id", &desc_id)], Some(&cat.description)),
        );
        if !cat.services.is_empty() {
            let details = add(&item, element(document, "details", &[], None));
            add(
                &details,
                element(document, "summary", &[], Some(&content.services_label)),
            );
            let services = add(
                &details,
                element(document, "ul", &[("class", "services")], None),
            );
            for (j, service) in cat.services.iter().enumerate() {
                let li = add(&services, element(document, "li", &[], None));
                let head = add(
                    &li,
                    element(document, "div", &[("class", "service-head")], None),
                );
                let switch_id = format!("{input_id}-{j}");
                dom::switch(
                    document,
                    &head,
                    &[
                        ("id", &switch_id),
                        ("value", &service.key),
                        ("data-category", &cat.id),
                    ],
                    service.on,
                    cat.necessary,
                )?;
                let label = add(
                    &head,
                    element(document, "label", &[("for", &switch_id)], None),
                );
                add(
                    &label,
                    element(document, "strong", &[], Some(&service.name)),
                );
                // One line each, under the name and its switch.
                for line in &service.details {
                    add(&li, element(document, "div", &[], Some(line)));
                }
                if let Some((label, names)) = &service.cookies {
                    let line = add(&li, element(document, "div", &[], None));
                    line.append_with_str_1(&format!("{label}: "))?;
                    add(&line, element(document, "code", &[], Some(names)));
                }
            }
        }
    }
    let privacy = add(
        &body,
        element(document, "p", &[("class", "privacy-link")], None),
    );
    add(
        &privacy,
        element(
            document,
            "button",
            &[
                ("type", "button"),
                ("class", "link-button"),
                ("data-prefs", "privacy"),
            ],
            Some(&content.privacy_open),
        ),
    );
    if let Some([save, accept_all, reject_all]) = &content.actions {
        let actions = add(
            &dialog,
            element(document, "div", &[("class", "actions")], None),
        );
        for (class, name, text) in [
            ("btn btn-primary", "save", save),
            ("btn btn-outline", "accept_all", accept_all),
            ("btn btn-outline", "reject_all", reject_all),
        ] {
            add(
                &actions,
                element(
                    document,
                    "button",
                    &[("type", "button"), ("class", class), ("data-prefs", name)],
                    Some(text),
                ),
            );
        }
    }
    Ok(dialog)
}

/// The values of the switches that match `selector`.
fn values(dialog: &Element, selector: &str) -> Vec<String> {
    let mut values = Vec::new();
    if let Ok(list) = dialog.query_selector_all(selector) {
        for i in 0..list.length() {
            if let Some(value) = list
                .item(i)
                .and_then(|n| n.dyn_into::<Element>().ok())
                .and_then(|el| el.get_attribute("value"))
            {
                values.push(value);
            }
        }
    }
    values
}

/// The optional categories switched on, and the third parties switched
/// off inside them.
fn chosen(dialog: &Element) -> Pressed {
    let categories = values(
        dialog,
        "input.switch:not([data-category]):checked:not([disabled])",
    );
    let refused_services = values(dialog, "input.switch[data-category]:not(:checked)")
        .into_iter()
        .filter(|key| {
            key.split_once('/')
                .is_some_and(|(category, _)| categories.iter().any(|c| c == category))
        })
        .collect();
    Pressed::Save {
        categories,
        refused_services,
    }
}

/// A switch changed: a category's turns its third parties with it; a third
/// party's turned on turns its category on.
fn switched(dialog: &Element, input: &Element) {
    let on = js_sys::Reflect::get(input, &"checked".into()).is_ok_and(|v| v.is_truthy());
    let set = |selector: &str| {
        if let Ok(list) = dialog.query_selector_all(selector) {
            for i in 0..list.length() {
                if let Some(el) = list.item(i) {
                    let _ = js_sys::Reflect::set(&el, &"checked".into(), &JsValue::from_bool(on));
                }
            }
        }
    };
    match input.get_attribute("data-category") {
        Some(category) if on => set(&format!("input.switch[value='{category}']")),
        Some(_) => {}
        None => {
            let category = input.get_attribute("value").unwrap_or_default();
            set(&format!("input.switch[data-category='{category}']"));
        }
    }
}

/// One listener for the dialog's events: each closure type adds glue to
/// this module, which every visit downloads.
fn listen(dialog: &Element, press: fn(Pressed)) -> Closure<dyn Fn(web_sys::Event)> {
    let target = dialog.clone();
    let on_event = Closure::<dyn Fn(web_sys::Event)>::new(move |e: web_sys::Event| {
        let kind = e.type_();
        if kind == "cancel" {
            // Escape closes without granting anything.
            e.prevent_default();
            close(true);
            press(Pressed::Closed);
            return;
        }
        if kind == "keydown" {
            mount::trap_tab(&target, e.unchecked_ref());
            return;
        }
        if kind == "change" {
            if let Some(input) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) {
                switched(&target, &input);
            }
            return;
        }
        let Some(name) = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|el| el.closest("button[data-prefs]").ok().flatten())
            .and_then(|button| button.get_attribute("data-prefs"))
        else {
            return;
        };
        match name.as_str() {
            "close" => {
                close(true);
                press(Pressed::Closed);
            }
            "save" => press(chosen(&target)),
            "accept_all" => press(Pressed::AcceptAll),
            "reject_all" => press(Pressed::RejectAll),
            "privacy" => press(Pressed::Privacy),
            _ => {}
        }
    });
    for kind in ["click", "keydown", "cancel", "change"] {
        let _ = dialog.add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
    }
    on_event
}
