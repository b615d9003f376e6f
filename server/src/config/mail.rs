//! `[mail]`: the SMTP server that carries the booking e-mails, who they
//! come from, where the links in them point, and the reminder.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailSecurity {
    /// Plain SMTP, upgraded with STARTTLS, which is required (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte ("SMTPS", port 465).
    Tls,
    /// No encryption: only for a relay on this machine (127.0.0.1,
    /// localhost), such as a local postfix or the demo's catcher.
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// The SMTP server's host name.
    pub host: String,
    /// Default: 587 with STARTTLS, 465 with TLS, 25 without.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub security: MailSecurity,
    /// The SMTP login, if the server asks for one; its password comes from
    /// `password_env` or `password_file`, never from this file.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// The sender, `Name <address>` («Camera di commercio <prenotazioni@...>»).
    pub from: String,
    /// Where visitors reach this server (`https://HOST`, with a path
    /// prefix if nginx adds one): the links in the e-mails start with it.
    pub public_url: String,
    /// Hours before the appointment that the reminder is sent; 0: none.
    /// A booking made later than that gets no reminder.
    #[serde(default = "default_reminder_hours")]
    pub reminder_hours: u32,
    /// The first retry after a failure; each next one waits twice as long,
    /// up to an hour.
    #[serde(default = "default_retry_first_seconds")]
    pub retry_first_seconds: u64,
    /// A message not accepted by then is given up (logged and counted).
    #[serde(default = "default_give_up_after_hours")]
    pub give_up_after_hours: u64,
    /// One SMTP conversation at most this long.
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: u64,
}

fn default_reminder_hours() -> u32 {
    24
}
fn default_retry_first_seconds() -> u64 {
    30
}
fn default_give_up_after_hours() -> u64 {
    72
}
fn default_timeout_seconds() -> u64 {
    30
}

impl MailConfig {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            MailSecurity::Starttls => 587,
            MailSecurity::Tls => 465,
            MailSecurity::None => 25,
        })
    }

    /// `public_url` without its trailing slash.
    pub fn public_base(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }

    /// Relative paths resolved against the configuration's folder.
    pub fn resolved(self, base: &Path) -> MailConfig {
        MailConfig {
            password_file: self.password_file.map(
                |f| {
                    if f.is_absolute() {
                        f
                    } else {
                        base.join(f)
                    }
                },
            ),
            ..self
        }
    }

    /// The SMTP password, read now from the environment or the file.
    pub fn password(&self) -> anyhow::Result<Option<String>> {
        if let Some(var) = &self.password_env {
            return match std::env::var(var) {
                Ok(v) if !v.is_empty() => Ok(Some(v)),
                _ => anyhow::bail!("mail.password_env: the environment variable {var} is not set"),
            };
        }
        if let Some(file) = &self.password_file {
            let text = std::fs::read_to_string(file).map_err(|e| {
                anyhow::anyhow!("mail.password_file: cannot read {}: {e}", file.display())
            })?;
            return Ok(Some(text.trim_end_matches(['\r', '\n']).to_owned()));
        }
        Ok(None)
    }

    /// Every problem, each naming its key under `mail.`.
    pub fn check(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.host.trim().is_empty() {
            errors.push("host: must not be empty".to_owned());
        }
        let local = matches!(self.host.as_str(), "127.0.0.1" | "localhost" | "::1");
        if self.security == MailSecurity::None && !local {
            errors.push(format!(
                "security: \"none\" only for a relay on this machine (127.0.0.1 or localhost); \
                 {:?} must be reached with \"starttls\" or \"tls\": the e-mails hold personal data",
                self.host
            ));
        }
        if self.password_env.is_some() && self.password_file.is_some() {
            errors.push("set either password_env or password_file, not both".to_owned());
        }
        if (self.password_env.is_some() || self.password_file.is_some()) && self.username.is_none()
        {
            errors.push("username: needed with a password".to_owned());
        }
        if let Err(e) = self.from.parse::<lettre::message::Mailbox>() {
            errors.push(format!(
                "from: {:?} is not an address (`Name <address@example.it>`): {e}",
                self.from
            ));
        }
        let url = self.public_base();
        let local_url = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| {
                url.strip_prefix(p)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
            });
        let host_part = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap_or("");
        if !(url.starts_with("https://") || local_url)
            || host_part.is_empty()
            || host_part.contains(['?', '#', ' '])
        {
            errors.push(format!(
                "public_url: {:?} must be the https:// address where visitors reach this server \
                 (plain http only for 127.0.0.1 or localhost), without ? or #",
                self.public_url
            ));
        }
        if self.reminder_hours > 24 * 14 {
            errors.push("reminder_hours: at most 336 (two weeks)".to_owned());
        }
        if !(1..=3600).contains(&self.retry_first_seconds) {
            errors.push("retry_first_seconds: must be 1 to 3600".to_owned());
        }
        if !(1..=24 * 14).contains(&self.give_up_after_hours) {
            errors.push("give_up_after_hours: must be 1 to 336".to_owned());
        }
        if !(1..=300).contains(&self.timeout_seconds) {
            errors.push("timeout_seconds: must be 1 to 300".to_owned());
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(extra: &str) -> MailConfig {
        toml::from_str(&format!(
            "host = \"smtp.example.it\"\nfrom = \"Camera <prenotazioni@example.it>\"\npublic_url = \"https://varco.example.it/\"\n{extra}"
        ))
        .unwrap()
    }

    #[test]
    fn a_plain_configuration_is_valid_with_its_defaults() {
        let mail = parse("");
        assert!(mail.check().is_empty(), "{:?}", mail.check());
        assert_eq!(mail.port(), 587);
        assert_eq!(mail.public_base(), "https://varco.example.it");
        assert_eq!(mail.reminder_hours, 24);
    }

    #[test]
    fn each_mistake_names_its_key() {
        let mail = parse("security = \"none\"\npassword_env = \"X\"");
        let errors = mail.check().join("\n");
        assert!(errors.contains("security:"), "{errors}");
        assert!(errors.contains("username:"), "{errors}");
        let mut mail = parse("");
        mail.from = "not an address".into();
        mail.public_url = "ftp://x".into();
        let errors = mail.check().join("\n");
        assert!(errors.contains("from:"), "{errors}");
        assert!(errors.contains("public_url:"), "{errors}");
        let mut mail = parse("security = \"none\"");
        mail.host = "127.0.0.1".into();
        mail.public_url = "http://127.0.0.1:8080".into();
        assert!(mail.check().is_empty(), "{:?}", mail.check());
        assert_eq!(mail.port(), 25);
    }
}
