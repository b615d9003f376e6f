//! Retention: each kind of data is deleted when its period, from the site's
//! configuration, is over (defaults from the notices: navigation data and
//! conversations 12 months; consent records as long as the controller must
//! be able to prove consent, 5 years; appointments 3 months after their
//! day; e-mails given up on, a month; messages left for the office, a month
//! after their answer or three months unanswered). The tombstones of deleted UserIDs are kept as long as navigation
//! data, and console sessions go when they end. The purge runs at start and
//! then periodically, deleting in bounded batches so that it never holds the
//! database for long; what it deletes is overwritten in the database file
//! and the WAL is emptied soon after (see `Storage::checkpoint_in_background`).

use crate::config::Config;
use crate::storage::{DataKind, Storage};
use std::time::Duration;
use varco_core::consent::rfc3339_utc;

/// Rows deleted per statement.
const BATCH: u32 = 500;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// A message left for the office is kept a month after its answer (for
/// the colleague who is asked about it), three months if nobody answers.
const LEFT_MESSAGE_ANSWERED_DAYS: i64 = 30;
const LEFT_MESSAGE_UNANSWERED_DAYS: i64 = 90;

/// What a purge deleted (or, dry, would delete): site, kind, rows.
pub type PurgeReport = Vec<(String, DataKind, u64)>;

/// The site's period for `kind`, in days.
fn days(config: &crate::config::Retention, kind: DataKind) -> u32 {
    match kind {
        // A browser keeps views to upload no longer than that (the widget's
        // `max_days`, 365 by default): a tombstone outlives the batches that
        // it refuses.
        DataKind::Navigation | DataKind::Tombstones => config.navigation_days,
        DataKind::Conversations | DataKind::Feedback => config.conversation_days,
        DataKind::Consents => config.consent_days,
        DataKind::Appointments => config.appointment_days,
        // They end at their own time, the same on every site.
        DataKind::OperatorSessions | DataKind::LeftMessages => 0,
    }
}

/// Deletes (or with `dry_run` counts) what is past its retention at
/// `now_ms`: per site and kind, then the console sessions that have ended
/// (reported under the site `*`, every site). The clock is a parameter so
/// that tests can move it.
pub async fn purge(
    storage: &Storage,
    config: &Config,
    now_ms: i64,
    dry_run: bool,
) -> anyhow::Result<PurgeReport> {
    let mut report = Vec::new();
    for site in &config.sites {
        for kind in DataKind::PER_SITE {
            let cutoff = rfc3339_utc(now_ms - i64::from(days(&site.retention, kind)) * DAY_MS);
            let n = if dry_run {
                storage.count_expired(kind, &site.id, &cutoff).await?
            } else {
                let mut total = 0;
                loop {
                    let n = storage
                        .delete_expired(kind, &site.id, &cutoff, BATCH)
                        .await?;
                    total += n;
                    if n < u64::from(BATCH) {
                        break;
                    }
                    // Let the requests waiting for the database go first.
                    tokio::task::yield_now().await;
                }
                total
            };
            report.push((site.id.clone(), kind, n));
        }
    }
    let sessions = if dry_run {
        storage.count_expired_sessions(now_ms).await?
    } else {
        let mut total = 0;
        loop {
            let n = storage.delete_expired_sessions(now_ms, BATCH).await?;
            total += n;
            if n < u64::from(BATCH) {
                break;
            }
            tokio::task::yield_now().await;
        }
        total
    };
    report.push(("*".to_owned(), DataKind::OperatorSessions, sessions));
    let left = storage
        .purge_left_messages(
            now_ms - LEFT_MESSAGE_ANSWERED_DAYS * DAY_MS,
            now_ms - LEFT_MESSAGE_UNANSWERED_DAYS * DAY_MS,
            dry_run,
        )
        .await?;
    report.push(("*".to_owned(), DataKind::LeftMessages, left));
    Ok(report)
}

/// Purges now and then every `every`, for as long as the server runs; with
/// several instances on one database, the first to ask each period does it
/// (`Storage::claim_periodic`) and the others skip it.
pub fn spawn_periodic(
    storage: Storage,
    config: std::sync::Arc<Config>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        // Instances started a few seconds apart still share one period.
        let slack = every / 20;
        loop {
            ticks.tick().await;
            let now = crate::api::now_ms();
            match storage.claim_periodic("purge", now, every, slack).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::debug!("retention: another instance purged in this period");
                    continue;
                }
                Err(e) => {
                    crate::metrics::purge_ran(false);
                    tracing::error!(error = %format!("{e:#}"), "retention: cannot claim the purge; it runs again later");
                    continue;
                }
            }
            // Buckets idle for a day are full for every limit a site sets.
            if let Err(e) = storage
                .delete_idle_rate_buckets(Duration::from_secs(86_400))
                .await
            {
                tracing::warn!(error = %format!("{e:#}"), "retention: idle rate-limit buckets could not be deleted");
            }
            // E-mails given up on stay a month for the administrator to
            // see why (`mail_outbox.last_error`), then go.
            if let Err(e) = storage.delete_failed_mail(now - 30 * DAY_MS, BATCH).await {
                tracing::warn!(error = %format!("{e:#}"), "retention: e-mails given up on could not be deleted");
            }
            match purge(&storage, &config, now, false).await {
                Ok(report) => {
                    crate::metrics::purge_ran(true);
                    for (site, kind, n) in report.into_iter().filter(|(_, _, n)| *n > 0) {
                        tracing::info!(site = %site, kind = kind.name(), rows = n, "retention: expired data deleted");
                    }
                }
                Err(e) => {
                    crate::metrics::purge_ran(false);
                    tracing::error!(error = %format!("{e:#}"), "retention: the purge failed; it runs again later")
                }
            }
        }
    })
}
