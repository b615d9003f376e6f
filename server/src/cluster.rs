//! Several instances on one PostgreSQL behave as one server: what one
//! instance's hub publishes (a thread's events, changes of the queues and
//! of the operators) reaches the streams held by the others, through the
//! database's `LISTEN/NOTIFY` (`storage::shared`); no broker to run.
//!
//! Two tasks per instance:
//! - the relay sends what the hub hands it, in order, as notices;
//! - the listener delivers the other instances' notices to this hub and
//!   drops what this instance caches of a thread another one changed.
//!
//! Notices are not stored: a listener whose connection dropped, or a relay
//! that had to drop notices, makes every stream read the database after
//! its last event (event ids come from the database, so a stream never
//! sends one twice) and forgets the whole cache. On SQLite there is one
//! process and neither task runs.

use crate::hub::{Hub, Live, Relayed};
use crate::storage::{Notice, Storage};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// The two tasks, stopped when dropped.
pub struct Cluster {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Joins the other instances sharing the database, if it can be shared.
pub async fn join(storage: &Storage, hub: &Arc<Hub>) -> anyhow::Result<Option<Cluster>> {
    let Some(notices) = storage.notices().await? else {
        return Ok(None);
    };
    let (relayed, overflowed) = hub.relay_to();
    let relay = tokio::spawn(relay(storage.clone(), relayed, overflowed));
    let listen = tokio::spawn(listen(storage.clone(), hub.clone(), notices));
    Ok(Some(Cluster {
        tasks: vec![relay, listen],
    }))
}

fn notice_of(relayed: Relayed) -> Notice {
    match relayed {
        Relayed::Thread(thread, Live::Stored(id, event)) => Notice::Event {
            thread,
            id: Some(id),
            event,
        },
        Relayed::Thread(thread, Live::Ephemeral(event)) => Notice::Event {
            thread,
            id: None,
            event,
        },
        Relayed::Thread(thread, Live::CatchUp) => Notice::CatchUp { thread },
        Relayed::Console => Notice::Console,
        Relayed::Operators => Notice::Operators,
    }
}

/// At most this many notices go in one transaction.
const RELAY_BATCH: usize = 256;

async fn relay(
    storage: Storage,
    mut relayed: tokio::sync::mpsc::Receiver<Relayed>,
    overflowed: Arc<std::sync::atomic::AtomicBool>,
) {
    // What came in while the last batch was sent goes in the next one: one
    // commit for many notices under load, at once when there is no load.
    let mut batch = Vec::with_capacity(RELAY_BATCH);
    while relayed.recv_many(&mut batch, RELAY_BATCH).await > 0 {
        let mut notices = Vec::with_capacity(batch.len() + 1);
        if overflowed.swap(false, Ordering::SeqCst) {
            // Some were dropped before these: the others catch up.
            notices.push(Notice::CatchUpAll);
        }
        notices.extend(batch.drain(..).map(notice_of));
        if let Err(e) = storage.notify_all(&notices).await {
            tracing::warn!(error = %format!("{e:#}"), "the other instances could not be told of events; they catch up");
            overflowed.store(true, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// What a notice of another instance does here.
pub fn apply(hub: &Hub, storage: &Storage, notice: Notice) {
    match notice {
        Notice::Event { thread, id, event } => {
            let live = match id {
                Some(id) => Live::Stored(id, event),
                None => Live::Ephemeral(event),
            };
            hub.deliver(&thread, live);
        }
        Notice::CatchUp { thread } => hub.deliver(&thread, Live::CatchUp),
        Notice::CatchUpAll => {
            storage.forget_cached(None);
            hub.catch_up_all();
        }
        Notice::Console => hub.console_changed_here(),
        Notice::Operators => hub.operators_changed_here(),
        Notice::Forget { thread } => storage.forget_cached(thread.as_deref()),
    }
}

async fn listen(storage: Storage, hub: Arc<Hub>, mut notices: crate::storage::Notices) {
    loop {
        match notices.next().await {
            Ok(Some(notice)) => apply(&hub, &storage, notice),
            Ok(None) => {
                tracing::warn!("the connection for the other instances' notices was lost; catching up from the database");
                apply(&hub, &storage, Notice::CatchUpAll);
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "cannot follow the other instances' notices; trying again");
                apply(&hub, &storage, Notice::CatchUpAll);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use varco_protocol::chat::ChatEvent;

    #[tokio::test]
    async fn a_notice_reaches_the_streams_of_its_thread_here_and_nothing_is_relayed_back() {
        let hub = Hub::default();
        let (mut relayed, _) = hub.relay_to();
        let storage = Storage::open(&crate::config::Database::Sqlite(
            tempfile::tempdir().unwrap().keep().join("v.db"),
        ))
        .await
        .unwrap();
        let mut stream = hub.subscribe("t");
        apply(
            &hub,
            &storage,
            Notice::Event {
                thread: "t".into(),
                id: Some(7),
                event: ChatEvent::End,
            },
        );
        assert!(matches!(
            stream.receiver().recv().await,
            Ok(Live::Stored(7, ChatEvent::End))
        ));
        apply(&hub, &storage, Notice::CatchUpAll);
        assert!(matches!(stream.receiver().recv().await, Ok(Live::CatchUp)));
        assert!(
            relayed.try_recv().is_err(),
            "a notice from elsewhere is not relayed back"
        );
        hub.publish("t", Live::Ephemeral(ChatEvent::End));
        assert!(matches!(
            relayed.try_recv(),
            Ok(Relayed::Thread(t, Live::Ephemeral(ChatEvent::End))) if t == "t"
        ));
    }
}
