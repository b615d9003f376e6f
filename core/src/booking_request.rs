//! «voglio prenotare un appuntamento per la firma digitale a Monza»: a
//! visitor's message that asks to book, and the service and the office it
//! names, read against the site's own list (names and synonyms).
//!
//! The assistant does not answer such a message with a question it has
//! already been told the answer to: the booking flow opens with what was
//! named already chosen, and the visitor confirms or changes it.
//!
//! Matching is by words, after folding case and accents, in the order the
//! name has them, and forgives a typo per word of five letters or more (two
//! from eight): «apuntamento», «firma digitle», «MONZA», «Monzà». Words
//! shorter than five letters must be exact, so that «Lodi» is not «modi».

use crate::lang::Lang;

/// Something that can be booked, or a place where it can: its id and the
/// names a visitor may call it by (titles in each language, synonyms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bookable {
    pub id: String,
    pub names: Vec<String>,
}

/// An office: its names, and the ids of the services it offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookableOffice {
    pub place: Bookable,
    pub services: Vec<String>,
}

/// A message's booking request: what it named, by id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BookingRequest {
    pub service: Option<String>,
    pub office: Option<String>,
    /// An office named that does not offer the named service (the service
    /// is kept, the office is left to choose).
    pub office_without_service: Option<String>,
}

/// Words that ask for an appointment (after folding), by how they begin.
const BOOKING_STEMS: [&str; 6] = [
    "prenot",
    "appuntament",
    "appointment",
    "book",
    "fissa",
    "riserv",
];

/// Whole words a typo of which still asks for an appointment
/// («apuntamento», «prenotazoine»).
const BOOKING_WORDS: [&str; 6] = [
    "prenotare",
    "prenotazione",
    "appuntamento",
    "appuntamenti",
    "appointment",
    "prenotarmi",
];

/// Words that turn the message into another question about an appointment
/// (cancel it, move it, what to bring, whether one is needed): those get
/// the knowledge base's answer.
const OTHER_QUESTION_STEMS: [&str; 15] = [
    "annull",
    "disdi",
    "cancel",
    "modific",
    "spost",
    "cambi",
    "change",
    "reschedul",
    "portar",
    "bring",
    "senza",
    "without",
    "ritard",
    "late",
    "dimentic",
];

/// Lowercase words with accents folded: «Identità» → «identita»,
/// «all'appuntamento» → «all», «appuntamento».
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = fold(c);
        if c.is_alphanumeric() {
            word.push(c);
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        // The typographic apostrophe separates words like the plain one.
        '’' | '‘' | '`' => '\'',
        other => other,
    }
}

/// Edits allowed between a word typed and a word of a name this long.
fn allowed_edits(len: usize) -> usize {
    match len {
        0..=4 => 0,
        5..=7 => 1,
        _ => 2,
    }
}

/// The optimal string alignment distance (Levenshtein plus swapping two
/// neighbours), or `limit + 1` as soon as it is known to be more.
fn distance(a: &[char], b: &[char], limit: usize) -> usize {
    if a.len().abs_diff(b.len()) > limit {
        return limit + 1;
    }
    let width = b.len() + 1;
    let mut rows = vec![vec![0usize; width]; a.len() + 1];
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[i][0] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
            row_min = row_min.min(d);
        }
        if row_min > limit {
            return limit + 1;
        }
    }
    rows[a.len()][b.len()]
}

/// Whether a typed word is the word of a name, typos forgiven.
fn same_word(typed: &str, name_word: &str) -> bool {
    if typed == name_word {
        return true;
    }
    let name: Vec<char> = name_word.chars().collect();
    let limit = allowed_edits(name.len());
    if limit == 0 {
        return false;
    }
    let typed: Vec<char> = typed.chars().collect();
    distance(&typed, &name, limit) <= limit
}

