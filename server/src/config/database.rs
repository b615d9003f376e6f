//! Where the data lives: `server.database_url` (or `VARCO_DATABASE_URL`).
//!
//! `sqlite://PATH` is the default, one file next to the server with nothing
//! to install; `postgres://…` is for deployments that run several server
//! instances or already run PostgreSQL.

use std::path::{Path, PathBuf};

/// The database, resolved.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (created if missing), with its folder.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL, as libpq reads it
    /// (`postgres://user:password@host:port/database?sslmode=require`).
    Postgres(String),
}

impl Default for Database {
    fn default() -> Self {
        Database::Sqlite(PathBuf::from("data/varco.db"))
    }
}

impl Database {
    /// Reads a URL; a relative SQLite path is relative to `base` (the
    /// configuration file's folder).
    pub fn parse(url: &str, base: &Path) -> Result<Database, String> {
        let url = url.trim();
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            // Options after the path are set by the server itself (WAL,
            // foreign keys, secure delete): one set that the code relies on.
            if path.contains('?') {
                return Err("a sqlite:// URL takes a path only, without ?options".into());
            }
            if path.is_empty() {
                return Err("a sqlite:// URL needs the path of the database file".into());
            }
            let path = Path::new(path);
            return Ok(Database::Sqlite(if path.is_absolute() {
                path.to_owned()
            } else {
                base.join(path)
            }));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return match url.parse::<sqlx::postgres::PgConnectOptions>() {
                Ok(_) => Ok(Database::Postgres(url.to_owned())),
                Err(e) => Err(format!("not a PostgreSQL URL: {e}")),
            };
        }
        Err(format!(
            "{:?}: use sqlite://PATH or postgres://USER@HOST/DATABASE",
            redact(url)
        ))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Database::Postgres(_))
    }

    /// The backend's name, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Database::Sqlite(_) => "sqlite",
            Database::Postgres(_) => "postgres",
        }
    }
}

/// Shown in logs and errors without the password.
impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Database::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// `scheme://user:password@host…` → `scheme://user:***@host…`; also a
/// `password=` query parameter.
fn redact(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(scheme_end) = out.find("://") {
        let rest = &out[scheme_end + 3..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            if let Some(colon) = rest[..at].find(':') {
                let start = scheme_end + 3 + colon + 1;
                let end = scheme_end + 3 + at;
                out.replace_range(start..end, "***");
            }
        }
    }
    if let Some(at) = out.find("password=") {
        let start = at + "password=".len();
        let end = out[start..].find('&').map_or(out.len(), |i| start + i);
        out.replace_range(start..end, "***");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_are_relative_to_the_configuration() {
        let base = Path::new("/etc/varco");
        assert_eq!(
            Database::parse("sqlite://data/varco.db", base),
            Ok(Database::Sqlite(PathBuf::from("/etc/varco/data/varco.db")))
        );
        assert_eq!(
            Database::parse("sqlite:///var/lib/varco/varco.db", base),
            Ok(Database::Sqlite(PathBuf::from("/var/lib/varco/varco.db")))
        );
        assert!(Database::parse("sqlite://", base).is_err());
        assert!(Database::parse("sqlite://x.db?mode=ro", base).is_err());
    }

    #[test]
    fn postgres_urls_are_checked_and_never_shown_with_their_password() {
        let db = Database::parse(
            "postgres://varco:s3cret@db.internal:5432/varco",
            Path::new("."),
        )
        .unwrap();
        assert!(db.is_postgres());
        assert_eq!(
            db.to_string(),
            "postgres://varco:***@db.internal:5432/varco"
        );
        assert_eq!(
            format!("{db:?}"),
            "postgres://varco:***@db.internal:5432/varco"
        );
        assert_eq!(
            redact("postgresql://u@h/d?sslmode=require&password=x&a=b"),
            "postgresql://u@h/d?sslmode=require&password=***&a=b"
        );
        let wrong = Database::parse("mysql://root:pw@h/d", Path::new(".")).unwrap_err();
        assert!(wrong.contains("sqlite://PATH or postgres://"), "{wrong}");
        assert!(!wrong.contains("pw"), "{wrong}");
    }
}
