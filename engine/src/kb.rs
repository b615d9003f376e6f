//! Reading and checking a knowledge base: `topics.toml`, the optional
//! `synonyms.toml`, `entries/<id>.md` and their English versions
//! `en/<id>.md`.
//!
//! Checking never stops at the first problem: a content writer running
//! `kb check` should see everything to fix in one go. Each error names the
//! file (relative to the knowledge base folder) and, in its message, the
//! field.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use toml::{Table, Value};

/// One problem found while loading a knowledge base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KbError {
    /// Path relative to the knowledge base folder ("entries/spid.md").
    pub file: String,
    pub message: String,
}

impl fmt::Display for KbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for KbError {}

/// A subject area; every entry belongs to exactly one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    pub id: String,
    pub title: String,
    pub description: String,
}

/// A link shown under an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub title: String,
    pub url: String,
}

/// One answer of the knowledge base with the questions it answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub id: String,
    pub topic: String,
    pub title: String,
    /// Example phrasings of the question; the strongest retrieval signal.
    pub questions: Vec<String>,
    pub keywords: Vec<String>,
    pub links: Vec<Link>,
    /// The answer, in the markdown subset the widget renders.
    pub answer: String,
    /// The entry in English (`en/<id>.md`), if written.
    pub english: Option<English>,
}

/// An entry's English version: its own title, example questions and
/// answer; its links are the Italian entry's, with English titles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct English {
    pub title: String,
    pub questions: Vec<String>,
    pub keywords: Vec<String>,
    pub links: Vec<Link>,
    pub answer: String,
}

impl Entry {
    /// The entry as an English visitor reads it, if it has an English
    /// version.
    pub fn in_english(&self) -> Option<Entry> {
        let en = self.english.as_ref()?;
        Some(Entry {
            id: self.id.clone(),
            topic: self.topic.clone(),
            title: en.title.clone(),
            questions: en.questions.clone(),
            keywords: en.keywords.clone(),
            links: en.links.clone(),
            answer: en.answer.clone(),
            english: None,
        })
    }
}

/// Reads one entry from its files (`entries/<id>.md` and, if given,
/// `en/<id>.md`) with the checks a whole knowledge base applies to it,
/// except that its topic is not looked up in `topics.toml`.
pub fn read_entry(id: &str, italian: &str, english: Option<&str>) -> Result<Entry, Vec<KbError>> {
    let mut errors = Vec::new();
    let italian_file = format!("entries/{id}.md");
    let mut entry = parse_entry(
        id,
        italian,
        &HashSet::new(),
        &mut Report {
            file: &italian_file,
            errors: &mut errors,
        },
        &mut Vec::new(),
    );
    if let (Some(entry), Some(text)) = (entry.as_mut(), english) {
        let english_file = format!("en/{id}.md");
        entry.english = parse_english(
            id,
            text,
            &entry.links,
            &mut Report {
                file: &english_file,
                errors: &mut errors,
            },
        );
    }
    match entry {
        Some(entry) if errors.is_empty() => Ok(entry),
        _ => Err(errors),
    }
}

/// The files of an entry as `kb check` reads them: `entries/<id>.md` and,
/// if the entry has an English version, `en/<id>.md`. Parsing them gives
/// the entry back (the console writes an entry this way).
pub fn entry_files(entry: &Entry) -> (String, Option<String>) {
    #[derive(Serialize)]
    struct Front<'a> {
        id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        topic: Option<&'a str>,
        title: &'a str,
        questions: &'a [String],
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        keywords: &'a [String],
        links: Vec<LinkFront<'a>>,
    }
    #[derive(Serialize)]
    struct LinkFront<'a> {
        title: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<&'a str>,
    }
    let file = |front: &Front, answer: &str| {
        // Serialising plain strings and lists cannot fail.
        let toml = toml::to_string(front).unwrap_or_default();
        format!("+++\n{}+++\n{}\n", toml, answer.trim())
    };
    let italian = file(
        &Front {
            id: &entry.id,
            topic: Some(&entry.topic),
            title: &entry.title,
            questions: &entry.questions,
            keywords: &entry.keywords,
            links: entry
                .links
                .iter()
                .map(|l| LinkFront {
                    title: &l.title,
                    url: Some(&l.url),
                })
                .collect(),
        },
        &entry.answer,
    );
    let english = entry.english.as_ref().map(|en| {
        file(
            &Front {
                id: &entry.id,
                topic: None,
                title: &en.title,
                questions: &en.questions,
                keywords: &en.keywords,
                links: en
                    .links
                    .iter()
                    .map(|l| LinkFront {
                        title: &l.title,
                        url: None,
                    })
                    .collect(),
            },
            &en.answer,
        )
    });
    (italian, english)
}

