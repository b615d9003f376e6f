//! Booking an appointment inside the assistant (issue 6), end to end: the
//! flow up to the code and the `.ics` file, the codice fiscale checked as
//! it is typed, and the details going to the appointments store only.
//! Issue 17: a request that names the service and the office opens the
//! flow with them chosen; the whole flow with the keyboard alone, Escape
//! one step at a time; every step whole on screen at every size, with 0
//! axe violations.

use serde_json::json;
use varco_e2e::{ask, choose, fill, wait_in_widget, Chromium, Tab, TestServer};

const HOME: &str = "/demo-site/milomb/index.html";

/// Opens the booking flow on the Camera's home page, as a visitor would.
async fn open_booking(tab: &Tab, server: &TestServer) {
    tab.open(&server.url(HOME)).await.unwrap();
    tab.press("Rifiuta tutti").await.unwrap();
    tab.press("Apri l'assistente virtuale CamOn").await.unwrap();
    tab.press("Accetto").await.unwrap();
    tab.press("Prenota un appuntamento").await.unwrap();
    wait_in_widget(
        tab,
        "shadow.getElementById('varco-bk-service')?.options.length > 1",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_books_an_appointment_and_gets_a_code_and_a_calendar_file() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.before_load(
        "const c0 = URL.createObjectURL; URL.createObjectURL = b => { window.__download = b; return c0(b); };",
    )
    .await
    .unwrap();
    open_booking(&tab, &server).await;

    // 1. Service and office.
    wait_in_widget(
        &tab,
        "shadow.getElementById('varco-bk-service')?.options.length > 1",
    )
    .await;
    choose(&tab, "varco-bk-service", "spid").await;
    choose(&tab, "varco-bk-office", "milano").await;
    tab.press("Avanti").await.unwrap();

    // 2. The first free time of the first day offered.
    wait_in_widget(
        &tab,
        "shadow.querySelector('input[name=varco-bk-time]:not([disabled])')",
    )
    .await;
    let start = tab
        .in_widget("(() => { const r = shadow.querySelector('input[name=varco-bk-time]:not([disabled])'); r.click(); return r.value; })()")
        .await
        .unwrap();
    let date = tab
        .in_widget("shadow.getElementById('varco-bk-day').value")
        .await
        .unwrap();
    tab.press("Avanti").await.unwrap();

    // 3. Details: a codice fiscale with a wrong last character is caught
    // when the field is left, next to it and announced.
    wait_in_widget(&tab, "shadow.getElementById('varco-bk-nome')").await;
    fill(&tab, "varco-bk-nome", "Mario").await;
    fill(&tab, "varco-bk-cognome", "Rossi").await;
    fill(&tab, "varco-bk-codice_fiscale", "RSSMRA85T10A562T").await;
    wait_in_widget(
        &tab,
        "shadow.getElementById('varco-bk-codice_fiscale').getAttribute('aria-invalid') === 'true'",
    )
    .await;
    let error = tab
        .in_widget("(() => { const i = shadow.getElementById('varco-bk-codice_fiscale'); const e = shadow.getElementById(i.getAttribute('aria-describedby')); return [e.textContent, e.getAttribute('role')]; })()")
        .await
        .unwrap();
    assert!(
        error[0].as_str().unwrap().contains("codice fiscale") && error[1] == "alert",
        "{error}"
    );
    fill(&tab, "varco-bk-codice_fiscale", "RSSMRA85T10A562S").await;
    wait_in_widget(
        &tab,
        "shadow.getElementById('varco-bk-codice_fiscale').getAttribute('aria-invalid') === 'false'",
    )
    .await;
    fill(&tab, "varco-bk-telefono", "333 123 4567").await;
    fill(&tab, "varco-bk-email", "mario.rossi@example.it").await;
    // Without the notice acknowledged, "Avanti" stops on it.
    tab.press("Avanti").await.unwrap();
    wait_in_widget(&tab, "shadow.getElementById('varco-bk-privacy-error')").await;
    tab.in_widget("shadow.getElementById('varco-bk-privacy').click()")
        .await
        .unwrap();
    let violations = tab.axe_violations().await.unwrap();
    assert_eq!(violations, serde_json::json!([]), "{violations:#}");
    tab.press("Avanti").await.unwrap();

    // 4. Summary, then confirmation.
    wait_in_widget(&tab, "shadow.querySelector('.booking-summary')").await;
    let summary = tab
        .in_widget("shadow.querySelector('.booking-summary').textContent")
        .await
        .unwrap();
    assert!(
        summary.as_str().unwrap().contains("RSSMRA85T10A562S"),
        "{summary}"
    );
    tab.press("Conferma la prenotazione").await.unwrap();
    wait_in_widget(&tab, "shadow.querySelector('.booking-code')").await;
    let code = tab
        .in_widget("shadow.querySelector('.booking-code').textContent")
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(code.len(), 9, "{code}");

    tab.press("Aggiungi al calendario (file .ics)")
        .await
        .unwrap();
    tab.wait_for("!!window.__download", 5).await.unwrap();
    let ics = tab.eval("window.__download.text()").await.unwrap();
    let ics = ics.as_str().unwrap();
    assert!(
        ics.starts_with("BEGIN:VCALENDAR") && ics.contains(&code),
        "{ics}"
    );
    let violations = tab.axe_violations().await.unwrap();
    assert_eq!(violations, serde_json::json!([]), "{violations:#}");

    // The appointments store has it; the conversation does not.
    let storage = varco_server::storage::Storage::open(&server.database)
        .await
        .unwrap();
    let day = storage
        .appointments_on("milomb", date.as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(day.len(), 1);
    assert_eq!(day[0].code, code);
    assert_eq!(day[0].start, start.as_str().unwrap());
    assert_eq!(day[0].codice_fiscale, "RSSMRA85T10A562S");
    assert_eq!(day[0].telefono, "+393331234567");
    storage.close().await;
    let leaked: Vec<String> = tab
        .requests()
        .into_iter()
        .filter(|r| !r.url.contains("/appointments"))
        .map(|r| format!("{} {}", r.url, r.body.unwrap_or_default()))
        .filter(|r| r.contains("RSSMRA85T10A562S") || r.contains("Rossi"))
        .collect();
    assert!(
        leaked.is_empty(),
        "details only go to the appointments: {leaked:?}"
    );
    let stored_text = tab.eval("JSON.stringify(localStorage)").await.unwrap();
    assert!(
        !stored_text.as_str().unwrap().contains("RSSMRA85T10A562S"),
        "nothing of the booking is kept in the browser"
    );
    let errors = tab.errors_but_favicon();
    assert!(errors.is_empty(), "{errors:?}");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_is_cancelled_from_the_assistant_with_its_code_and_email() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.open(&server.url(HOME)).await.unwrap();
    // A booking made through the API, as on another visit.
    let made = tab
        .eval(
            "(async () => {
                const slots = await (await fetch('/api/v1/appointments/slots?site=milomb&office=milano&service=spid')).json();
                const day = slots.days[0];
                const r = await fetch('/api/v1/appointments', { method: 'POST', headers: { 'content-type': 'application/json' },
                    body: JSON.stringify({ site: 'milomb', request_id: crypto.randomUUID(), service: 'spid', office: 'milano',
                        date: day.date, start: day.slots[0].start, privacy_acknowledged: true,
                        person: { nome: 'Anna', cognome: 'Bianchi', codice_fiscale: 'RSSMRA85T10A562S',
                                  telefono: '02 1234567', email: 'anna.bianchi@example.it' } }) });
                return { status: r.status, code: (await r.json()).code, date: day.date };
            })()",
        )
        .await
        .unwrap();
    assert_eq!(made["status"], 201, "{made}");
    let code = made["code"].as_str().unwrap().to_owned();
    let date = made["date"].as_str().unwrap().to_owned();
    open_booking(&tab, &server).await;
    wait_in_widget(
        &tab,
        "shadow.getElementById('varco-bk-service')?.options.length > 1",
    )
    .await;
    tab.press("Annulla una prenotazione").await.unwrap();
    wait_in_widget(&tab, "shadow.getElementById('varco-bk-code')").await;
    fill(&tab, "varco-bk-code", &code.to_lowercase()).await;
    fill(&tab, "varco-bk-cancel-email", "someone@example.it").await;
    tab.press("Annulla la prenotazione").await.unwrap();
    wait_in_widget(
        &tab,
        "shadow.querySelector('.booking-notice')?.textContent.includes('Non troviamo')",
    )
    .await;
    fill(&tab, "varco-bk-cancel-email", "anna.bianchi@example.it").await;
    tab.press("Annulla la prenotazione").await.unwrap();
    wait_in_widget(
        &tab,
        "shadow.querySelector('.booking [role=status]')?.textContent.includes('annullata')",
    )
    .await;
    let storage = varco_server::storage::Storage::open(&server.database)
        .await
        .unwrap();
    let rows = storage.appointments_on("milomb", &date).await.unwrap();
    storage.close().await;
    assert!(rows[0].cancelled_at.is_some());
    server.stop().await.unwrap();
}

