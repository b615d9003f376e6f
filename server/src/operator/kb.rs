//! Editing the assistant's knowledge base in the console (webmasters):
//! the entries, one entry with its history, checking a draft, trying a
//! question against it, publishing it and going one step back.
//!
//! A draft is checked as `varco-server kb check` checks the files: it is
//! written as its files and the whole knowledge base is read with it. A
//! published version answers at once on this instance, and on the others
//! within `assistant::RELOAD_CHECK` (they see the reload generation grow).

use super::{webmaster_site, Authenticated};
use crate::api::{now_ms, Failure, JsonBody};
use crate::assistant::published::{self, english_path, entry_texts, italian_path};
use crate::assistant::{reload_site, EmbeddedAssistant};
use crate::state::AppState;
use crate::storage::KbVersion;
use crate::threads::storage_failure;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use varco_engine::{entry_files, English, Entry, KbError, KnowledgeBase, Link};
use varco_protocol::kb::{
    Check, CheckResult, EnglishForm, EntryForm, EntrySummary, EntryView, LinkForm, Origin,
    Overview, Problem, Publish, Published, Revert, TopicSummary, Try, TryAnswer, TryResult,
    VersionInfo,
};

/// The longest question tried against a draft.
const MAX_TRY_CHARS: usize = 500;

/// A site whose knowledge base the operator may edit.
struct KbSite {
    id: String,
    dir: PathBuf,
    embedded: Arc<EmbeddedAssistant>,
}

fn kb_site(state: &AppState, auth: &Authenticated, id: &str) -> Result<KbSite, Failure> {
    let site = webmaster_site(state, auth, id)?;
    match (&site.kb, state.knowledge.get(&site.id)) {
        (Some(dir), Some(embedded)) => Ok(KbSite {
            id: site.id.clone(),
            dir: dir.clone(),
            embedded: embedded.clone(),
        }),
        _ => Err(Failure::new(
            StatusCode::NOT_FOUND,
            "no_such_site",
            format!("site {id:?} has no knowledge base"),
        )),
    }
}

/// An entry's id as its file name allows (`kb check`'s rule): anything
/// else names no entry, and is not looked up.
fn is_entry_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn no_such_entry(id: &str) -> Failure {
    Failure::new(
        StatusCode::NOT_FOUND,
        "no_such_entry",
        format!("no entry {id:?} in this knowledge base"),
    )
}

fn changed_meanwhile() -> Failure {
    Failure::new(
        StatusCode::CONFLICT,
        "changed_meanwhile",
        "this entry was published again after you opened it: load it again",
    )
}

/// The site's files as they answer now (the files on disk, with the
/// entries published in their place).
async fn current_files(state: &AppState, site: &KbSite) -> Result<Vec<(String, String)>, Failure> {
    match published::current_files(&state.storage, &site.id, &site.dir, now_ms())
        .await
        .map_err(storage_failure)?
    {
        Ok(files) => Ok(files),
        Err(errors) => {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            tracing::error!(site = %site.id, problems = %list.join("; "), "knowledge base files cannot be read");
            Err(Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "kb_unreadable",
                "the knowledge base's files cannot be read now: see the server's log",
            ))
        }
    }
}

/// One entry as its texts in `files` say.
fn read_entry(files: &[(String, String)], id: &str) -> Option<Entry> {
    let (italian, english) = entry_texts(files, id)?;
    varco_engine::read_entry(id, &italian, english.as_deref()).ok()
}

fn form_of(entry: &Entry) -> EntryForm {
    EntryForm {
        id: entry.id.clone(),
        topic: entry.topic.clone(),
        title: entry.title.clone(),
        questions: entry.questions.clone(),
        keywords: entry.keywords.clone(),
        links: entry
            .links
            .iter()
            .map(|l| LinkForm {
                title: l.title.clone(),
                url: l.url.clone(),
            })
            .collect(),
        answer: entry.answer.clone(),
        english: entry.english.as_ref().map(|en| EnglishForm {
            title: en.title.clone(),
            questions: en.questions.clone(),
            keywords: en.keywords.clone(),
            link_titles: en.links.iter().map(|l| l.title.clone()).collect(),
            answer: en.answer.clone(),
        }),
    }
}