/// Everything read from a knowledge base's files, already checked.
#[derive(Debug, Clone)]
pub(crate) struct Parsed {
    pub topics: Vec<Topic>,
    pub synonyms: Vec<Vec<String>>,
    /// Words of this site that say nothing of the topic (`weak` in
    /// `synonyms.toml`): the assistant's name, which visitors address.
    pub weak: Vec<String>,
    pub entries: Vec<Entry>,
}

/// Collects errors for one file.
struct Report<'a> {
    file: &'a str,
    errors: &'a mut Vec<KbError>,
}

impl Report<'_> {
    fn error(&mut self, message: impl Into<String>) {
        self.errors.push(KbError {
            file: self.file.to_string(),
            message: message.into(),
        });
    }
}

/// Parses and checks the knowledge base files given as (relative path,
/// content). Files other than `topics.toml`, `synonyms.toml`, `entries/*.md`
/// and `en/*.md` (the benchmark's `questions.jsonl`, a README) are ignored.
pub(crate) fn parse(files: &[(String, String)]) -> Result<Parsed, Vec<KbError>> {
    let mut errors = Vec::new();
    // Sorted by path, so entry order (and every tie broken by it) does not
    // depend on the order the caller listed the files in.
    let files: BTreeMap<String, &str> = files
        .iter()
        .map(|(p, c)| {
            (
                p.replace('\\', "/").trim_start_matches("./").to_string(),
                c.as_str(),
            )
        })
        .collect();

    let topics = match files.get("topics.toml") {
        Some(text) => parse_topics(
            text,
            &mut Report {
                file: "topics.toml",
                errors: &mut errors,
            },
        ),
        None => {
            errors.push(KbError {
                file: "topics.toml".into(),
                message: "missing: every knowledge base needs its list of topics".into(),
            });
            Vec::new()
        }
    };
    let (synonyms, weak) = match files.get("synonyms.toml") {
        Some(text) => parse_synonyms(
            text,
            &mut Report {
                file: "synonyms.toml",
                errors: &mut errors,
            },
        ),
        None => (Vec::new(), Vec::new()),
    };

    let topic_ids: HashSet<&str> = topics.iter().map(|t| t.id.as_str()).collect();
    let mut entries: Vec<Entry> = Vec::new();
    // Topics named by entry files, even broken ones, and whether some file
    // was too broken to name one.
    let mut topics_named: Vec<String> = Vec::new();
    let mut topic_unknown = false;
    for (path, text) in &files {
        let Some(name) = path
            .strip_prefix("entries/")
            .and_then(|n| n.strip_suffix(".md"))
        else {
            continue;
        };
        if name.contains('/') {
            continue;
        }
        let mut report = Report {
            file: path,
            errors: &mut errors,
        };
        let named = topics_named.len();
        let entry = parse_entry(name, text, &topic_ids, &mut report, &mut topics_named);
        topic_unknown |= topics_named.len() == named && entry.is_none();
        if let Some(entry) = entry {
            if entries.iter().any(|e| e.id == entry.id) {
                report.error(format!(
                    "field `id`: \"{}\" is already used by another entry",
                    entry.id
                ));
            } else {
                entries.push(entry);
            }
        }
    }

    // English versions, each of an Italian entry, with its links.
    for (path, text) in &files {
        let Some(name) = path.strip_prefix("en/").and_then(|n| n.strip_suffix(".md")) else {
            continue;
        };
        if name.contains('/') {
            continue;
        }
        let mut report = Report {
            file: path,
            errors: &mut errors,
        };
        let Some(at) = entries.iter().position(|e| e.id == name) else {
            report.error(format!(
                "no entry \"{name}\" in entries/: an English version needs its Italian entry"
            ));
            continue;
        };
        if let Some(english) = parse_english(name, text, &entries[at].links, &mut report) {
            entries[at].english = Some(english);
        }
    }

    if entries.is_empty()
        && !files
            .keys()
            .any(|p| p.starts_with("entries/") && p.ends_with(".md"))
    {
        errors.push(KbError {
            file: "entries/".into(),
            message: "no entries: add at least one entries/<id>.md".into(),
        });
    }
    // A file too broken to name its topic may be that topic's entry: then
    // "no entry" could be wrong, and fixing the file is the first step anyway.
    if !topic_unknown {
        for topic in &topics {
            if !topics_named.contains(&topic.id) {
                errors.push(KbError {
                    file: "topics.toml".into(),
                    message: format!(
                        "topic \"{}\" has no entry: add one with `topic = \"{}\"`",
                        topic.id, topic.id
                    ),
                });
            }
        }
    }

    if errors.is_empty() {
        Ok(Parsed {
            topics,
            synonyms,
            weak,
            entries,
        })
    } else {
        Err(errors)
    }
}

