//! Typo tolerance: bounded Damerau-Levenshtein distance.
//!
//! Visitors type on phones: "fimra", "certifcato", "vidimazzione". A query
//! word the index has never seen is replaced by the closest known word, if
//! one is close enough (see [`max_distance`]). The vocabulary is a few
//! thousand words, scanned linearly: a letter-count bound ([`Letters`])
//! discards almost every candidate before the real distance is computed.

/// How many edits a word of this length (in characters) may carry. Short
/// words get none: with three letters every word is a typo of another.
pub(crate) fn max_distance(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// How many times each letter occurs (a-z, everything else in one bin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Letters([u8; 27]);

impl Letters {
    pub(crate) fn of(chars: &[char]) -> Letters {
        let mut counts = [0u8; 27];
        for &c in chars {
            let bin = if c.is_ascii_lowercase() {
                c as usize - 'a' as usize
            } else {
                26
            };
            counts[bin] = counts[bin].saturating_add(1);
        }
        Letters(counts)
    }

    /// A lower bound of the edit distance: an insertion or deletion changes
    /// the counts by 1, a substitution by 2, a transposition by 0.
    pub(crate) fn min_edits(&self, other: &Letters) -> usize {
        let diff: usize = self
            .0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| a.abs_diff(*b) as usize)
            .sum();
        diff.div_ceil(2)
    }
}

/// Reusable rows for [`Scratch::distance_within`], so a vocabulary scan
/// allocates once.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    before: Vec<usize>,
    prev: Vec<usize>,
    cur: Vec<usize>,
}

impl Scratch {
    /// Optimal-string-alignment distance (Damerau-Levenshtein with adjacent
    /// transpositions) between `a` and `b`, or `None` if it exceeds `max`.
    /// Stops as soon as a whole row exceeds `max`.
    #[cfg(test)]
    pub(crate) fn distance_within(&mut self, a: &[char], b: &[char], max: usize) -> Option<usize> {
        self.alignment_within(a, b, max, |x, y| usize::from(x != y))
    }

    /// The alignment distance with `substitution`'s cost for two letters
    /// (0 when they are equal), insertions, deletions and swaps of
    /// neighbours costing 1; `None` if it exceeds `max`. Stops as soon as
    /// a whole row exceeds `max`.
    fn alignment_within(
        &mut self,
        a: &[char],
        b: &[char],
        max: usize,
        substitution: impl Fn(char, char) -> usize,
    ) -> Option<usize> {
        if a.len().abs_diff(b.len()) > max {
            return None;
        }
        let width = b.len() + 1;
        // Three rows: the one before the previous is needed for
        // transpositions.
        for row in [&mut self.before, &mut self.prev, &mut self.cur] {
            row.clear();
            row.resize(width, 0);
        }
        for (j, cell) in self.prev.iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            self.cur[0] = i;
            let mut row_min = i;
            for j in 1..width {
                let cost = substitution(a[i - 1], b[j - 1]);
                let mut d = (self.prev[j] + 1)
                    .min(self.cur[j - 1] + 1)
                    .min(self.prev[j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d = d.min(self.before[j - 2] + 1);
                }
                self.cur[j] = d;
                row_min = row_min.min(d);
            }
            if row_min > max {
                return None;
            }
            std::mem::swap(&mut self.before, &mut self.prev);
            std::mem::swap(&mut self.prev, &mut self.cur);
        }
        let d = self.prev[b.len()];
        (d <= max).then_some(d)
    }
}

/// The keys of a QWERTY keyboard, row by row, for [`adjacent_keys`].
const KEY_ROWS: [&[u8]; 3] = [b"qwertyuiop", b"asdfghjkl", b"zxcvbnm"];

/// True when the two letters are neighbouring keys of a QWERTY keyboard
/// (the same row, or the row above or below within one column): the
/// substitutions a hurried finger makes. A vowel for another vowel is
/// not one of them, and in Italian it usually makes another word
/// ("carne" / "carte", "pasto" / "posto").
pub(crate) fn adjacent_keys(a: char, b: char) -> bool {
    let find = |c: char| {
        KEY_ROWS.iter().enumerate().find_map(|(r, row)| {
            row.iter()
                .position(|&k| k as char == c)
                .map(|col| (r as i32, col as i32))
        })
    };
    let (Some((ra, ca)), Some((rb, cb))) = (find(a), find(b)) else {
        return false;
    };
    // The lower rows are shifted right by about half a key: "a" sits
    // under "q" and "w", "z" under "a" and "s".
    match ra - rb {
        0 => (ca - cb).abs() == 1,
        // a is one row below b: it touches b's column and the next one.
        1 => ca == cb || ca + 1 == cb,
        -1 => cb == ca || cb + 1 == ca,
        _ => false,
    }
}

