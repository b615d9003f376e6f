//! The webmaster's reports, from the rows the database counts to what the
//! console shows: the period's bounds, Rome days, waits, averages, CSV.
//! Only aggregates and masked texts come in; nothing that names a visitor
//! goes out.

use crate::booking::{rome_local, rome_to_utc_ms, Date};
use crate::consent::parse_rfc3339_ms;
use varco_protocol::reports::{
    BookingRow, CategoryRow, CommentRow, ConsentDay, ConsentReport, LiveChatReport, OfficeLiveRow,
    RatingRow, Report, TopicRow, UnsureQuestion, MAX_REPORT_DAYS,
};
use varco_protocol::SortedMap;

/// A report's days, both included (Rome).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodError {
    /// `from` or `to` is not a `YYYY-MM-DD` date.
    NotADate,
    /// `to` is before `from`.
    Reversed,
    /// Longer than [`MAX_REPORT_DAYS`].
    TooLong,
}

impl PeriodError {
    pub fn message(self) -> &'static str {
        match self {
            PeriodError::NotADate => "`from` and `to` must be dates written YYYY-MM-DD",
            PeriodError::Reversed => "`to` must not be before `from`",
            PeriodError::TooLong => "a report covers at most 366 days",
        }
    }
}

impl Period {
    /// The period of `from` and `to`; without them, the 30 days up to
    /// `today`.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: Date) -> Result<Period, PeriodError> {
        let to = match to {
            Some(s) => Date::parse(s).ok_or(PeriodError::NotADate)?,
            None => today,
        };
        let from = match from {
            Some(s) => Date::parse(s).ok_or(PeriodError::NotADate)?,
            None => to.add_days(-29),
        };
        let days = to.days_from_epoch() - from.days_from_epoch() + 1;
        if days < 1 {
            return Err(PeriodError::Reversed);
        }
        if days > MAX_REPORT_DAYS {
            return Err(PeriodError::TooLong);
        }
        Ok(Period { from, to })
    }

    /// The first instant of `from` and the first after `to`, in UTC ms.
    pub fn bounds_ms(self) -> (i64, i64) {
        (
            rome_to_utc_ms(self.from, 0),
            rome_to_utc_ms(self.to.add_days(1), 0),
        )
    }
}

/// The Rome day of an instant, `YYYY-MM-DD`.
pub fn rome_day(utc_ms: i64) -> String {
    rome_local(utc_ms).0.to_string()
}

/// The Rome day of the UTC hour `YYYY-MM-DDTHH` (the first 13 characters
/// of an RFC 3339 time): whole hours, since Rome's offset is whole hours.
pub fn rome_day_of_utc_hour(hour: &str) -> Option<String> {
    let ms = parse_rfc3339_ms(&format!("{hour}:00:00Z"))?;
    Some(rome_day(ms))
}

/// The value at fraction `p` (0..=1) of sorted values, nearest rank.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// A hand-off as stored: when it was asked, taken and closed, and whether
/// the visitor left a message from the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveChatRow {
    pub office: String,
    pub queued_ms: i64,
    pub taken_ms: Option<i64>,
    pub closed_ms: Option<i64>,
    pub message_left: bool,
}

pub fn live_chat_report(rows: &[LiveChatRow], messages: u64) -> LiveChatReport {
    let wait_s = |r: &LiveChatRow| {
        r.taken_ms
            .map(|t| u64::try_from((t - r.queued_ms).max(0) / 1000).unwrap_or(0))
    };
    let mut waits: Vec<u64> = rows.iter().filter_map(wait_s).collect();
    waits.sort_unstable();
    let mut report = LiveChatReport {
        requested: rows.len() as u64,
        messages,
        median_wait_s: percentile(&waits, 0.5),
        p90_wait_s: percentile(&waits, 0.9),
        ..LiveChatReport::default()
    };
    for r in rows {
        match (r.taken_ms, r.message_left, r.closed_ms) {
            (Some(_), _, _) => report.taken += 1,
            (None, true, _) => report.message_left += 1,
            (None, false, Some(_)) => report.gave_up += 1,
            (None, false, None) => report.waiting += 1,
        }
    }
    let mut offices: Vec<&str> = rows.iter().map(|r| r.office.as_str()).collect();
    offices.sort_unstable();
    offices.dedup();
    report.by_office = offices
        .into_iter()
        .map(|office| {
            let of: Vec<&LiveChatRow> = rows.iter().filter(|r| r.office == office).collect();
            let mut waits: Vec<u64> = of.iter().copied().filter_map(wait_s).collect();
            waits.sort_unstable();
            OfficeLiveRow {
                office: office.to_owned(),
                requested: of.len() as u64,
                taken: of.iter().filter(|r| r.taken_ms.is_some()).count() as u64,
                median_wait_s: percentile(&waits, 0.5),
            }
        })
        .collect();
    report
}

