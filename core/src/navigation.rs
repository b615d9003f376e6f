//! Navigation data in the visitor's browser: which page views are recorded,
//! how the local history is bounded, which entries are uploaded and what a
//! withdrawal of consent leaves behind.
//!
//! The widget records a page view (path, title, time) on every page under a
//! random UserID (UUID v4) made with the first record, and keeps the history
//! in localStorage under [`HISTORY_KEY`]. Depending on the site's
//! `navigation.collect` ([`collect_mode`]) this starts at once (`always`),
//! only once the [`CONSENT_CATEGORY`] is granted (`after-consent`), or never
//! (`off`). Entries are uploaded (`POST /api/v1/navigation`,
//! [`batch`]) only while that category is granted; each carries an
//! idempotency key made when it was recorded, so retries, two tabs and
//! server restarts store nothing twice. On withdrawal ([`on_withdrawal`])
//! the server is asked to delete everything under the UserID, and the
//! request waits in [`DELETION_KEY`] until the server confirms it.
//!
//! The UserID travels alone: nothing in this module carries, stores or
//! derives any other identifier (see the invariants in ARCHITECTURE.md).
//! Like the rest of the core, no function here touches a browser API or
//! the clock: the shell passes `now_ms` and fresh UUIDs in.

use std::fmt;

use serde::{Deserialize, Serialize};
use varco_protocol::json::{self, Fields, FromJson, Object, ToJson, Value};
use varco_protocol::navigation::{
    Collect, NavigationBatch, NavigationSettings, PageView, Recommendation, MAX_BATCH_ENTRIES,
    MAX_PATH_CHARS, MAX_TITLE_CHARS,
};
use varco_protocol::SiteConfig;

use crate::config::check_site_id;
use crate::consent::{is_uuid_v4, rfc3339_utc};

/// localStorage key of the history ([`History`] as JSON).
pub const HISTORY_KEY: &str = "varco.nav";
/// localStorage key of the UserIDs whose server-side data must still be
/// deleted (a JSON array of [`PendingDeletion`], see [`parse_deletions`]).
pub const DELETION_KEY: &str = "varco.nav.delete";
/// The consent category that allows uploading (and, with `after-consent`,
/// recording) navigation data.
pub const CONSENT_CATEGORY: &str = "personalizzazione";

/// Page views kept by default.
pub const DEFAULT_MAX_ENTRIES: usize = 500;
/// Days a page view is kept by default (12 months).
pub const DEFAULT_MAX_DAYS: u32 = 365;
/// Upper bound of `navigation.max_entries`, whatever a site configures:
/// localStorage is small and shared with the host page.
pub const MAX_ENTRIES_CAP: usize = 2000;
/// A view of the same path as the last one, within this many milliseconds
/// of it, is not recorded again (reloads, a single-page app firing twice).
pub const DEDUPE_WINDOW_MS: i64 = 2000;
/// Most UserIDs waiting for deletion; beyond it the oldest request is
/// forgotten.
pub const MAX_PENDING_DELETIONS: usize = 10;

const DAY_MS: i64 = 86_400_000;
/// Entries dated further than this ahead of the clock (recorded while the
/// clock was wrong) are pruned, or they would outlive the retention.
const FUTURE_SLACK_MS: i64 = DAY_MS;

/// How much history the browser keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// At most this many entries (the oldest go first).
    pub max_entries: usize,
    /// Entries older than this many days are dropped.
    pub max_days: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_entries: DEFAULT_MAX_ENTRIES,
            max_days: DEFAULT_MAX_DAYS,
        }
    }
}

impl Limits {
    /// The site's limits: defaults 500 entries and 365 days; `max_entries`
    /// is clamped to 1..=[`MAX_ENTRIES_CAP`] and `max_days` to at least 1.
    pub fn from_settings(settings: Option<&NavigationSettings>) -> Limits {
        let max_entries = settings
            .and_then(|s| s.max_entries)
            .map_or(DEFAULT_MAX_ENTRIES, |n| {
                (n as usize).clamp(1, MAX_ENTRIES_CAP)
            });
        let max_days = settings
            .and_then(|s| s.max_days)
            .map_or(DEFAULT_MAX_DAYS, |d| d.max(1));
        Limits {
            max_entries,
            max_days,
        }
    }
}

/// The site's collection mode (default [`Collect::Always`]).
pub fn collect_mode(settings: Option<&NavigationSettings>) -> Collect {
    settings.and_then(|s| s.collect).unwrap_or_default()
}

/// The mode the widget applies on a site: the configured one, except that
/// a site with no [`CONSENT_CATEGORY`] and no local suggestions records
/// nothing. There the history could never be uploaded nor used, and keeping
/// it anyway would store personal data for no purpose (GDPR art. 5.1.c).
pub fn site_collect_mode(site: &SiteConfig) -> Collect {
    let settings = site.navigation.as_ref();
    let has_category = site.categories.iter().any(|c| c.id == CONSENT_CATEGORY);
    let local_suggestions = settings.and_then(|s| s.local_suggestions).unwrap_or(false);
    if has_category || local_suggestions {
        collect_mode(settings)
    } else {
        Collect::Off
    }
}

/// Whether the site's server takes uploads of navigation data: only with
/// [`CONSENT_CATEGORY`] among its categories, the only consent an upload
/// rests on, and a mode other than `off`. Elsewhere no widget uploads, so
/// an upload is not one of ours and would store data without a consent.
pub fn accepts_uploads(site: &SiteConfig) -> bool {
    site.categories.iter().any(|c| c.id == CONSENT_CATEGORY)
        && site_collect_mode(site) != Collect::Off
}

/// Whether a page view may be recorded now, given the mode and whether
/// [`CONSENT_CATEGORY`] is granted. Uploading needs the grant in every mode.
pub fn may_record(mode: Collect, granted: bool) -> bool {
    match mode {
        Collect::Always => true,
        Collect::AfterConsent => granted,
        Collect::Off => false,
    }
}

/// Whether the local history survives a withdrawal: only when the site says
/// so (`navigation.keep_local_on_withdrawal`, default false) and collects
/// without consent (`always`); with `after-consent` nothing may stay once
/// the consent is gone.
pub fn keep_local_on_withdrawal(settings: Option<&NavigationSettings>) -> bool {
    collect_mode(settings) == Collect::Always
        && settings
            .and_then(|s| s.keep_local_on_withdrawal)
            .unwrap_or(false)
}

