//! The database of each test's server: a fresh SQLite file, or, when
//! `VARCO_TEST_POSTGRES` names a PostgreSQL server
//! (`postgres://varco@127.0.0.1:PORT`, as `cargo xtask test` sets it for
//! the suite's second pass), a fresh database on that server. The same
//! tests run on both; the few about SQLite's own files say so and return
//! early on PostgreSQL.

use sqlx::Connection;
use std::path::Path;
use varco_server::config::Database;

/// The PostgreSQL server the suite runs against, if any.
pub fn postgres_server() -> Option<String> {
    std::env::var("VARCO_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
        .map(|url| url.trim_end_matches('/').to_owned())
}

/// A new, empty database: `dir/file` on SQLite, a database of its own on
/// PostgreSQL.
pub async fn fresh(dir: &Path, file: &str) -> Database {
    let Some(server) = postgres_server() else {
        return Database::Sqlite(dir.join(file));
    };
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
        .await
        .expect("VARCO_TEST_POSTGRES: the PostgreSQL server answers");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    Database::Postgres(format!("{server}/{name}"))
}

/// The TOML line that points a server at `database`.
pub fn setting(database: &Database) -> String {
    match database {
        Database::Sqlite(path) => format!("database = {:?}", path.display().to_string()),
        Database::Postgres(url) => format!("database_url = {url:?}"),
    }
}

/// The SQLite file, or `None` on PostgreSQL (for the tests of SQLite's
/// own files, which then say so and pass).
pub fn sqlite_file(database: &Database) -> Option<&Path> {
    match database {
        Database::Sqlite(path) => Some(path),
        Database::Postgres(_) => {
            eprintln!("about SQLite's files: nothing to check on PostgreSQL");
            None
        }
    }
}

/// Runs one statement on its own connection (a change "by hand", or a
/// change the server must refuse); `Err` holds the database's message.
pub async fn execute(database: &Database, sql: &str, binds: &[&str]) -> Result<u64, String> {
    match database {
        Database::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect_with(
                &sqlx::sqlite::SqliteConnectOptions::new().filename(path),
            )
            .await
            .unwrap();
            let mut q = sqlx::query(sql);
            for b in binds {
                q = q.bind(*b);
            }
            let r = q.execute(&mut c).await.map(|r| r.rows_affected());
            c.close().await.unwrap();
            r.map_err(|e| e.to_string())
        }
        Database::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            let mut q = sqlx::query(sql);
            for b in binds {
                q = q.bind(*b);
            }
            let r = q.execute(&mut c).await.map(|r| r.rows_affected());
            c.close().await.unwrap();
            r.map_err(|e| e.to_string())
        }
    }
}

/// The one number a query returns (`SELECT COUNT(*) …`).
pub async fn count(database: &Database, sql: &str, binds: &[&str]) -> i64 {
    match database {
        Database::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect_with(
                &sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .read_only(true),
            )
            .await
            .unwrap();
            let mut q = sqlx::query_as::<_, (i64,)>(sql);
            for b in binds {
                q = q.bind(*b);
            }
            let (n,) = q.fetch_one(&mut c).await.unwrap();
            c.close().await.unwrap();
            n
        }
        Database::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            let mut q = sqlx::query_as::<_, (i64,)>(sql);
            for b in binds {
                q = q.bind(*b);
            }
            let (n,) = q.fetch_one(&mut c).await.unwrap();
            c.close().await.unwrap();
            n
        }
    }
}

/// The one text column a query returns, row by row.
pub async fn texts(database: &Database, sql: &str) -> Vec<String> {
    let rows: Vec<(String,)> = match database {
        Database::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect_with(
                &sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .read_only(true),
            )
            .await
            .unwrap();
            let rows = sqlx::query_as(sql).fetch_all(&mut c).await.unwrap();
            c.close().await.unwrap();
            rows
        }
        Database::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            let rows = sqlx::query_as(sql).fetch_all(&mut c).await.unwrap();
            c.close().await.unwrap();
            rows
        }
    };
    rows.into_iter().map(|(t,)| t).collect()
}

/// Everything the database holds, as text to search for what must not be
/// there: SQLite's file and WAL as they are on disk; on PostgreSQL every
/// row of every table.
pub async fn everything_stored(database: &Database) -> String {
    match database {
        Database::Sqlite(path) => {
            let mut out = String::new();
            for file in [path.to_owned(), path.with_extension("db-wal")] {
                out.push_str(&String::from_utf8_lossy(
                    &std::fs::read(file).unwrap_or_default(),
                ));
            }
            out
        }
        Database::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            let tables: Vec<(String,)> = sqlx::query_as(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()",
            )
            .fetch_all(&mut c)
            .await
            .unwrap();
            let mut out = String::new();
            for (table,) in tables {
                let rows: Vec<(String,)> =
                    sqlx::query_as(&format!("SELECT row_to_json(t)::text FROM \"{table}\" t"))
                        .fetch_all(&mut c)
                        .await
                        .unwrap();
                for (row,) in rows {
                    out.push_str(&row);
                    out.push('\n');
                }
            }
            c.close().await.unwrap();
            out
        }
    }
}
