//! When nobody answers live, and passing a conversation on (issue 20), end
//! to end in headless Chromium with a browser context per person: an
//! operator on a break gets no visitors, so the visitor leaves a message
//! in the assistant's panel, which the operator answers from the console's
//! inbox and a real SMTP server receives; an operator passes a
//! conversation to a colleague with a note, and the visitor is told who
//! answers now. Keyboard only where people type, 0 axe violations.

use serde_json::{json, Value};
use varco_e2e::live::{
    add_operators, always_open, console_login, operator_takes_first, visitor_asks_for_a_person,
    wait_in_console,
};
use varco_e2e::smtp::Smtp;
use varco_e2e::{wait_in_widget, Chromium, Tab, TestServer};

async fn no_widget_violations(tab: &Tab) {
    let violations = tab.axe_violations().await.unwrap();
    assert_eq!(violations, json!([]), "{violations:#}");
}

async fn no_page_violations(tab: &Tab) {
    let violations = tab.axe_page_violations().await.unwrap();
    assert_eq!(violations, json!([]), "{violations:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_on_a_break_gets_no_visitors_who_leave_a_message_answered_by_email() {
    let smtp = Smtp::start().await;
    let server = TestServer::start_mailing_with(smtp.port, always_open)
        .await
        .unwrap();
    add_operators(&server, &[("giulia", "Giulia", None)]).await;
    let chromium = Chromium::launch().await.unwrap();
    let visitor = chromium.tab().await.unwrap();
    let console = chromium.tab().await.unwrap();

    // The operator logs in, then goes on a break with the keyboard.
    console_login(&console, &server, "giulia").await;
    assert_eq!(
        console
            .eval("document.getElementById('presence').value")
            .await
            .unwrap(),
        "online"
    );
    console
        .eval("document.getElementById('presence').focus()")
        .await
        .unwrap();
    console.key("ArrowDown").await.unwrap();
    wait_in_console(
        &console,
        "document.getElementById('presence-status').textContent.includes('in pausa')",
    )
    .await;

    // Nobody online: the visitor is offered to leave a message.
    visitor_asks_for_a_person(&visitor, &server).await;
    wait_in_widget(&visitor, "shadow.querySelector('form.leave-message')").await;
    let offer = visitor
        .in_widget("[...shadow.querySelectorAll('.msg.system')].map(m => m.textContent).join(' ')")
        .await
        .unwrap();
    assert!(
        offer
            .as_str()
            .unwrap()
            .contains("nessun operatore è collegato"),
        "{offer}"
    );
    no_widget_violations(&visitor).await;
    visitor.screenshot("office-leave-message").await.unwrap();

    // Sent empty: the first field with a problem has focus and says it.
    visitor
        .in_widget("shadow.querySelector('form.leave-message button[type=submit]').click()")
        .await
        .unwrap();
    wait_in_widget(
        &visitor,
        "shadow.activeElement?.id === 'varco-leave-text' && shadow.activeElement.getAttribute('aria-invalid') === 'true'",
    )
    .await;
    no_widget_violations(&visitor).await;
    visitor
        .type_text("Devo rinnovare la firma digitale, codice fiscale RSSMRA80A01F205X")
        .await
        .unwrap();
    visitor.key("Tab").await.unwrap();
    visitor.type_text("maria.rossi@example.it").await.unwrap();
    visitor.key("Tab").await.unwrap();
    visitor.key("Space").await.unwrap();
    assert_eq!(
        visitor
            .in_widget("shadow.getElementById('varco-leave-consent').checked")
            .await
            .unwrap(),
        true
    );
    visitor.press("Invia il messaggio").await.unwrap();
    wait_in_widget(
        &visitor,
        "[...shadow.querySelectorAll('.msg.system')].some(m => m.textContent.includes('Abbiamo ricevuto il tuo messaggio')) && !shadow.querySelector('form.leave-message')",
    )
    .await;

    // The console's inbox has it, masked, with the address to answer.
    wait_in_console(
        &console,
        "document.getElementById('view-inbox').textContent.includes('(1)')",
    )
    .await;
    console
        .eval("document.getElementById('view-inbox').click()")
        .await
        .unwrap();
    wait_in_console(
        &console,
        "document.querySelector('#inbox-list li[data-state=unanswered]')",
    )
    .await;
    let item = console
        .eval("document.querySelector('#inbox-list li[data-state=unanswered]').textContent")
        .await
        .unwrap();
    let item = item.as_str().unwrap();
    assert!(item.contains("Devo rinnovare la firma digitale"), "{item}");
    assert!(item.contains("maria.rossi@example.it"), "{item}");
    assert!(!item.contains("RSSMRA80A01F205X"), "{item}");
    no_page_violations(&console).await;
    console.screenshot("office-console-inbox").await.unwrap();
    let id = console
        .eval("document.querySelector('#inbox-list li[data-state=unanswered]').dataset.messageId")
        .await
        .unwrap();
    let id = id.as_str().unwrap().to_owned();
    console
        .eval(&format!(
            "document.getElementById('inbox-answer-{id}').focus()"
        ))
        .await
        .unwrap();
    console
        .type_text("Buongiorno, può rinnovarla online dal sito della Camera.")
        .await
        .unwrap();
    console
        .eval(&format!(
            "document.getElementById('inbox-send-{id}').click()"
        ))
        .await
        .unwrap();
    wait_in_console(
        &console,
        "document.getElementById('inbox-status').textContent.includes('Risposta inviata a maria.rossi@example.it')",
    )
    .await;
    wait_in_console(
        &console,
        "document.querySelector('#inbox-list li[data-state=answered]')",
    )
    .await;
    no_page_violations(&console).await;

    let mail = smtp.wait_for(1).await.remove(0);
    assert_eq!(mail.to, "maria.rossi@example.it");
    assert!(mail.text.contains("può rinnovarla online"), "{}", mail.text);
    assert!(!mail.text.contains("RSSMRA80A01F205X"), "{}", mail.text);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_passes_a_conversation_to_a_colleague_with_a_note() {
    let server = TestServer::start_custom(&[], always_open, |_| {})
        .await
        .unwrap();
    add_operators(
        &server,
        &[
            ("giulia", "Giulia", None),
            ("marco", "Marco", Some("Registro imprese")),
        ],
    )
    .await;
    let chromium = Chromium::launch().await.unwrap();
    let visitor = chromium.tab().await.unwrap();
    let giulia = chromium.tab().await.unwrap();
    let marco = chromium.tab().await.unwrap();
    console_login(&giulia, &server, "giulia").await;
    console_login(&marco, &server, "marco").await;

    visitor_asks_for_a_person(&visitor, &server).await;
    operator_takes_first(&giulia, &visitor, "Giulia").await;

    // «Trasferisci»: an inline form with the colleagues and the offices.
    giulia
        .eval("document.getElementById('transfer-open').focus()")
        .await
        .unwrap();
    wait_in_console(&giulia, "document.activeElement?.id === 'transfer-open'").await;
    giulia.key("Enter").await.unwrap();
    wait_in_console(
        &giulia,
        "document.querySelector('#transfer-form input[value=\"operator:marco\"]') && document.activeElement?.name === 'transfer-target'",
    )
    .await;
    no_page_violations(&giulia).await;
    giulia.screenshot("office-console-transfer").await.unwrap();
    // Escape closes it and gives focus back to the button.
    giulia.key("Escape").await.unwrap();
    wait_in_console(
        &giulia,
        "document.getElementById('transfer-form').hidden && document.activeElement?.id === 'transfer-open'",
    )
    .await;
    giulia.key("Enter").await.unwrap();
    wait_in_console(
        &giulia,
        "document.querySelector('#transfer-form input[value=\"operator:marco\"]')",
    )
    .await;
    giulia
        .eval("(() => { const r = document.querySelector('#transfer-form input[value=\"operator:marco\"]'); r.focus(); r.click(); document.getElementById('transfer-note').focus(); })()")
        .await
        .unwrap();
    giulia
        .type_text("Chiede della visura camerale")
        .await
        .unwrap();
    giulia
        .eval("document.getElementById('transfer-submit').click()")
        .await
        .unwrap();
    wait_in_console(
        &giulia,
        "document.getElementById('conversation-status')?.textContent.includes('Marco')",
    )
    .await;

    // The visitor is told; Marco has it, with the note, and answers.
    wait_in_widget(
        &visitor,
        "[...shadow.querySelectorAll('.msg.system')].some(m => m.textContent.includes('passata a Marco'))",
    )
    .await;
    wait_in_console(
        &marco,
        "[...document.querySelectorAll('#active-list li')].some(li => li.textContent.includes('Nota di giulia: Chiede della visura camerale'))",
    )
    .await;
    let list: Value = marco
        .eval("[...document.querySelectorAll('#active-list li[data-thread-id] button')].map(b => b.textContent)")
        .await
        .unwrap();
    assert!(!list.as_array().unwrap().is_empty(), "{list}");
    marco
        .eval("document.querySelector('#active-list li[data-thread-id] button').click()")
        .await
        .unwrap();
    wait_in_console(
        &marco,
        "document.getElementById('conversation-note')?.textContent.includes('Chiede della visura camerale') && !document.getElementById('reply').disabled",
    )
    .await;
    marco
        .eval("document.getElementById('reply').focus()")
        .await
        .unwrap();
    marco
        .type_text("Buongiorno, sono Marco del Registro imprese.")
        .await
        .unwrap();
    marco.key("Enter").await.unwrap();
    wait_in_widget(
        &visitor,
        "[...shadow.querySelectorAll('.msg')].some(m => m.textContent.includes('sono Marco del Registro imprese'))",
    )
    .await;
    no_page_violations(&marco).await;
    server.stop().await.unwrap();
}
