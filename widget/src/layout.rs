//! Where the widget's controls are and where focus is: shared by the
//! consent dialogs, the assistant's panel and the privacy centre.

/// Where the open panel fills the screen (the same width as the
/// `max-width` of the panel's narrow-screen rule in `first-paint/src/app.css`).
pub const COVERS_THE_PAGE: &str = "(max-width: 480px)";

/// Where focus is and how a dialog keeps it: the light part's
/// preferences need them too, so they live beside the mounting point.
pub use crate::mount::{focused, trap_tab};
