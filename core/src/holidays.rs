//! The days an Italian public office is closed without anyone listing
//! them: the national holidays (legge 27 maggio 1949, n. 260, as amended;
//! San Francesco d'Assisi, 4 October, again from 2026 by legge 3 ottobre
//! 2025, n. 151) and the patron day of the office's comune.
//!
//! An office's own closures (a strike, a move, the days between two
//! holidays) are still listed in the configuration; these rules only
//! spare the webmaster from typing, every year, what the law already says.

use crate::booking::Date;

/// The Sunday of Easter of `year` (Gregorian calendar): the anonymous
/// algorithm of Meeus, Jones and Butcher, exact for every year from 1583.
pub fn easter_sunday(year: i32) -> Date {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::new(year, month as u8, day as u8).expect("the computus gives a date in March or April")
}

/// The national holiday falling on `date`, by its Italian name.
pub fn national_holiday(date: Date) -> Option<&'static str> {
    let fixed = match (date.month, date.day) {
        (1, 1) => Some("Capodanno"),
        (1, 6) => Some("Epifania"),
        (4, 25) => Some("Festa della Liberazione"),
        (5, 1) => Some("Festa del Lavoro"),
        (6, 2) => Some("Festa della Repubblica"),
        (8, 15) => Some("Assunzione (Ferragosto)"),
        (10, 4) if date.year >= 2026 => Some("San Francesco d'Assisi"),
        (11, 1) => Some("Ognissanti"),
        (12, 8) => Some("Immacolata Concezione"),
        (12, 25) => Some("Natale"),
        (12, 26) => Some("Santo Stefano"),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    let easter = easter_sunday(date.year);
    if date == easter {
        Some("Pasqua")
    } else if date == easter.add_days(1) {
        Some("Lunedì dell'Angelo")
    } else {
        None
    }
}

/// A day of the year, the same every year (a patron day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearlyDay {
    pub month: u8,
    pub day: u8,
}

impl YearlyDay {
    /// Parses `MM-DD` (`12-07`); `None` for anything else or a day no year
    /// has (29 February counts: leap years have it).
    pub fn parse(s: &str) -> Option<YearlyDay> {
        let b = s.as_bytes();
        if b.len() != 5
            || b[2] != b'-'
            || !s[..2]
                .bytes()
                .chain(s[3..].bytes())
                .all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let (month, day) = (s[..2].parse().ok()?, s[3..].parse().ok()?);
        Date::new(2024, month, day)?;
        Some(YearlyDay { month, day })
    }

    pub fn falls_on(self, date: Date) -> bool {
        date.month == self.month && date.day == self.day
    }
}

/// The patron days of the comuni Varco knows, by name as written in an
/// address: every regional capital and the capoluoghi of Lombardy, where
/// the first Camere di commercio to use Varco are. A comune not listed
/// sets its own in the configuration.
const PATRON_DAYS: &[(&str, u8, u8, &str)] = &[
    ("Bari", 12, 6, "San Nicola"),
    ("Bergamo", 8, 26, "Sant'Alessandro"),
    ("Bologna", 10, 4, "San Petronio"),
    ("Brescia", 2, 15, "Santi Faustino e Giovita"),
    ("Cagliari", 10, 30, "San Saturnino"),
    ("Como", 8, 31, "Sant'Abbondio"),
    ("Cremona", 11, 13, "Sant'Omobono"),
    ("Firenze", 6, 24, "San Giovanni Battista"),
    ("Genova", 6, 24, "San Giovanni Battista"),
    ("Lecco", 12, 6, "San Nicolò"),
    ("Lodi", 1, 19, "San Bassiano"),
    ("Mantova", 3, 18, "Sant'Anselmo"),
    ("Milano", 12, 7, "Sant'Ambrogio"),
    ("Monza", 6, 24, "San Giovanni Battista"),
    ("Napoli", 9, 19, "San Gennaro"),
    ("Padova", 6, 13, "Sant'Antonio"),
    ("Palermo", 7, 15, "Santa Rosalia"),
    ("Pavia", 12, 9, "San Siro"),
    ("Perugia", 1, 29, "San Costanzo"),
    ("Roma", 6, 29, "Santi Pietro e Paolo"),
    ("Sondrio", 6, 19, "Santi Gervasio e Protasio"),
    ("Torino", 6, 24, "San Giovanni Battista"),
    ("Trento", 6, 26, "San Vigilio"),
    ("Trieste", 11, 3, "San Giusto"),
    ("Varese", 5, 8, "San Vittore"),
    ("Venezia", 4, 25, "San Marco"),
];

/// The patron day of `comune` (its name, any case), if Varco knows it.
pub fn patron_day(comune: &str) -> Option<(YearlyDay, &'static str)> {
    let comune = comune.trim();
    PATRON_DAYS
        .iter()
        .find(|(name, ..)| name.eq_ignore_ascii_case(comune))
        .map(|&(_, month, day, saint)| (YearlyDay { month, day }, saint))
}