/// Presses Tab until the focused control is the widget's control named
/// `name` (its `aria-label` or text), as a keyboard user goes; fails after
/// `max` presses.
async fn tab_to(tab: &Tab, name: &str, max: usize) {
    for _ in 0..max {
        tab.key("Tab").await.unwrap();
        let f = tab.focused().await.unwrap();
        if f["inWidget"] == true && f["name"] == name {
            return;
        }
    }
    panic!("{name:?} not reached in {max} Tab presses");
}

/// Presses Tab until the widget's element `id` has focus.
async fn tab_to_id(tab: &Tab, id: &str, max: usize) {
    for _ in 0..max {
        tab.key("Tab").await.unwrap();
        if tab.focused_id().await.unwrap() == id {
            return;
        }
    }
    panic!("#{id} not reached in {max} Tab presses");
}

/// Waits until the focused control is the widget's control named `name`.
async fn wait_focus_on(tab: &Tab, name: &str) {
    tab.wait_for(
        &format!(
            "(() => {{ const s = document.querySelector('varco-widget').shadowRoot; const e = s.activeElement;
                return !!e && (e.getAttribute('aria-label') || e.textContent || '').trim() === {name:?}; }})()"
        ),
        15,
    )
    .await
    .unwrap_or_else(|e| panic!("focus on {name:?}: {e}"));
}

