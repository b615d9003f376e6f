//! Masks personal data in a message of a conversation: before a stored
//! chat transcript keeps it (the visitor's messages and the operator's
//! replies alike), and before a question leaves our server for an external
//! assistant. The notices promise that personal data the visitor gives by
//! accident is not needed for an answer and is made anonymous when the
//! content is analysed; neither the archive nor a third party needs it.
//!
//! What is masked, each replaced by a label in square brackets, in the forms
//! people type (`tests/redaction_corpus.txt` holds the cases):
//! - codici fiscali, in either case, in one piece or split by single spaces,
//!   dots or dashes (`RSS MRA 85T10 A562S`), omocodia included, also with a
//!   wrong check character (visitors mistype): `[codice fiscale]`;
//! - e-mail addresses, in any case: `[email]`;
//! - IBANs: of any country, in either case and grouped in any way, when the
//!   check digits are right; and, mistyped or not, printed in groups of four
//!   as banks print them: `[IBAN]`;
//! - payment card numbers: 13 to 19 digits, in one piece or in groups
//!   separated by spaces or dashes, that pass the Luhn check:
//!   `[carta di pagamento]`;
//! - phone numbers: Italian mobiles (`3`, 9-10 digits) and landlines (`0`,
//!   6-11 digits), with or without `+39` / `(+39)` / `0039`; any `+` number
//!   (or `00` prefix) of 8 to 15 digits; with the usual separators (spaces,
//!   dots, dashes, slashes, one pair of parentheses): `[telefono]`.
//!
//! What the question needs stays: dates, times and time ranges, years,
//! amounts (`€ 1.250,00`, `300.000 euro`), and numbers that identify a
//! document or a company rather than a person (`protocollo n. 123456/2024`,
//! `prot. 2024/0012345`, `pratica SUAP 0312345`, `REA MI-1234567`,
//! `P.IVA 01234567890`). A partita IVA stays although a sole trader's is
//! about a person: it is published in the Registro delle imprese, and the
//! questions to a Camera di commercio are about the company it names (a
//! sole trader's codice fiscale, a personal code, is masked wherever it
//! appears). A long number is masked only when it is a phone or a card
//! number by the rules above: a bare `1234567` is neither.
//!
//! The rules lean towards masking where a number could be a phone: the
//! transcript loses a practice number that starts with `0` or `3` only when
//! nothing before it says it is one.

use crate::booking::{has_codice_fiscale_shape, is_italian_national_number, phone_digits};

const EMAIL: &str = "[email]";
const CODICE_FISCALE: &str = "[codice fiscale]";
const IBAN: &str = "[IBAN]";
const PAYMENT_CARD: &str = "[carta di pagamento]";
const PHONE: &str = "[telefono]";

