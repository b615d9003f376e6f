//! The app's start and its mounting point in a real browser (headless
//! Chromium through chromedriver): `cargo xtask test` runs them with
//! wasm-bindgen-test-runner. The light part's are in `first-paint/tests/`.

use varco_widget::{boot, mount};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Document, Element};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Removes what a previous test left on the page.
fn clean() {
    let d = document();
    for sel in ["varco-widget", "#varco-config", "script[data-site]"] {
        while let Some(e) = d.query_selector(sel).unwrap() {
            e.remove();
        }
    }
}

fn script_tag(attrs: &[(&str, &str)]) -> Element {
    let s = document().create_element("script").unwrap();
    s.set_attribute("src", "/varco/varco.js").unwrap();
    for (k, v) in attrs {
        s.set_attribute(k, v).unwrap();
    }
    document().body().unwrap().append_child(&s).unwrap();
    s
}

fn config_block(json: &str) {
    let s = document().create_element("script").unwrap();
    s.set_attribute("type", "application/json").unwrap();
    s.set_id("varco-config");
    s.set_text_content(Some(json));
    document().head().unwrap().append_child(&s).unwrap();
}

#[wasm_bindgen_test]
fn mount_creates_one_host_with_an_open_shadow_root_and_adopted_styles() {
    clean();
    let root = mount::mount_app(&document()).unwrap();
    let host = document().query_selector(mount::HOST_TAG).unwrap().unwrap();
    assert_eq!(host.parent_element().unwrap().tag_name(), "BODY");
    let shadow = host.shadow_root().expect("open shadow root");
    assert_eq!(shadow.mode(), web_sys::ShadowRootMode::Open);
    assert!(shadow.contains(Some(&root)));
    let sheets: js_sys::Array = js_sys::Reflect::get(&shadow, &"adoptedStyleSheets".into())
        .unwrap()
        .unchecked_into();
    // The light part's sheet, then the app's.
    assert_eq!(sheets.length(), 2);
    // Nothing was added to the host document's head.
    assert!(document()
        .query_selector("head style, head link[href*='varco']")
        .unwrap()
        .is_none());
    // A second mount is refused rather than doubling the widget.
    assert!(mount::mount_app(&document()).is_err());
    assert!(mount::mount_first_paint(&document()).is_err());
    clean();
}

#[wasm_bindgen_test]
fn the_app_mounts_beside_the_light_part_and_replaces_only_its_launcher() {
    clean();
    let first = mount::mount_first_paint(&document()).unwrap();
    first.set_inner_html(
        r#"<section class="banner"><button data-action="reject_all">Rifiuta tutti</button></section><button class="reopen">Preferenze cookie</button><button class="launcher">Apri l'assistente</button>"#,
    );
    first
        .query_selector("button.launcher")
        .unwrap()
        .unwrap()
        .unchecked_into::<web_sys::HtmlElement>()
        .focus()
        .unwrap();
    let app = mount::mount_app(&document()).unwrap();
    // One host, both containers in its shadow root, the app's after.
    assert_eq!(
        document()
            .query_selector_all(mount::HOST_TAG)
            .unwrap()
            .length(),
        1
    );
    let shadow = document()
        .query_selector(mount::HOST_TAG)
        .unwrap()
        .unwrap()
        .shadow_root()
        .unwrap();
    assert!(shadow.contains(Some(&app)) && shadow.contains(Some(&first)));
    assert_eq!(
        first.compare_document_position(&app) & web_sys::Node::DOCUMENT_POSITION_FOLLOWING,
        web_sys::Node::DOCUMENT_POSITION_FOLLOWING
    );
    assert!(mount::app_mounted(&document()));
    app.set_inner_html(r#"<button class="launcher">Apri l'assistente</button>"#);
    mount::retire_light_launcher(&document());
    // The light part keeps its banner and its floating button.
    assert!(first.query_selector("section.banner").unwrap().is_some());
    assert!(first.query_selector("button.reopen").unwrap().is_some());
    assert!(first.query_selector("button.launcher").unwrap().is_none());
    // Focus was on the light part's launcher: it is on the app's.
    let focused = shadow.active_element().expect("focus stays in the widget");
    assert!(app.contains(Some(&focused)), "{:?}", focused.outer_html());
    // The light part's container is still found; a second app is refused.
    assert_eq!(mount::first_paint_container(&document()).unwrap(), first);
    assert!(mount::mount_app(&document()).is_err());
    clean();
}

#[wasm_bindgen_test]
fn a_missing_site_is_one_error_naming_data_site() {
    clean();
    let s = script_tag(&[]);
    let errors = boot::read_config(&document(), Some(&s)).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "data-site");
    clean();
}

