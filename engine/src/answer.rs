//! From entry scores to the answer the visitor reads: confident answer,
//! "did you mean" suggestions, or "this is not something we handle".

use crate::index::Scored;
use crate::kb::{Entry, Link, Topic};
use serde::Serialize;

/// The topic that collects questions outside the site's services. When a
/// knowledge base defines it, questions that match nothing get it.
pub const OUT_OF_SCOPE_TOPIC: &str = "fuori-competenza";

/// An entry in this topic with this id, if present, replaces the built-in
/// out-of-scope text, so each site can say where to look instead.
pub const OUT_OF_SCOPE_ENTRY: &str = "fuori-competenza";

/// The topic of greetings, thanks, goodbyes and questions about the
/// assistant itself.
pub const CONVERSATION_TOPIC: &str = "conversazione";

/// Whether entries of `topic` may be offered to visitors as suggestions
/// (quick replies, "Forse ti interessa"): not the assistant's small talk,
/// whose titles («Saluto finale») name what the entry is for rather than
/// anything a visitor would ask, nor what is not the body's job.
pub fn suggestible(topic: &str) -> bool {
    topic != CONVERSATION_TOPIC && topic != OUT_OF_SCOPE_TOPIC
}

/// The engine's reply to one question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// Always set: the matched entry's topic, the best guess when not
    /// confident, or [`OUT_OF_SCOPE_TOPIC`].
    pub topic: String,
    /// The entry answered with; `None` for the fallback texts.
    pub entry_id: Option<String>,
    /// Markdown subset, in [`Answer::language`].
    pub answer: String,
    pub links: Vec<Link>,
    /// 0..1.
    pub confidence: f32,
    pub confident: bool,
    /// The closest entries when not confident (at most 3, one per entry).
    pub suggestions: Vec<Suggestion>,
    /// The language of `answer`, links and suggestions: `it`, or `en`
    /// when the entry has an English version and the visitor reads English.
    pub language: &'static str,
}

/// The language an answer is built in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Language {
    It,
    En,
}

impl Language {
    fn code(self) -> &'static str {
        match self {
            Language::It => "it",
            Language::En => "en",
        }
    }

    fn not_sure(self) -> &'static str {
        match self {
            Language::It => NOT_SURE,
            Language::En => "I am not sure I understood the question.",
        }
    }

    fn rephrase(self) -> &'static str {
        match self {
            Language::It => " Puoi riformularla con altre parole?",
            Language::En => " Could you put it in other words?",
        }
    }

    fn did_you_mean(self) -> &'static str {
        match self {
            Language::It => " Forse ti interessa:\n",
            Language::En => " Perhaps you are looking for:\n",
        }
    }

    fn operator(self) -> &'static str {
        match self {
            Language::It => OPERATOR,
            Language::En => "If you prefer, you can talk to an operator.",
        }
    }

    fn out_of_scope(self) -> &'static str {
        match self {
            Language::It => OUT_OF_SCOPE_TEXT,
            Language::En => "I am sorry, the question does not seem to be about the services I deal with. \
For matters of other offices, please contact the competent body directly, through its official website. \
If you prefer, you can talk to an operator.",
        }
    }
}

/// An entry the visitor may have meant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub topic: String,
    pub entry_id: String,
    pub title: String,
}

/// Below this score nothing in the knowledge base is about the question.
const OUT_OF_SCOPE_SCORE: f32 = 0.12;
/// Whether a best score this high means some entry is about the question
/// (below it the question is out of scope, whatever the entry).
pub(crate) fn matches_something(score: f32) -> bool {
    score >= OUT_OF_SCOPE_SCORE
}

/// At or above this confidence the best entry is given as the answer.
const CONFIDENT: f32 = 0.30;
/// The margin over the best entry of another topic that counts as a clear
/// win; smaller margins lower the confidence proportionally.
const CLEAR_MARGIN: f32 = 0.15;
/// Suggestions must score at least this fraction of the best one.
const SUGGESTION_RATIO: f32 = 0.5;
const MAX_SUGGESTIONS: usize = 3;

const NOT_SURE: &str = "Non sono sicuro di aver capito la domanda.";
const OPERATOR: &str = "Se preferisci, puoi parlare con un operatore.";
const OUT_OF_SCOPE_TEXT: &str =
    "Mi dispiace, la domanda non sembra riguardare i servizi di cui mi occupo. \
Per questioni di altri uffici ti conviene rivolgerti direttamente all'ente competente, \
consultandone il sito istituzionale. Se preferisci, puoi parlare con un operatore.";