/// Returns `text` with personal data replaced by `[codice fiscale]`,
/// `[email]`, `[telefono]`, `[IBAN]` and `[carta di pagamento]` (see the
/// module documentation for what each covers and what is left alone).
pub fn redact(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let at_word_start = i == 0 || !chars[i - 1].is_alphanumeric();
        if at_word_start {
            if let Some((end, label)) = personal_code_at(&chars, i) {
                out.push_str(label);
                i = end;
                continue;
            }
            if let Some((end, label)) = number_at(&chars, i) {
                match label {
                    Some(label) => out.push_str(label),
                    None => out.extend(&chars[i..end]),
                }
                i = end;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// An e-mail address, an IBAN or a codice fiscale starting at `start`: where
/// it ends and its label.
fn personal_code_at(chars: &[char], start: usize) -> Option<(usize, &'static str)> {
    email_at(chars, start)
        .map(|end| (end, EMAIL))
        .or_else(|| iban_at(chars, start).map(|end| (end, IBAN)))
        .or_else(|| codice_fiscale_at(chars, start).map(|end| (end, CODICE_FISCALE)))
}

fn is_word_end(chars: &[char], end: usize) -> bool {
    end >= chars.len() || !chars[end].is_alphanumeric()
}

/// `local@domain.tld` starting at `start`; returns where it ends.
fn email_at(chars: &[char], start: usize) -> Option<usize> {
    let local_ok = |c: char| c.is_alphanumeric() || "._%+-".contains(c);
    let domain_ok = |c: char| c.is_alphanumeric() || ".-".contains(c);
    let mut i = start;
    while i < chars.len() && local_ok(chars[i]) {
        i += 1;
    }
    if i == start || i >= chars.len() || chars[i] != '@' {
        return None;
    }
    let domain_start = i + 1;
    let mut j = domain_start;
    while j < chars.len() && domain_ok(chars[j]) {
        j += 1;
    }
    // A sentence may end right after the address.
    while j > domain_start && chars[j - 1] == '.' {
        j -= 1;
    }
    let domain: String = chars[domain_start..j].iter().collect();
    let has_tld = domain
        .rsplit_once('.')
        .is_some_and(|(name, tld)| !name.is_empty() && tld.len() >= 2);
    has_tld.then_some(j)
}

/// Sixteen characters shaped as a codice fiscale, in either case, omocodia
/// included ([`has_codice_fiscale_shape`]), in one piece or with single
/// spaces, dots or dashes between them, as people split it when they read
/// it from a card (`RSS MRA 85T10 A562S`, `rss.mra.85t10.a562s`). The check
/// character is not checked: a mistyped code is personal data all the same.
fn codice_fiscale_at(chars: &[char], start: usize) -> Option<usize> {
    let mut code = [0u8; 16];
    let mut len = 0;
    let mut i = start;
    while len < 16 {
        let c = *chars.get(i)?;
        if c.is_ascii_alphanumeric() {
            code[len] = c.to_ascii_uppercase() as u8;
            len += 1;
            i += 1;
            continue;
        }
        // One separator, between two characters of the code.
        let next_is_part = chars.get(i + 1).is_some_and(char::is_ascii_alphanumeric);
        if len == 0 || !is_code_separator(c) || !next_is_part {
            return None;
        }
        i += 1;
    }
    // At least one real digit: sixteen letters are words, not a code.
    (is_word_end(chars, i)
        && has_codice_fiscale_shape(&code)
        && code.iter().any(u8::is_ascii_digit))
    .then_some(i)
}

/// What may stand between the groups of a code typed in pieces.
fn is_code_separator(c: char) -> bool {
    is_inline_space(c) || c == '.' || c == '-'
}

/// An IBAN: one whose check digits are right, however it is grouped and in
/// either case ([`checked_iban_at`]), or else one printed as banks print
/// them, mistyped or not ([`printed_iban_at`]).
fn iban_at(chars: &[char], start: usize) -> Option<usize> {
    checked_iban_at(chars, start).or_else(|| printed_iban_at(chars, start))
}

/// Lengths of the IBANs of the SEPA countries (ISO 13616 registry); other
/// countries' are 15 to 34 characters long.
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AT", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"CH", 21),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"EE", 20),
    (b"ES", 24),
    (b"FI", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GI", 23),
    (b"GR", 27),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IS", 26),
    (b"IT", 27),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MT", 31),
    (b"NL", 18),
    (b"NO", 15),
    (b"PL", 28),
    (b"PT", 25),
    (b"RO", 24),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"VA", 22),
];

/// Two letters and two digits, then letters and digits, in groups of any
/// size separated by single spaces (`it60 x 05428 11101 000000123456`), in
/// either case, whose check digits are right (ISO 7064 mod 97-10) and whose
/// length is the country's. At least half of what follows the check digits
/// must be digits, as in every country's IBAN: words of a sentence that
/// happen to pass the check (1 in 97) are not taken for one.
fn checked_iban_at(chars: &[char], start: usize) -> Option<usize> {
    const MAX: usize = 34;
    let country = chars.get(start..start + 2);
    if !country.is_some_and(|c| c.iter().all(char::is_ascii_alphabetic)) {
        return None;
    }
    let mut code: Vec<u8> = Vec::with_capacity(MAX);
    // (where the text of the candidate ends, how many characters it has)
    let mut ends: Vec<(usize, usize)> = Vec::new();
    let mut i = start;
    while i < chars.len() {
        let c = chars[i];
        let next_is_part = chars.get(i + 1).is_some_and(char::is_ascii_alphanumeric);
        if c.is_ascii_alphanumeric() {
            if code.len() == MAX {
                break;
            }
            code.push(c.to_ascii_uppercase() as u8);
            if !next_is_part {
                ends.push((i + 1, code.len()));
            }
        } else if !(is_inline_space(c) && !code.is_empty() && next_is_part) {
            break;
        }
        i += 1;
    }
    if code.len() < 15
        || !(code[0].is_ascii_uppercase()
            && code[1].is_ascii_uppercase()
            && code[2].is_ascii_digit()
            && code[3].is_ascii_digit())
    {
        return None;
    }
    let expected = IBAN_LENGTHS
        .iter()
        .find(|(country, _)| country[..] == code[..2])
        .map(|&(_, len)| len);
    ends.into_iter().rev().find_map(|(end, len)| {
        if len < 15 {
            return None;
        }
        let bban = &code[4..len];
        let digits = bban.iter().filter(|c| c.is_ascii_digit()).count();
        let length_ok = expected.map_or((15..=MAX).contains(&len), |e| e == len);
        (length_ok && digits * 2 >= bban.len() && iban_remainder(&code[..len]) == 1).then_some(end)
    })
}

/// The IBAN check (ISO 7064 mod 97-10): the first four characters moved to
/// the end, letters read as 10 to 35, the number modulo 97 (1 when valid).
fn iban_remainder(code: &[u8]) -> u32 {
    code[4..]
        .iter()
        .chain(&code[..4])
        .fold(0u32, |rem, &c| match c {
            b'0'..=b'9' => (rem * 10 + u32::from(c - b'0')) % 97,
            _ => (rem * 100 + u32::from(c - b'A') + 10) % 97,
        })
}

/// Two letters, two check digits, then 11 to 30 letters or digits: in one
/// piece, or in groups of up to four separated by single spaces (as IBANs
/// are printed). A spaced group must hold a digit, so the next word of the
/// sentence is not taken for one. The check digits are not checked: a
/// mistyped IBAN is personal data all the same.
fn printed_iban_at(chars: &[char], start: usize) -> Option<usize> {
    if start + 4 > chars.len() {
        return None;
    }
    let head = &chars[start..start + 4];
    if !(head[0].is_ascii_uppercase()
        && head[1].is_ascii_uppercase()
        && head[2].is_ascii_digit()
        && head[3].is_ascii_digit())
    {
        return None;
    }
    let group_at = |from: usize| {
        let mut to = from;
        while to < chars.len() && chars[to].is_ascii_alphanumeric() {
            to += 1;
        }
        to
    };
    let mut end = group_at(start + 4);
    let spaced = end == start + 4;
    if !spaced && end - start > 34 {
        return None;
    }
    if spaced || end - start <= 8 {
        // Printed in groups: "IT60 X054 2811 ...".
        while end + 1 < chars.len() && chars[end] == ' ' {
            let to = group_at(end + 1);
            let group = &chars[end + 1..to];
            if group.is_empty() || group.len() > 4 || !group.iter().any(|c| c.is_ascii_digit()) {
                break;
            }
            end = to;
        }
    }
    let body: Vec<char> = chars[start + 4..end]
        .iter()
        .filter(|c| c.is_ascii_alphanumeric())
        .copied()
        .collect();
    let digits = body.iter().filter(|c| c.is_ascii_digit()).count();
    ((11..=30).contains(&body.len()) && digits * 2 >= body.len() && is_word_end(chars, end))
        .then_some(end)
}

// ---------------------------------------------------------------------------
// Numbers: phones and payment cards among dates, amounts and practice numbers
// ---------------------------------------------------------------------------
//
// A number is read as a *run*: digit groups joined by short separators,
// optionally opened by `+` or `(`. A run is made of *chunks*, the pieces
// between spaces: `+39 333 123.4567` has three, `12/03/2025` one. A chunk
// shaped as a date, a time, a time range, an amount with thousands dots or
// a number/year is protected, and a phone or card is looked for only in the
// chunks before the first protected one: the longest leading chunks that
// make one are masked. What is left is copied one chunk at a time, so a
// phone written after a date in the same run is still found.

/// Words after which a number identifies a document, a company or a
/// payment notice, not a person (compared in lowercase).
const DOCUMENT_WORDS: &[&str] = &[
    "protocollo",
    "prot",
    "pratica",
    "pratiche",
    "rea",
    "iva",
    "piva",
    "vat",
    "fiscale",
    "fattura",
    "ricevuta",
    "istanza",
    "repertorio",
    "rep",
    "ticket",
    "avviso",
    "iuv",
    "pagopa",
    "cig",
    "cup",
    "matricola",
    "suap",
    "comunica",
    "delibera",
    "determina",
    "decreto",
    "ordinanza",
    "verbale",
    "cartella",
];

/// Words that may stand between a [`DOCUMENT_WORDS`] word and its number
/// (`protocollo n. 123`, `pratica numero 456`, `la partita IVA è 0123`).
const NUMBER_WORDS: &[&str] = &["n", "nr", "nro", "num", "numero", "no", "è"];

/// A run of digits starting at `start`: where to continue, and the label to
/// write instead of it (`None`: copy it as it is). `None` if no number
/// starts here.
fn number_at(chars: &[char], start: usize) -> Option<(usize, Option<&'static str>)> {
    let chunks = number_run_at(chars, start)?;
    let first_end = chunks[0].1;
    let run_end = chunks[chunks.len() - 1].1;
    if continues_a_token(chars, start) {
        return Some((first_end, None));
    }
    let international = chars[start] == '+' || chars[start..].starts_with(&['(', '+']);
    if !international
        && (follows_document_word(chars, start) || is_amount_in_words(chars, start, run_end))
    {
        return Some((run_end, None));
    }
    let unprotected = chunks
        .iter()
        .take_while(|&&(from, to)| !is_protected_chunk(&chars[from..to]))
        .count();
    for &(_, end) in chunks[..unprotected].iter().rev() {
        let candidate: String = chars[start..end].iter().collect();
        if is_payment_card(&candidate) {
            return Some((end, Some(PAYMENT_CARD)));
        }
        if is_phone_number(&candidate) {
            return Some((end, Some(PHONE)));
        }
    }
    Some((first_end, None))
}

/// Whitespace that may separate the groups of a number (not line breaks).
fn is_inline_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}')
}

