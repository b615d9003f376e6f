//! Reading the configuration from the page and starting the app.

use crate::browser::mark;
use crate::commands::{self, Command};
pub use crate::config::Boot;
use crate::consent::Controller;
use crate::{app, js_api, mount};
use std::cell::RefCell;
use std::rc::Rc;
use varco_core::banner::FirstAction;
use varco_core::config::ConfigError;
use varco_first_paint::config::Problem;
use varco_protocol::json::Mistake;
use wasm_bindgen::JsValue;
use web_sys::Document;
use web_sys::Element;

pub use varco_first_paint::page::CONFIG_BLOCK_ID;

thread_local! {
    /// A press in the first paint's banner after [`boot`] and before the
    /// app applies the first one (step 2): it is the later, so it wins.
    static LATE_PRESS: std::cell::Cell<Option<FirstAction>> = const { std::cell::Cell::new(None) };
    /// Whether step 2 has applied the first paint's press: later ones are
    /// commands to the app.
    static PRESSES_TO_APP: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A press in the first paint's banner, or a reach in the light part,
/// after the loader called `start`.
pub fn press(action: FirstAction) {
    if !PRESSES_TO_APP.with(|p| p.get()) {
        LATE_PRESS.with(|p| p.set(Some(action)));
        return;
    }
    match reach_command(action) {
        Some(command) => commands::send(command),
        None if action.decision().is_some() || action == FirstAction::CancelCustomise => {
            commands::send(Command::FirstPaint(action))
        }
        None => {}
    }
}

/// The command a reach from the light part asks of the app.
fn reach_command(action: FirstAction) -> Option<Command> {
    Some(match action {
        FirstAction::Customise => Command::Customise,
        FirstAction::Preferences => Command::ShowPreferences,
        FirstAction::Privacy => Command::ShowPrivacy,
        FirstAction::Assistant => Command::OpenAssistant,
        FirstAction::Banner => Command::ShowBanner,
        FirstAction::Reset => Command::Reset,
        FirstAction::AcceptAll
        | FirstAction::RejectAll
        | FirstAction::Close
        | FirstAction::CancelCustomise
        | FirstAction::TakeOver => return None,
    })
}

/// What the light part (the first module) has done on this page before the
/// app took over, so that the app does not do it twice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Handover {
    /// The consent state is applied (managed content, the analytics
    /// tools' defaults), this page view is recorded and `window.Varco`
    /// works: the app carries on from there.
    pub settled: bool,
}

/// Why the widget did not start: the webmaster's configuration (a console
/// error), or the browser (a console warning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotStarted {
    Config(String),
    Browser(String),
}

/// Reads and checks the configuration, then mounts the app (in the first
/// paint's shadow root if it painted the banner); the rest of the start
/// follows in tasks of its own. On failure, returns the one console message
/// to print.
///
/// The start is cut into short tasks (timers run in order) because on a
/// slow CPU the module's functions are compiled as they are first called:
/// in one task, reading the configuration, loading the consent state and
/// rendering would block the visitor's input for a long time.
///   1. here: the configuration, checked, and the mounting point;
///   2. the consent state: managed scripts a valid choice grants start;
///      then, in the next task, the assistant's state, a press in the
///      first paint is applied, `window.Varco` works;
///   3. the first render (until then the first paint's banner stays on
///      screen), whose effect schedules the assistant's launcher;
///   4. what is not on screen: the navigation record (it reads the decision
///      applied in 2), then the server (outbox, configuration).
pub fn boot(
    script: Option<Element>,
    first_action: Option<FirstAction>,
    handover: Handover,
) -> Result<(), NotStarted> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| {
            NotStarted::Browser("Varco: no document, the widget is not started.".to_owned())
        })?;
    let config = read_config(&document, script.as_ref())
        .map_err(|errors| NotStarted::Config(config_message(&errors)))?;
    mark("app-config-read");
    let root = mount::mount_app(&document).map_err(|e| {
        NotStarted::Browser(format!(
            "Varco: the widget could not be mounted ({}); managed scripts stay blocked.",
            js_message(&e)
        ))
    })?;
    mark("app-mounted");
    crate::browser::after(0, move || {
        start_consent(root, config, first_action, handover)
    });
    Ok(())
}