impl Scratch {
    /// The distance a typo corrector should trust: like
    /// [`Scratch::distance_within`], but a substitution of letters that
    /// are not neighbouring keys costs 2 (as a deletion and an insertion),
    /// and the first letter must stay (a first-letter typo is rare, while
    /// changing it gives another word: "sosta" / "costa", "vera" / "era"),
    /// except for the swap of the first two letters.
    pub(crate) fn typo_distance_within(
        &mut self,
        a: &[char],
        b: &[char],
        max: usize,
    ) -> Option<usize> {
        let (Some(&a0), Some(&b0)) = (a.first(), b.first()) else {
            return None;
        };
        let swapped = a.len() > 1 && b.len() > 1 && a[0] == b[1] && a[1] == b[0];
        if a0 != b0 && !swapped {
            return None;
        }
        self.alignment_within(a, b, max, |x, y| {
            if x == y {
                0
            } else if adjacent_keys(x, y) {
                1
            } else {
                2
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    fn d(a: &str, b: &str, max: usize) -> Option<usize> {
        Scratch::default().distance_within(&chars(a), &chars(b), max)
    }

    #[test]
    fn distances() {
        assert_eq!(d("firma", "firma", 1), Some(0));
        assert_eq!(d("fimra", "firma", 1), Some(1)); // transposition
        assert_eq!(d("frma", "firma", 1), Some(1)); // deletion
        assert_eq!(d("firmaa", "firma", 1), Some(1)); // insertion
        assert_eq!(d("forma", "firma", 1), Some(1)); // substitution
        assert_eq!(d("certifcato", "certificato", 2), Some(1));
        assert_eq!(d("ceritficato", "certificato", 2), Some(1));
        assert_eq!(d("cetrifcato", "certificato", 2), Some(2));
        assert_eq!(d("abc", "xyz", 2), None);
        assert_eq!(d("carbonara", "camera", 2), None);
    }

    #[test]
    fn scratch_is_reusable() {
        let mut s = Scratch::default();
        assert_eq!(
            s.distance_within(&chars("visura"), &chars("visure"), 1),
            Some(1)
        );
        assert_eq!(
            s.distance_within(&chars("tachigrafo"), &chars("tachgirafo"), 2),
            Some(1)
        );
        assert_eq!(
            s.distance_within(&chars("spid"), &chars("spid"), 1),
            Some(0)
        );
    }

    #[test]
    fn letter_counts_bound_the_distance() {
        let l = |s: &str| Letters::of(&chars(s));
        for (a, b) in [
            ("fimra", "firma"),
            ("forma", "firma"),
            ("frma", "firma"),
            ("vidimazione", "vidimazzione"),
        ] {
            let real = d(a, b, 5).unwrap();
            assert!(l(a).min_edits(&l(b)) <= real, "{a} {b}");
        }
        assert_eq!(l("fimra").min_edits(&l("firma")), 0);
        assert!(l("carbonara").min_edits(&l("vidimazione")) > 2);
    }

    #[test]
    fn the_typo_distance_trusts_slips_of_the_finger_only() {
        let mut s = Scratch::default();
        let mut t = |a: &str, b: &str, max| s.typo_distance_within(&chars(a), &chars(b), max);
        assert_eq!(t("fimra", "firma", 1), Some(1)); // transposition
        assert_eq!(t("vsura", "visura", 1), Some(1)); // deletion
        assert_eq!(t("spdi", "spid", 1), Some(1));
        assert_eq!(t("meteo", "metro", 1), Some(1)); // "e" is next to "r"
        assert_eq!(t("iscrizzione", "iscrizione", 2), Some(1));
        // Another vowel makes another word.
        assert_eq!(t("carne", "carte", 1), None);
        assert_eq!(t("pasto", "posto", 1), None);
        // The first letter stays, unless swapped with the second.
        assert_eq!(t("sosta", "costa", 1), None);
        assert_eq!(t("vera", "era", 1), None);
        assert_eq!(t("ifrma", "firma", 1), Some(1));
        assert!(adjacent_keys('a', 's') && adjacent_keys('q', 'a') && adjacent_keys('z', 's'));
        assert!(!adjacent_keys('a', 'o') && !adjacent_keys('n', 't'));
    }

    #[test]
    fn allowance_grows_with_length() {
        assert_eq!(max_distance(3), 0);
        assert_eq!(max_distance(5), 1);
        assert_eq!(max_distance(9), 2);
    }
}
