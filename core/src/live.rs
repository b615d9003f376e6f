//! Live chat with a person: when the desk answers, and what the visitor is
//! told at each step of the hand-off. The server stores these texts as the
//! thread's system messages, in the thread's language.

use crate::booking::{rome_local, rome_to_utc_ms, weekday_name, Date};
use crate::consent::{parse_rfc3339_ms, rfc3339_utc};
use crate::dates::{format_datetime_rome_ms, time_of_day};
use crate::lang::Lang;
use crate::texts::{AppKey, Texts};
use varco_protocol::live::LiveStatus;

/// How far ahead the desk's next opening or closing is looked for.
const LOOKAHEAD_DAYS: i64 = 366;

/// When operators answer the live chat, Italian time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeskHours {
    /// (weekday, 0 = Monday; opening minute; closing minute).
    pub hours: Vec<(u8, u16, u16)>,
    /// Other days nobody answers.
    pub closed_dates: Vec<Date>,
    /// The national holidays and the comune's patron day, closed without
    /// being listed.
    pub calendar: crate::holidays::Calendar,
}

impl DeskHours {
    fn closed_on(&self, date: Date) -> bool {
        self.closed_dates.contains(&date) || self.calendar.closes(date)
    }
}

impl DeskHours {
    /// Whether someone answers at the instant `utc_ms`.
    pub fn is_open(&self, utc_ms: i64) -> bool {
        let (date, minute) = rome_local(utc_ms);
        if self.closed_on(date) {
            return false;
        }
        let day = date.weekday();
        self.hours
            .iter()
            .any(|&(d, open, close)| d == day && (open..close).contains(&minute))
    }

    /// The desk's state at `utc_ms` and when it changes next: the status
    /// the widget shows on the hand-off button before it is pressed.
    pub fn status(&self, utc_ms: i64) -> LiveStatus {
        let (today, _) = rome_local(utc_ms);
        // Every opening interval from yesterday (one may still run) to a
        // year ahead, in order, with touching or overlapping ones merged
        // (09:00-13:00 and 13:00-16:00 close at 16:00; 00:00-24:00 every
        // day never closes).
        let mut runs: Vec<(i64, i64)> = Vec::new();
        for offset in -1..=LOOKAHEAD_DAYS {
            let date = today.add_days(offset);
            if self.closed_on(date) {
                continue;
            }
            let mut day: Vec<(u16, u16)> = self
                .hours
                .iter()
                .filter(|h| h.0 == date.weekday() && h.1 < h.2)
                .map(|h| (h.1, h.2))
                .collect();
            day.sort_unstable();
            for (open, close) in day {
                let (start, end) = (rome_to_utc_ms(date, open), rome_to_utc_ms(date, close));
                match runs.last_mut() {
                    Some(last) if start <= last.1 => last.1 = last.1.max(end),
                    _ => runs.push((start, end)),
                }
            }
        }
        let horizon = rome_to_utc_ms(today.add_days(LOOKAHEAD_DAYS + 1), 0);
        match runs.iter().find(|r| r.0 <= utc_ms && utc_ms < r.1) {
            Some(&(_, end)) => LiveStatus {
                open: true,
                opens_at: None,
                closes_at: (end < horizon).then(|| rfc3339_utc(end)),
            },
            None => LiveStatus {
                open: false,
                opens_at: runs.iter().find(|r| r.0 > utc_ms).map(|r| rfc3339_utc(r.0)),
                closes_at: None,
            },
        }
    }

    /// The hours in words: "dal lunedì al venerdì dalle 09:00 alle 13:00;
    /// martedì e giovedì dalle 14:00 alle 16:00". Days with the same
    /// interval are grouped, and a run of three or more days is a range.
    pub fn describe(&self, lang: Lang) -> String {
        let mut intervals: Vec<(u16, u16)> = Vec::new();
        for &(_, open, close) in &self.hours {
            if !intervals.contains(&(open, close)) {
                intervals.push((open, close));
            }
        }
        intervals.sort_unstable();
        let parts: Vec<String> = intervals
            .iter()
            .map(|&(open, close)| {
                let mut days: Vec<u8> = self
                    .hours
                    .iter()
                    .filter(|h| (h.1, h.2) == (open, close))
                    .map(|h| h.0)
                    .collect();
                days.sort_unstable();
                days.dedup();
                let (from, to) = (time_of_day(open), time_of_day(close));
                match lang {
                    Lang::It => format!("{} dalle {from} alle {to}", day_list(&days, lang)),
                    Lang::En => format!("{} from {from} to {to}", day_list(&days, lang)),
                }
            })
            .collect();
        parts.join("; ")
    }
}