#[wasm_bindgen_test]
fn a_broken_json_block_names_the_block_and_a_wrong_type_names_the_field() {
    clean();
    let s = script_tag(&[("data-site", "milomb")]);
    config_block("{ not json");
    let errors = boot::read_config(&document(), Some(&s)).unwrap_err();
    assert_eq!(errors[0].field, "#varco-config");
    assert!(errors[0].reason.contains("JSON"));
    clean();

    let s = script_tag(&[("data-site", "milomb")]);
    config_block(
        r#"{"cookie_policy_url": "/c", "categories": [{"id": "analitici", "description": "x", "necessary": "yes"}]}"#,
    );
    let errors = boot::read_config(&document(), Some(&s)).unwrap_err();
    assert!(
        errors[0].field.contains("categories[0].necessary"),
        "{:?}",
        errors
    );
    clean();

    // A text that is neither a string nor an object of strings by
    // language names the field and says what was expected.
    let s = script_tag(&[("data-site", "milomb")]);
    config_block(
        r#"{"cookie_policy_url": "/c", "categories": [{"id": "analitici", "title": ["Statistiche"]}]}"#,
    );
    let errors = boot::read_config(&document(), Some(&s)).unwrap_err();
    assert!(
        errors[0].field.contains("categories[0].title")
            && errors[0]
                .reason
                .contains("a text, or an object of texts by language code"),
        "{:?}",
        errors
    );
    clean();

    // Anything after the object is a mistake too.
    let s = script_tag(&[("data-site", "milomb")]);
    config_block(r#"{"cookie_policy_url": "/c"} {"#);
    let errors = boot::read_config(&document(), Some(&s)).unwrap_err();
    assert_eq!(errors[0].field, "#varco-config");
    assert!(errors[0].reason.contains("JSON"), "{:?}", errors);
    clean();
}

#[wasm_bindgen_test]
fn the_language_follows_html_lang_unless_data_lang_forces_it() {
    clean();
    let html = document().document_element().unwrap();
    html.set_attribute("lang", "en-GB").unwrap();
    let s = script_tag(&[("data-site", "milomb")]);
    assert_eq!(
        boot::read_config(&document(), Some(&s))
            .unwrap()
            .lang
            .code(),
        "en"
    );
    s.set_attribute("data-lang", "it").unwrap();
    assert_eq!(
        boot::read_config(&document(), Some(&s))
            .unwrap()
            .lang
            .code(),
        "it"
    );
    html.set_attribute("lang", "it").unwrap();
    clean();
}

/// Without the light part (it could not start) nothing can be asked or
/// granted: the app says why and mounts nothing.
#[wasm_bindgen_test]
fn without_the_light_part_the_app_says_why_and_mounts_nothing() {
    clean();
    let s = script_tag(&[("data-site", "milomb")]);
    config_block(
        r#"{"cookie_policy_url": "/cookie", "categories": [{"id": "necessari", "necessary": true, "description": "x"}]}"#,
    );
    match boot::boot(Some(s), None, None) {
        Err(boot::NotStarted::Browser(message)) => {
            assert!(
                message.contains("managed scripts stay blocked"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(document()
        .query_selector(mount::HOST_TAG)
        .unwrap()
        .is_none());
    clean();
}
