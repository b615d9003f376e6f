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
//! A thread's events go only to the instances that hold a stream of it
//! (`interest.rs`): each instance tells the others when it starts and
//! stops following a thread, the whole list when one of them (re)joins,
//! after its own notices were dropped, and every
//! [`ANNOUNCE_EVERY`](crate::interest::ANNOUNCE_EVERY). An instance told of
//! a new follower answers with a catch-up of that thread, so that what it
//! published before it knew is read from the database. The pieces of an
//! answer being streamed are not stored: a stream followed on another
//! instance in the middle of an answer gets the pieces that remain, then
//! the whole answer.
//!
//! Notices are not stored: a listener whose connection dropped, or a relay
//! that had to drop notices, makes every stream read the database after
//! its last event (event ids come from the database, so a stream never
//! sends one twice) and forgets the whole cache. On SQLite there is one
//! process and neither task runs.

use crate::hub::{Hub, Live, Relayed};
use crate::interest::{pieces, ANNOUNCE_EVERY};
use crate::storage::{Notice, Storage, WATCHING_BUDGET};
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
    // The others tell this instance what they follow; it tells them too.
    hub.hello();
    let relay = tokio::spawn(relay(storage.clone(), hub.clone(), relayed, overflowed));
    let listen = tokio::spawn(listen(storage.clone(), hub.clone(), notices));
    Ok(Some(Cluster {
        tasks: vec![relay, listen],
    }))
}

/// The notice for what the hub handed the relay; `None` for
/// [`Relayed::Announce`], which the relay answers with the whole list.
fn notice_of(relayed: Relayed) -> Option<Notice> {
    Some(match relayed {
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
        Relayed::Watch(thread) => Notice::Watch { thread },
        Relayed::Unwatch(thread) => Notice::Unwatch { thread },
        Relayed::Hello => Notice::Hello,
        Relayed::Announce => return None,
    })
}

/// Every thread followed here, as notices that replace what the others
/// knew of this instance.
fn announcement(hub: &Hub) -> impl Iterator<Item = Notice> {
    pieces(hub.followed_threads(), WATCHING_BUDGET)
        .into_iter()
        .enumerate()
        .map(|(i, threads)| Notice::Watching {
            threads,
            whole: i == 0,
        })
}

/// At most this many notices go in one transaction.
const RELAY_BATCH: usize = 256;

