//! The desk agenda in the operator console, in headless Chromium (issue
//! 20): a desk operator logs in, opens the agenda, finds the day's
//! booking, cancels it with a reason by keyboard alone, and the visitor
//! receives the e-mail (a real SMTP server); 0 axe violations.

use serde_json::{json, Value};
use varco_e2e::smtp::Smtp;
use varco_e2e::{book_first_free, Chromium, Tab, TestServer};
use varco_server::storage::{Operator, Storage};

const PASSWORD: &str = "una-password-lunga";

async fn wait_in_console(tab: &Tab, condition: &str) {
    tab.wait_for(&format!("!!({condition})"), 20)
        .await
        .unwrap_or_else(|e| panic!("{condition}: {e}"));
}

/// Presses Tab until the focused element's accessible name starts with
/// `name`.
async fn tab_to(tab: &Tab, name: &str) {
    for _ in 0..60 {
        tab.key("Tab").await.unwrap();
        let focused = tab.focused().await.unwrap();
        if focused["name"]
            .as_str()
            .is_some_and(|n| n.trim().starts_with(name))
        {
            return;
        }
    }
    panic!("Tab never reached {name:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_operator_cancels_a_booking_from_the_agenda_with_the_keyboard_and_the_visitor_is_told(
) {
    let smtp = Smtp::start().await;
    let server = TestServer::start_mailing(smtp.port).await.unwrap();
    let storage = Storage::open(&server.database).await.unwrap();
    let hash = varco_server::operator::hash_password(PASSWORD).unwrap();
    let operator = Operator {
        username: "sportello".into(),
        display_name: "Sportello Milano".into(),
        sites: vec!["milomb".into()],
        desk: true,
        office: None,
        webmaster: false,
    };
    storage
        .upsert_operator(&operator, &hash, "2026-11-23T09:00:00.000Z")
        .await
        .unwrap();
    storage.close().await;

    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();

    // A visitor's booking, as the assistant makes it.
    let (booked, date) = book_first_free(
        &tab,
        &server,
        "Paolo",
        "Esposito",
        "paolo.esposito@example.it",
    )
    .await;
    let code = booked["code"].as_str().unwrap().to_owned();
    smtp.wait_for(1).await;

    // Log in.
    tab.goto(&server.url("/operator")).await.unwrap();
    wait_in_console(
        &tab,
        "!document.getElementById('login-screen').hidden && document.activeElement?.id === 'username'",
    )
    .await;
    tab.type_text("sportello").await.unwrap();
    tab.eval("document.getElementById('password').focus()")
        .await
        .unwrap();
    tab.type_text(PASSWORD).await.unwrap();
    tab.key("Enter").await.unwrap();
    wait_in_console(&tab, "!document.getElementById('views').hidden").await;

    // The agenda, by keyboard: the view, then the booking's day.
    tab_to(&tab, "Agenda degli sportelli").await;
    tab.key("Enter").await.unwrap();
    wait_in_console(&tab, "document.activeElement?.id === 'agenda-heading'").await;
    tab.eval(&format!(
        "(() => {{ const d = document.getElementById('agenda-date'); d.value = {date:?}; d.dispatchEvent(new Event('change')); }})()"
    ))
    .await
    .unwrap();
    tab_to(&tab, "Mostra").await;
    tab.key("Enter").await.unwrap();
    wait_in_console(
        &tab,
        &format!("document.querySelector('tr[data-code={code:?}]')"),
    )
    .await;
    let row = tab
        .eval(&format!(
            "document.querySelector('tr[data-code={code:?}]').innerText"
        ))
        .await
        .unwrap();
    let row = row.as_str().unwrap();
    assert!(
        row.contains("Paolo Esposito") && row.contains("Identità digitale SPID"),
        "{row}"
    );
    let violations = tab.axe_page_violations().await.unwrap();
    assert_eq!(violations, json!([]), "{violations:#}");
    tab.screenshot("console-agenda").await.unwrap();

    // Cancel with a reason; an empty reason is refused first.
    tab_to(&tab, "Annulla la prenotazione di Paolo Esposito, ").await;
    let name = tab.focused().await.unwrap();
    assert!(name["name"]
        .as_str()
        .unwrap()
        .starts_with("Annulla la prenotazione di Paolo Esposito"));
    tab.key("Enter").await.unwrap();
    wait_in_console(&tab, "document.activeElement?.tagName === 'TEXTAREA'").await;
    tab_to(&tab, "Conferma annullamento").await;
    tab.key("Enter").await.unwrap();
    wait_in_console(
        &tab,
        "document.activeElement?.getAttribute('aria-invalid') === 'true'",
    )
    .await;
    tab.type_text("La sede resta chiusa per lavori urgenti")
        .await
        .unwrap();
    tab_to(&tab, "Conferma annullamento").await;
    tab.key("Enter").await.unwrap();
    wait_in_console(
        &tab,
        &format!("document.querySelector('tr[data-code={code:?}] .status-cancelled')"),
    )
    .await;
    let status = tab
        .eval("document.getElementById('agenda-status').textContent")
        .await
        .unwrap();
    assert!(
        status.as_str().unwrap().contains("riceve un'e-mail"),
        "{status}"
    );
    let violations = tab.axe_page_violations().await.unwrap();
    assert_eq!(violations, Value::Array(vec![]), "{violations:#}");

    let mail = smtp.wait_for(2).await.remove(1);
    assert!(
        mail.subject.starts_with("Prenotazione annullata:"),
        "{}",
        mail.subject
    );
    assert!(mail
        .text
        .contains("Motivo: La sede resta chiusa per lavori urgenti"));
    // On a phone the agenda stacks each booking's cells: nothing runs off
    // the screen sideways.
    tab.phone_screen(390, 844).await.unwrap();
    tab.screenshot("console-agenda-phone").await.unwrap();
    assert_eq!(
        tab.eval("document.documentElement.scrollWidth <= window.innerWidth")
            .await
            .unwrap(),
        Value::Bool(true),
        "the agenda overflows a phone's width"
    );

    // The history of closed conversations, the third view: none yet.
    tab.eval("document.getElementById('view-history').focus()")
        .await
        .unwrap();
    tab.key("Enter").await.unwrap();
    wait_in_console(&tab, "document.activeElement?.id === 'history-heading'").await;
    wait_in_console(
        &tab,
        "document.getElementById('history-status').textContent === 'Nessuna conversazione chiusa.'",
    )
    .await;
    assert_eq!(
        tab.eval("[document.getElementById('agenda-view').hidden, document.getElementById('chat-view').hidden]")
            .await
            .unwrap(),
        json!([true, true])
    );
    let violations = tab.axe_page_violations().await.unwrap();
    assert_eq!(violations, json!([]), "{violations:#}");

    // The console asks for a session before the login: that 401 is expected.
    let errors: Vec<_> = tab
        .errors_but_favicon()
        .into_iter()
        .filter(|line| {
            !line.text.contains("401 (Unauthorized)")
                || !line.text.ends_with("/operator/api/session")
        })
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    tab.close().await;
    server.stop().await.unwrap();
}
