//! Several Varco instances on one database behind nginx, on loopback over
//! plain HTTP: each instance's configuration (the demo's, with its port and
//! database) and nginx's (the locations shipped in `deploy/nginx.conf`, the
//! lines between its "varco locations" marks, balancing the instances).
//! `cargo xtask demo --postgres --instances N` and the end-to-end test of
//! an instance's death use it. Plain functions without dependencies: the
//! end-to-end crate includes this file as it is.

use std::path::Path;

/// `server/varco.toml` (its text, `demo_config`) for one instance: its
/// port, the database, and nginx on loopback as the only trusted proxy.
/// With `root`, the relative paths become absolute (for a file written
/// elsewhere than `server/`'s siblings); `extra_origin` is allowed for
/// every site.
pub fn instance_config(
    demo_config: &str,
    port: u16,
    database_url: &str,
    root: Option<&Path>,
    extra_origin: Option<&str>,
) -> Result<String, String> {
    let mut replaced = 0;
    let mut out = String::new();
    let mut in_server = false;
    for line in demo_config.lines() {
        if line.starts_with('[') {
            in_server = line.trim() == "[server]";
        }
        let key = line.split('=').next().unwrap_or("").trim();
        let mut line = line.to_owned();
        if let Some(root) = root {
            line = line
                .replace("= \"..\"", &format!("= {:?}", root.display().to_string()))
                .replace("= \"../", &format!("= \"{}/", root.display()));
        }
        if let Some(origin) = extra_origin {
            line = line.replace(
                "allowed_origins = [",
                &format!("allowed_origins = [{origin:?}, "),
            );
        }
        if in_server && key == "listen" {
            out.push_str(&format!("listen = \"127.0.0.1:{port}\"\n"));
            out.push_str("trusted_proxies = [\"127.0.0.1\"]\n");
            replaced += 1;
        } else if in_server && (key == "database_url" || key == "database") {
            out.push_str(&format!("database_url = {database_url:?}\n"));
            replaced += 1;
        } else {
            out.push_str(&line);
            out.push('\n');
        }
    }
    if replaced != 2 {
        return Err(
            "server/varco.toml: expected one `listen` and one `database_url` line in [server]"
                .into(),
        );
    }
    Ok(out)
}

/// The shipped locations, with the widget's files served from `pkg` and
/// everything the instances serve besides the API (the demo's pages)
/// passed to them instead of the production's 404.
pub fn locations(shipped_conf: &str, pkg: &Path) -> Result<String, String> {
    let start = shipped_conf
        .find("# >>> varco locations")
        .ok_or("deploy/nginx.conf has no \"# >>> varco locations\" mark")?;
    let end = shipped_conf
        .find("# <<< varco locations")
        .ok_or("deploy/nginx.conf has no \"# <<< varco locations\" mark")?;
    let production_404 = "location / {\n        return 404;\n    }";
    let locations = &shipped_conf[start..end];
    if !locations.contains(production_404) {
        return Err("deploy/nginx.conf's catch-all `location / { return 404; }` changed".into());
    }
    Ok(locations
        .replace("/srv/varco/pkg/", &format!("{}/", pkg.display()))
        .replace(
            production_404,
            "location / {\n        proxy_pass http://varco;\n    }",
        ))
}

/// A whole configuration: nginx's files under `dir`, listening on `port`,
/// balancing `upstreams` (host:port). The requests of one conversation (its
/// messages, its event stream, the operator's) go to one instance, chosen
/// by its Thread ID: that instance's cache of the thread stays valid and
/// its events reach the stream without a round trip through PostgreSQL.
/// A visitor's other requests go to one instance too, by the address they
/// come from, as the shipped configuration has it; here the clients are on
/// loopback and name the visitor they stand for in `X-Forwarded-For` (the
/// bench's thousand visitors), so that header comes first. A failed instance is left aside for a few
/// seconds and its requests go to the others (nginx's
/// `proxy_next_upstream`, on by default for connection errors).
pub fn conf(dir: &Path, port: u16, upstreams: &[String], locations: &str) -> String {
    let servers: String = upstreams
        .iter()
        .map(|u| format!("        server {u} max_fails=1 fail_timeout=5s;\n"))
        .collect();
    format!(
        r#"
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log notice;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    map $uri $varco_affinity {{
        ~/threads/(?<thread>[^/]+) $thread;
        default $http_x_forwarded_for$remote_addr;
    }}
    upstream varco {{
        hash $varco_affinity consistent;
{servers}        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
{locations}
    }}
}}
"#,
        d = dir.display()
    )
}

/// nginx in front of `upstreams` on `port`, with the shipped locations
/// (`root/deploy/nginx.conf`, the widget's files from `root/pkg`): its
/// configuration written under `dir`, and the command that runs it in the
/// foreground as one process, for the caller to start.
pub fn nginx_in_front(
    root: &Path,
    dir: &Path,
    port: u16,
    upstreams: &[String],
) -> Result<std::process::Command, String> {
    let shipped = std::fs::read_to_string(root.join("deploy/nginx.conf"))
        .map_err(|e| format!("deploy/nginx.conf: {e}"))?;
    let locations = locations(&shipped, &root.join("pkg"))?;
    std::fs::create_dir_all(dir.join("tmp")).map_err(|e| format!("{}: {e}", dir.display()))?;
    std::fs::write(
        dir.join("nginx.conf"),
        conf(dir, port, upstreams, &locations),
    )
    .map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut nginx = std::process::Command::new("/usr/sbin/nginx");
    nginx
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-e")
        .arg(dir.join("error.log"))
        .args(["-g", "daemon off; master_process off;"])
        .stdin(std::process::Stdio::null());
    Ok(nginx)
}
