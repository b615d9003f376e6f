//! The assistant's panel as a visitor uses it, on a desktop (1280×800) and
//! on a phone (390×844), in headless Chromium (issue 17): the transcript
//! follows the conversation and a reopened panel shows the latest
//! messages; each message is read out once; the welcome collapses once the
//! terms are accepted; a typing signal while an answer is prepared, and
//! streamed text that the final message replaces; the hand-off button says
//! when operators are back; on a phone the open panel is modal, and the
//! floating consent button steps aside; no internal name becomes a chip;
//! and the whole question-and-answer and hand-off flows with the keyboard
//! alone.

use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use varco_core::booking::{rome_local, rome_to_utc_ms, Date};
use varco_core::dates::format_datetime_rome_ms;
use varco_core::lang::Lang;
use varco_e2e::{ask, wait_in_widget, Chromium, Tab, TestServer};
use varco_server::assistant::{Assistant, DeltaSink, Reply};
use varco_server::config::hours::HoursConfig;
use varco_server::config::Config;

const HOME: &str = "/demo-site/milomb/index.html";
const LAUNCHER: &str = "Apri l'assistente virtuale CamOn";
const DESKTOP: (i64, i64) = (1280, 800);
const PHONE: (i64, i64) = (390, 844);

/// A tab of `size` on `path`, with the cookie banner answered.
async fn page(chromium: &Chromium, server: &TestServer, path: &str, size: (i64, i64)) -> Tab {
    let tab = chromium.tab().await.unwrap();
    tab.phone_screen(size.0, size.1).await.unwrap();
    tab.open(&server.url(path)).await.unwrap();
    let reject = if path.contains("/en/") {
        "Reject all"
    } else {
        "Rifiuta tutti"
    };
    tab.press(reject).await.unwrap();
    tab
}

async fn open_panel(tab: &Tab, launcher: &str) {
    tab.press(launcher).await.unwrap();
    wait_in_widget(tab, "shadow.querySelector('.chat-panel')").await;
}

async fn accept_terms(tab: &Tab, accept: &str) {
    tab.press(accept).await.unwrap();
    wait_in_widget(tab, "!shadow.getElementById('varco-chat-input').disabled").await;
}

async fn wait_answers(tab: &Tab, n: usize) {
    wait_in_widget(
        tab,
        &format!("shadow.querySelectorAll('.messages > .msg.assistant').length >= {n}"),
    )
    .await;
}

/// Lets the page run two frames: scroll events, which the page queues,
/// have then been dispatched.
async fn frames(tab: &Tab) {
    tab.eval("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        .await
        .unwrap();
}

/// The transcript's scrolling box: how far from its end it is scrolled.
const FROM_END: &str = "(() => { const b = shadow.querySelector('.chat-body'); return b.scrollHeight - b.scrollTop - b.clientHeight; })()";

/// Records, from now on, what is added to the message list: its lines,
/// and anything added inside a line that was already there (a line's own
/// elements come with it, in the same task); the list's `aria-live`
/// changes, whether streamed text ever showed, and each text the typing
/// signal had.
const RECORD_LOG: &str = r#"(() => {
    const shadow = document.querySelector('varco-widget').shadowRoot;
    const log = { lines: [], inner: [], live: [], streamed: false, typing: [] };
    window.__varcoLog = log;
    const typingText = () => (shadow.querySelector('.typing')?.textContent || '').trim();
    new MutationObserver(records => {
        // A list that appears (the panel opens) comes with its lines: not
        // additions to a list already there.
        const added = records.flatMap(r => [...r.addedNodes]).filter(n => n.nodeType === 1);
        const fresh = new Set();
        for (const r of records) {
            if (r.type !== 'childList' || !r.target.classList?.contains('messages')) continue;
            if (added.some(a => a.contains(r.target))) continue;
            for (const n of r.addedNodes) if (n.nodeType === 1) {
                fresh.add(n);
                log.lines.push({ text: n.textContent, live: r.target.getAttribute('aria-live') });
            }
        }
        for (const r of records) {
            if (r.type === 'attributes') {
                if (r.target.classList.contains('messages')) log.live.push([r.oldValue, r.target.getAttribute('aria-live')]);
                continue;
            }
            for (const n of r.addedNodes) {
                const el = n.nodeType === 1 ? n : n.parentElement;
                if (!el) continue;
                if (el.matches('.streaming') || el.querySelector('.streaming')) log.streamed = true;
                const line = r.target.closest?.('.messages > *');
                if (line && !fresh.has(line) && !added.some(a => a !== el && a.contains(line)) && !r.target.classList.contains('messages'))
                    log.inner.push(el.outerHTML);
            }
        }
        const t = typingText();
        if (t !== (log.typing[log.typing.length - 1] ?? '')) log.typing.push(t);
    }).observe(shadow, { subtree: true, childList: true, characterData: true,
                         attributes: true, attributeFilter: ['aria-live'], attributeOldValue: true });
    return true;
})()"#;

