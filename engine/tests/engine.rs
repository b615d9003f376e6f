//! Behaviour of the engine on a small in-memory knowledge base.

mod fixture;

use fixture::{entry, files, topic};
use varco_engine::bench::{self, Labelled};
use varco_engine::{KbError, KnowledgeBase, OUT_OF_SCOPE_TOPIC};

fn kb() -> KnowledgeBase {
    KnowledgeBase::from_files(&files()).unwrap_or_else(|e| panic!("fixture must load: {e:?}"))
}

fn topic_of(kb: &KnowledgeBase, q: &str) -> String {
    kb.answer(q).topic
}

#[test]
fn answers_an_example_question_confidently() {
    let a = kb().answer("Come faccio ad avere lo SPID?");
    assert_eq!(a.topic, "spid");
    assert_eq!(a.entry_id.as_deref(), Some("spid-come-ottenerlo"));
    assert!(a.confident, "{a:?}");
    assert!(a.confidence > 0.5 && a.confidence <= 1.0);
    assert!(a.answer.contains("**SPID**"));
    assert_eq!(a.links[0].url, "/demo-site/spid-come-ottenerlo.html");
    assert!(a.suggestions.is_empty());
}

#[test]
fn accents_and_case_do_not_matter() {
    let kb = kb();
    let with = kb.answer("IDENTITÀ DIGITALE");
    let without = kb.answer("identita digitale");
    assert_eq!(with.topic, "spid");
    assert_eq!(with, without);
    // Apostrophes split elisions: "dell'identità" finds "identità".
    assert_eq!(topic_of(&kb, "rilascio dell'identità digitale"), "spid");
}

#[test]
fn inflections_meet_through_stemming() {
    let kb = kb();
    // The knowledge base says "certificato"; the visitor writes the plural.
    let a = kb.answer("certificati camerali");
    assert_eq!(a.topic, "certificati-visure");
    assert_eq!(a.entry_id.as_deref(), Some("certificato-iscrizione"));
    assert_eq!(
        topic_of(&kb, "visure camerali della ditta"),
        "certificati-visure"
    );
}

#[test]
fn synonyms_including_multi_word_ones() {
    let kb = kb();
    // "smart card" only appears in synonyms.toml, next to "cns".
    let a = kb.answer("la mia smart card è scaduta");
    assert_eq!(a.entry_id.as_deref(), Some("cns-rinnovo"), "{a:?}");
    // A phrase with a different inflection and without the stopword.
    assert_eq!(
        kb.answer("rinnovo carte nazionali servizi")
            .entry_id
            .as_deref(),
        Some("cns-rinnovo")
    );
    // Built-in general synonyms: "azienda" ~ "impresa", "prezzo" ~ "costo".
    assert_eq!(
        topic_of(&kb, "visura della mia impresa"),
        "certificati-visure"
    );
}

#[test]
fn typos_are_corrected() {
    let kb = kb();
    let a = kb.answer("fimra digitale");
    assert_eq!(a.topic, "firma-digitale", "{a:?}");
    assert!(kb
        .explain("fimra digitale", 1)
        .corrections
        .contains(&("fimra".into(), "firma".into())));
    // Two edits in a long word.
    assert_eq!(
        topic_of(&kb, "certifcato di iscrizzione"),
        "certificati-visure"
    );
    // Three letters are too few to tell a typo from another word.
    assert!(kb.explain("cms", 1).corrections.is_empty());
    // Known words are left alone even when close to another one.
    assert!(kb.explain("visura", 1).corrections.is_empty());
}

#[test]
fn english_questions_use_the_built_in_glossary_and_no_typo_correction() {
    let kb = kb();
    assert_eq!(
        topic_of(&kb, "I need a certificate for my company"),
        "certificati-visure"
    );
    // "firm" is one edit away from "firma", but this is English.
    assert!(kb
        .explain("is my firm registered", 1)
        .corrections
        .is_empty());
    assert!(!kb.explain("la mia fimra", 1).corrections.is_empty());
}

