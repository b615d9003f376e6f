//! What answers visitors: the [`Assistant`] trait, the embedded engine
//! over a site's knowledge base (the default), and loading each site's
//! assistant at start. [`external`] is the other implementation: a service
//! of the site's own, with the embedded engine as its fallback.

pub mod external;
pub mod published;

use crate::config::Config;
use anyhow::Context;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
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

/// The embedded answering engine over a site's knowledge base, which a
/// reload replaces whole (a question is answered by one index or the
/// other, never a mix).
pub struct EmbeddedAssistant {
    kb: RwLock<Arc<varco_engine::KnowledgeBase>>,
    /// The site's reload generation (`kb_reloads`) that the knowledge base
    /// in use already reflects: a reload asked for up to it is done.
    generation: std::sync::atomic::AtomicI64,
}

impl EmbeddedAssistant {
    pub fn new(kb: varco_engine::KnowledgeBase) -> Self {
        EmbeddedAssistant {
            kb: RwLock::new(Arc::new(kb)),
            generation: std::sync::atomic::AtomicI64::new(0),
        }
    }

    /// The reload generation the knowledge base in use reflects.
    pub fn generation(&self) -> i64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Records that the knowledge base in use reflects `generation`;
    /// whether that is news (a later generation was not recorded first).
    pub fn reflects(&self, generation: i64) -> bool {
        self.generation
            .fetch_max(generation, std::sync::atomic::Ordering::AcqRel)
            < generation
    }

    /// Forgets that `generation` is reflected, back to `before`, when its
    /// reload failed for a reason that may pass (the database busy), so
    /// that the next check tries again; a later generation recorded
    /// meanwhile stays.
    pub fn unreflect(&self, generation: i64, before: i64) {
        let _ = self.generation.compare_exchange(
            generation,
            before,
            std::sync::atomic::Ordering::AcqRel,
            std::sync::atomic::Ordering::Acquire,
        );
    }

