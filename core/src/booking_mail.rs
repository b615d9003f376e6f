//! The e-mails a booking sends (confirmation, reminder, moved, cancelled),
//! in the visitor's language: subject, plain text and a simple HTML part
//! with the same content. Plain Rust: the server composes the message
//! around them and attaches the `.ics` file.
//!
//! What they hold is what the visitor needs at the desk and nothing more:
//! the name the booking was made in, the code, the service, the office and
//! its address, the day and the time on the Rome clock, and the link that
//! manages the booking (which carries no personal data, only a signed
//! token).

use crate::booking::Date;
use crate::dates::{time_of_day, weekday_date};
use crate::lang::Lang;

/// Which e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingMailKind {
    /// Sent when the booking is made.
    Confirmation,
    /// Sent before the appointment (the day before, by default).
    Reminder,
    /// Sent when the visitor moved the booking to another slot.
    Moved,
    /// Sent when the visitor cancelled it.
    CancelledByVisitor,
    /// Sent when the office cancelled it, with the reason it gave.
    CancelledByOffice { reason: String },
}

impl BookingMailKind {
    /// The name stored with the message in the outbox.
    pub fn name(&self) -> &'static str {
        match self {
            BookingMailKind::Confirmation => "confirmation",
            BookingMailKind::Reminder => "reminder",
            BookingMailKind::Moved => "moved",
            BookingMailKind::CancelledByVisitor => "cancelled",
            BookingMailKind::CancelledByOffice { .. } => "cancelled_by_office",
        }
    }

    /// Whether the appointment still stands, so the e-mail carries the
    /// calendar file and the link that manages it.
    pub fn still_booked(&self) -> bool {
        matches!(
            self,
            BookingMailKind::Confirmation | BookingMailKind::Reminder | BookingMailKind::Moved
        )
    }
}

/// What the e-mail says about the booking.
#[derive(Debug, Clone)]
pub struct BookingFacts<'a> {
    pub lang: Lang,
    /// Who sends it: the site's name («Camera di commercio di Milano Monza
    /// Brianza Lodi»).
    pub site_name: &'a str,
    pub nome: &'a str,
    pub cognome: &'a str,
    pub code: &'a str,
    pub service: &'a str,
    pub office: &'a str,
    /// The office's address; may be empty.
    pub address: &'a str,
    pub date: Date,
    /// Minutes from midnight, Rome time.
    pub start: u16,
    pub end: u16,
    /// The page where the visitor cancels or moves the booking.
    pub manage_url: Option<&'a str>,
}

/// An e-mail's texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailContent {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The file name of the calendar attachment.
pub fn ics_file_name(lang: Lang) -> &'static str {
    match lang {
        Lang::It => "appuntamento.ics",
        Lang::En => "appointment.ics",
    }
}

