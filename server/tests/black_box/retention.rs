//! Retention, for every kind of data it purges: conversations with their
//! messages, consent records, appointments, page views, the tombstones of
//! deleted UserIDs and console sessions. For each kind, one row just past
//! its site's period and one exactly at its end are stored in a real
//! database (SQLite, or PostgreSQL: see `common::database`), the purge runs with the clock as a parameter, and exactly
//! the expired rows are gone. A second site with the default (longer)
//! periods holds rows of the same ages, which stay.

use crate::common;

use std::path::Path;
use varco_core::consent::{parse_rfc3339_ms, rfc3339_utc};
use varco_protocol::booking::Person;
use varco_protocol::chat::{Author, ChatMessage, NewThread};
use varco_protocol::{ConsentAction, ConsentRecord};
use varco_server::config::Config;
use varco_server::retention::{purge, PurgeReport};
use varco_server::storage::{NewAppointment, NewPageView, Operator, Storage, Upload};

const DAY_MS: i64 = 86_400_000;

/// `milomb` keeps each kind for a different number of days (a purge that
/// used one kind's period for another would be caught); `altro` keeps the
/// defaults, longer than all of them.
fn config(dir: &Path) -> Config {
    let widget = r#"
[sites.widget]
revision = "7"
cookie_policy_url = "/cookie-policy.html"
[[sites.widget.categories]]
id = "necessari"
necessary = true
description = "Servono al funzionamento del sito."
"#;
    let toml = format!(
        r#"
[server]
database = "varco.db"

[[sites]]
id = "milomb"
[sites.retention]
navigation_days = 30
conversation_days = 60
consent_days = 100
appointment_days = 10
{widget}
[[sites]]
id = "altro"
{widget}
"#
    );
    Config::parse(&toml, dir).unwrap()
}

/// The clock of the purge.
fn now() -> i64 {
    parse_rfc3339_ms("2027-06-15T12:00:00.000Z").unwrap()
}

