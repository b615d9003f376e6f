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
