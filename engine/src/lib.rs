//! Varco's embedded answering engine.
//!
//! A site's knowledge base is a folder of plain files (see [`KnowledgeBase::load`]):
//! `topics.toml`, an optional `synonyms.toml` and one markdown file per
//! answer in `entries/`. The engine checks them, builds an in-memory index
//! and answers visitors' questions, Italian first: accent folding, Italian
//! stopwords and Snowball stemming, synonyms (multi-word ones included),
//! typo correction, and a blend of BM25-style and similarity scoring
//! (see `index.rs`). Plain Rust: no network, no async, no browser APIs;
//! answering is deterministic and takes well under a millisecond for a
//! knowledge base of a hundred entries.
//!
//! ```
//! use varco_engine::KnowledgeBase;
//! let files = vec![
//!     ("topics.toml".to_string(), "[[topics]]\nid = \"spid\"\ntitle = \"SPID\"\ndescription = \"Identità digitale\"\n".to_string()),
//!     ("entries/spid-come.md".to_string(), "+++\nid = \"spid-come\"\ntopic = \"spid\"\ntitle = \"Come ottenere SPID\"\nquestions = [\"Come faccio ad avere lo SPID?\"]\n+++\nPrenota un appuntamento.\n".to_string()),
//! ];
//! let kb = KnowledgeBase::from_files(&files).unwrap();
//! let answer = kb.answer("come ottengo lo spid");
//! assert_eq!(answer.topic, "spid");
//! ```

mod answer;
pub mod bench;
mod index;
mod kb;
mod normalize;
mod typo;

pub use answer::{
    suggestible, Answer, Suggestion, CONVERSATION_TOPIC, OUT_OF_SCOPE_ENTRY, OUT_OF_SCOPE_TOPIC,
};
pub use kb::{entry_files, read_entry, English, Entry, KbError, Link, Topic};

use answer::Language;
use index::Index;
use serde::Serialize;
use std::path::Path;

/// A checked, indexed knowledge base, ready to answer. Cheap to share
/// between threads (`Send + Sync`); build it once per site.
#[derive(Debug, Clone)]
pub struct KnowledgeBase {
    topics: Vec<Topic>,
    entries: Vec<Entry>,
    index: Index,
    /// The entries that have an English version, in English, and their own
    /// index: an English question is matched against English phrasings.
    english: Vec<Entry>,
    english_index: Index,
}

/// An English answer at least this confident is given without looking
/// for Italian terms in the question (see [`KnowledgeBase::answer_in`]).
const SURE_IN_ENGLISH: f32 = 0.9;

/// The knowledge base files in `dir` as [`KnowledgeBase::from_files`] takes
/// them, with the files that could not be read. A missing folder is an
/// error of its own.
#[allow(clippy::type_complexity)]
pub fn read_files(dir: &Path) -> Result<(Vec<(String, String)>, Vec<KbError>), Vec<KbError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let io_error = |file: &str, e: std::io::Error| KbError {
        file: file.to_string(),
        message: format!("cannot read: {e}"),
    };
    for name in ["topics.toml", "synonyms.toml"] {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(text) => files.push((name.to_string(), text)),
            // A missing topics.toml is reported by the checks.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => errors.push(io_error(name, e)),
        }
    }
    for folder in ["entries", "en"] {
        match std::fs::read_dir(dir.join(folder)) {
            Ok(list) => {
                for item in list {
                    let path = match item {
                        Ok(item) => item.path(),
                        Err(e) => {
                            errors.push(io_error(&format!("{folder}/"), e));
                            continue;
                        }
                    };
                    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                        continue;
                    };
                    if !name.ends_with(".md") || !path.is_file() {
                        continue;
                    }
                    let rel = format!("{folder}/{name}");
                    match std::fs::read_to_string(&path) {
                        Ok(text) => files.push((rel, text)),
                        Err(e) => errors.push(io_error(&rel, e)),
                    }
                }
            }
            Err(e)
                if folder == "entries"
                    && e.kind() == std::io::ErrorKind::NotFound
                    && !dir.is_dir() =>
            {
                return Err(vec![KbError {
                    file: dir.display().to_string(),
                    message: "no such knowledge base folder".into(),
                }]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => errors.push(io_error(&format!("{folder}/"), e)),
        }
    }
    Ok((files, errors))
}

impl KnowledgeBase {
    /// Reads `topics.toml`, `synonyms.toml` (optional), `entries/*.md` and
    /// `en/*.md` (optional) from `dir`. Every problem found is reported, each naming its file
    /// (relative to `dir`) and field, not just the first.
    pub fn load(dir: &Path) -> Result<KnowledgeBase, Vec<KbError>> {
        let (files, mut errors) = read_files(dir)?;
        match KnowledgeBase::from_files(&files) {
            Ok(kb) if errors.is_empty() => Ok(kb),
            Ok(_) => Err(errors),
            Err(more) => {
                errors.extend(more);
                Err(errors)
            }
        }
    }

    /// The checks of [`KnowledgeBase::from_files`] without building the
    /// indexes: what `kb check` would say of these files.
    pub fn check_files(files: &[(String, String)]) -> Result<(), Vec<KbError>> {
        kb::parse(files).map(|_| ())
    }