/// The two ages of each kind's rows on `milomb`: one millisecond past the
/// end of the period, and exactly at its end (still kept).
fn expired(days: i64) -> i64 {
    now() - days * DAY_MS - 1
}
fn at_the_limit(days: i64) -> i64 {
    now() - days * DAY_MS
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The rows stored on one site, named by what tells them apart.
struct Rows {
    site: String,
    user: String,
    threads: [String; 4],
    consents: [String; 2],
    appointment_date: String,
    deleted_users: [String; 2],
    sessions: [String; 2],
}

/// Stores on `site`, for each kind, a row that `milomb` must purge and one
/// it must keep.
async fn store_rows(storage: &Storage, site: &str) -> Rows {
    let ms = rfc3339_utc;

    // Page views: their time is the visit's (30 days).
    let user = uuid();
    let views: Vec<NewPageView> = [
        ("/scaduta.html", expired(30)),
        ("/al-limite.html", at_the_limit(30)),
    ]
    .into_iter()
    .map(|(path, at)| NewPageView {
        key: uuid(),
        path: path.into(),
        title: "Pagina".into(),
        visited_at: ms(at),
    })
    .collect();
    let upload = storage
        .store_page_views(site, &user, &views, &ms(at_the_limit(30)))
        .await
        .unwrap();
    assert_eq!(
        upload,
        Upload::Stored {
            stored: 2,
            duplicates: 0
        }
    );

    // Conversations: their age is their last message's, or else their
    // creation's (60 days). An old thread with a recent message stays.
    let threads = [uuid(), uuid(), uuid(), uuid()];
    let (quiet_expired, quiet_kept, talked_expired, talked_kept) =
        (&threads[0], &threads[1], &threads[2], &threads[3]);
    for (thread, created) in [
        (quiet_expired, expired(60)),
        (quiet_kept, at_the_limit(60)),
        (talked_expired, expired(60) - 30 * DAY_MS),
        (talked_kept, expired(60) - 30 * DAY_MS),
    ] {
        let new = NewThread {
            thread_id: thread.clone(),
            site: site.into(),
            language: "it".into(),
            terms_revision: "1".into(),
        };
        storage.create_thread(&new, &ms(created)).await.unwrap();
    }
    for (thread, last) in [
        (talked_expired, expired(60)),
        (talked_kept, at_the_limit(60)),
    ] {
        let first = ChatMessage::new(Author::Visitor, "prima domanda", ms(last - DAY_MS));
        let again = ChatMessage::new(Author::Visitor, "seconda domanda", ms(last));
        for message in [first, again] {
            let message = ChatMessage {
                client_message_id: Some(uuid()),
                ..message
            };
            storage.append_message(thread, &message).await.unwrap();
        }
    }

    // Consent records: their age is their receipt's (100 days).
    let consents = [uuid(), uuid()];
    for (record_id, received) in consents.iter().zip([expired(100), at_the_limit(100)]) {
        let record = ConsentRecord {
            record_id: record_id.clone(),
            consent_id: uuid(),
            site: site.into(),
            decided_at: ms(received),
            revision: "7".into(),
            accepted: vec!["necessari".into()],
            rejected: vec![],
            action: ConsentAction::RejectAll,
            language: "it".into(),
            texts_hash: "h".into(),
            services_accepted: Vec::new(),
            services_rejected: Vec::new(),
        };
        storage
            .insert_consent(&record, &ms(received))
            .await
            .unwrap();
    }

    // Appointments: their age is the appointment's time (10 days), not the
    // booking's. Both on one day, at the two times.
    let appointment_date = format!("{site}-giorno");
    for (code, start, starts_at) in [
        ("AAAA-0001", "10:00", expired(10)),
        ("AAAA-0002", "10:15", at_the_limit(10)),
    ] {
        let appointment = NewAppointment {
            code: format!("{code}-{site}"),
            site: site.into(),
            request_id: uuid(),
            service: "firma-digitale".into(),
            office: "sede".into(),
            date: appointment_date.clone(),
            start: start.into(),
            end: "10:30".into(),
            starts_at: ms(starts_at),
            person: Person {
                nome: "Mario".into(),
                cognome: "Rossi".into(),
                codice_fiscale: "RSSMRA85T10A562S".into(),
                telefono: "+393331234567".into(),
                email: "mario.rossi@example.it".into(),
            },
            language: "it".into(),
            created_at: ms(starts_at - 20 * DAY_MS),
            client_key: format!("client-{site}"),
        };
        let limits = varco_core::booking::BookingLimits {
            per_person: 10,
            per_email: 10,
            per_client: 10,
        };
        storage
            .book_appointment(&appointment, 10, limits, None, 0)
            .await
            .unwrap();
    }

    // Tombstones of deleted UserIDs: kept as long as page views (30 days).
    let deleted_users = [uuid(), uuid()];
    for (user, deleted) in deleted_users.iter().zip([expired(30), at_the_limit(30)]) {
        storage.delete_user(site, user, &ms(deleted)).await.unwrap();
    }

    // Console sessions end at their own time, the same on every site: one
    // ends now (a session is valid only before its end), the other a
    // millisecond later.
    let sessions = [format!("{site}-finita"), format!("{site}-valida")];
    let operator = Operator {
        username: format!("operatore-{site}"),
        display_name: "Giulia".into(),
        sites: vec![],
        desk: false,
        office: None,
        webmaster: false,
    };
    storage
        .upsert_operator(&operator, "hash", &ms(now() - 30 * DAY_MS))
        .await
        .unwrap();
    for (token_hash, expires) in sessions.iter().zip([now(), now() + 1]) {
        storage
            .create_session(
                token_hash,
                &operator.username,
                "csrf",
                now() - DAY_MS,
                expires,
            )
            .await
            .unwrap();
    }

    Rows {
        site: site.into(),
        user,
        threads,
        consents,
        appointment_date,
        deleted_users,
        sessions,
    }
}

/// Which of each kind's two rows (expired, at the limit) are still there.
#[derive(Debug, PartialEq, Eq)]
struct Left {
    page_views: Vec<String>,
    threads: [bool; 4],
    messages: [usize; 4],
    consents: [bool; 2],
    appointments: Vec<String>,
    tombstones: [bool; 2],
    sessions: [bool; 2],
}

async fn left(storage: &Storage, rows: &Rows) -> Left {
    let site = rows.site.as_str();
    let page_views = storage
        .page_views(site, &rows.user, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|(path, _, _)| path)
        .collect();
    let mut threads = [false; 4];
    let mut messages = [0; 4];
    for (i, thread) in rows.threads.iter().enumerate() {
        threads[i] = storage.thread(thread).await.unwrap().is_some();
        messages[i] = storage.events_after(thread, 0).await.unwrap().len();
    }
    let stored_consents = storage.consents(site, "0000", "9999").await.unwrap();
    let consents = rows
        .consents
        .clone()
        .map(|id| stored_consents.iter().any(|c| c.record.record_id == id));
    let appointments = storage
        .appointments_on(site, &rows.appointment_date)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.code)
        .collect();
    // A tombstone is there while an upload for its UserID is refused.
    let mut tombstones = [false; 2];
    for (i, user) in rows.deleted_users.iter().enumerate() {
        let view = NewPageView {
            key: uuid(),
            path: "/".into(),
            title: "Pagina".into(),
            visited_at: rfc3339_utc(now()),
        };
        tombstones[i] = storage
            .store_page_views(site, user, &[view], &rfc3339_utc(now()))
            .await
            .unwrap()
            == Upload::UserDeleted;
    }
    let mut sessions = [false; 2];
    for (i, token_hash) in rows.sessions.iter().enumerate() {
        sessions[i] = storage.session(token_hash, 0).await.unwrap().is_some();
    }
    Left {
        page_views,
        threads,
        messages,
        consents,
        appointments,
        tombstones,
        sessions,
    }
}