/// The comune of an Italian postal address: what follows its five-digit
/// CAP, without a province in brackets (`Via Meravigli 9/b, 20123 Milano`
/// gives `Milano`; `Piazza Duomo 1, 26100 Cremona (CR)` gives `Cremona`).
pub fn comune_of_address(address: &str) -> Option<&str> {
    let bytes = address.as_bytes();
    let mut at = None;
    for i in 0..bytes.len().saturating_sub(4) {
        let five = &bytes[i..i + 5];
        let starts = i == 0 || !bytes[i - 1].is_ascii_digit();
        let ends = bytes.get(i + 5).is_none_or(|b| !b.is_ascii_digit());
        if starts && ends && five.iter().all(u8::is_ascii_digit) {
            at = Some(i + 5);
        }
    }
    let rest = address[at?..].trim();
    let rest = match rest.find('(') {
        Some(i) => rest[..i].trim(),
        None => rest,
    };
    let rest = rest.trim_end_matches([',', '.', ' ']);
    (!rest.is_empty()).then_some(rest)
}

/// What closes an office by the calendar, beyond the days it lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Calendar {
    /// Open on national holidays too (a demo that must be tried any day);
    /// a real office never is.
    pub open_on_holidays: bool,
    /// The patron day of the office's comune, closed every year.
    pub patron_day: Option<YearlyDay>,
}

impl Calendar {
    /// Whether the office is closed on `date` by law or custom.
    pub fn closes(&self, date: Date) -> bool {
        (!self.open_on_holidays && national_holiday(date).is_some())
            || self.patron_day.is_some_and(|p| p.falls_on(date))
    }

    /// The first day from `date` on that this calendar leaves open (at
    /// most a few days on: no more than two holidays ever follow one
    /// another, three with a patron day beside them).
    pub fn first_open_from(&self, date: Date) -> Date {
        let mut day = date;
        while self.closes(day) {
            day = day.add_days(1);
        }
        day
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn easter_falls_where_the_church_calendar_puts_it() {
        for (year, easter) in [
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2028, "2028-04-16"),
            (2038, "2038-04-25"),
            (2285, "2285-03-22"),
        ] {
            assert_eq!(easter_sunday(year), date(easter), "{year}");
        }
    }

    #[test]
    fn the_national_holidays_of_2027_are_closed_and_nothing_else() {
        let holidays = [
            "2027-01-01",
            "2027-01-06",
            "2027-03-28",
            "2027-03-29",
            "2027-04-25",
            "2027-05-01",
            "2027-06-02",
            "2027-08-15",
            "2027-10-04",
            "2027-11-01",
            "2027-12-08",
            "2027-12-25",
            "2027-12-26",
        ];
        let mut day = date("2027-01-01");
        let mut found = Vec::new();
        while day.year == 2027 {
            if national_holiday(day).is_some() {
                found.push(format!("{:04}-{:02}-{:02}", day.year, day.month, day.day));
            }
            day = day.add_days(1);
        }
        assert_eq!(found, holidays);
        assert_eq!(
            national_holiday(date("2027-03-29")),
            Some("Lunedì dell'Angelo")
        );
    }

    #[test]
    fn san_francesco_is_a_holiday_from_2026_only() {
        assert!(national_holiday(date("2025-10-04")).is_none());
        assert_eq!(
            national_holiday(date("2026-10-04")),
            Some("San Francesco d'Assisi")
        );
    }

    #[test]
    fn an_offices_patron_day_comes_from_its_address() {
        let milano = comune_of_address("Via Meravigli 9/b, 20123 Milano").unwrap();
        assert_eq!(milano, "Milano");
        let (day, saint) = patron_day(milano).unwrap();
        assert_eq!((day.month, day.day, saint), (12, 7, "Sant'Ambrogio"));
        let office = Calendar {
            patron_day: Some(day),
            ..Calendar::default()
        };
        assert!(office.closes(date("2026-12-07")), "Sant'Ambrogio");
        assert!(office.closes(date("2026-12-08")), "Immacolata");
        assert!(!office.closes(date("2026-12-09")));
        let demo = Calendar {
            open_on_holidays: true,
            patron_day: None,
        };
        assert!(!demo.closes(date("2026-12-08")));
        assert_eq!(
            comune_of_address("Piazza Stradivari 5, 26100 Cremona (CR)"),
            Some("Cremona")
        );
        assert_eq!(
            comune_of_address("Via Haussmann 11/15, 26900 Lodi"),
            Some("Lodi")
        );
        assert_eq!(
            patron_day("MONZA").map(|(d, _)| (d.month, d.day)),
            Some((6, 24))
        );
        // A house number of five digits is not a CAP when a CAP follows.
        assert_eq!(
            comune_of_address("Via Lunga 12345, 00184 Roma"),
            Some("Roma")
        );
        assert_eq!(comune_of_address("Sportello al piano terra"), None);
        assert_eq!(patron_day("Calvatone"), None);
    }

    #[test]
    fn the_first_open_day_skips_christmas_and_santo_stefano() {
        let calendar = Calendar::default();
        assert_eq!(
            calendar.first_open_from(date("2026-12-25")),
            date("2026-12-27")
        );
        assert_eq!(
            calendar.first_open_from(date("2026-12-23")),
            date("2026-12-23")
        );
    }

    #[test]
    fn a_yearly_day_is_month_and_day_and_exists_in_some_year() {
        assert_eq!(
            YearlyDay::parse("12-07"),
            Some(YearlyDay { month: 12, day: 7 })
        );
        assert!(YearlyDay::parse("02-29").is_some());
        for bad in ["02-30", "13-01", "7-12", "12/07", "", "12-07-2026"] {
            assert_eq!(YearlyDay::parse(bad), None, "{bad}");
        }
    }
}
