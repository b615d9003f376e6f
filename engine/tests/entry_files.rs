//! An entry written as files (what the console publishes) reads back as
//! the same entry: `entry_files` is the inverse of the parser.

use proptest::prelude::*;
use std::path::Path;
use varco_engine::{entry_files, read_files, English, Entry, KnowledgeBase, Link};

/// `files` with `entry`'s files in place of the ones of the same id.
fn with_entry(files: &[(String, String)], entry: &Entry) -> Vec<(String, String)> {
    let italian_path = format!("entries/{}.md", entry.id);
    let english_path = format!("en/{}.md", entry.id);
    let (italian, english) = entry_files(entry);
    let mut out: Vec<(String, String)> = files
        .iter()
        .filter(|(p, _)| *p != italian_path && *p != english_path)
        .cloned()
        .collect();
    out.push((italian_path, italian));
    if let Some(english) = english {
        out.push((english_path, english));
    }
    out
}

#[test]
fn every_entry_of_both_sites_reads_back_the_same_from_its_written_files() {
    for site in ["milomb", "calvatone"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../kb")
            .join(site);
        let (files, errors) = read_files(&dir).expect("the site's knowledge base");
        assert!(errors.is_empty(), "{errors:?}");
        let kb = KnowledgeBase::from_files(&files).expect("valid");
        assert!(kb.entries().len() > 40, "{site}");
        // Every entry rewritten at once: one index to build, not one each.
        let rewritten = kb
            .entries()
            .iter()
            .fold(files.clone(), |f, e| with_entry(&f, e));
        let again =
            KnowledgeBase::from_files(&rewritten).unwrap_or_else(|e| panic!("{site}: {e:?}"));
        assert_eq!(again.entries(), kb.entries(), "{site}");
    }
}

/// Text a webmaster may type: quotes, backslashes, TOML's and the front
/// matter's own markers, accents; never blank at either end.
fn text() -> impl Strategy<Value = String> {
    "[A-Za-zàèéìòù][A-Za-z0-9àèéìòù '\"\\\\+#=,.?!\\[\\]{}-]{0,30}[A-Za-z0-9?]"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn any_plain_entry_reads_back_the_same(
        title in text(),
        questions in prop::collection::vec(text(), 1..6),
        keywords in prop::collection::vec(text(), 0..3),
        link_title in text(),
        lines in prop::collection::vec(text(), 1..4),
        english in any::<bool>(),
        en_title in text(),
        en_link_title in text(),
    ) {
        let files = vec![(
            "topics.toml".to_string(),
            "[[topics]]\nid = \"t\"\ntitle = \"T\"\ndescription = \"D\"\n".to_string(),
        )];
        let model = Entry {
            id: "e".into(),
            topic: "t".into(),
            title: String::new(),
            questions: vec![],
            keywords: vec![],
            links: vec![],
            answer: String::new(),
            english: None,
        };
        let links = vec![Link { title: link_title, url: "https://www.example.it/a?b=1".into() }];
        let answer = lines.join("\n+++\n");
        let entry = Entry {
            title,
            questions: questions.clone(),
            keywords,
            links: links.clone(),
            answer: answer.clone(),
            english: english.then(|| English {
                title: en_title,
                questions,
                keywords: vec![],
                links: links.iter().map(|l| Link { title: en_link_title.clone(), url: l.url.clone() }).collect(),
                answer,
            }),
            ..model
        };
        let again = KnowledgeBase::from_files(&with_entry(&files, &entry));
        let again = again.map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let back = again.entries().iter().find(|e| e.id == entry.id).unwrap();
        prop_assert_eq!(back, &entry);
    }
}
