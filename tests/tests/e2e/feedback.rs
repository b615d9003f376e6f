//! Visitors' satisfaction and the webmaster's reports (issue 21), end to
//! end in headless Chromium: a visitor says an answer did not help and
//! why, then rates the live chat an operator closed, with the keyboard;
//! the site's webmaster opens «Rapporti» in the console and reads those
//! numbers. No axe violations in the widget or the console.

use serde_json::json;
use varco_e2e::live::{
    add_operators, add_webmaster, always_open, console_login, operator_takes_first, visitor_says,
    wait_in_console, HOME,
};
use varco_e2e::{ask, wait_in_widget, Chromium, Tab, TestServer};

/// giulia answers live for the URP; web keeps the site's pages and reads
/// its reports.
async fn add_people(server: &TestServer) {
    add_operators(server, &[("giulia", "Giulia", Some("URP"))]).await;
    add_webmaster(server, "web", "Redazione web").await;
}

async fn no_violations(tab: &Tab, page: bool) {
    let violations = if page {
        tab.axe_page_violations().await.unwrap()
    } else {
        tab.axe_violations().await.unwrap()
    };
    assert_eq!(violations, json!([]), "{violations:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitors_feedback_reaches_the_webmasters_report() {
    let server = TestServer::start_custom(&[], always_open, |_| {})
        .await
        .unwrap();
    add_people(&server).await;
    let chromium = Chromium::launch().await.unwrap();
    let visitor = chromium.tab().await.unwrap();

    // An answer, said not to help, with a reason and a comment.
    visitor.open(&server.url(HOME)).await.unwrap();
    visitor.press("Rifiuta tutti").await.unwrap();
    visitor
        .press("Apri l'assistente virtuale CamOn")
        .await
        .unwrap();
    visitor.press("Accetto").await.unwrap();
    ask(&visitor, "Come faccio ad avere lo SPID?").await;
    wait_in_widget(&visitor, "shadow.querySelector('.msg.assistant .feedback')").await;
    no_violations(&visitor, false).await;
    visitor.screenshot("feedback-question").await.unwrap();
    // On a phone the two answers stay on one line, side by side.
    visitor.phone_screen(360, 740).await.unwrap();
    wait_in_widget(
        &visitor,
        "(() => { const [yes, no] = shadow.querySelectorAll('.msg.assistant .feedback-answers button'); \
           const a = yes.getBoundingClientRect(), b = no.getBoundingClientRect(); \
           return innerWidth === 360 && a.top === b.top && a.right < b.left; })()",
    )
    .await;
    visitor.screenshot("feedback-question-phone").await.unwrap();
    visitor.window_screen().await.unwrap();
    visitor.press("No").await.unwrap();
    wait_in_widget(
        &visitor,
        "shadow.querySelector('form.feedback.why fieldset')",
    )
    .await;
    // The pressed button is gone: focus is on the first reason, not lost.
    wait_in_widget(&visitor, "shadow.activeElement?.value === 'off_topic'").await;
    visitor
        .in_widget("shadow.querySelector('form.feedback.why input[value=unclear]').focus()")
        .await
        .unwrap();
    visitor.key("Space").await.unwrap();
    visitor
        .in_widget("shadow.querySelector('form.feedback.why textarea').focus()")
        .await
        .unwrap();
    visitor.type_text("troppo lunga").await.unwrap();
    no_violations(&visitor, false).await;
    visitor.screenshot("feedback-why").await.unwrap();
    visitor
        .in_widget("shadow.querySelector('form.feedback.why button[type=submit]').click()")
        .await
        .unwrap();
    wait_in_widget(
        &visitor,
        "shadow.querySelector('.msg.assistant .feedback.done')?.textContent.includes('Grazie')",
    )
    .await;

    // A live chat, closed by the operator, rated 4 of 5 with the keyboard.
    visitor_says(&visitor, "Voglio parlare con una persona").await;
    wait_in_widget(
        &visitor,
        "shadow.querySelector('.msg.assistant .handoff-start')",
    )
    .await;
    visitor
        .in_widget("shadow.querySelector('.msg.assistant .handoff-start').click()")
        .await
        .unwrap();
    let console = chromium.tab().await.unwrap();
    console_login(&console, &server, "giulia").await;
    operator_takes_first(&console, &visitor, "Giulia").await;
    console
        .eval("document.getElementById('close-conversation').click()")
        .await
        .unwrap();
    wait_in_console(
        &console,
        "document.getElementById('close-confirm')?.offsetParent",
    )
    .await;
    console
        .eval("document.getElementById('close-confirm').click()")
        .await
        .unwrap();
    wait_in_widget(&visitor, "shadow.querySelector('form.feedback.rating')").await;
    visitor
        .in_widget("shadow.getElementById('varco-rate-live-1').focus()")
        .await
        .unwrap();
    for _ in 0..3 {
        visitor.key("ArrowDown").await.unwrap();
    }
    assert_eq!(
        visitor
            .in_widget("shadow.querySelector('form.feedback.rating input:checked')?.value")
            .await
            .unwrap(),
        "4"
    );
    no_violations(&visitor, false).await;
    visitor
        .screenshot("feedback-live-chat-rating")
        .await
        .unwrap();
    visitor
        .in_widget("shadow.querySelector('form.feedback.rating button[type=submit]').click()")
        .await
        .unwrap();
    wait_in_widget(
        &visitor,
        "shadow.querySelector('.feedback.done')?.textContent.includes('Grazie')",
    )
    .await;

    // The webmaster's report holds what the visitor did.
    let web = chromium.tab().await.unwrap();
    console_login(&web, &server, "web").await;
    wait_in_console(&web, "!document.getElementById('view-reports').hidden").await;
    web.eval("document.getElementById('view-reports').click()")
        .await
        .unwrap();
    wait_in_console(&web, "document.getElementById('reports-topics-heading')").await;
    let section = |key: &str| {
        format!("document.getElementById('reports-{key}-heading').closest('section').textContent")
    };
    let topics = web.eval(&section("topics")).await.unwrap();
    let topics = topics.as_str().unwrap();
    assert!(topics.contains("SPID"), "{topics}");
    let row = web
        .eval("[...[...document.querySelectorAll('#reports-view table')].find(t => t.caption?.textContent.includes('argomento'))?.querySelectorAll('tbody tr') ?? []].map(r => r.textContent).find(t => t.includes('SPID'))")
        .await
        .unwrap();
    assert!(row.as_str().unwrap_or("").contains("SPID"), "{row}");
    let reasons = web.eval(&section("reasons")).await.unwrap();
    assert!(
        reasons.as_str().unwrap().contains("Non è chiara"),
        "{reasons}"
    );
    let live = web.eval(&section("live-chat")).await.unwrap();
    assert!(live.as_str().unwrap().contains("URP"), "{live}");
    let satisfaction = web.eval(&section("satisfaction")).await.unwrap();
    let satisfaction = satisfaction.as_str().unwrap();
    assert!(satisfaction.contains("troppo lunga"), "{satisfaction}");
    assert!(satisfaction.contains("4"), "{satisfaction}");
    let consents = web.eval(&section("consents")).await.unwrap();
    assert!(
        consents.as_str().unwrap().contains("Rifiuta tutti"),
        "{consents}"
    );
    no_violations(&web, true).await;
    web.screenshot("console-reports").await.unwrap();
    // Its numbers, as the server counts them, are what happened.
    let report = web
        .eval("fetch('/operator/api/reports?site=milomb').then(r => r.json())")
        .await
        .unwrap();
    let spid = report["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["topic"] == "spid")
        .cloned()
        .unwrap();
    assert_eq!(
        (spid["helped"].clone(), spid["not_helped"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(report["reasons"][0]["reason"], "unclear");
    assert_eq!(report["live_chat"]["taken"], 1);
    assert_eq!(report["ratings"][0]["by_rating"], json!([0, 0, 0, 1, 0]));
    assert_eq!(report["consents"]["actions"]["reject_all"], 1);
    server.stop().await.unwrap();
}
