//! The booking e-mail's link, end to end (issue 20): the confirmation
//! received by a real SMTP server, its link opened in headless Chromium,
//! the booking moved to another time and then cancelled with the keyboard
//! alone, each page with 0 axe violations, each change e-mailed.

use serde_json::Value;
use std::time::Duration;
use varco_e2e::smtp::{Received, Smtp};
use varco_e2e::{book_first_free, Chromium, Tab, TestServer};

fn link_of(mail: &Received, server: &TestServer) -> String {
    mail.link(&server.url("/appointments/manage?token="))
        .unwrap_or_else(|| panic!("no link in {}", mail.text))
}

/// Presses Tab until the focused element is named `name` (at most 15).
async fn tab_to(tab: &Tab, name: &str) {
    for _ in 0..15 {
        tab.key("Tab").await.unwrap();
        let focused = tab.focused().await.unwrap();
        if focused["name"].as_str().map(str::trim) == Some(name) {
            return;
        }
    }
    panic!("Tab never reached {name:?}");
}

async fn heading(tab: &Tab) -> String {
    tab.eval("document.querySelector('h1')?.textContent ?? ''")
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

async fn wait_heading(tab: &Tab, text: &str) {
    tab.wait_for(
        &format!("document.readyState === 'complete' && document.querySelector('h1')?.textContent === {text:?}"),
        10,
    )
    .await
    .unwrap();
}

async fn no_axe_violations(tab: &Tab, page: &str) {
    let violations = tab.axe_page_violations().await.unwrap();
    assert_eq!(violations, Value::Array(vec![]), "{page}: {violations:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emails_link_moves_then_cancels_the_booking_with_the_keyboard_alone() {
    let smtp = Smtp::start().await;
    let server = TestServer::start_mailing(smtp.port).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    let (booked, _) = book_first_free(
        &tab,
        &server,
        "Giulia",
        "Bianchi",
        "giulia.bianchi@example.it",
    )
    .await;
    let code = booked["code"].as_str().unwrap().to_owned();

    let confirmation = smtp.wait_for(1).await.remove(0);
    assert!(confirmation.text.contains(&code));
    let link = link_of(&confirmation, &server);

    // The booking, from the link.
    tab.goto(&link).await.unwrap();
    wait_heading(&tab, "La tua prenotazione").await;
    let shown = tab
        .eval("document.querySelector('dl.details').innerText")
        .await
        .unwrap();
    let shown = shown.as_str().unwrap();
    assert!(shown.contains(&code), "{shown}");
    assert!(shown.contains("Identità digitale SPID"), "{shown}");
    no_axe_violations(&tab, "the booking").await;
    tab.screenshot("manage-booking").await.unwrap();

    // Move: to the move page, the first time offered, confirm.
    tab_to(&tab, "Sposta l'appuntamento").await;
    tab.key("Enter").await.unwrap();
    wait_heading(&tab, "Sposta l'appuntamento").await;
    no_axe_violations(&tab, "moving").await;
    tab.phone_screen(390, 844).await.unwrap();
    tab.screenshot("manage-booking-move-phone").await.unwrap();
    let first = tab
        .eval("document.querySelector('input[name=slot]').value")
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    // Into the group of times (its first), chosen with Space.
    for _ in 0..15 {
        tab.key("Tab").await.unwrap();
        if tab
            .eval("document.activeElement?.name === 'slot'")
            .await
            .unwrap()
            == Value::Bool(true)
        {
            break;
        }
    }
    tab.key("Space").await.unwrap();
    assert_eq!(
        tab.eval("document.querySelector('input[name=slot]:checked')?.value ?? null")
            .await
            .unwrap(),
        Value::from(first.clone())
    );
    tab_to(&tab, "Conferma il nuovo orario").await;
    tab.key("Enter").await.unwrap();
    wait_heading(&tab, "La tua prenotazione").await;
    let status = tab
        .eval("document.querySelector('[role=status]')?.textContent ?? ''")
        .await
        .unwrap();
    assert!(status.as_str().unwrap().contains("spostato"), "{status}");
    let (_, new_start) = first.split_once('T').unwrap();
    let shown = tab
        .eval("document.querySelector('dl.details').innerText")
        .await
        .unwrap();
    assert!(shown.as_str().unwrap().contains(new_start), "{shown}");
    let moved = smtp.wait_for(2).await.remove(1);
    assert!(
        moved.subject.starts_with("Prenotazione spostata:"),
        "{}",
        moved.subject
    );
    assert!(
        moved.text.contains(&format!("Orario: {new_start}")),
        "{}",
        moved.text
    );

    // Cancel: asked, then confirmed.
    tab_to(&tab, "Annulla la prenotazione").await;
    tab.key("Enter").await.unwrap();
    wait_heading(&tab, "Annulla la prenotazione").await;
    no_axe_violations(&tab, "cancelling").await;
    tab_to(&tab, "Sì, annulla la prenotazione").await;
    tab.key("Enter").await.unwrap();
    wait_heading(&tab, "La tua prenotazione").await;
    let status = tab
        .eval("document.querySelector('[role=status]')?.textContent ?? ''")
        .await
        .unwrap();
    assert!(status.as_str().unwrap().contains("annullata"), "{status}");
    assert_eq!(
        tab.eval("!!document.querySelector('a[href*=\"manage/cancel\"]')")
            .await
            .unwrap(),
        Value::Bool(false),
        "nothing left to cancel"
    );
    no_axe_violations(&tab, "cancelled").await;
    let cancelled = smtp.wait_for(3).await.remove(2);
    assert!(
        cancelled.subject.starts_with("Prenotazione annullata:"),
        "{}",
        cancelled.subject
    );

    // The old link (before the move) still shows the booking, cancelled:
    // the code is the booking's, not the slot's.
    tab.goto(&link).await.unwrap();
    wait_heading(&tab, "La tua prenotazione").await;
    assert!(heading(&tab).await.contains("prenotazione"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(smtp.received().len(), 3);
    assert!(
        tab.errors_but_favicon().is_empty(),
        "{:?}",
        tab.errors_but_favicon()
    );
    tab.close().await;
    drop(chromium);
    server.stop().await.unwrap();
}