/// Maps the best score and its margin over the best other topic to 0..1.
///
/// The score alone is not enough: two topics that both match halfway mean
/// the question is ambiguous, not that either answer is right.
pub(crate) fn confidence(best: f32, other_topic: f32) -> f32 {
    let margin = (best - other_topic).max(0.0);
    let clarity = 0.5 + 0.5 * (margin / CLEAR_MARGIN).min(1.0);
    // A verbatim example question scores 0.9 to 1, and 0.8 is already an
    // unmistakable match: stretch the top of the range.
    (best / 0.8).min(1.0) * clarity
}

/// Builds the answer from the sorted scores.
pub(crate) fn build(
    topics: &[Topic],
    entries: &[Entry],
    scored: &[Scored],
    language: Language,
) -> Answer {
    let has_out_of_scope = topics.iter().any(|t| t.id == OUT_OF_SCOPE_TOPIC);
    let Some(best) = scored.first() else {
        // A knowledge base always has entries (checked when loading); keep
        // a sane reply anyway.
        return out_of_scope(
            entries,
            if has_out_of_scope {
                OUT_OF_SCOPE_TOPIC
            } else {
                ""
            },
            language,
        );
    };
    let best_entry = &entries[best.entry];
    let other_topic = scored
        .iter()
        .find(|s| entries[s.entry].topic != best_entry.topic)
        .map_or(0.0, |s| s.score);
    let confidence = confidence(best.score, other_topic);

    if best.score < OUT_OF_SCOPE_SCORE && has_out_of_scope {
        let mut answer = out_of_scope(entries, OUT_OF_SCOPE_TOPIC, language);
        // Sure in proportion to how little matched: 1 for nothing at all,
        // 0.5 at the threshold.
        answer.confidence = 1.0 - best.score / OUT_OF_SCOPE_SCORE * 0.5;
        return answer;
    }

    // The best entry as the answer, sure of it or not.
    let entry_answer = |confident: bool, suggestions: Vec<Suggestion>| Answer {
        topic: best_entry.topic.clone(),
        entry_id: Some(best_entry.id.clone()),
        answer: best_entry.answer.clone(),
        links: best_entry.links.clone(),
        confidence,
        confident,
        suggestions,
        language: language.code(),
    };
    if confidence >= CONFIDENT {
        return entry_answer(true, Vec::new());
    }

    let suggestions: Vec<Suggestion> = scored
        .iter()
        .take_while(|s| s.score > 0.0 && s.score >= best.score * SUGGESTION_RATIO)
        .filter(|s| suggestible(&entries[s.entry].topic))
        .take(MAX_SUGGESTIONS)
        .map(|s| {
            let e = &entries[s.entry];
            Suggestion {
                topic: e.topic.clone(),
                entry_id: e.id.clone(),
                title: e.title.clone(),
            }
        })
        .collect();
    // The closest entry sends the visitor to another office: saying which
    // one helps more than "not sure" (whose suggestions leave out what is
    // not the body's job). The closest of the body's own services, if any
    // come near, are offered next to it.
    if best_entry.topic == OUT_OF_SCOPE_TOPIC {
        return entry_answer(false, suggestions);
    }
    let mut text = String::from(language.not_sure());
    if suggestions.is_empty() {
        text.push_str(language.rephrase());
    } else {
        text.push_str(language.did_you_mean());
        for s in &suggestions {
            text.push_str(&format!("\n- {}", s.title));
        }
        text.push('\n');
    }
    text.push('\n');
    text.push_str(language.operator());
    Answer {
        topic: best_entry.topic.clone(),
        entry_id: None,
        answer: text,
        links: Vec::new(),
        confidence,
        confident: false,
        suggestions,
        language: language.code(),
    }
}

/// The reply for questions outside the site's services. The knowledge
/// base's own [`OUT_OF_SCOPE_ENTRY`] text wins over the built-in one.
fn out_of_scope(entries: &[Entry], topic: &str, language: Language) -> Answer {
    let custom = entries
        .iter()
        .find(|e| e.topic == OUT_OF_SCOPE_TOPIC && e.id == OUT_OF_SCOPE_ENTRY);
    Answer {
        topic: topic.to_string(),
        entry_id: custom.map(|e| e.id.clone()),
        answer: custom.map_or_else(|| language.out_of_scope().to_string(), |e| e.answer.clone()),
        links: custom.map_or_else(Vec::new, |e| e.links.clone()),
        confidence: 1.0,
        confident: true,
        suggestions: Vec::new(),
        language: language.code(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_grows_with_score_and_margin() {
        assert!(confidence(0.6, 0.1) > confidence(0.6, 0.5));
        assert!(confidence(0.7, 0.1) > confidence(0.4, 0.1));
        assert!(confidence(2.0, 0.0) <= 1.0);
        assert_eq!(confidence(0.0, 0.0), 0.0);
    }
}
