//! The rules of booking an appointment at the Camera di commercio's desks
//! (the "Agenda").
//!
//! Why they live here: the widget checks the booking form as the visitor
//! types, and the server checks it again before it stores anything. Both call
//! these functions, so the page and the server never disagree about what is
//! valid or word the same problem differently.
//!
//! Everything is pure and deterministic. The current time is an argument
//! (milliseconds since the UNIX epoch), so a test can stand on any day; and
//! nothing needs a date or time-zone crate:
//!
//! - **fields**: codice fiscale (omocodia and check character included),
//!   e-mail, Italian phone numbers, names; each problem has a stable code and
//!   a sentence for the visitor in Italian and English;
//! - **calendar**: proleptic Gregorian dates counted in days from 1970-01-01
//!   (Howard Hinnant's algorithms), `HH:MM` times of day;
//! - **Europe/Rome**: the EU summer-time rule (Directive 2000/84/EC, used by
//!   Italy since 1996) is fixed, so the two switches of a year are computed
//!   rather than looked up in a time-zone database;
//! - **slots**: a desk's opening hours cut into bookable pieces, with the
//!   places still free;
//! - **booking code**: what the visitor keeps, with the e-mail address, to
//!   cancel;
//! - **iCalendar**: the appointment as an RFC 5545 file for the visitor's
//!   calendar.

use std::fmt;

use varco_protocol::booking::{FieldError, Person};

use crate::lang::Lang;

// ---------------------------------------------------------------------------
// Fields of the booking form
// ---------------------------------------------------------------------------

/// A field of the booking form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Nome,
    Cognome,
    CodiceFiscale,
    Telefono,
    Email,
}

impl Field {
    /// The fields in the order of the form (and of the problems reported).
    pub const ALL: [Field; 5] = [
        Field::Nome,
        Field::Cognome,
        Field::CodiceFiscale,
        Field::Telefono,
        Field::Email,
    ];

    /// The field's name in JSON ([`Person`], [`FieldError::field`]).
    pub fn name(&self) -> &'static str {
        match self {
            Field::Nome => "nome",
            Field::Cognome => "cognome",
            Field::CodiceFiscale => "codice_fiscale",
            Field::Telefono => "telefono",
            Field::Email => "email",
        }
    }

    /// Checks what the visitor typed in this field: the normalised value, or
    /// what is wrong with it.
    pub fn check(&self, raw: &str) -> Result<String, FieldProblem> {
        match self {
            Field::Nome | Field::Cognome => check_name(raw),
            Field::CodiceFiscale => check_codice_fiscale(raw),
            Field::Telefono => check_phone(raw),
            Field::Email => check_email(raw),
        }
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldProblem {
    /// Nothing typed (or only spaces).
    Missing,
    /// Not the shape of a value of this field.
    Format,
    /// A codice fiscale of the right shape whose last character does not
    /// match the other fifteen: most likely a typing slip.
    CheckCharacter,
    /// Longer than the field allows.
    TooLong,
}

impl FieldProblem {
    /// The stable code of [`FieldError::code`].
    pub fn code(&self) -> &'static str {
        match self {
            FieldProblem::Missing => "missing",
            FieldProblem::Format => "format",
            FieldProblem::CheckCharacter => "check_character",
            FieldProblem::TooLong => "too_long",
        }
    }

    /// A sentence for the visitor: what to do about the problem in `field`.
    pub fn message(&self, field: Field, lang: Lang) -> &'static str {
        match lang {
            Lang::It => self.italian(field),
            Lang::En => self.english(field),
        }
    }

    fn italian(self, field: Field) -> &'static str {
        use Field::*;
        use FieldProblem::*;
        match (self, field) {
            (Missing, Nome) => "Inserisci il nome.",
            (Missing, Cognome) => "Inserisci il cognome.",
            (Missing, CodiceFiscale) => "Inserisci il codice fiscale.",
            (Missing, Telefono) => "Inserisci un numero di telefono.",
            (Missing, Email) => "Inserisci l'indirizzo email.",
            (Format, Nome) => {
                "Il nome può contenere solo lettere, spazi, apostrofi, trattini e punti."
            }
            (Format, Cognome) => {
                "Il cognome può contenere solo lettere, spazi, apostrofi, trattini e punti."
            }
            (Format, CodiceFiscale) => "Il codice fiscale non è valido: controlla i 16 caratteri.",
            (Format, Telefono) => "Inserisci un numero di telefono italiano, fisso o cellulare.",
            (Format, Email) => "Inserisci un indirizzo email valido, ad esempio nome@esempio.it.",
            (CheckCharacter, CodiceFiscale) => {
                "Il carattere di controllo del codice fiscale non corrisponde: \
                 controlla di averlo scritto bene."
            }
            (TooLong, Nome) => "Il nome può avere al massimo 60 caratteri.",
            (TooLong, Cognome) => "Il cognome può avere al massimo 60 caratteri.",
            (TooLong, Email) => {
                "L'indirizzo email è troppo lungo: può avere al massimo 254 caratteri."
            }
            // No other field has a check character or a length of its own:
            // what the visitor needs to hear is the field's format.
            (CheckCharacter | TooLong, _) => Format.italian(field),
        }
    }

    fn english(self, field: Field) -> &'static str {
        use Field::*;
        use FieldProblem::*;
        match (self, field) {
            (Missing, Nome) => "Enter your first name.",
            (Missing, Cognome) => "Enter your surname.",
            (Missing, CodiceFiscale) => "Enter your codice fiscale (Italian tax code).",
            (Missing, Telefono) => "Enter a phone number.",
            (Missing, Email) => "Enter your email address.",
            (Format, Nome) => {
                "The first name can contain only letters, spaces, apostrophes, hyphens and full stops."
            }
            (Format, Cognome) => {
                "The surname can contain only letters, spaces, apostrophes, hyphens and full stops."
            }
            (Format, CodiceFiscale) => {
                "The codice fiscale is not valid: check the 16 characters."
            }
            (Format, Telefono) => "Enter an Italian phone number, landline or mobile.",
            (Format, Email) => "Enter a valid email address, for example name@example.com.",
            (CheckCharacter, CodiceFiscale) => {
                "The check character of the codice fiscale does not match: \
                 check that you typed it correctly."
            }
            (TooLong, Nome) => "The first name can be at most 60 characters long.",
            (TooLong, Cognome) => "The surname can be at most 60 characters long.",
            (TooLong, Email) => "The email address is too long: it can be at most 254 characters.",
            (CheckCharacter | TooLong, _) => Format.english(field),
        }
    }
}

/// The letters that stand for the digits 0-9 in an omocodia code, in order.
const OMOCODIA_LETTERS: &[u8; 10] = b"LMNPQRSTUV";

/// The month letters of a codice fiscale, January to December.
const MONTH_LETTERS: &[u8; 12] = b"ABCDEHLMPRST";

/// The (0-based) positions of the seven digits of a codice fiscale: two of
/// the year, two of the day, three of the place code. With omocodia, any of
/// them may hold a letter of [`OMOCODIA_LETTERS`] instead.
const DIGIT_POSITIONS: [usize; 7] = [6, 7, 9, 10, 12, 13, 14];

/// The value of a character in an odd (1-based) position, for the check
/// character: index 0-9 for the digits `0`-`9`, 0-25 for the letters `A`-`Z`
/// (a digit counts as the letter of the same index).
const ODD_POSITION_VALUES: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

/// Checks a codice fiscale (of a person: sixteen characters).
///
/// Spaces anywhere are removed and letters uppercased, so `rss mra 85t10
/// a562s` is accepted as `RSSMRA85T10A562S`. The shape is six letters, two
/// year digits, a month letter, two day digits, a letter and three digits of
/// the place code, and the check character; with omocodia the digits may be
/// the letters `LMNPQRSTUV`. The day is 1-31, or 41-71 for women. The check
/// character must be the one computed with the official tables.
pub fn check_codice_fiscale(raw: &str) -> Result<String, FieldProblem> {
    let code: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        // A codice fiscale is ASCII: Unicode's case tables would only add
        // bytes to the widget.
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if code.is_empty() {
        return Err(FieldProblem::Missing);
    }
    let bytes = code.as_bytes();
    if !has_codice_fiscale_shape(bytes) {
        return Err(FieldProblem::Format);
    }
    let day = omocodia_digit(bytes[9]) * 10 + omocodia_digit(bytes[10]);
    if !(1..=31).contains(&day) && !(41..=71).contains(&day) {
        return Err(FieldProblem::Format);
    }
    if codice_fiscale_check_character(&bytes[..15]) != bytes[15] {
        return Err(FieldProblem::CheckCharacter);
    }
    Ok(code)
}