/// The entry a form describes. Lines are trimmed and blank ones dropped,
/// as a person typing one question per line expects.
fn entry_of(form: &EntryForm) -> Entry {
    let lines = |list: &[String]| -> Vec<String> {
        list.iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let links: Vec<Link> = form
        .links
        .iter()
        .map(|l| Link {
            title: l.title.trim().to_owned(),
            url: l.url.trim().to_owned(),
        })
        .collect();
    Entry {
        id: form.id.clone(),
        topic: form.topic.clone(),
        title: form.title.trim().to_owned(),
        questions: lines(&form.questions),
        keywords: lines(&form.keywords),
        answer: form.answer.trim().to_owned(),
        english: form.english.as_ref().map(|en| English {
            title: en.title.trim().to_owned(),
            questions: lines(&en.questions),
            keywords: lines(&en.keywords),
            links: links
                .iter()
                .zip(
                    en.link_titles
                        .iter()
                        .chain(std::iter::repeat(&String::new())),
                )
                .map(|(l, title)| Link {
                    title: title.trim().to_owned(),
                    url: l.url.clone(),
                })
                .collect(),
            answer: en.answer.trim().to_owned(),
        }),
        links,
    }
}

/// The draft's own problems that its files cannot show: a form is
/// structured, so these are the ones the parser would otherwise mis-name.
fn form_problems(form: &EntryForm) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut problem = |part: &str, message: String| {
        problems.push(Problem {
            part: part.into(),
            message,
        })
    };
    if let Some(en) = &form.english {
        if en.link_titles.len() != form.links.len() {
            problem(
                "en",
                format!(
                    "field `links`: {} English link title(s) for the Italian entry's {} link(s): one each, in the same order",
                    en.link_titles.len(),
                    form.links.len()
                ),
            );
        }
    }
    for (part, text) in std::iter::once(("it", &form.answer))
        .chain(form.english.as_ref().map(|en| ("en", &en.answer)))
    {
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            problem(part, "body: control characters are not allowed".into());
        }
    }
    problems
}

/// The draft in place of its entry; the site's knowledge base read with it.
struct Draft {
    files: Vec<(String, String)>,
    entry: Entry,
    italian: String,
    english: Option<String>,
    /// The entry's texts before the draft (Italian, English).
    before: (String, Option<String>),
}

async fn draft(state: &AppState, site: &KbSite, form: &EntryForm) -> Result<Draft, Failure> {
    if !is_entry_id(&form.id) {
        return Err(no_such_entry(&form.id));
    }
    let files = current_files(state, site).await?;
    let current = read_entry(&files, &form.id).ok_or_else(|| no_such_entry(&form.id))?;
    let before = entry_texts(&files, &form.id).ok_or_else(|| no_such_entry(&form.id))?;
    let mut entry = entry_of(form);
    // The topic is the entry's: an entry is edited, not moved.
    entry.topic = current.topic;
    let (italian, english) = entry_files(&entry);
    let mut files: Vec<(String, String)> = files
        .into_iter()
        .filter(|(p, _)| *p != italian_path(&form.id) && *p != english_path(&form.id))
        .collect();
    files.push((italian_path(&form.id), italian.clone()));
    if let Some(english) = &english {
        files.push((english_path(&form.id), english.clone()));
    }
    Ok(Draft {
        files,
        entry,
        italian,
        english,
        before,
    })
}

