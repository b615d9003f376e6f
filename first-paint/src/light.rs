//! The light part's start and its hand-over to the app (the `entry` build
//! only). The loader calls, each in a task of its own:
//!
//! 1. [`prepare`]: the configuration, the stored choice, whether to ask;
//! 2. [`paint`], if the visitor must be asked: the banner;
//! 3. [`settle`]: what the choice in force allows runs, the analytics
//!    tools hear it, `window.Varco` works, this page view is recorded, the
//!    outbox is delivered, and the launchers (the floating consent button,
//!    the assistant's) appear once no banner is up.
//!
//! The light part owns the consent and the navigation record for the
//! page's whole life: the banner, the preferences (`preferences.rs`), the
//! decisions and their records, `window.Varco`, the launchers. What only
//! the app has (the privacy centre, the assistant) is a *reach*: the
//! loader is asked for the app, which starts with what was asked and
//! renders beside the light part, never in its place. The app reads what
//! it shows through the functions at the end of this file
//! ([`consent_in_force`], [`navigation_history`], [`forget_everything`];
//! their JSON is `varco_core::light_api`'s and the navigation record's). A visitor
//! who only decides on the banner or in the preferences, or comes back
//! with a choice, never downloads the app.

use crate::browser::{self, Store};
use crate::consent::{Change, Controller, Shared};
use crate::{banner, preferences};
use crate::{config, js_api, mount, navigation, signals};
use std::cell::RefCell;
use std::rc::Rc;
use varco_core::banner::{BannerContent, FirstAction};
use varco_core::chat::THREAD_KEY;
use varco_core::consent::{Decision, Status};
use varco_core::light_api::ConsentInForce;
use varco_core::preferences::PreferencesContent;
use varco_core::texts::Key;
use varco_protocol::json;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

thread_local! {
    static LIGHT: RefCell<Option<Light>> = const { RefCell::new(None) };
}

struct Light {
    controller: Shared,
    /// The loader's `reach(name)`: loads the app (once) with what the
    /// visitor asked, or passes it to the app once it runs.
    reach: js_sys::Function,
    /// [`settle`] has run: launchers may show.
    settled: bool,
}

fn controller() -> Option<Shared> {
    LIGHT.with(|l| l.borrow().as_ref().map(|l| l.controller.clone()))
}

/// Asks the loader for the app, to carry out `action`.
fn reach(action: FirstAction) {
    let reach = LIGHT.with(|l| l.borrow().as_ref().map(|l| l.reach.clone()));
    if let Some(reach) = reach {
        let _ = reach.call1(&JsValue::NULL, &JsValue::from_str(action.name()));
    }
}

/// Reads the options, the configuration and the stored choice: 0 if they
/// cannot be used (the loader then starts the app, which says why), 1 if
/// there is nothing to ask, 2 if the banner must be painted.
///
/// `script` is the embed's `<script>`; `reach` the loader's function that
/// loads the app; `gtag` delivers Consent Mode's signals.
#[wasm_bindgen]
pub fn prepare(script: Option<Element>, reach: js_sys::Function, gtag: js_sys::Function) -> u32 {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return 0;
    };
    let Ok(boot) = config::read_config(&document, script, |text| {
        varco_protocol::json::from_str(text).ok_or(())
    }) else {
        return 0;
    };
    signals::install(Some(gtag));
    let controller = Rc::new(RefCell::new(Controller::load(boot)));
    let must_ask = controller.borrow().must_ask();
    LIGHT.with(|l| {
        *l.borrow_mut() = Some(Light {
            controller,
            reach,
            settled: false,
        })
    });
    if must_ask {
        2
    } else {
        1
    }
}

/// Paints the banner; returns whether it did.
#[wasm_bindgen]
pub fn paint() -> bool {
    let Some(controller) = controller() else {
        return false;
    };
    let content = {
        let c = controller.borrow();
        BannerContent::new(&c.boot.site, &c.texts, c.ask_reason())
    };
    banner::paint_banner(&content, pressed).is_some()
}

/// A press on the banner: a decision is made here, «Personalizza» opens
/// the preferences here; the loader hears every other press, which hands
/// it to the app.
fn pressed(action: FirstAction) {
    if action == FirstAction::Customise {
        open_preferences(true);
        return;
    }
    if action.decision().is_some() {
        decide(action);
    }
    reach(action);
}

/// Opens the preferences dialog, over the banner or not.
fn open_preferences(from_banner: bool) {
    let Some(controller) = controller() else {
        return;
    };
    let content = {
        let c = controller.borrow();
        PreferencesContent::new(&c.boot.site, &c.texts, &c.status, |id| c.grants(id))
    };
    preferences::open(&content, from_banner, preferences_pressed);
}