/// Whether `code` (uppercase) has the shape of a person's codice fiscale,
/// omocodia included. The day and the check character are not looked at.
pub(crate) fn has_codice_fiscale_shape(code: &[u8]) -> bool {
    code.len() == 16
        && code.iter().enumerate().all(|(i, &c)| match i {
            8 => MONTH_LETTERS.contains(&c),
            _ if DIGIT_POSITIONS.contains(&i) => {
                c.is_ascii_digit() || OMOCODIA_LETTERS.contains(&c)
            }
            _ => c.is_ascii_uppercase(),
        })
}

/// The digit a digit position stands for (a digit, or an omocodia letter).
fn omocodia_digit(c: u8) -> u32 {
    match OMOCODIA_LETTERS.iter().position(|&l| l == c) {
        Some(digit) => digit as u32,
        None => u32::from(c - b'0'),
    }
}

/// The check character of the first fifteen characters of a codice fiscale
/// (uppercase ASCII letters and digits): the characters in odd positions
/// (1-based) count by [`ODD_POSITION_VALUES`], those in even positions by
/// their index (`0`-`9`, `A`-`Z`); the sum modulo 26 is the letter.
fn codice_fiscale_check_character(first_fifteen: &[u8]) -> u8 {
    let sum: u32 = first_fifteen
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let index = if c.is_ascii_digit() {
                c - b'0'
            } else {
                c - b'A'
            };
            if i % 2 == 0 {
                ODD_POSITION_VALUES[usize::from(index)]
            } else {
                u32::from(index)
            }
        })
        .sum();
    b'A' + (sum % 26) as u8
}

/// The longest e-mail address accepted, in octets (RFC 5321's path limit).
pub const EMAIL_MAX_LEN: usize = 254;

/// Checks an e-mail address: one `@`; a local part of letters, digits and
/// `!#$%&'*+/=?^_`{|}~-`, dots between them; a domain of at least two
/// labels of letters, digits and inner hyphens, the last of two or more
/// letters. Returns it trimmed, with the domain lowercased (the local part
/// is the mailbox owner's business and is kept as typed).
pub fn check_email(raw: &str) -> Result<String, FieldProblem> {
    let email = raw.trim();
    if email.is_empty() {
        return Err(FieldProblem::Missing);
    }
    if email.len() > EMAIL_MAX_LEN {
        return Err(FieldProblem::TooLong);
    }
    match email.split_once('@') {
        Some((local, domain)) if is_email_local_part(local) && is_email_domain(domain) => {
            Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
        }
        _ => Err(FieldProblem::Format),
    }
}

fn is_email_local_part(local: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || SPECIALS.contains(c))
}

fn is_email_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let tld_ok = |tld: &&str| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic());
    labels.len() >= 2 && labels.iter().all(label_ok) && labels.last().is_some_and(tld_ok)
}

/// Checks an Italian phone number and returns it as `+39` and the digits.
///
/// Accepted: an optional `+39` or `0039`, then a mobile number (a `3` and
/// 9-10 digits in all) or a landline number (a `0` and 6-11 digits in all),
/// with spaces, dots, dashes, slashes and one pair of parentheses between
/// the digits as people write them (`+39 333 123 4567`, `(02) 1234.5678`).
/// Foreign numbers are refused: the desk calls Italian numbers.
pub fn check_phone(raw: &str) -> Result<String, FieldProblem> {
    let phone = raw.trim();
    if phone.is_empty() {
        return Err(FieldProblem::Missing);
    }
    let (plus, digits) = phone_digits(phone).ok_or(FieldProblem::Format)?;
    let national = if plus {
        digits.strip_prefix("39").ok_or(FieldProblem::Format)?
    } else {
        digits.strip_prefix("0039").unwrap_or(&digits)
    };
    if !is_italian_national_number(national) {
        return Err(FieldProblem::Format);
    }
    Ok(format!("+39{national}"))
}

/// The digits of a written phone number, and whether it began with `+`.
/// `None` if it holds anything but digits, a leading `+`, whitespace,
/// `.`, `-`, `/` and one pair of parentheses (`(` before `)`).
pub(crate) fn phone_digits(text: &str) -> Option<(bool, String)> {
    let plus = text.starts_with('+');
    let body = text.strip_prefix('+').unwrap_or(text);
    let (opens, closes) = (body.matches('(').count(), body.matches(')').count());
    let parens_ok = match (body.find('('), body.find(')')) {
        (None, None) => true,
        (Some(open), Some(close)) => opens == 1 && closes == 1 && open < close,
        _ => false,
    };
    let chars_ok = body
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_whitespace() || ".-/()".contains(c));
    let digits: String = body.chars().filter(char::is_ascii_digit).collect();
    (parens_ok && chars_ok && !digits.is_empty()).then_some((plus, digits))
}

/// An Italian number without the country code: a mobile (`3`, 9-10 digits)
/// or a landline (`0`, 6-11 digits).
pub(crate) fn is_italian_national_number(digits: &str) -> bool {
    let len = digits.len();
    digits.bytes().all(|c| c.is_ascii_digit())
        && match digits.as_bytes().first() {
            Some(b'3') => (9..=10).contains(&len),
            Some(b'0') => (6..=11).contains(&len),
            _ => false,
        }
}

/// The longest first name or surname accepted, in characters.
pub const NAME_MAX_CHARS: usize = 60;

/// Checks a first name or a surname: letters of any alphabet (accented ones
/// too, also typed as a letter and a combining accent), spaces, apostrophes
/// (`'` and `’`), hyphens and dots, with at least one letter; at most
/// [`NAME_MAX_CHARS`] characters. Returns it trimmed, each run of whitespace
/// made one space.
pub fn check_name(raw: &str) -> Result<String, FieldProblem> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(FieldProblem::Missing);
    }
    let mut after_letter = false;
    for c in name.chars() {
        let letter = c.is_alphabetic() || (after_letter && is_combining_accent(c));
        if !letter && !matches!(c, ' ' | '\'' | '’' | '-' | '.') {
            return Err(FieldProblem::Format);
        }
        after_letter = letter;
    }
    if !name.chars().any(char::is_alphabetic) {
        return Err(FieldProblem::Format);
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(FieldProblem::TooLong);
    }
    Ok(name)
}

/// A combining diacritical mark (U+0300-U+036F), as some keyboards type `è`:
/// `e` and a combining grave accent.
fn is_combining_accent(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

/// Checks all the visitor's details. On success, the normalised [`Person`];
/// otherwise every problem, in the order of the form, worded in `lang`.
pub fn check_person(person: &Person, lang: Lang) -> Result<Person, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut check = |field: Field, raw: &str| {
        field.check(raw).unwrap_or_else(|problem| {
            errors.push(FieldError {
                field: field.name().to_string(),
                code: problem.code().to_string(),
                message: problem.message(field, lang).to_string(),
            });
            String::new()
        })
    };
    let checked = Person {
        nome: check(Field::Nome, &person.nome),
        cognome: check(Field::Cognome, &person.cognome),
        codice_fiscale: check(Field::CodiceFiscale, &person.codice_fiscale),
        telefono: check(Field::Telefono, &person.telefono),
        email: check(Field::Email, &person.email),
    };
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(errors)
    }
}

// ---------------------------------------------------------------------------
// Calendar
// ---------------------------------------------------------------------------

const MINUTES_PER_DAY: u16 = 24 * 60;
const MS_PER_MINUTE: i64 = 60_000;
const MS_PER_DAY: i64 = 86_400_000;