/// The e-mail of `kind` about the booking `facts`.
pub fn booking_mail(kind: &BookingMailKind, facts: &BookingFacts<'_>) -> MailContent {
    let it = facts.lang == Lang::It;
    let when = format!(
        "{} {} {}",
        weekday_date(facts.lang, facts.date),
        if it { "alle" } else { "at" },
        time_of_day(facts.start)
    );
    let subject = match (kind, it) {
        (BookingMailKind::Confirmation, true) => {
            format!("Prenotazione confermata: {}, {when}", facts.service)
        }
        (BookingMailKind::Confirmation, false) => {
            format!("Booking confirmed: {}, {when}", facts.service)
        }
        (BookingMailKind::Reminder, true) => {
            format!("Promemoria: {}, {when}", facts.service)
        }
        (BookingMailKind::Reminder, false) => {
            format!("Reminder: {}, {when}", facts.service)
        }
        (BookingMailKind::Moved, true) => {
            format!("Prenotazione spostata: {}, {when}", facts.service)
        }
        (BookingMailKind::Moved, false) => {
            format!("Booking moved: {}, {when}", facts.service)
        }
        (BookingMailKind::CancelledByVisitor | BookingMailKind::CancelledByOffice { .. }, true) => {
            format!("Prenotazione annullata: {}, {when}", facts.service)
        }
        (
            BookingMailKind::CancelledByVisitor | BookingMailKind::CancelledByOffice { .. },
            false,
        ) => {
            format!("Booking cancelled: {}, {when}", facts.service)
        }
    };

    let opening: Vec<String> = match (kind, it) {
        (BookingMailKind::Confirmation, true) => vec!["la prenotazione è confermata.".into()],
        (BookingMailKind::Confirmation, false) => vec!["your booking is confirmed.".into()],
        (BookingMailKind::Reminder, true) => {
            vec!["ti ricordiamo l'appuntamento che hai prenotato.".into()]
        }
        (BookingMailKind::Reminder, false) => {
            vec!["this is a reminder of the appointment you booked.".into()]
        }
        (BookingMailKind::Moved, true) => {
            vec!["la prenotazione è stata spostata. Ecco i nuovi dati.".into()]
        }
        (BookingMailKind::Moved, false) => {
            vec!["your booking has been moved. Here are the new details.".into()]
        }
        (BookingMailKind::CancelledByVisitor, true) => {
            vec!["come hai chiesto, la prenotazione è stata annullata.".into()]
        }
        (BookingMailKind::CancelledByVisitor, false) => {
            vec!["as you asked, your booking has been cancelled.".into()]
        }
        (BookingMailKind::CancelledByOffice { reason }, true) => {
            let mut lines =
                vec!["ci dispiace: l'ufficio ha dovuto annullare la tua prenotazione.".to_owned()];
            if !reason.trim().is_empty() {
                lines.push(format!("Motivo: {}", reason.trim()));
            }
            lines
        }
        (BookingMailKind::CancelledByOffice { reason }, false) => {
            let mut lines = vec!["we are sorry: the office had to cancel your booking.".to_owned()];
            if !reason.trim().is_empty() {
                lines.push(format!("Reason: {}", reason.trim()));
            }
            lines
        }
    };

    let place = if facts.address.is_empty() {
        facts.office.to_owned()
    } else {
        format!("{}, {}", facts.office, facts.address)
    };
    let labels = if it {
        ["Codice", "Servizio", "Sede", "Data", "Orario"]
    } else {
        ["Code", "Service", "Office", "Date", "Time"]
    };
    let hours = if it {
        format!(
            "{} - {} (ora italiana)",
            time_of_day(facts.start),
            time_of_day(facts.end)
        )
    } else {
        format!(
            "{} - {} (Italian time)",
            time_of_day(facts.start),
            time_of_day(facts.end)
        )
    };
    let details: [(&str, String); 5] = [
        (labels[0], facts.code.to_owned()),
        (labels[1], facts.service.to_owned()),
        (labels[2], place),
        (labels[3], weekday_date(facts.lang, facts.date)),
        (labels[4], hours),
    ];

    let mut after: Vec<String> = Vec::new();
    let mut link: Option<(String, String)> = None;
    if kind.still_booked() {
        after.push(if it {
            "Presentati allo sportello qualche minuto prima, con un documento di identità valido e il codice della prenotazione.".into()
        } else {
            "Please come to the desk a few minutes early, with a valid identity document and the booking code.".into()
        });
        after.push(if it {
            "Il file allegato aggiunge l'appuntamento al tuo calendario.".into()
        } else {
            "The attached file adds the appointment to your calendar.".into()
        });
        if let Some(url) = facts.manage_url {
            link = Some((
                if it {
                    "Se non puoi venire, annulla o sposta l'appuntamento da questa pagina, così il posto va a un'altra persona:".into()
                } else {
                    "If you cannot come, cancel or move the appointment on this page, so that the place goes to someone else:".into()
                },
                url.to_owned(),
            ));
        }
    } else {
        after.push(if it {
            "Se ti serve ancora, puoi prenotare un nuovo appuntamento con l'assistente virtuale del sito.".into()
        } else {
            "If you still need it, you can book a new appointment with the website's virtual assistant.".into()
        });
    }
    let greeting = if it {
        format!("Gentile {} {},", facts.nome, facts.cognome)
    } else {
        format!("Dear {} {},", facts.nome, facts.cognome)
    };
    let automatic = if it {
        "Questo messaggio è inviato in automatico: non rispondere a questo indirizzo."
    } else {
        "This message was sent automatically: please do not reply to this address."
    };

    let mut text = format!("{greeting}\n\n{}\n\n", opening.join("\n"));
    for (label, value) in &details {
        text.push_str(&format!("{label}: {value}\n"));
    }
    text.push('\n');
    for line in &after {
        text.push_str(line);
        text.push_str("\n\n");
    }
    if let Some((line, url)) = &link {
        text.push_str(&format!("{line}\n{url}\n\n"));
    }
    text.push_str(&format!("{}\n{automatic}\n", facts.site_name));

    let lang = facts.lang.code();
    let mut html = format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:'Titillium Web',Geneva,Tahoma,sans-serif;font-size:16px;line-height:1.5;color:#1a1a1a\">\n",
        escape_html(&subject)
    );
    html.push_str(&format!("<p>{}</p>\n", escape_html(&greeting)));
    for line in &opening {
        html.push_str(&format!("<p>{}</p>\n", escape_html(line)));
    }
    html.push_str("<table role=\"presentation\" style=\"border-collapse:collapse\">\n");
    for (label, value) in &details {
        html.push_str(&format!(
            "<tr><th scope=\"row\" style=\"text-align:left;padding:2px 16px 2px 0\">{}</th><td>{}</td></tr>\n",
            escape_html(label),
            escape_html(value)
        ));
    }
    html.push_str("</table>\n");
    for line in &after {
        html.push_str(&format!("<p>{}</p>\n", escape_html(line)));
    }
    if let Some((line, url)) = &link {
        let action = if it {
            "Gestisci la prenotazione"
        } else {
            "Manage your booking"
        };
        html.push_str(&format!(
            "<p>{}<br><a href=\"{}\" style=\"color:#0066cc\">{action}</a></p>\n",
            escape_html(line),
            escape_html(url)
        ));
    }
    html.push_str(&format!(
        "<p>{}<br><small>{}</small></p>\n</body></html>\n",
        escape_html(facts.site_name),
        escape_html(automatic)
    ));
    MailContent {
        subject,
        text,
        html,
    }
}

