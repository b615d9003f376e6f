//! Questions that name both one of the body's own services and another
//! body's, on the real knowledge bases in `kb/`.

use std::path::Path;
use varco_engine::KnowledgeBase;

fn milomb() -> KnowledgeBase {
    KnowledgeBase::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../kb/milomb"))
        .expect("kb/milomb loads")
}

/// A question that names a service of the Camera («SPID», «firma
/// digitale») is about that service, even when most of its words are
/// about a document another office issues; without it, the document's
/// office is named.
#[test]
fn a_named_service_of_the_body_wins_over_another_offices_document() {
    let kb = milomb();
    for (question, topic) in [
        (
            "mi serve la carta d'identità valida per fare la firma digitale?",
            "firma-digitale",
        ),
        (
            "ho la carta d'identità scaduta, riesco a fare lo SPID?",
            "spid",
        ),
        (
            "la carta d'identità è scaduta, dove la rinnovo?",
            "fuori-competenza",
        ),
        ("devo rinnovare il passaporto", "fuori-competenza"),
        ("quanto costa lo spid", "spid"),
        ("buongiorno", "conversazione"),
        ("voglio parlare con una persona", "operatore"),
    ] {
        let a = kb.answer(question);
        assert_eq!(a.topic, topic, "{question}: {a:?}");
    }
    let a = kb.answer("la carta d'identità è scaduta, dove la rinnovo?");
    assert!(a.answer.contains("Comune"), "{}", a.answer);
}

/// An English question with the Italian name of another body's service
/// («naspi») gets that service's office, in English, even when an English
/// phrasing about something else («job») also fits.
#[test]
fn an_italian_term_in_an_english_question_names_the_right_office() {
    let kb = milomb();
    let a = kb.answer_in("i lost my job, how do i apply for the naspi?", "en");
    assert_eq!(a.topic, "fuori-competenza", "{a:?}");
    assert!(a.answer.contains("INPS"), "{}", a.answer);
    assert_eq!(a.language, "en");
    // An English question that matches an English phrasing well keeps it.
    let a = kb.answer_in("how much does SPID cost", "en");
    assert_eq!((a.topic.as_str(), a.language), ("spid", "en"));
}

/// A question that names another body's service («DURC», «EORI», «TARI»)
/// and none of the Camera's is about that service, however much the rest
/// of it talks of the firm and its registration at the Camera.
#[test]
fn another_bodys_named_service_wins_over_the_firms_context() {
    let kb = milomb();
    for (question, office) in [
        (
            "la nostra società è iscritta in camera di commercio da anni, il DURC chi lo rilascia?",
            "INAIL",
        ),
        ("codice EORI per la ditta che esporta", "Dogane"),
        ("la ditta deve pagare la TARI del capannone", "Comune"),
    ] {
        let a = kb.answer(question);
        assert_eq!(a.topic, "fuori-competenza", "{question}: {a:?}");
        assert!(a.answer.contains(office), "{question}: {}", a.answer);
    }
    // The firm's own matters at the Camera stay with the Camera.
    for (question, topic) in [
        (
            "la ditta deve iscriversi al registro imprese",
            "registro-imprese",
        ),
        ("visura della ditta", "certificati-visure"),
    ] {
        assert_eq!(kb.answer(question).topic, topic, "{question}");
    }
}