/// Parses TOML, reporting the line of a syntax error relative to the file
/// (`first_line` is the file line the text starts on, 1-based).
fn parse_toml(text: &str, first_line: usize, what: &str, report: &mut Report) -> Option<Table> {
    match text.parse::<Table>() {
        Ok(table) => Some(table),
        Err(e) => {
            let line = e
                .span()
                .map(|s| first_line + text[..s.start.min(text.len())].matches('\n').count());
            let at = line.map(|l| format!(" at line {l}")).unwrap_or_default();
            report.error(format!("{what}: invalid TOML{at}: {}", e.message().trim()));
            None
        }
    }
}

fn parse_topics(text: &str, report: &mut Report) -> Vec<Topic> {
    let Some(mut table) = parse_toml(text, 1, "topics", report) else {
        return Vec::new();
    };
    let list = match table.remove("topics") {
        Some(Value::Array(list)) => list,
        Some(_) => {
            report.error("field `topics`: must be an array of tables ([[topics]])");
            return Vec::new();
        }
        None => {
            report.error("field `topics`: missing, add [[topics]] tables");
            return Vec::new();
        }
    };
    for key in table.keys() {
        report.error(format!(
            "field `{key}`: unknown (only [[topics]] is allowed)"
        ));
    }
    let mut topics: Vec<Topic> = Vec::new();
    for (i, value) in list.into_iter().enumerate() {
        let n = i + 1;
        let Value::Table(mut t) = value else {
            report.error(format!("topic #{n}: must be a table"));
            continue;
        };
        let id = take_string(&mut t, "id", &format!("topic #{n}"), true, report);
        let title = take_string(&mut t, "title", &format!("topic #{n}"), true, report);
        let description = take_string(&mut t, "description", &format!("topic #{n}"), false, report);
        for key in t.keys() {
            report.error(format!("topic #{n}, field `{key}`: unknown field"));
        }
        if let Some(id) = &id {
            if !is_valid_id(id) {
                report.error(format!(
                    "topic #{n}, field `id`: \"{id}\" must use only a-z, 0-9 and '-'"
                ));
            }
            if topics.iter().any(|t| &t.id == id) {
                report.error(format!("topic #{n}, field `id`: \"{id}\" is defined twice"));
                continue;
            }
        }
        if let (Some(id), Some(title), Some(description)) = (id, title, description) {
            topics.push(Topic {
                id,
                title,
                description,
            });
        }
    }
    if topics.is_empty() && !report.errors.iter().any(|e| e.file == report.file) {
        report.error("no topics defined");
    }
    topics
}