/// A day of the (proleptic Gregorian) calendar. Built by [`Date::new`],
/// [`Date::parse`] or [`Date::from_days`], it is always a real date.
/// Ordered by time (the fields are compared in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// The date, if `day` exists in that month of that year.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
            .then_some(Date { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD`; `None` for any other shape and for dates
    /// that do not exist (`2025-02-29`).
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        let digits_ok = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !digits_ok {
            return None;
        }
        Date::new(
            s[0..4].parse().ok()?,
            s[5..7].parse().ok()?,
            s[8..10].parse().ok()?,
        )
    }

    /// The day of the week: 0 for Monday ... 6 for Sunday.
    pub fn weekday(self) -> u8 {
        // 1970-01-01 was a Thursday.
        (self.days_from_epoch() + 3).rem_euclid(7) as u8
    }

    /// The date `days` days later (earlier, if negative).
    pub fn add_days(self, days: i64) -> Date {
        Date::from_days(self.days_from_epoch() + days)
    }

    /// Days since 1970-01-01 (negative before it). Hinnant's
    /// `days_from_civil`: years counted from March, in 400-year eras.
    pub fn days_from_epoch(self) -> i64 {
        let (month, day) = (i64::from(self.month), i64::from(self.day));
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date `days` days after 1970-01-01. Hinnant's `civil_from_days`.
    /// (Meant for real dates: years beyond `i32` wrap.)
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let march_based_month = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * march_based_month + 2) / 5 + 1;
        let month = if march_based_month < 10 {
            march_based_month + 3
        } else {
            march_based_month - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Date {
            year: year as i32,
            month: month as u8,
            day: day as u8,
        }
    }
}

impl fmt::Display for Date {
    /// `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

const WEEKDAYS_IT: [&str; 7] = [
    "lunedì",
    "martedì",
    "mercoledì",
    "giovedì",
    "venerdì",
    "sabato",
    "domenica",
];
const WEEKDAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
/// The answer to a booking whose slot is not (or no longer) offered.
pub fn slot_unavailable(lang: Lang) -> &'static str {
    match lang {
        Lang::It => "L'orario scelto non è disponibile: scegline un altro.",
        Lang::En => "The chosen time is not available: please choose another one.",
    }
}

/// The answer to a booking whose slot filled up while the visitor was
/// typing.
pub fn slot_taken_meanwhile(lang: Lang) -> &'static str {
    match lang {
        Lang::It => "Nel frattempo questo orario è stato prenotato: scegline un altro.",
        Lang::En => "Meanwhile this time has been booked: please choose another one.",
    }
}

/// How many active bookings (not cancelled, not yet begun) one person, one
/// e-mail address and one client may hold at a site at once: a visitor
/// books what they need, and a script cannot take every free place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingLimits {
    pub per_person: u32,
    pub per_email: u32,
    pub per_client: u32,
}

/// The active bookings already held by the codice fiscale, the e-mail
/// address and the client of a new booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ActiveBookings {
    pub person: u32,
    pub email: u32,
    pub client: u32,
}

/// Which limit a new booking would go past, with the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitReached {
    Person(u32),
    Email(u32),
    Client(u32),
}

/// The limit a new booking would go past, if any: the person's first (the
/// visitor's own), then the e-mail address's, then the client's.
pub fn limit_reached(active: ActiveBookings, limits: BookingLimits) -> Option<LimitReached> {
    if active.person >= limits.per_person {
        Some(LimitReached::Person(limits.per_person))
    } else if active.email >= limits.per_email {
        Some(LimitReached::Email(limits.per_email))
    } else if active.client >= limits.per_client {
        Some(LimitReached::Client(limits.per_client))
    } else {
        None
    }
}

impl LimitReached {
    /// What the visitor is told: what holds the places, and how to book
    /// again.
    pub fn message(self, lang: Lang) -> String {
        match (self, lang) {
            (LimitReached::Person(1), Lang::It) => "Con questo codice fiscale hai già un appuntamento prenotato, il massimo consentito. Per prenotarne un altro, annulla prima quello che hai.".to_owned(),
            (LimitReached::Person(n), Lang::It) => format!("Con questo codice fiscale hai già {n} appuntamenti prenotati, il massimo consentito. Per prenotarne un altro, annulla prima uno di quelli che hai."),
            (LimitReached::Email(1), Lang::It) => "Con questo indirizzo email è già stato prenotato un appuntamento, il massimo consentito. Per prenotarne un altro, annulla prima quello prenotato.".to_owned(),
            (LimitReached::Email(n), Lang::It) => format!("Con questo indirizzo email sono già stati prenotati {n} appuntamenti, il massimo consentito. Per prenotarne un altro, annulla prima uno di quelli prenotati."),
            (LimitReached::Client(1), Lang::It) => "Da questa connessione a Internet è già stato prenotato un appuntamento, il massimo consentito. Per prenotarne un altro, annulla prima quello prenotato oppure contatta l'ufficio.".to_owned(),
            (LimitReached::Client(n), Lang::It) => format!("Da questa connessione a Internet sono già stati prenotati {n} appuntamenti, il massimo consentito. Per prenotarne un altro, annulla prima uno di quelli prenotati oppure contatta l'ufficio."),
            (LimitReached::Person(1), Lang::En) => "You already have an appointment booked with this codice fiscale, the maximum allowed. To book another one, first cancel the one you have.".to_owned(),
            (LimitReached::Person(n), Lang::En) => format!("You already have {n} appointments booked with this codice fiscale, the maximum allowed. To book another one, first cancel one of those you have."),
            (LimitReached::Email(1), Lang::En) => "An appointment has already been booked with this email address, the maximum allowed. To book another one, first cancel the one booked.".to_owned(),
            (LimitReached::Email(n), Lang::En) => format!("{n} appointments have already been booked with this email address, the maximum allowed. To book another one, first cancel one of them."),
            (LimitReached::Client(1), Lang::En) => "An appointment has already been booked from this Internet connection, the maximum allowed. To book another one, first cancel the one booked or contact the office.".to_owned(),
            (LimitReached::Client(n), Lang::En) => format!("{n} appointments have already been booked from this Internet connection, the maximum allowed. To book another one, first cancel one of them or contact the office."),
        }
    }
}

/// The form of a checked e-mail address under which its bookings are
/// counted: lowercased, and without a `+tag` in the local part
/// (`Mario.Rossi+spid@Example.it` → `mario.rossi@example.it`), since the
/// tags reach one mailbox and would otherwise be a new address each.
pub fn email_limit_key(email: &str) -> String {
    let email = email.trim().to_lowercase();
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let mailbox = local.split('+').next().unwrap_or(local);
            format!("{mailbox}@{domain}")
        }
        None => email,
    }
}

/// The title and the description of the appointment in the visitor's
/// calendar (the `.ics` file): the booking code, never personal data.
pub fn calendar_texts(lang: Lang, service: &str, site: &str, code: &str) -> (String, String) {
    match lang {
        Lang::It => (
            format!("Appuntamento: {service} – {site}"),
            format!(
                "Codice della prenotazione: {code}. Porta con te un documento di identità. Per annullare usa il codice e l'indirizzo email indicato."
            ),
        ),
        Lang::En => (
            format!("Appointment: {service} – {site}"),
            format!(
                "Booking code: {code}. Bring an identity document. To cancel, use the code and the e-mail address you gave."
            ),
        ),
    }
}

/// The name of a weekday (0 = Monday): "lunedì", "Monday".
pub fn weekday_name(weekday: u8, lang: Lang) -> &'static str {
    let i = usize::from(weekday.min(6));
    match lang {
        Lang::It => WEEKDAYS_IT[i],
        Lang::En => WEEKDAYS_EN[i],
    }
}

impl Date {
    /// "lunedì 24 novembre 2026", "Monday 24 November 2026": see
    /// [`crate::dates`].
    pub fn long(self, lang: Lang) -> String {
        crate::dates::weekday_date(lang, self)
    }
}