/// A button of the preferences dialog.
fn preferences_pressed(pressed: preferences::Pressed) {
    let Some(controller) = controller() else {
        return;
    };
    let decision = match pressed {
        preferences::Pressed::Privacy => {
            preferences::close(false);
            reach(FirstAction::Privacy);
            return;
        }
        preferences::Pressed::Closed => return,
        preferences::Pressed::Save {
            categories,
            refused_services,
        } => Decision::Save {
            categories,
            refused_services,
        },
        preferences::Pressed::AcceptAll => Decision::AcceptAll,
        preferences::Pressed::RejectAll => Decision::RejectAll,
    };
    let over_banner = preferences::from_banner();
    // Focus goes back to what opened the dialog, unless that was the
    // banner, which the decision takes away.
    preferences::close(!over_banner);
    if over_banner {
        banner::answered();
    }
    Controller::decide(&controller, decision);
    show_launchers();
}

/// Applies the choice in force and starts what every page view needs (see
/// the module's documentation); returns whether it did.
#[wasm_bindgen]
pub fn settle() -> bool {
    let Some(controller) = controller() else {
        return false;
    };
    crate::consent::listen(changed);
    Controller::activate(&controller);
    js_api::install(controller.clone(), ask, true);
    navigation::install(&controller);
    crate::consent::flush_outbox(controller.clone(), 0);
    Controller::refresh_from_server(controller.clone());
    LIGHT.with(|l| {
        if let Some(l) = l.borrow_mut().as_mut() {
            l.settled = true;
        }
    });
    show_launchers();
    // A conversation in progress goes on on this page too: the assistant's
    // stream and unread messages are the app's.
    if controller.borrow().boot.options.api.is_some() && Store::get(THREAD_KEY).is_some() {
        reach(FirstAction::LoadApp);
    }
    browser::mark("light-settled");
    true
}

/// A decision pressed on the banner.
fn decide(action: FirstAction) {
    let (Some(controller), Some(decision)) = (controller(), action.decision()) else {
        return;
    };
    Controller::decide(&controller, decision);
    show_launchers();
}

/// What the page asks through `window.Varco` or a `data-varco-open` link:
/// the banner, a reset and the preferences are the light part's, the rest
/// the app's.
fn ask(action: FirstAction) {
    let Some(controller) = controller() else {
        return;
    };
    match action {
        FirstAction::Reset | FirstAction::Banner => {
            if action == FirstAction::Reset {
                Controller::reset(&controller);
            }
            if !banner::is_up() {
                remove_launchers(".reopen");
                paint();
            }
        }
        FirstAction::Preferences => open_preferences(false),
        _ => reach(action),
    }
}

/// What changed outside the banner: a choice made from a blocked embed, or
/// the server's configuration, which may ask again.
fn changed(change: Change) {
    let Some(controller) = controller() else {
        return;
    };
    let must_ask = controller.borrow().must_ask();
    if change == Change::SiteChanged && must_ask != banner::is_up() {
        if must_ask {
            remove_launchers(".reopen");
            paint();
        } else {
            banner::take_down();
        }
    }
    show_launchers();
}

/// The assistant's launcher (until the app, which has its own, is there),
/// and the floating consent button once no banner is up.
fn show_launchers() {
    let Some(controller) = controller() else {
        return;
    };
    let settled = LIGHT.with(|l| l.borrow().as_ref().is_some_and(|l| l.settled));
    if !settled {
        return;
    }
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let container = match mount::first_paint_container(&document) {
        Ok(container) => container,
        Err(e) => {
            // Said once: the launchers are tried again after each change.
            if !MOUNT_FAILED.with(|f| f.replace(true)) {
                browser::warn(&format!(
                    "Varco: the widget could not be mounted ({}); the choice in force still applies, but it cannot be changed on this page.",
                    browser::js_message(&e)
                ));
            }
            return;
        }
    };
    let c = controller.borrow();
    let (reopen_side, launcher_side) = c.sides();
    let floating = c.floating_button();
    let has_reopen = container
        .query_selector("button.reopen")
        .ok()
        .flatten()
        .is_some();
    if floating && !c.must_ask() && !banner::is_up() && !has_reopen {
        let label = c.texts.get(Key::reopen_preferences).to_owned();
        let _ = launcher(
            &document,
            &container,
            &format!("reopen {reopen_side}"),
            &label,
            &REOPEN_ICON,
            FirstAction::Preferences,
        );
        mount::keep_reopen_off_footer();
        keep_reopen_off_footer_on_scroll();
    }
    let assistant = c
        .boot
        .site
        .assistant
        .as_ref()
        .filter(|a| a.enabled != Some(false) && c.boot.options.api.is_some());
    let has_launcher = mount::app_mounted(&document)
        || container
            .query_selector("button.launcher")
            .ok()
            .flatten()
            .is_some();
    if let (Some(assistant), false) = (assistant, has_launcher) {
        let name = assistant.name.as_deref().unwrap_or("Assistente");
        let label = c.texts.fill(Key::chat_open, name);
        if let Ok(button) = launcher(
            &document,
            &container,
            &format!("launcher {launcher_side}"),
            &label,
            &CHAT_ICON,
            FirstAction::Assistant,
        ) {
            let _ = button.set_attribute("aria-expanded", "false");
        }
    }
}