    /// Same as [`KnowledgeBase::load`] from in-memory files: (path relative
    /// to the knowledge base folder such as `"topics.toml"` or
    /// `"entries/x.md"`, content). Other paths are ignored.
    pub fn from_files(files: &[(String, String)]) -> Result<KnowledgeBase, Vec<KbError>> {
        let parsed = kb::parse(files)?;
        let index = Index::build(
            &parsed.topics,
            &parsed.entries,
            &parsed.synonyms,
            &parsed.weak,
        );
        let english: Vec<Entry> = parsed
            .entries
            .iter()
            .filter_map(Entry::in_english)
            .collect();
        // The site's synonyms are Italian: the English index has none.
        let english_index = Index::build_in(&parsed.topics, &english, &[], &parsed.weak, true);
        Ok(KnowledgeBase {
            topics: parsed.topics,
            entries: parsed.entries,
            index,
            english,
            english_index,
        })
    }

    /// Answers a visitor's question. Never fails: a question that matches
    /// nothing gets a "not sure" or an out-of-scope reply.
    pub fn answer(&self, question: &str) -> Answer {
        let query = self.index.query(question);
        let scored = self.index.score(&query);
        answer::build(&self.topics, &self.entries, &scored, Language::It)
    }

    /// Answers in the visitor's language (`it` or `en`): the page's, or
    /// English when the question is English beyond doubt (a visitor who
    /// writes in English on an Italian page reads English best). An English
    /// question is matched against the English versions; if an Italian
    /// entry fits with more confidence than any of them (a visitor who
    /// writes «visura camerale» or «naspi» on an English page), that entry
    /// answers, out-of-scope ones included, in English if it has a
    /// version. An entry without one answers in Italian, and says so
    /// (`Answer::language`).
    pub fn answer_in(&self, question: &str, language: &str) -> Answer {
        let english_asked = language == "en" || self.index.written_in_english(question);
        if !english_asked || self.english.is_empty() {
            return self.answer(question);
        }
        let query = self.english_index.query(question);
        let scored = self.english_index.score(&query);
        let english = answer::build(&self.topics, &self.english, &scored, Language::En);
        let english_fits = english.confident && english.entry_id.is_some();
        // An unmistakable English match: no Italian reading could be surer
        // by enough to matter, and the second index costs time.
        if english_fits && english.confidence >= SURE_IN_ENGLISH {
            return english;
        }
        let italian_query = self.index.query(question);
        let italian_scored = self.index.score(&italian_query);
        let italian = answer::build(&self.topics, &self.entries, &italian_scored, Language::It);
        // An Italian entry that matches for real (not the reply to a
        // question that matches nothing): the visitor wrote the Italian
        // name of something («naspi», «visura camerale»). It wins over an
        // English match when it is surer than that.
        let italian_fits = italian.confident
            && italian_scored
                .first()
                .is_some_and(|s| answer::matches_something(s.score))
            && italian.entry_id.is_some();
        if english_fits && !(italian_fits && italian.confidence > english.confidence) {
            return english;
        }
        if !italian_fits {
            return english;
        }
        let id = italian.entry_id.as_deref().unwrap_or_default();
        match self.english.iter().find(|e| e.id == id) {
            Some(entry) => Answer {
                topic: entry.topic.clone(),
                entry_id: Some(entry.id.clone()),
                answer: entry.answer.clone(),
                links: entry.links.clone(),
                confidence: italian.confidence,
                confident: true,
                suggestions: Vec::new(),
                language: "en",
            },
            None => italian,
        }
    }

    /// Why the engine answers as it does: typo corrections and the best
    /// `limit` entries with their signals. For `kb ask` and tuning; the
    /// shape may change.
    pub fn explain(&self, question: &str, limit: usize) -> Explanation {
        let query = self.index.query(question);
        let scored = self.index.score(&query);
        let top = scored
            .iter()
            .take(limit)
            .map(|s| ScoredEntry {
                entry_id: self.entries[s.entry].id.clone(),
                topic: self.entries[s.entry].topic.clone(),
                score: s.score,
                lexical: s.lexical,
                question: s.question,
                trigram: s.trigram,
            })
            .collect();
        Explanation {
            corrections: query.corrections.clone(),
            terms: query.weighted.clone(),
            top,
        }
    }

    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entries that have an English version, in English.
    pub fn english_entries(&self) -> &[Entry] {
        &self.english
    }
}

/// Diagnostics for one question, see [`KnowledgeBase::explain`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// (as typed, as corrected) for every word the typo corrector changed.
    pub corrections: Vec<(String, String)>,
    /// The question's index terms with their weights (stems; synonym
    /// groups appear as `~synN`).
    pub terms: Vec<(String, f32)>,
    /// Best entries first.
    pub top: Vec<ScoredEntry>,
}

/// One entry's score and the signals it blends (each 0..1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoredEntry {
    pub entry_id: String,
    pub topic: String,
    pub score: f32,
    pub lexical: f32,
    pub question: f32,
    pub trigram: f32,
}