/// Consent decisions counted per UTC hour and action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentCount {
    pub utc_hour: String,
    pub action: String,
    pub count: u64,
}

pub fn consent_report(
    counts: &[ConsentCount],
    granted: &[(String, u64)],
    refused: &[(String, u64)],
    optional_categories: &[String],
) -> ConsentReport {
    let mut actions = SortedMap::new();
    let mut days: SortedMap<SortedMap<u64>> = SortedMap::new();
    for c in counts {
        add(&mut actions, &c.action, c.count);
        let Some(day) = rome_day_of_utc_hour(&c.utc_hour) else {
            continue;
        };
        let mut of_day = days.get(&day).cloned().unwrap_or_default();
        add(&mut of_day, &c.action, c.count);
        days.insert(day, of_day);
    }
    let count_of = |list: &[(String, u64)], id: &str| {
        list.iter()
            .filter(|(c, _)| c == id)
            .map(|(_, n)| *n)
            .sum::<u64>()
    };
    ConsentReport {
        actions,
        by_day: days
            .iter()
            .map(|(day, actions)| ConsentDay {
                day: day.clone(),
                actions: actions.clone(),
            })
            .collect(),
        categories: optional_categories
            .iter()
            .map(|id| CategoryRow {
                category: id.clone(),
                granted: count_of(granted, id),
                refused: count_of(refused, id),
            })
            .collect(),
    }
}

fn add(map: &mut SortedMap<u64>, key: &str, n: u64) {
    let now = map.get(key).copied().unwrap_or(0);
    map.insert(key.to_owned(), now + n);
}

/// Ratings counted per (about, office, rating 1-5).
pub fn rating_rows(counts: &[(String, String, u8, u64)]) -> Vec<RatingRow> {
    let mut rows: Vec<RatingRow> = Vec::new();
    for (about, office, rating, n) in counts {
        let Some(slot) = usize::from(*rating).checked_sub(1).filter(|i| *i < 5) else {
            continue;
        };
        let at = match rows
            .iter()
            .position(|r| &r.about == about && &r.office == office)
        {
            Some(at) => at,
            None => {
                rows.push(RatingRow {
                    about: about.clone(),
                    office: office.clone(),
                    count: 0,
                    average: 0.0,
                    by_rating: [0; 5],
                });
                rows.len() - 1
            }
        };
        rows[at].by_rating[slot] += n;
    }
    for r in &mut rows {
        r.count = r.by_rating.iter().sum();
        let total: u64 = r
            .by_rating
            .iter()
            .zip(1u64..)
            .map(|(n, rating)| n * rating)
            .sum();
        // One decimal, as the console shows it.
        r.average = if r.count == 0 {
            0.0
        } else {
            (total as f64 / r.count as f64 * 10.0).round() / 10.0
        };
    }
    rows.sort_by(|a, b| (&a.about, &a.office).cmp(&(&b.about, &b.office)));
    rows
}

/// Quotes a CSV field when it needs it (RFC 4180); a leading `=`, `+`, `-`
/// or `@` is prefixed with `'` so that a spreadsheet never runs it as a
/// formula.
pub fn csv_field(f: &str) -> String {
    let f = if f.starts_with(['=', '+', '-', '@']) {
        format!("'{f}")
    } else {
        f.to_owned()
    };
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f
    }
}

