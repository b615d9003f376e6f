//! A visitor's question is anything they type: the engine answers every
//! text (normalisation, synonyms, typo correction and scoring included)
//! without panicking, against a real knowledge base.

use proptest::prelude::*;
use std::path::Path;
use std::sync::OnceLock;
use varco_engine::KnowledgeBase;

fn milomb() -> &'static KnowledgeBase {
    static KB: OnceLock<KnowledgeBase> = OnceLock::new();
    KB.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kb/milomb");
        KnowledgeBase::load(&dir).expect("kb/milomb loads")
    })
}

/// Words of the knowledge base's world, misspelt, accented and glued with
/// odd characters: what reaches the stemmer, the synonyms and the typo
/// correction.
fn question() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        prop::sample::select(vec![
            "spid",
            "SPID",
            "firma",
            "digitàle",
            "visura",
            "camerale",
            "certificato",
            "pec",
            "diritto",
            "annuale",
            "pagare",
            "come",
            "faccio",
            "a",
            "il",
            "lo",
            "d'",
            "l'",
            "è",
            "perché",
            "cassetto",
            "impresa",
            "smart",
            "card",
            "token",
            "rinnovo",
            "cns",
            "sìì",
        ])
        .prop_map(str::to_owned),
        "[a-zàèéìòù]{1,14}",
        any::<String>(),
        prop::collection::vec(
            prop::sample::select(vec![
                'à', 'é', '’', '\'', '-', '\u{301}', 'ß', 'İ', '𝄞', '\u{0}', '?', '!', '€', '1'
            ]),
            1..6
        )
        .prop_map(|v| v.into_iter().collect()),
    ];
    let glue = prop::sample::select(vec![" ", "  ", "-", "'", ", ", "\n", "\t", "", "…"]);
    prop::collection::vec((word, glue), 0..12).prop_map(|parts| {
        parts
            .into_iter()
            .flat_map(|(w, g)| [w, g.to_owned()])
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_question_gets_an_answer(q in question()) {
        let kb = milomb();
        let a = kb.answer(&q);
        prop_assert!(kb.topics().iter().any(|t| t.id == a.topic), "{:?}", a);
    }
}
