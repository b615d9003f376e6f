//! A site's knowledge base as it answers: its files on disk, with each
//! entry published from the console (`kb_versions`) in place of its files.
//!
//! An entry exists only while its file does: publishing edits entries, it
//! does not create or delete them. An entry whose files change on disk
//! after it was published gets the files back, as a new version (`files`)
//! noted at the next reload or start: the newer edit wins either way.

use crate::storage::{KbVersion, Storage};
use std::collections::HashMap;
use std::path::Path;
use varco_engine::{KbError, KnowledgeBase};
use varco_protocol::kb::Origin;

/// The author of versions that come from the files.
pub const FILES_AUTHOR: &str = "file sul server";

pub fn italian_path(id: &str) -> String {
    format!("entries/{id}.md")
}

pub fn english_path(id: &str) -> String {
    format!("en/{id}.md")
}

/// An entry's texts in `files`: its Italian file (None: no such entry) and
/// its English one.
pub fn entry_texts(files: &[(String, String)], id: &str) -> Option<(String, Option<String>)> {
    let find = |path: String| {
        files
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, t)| t.clone())
    };
    Some((find(italian_path(id))?, find(english_path(id))))
}

/// `files` with each version's texts in place of its entry's files.
pub fn compose(files: &[(String, String)], latest: &[KbVersion]) -> Vec<(String, String)> {
    let by_id: HashMap<&str, &KbVersion> =
        latest.iter().map(|v| (v.entry_id.as_str(), v)).collect();
    let mut out = Vec::with_capacity(files.len());
    for (path, text) in files {
        if let Some(id) = path
            .strip_prefix("entries/")
            .and_then(|p| p.strip_suffix(".md"))
        {
            match by_id.get(id) {
                Some(v) => {
                    out.push((path.clone(), v.italian.clone()));
                    if let Some(english) = &v.english {
                        out.push((english_path(id), english.clone()));
                    }
                }
                None => out.push((path.clone(), text.clone())),
            }
        } else if let Some(id) = path.strip_prefix("en/").and_then(|p| p.strip_suffix(".md")) {
            // A published entry brings its own English text, or has none.
            if !by_id.contains_key(id) {
                out.push((path.clone(), text.clone()));
            }
        } else {
            out.push((path.clone(), text.clone()));
        }
    }
    out
}

/// The entries whose files differ from the files' last version kept:
/// `(id, italian, english)` as they are now on disk.
pub fn changed_on_disk(
    files: &[(String, String)],
    latest_of_files: &[KbVersion],
) -> Vec<(String, String, Option<String>)> {
    latest_of_files
        .iter()
        .filter_map(|v| {
            let (italian, english) = entry_texts(files, &v.entry_id)?;
            (italian != v.italian || english != v.english)
                .then(|| (v.entry_id.clone(), italian, english))
        })
        .collect()
}

/// An entry's title in its Italian text, for the history ("" if the text
/// does not parse).
pub fn title_of(italian: &str) -> String {
    let mut lines = italian.lines();
    if lines.next().map(str::trim_end) != Some("+++") {
        return String::new();
    }
    let front: Vec<&str> = lines.take_while(|l| l.trim_end() != "+++").collect();
    toml::from_str::<toml::Table>(&front.join("\n"))
        .ok()
        .and_then(|t| t.get("title").and_then(|v| v.as_str().map(str::to_owned)))
        .unwrap_or_default()
}

