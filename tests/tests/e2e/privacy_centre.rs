//! The privacy centre («I tuoi dati»), end to end (issue 17): its download
//! holds the visitor's conversation as the server stores it (masked),
//! fetched with the Thread ID alone, besides what the browser holds; with
//! the server down it holds what the browser has and says so. The centre
//! is used with the keyboard alone (open, download, delete, close) at
//! 1280×800 and 390×844, whole on screen, with 0 axe violations.

use serde_json::{json, Value};
use varco_e2e::{wait_in_widget, Chromium, Tab, TestServer};

const HOME: &str = "/demo-site/milomb/index.html";
const FIRST: &str = "Come richiedo lo SPID? Il mio codice fiscale è RSSMRA85T10A562S";
const FIRST_MASKED: &str = "Come richiedo lo SPID? Il mio codice fiscale è [codice fiscale]";
const SECOND: &str = "quanto costa la firma digitale?";

/// Types `question` into the assistant's text box and sends it with
/// Enter; waits for the answer (the `n`th of the conversation).
async fn ask(tab: &Tab, question: &str, n: usize) {
    tab.in_widget("shadow.getElementById('varco-chat-input').focus()")
        .await
        .unwrap();
    tab.type_text(question).await.unwrap();
    tab.key("Enter").await.unwrap();
    wait_in_widget(
        tab,
        &format!("shadow.querySelectorAll('.messages > .msg.assistant').length >= {n}"),
    )
    .await;
}

/// The file the last download offered, as JSON.
async fn downloaded(tab: &Tab) -> Value {
    tab.wait_for("!!window.__download", 20).await.unwrap();
    let text = tab.eval("window.__download.text()").await.unwrap();
    tab.eval("window.__download = null").await.unwrap();
    serde_json::from_str(text.as_str().unwrap()).unwrap()
}

