//! The demo's mailbox: what the demo's mail catcher (aiosmtpd, started by
//! `cargo xtask demo`) received, at `/demo-mail`, so that whoever tries
//! the demo reads the booking e-mails and follows their links. Mounted only
//! with `demo = true` and `demo_mail_folder`; everything shown is escaped.

use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::fmt::Write as _;
use varco_core::booking_mail::escape_html as esc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/demo-mail", get(inbox))
        .route("/demo-mail/{name}", get(message))
}

fn page(title: &str, body: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        format!(
            "<!doctype html>\n<html lang=\"it\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{t}</title><link rel=\"stylesheet\" href=\"/appointments/manage.css\"></head><body>\
             <header class=\"header\"><div class=\"container\"><p class=\"site\">Varco demo: posta ricevuta</p></div></header>\
             <main id=\"main\"><div class=\"container\">{body}</div></main></body></html>\n",
            t = esc(title)
        ),
    )
        .into_response()
}

struct Shown {
    name: String,
    to: String,
    subject: String,
    date: String,
    text: String,
    attachments: Vec<String>,
}

fn read(path: &std::path::Path) -> Option<Shown> {
    let raw = std::fs::read(path).ok()?;
    let mail = mailparse::parse_mail(&raw).ok()?;
    let header = |name: &str| {
        mail.headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(name))
            .map(|h| h.get_value())
            .unwrap_or_default()
    };
    let mut shown = Shown {
        name: path.file_name()?.to_string_lossy().into_owned(),
        to: header("To"),
        subject: header("Subject"),
        date: header("Date"),
        text: String::new(),
        attachments: Vec::new(),
    };
    fn walk(part: &mailparse::ParsedMail<'_>, shown: &mut Shown) {
        for sub in &part.subparts {
            walk(sub, shown);
        }
        if !part.subparts.is_empty() {
            return;
        }
        let disposition = part.get_content_disposition();
        if disposition.disposition == mailparse::DispositionType::Attachment {
            shown.attachments.push(
                disposition
                    .params
                    .get("filename")
                    .cloned()
                    .unwrap_or_default(),
            );
        } else if part.ctype.mimetype == "text/plain" {
            shown.text = part.get_body().unwrap_or_default();
        }
    }
    walk(&mail, &mut shown);
    Some(shown)
}

fn messages(state: &AppState) -> Option<Vec<(std::time::SystemTime, std::path::PathBuf)>> {
    let folder = state.config.server.demo_mail_folder.as_ref()?;
    let mut files: Vec<_> = std::fs::read_dir(folder.join("new"))
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files.reverse();
    Some(files)
}

async fn inbox(State(state): State<AppState>) -> Response {
    let Some(files) = messages(&state) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut body = String::from("<h1>Posta ricevuta</h1>\n");
    if files.is_empty() {
        body.push_str("<p>Nessun messaggio ancora: prenota un appuntamento con CamOn sul sito della Camera.</p>\n");
    } else {
        body.push_str("<ul>\n");
        for (_, path) in files.iter().take(100) {
            if let Some(m) = read(path) {
                let _ = writeln!(
                    body,
                    "<li><a href=\"/demo-mail/{}\">{}</a><br><small>{} · {}</small></li>",
                    esc(&m.name),
                    esc(&m.subject),
                    esc(&m.to),
                    esc(&m.date)
                );
            }
        }
        body.push_str("</ul>\n");
    }
    page("Posta ricevuta", &body)
}

async fn message(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let Some(files) = messages(&state) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // Only a name the folder lists: no path from the request is opened.
    let Some(m) = files
        .iter()
        .find(|(_, p)| p.file_name().is_some_and(|f| f.to_string_lossy() == name))
        .and_then(|(_, p)| read(p))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let public = state
        .config
        .mail
        .as_ref()
        .map(|m| m.public_base().to_owned())
        .unwrap_or_default();
    let mut text = String::new();
    for line in m.text.lines() {
        let line = line.trim_end();
        if !public.is_empty() && line.starts_with(&public) && !line.contains(char::is_whitespace) {
            let _ = writeln!(text, "<a href=\"{0}\">{0}</a>", esc(line));
        } else {
            let _ = writeln!(text, "{}", esc(line));
        }
    }
    let body = format!(
        "<p><a href=\"/demo-mail\">Torna alla posta</a></p>\n<h1>{}</h1>\n\
         <dl class=\"details\"><dt>A</dt><dd>{}</dd><dt>Data</dt><dd>{}</dd><dt>Allegati</dt><dd>{}</dd></dl>\n\
         <div class=\"card mail\"><pre class=\"mail-text\">{text}</pre></div>\n",
        esc(&m.subject),
        esc(&m.to),
        esc(&m.date),
        esc(&if m.attachments.is_empty() {
            "nessuno".to_owned()
        } else {
            m.attachments.join(", ")
        }),
    );
    page(&m.subject, &body)
}
