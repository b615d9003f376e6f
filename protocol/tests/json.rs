//! The light part's JSON (`varco_protocol::json`) against `serde_json`:
//! the same text for the same value, the same value for the same text, and
//! never more lenient, so that the light part, the app and the server read
//! each other's storage and bodies.

#[path = "support/edits.rs"]
mod edits;

use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use varco_protocol::json::{self, FromJson, ToJson};
use varco_protocol::navigation::{
    Collect, NavigationBatch, NavigationReceipt, NavigationSettings, PageView, Recommendation,
    Recommendations,
};
use varco_protocol::{
    ApiError, AssistantConfig, Category, ConsentAction, ConsentRecord, ConsentSettings,
    ConsentSignals, Localized, Service, ServiceKind, SiteConfig, SortedMap,
};

/// Any text, with what needs escaping more often than chance would give.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{0,8}",
        any::<String>(),
        vec(
            prop_oneof![
                Just('"'),
                Just('\\'),
                Just('\n'),
                Just('\u{1}'),
                Just('\u{7f}'),
                Just('è'),
                Just('😀'),
                Just('/')
            ],
            0..6
        )
        .prop_map(|c| c.into_iter().collect()),
    ]
}

/// A map of up to `size` entries under arbitrary keys.
fn sorted<V: std::fmt::Debug>(
    value: impl Strategy<Value = V>,
    size: std::ops::Range<usize>,
) -> impl Strategy<Value = SortedMap<V>> {
    vec((text(), value), size).prop_map(|pairs| pairs.into_iter().collect())
}

fn localized() -> impl Strategy<Value = Localized> {
    prop_oneof![
        text().prop_map(Localized::Plain),
        sorted(text(), 0..3).prop_map(Localized::ByLanguage),
    ]
}

fn service() -> impl Strategy<Value = Service> {
    (
        text(),
        prop_oneof![
            Just(ServiceKind::Technical),
            Just(ServiceKind::Analytics),
            Just(ServiceKind::Profiling),
            Just(ServiceKind::Personalisation),
            Just(ServiceKind::Embed),
            Just(ServiceKind::Other),
        ],
        option::of(localized()),
        option::of(localized()),
        vec(text(), 0..3),
    )
        .prop_map(|(name, kind, purpose, retention, cookies)| Service {
            name,
            kind,
            purpose,
            retention,
            cookies,
        })
}

fn category() -> impl Strategy<Value = Category> {
    (
        text(),
        option::of(localized()),
        option::of(localized()),
        any::<bool>(),
        vec(service(), 0..3),
    )
        .prop_map(|(id, title, description, necessary, services)| Category {
            id,
            title,
            description,
            necessary,
            services,
        })
}

fn assistant() -> impl Strategy<Value = AssistantConfig> {
    (
        option::of(text()),
        option::of(text()),
        option::of(text()),
        option::of(text()),
        option::of(text()),
        option::of(any::<bool>()),
    )
        .prop_map(
            |(
                name,
                privacy_url,
                live_chat_privacy_url,
                booking_privacy_url,
                terms_revision,
                enabled,
            )| {
                AssistantConfig {
                    name,
                    privacy_url,
                    live_chat_privacy_url,
                    booking_privacy_url,
                    terms_revision,
                    enabled,
                }
            },
        )
}

fn consent_settings() -> impl Strategy<Value = ConsentSettings> {
    (
        option::of(any::<u32>()),
        option::of(any::<u32>()),
        option::of(text()),
        option::of(any::<bool>()),
        option::of(any::<bool>()),
        option::of(localized()),
        option::of((option::of(text()), sorted(text(), 0..3)).prop_map(
            |(matomo, google_consent_mode)| ConsentSignals {
                matomo,
                google_consent_mode,
            },
        )),
    )
        .prop_map(
            |(
                accept_days,
                refuse_days,
                storage,
                respect_gpc,
                floating_button,
                revision_note,
                signals,
            )| {
                ConsentSettings {
                    accept_days,
                    refuse_days,
                    storage,
                    respect_gpc,
                    floating_button,
                    revision_note,
                    signals,
                }
            },
        )
}