fn count(report: &PurgeReport, site: &str, kind: &str) -> u64 {
    report
        .iter()
        .find(|(s, k, _)| s == site && k.name() == kind)
        .unwrap_or_else(|| panic!("{site} {kind} missing from {report:?}"))
        .2
}

#[tokio::test]
async fn the_purge_deletes_exactly_what_is_past_its_period_for_every_kind() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.server.database = common::database::fresh(dir.path(), "varco.db").await;
    let storage = Storage::open(&config.server.database).await.unwrap();
    let milomb = store_rows(&storage, "milomb").await;
    let altro = store_rows(&storage, "altro").await;
    let everything = Left {
        page_views: vec!["/al-limite.html".into(), "/scaduta.html".into()],
        threads: [true; 4],
        messages: [0, 0, 2, 2],
        consents: [true; 2],
        appointments: vec!["AAAA-0001-milomb".into(), "AAAA-0002-milomb".into()],
        tombstones: [true; 2],
        sessions: [true; 2],
    };
    assert_eq!(left(&storage, &milomb).await, everything);

    // A dry run counts the expired rows of each kind and deletes nothing.
    let dry = purge(&storage, &config, now(), true).await.unwrap();
    for kind in [
        "navigation",
        "conversations",
        "consents",
        "appointments",
        "tombstones",
    ] {
        let expected = if kind == "conversations" { 2 } else { 1 };
        assert_eq!(count(&dry, "milomb", kind), expected, "{kind}: {dry:?}");
        assert_eq!(count(&dry, "altro", kind), 0, "{kind}: {dry:?}");
    }
    // Both operators' ended sessions, whatever their site.
    assert_eq!(count(&dry, "*", "operator-sessions"), 2, "{dry:?}");
    assert_eq!(left(&storage, &milomb).await, everything);

    // The purge deletes what the dry run counted, and only that.
    let report = purge(&storage, &config, now(), false).await.unwrap();
    assert_eq!(report, dry);
    assert_eq!(
        left(&storage, &milomb).await,
        Left {
            page_views: vec!["/al-limite.html".into()],
            threads: [false, true, false, true],
            messages: [0, 0, 0, 2],
            consents: [false, true],
            appointments: vec!["AAAA-0002-milomb".into()],
            tombstones: [false, true],
            sessions: [false, true],
        }
    );
    let altro_left = left(&storage, &altro).await;
    assert_eq!(
        altro_left,
        Left {
            appointments: vec!["AAAA-0001-altro".into(), "AAAA-0002-altro".into()],
            sessions: [false, true],
            ..everything
        }
    );

    // Nothing more to do at the same time; a millisecond later, the rows
    // that were at the limit are past it.
    let again = purge(&storage, &config, now(), false).await.unwrap();
    assert!(again.iter().all(|(_, _, n)| *n == 0), "{again:?}");
    let later = purge(&storage, &config, now() + 1, false).await.unwrap();
    for kind in [
        "navigation",
        "conversations",
        "consents",
        "appointments",
        "tombstones",
    ] {
        let expected = if kind == "conversations" { 2 } else { 1 };
        assert_eq!(count(&later, "milomb", kind), expected, "{kind}: {later:?}");
    }
    assert_eq!(count(&later, "*", "operator-sessions"), 2, "{later:?}");
    storage.close().await;
}

