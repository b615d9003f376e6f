//! Editing the assistant's knowledge base in the console (webmasters):
//! `/operator/api/kb…`. An entry travels as a form (fields, not the file's
//! text); the server writes the file and checks it as `kb check` does.

use serde::{Deserialize, Serialize};

/// One entry as the webmaster edits it. `id` and `topic` are not editable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryForm {
    pub id: String,
    pub topic: String,
    pub title: String,
    pub questions: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub links: Vec<LinkForm>,
    /// The answer, in the markdown subset the widget shows as text.
    pub answer: String,
    /// The English version, if the entry has one.
    #[serde(default)]
    pub english: Option<EnglishForm>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkForm {
    pub title: String,
    pub url: String,
}

/// An entry's English version: its links are the Italian ones, with one
/// English title each, in the same order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnglishForm {
    pub title: String,
    pub questions: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub link_titles: Vec<String>,
    pub answer: String,
}

/// A problem found by the checks, in the Italian part (`it`), the English
/// one (`en`) or elsewhere in the knowledge base (`other`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub part: String,
    pub message: String,
}

/// `GET /operator/api/kb?site=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub site: String,
    pub topics: Vec<TopicSummary>,
    pub entries: Vec<EntrySummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicSummary {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntrySummary {
    pub id: String,
    pub topic: String,
    pub title: String,
    pub english: bool,
    /// The latest version kept; 0 when the entry is still as its files say
    /// and nobody published it from the console.
    pub version: i64,
    pub changed_by: Option<String>,
    pub changed_ms: Option<i64>,
}

/// `GET /operator/api/kb/entry?site=&id=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryView {
    pub entry: EntryForm,
    pub version: i64,
    /// Newest first.
    pub history: Vec<VersionInfo>,
}

/// Where a version came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Published in the console.
    Console,
    /// The entry's files on the server (as first seen, or edited on disk).
    Files,
    /// The previous version published again.
    Revert,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Console => "console",
            Origin::Files => "files",
            Origin::Revert => "revert",
        }
    }

    pub fn parse(s: &str) -> Option<Origin> {
        match s {
            "console" => Some(Origin::Console),
            "files" => Some(Origin::Files),
            "revert" => Some(Origin::Revert),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub version: i64,
    pub origin: Origin,
    pub author: String,
    pub created_ms: i64,
    pub title: String,
}

/// `POST /operator/api/kb/check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub site: String,
    pub entry: EntryForm,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub problems: Vec<Problem>,
}

/// `POST /operator/api/kb/try`: a question answered by the knowledge base
/// with the draft in place of the published entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Try {
    pub site: String,
    pub entry: EntryForm,
    pub question: String,
    #[serde(default = "italian")]
    pub language: String,
}

fn italian() -> String {
    "it".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TryResult {
    pub problems: Vec<Problem>,
    pub answer: Option<TryAnswer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TryAnswer {
    /// The entry that answers, if one does (not for "not sure").
    pub entry_id: Option<String>,
    pub title: String,
    pub topic: String,
    pub text: String,
    /// The entry being edited answers.
    pub from_draft: bool,
}

/// `POST /operator/api/kb/publish`: `base_version` is the version the
/// draft started from, so that two webmasters do not overwrite each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publish {
    pub site: String,
    pub entry: EntryForm,
    pub base_version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub version: i64,
}

/// `POST /operator/api/kb/revert`: the version before `base_version` is
/// published again, as a new version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revert {
    pub site: String,
    pub id: String,
    pub base_version: i64,
}