fn navigation() -> impl Strategy<Value = NavigationSettings> {
    (
        option::of(prop_oneof![
            Just(Collect::Always),
            Just(Collect::AfterConsent),
            Just(Collect::Off)
        ]),
        option::of(any::<u32>()),
        option::of(any::<u32>()),
        option::of(vec(text(), 0..3)),
        option::of(any::<bool>()),
        option::of(any::<bool>()),
    )
        .prop_map(
            |(
                collect,
                max_entries,
                max_days,
                allowed_query_params,
                keep_local_on_withdrawal,
                local_suggestions,
            )| {
                NavigationSettings {
                    collect,
                    max_entries,
                    max_days,
                    allowed_query_params,
                    keep_local_on_withdrawal,
                    local_suggestions,
                }
            },
        )
}

fn site_config() -> impl Strategy<Value = SiteConfig> {
    (
        (
            option::of(text()),
            option::of(text()),
            option::of(text()),
            option::of(text()),
        ),
        option::of(assistant()),
        vec(category(), 0..3),
        sorted(sorted(text(), 0..2), 0..2),
        option::of(consent_settings()),
        option::of(navigation()),
    )
        .prop_map(
            |(
                (site, revision, cookie_policy_url, privacy_url),
                assistant,
                categories,
                texts,
                consent,
                navigation,
            )| {
                SiteConfig {
                    site,
                    revision,
                    cookie_policy_url,
                    privacy_url,
                    assistant,
                    categories,
                    texts,
                    consent,
                    navigation,
                }
            },
        )
}

fn action() -> impl Strategy<Value = ConsentAction> {
    prop_oneof![
        Just(ConsentAction::AcceptAll),
        Just(ConsentAction::RejectAll),
        Just(ConsentAction::Close),
        Just(ConsentAction::Custom),
        Just(ConsentAction::Withdraw),
    ]
}

fn record() -> impl Strategy<Value = ConsentRecord> {
    (
        (text(), text(), text(), text(), text()),
        vec(text(), 0..3),
        vec(text(), 0..3),
        action(),
        text(),
        text(),
        (vec(text(), 0..3), vec(text(), 0..3)),
    )
        .prop_map(
            |(
                (record_id, consent_id, site, decided_at, revision),
                accepted,
                rejected,
                action,
                language,
                texts_hash,
                (services_accepted, services_rejected),
            )| {
                ConsentRecord {
                    record_id,
                    consent_id,
                    site,
                    decided_at,
                    revision,
                    accepted,
                    rejected,
                    action,
                    language,
                    texts_hash,
                    services_accepted,
                    services_rejected,
                }
            },
        )
}