/// Reads `dir`, keeps as new versions the entries edited on disk since
/// their last version, and returns the files with the published entries in
/// place. The files must be readable (errors list what is not).
pub async fn current_files(
    storage: &Storage,
    site: &str,
    dir: &Path,
    now_ms: i64,
) -> anyhow::Result<Result<Vec<(String, String)>, Vec<KbError>>> {
    let dir = dir.to_owned();
    let read = tokio::task::spawn_blocking(move || varco_engine::read_files(&dir)).await?;
    let files = match read {
        Ok((files, errors)) if errors.is_empty() => files,
        Ok((_, errors)) | Err(errors) => return Ok(Err(errors)),
    };
    let latest = storage.kb_latest_written(site, None).await?;
    if latest.is_empty() {
        return Ok(Ok(files));
    }
    let latest_of_files = storage
        .kb_latest_written(site, Some(Origin::Files.as_str()))
        .await?;
    let newest: HashMap<&str, i64> = latest
        .iter()
        .map(|v| (v.entry_id.as_str(), v.version))
        .collect();
    let mut changed = false;
    for (id, italian, english) in changed_on_disk(&files, &latest_of_files) {
        changed = true;
        let base = newest.get(id.as_str()).copied().unwrap_or(0);
        let version = KbVersion {
            entry_id: id.clone(),
            version: base + 1,
            origin: Origin::Files.as_str().into(),
            author: FILES_AUTHOR.into(),
            created_ms: now_ms,
            title: title_of(&italian),
            italian,
            english,
        };
        // Another instance that saw the same files may have kept them
        // first: then its version is read below, not the one before.
        if storage.kb_add_version(site, base, &version).await? {
            tracing::info!(site, entry = %id, "knowledge base: an entry edited on disk replaces its published version");
        }
    }
    let latest = if changed {
        storage.kb_latest_written(site, None).await?
    } else {
        latest
    };
    Ok(Ok(compose(&files, &latest)))
}

/// The site's knowledge base as it should answer now.
pub async fn load(
    storage: &Storage,
    site: &str,
    dir: &Path,
    now_ms: i64,
) -> anyhow::Result<Result<KnowledgeBase, Vec<KbError>>> {
    let files = match current_files(storage, site, dir, now_ms).await? {
        Ok(files) => files,
        Err(errors) => return Ok(Err(errors)),
    };
    Ok(tokio::task::spawn_blocking(move || KnowledgeBase::from_files(&files)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(id: &str, italian: &str, english: Option<&str>) -> KbVersion {
        KbVersion {
            entry_id: id.into(),
            version: 2,
            origin: "console".into(),
            author: "web".into(),
            created_ms: 0,
            title: String::new(),
            italian: italian.into(),
            english: english.map(str::to_owned),
        }
    }

    fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn a_published_entry_replaces_both_its_files_and_only_entries_on_disk_count() {
        let disk = files(&[
            ("topics.toml", "T"),
            ("entries/a.md", "A disk"),
            ("en/a.md", "A en disk"),
            ("entries/b.md", "B disk"),
            ("en/b.md", "B en disk"),
        ]);
        let out = compose(
            &disk,
            &[
                version("a", "A new", None),
                version("b", "B new", Some("B en new")),
                version("gone", "G", None),
            ],
        );
        let mut out: Vec<(&str, &str)> =
            out.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
        out.sort();
        assert_eq!(
            out,
            [
                ("en/b.md", "B en new"),
                ("entries/a.md", "A new"),
                ("entries/b.md", "B new"),
                ("topics.toml", "T"),
            ]
        );
    }

    #[test]
    fn only_entries_whose_files_changed_since_their_last_files_version_are_reported() {
        let disk = files(&[
            ("entries/a.md", "A"),
            ("entries/b.md", "B2"),
            ("en/b.md", "Be"),
        ]);
        let changed = changed_on_disk(
            &disk,
            &[
                version("a", "A", None),
                version("b", "B", Some("Be")),
                version("c", "C", None),
            ],
        );
        assert_eq!(
            changed,
            [("b".to_string(), "B2".to_string(), Some("Be".to_string()))]
        );
    }

    #[test]
    fn the_title_is_read_from_the_front_matter() {
        assert_eq!(
            title_of("+++\nid = \"a\"\ntitle = \"L'ufficio \\\"nuovo\\\"\"\n+++\ntitle = \"no\"\n"),
            "L'ufficio \"nuovo\""
        );
        assert_eq!(title_of("garbage"), "");
    }
}
