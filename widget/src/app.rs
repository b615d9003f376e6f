//! The app's root: the privacy centre when the visitor asks for it, and
//! the assistant (its launcher and its panel). The banner, the
//! preferences and the floating consent button are the light part's,
//! which stays on the page beside the app (`first-paint/src/light.rs`).

use crate::browser;
use crate::chat::{ChatContext, SharedChat};
use crate::commands::{self, Command};
use crate::light::LightPart;
use crate::site::SharedSite;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::Element;
use yew::prelude::*;

/// The control that had focus when the privacy centre opened, to give it
/// back when the centre closes. Made with the app, for its whole life.
#[derive(Clone, Default)]
struct Opener(Rc<RefCell<Option<Element>>>);

impl Opener {
    fn remember(&self) {
        *self.0.borrow_mut() = crate::layout::focused().map(Element::from);
    }

    /// Gives focus back: to the control that opened the centre if it is
    /// still on the page, else to the floating consent button, else to
    /// the first control of the page's main content.
    fn give_back(&self) {
        let opener = self.0.borrow_mut().take();
        let document = browser::document();
        let reopen = || {
            crate::mount::existing_shadow(&document)
                .and_then(|s| s.query_selector("button.reopen").ok().flatten())
        };
        let give = |el: Option<Element>| el.is_some_and(|el| crate::mount::focus(&el, false));
        let _ = give(opener.filter(|el| el.is_connected()))
            || give(reopen())
            || crate::mount::focus_main_content(&document);
    }
}

#[derive(Properties)]
pub struct AppProps {
    pub site: SharedSite,
    pub light: LightPart,
    /// The assistant, if the site has one: its components reach it through
    /// a [`ChatContext`].
    pub chat: Option<SharedChat>,
    opener: Opener,
}

impl PartialEq for AppProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.site, &other.site)
            && self.light == other.light
            && match (&self.chat, &other.chat) {
                (Some(a), Some(b)) => Rc::ptr_eq(a, b),
                (a, b) => a.is_none() && b.is_none(),
            }
    }
}

/// Renders the app into `root` (its container in the widget's shadow root).
pub fn render(root: Element, site: SharedSite, light: LightPart, chat: Option<SharedChat>) {
    let props = AppProps {
        site,
        light,
        chat,
        opener: Opener::default(),
    };
    yew::Renderer::<App>::with_root_and_props(root, props).render();
}

/// How many times the consent changed while the app ran.
#[derive(Default, PartialEq)]
struct ConsentChanges(u32);

impl Reducible for ConsentChanges {
    type Action = ();

    fn reduce(self: Rc<Self>, (): ()) -> Rc<Self> {
        Rc::new(ConsentChanges(self.0.wrapping_add(1)))
    }
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let privacy_open = use_state(|| false);
    let consent_changes = use_reducer(ConsentChanges::default);
    // The app renders in two tasks: on a slow CPU, the functions of the
    // module are compiled as they are first called, and compiling and
    // rendering everything at once is a long task that blocks the visitor's
    // input. First the privacy centre, if it was asked for, then the
    // assistant.
    let assistant_shown = use_state(|| false);

    {
        let privacy_open = privacy_open.setter();
        let opener = props.opener.clone();
        let chat = props.chat.clone();
        let assistant_shown = assistant_shown.setter();
        let changed = consent_changes.dispatcher();
        let chat_of_consent = props.chat.clone();
        use_effect_with((), move |_| {
            crate::browser::mark("app-rendered");
            browser::after(0, move || assistant_shown.set(true));
            // What the privacy centre shows follows the consent, which the
            // light part announces to the page; suggestions made from the
            // navigation record no longer hold once it changes.
            let on_consent = Closure::<dyn Fn()>::new(move || {
                changed.dispatch(());
                if let Some(chat) = &chat_of_consent {
                    crate::chat::reset_suggestions(chat);
                }
            });
            let _ = browser::document().add_event_listener_with_callback(
                "varco:consent",
                on_consent.as_ref().unchecked_ref(),
            );
            // The app lives as long as the page.
            on_consent.forget();
            commands::listen(Callback::from(move |cmd: Command| match cmd {
                Command::ShowPrivacy => {
                    opener.remember();
                    privacy_open.set(true);
                }
                Command::OpenAssistant => {
                    if let Some(chat) = &chat {
                        crate::chat::Chat::set_open(chat, true);
                    }
                }
            }));
            commands::stop_listening
        });
    }
    use_effect_with(*assistant_shown, move |&shown| {
        if shown {
            // The app's launcher is on screen: the light part's goes.
            crate::mount::retire_light_launcher(&browser::document());
            crate::browser::mark("app-assistant-rendered");
        }
    });

    let privacy = if *privacy_open {
        let close = {
            let privacy_open = privacy_open.clone();
            Callback::from(move |()| privacy_open.set(false))
        };
        // In a task of its own: while the centre is taken down its modal
        // dialog may still make the rest of the page inert.
        let gone = {
            let opener = props.opener.clone();
            Callback::from(move |()| {
                let opener = opener.clone();
                browser::after(0, move || opener.give_back());
            })
        };
        html! { <crate::privacy_ui::PrivacyCentre site={props.site.clone()} light={props.light.clone()} consent_changes={consent_changes.0} on_close={close} on_gone={gone} /> }
    } else {
        html! {}
    };
    let chat_side = props.site.launcher_side();
    let content = html! {
        <>
            { privacy }
            <span hidden=true></span>
            // Last, after an element that is always there: yew 0.23 panics
            // when an empty component sits between children that appear and
            // disappear in the same render (yewstack/yew#4092).
            if let (true, Some(_)) = (*assistant_shown, &props.chat) {
                <crate::chat_ui::ChatWidget side={chat_side} />
            }
        </>
    };
    // The same provider for the app's whole life (the assistant is there
    // from the start or never), so the tree keeps its shape.
    match &props.chat {
        Some(chat) => html! {
            <ContextProvider<ChatContext> context={ChatContext(chat.clone())}>
                { content }
            </ContextProvider<ChatContext>>
        },
        None => content,
    }
}
