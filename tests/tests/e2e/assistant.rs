//! The virtual assistant end to end (issue 4): the welcome gate, a full
//! conversation answered by the embedded engine, continuation across pages,
//! the stream and the server interrupted without loss or duplicates, and
//! hostile markdown rendered harmless.

use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use varco_e2e::{ask, count, transcript, Chromium, Tab, TestServer};
use varco_protocol::chat::{AnswerLink, Author, ChatEvent};
use varco_server::assistant::{Assistant, Reply};

const HOME: &str = "/demo-site/milomb/index.html";
const LAUNCHER: &str = "Apri l'assistente virtuale CamOn";

/// A page of the Camera with the cookie banner answered.
async fn page(chromium: &Chromium, server: &TestServer, path: &str) -> Tab {
    let tab = chromium.tab().await.unwrap();
    tab.open(&server.url(path)).await.unwrap();
    tab.press("Rifiuta tutti").await.unwrap();
    tab
}

async fn open_chat(tab: &Tab) {
    tab.press(LAUNCHER).await.unwrap();
    tab.wait_for(
        "!!document.querySelector('varco-widget').shadowRoot.querySelector('.chat-panel')",
        5,
    )
    .await
    .unwrap();
}

fn thread_requests(tab: &Tab) -> usize {
    tab.requests()
        .iter()
        .filter(|r| r.url.contains("/api/v1/threads"))
        .count()
}

