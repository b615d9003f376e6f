//! The live fan-out behind the event streams, and their bounds.
//!
//! - One broadcast channel per thread that someone is listening to; the
//!   last listener to leave removes it (a [`Subscription`] does it when
//!   dropped, under the lock that `subscribe` takes, so a concurrent
//!   subscriber either keeps the channel alive or creates a new one).
//! - One channel telling the operator consoles that their list changed, and
//!   a signal that an operator's session or a conversation's owner may
//!   have changed (operator streams check themselves again at once).
//! - Every open stream holds a [`StreamPermit`]: at most
//!   `max_streams_per_client` per client address (IPv6 by /64) or per
//!   console session, and `max_streams_total` in all. The permit is owned
//!   by the stream, so the count goes down on every path a stream ends:
//!   the client leaves, the server ends it, or the server shuts down.
//! - With several instances on one database, a thread's events published
//!   here are also handed to a relay (`cluster.rs`) when another instance
//!   holds a stream of that thread ([`RemoteInterest`]), and the changes of
//!   the queues and of the operators always; the hub tells the relay when
//!   it starts and stops following a thread. What the others publish
//!   arrives through [`Hub::deliver`] and the `*_here` methods, which do
//!   not relay it back.

use crate::config::ServerSection;
use crate::interest::RemoteInterest;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc, watch};
use varco_protocol::chat::ChatEvent;

/// What the live channel of a thread carries: stored events with their id,
/// and live-only ones (typing, deltas).
#[derive(Debug, Clone)]
pub enum Live {
    Stored(i64, ChatEvent),
    Ephemeral(ChatEvent),
    /// Events may have been missed (another instance's notice was lost or
    /// too large): read the database after the last event sent.
    CatchUp,
}

/// What the hub hands to the relay towards the other instances.
#[derive(Debug, Clone)]
pub enum Relayed {
    Thread(String, Live),
    Console,
    Operators,
    /// This instance now follows the thread (its first stream here).
    Watch(String),
    /// This instance no longer follows the thread (its last stream went).
    Unwatch(String),
    /// Tell the others every thread this instance follows.
    Announce,
    /// This instance (re)joined: the others tell it what they follow.
    Hello,
}

/// Notices waiting for the relay at most; past this they are dropped and
/// the other instances told to catch up from the database.
const RELAY_QUEUE: usize = 4096;

/// How many streams may be open, and how long one lives without events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    pub per_client: usize,
    pub total: usize,
    /// A stream with no event for this long is ended by the server.
    pub idle: Duration,
    /// Keep-alive comments, so that proxies and browsers keep a quiet
    /// stream open (they do not count as events).
    pub heartbeat: Duration,
}

impl StreamLimits {
    pub fn of(server: &ServerSection) -> StreamLimits {
        StreamLimits {
            per_client: server.max_streams_per_client,
            total: server.max_streams_total,
            idle: Duration::from_secs(server.stream_idle_seconds),
            heartbeat: Duration::from_secs(server.stream_heartbeat_seconds),
        }
    }
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits::of(&ServerSection::default())
    }
}

/// Whose streams are counted together.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StreamOwner {
    /// A visitor's client address; IPv6 by its /64, which one household or
    /// one phone has whole.
    Client(IpAddr),
    /// An operator's console session (the SHA-256 of its token): operators
    /// of one office often share one public address.
    Session(String),
}

impl StreamOwner {
    pub fn client(ip: IpAddr) -> StreamOwner {
        StreamOwner::Client(crate::client::bucket_key(ip))
    }
}

/// Why a new stream was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamRefusal {
    /// This client (or session) has `per_client` streams open.
    Client,
    /// The server has `total` streams open.
    Server,
}

/// What the hub holds now (for tests and for the service's operators).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubStats {
    /// Threads with a live channel (someone listens to them).
    pub channels: usize,
    /// Event streams open, visitors' and consoles' alike.
    pub streams: usize,
}

#[derive(Default)]
struct OpenStreams {
    per_owner: HashMap<StreamOwner, usize>,
    total: usize,
}

