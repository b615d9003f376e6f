//! Booking an appointment inside the assistant (issue 6), end to end: the
//! flow up to the code and the `.ics` file, the codice fiscale checked as
//! it is typed, and the details going to the appointments store only.

use varco_e2e::{Chromium, Tab, TestServer};

const HOME: &str = "/demo-site/milomb/index.html";

/// Chooses `value` in the widget's `<select id=...>`, as a visitor would.
async fn choose(tab: &Tab, id: &str, value: &str) {
    let js = format!(
        "(() => {{ const s = shadow.getElementById({id:?}); s.value = {value:?}; s.dispatchEvent(new Event('change', {{ bubbles: true }})); return s.value; }})()"
    );
    assert_eq!(tab.in_widget(&js).await.unwrap(), value, "{id}");
}

/// Types into the widget's field `id` (real input events), then leaves it.
async fn fill(tab: &Tab, id: &str, text: &str) {
    tab.in_widget(&format!(
        "(() => {{ const i = shadow.getElementById({id:?}); i.focus(); i.select(); }})()"
    ))
    .await
    .unwrap();
    tab.type_text(text).await.unwrap();
    tab.key("Tab").await.unwrap();
}

async fn wait_in_widget(tab: &Tab, condition: &str) {
    tab.wait_for(
        &format!("(() => {{ const shadow = document.querySelector('varco-widget').shadowRoot; return !!({condition}); }})()"),
        15,
    )
    .await
    .unwrap_or_else(|e| panic!("{condition}: {e}"));
}

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
    let storage = varco_server::storage::Storage::open(&server.db_path)
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
    let errors: Vec<_> = tab
        .errors()
        .into_iter()
        .filter(|e| !e.text.contains("favicon.ico"))
        .collect();
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
    let storage = varco_server::storage::Storage::open(&server.db_path)
        .await
        .unwrap();
    let rows = storage.appointments_on("milomb", &date).await.unwrap();
    storage.close().await;
    assert!(rows[0].cancelled_at.is_some());
    server.stop().await.unwrap();
}
