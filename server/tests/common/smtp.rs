//! A real SMTP server for the tests: aiosmtpd (Debian's `python3-aiosmtpd`,
//! which `cargo xtask test` installs), run as its own process on a free
//! port, storing what it receives in a Maildir that the test reads.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const AIOSMTPD: &str = "/usr/bin/aiosmtpd";

pub struct Smtp {
    pub port: u16,
    maildir: PathBuf,
    child: Option<Child>,
    _dir: tempfile::TempDir,
}

/// A message as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub raw: Vec<u8>,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `(file name, content type, body)` of each attachment.
    pub attachments: Vec<(String, String, String)>,
}

impl Received {
    /// The first link in the plain text that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        self.text
            .split_whitespace()
            .find(|w| w.starts_with(prefix))
            .map(str::to_owned)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Smtp {
    /// Starts the server on a free port.
    pub async fn start() -> Smtp {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("maildir");
        let mut smtp = Smtp {
            port: free_port(),
            maildir,
            child: None,
            _dir: dir,
        };
        smtp.restart().await;
        smtp
    }

    /// A port where nothing listens yet, for a server started later with
    /// [`Smtp::restart`] (the mail server is "down" until then).
    pub fn not_started() -> Smtp {
        let dir = tempfile::tempdir().unwrap();
        Smtp {
            port: free_port(),
            maildir: dir.path().join("maildir"),
            child: None,
            _dir: dir,
        }
    }

    /// (Re)starts the server on its port, keeping what it received.
    pub async fn restart(&mut self) {
        assert!(
            Path::new(AIOSMTPD).exists(),
            "{AIOSMTPD} is missing: `cargo xtask test` installs it (apt-get install python3-aiosmtpd)"
        );
        self.stop();
        let child = Command::new(AIOSMTPD)
            .args([
                "-n",
                "-l",
                &format!("127.0.0.1:{}", self.port),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&self.maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "aiosmtpd did not listen");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the server (the mail server goes down).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The `[mail]` section that sends here, with `extra` settings.
    pub fn settings(&self, base_url: &str, extra: &str) -> String {
        format!(
            "\n[mail]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n\
             from = \"Camera di commercio <prenotazioni@milomb.example>\"\n\
             public_url = \"{base_url}\"\nretry_first_seconds = 1\ntimeout_seconds = 2\n{extra}\n",
            self.port
        )
    }

    /// Every message received so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        let new = self.maildir.join("new");
        let mut files: Vec<_> = std::fs::read_dir(&new)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files
            .iter()
            .map(|p| parse(&std::fs::read(p).unwrap()))
            .collect()
    }

    /// Waits (20 s at most) until `n` messages have arrived; returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} messages, received {}: {:?}",
                got.len(),
                got.iter().map(|m| &m.subject).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.stop();
    }
}

fn parse(raw: &[u8]) -> Received {
    let mail = mailparse::parse_mail(raw).expect("a well-formed message");
    let header = |name: &str| {
        mail.headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(name))
            .map(|h| h.get_value())
            .unwrap_or_default()
    };
    let mut received = Received {
        raw: raw.to_vec(),
        to: header("To"),
        subject: header("Subject"),
        text: String::new(),
        html: String::new(),
        attachments: Vec::new(),
    };
    fn walk(part: &mailparse::ParsedMail<'_>, out: &mut Received) {
        if !part.subparts.is_empty() {
            for sub in &part.subparts {
                walk(sub, out);
            }
            return;
        }
        let disposition = part.get_content_disposition();
        let body = part.get_body().unwrap_or_default();
        if disposition.disposition == mailparse::DispositionType::Attachment {
            out.attachments.push((
                disposition
                    .params
                    .get("filename")
                    .cloned()
                    .unwrap_or_default(),
                part.ctype.mimetype.clone(),
                body,
            ));
        } else if part.ctype.mimetype == "text/plain" {
            out.text = body;
        } else if part.ctype.mimetype == "text/html" {
            out.html = body;
        }
    }
    walk(&mail, &mut received);
    received
}