/// Which booking step is shown, by what only it has.
const STEP_JS: &str =
    "(() => { const b = shadow.querySelector('.booking'); if (!b) return 'closed';
    if (shadow.getElementById('varco-bk-service')) return 'choose';
    if (shadow.getElementById('varco-bk-day')) return 'slot';
    if (shadow.getElementById('varco-bk-nome')) return 'details';
    if (shadow.querySelector('.booking-code')) return 'done';
    if (shadow.querySelector('.booking-summary')) return 'confirm';
    return 'other'; })()";

async fn wait_step(tab: &Tab, step: &str) {
    wait_in_widget(tab, &format!("{STEP_JS} === {step:?}")).await;
}

/// Every control of the step whole on screen, 0 axe violations of any
/// rule on the page, and a screenshot to look at.
async fn check_step(tab: &Tab, name: &str) {
    tab.screenshot(&format!("booking-{name}")).await.unwrap();
    let problems = tab.widget_geometry_problems().await.unwrap();
    assert!(problems.is_empty(), "{name}: {problems:#?}");
    let violations = tab.axe_all_violations().await.unwrap();
    assert_eq!(violations, json!([]), "{name}: {violations:#}");
}

/// The assistant's panel, terms accepted, on the Camera's home page.
async fn open_assistant(tab: &Tab, server: &TestServer) {
    tab.open(&server.url(HOME)).await.unwrap();
    tab.press("Rifiuta tutti").await.unwrap();
    tab.press("Apri l'assistente virtuale CamOn").await.unwrap();
    tab.press("Accetto").await.unwrap();
    wait_in_widget(tab, "!shadow.getElementById('varco-chat-input').disabled").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_naming_the_service_and_the_office_opens_the_flow_with_them_chosen() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    open_assistant(&tab, &server).await;
    ask(
        &tab,
        "voglio prenotare un appuntamento per la firma digitale a Monza",
    )
    .await;

    // Both chosen, and the visitor is told so.
    wait_in_widget(
        &tab,
        "shadow.getElementById('varco-bk-service')?.value === 'firma-digitale' && shadow.getElementById('varco-bk-office')?.value === 'monza'",
    )
    .await;
    let shown = tab
        .in_widget("[shadow.getElementById('varco-bk-service').selectedOptions[0].textContent, shadow.getElementById('varco-bk-office').selectedOptions[0].textContent, shadow.querySelector('.booking-prefilled')?.textContent]")
        .await
        .unwrap();
    assert_eq!(shown[0], "Firma digitale e CNS", "{shown}");
    assert!(
        shown[1].as_str().unwrap().starts_with("Sede di Monza"),
        "{shown}"
    );
    assert!(
        shown[2].as_str().unwrap().contains("già inserite"),
        "{shown}"
    );

    // The visitor changes the office: the service stays.
    choose(&tab, "varco-bk-office", "milano").await;
    assert_eq!(
        tab.in_widget("shadow.getElementById('varco-bk-service').value")
            .await
            .unwrap(),
        "firma-digitale"
    );
    tab.press("Avanti").await.unwrap();
    wait_step(&tab, "slot").await;
    let asked = tab
        .requests()
        .into_iter()
        .filter(|r| r.url.contains("/appointments/slots"))
        .map(|r| r.url)
        .collect::<Vec<_>>();
    assert!(
        asked
            .last()
            .is_some_and(|u| u.contains("office=milano") && u.contains("service=firma-digitale")),
        "{asked:?}"
    );

    // Closed, the conversation shows the answer: it named the choices and
    // did not ask for them.
    tab.press("Chiudi la prenotazione").await.unwrap();
    wait_in_widget(&tab, "shadow.querySelector('.messages .msg.assistant')").await;
    let answer = tab
        .in_widget("shadow.querySelector('.messages .msg.assistant').textContent")
        .await
        .unwrap();
    let answer = answer.as_str().unwrap();
    assert!(
        answer.contains("«Firma digitale e CNS»") && answer.contains("«Sede di Monza»"),
        "{answer}"
    );
    assert!(!answer.contains("dimmi per quale servizio"), "{answer}");

    // A request that names only the service chooses only the service.
    ask(&tab, "vorrei prenotare un apuntamento per lo SPID").await;
    wait_in_widget(
        &tab,
        "shadow.getElementById('varco-bk-service')?.value === 'spid'",
    )
    .await;
    assert_eq!(
        tab.in_widget("shadow.getElementById('varco-bk-office').value")
            .await
            .unwrap(),
        ""
    );
    // «Avanti» without an office looks and is unusable, and says why.
    let avanti = tab
        .in_widget("(() => { const b = [...shadow.querySelectorAll('.booking-nav button')].find(b => b.textContent.trim() === 'Avanti'); const s = getComputedStyle(b); return [b.getAttribute('aria-disabled'), s.cursor, s.backgroundColor]; })()")
        .await
        .unwrap();
    assert_eq!(avanti[0], "true", "{avanti}");
    assert_eq!(avanti[1], "not-allowed", "{avanti}");
    assert_ne!(
        avanti[2], "rgb(0, 102, 204)",
        "not the enabled colour: {avanti}"
    );
    tab.clear_requests();
    tab.press("Avanti").await.unwrap();
    wait_in_widget(
        &tab,
        "shadow.querySelector('.booking-notice')?.textContent.includes('Scegli il servizio e la sede')",
    )
    .await;
    assert_eq!(
        tab.in_widget(STEP_JS).await.unwrap(),
        "choose",
        "the press was ignored"
    );
    assert!(
        !tab.requests().iter().any(|r| r.url.contains("/slots")),
        "nothing was asked"
    );

    // Escape from the panel's header closes the booking first, not the
    // assistant.
    tab.in_widget("shadow.querySelector('.chat-head button').focus()")
        .await
        .unwrap();
    tab.key("Escape").await.unwrap();
    wait_in_widget(
        &tab,
        "!shadow.querySelector('.booking') && !!shadow.querySelector('.chat-panel')",
    )
    .await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_booking_is_made_with_the_keyboard_and_escape_goes_back_one_step_at_a_time() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.before_load(
        "const c0 = URL.createObjectURL; URL.createObjectURL = b => { window.__download = b; return c0(b); };",
    )
    .await
    .unwrap();
    tab.zoomed_screen(1280, 800, 1.0).await.unwrap();
    tab.open(&server.url(HOME)).await.unwrap();

    // Consent and the assistant, with the keyboard.
    tab_to(&tab, "Rifiuta tutti", 200).await;
    tab.key("Enter").await.unwrap();
    wait_in_widget(&tab, "!shadow.querySelector('section.banner')").await;
    tab_to(&tab, "Apri l'assistente virtuale CamOn", 200).await;
    tab.key("Enter").await.unwrap();
    wait_focus_on(&tab, "Accetto").await;
    tab.key("Enter").await.unwrap();
    tab.wait_for(
        "document.querySelector('varco-widget').shadowRoot.activeElement?.id === 'varco-chat-input'",
        15,
    )
    .await
    .unwrap();
    tab.type_text("voglio prenotare un appuntamento per la firma digitale a Monza")
        .await
        .unwrap();
    tab.key("Enter").await.unwrap();

    // 1. Chosen already; the step's heading has focus.
    wait_in_widget(
        &tab,
        "shadow.getElementById('varco-bk-office')?.value === 'monza' && shadow.activeElement?.id === 'varco-booking-title'",
    )
    .await;
    check_step(&tab, "1-choose-1280x800").await;

    // Escape on the first step closes the booking, not the assistant, and
    // focus returns to the button that opens it again.
    tab.key("Escape").await.unwrap();
    wait_in_widget(
        &tab,
        "!shadow.querySelector('.booking') && !!shadow.querySelector('.chat-panel')",
    )
    .await;
    wait_focus_on(&tab, "Prenota un appuntamento").await;
    tab.key("Enter").await.unwrap();
    wait_in_widget(
        &tab,
        "shadow.getElementById('varco-bk-office')?.value === 'monza'",
    )
    .await;

    // 2. The day and the time; Escape comes back to «Avanti» of step 1.
    tab_to(&tab, "Avanti", 10).await;
    tab.key("Enter").await.unwrap();
    wait_step(&tab, "slot").await;
    wait_in_widget(&tab, "shadow.querySelector('input[name=varco-bk-time]')").await;
    tab.key("Escape").await.unwrap();
    wait_step(&tab, "choose").await;
    wait_focus_on(&tab, "Avanti").await;
    tab.key("Enter").await.unwrap();
    wait_step(&tab, "slot").await;
    wait_in_widget(&tab, "shadow.querySelector('input[name=varco-bk-time]')").await;
    let day = tab
        .in_widget("shadow.getElementById('varco-bk-day').selectedOptions[0].textContent")
        .await
        .unwrap();
    assert!(
        day.as_str().unwrap().ends_with(" 2026") || day.as_str().unwrap().ends_with(" 2027"),
        "a day in words: {day}"
    );
    assert!(!day.as_str().unwrap().contains('-'), "no ISO date: {day}");
    check_step(&tab, "2-slot-1280x800").await;
    for _ in 0..10 {
        tab.key("Tab").await.unwrap();
        if tab
            .in_widget("shadow.activeElement?.name === 'varco-bk-time'")
            .await
            .unwrap()
            == true
        {
            break;
        }
    }
    tab.key("Space").await.unwrap();
    wait_in_widget(
        &tab,
        "shadow.querySelector('input[name=varco-bk-time]:checked')",
    )
    .await;
    let start = tab
        .in_widget("shadow.querySelector('input[name=varco-bk-time]:checked').value")
        .await
        .unwrap();
    tab_to(&tab, "Avanti", 10).await;
    tab.key("Enter").await.unwrap();

    // 3. The details, typed.
    wait_step(&tab, "details").await;
    for (id, text) in [
        ("varco-bk-nome", "Mario"),
        ("varco-bk-cognome", "Rossi"),
        ("varco-bk-codice_fiscale", "RSSMRA85T10A562S"),
        ("varco-bk-telefono", "333 123 4567"),
        ("varco-bk-email", "mario.rossi@example.it"),
    ] {
        tab_to_id(&tab, id, 10).await;
        tab.type_text(text).await.unwrap();
    }
    tab_to_id(&tab, "varco-bk-privacy", 5).await;
    tab.key("Space").await.unwrap();
    wait_in_widget(&tab, "shadow.getElementById('varco-bk-privacy').checked").await;
    check_step(&tab, "3-details-1280x800").await;
    // Escape: back to the time, still chosen; Enter: the details, kept.
    tab.key("Escape").await.unwrap();
    wait_step(&tab, "slot").await;
    wait_focus_on(&tab, "Avanti").await;
    assert_eq!(
        tab.in_widget("shadow.querySelector('input[name=varco-bk-time]:checked')?.value")
            .await
            .unwrap(),
        start
    );
    tab.key("Enter").await.unwrap();
    wait_step(&tab, "details").await;
    assert_eq!(
        tab.in_widget("shadow.getElementById('varco-bk-email').value")
            .await
            .unwrap(),
        "mario.rossi@example.it"
    );
    tab_to(&tab, "Avanti", 15).await;
    tab.key("Enter").await.unwrap();

    // 4. The summary, in words: «venerdì 4 dicembre 2026 alle 09:30».
    wait_step(&tab, "confirm").await;
    let summary = tab
        .in_widget("shadow.querySelector('.booking-summary').textContent")
        .await
        .unwrap();
    let start = start.as_str().unwrap();
    assert!(
        summary
            .as_str()
            .unwrap()
            .contains(&format!(" alle {start}")),
        "{summary}"
    );
    check_step(&tab, "4-confirm-1280x800").await;
    tab.key("Escape").await.unwrap();
    wait_step(&tab, "details").await;
    wait_focus_on(&tab, "Avanti").await;
    tab.key("Enter").await.unwrap();
    wait_step(&tab, "confirm").await;
    tab_to(&tab, "Conferma la prenotazione", 10).await;
    tab.key("Enter").await.unwrap();

    // 5. The code, and the calendar file.
    wait_step(&tab, "done").await;
    let code = tab
        .in_widget("shadow.querySelector('.booking-code').textContent")
        .await
        .unwrap();
    assert_eq!(code.as_str().unwrap().len(), 9, "{code}");
    let when = tab
        .in_widget("shadow.querySelector('.booking-summary').textContent")
        .await
        .unwrap();
    assert!(
        when.as_str()
            .unwrap()
            .contains(&format!("dalle {start} alle ")),
        "{when}"
    );
    check_step(&tab, "5-done-1280x800").await;
    tab_to(&tab, "Aggiungi al calendario (file .ics)", 10).await;
    tab.key("Enter").await.unwrap();
    tab.wait_for("!!window.__download", 10).await.unwrap();
    // Escape leaves the booking; the assistant stays open, focus on the
    // button that had opened it.
    tab.key("Escape").await.unwrap();
    wait_in_widget(
        &tab,
        "!shadow.querySelector('.booking') && !!shadow.querySelector('.chat-panel')",
    )
    .await;
    wait_focus_on(&tab, "Prenota un appuntamento").await;
    server.stop().await.unwrap();
}