/// Whether the words of `name` appear, in order and next to each other, in
/// `message`.
fn names_it(message: &[String], name: &[String]) -> bool {
    !name.is_empty()
        && message.len() >= name.len()
        && message
            .windows(name.len())
            .any(|w| w.iter().zip(name).all(|(t, n)| same_word(t, n)))
}

/// The ids of the items the message names (each once, in list order).
fn named<'a>(message: &[String], items: impl Iterator<Item = &'a Bookable>) -> Vec<&'a str> {
    items
        .filter(|item| {
            std::iter::once(item.id.replace(['-', '_'], " "))
                .chain(item.names.iter().cloned())
                .any(|name| names_it(message, &words(&name)))
        })
        .map(|item| item.id.as_str())
        .collect()
}

/// Whether the message asks for an appointment (and not something else
/// about one: cancelling, moving, what to bring).
pub fn asks_to_book(text: &str) -> bool {
    let message = words(text);
    let books = message.iter().any(|w| {
        BOOKING_STEMS.iter().any(|s| w.starts_with(s))
            || BOOKING_WORDS.iter().any(|b| same_word(w, b))
    });
    let other = message
        .iter()
        .any(|w| OTHER_QUESTION_STEMS.iter().any(|s| w.starts_with(s)));
    books && !other
}

/// The booking the message asks for, if it asks for one and names a
/// service or an office of the site (a request that names neither gets
/// the assistant's usual answer). Two services, or two offices, named at
/// once choose none of them: the visitor chooses.
pub fn booking_request(
    text: &str,
    services: &[Bookable],
    offices: &[BookableOffice],
) -> Option<BookingRequest> {
    if !asks_to_book(text) {
        return None;
    }
    let message = words(text);
    let only = |ids: Vec<&str>| match ids.as_slice() {
        [one] => Some((*one).to_owned()),
        _ => None,
    };
    let service = only(named(&message, services.iter()));
    let office = only(named(&message, offices.iter().map(|o| &o.place)));
    if service.is_none() && office.is_none() {
        return None;
    }
    let offers = |office: &str, service: &str| {
        offices
            .iter()
            .any(|o| o.place.id == office && o.services.iter().any(|s| s == service))
    };
    Some(match (service, office) {
        (Some(s), Some(o)) if !offers(&o, &s) => BookingRequest {
            service: Some(s),
            office: None,
            office_without_service: Some(o),
        },
        (service, office) => BookingRequest {
            service,
            office,
            office_without_service: None,
        },
    })
}

