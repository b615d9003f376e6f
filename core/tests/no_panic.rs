//! Every function of the core that reads text from outside (a request body,
//! a query string, the browser's storage, an assistant's answer) returns for
//! any input: arbitrary Unicode, control characters, and valid values with
//! one character changed, which is what reaches the byte positions a parser
//! looks at. A panic in the server's handlers would drop the connection; in
//! the widget it would stop the app.

use proptest::prelude::*;
use varco_core::booking::{
    check_codice_fiscale, check_email, check_name, check_person, check_phone,
    normalise_booking_code, parse_hhmm, Date,
};
use varco_core::booking_request::{booking_request, Bookable, BookableOffice};
use varco_core::chat::{current_thread, parse_outbox, terms_accepted};
use varco_core::consent::{
    check_record, cookie_domains, is_uuid_v4, parse_rfc3339_ms, parse_stored, rfc3339_utc, Rules,
};
use varco_core::lang::Lang;
use varco_core::navigation::{
    clean_path, parse_deletions, parse_history, prune, History, Limits, StoredEntry,
};
use varco_core::{markdown, redact};
use varco_protocol::booking::Person;
use varco_protocol::{ConsentAction, ConsentRecord};

/// Characters that parsers trip on: multi-byte ones in every UTF-8 length,
/// controls, separators and digits.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        any::<char>(),
        prop::sample::select(vec![
            'é', 'ß', 'İ', '€', '𝄞', '\u{300}', '\u{0}', '\u{7f}', '\n', '\t', ' ', '-', ':', '+',
            '.', 'T', 'Z', '0', '9', '@', '%', '*', '_', '[', ']', '(', ')', '#', '?', '&',
        ]),
    ]
}

/// `valid` with one edit: a character replaced, inserted or removed, two
/// replaced by one (a two-byte character then keeps the length in bytes),
/// or the text cut short.
fn mutated(valid: &'static str) -> impl Strategy<Value = String> {
    let len = valid.chars().count();
    (0..5u8, 0..=len, tricky_char()).prop_map(move |(op, at, c)| {
        let mut chars: Vec<char> = valid.chars().collect();
        match op {
            0 if at < chars.len() => chars[at] = c,
            1 => chars.insert(at, c),
            2 if at < chars.len() => {
                chars.remove(at);
            }
            3 if at + 1 < chars.len() => {
                chars.splice(at..at + 2, [c]);
            }
            _ => chars.truncate(at),
        }
        chars.into_iter().collect()
    })
}

