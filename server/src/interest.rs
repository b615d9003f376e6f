//! Which threads the other instances hold a stream of, so that an instance
//! relays a thread's events only where a stream can use them. Relaying
//! every event to every instance cost more than a second instance gained
//! (BENCHMARKS.md, "PostgreSQL x 2"): most threads are followed on one
//! instance or on none.
//!
//! Each instance tells the others when it starts and stops following a
//! thread, and now and then the whole list, which also mends anything a
//! lost notice left wrong. An instance not heard from for a while (killed)
//! is forgotten. Plain data, no I/O: `hub.rs` holds one behind a lock.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// How often an instance tells the others every thread it follows.
pub const ANNOUNCE_EVERY: Duration = Duration::from_secs(30);

/// An instance silent for this long has stopped: what it followed is
/// forgotten (until then its threads are relayed for nothing, no harm).
pub const SILENT_AFTER: Duration = Duration::from_secs(3 * ANNOUNCE_EVERY.as_secs());

#[derive(Debug, Default)]
struct Instance {
    threads: HashSet<String>,
    heard: Option<Instant>,
}

/// The threads each other instance follows.
#[derive(Debug, Default)]
pub struct RemoteInterest {
    instances: HashMap<String, Instance>,
}

impl RemoteInterest {
    fn instance(&mut self, from: &str) -> &mut Instance {
        self.instances.entry(from.to_owned()).or_default()
    }

    /// `from` spoke at `now` (any notice counts).
    pub fn heard(&mut self, from: &str, now: Instant) {
        self.instance(from).heard = Some(now);
    }

    /// The other instances heard from and not forgotten.
    pub fn instances(&self) -> usize {
        self.instances.len()
    }

    /// `from` follows `thread`; true if it did not before.
    pub fn watch(&mut self, from: &str, thread: &str) -> bool {
        self.instance(from).threads.insert(thread.to_owned())
    }

    /// `from` no longer follows `thread`.
    pub fn unwatch(&mut self, from: &str, thread: &str) {
        if let Some(i) = self.instances.get_mut(from) {
            i.threads.remove(thread);
        }
    }

    /// `from` follows `threads` (with `whole`, these and no others); the
    /// threads it did not follow before.
    pub fn announce(&mut self, from: &str, threads: Vec<String>, whole: bool) -> Vec<String> {
        let instance = self.instance(from);
        let before = if whole {
            std::mem::take(&mut instance.threads)
        } else {
            HashSet::new()
        };
        let mut new = Vec::new();
        for thread in threads {
            if !before.contains(&thread) && !instance.threads.contains(&thread) {
                new.push(thread.clone());
            }
            instance.threads.insert(thread);
        }
        new
    }

    /// Whether another instance follows `thread`.
    pub fn wants(&self, thread: &str) -> bool {
        self.instances.values().any(|i| i.threads.contains(thread))
    }

    /// Forgets the instances not heard from since `now - SILENT_AFTER`.
    pub fn forget_silent(&mut self, now: Instant) {
        self.instances.retain(|_, i| match i.heard {
            Some(at) => now.saturating_duration_since(at) < SILENT_AFTER,
            // Known only through a notice of this process: keep.
            None => true,
        });
    }
}

/// Splits the threads an instance follows into announcements that fit one
/// notice each (`budget` bytes of thread ids): always at least one, so
/// that an instance following nothing says so.
pub fn pieces(mut threads: Vec<String>, budget: usize) -> Vec<Vec<String>> {
    threads.sort_unstable();
    let mut pieces = vec![Vec::new()];
    let mut size = 0;
    for thread in threads {
        let len = thread.len() + 3;
        let last = pieces.last_mut().expect("one piece at least");
        if size + len > budget && !last.is_empty() {
            pieces.push(vec![thread]);
            size = len;
        } else {
            last.push(thread);
            size += len;
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_is_wanted_while_another_instance_follows_it() {
        let mut interest = RemoteInterest::default();
        assert!(!interest.wants("t"));
        assert!(interest.watch("b", "t"));
        assert!(!interest.watch("b", "t"), "told twice, new once");
        assert!(interest.watch("c", "t"));
        interest.unwatch("b", "t");
        assert!(interest.wants("t"), "c still follows it");
        interest.unwatch("c", "t");
        assert!(!interest.wants("t"));
    }

    #[test]
    fn a_whole_announcement_replaces_and_names_only_the_new_threads() {
        let mut interest = RemoteInterest::default();
        interest.watch("b", "old");
        interest.watch("b", "kept");
        let new = interest.announce("b", vec!["kept".into(), "fresh".into()], true);
        assert_eq!(new, vec!["fresh".to_owned()]);
        assert!(!interest.wants("old"), "not in the whole list: dropped");
        assert!(interest.wants("kept") && interest.wants("fresh"));
        let new = interest.announce("b", vec!["fresh".into(), "more".into()], false);
        assert_eq!(new, vec!["more".to_owned()]);
        assert!(interest.wants("kept"), "a later piece adds");
    }

    #[test]
    fn an_instance_silent_too_long_is_forgotten_with_what_it_followed() {
        let mut interest = RemoteInterest::default();
        let start = Instant::now();
        interest.heard("b", start);
        interest.watch("b", "t");
        interest.heard("c", start + SILENT_AFTER);
        interest.watch("c", "u");
        interest.forget_silent(start + SILENT_AFTER);
        assert!(!interest.wants("t"), "b was silent for SILENT_AFTER");
        assert!(interest.wants("u"));
    }

    #[test]
    fn announcements_fit_their_budget_and_an_empty_list_is_one_empty_piece() {
        assert_eq!(pieces(Vec::new(), 100), vec![Vec::<String>::new()]);
        let threads: Vec<String> = (0..50).map(|i| format!("{i:036}")).collect();
        let split = pieces(threads.clone(), 400);
        assert!(split.len() > 1);
        assert!(split
            .iter()
            .all(|p| p.iter().map(|t| t.len() + 3).sum::<usize>() <= 400));
        let mut joined: Vec<String> = split.concat();
        joined.sort();
        let mut all = threads;
        all.sort();
        assert_eq!(joined, all);
    }
}
