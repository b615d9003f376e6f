//! The Yew application: the banner, the preferences dialog and the small
//! button that reopens them. Components only render and forward clicks;
//! decisions go through [`Controller`].

use crate::browser;
use crate::chat::{ChatContext, SharedChat};
use crate::commands::{self, Command};
use crate::consent::{Controller, Shared};
use std::cell::RefCell;
use std::rc::Rc;
use varco_core::banner::{BannerContent, FirstAction};
use varco_core::consent::{Decision, Status};
use varco_core::preferences::{CategoryContent, PreferencesContent};
use varco_core::texts::Key;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlDialogElement, HtmlElement, HtmlInputElement};
use yew::prelude::*;

/// Where focus goes once the view that follows a change is on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FocusNext {
    /// Where it is: the visitor was not in the widget, or a dialog that
    /// opened took it.
    Stay,
    /// «Personalizza» in the banner: the preferences opened over it closed.
    Customise,
    /// Back where the visitor came from: a dialog closed or a choice was made.
    Back,
}

#[derive(Properties)]
pub struct AppProps {
    pub controller: Shared,
    /// The assistant, if the site has one: its components reach it through
    /// a [`ChatContext`].
    pub chat: Option<SharedChat>,
    /// Made with the app, for its whole life (a hook would cost the module
    /// a state of one more type).
    focus: FocusPlan,
}

impl PartialEq for AppProps {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.controller, &other.controller)
            && match (&self.chat, &other.chat) {
                (Some(a), Some(b)) => std::rc::Rc::ptr_eq(a, b),
                (a, b) => a.is_none() && b.is_none(),
            }
    }
}

/// Renders the app into `root` (inside the shadow root).
pub fn render(root: Element, controller: Shared, chat: Option<SharedChat>) {
    let props = AppProps {
        controller,
        chat,
        focus: FocusPlan::default(),
    };
    yew::Renderer::<App>::with_root_and_props(root, props).render();
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Banner,
    Preferences { from_banner: bool },
    Privacy,
    Closed,
}

/// What changes the view. The command callback is created once, so it must
/// not read a captured `UseStateHandle` (that would be the first render's
/// value): a reducer always sees the current view.
enum ViewAction {
    Show(View),
    /// The stored choice changed elsewhere (another tab, `Varco.reset()`...).
    Refresh {
        must_ask: bool,
    },
    /// The server's configuration replaced the page's. It may arrive after
    /// the visitor opened the preferences: they stay open.
    SiteChanged {
        must_ask: bool,
    },
    /// Escape in the first paint's banner before the preferences asked for
    /// there opened: they do not.
    CancelCustomise,
}

impl Reducible for View {
    type Action = ViewAction;

    fn reduce(self: std::rc::Rc<Self>, action: ViewAction) -> std::rc::Rc<Self> {
        let next = match (action, *self) {
            (ViewAction::Show(v), _) => v,
            (ViewAction::Refresh { must_ask: false }, View::Banner) => View::Closed,
            (ViewAction::Refresh { .. }, current) => current,
            (ViewAction::CancelCustomise, View::Preferences { from_banner: true }) => View::Banner,
            (ViewAction::CancelCustomise, current) => current,
            (
                ViewAction::SiteChanged { .. },
                current @ (View::Preferences { .. } | View::Privacy),
            ) => current,
            (ViewAction::SiteChanged { must_ask }, _) => {
                if must_ask {
                    View::Banner
                } else {
                    View::Closed
                }
            }
        };
        if next == *self {
            self
        } else {
            next.into()
        }
    }
}

/// Whether focus is inside the widget.
fn focus_in_widget() -> bool {
    browser::document()
        .active_element()
        .is_some_and(|a| a.tag_name().eq_ignore_ascii_case(crate::mount::HOST_TAG))
}

