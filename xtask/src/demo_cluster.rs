//! `cargo xtask demo --postgres [--instances N]`: the demo as a Camera runs
//! it in production, on one machine. A throwaway PostgreSQL cluster, N
//! `varco-server` instances sharing it (ports 8081, 8082, ...), and
//! Debian's nginx on :8080 in front of them with the locations shipped in
//! `deploy/nginx.conf`, load-balancing all of them. The URLs are those of
//! the plain demo. Ctrl-C stops everything and deletes the database.
//!
//! Each instance's configuration is `server/varco.toml` with its port, the
//! database and the proxy it trusts changed, written to `data/` (a sibling
//! of `server/`, so the relative paths in it still hold).

use crate::cluster_conf;
use crate::env;
use crate::postgres::Postgres;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Children killed when the demo ends, however it ends.
struct Children(Vec<(String, Child)>);

impl Drop for Children {
    fn drop(&mut self) {
        for (_, child) in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_for_port(port: u16, child: &mut Child, what: &str, log: &Path) -> Result<()> {
    for _ in 0..300 {
        if let Some(status) = child.try_wait()? {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            bail!("{what} exited ({status}):\n{log}");
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("{what} did not listen on port {port} within 30 s")
}

pub fn demo_cluster(instances: u16, server: &Path) -> Result<()> {
    if !(1..=8).contains(&instances) {
        bail!("--instances takes a number from 1 to 8");
    }
    env::ensure_nginx()?;
    let root = env::root();
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))
            .context("cannot catch Ctrl-C")?;
    }
    env::step("starting a throwaway PostgreSQL cluster");
    let pg = Postgres::start(true)?;
    pg.create_database("varco")?;
    let database_url = pg.url("varco");
    let demo_config = std::fs::read_to_string(root.join("server/varco.toml"))?;
    let data = root.join("data");
    std::fs::create_dir_all(&data)?;
    let mut children = Children(Vec::new());
    children
        .0
        .push(("mail catcher".into(), env::demo_mail_catcher()?));
    let mut upstreams = Vec::new();
    let mut configs: Vec<PathBuf> = Vec::new();
    for i in 0..instances {
        let port = 8081 + i;
        let config = data.join(format!("demo-instance-{}.toml", i + 1));
        std::fs::write(
            &config,
            cluster_conf::instance_config(&demo_config, port, &database_url, None, None)
                .map_err(anyhow::Error::msg)?,
        )?;
        let log = data.join(format!("demo-instance-{}.log", i + 1));
        env::step(&format!(
            "starting instance {} on 127.0.0.1:{port} (log: {})",
            i + 1,
            log.display()
        ));
        let log_file = std::fs::File::create(&log)?;
        let mut child = Command::new(server)
            .current_dir(&root)
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("cannot start {}", server.display()))?;
        let name = format!("instance {}", i + 1);
        wait_for_port(port, &mut child, &name, &log)?;
        children.0.push((name, child));
        upstreams.push(format!("127.0.0.1:{port}"));
        configs.push(config);
    }
    let password = crate::demo_operator(server, &configs[0])?;

    let nginx_dir = data.join("demo-nginx");
    env::step("starting nginx on 127.0.0.1:8080 in front of the instances");
    let mut nginx = cluster_conf::nginx_in_front(&root, &nginx_dir, 8080, &upstreams)
        .map_err(anyhow::Error::msg)?
        .spawn()
        .context("cannot start nginx")?;
    wait_for_port(8080, &mut nginx, "nginx", &nginx_dir.join("error.log"))?;
    children.0.push(("nginx".into(), nginx));
    if let Err(e) = crate::demo_bookings::seed(8080) {
        eprintln!("the demo's bookings could not be made: {e:#}");
    }

    println!(
        "\nVarco demo: PostgreSQL, {instances} instances behind nginx\n  landing page     http://127.0.0.1:8080/\n  Camera (milomb)  http://127.0.0.1:8080/demo-site/milomb/index.html\n  Comune           http://127.0.0.1:8080/demo-site/calvatone/index.html\n  operator console http://127.0.0.1:8080/operator  (user \"operatore\" or \"registro\", password {password})\n  e-mail received  http://127.0.0.1:8080/demo-mail  (the mail catcher on 127.0.0.1:2525)\n  API              http://127.0.0.1:8080/api/v1/sites/milomb\n  instances        {}\n  database         {database_url} (deleted at the end)\nPress Ctrl-C to stop.\n",
        upstreams.join(", ")
    );
    loop {
        if stop.load(Ordering::SeqCst) {
            println!("\nstopping the instances, nginx and PostgreSQL");
            return Ok(());
        }
        for (name, child) in &mut children.0 {
            if let Some(status) = child.try_wait()? {
                bail!("{name} exited ({status}); stopping the demo");
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_instance_gets_its_port_the_database_and_nginx_as_its_proxy() {
        let demo = std::fs::read_to_string(env::root().join("server/varco.toml")).unwrap();
        let conf = cluster_conf::instance_config(
            &demo,
            8082,
            "postgres://varco@127.0.0.1:5555/varco",
            None,
            None,
        )
        .unwrap();
        assert!(conf.contains("listen = \"127.0.0.1:8082\"\ntrusted_proxies = [\"127.0.0.1\"]"));
        assert!(conf.contains("database_url = \"postgres://varco@127.0.0.1:5555/varco\""));
        assert!(!conf.contains("sqlite://"));
        // The sites are untouched.
        assert_eq!(
            conf.matches("[[sites]]").count(),
            demo.matches("[[sites]]").count()
        );
        // Written elsewhere, with absolute paths and one more origin.
        let moved = cluster_conf::instance_config(
            &demo,
            8082,
            "postgres://x",
            Some(Path::new("/repo")),
            Some("http://127.0.0.1:9999"),
        )
        .unwrap();
        assert!(moved.contains("static_root = \"/repo\""));
        assert!(moved.contains("kb = \"/repo/kb/milomb\""));
        assert!(!moved.contains("\"../"));
        assert!(moved.contains("allowed_origins = [\"http://127.0.0.1:9999\", "));
    }

    #[test]
    fn nginx_gets_the_shipped_locations_and_passes_the_rest_to_the_instances() {
        let shipped = std::fs::read_to_string(env::root().join("deploy/nginx.conf")).unwrap();
        let locations = cluster_conf::locations(&shipped, Path::new("/x/pkg")).unwrap();
        assert!(locations.contains("alias /x/pkg/;"));
        assert!(locations.contains("location ~ ^/api/v1/threads/[^/]+/events$"));
        assert!(!locations.contains("return 404;"));
        let conf = cluster_conf::conf(
            Path::new("/d"),
            8080,
            &["127.0.0.1:8081".into(), "127.0.0.1:8082".into()],
            &locations,
        );
        assert!(conf.contains("server 127.0.0.1:8081 max_fails=1"));
        assert!(conf.contains("server 127.0.0.1:8082 max_fails=1"));
        assert!(conf.contains("listen 127.0.0.1:8080;"));
    }
}
