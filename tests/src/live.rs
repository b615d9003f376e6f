//! What the live-chat tests share: the Camera's server with a desk that
//! answers around the clock (a test must not depend on the hour it runs
//! at) and operators; a visitor who asks the assistant for a person; an
//! operator who logs in to the console.

use crate::{wait_in_widget, Tab, TestServer};
use varco_server::config::hours::HoursConfig;
use varco_server::config::Config;
use varco_server::storage::{Operator, Storage};

pub const HOME: &str = "/demo-site/milomb/index.html";
pub const PASSWORD: &str = "una-password-lunga";

/// The live chat's desk open every hour of every day.
pub fn always_open(config: &mut Config) {
    for site in &mut config.sites {
        if let Some(live) = site.live_chat.as_mut() {
            live.hours = vec![HoursConfig {
                days: ["lun", "mar", "mer", "gio", "ven", "sab", "dom"]
                    .map(String::from)
                    .to_vec(),
                open: "00:00".into(),
                close: "24:00".into(),
            }];
            live.closed_dates.clear();
        }
    }
}

/// Adds operators of the Camera's site, `(username, name, office)`, each
/// with [`PASSWORD`].
pub async fn add_operators(server: &TestServer, operators: &[(&str, &str, Option<&str>)]) {
    for (username, name, office) in operators {
        upsert_operator(server, username, name, *office, false).await;
    }
}

/// Adds a webmaster of the Camera's site (reports, pages, knowledge base),
/// with [`PASSWORD`].
pub async fn add_webmaster(server: &TestServer, username: &str, name: &str) {
    upsert_operator(server, username, name, None, true).await;
}

async fn upsert_operator(
    server: &TestServer,
    username: &str,
    name: &str,
    office: Option<&str>,
    webmaster: bool,
) {
    let storage = Storage::open(&server.database).await.unwrap();
    let hash = varco_server::operator::hash_password(PASSWORD).unwrap();
    let operator = Operator {
        username: username.into(),
        display_name: name.into(),
        sites: vec!["milomb".into()],
        desk: false,
        office: office.map(str::to_owned),
        webmaster,
    };
    storage
        .upsert_operator(&operator, &hash, "2026-11-23T09:00:00.000Z")
        .await
        .unwrap();
    storage.close().await;
}

/// The demo's server with the desk always open and the operator giulia.
pub async fn server_with_operator() -> TestServer {
    let server = TestServer::start_custom(&[], always_open, |_| {})
        .await
        .unwrap();
    add_operators(&server, &[("giulia", "Giulia", None)]).await;
    server
}

/// Waits (20 s at most) until `condition` holds in the console's page.
pub async fn wait_in_console(tab: &Tab, condition: &str) {
    tab.wait_for(&format!("!!({condition})"), 20)
        .await
        .unwrap_or_else(|e| panic!("{condition}: {e}"));
}

/// Types into the assistant's box and sends, as a visitor would.
pub async fn visitor_says(tab: &Tab, text: &str) {
    tab.in_widget("shadow.getElementById('varco-chat-input').focus()")
        .await
        .unwrap();
    tab.type_text(text).await.unwrap();
    tab.press("Invia").await.unwrap();
}

/// On the Camera's home page, the visitor declines the optional cookies,
/// opens the assistant, accepts its terms, asks for a person and presses
/// the hand-off's button.
pub async fn visitor_asks_for_a_person(visitor: &Tab, server: &TestServer) {
    visitor.open(&server.url(HOME)).await.unwrap();
    visitor.press("Rifiuta tutti").await.unwrap();
    visitor
        .press("Apri l'assistente virtuale CamOn")
        .await
        .unwrap();
    visitor.press("Accetto").await.unwrap();
    visitor_says(visitor, "Voglio parlare con una persona").await;
    wait_in_widget(
        visitor,
        "shadow.querySelector('.msg.assistant .handoff-start')",
    )
    .await;
    visitor
        .in_widget("shadow.querySelector('.msg.assistant .handoff-start').click()")
        .await
        .unwrap();
}

/// The operator takes the first waiting conversation; returns once the
/// console shows it, ready for a reply, and the visitor has been told who
/// answers. Both must be awaited: the server tells the visitor before the
/// console has the answer to its request, so the visitor's message alone
/// does not mean the console's pane is open.
pub async fn operator_takes_first(console: &Tab, visitor: &Tab, operator_name: &str) {
    wait_in_console(
        console,
        "document.querySelector('#waiting-list button.take')",
    )
    .await;
    console
        .eval("document.querySelector('#waiting-list button.take').click()")
        .await
        .unwrap();
    wait_in_console(
        console,
        "!document.getElementById('conversation').hidden && !document.getElementById('reply').disabled",
    )
    .await;
    wait_in_widget(
        visitor,
        &format!("[...shadow.querySelectorAll('.msg.system')].some(m => m.textContent.includes('Ti risponde {operator_name}'))"),
    )
    .await;
}

/// Opens the console and logs in as `username` with the keyboard; returns
/// once the lists show.
pub async fn console_login(console: &Tab, server: &TestServer, username: &str) {
    console.goto(&server.url("/operator")).await.unwrap();
    wait_in_console(
        console,
        "!document.getElementById('login-screen').hidden && document.activeElement?.id === 'username'",
    )
    .await;
    console.type_text(username).await.unwrap();
    console
        .eval("document.getElementById('password').focus()")
        .await
        .unwrap();
    console.type_text(PASSWORD).await.unwrap();
    console.key("Enter").await.unwrap();
    wait_in_console(
        console,
        "!document.getElementById('console').hidden && document.querySelector('#waiting-list li')",
    )
    .await;
}
