//! A throwaway PostgreSQL server for the tests, the benchmarks and the
//! demo: Debian's binaries (`initdb`, `pg_ctl`), a fresh cluster in a
//! temporary folder, on a free loopback port, stopped and deleted when the
//! value is dropped. PostgreSQL refuses to run as root, so as root the
//! cluster belongs to the `postgres` user (created by Debian's package).

use crate::env;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The role every throwaway cluster is created with (trust authentication
/// on loopback: nothing outside this machine can reach it).
pub const USER: &str = "varco";

pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres_user: bool,
}

impl Postgres {
    /// Initialises and starts a cluster. `durable: false` turns fsync off,
    /// which is right for tests (the cluster is thrown away) and wrong for
    /// benchmarks that claim to measure a production setting.
    pub fn start(durable: bool) -> Result<Self> {
        let bin = ensure_binaries()?;
        let as_postgres_user = env::is_root();
        let data = std::env::temp_dir().join(format!(
            "varco-pg-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&data)?;
        let mut pg = Self {
            bin,
            data,
            port: 0,
            as_postgres_user,
        };
        if as_postgres_user {
            env::run(Command::new("chown").arg("postgres:postgres").arg(&pg.data))
                .context("the cluster's folder must belong to the postgres user")?;
        }
        let initdb = pg.bin.join("initdb");
        let data = pg.data.to_string_lossy().into_owned();
        pg.quiet(pg.as_user(&initdb).args([
            "-D",
            &data,
            "-A",
            "trust",
            "-U",
            USER,
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]))
        .context("initdb failed")?;
        // A port can be taken between finding it free and the server's bind:
        // try a few.
        let mut last = None;
        for _ in 0..5 {
            pg.port = free_port()?;
            // Room for the test suite's servers side by side, each with its
            // own pool.
            let mut options = format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300",
                pg.port, data
            );
            if !durable {
                options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
            }
            let log = pg.data.join("server.log").to_string_lossy().into_owned();
            let pg_ctl = pg.bin.join("pg_ctl");
            match pg.quiet(
                pg.as_user(&pg_ctl)
                    .args(["-D", &data, "-l", &log, "-w", "-o", &options, "start"]),
            ) {
                Ok(()) => return Ok(pg),
                Err(e) => last = Some(e),
            }
        }
        let log = std::fs::read_to_string(pg.data.join("server.log")).unwrap_or_default();
        Err(last.unwrap()).with_context(|| format!("PostgreSQL did not start:\n{log}"))
    }

    /// The server's URL without a database (`VARCO_TEST_POSTGRES`).
    pub fn server_url(&self) -> String {
        format!("postgres://{USER}@127.0.0.1:{}", self.port)
    }

    /// The URL of database `name` (see [`Postgres::create_database`]).
    pub fn url(&self, name: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates an empty database owned by [`USER`].
    pub fn create_database(&self, name: &str) -> Result<()> {
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""))
            .map(|_| ())
    }

    /// Runs one SQL command with `psql` and returns what it printed
    /// (unaligned, without headers).
    pub fn psql(&self, database: &str, sql: &str) -> Result<String> {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .arg(self.url(database))
            .stderr(Stdio::piped())
            .output()
            .context("cannot run psql")?;
        if !out.status.success() {
            bail!(
                "psql failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    fn as_user(&self, program: &Path) -> Command {
        if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    /// Runs `cmd` without printing its chatter; its output goes into the
    /// error if it fails.
    fn quiet(&self, cmd: &mut Command) -> Result<()> {
        let out = cmd
            .current_dir(&self.data)
            .output()
            .with_context(|| format!("cannot start {:?}", cmd.get_program()))?;
        if !out.status.success() {
            bail!(
                "{:?} failed: {}{}",
                cmd.get_program(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.port != 0 {
            let data = self.data.to_string_lossy().into_owned();
            let pg_ctl = self.bin.join("pg_ctl");
            let _ = self
                .as_user(&pg_ctl)
                .args(["-D", &data, "-m", "immediate", "-w", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// The folder of PostgreSQL's server binaries: Debian's newest under
/// `/usr/lib/postgresql/`, installed with apt-get if there is none.
fn ensure_binaries() -> Result<PathBuf> {
    let find = || -> Option<PathBuf> {
        let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .filter_map(|e| {
                let v = e.file_name().to_str()?.parse::<u32>().ok()?;
                let bin = e.path().join("bin");
                bin.join("pg_ctl").exists().then_some((v, bin))
            })
            .collect();
        versions.sort();
        versions.pop().map(|(_, bin)| bin)
    };
    if let Some(bin) = find() {
        return Ok(bin);
    }
    env::ensure_debian_tool("psql", "postgresql")?;
    find().context("postgresql is installed but /usr/lib/postgresql/*/bin/pg_ctl is missing")
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::Postgres;

    #[test]
    fn a_throwaway_cluster_serves_sql_and_is_gone_once_dropped() {
        let pg = Postgres::start(false).unwrap();
        pg.create_database("probe").unwrap();
        assert_eq!(pg.psql("probe", "SELECT 40 + 2").unwrap(), "42");
        assert_eq!(pg.psql("probe", "SHOW server_encoding").unwrap(), "UTF8");
        let (port, data) = (pg.port, pg.data.clone());
        drop(pg);
        assert!(!data.exists(), "the cluster's folder is deleted");
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "nothing listens on the port any more"
        );
    }
}
