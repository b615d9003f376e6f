//! The HTTP plumbing every handler shares: the error answer ([`Failure`]),
//! the JSON body extractor, finding a request's site and checking its
//! `Origin`, CORS, and the clock.
//!
//! Handlers stay thin: they check the request, call `varco-core` or
//! [`crate::storage::Storage`], and answer JSON. Every error is a 4xx (or a
//! 503 when the database is down) with an [`ApiError`] body, never a bare
//! 500: [`json_errors`] gives axum's own plain-text rejections the same
//! shape, and a handler that panics gets [`panic_response`].

use crate::config::{Config, Site};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;
use varco_protocol::ApiError;

/// An API error answer.
#[derive(Debug)]
pub struct Failure {
    pub status: StatusCode,
    pub error: &'static str,
    pub message: String,
    /// Seconds, sent as `Retry-After` (rate limits).
    pub retry_after: Option<u64>,
}

impl Failure {
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        Failure {
            status,
            error,
            message: message.into(),
            retry_after: None,
        }
    }
    /// The database failed a request: the error is logged under `what`
    /// (never the request) and counted (`varco_database_errors_total`);
    /// the answer is 503 `storage_unavailable` with `message`.
    pub fn storage(what: &str, e: &anyhow::Error, message: &'static str) -> Self {
        tracing::error!(error = %format!("{e:#}"), "{what} failed");
        crate::metrics::database_error();
        Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            message,
        )
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Failure::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = ApiError {
            error: self.error.to_owned(),
            message: self.message,
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// `Json` whose rejections are answered as [`Failure`]s (400/413/415 with a
/// JSON body naming the problem) instead of axum's plain-text ones. A text
/// holding the NUL character (`\u0000`) is refused too: no field has a use
/// for it, and PostgreSQL cannot store it, so on every backend it is a 400,
/// never a database error.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Failure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(Failure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Expected request with `Content-Type: application/json`",
            ));
        }
        let bytes = match axum::body::Bytes::from_request(req, state).await {
            Ok(bytes) => bytes,
            Err(rejection) => {
                let status = rejection.status();
                let error = match status {
                    StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
                    _ => "invalid_body",
                };
                return Err(Failure::new(status, error, rejection.body_text()));
            }
        };
        if holds_escaped_nul(&bytes) {
            return Err(Failure::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                "a text holds the NUL character (\\u0000)",
            ));
        }
        match Json::<T>::from_bytes(&bytes) {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(rejection) => {
                let rejection: JsonRejection = rejection;
                Err(Failure::new(
                    rejection.status(),
                    "invalid_body",
                    rejection.body_text(),
                ))
            }
        }
    }
}

/// Whether a JSON text has a string holding U+0000, which JSON can only
/// write as the escape `\u0000` (an escaped backslash followed by
/// `u0000` is the text "\u0000", not the character).
fn holds_escaped_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json[i + 1..].starts_with(b"u0000") {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// The longest error text of a rejection that is passed on as the
/// `message` (axum's are a line or two).
const MAX_REJECTION_TEXT: usize = 4096;

/// Makes every error answer JSON: a 4xx or 5xx whose body is not JSON
/// (axum's rejections of a query string, a path or a body, 404 for an
/// unknown route, 405 for a method a route does not have, a body over the
/// limit) gets an [`ApiError`] body with a stable `error` code and the
/// rejection's text as `message`. The status and the other headers
/// (`Allow`, `Retry-After`, CORS) stay.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || is_json(response.headers())
        || is_page(response.headers())
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_REJECTION_TEXT)
        .await
        .ok()
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    let error = rejection_code(status, &text);
    if status.is_server_error() {
        // The text is not logged: it may quote the request.
        tracing::error!(
            status = status.as_u16(),
            error,
            "an error answer without a JSON body"
        );
    }
    let body = serde_json::to_vec(&ApiError {
        error: error.to_owned(),
        message: text,
    })
    .unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// An HTML page written for people (the booking page's "link not valid"):
/// it stays a page.
fn is_page(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("text/html")
        })
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let essence = v.split(';').next().unwrap_or("").trim();
            essence.eq_ignore_ascii_case("application/json")
                || essence.to_ascii_lowercase().ends_with("+json")
        })
}