/// Removes the light part's launchers that match `selector`.
fn remove_launchers(selector: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(container) = mount::first_paint_container(&document) {
        if let Ok(list) = container.query_selector_all(selector) {
            for i in 0..list.length() {
                if let Some(el) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                    el.remove();
                }
            }
        }
    }
}

/// An icon: its size and its path (the same as the app's).
struct Icon {
    size: &'static str,
    path: &'static str,
}

/// The floating consent button's icon (a cookie).
const REOPEN_ICON: Icon = Icon {
    size: "24",
    path: "M12 2a10 10 0 1 0 10 10 4 4 0 0 1-5-5 4 4 0 0 1-5-5zm-3.5 7a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm5 6a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm-6 1a1 1 0 1 1 0 2 1 1 0 0 1 0-2z",
};

/// The assistant launcher's icon (a speech bubble).
const CHAT_ICON: Icon = Icon {
    size: "28",
    path: "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z",
};

const SVG: &str = "http://www.w3.org/2000/svg";

/// The icon as an SVG element, hidden from assistive technology (the
/// button has its own name).
fn icon(document: &Document, icon: &Icon) -> Result<Element, JsValue> {
    let svg = document.create_element_ns(Some(SVG), "svg")?;
    for (name, value) in [
        ("aria-hidden", "true"),
        ("focusable", "false"),
        ("viewBox", "0 0 24 24"),
        ("width", icon.size),
        ("height", icon.size),
    ] {
        svg.set_attribute(name, value)?;
    }
    let path = document.create_element_ns(Some(SVG), "path")?;
    path.set_attribute("fill", "currentColor")?;
    path.set_attribute("d", icon.path)?;
    svg.append_child(&path)?;
    Ok(svg)
}

/// A launcher button: pressing it opens the preferences here, or reaches
/// for the app with `action`, and then the pointer over it or keyboard
/// focus on it loads the app ahead of the press.
fn launcher(
    document: &Document,
    container: &Element,
    class: &str,
    label: &str,
    glyph: &Icon,
    action: FirstAction,
) -> Result<Element, JsValue> {
    let button = document.create_element("button")?;
    button.set_attribute("type", "button")?;
    button.set_attribute("class", class)?;
    button.set_attribute("aria-label", label)?;
    let svg = icon(document, glyph)?;
    button.append_child(&svg)?;
    let on_event = Closure::<dyn Fn(web_sys::Event)>::new(move |e: web_sys::Event| {
        let click = e.type_() == "click";
        if action == FirstAction::Preferences {
            // The preferences are the light part's: nothing to load ahead.
            if click {
                ask(action);
            }
        } else if click {
            reach(action);
        } else {
            reach(FirstAction::LoadApp);
        }
    });
    for kind in ["click", "pointerenter", "focus"] {
        button.add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref())?;
    }
    on_event.forget();
    // In the app's order: the floating button before the assistant's
    // launcher, whichever came first.
    let next = if action == FirstAction::Preferences {
        container.query_selector("button.launcher")?
    } else {
        None
    };
    container.insert_before(&button, next.as_ref().map(|n| n.unchecked_ref()))?;
    Ok(button)
}

thread_local! {
    static MOUNT_FAILED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static WATCHING_SCROLL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Scrolling and resizing move the floating button off the footer.
fn keep_reopen_off_footer_on_scroll() {
    if WATCHING_SCROLL.with(|w| w.replace(true)) {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let on_event = Closure::<dyn Fn()>::new(mount::keep_reopen_off_footer);
    for kind in ["scroll", "resize"] {
        let _ = window.add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
    }
    on_event.forget();
}

/// For the app's privacy centre: the consent in force, as the JSON of
/// [`ConsentInForce`]; `None` before [`prepare`] succeeded.
#[wasm_bindgen]
pub fn consent_in_force() -> Option<String> {
    let controller = controller()?;
    let c = controller.borrow();
    let state = match &c.status {
        Status::Decided(choice) => ConsentInForce::Decided(choice.clone()),
        Status::NothingToAsk => ConsentInForce::NothingToAsk,
        _ => ConsentInForce::Undecided,
    };
    Some(json::to_string(&state))
}

/// For the app's privacy centre: the navigation record as it is kept
/// (`varco_core::navigation::History`'s JSON), if there is one.
#[wasm_bindgen]
pub fn navigation_history() -> Option<String> {
    navigation::summary().map(|history| json::to_string(&history))
}

/// For the app's privacy centre, «Cancella tutti i miei dati»: the
/// consent is withdrawn first (its record sent, cookies deleted, uploads
/// stopped), then the navigation record goes here and its UserID is
/// forgotten on the server.
#[wasm_bindgen]
pub fn forget_everything() {
    if let Some(controller) = controller() {
        Controller::decide(&controller, Decision::RejectAll);
        show_launchers();
    }
    navigation::forget_everything();
}