async fn relay(
    storage: Storage,
    hub: Arc<Hub>,
    mut relayed: tokio::sync::mpsc::Receiver<Relayed>,
    overflowed: Arc<std::sync::atomic::AtomicBool>,
) {
    let mut every = tokio::time::interval(ANNOUNCE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await;
    // What came in while the last batch was sent goes in the next one: one
    // commit for many notices under load, at once when there is no load.
    let mut batch = Vec::with_capacity(RELAY_BATCH);
    loop {
        let mut announce = tokio::select! {
            n = relayed.recv_many(&mut batch, RELAY_BATCH) => {
                if n == 0 {
                    return;
                }
                false
            }
            _ = every.tick() => {
                hub.forget_silent_instances();
                storage.set_other_instances(hub.other_instances());
                true
            }
        };
        let mut notices = Vec::with_capacity(batch.len() + 2);
        if overflowed.swap(false, Ordering::SeqCst) {
            // Some were dropped before these: the others catch up, and
            // learn again what this instance follows.
            notices.push(Notice::CatchUpAll);
            announce = true;
        }
        for r in batch.drain(..) {
            match notice_of(r) {
                Some(notice @ Notice::Hello) => {
                    notices.push(notice);
                    announce = true;
                }
                Some(notice) => notices.push(notice),
                None => announce = true,
            }
        }
        if announce {
            // Last: the list is taken after everything queued before it,
            // so it is what holds once the others have read the batch.
            notices.extend(announcement(&hub));
        }
        if let Err(e) = storage.notify_all(&notices).await {
            tracing::warn!(error = %format!("{e:#}"), "the other instances could not be told of events; they catch up");
            overflowed.store(true, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// What a notice of instance `from` does here.
pub fn apply(hub: &Hub, storage: &Storage, from: &str, notice: Notice) {
    storage.set_other_instances(hub.heard_from(from));
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
        Notice::Watch { thread } => hub.followed_by(from, thread),
        Notice::Unwatch { thread } => hub.no_longer_followed_by(from, &thread),
        Notice::Watching { threads, whole } => hub.announced_by(from, threads, whole),
        Notice::Hello => hub.announce(),
    }
}

/// What is done here when notices of the others may have been lost: every
/// stream and cache reads the database again, and the others tell this
/// instance again what they follow.
fn lost_notices(hub: &Hub, storage: &Storage) {
    storage.forget_cached(None);
    hub.catch_up_all();
    hub.hello();
}

async fn listen(storage: Storage, hub: Arc<Hub>, mut notices: crate::storage::Notices) {
    loop {
        match notices.next().await {
            Ok(Some((from, notice))) => apply(&hub, &storage, &from, notice),
            Ok(None) => {
                tracing::warn!("the connection for the other instances' notices was lost; catching up from the database");
                lost_notices(&hub, &storage);
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "cannot follow the other instances' notices; trying again");
                lost_notices(&hub, &storage);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use varco_protocol::chat::ChatEvent;

    async fn storage() -> Storage {
        Storage::open(&crate::config::Database::Sqlite(
            tempfile::tempdir().unwrap().keep().join("v.db"),
        ))
        .await
        .unwrap()
    }

    fn relayed_now(relayed: &mut tokio::sync::mpsc::Receiver<Relayed>) -> Vec<String> {
        std::iter::from_fn(|| relayed.try_recv().ok())
            .map(|r| format!("{r:?}"))
            .collect()
    }

    #[tokio::test]
    async fn a_notice_reaches_the_streams_of_its_thread_here_and_nothing_is_relayed_back() {
        let hub = Hub::default();
        let (mut relayed, _) = hub.relay_to();
        let storage = storage().await;
        let mut stream = hub.subscribe("t");
        assert_eq!(relayed_now(&mut relayed), [r#"Watch("t")"#]);
        apply(
            &hub,
            &storage,
            "b",
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
        apply(&hub, &storage, "b", Notice::CatchUpAll);
        assert!(matches!(stream.receiver().recv().await, Ok(Live::CatchUp)));
        assert!(
            relayed_now(&mut relayed).is_empty(),
            "a notice from elsewhere is not relayed back"
        );
        drop(stream);
        assert_eq!(relayed_now(&mut relayed), [r#"Unwatch("t")"#]);
    }

    #[tokio::test]
    async fn a_threads_events_are_relayed_only_while_another_instance_follows_it() {
        let hub = Hub::default();
        let (mut relayed, _) = hub.relay_to();
        let storage = storage().await;
        hub.publish("t", Live::Stored(1, ChatEvent::End));
        assert!(
            relayed_now(&mut relayed).is_empty(),
            "nobody elsewhere follows t"
        );
        apply(&hub, &storage, "b", Notice::Watch { thread: "t".into() });
        assert_eq!(
            relayed_now(&mut relayed),
            [r#"Thread("t", CatchUp)"#],
            "b may have missed what came before it was known: it reads the database"
        );
        hub.publish("t", Live::Ephemeral(ChatEvent::End));
        hub.publish("u", Live::Ephemeral(ChatEvent::End));
        assert_eq!(
            relayed_now(&mut relayed),
            [r#"Thread("t", Ephemeral(End))"#]
        );
        apply(&hub, &storage, "b", Notice::Unwatch { thread: "t".into() });
        hub.publish("t", Live::Ephemeral(ChatEvent::End));
        assert!(relayed_now(&mut relayed).is_empty());

        // A whole list replaces what b followed; only the new thread needs
        // a catch-up.
        apply(&hub, &storage, "b", Notice::Watch { thread: "v".into() });
        relayed_now(&mut relayed);
        apply(
            &hub,
            &storage,
            "b",
            Notice::Watching {
                threads: vec!["v".into(), "w".into()],
                whole: true,
            },
        );
        assert_eq!(relayed_now(&mut relayed), [r#"Thread("w", CatchUp)"#]);
        // A newcomer's hello is answered with what this instance follows.
        apply(&hub, &storage, "c", Notice::Hello);
        assert_eq!(relayed_now(&mut relayed), ["Announce"]);
        let _stream = hub.subscribe("x");
        let listed: Vec<Notice> = announcement(&hub).collect();
        assert_eq!(
            listed,
            [Notice::Watching {
                threads: vec!["x".into()],
                whole: true
            }]
        );
    }
}