#[test]
fn greetings_and_thanks_are_conversation() {
    let kb = kb();
    assert_eq!(topic_of(&kb, "Buongiorno!"), "conversazione");
    assert_eq!(topic_of(&kb, "chi sei?"), "conversazione");
    assert_eq!(topic_of(&kb, "grazie mille"), "conversazione");
    // A greeting does not hide the question that follows it.
    assert_eq!(topic_of(&kb, "buongiorno, vorrei fare lo spid"), "spid");
}

#[test]
fn unrelated_questions_are_out_of_scope() {
    let kb = kb();
    let a = kb.answer("ricetta della carbonara");
    assert_eq!(a.topic, OUT_OF_SCOPE_TOPIC);
    assert_eq!(a.entry_id, None);
    assert!(a.answer.contains("non sembra riguardare"), "{}", a.answer);
    assert!(a.suggestions.is_empty());
    // Out of scope by a matching entry: that entry answers.
    let a = kb.answer("devo rinnovare il passaporto");
    assert_eq!(a.topic, OUT_OF_SCOPE_TOPIC);
    assert_eq!(a.entry_id.as_deref(), Some("passaporto"));
    // Nothing at all to go on.
    assert_eq!(topic_of(&kb, ""), OUT_OF_SCOPE_TOPIC);
    assert_eq!(topic_of(&kb, "?!"), OUT_OF_SCOPE_TOPIC);
}

#[test]
fn a_site_entry_can_replace_the_out_of_scope_text() {
    let mut files = files();
    files.push(entry(
        "fuori-competenza",
        "fuori-competenza",
        "Altri enti",
        &["altri enti"],
        &[],
        "Prova il portale del Comune.",
    ));
    let kb = KnowledgeBase::from_files(&files).unwrap();
    let a = kb.answer("ricetta della carbonara");
    assert_eq!(a.topic, OUT_OF_SCOPE_TOPIC);
    assert_eq!(a.answer, "Prova il portale del Comune.");
    assert_eq!(a.entry_id.as_deref(), Some("fuori-competenza"));
}

#[test]
fn ambiguous_questions_get_suggestions() {
    let kb = kb();
    // "documento" appears in the answers of several topics and in no
    // example question.
    let a = kb.answer("documento");
    assert!(!a.confident, "{a:?}");
    assert!(a.confidence < 0.5);
    assert!(a.entry_id.is_none());
    assert!(
        a.answer
            .starts_with("Non sono sicuro di aver capito la domanda."),
        "{}",
        a.answer
    );
    assert!(a.answer.contains("operatore"));
    assert!(!a.suggestions.is_empty() && a.suggestions.len() <= 3);
    // Suggestions are distinct entries, the best guess's topic among them.
    let mut ids: Vec<&str> = a.suggestions.iter().map(|s| s.entry_id.as_str()).collect();
    assert!(a.suggestions.iter().any(|s| s.topic == a.topic));
    for s in &a.suggestions {
        assert!(a.answer.contains(&s.title));
    }
    ids.dedup();
    assert_eq!(ids.len(), a.suggestions.len());
}

#[test]
fn without_an_out_of_scope_topic_the_best_guess_is_kept() {
    let files: Vec<(String, String)> = files()
        .into_iter()
        .filter(|(p, _)| p != "entries/passaporto.md")
        .map(|(p, c)| {
            if p == "topics.toml" {
                (p, c.replace("id = \"fuori-competenza\"", "id = \"altro\""))
            } else {
                (p, c)
            }
        })
        .collect();
    let mut files = files;
    files.push(entry(
        "altro",
        "altro",
        "Altro",
        &["domanda generica sul sito"],
        &[],
        "Testo.",
    ));
    let kb = KnowledgeBase::from_files(&files).unwrap();
    let a = kb.answer("ricetta della carbonara");
    assert_ne!(a.topic, OUT_OF_SCOPE_TOPIC);
    assert!(!a.confident);
    assert!(kb.topics().iter().any(|t| t.id == a.topic));
}

