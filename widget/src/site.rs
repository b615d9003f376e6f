//! What the app knows of the page it runs on: the embed's options and the
//! site's configuration as read and checked from the page, and the texts
//! in the visitor's language. Made once at start, shared by the
//! components through props.

use std::rc::Rc;
use varco_core::texts::Texts;
use varco_first_paint::config::Boot;

pub struct Site {
    pub boot: Boot,
    pub texts: Texts,
}

pub type SharedSite = Rc<Site>;

impl Site {
    pub fn new(boot: Boot) -> SharedSite {
        let texts = Texts::new(boot.lang, &boot.site.texts);
        Rc::new(Site { boot, texts })
    }

    /// The side of the assistant's launcher and panel: where the tag says
    /// (the light part's floating consent button is on the other).
    pub fn launcher_side(&self) -> &'static str {
        match self.boot.options.position {
            varco_core::config::Position::BottomRight => "right",
            varco_core::config::Position::BottomLeft => "left",
        }
    }
}
