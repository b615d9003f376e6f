//! E-mail: messages are composed when something happens (a booking, a
//! change), stored whole in the outbox in the same transaction, and sent by
//! a background task that retries with backoff. A booking never waits for
//! the SMTP server, a mail server that is down delays the e-mails and loses
//! none, and a restart sends what was waiting. With several instances,
//! each message is claimed by one of them at a time.
//!
//! Log lines name the site and the kind of message, never the recipient
//! or what the SMTP server answered (which may quote the address).

use crate::config::mail::{MailConfig, MailSecurity};
use crate::storage::{ClaimedMail, QueuedMail, Storage};
use anyhow::Context;
use lettre::address::Envelope;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use varco_core::booking_mail::MailContent;

/// Messages claimed per round.
const BATCH: u32 = 20;
/// The longest wait between two retries.
const MAX_DELAY_MS: i64 = 3_600_000;

/// A file attached to a message.
pub struct MailAttachment<'a> {
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub body: String,
}

/// Composes messages and hands them to the SMTP server.
pub struct Mailer {
    config: MailConfig,
    from: Mailbox,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// Told when a message is queued here, so it goes at once.
    wake: Notify,
}

impl Mailer {
    /// The SMTP client of `config` (nothing is connected yet).
    pub fn new(config: &MailConfig) -> anyhow::Result<Mailer> {
        let from: Mailbox = config
            .from
            .parse()
            .with_context(|| format!("mail.from: {:?}", config.from))?;
        let builder = match config.security {
            MailSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
                    .with_context(|| format!("mail.host: {:?}", config.host))?
            }
            MailSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)
                .with_context(|| format!("mail.host: {:?}", config.host))?,
            MailSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            }
        };
        let mut builder = builder
            .port(config.port())
            .timeout(Some(Duration::from_secs(config.timeout_seconds)));
        if let (Some(user), Some(password)) = (&config.username, config.password()?) {
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Mailer {
            config: config.clone(),
            from,
            transport: builder.build(),
            wake: Notify::new(),
        })
    }

    pub fn config(&self) -> &MailConfig {
        &self.config
    }

    /// A message to `to` with `content` (plain text and HTML) and an
    /// optional attachment, ready for the outbox.
    pub fn compose(
        &self,
        site: &str,
        kind: &str,
        booking_code: Option<&str>,
        to: &str,
        content: &MailContent,
        attachment: Option<MailAttachment<'_>>,
    ) -> anyhow::Result<QueuedMail> {
        self.compose_replying_to(site, kind, booking_code, to, content, attachment, None)
    }

    /// [`Mailer::compose`], with the address a reply goes to (an office's
    /// own, when the sender is a no-reply address).
    #[allow(clippy::too_many_arguments)]
    pub fn compose_replying_to(
        &self,
        site: &str,
        kind: &str,
        booking_code: Option<&str>,
        to: &str,
        content: &MailContent,
        attachment: Option<MailAttachment<'_>>,
        reply_to: Option<&str>,
    ) -> anyhow::Result<QueuedMail> {
        let recipient: Mailbox = to.parse().context("the recipient's address")?;
        let domain = self.from.email.domain().to_owned();
        let alternative =
            MultiPart::alternative_plain_html(content.text.clone(), content.html.clone());
        let mut builder = Message::builder().from(self.from.clone()).to(recipient);
        if let Some(reply_to) = reply_to {
            builder = builder.reply_to(reply_to.parse().context("the reply-to address")?);
        }
        let builder = builder
            .subject(content.subject.clone())
            .message_id(Some(format!(
                "<{}@{domain}>",
                uuid::Uuid::new_v4().simple()
            )));
        let message = match attachment {
            None => builder.multipart(alternative)?,
            Some(a) => builder.multipart(
                MultiPart::mixed().multipart(alternative).singlepart(
                    Attachment::new(a.file_name.to_owned())
                        .body(a.body, ContentType::parse(a.content_type)?),
                ),
            )?,
        };
        Ok(QueuedMail {
            site: site.to_owned(),
            kind: kind.to_owned(),
            booking_code: booking_code.map(str::to_owned),
            recipient: to.to_owned(),
            message: message.formatted(),
        })
    }

    /// Says that a message was queued: the sender goes now.
    pub fn queued(&self) {
        self.wake.notify_one();
    }

    async fn send(&self, mail: &ClaimedMail) -> Result<(), SendError> {
        let to = mail
            .recipient
            .parse()
            .map_err(|_| SendError::Permanent("the recipient's address is not valid".into()))?;
        let envelope = Envelope::new(Some(self.from.email.clone()), vec![to])
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        match self.transport.send_raw(&envelope, &mail.message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }
}

