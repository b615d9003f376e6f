//! `[sites.live_chat]`: when the desk answers, checked at load.

use super::hours::{check_hours, intervals, HoursConfig};
use serde::Deserialize;
use varco_core::booking::Date;
use varco_core::holidays::{Calendar, YearlyDay};
use varco_core::live::DeskHours;

/// `[sites.live_chat]`: when operators answer, and where to write instead.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LiveChatConfig {
    /// When the desk answers, Italian time.
    pub hours: Vec<HoursConfig>,
    /// Days nobody answers beyond the national holidays (closed without
    /// being listed), `YYYY-MM-DD`.
    #[serde(default)]
    pub closed_dates: Vec<String>,
    /// The patron day of the desk's comune, `MM-DD` (none by default).
    #[serde(default)]
    pub patron_day: Option<String>,
    /// Offered outside the hours (with booking, if the site takes
    /// appointments).
    #[serde(default)]
    pub email: Option<String>,
    /// The desk answers at any hour, whatever `hours` and `closed_dates`
    /// say: for a demo, so that the live chat can be tried at night.
    #[serde(default)]
    pub always_open: bool,
    /// After this long in the queue (seconds) a visitor is offered to leave
    /// a message for the office; 0: never for the wait alone. Needs `[mail]`.
    #[serde(default = "default_max_wait_seconds")]
    pub max_wait_seconds: u32,
}

fn default_max_wait_seconds() -> u32 {
    600
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
        if let Some(day) = &self.patron_day {
            if YearlyDay::parse(day).is_none() {
                errors.push(format!(
                    "patron_day: {day:?} is not a day of the year (MM-DD)"
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
                calendar: Calendar {
                    open_on_holidays: true,
                    patron_day: None,
                },
            };
        }
        DeskHours {
            hours: intervals(&self.hours),
            closed_dates: self
                .closed_dates
                .iter()
                .filter_map(|d| Date::parse(d))
                .collect(),
            calendar: Calendar {
                open_on_holidays: false,
                patron_day: self.patron_day.as_deref().and_then(YearlyDay::parse),
            },
        }
    }
}