fn csv<const N: usize>(header: [&str; N], rows: impl Iterator<Item = [String; N]>) -> String {
    let mut out = header.join(",");
    out.push_str("\r\n");
    for row in rows {
        let fields: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The tables a report exports, by name.
pub const CSV_TABLES: [&str; 9] = [
    "topics",
    "reasons",
    "unsure",
    "live_chat",
    "bookings",
    "consents",
    "categories",
    "ratings",
    "comments",
];

/// One table of the report as CSV; `None` for an unknown table.
pub fn report_csv(report: &Report, table: &str) -> Option<String> {
    let opt = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    Some(match table {
        "topics" => csv(
            ["topic", "title", "answers", "helped", "not_helped"],
            report.topics.iter().map(|r: &TopicRow| {
                [
                    r.topic.clone(),
                    r.title.clone(),
                    r.answers.to_string(),
                    r.helped.to_string(),
                    r.not_helped.to_string(),
                ]
            }),
        ),
        "reasons" => csv(
            ["topic", "reason", "count"],
            report
                .reasons
                .iter()
                .map(|r| [r.topic.clone(), r.reason.clone(), r.count.to_string()]),
        ),
        "unsure" => csv(
            ["day", "topic", "question"],
            report
                .unsure
                .iter()
                .map(|q: &UnsureQuestion| [q.day.clone(), q.topic.clone(), q.text.clone()]),
        ),
        "live_chat" => {
            let l = &report.live_chat;
            let all = OfficeLiveRow {
                office: "*".into(),
                requested: l.requested,
                taken: l.taken,
                median_wait_s: l.median_wait_s,
            };
            csv(
                ["office", "requested", "taken", "median_wait_s"],
                std::iter::once(&all).chain(&l.by_office).map(|r| {
                    [
                        r.office.clone(),
                        r.requested.to_string(),
                        r.taken.to_string(),
                        opt(r.median_wait_s),
                    ]
                }),
            )
        }
        "bookings" => csv(
            [
                "service",
                "office",
                "booked",
                "cancelled",
                "attended",
                "no_shows",
            ],
            report.bookings.iter().map(|r: &BookingRow| {
                [
                    r.service.clone(),
                    r.office.clone(),
                    r.booked.to_string(),
                    r.cancelled.to_string(),
                    r.attended.to_string(),
                    r.no_shows.to_string(),
                ]
            }),
        ),
        "consents" => {
            let mut rows = Vec::new();
            for d in &report.consents.by_day {
                for (action, n) in &d.actions {
                    rows.push([d.day.clone(), action.clone(), n.to_string()]);
                }
            }
            csv(["day", "action", "decisions"], rows.into_iter())
        }
        "categories" => csv(
            ["category", "granted", "refused"],
            report.consents.categories.iter().map(|r: &CategoryRow| {
                [
                    r.category.clone(),
                    r.granted.to_string(),
                    r.refused.to_string(),
                ]
            }),
        ),
        "ratings" => csv(
            [
                "about", "office", "count", "average", "r1", "r2", "r3", "r4", "r5",
            ],
            report.ratings.iter().map(|r| {
                [
                    r.about.clone(),
                    r.office.clone(),
                    r.count.to_string(),
                    format!("{:.1}", r.average),
                    r.by_rating[0].to_string(),
                    r.by_rating[1].to_string(),
                    r.by_rating[2].to_string(),
                    r.by_rating[3].to_string(),
                    r.by_rating[4].to_string(),
                ]
            }),
        ),
        "comments" => csv(
            ["day", "about", "subject", "rating", "reason", "comment"],
            report.comments.iter().map(|c: &CommentRow| {
                [
                    c.day.clone(),
                    c.about.clone(),
                    c.subject.clone(),
                    c.rating.map(|r| r.to_string()).unwrap_or_default(),
                    c.reason.clone().unwrap_or_default(),
                    c.comment.clone(),
                ]
            }),
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn a_period_is_checked_and_defaults_to_the_last_thirty_days() {
        let today = date("2026-12-06");
        assert_eq!(
            Period::parse(None, None, today),
            Ok(Period {
                from: date("2026-11-07"),
                to: today
            })
        );
        assert_eq!(
            Period::parse(Some("2026-12-07"), Some("2026-12-06"), today),
            Err(PeriodError::Reversed)
        );
        assert_eq!(
            Period::parse(Some("2026-1-1"), None, today),
            Err(PeriodError::NotADate)
        );
        assert_eq!(
            Period::parse(Some("2025-01-01"), Some("2026-12-06"), today),
            Err(PeriodError::TooLong)
        );
        assert!(Period::parse(Some("2025-12-06"), Some("2026-12-06"), today).is_ok());
    }

    #[test]
    fn a_periods_bounds_are_rome_midnights() {
        let winter = Period {
            from: date("2026-12-01"),
            to: date("2026-12-01"),
        };
        let (start, end) = winter.bounds_ms();
        assert_eq!(
            crate::consent::rfc3339_utc(start),
            "2026-11-30T23:00:00.000Z"
        );
        assert_eq!(crate::consent::rfc3339_utc(end), "2026-12-01T23:00:00.000Z");
        let summer = Period {
            from: date("2026-07-01"),
            to: date("2026-07-01"),
        };
        assert_eq!(
            crate::consent::rfc3339_utc(summer.bounds_ms().0),
            "2026-06-30T22:00:00.000Z"
        );
    }

    #[test]
    fn utc_hours_fall_on_their_rome_day() {
        assert_eq!(
            rome_day_of_utc_hour("2026-11-30T22").as_deref(),
            Some("2026-11-30")
        );
        assert_eq!(
            rome_day_of_utc_hour("2026-11-30T23").as_deref(),
            Some("2026-12-01")
        );
        assert_eq!(
            rome_day_of_utc_hour("2026-06-30T22").as_deref(),
            Some("2026-07-01")
        );
        assert_eq!(rome_day_of_utc_hour("nonsense"), None);
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[7], 0.9), Some(7));
        assert_eq!(percentile(&[1, 2, 3, 4], 0.5), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), Some(9));
    }

    #[test]
    fn each_hand_off_has_one_outcome_and_waits_count_those_taken() {
        let row = |office: &str, taken: Option<i64>, closed: Option<i64>, left: bool| LiveChatRow {
            office: office.into(),
            queued_ms: 1_000_000,
            taken_ms: taken.map(|s| 1_000_000 + s * 1000),
            closed_ms: closed,
            message_left: left,
        };
        let report = live_chat_report(
            &[
                row("urp", Some(30), Some(5), false),
                row("urp", Some(90), None, false),
                row("registro", None, Some(1), true),
                row("registro", None, Some(1), false),
                row("registro", None, None, false),
            ],
            3,
        );
        assert_eq!(report.requested, 5);
        assert_eq!(
            (
                report.taken,
                report.message_left,
                report.gave_up,
                report.waiting
            ),
            (2, 1, 1, 1)
        );
        assert_eq!(report.messages, 3);
        assert_eq!(report.median_wait_s, Some(30));
        assert_eq!(report.p90_wait_s, Some(90));
        assert_eq!(report.by_office.len(), 2);
        assert_eq!(report.by_office[0].office, "registro");
        assert_eq!(report.by_office[0].median_wait_s, None);
        assert_eq!(report.by_office[1].taken, 2);
    }

    #[test]
    fn consent_decisions_are_counted_per_rome_day_and_category() {
        let count = |hour: &str, action: &str, count| ConsentCount {
            utc_hour: hour.into(),
            action: action.into(),
            count,
        };
        let report = consent_report(
            &[
                count("2026-11-30T22", "accept_all", 2),
                count("2026-11-30T23", "accept_all", 3),
                count("2026-11-30T23", "reject_all", 1),
            ],
            &[("analitici".into(), 5)],
            &[("analitici".into(), 1), ("profilazione".into(), 6)],
            &["analitici".into(), "profilazione".into()],
        );
        assert_eq!(report.actions.get("accept_all"), Some(&5));
        assert_eq!(report.by_day.len(), 2);
        assert_eq!(report.by_day[0].day, "2026-11-30");
        assert_eq!(report.by_day[1].actions.get("accept_all"), Some(&3));
        assert_eq!(report.by_day[1].actions.get("reject_all"), Some(&1));
        assert_eq!(
            report.categories,
            vec![
                CategoryRow {
                    category: "analitici".into(),
                    granted: 5,
                    refused: 1
                },
                CategoryRow {
                    category: "profilazione".into(),
                    granted: 0,
                    refused: 6
                }
            ]
        );
    }

    #[test]
    fn ratings_are_averaged_per_office() {
        let rows = rating_rows(&[
            ("live_chat".into(), "urp".into(), 5, 2),
            ("live_chat".into(), "urp".into(), 2, 1),
            ("booking".into(), "centro".into(), 4, 1),
            ("booking".into(), "centro".into(), 9, 1),
        ]);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].about, "booking");
        assert_eq!(rows[0].count, 1, "a rating outside 1-5 is not counted");
        assert_eq!(rows[1].by_rating, [0, 1, 0, 0, 2]);
        assert_eq!(rows[1].average, 4.0);
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("semplice"), "semplice");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_field("dice \"no\""), "\"dice \"\"no\"\"\"");
    }
}