/// Both writers give the same text, and the reader gives the value back
/// from serde_json's text.
fn same_as_serde<T>(value: &T)
where
    T: ToJson + FromJson + serde::Serialize + PartialEq + std::fmt::Debug,
{
    let serde_text = serde_json::to_string(value).unwrap();
    assert_eq!(json::to_string(value), serde_text);
    assert_eq!(json::from_str::<T>(&serde_text).as_ref(), Some(value));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn site_configs_are_written_and_read_as_serde_does(cfg in site_config()) {
        same_as_serde(&cfg);
    }

    #[test]
    fn consent_records_are_written_and_read_as_serde_does(r in record()) {
        same_as_serde(&r);
    }

    #[test]
    fn navigation_bodies_are_written_as_serde_does(
        site in text(),
        user_id in text(),
        views in vec((text(), text(), text(), text()), 0..4),
    ) {
        let batch = NavigationBatch {
            site,
            user_id,
            entries: views
                .into_iter()
                .map(|(key, path, title, visited_at)| PageView { key, path, title, visited_at })
                .collect(),
        };
        prop_assert_eq!(json::to_string(&batch), serde_json::to_string(&batch).unwrap());
    }

    #[test]
    fn messages_left_for_the_office_are_written_as_serde_does(
        client_message_id in text(),
        message in text(),
        email in text(),
        consent in any::<bool>(),
    ) {
        let m = varco_protocol::live::LeaveMessage { client_message_id, text: message, email, consent };
        prop_assert_eq!(json::to_string(&m), serde_json::to_string(&m).unwrap());
    }

    #[test]
    fn answers_are_read_as_serde_does(
        error in text(),
        message in text(),
        stored in any::<u32>(),
        duplicates in any::<u32>(),
        items in vec((text(), option::of(text()), option::of(text())), 0..4),
    ) {
        let e = ApiError { error, message };
        prop_assert_eq!(json::from_str::<ApiError>(&serde_json::to_string(&e).unwrap()), Some(e));
        let r = NavigationReceipt { stored, duplicates };
        prop_assert_eq!(json::from_str::<NavigationReceipt>(&serde_json::to_string(&r).unwrap()), Some(r));
        let recs = Recommendations {
            items: items
                .into_iter()
                .map(|(title, url, topic)| Recommendation { title, url, topic })
                .collect(),
        };
        prop_assert_eq!(json::from_str::<Recommendations>(&serde_json::to_string(&recs).unwrap()), Some(recs));
    }

    /// Any JSON document serde_json writes (pretty or not) parses, and
    /// writes back as serde_json writes it.
    #[test]
    fn any_document_parses_as_serde_reads_it(doc in document(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&doc).unwrap()
        } else {
            serde_json::to_string(&doc).unwrap()
        };
        let ours = json::parse(&text).expect("parses");
        prop_assert_eq!(json::to_string(&ours), serde_json::to_string(&doc).unwrap());
    }

    /// Whatever the bytes, the reader does not panic, and it accepts
    /// nothing that serde_json refuses.
    #[test]
    fn the_reader_is_never_more_lenient_than_serde(text in "[\\[\\]{}\",:0-9eE.+\\-a-z\\\\ \n]{0,40}") {
        if json::parse(&text).is_some() {
            prop_assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok(), "{text:?}");
        }
    }
}