/// The query parameters the site keeps in recorded paths (default none).
pub fn allowed_query_params(settings: Option<&NavigationSettings>) -> &[String] {
    settings
        .and_then(|s| s.allowed_query_params.as_deref())
        .unwrap_or(&[])
}

/// One recorded page view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEntry {
    /// Idempotency key (UUID v4), made when the view was recorded.
    pub key: String,
    /// Cleaned path ([`clean_path`]), starting with `/`.
    pub path: String,
    pub title: String,
    /// When, in milliseconds since the epoch (browser clock).
    pub at_ms: i64,
    /// The server confirmed it, or it must not be uploaded any more (see
    /// [`on_withdrawal`]).
    #[serde(default, skip_serializing_if = "is_false")]
    pub uploaded: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl FromJson for StoredEntry {
    fn from_json(value: &Value) -> Option<Self> {
        let f = Fields::of(value)?;
        Some(StoredEntry {
            key: f.required("key")?,
            path: f.required("path")?,
            title: f.required("title")?,
            at_ms: f.required("at_ms")?,
            uploaded: f.or_default("uploaded")?,
        })
    }
}

impl ToJson for StoredEntry {
    fn write_json(&self, out: &mut String) {
        let mut object = Object::new(out);
        object
            .field("key", &self.key)
            .field("path", &self.path)
            .field("title", &self.title)
            .field("at_ms", &self.at_ms);
        if self.uploaded {
            object.field("uploaded", &true);
        }
        object.end();
    }
}

/// The history of one browser on one site, in recording order (oldest
/// first), as kept under [`HISTORY_KEY`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub site: String,
    /// UUID v4, made with the first record.
    pub user_id: String,
    pub entries: Vec<StoredEntry>,
}

varco_protocol::plain_json_object!(History {
    site,
    user_id,
    entries
});

impl History {
    /// Entries not yet uploaded.
    pub fn pending(&self) -> usize {
        self.entries.iter().filter(|e| !e.uploaded).count()
    }
}

/// What is wrong with stored data that [`parse_history`] refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorruptKind {
    /// Not a history of this shape.
    Unreadable,
    /// The UserID is not a UUID v4.
    BadUserId,
    /// The history of another site (two sites on one origin).
    OtherSite,
}

/// Stored data that cannot be used as this site's history. The shell warns
/// once in the console (with the `Display` text, which names no
/// identifier), then starts a new history: the next [`record`] makes a new
/// UserID and overwrites the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrupt {
    pub kind: CorruptKind,
    /// A valid UserID found in the refused data, with the site it was
    /// stored for (this one when the data does not say), when the data show
    /// that page views were uploaded under it. The browser is about to
    /// forget it, so the shell should queue its deletion ([`add_deletion`]):
    /// whatever the server holds under it would otherwise be beyond the
    /// visitor's reach. Without that evidence the UserID never left the
    /// browser, and it must not leave it now, without consent.
    pub forgotten: Option<PendingDeletion>,
}

impl fmt::Display for Corrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            CorruptKind::Unreadable => "cannot be read",
            CorruptKind::BadUserId => "has an invalid UserID",
            CorruptKind::OtherSite => "belongs to another site",
        };
        write!(
            f,
            "the stored navigation history ({HISTORY_KEY}) {what}: starting a new one"
        )
    }
}

/// Reads the stored history of `site`.
///
/// - Nothing stored: `Ok(None)`.
/// - Not JSON of the [`History`] shape, a UserID that is not a UUID v4, or
///   another site's history: `Err` (see [`Corrupt`]).
/// - Otherwise `Ok(Some)`, after dropping each entry that is individually
///   invalid (key not a UUID v4 or seen before in the list, path not
///   starting with `/` or longer than [`MAX_PATH_CHARS`], title longer than
///   [`MAX_TITLE_CHARS`], time not positive): one bad entry must neither
///   cost the whole history nor block the uploads (the server would refuse
///   the batch). The result may have no entries: its UserID is kept.
///
/// The caller then applies [`prune`] with the current time.
pub fn parse_history(raw: Option<&str>, site: &str) -> Result<Option<History>, Corrupt> {
    let Some(raw) = raw else { return Ok(None) };
    let history: History = json::from_str(raw).ok_or_else(|| Corrupt {
        kind: CorruptKind::Unreadable,
        forgotten: salvage(raw, site),
    })?;
    if !is_uuid_v4(&history.user_id) {
        return Err(Corrupt {
            kind: CorruptKind::BadUserId,
            forgotten: None,
        });
    }
    if history.site != site {
        return Err(Corrupt {
            kind: CorruptKind::OtherSite,
            forgotten: (check_site_id(&history.site).is_ok()
                && history.entries.iter().any(|e| e.uploaded))
            .then_some(PendingDeletion {
                site: history.site,
                user_id: history.user_id,
            }),
        });
    }
    let mut seen = varco_protocol::SortedMap::new();
    let entries = history
        .entries
        .into_iter()
        .filter(|e| entry_ok(e) && seen.insert(e.key.clone(), ()).is_none())
        .collect();
    Ok(Some(History { entries, ..history }))
}

/// A UUID v4 `user_id` (and the `site`, if valid) in JSON that is not a
/// readable history, if one of its entries says it was uploaded.
fn salvage(raw: &str, this_site: &str) -> Option<PendingDeletion> {
    let value = json::parse(raw)?;
    let Some(Value::Array(entries)) = value.get("entries") else {
        return None;
    };
    let uploaded = entries
        .iter()
        .any(|e| e.get("uploaded").and_then(Value::as_bool).unwrap_or(false));
    if !uploaded {
        return None;
    }
    let user_id = value.get("user_id")?.as_str()?;
    let site = value
        .get("site")
        .and_then(|s| s.as_str())
        .filter(|s| check_site_id(s).is_ok())
        .unwrap_or(this_site);
    is_uuid_v4(user_id).then(|| PendingDeletion {
        site: site.to_owned(),
        user_id: user_id.to_owned(),
    })
}

/// What [`parse_history`] keeps and [`record`] stores.
fn entry_ok(e: &StoredEntry) -> bool {
    is_uuid_v4(&e.key)
        && e.path.starts_with('/')
        && e.path.chars().count() <= MAX_PATH_CHARS
        && e.title.chars().count() <= MAX_TITLE_CHARS
        && e.at_ms > 0
}