/// Who said what in a list of stored messages.
fn said(messages: &Value) -> Vec<(String, String)> {
    messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["author"].as_str().unwrap().to_owned(),
                m["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

const CAPTURE_DOWNLOADS: &str =
    "const c0 = URL.createObjectURL; URL.createObjectURL = b => { window.__download = b; return c0(b); };";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_download_holds_the_conversation_as_stored_or_says_it_could_not_be_fetched() {
    let mut server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.before_load(CAPTURE_DOWNLOADS).await.unwrap();
    tab.open(&server.url(HOME)).await.unwrap();
    tab.press("Accetta tutti").await.unwrap();
    tab.press("Apri l'assistente virtuale CamOn").await.unwrap();
    tab.press("Accetto").await.unwrap();
    ask(&tab, FIRST, 1).await;
    ask(&tab, SECOND, 2).await;
    let thread = tab
        .eval("JSON.parse(localStorage.getItem('varco.chat.thread')).thread_id")
        .await
        .unwrap();
    let thread = thread.as_str().unwrap().to_owned();

    tab.press("I tuoi dati").await.unwrap();
    wait_in_widget(&tab, "shadow.querySelector('dialog.privacy[open]')").await;
    tab.clear_requests();
    tab.press("Scarica i miei dati (JSON)").await.unwrap();
    let file = downloaded(&tab).await;
    let copy = &file["conversation_on_server"];
    assert_eq!(copy["thread_id"], thread.as_str(), "{file:#}");
    let said = said(&copy["messages"]);
    assert_eq!(said.len(), 4, "{said:#?}");
    assert_eq!(said[0], ("visitor".into(), FIRST_MASKED.into()));
    assert_eq!(said[2], ("visitor".into(), SECOND.into()));
    for answer in [&said[1], &said[3]] {
        assert_eq!(answer.0, "assistant");
        assert!(answer.1.len() > 40, "an answer: {}", answer.1);
    }
    // The answers as the page showed them.
    let shown = tab
        .in_widget(
            "[...shadow.querySelectorAll('.messages > .msg.assistant')].map(m => m.textContent)",
        )
        .await
        .unwrap();
    let first_words = |text: &str| {
        text.split_whitespace()
            .take(4)
            .collect::<Vec<_>>()
            .join(" ")
            .replace("**", "")
    };
    assert!(
        shown[0]
            .as_str()
            .unwrap()
            .contains(&first_words(&said[1].1))
            && shown[1]
                .as_str()
                .unwrap()
                .contains(&first_words(&said[3].1)),
        "{shown} / {said:#?}"
    );
    assert!(
        !file.to_string().contains("RSSMRA85T10A562S"),
        "the codice fiscale is masked everywhere: {file:#}"
    );
    assert_eq!(file["conversation"]["thread_id"], thread.as_str());
    assert_eq!(file.get("conversation_note"), None);
    wait_in_widget(
        &tab,
        "shadow.querySelector('dialog.privacy .export-status')?.textContent.includes('è stato scaricato')",
    )
    .await;
    // The copy was asked with the Thread ID and nothing else.
    let user = tab
        .eval("JSON.parse(localStorage.getItem('varco.nav') || '{}').user_id || ''")
        .await
        .unwrap();
    let asked: Vec<_> = tab
        .requests()
        .into_iter()
        .filter(|r| r.url.contains("/api/"))
        .collect();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(
        asked[0]
            .url
            .ends_with(&format!("/api/v1/threads/{thread}/messages")),
        "{}",
        asked[0].url
    );
    let user = user.as_str().unwrap();
    assert!(
        user.is_empty() || !asked.iter().any(|r| r.url.contains(user)),
        "{asked:?}"
    );

    // The server is down: the file holds what the browser has, and says
    // the conversation could not be fetched; so does the centre.
    server.halt().await.unwrap();
    tab.press("Scarica i miei dati (JSON)").await.unwrap();
    let file = downloaded(&tab).await;
    assert_eq!(file["conversation_on_server"], Value::Null, "{file:#}");
    assert!(
        file["conversation_note"]
            .as_str()
            .unwrap()
            .contains("Non è stato possibile recuperare dal server"),
        "{file:#}"
    );
    let here = self::said(&file["conversation_in_this_page"]);
    assert!(
        here.contains(&("visitor".into(), FIRST_MASKED.into()))
            && here.contains(&("visitor".into(), SECOND.into()))
            && here.iter().filter(|(who, _)| who == "assistant").count() == 2,
        "{here:#?}"
    );
    assert_eq!(file["conversation"]["thread_id"], thread.as_str());
    assert!(file["cookie_choice"]["accepted"].is_array(), "{file:#}");
    wait_in_widget(
        &tab,
        "shadow.querySelector('dialog.privacy .export-status')?.textContent.includes('Non è stato possibile recuperare')",
    )
    .await;
    server.resume().await.unwrap();
    server.stop().await.unwrap();
}

/// Presses `key` until the focused control is the widget's control named
/// `name`; fails after `max` presses.
async fn key_to(tab: &Tab, key: &str, name: &str, max: usize) {
    for _ in 0..max {
        tab.key(key).await.unwrap();
        let f = tab.focused().await.unwrap();
        if f["inWidget"] == true && f["name"] == name {
            return;
        }
    }
    panic!("{name:?} not reached in {max} presses of {key}");
}

async fn wait_focus_on(tab: &Tab, name: &str) {
    tab.wait_for(
        &format!(
            "(() => {{ let e = document.activeElement; while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
                return !!e && (e.getAttribute('aria-label') || e.textContent || '').trim() === {name:?}; }})()"
        ),
        15,
    )
    .await
    .unwrap_or_else(|e| panic!("focus on {name:?}: {e}"));
}

/// Everything of the widget outside the open modal dialog is inert while
/// it is open (`showModal`): it is marked `inert` (which then changes
/// nothing) for the geometry check, which skips inert controls, and
/// unmarked after.
const MODAL_INERT: &str = "(() => { const d = shadow.querySelector('dialog[open]');
    for (let p = d; p && p.parentElement; p = p.parentElement)
        for (const sib of p.parentElement.children)
            if (sib !== p && !sib.inert) { sib.inert = true; sib.dataset.modalInert = ''; }
    return true; })()";
const MODAL_INERT_END: &str = "(() => { for (const e of shadow.querySelectorAll('[data-modal-inert]')) { e.inert = false; delete e.dataset.modalInert; } return true; })()";