/// The `error` code of a non-JSON error answer, from its status and (for a
/// 400) the start of axum's rejection text.
pub fn rejection_code(status: StatusCode, text: &str) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST if text.starts_with("Failed to deserialize query string") => {
            "invalid_query"
        }
        StatusCode::BAD_REQUEST
            if text.starts_with("Invalid URL") || text.starts_with("Invalid UTF-8 in `") =>
        {
            "invalid_path"
        }
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        s if s.is_server_error() => "internal_error",
        _ => "request_refused",
    }
}

/// The answer to a request whose handler panicked (with
/// `tower_http::catch_panic`): a JSON 500 instead of a dropped connection,
/// and one log line. The panic's message is left out of both: it may
/// quote the request (a slice of the text that did not parse).
pub fn panic_response(_payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked; answered 500");
    Failure::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "the server failed to handle this request",
    )
    .into_response()
}

/// Milliseconds since the UNIX epoch, from the server's clock.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Refuses a browser request whose `Origin` is not one of the site's.
/// Requests without `Origin` (same-origin GETs, server-side tools) pass.
pub fn check_site_origin(site: &Site, headers: &HeaderMap) -> Result<(), Failure> {
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        None => Ok(()),
        Some(origin) if site.allows_origin(origin) => Ok(()),
        Some(origin) => Err(Failure::new(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            format!("origin {origin} is not allowed for site {:?}", site.id),
        )),
    }
}

/// The site `id`, if it exists and the request's `Origin` (if any) is
/// one of its own.
pub fn site_for<'a>(
    config: &'a Config,
    id: &str,
    headers: &HeaderMap,
) -> Result<&'a crate::config::Site, Failure> {
    let site = config.site(id).ok_or_else(|| {
        Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_site",
            format!("no site {id:?} on this server"),
        )
    })?;
    check_site_origin(site, headers)?;
    Ok(site)
}

/// The site named by `?site=`, or else the one site whose pages the
/// request's `Origin` belongs to (a page's script may leave `site` out), or
/// the server's only site.
pub fn site_of_query<'a>(
    config: &'a Config,
    id: Option<&str>,
    headers: &HeaderMap,
) -> Result<&'a crate::config::Site, Failure> {
    if let Some(id) = id {
        return site_for(config, id, headers);
    }
    let origin = headers
        .get(axum::http::header::ORIGIN)
        .and_then(|o| o.to_str().ok());
    // Without an Origin (a script on the server side), a server with one
    // site means that one.
    let mut sites = config
        .sites
        .iter()
        .filter(|s| origin.is_none_or(|o| s.allows_origin(o)));
    match (sites.next(), sites.next()) {
        (Some(site), None) => Ok(site),
        _ => Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "site_required",
            "name the site with ?site=... (the request's origin does not tell it)",
        )),
    }
}

/// `/api/*` fallback.
pub async fn api_not_found() -> Failure {
    Failure::not_found("no such API endpoint")
}

/// CORS for the API: an `Origin` that no configured site allows is refused
/// outright; an allowed one gets the CORS headers (and preflights are
/// answered here). Each handler then checks the origin against its own site.
pub async fn cors(State(config): State<Arc<Config>>, request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let Some(origin) = origin else {
        return next.run(request).await;
    };
    let allowed = origin
        .to_str()
        .map(|o| config.sites.iter().any(|s| s.allows_origin(o)))
        .unwrap_or(false);
    if !allowed {
        return Failure::new(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "this origin is not allowed by any site",
        )
        .into_response();
    }
    let mut response = if request.method() == Method::OPTIONS {
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, DELETE"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type, last-event-id"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        r
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    // A page's script may read how long a limit asks it to wait. Never
    // Allow-Credentials: the visitor API takes no cookies.
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("retry-after"),
    );
    h.append(header::VARY, HeaderValue::from_static("origin"));
    response
}

#[cfg(test)]
mod tests {
    use super::holds_escaped_nul;

    #[test]
    fn only_a_real_nul_in_a_json_text_is_found() {
        assert!(holds_escaped_nul(br#"{"text":"a\u0000b"}"#));
        assert!(holds_escaped_nul(br#"{"text":"\\\u0000"}"#));
        assert!(
            !holds_escaped_nul(br#"{"text":"a\\u0000b"}"#),
            "the text \\u0000"
        );
        assert!(!holds_escaped_nul(br#"{"text":"\u00e9\n\"u0000"}"#));
        assert!(!holds_escaped_nul(br#"{"text":"trailing\"#));
    }
}

/// Whether `text` is text a person typed: no control characters but line
/// breaks and tabs (PostgreSQL refuses NUL in text, and none of them belongs
/// in a reason, a title or a search).
pub fn is_plain_text(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}
