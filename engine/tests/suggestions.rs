//! What the engine offers a visitor to click (suggestions, which the widget
//! shows as quick replies and sends as the visitor's next question) is
//! always something a visitor would ask: never an entry of the assistant's
//! small talk («Saluto finale») or of what is not the body's job, and never
//! an internal name (an id, the name of those topics). Checked over
//! every question the real knowledge bases know of.

use std::path::Path;
use varco_engine::{suggestible, KnowledgeBase, CONVERSATION_TOPIC, OUT_OF_SCOPE_TOPIC};

fn site(name: &str) -> KnowledgeBase {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kb")
        .join(name);
    KnowledgeBase::load(&dir).unwrap_or_else(|e| panic!("kb/{name}: {e:?}"))
}

/// Every example question of every entry, every labelled question of the
/// benchmark, each with a typo and cut short (which is when the engine is
/// unsure and suggests), and a few vague ones.
fn questions(name: &str, kb: &KnowledgeBase) -> Vec<String> {
    let mut out: Vec<String> = kb
        .entries()
        .iter()
        .flat_map(|e| e.questions.iter().cloned().chain([e.title.clone()]))
        .collect();
    let labelled = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kb")
        .join(name)
        .join("questions.jsonl");
    for line in std::fs::read_to_string(labelled).unwrap().lines() {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
            if let Some(q) = v["q"].as_str() {
                out.push(q.to_owned());
            }
        }
    }
    let mut variants = Vec::new();
    for q in &out {
        let words: Vec<&str> = q.split_whitespace().collect();
        variants.push(words[..words.len().div_ceil(2)].join(" "));
        variants.push(q.replacen('a', "", 1));
    }
    out.extend(variants);
    out.extend(
        [
            "ciao",
            "grazie",
            "arrivederci",
            "info",
            "aiuto",
            "buongiorno vorrei sapere",
            "costi",
            "documenti",
            "orari",
        ]
        .map(String::from),
    );
    out
}

#[test]
fn no_suggestion_is_small_talk_or_an_internal_name() {
    for name in ["milomb", "calvatone"] {
        let kb = site(name);
        // Ids, and the names of the topics that are never offered.
        let mut internal: Vec<String> = kb
            .topics()
            .iter()
            .flat_map(|t| {
                let name = (!suggestible(&t.id)).then(|| t.title.clone());
                [Some(t.id.clone()), name].into_iter().flatten()
            })
            .chain(kb.entries().iter().map(|e| e.id.clone()))
            .map(|s| s.to_lowercase())
            .collect();
        // The titles of the entries that are never offered.
        internal.extend(
            kb.entries()
                .iter()
                .filter(|e| !suggestible(&e.topic))
                .map(|e| e.title.to_lowercase()),
        );
        let mut offered = 0;
        for q in questions(name, &kb) {
            for s in kb.answer(&q).suggestions {
                offered += 1;
                assert!(
                    s.topic != CONVERSATION_TOPIC && s.topic != OUT_OF_SCOPE_TOPIC,
                    "{name}: «{q}» suggests {s:?}"
                );
                assert!(
                    !internal.contains(&s.title.to_lowercase()),
                    "{name}: «{q}» suggests an internal name: {s:?}"
                );
            }
        }
        assert!(
            offered > 0,
            "{name}: the questions must exercise suggestions"
        );
    }
}

#[test]
fn small_talk_is_answered_but_never_suggested() {
    let kb = site("milomb");
    // «arrivederci» still gets its goodbye.
    assert_eq!(kb.answer("arrivederci").topic, CONVERSATION_TOPIC);
    assert!(!suggestible(CONVERSATION_TOPIC) && !suggestible(OUT_OF_SCOPE_TOPIC));
    assert!(suggestible("spid"));
}
