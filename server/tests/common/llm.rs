//! Stand-ins for an external assistant (a third party we cannot run): real
//! local HTTP servers that speak the OpenAI chat-completions protocol, and
//! a server configured to use one.

use super::{spawn_app_prepared, App};
use serde_json::json;

/// The body of a streamed completion that says `pieces`, in order.
pub fn completion_stream(pieces: &[&str]) -> String {
    let mut sse = String::new();
    for piece in pieces {
        let chunk = json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": piece}}]});
        sse.push_str(&format!("data: {chunk}\n\n"));
    }
    sse.push_str(
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
    );
    sse
}

/// Serves `app` (its route `/v1/chat/completions`) on a free port; returns
/// its `/v1` base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// A server whose site uses the assistant at `url`.
pub async fn spawn_with_external(url: &str, timeout_seconds: u64) -> App {
    let site = format!(
        "[sites.external_assistant]\nurl = {url:?}\nmodel = \"modello-prova\"\napi_key_file = \"llm.key\"\ntimeout_seconds = {timeout_seconds}\n"
    );
    spawn_app_prepared("", &site, |dir| {
        std::fs::write(dir.join("llm.key"), "sk-prova\n").unwrap()
    })
    .await
}