/// The app's focus plan: where focus goes as dialogs open and close. The
/// app owns it and hands it to the banner and the preferences, its
/// children, as a prop.
#[derive(Default)]
struct Focus {
    /// The control that had focus when a dialog (preferences, privacy
    /// centre) opened.
    opener: Option<HtmlElement>,
    /// The page's element that had focus before focus entered the banner.
    before_banner: Option<Element>,
    /// Set with a change of view, applied once that view is rendered (or
    /// once any is, without one).
    next: Option<(FocusNext, Option<View>)>,
    /// Closes the preferences asked for but not shown yet: on a slow CPU
    /// Yew yields to the browser in the middle of its work, and an Escape
    /// pressed before the dialog is rendered, or between its render and
    /// its effect, reaches no dialog.
    early_escape: Option<Callback<()>>,
}

/// The [`Focus`] plan, shared. Every method keeps its borrow short:
/// moving focus fires the page's focus events, which may come back here.
#[derive(Clone, Default)]
struct FocusPlan(Rc<RefCell<Focus>>);

impl PartialEq for FocusPlan {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl FocusPlan {
    /// A dialog opened from one of the light part's launchers gives focus
    /// back to the app's launcher of the same kind once the light part's
    /// is gone.
    fn adopt_opener(&self) {
        let Some(el) = self.0.borrow().opener.clone() else {
            return;
        };
        if el.closest(".first-paint").ok().flatten().is_none() {
            return;
        }
        let class = ["reopen", "launcher"]
            .into_iter()
            .find(|class| el.class_list().contains(class));
        let adopted = class
            .and_then(|class| {
                crate::mount::existing_shadow(&browser::document())?
                    .query_selector(&format!(".varco:not(.first-paint) button.{class}"))
                    .ok()
                    .flatten()
            })
            .and_then(|el| el.dyn_into().ok());
        self.0.borrow_mut().opener = adopted;
    }

    /// Remembers the focused control as the one a dialog gives focus back to.
    fn remember_opener(&self) {
        let opener = focused();
        self.0.borrow_mut().opener = opener;
    }

    /// Remembers the page's element focus came to the banner from.
    fn came_to_banner_from(&self, from: Element) {
        self.0.borrow_mut().before_banner = Some(from);
    }

    fn take_early_escape(&self) -> Option<Callback<()>> {
        self.0.borrow_mut().early_escape.take()
    }

    /// Shows the preferences (over the banner or not). Until the dialog is
    /// shown, an Escape anywhere on the page closes them as it would the
    /// dialog.
    fn open_preferences(&self, view: &UseReducerDispatcher<View>, from_banner: bool) {
        let close = {
            let (view, plan) = (view.clone(), self.clone());
            Callback::from(move |()| {
                let (next, after) = if from_banner {
                    (FocusNext::Customise, View::Banner)
                } else {
                    (FocusNext::Back, View::Closed)
                };
                plan.plan(next, after);
                view.dispatch(ViewAction::Show(after));
            })
        };
        self.0.borrow_mut().early_escape = Some(close);
        view.dispatch(ViewAction::Show(View::Preferences { from_banner }));
    }

    /// Where focus goes once `view` is rendered. (Not at the app's next
    /// effect: on a slow CPU Yew yields to the browser between a render and
    /// its effects, and the effects of the render before the change may run
    /// after it, while the closing dialog still holds focus.)
    fn plan(&self, next: FocusNext, view: View) {
        self.0.borrow_mut().next = Some((next, Some(view)));
    }

    /// Gives focus back to where it was when a dialog opened (called when
    /// the dialog unmounts), unless the change that closed it said
    /// otherwise.
    fn restore_on_close(&self) {
        let mut focus = self.0.borrow_mut();
        if focus.next.is_none() {
            focus.next = Some((FocusNext::Back, None));
        }
    }