/// Reads the knowledge base with the draft (`index`: also builds its
/// indexes, to answer): the problems, or the result.
async fn build(
    draft: &Draft,
    form: &EntryForm,
    index: bool,
) -> Result<Result<Option<KnowledgeBase>, Vec<Problem>>, Failure> {
    let mut problems = form_problems(form);
    let files = draft.files.clone();
    let built = tokio::task::spawn_blocking(move || {
        if index {
            KnowledgeBase::from_files(&files).map(Some)
        } else {
            KnowledgeBase::check_files(&files).map(|()| None)
        }
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "checking a knowledge base draft");
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the draft could not be checked",
        )
    })?;
    let id = &form.id;
    match built {
        Ok(kb) if problems.is_empty() => Ok(Ok(kb)),
        Ok(_) => Ok(Err(problems)),
        Err(errors) => {
            problems.extend(errors.iter().map(|e: &KbError| {
                Problem {
                    part: if e.file == italian_path(id) {
                        "it"
                    } else if e.file == english_path(id) {
                        "en"
                    } else {
                        "other"
                    }
                    .into(),
                    message: e.message.clone(),
                }
            }));
            Ok(Err(problems))
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct SiteQuery {
    site: String,
    id: Option<String>,
}

/// `GET /operator/api/kb?site=`.
pub(super) async fn overview(
    State(state): State<AppState>,
    auth: Authenticated,
    Query(query): Query<SiteQuery>,
) -> Result<Json<Overview>, Failure> {
    let site = kb_site(&state, &auth, &query.site)?;
    let kb = site.embedded.kb();
    let versions: HashMap<String, KbVersion> = state
        .storage
        .kb_latest(&site.id, None)
        .await
        .map_err(storage_failure)?
        .into_iter()
        .map(|v| (v.entry_id.clone(), v))
        .collect();
    let order: HashMap<&str, usize> = kb
        .topics()
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), i))
        .collect();
    let mut entries: Vec<EntrySummary> = kb
        .entries()
        .iter()
        .map(|e| {
            let v = versions.get(&e.id);
            EntrySummary {
                id: e.id.clone(),
                topic: e.topic.clone(),
                title: v.map_or_else(|| e.title.clone(), |v| v.title.clone()),
                english: v.map_or(e.english.is_some(), |v| v.english.is_some()),
                version: v.map_or(0, |v| v.version),
                changed_by: v.map(|v| v.author.clone()),
                changed_ms: v.map(|v| v.created_ms),
            }
        })
        .collect();
    entries.sort_by(|a, b| {
        (order.get(a.topic.as_str()), &a.id).cmp(&(order.get(b.topic.as_str()), &b.id))
    });
    Ok(Json(Overview {
        site: site.id,
        topics: kb
            .topics()
            .iter()
            .map(|t| TopicSummary {
                id: t.id.clone(),
                title: t.title.clone(),
            })
            .collect(),
        entries,
    }))
}

/// `GET /operator/api/kb/entry?site=&id=`.
pub(super) async fn entry(
    State(state): State<AppState>,
    auth: Authenticated,
    Query(query): Query<SiteQuery>,
) -> Result<Json<EntryView>, Failure> {
    let site = kb_site(&state, &auth, &query.site)?;
    let id = query.id.unwrap_or_default();
    if !is_entry_id(&id) {
        return Err(no_such_entry(&id));
    }
    // The version first: a version published meanwhile makes the text newer
    // than the version said, never older (publishing then says so).
    let history = state
        .storage
        .kb_history(&site.id, &id)
        .await
        .map_err(storage_failure)?;
    let files = current_files(&state, &site).await?;
    let entry = read_entry(&files, &id).ok_or_else(|| no_such_entry(&id))?;
    Ok(Json(EntryView {
        entry: form_of(&entry),
        version: history.first().map_or(0, |v| v.version),
        history: history
            .into_iter()
            .map(|v| VersionInfo {
                version: v.version,
                origin: Origin::parse(&v.origin).unwrap_or(Origin::Files),
                author: v.author,
                created_ms: v.created_ms,
                title: v.title,
            })
            .collect(),
    }))
}

/// `POST /operator/api/kb/check`.
pub(super) async fn check(
    State(state): State<AppState>,
    auth: Authenticated,
    JsonBody(body): JsonBody<Check>,
) -> Result<Json<CheckResult>, Failure> {
    let site = kb_site(&state, &auth, &body.site)?;
    let draft = draft(&state, &site, &body.entry).await?;
    let problems = build(&draft, &body.entry, false)
        .await?
        .err()
        .unwrap_or_default();
    Ok(Json(CheckResult { problems }))
}

/// `POST /operator/api/kb/try`.
pub(super) async fn try_question(
    State(state): State<AppState>,
    auth: Authenticated,
    JsonBody(body): JsonBody<Try>,
) -> Result<Json<TryResult>, Failure> {
    let site = kb_site(&state, &auth, &body.site)?;
    let question = body.question.trim();
    if question.is_empty() || question.chars().count() > MAX_TRY_CHARS {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_question",
            format!("the question must be 1 to {MAX_TRY_CHARS} characters"),
        ));
    }
    let draft = draft(&state, &site, &body.entry).await?;
    let kb = match build(&draft, &body.entry, true).await? {
        Ok(Some(kb)) => kb,
        other => {
            return Ok(Json(TryResult {
                problems: other.err().unwrap_or_default(),
                answer: None,
            }))
        }
    };
    let language = if body.language == "en" { "en" } else { "it" };
    let a = kb.answer_in(question, language);
    let entries = if a.language == "en" {
        kb.english_entries()
    } else {
        kb.entries()
    };
    let title = a
        .entry_id
        .as_deref()
        .and_then(|id| entries.iter().find(|e| e.id == id))
        .map(|e| e.title.clone())
        .unwrap_or_default();
    Ok(Json(TryResult {
        problems: Vec::new(),
        answer: Some(TryAnswer {
            from_draft: a.entry_id.as_deref() == Some(draft.entry.id.as_str()),
            entry_id: a.entry_id,
            title,
            topic: a.topic,
            text: a.answer,
        }),
    }))
}