#[test]
fn answers_are_deterministic_and_independent_of_file_order() {
    let kb1 = kb();
    let mut reversed = files();
    reversed.reverse();
    let kb2 = KnowledgeBase::from_files(&reversed).unwrap();
    for q in [
        "documento",
        "spid",
        "come pago",
        "fimra",
        "grazie",
        "certificato visura",
    ] {
        assert_eq!(kb1.answer(q), kb2.answer(q), "{q}");
        assert_eq!(kb1.answer(q), kb1.answer(q), "{q}");
    }
    assert_eq!(
        kb1.entries().iter().map(|e| &e.id).collect::<Vec<_>>(),
        kb2.entries().iter().map(|e| &e.id).collect::<Vec<_>>()
    );
}

#[test]
fn long_and_odd_inputs_are_answered() {
    let kb = kb();
    let long = "come faccio ad avere lo spid ".repeat(2000);
    assert_eq!(topic_of(&kb, &long), "spid");
    for odd in [
        "\u{0}\u{7f}",
        "🙂🙂",
        "ÀÉÎÕÜ",
        "'''''",
        "a-b_c/d\\e",
        "\n\t",
    ] {
        let a = kb.answer(odd);
        assert!((0.0..=1.0).contains(&a.confidence), "{odd:?}");
        assert!(kb.topics().iter().any(|t| t.id == a.topic), "{odd:?}");
    }
}

#[test]
fn the_knowledge_base_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<KnowledgeBase>();
}

#[test]
fn accessors_expose_the_knowledge_base() {
    let kb = kb();
    assert_eq!(kb.topics().len(), 7);
    assert_eq!(kb.topics()[0].id, "spid");
    assert_eq!(kb.entries().len(), 11);
    let e = kb
        .entries()
        .iter()
        .find(|e| e.id == "firma-digitale-rilascio")
        .unwrap();
    assert_eq!(e.keywords, ["token", "firma remota"]);
    assert_eq!(e.questions.len(), 2);
    assert!(!e.answer.contains("+++"));
}

// ---- validation -------------------------------------------------------

fn errors(files: &[(String, String)]) -> Vec<KbError> {
    match KnowledgeBase::from_files(files) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e,
    }
}

fn has(errors: &[KbError], file: &str, needle: &str) -> bool {
    errors
        .iter()
        .any(|e| e.file == file && e.message.contains(needle))
}

fn replace(files: &mut [(String, String)], path: &str, from: &str, to: &str) {
    let f = files.iter_mut().find(|(p, _)| p == path).unwrap();
    assert!(f.1.contains(from), "{from} not in {path}");
    f.1 = f.1.replace(from, to);
}