    /// Moves focus as planned, once the view it was planned for is
    /// rendered. Always to a control that is on screen, never to `<body>`:
    /// the control that opened the dialog that closed; «Personalizza» if
    /// the banner is up; the page's element the visitor came to the banner
    /// from; the first control of the page's main content; the floating
    /// consent button.
    fn apply(&self, rendered: View) {
        let (next, opener, before) = {
            let mut focus = self.0.borrow_mut();
            let Some((next, view)) = focus.next else {
                return;
            };
            if view.is_some_and(|v| v != rendered) {
                return;
            }
            focus.next = None;
            if next == FocusNext::Stay {
                return;
            }
            (next, focus.opener.take(), focus.before_banner.take())
        };
        let document = browser::document();
        let shadow = crate::mount::existing_shadow(&document);
        let in_widget = |selector: &str| {
            shadow
                .as_ref()
                .and_then(|s| s.query_selector(selector).ok().flatten())
        };
        let customise =
            || in_widget(".varco:not(.first-paint) > .banner [data-action='customise']");
        let give = |el: Option<Element>, keep_scroll: bool| {
            el.is_some_and(|el| crate::mount::focus(&el, keep_scroll))
        };
        let _ = (next == FocusNext::Back && give(opener.map(Element::from), false))
            || give(customise(), false)
            || give(before, true)
            || crate::mount::focus_main_content(&document)
            || give(in_widget("button.reopen"), false);
    }
}

use crate::layout::focused;

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let ctl = props.controller.clone();
    let view = use_reducer(|| {
        if ctl.borrow().must_ask() {
            View::Banner
        } else {
            View::Closed
        }
    });
    let refresh = use_force_update();
    let announced = use_state(|| false);
    // The app renders in three tasks: on a slow CPU, the functions of the
    // module are compiled as they are first called, and compiling and
    // rendering everything at once is a long task that blocks the visitor's
    // input. First the shell (the live region, the floating button), then
    // the panels (the banner: until then the first paint's stays on
    // screen), then the assistant's launcher.
    let panels_shown = use_state(|| false);
    let assistant_shown = use_state(|| false);
    let plan = props.focus.clone();

