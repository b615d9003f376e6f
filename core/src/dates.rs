//! Every date and time a visitor reads, in the visitor's language, on the
//! Italian wall clock (Europe/Rome), whatever the browser's own time zone.
//!
//! - Italian: «4 dicembre 2026», «venerdì 4 dicembre 2026», «04/12/2026»,
//!   «venerdì 4 dicembre 2026 alle 09:30».
//! - English: «4 December 2026», «Friday 4 December 2026», and the same long
//!   form where Italian has the short one (a numeric date reads as a different
//!   day to an American and a British reader), «Friday 4 December 2026 at
//!   09:30».
//! - Times always with two-digit hours, «09:30», as the booking slots are
//!   written.
//!
//! Instants arrive as RFC 3339 text or UNIX milliseconds and are turned into
//! Italian local time with [`crate::booking::rome_local`] (summer time
//! included), so that a choice made at 00:30 in Rome is shown on the day it
//! was made there, not on the UTC day before.

use crate::booking::{format_hhmm, parse_hhmm, rome_local, weekday_name, Date};
use crate::consent::parse_rfc3339_ms;
use crate::lang::Lang;

const MONTHS_IT: [&str; 12] = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// How much of a date is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    /// «04/12/2026»; English «4 December 2026».
    Short,
    /// «4 dicembre 2026», «4 December 2026».
    Long,
    /// «venerdì 4 dicembre 2026», «Friday 4 December 2026».
    Weekday,
}

/// The name of a month (1 = January) in the visitor's language, lowercase in
/// Italian as Italian writes it.
pub fn month_name(lang: Lang, month: u8) -> &'static str {
    let i = usize::from(month.clamp(1, 12) - 1);
    match lang {
        Lang::It => MONTHS_IT[i],
        Lang::En => MONTHS_EN[i],
    }
}

/// «4 dicembre 2026», «4 December 2026». A day that does not exist is
/// written as given rather than hidden: callers pass real dates.
pub fn long_date(lang: Lang, year: i32, month: u8, day: u8) -> String {
    format!("{day} {} {year}", month_name(lang, month))
}

/// «venerdì 4 dicembre 2026», «Friday 4 December 2026».
pub fn weekday_date(lang: Lang, date: Date) -> String {
    format!(
        "{} {}",
        weekday_name(date.weekday(), lang),
        long_date(lang, date.year, date.month, date.day)
    )
}

/// «04/12/2026» in Italian; in English the long form «4 December 2026».
pub fn short_date(lang: Lang, date: Date) -> String {
    match lang {
        Lang::It => format!("{:02}/{:02}/{:04}", date.day, date.month, date.year),
        Lang::En => long_date(lang, date.year, date.month, date.day),
    }
}

/// A date in the given style.
pub fn format_date(lang: Lang, date: Date, style: DateStyle) -> String {
    match style {
        DateStyle::Short => short_date(lang, date),
        DateStyle::Long => long_date(lang, date.year, date.month, date.day),
        DateStyle::Weekday => weekday_date(lang, date),
    }
}

/// A time of day from minutes since midnight: «09:30» (1440 is «24:00»).
pub fn time_of_day(minute: u16) -> String {
    format_hhmm(minute)
}

/// «dalle 09:30 alle 09:50», «from 09:30 to 09:50».
pub fn time_range(lang: Lang, start: u16, end: u16) -> String {
    let (start, end) = (time_of_day(start), time_of_day(end));
    match lang {
        Lang::It => format!("dalle {start} alle {end}"),
        Lang::En => format!("from {start} to {end}"),
    }
}

/// A `HH:MM` text (as the booking API sends times) written as every time
/// is: «9:30» becomes «09:30»; the text unchanged if it is not a time.
pub fn format_hhmm_text(hhmm: &str) -> String {
    let normalised = match hhmm.split_once(':') {
        Some((h, m)) if h.len() == 1 => format!("0{h}:{m}"),
        _ => hhmm.to_owned(),
    };
    parse_hhmm(&normalised).map_or_else(|| hhmm.to_owned(), time_of_day)
}