/// Arbitrary JSON documents, as serde_json values. Object keys are unique
/// (a map), numbers integers or finite floats.
fn document() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<u64>().prop_map(|n| serde_json::json!(n)),
        (-1e300f64..1e300).prop_map(|f| serde_json::json!(f)),
        text().prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            btree_map(text(), inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every field of every type set, written both ways: a field added to a
/// type and not to its `ToJson`/`FromJson` fails here (the struct
/// literals below stop compiling until the new field is listed).
#[test]
fn a_config_with_every_field_set_is_the_same_both_ways() {
    let l = |s: &str| {
        Localized::ByLanguage(SortedMap::from([
            ("it".into(), s.into()),
            ("en".into(), s.into()),
        ]))
    };
    let cfg = SiteConfig {
        site: Some("milomb".into()),
        revision: Some("3".into()),
        cookie_policy_url: Some("/cookie".into()),
        privacy_url: Some("/privacy".into()),
        assistant: Some(AssistantConfig {
            name: Some("CamOn".into()),
            privacy_url: Some("/a".into()),
            live_chat_privacy_url: Some("/b".into()),
            booking_privacy_url: Some("/c".into()),
            terms_revision: Some("2".into()),
            enabled: Some(true),
        }),
        categories: vec![Category {
            id: "analitici".into(),
            title: Some(l("Analitici")),
            description: Some(Localized::Plain("Misurano".into())),
            necessary: false,
            services: vec![Service {
                name: "Matomo".into(),
                kind: ServiceKind::Analytics,
                purpose: Some(l("Statistiche")),
                retention: Some(l("13 mesi")),
                cookies: vec!["_pk_*".into()],
            }],
        }],
        texts: SortedMap::from([(
            "it".into(),
            SortedMap::from([("accept_all".into(), "Accetto".into())]),
        )]),
        consent: Some(ConsentSettings {
            accept_days: Some(365),
            refuse_days: Some(180),
            storage: Some("cookie".into()),
            respect_gpc: Some(false),
            floating_button: Some(true),
            revision_note: Some(l("Nuovo")),
            signals: Some(ConsentSignals {
                matomo: Some("analitici".into()),
                google_consent_mode: SortedMap::from([(
                    "analytics_storage".into(),
                    "analitici".into(),
                )]),
            }),
        }),
        navigation: Some(NavigationSettings {
            collect: Some(Collect::AfterConsent),
            max_entries: Some(50),
            max_days: Some(30),
            allowed_query_params: Some(vec!["q".into()]),
            keep_local_on_withdrawal: Some(false),
            local_suggestions: Some(true),
        }),
    };
    same_as_serde(&cfg);
    same_as_serde(&SiteConfig::default());
}

#[test]
fn the_demo_sites_configurations_read_the_same_both_ways() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut seen = 0;
    for dir in ["demo-site", "deploy"] {
        for entry in walk(&root.join(dir)) {
            let text = std::fs::read_to_string(&entry).unwrap();
            for block in config_blocks(&text) {
                let serde: SiteConfig = serde_json::from_str(block).unwrap();
                assert_eq!(
                    json::from_str::<SiteConfig>(block),
                    Some(serde),
                    "{}",
                    entry.display()
                );
                seen += 1;
            }
        }
    }
    assert!(seen >= 2, "no configuration block found in the demo sites");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "html") {
            out.push(p);
        }
    }
    out
}

/// The texts of `<script type="application/json" id="varco-config">` blocks.
fn config_blocks(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("id=\"varco-config\"") {
        let after = &rest[at..];
        let Some(open) = after.find('>') else { break };
        let Some(close) = after[open..].find("</script>") else {
            break;
        };
        out.push(&after[open + 1..open + close]);
        rest = &after[open + close..];
    }
    out
}

#[test]
fn serde_refusals_are_refused() {
    for bad in [
        r#"{"categories":[{"id":"a","necessary":"yes"}]}"#,
        r#"{"consent":{"accept_days":1.5}}"#,
        r#"{"consent":{"accept_days":-1}}"#,
        r#"{"categories":[{"title":"no id"}]}"#,
        r#"{"categories":null}"#,
        r#"{"navigation":{"collect":"sometimes"}}"#,
        r#"{"texts":{"it":{"accept_all":3}}}"#,
    ] {
        assert!(
            serde_json::from_str::<SiteConfig>(bad).is_err(),
            "serde accepts {bad}"
        );
        assert_eq!(json::from_str::<SiteConfig>(bad), None, "{bad}");
    }
    // Stricter than serde, which reads a struct from an array of its
    // fields in order: nobody writes a configuration that way.
    assert!(serde_json::from_str::<SiteConfig>("[]").is_ok());
    assert_eq!(json::from_str::<SiteConfig>("[]"), None);
}

/// The app module's wire types (`varco_protocol::json_app`): the
/// assistant's threads, the live chat, the booking flow, `/healthz`.
/// Besides writing and reading each value as serde does, each property
/// edits serde's text (a field removed, a field added or replaced, in any
/// object of it) and checks that both readers still agree: absent optional
/// fields read as their defaults, absent required ones fail, unknown
/// fields are ignored or refused (`deny_unknown_fields`) alike.
mod app_types {
    use super::edits::{both_read_the_edited_text_alike, Edit};
    use super::{document, same_as_serde, text};
    use proptest::collection::vec;
    use proptest::option;
    use proptest::prelude::*;
    use varco_protocol::booking::{
        Availability, BookingConfirmation, BookingOptions, CancelBooking, DaySlots, FieldError,
        FieldErrors, NewBooking, OfficeOption, Person, ServiceOption, SlotInfo,
    };
    use varco_protocol::chat::{
        AnswerLink, Author, BookingChoice, ChatEvent, ChatMessage, NewMessage, NewThread,
    };
    use varco_protocol::json::{self, FromJson};
    use varco_protocol::live::{LiveState, LiveStatus};
    use varco_protocol::Health;