/// The synonym groups, and the site's weak words.
fn parse_synonyms(text: &str, report: &mut Report) -> (Vec<Vec<String>>, Vec<String>) {
    let Some(mut table) = parse_toml(text, 1, "synonyms", report) else {
        return (Vec::new(), Vec::new());
    };
    let mut weak = Vec::new();
    match table.remove("weak") {
        Some(Value::Array(words)) => {
            for word in words {
                match word {
                    Value::String(s) if !s.trim().is_empty() && !s.trim().contains(' ') => {
                        weak.push(s.trim().to_string())
                    }
                    _ => report.error("field `weak`: every entry must be one word"),
                }
            }
        }
        Some(_) => report.error("field `weak`: must be an array of words"),
        None => {}
    }
    let groups = match table.remove("groups") {
        Some(Value::Array(groups)) => groups,
        Some(_) => {
            report.error("field `groups`: must be an array of arrays of strings");
            return (Vec::new(), weak);
        }
        None => Vec::new(),
    };
    for key in table.keys() {
        report.error(format!(
            "field `{key}`: unknown (only `groups` and `weak` are allowed)"
        ));
    }
    let mut out = Vec::new();
    for (i, group) in groups.into_iter().enumerate() {
        let n = i + 1;
        let Value::Array(members) = group else {
            report.error(format!(
                "field `groups`, group #{n}: must be an array of strings"
            ));
            continue;
        };
        let mut terms = Vec::new();
        for member in members {
            match member {
                Value::String(s) if !s.trim().is_empty() => terms.push(s.trim().to_string()),
                Value::String(_) => report.error(format!("field `groups`, group #{n}: empty term")),
                _ => report.error(format!(
                    "field `groups`, group #{n}: every term must be a string"
                )),
            }
        }
        if terms.len() < 2 {
            report.error(format!(
                "field `groups`, group #{n}: a group needs at least two terms"
            ));
        } else {
            out.push(terms);
        }
    }
    (out, weak)
}

/// The keys an entry's front matter may hold.
const ENTRY_FIELDS: &[&str] = &["id", "topic", "title", "questions", "keywords", "links"];

/// Parses and checks one entry file; `topics_named` receives its topic as
/// soon as it is read, even if the file has other problems.
fn parse_entry(
    name: &str,
    text: &str,
    topics: &HashSet<&str>,
    report: &mut Report,
    topics_named: &mut Vec<String>,
) -> Option<Entry> {
    let (front, body) = match split_front_matter(text) {
        Ok(parts) => parts,
        Err(message) => {
            report.error(message);
            return None;
        }
    };
    let mut table = parse_toml(front, 2, "front matter", report)?;

    let id = take_string(&mut table, "id", "", true, report);
    if let Some(id) = &id {
        if id != name {
            report.error(format!(
                "field `id`: \"{id}\" must match the file name (\"{name}\")"
            ));
        } else if !is_valid_id(id) {
            report.error(format!(
                "field `id`: \"{id}\" must use only a-z, 0-9 and '-'"
            ));
        }
    }
    let topic = take_string(&mut table, "topic", "", true, report);
    if let Some(topic) = &topic {
        topics_named.push(topic.clone());
        // An empty `topics` set means topics.toml itself is broken (and
        // reported): do not repeat that once per entry.
        if !topics.is_empty() && !topics.contains(topic.as_str()) {
            report.error(format!(
                "field `topic`: \"{topic}\" is not defined in topics.toml"
            ));
        }
    }
    let title = take_string(&mut table, "title", "", true, report);
    let questions = take_string_list(&mut table, "questions", report);
    if questions.as_ref().is_some_and(|q| q.is_empty()) {
        report.error("field `questions`: add at least one example question");
    }
    let keywords = if table.contains_key("keywords") {
        take_string_list(&mut table, "keywords", report)
    } else {
        Some(Vec::new())
    };
    let links = take_links(&mut table, report);
    for key in table.keys() {
        report.error(format!(
            "field `{key}`: unknown field (allowed: {})",
            ENTRY_FIELDS.join(", ")
        ));
    }

    let answer = body.trim().to_string();
    if answer.is_empty() {
        report.error("body: the answer after the front matter is empty");
    }
    let body_first_line = text[..text.len() - body.len()].matches('\n').count() + 1;
    check_body(body, body_first_line, report);

    Some(Entry {
        id: id?,
        topic: topic?,
        title: title?,
        questions: questions?,
        keywords: keywords?,
        links: links?,
        answer,
        english: None,
    })
}