#[test]
fn every_validation_problem_is_reported_at_once() {
    let mut files = files();
    // Invalid TOML.
    replace(
        &mut files,
        "entries/spid-smarrito.md",
        "title = \"Credenziali",
        "title = Credenziali",
    );
    // Id different from the file name.
    replace(
        &mut files,
        "entries/visura-camerale.md",
        "id = \"visura-camerale\"",
        "id = \"visura\"",
    );
    // Unknown topic.
    replace(
        &mut files,
        "entries/cns-rinnovo.md",
        "topic = \"firma-digitale\"",
        "topic = \"firma\"",
    );
    // Empty title, no questions, unknown field.
    replace(
        &mut files,
        "entries/saluti.md",
        "title = \"Saluti\"",
        "title = \"  \"\ntitel = \"x\"",
    );
    replace(
        &mut files,
        "entries/saluti.md",
        "questions = [\"ciao\", \"buongiorno\", \"chi sei?\"]",
        "questions = []",
    );
    // Bad link scheme and raw HTML in the body.
    replace(
        &mut files,
        "entries/ringraziamenti.md",
        "url = \"/demo-site/ringraziamenti.html\"",
        "url = \"javascript:alert(1)\"",
    );
    replace(
        &mut files,
        "entries/ringraziamenti.md",
        "Prego!",
        "<b>Prego!</b> [qui](ftp://x)",
    );
    // Empty body.
    replace(
        &mut files,
        "entries/operatore-contatto.md",
        "Premi il pulsante **Parla con un operatore**.",
        "",
    );
    // Duplicate id (same id in a second file: also mismatches its name).
    files.push((
        "entries/passaporto2.md".into(),
        files
            .iter()
            .find(|(p, _)| p == "entries/passaporto.md")
            .unwrap()
            .1
            .clone(),
    ));
    // Missing front matter.
    files.push(("entries/vuoto.md".into(), "solo testo".into()));

    let errors = errors(&files);
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let shown = shown.join("\n");
    assert!(
        has(
            &errors,
            "entries/spid-smarrito.md",
            "invalid TOML at line 4"
        ),
        "{shown}"
    );
    assert!(
        has(
            &errors,
            "entries/visura-camerale.md",
            "must match the file name"
        ),
        "{shown}"
    );
    assert!(
        has(
            &errors,
            "entries/cns-rinnovo.md",
            "field `topic`: \"firma\" is not defined"
        ),
        "{shown}"
    );
    assert!(
        has(
            &errors,
            "entries/saluti.md",
            "field `title`: must not be empty"
        ),
        "{shown}"
    );
    assert!(
        has(
            &errors,
            "entries/saluti.md",
            "field `questions`: add at least one"
        ),
        "{shown}"
    );
    assert!(
        has(&errors, "entries/saluti.md", "field `titel`: unknown field"),
        "{shown}"
    );
    assert!(
        has(&errors, "entries/ringraziamenti.md", "link #1, field `url`"),
        "{shown}"
    );
    assert!(
        has(&errors, "entries/ringraziamenti.md", "raw HTML `<b`"),
        "{shown}"
    );
    assert!(
        has(&errors, "entries/ringraziamenti.md", "link \"ftp://x\""),
        "{shown}"
    );
    assert!(
        has(
            &errors,
            "entries/operatore-contatto.md",
            "body: the answer after the front matter is empty"
        ),
        "{shown}"
    );
    assert!(
        has(
            &errors,
            "entries/passaporto2.md",
            "must match the file name"
        ),
        "{shown}"
    );
    assert!(
        has(&errors, "entries/vuoto.md", "must start with a `+++` line"),
        "{shown}"
    );
    // Display is "file: message".
    assert!(shown
        .lines()
        .any(|l| l.starts_with("entries/cns-rinnovo.md: field `topic`")));
}

#[test]
fn duplicate_ids_are_reported() {
    let mut files = files();
    // Entry ids come from file names, so a duplicate needs a case where the
    // file name matches: two paths normalising to the same one.
    let spid = files
        .iter()
        .find(|(p, _)| p == "entries/spid-smarrito.md")
        .unwrap()
        .1
        .clone();
    files.push(("./entries/spid-smarrito.md".into(), spid.clone()));
    // Paths are normalised, so "./entries/x.md" is the same file: no error.
    assert!(KnowledgeBase::from_files(&files).is_ok());
    // Two topics with one id are an error.
    replace(
        &mut files,
        "topics.toml",
        "id = \"operatore\"",
        "id = \"spid\"",
    );
    let errors = errors(&files);
    assert!(
        has(&errors, "topics.toml", "\"spid\" is defined twice"),
        "{errors:?}"
    );
}

