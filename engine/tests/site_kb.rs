//! The real knowledge bases in `kb/` must load. Answer quality is measured
//! with `cargo xtask bench` (or `cargo run -p varco-engine --example kb --
//! bench kb/<site>`), not asserted here.

use std::path::Path;
use varco_engine::KnowledgeBase;

#[test]
fn site_knowledge_bases_load() {
    for site in ["milomb", "calvatone"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../kb")
            .join(site);
        if !dir.join("topics.toml").exists() {
            println!("note: {} is absent, skipping", dir.display());
            continue;
        }
        match KnowledgeBase::load(&dir) {
            Ok(kb) => {
                assert!(!kb.entries().is_empty());
                // Every answer carries a topic of this knowledge base.
                let a = kb.answer("buongiorno");
                assert!(kb.topics().iter().any(|t| t.id == a.topic), "{site}: {a:?}");
            }
            Err(errors) => {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                panic!(
                    "kb/{site} has {} problem(s):\n{}",
                    list.len(),
                    list.join("\n")
                );
            }
        }
    }
}

/// Questions about the Comune's taxes and schools, as visitors wrote them
/// to the Camera's assistant: each was once answered as a Camera topic
/// («come pago la TARI?» with taxi licences, «IMU sulla seconda casa» with
/// the diritto annuale). They are sent to the Comune, confidently; unpaid
/// wages to the Ispettorato del lavoro.
#[test]
fn the_comunes_taxes_and_schools_are_sent_to_the_comune() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kb/milomb");
    let kb = KnowledgeBase::load(&dir).expect("kb/milomb loads");
    for question in [
        "come pago la TARI?",
        "IMU sulla seconda casa",
        "iscrizione asilo nido",
        "quanto costa la mensa scolastica",
    ] {
        let a = kb.answer(question);
        assert_eq!(a.topic, "fuori-competenza", "{question}: {a:?}");
        assert!(a.confident, "{question}: {a:?}");
        assert!(a.answer.contains("Comune"), "{question}: {}", a.answer);
    }
    let a = kb.answer("il datore di lavoro non mi paga lo stipendio");
    assert_eq!(a.topic, "fuori-competenza");
    assert!(a.answer.contains("Ispettorato"), "{}", a.answer);
    // The taxi licence is still the Camera's (its drivers' register).
    assert_eq!(kb.answer("licenza taxi").topic, "albi-ruoli");
}

/// The assistant's name is how a visitor addresses it, not a topic
/// (`weak` in kb/milomb/synonyms.toml): «ciao CamOn» is a greeting, not a
/// question about CamOn's privacy notice, while a question about its data
/// still goes there.
#[test]
fn the_assistants_name_in_a_question_does_not_choose_the_topic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kb/milomb");
    let kb = KnowledgeBase::load(&dir).expect("kb/milomb loads");
    for (question, topic) in [
        ("ciao camon", "conversazione"),
        ("buongiorno CamOn", "conversazione"),
        ("camon come faccio lo spid", "spid"),
        ("camon conserva i miei dati?", "privacy"),
        // Misspelt, and corrected to the name: still only the name.
        ("ciao camonn", "conversazione"),
    ] {
        let answer = kb.answer(question);
        assert_eq!(answer.topic, topic, "{question}");
        assert!(answer.confident, "{question}: {answer:?}");
    }
}

/// English questions, as an English-speaking visitor of the Camera's
/// English pages writes them (not the English entries' examples), get the
/// right topic and an English answer with English link titles.
#[test]
fn english_questions_get_english_answers_on_the_right_topic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kb/milomb");
    let kb = KnowledgeBase::load(&dir).unwrap();
    let cases = [
        ("how can i get a spid account", "spid"),
        ("what does the digital identity cost", "spid"),
        (
            "I need a digital signature for my company",
            "firma-digitale",
        ),
        ("tachograph card for a truck driver", "tachigrafo"),
        (
            "how do I get a company certificate from the business register",
            "certificati-visure",
        ),
        (
            "how much is the annual fee I have to pay",
            "diritto-annuale",
        ),
        (
            "I want to book an appointment at your office",
            "appuntamenti",
        ),
        ("can I speak with a real person please", "operatore"),
        ("where do I pay the waste tax TARI", "fuori-competenza"),
        ("I need to renew my passport", "fuori-competenza"),
        ("hello", "conversazione"),
    ];
    let mut wrong = Vec::new();
    for (question, topic) in cases {
        let a = kb.answer_in(question, "en");
        if a.topic != topic || a.language != "en" {
            wrong.push(format!(
                "{question:?}: {} ({}) {:?}",
                a.topic, a.language, a.entry_id
            ));
        }
        for link in &a.links {
            assert!(!link.title.is_empty());
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // The English texts of an answer and of its links, not the Italian ones.
    let a = kb.answer_in("how much does SPID cost", "en");
    assert!(a.answer.contains("The cost"), "{}", a.answer);
    assert!(a
        .links
        .iter()
        .all(|l| l.title.contains("(in Italian)") || !l.title.contains("Prenota")));
    // Italian pages still get Italian answers.
    let a = kb.answer_in("quanto costa lo spid", "it");
    assert_eq!((a.topic.as_str(), a.language), ("spid", "it"));
    // A visitor who writes in English on an Italian page reads English.
    let a = kb.answer_in(
        "my wife needs a visa to visit me in Italy, where do we apply?",
        "it",
    );
    assert_eq!(
        (a.topic.as_str(), a.language),
        ("fuori-competenza", "en"),
        "{a:?}"
    );
    assert!(a.answer.contains("consulate"), "{}", a.answer);
    // An Italian question with an English word or two stays Italian.
    let a = kb.answer_in("come faccio lo spid for free?", "it");
    assert_eq!(a.language, "it", "{a:?}");
}

/// Everyday Italian words are not typos of the knowledge base's words
/// («madre» is not «made», «sosta» not «costa»), while real slips of the
/// finger are still corrected; chat shorthand («nn», «x») is understood.
#[test]
fn everyday_words_are_left_alone_and_shorthand_is_read() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kb/milomb");
    let kb = KnowledgeBase::load(&dir).expect("kb/milomb loads");
    for question in [
        "lo spid per mia madre",
        "multa per divieto di sosta",
        "pago in contanti",
    ] {
        assert!(kb.explain(question, 1).corrections.is_empty(), "{question}");
    }
    assert!(kb
        .explain("fimra digitale", 1)
        .corrections
        .contains(&("fimra".into(), "firma".into())));
    assert_eq!(
        kb.answer("nn riesco a fare lo spid x mia madre").topic,
        "spid"
    );
}
