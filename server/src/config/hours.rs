//! Opening hours, as `[[sites.appointments.offices.hours]]` and
//! `[[sites.live_chat.hours]]` write them.

use serde::Deserialize;
use varco_core::booking::parse_hhmm;

/// Opening hours on some weekdays: `days = ["lun", "mer"]`, `open =
/// "09:00"`, `close = "12:30"`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HoursConfig {
    pub days: Vec<String>,
    pub open: String,
    pub close: String,
}

/// `lun`..`dom` (or `mon`..`sun`) → 0 = Monday .. 6 = Sunday.
fn weekday(name: &str) -> Option<u8> {
    const IT: [&str; 7] = ["lun", "mar", "mer", "gio", "ven", "sab", "dom"];
    const EN: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let name = name.to_ascii_lowercase();
    IT.iter()
        .position(|d| *d == name)
        .or_else(|| EN.iter().position(|d| *d == name))
        .map(|i| i as u8)
}

/// Every problem of a list of opening hours, each naming its entry
/// (`at[j]`).
pub(crate) fn check_hours(at: &str, hours: &[HoursConfig]) -> Vec<String> {
    let mut errors = Vec::new();
    for (j, h) in hours.iter().enumerate() {
        for d in &h.days {
            if weekday(d).is_none() {
                errors.push(format!(
                    "{at}[{j}].days: {d:?} is not a weekday (lun, mar, mer, gio, ven, sab, dom)"
                ));
            }
        }
        match (parse_hhmm(&h.open), parse_closing(&h.close)) {
            (Some(open), Some(close)) if open < close => {}
            (Some(_), Some(_)) => {
                errors.push(format!("{at}[{j}]: `open` must come before `close`"))
            }
            _ => errors.push(format!(
                "{at}[{j}]: `open` and `close` are times written HH:MM"
            )),
        }
    }
    errors
}

/// A closing time: `HH:MM`, or `24:00` for a desk open until midnight.
fn parse_closing(s: &str) -> Option<u16> {
    if s == "24:00" {
        Some(24 * 60)
    } else {
        parse_hhmm(s)
    }
}

/// Checked opening hours as (weekday, opening minute, closing minute).
pub(crate) fn intervals(hours: &[HoursConfig]) -> Vec<(u8, u16, u16)> {
    hours
        .iter()
        .flat_map(|h| {
            let (open, close) = (
                parse_hhmm(&h.open).unwrap_or(0),
                parse_closing(&h.close).unwrap_or(0),
            );
            h.days
                .iter()
                .filter_map(|d| weekday(d))
                .map(move |d| (d, open, close))
        })
        .collect()
}
