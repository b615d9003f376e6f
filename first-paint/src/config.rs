//! The checked configuration both modules start from, read from the page.

use crate::page;
use varco_core::config::{check_site_config, parse_embed, ConfigError, EmbedOptions};
use varco_core::lang::Lang;
use varco_protocol::SiteConfig;
use web_sys::{Document, Element};

/// Everything the app needs to render, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Boot {
    pub options: EmbedOptions,
    pub site: SiteConfig,
    pub lang: Lang,
}

/// Why the page's configuration cannot be used. Only the app says it in
/// words (see `widget/src/boot.rs`): the light part falls back to the app,
/// and carries no error formatting.
pub enum Problem {
    /// The embed attributes or the site configuration break a rule.
    Checks(Vec<ConfigError>),
    /// The JSON block does not parse.
    Block {
        text: String,
        error: serde_json::Error,
    },
}

/// Reads the embed attributes and the JSON block and checks both.
///
/// The block is parsed with `serde_json` on its text: one copy into the
/// module and a native parse. (Walking the object of `JSON.parse` costs a
/// call into JavaScript per field, and was most of the app's start at 4×
/// CPU: 50 to 80 ms.)
pub fn read_config(document: &Document, script: Option<Element>) -> Result<Boot, Problem> {
    let script = page::embed_script(document, script);
    let options = parse_embed(&page::embed_attributes(script.as_ref()))
        .map_err(|e| Problem::Checks(vec![e]))?;
    let site: SiteConfig = match page::config_block(document) {
        None => SiteConfig::default(),
        Some(text) => match serde_json::from_str(&text) {
            Ok(site) => site,
            Err(error) => return Err(Problem::Block { text, error }),
        },
    };
    let errors = check_site_config(&site);
    if !errors.is_empty() {
        return Err(Problem::Checks(errors));
    }
    let lang = options.lang.unwrap_or_else(|| page::page_lang(document));
    Ok(Boot {
        options,
        site,
        lang,
    })
}