#[test]
fn topics_need_entries_and_files_must_exist() {
    let mut files = files();
    files[0]
        .1
        .push_str(&topic("vidimazioni", "Vidimazioni", "Libri sociali"));
    let errors = errors(&files);
    assert!(
        has(&errors, "topics.toml", "topic \"vidimazioni\" has no entry"),
        "{errors:?}"
    );

    let errors = errors_of(&[]);
    assert!(has(&errors, "topics.toml", "missing"), "{errors:?}");
    assert!(has(&errors, "entries/", "no entries"), "{errors:?}");
}

#[test]
fn a_missing_topic_entry_is_reported_next_to_other_problems() {
    let mut files = files();
    files[0]
        .1
        .push_str(&topic("vidimazioni", "Vidimazioni", "Libri sociali"));
    // Broken, but its topic can still be read.
    replace(
        &mut files,
        "entries/saluti.md",
        "title = \"Saluti\"",
        "title = \"\"",
    );
    let errors = errors(&files);
    assert!(
        has(&errors, "topics.toml", "topic \"vidimazioni\" has no entry"),
        "{errors:?}"
    );
    assert!(
        has(&errors, "entries/saluti.md", "field `title`"),
        "{errors:?}"
    );
    // Nothing about "conversazione": the broken entry still names it.
    assert!(
        !errors
            .iter()
            .any(|e| e.message.contains("\"conversazione\" has no entry")),
        "{errors:?}"
    );
}

#[test]
fn keys_after_links_get_a_hint() {
    let mut files = files();
    replace(
        &mut files,
        "entries/saluti.md",
        "url = \"/demo-site/saluti.html\"",
        "url = \"/demo-site/saluti.html\"\nkeyword = [\"x\"]",
    );
    let errors = errors(&files);
    assert!(
        has(
            &errors,
            "entries/saluti.md",
            "link #1, field `keyword`: unknown field (keys after a [[links]]"
        ),
        "{errors:?}"
    );
}

fn errors_of(files: &[(String, String)]) -> Vec<KbError> {
    errors(files)
}

#[test]
fn broken_topics_and_synonyms_files_are_reported() {
    let mut files = files();
    replace(&mut files, "topics.toml", "title = \"SPID\"\n", "");
    replace(
        &mut files,
        "synonyms.toml",
        "[\"spid\", \"identita digitale\"]",
        "[\"spid\"], [1, 2]",
    );
    let errors = errors(&files);
    assert!(
        has(&errors, "topics.toml", "topic #1, field `title`: missing"),
        "{errors:?}"
    );
    assert!(
        has(
            &errors,
            "synonyms.toml",
            "group #2: a group needs at least two terms"
        ),
        "{errors:?}"
    );
    assert!(
        has(
            &errors,
            "synonyms.toml",
            "group #3: every term must be a string"
        ),
        "{errors:?}"
    );
}

#[test]
fn a_weak_word_is_one_word() {
    let mut files = files();
    let synonyms = files
        .iter_mut()
        .find(|(p, _)| p == "synonyms.toml")
        .unwrap();
    synonyms.1 = format!("weak = [\"camon\", \"ciao camon\"]\n{}", synonyms.1);
    let errors = errors(&files);
    assert!(
        has(
            &errors,
            "synonyms.toml",
            "field `weak`: every entry must be one word"
        ),
        "{errors:?}"
    );
}