/// The chunks (start, end) of the run of digits starting at `start`, or
/// `None` if none does. Groups of digits are joined by up to three
/// separator characters: without a space, any of `.-/:()`; with one (a
/// chunk boundary), only spaces, dashes, slashes and parentheses, so the
/// full stop ending a sentence ends the run.
fn number_run_at(chars: &[char], start: usize) -> Option<Vec<(usize, usize)>> {
    let is_digit = |i: usize| chars.get(i).is_some_and(char::is_ascii_digit);
    let mut i = start;
    if chars[i] == '(' {
        i += 1;
    }
    if chars.get(i) == Some(&'+') {
        i += 1;
    }
    if !is_digit(i) {
        return None;
    }
    let mut chunks = Vec::new();
    let mut chunk_start = start;
    loop {
        while is_digit(i) {
            i += 1;
        }
        let group_end = i;
        let mut j = i;
        while j < chars.len()
            && j - i < 3
            && (is_inline_space(chars[j]) || ".-/:()".contains(chars[j]))
        {
            j += 1;
        }
        let separator = &chars[i..j];
        let spaced = separator.iter().any(|&c| is_inline_space(c));
        let joins = !separator.is_empty()
            && is_digit(j)
            && (!spaced
                || separator
                    .iter()
                    .all(|&c| is_inline_space(c) || "-/()".contains(c)));
        if !joins {
            chunks.push((chunk_start, group_end));
            return Some(chunks);
        }
        if spaced {
            chunks.push((chunk_start, group_end));
            chunk_start = j;
        }
        i = j;
    }
}

