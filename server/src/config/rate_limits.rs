//! `[server.rate_limits]` and `[sites.rate_limits]`: a limit per endpoint
//! class, over the defaults a public service would start with.

use super::Config;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A bucket of `burst` requests, refilled at `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub burst: u32,
    pub per_minute: f64,
}

impl Limit {
    pub const fn new(burst: u32, per_minute: f64) -> Limit {
        Limit { burst, per_minute }
    }

    fn check(&self) -> Result<(), String> {
        if !(1..=1_000_000_000).contains(&self.burst) {
            return Err("burst must be 1 to 1000000000".into());
        }
        if !(self.per_minute.is_finite() && self.per_minute > 0.0 && self.per_minute <= 1e9) {
            return Err("per_minute must be more than 0 (at most 1000000000)".into());
        }
        Ok(())
    }
}

/// Endpoints whose requests share a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// `GET /api/v1/sites/{id}`, `GET /api/v1/sites/{id}/live`
    SiteConfig,
    /// `POST /api/v1/sites/{id}/stale-block`
    StaleBlock,
    /// `POST /api/v1/consents`
    Consents,
    /// `POST /api/v1/threads`
    Threads,
    /// `POST /api/v1/threads/{id}/messages`
    Messages,
    /// `POST /api/v1/threads/{id}/typing`
    Typing,
    /// `POST /api/v1/threads/{id}/handoff`
    Handoff,
    /// `POST /api/v1/threads/{id}/leave-message`
    LeaveMessage,
    /// `POST /api/v1/threads/{id}/end`, `DELETE /api/v1/threads/{id}`
    ThreadEnd,
    /// `POST /api/v1/threads/{id}/feedback`, `POST /api/v1/appointments/feedback`
    Feedback,
    /// `GET /api/v1/threads/{id}/events` (each stream opened), and
    /// `GET /api/v1/threads/{id}/messages` (the same stored events, once)
    Events,
    /// `POST /api/v1/navigation`
    Navigation,
    /// `DELETE /api/v1/users/{user_id}`
    UserDeletion,
    /// `GET /api/v1/recommendations`
    Recommendations,
    /// `GET /api/v1/appointments/options`, `GET /api/v1/appointments/slots`
    AppointmentReads,
    /// `POST /api/v1/appointments`
    Booking,
    /// `POST /api/v1/appointments/{code}/cancel`
    Cancellation,
    /// `POST /operator/api/login`, per client.
    Login,
    /// `POST /operator/api/login`, per username, whichever client tries it.
    LoginUsername,
    /// `POST /operator/api/kb/{check,try,publish,revert}`: each reads the
    /// whole knowledge base again.
    KbDrafts,
}

const CLASSES: usize = 20;

impl Class {
    pub const ALL: [Class; CLASSES] = [
        Class::SiteConfig,
        Class::StaleBlock,
        Class::Consents,
        Class::Threads,
        Class::Messages,
        Class::Typing,
        Class::Handoff,
        Class::LeaveMessage,
        Class::ThreadEnd,
        Class::Feedback,
        Class::Events,
        Class::Navigation,
        Class::UserDeletion,
        Class::Recommendations,
        Class::AppointmentReads,
        Class::Booking,
        Class::Cancellation,
        Class::Login,
        Class::LoginUsername,
        Class::KbDrafts,
    ];

    /// Its key in `[server.rate_limits]` and `[sites.rate_limits]`.
    pub fn name(self) -> &'static str {
        match self {
            Class::SiteConfig => "site_config",
            Class::StaleBlock => "stale_block",
            Class::Consents => "consents",
            Class::Threads => "threads",
            Class::Messages => "messages",
            Class::Typing => "typing",
            Class::Handoff => "handoff",
            Class::LeaveMessage => "leave_message",
            Class::ThreadEnd => "thread_end",
            Class::Feedback => "feedback",
            Class::Events => "events",
            Class::Navigation => "navigation",
            Class::UserDeletion => "user_deletion",
            Class::Recommendations => "recommendations",
            Class::AppointmentReads => "appointment_reads",
            Class::Booking => "booking",
            Class::Cancellation => "cancellation",
            Class::Login => "login",
            Class::LoginUsername => "login_username",
            Class::KbDrafts => "kb_drafts",
        }
    }

    pub(crate) fn index(self) -> usize {
        Class::ALL.iter().position(|c| *c == self).unwrap_or(0)
    }

    /// What a public service would start with: a page view of the widget
    /// reads its site's configuration and recommendations and uploads one
    /// navigation batch, and an office may put many visitors behind one
    /// address, so reads are generous; writes that cost or that someone
    /// could drain (threads, bookings, cancellations by code, logins) are
    /// not.
    pub fn default_limit(self) -> Limit {
        match self {
            Class::SiteConfig => Limit::new(60, 60.0),
            // One report per page view of a page whose block is stale.
            Class::StaleBlock => Limit::new(10, 10.0),
            Class::Consents => Limit::new(20, 10.0),
            Class::Threads => Limit::new(20, 10.0),
            // The limit the assistant always had: 20 a minute, bursts of 10.
            Class::Messages => Limit::new(10, 20.0),
            // The widget sends "typing" at most every 3 s.
            Class::Typing => Limit::new(30, 40.0),
            Class::Handoff => Limit::new(5, 5.0),
            // One message per conversation is kept; a few tries to get the
            // form right.
            Class::LeaveMessage => Limit::new(10, 5.0),
            Class::ThreadEnd => Limit::new(10, 10.0),
            // One click per answer a visitor reads, and a reason now and then.
            Class::Feedback => Limit::new(20, 20.0),
            // Each page view of a visitor in a conversation opens its
            // stream, and a dropped stream reconnects.
            Class::Events => Limit::new(30, 30.0),
            Class::Navigation => Limit::new(60, 60.0),
            Class::UserDeletion => Limit::new(10, 10.0),
            Class::Recommendations => Limit::new(60, 60.0),
            Class::AppointmentReads => Limit::new(60, 60.0),
            Class::Booking => Limit::new(10, 2.0),
            Class::Cancellation => Limit::new(5, 2.0),
            Class::Login => Limit::new(5, 10.0),
            // After ten wrong tries on one account, one a minute: guessing
            // a password takes forever, and its owner still gets in.
            Class::LoginUsername => Limit::new(10, 1.0),
            // A webmaster checks and tries a draft a few times a minute.
            Class::KbDrafts => Limit::new(20, 30.0),
        }
    }

    /// Logins and the console's drafts are the console's, not a site's.
    pub(crate) fn server_wide(self) -> bool {
        matches!(self, Class::Login | Class::LoginUsername | Class::KbDrafts)
    }
}

/// Problems of a `rate_limits` table, each naming its key (`site`: a
/// site's table, where logins cannot be set).
pub fn check_table(table: &BTreeMap<String, Limit>, site: bool) -> Vec<String> {
    let mut errors = Vec::new();
    for (name, limit) in table {
        match Class::ALL.iter().find(|c| c.name() == name) {
            None => errors.push(format!(
                "{name}: no such endpoint class (the classes: {})",
                Class::ALL.map(Class::name).join(", ")
            )),
            Some(c) if site && c.server_wide() => errors.push(format!(
                "{name}: the console's limits (logins, knowledge base drafts) are not a site's: set it in [server.rate_limits]"
            )),
            Some(_) => {
                if let Err(e) = limit.check() {
                    errors.push(format!("{name}: {e}"));
                }
            }
        }
    }
    errors
}

/// One limit per class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits([Limit; CLASSES]);

impl Limits {
    pub fn defaults() -> Limits {
        Limits(Class::ALL.map(Class::default_limit))
    }

    /// These limits with the ones `table` sets instead (unknown keys are
    /// left to [`check_table`]).
    pub fn with(&self, table: &BTreeMap<String, Limit>) -> Limits {
        let mut out = *self;
        for class in Class::ALL {
            if let Some(l) = table.get(class.name()) {
                out.0[class.index()] = *l;
            }
        }
        out
    }

    pub fn get(&self, class: Class) -> Limit {
        self.0[class.index()]
    }
}

/// The server's limits: `[server.rate_limits]` over the defaults, with the
/// older `messages_per_minute` (bursts of half as many) if set.
pub fn server_limits(config: &Config) -> Limits {
    let mut table = config.server.rate_limits.clone();
    if let Some(n) = config.server.messages_per_minute {
        table
            .entry(Class::Messages.name().to_owned())
            .or_insert(Limit::new((n / 2).max(1), f64::from(n.max(1))));
    }
    Limits::defaults().with(&table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_name_their_wrong_keys() {
        let table: BTreeMap<String, Limit> = [
            ("threads".to_owned(), Limit::new(0, 1.0)),
            ("messagez".to_owned(), Limit::new(1, 1.0)),
            ("consents".to_owned(), Limit::new(1, f64::NAN)),
            ("login".to_owned(), Limit::new(1, 1.0)),
            ("typing".to_owned(), Limit::new(3, 0.5)),
        ]
        .into();
        let server = check_table(&table, false);
        assert_eq!(server.len(), 3, "{server:?}");
        assert!(server.iter().any(|e| e.starts_with("threads: burst")));
        assert!(server
            .iter()
            .any(|e| e.starts_with("messagez: no such endpoint class")));
        assert!(server.iter().any(|e| e.starts_with("consents: per_minute")));
        let site = check_table(&table, true);
        assert!(site
            .iter()
            .any(|e| e.starts_with("login: the console's limits")));
    }
}