/// What the hand-off button says about the desk at `now_ms`, from the
/// status the server reported earlier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeskNote {
    /// Someone answers: the button needs no note.
    Open,
    /// Nobody answers now: «Operatori disponibili da lunedì 7 dicembre
    /// 2026 alle 09:00».
    Closed(String),
    /// The status has changed since it was read (the desk opened or
    /// closed meanwhile): ask the server again, and say nothing until then.
    Stale,
}

/// The note of the hand-off button, in the visitor's language; dates and
/// times on the Italian clock, whatever the browser's time zone.
pub fn desk_note(texts: &Texts, status: &LiveStatus, now_ms: i64) -> DeskNote {
    let instant = |t: &Option<String>| t.as_deref().and_then(parse_rfc3339_ms);
    if status.open {
        return match instant(&status.closes_at) {
            Some(closes) if now_ms >= closes => DeskNote::Stale,
            _ => DeskNote::Open,
        };
    }
    match instant(&status.opens_at) {
        Some(opens) if now_ms >= opens => DeskNote::Stale,
        Some(opens) => DeskNote::Closed(
            texts
                .get(AppKey::live_opens)
                .replace("{when}", &format_datetime_rome_ms(texts.lang(), opens)),
        ),
        None => DeskNote::Closed(texts.get(AppKey::live_closed).to_owned()),
    }
}

fn day_list(days: &[u8], lang: Lang) -> String {
    let name = |d: u8| weekday_name(d, lang);
    let consecutive = days.windows(2).all(|w| w[1] == w[0] + 1);
    if days.len() >= 3 && consecutive {
        let (first, last) = (days[0], days[days.len() - 1]);
        return match lang {
            // "domenica" is feminine: "dal lunedì alla domenica".
            Lang::It => {
                let article = |d: u8, masculine: &'static str, feminine: &'static str| {
                    if d == 6 {
                        feminine
                    } else {
                        masculine
                    }
                };
                format!(
                    "{} {} {} {}",
                    article(first, "dal", "dalla"),
                    name(first),
                    article(last, "al", "alla"),
                    name(last)
                )
            }
            Lang::En => format!("{} to {}", name(first), name(last)),
        };
    }
    let words: Vec<&str> = days.iter().map(|&d| name(d)).collect();
    let and = match lang {
        Lang::It => " e ",
        Lang::En => " and ",
    };
    match words.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{}{and}{last}", rest.join(", ")),
    }
}

/// The welcome of the live chat: the visitor waits for an operator; the
/// live chat's own notice is linked.
pub fn waiting_message(lang: Lang, notice_url: &str) -> String {
    match lang {
        Lang::It => format!(
            "Ti metto in contatto con un operatore. Attendi qui: ti risponderà appena possibile.\n\n\
             Con la chat dal vivo i tuoi messaggi sono letti da una persona: leggi l'[informativa sulla chat con operatore]({notice_url})."
        ),
        Lang::En => format!(
            "I am putting you in touch with an operator. Please wait here: you will get an answer as soon as possible.\n\n\
             In the live chat your messages are read by a person: read the [live chat privacy notice]({notice_url})."
        ),
    }
}

/// Outside the desk's hours: when it answers, and what the visitor can do
/// instead (book an appointment, write an e-mail).
pub fn unavailable_message(lang: Lang, hours: &str, email: Option<&str>, books: bool) -> String {
    let mut alternatives: Vec<String> = Vec::new();
    match lang {
        Lang::It => {
            if books {
                alternatives.push("prenotare un appuntamento agli sportelli".into());
            }
            if let Some(e) = email {
                alternatives.push(format!("scrivere a [{e}](mailto:{e})"));
            }
            let mut s = format!(
                "In questo momento gli operatori non sono disponibili. La chat con operatore è attiva {hours}."
            );
            if !alternatives.is_empty() {
                s.push_str(&format!(" Puoi {}.", alternatives.join(" oppure ")));
            }
            s
        }
        Lang::En => {
            if books {
                alternatives.push("book an appointment at the desks".into());
            }
            if let Some(e) = email {
                alternatives.push(format!("write to [{e}](mailto:{e})"));
            }
            let mut s = format!(
                "No operator is available right now. The live chat is open {hours} (Italian time)."
            );
            if !alternatives.is_empty() {
                s.push_str(&format!(" You can {}.", alternatives.join(" or ")));
            }
            s
        }
    }
}