async fn recorded(tab: &Tab) -> Value {
    tab.eval("window.__varcoLog").await.unwrap()
}

/// Presses `key` until the focused element is named `name` (at most
/// `max` presses); fails with the names it went through.
async fn key_until(tab: &Tab, key: &str, name: &str, max: usize) {
    let mut seen = Vec::new();
    for _ in 0..max {
        let f = tab.focused().await.unwrap();
        if f["name"] == name {
            return;
        }
        seen.push(
            f["name"]
                .as_str()
                .unwrap_or("")
                .chars()
                .take(40)
                .collect::<String>(),
        );
        tab.key(key).await.unwrap();
    }
    let f = tab.focused().await.unwrap();
    assert_eq!(f["name"], name, "{key} never reached «{name}»: {seen:?}");
}

fn no_violations(violations: Value, what: &str) {
    assert_eq!(violations, json!([]), "{what}: {violations:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_transcript_follows_the_conversation_and_a_reopened_panel_shows_the_latest_messages() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = page(&chromium, &server, HOME, DESKTOP).await;
    open_panel(&tab, LAUNCHER).await;
    accept_terms(&tab, "Accetto").await;
    let questions = [
        "come faccio ad avere lo spid?",
        "quanto costa una visura camerale?",
        "come si paga il diritto annuale?",
        "cosa devo portare per la firma digitale?",
        "come faccio a vidimare un libro?",
        "quanto costa la carta del conducente?",
    ];
    for (i, q) in questions.iter().enumerate() {
        ask(&tab, q).await;
        wait_answers(&tab, i + 1).await;
    }
    // The last answer is in view and the list is scrolled to its end.
    wait_in_widget(&tab, &format!("{FROM_END} <= 2")).await;
    let view = tab
        .in_widget(
            "(() => { const b = shadow.querySelector('.chat-body').getBoundingClientRect();
                const all = shadow.querySelectorAll('.messages > .msg.assistant');
                const last = all[all.length - 1].getBoundingClientRect();
                return { top: b.top, bottom: b.bottom, lastTop: last.top, lastBottom: last.bottom }; })()",
        )
        .await
        .unwrap();
    let f = |k: &str| view[k].as_f64().unwrap();
    assert!(
        f("lastBottom") <= f("bottom") + 1.0 && f("lastBottom") > f("top"),
        "the last answer is in view: {view}"
    );
    assert_eq!(
        tab.in_widget("!!shadow.querySelector('.new-messages')")
            .await
            .unwrap(),
        false,
        "nothing new below the end"
    );

    // The visitor scrolls up to read; answers that arrive meanwhile (here a
    // question from another tab of the same conversation) leave the list
    // where it is and show the control. (Once the last question is off the
    // outbox, no render of it is left to come.)
    tab.wait_for("localStorage.getItem('varco.chat.outbox') === null", 20)
        .await
        .unwrap();
    frames(&tab).await;
    tab.in_widget("shadow.querySelector('.chat-body').scrollTop = 0")
        .await
        .unwrap();
    frames(&tab).await;
    tab.eval(&format!(
        "fetch('{}/api/v1/threads/' + JSON.parse(localStorage.getItem('varco.chat.thread')).thread_id + '/messages',
               {{ method: 'POST', headers: {{ 'content-type': 'application/json' }},
                  body: JSON.stringify({{ client_message_id: crypto.randomUUID(), text: 'quanto costa la firma digitale?' }}) }}).then(r => r.status)",
        server.url("")
    ))
    .await
    .unwrap();
    wait_answers(&tab, 7).await;
    wait_in_widget(&tab, "shadow.querySelector('.new-messages')").await;
    assert_eq!(
        tab.in_widget("shadow.querySelector('.chat-body').scrollTop")
            .await
            .unwrap(),
        json!(0),
        "the list stays where the visitor reads"
    );
    let control = tab
        .in_widget(
            "(() => { const c = shadow.querySelector('.new-messages'); const r = c.getBoundingClientRect();
                const b = shadow.querySelector('.chat-body').getBoundingClientRect();
                return { text: c.textContent.trim(), inside: r.top >= b.top && r.bottom <= b.bottom + 1 && r.height > 0 }; })()",
        )
        .await
        .unwrap();
    assert_eq!(control, json!({"text": "Nuovi messaggi", "inside": true}));
    tab.screenshot("panel-new-messages-1280").await.unwrap();
    assert_eq!(
        tab.widget_geometry_problems().await.unwrap(),
        Vec::<String>::new()
    );
    // It jumps to the newest message and hands focus to the question box.
    tab.press("Nuovi messaggi").await.unwrap();
    wait_in_widget(
        &tab,
        &format!("{FROM_END} <= 2 && !shadow.querySelector('.new-messages')"),
    )
    .await;
    wait_in_widget(&tab, "shadow.activeElement?.id === 'varco-chat-input'").await;
    let lines = tab
        .in_widget("shadow.querySelectorAll('.messages > .msg').length")
        .await
        .unwrap();

    // On another page the reopened panel starts at the latest messages.
    tab.open(&server.url("/demo-site/milomb/spid.html"))
        .await
        .unwrap();
    open_panel(&tab, LAUNCHER).await;
    wait_in_widget(
        &tab,
        &format!("shadow.querySelectorAll('.messages > .msg').length === {lines}"),
    )
    .await;
    wait_in_widget(&tab, &format!("{FROM_END} <= 2")).await;
    // And so does the panel reopened on the same page.
    tab.in_widget("shadow.querySelector('.chat-body').scrollTop = 0")
        .await
        .unwrap();
    tab.key("Escape").await.unwrap();
    wait_in_widget(&tab, "!shadow.querySelector('.chat-panel')").await;
    open_panel(&tab, LAUNCHER).await;
    wait_in_widget(&tab, &format!("{FROM_END} <= 2")).await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_message_is_read_out_once_whatever_re_renders_and_reopens_the_panel() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = page(&chromium, &server, HOME, DESKTOP).await;
    open_panel(&tab, LAUNCHER).await;
    accept_terms(&tab, "Accetto").await;
    tab.eval(RECORD_LOG).await.unwrap();
    ask(&tab, "come faccio ad avere lo spid?").await;
    wait_answers(&tab, 1).await;
    ask(&tab, "e quanto costa?").await;
    wait_answers(&tab, 2).await;
    // The list is the panel's polite log: its lines are added once each
    // (the server's copy of a question takes the place of the one shown
    // while it travelled), nothing is added inside a line, and the
    // embedded engine's answers come whole, not streamed.
    let log = recorded(&tab).await;
    let lines: Vec<&str> = log["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{log:#}");
    assert!(
        lines[0].starts_with("Tu: come faccio ad avere lo spid?"),
        "{lines:?}"
    );
    assert!(lines[1].starts_with("CamOn: "), "{lines:?}");
    assert!(lines[2].starts_with("Tu: e quanto costa?"), "{lines:?}");
    assert!(lines[3].starts_with("CamOn: "), "{lines:?}");
    assert!(
        log["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["live"] == "polite"),
        "{log:#}"
    );
    assert_eq!(log["inner"], json!([]), "{log:#}");
    assert_eq!(log["streamed"], false, "{log:#}");
    let region = tab
        .in_widget(
            "(() => { const m = shadow.querySelector('.messages');
                return [m.getAttribute('role'), m.getAttribute('aria-live'), m.getAttribute('aria-relevant'),
                        shadow.querySelector('.streaming'), shadow.querySelectorAll('.messages .messages').length]; })()",
        )
        .await
        .unwrap();
    assert_eq!(region, json!(["log", "polite", "additions", null, 0]));

    // Closed and reopened: the list comes back silent, with its messages,
    // and only then reads what is added to it.
    tab.key("Escape").await.unwrap();
    wait_in_widget(&tab, "!shadow.querySelector('.chat-panel')").await;
    open_panel(&tab, LAUNCHER).await;
    wait_in_widget(
        &tab,
        "shadow.querySelector('.messages').getAttribute('aria-live') === 'polite'",
    )
    .await;
    let log = recorded(&tab).await;
    assert_eq!(
        log["lines"].as_array().unwrap().len(),
        4,
        "nothing read again: {log:#}"
    );
    assert!(
        log["live"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == &json!(["off", "polite"])),
        "the reopened list starts silent: {log:#}"
    );
    ask(&tab, "grazie").await;
    wait_answers(&tab, 3).await;
    let log = recorded(&tab).await;
    assert_eq!(log["lines"].as_array().unwrap().len(), 6, "{log:#}");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_welcome_collapses_to_one_line_once_the_terms_are_accepted() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    for (size, path, launcher, accept, short, notice) in [
        (
            DESKTOP,
            HOME,
            LAUNCHER,
            "Accetto",
            "Hai accettato le condizioni del servizio.",
            "Informativa",
        ),
        (
            PHONE,
            "/demo-site/milomb/en/index.html",
            "Open the virtual assistant CamOn",
            "I accept",
            "You have accepted the terms of the service.",
            "Privacy notice",
        ),
    ] {
        let tab = page(&chromium, &server, path, size).await;
        open_panel(&tab, launcher).await;
        // Before: the whole welcome, the terms and «Accetto», as today.
        let before = tab
            .in_widget("shadow.querySelector('.welcome').textContent")
            .await
            .unwrap();
        let before = before.as_str().unwrap();
        assert!(
            before.contains("Prima di iniziare") || before.contains("Before we start"),
            "{before}"
        );
        accept_terms(&tab, accept).await;
        let after = tab
            .in_widget(
                "(() => { const w = shadow.querySelector('.welcome'); const line = w.querySelector('.welcome-line');
                    const a = line.querySelector('a');
                    return { text: line.textContent.replace(/\\s+/g, ' ').trim(), href: a.getAttribute('href'),
                             lines: Math.round(line.getBoundingClientRect().height / parseFloat(getComputedStyle(line).lineHeight)),
                             all: w.textContent }; })()",
            )
            .await
            .unwrap();
        let new_tab = if size == DESKTOP {
            "(si apre in una nuova scheda)"
        } else {
            "(opens in a new tab)"
        };
        assert_eq!(
            after["text"],
            format!("{short} {notice} {new_tab}"),
            "{after}"
        );
        assert_eq!(after["href"], "/demo-site/milomb/privacy-assistente.html");
        assert_eq!(after["lines"], 1, "one line: {after}");
        let all = after["all"].as_str().unwrap();
        assert!(
            !all.contains("Prima di iniziare") && !all.contains("Before we start"),
            "{all}"
        );
        tab.screenshot(&format!("panel-welcome-accepted-{}", size.0))
            .await
            .unwrap();
        tab.close().await;
    }
    server.stop().await.unwrap();
}

