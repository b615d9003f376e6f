//! An instance may die (issue 18): two `varco-server` processes on one
//! PostgreSQL database behind Debian's nginx (the locations shipped in
//! `deploy/nginx.conf`), a visitor in headless Chromium with the chat open
//! on the instance that holds its event stream, and that instance killed
//! with SIGKILL. The widget reconnects through nginx to the other instance,
//! which replays from the database after `Last-Event-ID`: every message
//! shows once, and the consent and the message sent right after the kill
//! are each stored once.
//!
//! Needs what `cargo xtask test` provides: `VARCO_TEST_POSTGRES` (a
//! throwaway PostgreSQL server), nginx, and the `varco-server` binary of
//! the host tests' build.

#[path = "../../../xtask/src/cluster_conf.rs"]
mod cluster_conf;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use varco_e2e::{ask, count, root, transcript, Chromium};
use varco_protocol::chat::{Author, ChatEvent};
use varco_server::config::Database;
use varco_server::storage::Storage;

/// A child process killed (SIGKILL) when dropped, if still running.
struct Process {
    child: Child,
    name: String,
}

impl Process {
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The server binary of the same build as this test.
fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let binary = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("varco-server");
    assert!(
        binary.exists(),
        "{} is missing: `cargo xtask test` builds it with the host tests",
        binary.display()
    );
    binary
}

/// A fresh database on the suite's PostgreSQL server.
async fn fresh_database() -> String {
    let server = std::env::var("VARCO_TEST_POSTGRES").expect(
        "VARCO_TEST_POSTGRES names no PostgreSQL server: run this through `cargo xtask test`, \
         which starts a throwaway one",
    );
    let server = server.trim_end_matches('/');
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!("e2e_{}_{nanos}", std::process::id());
    create_database(server, &name).await;
    format!("{server}/{name}")
}

async fn create_database(server: &str, name: &str) {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(&format!("{server}/postgres"))
        .await
        .expect("the PostgreSQL server answers");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut c)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .await
        .unwrap();
}

/// A plain GET on loopback; the body.
async fn get(port: u16, path: &str) -> Option<String> {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    text.starts_with("HTTP/1.1 200")
        .then(|| text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()))
        .flatten()
}

async fn wait_healthy(port: u16, process: &mut Process) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while get(port, "/healthz").await.is_none() {
        if let Some(status) = process.child.try_wait().unwrap() {
            panic!("{} exited ({status})", process.name);
        }
        assert!(
            Instant::now() < deadline,
            "{} not healthy in 30 s",
            process.name
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Event streams open on the instance at `port` (its `/metrics`, read
/// from loopback as `server.metrics_from` allows).
async fn streams_open(port: u16) -> u64 {
    let text = get(port, "/metrics").await.unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("varco_event_streams_open "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

fn start_instance(dir: &std::path::Path, port: u16, database_url: &str, origin: &str) -> Process {
    let demo = std::fs::read_to_string(root().join("server/varco.toml")).unwrap();
    let config =
        cluster_conf::instance_config(&demo, port, database_url, Some(&root()), Some(origin))
            .unwrap();
    let file = dir.join(format!("varco-{port}.toml"));
    std::fs::write(&file, config).unwrap();
    let log = std::fs::File::create(dir.join(format!("varco-{port}.log"))).unwrap();
    let child = Command::new(server_binary())
        .arg("--config")
        .arg(&file)
        .arg("serve")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    Process {
        child,
        name: format!("instance on {port}"),
    }
}

fn start_nginx(dir: &std::path::Path, port: u16, upstreams: &[String]) -> Process {
    let child = cluster_conf::nginx_in_front(&root(), &dir.join("nginx"), port, upstreams)
        .unwrap()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx runs (cargo xtask test installs it)");
    Process {
        child,
        name: "nginx".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_goes_on_through_the_other_instance_when_one_is_killed() {
    let database_url = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let front = free_port();
    let origin = format!("http://127.0.0.1:{front}");
    let ports = [free_port(), free_port()];
    let mut instances: Vec<Process> = Vec::new();
    for port in ports {
        let mut p = start_instance(dir.path(), port, &database_url, &origin);
        wait_healthy(port, &mut p).await;
        instances.push(p);
    }
    let upstreams: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let mut nginx = start_nginx(dir.path(), front, &upstreams);
    wait_healthy(front, &mut nginx).await;

    let chromium = Chromium::launch().await.unwrap();
    let tab = chromium.tab().await.unwrap();
    tab.open(&format!("{origin}/demo-site/milomb/index.html"))
        .await
        .unwrap();
    tab.press("Apri l'assistente virtuale CamOn").await.unwrap();
    tab.wait_for(
        "!!document.querySelector('varco-widget').shadowRoot.querySelector('.chat-panel')",
        5,
    )
    .await
    .unwrap();
    tab.press("Accetto").await.unwrap();
    ask(&tab, "quanto costa una visura camerale?").await;
    tab.wait_for(
        "document.querySelector('varco-widget').shadowRoot.querySelectorAll('.messages > .msg.assistant').length >= 1",
        20,
    )
    .await
    .unwrap();

    // The instance holding the visitor's stream.
    let deadline = Instant::now() + Duration::from_secs(10);
    let holder = loop {
        let open = [streams_open(ports[0]).await, streams_open(ports[1]).await];
        if let Some(i) = open.iter().position(|n| *n > 0) {
            break i;
        }
        assert!(Instant::now() < deadline, "no instance holds the stream");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let survivor = 1 - holder;
    instances[holder].kill();

    // Right after the kill: the visitor answers the banner and asks again.
    tab.press("Accetta tutti").await.unwrap();
    ask(&tab, "come si attiva lo spid?").await;
    tab.wait_for(
        "document.querySelector('varco-widget').shadowRoot.querySelectorAll('.messages > .msg.assistant').length >= 2",
        30,
    )
    .await
    .unwrap();
    // Time for a duplicate to show, if one were coming.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let lines = transcript(&tab).await;
    assert_eq!(
        (count(&lines, "visitor"), count(&lines, "assistant")),
        (2, 2),
        "every message once: {lines:?}"
    );
    assert_eq!(count(&lines, "failed"), 0, "{lines:?}");
    assert!(
        streams_open(ports[survivor]).await >= 1,
        "the widget follows the thread on the surviving instance"
    );

    let storage = Storage::open(&Database::Postgres(database_url.clone()))
        .await
        .unwrap();
    let consents = storage.consents("milomb", "0000", "9999").await.unwrap();
    assert_eq!(consents.len(), 1, "the consent stored once: {consents:?}");
    let thread = tab
        .eval("JSON.parse(localStorage.getItem('varco.chat.thread')).thread_id")
        .await
        .unwrap();
    let events = storage
        .events_after(thread.as_str().unwrap(), 0)
        .await
        .unwrap();
    let authors: Vec<Author> = events
        .iter()
        .filter_map(|(_, e)| match e {
            ChatEvent::Message { message } => Some(message.author),
            _ => None,
        })
        .collect();
    assert_eq!(
        authors,
        [
            Author::Visitor,
            Author::Assistant,
            Author::Visitor,
            Author::Assistant
        ],
        "each message stored once"
    );
    storage.close().await;
    drop(nginx);
    drop(instances);
}