/// The centre whole on screen with 0 axe violations, and a screenshot.
async fn check_centre(tab: &Tab, name: &str) {
    tab.screenshot(&format!("privacy-centre-{name}"))
        .await
        .unwrap();
    tab.in_widget(MODAL_INERT).await.unwrap();
    let problems = tab.widget_geometry_problems().await.unwrap();
    tab.in_widget(MODAL_INERT_END).await.unwrap();
    assert!(problems.is_empty(), "{name}: {problems:#?}");
    let violations = tab.axe_all_violations().await.unwrap();
    assert_eq!(violations, json!([]), "{name}: {violations:#}");
}

/// The whole centre with the keyboard: reached from the assistant's
/// header, the file downloaded with Enter, everything deleted with Space,
/// closed with Escape.
async fn walk_the_centre_with_the_keyboard(tab: &Tab, server: &TestServer, size: &str) {
    tab.open(&server.url(HOME)).await.unwrap();
    key_to(tab, "Tab", "Accetta tutti", 200).await;
    tab.key("Enter").await.unwrap();
    wait_in_widget(tab, "!shadow.querySelector('section.banner')").await;
    key_to(tab, "Tab", "Apri l'assistente virtuale CamOn", 200).await;
    tab.key("Enter").await.unwrap();
    wait_focus_on(tab, "Accetto").await;
    tab.key("Enter").await.unwrap();
    tab.wait_for(
        "document.querySelector('varco-widget').shadowRoot.activeElement?.id === 'varco-chat-input'",
        15,
    )
    .await
    .unwrap();
    tab.type_text(SECOND).await.unwrap();
    tab.key("Enter").await.unwrap();
    wait_in_widget(tab, "shadow.querySelector('.messages > .msg.assistant')").await;

    // From the text box back up to the header's «I tuoi dati».
    tab.in_widget("shadow.getElementById('varco-chat-input').focus()")
        .await
        .unwrap();
    key_to(tab, "Shift+Tab", "I tuoi dati", 40).await;
    tab.key("Enter").await.unwrap();
    wait_in_widget(tab, "shadow.querySelector('dialog.privacy[open]')").await;
    wait_in_widget(
        tab,
        "shadow.querySelector('dialog.privacy[open]').contains(shadow.activeElement)",
    )
    .await;
    check_centre(tab, &format!("{size}-open")).await;

    key_to(tab, "Tab", "Scarica i miei dati (JSON)", 20).await;
    tab.key("Enter").await.unwrap();
    let file = downloaded(tab).await;
    assert!(
        said(&file["conversation_on_server"]["messages"])
            .contains(&("visitor".into(), SECOND.into())),
        "{file:#}"
    );
    wait_in_widget(
        tab,
        "shadow.querySelector('dialog.privacy .export-status')?.textContent.includes('è stato scaricato')",
    )
    .await;
    check_centre(tab, &format!("{size}-downloaded")).await;

    key_to(tab, "Tab", "Cancella tutti i miei dati", 20).await;
    tab.key("Enter").await.unwrap();
    wait_in_widget(tab, "shadow.querySelector('dialog.privacy .confirm')").await;
    key_to(tab, "Tab", "Sì, cancella", 20).await;
    tab.key("Space").await.unwrap();
    wait_in_widget(
        tab,
        "shadow.querySelector('dialog.privacy .done')?.textContent.includes('cancellati')",
    )
    .await;
    check_centre(tab, &format!("{size}-deleted")).await;

    tab.key("Escape").await.unwrap();
    wait_in_widget(tab, "!shadow.querySelector('dialog.privacy[open]')").await;
    tab.wait_for(
        "(() => { const s = document.querySelector('varco-widget').shadowRoot; return !!s.activeElement && s.activeElement !== s.host; })()",
        15,
    )
    .await
    .unwrap_or_else(|e| panic!("focus came back into the widget: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_privacy_centre_is_used_with_the_keyboard_alone_on_a_desktop_and_a_phone() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();

    let desktop = chromium.tab().await.unwrap();
    desktop.before_load(CAPTURE_DOWNLOADS).await.unwrap();
    desktop.zoomed_screen(1280, 800, 1.0).await.unwrap();
    walk_the_centre_with_the_keyboard(&desktop, &server, "1280x800").await;

    let phone = chromium.tab().await.unwrap();
    phone.before_load(CAPTURE_DOWNLOADS).await.unwrap();
    phone.phone_screen(390, 844).await.unwrap();
    walk_the_centre_with_the_keyboard(&phone, &server, "390x844").await;
    server.stop().await.unwrap();
}