/// Stands in for an external assistant that streams its answer in two
/// pieces, each when the test says so.
struct SteppedAssistant {
    steps: Arc<tokio::sync::Semaphore>,
}

impl Assistant for SteppedAssistant {
    fn reply<'a>(
        &'a self,
        _question: &'a str,
        _language: &'a str,
        deltas: &'a DeltaSink,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<Reply>> + Send + 'a>> {
        Box::pin(async move {
            self.steps.acquire().await?.forget();
            deltas("La prima parte");
            self.steps.acquire().await?.forget();
            deltas(", poi la seconda.");
            self.steps.acquire().await?.forget();
            Ok(Reply {
                text: "La prima parte, poi la seconda.".into(),
                topic: "conversazione".into(),
                links: Vec::new(),
                quick_replies: Vec::new(),
                unsure: false,
            })
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typing_signal_while_the_answer_is_prepared_then_streamed_text_that_the_answer_replaces()
{
    let steps = Arc::new(tokio::sync::Semaphore::new(0));
    let assistant = SteppedAssistant {
        steps: steps.clone(),
    };
    let server = TestServer::start_custom(
        &[],
        |_| {},
        move |state| state.set_assistant("milomb", Arc::new(assistant)),
    )
    .await
    .unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = page(&chromium, &server, HOME, PHONE).await;
    open_panel(&tab, LAUNCHER).await;
    accept_terms(&tab, "Accetto").await;
    tab.eval(RECORD_LOG).await.unwrap();
    ask(&tab, "come si fa la firma digitale?").await;

    // While it is prepared: the signal shows, and is a polite status.
    wait_in_widget(
        &tab,
        "shadow.querySelector('.typing')?.textContent.trim() === 'CamOn sta scrivendo…'",
    )
    .await;
    let signal = tab
        .in_widget(
            "(() => { const t = shadow.querySelector('.typing'); const r = t.getBoundingClientRect();
                return [t.getAttribute('role'), r.height > 0 && r.width > 0, getComputedStyle(t).visibility]; })()",
        )
        .await
        .unwrap();
    assert_eq!(signal, json!(["status", true, "visible"]));
    tab.screenshot("panel-typing-390").await.unwrap();

    // The answer streams in, outside the log; the signal gives way to it.
    steps.add_permits(1);
    wait_in_widget(
        &tab,
        "shadow.querySelector('.streaming')?.textContent === 'La prima parte'",
    )
    .await;
    wait_in_widget(
        &tab,
        "shadow.querySelector('.typing').textContent.trim() === ''",
    )
    .await;
    assert_eq!(
        tab.in_widget("shadow.querySelector('.streaming').getAttribute('aria-hidden')")
            .await
            .unwrap(),
        "true"
    );
    steps.add_permits(1);
    wait_in_widget(
        &tab,
        "shadow.querySelector('.streaming')?.textContent === 'La prima parte, poi la seconda.'",
    )
    .await;
    // The stored answer replaces the streamed text, and the log reads it once.
    steps.add_permits(1);
    wait_answers(&tab, 1).await;
    wait_in_widget(&tab, "!shadow.querySelector('.streaming')").await;
    let log = recorded(&tab).await;
    let lines: Vec<&str> = log["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            "Tu: come si fa la firma digitale?",
            "CamOn: La prima parte, poi la seconda."
        ],
        "{log:#}"
    );
    assert_eq!(log["streamed"], true);
    // The signal was announced once: it went on once and off once.
    assert_eq!(
        log["typing"],
        json!(["CamOn sta scrivendo…", ""]),
        "{log:#}"
    );
    assert_eq!(
        tab.in_widget("shadow.querySelectorAll('.msg.assistant').length")
            .await
            .unwrap(),
        1,
        "no copy of the answer is left"
    );
    server.stop().await.unwrap();
}

/// The Camera's desk answers only on the weekday after tomorrow (or the
/// next day that is no national holiday), 09:00 to
/// 12:00 (so the test does not depend on the hour it runs at), or, with
/// `always_open`, at any hour.
fn desk(config: &mut Config, always_open: bool) -> Date {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    // Not a national holiday, which would close the desk (at most four
    // days on, so still the first such weekday from today).
    let day =
        varco_core::holidays::Calendar::default().first_open_from(rome_local(now).0.add_days(2));
    let name = ["lun", "mar", "mer", "gio", "ven", "sab", "dom"][usize::from(day.weekday())];
    for site in &mut config.sites {
        if let Some(live) = site.live_chat.as_mut() {
            live.hours = vec![HoursConfig {
                days: vec![name.into()],
                open: "09:00".into(),
                close: "12:00".into(),
            }];
            live.closed_dates.clear();
            live.always_open = always_open;
        }
    }
    day
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hand_off_button_says_when_operators_are_back_and_is_no_dead_end() {
    let mut day = None;
    let server = TestServer::start_with(&[], |config| day = Some(desk(config, false)))
        .await
        .unwrap();
    let opens = rome_to_utc_ms(day.unwrap(), 9 * 60);
    let chromium = Chromium::launch().await.unwrap();
    for (size, path, launcher, accept, note) in [
        (
            DESKTOP,
            HOME,
            LAUNCHER,
            "Accetto",
            format!(
                "Operatori disponibili da {}",
                format_datetime_rome_ms(Lang::It, opens)
            ),
        ),
        (
            PHONE,
            "/demo-site/milomb/en/index.html",
            "Open the virtual assistant CamOn",
            "I accept",
            format!(
                "Operators available from {} (Italian time)",
                format_datetime_rome_ms(Lang::En, opens)
            ),
        ),
    ] {
        let tab = page(&chromium, &server, path, size).await;
        open_panel(&tab, launcher).await;
        accept_terms(&tab, accept).await;
        // Before it is pressed, the button says when someone answers.
        wait_in_widget(&tab, "shadow.querySelector('.handoff-note')").await;
        let offer = tab
            .in_widget(
                "(() => { const b = shadow.querySelector('.handoff-start');
                    const note = shadow.getElementById(b.getAttribute('aria-describedby'));
                    return [b.textContent.trim(), note?.textContent]; })()",
            )
            .await
            .unwrap();
        let label = if size == DESKTOP {
            "Parla con un operatore"
        } else {
            "Talk to an operator"
        };
        assert_eq!(offer, json!([label, note]), "{path}");
        assert_eq!(
            tab.widget_geometry_problems().await.unwrap(),
            Vec::<String>::new()
        );
        tab.screenshot(&format!("panel-handoff-closed-{}", size.0))
            .await
            .unwrap();
        if size == DESKTOP {
            // Pressed anyway, it is no dead end: the hours, and what to do
            // instead (book, write), with the booking one press away.
            tab.press(label).await.unwrap();
            wait_in_widget(
                &tab,
                "[...shadow.querySelectorAll('.msg.system')].some(m => m.textContent.includes('non sono disponibili') && m.textContent.includes('prenotare'))",
            )
            .await;
            wait_in_widget(
                &tab,
                "shadow.querySelector('.messages .msg.system .booking-start')",
            )
            .await;
            no_violations(
                tab.axe_all_violations().await.unwrap(),
                "hand-off, desk closed",
            );
        }
        tab.close().await;
    }
    server.stop().await.unwrap();

