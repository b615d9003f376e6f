//! The Yew application.

use crate::boot::Boot;
use varco_core::texts::{Key, Texts};
use web_sys::Element;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub boot: Boot,
}

/// Renders the app into `root` (inside the shadow root).
pub fn render(root: Element, boot: Boot) {
    yew::Renderer::<App>::with_root_and_props(root, AppProps { boot }).render();
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let texts = use_memo(props.boot.clone(), |b| Texts::new(b.lang, &b.site.texts));
    let open = use_state(|| true);
    if !*open {
        return html! {};
    }
    let close = {
        let open = open.clone();
        Callback::from(move |_| open.set(false))
    };
    let site = &props.boot.site;
    let lang = props.boot.lang.code();
    let purposes: Vec<String> = site
        .categories
        .iter()
        .filter(|c| !c.necessary)
        .filter_map(|c| c.title.as_ref().map(|t| t.get(lang).to_lowercase()))
        .collect();
    html! {
        <section class="banner" role="region" aria-label={texts.get(Key::banner_label).to_owned()}>
            <button type="button" class="close" aria-label={texts.get(Key::close_banner).to_owned()} onclick={close}>
                <span aria-hidden="true">{"×"}</span>
            </button>
            <h2 class="banner-title">{ texts.get(Key::banner_title) }</h2>
            <p>
                { texts.get(Key::banner_technical) }{" "}
                { texts.get(Key::banner_purposes) }{" "}
                { purposes.join(", ") }{"."}
            </p>
            <p>{ texts.get(Key::banner_close_note) }</p>
            if let Some(url) = &site.cookie_policy_url {
                <p><a href={url.clone()}>{ texts.get(Key::cookie_policy_link) }</a></p>
            }
            <div class="actions">
                <button type="button" class="btn btn-primary">{ texts.get(Key::accept_all) }</button>
                <button type="button" class="btn btn-primary">{ texts.get(Key::reject_all) }</button>
                <button type="button" class="btn btn-outline">{ texts.get(Key::customise) }</button>
            </div>
        </section>
    }
}
