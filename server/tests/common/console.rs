//! The operator console from a test: operators made with the server's own
//! command, and a logged-in console's requests.

use super::threads::EventStream;
use super::App;
use serde_json::{json, Value};

/// A desk that answers around the clock (so the tests do not depend on
/// the hour they run at), with the notice the live chat must link.
pub const ALWAYS_OPEN: &str = r#"
[sites.live_chat]
hours = [{ days = ["lun", "mar", "mer", "gio", "ven", "sab", "dom"], open = "00:00", close = "24:00" }]
email = "urp@example.it"
[sites.widget.assistant]
live_chat_privacy_url = "/privacy-chat.html"
"#;

/// Creates an operator with the server's own command.
pub fn add_operator(app: &App, username: &str, name: &str, password: &str) {
    add_operator_with(app, username, name, password, &[]);
}

/// [`add_operator`] with more options (`--desk`, `--site S`).
pub fn add_operator_with(app: &App, username: &str, name: &str, password: &str, options: &[&str]) {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_varco-server"))
        .args(["--config"])
        .arg(&app.config_file)
        .args(["operator", "add", username, "--name", name])
        .args(options)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "operator add failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A logged-in console: its cookie and CSRF token.
pub struct Console {
    pub base: String,
    pub cookie: String,
    pub csrf: String,
}

impl Console {
    pub async fn login(base: &str, username: &str, password: &str) -> Console {
        let r = login(base, username, password).await;
        assert_eq!(r.status(), 200);
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let body: Value = r.json().await.unwrap();
        Console {
            base: base.to_owned(),
            cookie,
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        }
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
    }

    /// The JSON answer of `GET path`.
    pub async fn get_json(&self, path: &str) -> Value {
        self.get(path).send().await.unwrap().json().await.unwrap()
    }

    pub async fn take(&self, thread: &str) -> reqwest::Response {
        self.post(&format!("/operator/api/threads/{thread}/take"))
            .send()
            .await
            .unwrap()
    }

    pub async fn say(&self, thread: &str, text: &str) -> reqwest::Response {
        self.post(&format!("/operator/api/threads/{thread}/messages"))
            .json(&json!({"client_message_id": super::threads::uuid(), "text": text}))
            .send()
            .await
            .unwrap()
    }

    pub async fn conversations(&self) -> Vec<Value> {
        let r = self
            .get("/operator/api/conversations")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        body["conversations"].as_array().unwrap().clone()
    }

    pub async fn events(&self, thread: &str) -> EventStream {
        EventStream::new(
            self.get(&format!("/operator/api/threads/{thread}/events"))
                .send()
                .await
                .unwrap(),
        )
    }
}

pub async fn login(base: &str, username: &str, password: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/operator/api/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}
