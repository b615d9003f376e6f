//! Varco behind Debian's real nginx, with the locations shipped in
//! `deploy/nginx.conf` (the lines between its "varco locations" marks) in
//! a plain-HTTP server on a loopback port, proxying to the test server,
//! which trusts 127.0.0.1 as its proxy.
//!
//! Two visitors are two source addresses: Linux routes all of 127.0.0.0/8
//! to the loopback interface, so clients bound to 127.0.0.2 and 127.0.0.3
//! reach nginx as different peers, and nginx reaches the server from
//! 127.0.0.1 with `X-Forwarded-For`.
//!
//! nginx is installed by `cargo xtask test`; without it these tests fail
//! and say how to install it.

use crate::common;

use common::threads::{messages, open_events, uuid, ORIGIN};
use common::{spawn_app_with, App};
use reqwest::{Client, Response};
use serde_json::{json, Value};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const NGINX: &str = "/usr/sbin/nginx";

fn nginx_binary() -> &'static str {
    assert!(
        Path::new(NGINX).exists(),
        "{NGINX} is missing: these tests run Debian's nginx in front of the server. \
         `cargo xtask test` installs it, or run as root: apt-get install -y nginx"
    );
    NGINX
}

fn deploy_conf() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/nginx.conf");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lines of `deploy/nginx.conf` between its "varco locations" marks.
fn shipped_locations() -> String {
    let conf = deploy_conf();
    let start = conf
        .find("# >>> varco locations")
        .expect("deploy/nginx.conf marks the start of its locations");
    let end = conf
        .find("# <<< varco locations")
        .expect("deploy/nginx.conf marks the end of its locations");
    conf[start..end].to_owned()
}

