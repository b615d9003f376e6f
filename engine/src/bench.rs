//! Scoring the engine against labelled questions (`questions.jsonl`).
//!
//! These questions are a test set: the engine never reads them to answer
//! or to build its index. `cargo xtask bench` and the tuning example use
//! [`score`].

use crate::answer::OUT_OF_SCOPE_TOPIC;
use crate::KnowledgeBase;
use serde::{Deserialize, Serialize};

/// One labelled question: what a visitor asks and the topic it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Labelled {
    pub q: String,
    pub topic: String,
    /// For an out-of-scope question, the body the answer must name
    /// ("Comune", "INPS"); empty when no body is competent (the weather).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
}

/// Parses JSON Lines, one [`Labelled`] per line; blank lines are skipped.
/// The error names the (1-based) line.
pub fn read_jsonl(text: &str) -> Result<Vec<Labelled>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

/// How well the engine did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub total: usize,
    /// Share of questions whose answer's topic is the labelled one.
    pub top1_accuracy: f64,
    /// Of the questions answered as out of scope, the share that are.
    pub out_of_scope_precision: f64,
    /// Of the questions labelled out of scope, the share answered so and,
    /// where the label names a body, naming it.
    pub out_of_scope_recall: f64,
    pub misses: Vec<Miss>,
}

/// A question answered with the wrong topic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Miss {
    pub q: String,
    pub expected: String,
    pub got: String,
    pub confidence: f32,
}

/// Answers every question and compares topics. Out of scope means the
/// topic [`OUT_OF_SCOPE_TOPIC`] on either side.
///
/// Empty cases: with no questions everything is 0 except the two
/// out-of-scope figures; precision is 1 when nothing was answered out of
/// scope and nothing should have been, 0 when something should have been;
/// recall is 1 when nothing was labelled out of scope.
pub fn score(kb: &KnowledgeBase, questions: &[Labelled]) -> Report {
    score_in(kb, questions, "it")
}

/// [`score`] for questions asked from a page in `language` (`it`, `en`).
pub fn score_in(kb: &KnowledgeBase, questions: &[Labelled], language: &str) -> Report {
    let mut correct = 0usize;
    let (mut predicted_oos, mut labelled_oos, mut both_oos) = (0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    for item in questions {
        let answer = kb.answer_in(&item.q, language);
        let expected_oos = item.topic == OUT_OF_SCOPE_TOPIC;
        let got_oos = answer.topic == OUT_OF_SCOPE_TOPIC;
        let office = item.office.as_deref().unwrap_or("");
        let names_office = office.is_empty()
            || answer
                .answer
                .to_lowercase()
                .contains(&office.to_lowercase());
        labelled_oos += usize::from(expected_oos);
        predicted_oos += usize::from(got_oos);
        both_oos += usize::from(expected_oos && got_oos && names_office);
        if answer.topic == item.topic {
            correct += 1;
            if expected_oos && !names_office {
                misses.push(Miss {
                    q: item.q.clone(),
                    expected: format!("{} ({office})", item.topic),
                    got: format!("{} ({})", answer.topic, answer.entry_id.unwrap_or_default()),
                    confidence: answer.confidence,
                });
            }
        } else {
            misses.push(Miss {
                q: item.q.clone(),
                expected: item.topic.clone(),
                got: answer.topic,
                confidence: answer.confidence,
            });
        }
    }
    let ratio = |num: usize, den: usize, empty: f64| {
        if den == 0 {
            empty
        } else {
            num as f64 / den as f64
        }
    };
    Report {
        total: questions.len(),
        top1_accuracy: ratio(correct, questions.len(), 0.0),
        out_of_scope_precision: ratio(
            both_oos,
            predicted_oos,
            if labelled_oos == 0 { 1.0 } else { 0.0 },
        ),
        out_of_scope_recall: ratio(both_oos, labelled_oos, 1.0),
        misses,
    }
}