/// Gregorian leap years: every fourth, except centuries not divisible by 400.
pub fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days of `month` (1-12) in `year`; 0 for another month.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Parses exactly `HH:MM` (00:00 to 23:59) to minutes since midnight.
pub fn parse_hhmm(s: &str) -> Option<u16> {
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b':' || ![b[0], b[1], b[3], b[4]].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let number = |hi: u8, lo: u8| u16::from(hi - b'0') * 10 + u16::from(lo - b'0');
    let (hours, minutes) = (number(b[0], b[1]), number(b[3], b[4]));
    (hours < 24 && minutes < 60).then_some(hours * 60 + minutes)
}

/// Formats minutes since midnight as `HH:MM` (1440 gives `24:00`, the end of
/// a slot that closes the day).
pub fn format_hhmm(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

// ---------------------------------------------------------------------------
// Europe/Rome
// ---------------------------------------------------------------------------

/// The offset of Italian time from UTC at an instant, in minutes: 120 during
/// summer time (from the last Sunday of March, 01:00 UTC, to the last Sunday
/// of October, 01:00 UTC), otherwise 60. The rule is the EU's, in force in
/// Italy since 1996; earlier instants get it too.
pub fn rome_offset_minutes(utc_ms: i64) -> i32 {
    let year = Date::from_days(utc_ms.div_euclid(MS_PER_DAY)).year;
    let summer = summer_time_switch_ms(year, 3)..summer_time_switch_ms(year, 10);
    if summer.contains(&utc_ms) {
        120
    } else {
        60
    }
}

/// The instant clocks change in `month` of `year`: the month's last Sunday,
/// 01:00 UTC.
fn summer_time_switch_ms(year: i32, month: u8) -> i64 {
    let last_day = Date {
        year,
        month,
        day: days_in_month(year, month),
    };
    let days_after_sunday = (i64::from(last_day.weekday()) + 1) % 7;
    let last_sunday = last_day.add_days(-days_after_sunday);
    last_sunday.days_from_epoch() * MS_PER_DAY + 60 * MS_PER_MINUTE
}

/// The date and the minute of the day on an Italian wall clock at an
/// instant.
pub fn rome_local(utc_ms: i64) -> (Date, u16) {
    let local_ms = utc_ms + i64::from(rome_offset_minutes(utc_ms)) * MS_PER_MINUTE;
    let date = Date::from_days(local_ms.div_euclid(MS_PER_DAY));
    let minute = (local_ms.rem_euclid(MS_PER_DAY) / MS_PER_MINUTE) as u16;
    (date, minute)
}

/// The instant an Italian wall clock shows `minute` on `date`.
///
/// Twice a year the wall clock is not one-to-one:
/// - on the last Sunday of October, 02:00-02:59 happens twice: the first
///   one (still summer time, UTC+2) is chosen, as `java.time` does;
/// - on the last Sunday of March, 02:00-02:59 does not exist: it is read
///   with the offset before the change (UTC+1), which is the same instant as
///   an hour later on the new clock (02:30 is 03:30 summer time).
///
/// No desk is open at that hour; the choice only has to be predictable.
pub fn rome_to_utc_ms(date: Date, minute: u16) -> i64 {
    let wall_ms = date.days_from_epoch() * MS_PER_DAY + i64::from(minute) * MS_PER_MINUTE;
    let as_summer_time = wall_ms - 120 * MS_PER_MINUTE;
    if rome_offset_minutes(as_summer_time) == 120 {
        as_summer_time
    } else {
        wall_ms - 60 * MS_PER_MINUTE
    }
}

// ---------------------------------------------------------------------------
// Slots
// ---------------------------------------------------------------------------

/// When a desk receives by appointment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schedule {
    /// Opening intervals: (weekday, 0 = Monday; opening minute; closing
    /// minute), Italian time. A weekday may have several (morning and
    /// afternoon).
    pub hours: Vec<(u8, u16, u16)>,
    /// Other days the desk is closed (a strike, a move, a bridge day).
    pub closed_dates: Vec<Date>,
    /// The national holidays and the comune's patron day, closed without
    /// being listed.
    pub calendar: crate::holidays::Calendar,
    /// The length of an appointment.
    pub slot_minutes: u16,
    /// Appointments the desk takes at the same time.
    pub capacity: u32,
}

/// The slots of `date`: (start minute, end minute, free places), in order.
///
/// Each opening interval of the date's weekday is cut into pieces of
/// `slot_minutes`; a last piece shorter than that is dropped. There are none
/// on a closed date, and none starting earlier than `min_notice_minutes`
/// after `now_utc_ms` (the dates and times are Italian). A slot is listed
/// even when full: `free` is `capacity` less `booked(start)`, never below 0.
pub fn slots(
    schedule: &Schedule,
    date: Date,
    now_utc_ms: i64,
    min_notice_minutes: u16,
    booked: impl Fn(u16) -> u32,
) -> Vec<(u16, u16, u32)> {
    slot_times(schedule, date, now_utc_ms, min_notice_minutes)
        .into_iter()
        .map(|(start, end)| (start, end, schedule.capacity.saturating_sub(booked(start))))
        .collect()
}

/// Whether `start` is the start of one of the [`slots`] of `date`: a time the
/// visitor may book. Whether a place is still free is for the caller to
/// check against its store.
pub fn is_bookable_slot(
    schedule: &Schedule,
    date: Date,
    start: u16,
    now_utc_ms: i64,
    min_notice_minutes: u16,
) -> bool {
    slot_times(schedule, date, now_utc_ms, min_notice_minutes)
        .iter()
        .any(|&(slot_start, _)| slot_start == start)
}

fn slot_times(
    schedule: &Schedule,
    date: Date,
    now_utc_ms: i64,
    min_notice_minutes: u16,
) -> Vec<(u16, u16)> {
    let length = schedule.slot_minutes;
    if length == 0 || schedule.closed_dates.contains(&date) || schedule.calendar.closes(date) {
        return Vec::new();
    }
    let weekday = date.weekday();
    let mut times = Vec::new();
    for &(_, open, close) in schedule.hours.iter().filter(|h| h.0 == weekday) {
        let close = u32::from(close.min(MINUTES_PER_DAY));
        let mut start = u32::from(open);
        while start + u32::from(length) <= close {
            let end = start + u32::from(length);
            times.push((start as u16, end as u16));
            start = end;
        }
    }
    times.sort_unstable();
    times.dedup_by_key(|&mut (start, _)| start);
    let earliest_ms = now_utc_ms + i64::from(min_notice_minutes) * MS_PER_MINUTE;
    times.retain(|&(start, _)| rome_to_utc_ms(date, start) >= earliest_ms);
    times
}

// ---------------------------------------------------------------------------
// Booking code
// ---------------------------------------------------------------------------

/// The characters of a booking code: digits and capital letters without
/// those read or typed one for another (0/O, 1/I/L).
pub const BOOKING_CODE_ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A booking code, `XXXX-XXXX`, from eight random bytes (the caller's
/// CSPRNG: the core has no randomness).
///
/// The bytes are read as one number written in base 31: 31⁸ ≈ 8.5 × 10¹¹
/// codes (about 39.6 bits), and a 64-bit number makes the bias of the
/// modulo negligible (below one in 2 × 10⁷).
pub fn booking_code(random: [u8; 8]) -> String {
    let base = BOOKING_CODE_ALPHABET.len() as u64;
    let mut number = u64::from_be_bytes(random);
    let mut code = [0u8; 8];
    for c in code.iter_mut().rev() {
        *c = BOOKING_CODE_ALPHABET[(number % base) as usize];
        number /= base;
    }
    grouped_code(&code)
}

/// A booking code as the visitor typed it, normalised to `XXXX-XXXX`:
/// surrounding spaces and case do not matter, the dash may be left out.
/// `None` if it cannot be a booking code.
pub fn normalise_booking_code(raw: &str) -> Option<String> {
    let typed = raw.trim().to_ascii_uppercase();
    let b = typed.as_bytes();
    let code = match b.len() {
        8 => b.to_vec(),
        9 if b[4] == b'-' => [&b[..4], &b[5..]].concat(),
        _ => return None,
    };
    code.iter()
        .all(|c| BOOKING_CODE_ALPHABET.contains(c))
        .then(|| grouped_code(&code))
}

/// Eight code characters (ASCII) as `XXXX-XXXX`.
fn grouped_code(code: &[u8]) -> String {
    let (first, second) = code.split_at(4);
    format!(
        "{}-{}",
        String::from_utf8_lossy(first),
        String::from_utf8_lossy(second)
    )
}

// ---------------------------------------------------------------------------
// iCalendar
// ---------------------------------------------------------------------------

/// An appointment for the visitor's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalendarEvent<'a> {
    /// Globally unique and stable for the booking (e.g. `code@host`), so a
    /// second import updates the event instead of doubling it.
    pub uid: &'a str,
    pub summary: &'a str,
    pub location: &'a str,
    pub description: &'a str,
    pub start_utc_ms: i64,
    pub end_utc_ms: i64,
    /// When the booking was made (the `DTSTAMP`).
    pub created_utc_ms: i64,
}