/// Step 2 of [`boot`]: the consent state, then the rest in later tasks.
fn start_consent(
    root: Element,
    config: Boot,
    first_action: Option<FirstAction>,
    handover: Handover,
) {
    crate::consent::listen(|change| {
        commands::send(match change {
            crate::consent::Change::SiteChanged => Command::SiteChanged,
            crate::consent::Change::Decided => Command::Refresh,
        })
    });
    let controller = Rc::new(RefCell::new(Controller::load(config)));
    if handover.settled {
        controller.borrow_mut().signalled();
    }
    // Only what a valid choice grants runs; anything else stays inert.
    Controller::activate(&controller);
    mark("app-consent-loaded");
    crate::browser::after(0, move || {
        start_app(root, controller, first_action, handover)
    });
}

/// Step 2, continued: the assistant's state, the visitor's press in the
/// first paint, `window.Varco`; then the render and what is not on screen.
fn start_app(
    root: Element,
    controller: Rc<RefCell<Controller>>,
    first_action: Option<FirstAction>,
    handover: Handover,
) {
    let chat = crate::chat::Chat::install(&controller.borrow().boot);
    let first_action = LATE_PRESS.with(|p| p.take()).or(first_action);
    PRESSES_TO_APP.with(|p| p.set(true));
    // A decision made in the first paint is applied before the first render,
    // so the app's banner never appears for it.
    // The assistant's panel asks for suggestions as it opens, which read the
    // navigation record: it opens after that is installed.
    let reached = first_action.and_then(reach_command);
    let (now, later) = match reached {
        Some(Command::OpenAssistant) => (None, reached),
        _ => (reached, None),
    };
    if let Some(command) = now {
        commands::send(command);
    }
    if let Some(decision) = first_action.and_then(FirstAction::decision) {
        if controller.borrow().must_ask() {
            Controller::decide(&controller, decision);
        }
    }
    js_api::install(
        controller.clone(),
        |action| {
            if let Some(command) = reach_command(action) {
                commands::send(command);
            }
        },
        !handover.settled,
    );
    {
        let (controller, chat) = (controller.clone(), chat.clone());
        crate::browser::after(0, move || {
            app::render(root, controller, chat);
            mark("app-render-scheduled");
        });
    }
    {
        let controller = controller.clone();
        crate::browser::after(0, move || {
            let outdated = chat.map(|chat| {
                std::rc::Rc::new(move || crate::chat::reset_suggestions(&chat))
                    as std::rc::Rc<dyn Fn()>
            });
            crate::navigation::install(&controller, outdated, handover.settled);
            if let Some(command) = later {
                commands::send(command);
            }
            mark("app-navigation-recorded");
        });
    }
    crate::browser::after(0, move || {
        crate::consent::flush_outbox(controller.clone(), 0);
        Controller::refresh_from_server(controller);
    });
}

/// Reads the embed attributes and the JSON block and checks both; every
/// problem names its field.
pub fn read_config(
    document: &Document,
    script: Option<&Element>,
) -> Result<Boot, Vec<ConfigError>> {
    varco_first_paint::config::read_config(document, script.cloned(), |text| {
        varco_protocol::json::from_str_explained(text)
    })
    .map_err(config_errors)
}

fn config_errors(problem: Problem<Mistake>) -> Vec<ConfigError> {
    match problem {
        Problem::Checks(errors) => errors,
        Problem::Block { error, .. } => vec![config_block_error(error)],
    }
}

/// What is wrong with a config block that cannot be read, naming the field.
fn config_block_error(mistake: Mistake) -> ConfigError {
    let block = format!("#{CONFIG_BLOCK_ID}");
    if mistake.path.is_empty() {
        ConfigError::new(block, mistake.reason)
    } else {
        ConfigError::new(format!("{block} {}", mistake.path), mistake.reason)
    }
}

/// One console message listing every configuration problem.
pub fn config_message(errors: &[ConfigError]) -> String {
    let mut msg = String::from(
        "Varco: invalid configuration, the widget is not started and managed scripts stay blocked.",
    );
    for e in errors {
        msg.push_str("\n  ");
        msg.push_str(&e.to_string());
    }
    msg
}

pub use crate::browser::js_message;

/// A panic in the widget must not pass silently: say why in the console.
/// (The release build aborts on panic, so the widget stops; the host page
/// keeps working because every call into the WASM is guarded by the loader.)
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::warn_1(&JsValue::from_str(&format!(
            "Varco: internal error, the widget has stopped; managed scripts stay blocked. {info}"
        )));
    }));
}