/// «venerdì 4 dicembre 2026 alle 09:30», «Friday 4 December 2026 at 09:30».
pub fn format_datetime(lang: Lang, date: Date, minute: u16) -> String {
    let word = match lang {
        Lang::It => "alle",
        Lang::En => "at",
    };
    format!(
        "{} {word} {}",
        weekday_date(lang, date),
        time_of_day(minute)
    )
}

/// The Italian wall-clock date and minute of an RFC 3339 instant; `None` if
/// the text is not one.
pub fn rome_date_time(rfc3339: &str) -> Option<(Date, u16)> {
    parse_rfc3339_ms(rfc3339).map(rome_local)
}

/// The date of an instant, in Rome, in the given style.
pub fn format_date_rome_ms(lang: Lang, utc_ms: i64, style: DateStyle) -> String {
    format_date(lang, rome_local(utc_ms).0, style)
}

/// The date of an RFC 3339 instant, in Rome, in the given style; `None` if
/// the text is not an RFC 3339 date-time.
pub fn format_date_rome(lang: Lang, rfc3339: &str, style: DateStyle) -> Option<String> {
    parse_rfc3339_ms(rfc3339).map(|ms| format_date_rome_ms(lang, ms, style))
}

/// Day and time of an instant in Rome: «venerdì 4 dicembre 2026 alle 09:30».
pub fn format_datetime_rome_ms(lang: Lang, utc_ms: i64) -> String {
    let (date, minute) = rome_local(utc_ms);
    format_datetime(lang, date, minute)
}

/// Day and time of an RFC 3339 instant in Rome; `None` if the text is not
/// one.
pub fn format_datetime_rome(lang: Lang, rfc3339: &str) -> Option<String> {
    parse_rfc3339_ms(rfc3339).map(|ms| format_datetime_rome_ms(lang, ms))
}