/// The path to record for `url_path_and_query` (`location.pathname +
/// location.search + location.hash`, e.g. `/a/b.html?x=1&utm_source=y#frag`):
///
/// - the fragment is dropped;
/// - of the query, only the parameters whose name (as written, not
///   percent-decoded) is in `allowed_params` are kept, in their original
///   order, repeated ones included; no `?` is left when none remains;
/// - a missing leading `/` is added;
/// - the result is cut to [`MAX_PATH_CHARS`] characters, without leaving a
///   broken `%XX` escape or a dangling `?`/`&` at the end.
pub fn clean_path(url_path_and_query: &str, allowed_params: &[String]) -> String {
    let without_fragment = url_path_and_query
        .split_once('#')
        .map_or(url_path_and_query, |(before, _)| before);
    let (path, query) = without_fragment
        .split_once('?')
        .map_or((without_fragment, ""), |(p, q)| (p, q));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|param| {
            let name = param.split_once('=').map_or(*param, |(n, _)| n);
            !name.is_empty() && allowed_params.iter().any(|a| a == name)
        })
        .collect();
    let mut out = String::with_capacity(url_path_and_query.len() + 1);
    if !path.starts_with('/') {
        out.push('/');
    }
    out.push_str(path);
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    cap_path(out)
}

fn cap_path(mut s: String) -> String {
    let Some((end, _)) = s.char_indices().nth(MAX_PATH_CHARS) else {
        return s;
    };
    s.truncate(end);
    let b = s.as_bytes();
    let n = b.len();
    if n >= 1 && b[n - 1] == b'%' {
        s.truncate(n - 1);
    } else if n >= 2 && b[n - 2] == b'%' && b[n - 1].is_ascii_hexdigit() {
        s.truncate(n - 2);
    }
    while s.ends_with(['?', '&']) {
        s.pop();
    }
    s
}

/// Runs of whitespace and control characters become one space, and the result
/// is cut to [`MAX_TITLE_CHARS`] characters (never inside a character).
fn clean_title(title: &str) -> String {
    let joined = title
        .replace(char::is_control, " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let cut: String = joined.chars().take(MAX_TITLE_CHARS).collect();
    cut.trim_end().to_owned()
}

/// A page view to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit<'a> {
    /// A fresh UUID v4: the entry's idempotency key.
    pub key: String,
    /// The cleaned path ([`clean_path`]).
    pub path: &'a str,
    /// `document.title`.
    pub title: &'a str,
    /// Now, in milliseconds since the epoch.
    pub at_ms: i64,
}

/// Records a page view in `history` (this site's, as [`parse_history`]
/// returns it), then [`prune`]s at the visit's time.
///
/// - No history yet: one is made, with the UserID from `new_user_id`
///   (called only then; it must return a UUID v4).
/// - The last entry has the same path and is less than
///   [`DEDUPE_WINDOW_MS`] older: nothing new is recorded (a reload storm or
///   a single-page app firing twice); if that entry is not uploaded yet and
///   the new title is not empty, it takes the new title (an app that sets
///   the title after changing the URL).
/// - The title is cleaned (whitespace collapsed, at most
///   [`MAX_TITLE_CHARS`] characters); the path is cut to
///   [`MAX_PATH_CHARS`].
/// - A visit that [`parse_history`] would drop (key not a UUID v4, path not
///   starting with `/`, time not positive) is not recorded.
pub fn record(
    history: Option<History>,
    site: &str,
    new_user_id: impl FnOnce() -> String,
    visit: Visit<'_>,
    limits: &Limits,
) -> History {
    let mut history = history.unwrap_or_else(|| History {
        site: site.to_owned(),
        user_id: new_user_id(),
        entries: Vec::new(),
    });
    let entry = StoredEntry {
        key: visit.key,
        path: cap_path(visit.path.to_owned()),
        title: clean_title(visit.title),
        at_ms: visit.at_ms,
        uploaded: false,
    };
    let repeat = history.entries.last_mut().filter(|last| {
        last.path == entry.path && (0..DEDUPE_WINDOW_MS).contains(&(entry.at_ms - last.at_ms))
    });
    match repeat {
        Some(last) if !last.uploaded && !entry.title.is_empty() => last.title = entry.title,
        Some(_) => {}
        None if entry_ok(&entry) => history.entries.push(entry),
        None => {}
    }
    prune(history, visit.at_ms, limits)
}

/// Bounds the history at `now_ms`: drops entries more than
/// `limits.max_days` days old (and those dated more than a day ahead of
/// `now_ms`, recorded with a wrong clock), then the oldest beyond
/// `limits.max_entries`, uploaded or not. The UserID stays, even with no
/// entry left (the server may still hold data under it).
pub fn prune(mut history: History, now_ms: i64, limits: &Limits) -> History {
    let max_age = i64::from(limits.max_days) * DAY_MS;
    history.entries.retain(|e| {
        now_ms.saturating_sub(e.at_ms) <= max_age
            && e.at_ms.saturating_sub(now_ms) <= FUTURE_SLACK_MS
    });
    let excess = history.entries.len().saturating_sub(limits.max_entries);
    history.entries.drain(..excess);
    history
}

/// The oldest entries not yet uploaded, at most `max` (and never more than
/// [`MAX_BATCH_ENTRIES`]), as the wire's page views (RFC 3339 UTC times).
pub fn pending_batch(history: &History, max: usize) -> Vec<PageView> {
    history
        .entries
        .iter()
        .filter(|e| !e.uploaded)
        .take(max.min(MAX_BATCH_ENTRIES))
        .map(|e| PageView {
            key: e.key.clone(),
            path: e.path.clone(),
            title: e.title.clone(),
            visited_at: rfc3339_utc(e.at_ms),
        })
        .collect()
}

/// The next `POST /api/v1/navigation` body ([`MAX_BATCH_ENTRIES`] oldest
/// pending entries), or `None` when nothing is pending. Send it only while
/// [`CONSENT_CATEGORY`] is granted and the UserID is not waiting for
/// deletion.
pub fn batch(history: &History) -> Option<NavigationBatch> {
    let entries = pending_batch(history, MAX_BATCH_ENTRIES);
    (!entries.is_empty()).then(|| NavigationBatch {
        site: history.site.clone(),
        user_id: history.user_id.clone(),
        entries,
    })
}

