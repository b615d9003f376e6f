//! The office's side of the live chat: when an operator counts as online,
//! when a waiting visitor is offered to leave a message, and the e-mail
//! that answers a message left.

use crate::booking_mail::{escape_html, MailContent};
use crate::lang::Lang;
use crate::live::OfflineReason;
use varco_protocol::live::Presence;

/// An open console says it is there every [`PRESENCE_BEAT_MS`]; a console
/// not heard from for [`PRESENCE_TTL_MS`] (closed tab, lost network,
/// crashed browser) no longer counts as online.
pub const PRESENCE_BEAT_MS: i64 = 15_000;
pub const PRESENCE_TTL_MS: i64 = 3 * PRESENCE_BEAT_MS;

/// The presence an operator's session shows at `now_ms`: what the operator
/// chose, while the console is heard from; offline after that.
pub fn presence(chosen: Presence, seen_ms: i64, now_ms: i64) -> Presence {
    if now_ms.saturating_sub(seen_ms) > PRESENCE_TTL_MS {
        Presence::Offline
    } else {
        chosen
    }
}

/// The presence of an operator with several sessions (two browsers): the
/// most available one.
pub fn combined(presences: impl IntoIterator<Item = Presence>) -> Presence {
    presences
        .into_iter()
        .min_by_key(|p| match p {
            Presence::Online => 0,
            Presence::Away => 1,
            Presence::Offline => 2,
        })
        .unwrap_or(Presence::Offline)
}

/// Whether a waiting visitor is now offered to leave a message, and why:
/// nobody who can take the conversation is online, or the wait passed
/// `max_wait_seconds` (0: no limit). Offered once per wait.
pub fn offer(
    queued_ms: i64,
    now_ms: i64,
    max_wait_seconds: u32,
    anyone_online: bool,
) -> Option<OfflineReason> {
    if !anyone_online {
        return Some(OfflineReason::NobodyLeft);
    }
    let waited_ms = now_ms.saturating_sub(queued_ms);
    (max_wait_seconds > 0 && waited_ms >= i64::from(max_wait_seconds) * 1000).then(|| {
        OfflineReason::LongWait {
            minutes: max_wait_seconds.div_ceil(60),
        }
    })
}

/// What an e-mail answering a visitor's message says.
pub struct AnswerFacts<'a> {
    pub lang: Lang,
    pub site_name: &'a str,
    /// The visitor's message as stored (masked).
    pub question: &'a str,
    pub answer: &'a str,
    /// Where the visitor can write back (the live chat's address), if any.
    pub reply_to: Option<&'a str>,
}

/// The e-mail that answers a message left in the live chat.
pub fn answer_mail(f: &AnswerFacts<'_>) -> MailContent {
    let it = f.lang == Lang::It;
    let subject = if it {
        format!("Risposta al tuo messaggio – {}", f.site_name)
    } else {
        format!("Answer to your message – {}", f.site_name)
    };
    let greeting = if it { "Buongiorno," } else { "Hello," };
    let intro = if it {
        "rispondiamo al messaggio che ci hai lasciato nella chat del nostro sito."
    } else {
        "here is the answer to the message you left in the chat of our website."
    };
    let asked = if it {
        "Il tuo messaggio"
    } else {
        "Your message"
    };
    let closing = match (f.reply_to, it) {
        (Some(a), true) => format!("Per altre domande puoi scrivere a {a}."),
        (Some(a), false) => format!("For other questions you can write to {a}."),
        (None, true) => "Per altre domande puoi tornare sul nostro sito.".to_owned(),
        (None, false) => "For other questions you can come back to our website.".to_owned(),
    };
    let quoted: String = f.question.lines().map(|l| format!("> {l}\n")).collect();
    let text = format!(
        "{greeting}\n{intro}\n\n{}\n\n{asked}:\n{quoted}\n{closing}\n\n{}\n",
        f.answer, f.site_name
    );
    let paragraphs = |t: &str| -> String {
        t.split("\n\n")
            .map(|p| format!("<p>{}</p>\n", escape_html(p).replace('\n', "<br>")))
            .collect()
    };
    let html = format!(
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:'Titillium Web',Geneva,Tahoma,sans-serif;font-size:16px;line-height:1.5;color:#1a1a1a\">\n\
         <p>{}<br>{}</p>\n{}<p><strong>{}</strong></p>\n<blockquote style=\"margin:0 0 0 8px;padding-left:12px;border-left:3px solid #ccc\">{}</blockquote>\n<p>{}</p>\n<p>{}</p>\n</body></html>\n",
        f.lang.code(),
        escape_html(&subject),
        escape_html(greeting),
        escape_html(intro),
        paragraphs(f.answer),
        escape_html(asked),
        paragraphs(f.question),
        escape_html(&closing),
        escape_html(f.site_name),
    );
    MailContent {
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operator_is_online_only_while_the_console_is_heard_from() {
        let seen = 1_000_000;
        assert_eq!(
            presence(Presence::Online, seen, seen + PRESENCE_TTL_MS),
            Presence::Online
        );
        assert_eq!(presence(Presence::Away, seen, seen + 1), Presence::Away);
        assert_eq!(
            presence(Presence::Online, seen, seen + PRESENCE_TTL_MS + 1),
            Presence::Offline
        );
        assert_eq!(
            combined([Presence::Away, Presence::Online]),
            Presence::Online
        );
        assert_eq!(
            combined([Presence::Offline, Presence::Away]),
            Presence::Away
        );
        assert_eq!(combined([]), Presence::Offline);
    }

    #[test]
    fn a_waiting_visitor_is_offered_a_message_when_nobody_is_online_or_the_wait_is_long() {
        let q = 0;
        assert_eq!(offer(q, 1_000, 600, false), Some(OfflineReason::NobodyLeft));
        assert_eq!(offer(q, 599_999, 600, true), None);
        assert_eq!(
            offer(q, 600_000, 600, true),
            Some(OfflineReason::LongWait { minutes: 10 })
        );
        assert_eq!(offer(q, 10_000_000, 0, true), None, "0: no limit");
        assert_eq!(
            offer(q, 90_000, 90, true),
            Some(OfflineReason::LongWait { minutes: 2 }),
            "a part of a minute counts as a minute"
        );
    }

    #[test]
    fn the_answer_quotes_the_question_and_escapes_html() {
        let m = answer_mail(&AnswerFacts {
            lang: Lang::It,
            site_name: "Camera di commercio",
            question: "Come rinnovo la <firma>?",
            answer: "Può rinnovarla online.\n\nSaluti",
            reply_to: Some("urp@example.it"),
        });
        assert!(m.subject.starts_with("Risposta al tuo messaggio"));
        assert!(m.text.contains("> Come rinnovo la <firma>?"));
        assert!(m.text.contains("Può rinnovarla online."));
        assert!(m.text.contains("urp@example.it"));
        assert!(m.html.contains("&lt;firma&gt;"));
        assert!(!m.html.contains("<firma>"));
        let en = answer_mail(&AnswerFacts {
            lang: Lang::En,
            site_name: "Chamber",
            question: "q",
            answer: "a",
            reply_to: None,
        });
        assert!(en.subject.starts_with("Answer to your message"));
        assert!(en.html.starts_with("<!doctype html>\n<html lang=\"en\""));
    }
}
