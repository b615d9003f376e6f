//! The retrieval index and the scoring of entries against a question.
//!
//! Three signals, each in 0..1, are blended into an entry's score:
//!
//! - **lexical**: a BM25F-style match over the entry's fields (example
//!   questions weigh most, then title and keywords, then the answer body
//!   and the topic's own title and description), normalised by what the
//!   question asked for. A question whose words the knowledge base has
//!   never seen ("ricetta della carbonara") therefore scores near zero,
//!   which is what out-of-scope detection relies on.
//! - **question**: the best weighted overlap (Dice) between the question's
//!   units (see [`normalize::Analyzer::units`]) and those of one single
//!   example question (or the title, or a keyword). This rewards a
//!   near-paraphrase of one phrasing over words scattered across a long
//!   answer.
//! - **trigram**: the best character-trigram Dice against the same
//!   phrasings, for robustness to typos and odd word forms that stemming
//!   and correction miss.

use crate::answer::{CONVERSATION_TOPIC, OUT_OF_SCOPE_TOPIC};
use crate::kb::{Entry, Topic};
use crate::normalize::{self, Analyzer, Class, Unit, Word};
use crate::typo;
use std::collections::{HashMap, HashSet};

/// The fields of an entry: example questions, title, keywords, answer
/// body, and the topic's title and description, in this order in the
/// per-field arrays below.
const FIELDS: usize = 5;
const TOPIC: usize = 4;

/// How much one occurrence in each field counts. Example questions are
/// written to look like what visitors ask; the body explains, and mentions
/// many things it is not about.
const FIELD_WEIGHT: [f32; FIELDS] = [1.0, 0.8, 0.8, 0.35, 0.25];
/// BM25 length normalisation per field: long bodies should not win by
/// sheer size, while titles and keywords are short anyway.
const FIELD_B: [f32; FIELDS] = [0.5, 0.3, 0.3, 0.75, 0.3];
/// BM25 term-frequency saturation.
const K1: f32 = 1.2;
/// The saturated frequency that counts as a full match (the BM25 maximum
/// is `K1 + 1`): a little above one mention in an example question.
const SATURATION_CAP: f32 = 1.6;

/// The share of a word's weight it keeps inside a recognised synonym
/// phrase (the phrase itself carries the meaning).
const LITERAL: f32 = 0.5;

/// Blend of the three signals; they sum to 1 so the score stays in 0..1.
const W_LEXICAL: f32 = 0.55;
const W_QUESTION: f32 = 0.30;
const W_TRIGRAM: f32 = 0.15;

/// How much an entry that has a term only in its body (or its topic's
/// description) counts towards the term's document frequency.
const BODY_DF: f32 = 0.5;

/// Words of a question looked at; the rest is ignored.
const MAX_QUERY_WORDS: usize = 80;

#[derive(Debug, Clone)]
struct Posting {
    entry: u32,
    tf: [f32; FIELDS],
}

/// A [`normalize::Unit`] resolved against the index: the ids of its
/// alternative terms that occur in the knowledge base, and its weight.
#[derive(Debug, Clone)]
struct WeightedUnit {
    alts: Vec<u32>,
    weight: f32,
}

/// One phrasing an entry answers (example question, title or keyword).
#[derive(Debug, Clone)]
struct Phrasing {
    entry: u32,
    units: Vec<WeightedUnit>,
    /// Sum of the unit weights.
    mass: f32,
    trigrams: Vec<u64>,
}

/// A known surface word, for typo correction.
#[derive(Debug, Clone)]
struct VocabWord {
    chars: Vec<char>,
    text: String,
    /// Occurrences in the knowledge base (function words get a high count
    /// so that they win ties: "dela" is "della", not a rare word).
    freq: u32,
    letters: typo::Letters,
}

impl VocabWord {
    fn new(text: String, freq: u32) -> VocabWord {
        let chars: Vec<char> = text.chars().collect();
        VocabWord {
            letters: typo::Letters::of(&chars),
            chars,
            text,
            freq,
        }
    }
}