    // A desk that answers now shows the button without a note: checked
    // once the widget has read the server's answer (counted by a wrapper
    // around `fetch`) and rendered after it.
    let server = TestServer::start_with(&[], |config| {
        desk(config, true);
    })
    .await
    .unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.before_load(
        "const fetchNow = window.fetch; window.__deskRead = 0;
         window.fetch = (input, init) => fetchNow(input, init).then(r => {
             if (String(input.url || input).endsWith('/api/v1/sites/milomb/live')) {
                 const text = r.text.bind(r);
                 r.text = () => text().then(t => { window.__deskRead += 1; return t; });
             }
             return r;
         });",
    )
    .await
    .unwrap();
    tab.open(&server.url(HOME)).await.unwrap();
    tab.press("Rifiuta tutti").await.unwrap();
    open_panel(&tab, LAUNCHER).await;
    accept_terms(&tab, "Accetto").await;
    tab.wait_for("window.__deskRead >= 1", 20).await.unwrap();
    frames(&tab).await;
    let offer = tab
        .in_widget(
            "[shadow.querySelectorAll('.handoff-start').length, shadow.querySelectorAll('.handoff-note').length, shadow.querySelector('.handoff-start').getAttribute('aria-describedby')]",
        )
        .await
        .unwrap();
    assert_eq!(offer, json!([1, 0, null]));
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_the_open_panel_is_modal_and_on_a_desktop_it_is_not() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = page(&chromium, &server, HOME, PHONE).await;
    // A page element that was inert before must still be after.
    tab.eval(
        "document.body.insertAdjacentHTML('afterbegin', '<div id=\"already-inert\" inert>x</div>')",
    )
    .await
    .unwrap();
    let reopen_shown = "getComputedStyle(shadow.querySelector('.reopen')).display !== 'none'";
    wait_in_widget(&tab, reopen_shown).await;
    open_panel(&tab, LAUNCHER).await;
    accept_terms(&tab, "Accetto").await;
    ask(&tab, "come faccio ad avere lo spid?").await;
    wait_answers(&tab, 1).await;
    let state = tab
        .in_widget(
            "(() => { const p = shadow.querySelector('.chat-panel');
                const others = [...document.body.children].filter(e => e.tagName !== 'VARCO-WIDGET' && !['SCRIPT', 'STYLE', 'LINK', 'TEMPLATE', 'NOSCRIPT', 'META'].includes(e.tagName));
                return { role: p.getAttribute('role'), modal: p.getAttribute('aria-modal'), header: p.querySelectorAll('header').length,
                         inert: others.every(e => e.inert), reopen: getComputedStyle(shadow.querySelector('.reopen')).display,
                         marked: document.querySelector('varco-widget').hasAttribute('data-panel-open') }; })()",
        )
        .await
        .unwrap();
    assert_eq!(
        state,
        json!({"role": "dialog", "modal": "true", "header": 0, "inert": true, "reopen": "none", "marked": true})
    );
    // Nothing covers the text box or any other control.
    assert_eq!(
        tab.widget_geometry_problems().await.unwrap(),
        Vec::<String>::new()
    );
    no_violations(
        tab.axe_all_violations().await.unwrap(),
        "panel open, 390×844",
    );
    tab.screenshot("panel-answer-390").await.unwrap();
    // Tab and Shift+Tab go round inside the panel.
    for key in ["Tab", "Shift+Tab"] {
        for _ in 0..25 {
            tab.key(key).await.unwrap();
            let f = tab.focused().await.unwrap();
            assert_eq!(f["inWidget"], true, "{key} left the panel: {f}");
            let inside = tab
                .in_widget(
                    "!!shadow.activeElement && !!shadow.activeElement.closest('.chat-panel')",
                )
                .await
                .unwrap();
            assert_eq!(inside, true, "{key} left the panel: {f}");
        }
    }
    // Escape closes it, focus goes back to the launcher, and the page gets
    // back exactly what it had.
    tab.key("Escape").await.unwrap();
    wait_in_widget(&tab, "!shadow.querySelector('.chat-panel')").await;
    assert_eq!(tab.focused().await.unwrap()["name"], LAUNCHER);
    let after = tab
        .eval(
            "(() => { const others = [...document.body.children].filter(e => e.tagName !== 'VARCO-WIDGET' && e.id !== 'already-inert');
                return [others.some(e => e.hasAttribute('inert')), document.getElementById('already-inert').inert,
                        document.querySelector('varco-widget').hasAttribute('data-panel-open')]; })()",
        )
        .await
        .unwrap();
    assert_eq!(after, json!([false, true, false]));
    wait_in_widget(&tab, reopen_shown).await;
    tab.close().await;

    // On a desktop the panel leaves the page usable: not modal, nothing
    // inert, and still nothing covered.
    let tab = page(&chromium, &server, HOME, DESKTOP).await;
    open_panel(&tab, LAUNCHER).await;
    wait_in_widget(
        &tab,
        "shadow.activeElement?.textContent.trim() === 'Accetto'",
    )
    .await;
    let state = tab
        .in_widget(
            "[shadow.querySelector('.chat-panel').getAttribute('aria-modal'), [...document.body.querySelectorAll('[inert]')].length]",
        )
        .await
        .unwrap();
    assert_eq!(state, json!(["false", 0]));
    assert_eq!(
        tab.widget_geometry_problems().await.unwrap(),
        Vec::<String>::new()
    );
    no_violations(
        tab.axe_all_violations().await.unwrap(),
        "panel open, 1280×800",
    );
    tab.screenshot("panel-welcome-1280").await.unwrap();
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_launcher_covers_no_footer_link_at_rest() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    for size in [PHONE, DESKTOP] {
        for path in [
            HOME,
            "/demo-site/milomb/contatti.html",
            "/demo-site/calvatone/index.html",
        ] {
            let tab = page(&chromium, &server, path, size).await;
            wait_in_widget(&tab, "shadow.querySelector('.launcher')").await;
            // Every scroll position from the top to the end of the page.
            let height = tab
                .eval("document.documentElement.scrollHeight")
                .await
                .unwrap()
                .as_i64()
                .unwrap();
            let mut y = 0;
            while y <= height {
                tab.eval(&format!("window.scrollTo(0, {y})")).await.unwrap();
                frames(&tab).await;
                let covered = tab.page_links_covered("footer a").await.unwrap();
                assert!(
                    covered.is_empty(),
                    "{path} at {size:?}, scrolled to {y}: {covered:?}"
                );
                y += size.1 / 3;
            }
            tab.eval("window.scrollTo(0, document.documentElement.scrollHeight)")
                .await
                .unwrap();
            frames(&tab).await;
            let covered = tab.page_links_covered("footer a").await.unwrap();
            assert!(
                covered.is_empty(),
                "{path} at {size:?}, at the end: {covered:?}"
            );
            tab.close().await;
        }
    }
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_talk_never_becomes_a_chip() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.open(&server.url(HOME)).await.unwrap();
    // With consent to personalisation the welcome suggests topics from the
    // pages visited: the home page is linked by the assistant's greetings
    // and goodbye, whose titles («Saluto finale») are internal names.
    tab.press("Accetta tutti").await.unwrap();
    for path in ["/demo-site/milomb/spid.html", HOME] {
        tab.open(&server.url(path)).await.unwrap();
    }
    tab.wait_for(
        "JSON.parse(localStorage.getItem('varco.nav')).entries.length >= 3 && JSON.parse(localStorage.getItem('varco.nav')).entries.every(e => e.uploaded)",
        20,
    )
    .await
    .unwrap();
    tab.open(&server.url(HOME)).await.unwrap();
    open_panel(&tab, LAUNCHER).await;
    accept_terms(&tab, "Accetto").await;
    wait_in_widget(
        &tab,
        "shadow.querySelectorAll('.suggestions .quick-reply').length >= 1",
    )
    .await;
    // A vague question gets suggestions as quick replies too.
    ask(&tab, "buongiorno vorrei sapere").await;
    wait_answers(&tab, 1).await;
    let chips = tab
        .in_widget("[...shadow.querySelectorAll('.quick-reply')].map(b => b.textContent.trim())")
        .await
        .unwrap();
    let chips: Vec<String> = serde_json::from_value(chips).unwrap();
    for internal in [
        "Saluto",
        "Saluto finale",
        "Ringraziamento",
        "Conversazione",
        "Fuori competenza",
        "conversazione",
        "fuori-competenza",
    ] {
        assert!(
            !chips.iter().any(|c| c == internal),
            "«{internal}» offered: {chips:?}"
        );
    }
    assert!(
        chips.iter().any(|c| c.contains("SPID")),
        "the visited SPID page is suggested: {chips:?}"
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keyboard_alone_asks_reads_the_answer_and_asks_for_an_operator() {
    let server = TestServer::start_with(&[], |config| {
        desk(config, true);
    })
    .await
    .unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.phone_screen(DESKTOP.0, DESKTOP.1).await.unwrap();
    tab.open(&server.url(HOME)).await.unwrap();
    // The banner, by keyboard.
    key_until(&tab, "Tab", "Rifiuta tutti", 80).await;
    tab.key("Enter").await.unwrap();
    tab.wait_for(
        "!document.querySelector('varco-widget').shadowRoot.querySelector('section.banner')",
        10,
    )
    .await
    .unwrap();
    // The launcher: the widget comes last on the page.
    key_until(&tab, "Tab", LAUNCHER, 120).await;
    tab.key("Enter").await.unwrap();
    wait_in_widget(
        &tab,
        "shadow.activeElement?.textContent.trim() === 'Accetto'",
    )
    .await;
    tab.key("Space").await.unwrap();
    wait_in_widget(&tab, "shadow.activeElement?.id === 'varco-chat-input'").await;
    tab.type_text("come faccio ad avere lo spid?")
        .await
        .unwrap();
    tab.key("Enter").await.unwrap();
    wait_answers(&tab, 1).await;
    // Reading the answer: its links are reached from the box, backwards.
    key_until(&tab, "Shift+Tab", "SPID (si apre in una nuova scheda)", 10).await;
    let link = tab
        .in_widget(
            "[shadow.activeElement.tagName, !!shadow.activeElement.closest('.msg.assistant')]",
        )
        .await
        .unwrap();
    assert_eq!(link, json!(["A", true]));
    // The hand-off, from the welcome's actions.
    key_until(&tab, "Shift+Tab", "Parla con un operatore", 20).await;
    tab.key("Enter").await.unwrap();
    wait_in_widget(
        &tab,
        "shadow.querySelector('.live-status')?.textContent.includes('Posizione in coda')",
    )
    .await;
    // Escape closes the panel, wherever focus is in it, and focus is back
    // on the launcher.
    tab.key("Tab").await.unwrap();
    tab.key("Escape").await.unwrap();
    wait_in_widget(&tab, "!shadow.querySelector('.chat-panel')").await;
    assert_eq!(tab.focused().await.unwrap()["name"], LAUNCHER);
    // Reopened, the conversation waits for its operator.
    tab.key("Enter").await.unwrap();
    wait_in_widget(&tab, "shadow.activeElement?.id === 'varco-chat-input'").await;
    wait_in_widget(
        &tab,
        "shadow.querySelector('.live-status')?.textContent.includes('Posizione in coda')",
    )
    .await;
    no_violations(
        tab.axe_all_violations().await.unwrap(),
        "waiting for an operator",
    );
    server.stop().await.unwrap();
}