/// Walks the flow to its summary (and with `book` to the code) with
/// clicks and typing, checking each step: every control whole on screen
/// (the step's content scrolls, its actions stay in view), and, with `axe`,
/// 0 violations.
async fn walk_to_the_summary(tab: &Tab, server: &TestServer, size: &str, axe: bool, book: bool) {
    let check = |name: &'static str| async move {
        tab.screenshot(&format!("booking-{name}-{size}"))
            .await
            .unwrap();
        let problems = tab.widget_geometry_problems().await.unwrap();
        assert!(problems.is_empty(), "{size} {name}: {problems:#?}");
        if axe {
            let violations = tab.axe_all_violations().await.unwrap();
            assert_eq!(violations, json!([]), "{size} {name}: {violations:#}");
        }
    };
    open_assistant(tab, server).await;
    tab.press("Prenota un appuntamento").await.unwrap();
    wait_in_widget(
        tab,
        "shadow.getElementById('varco-bk-service')?.options.length > 1",
    )
    .await;
    check("1-choose").await;
    choose(tab, "varco-bk-service", "spid").await;
    choose(tab, "varco-bk-office", "milano").await;
    tab.press("Avanti").await.unwrap();
    wait_in_widget(
        tab,
        "shadow.querySelector('input[name=varco-bk-time]:not([disabled])')",
    )
    .await;
    check("2-slot").await;
    tab.in_widget("shadow.querySelector('input[name=varco-bk-time]:not([disabled])').click()")
        .await
        .unwrap();
    tab.press("Avanti").await.unwrap();
    wait_step(tab, "details").await;
    // With every problem shown: the longest the step gets.
    tab.press("Avanti").await.unwrap();
    wait_in_widget(tab, "shadow.getElementById('varco-bk-privacy-error')").await;
    check("3-details-errors").await;
    fill(tab, "varco-bk-nome", "Maria Vittoria").await;
    fill(tab, "varco-bk-cognome", "De Santis").await;
    fill(tab, "varco-bk-codice_fiscale", "RSSMRA85T10A562S").await;
    fill(tab, "varco-bk-telefono", "333 123 4567").await;
    fill(tab, "varco-bk-email", "maria.desantis@example.it").await;
    tab.in_widget("shadow.getElementById('varco-bk-privacy').click()")
        .await
        .unwrap();
    tab.press("Avanti").await.unwrap();
    wait_step(tab, "confirm").await;
    check("4-confirm").await;
    if book {
        tab.press("Conferma la prenotazione").await.unwrap();
        wait_step(tab, "done").await;
        check("5-done").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_booking_step_is_whole_on_phones_and_at_200_percent_zoom() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.phone_screen(390, 844).await.unwrap();
    walk_to_the_summary(&tab, &server, "390x844", true, true).await;
    let tab = chromium.tab().await.unwrap();
    tab.phone_screen(360, 640).await.unwrap();
    walk_to_the_summary(&tab, &server, "360x640", false, false).await;
    let tab = chromium.tab().await.unwrap();
    tab.zoomed_screen(1280, 800, 2.0).await.unwrap();
    walk_to_the_summary(&tab, &server, "1280x800-zoom200", false, true).await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_field_tells_the_keyboard_and_the_browser_what_it_holds() {
    let server = TestServer::start(&[]).await.unwrap();
    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    open_assistant(&tab, &server).await;
    tab.press("Prenota un appuntamento").await.unwrap();
    wait_in_widget(
        &tab,
        "shadow.getElementById('varco-bk-service')?.options.length > 1",
    )
    .await;
    choose(&tab, "varco-bk-service", "spid").await;
    choose(&tab, "varco-bk-office", "milano").await;
    tab.press("Avanti").await.unwrap();
    wait_in_widget(
        &tab,
        "shadow.querySelector('input[name=varco-bk-time]:not([disabled])')",
    )
    .await;
    tab.in_widget("shadow.querySelector('input[name=varco-bk-time]:not([disabled])').click()")
        .await
        .unwrap();
    tab.press("Avanti").await.unwrap();
    wait_step(&tab, "details").await;
    let fields = tab
        .in_widget("Object.fromEntries(['nome', 'cognome', 'codice_fiscale', 'telefono', 'email'].map(f => { const i = shadow.getElementById('varco-bk-' + f);
            return [f, [i.type, i.getAttribute('autocomplete'), i.getAttribute('autocapitalize'), i.getAttribute('inputmode'), i.getAttribute('spellcheck')]]; }))")
        .await
        .unwrap();
    assert_eq!(
        fields,
        json!({
            "nome": ["text", "given-name", "words", "text", "false"],
            "cognome": ["text", "family-name", "words", "text", "false"],
            "codice_fiscale": ["text", "off", "characters", "text", "false"],
            "telefono": ["tel", "tel", "none", "tel", "false"],
            "email": ["email", "email", "none", "email", "false"],
        })
    );
    server.stop().await.unwrap();
}
