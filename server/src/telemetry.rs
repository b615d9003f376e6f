//! What the server logs, whatever the operator asks for.
//!
//! A log line never holds a visitor's identifiers or what arrives with a
//! request besides them (the client's address, the page in `Referer`,
//! cookies). Our own handlers log routes, counts and sites only; the
//! directives below silence the library lines that would name a client
//! (axum's accept loop traces every peer address), and they are appended
//! after the operator's own filter so that `VARCO_LOG=trace` cannot turn
//! them back on.

use tracing_subscriber::EnvFilter;

/// The filter used when `VARCO_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info,tower_http=info,sqlx=warn";

/// Directives that always apply: each names a library target that logs a
/// client's address at a level below the one kept.
const PRIVACY_DIRECTIVES: &[&str] = &["axum::serve=debug"];

/// `spec` (an `EnvFilter` directive list) with the privacy directives
/// added. An invalid `spec` is an error naming it.
pub fn filter(spec: &str) -> anyhow::Result<EnvFilter> {
    let mut filter = EnvFilter::try_new(spec)
        .map_err(|e| anyhow::anyhow!("invalid log filter {spec:?}: {e}"))?;
    for directive in PRIVACY_DIRECTIVES {
        filter = filter.add_directive(directive.parse()?);
    }
    Ok(filter)
}