/// An operator has taken the conversation.
pub fn connected_message(lang: Lang, operator: &str) -> String {
    match lang {
        Lang::It => {
            format!("Ti risponde {operator}: da ora i tuoi messaggi sono letti da una persona.")
        }
        Lang::En => {
            format!("{operator} has joined: from now on your messages are read by a person.")
        }
    }
}

/// The operator closed the conversation.
pub fn closed_message(lang: Lang) -> String {
    match lang {
        Lang::It => "L'operatore ha chiuso la conversazione. Grazie per averci contattato.".into(),
        Lang::En => "The operator closed the conversation. Thank you for contacting us.".into(),
    }
}

/// Why the visitor is offered to leave a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfflineReason {
    /// Asked for an operator while none who serves the site is online.
    NobodyOnline,
    /// Waiting, and the last operator went away or offline.
    NobodyLeft,
    /// Waiting for longer than the site's limit (in minutes).
    LongWait { minutes: u32 },
}

/// Within the desk's hours nobody can answer now: the visitor may leave a
/// message, and one already waiting may go on waiting.
pub fn offline_message(lang: Lang, reason: OfflineReason) -> String {
    let (it, en) = match reason {
        OfflineReason::NobodyOnline => (
            "In questo momento nessun operatore è collegato. Puoi lasciarci un messaggio con il tuo indirizzo e-mail: ti risponderemo per e-mail appena possibile.".to_owned(),
            "No operator is online right now. You can leave us a message with your e-mail address: we will answer by e-mail as soon as possible.".to_owned(),
        ),
        OfflineReason::NobodyLeft => (
            "Gli operatori non sono più collegati. Puoi continuare ad attendere oppure lasciarci un messaggio: ti risponderemo per e-mail.".to_owned(),
            "The operators are no longer online. You can keep waiting or leave us a message: we will answer by e-mail.".to_owned(),
        ),
        OfflineReason::LongWait { minutes } => (
            format!("L'attesa è più lunga del previsto (oltre {minutes} minuti). Puoi continuare ad attendere oppure lasciarci un messaggio: ti risponderemo per e-mail."),
            format!("The wait is longer than expected (over {minutes} minutes). You can keep waiting or leave us a message: we will answer by e-mail."),
        ),
    };
    match lang {
        Lang::It => it,
        Lang::En => en,
    }
}

/// The visitor's message has reached the office.
pub fn message_left_message(lang: Lang) -> String {
    match lang {
        Lang::It => "Abbiamo ricevuto il tuo messaggio. Ti risponderemo all'indirizzo e-mail che hai indicato.".into(),
        Lang::En => "We have received your message. We will answer at the e-mail address you gave.".into(),
    }
}

/// The operator passed the conversation to a colleague.
pub fn transferred_to_operator_message(lang: Lang, operator: &str) -> String {
    match lang {
        Lang::It => format!("La conversazione è passata a {operator}, che ti risponde da ora."),
        Lang::En => {
            format!("The conversation has passed to {operator}, who answers you from now on.")
        }
    }
}