type Channels = Mutex<HashMap<String, broadcast::Sender<Live>>>;

/// The way to the relay, if this instance has one (several instances).
#[derive(Clone, Default)]
struct RelayQueue {
    tx: Arc<Mutex<Option<mpsc::Sender<Relayed>>>>,
    /// Set when the queue was full: the relay then tells the other
    /// instances to catch up, and what this one follows.
    overflowed: Arc<AtomicBool>,
}

impl RelayQueue {
    fn is_on(&self) -> bool {
        lock(&self.tx).is_some()
    }

    fn send(&self, relayed: Relayed) {
        if let Some(tx) = lock(&self.tx).as_ref() {
            if tx.try_send(relayed).is_err() {
                self.overflowed.store(true, Ordering::SeqCst);
            }
        }
    }
}

pub struct Hub {
    channels: Arc<Channels>,
    console: Mutex<Option<broadcast::Sender<()>>>,
    operators: watch::Sender<u64>,
    streams: Arc<Mutex<OpenStreams>>,
    limits: StreamLimits,
    closed: AtomicBool,
    relay: RelayQueue,
    /// The threads the other instances follow.
    remote: Mutex<RemoteInterest>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new(StreamLimits::default())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Hub {
    pub fn new(limits: StreamLimits) -> Hub {
        Hub {
            channels: Arc::default(),
            console: Mutex::default(),
            operators: watch::Sender::new(0),
            streams: Arc::default(),
            limits,
            closed: AtomicBool::new(false),
            relay: RelayQueue::default(),
            remote: Mutex::default(),
        }
    }

    /// Hands what the other instances need from now on to the relay; the
    /// flag it gets is set when a notice had to be dropped.
    pub fn relay_to(&self) -> (mpsc::Receiver<Relayed>, Arc<AtomicBool>) {
        let (tx, rx) = mpsc::channel(RELAY_QUEUE);
        *lock(&self.relay.tx) = Some(tx);
        (rx, self.relay.overflowed.clone())
    }

    fn relay(&self, relayed: Relayed) {
        self.relay.send(relayed);
    }

    /// Asks the relay to tell the others every thread followed here.
    pub fn announce(&self) {
        self.relay(Relayed::Announce);
    }

    /// Tells the others that this instance (re)joined.
    pub fn hello(&self) {
        self.relay(Relayed::Hello);
    }

    /// The threads with a stream here.
    pub fn followed_threads(&self) -> Vec<String> {
        lock(&self.channels).keys().cloned().collect()
    }

    /// Instance `from` was heard from now; returns how many other
    /// instances have been heard from lately (one lock for both).
    pub fn heard_from(&self, from: &str) -> usize {
        let mut remote = lock(&self.remote);
        remote.heard(from, Instant::now());
        remote.instances()
    }

    /// Forgets what the instances silent for too long followed.
    pub fn forget_silent_instances(&self) {
        lock(&self.remote).forget_silent(Instant::now());
    }

    /// The other instances heard from lately.
    pub fn other_instances(&self) -> usize {
        lock(&self.remote).instances()
    }

    /// Instance `from` follows `thread`.
    pub fn followed_by(&self, from: &str, thread: String) {
        let new = lock(&self.remote).watch(from, &thread);
        if new {
            self.catch_up_elsewhere(thread);
        }
    }

    /// Instance `from` no longer follows `thread`.
    pub fn no_longer_followed_by(&self, from: &str, thread: &str) {
        lock(&self.remote).unwatch(from, thread);
    }

    /// Instance `from` follows `threads` (with `whole`, only these).
    pub fn announced_by(&self, from: &str, threads: Vec<String>, whole: bool) {
        let new = lock(&self.remote).announce(from, threads, whole);
        for thread in new {
            self.catch_up_elsewhere(thread);
        }
    }

    /// An instance began following `thread`: it may have missed what this
    /// one published before it knew, which is in the database by now (an
    /// event is stored before it is published, and published events are
    /// checked against the interest under the same lock that recorded it).
    /// Its streams read the database after their last event.
    fn catch_up_elsewhere(&self, thread: String) {
        self.relay(Relayed::Thread(thread, Live::CatchUp));
    }

    pub fn limits(&self) -> StreamLimits {
        self.limits
    }

    pub fn stats(&self) -> HubStats {
        HubStats {
            channels: lock(&self.channels).len(),
            streams: lock(&self.streams).total,
        }
    }

    /// Counts a new stream of `owner`, or says which limit refuses it.
    pub fn admit(&self, owner: StreamOwner) -> Result<StreamPermit, StreamRefusal> {
        let mut open = lock(&self.streams);
        if open.total >= self.limits.total {
            return Err(StreamRefusal::Server);
        }
        let mine = open.per_owner.entry(owner.clone()).or_insert(0);
        if *mine >= self.limits.per_client {
            return Err(StreamRefusal::Client);
        }
        *mine += 1;
        open.total += 1;
        Ok(StreamPermit {
            streams: self.streams.clone(),
            owner,
        })
    }

    /// Follows changes of the live chat queues (for the consoles).
    pub fn subscribe_console(&self) -> broadcast::Receiver<()> {
        let mut console = lock(&self.console);
        if self.closed.load(Ordering::SeqCst) {
            return broadcast::channel(1).1;
        }
        console
            .get_or_insert_with(|| broadcast::channel(16).0)
            .subscribe()
    }

    /// A live chat was queued, taken or closed.
    pub fn console_changed(&self) {
        self.console_changed_here();
        self.relay(Relayed::Console);
    }

    /// [`Hub::console_changed`] on this instance only.
    pub fn console_changed_here(&self) {
        if let Some(tx) = lock(&self.console).as_ref() {
            let _ = tx.send(());
        }
    }

    /// Wakes whenever [`Hub::operators_changed`] is called.
    pub fn watch_operators(&self) -> watch::Receiver<u64> {
        self.operators.subscribe()
    }

    /// A session ended or a conversation changed hands: every operator
    /// stream checks at once whether it may go on.
    pub fn operators_changed(&self) {
        self.operators_changed_here();
        self.relay(Relayed::Operators);
    }

    /// [`Hub::operators_changed`] on this instance only.
    pub fn operators_changed_here(&self) {
        self.operators.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Follows a thread live. The channel lives as long as a subscription
    /// to it does.
    pub fn subscribe(&self, thread_id: &str) -> Subscription {
        let mut channels = lock(&self.channels);
        let receiver = if self.closed.load(Ordering::SeqCst) {
            // Shutting down: a stream opened now ends after its replay.
            broadcast::channel(1).1
        } else {
            channels
                .entry(thread_id.to_owned())
                .or_insert_with(|| {
                    // Queued under the lock: the others learn of the first
                    // and the last stream in the order they happened.
                    self.relay.send(Relayed::Watch(thread_id.to_owned()));
                    broadcast::channel(64).0
                })
                .subscribe()
        };
        Subscription {
            channels: self.channels.clone(),
            relay: self.relay.clone(),
            thread_id: thread_id.to_owned(),
            receiver: Some(receiver),
        }
    }

    /// Sends `event` to the thread's streams here and on the other
    /// instances that follow it.
    pub fn publish(&self, thread_id: &str, event: Live) {
        self.deliver(thread_id, event.clone());
        if self.relay.is_on() && lock(&self.remote).wants(thread_id) {
            self.relay(Relayed::Thread(thread_id.to_owned(), event));
        }
    }

    /// Sends `event` to the thread's streams on this instance.
    pub fn deliver(&self, thread_id: &str, event: Live) {
        let channels = lock(&self.channels);
        if let Some(tx) = channels.get(thread_id) {
            // No receiver means no channel either (see Subscription's drop).
            let _ = tx.send(event);
        }
    }

    /// Every stream here reads the database after its last event (notices
    /// of the other instances may have been lost).
    pub fn catch_up_all(&self) {
        for tx in lock(&self.channels).values() {
            let _ = tx.send(Live::CatchUp);
        }
        self.console_changed_here();
        self.operators_changed_here();
    }

    /// Ends every open event stream (at shutdown): the server's connections
    /// outlive its accept loop. The widget resumes from `Last-Event-ID` on
    /// the next server.
    pub fn close_all(&self) {
        let mut channels = lock(&self.channels);
        self.closed.store(true, Ordering::SeqCst);
        channels.clear();
        lock(&self.console).take();
    }
}

/// One open stream, counted until dropped.
pub struct StreamPermit {
    streams: Arc<Mutex<OpenStreams>>,
    owner: StreamOwner,
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = lock(&self.streams);
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.per_owner.get_mut(&self.owner) {
            *n -= 1;
            if *n == 0 {
                open.per_owner.remove(&self.owner);
            }
        }
    }
}

/// A listener of one thread's channel; the last one to go removes it.
pub struct Subscription {
    channels: Arc<Channels>,
    relay: RelayQueue,
    thread_id: String,
    receiver: Option<broadcast::Receiver<Live>>,
}

impl Subscription {
    pub fn receiver(&mut self) -> &mut broadcast::Receiver<Live> {
        self.receiver
            .as_mut()
            .expect("the receiver is taken only when dropped")
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut channels = lock(&self.channels);
        // Dropped under the lock: a `subscribe` either came before (and the
        // count is not zero) or comes after (and makes a new channel).
        drop(self.receiver.take());
        if channels
            .get(&self.thread_id)
            .is_some_and(|tx| tx.receiver_count() == 0)
        {
            channels.remove(&self.thread_id);
            self.relay.send(Relayed::Unwatch(self.thread_id.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_client: usize, total: usize) -> StreamLimits {
        StreamLimits {
            per_client,
            total,
            ..StreamLimits::default()
        }
    }

    #[test]
    fn streams_are_capped_per_client_and_in_total_and_counted_until_dropped() {
        let hub = Hub::new(limits(2, 3));
        let a = StreamOwner::client("192.0.2.1".parse().unwrap());
        let b = StreamOwner::client("192.0.2.2".parse().unwrap());
        let a1 = hub.admit(a.clone()).unwrap();
        let _a2 = hub.admit(a.clone()).unwrap();
        assert_eq!(hub.admit(a.clone()).err(), Some(StreamRefusal::Client));
        let _b1 = hub.admit(b.clone()).unwrap();
        assert_eq!(hub.admit(b.clone()).err(), Some(StreamRefusal::Server));
        assert_eq!(hub.stats().streams, 3);
        drop(a1);
        assert_eq!(hub.stats().streams, 2);
        assert!(hub.admit(a).is_ok());
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64_and_a_mapped_ipv4_is_the_ipv4() {
        let one = StreamOwner::client("2001:db8:1:2:aaaa::1".parse().unwrap());
        let other = StreamOwner::client("2001:db8:1:2:bbbb::2".parse().unwrap());
        let next = StreamOwner::client("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(one, other);
        assert_ne!(one, next);
        assert_eq!(
            StreamOwner::client("::ffff:192.0.2.1".parse().unwrap()),
            StreamOwner::client("192.0.2.1".parse().unwrap())
        );
    }

    #[test]
    fn a_threads_channel_goes_with_its_last_listener() {
        let hub = Hub::default();
        let first = hub.subscribe("t");
        let second = hub.subscribe("t");
        assert_eq!(hub.stats().channels, 1);
        drop(first);
        assert_eq!(hub.stats().channels, 1);
        drop(second);
        assert_eq!(hub.stats().channels, 0);
        // Publishing to a thread nobody follows creates nothing.
        hub.publish("t", Live::Ephemeral(ChatEvent::End));
        assert_eq!(hub.stats().channels, 0);
    }

    #[tokio::test]
    async fn a_subscriber_after_the_last_one_left_gets_a_live_channel() {
        let hub = Hub::default();
        drop(hub.subscribe("t"));
        let mut again = hub.subscribe("t");
        hub.publish("t", Live::Ephemeral(ChatEvent::End));
        assert!(matches!(
            again.receiver().recv().await,
            Ok(Live::Ephemeral(ChatEvent::End))
        ));
    }
}