/// A running nginx (one process, `master_process off`), stopped on drop.
struct Nginx {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Nginx {
    /// Starts nginx in front of `app`, serving the widget's files from a
    /// `pkg/` of its own.
    fn start(app: &App) -> Nginx {
        let binary = nginx_binary();
        let upstream = app.base.strip_prefix("http://").unwrap().to_owned();
        // A port is free when we look; if another process takes it before
        // nginx binds it, nginx says so and another one is tried.
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let d = dir.path();
            for sub in ["pkg", "tmp"] {
                std::fs::create_dir_all(d.join(sub)).unwrap();
            }
            std::fs::write(d.join("pkg/varco.js"), "/* loader */").unwrap();
            std::fs::write(d.join("pkg/varco.js.gz"), b"gzipped loader").unwrap();
            std::fs::write(d.join("pkg/varco_app.wasm"), b"\0asm\x01\0\0\0").unwrap();
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let locations = shipped_locations()
                .replace("/srv/varco/pkg/", &format!("{}/", d.join("pkg").display()));
            let conf = format!(
                r#"
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log notice;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    upstream varco {{
        server {upstream};
        keepalive 4;
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
{locations}
    }}
}}
"#,
                d = d.display()
            );
            std::fs::write(d.join("nginx.conf"), conf).unwrap();
            let mut child = Command::new(binary)
                .arg("-p")
                .arg(d)
                .arg("-c")
                .arg(d.join("nginx.conf"))
                .arg("-e")
                .arg(d.join("error.log"))
                .args(["-g", "daemon off; master_process off;"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
            // Ready when it accepts a connection, or gone with a reason.
            loop {
                if let Some(status) = child.try_wait().unwrap() {
                    let log = std::fs::read_to_string(d.join("error.log")).unwrap_or_default();
                    if log.contains("Address already in use") {
                        break;
                    }
                    panic!("nginx exited ({status}):\n{log}");
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Nginx {
                        child,
                        base: format!("http://127.0.0.1:{port}"),
                        _dir: dir,
                    };
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("nginx found no free port in five tries");
    }
}

fn client_from(address: &str) -> Client {
    Client::builder()
        .local_address(address.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn new_thread(client: &Client, base: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = client
        .post(format!("{base}/api/v1/threads"))
        .header("origin", ORIGIN)
        .json(&json!({"thread_id": uuid(), "site": "milomb", "language": "it", "terms_revision": "1"}));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap()
}

async fn assert_limited(r: Response, what: &str) {
    assert_eq!(r.status(), 429, "{what}");
    assert!(
        r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .is_ok_and(|s| s >= 1),
        "{what}: Retry-After"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited", "{what}: {body}");
}

/// Thread creations: two in a burst, and none back within a test.
const TWO_THREADS: &str = r#"trusted_proxies = ["127.0.0.1"]
[server.rate_limits]
threads = { burst = 2, per_minute = 0.001 }"#;

#[tokio::test]
async fn two_clients_behind_nginx_get_separate_buckets() {
    let app = spawn_app_with(TWO_THREADS).await;
    let nginx = Nginx::start(&app);
    let (first, second) = (client_from("127.0.0.2"), client_from("127.0.0.3"));
    for i in 0..2 {
        assert_eq!(
            new_thread(&first, &nginx.base, &[]).await.status(),
            201,
            "{i}"
        );
    }
    assert_limited(
        new_thread(&first, &nginx.base, &[]).await,
        "the first visitor's third thread",
    )
    .await;
    // The second visitor, behind the same proxy, is not affected.
    for i in 0..2 {
        assert_eq!(
            new_thread(&second, &nginx.base, &[]).await.status(),
            201,
            "{i}"
        );
    }
    assert_limited(
        new_thread(&second, &nginx.base, &[]).await,
        "the second visitor's own limit",
    )
    .await;
    drop(nginx);
    app.stop().await;
}

#[tokio::test]
async fn without_trusted_proxies_everyone_behind_nginx_is_one_client() {
    // Why the setting exists: the proxy's own address is all the server
    // sees.
    let app = spawn_app_with(&TWO_THREADS.replace(r#"["127.0.0.1"]"#, "[]")).await;
    let nginx = Nginx::start(&app);
    let (first, second) = (client_from("127.0.0.2"), client_from("127.0.0.3"));
    for _ in 0..2 {
        assert_eq!(new_thread(&first, &nginx.base, &[]).await.status(), 201);
    }
    assert_limited(
        new_thread(&second, &nginx.base, &[]).await,
        "another visitor, in the proxy's one bucket",
    )
    .await;
    drop(nginx);
    app.stop().await;
}

#[tokio::test]
async fn a_client_that_forges_x_forwarded_for_gains_nothing() {
    let app = spawn_app_with(TWO_THREADS).await;
    let nginx = Nginx::start(&app);
    let (forger, other) = (client_from("127.0.0.2"), client_from("127.0.0.3"));
    for _ in 0..2 {
        assert_eq!(new_thread(&forger, &nginx.base, &[]).await.status(), 201);
    }
    // Over its limit, it claims to be someone else: the other visitor,
    // a made-up address, several hops, or via the header nginx does not
    // write. Each time its own bucket answers.
    for forged in [
        ("x-forwarded-for", "127.0.0.3"),
        ("x-forwarded-for", "198.51.100.20"),
        ("x-forwarded-for", "198.51.100.20, 127.0.0.1"),
        ("x-forwarded-for", "unknown"),
        ("forwarded", "for=198.51.100.21"),
    ] {
        assert_limited(
            new_thread(&forger, &nginx.base, &[forged]).await,
            &format!("forged {forged:?}"),
        )
        .await;
    }
    // Naming the other visitor took nothing from it.
    for _ in 0..2 {
        assert_eq!(new_thread(&other, &nginx.base, &[]).await.status(), 201);
    }
    drop(nginx);
    app.stop().await;
}

#[tokio::test]
async fn events_stream_through_nginx_as_they_happen() {
    let app = spawn_app_with(TWO_THREADS).await;
    let nginx = Nginx::start(&app);
    let client = client_from("127.0.0.2");
    let thread = uuid();
    let r = client
        .post(format!("{}/api/v1/threads", nginx.base))
        .header("origin", ORIGIN)
        .json(&json!({"thread_id": thread, "site": "milomb", "language": "it", "terms_revision": "1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // The server asks any proxy not to buffer its streams...
    let direct = client
        .get(format!("{}/api/v1/threads/{thread}/events", app.base))
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(direct.headers()["x-accel-buffering"], "no");
    drop(direct);
    // ...and through nginx the stream opens at once: a buffering proxy
    // holds its headers back until the first keep-alive comes, 15 s on.
    let mut stream = tokio::time::timeout(
        Duration::from_secs(10),
        open_events(&nginx.base, &thread, None),
    )
    .await
    .expect("nginx passes the stream's headers on at once");
    // Each message posted is read from the open stream before the next is
    // sent: nothing waits in a proxy buffer for more bytes to come.
    for text in ["prima domanda sullo spid", "seconda domanda sulla pec"] {
        let r = client
            .post(format!("{}/api/v1/threads/{thread}/messages", nginx.base))
            .header("origin", ORIGIN)
            .json(&json!({"client_message_id": uuid(), "text": text}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        stream
            .wait_for(|events| messages(events).iter().any(|m| m["text"] == text))
            .await;
    }
    drop(nginx);
    app.stop().await;
}

#[tokio::test]
async fn nginx_serves_the_widget_with_its_types_and_revalidation_and_errors_as_json() {
    let app = spawn_app_with(TWO_THREADS).await;
    let nginx = Nginx::start(&app);
    let client = Client::new();
    let get = |path: &str, gzip: bool| {
        let mut req = client.get(format!("{}{path}", nginx.base));
        if gzip {
            req = req.header("accept-encoding", "gzip");
        }
        req.send()
    };
    let r = get("/varco/varco_app.wasm", false).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/wasm");
    assert_eq!(r.headers()["cache-control"], "no-cache");
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert_eq!(r.headers()["cross-origin-resource-policy"], "cross-origin");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    // Revalidation costs a 304 without body.
    let r = client
        .get(format!("{}/varco/varco_app.wasm", nginx.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    // The .gz built beside a file is sent to a browser that takes gzip.
    let r = get("/varco/varco.js", true).await.unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"gzipped loader");
    let r = get("/varco/varco.js", false).await.unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"/* loader */");
    // The API through the proxy; nothing else is served.
    let r = get("/api/v1/sites/milomb", false).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(get("/index.html", false).await.unwrap().status(), 404);
    // The page a booking e-mail links to is the server's (its own answer
    // to a token that opens nothing, not nginx's).
    let r = get("/appointments/manage?token=x", false).await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Link non valido o scaduto"));
    // A body over the server's limit is refused by nginx, in JSON.
    let r = client
        .post(format!("{}/api/v1/consents", nginx.base))
        .header("content-type", "application/json")
        .body(vec![b' '; 70 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "body_too_large");
    // With the server gone, the API answers 503 in JSON with Retry-After.
    app.stop().await;
    let r = get("/api/v1/sites/milomb", false).await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "30");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "unavailable");
    drop(nginx);
}

/// The whole shipped file, TLS and redirect included, passes `nginx -t`
/// with a certificate in place of the placeholders.
#[test]
fn the_shipped_configuration_passes_nginx_t() {
    let binary = nginx_binary();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (cert, key) = (d.join("cert.pem"), d.join("key.pem"));
    let out = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=assistente.example.it", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (Debian's, installed with ca-certificates) makes the test certificate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut shipped = deploy_conf();
    let placeholders: Vec<String> = shipped
        .lines()
        .filter(|l| l.contains("CHANGE ME") && l.trim_start().starts_with("ssl_certificate"))
        .map(str::to_owned)
        .collect();
    assert_eq!(placeholders.len(), 2, "{placeholders:?}");
    for line in placeholders {
        let path = if line.trim_start().starts_with("ssl_certificate_key") {
            &key
        } else {
            &cert
        };
        let directive = line.split_whitespace().next().unwrap();
        shipped = shipped.replace(&line, &format!("    {directive} {};", path.display()));
    }
    let pkg: PathBuf = d.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    shipped = shipped.replace("/srv/varco/pkg/", &format!("{}/", pkg.display()));
    let conf = format!(
        "pid {d}/nginx.pid;\nevents {{}}\nhttp {{\ninclude /etc/nginx/mime.types;\n\
         client_body_temp_path {d}/body;\nproxy_temp_path {d}/proxy;\nfastcgi_temp_path {d}/fastcgi;\n\
         uwsgi_temp_path {d}/uwsgi;\nscgi_temp_path {d}/scgi;\naccess_log off;\n{shipped}\n}}\n",
        d = d.display()
    );
    std::fs::write(d.join("nginx.conf"), conf).unwrap();
    let out = Command::new(binary)
        .arg("-t")
        .arg("-p")
        .arg(d)
        .arg("-c")
        .arg(d.join("nginx.conf"))
        .arg("-e")
        .arg(d.join("error.log"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
