//! A webmaster edits an entry of the assistant's knowledge base in the
//! console (issue 21, item 3), end to end in headless Chromium: opens it
//! from the list, changes the answer, checks it, tries a question against
//! the draft, publishes it, and a visitor's assistant answers with the new
//! text at once; one step back brings the old text back. No axe
//! violations in the console.

use serde_json::json;
use varco_e2e::live::{add_webmaster, always_open, console_login, wait_in_console, HOME};
use varco_e2e::{ask, wait_in_widget, Chromium, Tab, TestServer};

const QUESTION: &str = "lo spid è gratis?";
const NEW_ANSWER: &str = "Il rilascio di SPID allo sportello della Camera è gratuito.";

async fn no_page_violations(tab: &Tab) {
    let violations = tab.axe_page_violations().await.unwrap();
    assert_eq!(violations, json!([]), "{violations:#}");
}

/// Asks the question again and waits for an answer after it that
/// contains `text` (the transcript holds the earlier answers too).
async fn visitor_is_answered(visitor: &Tab, text: &str) {
    let before: u64 = visitor
        .in_widget("shadow.querySelectorAll('.msg.assistant').length")
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    ask(visitor, QUESTION).await;
    wait_in_widget(
        visitor,
        &format!("[...shadow.querySelectorAll('.msg.assistant')].slice({before}).some(m => m.textContent.includes({text:?}))"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webmaster_edits_an_entry_and_the_assistant_answers_with_it_at_once() {
    let server = TestServer::start_custom(&[], always_open, |_| {})
        .await
        .unwrap();
    add_webmaster(&server, "web", "Redazione web").await;
    let chromium = Chromium::launch().await.unwrap();
    let visitor = chromium.tab().await.unwrap();
    visitor.open(&server.url(HOME)).await.unwrap();
    visitor.press("Rifiuta tutti").await.unwrap();
    visitor
        .press("Apri l'assistente virtuale CamOn")
        .await
        .unwrap();
    visitor.press("Accetto").await.unwrap();
    visitor_is_answered(&visitor, "Le condizioni economiche").await;

    // The webmaster finds the entry with the filter and opens it.
    let web = chromium.tab().await.unwrap();
    console_login(&web, &server, "web").await;
    wait_in_console(&web, "!document.getElementById('view-kb').hidden").await;
    web.eval("document.getElementById('view-kb').click()")
        .await
        .unwrap();
    wait_in_console(
        &web,
        "document.querySelector('#kb-list button.kb-edit[data-id=\"spid-costo\"]')",
    )
    .await;
    web.eval("document.getElementById('kb-filter').focus()")
        .await
        .unwrap();
    web.type_text("spid").await.unwrap();
    wait_in_console(
        &web,
        "!document.querySelector('#kb-list button.kb-edit[data-id=\"registro-imprese-bilancio\"]')?.offsetParent && document.querySelector('#kb-list button.kb-edit[data-id=\"spid-costo\"]')?.offsetParent",
    )
    .await;
    web.eval("document.querySelector('#kb-list button.kb-edit[data-id=\"spid-costo\"]').focus()")
        .await
        .unwrap();
    web.key("Enter").await.unwrap();
    wait_in_console(
        &web,
        "!document.getElementById('kb-editor').hidden && document.getElementById('kb-answer').value.includes('Le condizioni economiche')",
    )
    .await;

    // A new answer, checked, then tried against the draft.
    web.eval(
        "(() => { const a = document.getElementById('kb-answer'); a.focus(); a.select(); })()",
    )
    .await
    .unwrap();
    web.type_text(NEW_ANSWER).await.unwrap();
    wait_in_console(&web, "!document.getElementById('kb-dirty').hidden").await;
    web.eval("document.getElementById('kb-check').click()")
        .await
        .unwrap();
    wait_in_console(
        &web,
        "document.getElementById('kb-problems')?.textContent.includes('Nessun problema')",
    )
    .await;
    web.eval("document.getElementById('kb-try-question').focus()")
        .await
        .unwrap();
    web.type_text(QUESTION).await.unwrap();
    web.key("Enter").await.unwrap();
    wait_in_console(
        &web,
        "document.getElementById('kb-try-result')?.textContent.includes('Risponde la voce che stai modificando') && document.getElementById('kb-try-result').textContent.includes('è gratuito')",
    )
    .await;
    no_page_violations(&web).await;
    web.screenshot("console-kb-edit").await.unwrap();

    // Published: the visitor's next question gets the new text.
    web.eval("document.getElementById('kb-publish').click()")
        .await
        .unwrap();
    wait_in_console(
        &web,
        "document.getElementById('kb-status').textContent.includes('Pubblicata la versione 2') && document.querySelectorAll('#kb-history tbody tr').length === 2",
    )
    .await;
    visitor_is_answered(&visitor, "è gratuito").await;

    // On a narrow screen (or zoomed in) the view reflows into one column.
    web.phone_screen(390, 844).await.unwrap();
    web.eval("document.getElementById('kb-entry-heading').scrollIntoView()")
        .await
        .unwrap();
    let overflow = web
        .eval("document.documentElement.scrollWidth > document.documentElement.clientWidth")
        .await
        .unwrap();
    assert_eq!(
        overflow,
        json!(false),
        "the view scrolls sideways on a phone"
    );
    no_page_violations(&web).await;
    web.screenshot("console-kb-edit-phone").await.unwrap();

    // One step back, confirmed inline: the files' text answers again.
    web.eval("document.getElementById('kb-revert').click()")
        .await
        .unwrap();
    wait_in_console(
        &web,
        "document.getElementById('kb-revert-confirm')?.offsetParent",
    )
    .await;
    no_page_violations(&web).await;
    web.eval("document.getElementById('kb-revert-confirm').click()")
        .await
        .unwrap();
    wait_in_console(
        &web,
        "document.getElementById('kb-status').textContent.includes('Pubblicata di nuovo la versione 1') && document.getElementById('kb-answer').value.includes('Le condizioni economiche')",
    )
    .await;
    visitor_is_answered(&visitor, "Le condizioni economiche").await;
    server.stop().await.unwrap();
}