    /// Every field name of these types, so that an edit often replaces a
    /// known field with a value of another kind.
    const FIELD_NAMES: &[&str] = &[
        "kind",
        "message",
        "author",
        "text",
        "client_message_id",
        "created_at",
        "topic",
        "links",
        "title",
        "url",
        "quick_replies",
        "live",
        "booking",
        "service",
        "office",
        "position",
        "thread_id",
        "site",
        "language",
        "terms_revision",
        "open",
        "opens_at",
        "closes_at",
        "services",
        "offices",
        "id",
        "name",
        "address",
        "days",
        "date",
        "slots",
        "start",
        "end",
        "free",
        "code",
        "ics",
        "error",
        "fields",
        "field",
        "nome",
        "cognome",
        "codice_fiscale",
        "telefono",
        "email",
        "request_id",
        "person",
        "privacy_acknowledged",
        "status",
        "version",
    ];

    /// Whether an array holds an array, at any depth. serde reads a struct
    /// from an array of its fields in order, which `varco_protocol::json`
    /// refuses on purpose (nobody writes one): such values are not set, so
    /// that `[["title", "url"]]` as `links` is not a difference.
    fn array_in_array(value: &serde_json::Value, in_array: bool) -> bool {
        match value {
            serde_json::Value::Array(items) => {
                in_array || items.iter().any(|v| array_in_array(v, true))
            }
            serde_json::Value::Object(map) => map.values().any(|v| array_in_array(v, false)),
            _ => false,
        }
    }

    fn edit() -> impl Strategy<Value = Edit> {
        let key = prop_oneof![
            prop::sample::select(FIELD_NAMES).prop_map(str::to_owned),
            text(),
        ];
        prop_oneof![
            3 => Just(Edit::Keep),
            1 => any::<prop::sample::Index>().prop_map(Edit::Remove),
            2 => (key, document())
                // `booking` (`BookingChoice`, every field defaulted) would
                // be read by serde from any array: see `array_in_array`.
                .prop_filter("a struct as an array", |(k, v)| {
                    !(array_in_array(v, false) || k == "booking" && v.is_array())
                })
                .prop_map(|(k, v)| Edit::Set(k, v)),
        ]
    }

    fn edits() -> impl Strategy<Value = Vec<Edit>> {
        vec(edit(), 1..6)
    }

    /// [`same_as_serde`], then both readers on serde's text with `edits`
    /// made to it.
    fn same_as_serde_edited<T>(value: &T, edits: &[Edit]) -> Result<(), TestCaseError>
    where
        T: varco_protocol::json::ToJson
            + FromJson
            + serde::Serialize
            + serde::de::DeserializeOwned
            + PartialEq
            + std::fmt::Debug,
    {
        same_as_serde(value);
        both_read_the_edited_text_alike(value, edits)
    }

    fn author() -> impl Strategy<Value = Author> {
        prop_oneof![
            Just(Author::Visitor),
            Just(Author::Assistant),
            Just(Author::Operator),
            Just(Author::System),
        ]
    }

    fn live_state() -> impl Strategy<Value = LiveState> {
        prop_oneof![
            Just(LiveState::Waiting),
            Just(LiveState::Connected),
            Just(LiveState::Closed),
            Just(LiveState::Unavailable),
            Just(LiveState::Offline),
            Just(LiveState::MessageLeft),
        ]
    }

    fn answer_link() -> impl Strategy<Value = AnswerLink> {
        (text(), text()).prop_map(|(title, url)| AnswerLink { title, url })
    }

