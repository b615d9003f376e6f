//! Live chat with a person: when the desk answers, and what the visitor is
//! told at each step of the hand-off. The server stores these texts as the
//! thread's system messages, in the thread's language.

use crate::booking::{format_hhmm, rome_local, weekday_name, Date};
use crate::lang::Lang;

/// When operators answer the live chat, Italian time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeskHours {
    /// (weekday, 0 = Monday; opening minute; closing minute).
    pub hours: Vec<(u8, u16, u16)>,
    /// Holidays and other days nobody answers.
    pub closed_dates: Vec<Date>,
}

impl DeskHours {
    /// Whether someone answers at the instant `utc_ms`.
    pub fn is_open(&self, utc_ms: i64) -> bool {
        let (date, minute) = rome_local(utc_ms);
        if self.closed_dates.contains(&date) {
            return false;
        }
        let day = date.weekday();
        self.hours
            .iter()
            .any(|&(d, open, close)| d == day && (open..close).contains(&minute))
    }

    /// The hours in words: "dal lunedì al venerdì dalle 9:00 alle 13:00;
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
                let (from, to) = (short_time(open), short_time(close));
                match lang {
                    Lang::It => format!("{} dalle {from} alle {to}", day_list(&days, lang)),
                    Lang::En => format!("{} from {from} to {to}", day_list(&days, lang)),
                }
            })
            .collect();
        parts.join("; ")
    }
}

/// `09:00` → `9:00`, as Italian texts write hours.
fn short_time(minute: u16) -> String {
    let s = format_hhmm(minute);
    s.strip_prefix('0').map(str::to_owned).unwrap_or(s)
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
            "dal lunedì al venerdì dalle 9:00 alle 13:00; martedì e giovedì dalle 14:00 alle 16:00"
        );
        assert_eq!(
            desk().describe(Lang::En),
            "Monday to Friday from 9:00 to 13:00; Tuesday and Thursday from 14:00 to 16:00"
        );
        let odd = DeskHours {
            hours: vec![(0, 600, 660), (2, 600, 660), (4, 600, 660)],
            closed_dates: vec![],
        };
        assert_eq!(
            odd.describe(Lang::It),
            "lunedì, mercoledì e venerdì dalle 10:00 alle 11:00"
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