const ENGLISH_FIELDS: &[&str] = &["id", "title", "questions", "keywords", "links"];

/// Parses `en/<name>.md`: the Italian entry's `links` give the URLs, the
/// English file their titles (as many, in the same order).
fn parse_english(
    name: &str,
    text: &str,
    italian_links: &[Link],
    report: &mut Report,
) -> Option<English> {
    let (front, body) = match split_front_matter(text) {
        Ok(parts) => parts,
        Err(message) => {
            report.error(message);
            return None;
        }
    };
    let mut table = parse_toml(front, 2, "front matter", report)?;
    let id = take_string(&mut table, "id", "", true, report);
    if id.as_deref().is_some_and(|id| id != name) {
        report.error(format!(
            "field `id`: \"{}\" must match the file name (\"{name}\")",
            id.as_deref().unwrap_or_default()
        ));
    }
    let title = take_string(&mut table, "title", "", true, report);
    let questions = take_string_list(&mut table, "questions", report);
    if questions.as_ref().is_some_and(|q| q.is_empty()) {
        report.error("field `questions`: add at least one example question");
    }
    let keywords = if table.contains_key("keywords") {
        take_string_list(&mut table, "keywords", report)
    } else {
        Some(Vec::new())
    };
    let mut titles = Vec::new();
    let mut links_ok = true;
    if let Some(value) = table.remove("links") {
        match value {
            Value::Array(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    let context = format!("link #{}", i + 1);
                    let Value::Table(mut t) = item else {
                        report.error(format!("{context}: must be a table with `title`"));
                        links_ok = false;
                        continue;
                    };
                    match take_string(&mut t, "title", &context, true, report) {
                        Some(title) => titles.push(title),
                        None => links_ok = false,
                    }
                    for key in t.keys() {
                        report.error(format!(
                            "{context}, field `{key}`: unknown field (an English link has only its `title`; the URL is the Italian entry's)"
                        ));
                        links_ok = false;
                    }
                }
            }
            _ => {
                report.error("field `links`: must be an array of tables ([[links]])");
                links_ok = false;
            }
        }
    }
    if links_ok && titles.len() != italian_links.len() {
        report.error(format!(
            "field `links`: {} link title(s) for the Italian entry's {} link(s): one each, in the same order",
            titles.len(),
            italian_links.len()
        ));
        links_ok = false;
    }
    for key in table.keys() {
        report.error(format!(
            "field `{key}`: unknown field (allowed: {})",
            ENGLISH_FIELDS.join(", ")
        ));
    }
    let answer = body.trim().to_string();
    if answer.is_empty() {
        report.error("body: the answer after the front matter is empty");
    }
    let body_first_line = text[..text.len() - body.len()].matches('\n').count() + 1;
    check_body(body, body_first_line, report);
    let links = italian_links
        .iter()
        .zip(titles)
        .map(|(l, title)| Link {
            title,
            url: l.url.clone(),
        })
        .collect();
    Some(English {
        title: title?,
        questions: questions?,
        keywords: keywords?,
        links: links_ok.then_some(links)?,
        answer,
    })
}