/// Octets of a content line before it is folded (RFC 5545, 3.1).
const ICS_LINE_OCTETS: usize = 75;

/// The appointment as an iCalendar file (RFC 5545): one `VCALENDAR`
/// (`METHOD:PUBLISH`) holding one `VEVENT`, times in UTC, text escaped,
/// lines ending in CRLF and folded at 75 octets.
pub fn ics(event: &CalendarEvent<'_>) -> String {
    let lines = [
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//Varco//Appuntamenti//IT".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        "METHOD:PUBLISH".to_string(),
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}", ics_text(event.uid)),
        format!("DTSTAMP:{}", ics_utc(event.created_utc_ms)),
        format!("DTSTART:{}", ics_utc(event.start_utc_ms)),
        format!("DTEND:{}", ics_utc(event.end_utc_ms)),
        format!("SUMMARY:{}", ics_text(event.summary)),
        format!("LOCATION:{}", ics_text(event.location)),
        format!("DESCRIPTION:{}", ics_text(event.description)),
        "END:VEVENT".to_string(),
        "END:VCALENDAR".to_string(),
    ];
    let mut out = String::new();
    for line in &lines {
        push_folded(&mut out, line);
    }
    out
}

/// A UTC date-time value: `YYYYMMDDTHHMMSSZ` (milliseconds dropped).
fn ics_utc(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    let date = Date::from_days(seconds.div_euclid(86_400));
    let second_of_day = seconds.rem_euclid(86_400);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        date.year,
        date.month,
        date.day,
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// A TEXT value (RFC 5545, 3.3.11): `\`, `;` and `,` escaped with a
/// backslash, each line break (CRLF, LF or CR) written `\n`, other control
/// characters but tab dropped.
fn ics_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` and CRLF, folded (RFC 5545, 3.1): no line longer than 75
/// octets, each continuation starting with one space, and never inside a
/// UTF-8 character.
fn push_folded(out: &mut String, line: &str) {
    let mut octets = 0;
    for c in line.chars() {
        if octets + c.len_utf8() > ICS_LINE_OCTETS {
            out.push_str("\r\n ");
            octets = 1;
        }
        out.push(c);
        octets += c.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_first_limit_reached_is_the_persons_then_the_addresses_then_the_clients() {
        let limits = BookingLimits {
            per_person: 2,
            per_email: 3,
            per_client: 5,
        };
        let active = |person, email, client| ActiveBookings {
            person,
            email,
            client,
        };
        assert_eq!(limit_reached(active(1, 2, 4), limits), None);
        assert_eq!(limit_reached(active(0, 0, 0), limits), None);
        assert_eq!(
            limit_reached(active(2, 3, 5), limits),
            Some(LimitReached::Person(2))
        );
        assert_eq!(
            limit_reached(active(1, 3, 5), limits),
            Some(LimitReached::Email(3))
        );
        assert_eq!(
            limit_reached(active(0, 0, 5), limits),
            Some(LimitReached::Client(5))
        );
        assert_eq!(
            limit_reached(active(7, 0, 0), limits),
            Some(LimitReached::Person(2))
        );
    }

    #[test]
    fn a_limit_reached_says_what_holds_the_places_in_the_visitors_language() {
        assert_eq!(
            LimitReached::Person(2).message(Lang::It),
            "Con questo codice fiscale hai già 2 appuntamenti prenotati, il massimo consentito. Per prenotarne un altro, annulla prima uno di quelli che hai."
        );
        assert_eq!(
            LimitReached::Person(1).message(Lang::En),
            "You already have an appointment booked with this codice fiscale, the maximum allowed. To book another one, first cancel the one you have."
        );
        for limit in [
            LimitReached::Person(1),
            LimitReached::Person(3),
            LimitReached::Email(1),
            LimitReached::Email(3),
            LimitReached::Client(1),
            LimitReached::Client(5),
        ] {
            let (it, en) = (limit.message(Lang::It), limit.message(Lang::En));
            assert_ne!(it, en);
            let what = match limit {
                LimitReached::Person(_) => ("codice fiscale", "codice fiscale"),
                LimitReached::Email(_) => ("indirizzo email", "email address"),
                LimitReached::Client(_) => ("connessione", "connection"),
            };
            assert!(it.contains(what.0) && it.contains("annulla"), "{it}");
            assert!(en.contains(what.1) && en.contains("cancel"), "{en}");
        }
    }

    #[test]
    fn an_email_address_is_counted_lowercased_and_without_its_tag() {
        assert_eq!(
            email_limit_key("Mario.Rossi+spid@Example.it"),
            "mario.rossi@example.it"
        );
        assert_eq!(
            email_limit_key("mario.rossi@example.it"),
            email_limit_key("MARIO.ROSSI+firma+2@EXAMPLE.IT")
        );
        assert_ne!(
            email_limit_key("mario.rossi@example.it"),
            email_limit_key("maria.rossi@example.it")
        );
    }

    #[test]
    fn the_calendar_entry_names_the_booking_code_in_the_visitors_language() {
        let (title, text) = calendar_texts(Lang::It, "SPID", "Camera di commercio", "K7MP-4XQ2");
        assert_eq!(title, "Appuntamento: SPID – Camera di commercio");
        assert!(
            text.starts_with("Codice della prenotazione: K7MP-4XQ2."),
            "{text}"
        );
        let (title, text) = calendar_texts(Lang::En, "SPID", "Chamber of Commerce", "K7MP-4XQ2");
        assert_eq!(title, "Appointment: SPID – Chamber of Commerce");
        assert!(text.starts_with("Booking code: K7MP-4XQ2."), "{text}");
        assert_ne!(slot_unavailable(Lang::It), slot_unavailable(Lang::En));
        assert_ne!(
            slot_taken_meanwhile(Lang::It),
            slot_taken_meanwhile(Lang::En)
        );
    }
    use super::*;

    // --- Codice fiscale ---

    #[test]
    fn accepts_codici_fiscali_whose_check_character_was_verified_by_hand() {
        // Check characters worked out by hand from the official tables (and
        // cross-checked with a separate script), not with the code under test:
        // RSSMRA85T10A562S: 8+18+12+12+8+0+19+5+14+1+1+0+13+6+5 = 122,
        // 122 mod 26 = 18 -> S. MRTMTT25D09F205Z: sum 155, mod 26 = 25 -> Z.
        for code in ["RSSMRA85T10A562S", "MRTMTT25D09F205Z"] {
            assert_eq!(check_codice_fiscale(code).as_deref(), Ok(code));
        }
        // Cross-checked with the same script: two women (day 41 is the 1st,
        // day 52 the 12th).
        assert_eq!(
            check_codice_fiscale("VRDGPP80A41H501Y").as_deref(),
            Ok("VRDGPP80A41H501Y")
        );
        assert_eq!(
            check_codice_fiscale("BNCLRA90E52F205W").as_deref(),
            Ok("BNCLRA90E52F205W")
        );
    }

    #[test]
    fn normalises_spaces_and_case_of_a_codice_fiscale() {
        assert_eq!(
            check_codice_fiscale("  rss mra 85t10 a562s ").as_deref(),
            Ok("RSSMRA85T10A562S")
        );
    }

    #[test]
    fn accepts_omocodia() {
        // Digits replaced from the right, as the Agenzia delle Entrate does;
        // check characters from an independent script.
        for code in [
            "RSSMRA85T10A56NH", // last digit 2 written N
            "RSSMRA85T10A5R2D", // R stands for 5: the variant of ...A552
            "RSSMRA85T1LA562V", // day 10 written 1L
            "RSSMRAURTMLARSNL", // every digit a letter
        ] {
            assert_eq!(check_codice_fiscale(code).as_deref(), Ok(code), "{code}");
        }
    }

    #[test]
    fn refuses_a_wrong_check_character() {
        assert_eq!(
            check_codice_fiscale("RSSMRA85T10A562T"),
            Err(FieldProblem::CheckCharacter)
        );
        // Two characters swapped.
        assert_eq!(
            check_codice_fiscale("RSSMRA58T10A562S"),
            Err(FieldProblem::CheckCharacter)
        );
    }

    #[test]
    fn refuses_codici_fiscali_of_the_wrong_shape() {
        for code in [
            "RSSMRA85T10A562",   // 15 characters
            "RSSMRA85T10A562SS", // 17
            "RSSMRA85F10A562S",  // F is not a month letter
            "RSSMRA85T32A562S",  // day 32
            "RSSMRA85T00A562S",  // day 0
            "RSSMRA85T72A562S",  // day 72
            "RSSMRA85T10A56AS",  // A is not an omocodia letter
            "1SSMRA85T10A562S",  // digit among the letters
            "RSSMRA85T10É562S",  // not ASCII
            "RSSMRA85T10A562!",
        ] {
            assert_eq!(
                check_codice_fiscale(code),
                Err(FieldProblem::Format),
                "{code}"
            );
        }
        assert_eq!(check_codice_fiscale("   "), Err(FieldProblem::Missing));
    }

    // --- Phone ---

    #[test]
    fn accepts_italian_phone_numbers() {
        for (typed, normalised) in [
            ("3331234567", "+393331234567"),
            ("333 123 4567", "+393331234567"),
            ("+39 333 1234567", "+393331234567"),
            ("0039 333.123.4567", "+393331234567"),
            ("333123456", "+39333123456"), // nine-digit mobile
            ("06 6789 0123", "+390667890123"),
            ("(02) 1234-5678", "+390212345678"),
            ("+39 (06) 12345678", "+390612345678"),
            ("0331/123456", "+390331123456"),
            ("02-8515.1", "+390285151"),
        ] {
            assert_eq!(check_phone(typed).as_deref(), Ok(normalised), "{typed}");
        }
    }

    #[test]
    fn refuses_what_is_not_an_italian_phone_number() {
        for typed in [
            "33312345",          // mobile too short
            "33312345678",       // mobile too long
            "02123",             // landline too short
            "021234567890",      // landline too long
            "+44 20 7946 0958",  // foreign
            "+1 555 123 4567",   // foreign
            "0044 20 7946 0958", // foreign
            "5551234567",        // neither 0 nor 3
            "333 123 4567 int. 2",
            "((02)) 1234567",
            ")02( 1234567",
            "333+1234567",
            "+",
        ] {
            assert_eq!(check_phone(typed), Err(FieldProblem::Format), "{typed}");
        }
        assert_eq!(check_phone(" "), Err(FieldProblem::Missing));
    }

    // --- E-mail ---

    #[test]
    fn accepts_email_addresses_lowercasing_the_domain() {
        assert_eq!(
            check_email(" Mario.Rossi@Example.IT ").as_deref(),
            Ok("Mario.Rossi@example.it")
        );
        for email in [
            "a@b.it",
            "nome+agenda@mi.camcom.it",
            "o'brien@example.co.uk",
            "x_y-z@sub-domain.example.com",
        ] {
            assert_eq!(check_email(email).as_deref(), Ok(email));
        }
    }

    #[test]
    fn refuses_what_is_not_an_email_address() {
        for email in [
            "mario.rossi",
            "mario@",
            "@example.it",
            "mario@@example.it",
            "mario@ex@ample.it",
            "mario@example",
            "mario@example.i",
            "mario@example.1t",
            "mario@-example.it",
            "mario@example..it",
            ".mario@example.it",
            "ma..rio@example.it",
            "mario rossi@example.it",
            "màrio@example.it",
        ] {
            assert_eq!(check_email(email), Err(FieldProblem::Format), "{email}");
        }
        assert_eq!(check_email(""), Err(FieldProblem::Missing));
        let long = format!("{}@{}.it", "a".repeat(64), "b".repeat(190));
        assert_eq!(check_email(&long), Err(FieldProblem::TooLong));
    }

    // --- Names ---

    #[test]
    fn accepts_names_collapsing_whitespace() {
        for (typed, normalised) in [
            ("  Maria   Luisa ", "Maria Luisa"),
            ("D'Annunzio", "D'Annunzio"),
            ("Dell’Acqua", "Dell’Acqua"),
            ("Rossi-Bianchi", "Rossi-Bianchi"),
            ("Niccolò", "Niccolò"),
            ("Nicolo\u{300}", "Nicolo\u{300}"), // o + combining grave accent
            ("G. Battista", "G. Battista"),
            ("Zoë", "Zoë"),
        ] {
            assert_eq!(check_name(typed).as_deref(), Ok(normalised), "{typed}");
        }
        assert_eq!(check_name(&"a".repeat(60)).map(|n| n.len()), Ok(60));
    }

    #[test]
    fn refuses_what_is_not_a_name() {
        for typed in ["Mario2", "Mario_Rossi", "<b>", "--", "'.", "\u{300}a"] {
            assert_eq!(check_name(typed), Err(FieldProblem::Format), "{typed}");
        }
        assert_eq!(check_name(" \t"), Err(FieldProblem::Missing));
        assert_eq!(check_name(&"à".repeat(61)), Err(FieldProblem::TooLong));
    }

    // --- Person and messages ---

    fn person(nome: &str, cognome: &str, cf: &str, telefono: &str, email: &str) -> Person {
        Person {
            nome: nome.into(),
            cognome: cognome.into(),
            codice_fiscale: cf.into(),
            telefono: telefono.into(),
            email: email.into(),
        }
    }

    #[test]
    fn a_valid_person_comes_back_normalised() {
        let typed = person(
            " Mario ",
            "Rossi",
            "rssmra85t10a562s",
            "333 123 4567",
            "mario@Example.it",
        );
        assert_eq!(
            check_person(&typed, Lang::It),
            Ok(person(
                "Mario",
                "Rossi",
                "RSSMRA85T10A562S",
                "+393331234567",
                "mario@example.it"
            ))
        );
    }

    #[test]
    fn every_problem_is_reported_in_the_order_of_the_form() {
        let typed = person("", "Rossi", "RSSMRA85T10A562T", "12345", "mario@");
        let errors = check_person(&typed, Lang::It).unwrap_err();
        let summary: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                ("nome", "missing"),
                ("codice_fiscale", "check_character"),
                ("telefono", "format"),
                ("email", "format"),
            ]
        );
        assert_eq!(errors[0].message, "Inserisci il nome.");
        assert_eq!(
            errors[1].message,
            "Il carattere di controllo del codice fiscale non corrisponde: \
             controlla di averlo scritto bene."
        );
        assert_eq!(
            errors[2].message,
            "Inserisci un numero di telefono italiano, fisso o cellulare."
        );
        assert_eq!(
            errors[3].message,
            "Inserisci un indirizzo email valido, ad esempio nome@esempio.it."
        );
        let english = check_person(&typed, Lang::En).unwrap_err();
        assert_eq!(english[0].message, "Enter your first name.");
    }

    #[test]
    fn every_field_and_problem_has_a_sentence_in_both_languages() {
        let problems = [
            FieldProblem::Missing,
            FieldProblem::Format,
            FieldProblem::CheckCharacter,
            FieldProblem::TooLong,
        ];
        for field in Field::ALL {
            for problem in problems {
                for lang in [Lang::It, Lang::En] {
                    let message = problem.message(field, lang);
                    assert!(message.ends_with('.'), "{message}");
                    assert!(message.chars().next().is_some_and(char::is_uppercase));
                }
            }
        }
        assert_eq!(FieldProblem::CheckCharacter.code(), "check_character");
        assert_eq!(FieldProblem::TooLong.code(), "too_long");
        assert_eq!(Field::CodiceFiscale.name(), "codice_fiscale");
    }

    // --- Calendar ---

    #[test]
    fn parses_only_real_dates() {
        assert_eq!(
            Date::parse("2026-11-23"),
            Some(Date {
                year: 2026,
                month: 11,
                day: 23
            })
        );
        assert!(Date::parse("2024-02-29").is_some());
        assert!(Date::parse("2000-02-29").is_some());
        for text in [
            "2025-02-29",
            "1900-02-29",
            "2026-04-31",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "2026-1-10",
            "26-01-10",
            "2026/01/10",
            "2026-01-10T",
            "+026-01-10",
        ] {
            assert_eq!(Date::parse(text), None, "{text}");
        }
        assert_eq!(Date::parse("0900-03-01").unwrap().to_string(), "0900-03-01");
    }

    #[test]
    fn knows_leap_years() {
        assert!(is_leap_year(2024));
        assert!(is_leap_year(2000));
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(2026));
        assert_eq!(days_in_month(2028, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
    }

    #[test]
    fn counts_days_and_weekdays() {
        let epoch = Date::parse("1970-01-01").unwrap();
        assert_eq!(epoch.days_from_epoch(), 0);
        assert_eq!(epoch.weekday(), 3); // Thursday
        let monday = Date::parse("2026-11-23").unwrap();
        assert_eq!(monday.weekday(), 0);
        assert_eq!(Date::parse("2026-11-29").unwrap().weekday(), 6);
        assert_eq!(Date::parse("2000-01-01").unwrap().weekday(), 5); // Saturday
        assert_eq!(Date::parse("1969-12-31").unwrap().days_from_epoch(), -1);
        assert_eq!(Date::parse("2000-03-01").unwrap().days_from_epoch(), 11_017);
        assert_eq!(monday.add_days(8).to_string(), "2026-12-01");
        assert_eq!(monday.add_days(-365).to_string(), "2025-11-23");
        assert_eq!(
            Date::parse("2024-02-28").unwrap().add_days(1).to_string(),
            "2024-02-29"
        );
        assert_eq!(
            Date::parse("2026-12-31").unwrap().add_days(1).to_string(),
            "2027-01-01"
        );
        // The two algorithms agree over four centuries and across 1970.
        for days in (-80_000..80_000).step_by(7) {
            assert_eq!(Date::from_days(days).days_from_epoch(), days);
        }
    }

    #[test]
    fn reads_and_writes_times_of_day() {
        assert_eq!(parse_hhmm("00:00"), Some(0));
        assert_eq!(parse_hhmm("09:30"), Some(570));
        assert_eq!(parse_hhmm("23:59"), Some(1439));
        for text in [
            "24:00", "12:60", "9:30", "09:30:00", "09.30", " 09:30", "0a:30",
        ] {
            assert_eq!(parse_hhmm(text), None, "{text}");
        }
        assert_eq!(format_hhmm(570), "09:30");
        assert_eq!(format_hhmm(0), "00:00");
        assert_eq!(format_hhmm(1440), "24:00");
    }

    // --- Europe/Rome ---

    /// Milliseconds of a UTC date and time.
    fn utc(date: &str, hour: i64, minute: i64) -> i64 {
        Date::parse(date).unwrap().days_from_epoch() * MS_PER_DAY
            + (hour * 60 + minute) * MS_PER_MINUTE
    }

    #[test]
    fn follows_italian_summer_time() {
        // 2026: summer time from Sunday 29 March to Sunday 25 October.
        assert_eq!(rome_offset_minutes(utc("2026-01-15", 12, 0)), 60);
        assert_eq!(rome_offset_minutes(utc("2026-03-29", 0, 59)), 60);
        assert_eq!(rome_offset_minutes(utc("2026-03-29", 1, 0)), 120);
        assert_eq!(rome_offset_minutes(utc("2026-07-01", 12, 0)), 120);
        assert_eq!(rome_offset_minutes(utc("2026-10-25", 0, 59)), 120);
        assert_eq!(rome_offset_minutes(utc("2026-10-25", 1, 0)), 60);
        assert_eq!(rome_offset_minutes(utc("2026-12-31", 23, 30)), 60);
        // 2024: 31 March and 27 October.
        assert_eq!(rome_offset_minutes(utc("2024-03-31", 1, 0)), 120);
        assert_eq!(rome_offset_minutes(utc("2024-10-27", 1, 0)), 60);
    }

    #[test]
    fn shows_the_italian_wall_clock() {
        let (date, minute) = rome_local(utc("2026-03-29", 0, 59));
        assert_eq!(
            (date.to_string(), format_hhmm(minute)),
            ("2026-03-29".into(), "01:59".into())
        );
        let (_, minute) = rome_local(utc("2026-03-29", 1, 0));
        assert_eq!(format_hhmm(minute), "03:00");
        let (date, minute) = rome_local(utc("2026-12-31", 23, 30));
        assert_eq!((date.to_string(), minute), ("2027-01-01".into(), 30));
        let (_, minute) = rome_local(utc("2026-10-25", 0, 30));
        assert_eq!(format_hhmm(minute), "02:30");
        let (_, minute) = rome_local(utc("2026-10-25", 1, 30));
        assert_eq!(format_hhmm(minute), "02:30");
    }

    #[test]
    fn converts_the_wall_clock_to_utc() {
        let day = |s: &str| Date::parse(s).unwrap();
        assert_eq!(
            rome_to_utc_ms(day("2026-01-15"), 9 * 60),
            utc("2026-01-15", 8, 0)
        );
        assert_eq!(
            rome_to_utc_ms(day("2026-07-01"), 9 * 60),
            utc("2026-07-01", 7, 0)
        );
        // Around the March switch; 02:30 does not exist, read as UTC+1.
        assert_eq!(
            rome_to_utc_ms(day("2026-03-29"), 119),
            utc("2026-03-29", 0, 59)
        );
        assert_eq!(
            rome_to_utc_ms(day("2026-03-29"), 150),
            utc("2026-03-29", 1, 30)
        );
        assert_eq!(
            rome_to_utc_ms(day("2026-03-29"), 180),
            utc("2026-03-29", 1, 0)
        );
        // Around the October switch; 02:30 happens twice, the first is taken.
        assert_eq!(
            rome_to_utc_ms(day("2026-10-25"), 119),
            utc("2026-10-24", 23, 59)
        );
        assert_eq!(
            rome_to_utc_ms(day("2026-10-25"), 150),
            utc("2026-10-25", 0, 30)
        );
        assert_eq!(
            rome_to_utc_ms(day("2026-10-25"), 180),
            utc("2026-10-25", 2, 0)
        );
        // Round trip on ordinary minutes of both switch days.
        for date in [day("2026-03-29"), day("2026-10-25")] {
            for minute in (0..MINUTES_PER_DAY).filter(|m| !(120..180).contains(m)) {
                assert_eq!(rome_local(rome_to_utc_ms(date, minute)), (date, minute));
            }
        }
    }

    // --- Slots ---

    fn desk() -> Schedule {
        Schedule {
            // Monday and Wednesday mornings, Wednesday afternoon.
            hours: vec![
                (0, 9 * 60, 12 * 60 + 45),
                (2, 14 * 60, 16 * 60),
                (2, 9 * 60, 10 * 60),
            ],
            closed_dates: vec![Date::parse("2026-12-07").unwrap()],
            calendar: Default::default(),
            slot_minutes: 30,
            capacity: 2,
        }
    }

    const LONG_AGO: i64 = 0;

    #[test]
    fn cuts_opening_hours_into_slots_with_free_places() {
        let monday = Date::parse("2026-11-23").unwrap();
        let booked = |start: u16| match start {
            570 => 1, // 09:30
            600 => 5, // 10:00, more than the capacity (it was lowered)
            _ => 0,
        };
        let slots = slots(&desk(), monday, LONG_AGO, 0, booked);
        let shown: Vec<(String, String, u32)> = slots
            .iter()
            .map(|&(start, end, free)| (format_hhmm(start), format_hhmm(end), free))
            .collect();
        let expected = [
            ("09:00", "09:30", 2),
            ("09:30", "10:00", 1),
            ("10:00", "10:30", 0),
            ("10:30", "11:00", 2),
            ("11:00", "11:30", 2),
            ("11:30", "12:00", 2),
            ("12:00", "12:30", 2),
            // 12:30-12:45 is shorter than a slot: dropped.
        ];
        assert_eq!(
            shown,
            expected.map(|(s, e, f)| (s.to_string(), e.to_string(), f))
        );
    }

    #[test]
    fn several_intervals_of_a_day_come_in_order() {
        let wednesday = Date::parse("2026-11-25").unwrap();
        let starts: Vec<u16> = slots(&desk(), wednesday, LONG_AGO, 0, |_| 0)
            .iter()
            .map(|s| s.0)
            .collect();
        assert_eq!(starts, [540, 570, 840, 870, 900, 930]);
    }

    #[test]
    fn no_slots_on_closed_dates_and_days_without_hours() {
        let closed_monday = Date::parse("2026-12-07").unwrap();
        assert!(slots(&desk(), closed_monday, LONG_AGO, 0, |_| 0).is_empty());
        let tuesday = Date::parse("2026-11-24").unwrap();
        assert!(slots(&desk(), tuesday, LONG_AGO, 0, |_| 0).is_empty());
        let no_length = Schedule {
            slot_minutes: 0,
            ..desk()
        };
        let monday = Date::parse("2026-11-23").unwrap();
        assert!(slots(&no_length, monday, LONG_AGO, 0, |_| 0).is_empty());
    }

    #[test]
    fn slots_need_the_minimum_notice_in_italian_time() {
        let monday = Date::parse("2026-11-23").unwrap();
        // 09:40 in Rome (08:40 UTC), two hours' notice: from 11:40, so 12:00.
        let now = utc("2026-11-23", 8, 40);
        let starts: Vec<u16> = slots(&desk(), monday, now, 120, |_| 0)
            .iter()
            .map(|s| s.0)
            .collect();
        assert_eq!(starts, [720]);
        // A slot starting exactly at now + notice is still bookable.
        let now = utc("2026-11-23", 9, 0); // 10:00 in Rome
        assert!(is_bookable_slot(&desk(), monday, 11 * 60, now, 60));
        assert!(!is_bookable_slot(&desk(), monday, 10 * 60 + 30, now, 60));
        // The day after: everything.
        assert_eq!(slots(&desk(), monday.add_days(7), now, 60, |_| 0).len(), 7);
    }

    #[test]
    fn only_slot_starts_are_bookable() {
        let monday = Date::parse("2026-11-23").unwrap();
        assert!(is_bookable_slot(&desk(), monday, 9 * 60, LONG_AGO, 0));
        assert!(is_bookable_slot(&desk(), monday, 12 * 60, LONG_AGO, 0));
        assert!(!is_bookable_slot(&desk(), monday, 9 * 60 + 15, LONG_AGO, 0));
        assert!(!is_bookable_slot(
            &desk(),
            monday,
            12 * 60 + 30,
            LONG_AGO,
            0
        ));
        assert!(!is_bookable_slot(&desk(), monday, 8 * 60 + 30, LONG_AGO, 0));
        let closed = Date::parse("2026-12-07").unwrap();
        assert!(!is_bookable_slot(&desk(), closed, 9 * 60, LONG_AGO, 0));
    }

    // --- Booking code ---

    #[test]
    fn booking_codes_use_unambiguous_characters() {
        for ambiguous in b"01ILO" {
            assert!(!BOOKING_CODE_ALPHABET.contains(ambiguous));
        }
        assert_eq!(booking_code([0; 8]), "2222-2222");
        let mut seen = std::collections::HashSet::new();
        for seed in 0u64..2000 {
            let random = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes();
            let code = booking_code(random);
            assert_eq!(code.len(), 9);
            assert_eq!(&code[4..5], "-");
            assert!(code
                .bytes()
                .filter(|&c| c != b'-')
                .all(|c| BOOKING_CODE_ALPHABET.contains(&c)));
            assert_eq!(
                normalise_booking_code(&code).as_deref(),
                Some(code.as_str())
            );
            seen.insert(code);
        }
        assert_eq!(seen.len(), 2000);
    }

    #[test]
    fn normalises_typed_booking_codes() {
        assert_eq!(
            normalise_booking_code(" abcd-efgh ").as_deref(),
            Some("ABCD-EFGH")
        );
        assert_eq!(
            normalise_booking_code("ABCDEFGH").as_deref(),
            Some("ABCD-EFGH")
        );
        assert_eq!(
            normalise_booking_code("23456789").as_deref(),
            Some("2345-6789")
        );
        for typed in [
            "ABCD EFGH",
            "ABC-DEFGH",
            "ABCD--EFGH",
            "ABCD-EFG",
            "ABCD-EFGO", // O is not in the alphabet
            "ABCD-EFG1",
            "ABCD-EFGÈ",
            "",
        ] {
            assert_eq!(normalise_booking_code(typed), None, "{typed}");
        }
    }

    // --- iCalendar ---

    fn event<'a>(summary: &'a str, description: &'a str) -> CalendarEvent<'a> {
        CalendarEvent {
            uid: "ABCD-EFGH@varco.example.it",
            summary,
            location: "Via Meravigli 9/b, Milano",
            description,
            start_utc_ms: utc("2026-11-23", 8, 0),
            end_utc_ms: utc("2026-11-23", 8, 30),
            created_utc_ms: utc("2026-11-20", 17, 5) + 42_123,
        }
    }

    #[test]
    fn writes_an_icalendar_file() {
        let ics = ics(&event("Appuntamento: SPID", "Codice ABCD-EFGH"));
        assert_eq!(
            ics,
            "BEGIN:VCALENDAR\r\n\
             VERSION:2.0\r\n\
             PRODID:-//Varco//Appuntamenti//IT\r\n\
             CALSCALE:GREGORIAN\r\n\
             METHOD:PUBLISH\r\n\
             BEGIN:VEVENT\r\n\
             UID:ABCD-EFGH@varco.example.it\r\n\
             DTSTAMP:20261120T170542Z\r\n\
             DTSTART:20261123T080000Z\r\n\
             DTEND:20261123T083000Z\r\n\
             SUMMARY:Appuntamento: SPID\r\n\
             LOCATION:Via Meravigli 9/b\\, Milano\r\n\
             DESCRIPTION:Codice ABCD-EFGH\r\n\
             END:VEVENT\r\n\
             END:VCALENDAR\r\n"
        );
    }

    #[test]
    fn escapes_icalendar_text() {
        assert_eq!(
            ics_text("a\\b; c, d\ne\r\nf\rg\u{7}h"),
            "a\\\\b\\; c\\, d\\ne\\nf\\ngh"
        );
    }

    #[test]
    fn folds_long_lines_without_splitting_characters() {
        let description = "Porta un documento d'identità, la tessera sanitaria e il codice \
                           della prenotazione: è tutto ciò che serve. "
            .repeat(3);
        let ics = ics(&event("Appuntamento", &description));
        assert!(!ics.replace("\r\n", "").contains(['\r', '\n']));
        for line in ics.split_terminator("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        let unfolded = ics.replace("\r\n ", "");
        let expected = format!("DESCRIPTION:{}\r\n", ics_text(&description));
        assert!(unfolded.contains(&expected));
        assert!(ics.lines().filter(|l| l.starts_with(' ')).count() >= 4);
        // A line of two-octet characters breaks between characters.
        let mut out = String::new();
        push_folded(&mut out, &"è".repeat(80));
        let first = out.split("\r\n").next().unwrap();
        assert_eq!(first.len(), 74);
    }
}