    fn booking_choice() -> impl Strategy<Value = BookingChoice> {
        (option::of(text()), option::of(text()))
            .prop_map(|(service, office)| BookingChoice { service, office })
    }

    fn chat_message() -> impl Strategy<Value = ChatMessage> {
        (
            author(),
            text(),
            option::of(text()),
            text(),
            option::of(text()),
            vec(answer_link(), 0..3),
            vec(text(), 0..3),
            option::of(live_state()),
            option::of(booking_choice()),
        )
            .prop_map(
                |(
                    author,
                    text,
                    client_message_id,
                    created_at,
                    topic,
                    links,
                    quick_replies,
                    live,
                    booking,
                )| ChatMessage {
                    author,
                    text,
                    client_message_id,
                    created_at,
                    topic,
                    links,
                    quick_replies,
                    live,
                    booking,
                },
            )
    }

    fn chat_event() -> impl Strategy<Value = ChatEvent> {
        prop_oneof![
            chat_message().prop_map(|message| ChatEvent::Message { message }),
            author().prop_map(|author| ChatEvent::Typing { author }),
            text().prop_map(|text| ChatEvent::Delta { text }),
            Just(ChatEvent::End),
            any::<u32>().prop_map(|position| ChatEvent::Queue { position }),
        ]
    }

    fn person() -> impl Strategy<Value = Person> {
        (text(), text(), text(), text(), text()).prop_map(
            |(nome, cognome, codice_fiscale, telefono, email)| Person {
                nome,
                cognome,
                codice_fiscale,
                telefono,
                email,
            },
        )
    }

    fn new_booking() -> impl Strategy<Value = NewBooking> {
        (
            (text(), text(), text(), text(), text(), text()),
            person(),
            any::<bool>(),
            option::of(text()),
        )
            .prop_map(
                |(
                    (site, request_id, service, office, date, start),
                    person,
                    privacy_acknowledged,
                    language,
                )| NewBooking {
                    site,
                    request_id,
                    service,
                    office,
                    date,
                    start,
                    person,
                    privacy_acknowledged,
                    language,
                },
            )
    }

    fn booking_options() -> impl Strategy<Value = BookingOptions> {
        (
            vec(
                (text(), text()).prop_map(|(id, title)| ServiceOption { id, title }),
                0..3,
            ),
            vec(
                (text(), text(), text(), vec(text(), 0..3)).prop_map(
                    |(id, name, address, services)| OfficeOption {
                        id,
                        name,
                        address,
                        services,
                    },
                ),
                0..3,
            ),
        )
            .prop_map(|(services, offices)| BookingOptions { services, offices })
    }

    fn availability() -> impl Strategy<Value = Availability> {
        let slot = (text(), text(), any::<u32>()).prop_map(|(start, end, free)| SlotInfo {
            start,
            end,
            free,
        });
        vec(
            (text(), vec(slot, 0..3)).prop_map(|(date, slots)| DaySlots { date, slots }),
            0..3,
        )
        .prop_map(|days| Availability { days })
    }

    fn confirmation() -> impl Strategy<Value = BookingConfirmation> {
        (
            text(),
            text(),
            text(),
            text(),
            text(),
            text(),
            text(),
            text(),
        )
            .prop_map(|(code, service, office, address, date, start, end, ics)| {
                BookingConfirmation {
                    code,
                    service,
                    office,
                    address,
                    date,
                    start,
                    end,
                    ics,
                }
            })
    }