/// Marks the entries with these keys as uploaded (after the server's
/// receipt). Unknown keys are ignored and marking twice changes nothing, so
/// the shell can apply a receipt to the history as re-read from storage
/// (another tab may have changed it meanwhile).
pub fn mark_uploaded(mut history: History, keys: &[String]) -> History {
    for e in &mut history.entries {
        if !e.uploaded && keys.contains(&e.key) {
            e.uploaded = true;
        }
    }
    history
}

/// What a withdrawal of [`CONSENT_CATEGORY`] leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    /// The history to store (`None`: remove [`HISTORY_KEY`]).
    pub history: Option<History>,
    /// The UserID whose server-side data must be deleted: add it to the
    /// deletion queue ([`add_deletion`]) and stop uploading under it.
    pub delete: Option<PendingDeletion>,
}

/// The consent to upload is withdrawn: the server is asked to delete
/// everything under the current UserID, which is never used again.
///
/// - `keep_local` false (the default, see [`keep_local_on_withdrawal`]):
///   the history goes with its UserID; the next [`record`] makes a new one
///   if collection continues.
/// - `keep_local` true: the entries stay under a new UserID (from
///   `new_user_id`, called only then), all marked uploaded: what was seen
///   until now is never uploaded again, even after a new consent; views
///   recorded from now on are. An empty history is simply removed.
pub fn on_withdrawal(
    history: Option<History>,
    keep_local: bool,
    new_user_id: impl FnOnce() -> String,
) -> Withdrawal {
    let Some(history) = history else {
        return Withdrawal {
            history: None,
            delete: None,
        };
    };
    let delete = PendingDeletion {
        site: history.site.clone(),
        user_id: history.user_id,
    };
    let kept = (keep_local && !history.entries.is_empty()).then(|| History {
        site: history.site,
        user_id: new_user_id(),
        entries: history
            .entries
            .into_iter()
            .map(|e| StoredEntry {
                uploaded: true,
                ..e
            })
            .collect(),
    });
    Withdrawal {
        history: kept,
        delete: Some(delete),
    }
}

/// A UserID whose data the server must delete
/// (`DELETE /api/v1/users/{user_id}?site={site}`), waiting under
/// [`DELETION_KEY`] until the server confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingDeletion {
    pub site: String,
    pub user_id: String,
}

varco_protocol::plain_json_object!(PendingDeletion { site, user_id });

/// Reads the deletion queue (oldest first). Unreadable data is an empty
/// queue; items whose UserID is not a UUID v4 or whose site is not a site
/// id are dropped, duplicates too, and only the last
/// [`MAX_PENDING_DELETIONS`] are kept.
pub fn parse_deletions(raw: Option<&str>) -> Vec<PendingDeletion> {
    let items: Vec<Value> = raw.and_then(json::from_str).unwrap_or_default();
    items
        .iter()
        .filter_map(PendingDeletion::from_json)
        .filter(|d| is_uuid_v4(&d.user_id) && check_site_id(&d.site).is_ok())
        .fold(Vec::new(), add_deletion)
}

/// Adds a deletion to the queue (once; the oldest request goes when the
/// queue would exceed [`MAX_PENDING_DELETIONS`]). The shell sends
/// `DELETE /api/v1/users/{user_id}?site={site}` for each, never uploads
/// under a UserID in the queue, and keeps retrying, on later pages too,
/// until [`confirm_deletion`].
pub fn add_deletion(
    mut queue: Vec<PendingDeletion>,
    item: PendingDeletion,
) -> Vec<PendingDeletion> {
    if !queue.contains(&item) {
        queue.push(item);
    }
    let excess = queue.len().saturating_sub(MAX_PENDING_DELETIONS);
    queue.drain(..excess);
    queue
}

/// The server confirmed a deletion: it leaves the queue.
pub fn confirm_deletion(
    mut queue: Vec<PendingDeletion>,
    done: &PendingDeletion,
) -> Vec<PendingDeletion> {
    queue.retain(|d| d != done);
    queue
}

/// The queue as stored under [`DELETION_KEY`]; `None` when it is empty
/// (remove the key).
pub fn deletions_json(queue: &[PendingDeletion]) -> Option<String> {
    (!queue.is_empty()).then(|| json::to_string(queue))
}