/// The score of one entry for one question.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scored {
    pub entry: usize,
    pub score: f32,
    pub lexical: f32,
    pub question: f32,
    pub trigram: f32,
}

/// A question after analysis (and typo correction).
#[derive(Debug, Clone)]
pub(crate) struct Query {
    /// Units with no known alternative keep their weight: they are part of
    /// what was asked and lower every entry's coverage.
    units: Vec<WeightedUnit>,
    mass: f32,
    trigrams: Vec<u64>,
    /// (typed, corrected) pairs, for diagnostics.
    pub corrections: Vec<(String, String)>,
    /// The terms with their weights, for diagnostics.
    pub weighted: Vec<(String, f32)>,
}

#[derive(Debug, Clone)]
pub(crate) struct Index {
    analyzer: Analyzer,
    term_ids: HashMap<String, u32>,
    idf: Vec<f32>,
    /// The idf a term found nowhere would have.
    unknown_idf: f32,
    postings: Vec<Vec<Posting>>,
    lens: Vec<[f32; FIELDS]>,
    avg_len: [f32; FIELDS],
    phrasings: Vec<Phrasing>,
    /// For each term id, the (phrasing, unit) pairs it is an alternative
    /// of: the question signal only looks at phrasings sharing a term.
    phrasing_postings: Vec<Vec<(u32, u32)>>,
    /// Index of each phrasing's first unit in a flat numbering.
    unit_offsets: Vec<usize>,
    /// For each character trigram, the phrasings that have it: the trigram
    /// signal counts the trigrams a question shares with each phrasing
    /// from these lists, instead of comparing the question with every
    /// phrasing in turn (the engine's hottest loop under load).
    trigram_postings: HashMap<u64, Vec<u32>>,
    vocab: Vec<VocabWord>,
    surface: HashSet<String>,
    /// The stems of everyday words ([`normalize::everyday_words`]): a
    /// question word with one of them is no typo.
    everyday: HashSet<String>,
    entries: usize,
    /// Whether each entry is out of scope (sends the visitor elsewhere).
    out_of_scope: Vec<bool>,
    /// The terms that name one of the body's own services: those of its
    /// topics' titles («Firma digitale e CNS», «Diritto annuale») that no
    /// out-of-scope entry uses in its example questions, title or
    /// keywords. See [`SERVICE_NAMED`].
    services: HashSet<u32>,
    /// The terms of the out-of-scope entries' example questions, titles
    /// and keywords: a question word that is one of them («sanzione», also
    /// «multa stradale») does not name a service of the body's own.
    out_of_scope_terms: HashSet<u32>,
    /// The terms that name another body's service: in the title or keywords
    /// of an out-of-scope entry, asked in few of them, and found nowhere in
    /// the body's own entries, not even in an answer («TARI», «DURC»,
    /// «NASpI»). See [`OTHER_BODY_NAMED`].
    other_bodies: HashSet<u32>,
}

/// An out-of-scope entry's score is multiplied by this when the question
/// names one of the body's own services ([`Index::services`]): «mi serve
/// la carta d'identità per fare lo SPID?» asks about SPID, even if most of
/// its words are about the identity card.
const SERVICE_NAMED: f32 = 0.75;

/// The topics that are the body's services: not the assistant's small
/// talk, the way to a person, its privacy notice, or what is not the
/// body's job (topics every site has, see `kb/README.md`).
fn is_service_topic(topic: &str) -> bool {
    ![
        OUT_OF_SCOPE_TOPIC,
        CONVERSATION_TOPIC,
        "operatore",
        "privacy",
    ]
    .contains(&topic)
}

/// Whether `term` is one of the built-in synonym groups, which follow the
/// site's own `site_groups`: everyday vocabulary («documenti», «tasse»),
/// not the name of anything a body offers.
fn is_builtin_group(term: &str, site_groups: usize) -> bool {
    term.strip_prefix("~syn")
        .and_then(|n| n.parse::<usize>().ok())
        .is_some_and(|n| n >= site_groups)
}