#[tokio::test]
async fn messages_left_for_the_office_go_a_month_after_their_answer_or_after_three_months_unanswered(
) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.server.database = common::database::fresh(dir.path(), "varco.db").await;
    let storage = Storage::open(&config.server.database).await.unwrap();
    // (created days ago, answered days ago)
    let rows = [(40, Some(31)), (40, Some(29)), (91, None), (89, None)];
    for (i, (created, answered)) in rows.iter().enumerate() {
        let stored = storage
            .leave_message(&varco_server::storage::LeftMessage {
                id: 0,
                site: "milomb".into(),
                thread_id: format!("thread-{i}"),
                language: "it".into(),
                text: format!("messaggio {i}"),
                email: "a@example.it".into(),
                created_ms: now() - created * DAY_MS,
                answered_ms: None,
                answered_by: None,
                answer: None,
            })
            .await
            .unwrap();
        assert!(stored);
        if let Some(days) = answered {
            let at = (now() - days * DAY_MS).to_string();
            common::database::execute(
                &config.server.database,
                "UPDATE left_messages SET answered_ms = CAST($1 AS BIGINT), answered_by = 'giulia' WHERE thread_id = $2",
                &[&at, &format!("thread-{i}")],
            )
            .await
            .unwrap();
        }
    }
    let dry = purge(&storage, &config, now(), true).await.unwrap();
    assert_eq!(count(&dry, "*", "left-messages"), 2, "{dry:?}");
    let report = purge(&storage, &config, now(), false).await.unwrap();
    assert_eq!(count(&report, "*", "left-messages"), 2, "{report:?}");
    let left: Vec<String> = storage
        .inbox(&["milomb".to_owned()])
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(left, ["messaggio 3", "messaggio 1"], "unanswered first");
    storage.close().await;
}

#[tokio::test]
async fn feedback_goes_in_whole_days_after_the_conversations_period() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.server.database = common::database::fresh(dir.path(), "varco.db").await;
    let storage = Storage::open(&config.server.database).await.unwrap();
    // milomb keeps conversations 60 days: the cutoff falls on this day.
    let cutoff_day = rfc3339_utc(now() - 60 * DAY_MS)[..10].to_owned();
    let day_before = rfc3339_utc(now() - 61 * DAY_MS)[..10].to_owned();
    for (site, day) in [
        ("milomb", day_before.as_str()),
        ("milomb", cutoff_day.as_str()),
        ("altro", day_before.as_str()),
    ] {
        common::database::execute(
            &config.server.database,
            "INSERT INTO feedback (site, day, kind, topic, helped) VALUES ($1, $2, 'answer', 'spid', TRUE)",
            &[site, day],
        )
        .await
        .unwrap();
    }
    let dry = purge(&storage, &config, now(), true).await.unwrap();
    assert_eq!(count(&dry, "milomb", "feedback"), 1, "{dry:?}");
    // The other site keeps conversations a year.
    assert_eq!(count(&dry, "altro", "feedback"), 0, "{dry:?}");
    purge(&storage, &config, now(), false).await.unwrap();
    let days = common::database::texts(
        &config.server.database,
        "SELECT site || ' ' || day FROM feedback ORDER BY site, day",
    )
    .await;
    assert_eq!(
        days,
        [
            format!("altro {day_before}"),
            format!("milomb {cutoff_day}")
        ]
    );
    storage.close().await;
}
