//! Masks personal data in a visitor's message before it leaves our server
//! for an external assistant. The notices promise that personal data the
//! visitor gives by accident is not needed for an answer and is made
//! anonymous when the content is analysed; a third party never needs it.
//!
//! What is masked, each replaced by a label in square brackets:
//! e-mail addresses, codici fiscali (omocodia included), IBANs, and runs of
//! seven or more digits (telephone numbers, partite IVA, document and
//! practice numbers), spaces, dots, dashes and slashes between the digits
//! included. Short numbers (years, amounts, office hours) stay: the
//! question needs them.

/// Returns `text` with personal data replaced by `[email]`,
/// `[codice fiscale]`, `[IBAN]` and `[numero]`.
pub fn redact(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let at_word_start = i == 0 || !chars[i - 1].is_alphanumeric();
        if at_word_start {
            if let Some(end) = email_at(&chars, i) {
                out.push_str("[email]");
                i = end;
                continue;
            }
            if let Some(end) = iban_at(&chars, i) {
                out.push_str("[IBAN]");
                i = end;
                continue;
            }
            if let Some(end) = codice_fiscale_at(&chars, i) {
                out.push_str("[codice fiscale]");
                i = end;
                continue;
            }
            if let Some(end) = long_number_at(&chars, i) {
                out.push_str("[numero]");
                i = end;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
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

/// Sixteen characters shaped as a codice fiscale: six letters, two digits,
/// a month letter, two digits, a letter, three digits, a check letter;
/// with omocodia, any of the seven digits may be one of `LMNPQRSTUV`.
fn codice_fiscale_at(chars: &[char], start: usize) -> Option<usize> {
    const OMOCODIA: &str = "LMNPQRSTUV";
    let end = start + 16;
    if end > chars.len() || !is_word_end(chars, end) {
        return None;
    }
    let c: Vec<char> = chars[start..end]
        .iter()
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let letter = |x: char| x.is_ascii_uppercase();
    let digit = |x: char| x.is_ascii_digit() || OMOCODIA.contains(x);
    let shape = [
        letter(c[0]),
        letter(c[1]),
        letter(c[2]),
        letter(c[3]),
        letter(c[4]),
        letter(c[5]),
        digit(c[6]),
        digit(c[7]),
        "ABCDEHLMPRST".contains(c[8]),
        digit(c[9]),
        digit(c[10]),
        letter(c[11]),
        digit(c[12]),
        digit(c[13]),
        digit(c[14]),
        letter(c[15]),
    ];
    // At least one real digit: a word of sixteen letters is not a code.
    (shape.iter().all(|ok| *ok) && c.iter().any(|x| x.is_ascii_digit())).then_some(end)
}

/// Two letters, two check digits, then 11 to 30 letters or digits: in one
/// piece, or in groups of up to four separated by single spaces (as IBANs
/// are printed). A spaced group must hold a digit, so the next word of the
/// sentence is not taken for one.
fn iban_at(chars: &[char], start: usize) -> Option<usize> {
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

/// Seven or more digits, with an optional leading `+` and single
/// separators (space, dot, dash, slash) between them.
fn long_number_at(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start;
    if i < chars.len() && chars[i] == '+' {
        i += 1;
    }
    let mut digits = 0;
    let mut end = i;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            digits += 1;
            i += 1;
            end = i;
        } else if " .-/".contains(chars[i])
            && i + 1 < chars.len()
            && chars[i + 1].is_ascii_digit()
            && digits > 0
        {
            i += 1;
        } else {
            break;
        }
    }
    (digits >= 7 && is_word_end(chars, end)).then_some(end)
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
            redact("omocodia: RSSMRA85T10A5R2S"),
            "omocodia: [codice fiscale]"
        );
        assert_eq!(
            redact("IBAN IT60 X054 2811 1010 0000 0123 456 per il rimborso"),
            "IBAN [IBAN] per il rimborso"
        );
        assert_eq!(redact("IT60X0542811101000000123456"), "[IBAN]");
        assert_eq!(
            redact("chiamatemi al +39 333 123 4567"),
            "chiamatemi al [numero]"
        );
        assert_eq!(redact("tel. 02-8515.1"), "tel. [numero]");
        assert_eq!(redact("P.IVA 01234567890"), "P.IVA [numero]");
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
        ] {
            assert_eq!(redact(text), text);
        }
    }

    #[test]
    fn an_at_sign_alone_is_not_an_address() {
        assert_eq!(redact("ci vediamo @ sportello"), "ci vediamo @ sportello");
        assert_eq!(redact("utente@localhost"), "utente@localhost");
    }
}
