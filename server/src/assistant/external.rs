//! An external assistant behind the [`Assistant`] trait: any service that
//! speaks the OpenAI chat-completions protocol, streamed. The embedded
//! engine stays in charge of what must not depend on a third party: every
//! answer's topic, links and suggestions come from the knowledge base, and
//! when the external service fails, is slow or says nothing, the embedded
//! answer is given instead.
//!
//! What leaves the server: the visitor's question with personal data masked
//! ([`varco_core::redact`]), the instructions, and the knowledge base's
//! closest entry as reference. Never an identifier of the thread or of the
//! visitor.

use super::{Assistant, DeltaSink, EmbeddedAssistant, Reply};
use anyhow::{anyhow, bail, Context};
use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// The longest answer accepted from the external service, in characters.
const MAX_ANSWER_CHARS: usize = 8_000;

pub struct ExternalAssistant {
    client: reqwest::Client,
    endpoint: String,
    model: String,
    api_key: Option<String>,
    timeout: Duration,
    instructions: String,
    embedded: Arc<EmbeddedAssistant>,
}

impl ExternalAssistant {
    /// Reads the API key (from the environment or a file) and prepares the
    /// client; fails with a message naming what is missing.
    pub fn new(
        site_name: &str,
        config: &crate::config::ExternalAssistant,
        embedded: Arc<EmbeddedAssistant>,
    ) -> anyhow::Result<ExternalAssistant> {
        let api_key = match (&config.api_key_env, &config.api_key_file) {
            (Some(var), _) => Some(
                std::env::var(var)
                    .with_context(|| {
                        format!("the environment variable {var} (api_key_env) is not set")
                    })?
                    .trim()
                    .to_owned(),
            ),
            (None, Some(file)) => Some(
                std::fs::read_to_string(file)
                    .with_context(|| {
                        format!(
                            "cannot read the API key from {} (api_key_file)",
                            file.display()
                        )
                    })?
                    .trim()
                    .to_owned(),
            ),
            (None, None) => None,
        };
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("varco-server/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the HTTP client")?;
        Ok(ExternalAssistant {
            client,
            endpoint: format!("{}/chat/completions", config.url.trim_end_matches('/')),
            model: config.model.clone(),
            api_key,
            timeout: Duration::from_secs(config.timeout_seconds),
            instructions: config
                .system_prompt
                .clone()
                .unwrap_or_else(|| default_instructions(site_name)),
            embedded,
        })
    }

    /// Asks the external service; the answer's text, streamed through `deltas`.
    async fn complete(
        &self,
        question: &str,
        language: &str,
        reference: &str,
        deltas: &DeltaSink,
    ) -> anyhow::Result<String> {
        let language = if language == "en" {
            "English"
        } else {
            "Italian"
        };
        let body = json!({
            "model": self.model,
            "stream": true,
            "messages": [
                {"role": "system", "content": format!(
                    "{}\n\nAnswer in {language}.\n\nReference from the knowledge base (may not fit the question):\n{reference}",
                    self.instructions
                )},
                {"role": "user", "content": varco_core::redact::redact(question)},
            ],
        });
        let mut request = self.client.post(&self.endpoint).json(&body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let mut response = request
            .send()
            .await
            .context("the external assistant cannot be reached")?;
        let status = response.status();
        if !status.is_success() {
            bail!("the external assistant answered {status}");
        }
        let streamed = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !streamed {
            // A service that ignores `stream` answers in one JSON object.
            let value: Value = response
                .json()
                .await
                .context("the external assistant's answer is not JSON")?;
            let text = value["choices"][0]["message"]["content"]
                .as_str()
                .ok_or_else(|| {
                    anyhow!("the external assistant's answer has no choices[0].message.content")
                })?;
            return Ok(text.chars().take(MAX_ANSWER_CHARS).collect());
        }
        let mut parser = SseParser::default();
        let mut text = String::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .context("the external assistant's stream broke")?
        {
            for data in parser.push(&chunk) {
                if data.trim() == "[DONE]" {
                    return Ok(text);
                }
                let value: Value =
                    serde_json::from_str(&data).context("a streamed chunk is not JSON")?;
                if let Some(piece) = value["choices"][0]["delta"]["content"].as_str() {
                    if text.chars().count() + piece.chars().count() > MAX_ANSWER_CHARS {
                        bail!("the external assistant's answer is too long");
                    }
                    text.push_str(piece);
                    if !piece.is_empty() {
                        deltas(piece);
                    }
                }
            }
        }
        // Some services close the stream without [DONE].
        Ok(text)
    }
}

impl Assistant for ExternalAssistant {
    fn reply<'a>(
        &'a self,
        question: &'a str,
        language: &'a str,
        deltas: &'a DeltaSink,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<Reply>> + Send + 'a>> {
        Box::pin(async move {
            // The knowledge base classifies the question and is the fallback.
            let (embedded, reference) = self.embedded.answer_with_reference(question, language);
            match tokio::time::timeout(
                self.timeout,
                self.complete(question, language, &reference, deltas),
            )
            .await
            {
                Ok(Ok(text)) if !text.trim().is_empty() => Ok(Reply { text, ..embedded }),
                Ok(Ok(_)) => {
                    tracing::warn!(
                        "the external assistant gave an empty answer; the embedded engine answers"
                    );
                    Ok(embedded)
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %format!("{e:#}"), "the external assistant failed; the embedded engine answers");
                    Ok(embedded)
                }
                Err(_) => {
                    tracing::warn!(
                        timeout_s = self.timeout.as_secs(),
                        "the external assistant is too slow; the embedded engine answers"
                    );
                    Ok(embedded)
                }
            }
        })
    }
}

fn default_instructions(site_name: &str) -> String {
    format!(
        "You are the virtual assistant of the website of {site_name}, an Italian public administration. \
         Answer only questions about its services, briefly and in plain language, as a public office would. \
         When a question is not about its services, say so and name the office that handles it. \
         Never ask for personal data (names, tax codes, phone numbers, e-mail addresses). \
         Write plain text or simple markdown (paragraphs, bold, italic, lists, links); never HTML. \
         If you are not sure, say so and suggest speaking with an operator."
    )
}

/// Splits a Server-Sent Events byte stream into the `data` of each event
/// (multi-line data joined with newlines), across chunk boundaries.
#[derive(Default)]
struct SseParser {
    pending: Vec<u8>,
    data: Vec<String>,
}

impl SseParser {
    fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(chunk);
        let mut events = Vec::new();
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !self.data.is_empty() {
                    events.push(std::mem::take(&mut self.data).join("\n"));
                }
            } else if let Some(value) = line.strip_prefix("data:") {
                self.data
                    .push(value.strip_prefix(' ').unwrap_or(value).to_owned());
            }
            // Comments (":"), "event:", "id:" and "retry:" carry nothing we use.
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::SseParser;

    #[test]
    fn events_are_split_across_chunks_and_lines_are_joined() {
        let mut p = SseParser::default();
        assert!(p.push(b"data: {\"a\"").is_empty());
        assert_eq!(
            p.push(b":1}\r\n\r\n: keep-alive\n\ndata: x\ndata: y\n\ndata: [DONE]\n\n"),
            ["{\"a\":1}", "x\ny", "[DONE]"]
        );
    }

    #[test]
    fn multi_byte_characters_split_between_chunks_survive() {
        let mut p = SseParser::default();
        let text = "data: perché\n\n".as_bytes();
        let cut = text.iter().position(|b| *b >= 0x80).unwrap() + 1;
        assert!(p.push(&text[..cut]).is_empty());
        assert_eq!(p.push(&text[cut..]), ["perché"]);
    }
}