/// The operator passed the conversation to an office: the visitor waits
/// again, for that office.
pub fn transferred_to_office_message(lang: Lang, office: &str) -> String {
    match lang {
        Lang::It => format!("Ti metto in contatto con l'ufficio {office}. Attendi qui: un operatore ti risponderà appena possibile."),
        Lang::En => format!("I am putting you in touch with the office {office}. Please wait here: an operator will answer as soon as possible."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::rome_to_utc_ms;

    fn desk() -> DeskHours {
        DeskHours {
            hours: (0..5)
                .map(|d| (d, 9 * 60, 13 * 60))
                .chain([(1, 14 * 60, 16 * 60), (3, 14 * 60, 16 * 60)])
                .collect(),
            closed_dates: vec![Date::new(2026, 12, 8).unwrap()],
            calendar: Default::default(),
        }
    }

    #[test]
    fn the_desk_answers_only_in_its_hours_italian_time() {
        let d = desk();
        // Monday 23 November 2026 (winter time, UTC+1).
        let monday = Date::new(2026, 11, 23).unwrap();
        assert!(d.is_open(rome_to_utc_ms(monday, 9 * 60)));
        assert!(d.is_open(rome_to_utc_ms(monday, 12 * 60 + 59)));
        assert!(!d.is_open(rome_to_utc_ms(monday, 13 * 60)));
        assert!(!d.is_open(rome_to_utc_ms(monday, 8 * 60 + 59)));
        // Monday afternoon: no; Tuesday afternoon: yes.
        assert!(!d.is_open(rome_to_utc_ms(monday, 15 * 60)));
        assert!(d.is_open(rome_to_utc_ms(monday.add_days(1), 15 * 60)));
        // Saturday, and a holiday that is a Tuesday.
        assert!(!d.is_open(rome_to_utc_ms(monday.add_days(5), 10 * 60)));
        assert!(!d.is_open(rome_to_utc_ms(Date::new(2026, 12, 8).unwrap(), 10 * 60)));
        // Summer time: 9:00 in Rome is 7:00 UTC.
        let july = Date::new(2026, 7, 6).unwrap();
        assert!(d.is_open(rome_to_utc_ms(july, 9 * 60)));
    }

    #[test]
    fn hours_are_described_in_plain_words() {
        assert_eq!(
            desk().describe(Lang::It),
            "dal lunedì al venerdì dalle 09:00 alle 13:00; martedì e giovedì dalle 14:00 alle 16:00"
        );
        assert_eq!(
            desk().describe(Lang::En),
            "Monday to Friday from 09:00 to 13:00; Tuesday and Thursday from 14:00 to 16:00"
        );
        let odd = DeskHours {
            hours: vec![(0, 600, 660), (2, 600, 660), (4, 600, 660)],
            closed_dates: vec![],
            calendar: Default::default(),
        };
        assert_eq!(
            odd.describe(Lang::It),
            "lunedì, mercoledì e venerdì dalle 10:00 alle 11:00"
        );
    }

    fn at(date: Date, minute: u16) -> i64 {
        rome_to_utc_ms(date, minute)
    }

    fn ms(s: &Option<String>) -> i64 {
        parse_rfc3339_ms(s.as_deref().unwrap()).unwrap()
    }

    #[test]
    fn the_status_says_when_the_desk_opens_or_closes_next() {
        let d = desk();
        // Monday 23 November 2026.
        let monday = Date::new(2026, 11, 23).unwrap();
        // Before opening: opens at 09:00 the same day.
        let s = d.status(at(monday, 8 * 60));
        assert!(!s.open && s.closes_at.is_none());
        assert_eq!(ms(&s.opens_at), at(monday, 9 * 60));
        // Open: closes at 13:00.
        let s = d.status(at(monday, 10 * 60));
        assert!(s.open && s.opens_at.is_none());
        assert_eq!(ms(&s.closes_at), at(monday, 13 * 60));
        // Monday afternoon: Tuesday 09:00; Tuesday 13:30: 14:00 the same day.
        let s = d.status(at(monday, 15 * 60));
        assert_eq!(ms(&s.opens_at), at(monday.add_days(1), 9 * 60));
        let s = d.status(at(monday.add_days(1), 13 * 60 + 30));
        assert_eq!(ms(&s.opens_at), at(monday.add_days(1), 14 * 60));
        // Friday after closing: Monday 30 November at 09:00.
        let s = d.status(at(monday.add_days(4), 13 * 60));
        assert_eq!(ms(&s.opens_at), at(monday.add_days(7), 9 * 60));
        // Monday 7 December 2026 at 13:00: Tuesday 8 is a holiday, so
        // Wednesday 9 at 09:00.
        let s = d.status(at(Date::new(2026, 12, 7).unwrap(), 13 * 60));
        assert_eq!(ms(&s.opens_at), at(Date::new(2026, 12, 9).unwrap(), 9 * 60));
        // The status agrees with `is_open` through a whole week, in steps
        // of 7 minutes.
        let mut t = at(monday, 0);
        while t < at(monday.add_days(7), 0) {
            assert_eq!(d.status(t).open, d.is_open(t), "at {t}");
            t += 7 * 60_000;
        }
    }

    #[test]
    fn touching_intervals_close_once_and_a_desk_open_around_the_clock_never_closes() {
        let split = DeskHours {
            hours: vec![(0, 9 * 60, 13 * 60), (0, 13 * 60, 16 * 60)],
            closed_dates: vec![],
            calendar: Default::default(),
        };
        let monday = Date::new(2026, 11, 23).unwrap();
        assert_eq!(
            ms(&split.status(at(monday, 10 * 60)).closes_at),
            at(monday, 16 * 60)
        );
        let always = DeskHours {
            hours: (0..7).map(|d| (d, 0, 24 * 60)).collect(),
            closed_dates: vec![],
            calendar: crate::holidays::Calendar {
                open_on_holidays: true,
                patron_day: None,
            },
        };
        let s = always.status(at(monday, 3 * 60));
        assert!(s.open && s.closes_at.is_none() && s.opens_at.is_none());
        // Ten Mondays closed: the eleventh.
        let mondays = |n: i64| DeskHours {
            hours: vec![(0, 9 * 60, 13 * 60)],
            closed_dates: (0..n).map(|w| monday.add_days(w * 7)).collect(),
            calendar: Default::default(),
        };
        let s = mondays(10).status(at(monday, 10 * 60));
        assert!(!s.open);
        assert_eq!(ms(&s.opens_at), at(monday.add_days(70), 9 * 60));
        // Nobody within a year: closed, with no opening to announce.
        let s = mondays(60).status(at(monday, 10 * 60));
        assert!(!s.open && s.opens_at.is_none());
    }

    #[test]
    fn the_summer_time_change_moves_the_opening_instant_not_the_wall_clock() {
        // Sunday 28 March 2027 (Easter) clocks go forward; Monday 29 is
        // Lunedì dell'Angelo, a holiday: Tuesday 30 at 09:00 is 07:00 UTC,
        // not 08:00.
        let d = desk();
        let friday = Date::new(2027, 3, 26).unwrap();
        let s = d.status(at(friday, 17 * 60));
        assert_eq!(s.opens_at.as_deref(), Some("2027-03-30T07:00:00.000Z"));
    }

    #[test]
    fn the_hand_off_note_says_when_operators_answer_in_the_visitors_language() {
        let d = desk();
        let none = varco_protocol::SortedMap::new();
        let (it, en) = (Texts::new(Lang::It, &none), Texts::new(Lang::En, &none));
        // Friday 4 December 2026 at 18:00: Monday 7 is a working day here.
        let friday = at(Date::new(2026, 12, 4).unwrap(), 18 * 60);
        let status = d.status(friday);
        assert_eq!(
            desk_note(&it, &status, friday),
            DeskNote::Closed("Operatori disponibili da lunedì 7 dicembre 2026 alle 09:00".into())
        );
        assert_eq!(
            desk_note(&en, &status, friday),
            DeskNote::Closed(
                "Operators available from Monday 7 December 2026 at 09:00 (Italian time)".into()
            )
        );
        // Once the opening time has passed the status is old news.
        let monday = at(Date::new(2026, 12, 7).unwrap(), 9 * 60);
        assert_eq!(desk_note(&it, &status, monday), DeskNote::Stale);
        let open = d.status(monday + 60_000);
        assert_eq!(desk_note(&it, &open, monday + 60_000), DeskNote::Open);
        assert_eq!(
            desk_note(&it, &open, at(Date::new(2026, 12, 7).unwrap(), 13 * 60)),
            DeskNote::Stale
        );
        // Unreadable or missing times: closed, without a date.
        let odd = LiveStatus {
            open: false,
            opens_at: Some("domani".into()),
            closes_at: None,
        };
        assert_eq!(
            desk_note(&it, &odd, friday),
            DeskNote::Closed("Al momento gli operatori non sono disponibili.".into())
        );
    }

    #[test]
    fn the_unavailable_message_offers_what_the_site_has() {
        let s = unavailable_message(Lang::It, "dal lunedì al venerdì", Some("urp@x.it"), true);
        assert!(s.contains("non sono disponibili"));
        assert!(s.contains("prenotare un appuntamento"));
        assert!(s.contains("[urp@x.it](mailto:urp@x.it)"));
        let bare = unavailable_message(Lang::It, "il lunedì", None, false);
        assert!(!bare.contains("Puoi"));
    }

    #[test]
    fn the_waiting_message_links_the_live_chat_notice() {
        let s = waiting_message(Lang::It, "/privacy-chat.html");
        assert!(s.contains("](/privacy-chat.html)"));
    }
}
