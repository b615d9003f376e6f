//! Reading the configuration from the page and starting the app.

use crate::browser::mark;
use crate::commands::{self, Command};
pub use crate::config::Boot;
use crate::light::LightPart;
use crate::site::Site;
use crate::{app, mount};
use varco_core::banner::FirstAction;
use varco_core::config::ConfigError;
use varco_first_paint::config::Problem;
use varco_protocol::json::Mistake;
use wasm_bindgen::JsValue;
use web_sys::Document;
use web_sys::Element;

pub use varco_first_paint::page::CONFIG_BLOCK_ID;

/// What the light part asked of the app (a reach): the privacy centre or
/// the assistant's panel. Everything else the light part does itself.
pub fn press(action: FirstAction) {
    let command = match action {
        FirstAction::Privacy => Command::ShowPrivacy,
        FirstAction::Assistant => Command::OpenAssistant,
        _ => return,
    };
    commands::send(command);
}

/// Why the widget did not start: the webmaster's configuration (a console
/// error), or the browser (a console warning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotStarted {
    Config(String),
    Browser(String),
}

/// Reads and checks the configuration, then mounts the app beside the
/// light part; the rest of the start follows in tasks of its own. On
/// failure, returns the one console message to print.
///
/// The loader also starts the app, without a light part, when the light
/// part could not start: then the app only says why (the light part
/// carries no error wording) and does nothing else, so that nothing runs
/// without consent.
///
/// The start is cut into short tasks (timers run in order) because on a
/// slow CPU the module's functions are compiled as they are first called:
///   1. here: the configuration, checked, and the mounting point;
///   2. the assistant's state and the first render, whose effect
///      schedules the assistant's launcher.
pub fn boot(
    script: Option<Element>,
    first_action: Option<FirstAction>,
    light: Option<LightPart>,
) -> Result<(), NotStarted> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| {
            NotStarted::Browser("Varco: no document, the widget is not started.".to_owned())
        })?;
    let config = read_config(&document, script.as_ref())
        .map_err(|errors| NotStarted::Config(config_message(&errors)))?;
    mark("app-config-read");
    let light = light.ok_or_else(|| {
        NotStarted::Browser(
            "Varco: the consent part of the widget did not start; managed scripts stay blocked."
                .to_owned(),
        )
    })?;
    let root = mount::mount_app(&document).map_err(|e| {
        NotStarted::Browser(format!(
            "Varco: the widget could not be mounted ({}); managed scripts stay blocked.",
            js_message(&e)
        ))
    })?;
    mark("app-mounted");
    if let Some(action) = first_action {
        press(action);
    }
    crate::browser::after(0, move || start_app(root, config, light));
    Ok(())
}

/// Step 2 of [`boot`].
fn start_app(root: Element, config: Boot, light: LightPart) {
    let chat = crate::chat::Chat::install(&config, light.clone());
    app::render(root, Site::new(config), light, chat);
    mark("app-render-scheduled");
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
