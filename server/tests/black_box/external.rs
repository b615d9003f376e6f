//! The external assistant adapter against a real local HTTP server that
//! speaks the OpenAI chat-completions protocol (streamed and not), and the
//! embedded engine taking over when that server fails, hangs or is gone.

use crate::common;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Json;
use common::llm::spawn_with_external;
use common::threads::{deltas, messages, new_thread, open_events, post_message, SseEvent};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Copy)]
enum Behaviour {
    /// Answers in SSE chunks, as `stream: true` asks.
    Stream,
    /// Ignores `stream` and answers with one JSON object.
    Json,
    Fail,
    /// Never answers.
    Hang,
}

const CHUNKS: [&str; 3] = [
    "Per attivare lo **SPID** ",
    "scegli un gestore di identità ",
    "e segui la sua procedura.",
];

#[derive(Clone)]
struct Stub {
    behaviour: Behaviour,
    seen: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
}

async fn completions(
    State(stub): State<Stub>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    stub.seen.lock().unwrap().push((headers, body));
    match stub.behaviour {
        Behaviour::Stream => {
            let sse = common::llm::completion_stream(&CHUNKS);
            // Sent in small pieces, cut anywhere, as a network would.
            let pieces: Vec<Result<Vec<u8>, std::io::Error>> = sse.as_bytes().chunks(17).map(|c| Ok(c.to_vec())).collect();
            let body = axum::body::Body::from_stream(futures::stream::iter(pieces));
            ([("content-type", "text/event-stream")], body).into_response()
        }
        Behaviour::Json => Json(json!({
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": CHUNKS.concat()}, "finish_reason": "stop"}],
        }))
        .into_response(),
        Behaviour::Fail => (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": {"message": "overloaded"}}))).into_response(),
        Behaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(120)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
    }
}

/// Starts the stand-in service; returns its `/v1` base URL.
async fn start_stub(behaviour: Behaviour) -> (String, Stub) {
    let stub = Stub {
        behaviour,
        seen: Arc::default(),
    };
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(completions))
        .with_state(stub.clone());
    (common::llm::serve(app).await, stub)
}

/// Asks `question` in a new thread; returns the events up to the answer.
async fn ask(base: &str, question: &str) -> (String, Vec<SseEvent>) {
    let thread = new_thread(base).await;
    // Listening first, as the widget does: pieces are live-only.
    let stream = open_events(base, &thread, None).await;
    let r = post_message(base, &thread, question).await;
    assert_eq!(r.status(), 202);
    let events = stream.read_until(|e| messages(e).len() >= 2).await;
    (thread, events)
}

fn embedded_answer(question: &str) -> varco_engine::Answer {
    let kb = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../kb/milomb");
    varco_engine::KnowledgeBase::load(&kb)
        .unwrap()
        .answer(question)
}

#[tokio::test]
async fn a_streamed_external_answer_reaches_the_visitor_in_pieces_with_the_knowledge_base_topic() {
    let (url, stub) = start_stub(Behaviour::Stream).await;
    let app = spawn_with_external(&url, 20).await;
    let question = "come si attiva lo spid? il mio codice fiscale è RSSMRA85T10A562S, scrivetemi a mario.rossi@example.it";
    let (thread, events) = ask(&app.base, question).await;

    assert_eq!(
        deltas(&events),
        CHUNKS.concat(),
        "the answer streams in as the service sends it"
    );
    assert!(
        events
            .iter()
            .filter(|(_, n, _)| n == "delta")
            .all(|(id, _, _)| id.is_none()),
        "pieces are live-only"
    );
    let answer = messages(&events)[1];
    assert_eq!(answer["author"], "assistant");
    assert_eq!(answer["text"], CHUNKS.concat());
    assert_eq!(answer["topic"], embedded_answer(question).topic);

    let seen = stub.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let (headers, body) = &seen[0];
    assert_eq!(headers["authorization"], "Bearer sk-prova");
    assert_eq!(body["model"], "modello-prova");
    assert_eq!(body["stream"], true);
    let user = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "user")
        .unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(user.contains("come si attiva lo spid"), "{user}");
    assert!(
        user.contains("[codice fiscale]") && user.contains("[email]"),
        "{user}"
    );
    let sent = body.to_string();
    assert!(
        !sent.contains("RSSMRA85T10A562S") && !sent.contains("mario.rossi"),
        "personal data left the server: {sent}"
    );
    assert!(!sent.contains(&thread), "the thread id left the server");
    app.stop().await;
}

#[tokio::test]
async fn a_service_that_ignores_stream_is_read_as_one_answer() {
    let (url, _stub) = start_stub(Behaviour::Json).await;
    let app = spawn_with_external(&url, 20).await;
    let (_, events) = ask(&app.base, "come si attiva lo spid?").await;
    assert_eq!(messages(&events)[1]["text"], CHUNKS.concat());
    app.stop().await;
}

#[tokio::test]
async fn when_the_external_service_fails_hangs_or_is_gone_the_embedded_engine_answers() {
    let question = "quanto costa una visura camerale?";
    let expected = embedded_answer(question);
    let gone = {
        // A port that was just free: nothing listens there.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/v1", l.local_addr().unwrap())
    };
    for (name, url) in [
        ("failing", start_stub(Behaviour::Fail).await.0),
        ("hanging", start_stub(Behaviour::Hang).await.0),
        ("gone", gone),
    ] {
        let app = spawn_with_external(&url, 1).await;
        let (_, events) = ask(&app.base, question).await;
        let answer = messages(&events)[1];
        assert_eq!(answer["text"], expected.answer, "{name}");
        assert_eq!(answer["topic"], expected.topic, "{name}");
        assert!(events.iter().all(|(_, n, _)| n != "delta"), "{name}");
        app.stop().await;
    }
}

#[tokio::test]
async fn an_external_assistant_without_a_key_or_over_plain_http_is_refused_at_start() {
    let kb = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../kb/milomb");
    let toml = format!(
        "[[sites]]\nid = \"milomb\"\nkb = {kb:?}\n[sites.external_assistant]\nurl = \"http://llm.example.it/v1\"\nmodel = \"\"\napi_key_env = \"A\"\napi_key_file = \"b\"\n",
        kb = kb.display().to_string()
    );
    let err = format!(
        "{:#}",
        varco_server::config::Config::parse(&toml, std::path::Path::new(".")).unwrap_err()
    );
    for part in [
        "external_assistant.url",
        "https://",
        "external_assistant.model",
        "not both",
    ] {
        assert!(err.contains(part), "{part} missing in: {err}");
    }
    let toml = format!(
        "[[sites]]\nid = \"milomb\"\nkb = {kb:?}\n[sites.external_assistant]\nurl = \"https://llm.example.it/v1\"\nmodel = \"m\"\napi_key_env = \"VARCO_TEST_KEY_THAT_IS_NOT_SET\"\n",
        kb = kb.display().to_string()
    );
    let config = varco_server::config::Config::parse(&toml, std::path::Path::new(".")).unwrap();
    let err = format!(
        "{:#}",
        varco_server::assistant::load_assistants(&config, Default::default())
            .err()
            .unwrap()
    );
    assert!(err.contains("VARCO_TEST_KEY_THAT_IS_NOT_SET"), "{err}");
}