/// Whether the number at `start` is the rest of a token already begun: the
/// decimals of an amount (`1.250,00`), the number of a code with a letter
/// prefix (`REA MI-1234567`).
fn continues_a_token(chars: &[char], start: usize) -> bool {
    if start < 2 {
        return false;
    }
    let (before, glue) = (chars[start - 2], chars[start - 1]);
    if glue.is_whitespace() || "([{\"'«“‘".contains(glue) {
        return false;
    }
    before.is_ascii_digit() || (before.is_alphabetic() && "-/".contains(glue))
}

/// Whether a [`DOCUMENT_WORDS`] word comes right before `start`, maybe
/// through `n.`, `nr.`, `numero`... or the acronym of an office or a
/// procedure (`protocollo n. `, `P.IVA `, `pratica SUAP `).
fn follows_document_word(chars: &[char], start: usize) -> bool {
    let mut i = start;
    // The document word, through at most two number words or acronyms.
    for _ in 0..3 {
        while i > 0 && (chars[i - 1].is_whitespace() || ".:°º#".contains(chars[i - 1])) {
            i -= 1;
        }
        let word_end = i;
        while i > 0 && chars[i - 1].is_alphanumeric() {
            i -= 1;
        }
        let word = chars[i..word_end].iter().collect::<String>().to_lowercase();
        if DOCUMENT_WORDS.contains(&word.as_str()) {
            return true;
        }
        let acronym = (2..=8).contains(&(word_end - i))
            && chars[i..word_end].iter().all(char::is_ascii_uppercase);
        if !(acronym || NUMBER_WORDS.contains(&word.as_str())) {
            return false;
        }
    }
    false
}

