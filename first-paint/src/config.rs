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
pub enum Problem<E> {
    /// The embed attributes or the site configuration break a rule.
    Checks(Vec<ConfigError>),
    /// The JSON block does not parse: `E` says why.
    Block { text: String, error: E },
}

/// Reads the embed attributes and the JSON block and checks both.
///
/// `parse` reads the block's text: the light part's small reader
/// (`varco_protocol::json`, no detail on errors) or, in the app,
/// `serde_json`, which says where the mistake is. Either reads the text
/// in one pass (walking the object of `JSON.parse` costs a call into
/// JavaScript per field, and was most of the app's start at 4× CPU: 50 to
/// 80 ms).
pub fn read_config<E>(
    document: &Document,
    script: Option<Element>,
    parse: impl FnOnce(&str) -> Result<SiteConfig, E>,
) -> Result<Boot, Problem<E>> {
    let script = page::embed_script(document, script);
    let options = parse_embed(&page::embed_attributes(script.as_ref()))
        .map_err(|e| Problem::Checks(vec![e]))?;
    let site: SiteConfig = match page::config_block(document) {
        None => SiteConfig::default(),
        Some(text) => match parse(&text) {
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