    /// The knowledge base in use now.
    pub fn kb(&self) -> Arc<varco_engine::KnowledgeBase> {
        self.kb
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Answers from `kb` from now on.
    pub fn replace(&self, kb: varco_engine::KnowledgeBase) {
        *self
            .kb
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(kb);
    }

    pub fn answer(&self, question: &str, language: &str) -> Reply {
        reply_of(self.kb().answer_in(question, language), language)
    }

    /// The answer, and the closest entry's title and answer as reference for
    /// an external assistant (empty when nothing is close): the question is
    /// looked up once for both.
    pub fn answer_with_reference(&self, question: &str, language: &str) -> (Reply, String) {
        let kb = self.kb();
        let a = kb.answer_in(question, language);
        let reference = if a.confident {
            let entries = if a.language == "en" {
                kb.english_entries()
            } else {
                kb.entries()
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

/// Loads each site's knowledge base: the one given in `published` (built
/// with the entries published from the console, see [`published_bases`]),
/// else its files. Broken files stop the server with every problem listed
/// (as `varco-server kb check` would).
pub fn load_assistants(
    config: &Config,
    mut published: HashMap<String, varco_engine::KnowledgeBase>,
) -> anyhow::Result<(Assistants, KnowledgeBases)> {
    let mut out: Assistants = HashMap::new();
    let mut bases: KnowledgeBases = HashMap::new();
    for site in &config.sites {
        let Some(dir) = &site.kb else { continue };
        let kb = match published.remove(&site.id) {
            Some(kb) => kb,
            None => varco_engine::KnowledgeBase::load(dir).map_err(|errors| {
                let list: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
                anyhow::anyhow!(
                    "the knowledge base of site {:?} ({}) is invalid:\n{}",
                    site.id,
                    dir.display(),
                    list.join("\n")
                )
            })?,
        };
        let embedded = Arc::new(EmbeddedAssistant::new(kb));
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

/// How often an instance looks for knowledge bases to load again.
pub const RELOAD_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

/// Loads a site's knowledge base files again whenever its reload
/// generation grows (`varco-server kb reload`, SIGHUP, on any instance).
/// Files that do not pass the checks are not loaded: the site keeps
/// answering from what it had, and the problems are logged.
///
/// `loaded` are the generations read before the knowledge bases in use were
/// built: what was asked up to them is in what they read. A reload asked
/// while they were being built is done again at the first check.
pub fn spawn_reloads(
    storage: crate::storage::Storage,
    config: Arc<Config>,
    knowledge: Arc<KnowledgeBases>,
    loaded: Vec<(String, i64)>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for (site, generation) in loaded {
            if let Some(embedded) = knowledge.get(&site) {
                embedded.reflects(generation);
            }
        }
        let mut ticks = tokio::time::interval(RELOAD_CHECK);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let generations = match storage.kb_generations().await {
                Ok(g) => g,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "knowledge bases: reloads cannot be checked now; trying again");
                    continue;
                }
            };
            for (site, generation) in generations {
                let (Some(embedded), Some(dir)) = (
                    knowledge.get(&site),
                    config.site(&site).and_then(|s| s.kb.clone()),
                ) else {
                    continue;
                };
                // Not again for a generation this instance raised itself
                // after loading what it published (`operator::kb`).
                let before = embedded.generation();
                if embedded.reflects(generation)
                    && !reload_site(&storage, &site, &dir, embedded).await
                {
                    embedded.unreflect(generation, before);
                }
            }
        }
    })
}

/// Loads the site's knowledge base again, as it should answer now (its
/// files, and the entries published from the console). On any problem the
/// site keeps answering from what it had, and the problems are logged.
/// `false` when the problem may pass (the database could not be read or
/// written): worth trying again; files with problems wait for new files.
pub async fn reload_site(
    storage: &crate::storage::Storage,
    site: &str,
    dir: &std::path::Path,
    embedded: &EmbeddedAssistant,
) -> bool {
    match published::load(storage, site, dir, crate::api::now_ms()).await {
        Ok(Ok(kb)) => {
            let entries = kb.entries().len();
            embedded.replace(kb);
            tracing::info!(site = %site, entries, "knowledge base reloaded");
            true
        }
        Ok(Err(errors)) => {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            tracing::error!(site = %site, problems = %list.join("; "), "knowledge base not reloaded: its files have problems; the previous one still answers");
            true
        }
        Err(e) => {
            tracing::error!(site = %site, error = %format!("{e:#}"), "knowledge base not reloaded; trying again at the next check");
            false
        }
    }
}

/// At start: the knowledge base of each site with entries published from
/// the console, built once with them, for [`load_assistants`] (the other
/// sites answer from their files). A site whose published entries no
/// longer pass the checks with its files answers from its files, and the
/// problems are logged, as on a reload.
pub async fn published_bases(
    storage: &crate::storage::Storage,
    config: &Config,
) -> anyhow::Result<HashMap<String, varco_engine::KnowledgeBase>> {
    let mut out = HashMap::new();
    for site in &config.sites {
        let Some(dir) = &site.kb else { continue };
        if storage.kb_latest(&site.id, None).await?.is_empty() {
            continue;
        }
        match published::load(storage, &site.id, dir, crate::api::now_ms()).await {
            Ok(Ok(kb)) => {
                out.insert(site.id.clone(), kb);
            }
            Ok(Err(errors)) => {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                tracing::error!(site = %site.id, problems = %list.join("; "), "knowledge base: not built with its published entries; its files are loaded instead if they pass the checks");
            }
            Err(e) => {
                tracing::error!(site = %site.id, error = %format!("{e:#}"), "knowledge base: not built with its published entries; its files are loaded instead if they pass the checks")
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::EmbeddedAssistant;

    #[test]
    fn a_reload_generation_is_news_once_and_an_older_one_never() {
        let kb = varco_engine::KnowledgeBase::load(std::path::Path::new("../kb/calvatone"))
            .expect("calvatone's knowledge base loads");
        let embedded = EmbeddedAssistant::new(kb);
        assert_eq!(embedded.generation(), 0);
        assert!(embedded.reflects(2));
        assert!(!embedded.reflects(2), "the same generation again");
        assert!(!embedded.reflects(1), "an older generation");
        assert_eq!(embedded.generation(), 2);
        assert!(embedded.reflects(3));
        // A reload that failed is tried again; not if a later one came.
        embedded.unreflect(3, 2);
        assert_eq!(embedded.generation(), 2);
        assert!(embedded.reflects(3));
        embedded.unreflect(2, 1);
        assert_eq!(embedded.generation(), 3, "a later generation stays");
    }
}