/// Whether the run `start..end` is an amount of money: `€` before it, or
/// `€`, `euro` or `EUR` after it.
fn is_amount_in_words(chars: &[char], start: usize, end: usize) -> bool {
    let mut before = start;
    while before > 0 && is_inline_space(chars[before - 1]) {
        before -= 1;
    }
    let mut after = end;
    while after < chars.len() && is_inline_space(chars[after]) {
        after += 1;
    }
    let mut word_end = after;
    while word_end < chars.len() && chars[word_end].is_alphabetic() {
        word_end += 1;
    }
    let word_after = chars[after..word_end]
        .iter()
        .collect::<String>()
        .to_lowercase();
    (before > 0 && chars[before - 1] == '€')
        || chars.get(after) == Some(&'€')
        || matches!(word_after.as_str(), "euro" | "eur")
}

/// A chunk that is not a phone number whatever its digits: a date
/// (`12/03/2025`, `2025-03-12`, `01.03.2025`), a month and year or a number
/// and year (`03/2025`, `123456/2024`), a time or a time range (`9:30`,
/// `08.30-12.30`), an amount with thousands dots (`300.000.000`).
fn is_protected_chunk(chunk: &[char]) -> bool {
    let text: String = chunk.iter().collect();
    let text = text.trim_start_matches('(');
    if text.starts_with('+') {
        return false;
    }
    let groups: Vec<&str> = text.split(|c: char| !c.is_ascii_digit()).collect();
    let separators: Vec<char> = text.chars().filter(|c| !c.is_ascii_digit()).collect();
    if groups.iter().any(|g| g.is_empty()) {
        return false; // two separators in a row, or a parenthesis
    }
    let value = |g: &str| g.parse::<u32>().unwrap_or(u32::MAX);
    let is_day = |g: &str| g.len() <= 2 && (1..=31).contains(&value(g));
    let is_month = |g: &str| g.len() <= 2 && (1..=12).contains(&value(g));
    let is_year = |g: &str| g.len() == 4 && (1900..=2099).contains(&value(g));
    let is_time = |t: &str| {
        t.split_once(['.', ':']).is_some_and(|(h, m)| {
            (1..=2).contains(&h.len())
                && m.len() == 2
                && h.bytes().chain(m.bytes()).all(|c| c.is_ascii_digit())
                && value(h) <= 23
                && value(m) <= 59
        })
    };
    let same_separators = separators.windows(2).all(|w| w[0] == w[1]);
    let date = groups.len() == 3
        && same_separators
        && "/.-".contains(separators[0])
        && ((is_day(groups[0]) && is_month(groups[1]) && matches!(groups[2].len(), 2 | 4))
            || (is_year(groups[0]) && is_month(groups[1]) && is_day(groups[2])));
    let number_and_year = groups.len() == 2 && "/-".contains(separators[0]) && is_year(groups[1]);
    let time = is_time(text);
    let time_range = text.contains('-') && text.split('-').all(is_time);
    let thousands = groups.len() >= 2
        && separators.iter().all(|&c| c == '.')
        && (1..=3).contains(&groups[0].len())
        && !groups[0].starts_with('0')
        && groups[1..].iter().all(|g| g.len() == 3);
    date || number_and_year || time || time_range || thousands
}

