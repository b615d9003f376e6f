//! What each message needs to know of its thread (site, language, ended,
//! handed to a person), kept in memory: read from the database on every
//! message it was two queries, i.e. two round trips to a reader's thread,
//! per visitor message.
//!
//! The entries are filled on the first read and dropped by every write of
//! this process that changes them (a thread ended or deleted, a live chat
//! queued, taken or closed, the retention purge). Another process writing
//! the same file (`varco-server purge` while the server runs) is seen when
//! the entry expires, after [`TTL`].
//!
//! A read that raced with a write must not put back what the write made
//! stale: every drop bumps a generation, and a read stores its row only if
//! the generation is still the one it saw before reading.

use super::{OpenLiveChat, StoredThread};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an entry is trusted (for writes by other processes).
const TTL: Duration = Duration::from_secs(5);
/// Entries at most: threads active within [`TTL`] on a small server are
/// far fewer; past this the expired ones go, and if that is not enough,
/// all of them.
const CAPACITY: usize = 10_000;

/// A thread as stored, with its open live chat if it has one.
#[derive(Debug, Clone)]
pub(super) struct ThreadState {
    pub thread: StoredThread,
    pub live: Option<OpenLiveChat>,
}

#[derive(Default)]
pub(super) struct ThreadCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, (ThreadState, Instant)>,
    generation: u64,
}

impl ThreadCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entry if fresh, else the generation to hand back to [`Self::fill`].
    pub(super) fn get(&self, thread_id: &str) -> Result<ThreadState, u64> {
        let inner = self.lock();
        match inner.entries.get(thread_id) {
            Some((state, at)) if at.elapsed() < TTL => Ok(state.clone()),
            _ => Err(inner.generation),
        }
    }

    /// Stores what a read found, unless a write dropped entries since
    /// `generation` was taken (the row may predate that write).
    pub(super) fn fill(&self, generation: u64, state: &ThreadState) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.entries.len() >= CAPACITY {
            inner.entries.retain(|_, (_, at)| at.elapsed() < TTL);
            if inner.entries.len() >= CAPACITY {
                inner.entries.clear();
            }
        }
        inner.entries.insert(
            state.thread.thread_id.clone(),
            (state.clone(), Instant::now()),
        );
    }

    /// After a write that changed a thread or its live chat.
    pub(super) fn forget(&self, thread_id: &str) {
        let mut inner = self.lock();
        inner.entries.remove(thread_id);
        inner.generation += 1;
    }

    /// After a write that may have changed any thread (the purge).
    pub(super) fn forget_all(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
        inner.generation += 1;
    }
}