    {
        let view = view.dispatcher();
        let ctl = ctl.clone();
        let chat = props.chat.clone();
        let plan = plan.clone();
        let refresh = refresh.clone();
        let panels_shown = panels_shown.setter();
        use_effect_with((), move |_| {
            // Effects run once the first render is in the DOM.
            browser::after(0, move || panels_shown.set(true));
            // Scrolling and resizing move the floating button off the
            // footer; Escape closes preferences asked for but not shown.
            let escape_plan = plan.clone();
            let on_event = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::Event)>::new(
                move |e: web_sys::Event| {
                    if e.type_() != "keydown" {
                        crate::mount::keep_reopen_off_footer();
                    } else if e.unchecked_ref::<KeyboardEvent>().key() == "Escape" {
                        if let Some(close) = escape_plan.take_early_escape() {
                            close.emit(());
                        }
                    }
                },
            );
            let window = browser::window();
            for kind in ["scroll", "resize", "keydown"] {
                let _ = window
                    .add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
            }
            // The app lives as long as the page.
            on_event.forget();
            let cb = Callback::from(move |cmd: Command| match cmd {
                Command::ShowPreferences => {
                    plan.remember_opener();
                    plan.open_preferences(&view, false);
                }
                Command::Customise | Command::FirstPaint(FirstAction::Customise) => {
                    plan.open_preferences(&view, true);
                }
                Command::FirstPaint(FirstAction::CancelCustomise) => {
                    plan.take_early_escape();
                    view.dispatch(ViewAction::CancelCustomise);
                }
                Command::FirstPaint(action) => {
                    let Some(decision) = action.decision() else {
                        return;
                    };
                    if ctl.borrow().must_ask() {
                        Controller::decide(&ctl, decision);
                    }
                    // The first paint has moved focus already.
                    plan.plan(FocusNext::Stay, View::Closed);
                    plan.take_early_escape();
                    view.dispatch(ViewAction::Show(View::Closed));
                }
                Command::ShowPrivacy => {
                    plan.remember_opener();
                    view.dispatch(ViewAction::Show(View::Privacy));
                }
                Command::OpenAssistant => {
                    if let Some(chat) = &chat {
                        crate::chat::Chat::set_open(chat, true);
                    }
                }
                Command::ShowBanner => view.dispatch(ViewAction::Show(View::Banner)),
                Command::Reset => {
                    Controller::reset(&ctl);
                    view.dispatch(ViewAction::Show(View::Banner));
                }
                Command::Refresh => {
                    view.dispatch(ViewAction::Refresh {
                        must_ask: ctl.borrow().must_ask(),
                    });
                    refresh.force_update();
                }
                Command::SiteChanged => {
                    view.dispatch(ViewAction::SiteChanged {
                        must_ask: ctl.borrow().must_ask(),
                    });
                    refresh.force_update();
                }
            });
            commands::listen(cb);
            commands::stop_listening
        });
    }
    {
        let assistant_shown = assistant_shown.setter();
        use_effect_with(*panels_shown, move |&shown| {
            if shown {
                crate::browser::mark("app-rendered");
                // The app's view is rendered: the first paint's banner goes
                // (in the same task, so no frame shows both or neither).
                crate::mount::retire_first_paint(&browser::document(), false);
                browser::after(0, move || assistant_shown.set(true));
            }
        });
    }
    // After every render: focus moves once the view it goes to is in the
    // DOM; the floating button keeps off the footer; the skip link at the
    // start of the page lives with the banner (the first paint's stays
    // until the app's banner replaces it).
    {
        let (rendered, shown, ctl, plan) = (*view, *panels_shown, ctl.clone(), plan.clone());
        use_effect(move || {
            plan.apply(rendered);
            crate::mount::keep_reopen_off_footer();
            if shown {
                let document = browser::document();
                if matches!(
                    rendered,
                    View::Banner | View::Preferences { from_banner: true }
                ) {
                    let skip = ctl.borrow().texts.get(Key::skip_to_banner).to_owned();
                    let _ = crate::mount::show_skip_link(&document, &skip);
                } else {
                    crate::mount::remove_skip_link(&document);
                }
            }
        });
    }
    let adopting = plan.clone();
    use_effect_with(*assistant_shown, move |&shown| {
        if shown {
            // The last step of the start: the widget is complete, and
            // what the light part painted goes.
            crate::mount::retire_first_paint(&browser::document(), true);
            adopting.adopt_opener();
            crate::browser::mark("app-assistant-rendered");
        }
    });
    {
        // Announce the banner once it is on screen (a live region must exist
        // before its content changes for screen readers to read it).
        let announced = announced.clone();
        use_effect_with((*view, *panels_shown), move |&(v, shown)| {
            if shown && v == View::Banner {
                browser::after(100, move || announced.set(true));
            }
        });
    }

    let decide = {
        let ctl = ctl.clone();
        let view = view.clone();
        let plan = plan.clone();
        Callback::from(move |d: Decision| {
            let next = if focus_in_widget() {
                FocusNext::Back
            } else {
                FocusNext::Stay
            };
            plan.plan(next, View::Closed);
            Controller::decide(&ctl, d);
            view.dispatch(ViewAction::Show(View::Closed));
        })
    };
    let c = ctl.borrow();
    let texts = &c.texts;
    let floating = c.floating_button();
    let (side, chat_side) = c.sides();

    let banner_shown = *panels_shown
        && matches!(
            *view,
            View::Banner | View::Preferences { from_banner: true }
        );
    let banner = if banner_shown {
        let covered = *view != View::Banner;
        html! { <Banner controller={ctl.clone()} focus={plan.clone()} {covered} on_decide={decide.clone()} on_customise={{
            let (view, plan) = (view.clone(), plan.clone());
            Callback::from(move |_| {
                plan.remember_opener();
                plan.open_preferences(&view.dispatcher(), true);
            })
        }} /> }
    } else {
        html! {}
    };
    let preferences = if let (true, View::Preferences { from_banner }) = (*panels_shown, *view) {
        let view = view.clone();
        let closing = plan.clone();
        html! { <Preferences controller={ctl.clone()} focus={plan.clone()} on_decide={decide.clone()} on_privacy={{
                    let (view, plan) = (view.clone(), plan.clone());
                    Callback::from(move |_| {
                        // The privacy centre takes focus; the preferences'
                        // opener is where it goes back after.
                        plan.plan(FocusNext::Stay, View::Privacy);
                        view.dispatch(ViewAction::Show(View::Privacy))
                    })
                }}
        on_close={Callback::from(move |_| {
            let (next, after) = if from_banner {
                (FocusNext::Customise, View::Banner)
            } else {
                (FocusNext::Back, View::Closed)
            };
            closing.plan(next, after);
            view.dispatch(ViewAction::Show(after))
        })} /> }
    } else {
        html! {}
    };
    let privacy = if *panels_shown && *view == View::Privacy {
        let close = {
            let view = view.clone();
            let ctl = ctl.clone();
            let plan = plan.clone();
            Callback::from(move |_| {
                let next = if ctl.borrow().must_ask() {
                    View::Banner
                } else {
                    View::Closed
                };
                plan.plan(FocusNext::Back, next);
                view.dispatch(ViewAction::Show(next))
            })
        };
        // The centre stays open after "delete everything" to say it is done.
        let decide = {
            let ctl = ctl.clone();
            Callback::from(move |d: Decision| Controller::decide(&ctl, d))
        };
        html! { <crate::privacy_ui::PrivacyCentre controller={ctl.clone()} on_decide={decide} on_close={close} on_gone={{ let plan = plan.clone(); Callback::from(move |()| plan.restore_on_close()) }} /> }
    } else {
        html! {}
    };
    // Hidden, not removed, while a panel is open: focus comes back to it
    // when the preferences it opened close.
    let reopen = if floating && !c.must_ask() {
        let onclick = Callback::from(move |_| commands::send(Command::ShowPreferences));
        html! {
            <button type="button" class={classes!("reopen", side)} hidden={*view != View::Closed} aria-label={texts.get(Key::reopen_preferences).to_owned()} {onclick}>
                <svg aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="24" height="24">
                    <path fill="currentColor" d="M12 2a10 10 0 1 0 10 10 4 4 0 0 1-5-5 4 4 0 0 1-5-5zm-3.5 7a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm5 6a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm-6 1a1 1 0 1 1 0 2 1 1 0 0 1 0-2z"/>
                </svg>
            </button>
        }
    } else {
        html! {}
    };
    let live = if *announced && *view == View::Banner {
        texts.get(Key::banner_label).to_owned()
    } else {
        String::new()
    };
    let content = html! {
        <>
            { banner }
            { preferences }
            { privacy }
            { reopen }
            <div class="sr-only" aria-live="polite">{ live }</div>
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

#[derive(Properties)]
struct BannerProps {
    controller: Shared,
    focus: FocusPlan,
    /// Under the preferences dialog: inert (as a modal dialog makes it).
    covered: bool,
    on_decide: Callback<Decision>,
    on_customise: Callback<()>,
}

impl PartialEq for BannerProps {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.controller, &other.controller) && self.covered == other.covered
    }
}