/// Text made safe inside HTML content and quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(lang: Lang) -> BookingFacts<'static> {
        BookingFacts {
            lang,
            site_name: "Camera di commercio di Milano Monza Brianza Lodi",
            nome: "Maria",
            cognome: "D'Amico",
            code: "K7QX-4M2P",
            service: "Firma digitale e CNS",
            office: "Sede di Milano",
            address: "Via Meravigli 9/b, 20123 Milano",
            date: Date::new(2026, 12, 9).unwrap(),
            start: 9 * 60 + 20,
            end: 9 * 60 + 40,
            manage_url: Some("https://varco.example/appointments/manage?token=abc&lang=it"),
        }
    }

    #[test]
    fn a_confirmation_says_what_where_and_when_with_the_link() {
        let mail = booking_mail(&BookingMailKind::Confirmation, &facts(Lang::It));
        assert_eq!(
            mail.subject,
            "Prenotazione confermata: Firma digitale e CNS, mercoledì 9 dicembre 2026 alle 09:20"
        );
        for part in [
            "Gentile Maria D'Amico,",
            "Codice: K7QX-4M2P",
            "Sede: Sede di Milano, Via Meravigli 9/b, 20123 Milano",
            "Data: mercoledì 9 dicembre 2026",
            "Orario: 09:20 - 09:40 (ora italiana)",
            "https://varco.example/appointments/manage?token=abc&lang=it",
        ] {
            assert!(mail.text.contains(part), "{part:?} in {}", mail.text);
        }
        assert!(mail.html.contains("<html lang=\"it\">"));
        assert!(mail.html.contains("D&#39;Amico"));
        assert!(mail
            .html
            .contains("href=\"https://varco.example/appointments/manage?token=abc&amp;lang=it\""));
    }

    #[test]
    fn english_visitors_get_english_mail() {
        let mail = booking_mail(&BookingMailKind::Reminder, &facts(Lang::En));
        assert_eq!(
            mail.subject,
            "Reminder: Firma digitale e CNS, Wednesday 9 December 2026 at 09:20"
        );
        assert!(mail.text.starts_with("Dear Maria D'Amico,"));
        assert!(mail.text.contains("Time: 09:20 - 09:40 (Italian time)"));
        assert!(mail.html.contains("<html lang=\"en\">"));
    }

    #[test]
    fn a_cancellation_by_the_office_gives_its_reason_and_no_link() {
        let kind = BookingMailKind::CancelledByOffice {
            reason: "Sportello chiuso per <sciopero>".into(),
        };
        let mail = booking_mail(&kind, &facts(Lang::It));
        assert!(mail.subject.starts_with("Prenotazione annullata:"));
        assert!(mail
            .text
            .contains("Motivo: Sportello chiuso per <sciopero>"));
        assert!(mail.html.contains("Sportello chiuso per &lt;sciopero&gt;"));
        assert!(!mail.text.contains("manage?token"));
        assert!(!kind.still_booked());
        assert!(BookingMailKind::Moved.still_booked());
    }

    #[test]
    fn nothing_a_visitor_typed_becomes_markup() {
        let mut f = facts(Lang::It);
        f.nome = "<script>alert(1)</script>";
        let mail = booking_mail(&BookingMailKind::Confirmation, &f);
        assert!(!mail.html.contains("<script>"));
        assert!(mail.html.contains("&lt;script&gt;"));
    }
}
