//! Commands to the app from outside Yew (the light part's reaches, through
//! the loader): they are sent here and the app, once rendered, listens.
//! Senders need not know the app, so that no module below it imports it.

use std::cell::RefCell;
use yew::Callback;

/// What the visitor or the page (through `window.Varco` or a
/// `data-varco-open` link, which the light part hears) asks of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// The privacy centre ("I tuoi dati").
    ShowPrivacy,
    /// The assistant's panel (its launcher in the light part was pressed).
    OpenAssistant,
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