enum SendError {
    /// The server refused it for good (5xx): trying again cannot help.
    Permanent(String),
    /// Down, slow, or "try later" (4xx).
    Transient(String),
}

/// When to try again after the `attempts`-th failure at `now_ms`: the first
/// retry after `first_seconds`, each next one twice as late, at most an
/// hour apart; `None` once that would pass `give_up_after_ms` from the
/// message's creation.
pub fn next_attempt_ms(
    attempts: i64,
    first_seconds: u64,
    created_ms: i64,
    now_ms: i64,
    give_up_after_ms: i64,
) -> Option<i64> {
    let first = i64::try_from(first_seconds).unwrap_or(i64::MAX / 2) * 1000;
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let delay = first.saturating_mul(1 << doublings).min(MAX_DELAY_MS);
    let next = now_ms.saturating_add(delay);
    (next - created_ms <= give_up_after_ms).then_some(next)
}

/// Sends what the outbox holds, for as long as the server runs: at once
/// when this instance queues a message, else every few seconds (what
/// another instance queued, what is due for a retry).
pub fn spawn_sender(storage: Storage, mailer: Arc<Mailer>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let poll = Duration::from_secs(mailer.config.retry_first_seconds.clamp(1, 5));
        loop {
            if let Err(e) = send_due(&storage, &mailer).await {
                tracing::warn!(error = %format!("{e:#}"), "mail: the outbox cannot be read; trying again");
            }
            tokio::select! {
                _ = mailer.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
    })
}

/// One round: claims the messages due and tries each once.
pub async fn send_due(storage: &Storage, mailer: &Mailer) -> anyhow::Result<()> {
    let give_up_ms = i64::try_from(mailer.config.give_up_after_hours).unwrap_or(336) * 3_600_000;
    // Held long enough for a batch of slow conversations.
    let hold_ms = i64::try_from(mailer.config.timeout_seconds).unwrap_or(300) * 1000 * 4;
    loop {
        let now = crate::api::now_ms();
        let batch = storage.claim_mail(now, BATCH, hold_ms).await?;
        if batch.is_empty() {
            return Ok(());
        }
        let mut all_failed = true;
        for mail in &batch {
            match mailer.send(mail).await {
                Ok(()) => {
                    all_failed = false;
                    storage.mail_sent(mail.id).await?;
                    crate::metrics::mail_attempt("sent");
                    tracing::info!(site = %mail.site, kind = %mail.kind, "mail: sent");
                }
                Err(error) => {
                    let attempts = mail.attempts + 1;
                    let now = crate::api::now_ms();
                    let (next, text, permanent) = match error {
                        SendError::Permanent(text) => (None, text, true),
                        SendError::Transient(text) => (
                            next_attempt_ms(
                                attempts,
                                mailer.config.retry_first_seconds,
                                mail.created_ms,
                                now,
                                give_up_ms,
                            ),
                            text,
                            false,
                        ),
                    };
                    storage
                        .mail_failed(mail.id, attempts, next, now, &text)
                        .await?;
                    if next.is_some() {
                        crate::metrics::mail_attempt("retry");
                        tracing::warn!(site = %mail.site, kind = %mail.kind, attempts, "mail: the SMTP server did not take it; it will be tried again");
                    } else {
                        crate::metrics::mail_attempt("given_up");
                        tracing::error!(site = %mail.site, kind = %mail.kind, attempts, permanent, "mail: given up (see mail_outbox.last_error)");
                    }
                }
            }
        }
        if all_failed {
            // The server is down: the others wait for their own retry.
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_up_to_an_hour_and_stop_at_the_limit() {
        let day = 24 * 3_600_000;
        assert_eq!(next_attempt_ms(1, 30, 0, 1_000, day), Some(31_000));
        assert_eq!(next_attempt_ms(2, 30, 0, 1_000, day), Some(61_000));
        assert_eq!(next_attempt_ms(3, 30, 0, 1_000, day), Some(121_000));
        assert_eq!(next_attempt_ms(20, 30, 0, 1_000, day), Some(3_601_000));
        assert_eq!(
            next_attempt_ms(i64::MAX, 30, 0, 1_000, day),
            Some(3_601_000)
        );
        assert_eq!(next_attempt_ms(5, 30, 0, day - 1_000, day), None);
    }
}