    fn field_errors() -> impl Strategy<Value = FieldErrors> {
        (
            text(),
            vec(
                (text(), text(), text()).prop_map(|(field, code, message)| FieldError {
                    field,
                    code,
                    message,
                }),
                0..3,
            ),
        )
            .prop_map(|(error, fields)| FieldErrors { error, fields })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn chat_events_are_written_and_read_as_serde_does(e in chat_event(), edits in edits()) {
            same_as_serde_edited(&e, &edits)?;
        }

        #[test]
        fn chat_messages_are_written_and_read_as_serde_does(
            m in chat_message(),
            edits in edits(),
        ) {
            same_as_serde_edited(&m, &edits)?;
        }

        #[test]
        fn chat_parts_are_written_and_read_as_serde_does(
            author in author(),
            state in live_state(),
            link in answer_link(),
            choice in booking_choice(),
            edits in edits(),
        ) {
            same_as_serde_edited(&author, &edits)?;
            same_as_serde_edited(&state, &edits)?;
            same_as_serde_edited(&link, &edits)?;
            same_as_serde_edited(&choice, &edits)?;
        }

        #[test]
        fn thread_requests_are_written_and_read_as_serde_does(
            (thread_id, site, language, terms_revision) in (text(), text(), text(), text()),
            (client_message_id, message) in (text(), text()),
            edits in edits(),
        ) {
            same_as_serde_edited(&NewThread { thread_id, site, language, terms_revision }, &edits)?;
            same_as_serde_edited(&NewMessage { client_message_id, text: message }, &edits)?;
        }

        #[test]
        fn live_statuses_are_written_and_read_as_serde_does(
            open in any::<bool>(),
            opens_at in option::of(text()),
            closes_at in option::of(text()),
            edits in edits(),
        ) {
            same_as_serde_edited(&LiveStatus { open, opens_at, closes_at }, &edits)?;
        }

        #[test]
        fn booking_options_and_slots_are_written_and_read_as_serde_does(
            options in booking_options(),
            availability in availability(),
            edits in edits(),
        ) {
            same_as_serde_edited(&options, &edits)?;
            same_as_serde_edited(&availability, &edits)?;
        }

        #[test]
        fn bookings_are_written_and_read_as_serde_does(
            booking in new_booking(),
            (site, email) in (text(), text()),
            edits in edits(),
        ) {
            same_as_serde_edited(&booking.person, &edits)?;
            same_as_serde_edited(&booking, &edits)?;
            same_as_serde_edited(&CancelBooking { site, email }, &edits)?;
        }

        #[test]
        fn booking_answers_are_written_and_read_as_serde_does(
            confirmation in confirmation(),
            errors in field_errors(),
            (status, version) in (text(), text()),
            edits in edits(),
        ) {
            same_as_serde_edited(&confirmation, &edits)?;
            same_as_serde_edited(&errors, &edits)?;
            same_as_serde_edited(&Health { status, version }, &edits)?;
        }
    }