/// Suggestions computed in the browser from the local history alone (the
/// site's `navigation.local_suggestions`): the pages visited most, the most
/// recent first among equals, other than `current_path`, each under the
/// title it last had. Nothing is sent anywhere to compute them.
pub fn local_recommendations(
    history: &History,
    current_path: &str,
    n: usize,
) -> Vec<Recommendation> {
    // path -> (visits, last visit, title at the last visit)
    let mut pages: Vec<(&str, u32, i64, &str)> = Vec::new();
    for e in &history.entries {
        if e.path == current_path {
            continue;
        }
        match pages.iter_mut().find(|p| p.0 == e.path) {
            Some(p) => {
                p.1 += 1;
                if e.at_ms >= p.2 {
                    p.2 = e.at_ms;
                    p.3 = &e.title;
                }
            }
            None => pages.push((&e.path, 1, e.at_ms, &e.title)),
        }
    }
    // The n best, picked one by one rather than sorted: n is small, and a
    // sort would bring the standard library's sorting code (about 10 KiB)
    // into the light part. Among equals the earlier page comes first.
    let mut best = Vec::new();
    while best.len() < n {
        let rank = |p: &(&str, u32, i64, &str)| (p.1, p.2);
        let Some(at) = (0..pages.len()).min_by(|&a, &b| rank(&pages[b]).cmp(&rank(&pages[a])))
        else {
            break;
        };
        let (path, _, _, title) = pages.remove(at);
        best.push(Recommendation {
            title: if title.trim().is_empty() {
                path.to_owned()
            } else {
                title.to_owned()
            },
            url: Some(path.to_owned()),
            topic: None,
        });
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    const USER2: &str = "9b2c4a1e-6f0d-4e8a-b3c2-1d2e3f4a5b6c";
    const NOW: i64 = 1_795_000_000_000;

    /// A distinct UUID v4 for each `n`.
    fn key(n: u32) -> String {
        format!("00000000-0000-4000-8000-{n:012x}")
    }

    fn entry(n: u32, path: &str, at_ms: i64) -> StoredEntry {
        StoredEntry {
            key: key(n),
            path: path.into(),
            title: format!("Pagina {n}"),
            at_ms,
            uploaded: false,
        }
    }

    fn history(entries: Vec<StoredEntry>) -> History {
        History {
            site: "milomb".into(),
            user_id: USER.into(),
            entries,
        }
    }

    fn visit<'a>(n: u32, path: &'a str, title: &'a str, at_ms: i64) -> Visit<'a> {
        Visit {
            key: key(n),
            path,
            title,
            at_ms,
        }
    }

    fn no_new_id() -> String {
        panic!("a new UserID was not expected")
    }

    fn deletion(site: &str, user_id: &str) -> PendingDeletion {
        PendingDeletion {
            site: site.into(),
            user_id: user_id.into(),
        }
    }

    fn settings(json: &str) -> NavigationSettings {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn limits_and_modes_have_defaults_and_bounds() {
        assert_eq!(
            Limits::from_settings(None),
            Limits {
                max_entries: 500,
                max_days: 365
            }
        );
        let s = settings(r#"{"max_entries":20,"max_days":30}"#);
        assert_eq!(
            Limits::from_settings(Some(&s)),
            Limits {
                max_entries: 20,
                max_days: 30
            }
        );
        let s = settings(r#"{"max_entries":0,"max_days":0}"#);
        assert_eq!(
            Limits::from_settings(Some(&s)),
            Limits {
                max_entries: 1,
                max_days: 1
            }
        );
        let s = settings(r#"{"max_entries":4000000000}"#);
        assert_eq!(Limits::from_settings(Some(&s)).max_entries, MAX_ENTRIES_CAP);

        assert_eq!(collect_mode(None), Collect::Always);
        assert_eq!(collect_mode(Some(&settings("{}"))), Collect::Always);
        let after = settings(r#"{"collect":"after-consent","keep_local_on_withdrawal":true}"#);
        assert_eq!(collect_mode(Some(&after)), Collect::AfterConsent);
        let site = |json: &str| -> SiteConfig { serde_json::from_str(json).unwrap() };
        let with_category =
            site(r#"{"revision":"1","categories":[{"id":"personalizzazione","services":[]}]}"#);
        assert_eq!(site_collect_mode(&with_category), Collect::Always);
        let without = site(r#"{"revision":"1","categories":[{"id":"analitici","services":[]}]}"#);
        assert_eq!(site_collect_mode(&without), Collect::Off);
        let local = site(
            r#"{"revision":"1","categories":[],"navigation":{"local_suggestions":true,"collect":"after-consent"}}"#,
        );
        assert_eq!(site_collect_mode(&local), Collect::AfterConsent);
        assert!(may_record(Collect::Always, false));
        assert!(!may_record(Collect::AfterConsent, false));
        assert!(may_record(Collect::AfterConsent, true));
        assert!(!may_record(Collect::Off, true));

        assert!(!keep_local_on_withdrawal(None));
        assert!(keep_local_on_withdrawal(Some(&settings(
            r#"{"keep_local_on_withdrawal":true}"#
        ))));
        // Without consent nothing may stay in `after-consent` mode.
        assert!(!keep_local_on_withdrawal(Some(&after)));

        assert!(allowed_query_params(None).is_empty());
        assert_eq!(
            allowed_query_params(Some(&settings(r#"{"allowed_query_params":["q"]}"#))),
            ["q"]
        );
    }

    #[test]
    fn a_stored_history_round_trips_and_names_only_its_user() {
        let mut h = history(vec![entry(1, "/", NOW), entry(2, "/a", NOW + 1)]);
        h.entries[0].uploaded = true;
        let raw = serde_json::to_string(&h).unwrap();
        assert_eq!(parse_history(Some(&raw), "milomb"), Ok(Some(h)));
        assert_eq!(parse_history(None, "milomb"), Ok(None));

        let json: serde_json::Value = serde_json::from_str(&raw).unwrap();
        let keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["entries", "site", "user_id"]);
        let entry_keys: Vec<_> = json["entries"][1]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        // `uploaded: false` is left out.
        assert_eq!(entry_keys, ["at_ms", "key", "path", "title"]);
    }

    #[test]
    fn unusable_stored_data_is_refused_with_its_user_id_when_valid() {
        for raw in ["", "{broken", "[]", "null", r#"{"site":"milomb"}"#] {
            let err = parse_history(Some(raw), "milomb").unwrap_err();
            assert_eq!(err.kind, CorruptKind::Unreadable, "{raw}");
            assert_eq!(err.forgotten, None);
        }
        // Nothing says the UserID ever left the browser: it stays here.
        let wrong_shape = format!(r#"{{"site":"milomb","user_id":"{USER}","entries":"x"}}"#);
        assert_eq!(
            parse_history(Some(&wrong_shape), "milomb"),
            Err(Corrupt {
                kind: CorruptKind::Unreadable,
                forgotten: None
            })
        );
        let never_sent =
            format!(r#"{{"site":"milomb","user_id":"{USER}","entries":[{{"path":1}}]}}"#);
        assert_eq!(
            parse_history(Some(&never_sent), "milomb")
                .unwrap_err()
                .forgotten,
            None
        );
        let sent =
            format!(r#"{{"site":"milomb","user_id":"{USER}","entries":[{{"uploaded":true}}]}}"#);
        assert_eq!(
            parse_history(Some(&sent), "milomb"),
            Err(Corrupt {
                kind: CorruptKind::Unreadable,
                forgotten: Some(deletion("milomb", USER))
            })
        );

        let no_site =
            format!(r#"{{"site":"Bad Site","user_id":"{USER}","entries":[{{"uploaded":true}}]}}"#);
        assert_eq!(
            parse_history(Some(&no_site), "calvatone")
                .unwrap_err()
                .forgotten,
            Some(deletion("calvatone", USER))
        );

        let bad_id = serde_json::to_string(&History {
            user_id: "not-a-uuid".into(),
            ..history(vec![])
        })
        .unwrap();
        assert_eq!(
            parse_history(Some(&bad_id), "milomb"),
            Err(Corrupt {
                kind: CorruptKind::BadUserId,
                forgotten: None
            })
        );

        let other = serde_json::to_string(&history(vec![entry(1, "/", NOW)])).unwrap();
        let err = parse_history(Some(&other), "calvatone").unwrap_err();
        assert_eq!(err.forgotten, None, "never uploaded");
        let mut uploaded = entry(1, "/", NOW);
        uploaded.uploaded = true;
        let other = serde_json::to_string(&history(vec![uploaded])).unwrap();
        let err = parse_history(Some(&other), "calvatone").unwrap_err();
        assert_eq!(
            err,
            Corrupt {
                kind: CorruptKind::OtherSite,
                forgotten: Some(deletion("milomb", USER))
            }
        );
        let message = err.to_string();
        assert!(message.contains("varco.nav") && !message.contains(USER));
    }

    #[test]
    fn individually_invalid_entries_are_dropped() {
        let mut long_title = entry(5, "/e", NOW);
        long_title.title = "x".repeat(MAX_TITLE_CHARS + 1);
        let mut bad_key = entry(1, "/b", NOW);
        bad_key.key = "1".into();
        let stored = history(vec![
            entry(1, "/a", NOW),
            bad_key,
            entry(1, "/again", NOW),
            entry(3, "no-slash", NOW),
            entry(4, &format!("/{}", "p".repeat(MAX_PATH_CHARS)), NOW),
            long_title,
            entry(6, "/f", 0),
            entry(7, "/g", NOW),
        ]);
        let raw = serde_json::to_string(&stored).unwrap();
        let h = parse_history(Some(&raw), "milomb").unwrap().unwrap();
        let paths: Vec<_> = h.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["/a", "/g"]);
        assert_eq!(h.user_id, USER);

        let empty = serde_json::to_string(&history(vec![])).unwrap();
        assert_eq!(
            parse_history(Some(&empty), "milomb")
                .unwrap()
                .unwrap()
                .user_id,
            USER
        );
    }

    #[test]
    fn paths_lose_the_fragment_and_all_but_the_allowed_parameters() {
        let allowed = vec!["q".to_owned(), "page".to_owned()];
        assert_eq!(
            clean_path("/a/b.html?x=1&utm_source=y#frag", &[]),
            "/a/b.html"
        );
        assert_eq!(
            clean_path("/a/b.html?x=1&utm_source=y#frag", &allowed),
            "/a/b.html"
        );
        // Original order, not the allowed list's; repeats kept.
        assert_eq!(
            clean_path("/cerca?page=2&utm_source=n&q=suap&q=durc#r", &allowed),
            "/cerca?page=2&q=suap&q=durc"
        );
        assert_eq!(clean_path("/cerca?q#x", &allowed), "/cerca?q");
        assert_eq!(clean_path("/cerca?qq=1&=2&&", &allowed), "/cerca");
        assert_eq!(clean_path("/a#b?q=1", &allowed), "/a");
        assert_eq!(clean_path("/a?#", &allowed), "/a");
        assert_eq!(clean_path("", &[]), "/");
        assert_eq!(clean_path("#top", &[]), "/");
        assert_eq!(clean_path("a/b", &[]), "/a/b");
    }

    #[test]
    fn long_paths_are_cut_on_characters_without_broken_escapes() {
        let long = format!("/{}", "è".repeat(MAX_PATH_CHARS + 10));
        let cut = clean_path(&long, &[]);
        assert_eq!(cut.chars().count(), MAX_PATH_CHARS);
        assert!(cut.ends_with('è'));

        // The cut may fall after a whole escape, or inside one.
        let escaped = format!("/{}%C3%A8", "a".repeat(MAX_PATH_CHARS - 4));
        assert!(clean_path(&escaped, &[]).ends_with("a%C3"));
        for (a, len) in [
            (MAX_PATH_CHARS - 3, MAX_PATH_CHARS - 2),
            (MAX_PATH_CHARS - 2, MAX_PATH_CHARS - 1),
        ] {
            let escaped = format!("/{}%C3%A8", "a".repeat(a));
            let cut = clean_path(&escaped, &[]);
            assert!(cut.ends_with('a') && cut.len() == len, "{cut}");
        }

        let query = format!("/{}?q=1", "a".repeat(MAX_PATH_CHARS - 2));
        let cut = clean_path(&query, &["q".to_owned()]);
        assert_eq!(cut, format!("/{}", "a".repeat(MAX_PATH_CHARS - 2)));
    }

    #[test]
    fn the_first_record_makes_the_user_id_and_later_ones_keep_it() {
        let limits = Limits::default();
        let mut calls = 0;
        let h = record(
            None,
            "milomb",
            || {
                calls += 1;
                USER.to_owned()
            },
            visit(1, "/", "Home", NOW),
            &limits,
        );
        assert_eq!(calls, 1);
        assert_eq!((h.site.as_str(), h.user_id.as_str()), ("milomb", USER));
        assert_eq!(
            h.entries,
            [entry(1, "/", NOW)].map(|e| StoredEntry {
                title: "Home".into(),
                ..e
            })
        );
        let h = record(
            Some(h),
            "milomb",
            no_new_id,
            visit(2, "/a", "A", NOW + 10),
            &limits,
        );
        assert_eq!(h.user_id, USER);
        assert_eq!(h.entries.len(), 2);
        assert_eq!(h.pending(), 2);
    }

    #[test]
    fn the_same_path_is_not_recorded_twice_within_two_seconds() {
        let limits = Limits::default();
        let h = record(
            None,
            "milomb",
            || USER.into(),
            visit(1, "/a", "", NOW),
            &limits,
        );
        // A single-page app fires again with the title it set meanwhile.
        let h = record(
            Some(h),
            "milomb",
            no_new_id,
            visit(2, "/a", "Atti", NOW + 300),
            &limits,
        );
        assert_eq!(h.entries.len(), 1);
        assert_eq!(h.entries[0].title, "Atti");
        assert_eq!(h.entries[0].key, key(1));
        // An empty title does not erase a known one.
        let h = record(
            Some(h),
            "milomb",
            no_new_id,
            visit(3, "/a", " ", NOW + 600),
            &limits,
        );
        assert_eq!(h.entries[0].title, "Atti");
        // The window counts from the recorded view.
        let h = record(
            Some(h),
            "milomb",
            no_new_id,
            visit(4, "/a", "Atti", NOW + 1999),
            &limits,
        );
        assert_eq!(h.entries.len(), 1);
        let h = record(
            Some(h),
            "milomb",
            no_new_id,
            visit(5, "/a", "Atti", NOW + 2000),
            &limits,
        );
        assert_eq!(h.entries.len(), 2);
        // Another path, or the same one after another, is a new view.
        let h = record(
            Some(h),
            "milomb",
            no_new_id,
            visit(6, "/b", "B", NOW + 2001),
            &limits,
        );
        let h = record(
            Some(h),
            "milomb",
            no_new_id,
            visit(7, "/a", "Atti", NOW + 2002),
            &limits,
        );
        assert_eq!(h.entries.len(), 4);
        // An uploaded entry keeps its title.
        let h = mark_uploaded(h, &[key(7)]);
        let h = record(
            Some(h),
            "milomb",
            no_new_id,
            visit(8, "/a", "Nuovo", NOW + 2003),
            &limits,
        );
        assert_eq!(h.entries.last().unwrap().title, "Atti");
    }

    #[test]
    fn titles_are_cleaned_and_cut_on_characters() {
        let limits = Limits::default();
        let messy = "  Camera\tdi\n commercio \u{7} — Milano  ";
        let h = record(
            None,
            "milomb",
            || USER.into(),
            visit(1, "/", messy, NOW),
            &limits,
        );
        assert_eq!(h.entries[0].title, "Camera di commercio — Milano");

        let long = "àè🇮🇹".repeat(100);
        let h = record(
            Some(h),
            "milomb",
            no_new_id,
            visit(2, "/x", &long, NOW + 5000),
            &limits,
        );
        let title = &h.entries[1].title;
        assert_eq!(title.chars().count(), MAX_TITLE_CHARS);
        assert!(long.starts_with(title.as_str()));
        // What record stores, parse_history keeps.
        let raw = serde_json::to_string(&h).unwrap();
        assert_eq!(parse_history(Some(&raw), "milomb").unwrap().unwrap(), h);
    }

    #[test]
    fn visits_that_could_not_be_read_back_are_not_recorded() {
        let limits = Limits::default();
        let mut bad = visit(1, "/", "Home", NOW);
        bad.key = "not-a-uuid".into();
        let h = record(None, "milomb", || USER.into(), bad, &limits);
        assert!(h.entries.is_empty());
        let h = record(
            Some(h),
            "milomb",
            no_new_id,
            visit(2, "relative", "", NOW),
            &limits,
        );
        let h = record(Some(h), "milomb", no_new_id, visit(3, "/", "", 0), &limits);
        assert!(h.entries.is_empty());
    }

    #[test]
    fn record_prunes_with_the_site_limits() {
        let limits = Limits {
            max_entries: 3,
            max_days: 365,
        };
        let mut h = None;
        for n in 0..5 {
            h = Some(record(
                h,
                "milomb",
                || USER.into(),
                visit(n, &format!("/{n}"), "", NOW + n as i64 * 10_000),
                &limits,
            ));
        }
        let paths: Vec<_> = h.unwrap().entries.into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["/2", "/3", "/4"]);
    }

    #[test]
    fn prune_drops_old_then_oldest_entries() {
        let day = 86_400_000;
        let limits = Limits {
            max_entries: 2,
            max_days: 365,
        };
        let mut old_uploaded = entry(1, "/old", NOW - 366 * day);
        old_uploaded.uploaded = true;
        let h = history(vec![
            old_uploaded,
            entry(2, "/edge", NOW - 365 * day),
            entry(3, "/b", NOW - day),
            entry(4, "/c", NOW),
            entry(5, "/future", NOW + 2 * day),
        ]);
        let pruned = prune(h.clone(), NOW, &limits);
        let paths: Vec<_> = pruned.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["/b", "/c"]);
        let wide = Limits {
            max_entries: 500,
            max_days: 365,
        };
        let paths: Vec<_> = prune(h, NOW, &wide)
            .entries
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(paths, ["/edge", "/b", "/c"]);
        // Nothing left: the UserID stays.
        let empty = prune(history(vec![entry(1, "/", 1)]), NOW, &limits);
        assert!(empty.entries.is_empty() && empty.user_id == USER);
    }

    #[test]
    fn batches_take_the_oldest_pending_entries() {
        let mut entries: Vec<_> = (0..150)
            .map(|n| entry(n, &format!("/{n}"), NOW + n as i64))
            .collect();
        entries[0].uploaded = true;
        entries[2].uploaded = true;
        let h = history(entries);
        let views = pending_batch(&h, 3);
        let paths: Vec<_> = views.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(paths, ["/1", "/3", "/4"]);
        assert_eq!(views[0].key, key(1));
        assert_eq!(views[0].title, "Pagina 1");
        assert_eq!(views[0].visited_at, rfc3339_utc(NOW + 1));
        assert!(views[0].visited_at.ends_with('Z'));
        assert_eq!(pending_batch(&h, 1000).len(), MAX_BATCH_ENTRIES);

        let b = batch(&h).unwrap();
        assert_eq!((b.site.as_str(), b.user_id.as_str()), ("milomb", USER));
        assert_eq!(b.entries.len(), MAX_BATCH_ENTRIES);
        assert_eq!(b.entries[0].path, "/1");
        let keys: Vec<String> = b.entries.iter().map(|v| v.key.clone()).collect();
        let h = mark_uploaded(h, &keys);
        assert_eq!(h.pending(), 48);
        assert_eq!(batch(&h).unwrap().entries[0].path, "/102");
        assert_eq!(batch(&history(vec![])), None);
    }

    #[test]
    fn marking_uploaded_is_idempotent_and_ignores_unknown_keys() {
        let h = history(vec![entry(1, "/a", NOW), entry(2, "/b", NOW)]);
        let once = mark_uploaded(h, &[key(2), key(99)]);
        assert_eq!(once.pending(), 1);
        assert!(once.entries[1].uploaded && !once.entries[0].uploaded);
        let twice = mark_uploaded(once.clone(), &[key(2), key(99)]);
        assert_eq!(once, twice);
        assert_eq!(mark_uploaded(twice.clone(), &[]), twice);
    }

    #[test]
    fn withdrawal_deletes_on_the_server_and_clears_by_default() {
        let h = history(vec![entry(1, "/a", NOW), entry(2, "/b", NOW)]);
        assert_eq!(
            on_withdrawal(Some(h.clone()), false, no_new_id),
            Withdrawal {
                history: None,
                delete: Some(deletion("milomb", USER))
            }
        );
        assert_eq!(
            on_withdrawal(None, true, no_new_id),
            Withdrawal {
                history: None,
                delete: None
            }
        );
        // An empty history is not kept under a new UserID.
        assert_eq!(
            on_withdrawal(Some(history(vec![])), true, no_new_id).history,
            None
        );
    }

    #[test]
    fn a_kept_history_gets_a_new_user_id_and_is_never_uploaded_again() {
        let mut h = history(vec![entry(1, "/a", NOW), entry(2, "/b", NOW + 1)]);
        h.entries[0].uploaded = true;
        let w = on_withdrawal(Some(h), true, || USER2.into());
        assert_eq!(w.delete, Some(deletion("milomb", USER)));
        let kept = w.history.unwrap();
        assert_eq!(kept.user_id, USER2);
        assert_eq!(kept.entries.len(), 2);
        assert_eq!(kept.pending(), 0);
        assert_eq!(batch(&kept), None);
        // Views after the withdrawal are pending under the new UserID.
        let kept = record(
            Some(kept),
            "milomb",
            no_new_id,
            visit(3, "/c", "C", NOW + 5000),
            &Limits::default(),
        );
        let b = batch(&kept).unwrap();
        assert_eq!(b.user_id, USER2);
        assert_eq!(b.entries.len(), 1);
    }

    #[test]
    fn the_deletion_queue_is_deduplicated_bounded_and_forgiving() {
        assert!(parse_deletions(None).is_empty());
        assert!(parse_deletions(Some("{broken")).is_empty());
        assert!(parse_deletions(Some(r#"{"user_id":"x"}"#)).is_empty());
        let raw = format!(
            r#"[{{"site":"milomb","user_id":"{USER}"}},{{"site":"milomb","user_id":"nope"}},
               "{USER}",{{"site":"Not A Site","user_id":"{USER}"}},
               {{"site":"milomb","user_id":"{USER}"}},{{"site":"calvatone","user_id":"{USER}"}},
               {{"site":"milomb","user_id":"{USER2}"}}]"#
        );
        assert_eq!(
            parse_deletions(Some(&raw)),
            [
                deletion("milomb", USER),
                deletion("calvatone", USER),
                deletion("milomb", USER2)
            ]
        );

        let q = add_deletion(Vec::new(), deletion("milomb", USER));
        let mut q = add_deletion(q, deletion("milomb", USER));
        assert_eq!(q, [deletion("milomb", USER)]);
        for n in 0..MAX_PENDING_DELETIONS as u32 {
            q = add_deletion(q, deletion("milomb", &key(n)));
        }
        assert_eq!(q.len(), MAX_PENDING_DELETIONS);
        assert!(
            !q.contains(&deletion("milomb", USER)),
            "the oldest goes first"
        );

        let json = deletions_json(&q).unwrap();
        assert_eq!(parse_deletions(Some(&json)), q);
        let done = deletion("milomb", &key(0));
        let q = confirm_deletion(q, &done);
        assert_eq!(q.len(), MAX_PENDING_DELETIONS - 1);
        assert!(!q.contains(&done));
        let q = confirm_deletion(q, &done);
        assert_eq!(q.len(), MAX_PENDING_DELETIONS - 1);
        assert_eq!(deletions_json(&[]), None);
        let long: Vec<PendingDeletion> = (0..30).map(|n| deletion("milomb", &key(n))).collect();
        let raw = serde_json::to_string(&long).unwrap();
        assert_eq!(parse_deletions(Some(&raw)), long[20..]);
    }

    #[test]
    fn keys_start_with_the_varco_prefix() {
        for k in [HISTORY_KEY, DELETION_KEY] {
            assert!(k.starts_with("varco."));
        }
    }

    #[test]
    fn local_recommendations_are_the_pages_visited_most_except_this_one() {
        let entry = |path: &str, title: &str, at_ms: i64| StoredEntry {
            key: format!("k{at_ms}"),
            path: path.into(),
            title: title.into(),
            at_ms,
            uploaded: false,
        };
        let history = History {
            site: "milomb".into(),
            user_id: "3f2504e0-4f89-41d3-9a0c-0305e82c3301".into(),
            entries: vec![
                entry("/spid.html", "SPID (vecchio titolo)", 1),
                entry("/firma.html", "Firma digitale", 2),
                entry("/spid.html", "SPID", 3),
                entry("/", "Home", 4),
                entry("/", "Home", 5),
                entry("/", "Home", 6),
                entry("/visure.html", "", 7),
            ],
        };
        let out = local_recommendations(&history, "/", 3);
        let got: Vec<(&str, &str)> = out
            .iter()
            .map(|r| (r.title.as_str(), r.url.as_deref().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("SPID", "/spid.html"),
                ("/visure.html", "/visure.html"),
                ("Firma digitale", "/firma.html")
            ]
        );
        assert!(out.iter().all(|r| r.topic.is_none()));
        assert_eq!(local_recommendations(&history, "/", 1).len(), 1);
        let empty = History {
            entries: vec![],
            ..history
        };
        assert!(local_recommendations(&empty, "/", 3).is_empty());
    }

    #[test]
    fn only_a_site_asking_consent_to_personalisation_takes_uploads() {
        let site = |json: &str| -> SiteConfig { serde_json::from_str(json).unwrap() };
        let category = r#"{"id":"personalizzazione","services":[]}"#;
        let asks = site(&format!(r#"{{"revision":"1","categories":[{category}]}}"#));
        assert!(accepts_uploads(&asks));
        let after_consent = site(&format!(
            r#"{{"revision":"1","categories":[{category}],"navigation":{{"collect":"after-consent"}}}}"#
        ));
        assert!(accepts_uploads(&after_consent));
        let off = site(&format!(
            r#"{{"revision":"1","categories":[{category}],"navigation":{{"collect":"off"}}}}"#
        ));
        assert!(!accepts_uploads(&off));
        // Local suggestions only: the history never leaves the browser.
        let local_only = site(
            r#"{"revision":"1","categories":[{"id":"analitici","services":[]}],"navigation":{"local_suggestions":true}}"#,
        );
        assert!(!accepts_uploads(&local_only));
        assert!(!accepts_uploads(&site(
            r#"{"revision":"1","categories":[]}"#
        )));
    }
}