/// What the assistant says as it opens the booking flow with the
/// request's choices: the names as the visitor will see them chosen, and
/// what to do next. `service` and `office` are the titles of the request's
/// choices; `other_office` the name of an office that lacks the service.
pub fn booking_request_reply(
    lang: Lang,
    service: Option<&str>,
    office: Option<&str>,
    other_office: Option<&str>,
) -> String {
    let mut text = match (lang, service, office) {
        (Lang::It, Some(s), Some(o)) => format!(
            "Ho aperto la prenotazione con il servizio e la sede che hai indicato: «{s}», «{o}». Controlla la scelta e premi «Avanti» per vedere i giorni e gli orari liberi, oppure cambiala."
        ),
        (Lang::It, Some(s), None) => format!(
            "Ho aperto la prenotazione con il servizio che hai indicato: «{s}». Scegli la sede e premi «Avanti» per vedere i giorni e gli orari liberi."
        ),
        (Lang::It, None, Some(o)) => format!(
            "Ho aperto la prenotazione con la sede che hai indicato: «{o}». Scegli il servizio e premi «Avanti» per vedere i giorni e gli orari liberi."
        ),
        (Lang::En, Some(s), Some(o)) => format!(
            "I have opened the booking with the service and the office you named: “{s}”, “{o}”. Check them and press “Next” to see the free days and times, or change them."
        ),
        (Lang::En, Some(s), None) => format!(
            "I have opened the booking with the service you named: “{s}”. Choose the office and press “Next” to see the free days and times."
        ),
        (Lang::En, None, Some(o)) => format!(
            "I have opened the booking with the office you named: “{o}”. Choose the service and press “Next” to see the free days and times."
        ),
        (Lang::It, None, None) => "Ho aperto la prenotazione: scegli il servizio e la sede.".to_owned(),
        (Lang::En, None, None) => "I have opened the booking: choose the service and the office.".to_owned(),
    };
    if let Some(other) = other_office {
        text.push(' ');
        text.push_str(&match lang {
            Lang::It => format!("La sede «{other}» non offre questo servizio: scegline un'altra."),
            Lang::En => format!(
                "The office “{other}” does not offer this service: please choose another one."
            ),
        });
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, names: &[&str]) -> Bookable {
        Bookable {
            id: id.into(),
            names: names.iter().map(|n| n.to_string()).collect(),
        }
    }

    /// The Camera's services and offices, as in the demo's configuration.
    fn camera() -> (Vec<Bookable>, Vec<BookableOffice>) {
        let services = vec![
            item(
                "spid",
                &[
                    "Identità digitale SPID",
                    "SPID digital identity",
                    "identità digitale",
                ],
            ),
            item(
                "firma-digitale",
                &[
                    "Firma digitale e CNS",
                    "Digital signature and CNS card",
                    "firma",
                    "CNS",
                    "carta nazionale dei servizi",
                    "digital signature",
                ],
            ),
            item(
                "carte-tachigrafiche",
                &[
                    "Carte tachigrafiche",
                    "Tachograph cards",
                    "carta tachigrafica",
                    "tachigrafo",
                    "tachograph",
                ],
            ),
            item(
                "certificati",
                &[
                    "Certificati e visure",
                    "Certificates and company searches",
                    "certificato",
                    "visura",
                    "visure",
                    "certificate",
                ],
            ),
        ];
        let office = |id: &str, names: &[&str], services: &[&str]| BookableOffice {
            place: item(id, names),
            services: services.iter().map(|s| s.to_string()).collect(),
        };
        let offices = vec![
            office(
                "milano",
                &["Sede di Milano", "Milan office", "Milan"],
                &[
                    "spid",
                    "firma-digitale",
                    "carte-tachigrafiche",
                    "certificati",
                ],
            ),
            office(
                "monza",
                &["Sede di Monza", "Monza office", "Brianza"],
                &["spid", "firma-digitale", "certificati"],
            ),
            office(
                "lodi",
                &["Sede di Lodi", "Lodi office"],
                &["firma-digitale", "carte-tachigrafiche", "certificati"],
            ),
        ];
        (services, offices)
    }

    fn request(text: &str) -> Option<BookingRequest> {
        let (services, offices) = camera();
        booking_request(text, &services, &offices)
    }

    fn chosen(service: Option<&str>, office: Option<&str>) -> Option<BookingRequest> {
        Some(BookingRequest {
            service: service.map(str::to_owned),
            office: office.map(str::to_owned),
            office_without_service: None,
        })
    }

    #[test]
    fn a_request_naming_a_service_and_an_office_chooses_both() {
        for text in [
            "voglio prenotare un appuntamento per la firma digitale a Monza",
            "Vorrei prenotare la FIRMA DIGITALE nella sede di monza",
            "vorei prenotare un apuntamento per la firma digitle a Monzà",
            "prenotazione firma digitale Monza",
            "mi fissi un appuntamento per la CNS a Monza?",
            "I'd like to book an appointment for the digital signature in Monza",
            "book digital signature at the Monza office",
            "Voglio prenotare un appuntamento per la firma digitale a Monza.",
        ] {
            assert_eq!(
                request(text),
                chosen(Some("firma-digitale"), Some("monza")),
                "{text}"
            );
        }
        assert_eq!(
            request("vorrei un appuntamento per lo SPID a Milano"),
            chosen(Some("spid"), Some("milano"))
        );
        assert_eq!(
            request("appuntamento per la carta tachigrafica a Lodi"),
            chosen(Some("carte-tachigrafiche"), Some("lodi"))
        );
        assert_eq!(
            request("book an appointment for a company search certificate in Milan"),
            chosen(Some("certificati"), Some("milano"))
        );
        assert_eq!(
            request("prenota per me l'identità digitale a Monza"),
            chosen(Some("spid"), Some("monza"))
        );
    }

    #[test]
    fn a_request_naming_one_of_them_chooses_that_one() {
        assert_eq!(
            request("voglio prenotare un appuntamento per lo spid"),
            chosen(Some("spid"), None)
        );
        assert_eq!(
            request("vorrei prenotare un appuntamento a Lodi"),
            chosen(None, Some("lodi"))
        );
        assert_eq!(
            request("I want to book an appointment in Milan"),
            chosen(None, Some("milano"))
        );
    }

    #[test]
    fn a_request_naming_neither_or_another_question_is_not_one() {
        for text in [
            "voglio prenotare un appuntamento",
            "Come prenoto un appuntamento?",
            "come annullo la prenotazione dello spid a Monza?",
            "devo spostare l'appuntamento per la firma digitale",
            "cosa devo portare all'appuntamento per lo spid?",
            "posso venire senza prenotazione per la firma digitale a Milano?",
            "quanto costa la firma digitale?",
            "come ottengo lo spid a Milano",
            "cancel my appointment in Monza",
            "",
            "   ",
        ] {
            assert_eq!(request(text), None, "{text}");
        }
    }

    #[test]
    fn two_services_or_two_offices_named_choose_neither_of_them() {
        assert_eq!(
            request("voglio prenotare per spid e firma digitale a Monza"),
            chosen(None, Some("monza"))
        );
        assert_eq!(
            request("prenotare la firma digitale a Milano o a Monza"),
            chosen(Some("firma-digitale"), None)
        );
    }

    #[test]
    fn an_office_that_lacks_the_service_is_left_to_choose() {
        assert_eq!(
            request("prenotare lo spid a Lodi"),
            Some(BookingRequest {
                service: Some("spid".into()),
                office: None,
                office_without_service: Some("lodi".into()),
            })
        );
    }

    #[test]
    fn short_words_must_be_exact() {
        // «modi» is one letter from «lodi», and no office.
        assert_eq!(
            request("in quali modi posso prenotare lo spid?"),
            chosen(Some("spid"), None)
        );
        assert!(!same_word("spod", "spid"));
        assert!(same_word("monza", "monza"));
        assert!(same_word("mnoza", "monza"));
        assert!(!same_word("mnozaa", "monza"));
        assert!(same_word("tachigrafica", "tachigrafiche"));
    }

    #[test]
    fn words_fold_case_accents_and_apostrophes() {
        assert_eq!(
            words("All’appuntamento per l'Identità, a MONZA!"),
            ["all", "appuntamento", "per", "l", "identita", "a", "monza"]
        );
        assert!(words("").is_empty());
    }

    #[test]
    fn the_reply_names_the_choices_and_never_asks_for_them_again() {
        let it = booking_request_reply(
            Lang::It,
            Some("Firma digitale e CNS"),
            Some("Sede di Monza"),
            None,
        );
        assert!(
            it.contains("«Firma digitale e CNS»") && it.contains("«Sede di Monza»"),
            "{it}"
        );
        assert!(!it.contains("dimmi per quale servizio"), "{it}");
        let en = booking_request_reply(
            Lang::En,
            Some("SPID digital identity"),
            None,
            Some("Lodi office"),
        );
        assert!(
            en.contains("“SPID digital identity”") && en.contains("“Lodi office” does not offer"),
            "{en}"
        );
        let it = booking_request_reply(Lang::It, None, Some("Sede di Lodi"), None);
        assert!(it.contains("Scegli il servizio"), "{it}");
    }
}