/// Keeps a new version of the entry and has every instance answer with it.
async fn add_version(
    state: &AppState,
    site: &KbSite,
    base: i64,
    version: KbVersion,
) -> Result<i64, Failure> {
    if !state
        .storage
        .kb_add_version(&site.id, base, &version)
        .await
        .map_err(storage_failure)?
    {
        return Err(changed_meanwhile());
    }
    let loaded = site.embedded.generation();
    let reloaded = reload_site(&state.storage, &site.id, &site.dir, &site.embedded).await;
    let asked = state
        .storage
        .request_kb_reload(&site.id, &version.author, version.created_ms)
        .await
        .map_err(storage_failure)?;
    // The reload just done read every version published up to `asked`
    // when nobody else asked for one since `loaded`: this instance need
    // not load it again when it sees `asked`. (Another instance's version
    // not yet announced will be, with a later generation.)
    // A reload that failed here is left to the next check.
    if reloaded && asked == loaded + 1 {
        site.embedded.reflects(asked);
    }
    Ok(base + 1)
}

/// `POST /operator/api/kb/publish`.
pub(super) async fn publish(
    State(state): State<AppState>,
    auth: Authenticated,
    JsonBody(body): JsonBody<Publish>,
) -> Result<Json<Published>, Failure> {
    let site = kb_site(&state, &auth, &body.site)?;
    let draft = draft(&state, &site, &body.entry).await?;
    if build(&draft, &body.entry, false).await?.is_err() {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_entry",
            "the entry has problems: check it",
        ));
    }
    let now = now_ms();
    let mut base = body.base_version;
    if base == 0 {
        // First edit: the files as they are become version 1, the step back.
        let (italian, english) = draft.before.clone();
        let original = KbVersion {
            entry_id: body.entry.id.clone(),
            version: 1,
            origin: Origin::Files.as_str().into(),
            author: published::FILES_AUTHOR.into(),
            created_ms: now,
            title: published::title_of(&italian),
            italian,
            english,
        };
        if !state
            .storage
            .kb_add_version(&site.id, 0, &original)
            .await
            .map_err(storage_failure)?
        {
            return Err(changed_meanwhile());
        }
        base = 1;
    }
    let version = add_version(
        &state,
        &site,
        base,
        KbVersion {
            entry_id: body.entry.id.clone(),
            version: base + 1,
            origin: Origin::Console.as_str().into(),
            author: auth.session.operator.username.clone(),
            created_ms: now,
            title: draft.entry.title.clone(),
            italian: draft.italian,
            english: draft.english,
        },
    )
    .await?;
    tracing::info!(site = %site.id, entry = %body.entry.id, version, by = %auth.session.operator.username, "knowledge base: entry published");
    Ok(Json(Published { version }))
}

/// `POST /operator/api/kb/revert`.
pub(super) async fn revert(
    State(state): State<AppState>,
    auth: Authenticated,
    JsonBody(body): JsonBody<Revert>,
) -> Result<Json<Published>, Failure> {
    let site = kb_site(&state, &auth, &body.site)?;
    if !is_entry_id(&body.id) {
        return Err(no_such_entry(&body.id));
    }
    let history = state
        .storage
        .kb_history(&site.id, &body.id)
        .await
        .map_err(storage_failure)?;
    let latest = history.first().map_or(0, |v| v.version);
    if latest != body.base_version {
        return Err(changed_meanwhile());
    }
    let previous = history
        .iter()
        .find(|v| v.version == latest - 1)
        .ok_or_else(|| {
            Failure::new(
                StatusCode::CONFLICT,
                "nothing_to_revert",
                "this entry has no earlier version",
            )
        })?;
    let version = add_version(
        &state,
        &site,
        latest,
        KbVersion {
            entry_id: body.id.clone(),
            version: latest + 1,
            origin: Origin::Revert.as_str().into(),
            author: auth.session.operator.username.clone(),
            created_ms: now_ms(),
            title: previous.title.clone(),
            italian: previous.italian.clone(),
            english: previous.english.clone(),
        },
    )
    .await?;
    tracing::info!(site = %site.id, entry = %body.id, version, by = %auth.session.operator.username, "knowledge base: entry taken one step back");
    Ok(Json(Published { version }))
}