/// An entry of the body's own is worth this much of its score when the
/// question names another body's service ([`Index::other_bodies`]) and
/// none of the body's own: «la mia ditta è iscritta in camera di commercio,
/// il DURC chi me lo dà?» is about the DURC, whatever else the visitor says
/// of the firm.
const OTHER_BODY_NAMED: f32 = 0.75;
/// A term found in more out-of-scope entries than this is a general word
/// of other bodies' matters («comune», «ufficio»), not one's service name.
const OTHER_BODY_ENTRIES: usize = 2;

impl Index {
    pub(crate) fn build(
        topics: &[Topic],
        entries: &[Entry],
        synonyms: &[Vec<String>],
        weak: &[String],
    ) -> Index {
        Index::build_in(topics, entries, synonyms, weak, false)
    }

    /// [`Index::build`] for entries in English (`english`), stemmed with
    /// the English stemmer.
    pub(crate) fn build_in(
        topics: &[Topic],
        entries: &[Entry],
        synonyms: &[Vec<String>],
        weak: &[String],
        english: bool,
    ) -> Index {
        let analyzer = Analyzer::new_in(synonyms, english).with_weak(weak);
        let fields = FieldIndex::build(&analyzer, topics, entries);
        let n = entries.len() as f32;
        let idf_of = |df: f32| (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        let idf = fields
            .postings
            .iter()
            .map(|p| {
                idf_of(
                    p.iter()
                        .map(|p| {
                            if p.tf[..3].iter().any(|&f| f > 0.0) {
                                1.0
                            } else {
                                BODY_DF
                            }
                        })
                        .sum(),
                )
            })
            .collect();
        let mut avg_len = [0.0; FIELDS];
        for (f, avg) in avg_len.iter_mut().enumerate() {
            *avg = (fields.lens.iter().map(|l| l[f]).sum::<f32>() / n.max(1.0)).max(1.0);
        }
        let vocab = vocabulary(&analyzer, fields.word_freq);
        let mut index = Index {
            surface: vocab.iter().map(|v| v.text.clone()).collect(),
            everyday: normalize::everyday_words()
                .map(|w| analyzer.stem(w))
                .collect(),
            vocab,
            analyzer,
            term_ids: fields.term_ids,
            idf,
            unknown_idf: idf_of(0.0),
            postings: fields.postings,
            lens: fields.lens,
            avg_len,
            phrasings: Vec::new(),
            phrasing_postings: Vec::new(),
            unit_offsets: Vec::new(),
            trigram_postings: HashMap::new(),
            entries: entries.len(),
            out_of_scope: entries
                .iter()
                .map(|e| e.topic == OUT_OF_SCOPE_TOPIC)
                .collect(),
            services: HashSet::new(),
            out_of_scope_terms: HashSet::new(),
            other_bodies: HashSet::new(),
        };
        index.add_phrasings(entries);
        index.out_of_scope_terms = (0..index.postings.len() as u32)
            .filter(|&id| {
                index.postings[id as usize].iter().any(|p| {
                    index.out_of_scope[p.entry as usize] && p.tf[..3].iter().any(|&f| f > 0.0)
                })
            })
            .collect();
        index.services = index.service_terms(topics, entries, synonyms.len());
        index.other_bodies = index.other_body_terms(synonyms.len());
        index
    }

    /// See [`Index::other_bodies`].
    fn other_body_terms(&self, site_groups: usize) -> HashSet<u32> {
        // Function words («.dai») and the built-in groups name nothing.
        let names_something =
            |term: &str| !term.starts_with('.') && !is_builtin_group(term, site_groups);
        self.term_ids
            .iter()
            .filter(|(term, _)| names_something(term))
            .map(|(_, &id)| id)
            .filter(|&id| {
                let postings = &self.postings[id as usize];
                // In a title or keywords, where an entry names what it is
                // about, not a word its example questions happen to use.
                let named_in = postings
                    .iter()
                    .filter(|p| p.tf[1] > 0.0 || p.tf[2] > 0.0)
                    .count();
                let asked_in = postings
                    .iter()
                    .filter(|p| p.tf[..3].iter().any(|&f| f > 0.0))
                    .count();
                named_in > 0
                    && asked_in <= OTHER_BODY_ENTRIES
                    && postings.iter().all(|p| self.out_of_scope[p.entry as usize])
            })
            .collect()
    }

    /// See [`Index::services`].
    fn service_terms(
        &self,
        topics: &[Topic],
        entries: &[Entry],
        site_groups: usize,
    ) -> HashSet<u32> {
        // Where a visitor's words are: example questions, title, keywords.
        let asked = |p: &Posting| p.tf[..3].iter().any(|&f| f > 0.0);
        let mut out = HashSet::new();
        for topic in topics {
            if !is_service_topic(&topic.id) {
                continue;
            }
            let words = self.analyzer.words(&topic.title);
            for unit in self.analyzer.units(&words) {
                if unit.literal || unit.class != Class::Content {
                    continue;
                }
                for alt in unit
                    .alts
                    .iter()
                    .filter(|a| !is_builtin_group(a, site_groups))
                {
                    let Some(&id) = self.term_ids.get(alt) else {
                        continue;
                    };
                    let postings = &self.postings[id as usize];
                    let elsewhere = self.out_of_scope_terms.contains(&id);
                    // A word of the topic's own entries, not one every
                    // topic uses («ufficio», «documenti»).
                    let (mine, all) = postings.iter().filter(|p| asked(p)).fold(
                        (0usize, 0usize),
                        |(mine, all), p| {
                            let own = entries[p.entry as usize].topic == topic.id;
                            (mine + usize::from(own), all + 1)
                        },
                    );
                    if !elsewhere && mine > 0 && mine * 2 >= all {
                        out.insert(id);
                    }
                }
            }
        }
        out
    }

    /// Analyses every entry's example questions, title and keywords as
    /// phrasings for the question and trigram signals. Their units are
    /// weighed like a visitor's question's, which needs the idf.
    fn add_phrasings(&mut self, entries: &[Entry]) {
        for (e, entry) in entries.iter().enumerate() {
            for text in entry
                .questions
                .iter()
                .chain(std::iter::once(&entry.title))
                .chain(&entry.keywords)
            {
                let words = self.analyzer.words(text);
                let units: Vec<WeightedUnit> = self
                    .analyzer
                    .units(&words)
                    .iter()
                    .filter_map(|u| self.weigh(u))
                    .collect();
                let mass = units.iter().map(|u| u.weight).sum();
                self.phrasings.push(Phrasing {
                    entry: e as u32,
                    units,
                    mass,
                    trigrams: trigrams(&words),
                });
            }
        }
        self.phrasing_postings = vec![Vec::new(); self.idf.len()];
        let mut offset = 0;
        for (p, phrasing) in self.phrasings.iter().enumerate() {
            self.unit_offsets.push(offset);
            offset += phrasing.units.len();
            for (k, unit) in phrasing.units.iter().enumerate() {
                for &id in &unit.alts {
                    self.phrasing_postings[id as usize].push((p as u32, k as u32));
                }
            }
        }
        self.unit_offsets.push(offset);
        for (p, phrasing) in self.phrasings.iter().enumerate() {
            // A phrasing's trigrams are a set: it is listed once under each.
            for &t in &phrasing.trigrams {
                self.trigram_postings.entry(t).or_default().push(p as u32);
            }
        }
    }

    /// Each phrasing's Dice coefficient with the query's trigrams (both
    /// sets): twice the trigrams they share over the sum of their sizes.
    fn trigram_dice(&self, query: &[u64]) -> Vec<f32> {
        let mut shared = vec![0u32; self.phrasings.len()];
        for t in query {
            for &p in self.trigram_postings.get(t).into_iter().flatten() {
                shared[p as usize] += 1;
            }
        }
        self.phrasings
            .iter()
            .zip(shared)
            .map(|(phrasing, shared)| {
                if query.is_empty() || phrasing.trigrams.is_empty() {
                    0.0
                } else {
                    2.0 * shared as f32 / (query.len() + phrasing.trigrams.len()) as f32
                }
            })
            .collect()
    }

    fn known_idf(&self, term: &str) -> Option<f32> {
        self.term_ids.get(term).map(|&id| self.idf[id as usize])
    }

    /// Resolves a unit to term ids and weighs it (class weight x idf).
    /// `None` for a literal word the knowledge base does not know.
    fn weigh(&self, unit: &Unit) -> Option<WeightedUnit> {
        let alts: Vec<u32> = unit
            .alts
            .iter()
            .filter_map(|t| self.term_ids.get(t).copied())
            .collect();
        // The rarest known alternative; unknown units are as rare as can be,
        // so asking for something the knowledge base lacks lowers every
        // entry's coverage.
        let rarest = alts
            .iter()
            .map(|&id| self.idf[id as usize])
            .reduce(f32::max);
        let idf = if unit.literal {
            // The exact wording is a bonus only: an unknown word inside a
            // recognised phrase costs nothing.
            LITERAL * rarest?
        } else if unit.covers.is_empty() {
            rarest.unwrap_or(self.unknown_idf)
        } else {
            // A phrase weighs what its known words together weigh, or its
            // group's rarity if that is more (English or unusual wording the
            // knowledge base never uses).
            let words: f32 = unit.covers.iter().filter_map(|t| self.known_idf(t)).sum();
            rarest.unwrap_or(self.unknown_idf).max(words)
        };
        Some(WeightedUnit {
            alts,
            weight: unit.class.weight() * idf,
        })
    }

    /// Whether the question is written in English beyond doubt (see
    /// [`normalize::surely_english`]).
    pub(crate) fn written_in_english(&self, question: &str) -> bool {
        normalize::surely_english(&self.analyzer.words(question))
    }

    /// Analyses a visitor's question, correcting typos against the
    /// knowledge base's vocabulary.
    pub(crate) fn query(&self, question: &str) -> Query {
        let mut corrections = Vec::new();
        let mut words = self.analyzer.words(question);
        // A question is a sentence or two; a pasted document would only cost
        // time (every unknown word is a vocabulary scan).
        words.truncate(MAX_QUERY_WORDS);
        let english = normalize::looks_english(&words);
        let words: Vec<Word> = words
            .into_iter()
            .map(|w| {
                let fixed = if english { None } else { self.correct(&w) };
                match fixed {
                    Some(fixed) => {
                        corrections.push((w.folded.clone(), fixed.folded.clone()));
                        fixed
                    }
                    None => w,
                }
            })
            .collect();
        let mut units = Vec::new();
        let mut weighted = Vec::new();
        for unit in self.analyzer.units(&words) {
            let Some(w) = self.weigh(&unit) else { continue };
            // Diagnostics: "alt|alt", literal words marked with "+".
            weighted.push((
                format!(
                    "{}{}",
                    if unit.literal { "+" } else { "" },
                    unit.alts.join("|")
                ),
                w.weight,
            ));
            units.push(w);
        }
        let mass = units.iter().map(|u| u.weight).sum();
        Query {
            units,
            mass,
            trigrams: trigrams(&words),
            corrections,
            weighted,
        }
    }

    /// The closest known word to an unknown one, if close enough. Known
    /// words, short words and numbers are left alone.
    fn correct(&self, word: &Word) -> Option<Word> {
        let len = word.folded.chars().count();
        let max = typo::max_distance(len);
        if word.class != Class::Content
            || max == 0
            || word.folded.chars().any(|c| c.is_ascii_digit())
            || self.surface.contains(&word.folded)
            || self.term_ids.contains_key(&word.stem)
            || self.everyday.contains(&word.stem)
        {
            return None;
        }
        let chars: Vec<char> = word.folded.chars().collect();
        let letters = typo::Letters::of(&chars);
        let mut scratch = typo::Scratch::default();
        // The site's weak words (its assistant's name) are in no entry's
        // vocabulary: a misspelt name is corrected to the name, which then
        // weighs as little as the name.
        for weak in self.analyzer.site_weak() {
            let weak_chars: Vec<char> = weak.chars().collect();
            if scratch
                .typo_distance_within(&chars, &weak_chars, max)
                .is_some()
            {
                return Some(self.analyzer.word(weak));
            }
        }
        // Lowest distance first, then the most frequent word; the vocabulary
        // is sorted, so remaining ties go to the alphabetically first.
        let mut best: Option<(usize, u32, &VocabWord)> = None;
        for candidate in &self.vocab {
            let bound = best.map_or(max, |(d, _, _)| d);
            if candidate.chars.len().abs_diff(chars.len()) > bound
                || letters.min_edits(&candidate.letters) > bound
            {
                continue;
            }
            let Some(d) = scratch.typo_distance_within(&chars, &candidate.chars, bound) else {
                continue;
            };
            let better = match best {
                None => true,
                Some((bd, bf, _)) => d < bd || (d == bd && candidate.freq > bf),
            };
            if better {
                best = Some((d, candidate.freq, candidate));
            }
        }
        best.map(|(_, _, v)| self.analyzer.word(&v.text))
    }

    /// Scores every entry; the result is sorted best first, ties broken by
    /// entry order so answers are deterministic.
    pub(crate) fn score(&self, query: &Query) -> Vec<Scored> {
        let mut lexical = vec![0.0f32; self.entries];
        // The best match of the current unit in each entry, over its
        // alternatives.
        let mut unit_best = vec![0.0f32; self.entries];
        for unit in &query.units {
            unit_best.fill(0.0);
            for &id in &unit.alts {
                for posting in &self.postings[id as usize] {
                    let e = posting.entry as usize;
                    let mut tf = 0.0;
                    for f in 0..FIELDS {
                        if posting.tf[f] > 0.0 {
                            let norm =
                                1.0 - FIELD_B[f] + FIELD_B[f] * self.lens[e][f] / self.avg_len[f];
                            tf += FIELD_WEIGHT[f] * posting.tf[f] / norm;
                        }
                    }
                    // BM25 saturation, capped: one mention in an example
                    // question is most of a match, a term the entry also
                    // has in its title, keywords and body is a full one.
                    let saturated =
                        (tf * (K1 + 1.0) / (K1 + tf)).min(SATURATION_CAP) / SATURATION_CAP;
                    unit_best[e] = unit_best[e].max(saturated);
                }
            }
            for (total, best) in lexical.iter_mut().zip(&unit_best) {
                *total += unit.weight * best;
            }
        }

        // The question signal: a weighted Dice between the question's units
        // and each phrasing's, where two units meet when they share an
        // alternative. Each unit counts once on each side.
        let phrasings = self.phrasings.len();
        let mut in_query = vec![0.0f32; phrasings];
        let mut in_phrasing = vec![0.0f32; phrasings];
        let mut last_unit = vec![usize::MAX; phrasings];
        let mut unit_seen = vec![false; *self.unit_offsets.last().unwrap_or(&0)];
        for (q, unit) in query.units.iter().enumerate() {
            for &id in &unit.alts {
                for &(p, k) in &self.phrasing_postings[id as usize] {
                    let p = p as usize;
                    if last_unit[p] != q {
                        last_unit[p] = q;
                        in_query[p] += unit.weight;
                    }
                    let seen = &mut unit_seen[self.unit_offsets[p] + k as usize];
                    if !*seen {
                        *seen = true;
                        in_phrasing[p] += self.phrasings[p].units[k as usize].weight;
                    }
                }
            }
        }
        let mut question = vec![0.0f32; self.entries];
        let mut trigram = vec![0.0f32; self.entries];
        let dice_of = self.trigram_dice(&query.trigrams);
        for (p, phrasing) in self.phrasings.iter().enumerate() {
            let e = phrasing.entry as usize;
            if in_query[p] > 0.0 {
                question[e] =
                    question[e].max((in_query[p] + in_phrasing[p]) / (query.mass + phrasing.mass));
            }
            trigram[e] = trigram[e].max(dice_of[p]);
        }

        let mut scored: Vec<Scored> = (0..self.entries)
            .map(|e| {
                let lexical = if query.mass > 0.0 {
                    lexical[e] / query.mass
                } else {
                    0.0
                };
                let score = W_LEXICAL * lexical + W_QUESTION * question[e] + W_TRIGRAM * trigram[e];
                Scored {
                    entry: e,
                    score,
                    lexical,
                    question: question[e],
                    trigram: trigram[e],
                }
            })
            .collect();
        let names_service = query.units.iter().any(|u| {
            u.alts.iter().any(|id| self.services.contains(id))
                && !u.alts.iter().any(|id| self.out_of_scope_terms.contains(id))
        });
        let names_other_body = query
            .units
            .iter()
            .any(|u| u.alts.iter().any(|id| self.other_bodies.contains(id)));
        if names_other_body && !names_service {
            for s in scored.iter_mut().filter(|s| !self.out_of_scope[s.entry]) {
                s.score *= OTHER_BODY_NAMED;
            }
        } else if names_service {
            for s in scored.iter_mut().filter(|s| self.out_of_scope[s.entry]) {
                s.score *= SERVICE_NAMED;
            }
        }
        scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        scored
    }
}

/// The inverted index over the entries' fields, before idf.
struct FieldIndex {
    term_ids: HashMap<String, u32>,
    postings: Vec<Vec<Posting>>,
    lens: Vec<[f32; FIELDS]>,
    /// Occurrences of each content word, for typo correction.
    word_freq: HashMap<String, u32>,
}

impl FieldIndex {
    fn build(analyzer: &Analyzer, topics: &[Topic], entries: &[Entry]) -> FieldIndex {
        let mut index = FieldIndex {
            term_ids: HashMap::new(),
            postings: Vec::new(),
            lens: Vec::new(),
            word_freq: HashMap::new(),
        };
        for (e, entry) in entries.iter().enumerate() {
            let topic = topics.iter().find(|t| t.id == entry.topic);
            let topic_texts: Vec<String> = topic
                .map(|t| vec![t.title.clone(), t.description.clone()])
                .unwrap_or_default();
            // Each text is analysed on its own, so a synonym phrase never
            // spans two example questions.
            // An out-of-scope answer says in its first paragraph what it
            // is about and who handles it; what follows often names the
            // body's own services as a contrast («alla Camera puoi invece
            // ottenere SPID»), and would draw the very questions it sends
            // elsewhere.
            let body = if entry.topic == OUT_OF_SCOPE_TOPIC {
                entry.answer.split("\n\n").next().unwrap_or("")
            } else {
                &entry.answer
            };
            let body = vec![strip_markdown(body)];
            let fields: [Vec<String>; FIELDS] = [
                entry.questions.clone(),
                vec![entry.title.clone()],
                entry.keywords.clone(),
                body,
                topic_texts,
            ];
            let mut tf: HashMap<u32, [f32; FIELDS]> = HashMap::new();
            let mut len = [0.0; FIELDS];
            for (f, texts) in fields.iter().enumerate() {
                for text in texts {
                    let words = analyzer.words(text);
                    len[f] += words.len() as f32;
                    // Topic descriptions are shared by many entries: their
                    // words would look frequent without being visitor words.
                    if f != TOPIC {
                        for w in words.iter().filter(|w| w.class == Class::Content) {
                            *index.word_freq.entry(w.folded.clone()).or_default() += 1;
                        }
                    }
                    for term in analyzer.terms(&words) {
                        tf.entry(index.id(term)).or_insert([0.0; FIELDS])[f] += 1.0;
                    }
                }
            }
            let mut tf: Vec<(u32, [f32; FIELDS])> = tf.into_iter().collect();
            tf.sort_by_key(|(id, _)| *id);
            for (id, tf) in tf {
                index.postings[id as usize].push(Posting {
                    entry: e as u32,
                    tf,
                });
            }
            index.lens.push(len);
        }
        index
    }