/// Splits `+++`-delimited TOML front matter from the markdown body.
fn split_front_matter(text: &str) -> Result<(&str, &str), String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "+++" {
        return Err("front matter: the file must start with a `+++` line".into());
    }
    let start = first.len();
    let mut offset = start;
    for line in lines {
        if line.trim_end() == "+++" {
            return Ok((&text[start..offset], &text[offset + line.len()..]));
        }
        offset += line.len();
    }
    Err("front matter: no closing `+++` line".into())
}

/// Takes a string field out of `table`. `required` fields must be present
/// and non-blank.
fn take_string(
    table: &mut Table,
    key: &str,
    context: &str,
    required: bool,
    report: &mut Report,
) -> Option<String> {
    let prefix = if context.is_empty() {
        String::new()
    } else {
        format!("{context}, ")
    };
    match table.remove(key) {
        Some(Value::String(s)) if required && s.trim().is_empty() => {
            report.error(format!("{prefix}field `{key}`: must not be empty"));
            None
        }
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(_) => {
            report.error(format!("{prefix}field `{key}`: must be a string"));
            None
        }
        None => {
            report.error(format!("{prefix}field `{key}`: missing"));
            None
        }
    }
}

fn take_string_list(table: &mut Table, key: &str, report: &mut Report) -> Option<Vec<String>> {
    let Some(value) = table.remove(key) else {
        report.error(format!("field `{key}`: missing"));
        return None;
    };
    let Value::Array(items) = value else {
        report.error(format!("field `{key}`: must be an array of strings"));
        return None;
    };
    let mut out = Vec::new();
    let mut ok = true;
    for (i, item) in items.into_iter().enumerate() {
        match item {
            Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
            Value::String(_) => {
                report.error(format!("field `{key}`, item #{}: must not be empty", i + 1));
                ok = false;
            }
            _ => {
                report.error(format!("field `{key}`, item #{}: must be a string", i + 1));
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn take_links(table: &mut Table, report: &mut Report) -> Option<Vec<Link>> {
    let Some(value) = table.remove("links") else {
        return Some(Vec::new());
    };
    let Value::Array(items) = value else {
        report.error("field `links`: must be an array of tables ([[links]])");
        return None;
    };
    let mut links = Vec::new();
    let mut ok = true;
    for (i, item) in items.into_iter().enumerate() {
        let context = format!("link #{}", i + 1);
        let Value::Table(mut t) = item else {
            report.error(format!("{context}: must be a table with `title` and `url`"));
            ok = false;
            continue;
        };
        let title = take_string(&mut t, "title", &context, true, report);
        let url = take_string(&mut t, "url", &context, true, report);
        for key in t.keys() {
            // TOML puts every key written after a `[[links]]` header inside
            // that table: the usual cause is `keywords` below the links.
            report.error(format!(
                "{context}, field `{key}`: unknown field (keys after a [[links]] table belong to it: move them above)"
            ));
        }
        if let Some(url) = &url {
            if let Err(why) = check_url(url) {
                report.error(format!("{context}, field `url`: {why}"));
                ok = false;
            }
        }
        match (title, url) {
            (Some(title), Some(url)) => links.push(Link { title, url }),
            _ => ok = false,
        }
    }
    ok.then_some(links)
}

/// Knowledge base ids end up in file names and URLs: keep them plain.
fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Accepts the URL schemes the widget can open safely, and site paths.
/// `javascript:`, `data:` and relative paths without `/` are refused.
pub(crate) fn check_url(url: &str) -> Result<(), String> {
    let lower = url.to_ascii_lowercase();
    let ok = ["https://", "http://", "mailto:", "tel:"]
        .iter()
        .any(|p| lower.starts_with(p) && lower.len() > p.len())
        || (url.starts_with('/') && !url.starts_with("//"));
    if url.chars().any(char::is_whitespace) {
        Err(format!("\"{url}\" contains spaces"))
    } else if ok {
        Ok(())
    } else {
        Err(format!(
            "\"{url}\" must start with https:, http:, mailto:, tel: or '/' (a path on the site)"
        ))
    }
}

/// Checks the markdown body: no raw HTML (the widget never renders it, so
/// it would show up as text or be a way around the sanitiser) and only safe
/// link targets.
fn check_body(body: &str, first_line: usize, report: &mut Report) {
    for (i, line) in body.lines().enumerate() {
        let line_no = first_line + i;
        if let Some(tag) = find_html_tag(line) {
            report.error(format!(
                "body, line {line_no}: raw HTML `{tag}` is not allowed, use markdown"
            ));
        }
        for url in markdown_link_targets(line) {
            if let Err(why) = check_url(url) {
                report.error(format!("body, line {line_no}: link {why}"));
            }
        }
    }
}

/// Finds `<tag`, `</tag` or `<!--`, skipping markdown autolinks such as
/// `<https://example.org>`.
fn find_html_tag(line: &str) -> Option<String> {
    let bytes = line.as_bytes();
    for (i, _) in line.match_indices('<') {
        let rest = &line[i + 1..];
        let next = bytes.get(i + 1).copied().unwrap_or(b' ');
        let starts_tag = next.is_ascii_alphabetic()
            || (next == b'/' && bytes.get(i + 2).is_some_and(|b| b.is_ascii_alphabetic()))
            || rest.starts_with("!--");
        if !starts_tag {
            continue;
        }
        let inner = rest.split('>').next().unwrap_or(rest);
        let autolink = rest.contains('>')
            && !inner.contains(char::is_whitespace)
            && check_url(inner).is_ok()
            && inner.contains(':');
        if !autolink {
            let tag: String = line[i..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '>')
                .collect();
            return Some(tag);
        }
    }
    None
}

/// The targets of inline markdown links `[text](target)` in one line.
fn markdown_link_targets(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(pos) = rest.find("](") {
        let after = &rest[pos + 2..];
        let Some(end) = after.find(')') else { break };
        // `[a](url "title")`: the target is the part before the space.
        let target = after[..end].split_whitespace().next().unwrap_or("");
        out.push(target.trim_start_matches('<').trim_end_matches('>'));
        rest = &after[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_split() {
        let (f, b) = split_front_matter("+++\nid = \"x\"\n+++\nbody\n").unwrap();
        assert_eq!(f, "id = \"x\"\n");
        assert_eq!(b, "body\n");
        assert!(split_front_matter("id = 1\n").is_err());
        assert!(split_front_matter("+++\nid = 1\n").is_err());
        let (_, b) = split_front_matter("+++\r\nid = \"x\"\r\n+++\r\nbody").unwrap();
        assert_eq!(b, "body");
    }

    #[test]
    fn urls() {
        for ok in [
            "https://a.it",
            "http://a.it/x",
            "mailto:a@b.it",
            "tel:+39021234",
            "/demo-site/x.html",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "spid.html",
            "//evil.org/x",
            "https://",
            "ftp://x",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn html_detection() {
        assert_eq!(
            find_html_tag("testo <b>grassetto</b>"),
            Some("<b".to_string())
        );
        assert_eq!(find_html_tag("chiudi </div>"), Some("</div".to_string()));
        assert_eq!(find_html_tag("<!-- nota -->"), Some("<!--".to_string()));
        assert_eq!(find_html_tag("vedi <https://www.example.it>"), None);
        assert_eq!(find_html_tag("se a < b allora"), None);
        assert_eq!(find_html_tag("importo <5 euro"), None);
    }

    #[test]
    fn markdown_links() {
        assert_eq!(
            markdown_link_targets("[a](/x) e [b](https://y \"t\")"),
            ["/x", "https://y"]
        );
        assert!(markdown_link_targets("nessun link").is_empty());
    }
}
