//! The redaction corpus (`redaction_corpus.txt`): messages as people type
//! them, with what must be stored of each. Every case is checked and every
//! failure reported at once.

use varco_core::redact::redact;

/// (message, what is stored of it)
fn corpus() -> Vec<(&'static str, &'static str)> {
    let mut cases = Vec::new();
    let mut masked: Option<&str> = None;
    for (n, line) in include_str!("redaction_corpus.txt").lines().enumerate() {
        let at = n + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (marker, text) = line
            .split_at_checked(2)
            .unwrap_or_else(|| panic!("line {at}: expected `- `, `+ ` or `= `"));
        match (marker, masked.take()) {
            ("- ", None) => masked = Some(text),
            ("+ ", Some(input)) => cases.push((input, text)),
            ("= ", None) => cases.push((text, text)),
            _ => panic!("line {at}: {line:?} out of order (`- ` is followed by `+ `)"),
        }
    }
    assert!(masked.is_none(), "the last `- ` line has no `+ ` line");
    cases
}

#[test]
fn the_corpus_is_large_and_balanced() {
    let cases = corpus();
    let kept = cases.iter().filter(|(a, b)| a == b).count();
    let masked = cases.len() - kept;
    assert!(cases.len() >= 150, "{} cases", cases.len());
    assert!(
        masked >= 70 && kept >= 70,
        "{masked} masked, {kept} kept: about half each"
    );
}

#[test]
fn every_message_of_the_corpus_is_stored_as_expected() {
    let failures: Vec<String> = corpus()
        .into_iter()
        .filter_map(|(input, expected)| {
            let got = redact(input);
            (got != expected)
                .then(|| format!("  {input:?}\n    got      {got:?}\n    expected {expected:?}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of the corpus:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn masking_twice_changes_nothing_more() {
    for (input, _) in corpus() {
        let once = redact(input);
        assert_eq!(redact(&once), once, "{input:?}");
    }
}