/// A calendar day written `YYYY-MM-DD` (as the booking API sends it), in the
/// given style; the text unchanged if it is not one (never an empty cell).
pub fn format_iso_day(lang: Lang, iso: &str, style: DateStyle) -> String {
    Date::parse(iso).map_or_else(|| iso.to_owned(), |d| format_date(lang, d, style))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u8, d: u8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    #[test]
    fn italian_dates_in_each_style() {
        let d = date(2026, 12, 4);
        assert_eq!(long_date(Lang::It, 2026, 12, 4), "4 dicembre 2026");
        assert_eq!(weekday_date(Lang::It, d), "venerdì 4 dicembre 2026");
        assert_eq!(short_date(Lang::It, d), "04/12/2026");
        assert_eq!(
            format_date(Lang::It, date(2027, 1, 1), DateStyle::Weekday),
            "venerdì 1 gennaio 2027"
        );
        assert_eq!(
            format_datetime(Lang::It, d, 9 * 60 + 30),
            "venerdì 4 dicembre 2026 alle 09:30"
        );
    }

    #[test]
    fn english_dates_in_each_style() {
        let d = date(2026, 12, 4);
        assert_eq!(long_date(Lang::En, 2026, 12, 4), "4 December 2026");
        assert_eq!(weekday_date(Lang::En, d), "Friday 4 December 2026");
        assert_eq!(short_date(Lang::En, d), "4 December 2026");
        assert_eq!(
            format_datetime(Lang::En, d, 14 * 60 + 5),
            "Friday 4 December 2026 at 14:05"
        );
    }

    #[test]
    fn every_month_has_its_name() {
        let it: Vec<_> = (1..=12).map(|m| month_name(Lang::It, m)).collect();
        assert_eq!(it[0], "gennaio");
        assert_eq!(it[7], "agosto");
        assert_eq!(it[11], "dicembre");
        assert_eq!(month_name(Lang::En, 5), "May");
    }

    #[test]
    fn times_have_two_digit_hours() {
        assert_eq!(time_of_day(9 * 60 + 30), "09:30");
        assert_eq!(time_of_day(0), "00:00");
        assert_eq!(time_of_day(23 * 60 + 59), "23:59");
    }

    #[test]
    fn time_ranges_and_times_sent_as_text() {
        assert_eq!(
            time_range(Lang::It, 9 * 60 + 30, 9 * 60 + 50),
            "dalle 09:30 alle 09:50"
        );
        assert_eq!(
            time_range(Lang::En, 14 * 60, 14 * 60 + 20),
            "from 14:00 to 14:20"
        );
        assert_eq!(format_hhmm_text("9:30"), "09:30");
        assert_eq!(format_hhmm_text("09:30"), "09:30");
        assert_eq!(format_hhmm_text("25:00"), "25:00");
        assert_eq!(format_hhmm_text("è:0"), "è:0");
    }

    #[test]
    fn an_instant_is_shown_on_the_rome_calendar_not_the_utc_one() {
        // 23:30 UTC on 3 December is 00:30 on 4 December in Rome (winter).
        assert_eq!(
            format_date_rome(Lang::It, "2026-12-03T23:30:00Z", DateStyle::Short).as_deref(),
            Some("04/12/2026")
        );
        assert_eq!(
            format_datetime_rome(Lang::It, "2026-12-03T23:30:00.000Z").as_deref(),
            Some("venerdì 4 dicembre 2026 alle 00:30")
        );
        // 22:30 UTC on 30 June is 00:30 on 1 July in Rome (summer time).
        assert_eq!(
            format_date_rome(Lang::En, "2026-06-30T22:30:00Z", DateStyle::Long).as_deref(),
            Some("1 July 2026")
        );
        // An offset in the text is honoured.
        assert_eq!(
            format_datetime_rome(Lang::En, "2026-12-04T09:30:00+01:00").as_deref(),
            Some("Friday 4 December 2026 at 09:30")
        );
    }

    #[test]
    fn the_changes_of_summer_time_move_the_clock_by_an_hour() {
        // 29 March 2026: at 01:00 UTC clocks go from 02:00 to 03:00.
        assert_eq!(
            format_datetime_rome(Lang::It, "2026-03-29T00:59:00Z").as_deref(),
            Some("domenica 29 marzo 2026 alle 01:59")
        );
        assert_eq!(
            format_datetime_rome(Lang::It, "2026-03-29T01:00:00Z").as_deref(),
            Some("domenica 29 marzo 2026 alle 03:00")
        );
        // 25 October 2026: at 01:00 UTC clocks go from 03:00 back to 02:00.
        assert_eq!(
            format_datetime_rome(Lang::It, "2026-10-25T00:59:00Z").as_deref(),
            Some("domenica 25 ottobre 2026 alle 02:59")
        );
        assert_eq!(
            format_datetime_rome(Lang::It, "2026-10-25T01:00:00Z").as_deref(),
            Some("domenica 25 ottobre 2026 alle 02:00")
        );
        // The evening before the spring change is still winter time: the
        // date flips at 23:00 UTC.
        assert_eq!(
            format_date_rome(Lang::It, "2026-03-28T23:00:00Z", DateStyle::Short).as_deref(),
            Some("29/03/2026")
        );
        // And the evening after it is summer time: at 22:00 UTC.
        assert_eq!(
            format_date_rome(Lang::It, "2026-03-29T22:00:00Z", DateStyle::Short).as_deref(),
            Some("30/03/2026")
        );
        assert_eq!(
            format_date_rome(Lang::It, "2026-03-29T21:59:59Z", DateStyle::Short).as_deref(),
            Some("29/03/2026")
        );
    }

    #[test]
    fn what_is_not_a_date_is_refused_or_kept_as_given() {
        assert_eq!(format_date_rome(Lang::It, "ieri", DateStyle::Long), None);
        assert_eq!(format_datetime_rome(Lang::En, "2026-02-30T10:00:00Z"), None);
        assert_eq!(format_datetime_rome(Lang::It, "2026-12-04"), None);
        assert_eq!(
            format_iso_day(Lang::It, "2026-12-04", DateStyle::Weekday),
            "venerdì 4 dicembre 2026"
        );
        assert_eq!(
            format_iso_day(Lang::It, "2026-12-04", DateStyle::Short),
            "04/12/2026"
        );
        assert_eq!(format_iso_day(Lang::En, "4/12", DateStyle::Long), "4/12");
    }

    #[test]
    fn a_leap_day_is_written_like_any_other() {
        assert_eq!(
            format_iso_day(Lang::En, "2028-02-29", DateStyle::Weekday),
            "Tuesday 29 February 2028"
        );
        assert_eq!(
            format_date_rome(Lang::It, "2028-02-28T23:00:00Z", DateStyle::Long).as_deref(),
            Some("29 febbraio 2028")
        );
    }
}
