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
    /// The counts behind the shares, so that sets can be pooled
    /// ([`Report::pooled`]).
    pub counts: Counts,
    pub misses: Vec<Miss>,
}

/// What a [`Report`]'s shares are made of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Questions answered with the labelled topic.
    pub correct: usize,
    /// Questions labelled out of scope.
    pub labelled_out_of_scope: usize,
    /// Questions answered as out of scope.
    pub answered_out_of_scope: usize,
    /// Questions labelled and answered out of scope, naming the body of
    /// the label if it names one.
    pub recalled_out_of_scope: usize,
}

impl Report {
    /// One report for several sets together, as if they were one: each
    /// question weighs the same, whichever set it is in. Misses are not
    /// carried over.
    pub fn pooled(reports: &[Report]) -> Report {
        let mut total = 0;
        let mut c = Counts::default();
        for r in reports {
            total += r.total;
            c.correct += r.counts.correct;
            c.labelled_out_of_scope += r.counts.labelled_out_of_scope;
            c.answered_out_of_scope += r.counts.answered_out_of_scope;
            c.recalled_out_of_scope += r.counts.recalled_out_of_scope;
        }
        Report::of(total, c, Vec::new())
    }

    fn of(total: usize, c: Counts, misses: Vec<Miss>) -> Report {
        let ratio = |num: usize, den: usize, empty: f64| {
            if den == 0 {
                empty
            } else {
                num as f64 / den as f64
            }
        };
        Report {
            total,
            top1_accuracy: ratio(c.correct, total, 0.0),
            out_of_scope_precision: ratio(
                c.recalled_out_of_scope,
                c.answered_out_of_scope,
                if c.labelled_out_of_scope == 0 {
                    1.0
                } else {
                    0.0
                },
            ),
            out_of_scope_recall: ratio(c.recalled_out_of_scope, c.labelled_out_of_scope, 1.0),
            counts: c,
            misses,
        }
    }
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
    let counts = Counts {
        correct,
        labelled_out_of_scope: labelled_oos,
        answered_out_of_scope: predicted_oos,
        recalled_out_of_scope: both_oos,
    };
    Report::of(questions.len(), counts, misses)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(
        total: usize,
        correct: usize,
        labelled: usize,
        answered: usize,
        recalled: usize,
    ) -> Report {
        Report::of(
            total,
            Counts {
                correct,
                labelled_out_of_scope: labelled,
                answered_out_of_scope: answered,
                recalled_out_of_scope: recalled,
            },
            Vec::new(),
        )
    }

    #[test]
    fn pooled_sets_weigh_each_question_the_same() {
        let small = report(10, 5, 2, 4, 1);
        let large = report(90, 90, 38, 38, 38);
        let both = Report::pooled(&[small, large]);
        assert_eq!(both.total, 100);
        assert!((both.top1_accuracy - 0.95).abs() < 1e-9);
        assert!((both.out_of_scope_recall - 39.0 / 40.0).abs() < 1e-9);
        assert!((both.out_of_scope_precision - 39.0 / 42.0).abs() < 1e-9);
        // Nothing labelled out of scope: recall is 1, precision 1 only if
        // nothing was answered out of scope either.
        let none = Report::pooled(&[report(3, 3, 0, 0, 0)]);
        assert_eq!(
            (none.out_of_scope_recall, none.out_of_scope_precision),
            (1.0, 1.0)
        );
        assert_eq!(Report::pooled(&[]).top1_accuracy, 0.0);
    }
}
