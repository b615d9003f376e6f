//! `[sites.live_chat]`: when the desk answers, checked at load.

use super::hours::{check_hours, intervals, HoursConfig};
use serde::Deserialize;
use varco_core::booking::Date;
use varco_core::live::DeskHours;

/// `[sites.live_chat]`: when operators answer, and where to write instead.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LiveChatConfig {
    /// When the desk answers, Italian time.
    pub hours: Vec<HoursConfig>,
    /// Days nobody answers, `YYYY-MM-DD`.
    #[serde(default)]
    pub closed_dates: Vec<String>,
    /// Offered outside the hours (with booking, if the site takes
    /// appointments).
    #[serde(default)]
    pub email: Option<String>,
    /// The desk answers at any hour, whatever `hours` and `closed_dates`
    /// say: for a demo, so that the live chat can be tried at night.
    #[serde(default)]
    pub always_open: bool,
}

impl LiveChatConfig {
    /// Every problem, each naming its field.
    pub fn check(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.hours.is_empty() {
            errors.push("hours: at least one interval is needed".into());
        }
        errors.extend(check_hours("hours", &self.hours));
        for (i, d) in self.closed_dates.iter().enumerate() {
            if Date::parse(d).is_none() {
                errors.push(format!(
                    "closed_dates[{i}]: {d:?} is not a date (YYYY-MM-DD)"
                ));
            }
        }
        if let Some(e) = &self.email {
            if varco_core::booking::check_email(e).is_err() {
                errors.push(format!("email: {e:?} is not an e-mail address"));
            }
        }
        errors
    }

    pub fn desk(&self) -> DeskHours {
        if self.always_open {
            return DeskHours {
                hours: (0..7).map(|day| (day, 0, 24 * 60)).collect(),
                closed_dates: Vec::new(),
            };
        }
        DeskHours {
            hours: intervals(&self.hours),
            closed_dates: self
                .closed_dates
                .iter()
                .filter_map(|d| Date::parse(d))
                .collect(),
        }
    }
}