async fn wait_messages(tab: &Tab, n: usize) {
    tab.wait_for(
        &format!("document.querySelector('varco-widget').shadowRoot.querySelectorAll('.messages > .msg:not(.failed)').length >= {n}"),
        20,
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_sent_before_the_terms_are_accepted_then_a_full_conversation() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = page(&chromium, &server, HOME).await;
    tab.clear_requests();
    open_chat(&tab).await;
    let gate = tab
        .in_widget(
            "(() => { const p = shadow.querySelector('.chat-panel'); const a = p.querySelector('.welcome a');
                return { input: shadow.getElementById('varco-chat-input').disabled, welcome: p.querySelector('.welcome').textContent,
                         href: a.getAttribute('href'), target: a.target, rel: a.rel,
                         title: p.querySelector('h2').textContent, label: p.getAttribute('aria-labelledby') }; })()",
        )
        .await
        .unwrap();
    assert_eq!(gate["input"], true, "the input waits for the terms");
    assert!(
        gate["welcome"].as_str().unwrap().contains("CamOn"),
        "{gate}"
    );
    assert_eq!(gate["href"], "/demo-site/milomb/privacy-assistente.html");
    assert_eq!(gate["target"], "_blank");
    assert_eq!(gate["rel"], "noopener noreferrer");
    assert_eq!(gate["title"], "CamOn");
    // Focus went into the panel, on the one thing to do.
    assert_eq!(tab.focused().await.unwrap()["name"], "Accetto");
    // Typing and pressing Enter in a disabled input sends nothing.
    tab.key("Enter").await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        thread_requests(&tab),
        0,
        "no request to the thread API before «Accetto»"
    );

    tab.key("Enter").await.unwrap(); // on «Accetto»
    tab.wait_for("!document.querySelector('varco-widget').shadowRoot.getElementById('varco-chat-input').disabled", 5).await.unwrap();
    tab.wait_for("document.querySelector('varco-widget').shadowRoot.activeElement?.id === 'varco-chat-input'", 5).await.unwrap();
    assert_eq!(thread_requests(&tab), 0, "accepting sends nothing either");
    let terms: Value = serde_json::from_str(
        tab.eval("localStorage.getItem('varco.chat.terms')")
            .await
            .unwrap()
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(terms["revision"], "1");

    ask(&tab, "come faccio ad avere lo spid?").await;
    wait_messages(&tab, 2).await;
    let lines = transcript(&tab).await;
    assert_eq!(count(&lines, "visitor"), 1, "{lines:?}");
    assert_eq!(count(&lines, "assistant"), 1, "{lines:?}");
    let answer = tab.in_widget("[...shadow.querySelectorAll('.messages .msg.assistant a')].map(a => [a.getAttribute('href'), a.rel, a.target])").await.unwrap();
    assert!(
        answer
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a[0] == "/demo-site/milomb/spid.html"),
        "{answer}"
    );
    assert!(
        answer
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a[1] == "noopener noreferrer" && a[2] == "_blank"),
        "{answer}"
    );
    // The message list is a polite log; the thread is kept without any UserID.
    let log = tab.in_widget("[shadow.querySelector('.messages').getAttribute('role'), shadow.querySelector('.messages').getAttribute('aria-live')]").await.unwrap();
    assert_eq!(log, serde_json::json!(["log", "polite"]));
    let thread: Value = serde_json::from_str(
        tab.eval("localStorage.getItem('varco.chat.thread')")
            .await
            .unwrap()
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert!(thread["thread_id"].as_str().unwrap().len() == 36);
    assert!(thread.get("user_id").is_none());
    for r in tab
        .requests()
        .iter()
        .filter(|r| r.url.contains("/api/v1/threads"))
    {
        assert!(!r.url.contains("user"), "{}", r.url);
        assert!(
            r.body
                .as_deref()
                .is_none_or(|b| !b.to_lowercase().contains("user")),
            "{:?}",
            r.body
        );
    }

    // Minimising gives focus back to the launcher.
    tab.key("Escape").await.unwrap();
    tab.wait_for("document.querySelector('varco-widget').shadowRoot.activeElement?.classList.contains('launcher')", 5).await.unwrap();
    // No violations in the open panel with a conversation in it.
    open_chat(&tab).await;
    let violations = tab.axe_violations().await.unwrap();
    assert_eq!(violations, serde_json::json!([]), "{violations:#}");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_conversation_continues_on_another_page_without_loss_or_duplicates() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = page(&chromium, &server, HOME).await;
    open_chat(&tab).await;
    tab.press("Accetto").await.unwrap();
    ask(&tab, "quanto costa una visura camerale?").await;
    wait_messages(&tab, 2).await;
    let thread_before = tab
        .eval("JSON.parse(localStorage.getItem('varco.chat.thread')).thread_id")
        .await
        .unwrap();

    tab.open(&server.url("/demo-site/milomb/spid.html"))
        .await
        .unwrap();
    open_chat(&tab).await;
    wait_messages(&tab, 2).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(transcript(&tab).await.len(), 2, "replayed once");
    ask(&tab, "e per la firma digitale?").await;
    wait_messages(&tab, 4).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let lines = transcript(&tab).await;
    assert_eq!(
        (count(&lines, "visitor"), count(&lines, "assistant")),
        (2, 2),
        "{lines:?}"
    );
    assert_eq!(
        tab.eval("JSON.parse(localStorage.getItem('varco.chat.thread')).thread_id")
            .await
            .unwrap(),
        thread_before
    );

    // "Nuova conversazione" starts another thread.
    tab.press("Nuova conversazione").await.unwrap();
    tab.wait_for("document.querySelector('varco-widget').shadowRoot.querySelectorAll('.messages > .msg').length === 0", 5).await.unwrap();
    ask(&tab, "ciao").await;
    wait_messages(&tab, 2).await;
    let thread_after = tab
        .eval("JSON.parse(localStorage.getItem('varco.chat.thread')).thread_id")
        .await
        .unwrap();
    assert_ne!(thread_after, thread_before);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sent_while_the_server_is_down_is_delivered_once_when_it_is_back() {
    let mut server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = page(&chromium, &server, HOME).await;
    open_chat(&tab).await;
    tab.press("Accetto").await.unwrap();
    ask(&tab, "devo vidimare i registri, come si fa?").await;
    wait_messages(&tab, 2).await;

    // The stream drops and the message cannot go: it stays, marked.
    server.halt().await.unwrap();
    ask(&tab, "quando scade il diritto annuale?").await;
    tab.wait_for("!!document.querySelector('varco-widget').shadowRoot.querySelector('.messages .msg.failed')", 20).await.unwrap();
    let status = tab
        .in_widget("shadow.querySelector('.messages .msg.failed').textContent")
        .await
        .unwrap();
    assert!(status.as_str().unwrap().contains("Non inviato"), "{status}");
    assert!(tab
        .eval("localStorage.getItem('varco.chat.outbox')")
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .contains("diritto annuale"));

    // Back: the visitor retries by hand, unless the outbox's own backoff
    // has already delivered it (then «Riprova» is gone): either way it must
    // arrive once.
    server.resume().await.unwrap();
    tab.in_widget("[...shadow.querySelectorAll('button')].find(b => b.textContent.trim() === 'Riprova')?.click()").await.unwrap();
    wait_messages(&tab, 4).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let lines = transcript(&tab).await;
    assert_eq!(
        (
            count(&lines, "visitor"),
            count(&lines, "assistant"),
            count(&lines, "failed")
        ),
        (2, 2, 0),
        "{lines:?}"
    );
    assert_eq!(
        tab.eval("localStorage.getItem('varco.chat.outbox')")
            .await
            .unwrap(),
        Value::Null
    );

    // Stored once on the server, however many tries it took.
    let thread = tab
        .eval("JSON.parse(localStorage.getItem('varco.chat.thread')).thread_id")
        .await
        .unwrap();
    let storage = varco_server::storage::Storage::open(&server.database)
        .await
        .unwrap();
    let events = storage
        .events_after(thread.as_str().unwrap(), 0)
        .await
        .unwrap();
    storage.close().await;
    let copies = events
        .iter()
        .filter(|(_, e)| matches!(e, ChatEvent::Message { message } if message.author == Author::Visitor && message.text.contains("diritto annuale")))
        .count();
    assert_eq!(copies, 1);
    // A reload replays the same four messages, once each.
    tab.open(&server.url(HOME)).await.unwrap();
    open_chat(&tab).await;
    wait_messages(&tab, 4).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(transcript(&tab).await.len(), 4);
    server.stop().await.unwrap();
}

/// Stands in for an external assistant that answers with hostile markup.
struct HostileAssistant;

impl Assistant for HostileAssistant {
    fn reply<'a>(
        &'a self,
        _question: &'a str,
        _language: &'a str,
        _deltas: &'a varco_server::assistant::DeltaSink,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<Reply>> + Send + 'a>>
    {
        Box::pin(async {
            Ok(Reply {
                text: "<img src=x onerror=\"window.__xss=1\"> **grassetto** [clic](javascript:window.__xss=2) \
                       <script>window.__xss=3</script> [sicuro](https://example.org/a) [dati](data:text/html,<b>x</b>)"
                    .into(),
                topic: "conversazione".into(),
                links: vec![
                    AnswerLink { title: "<b>link</b>".into(), url: "javascript:window.__xss=4".into() },
                    AnswerLink { title: "Pagina".into(), url: "/demo-site/milomb/spid.html".into() },
                ],
                quick_replies: vec!["<i>domanda</i>".into()],
                unsure: false,
            })
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_markdown_in_an_answer_runs_nothing_and_shows_no_raw_html() {
    let server = TestServer::start_custom(
        &[],
        |_| {},
        |state| state.set_assistant("milomb", Arc::new(HostileAssistant)),
    )
    .await
    .unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = page(&chromium, &server, HOME).await;
    open_chat(&tab).await;
    tab.press("Accetto").await.unwrap();
    ask(&tab, "ciao").await;
    wait_messages(&tab, 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let answer = tab
        .in_widget(
            "(() => { const li = shadow.querySelector('.messages .msg.assistant');
                return { xss: window.__xss ?? null, text: li.textContent,
                         elements: [...li.querySelectorAll('*')].map(e => e.tagName.toLowerCase()),
                         links: [...li.querySelectorAll('a')].map(a => a.getAttribute('href')),
                         quick: [...li.querySelectorAll('.quick-reply')].map(b => b.textContent) }; })()",
        )
        .await
        .unwrap();
    assert_eq!(answer["xss"], Value::Null, "{answer}");
    let elements: Vec<String> = serde_json::from_value(answer["elements"].clone()).unwrap();
    assert!(
        elements
            .iter()
            .all(|e| !matches!(e.as_str(), "img" | "script" | "b" | "i" | "iframe")),
        "{elements:?}"
    );
    assert!(
        elements.contains(&"strong".to_owned()),
        "the subset still works: {elements:?}"
    );
    assert_eq!(
        answer["links"],
        serde_json::json!(["https://example.org/a", "/demo-site/milomb/spid.html"])
    );
    let text = answer["text"].as_str().unwrap();
    assert!(
        text.contains("<img src=x") && text.contains("<script>"),
        "markup shows as text: {text}"
    );
    assert_eq!(answer["quick"], serde_json::json!(["<i>domanda</i>"]));
    server.stop().await.unwrap();
}

/// On a phone, in English: the panel covers the screen without zooming the
/// page, every text is English, focus returns to the launcher when the
/// panel is minimised, and answers that arrive meanwhile are counted in the
/// launcher's accessible name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_english_on_a_phone_the_panel_fills_the_screen_and_unread_answers_are_counted() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.phone_screen(375, 667).await.unwrap();
    tab.open(&server.url("/demo-site/milomb/en/index.html"))
        .await
        .unwrap();
    tab.press("Reject all").await.unwrap();
    tab.press("Open the virtual assistant CamOn").await.unwrap();
    tab.wait_for(
        "!!document.querySelector('varco-widget').shadowRoot.querySelector('.chat-panel')",
        5,
    )
    .await
    .unwrap();
    let welcome = tab
        .in_widget("shadow.querySelector('.chat-panel .welcome').textContent")
        .await
        .unwrap();
    assert!(
        welcome.as_str().unwrap().contains("Hello, I am CamOn"),
        "{welcome}"
    );
    tab.press("I accept").await.unwrap();
    tab.wait_for("document.querySelector('varco-widget').shadowRoot.activeElement?.id === 'varco-chat-input'", 5).await.unwrap();

    let geometry = tab
        .in_widget(
            "(() => { const r = shadow.querySelector('.chat-panel').getBoundingClientRect();
                return { left: r.left, top: r.top, width: r.width, height: r.height, vw: innerWidth, vh: innerHeight,
                         scale: visualViewport.scale, overflow: document.documentElement.scrollWidth > innerWidth,
                         font: parseFloat(getComputedStyle(shadow.getElementById('varco-chat-input')).fontSize) }; })()",
        )
        .await
        .unwrap();
    assert_eq!(
        (geometry["left"].as_f64(), geometry["top"].as_f64()),
        (Some(0.0), Some(0.0)),
        "{geometry}"
    );
    assert_eq!(geometry["width"], geometry["vw"], "{geometry}");
    assert!(
        (geometry["height"].as_f64().unwrap() - geometry["vh"].as_f64().unwrap()).abs() <= 1.0,
        "{geometry}"
    );
    assert_eq!(geometry["scale"], 1.0, "the page is not zoomed: {geometry}");
    assert_eq!(geometry["overflow"], false, "{geometry}");
    assert!(
        geometry["font"].as_f64().unwrap() >= 16.0,
        "a smaller input makes phones zoom in: {geometry}"
    );

    ask(&tab, "how much is a company certificate?").await;
    wait_messages(&tab, 2).await;
    let labels = tab.in_widget("[...shadow.querySelectorAll('.chat-panel button')].map(b => (b.getAttribute('aria-label') || b.textContent).trim())").await.unwrap();
    for expected in ["Minimise the assistant", "New conversation", "Send"] {
        assert!(
            labels.as_array().unwrap().iter().any(|l| l == expected),
            "{expected} missing in {labels}"
        );
    }

    tab.key("Escape").await.unwrap();
    tab.wait_for(
        "!document.querySelector('varco-widget').shadowRoot.querySelector('.chat-panel')",
        5,
    )
    .await
    .unwrap();
    let focused = tab.focused().await.unwrap();
    assert_eq!(
        focused["name"], "Open the virtual assistant CamOn",
        "focus is back on the launcher: {focused}"
    );

    // A message of this conversation sent from elsewhere (another tab) is
    // answered while the panel is closed.
    tab.eval(&format!(
        "fetch('{}/api/v1/threads/' + JSON.parse(localStorage.getItem('varco.chat.thread')).thread_id + '/messages',
               {{ method: 'POST', headers: {{ 'content-type': 'application/json' }}, body: JSON.stringify({{ client_message_id: crypto.randomUUID(), text: 'thank you' }}) }}).then(r => r.status)",
        server.url("")
    ))
    .await
    .unwrap();
    tab.wait_for("/\\(\\d+ new messages?\\)$/.test(document.querySelector('varco-widget').shadowRoot.querySelector('button.launcher').getAttribute('aria-label'))", 10).await.unwrap();
    let badge = tab.in_widget("[shadow.querySelector('button.launcher').getAttribute('aria-label'), shadow.querySelector('.launcher .badge').textContent]").await.unwrap();
    let n: String = badge[1].as_str().unwrap().to_owned();
    let expected = if n == "1" {
        "(1 new message)".to_owned()
    } else {
        format!("({n} new messages)")
    };
    assert!(badge[0].as_str().unwrap().ends_with(&expected), "{badge}");
    // Opening the panel reads them. (By the label's form, not the label
    // read above: the visitor's message from the other tab and its answer
    // arrive as two events, so the count may still go from 1 to 2.)
    let pressed = tab
        .in_widget(
            "(() => { const b = [...shadow.querySelectorAll('button')].find(b => /^Open the virtual assistant CamOn \\(\\d+ new messages?\\)$/.test(b.getAttribute('aria-label') || '')); if (!b) return false; b.click(); return true; })()",
        )
        .await
        .unwrap();
    assert_eq!(
        pressed,
        serde_json::json!(true),
        "the launcher names its unread messages"
    );
    tab.wait_for(
        "!!document.querySelector('varco-widget').shadowRoot.querySelector('.chat-panel')",
        5,
    )
    .await
    .unwrap();
    tab.key("Escape").await.unwrap();
    tab.wait_for("document.querySelector('varco-widget').shadowRoot.querySelector('button.launcher')?.getAttribute('aria-label') === 'Open the virtual assistant CamOn'", 5).await.unwrap();
    server.stop().await.unwrap();
}
