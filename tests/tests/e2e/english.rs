//! An English conversation (issue 21, item 4), end to end in headless
//! Chromium: on the Camera's English page the visitor asks in English and
//! reads an English answer with English link titles; the feedback under
//! it is in English too.

use serde_json::json;
use varco_e2e::{ask, wait_in_widget, Chromium, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_english_visitor_gets_english_answers() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.open(&server.url("/demo-site/milomb/en/index.html"))
        .await
        .unwrap();
    tab.press("Reject all").await.unwrap();
    tab.press("Open the virtual assistant CamOn").await.unwrap();
    tab.press("I accept").await.unwrap();
    ask(&tab, "how much does SPID cost?").await;
    wait_in_widget(&tab, "shadow.querySelector('.msg.assistant .msg-links')").await;
    let answer = tab
        .in_widget("[...shadow.querySelectorAll('.msg.assistant')].pop().textContent")
        .await
        .unwrap();
    let answer = answer.as_str().unwrap();
    assert!(answer.contains("The cost of issuing SPID"), "{answer}");
    assert!(answer.contains("SPID (in Italian)"), "{answer}");
    assert!(!answer.contains("only available in Italian"), "{answer}");
    assert!(answer.contains("Was this answer helpful?"), "{answer}");
    let violations = tab.axe_violations().await.unwrap();
    assert_eq!(violations, json!([]), "{violations:#}");
    tab.screenshot("assistant-english-answer").await.unwrap();
    server.stop().await.unwrap();
}
