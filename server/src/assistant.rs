//! What answers visitors: the [`Assistant`] trait, the embedded engine
//! over a site's knowledge base (the default), and loading each site's
//! assistant at start. [`external`] is the other implementation: a service
//! of the site's own, with the embedded engine as its fallback.

pub mod external;

use crate::config::Config;
use anyhow::Context;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use varco_protocol::chat::AnswerLink;

/// The assistant's reply to one visitor message.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub text: String,
    pub topic: String,
    pub links: Vec<AnswerLink>,
    pub quick_replies: Vec<String>,
    /// The knowledge base found nothing for the question, or was unsure of
    /// its topic: the question goes on the webmaster's report.
    pub unsure: bool,
}

/// What answers visitors. The embedded engine is the default; a site may
/// point to another implementation (an external assistant), with the
/// embedded one as its fallback.
pub trait Assistant: Send + Sync {
    /// Answers `question`; an assistant that streams passes each piece of
    /// its answer to `deltas` as it comes (the full reply still follows).
    fn reply<'a>(
        &'a self,
        question: &'a str,
        language: &'a str,
        deltas: &'a DeltaSink,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<Reply>> + Send + 'a>>;
}

/// Receives the pieces of a streamed answer.
pub type DeltaSink = dyn Fn(&str) + Send + Sync;

/// The embedded answering engine over a site's knowledge base.
pub struct EmbeddedAssistant {
    pub kb: varco_engine::KnowledgeBase,
}

impl EmbeddedAssistant {
    pub fn answer(&self, question: &str, language: &str) -> Reply {
        reply_of(self.kb.answer_in(question, language), language)
    }

    /// The answer, and the closest entry's title and answer as reference for
    /// an external assistant (empty when nothing is close): the question is
    /// looked up once for both.
    pub fn answer_with_reference(&self, question: &str, language: &str) -> (Reply, String) {
        let a = self.kb.answer_in(question, language);
        let reference = if a.confident {
            let entries = if a.language == "en" {
                self.kb.english_entries()
            } else {
                self.kb.entries()
            };
            let title = entries
                .iter()
                .find(|e| Some(&e.id) == a.entry_id.as_ref())
                .map(|e| e.title.as_str())
                .unwrap_or_default();
            format!("{title}\n{}", a.answer)
        } else {
            String::new()
        };
        (reply_of(a, language), reference)
    }
}

fn reply_of(a: varco_engine::Answer, language: &str) -> Reply {
    let mut text = a.answer;
    // An entry with no English version yet answers in Italian, and says so.
    if language == "en" && a.language != "en" {
        text = format!("*This answer is only available in Italian.*\n\n{text}");
    }
    Reply {
        text,
        topic: a.topic,
        links: a
            .links
            .into_iter()
            .map(|l| AnswerLink {
                title: l.title,
                url: l.url,
            })
            .collect(),
        quick_replies: a.suggestions.into_iter().map(|s| s.title).collect(),
        // The built-in out-of-scope text (or the site's stand-in for it)
        // answers what matched nothing: the question was not answered.
        unsure: !a.confident
            || a.entry_id
                .as_deref()
                .is_none_or(|id| id == varco_engine::OUT_OF_SCOPE_ENTRY),
    }
}

impl Assistant for EmbeddedAssistant {
    fn reply<'a>(
        &'a self,
        question: &'a str,
        language: &'a str,
        _deltas: &'a DeltaSink,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<Reply>> + Send + 'a>> {
        Box::pin(async move { Ok(self.answer(question, language)) })
    }
}

/// The assistants of every site that has a knowledge base.
pub type Assistants = HashMap<String, Arc<dyn Assistant>>;
/// The knowledge base of every site that has one (recommendations use it
/// whichever assistant answers).
pub type KnowledgeBases = HashMap<String, Arc<EmbeddedAssistant>>;

/// Loads each site's knowledge base. A broken one stops the server with
/// every problem listed (as `varco-server kb check` would).
pub fn load_assistants(config: &Config) -> anyhow::Result<(Assistants, KnowledgeBases)> {
    let mut out: Assistants = HashMap::new();
    let mut bases: KnowledgeBases = HashMap::new();
    for site in &config.sites {
        let Some(dir) = &site.kb else { continue };
        let kb = varco_engine::KnowledgeBase::load(dir).map_err(|errors| {
            let list: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
            anyhow::anyhow!(
                "the knowledge base of site {:?} ({}) is invalid:\n{}",
                site.id,
                dir.display(),
                list.join("\n")
            )
        })?;
        let embedded = Arc::new(EmbeddedAssistant { kb });
        bases.insert(site.id.clone(), embedded.clone());
        let assistant: Arc<dyn Assistant> = match &site.external_assistant {
            Some(x) => Arc::new(
                external::ExternalAssistant::new(&site.name, x, embedded)
                    .with_context(|| format!("the external assistant of site {:?}", site.id))?,
            ),
            None => embedded,
        };
        out.insert(site.id.clone(), assistant);
    }
    Ok((out, bases))
}