/// Arbitrary text, short text of tricky characters, or a valid example of
/// `valid` with one edit.
fn text_near(valid: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(tricky_char(), 0..40).prop_map(|v| v.into_iter().collect()),
        mutated(valid),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2_000,
        // A failure prints its minimal input; nothing is written beside the sources.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn rfc3339_times_parse_or_are_refused(s in prop_oneof![
        text_near("2026-01-01T10:20:30.123+01:00"),
        mutated("2026-01-01T00:00:00+0100"),
        mutated("2026-12-31T23:59:60Z"),
    ]) {
        // Whatever parses (within the years printed with four digits) prints
        // back as a time that parses to the same instant.
        if let Some(ms) = parse_rfc3339_ms(&s).filter(|ms| (0..253_402_300_800_000).contains(ms)) {
            prop_assert_eq!(parse_rfc3339_ms(&rfc3339_utc(ms)), Some(ms));
        }
    }

    #[test]
    fn utc_times_print_for_any_instant(ms in any::<i64>()) {
        let _ = rfc3339_utc(ms);
    }

    #[test]
    fn booking_fields_are_checked_or_refused(
        date in text_near("2026-03-14"),
        time in text_near("09:40"),
        code in text_near("ABCD-2345"),
        cf in text_near("RSSMRA85T10A562S"),
        email in text_near("mario.rossi@example.it"),
        phone in text_near("+39 333 123 4567"),
        name in text_near("D'Amico-Bianchi"),
    ) {
        let _ = Date::parse(&date);
        let _ = parse_hhmm(&time);
        let _ = normalise_booking_code(&code);
        let _ = check_codice_fiscale(&cf);
        let _ = check_email(&email);
        let _ = check_phone(&phone);
        let _ = check_name(&name);
        let person = Person { nome: name.clone(), cognome: name, codice_fiscale: cf, telefono: phone, email };
        let _ = check_person(&person, Lang::It);
        let _ = check_person(&person, Lang::En);
    }

    #[test]
    fn redaction_returns_for_any_message(s in text_near("CF RSSMRA85T10A562S, tel +39 02 1234.5678, IBAN IT60 X054 2811 1010 0000 0123 456, mail a@b.it, € 1.250,00 prot. 2024/0012345")) {
        let _ = redact::redact(&s);
    }

    #[test]
    fn any_message_is_read_for_a_booking_request(s in text_near("Vorrei prenotare un appuntamento per la firma digitale a Monzà, all’ora di pranzo")) {
        let services = [Bookable { id: "firma-digitale".into(), names: vec!["Firma digitale e CNS".into(), "É".into(), "".into()] }];
        let offices = [BookableOffice { place: Bookable { id: "monza".into(), names: vec!["Sede di Monza".into()] }, services: vec!["firma-digitale".into()] }];
        let _ = booking_request(&s, &services, &offices);
        let _ = booking_request(&s, &[], &[]);
    }

    #[test]
    fn any_rfc3339_text_is_written_as_a_date_or_refused(s in text_near("2026-12-04T09:30:00.000+01:00")) {
        let _ = varco_core::dates::format_datetime_rome(Lang::It, &s);
        let _ = varco_core::dates::format_iso_day(Lang::En, &s, varco_core::dates::DateStyle::Weekday);
    }

    #[test]
    fn markdown_parses_any_answer(s in text_near("Vedi **qui**:\n\n- [sito](https://x.it/a_(b)) *e* _f_\n1. uno\n\nfine")) {
        let blocks = markdown::parse(&s);
        for block in &blocks {
            if let markdown::Block::Paragraph(inlines) = block {
                let _ = markdown::plain_text(inlines);
            }
        }
        let _ = markdown::safe_href(&s);
    }

    #[test]
    fn what_the_browser_stores_is_read_or_refused(s in text_near(r#"{"v":1,"consent_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","revision":"1","decided_at":"2026-01-01T00:00:00Z","decided_ms":1,"accepted":[],"rejected":[],"action":"close"}"#)) {
        let _ = parse_stored(Some(&s));
        let _ = parse_history(Some(&s), "milomb");
        let _ = parse_deletions(Some(&s));
        let _ = parse_outbox(Some(&s));
        let _ = terms_accepted(Some(&s), "1");
        let _ = is_uuid_v4(&s);
        let _ = Lang::from_tag(&s);
        let _ = cookie_domains(&s);
        let _ = clean_path(&s, &["q".to_owned()]);
    }

    #[test]
    fn a_stored_thread_with_any_times_is_read(created in any::<i64>(), active in any::<i64>(), now in any::<i64>()) {
        let raw = format!(r#"{{"thread_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","site":"milomb","created_ms":{created},"active_ms":{active}}}"#);
        let _ = current_thread(Some(&raw), "milomb", now, u32::MAX);
    }

    #[test]
    fn a_history_with_any_times_is_pruned(at in prop::collection::vec(any::<i64>(), 0..8), now in any::<i64>(), max_days in any::<u32>()) {
        let history = History {
            site: "milomb".into(),
            user_id: "3f2504e0-4f89-41d3-9a0c-0305e82c3301".into(),
            entries: at.into_iter().map(|at_ms| StoredEntry {
                key: "3f2504e0-4f89-41d3-9a0c-0305e82c3302".into(),
                path: "/".into(),
                title: String::new(),
                at_ms,
                uploaded: false,
            }).collect(),
        };
        let _ = prune(history, now, &Limits { max_entries: 4, max_days });
    }

    #[test]
    fn consent_records_are_checked_for_any_values(
        decided_at in text_near("2026-01-01T00:00:00Z"),
        s in any::<String>(),
    ) {
        let record = ConsentRecord {
            record_id: s.clone(),
            consent_id: s.clone(),
            site: s.clone(),
            decided_at,
            revision: s.clone(),
            accepted: vec![s.clone()],
            rejected: vec![s.clone()],
            action: ConsentAction::Custom,
            language: s.clone(),
            texts_hash: s,
            services_accepted: Vec::new(),
            services_rejected: Vec::new(),
        };
        let rules = Rules {
            revision: "1".into(),
            categories: vec![("necessari".into(), true), ("analitici".into(), false)],
            services: vec![],
            accept_days: 365,
            refuse_days: 180,
            respect_gpc: true,
        };
        let published = [varco_core::consent::published_categories(&rules)];
        let _ = check_record(&record, &published, 1_767_225_600_000);
    }
}

/// The request seen in the wild: a time-zone offset with a two-byte
/// character where the parser sliced by byte position.
#[test]
fn an_offset_with_a_multi_byte_character_is_refused() {
    assert_eq!(parse_rfc3339_ms("2026-01-01T00:00:00+0\u{e9}00"), None);
    assert_eq!(parse_rfc3339_ms("2026-01-01T00:00:00+\u{e9}:00"), None);
    assert_eq!(parse_rfc3339_ms("2026-01-01T00:00:00+01:\u{e9}"), None);
    assert_eq!(parse_rfc3339_ms("2026-01-01T00:00:00.\u{e9}Z"), None);
    assert_eq!(parse_rfc3339_ms("2026-01-01T00:00:0\u{e9}Z"), None);
    assert_eq!(parse_rfc3339_ms("2026-0\u{e9}-01T00:00:00Z"), None);
}
