//! What every handler can reach: the [`AppState`] the router hands them,
//! built once at start from the configuration and the storage.

use crate::assistant::{load_assistants, Assistant, Assistants, KnowledgeBases};
use crate::client::ClientResolver;
use crate::config::proxies::TrustedProxies;
use crate::config::Config;
use crate::hub::{Hub, StreamLimits};
use crate::rate::RateLimits;
use crate::storage::Storage;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub storage: Storage,
    pub assistants: Arc<Assistants>,
    pub knowledge: Arc<KnowledgeBases>,
    pub hub: Arc<Hub>,
    /// Per-client limits of every public endpoint (`rate::limit`).
    pub rate: Arc<RateLimits>,
    /// Who the client is behind the trusted proxies (`client::resolve`).
    pub clients: Arc<ClientResolver>,
    /// Who may read `/metrics` (`server.metrics_from`).
    pub metrics_from: Arc<TrustedProxies>,
    /// The booking e-mails, if `[mail]` is set.
    pub booking_mails: Option<Arc<crate::booking_mail::BookingMails>>,
    /// Threads whose answer is being prepared.
    answering: Arc<Mutex<HashSet<String>>>,
}

impl AppState {
    /// Loads the knowledge bases (`published`: those built with the
    /// entries published from the console); fails with every problem
    /// listed.
    pub fn new(
        config: Config,
        storage: Storage,
        published: std::collections::HashMap<String, varco_engine::KnowledgeBase>,
    ) -> anyhow::Result<AppState> {
        let (assistants, knowledge) = load_assistants(&config, published)?;
        let trusted = TrustedProxies::parse(&config.server.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("server.{}", e.join("\nserver.")))?;
        let metrics_from = TrustedProxies::parse(&config.server.metrics_from)
            .map_err(|e| anyhow::anyhow!("server.{}", e.join("\nserver.")))?;
        let hub = Hub::new(StreamLimits::of(&config.server));
        Ok(AppState {
            metrics_from: Arc::new(metrics_from),
            rate: Arc::new(RateLimits::new(&config)),
            clients: Arc::new(ClientResolver {
                trusted,
                header: config.server.client_address_header,
            }),
            config: Arc::new(config),
            storage,
            assistants: Arc::new(assistants),
            knowledge: Arc::new(knowledge),
            hub: Arc::new(hub),
            answering: Arc::default(),
            booking_mails: None,
        })
    }

    /// Has `site` answered by `assistant` instead of its knowledge base.
    pub fn set_assistant(&mut self, site: &str, assistant: Arc<dyn Assistant>) {
        Arc::make_mut(&mut self.assistants).insert(site.to_owned(), assistant);
    }

    pub fn answering(&self, thread_id: &str) -> bool {
        self.answering
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(thread_id)
    }
    pub fn answering_start(&self, thread_id: &str) {
        self.answering
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(thread_id.to_owned());
    }
    pub fn answering_end(&self, thread_id: &str) {
        self.answering
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(thread_id);
    }
}
