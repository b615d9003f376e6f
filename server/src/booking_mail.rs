//! The e-mails of a booking: what each says (`varco_core::booking_mail`),
//! the calendar file and the signed link to the page that manages the
//! booking, and the reminders, queued by a background task before each
//! appointment.

use crate::agenda::Described;
use crate::config::appointments::AppointmentsConfig;
use crate::config::{Config, Site};
use crate::links::LinkKey;
use crate::mail::{MailAttachment, Mailer};
use crate::storage::{QueuedMail, Storage, StoredAppointment};
use std::sync::Arc;
use std::time::Duration;
use varco_core::booking_mail::{booking_mail, ics_file_name, BookingFacts, BookingMailKind};
use varco_core::consent::rfc3339_utc;

/// Writes the e-mails of bookings and signs their links.
pub struct BookingMails {
    pub mailer: Arc<Mailer>,
    pub links: LinkKey,
}

impl BookingMails {
    /// The page that manages booking `code`, valid until the appointment
    /// starts.
    pub fn manage_url(&self, site: &str, code: &str, starts_at_ms: i64) -> String {
        format!(
            "{}/appointments/manage?token={}",
            self.mailer.config().public_base(),
            self.links.sign(site, code, starts_at_ms)
        )
    }

    /// The e-mail of `kind` about `a`, or `None` (logged) if it cannot be
    /// composed: the booking goes on without it.
    pub fn compose(
        &self,
        site: &Site,
        config: &AppointmentsConfig,
        a: &StoredAppointment,
        kind: &BookingMailKind,
        now_ms: i64,
    ) -> Option<QueuedMail> {
        let d = Described::of(config, a);
        let url = self.manage_url(&site.id, &a.code, d.starts_at_ms());
        let content = booking_mail(
            kind,
            &BookingFacts {
                lang: d.lang,
                site_name: &site.name,
                nome: &a.nome,
                cognome: &a.cognome,
                code: &a.code,
                service: &d.service,
                office: &d.office,
                address: &d.address,
                date: d.date,
                start: d.start,
                end: d.end,
                manage_url: Some(&url),
            },
        );
        let attachment = kind.still_booked().then(|| MailAttachment {
            file_name: ics_file_name(d.lang),
            content_type: "text/calendar; charset=utf-8; method=PUBLISH",
            body: d.calendar_file(site, &a.code, now_ms),
        });
        match self.mailer.compose(
            &site.id,
            kind.name(),
            Some(&a.code),
            &a.email,
            &content,
            attachment,
        ) {
            Ok(mail) => Some(mail),
            Err(e) => {
                tracing::error!(site = %site.id, kind = kind.name(), error = %format!("{e:#}"), "mail: the message cannot be composed");
                None
            }
        }
    }
}

/// Queues each booking's reminder `mail.reminder_hours` before it, every
/// minute, on whichever instance comes first (each booking once).
pub fn spawn_reminders(
    storage: Storage,
    config: Arc<Config>,
    mails: Arc<BookingMails>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(60));
        loop {
            ticks.tick().await;
            match queue_reminders(&storage, &config, &mails, crate::api::now_ms()).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(reminders = n, "mail: reminders queued");
                    mails.mailer.queued();
                }
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "mail: reminders cannot be queued now; trying again")
                }
            }
        }
    })
}

/// Queues the reminders due at `now_ms`; returns how many.
pub async fn queue_reminders(
    storage: &Storage,
    config: &Config,
    mails: &BookingMails,
    now_ms: i64,
) -> anyhow::Result<usize> {
    let hours = mails.mailer.config().reminder_hours;
    if hours == 0 {
        return Ok(0);
    }
    let window_ms = i64::from(hours) * 3_600_000;
    let now = rfc3339_utc(now_ms);
    let mut queued = 0;
    for (a, starts_at) in storage
        .reminders_due(&now, &rfc3339_utc(now_ms + window_ms))
        .await?
    {
        let site = config.site(&a.site);
        let appointments = site.and_then(|s| s.appointments.as_ref());
        // Booked within the window: the confirmation has just said it all.
        let booked_late = match (
            varco_core::consent::parse_rfc3339_ms(&a.created_at),
            varco_core::consent::parse_rfc3339_ms(&starts_at),
        ) {
            (Some(created), Some(starts)) => starts - created < window_ms,
            _ => true,
        };
        let mail = match (site, appointments, booked_late) {
            (Some(site), Some(appointments), false) => {
                mails.compose(site, appointments, &a, &BookingMailKind::Reminder, now_ms)
            }
            _ => None,
        };
        if storage
            .queue_reminder(&a.site, &a.code, &now, now_ms, mail.as_ref())
            .await?
            && mail.is_some()
        {
            queued += 1;
        }
    }
    Ok(queued)
}