#[function_component(Banner)]
fn banner(props: &BannerProps) -> Html {
    let plan = props.focus.clone();
    let c = props.controller.borrow();
    // The same content as the first paint's banner (`first-paint/`).
    let content = BannerContent::new(&c.boot.site, &c.texts, c.ask_reason());
    let changed = match &content.changed {
        Some(changed) => html! {
            <p class="changed">
                <strong>{ &changed.lead }</strong>
                if let Some(note) = &changed.note { {" "}{ note } }
                if let Some(news) = &changed.news { {" "}{ news } }
            </p>
        },
        None => html! {},
    };
    let on = |d: Decision| {
        let cb = props.on_decide.clone();
        Callback::from(move |_: MouseEvent| cb.emit(d.clone()))
    };
    let customise = {
        let cb = props.on_customise.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    // Remembers where the visitor came from, to go back there after a choice.
    let onfocusin = Callback::from(move |e: FocusEvent| {
        let from = e
            .related_target()
            .and_then(|t| t.dyn_into::<Element>().ok());
        let banner = e
            .current_target()
            .and_then(|t| t.dyn_into::<Element>().ok());
        if let (Some(from), Some(banner)) = (from, banner) {
            if !banner.contains(Some(&from)) {
                plan.came_to_banner_from(from);
            }
        }
    });
    // The same markup as the first paint's (`first-paint/src/paint.rs`).
    html! {
        <section class="banner" role="region" aria-labelledby="varco-banner-title" tabindex="-1" inert={props.covered} {onfocusin}>
            <button type="button" class="close" aria-label={content.close_label.clone()} data-action={FirstAction::Close.name()} onclick={on(Decision::Close)}>
                <span aria-hidden="true">{"×"}</span>
            </button>
            <div class="banner-text">
                <h2 class="banner-title" id="varco-banner-title">{ &content.title }</h2>
                { changed }
                <p>{ &content.purposes }</p>
                <p>{ &content.close_note }</p>
                if let Some((url, label)) = &content.policy {
                    <p><a href={url.clone()}>{ label }</a></p>
                }
            </div>
            <div class="actions">
                <button type="button" class="btn btn-primary" data-action={FirstAction::AcceptAll.name()} onclick={on(Decision::AcceptAll)}>{ &content.accept_all }</button>
                <button type="button" class="btn btn-primary" data-action={FirstAction::RejectAll.name()} onclick={on(Decision::RejectAll)}>{ &content.reject_all }</button>
                <button type="button" class="btn btn-outline" data-action={FirstAction::Customise.name()} onclick={customise}>{ &content.customise }</button>
            </div>
        </section>
    }
}

#[derive(Properties)]
struct PreferencesProps {
    controller: Shared,
    focus: FocusPlan,
    on_decide: Callback<Decision>,
    on_privacy: Callback<()>,
    on_close: Callback<()>,
}

impl PartialEq for PreferencesProps {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.controller, &other.controller)
    }
}