#[test]
fn load_reads_a_folder_and_ignores_other_files() {
    let dir = std::env::temp_dir().join(format!("varco-engine-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("entries")).unwrap();
    for (path, content) in files() {
        std::fs::write(dir.join(&path), content).unwrap();
    }
    std::fs::write(dir.join("questions.jsonl"), "not even json").unwrap();
    std::fs::write(dir.join("entries/.gitkeep"), "").unwrap();
    let kb = KnowledgeBase::load(&dir).unwrap();
    assert_eq!(kb.entries().len(), 11);

    std::fs::write(dir.join("entries/rotto.md"), "+++\nid = \"rotto\"\n+++\n").unwrap();
    let errors = KnowledgeBase::load(&dir).unwrap_err();
    assert!(
        has(&errors, "entries/rotto.md", "field `topic`: missing"),
        "{errors:?}"
    );
    assert!(
        has(&errors, "entries/rotto.md", "field `title`: missing"),
        "{errors:?}"
    );
    assert!(
        has(
            &errors,
            "entries/rotto.md",
            "body: the answer after the front matter is empty"
        ),
        "{errors:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();

    let missing = KnowledgeBase::load(&dir).unwrap_err();
    assert!(
        missing[0].message.contains("no such knowledge base folder"),
        "{missing:?}"
    );
}

// ---- bench --------------------------------------------------------------

#[test]
fn jsonl_parsing_names_the_bad_line() {
    let ok = bench::read_jsonl(
        "{\"q\": \"a\", \"topic\": \"spid\"}\n\n{\"q\": \"b\", \"topic\": \"x\"}\n",
    )
    .unwrap();
    assert_eq!(ok.len(), 2);
    assert_eq!(
        ok[1],
        Labelled {
            q: "b".into(),
            topic: "x".into(),
            office: None,
        }
    );
    let err = bench::read_jsonl("{\"q\": \"a\", \"topic\": \"spid\"}\n{\"q\": 1}\n").unwrap_err();
    assert!(err.starts_with("line 2:"), "{err}");
}

fn labelled(q: &str, topic: &str) -> Labelled {
    Labelled {
        q: q.into(),
        topic: topic.into(),
        office: None,
    }
}

#[test]
fn bench_scoring_math() {
    let kb = kb();
    let questions = [
        labelled("Come faccio ad avere lo SPID?", "spid"), // right
        labelled("come pago il diritto annuale", "diritto-annuale"), // right
        labelled("ricetta della carbonara", OUT_OF_SCOPE_TOPIC), // right, out of scope
        labelled("meteo di domani a Milano", "spid"),      // wrong: predicted out of scope
        labelled("come ottengo la visura camerale", OUT_OF_SCOPE_TOPIC), // wrong: in scope
    ];
    let report = bench::score(&kb, &questions);
    assert_eq!(report.total, 5);
    assert!(
        (report.top1_accuracy - 3.0 / 5.0).abs() < 1e-9,
        "{report:?}"
    );
    // Predicted out of scope: carbonara (right) and meteo (wrong).
    assert!(
        (report.out_of_scope_precision - 0.5).abs() < 1e-9,
        "{report:?}"
    );
    // Labelled out of scope: carbonara (found) and visura (missed).
    assert!(
        (report.out_of_scope_recall - 0.5).abs() < 1e-9,
        "{report:?}"
    );
    assert_eq!(report.misses.len(), 2);
    assert_eq!(report.misses[0].q, "meteo di domani a Milano");
    assert_eq!(report.misses[0].expected, "spid");
    assert_eq!(report.misses[0].got, OUT_OF_SCOPE_TOPIC);
    assert_eq!(report.misses[1].got, "certificati-visure");
}

#[test]
fn bench_empty_cases() {
    let kb = kb();
    let empty = bench::score(&kb, &[]);
    assert_eq!(
        (
            empty.total,
            empty.top1_accuracy,
            empty.out_of_scope_precision,
            empty.out_of_scope_recall
        ),
        (0, 0.0, 1.0, 1.0)
    );
    let in_scope = bench::score(
        &kb,
        &[labelled("come pago il diritto annuale", "diritto-annuale")],
    );
    assert_eq!(
        (
            in_scope.top1_accuracy,
            in_scope.out_of_scope_precision,
            in_scope.out_of_scope_recall
        ),
        (1.0, 1.0, 1.0)
    );
    let missed = bench::score(
        &kb,
        &[labelled("come pago il diritto annuale", OUT_OF_SCOPE_TOPIC)],
    );
    assert_eq!(
        (
            missed.top1_accuracy,
            missed.out_of_scope_precision,
            missed.out_of_scope_recall
        ),
        (0.0, 0.0, 0.0)
    );
}
