//! Commands to the app from below it (the page's `window.Varco`, the
//! consent controller, the first paint's presses, the assistant's panel):
//! they are sent here and the app, once rendered, listens. Senders need not
//! know the app, so that no module below it imports it.

use std::cell::RefCell;
use varco_core::banner::FirstAction;
use yew::Callback;

/// What the page (through `window.Varco` or a `data-varco-open` link) asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    ShowPreferences,
    /// "Customise" pressed in the first paint's banner: the preferences
    /// over the banner, which comes back if they are closed.
    Customise,
    /// The privacy centre ("I tuoi dati").
    ShowPrivacy,
    /// The assistant's panel (its launcher in the light part was pressed).
    OpenAssistant,
    ShowBanner,
    Reset,
    Refresh,
    /// The server's configuration replaced the page's: ask again if the
    /// stored choice no longer matches it.
    SiteChanged,
    /// A press in the first paint's banner that reached the app after its
    /// start (the first paint's banner stays until the app's replaces it).
    FirstPaint(FirstAction),
}

thread_local! {
    static COMMANDS: RefCell<Option<Callback<Command>>> = const { RefCell::new(None) };
    static PENDING: RefCell<Vec<Command>> = const { RefCell::new(Vec::new()) };
}

/// Sends a command to the app; commands sent before its first render are
/// kept and delivered when it is ready (`Varco.q` runs before that).
pub fn send(command: Command) {
    match COMMANDS.with(|c| c.borrow().clone()) {
        Some(cb) => cb.emit(command),
        None => PENDING.with(|p| p.borrow_mut().push(command)),
    }
}

/// Re-renders after a change made outside the components.
pub fn notify() {
    send(Command::Refresh);
}

/// The app's listener; the commands sent before it are delivered now.
pub fn listen(cb: Callback<Command>) {
    COMMANDS.with(|c| *c.borrow_mut() = Some(cb.clone()));
    for command in PENDING.with(|p| std::mem::take(&mut *p.borrow_mut())) {
        cb.emit(command);
    }
}

/// The app is gone: commands wait for the next listener.
pub fn stop_listening() {
    COMMANDS.with(|c| *c.borrow_mut() = None);
}