#[function_component(Preferences)]
fn preferences(props: &PreferencesProps) -> Html {
    let plan = props.focus.clone();
    let dialog = use_node_ref();
    // The stored state, not the defaults.
    let chosen = {
        let c = props.controller.borrow();
        let initial: Vec<String> = c
            .rules
            .optional()
            .filter(|id| c.grants(id))
            .map(str::to_owned)
            .collect();
        use_state(move || initial)
    };
    // The third parties switched off alone, inside categories that are on.
    let refused = {
        let c = props.controller.borrow();
        let initial: Vec<String> = match &c.status {
            Status::Decided(choice) => choice.refused_services.clone(),
            _ => Vec::new(),
        };
        use_state(move || initial)
    };
    {
        let dialog = dialog.clone();
        use_effect_with((), move |_| {
            if let Some(d) = dialog.cast::<HtmlDialogElement>() {
                let _ = d.show_modal();
            }
            plan.take_early_escape();
            move || {
                plan.take_early_escape();
                plan.restore_on_close();
            }
        });
    }
    let content = {
        let c = props.controller.borrow();
        PreferencesContent::new(&c.boot.site, &c.texts, &c.status, |id| c.grants(id))
    };
    let oncancel = {
        let close = props.on_close.clone();
        Callback::from(move |e: Event| {
            // Escape closes without granting anything.
            e.prevent_default();
            close.emit(());
        })
    };
    let close = {
        let close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| close.emit(()))
    };
    let onkeydown = {
        let dialog = dialog.clone();
        Callback::from(move |e: KeyboardEvent| {
            if let Some(d) = dialog.cast::<Element>() {
                crate::layout::trap_tab(&d, &e);
            }
        })
    };
    let decide = |d: Decision| {
        let cb = props.on_decide.clone();
        Callback::from(move |_: MouseEvent| cb.emit(d.clone()))
    };
    let save = {
        let cb = props.on_decide.clone();
        let (chosen, refused) = (chosen.clone(), refused.clone());
        Callback::from(move |_: MouseEvent| {
            cb.emit(Decision::Save {
                categories: (*chosen).clone(),
                refused_services: (*refused).clone(),
            })
        })
    };
    let category = |cat: &CategoryContent| {
        let id = cat.id.clone();
        let input_id = format!("varco-cat-{id}");
        let on = cat.necessary || chosen.contains(&id);
        // A category's switch turns its third parties with it.
        let onchange = {
            let (chosen, refused) = (chosen.clone(), refused.clone());
            let id = id.clone();
            Callback::from(move |e: Event| {
                let input: HtmlInputElement = e.target_unchecked_into();
                let mut next: Vec<String> =
                    (*chosen).iter().filter(|c| **c != id).cloned().collect();
                if input.checked() {
                    next.push(id.clone());
                }
                chosen.set(next);
                let prefix = format!("{id}/");
                refused.set(
                    (*refused)
                        .iter()
                        .filter(|k| !k.starts_with(&prefix))
                        .cloned()
                        .collect(),
                );
            })
        };
        let services = cat.services.iter().enumerate().map(|(j, s)| {
            let switch_id = format!("{input_id}-{j}");
            let service_on = cat.necessary || (on && !refused.contains(&s.key));
            // A third party's switch: off alone, or on with its category.
            // Turned on in a category that is off, it turns the category on
            // with itself alone, as in the light part's dialog.
            let onchange = {
                let (chosen, refused) = (chosen.clone(), refused.clone());
                let (id, key) = (id.clone(), s.key.clone());
                let siblings: Vec<String> = cat.services.iter().map(|s| s.key.clone()).collect();
                Callback::from(move |e: Event| {
                    let input: HtmlInputElement = e.target_unchecked_into();
                    let mut next: Vec<String> = (*refused).iter().filter(|k| **k != key).cloned().collect();
                    if !input.checked() {
                        next.push(key.clone());
                    } else if !chosen.contains(&id) {
                        let mut categories = (*chosen).clone();
                        categories.push(id.clone());
                        chosen.set(categories);
                        next.extend(siblings.iter().filter(|k| **k != key && !next.contains(k)).cloned().collect::<Vec<_>>());
                    }
                    refused.set(next);
                })
            };
            html! {
                <li>
                    <div class="service-head">
                        <input type="checkbox" class="switch" id={switch_id.clone()} value={s.key.clone()} data-category={id.clone()}
                            checked={service_on} disabled={cat.necessary} {onchange} />
                        <label for={switch_id}><strong>{ &s.name }</strong></label>
                    </div>
                    { for s.details.iter().map(|line| html! { <div>{ line }</div> }) }
                    if let Some((label, names)) = &s.cookies { <div>{ label }{": "}<code>{ names }</code></div> }
                </li>
            }
        });
        html! {
            <li class="category">
                <div class="category-head">
                    <input type="checkbox" class="switch" id={input_id.clone()} value={id.clone()} checked={on}
                        disabled={cat.necessary} aria-describedby={format!("{input_id}-desc")} {onchange} />
                    <label for={input_id.clone()}>{ &cat.title }</label>
                    if cat.necessary { <span class="always">{ &content.always_on }</span> }
                </div>
                <p id={format!("{input_id}-desc")}>{ &cat.description }</p>
                if !cat.services.is_empty() {
                    <details>
                        <summary>{ &content.services_label }</summary>
                        <ul class="services">{ for services }</ul>
                    </details>
                }
            </li>
        }
    };
    html! {
        <dialog class="prefs" ref={dialog} aria-labelledby="varco-prefs-title" {oncancel} {onkeydown}>
            <button type="button" class="close" aria-label={content.close_label.clone()} onclick={close}>
                <span aria-hidden="true">{"×"}</span>
            </button>
            <h2 id="varco-prefs-title" class="banner-title">{ &content.title }</h2>
            // The list scrolls; the actions below it stay in view.
            <div class="prefs-body">
                <p>{ &content.intro }</p>
                if let Some(current) = &content.current { <p class="muted">{ current }</p> }
                <ul class="categories">{ for content.categories.iter().map(category) }</ul>
                <p class="privacy-link">
                    <button type="button" class="link-button" onclick={{ let cb = props.on_privacy.clone(); Callback::from(move |_: MouseEvent| cb.emit(())) }}>{ &content.privacy_open }</button>
                </p>
            </div>
            if let Some([save_label, accept_all, reject_all]) = &content.actions {
                <div class="actions">
                    <button type="button" class="btn btn-primary" onclick={save}>{ save_label }</button>
                    <button type="button" class="btn btn-outline" onclick={decide(Decision::AcceptAll)}>{ accept_all }</button>
                    <button type="button" class="btn btn-outline" onclick={decide(Decision::RejectAll)}>{ reject_all }</button>
                </div>
            }
        </dialog>
    }
}