    /// The id of a term, assigned on first sight.
    fn id(&mut self, term: String) -> u32 {
        let next = self.term_ids.len() as u32;
        let id = *self.term_ids.entry(term).or_insert(next);
        if id == next {
            self.postings.push(Vec::new());
        }
        id
    }
}

/// The words typos are corrected towards: the knowledge base's, the
/// synonyms' and a few everyday ones (known, so never "corrected"), and the
/// function words (a typo of "della" is "della", not a rare word).
fn vocabulary(analyzer: &Analyzer, mut word_freq: HashMap<String, u32>) -> Vec<VocabWord> {
    for w in analyzer.synonym_words() {
        word_freq.entry(w.clone()).or_insert(1);
    }
    for w in normalize::common_words() {
        word_freq.entry(w.to_string()).or_insert(0);
    }
    let mut vocab: Vec<VocabWord> = word_freq
        .into_iter()
        .map(|(text, freq)| VocabWord::new(text, freq))
        .chain(normalize::function_words().map(|w| VocabWord::new(w.to_string(), u32::MAX)))
        .collect();
    // Sorted by text, the most frequent duplicate first and kept.
    vocab.sort_by(|a, b| a.text.cmp(&b.text).then(b.freq.cmp(&a.freq)));
    vocab.dedup_by(|a, b| a.text == b.text);
    vocab
}

/// The sorted, deduplicated character trigrams of a text's meaningful
/// words (all words if it has none, so "chi sei?" still has trigrams).
fn trigrams(words: &[Word]) -> Vec<u64> {
    let content: Vec<&str> = words
        .iter()
        .filter(|w| w.class == Class::Content)
        .map(|w| w.folded.as_str())
        .collect();
    let chosen: Vec<&str> = if content.is_empty() {
        words.iter().map(|w| w.folded.as_str()).collect()
    } else {
        content
    };
    let mut out = Vec::new();
    for w in chosen {
        // Padding marks word starts and ends, which carry most of the
        // information in short words.
        let chars: Vec<char> = std::iter::once(' ')
            .chain(w.chars())
            .chain(std::iter::once(' '))
            .collect();
        for t in chars.windows(3) {
            out.push((t[0] as u64) << 42 | (t[1] as u64) << 21 | t[2] as u64);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Dice coefficient of two sorted sets.
#[cfg(test)]
fn dice(a: &[u64], b: &[u64]) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    2.0 * shared as f32 / (a.len() + b.len()) as f32
}

/// Drops markdown syntax that would otherwise become words (link targets
/// mostly: "https", "www", file names).
fn strip_markdown(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut rest = md;
    while let Some(pos) = rest.find("](") {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 2..];
        rest = match after.find(')') {
            Some(end) => &after[end + 1..],
            None => after,
        };
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_link_targets_are_not_words() {
        assert_eq!(
            strip_markdown("vedi [la pagina](https://x.it/spid) e altro"),
            "vedi [la pagina e altro"
        );
    }

    /// The trigram lists give each phrasing the Dice coefficient that
    /// comparing the two sets directly gives, to the last bit.
    #[test]
    fn the_trigram_lists_give_the_dice_of_the_two_sets() {
        let kb = crate::KnowledgeBase::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../kb/milomb"
        )))
        .expect("the milomb knowledge base loads");
        let index = &kb.index;
        for question in [
            "come attivo lo spid?",
            "diritto anuale quanto costa",
            "orari dello sportello di via meravigli",
            "chi sei?",
            "xyz",
            "",
        ] {
            let query = index.query(question);
            let listed = index.trigram_dice(&query.trigrams);
            for (p, phrasing) in index.phrasings.iter().enumerate() {
                assert_eq!(
                    listed[p].to_bits(),
                    dice(&query.trigrams, &phrasing.trigrams).to_bits(),
                    "{question:?}, phrasing {p}"
                );
            }
        }
    }

    #[test]
    fn dice_of_sets() {
        assert_eq!(dice(&[1, 2, 3], &[1, 2, 3]), 1.0);
        assert_eq!(dice(&[1, 2], &[3, 4]), 0.0);
        assert!((dice(&[1, 2, 3, 4], &[3, 4]) - 2.0 * 2.0 / 6.0).abs() < 1e-6);
    }
}