/// 13 to 19 digits, in one piece or in groups separated by single spaces or
/// dashes, passing the Luhn check.
fn is_payment_card(candidate: &str) -> bool {
    let grouped_ok = candidate
        .split([' ', '-', '\u{a0}', '\u{202f}'])
        .all(|group| !group.is_empty() && group.bytes().all(|c| c.is_ascii_digit()));
    let digits: Vec<u32> = candidate.chars().filter_map(|c| c.to_digit(10)).collect();
    grouped_ok && (13..=19).contains(&digits.len()) && passes_luhn(&digits)
}

/// The Luhn check: from the right, every second digit doubled (less 9 when
/// above 9); the sum is a multiple of 10. (Summed modulo 10 as it goes:
/// `is_multiple_of` is newer than the workspace's Rust 1.85.)
fn passes_luhn(digits: &[u32]) -> bool {
    let last_digit_of_sum = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| match (i % 2, d * 2) {
            (0, _) => d,
            (_, doubled) if doubled > 9 => doubled - 9,
            (_, doubled) => doubled,
        })
        .fold(0, |sum, d| (sum + d) % 10);
    last_digit_of_sum == 0
}

/// A phone number: `+` and 8-15 digits; `00` and 8-15 more digits; or an
/// Italian mobile or landline number. Separators as people write them
/// ([`phone_digits`]).
fn is_phone_number(candidate: &str) -> bool {
    // The country code in parentheses: `(+39) 333 1234567`.
    let candidate = match candidate.strip_prefix("(+") {
        Some(rest) => std::borrow::Cow::Owned(format!("+{}", rest.replacen(')', " ", 1))),
        None => std::borrow::Cow::Borrowed(candidate),
    };
    let Some((plus, digits)) = phone_digits(&candidate) else {
        return false;
    };
    if plus {
        (8..=15).contains(&digits.len())
    } else if let Some(rest) = digits.strip_prefix("00") {
        (8..=15).contains(&rest.len())
    } else {
        is_italian_national_number(&digits)
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn masks_each_kind_of_personal_data() {
        assert_eq!(
            redact("scrivete a mario.rossi@example.it."),
            "scrivete a [email]."
        );
        assert_eq!(
            redact("il mio codice è RSSMRA85T10A562S, grazie"),
            "il mio codice è [codice fiscale], grazie"
        );
        assert_eq!(
            redact("omocodia: RSSMRA85T10A5R2D"),
            "omocodia: [codice fiscale]"
        );
        assert_eq!(
            redact("IBAN IT60 X054 2811 1010 0000 0123 456 per il rimborso"),
            "IBAN [IBAN] per il rimborso"
        );
        assert_eq!(redact("IT60X0542811101000000123456"), "[IBAN]");
        assert_eq!(
            redact("chiamatemi al +39 333 123 4567"),
            "chiamatemi al [telefono]"
        );
        assert_eq!(redact("tel. 02-8515.1"), "tel. [telefono]");
        assert_eq!(
            redact("carta 4111 1111 1111 1111"),
            "carta [carta di pagamento]"
        );
        assert_eq!(redact("P.IVA 01234567890"), "P.IVA 01234567890");
    }

    /// Sentences a visitor might type, and what is kept of them.
    const MASKED: &[(&str, &str)] = &[
        (
            "Chiamatemi al 3331234567, grazie.",
            "Chiamatemi al [telefono], grazie.",
        ),
        (
            "Il mio cellulare è 333 123 4567.",
            "Il mio cellulare è [telefono].",
        ),
        (
            "Potete richiamarmi al +39 347 1234567?",
            "Potete richiamarmi al [telefono]?",
        ),
        (
            "Il numero è 0039 333.123.4567, rispondo dopo le 15.",
            "Il numero è [telefono], rispondo dopo le 15.",
        ),
        (
            "Il fisso dell'ufficio è 02 12345678.",
            "Il fisso dell'ufficio è [telefono].",
        ),
        (
            "Ho provato a chiamare lo (06) 1234-5678 ma non risponde nessuno.",
            "Ho provato a chiamare lo [telefono] ma non risponde nessuno.",
        ),
        (
            "Per informazioni: 0331/123456 oppure cell.3471234567",
            "Per informazioni: [telefono] oppure cell.[telefono]",
        ),
        (
            "Sono all'estero, il mio numero è +44 20 7946 0958.",
            "Sono all'estero, il mio numero è [telefono].",
        ),
        (
            "Il 12/03/2025 mi ha chiamato il 333 1234567 per la pratica.",
            "Il 12/03/2025 mi ha chiamato il [telefono] per la pratica.",
        ),
        (
            "Scrivetemi a giulia.bianchi@pec.it o al 06 12345 678.",
            "Scrivetemi a [email] o al [telefono].",
        ),
        (
            "Il codice fiscale del titolare è rssmra85t10a562s.",
            "Il codice fiscale del titolare è [codice fiscale].",
        ),
        (
            "Ho scritto RSSMRA85T10A562X, forse ho sbagliato l'ultima lettera.",
            "Ho scritto [codice fiscale], forse ho sbagliato l'ultima lettera.",
        ),
        (
            "Il rimborso va sull'IBAN IT60X0542811101000000123456 intestato a me.",
            "Il rimborso va sull'IBAN [IBAN] intestato a me.",
        ),
        (
            "Conto tedesco: DE89 3704 0044 0532 0130 00, va bene?",
            "Conto tedesco: [IBAN], va bene?",
        ),
        (
            "Ho pagato con la carta 4111 1111 1111 1111 ma non vedo la ricevuta.",
            "Ho pagato con la carta [carta di pagamento] ma non vedo la ricevuta.",
        ),
        (
            "La carta 5500-0000-0000-0004 risulta addebitata due volte.",
            "La carta [carta di pagamento] risulta addebitata due volte.",
        ),
        (
            "American Express 3782 822463 10005, scadenza 03/27.",
            "American Express [carta di pagamento], scadenza 03/27.",
        ),
        (
            "Numero carta 4012888888881881",
            "Numero carta [carta di pagamento]",
        ),
        (
            "Due numeri: 02 1234567 3331234567",
            "Due numeri: [telefono] [telefono]",
        ),
    ];

    /// Sentences that hold numbers the question needs, and no personal data.
    const KEPT: &[&str] = &[
        "La scadenza è il 12/03/2025, giusto?",
        "Ho presentato la domanda il 2025-03-12.",
        "Il versamento risale al 01.03.2025.",
        "La visura del 05-11-2024 riporta ancora il vecchio indirizzo.",
        "Lo sportello apre alle 9:30 e chiude alle 14.30?",
        "Orari: 08.30-12.30 dal lunedì al venerdì.",
        "Orario continuato 09.00 - 17.00 il giovedì.",
        "Quanto costa il diritto annuale per il 2025?",
        "Ho pagato € 1.250,00 ma l'importo dovuto era 25 euro.",
        "Il totale è 1250.50, è corretto?",
        "Il bollo costa 0,50 euro in più?",
        "Il mio protocollo n. 123456/2024 risulta ancora aperto.",
        "Ho ricevuto la prot. 2024/0012345 via PEC.",
        "La pratica 1234567 è ferma da un mese.",
        "La pratica n. 0312345 è stata sospesa.",
        "Il numero REA è MI-1234567.",
        "La P.IVA 01234567890 della mia ditta risulta cessata.",
        "Partita IVA 12345678901, codice ATECO 62.01.00.",
        "Il capitale sociale è di 300.000.000 euro.",
        "Il fatturato è stato di 350000000 EUR.",
        "Dal 03/2024 ho trasferito la sede.",
        "Ho 2 imprese, 3 unità locali e 12 dipendenti.",
        "L'avviso pagoPA 301000000012345678 è scaduto?",
        "La sede è in via Roma 10, 00185 Roma.",
        "Il codice 4111 1111 1111 1112 non è una carta.",
        "Negli anni 2019, 2020 e 2021 ho pagato regolarmente.",
    ];

    #[test]
    fn masks_personal_data_in_sentences() {
        for (text, expected) in MASKED {
            assert_eq!(redact(text), *expected, "{text}");
        }
    }

    #[test]
    fn keeps_dates_amounts_and_document_numbers() {
        for text in KEPT {
            assert_eq!(redact(text), *text);
        }
    }

    #[test]
    fn keeps_what_the_question_needs() {
        for text in [
            "quanto costa una visura nel 2026?",
            "il diritto annuale scade il 30/06",
            "lo sportello apre alle 9.30",
            "costa 53 euro",
            "ho 2 imprese e 3 unità locali",
            "firma digitale con CNS",
            "STRAORDINARIAMENTE", // sixteen letters, no digits
            "1234567",
            "",
        ] {
            assert_eq!(redact(text), text);
        }
    }

    /// Any text, however odd, is masked without a panic: it runs on every
    /// message a stranger sends. Texts are drawn from pieces of what the
    /// rules look for and single odd characters, by a fixed pseudo-random
    /// sequence (the same every run).
    #[test]
    fn no_text_makes_it_panic() {
        const PIECES: &[&str] = &[
            "IT60",
            "X054",
            "2811",
            "it",
            "GB29",
            "NWBK",
            "rss",
            "MRA",
            "85T10",
            "A562S",
            "+39",
            "(+",
            "0039",
            "333",
            "12",
            "1234567",
            "4111",
            "12/03/2025",
            "9:30",
            "1.234,56",
            "€",
            "euro",
            "prot",
            "n.",
            "pratica",
            "SUAP",
            "@",
            "a.b",
            "x@y.it",
            " ",
            " ",
            " ",
            ".",
            "-",
            "/",
            "(",
            ")",
            ":",
            ",",
            "\u{a0}",
            "è",
            "\n",
            "0",
            "3",
            "+",
            "Z",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let pieces = next() % 24;
            let text: String = (0..pieces)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            let _ = redact(&text);
        }
    }

    #[test]
    fn an_at_sign_alone_is_not_an_address() {
        assert_eq!(redact("ci vediamo @ sportello"), "ci vediamo @ sportello");
        assert_eq!(redact("utente@localhost"), "utente@localhost");
    }
}
