//! The checked configuration the app starts from (read by `boot`).

use varco_core::config::EmbedOptions;
use varco_core::lang::Lang;
use varco_protocol::SiteConfig;

/// Everything the app needs to render, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Boot {
    pub options: EmbedOptions,
    pub site: SiteConfig,
    pub lang: Lang,
}