    /// Each variant as serde writes it, and read back wherever the tag
    /// stands and whatever else the object holds.
    #[test]
    fn every_chat_event_variant_is_tagged_by_kind() {
        let message = ChatMessage::new(Author::System, "x", "t");
        for (event, text) in [
            (
                ChatEvent::Message {
                    message: message.clone(),
                },
                r#"{"kind":"message","message":{"author":"system","text":"x","created_at":"t"}}"#,
            ),
            (
                ChatEvent::Typing {
                    author: Author::Operator,
                },
                r#"{"kind":"typing","author":"operator"}"#,
            ),
            (
                ChatEvent::Delta { text: "y".into() },
                r#"{"kind":"delta","text":"y"}"#,
            ),
            (ChatEvent::End, r#"{"kind":"end"}"#),
            (
                ChatEvent::Queue { position: 4 },
                r#"{"kind":"queue","position":4}"#,
            ),
        ] {
            assert_eq!(serde_json::to_string(&event).unwrap(), text);
            same_as_serde(&event);
        }
        for text in [
            r#"{"position":4,"kind":"queue"}"#,
            r#"{"kind":"end","position":4}"#,
            r#"{"text":"y","other":[1],"kind":"delta"}"#,
            r#"{"message":{"author":"visitor","text":"x","created_at":"t","unknown":{}},"kind":"message"}"#,
        ] {
            let serde = serde_json::from_str::<ChatEvent>(text).unwrap();
            assert_eq!(json::from_str::<ChatEvent>(text), Some(serde), "{text}");
        }
        for bad in [
            r#"{"position":4}"#,
            r#"{"kind":"queued","position":4}"#,
            r#"{"kind":3}"#,
            r#"{"kind":null}"#,
            r#"{"kind":"queue"}"#,
            r#"{"kind":"queue","position":-1}"#,
            r#"{"kind":"queue","position":1.0}"#,
            r#"{"kind":"typing","author":"bot"}"#,
            r#"{"kind":"message","message":{"author":"visitor","text":"x"}}"#,
            r#""end""#,
            "null",
        ] {
            assert!(
                serde_json::from_str::<ChatEvent>(bad).is_err(),
                "serde reads {bad}"
            );
            assert_eq!(json::from_str::<ChatEvent>(bad), None, "{bad}");
        }
    }

    /// Optional fields may be absent; unknown ones are ignored, except in
    /// the requests that deny them.
    #[test]
    fn absent_and_unknown_fields_are_read_as_serde_reads_them() {
        fn same<T>(text: &str, accepted: bool)
        where
            T: FromJson + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
        {
            let serde = serde_json::from_str::<T>(text).ok();
            assert_eq!(serde.is_some(), accepted, "serde on {text}");
            assert_eq!(json::from_str::<T>(text), serde, "{text}");
        }
        same::<ChatMessage>(
            r#"{"author":"assistant","text":"x","created_at":"t","extra":1}"#,
            true,
        );
        same::<ChatMessage>(
            r#"{"author":"assistant","text":"x","created_at":"t","topic":null,"live":null,"booking":{}}"#,
            true,
        );
        same::<ChatMessage>(
            r#"{"author":"assistant","text":"x","created_at":"t","live":"message_left","booking":{"office":"o","x":2}}"#,
            true,
        );
        same::<ChatMessage>(
            r#"{"author":"assistant","text":"x","created_at":"t","links":null}"#,
            false,
        );
        same::<ChatMessage>(r#"{"author":"assistant","text":"x"}"#, false);
        same::<LiveStatus>(r#"{"open":false}"#, true);
        same::<LiveStatus>(r#"{"open":true,"closes_at":"c","queue":3}"#, true);
        same::<LiveStatus>(r#"{"opens_at":"o"}"#, false);
        same::<BookingChoice>("{}", true);
        same::<SlotInfo>(r#"{"start":"09:00","end":"09:30","free":2,"x":null}"#, true);
        same::<SlotInfo>(r#"{"start":"09:00","end":"09:30"}"#, false);
        same::<NewMessage>(r#"{"client_message_id":"c","text":"t"}"#, true);
        same::<NewMessage>(
            r#"{"client_message_id":"c","text":"t","user_id":"u"}"#,
            false,
        );
        same::<NewThread>(
            r#"{"thread_id":"t","site":"s","language":"it","terms_revision":"1","x":0}"#,
            false,
        );
        same::<CancelBooking>(r#"{"site":"s","email":"e","code":"c"}"#, false);
        let booking = r#"{"site":"s","request_id":"r","service":"spid","office":"o","date":"d","start":"s","person":{"nome":"n","cognome":"c","codice_fiscale":"f","telefono":"t","email":"e"},"privacy_acknowledged":true"#;
        same::<NewBooking>(&format!("{booking}}}"), true);
        same::<NewBooking>(&format!(r#"{booking},"language":null}}"#), true);
        same::<NewBooking>(&format!(r#"{booking},"language":"en"}}"#), true);
        same::<NewBooking>(&format!(r#"{booking},"lang":"en"}}"#), false);
        same::<NewBooking>(
            &booking.replace(r#""email":"e"}"#, r#""email":"e","pec":"p"}"#),
            false,
        );
        same::<Health>(r#"{"status":"ok","version":"1","uptime":3}"#, true);
    }
}
