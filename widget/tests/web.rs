//! The widget's components in a real browser (headless Chromium through
//! chromedriver): `cargo xtask test` runs them with wasm-bindgen-test-runner.

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

/// The first element of the widget's shadow root matching `selector`, once
/// the app has rendered it: the app renders in several tasks (shell, panels,
/// assistant), so no fixed wait is enough on a loaded machine. Gives up
/// after ten seconds.
async fn rendered(selector: &str) -> Option<Element> {
    for _ in 0..500 {
        let found = document()
            .query_selector("varco-widget")
            .ok()
            .flatten()
            .and_then(|host| host.shadow_root())
            .and_then(|shadow| shadow.query_selector(selector).ok().flatten());
        if found.is_some() {
            return found;
        }
        next_frame().await;
    }
    None
}

async fn next_frame() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 30)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
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
fn the_app_takes_over_the_first_paints_host_and_keeps_the_visitors_place() {
    clean();
    let first = mount::mount_first_paint(&document()).unwrap();
    first.set_inner_html(
        r#"<section class="banner"><button data-action="reject_all">Rifiuta tutti</button></section>"#,
    );
    first
        .query_selector("button")
        .unwrap()
        .unwrap()
        .unchecked_into::<web_sys::HtmlElement>()
        .focus()
        .unwrap();
    let app = mount::mount_app(&document()).unwrap();
    // One host, both containers in its shadow root, until the app retires
    // the first paint.
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
    app.set_inner_html(
        r#"<section class="banner"><button data-action="accept_all">Accetta tutti</button><button data-action="reject_all">Rifiuta tutti</button></section>"#,
    );
    mount::retire_first_paint(&document(), true);
    assert!(!shadow.contains(Some(&first)));
    let focused = shadow.active_element().expect("focus stays in the widget");
    assert_eq!(
        focused.get_attribute("data-action").as_deref(),
        Some("reject_all")
    );
    assert!(app.contains(Some(&focused)));
    // A second app is refused.
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

#[wasm_bindgen_test]
async fn the_app_renders_the_banner_with_its_four_controls() {
    clean();
    document()
        .document_element()
        .unwrap()
        .set_attribute("lang", "it")
        .unwrap();
    let s = script_tag(&[("data-site", "milomb")]);
    config_block(
        r#"{"cookie_policy_url": "/cookie", "categories": [
        {"id": "necessari", "necessary": true, "description": "x"},
        {"id": "analitici", "title": "Statistiche", "description": "y"}]}"#,
    );
    boot::boot(Some(s), None, boot::Handover::default()).unwrap();
    let region = rendered("[role=region]").await.expect("banner region");
    let shadow = document()
        .query_selector("varco-widget")
        .unwrap()
        .unwrap()
        .shadow_root()
        .unwrap();
    let label_id = region
        .get_attribute("aria-labelledby")
        .expect("the region is named by its title");
    assert!(shadow.get_element_by_id(&label_id).is_some());
    let names: Vec<String> = {
        let list = shadow.query_selector_all("button").unwrap();
        (0..list.length())
            .map(|i| {
                let b: Element = list.item(i).unwrap().unchecked_into();
                b.get_attribute("aria-label")
                    .unwrap_or_else(|| b.text_content().unwrap_or_default())
            })
            .collect()
    };
    for expected in [
        "Chiudi e continua senza accettare",
        "Accetta tutti",
        "Rifiuta tutti",
        "Personalizza",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not in {names:?}"
        );
    }
    assert!(
        region.text_content().unwrap().contains("statistiche"),
        "purposes come from the categories"
    );
    // No style attribute anywhere in the widget (strict CSP).
    assert!(shadow.query_selector("[style]").unwrap().is_none());
    clean();
}
