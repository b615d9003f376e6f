//! Which language the widget speaks.

/// The languages the widget ships texts for. Italian first: Varco is made for
/// Italian public administrations, and Italian is the fallback for any page
/// language it does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    It,
    En,
}

impl Lang {
    /// From a BCP 47 tag as found in `<html lang>` (`it`, `it-IT`, `en-GB`...).
    pub fn from_tag(tag: &str) -> Lang {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::It
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::It => "it",
            Lang::En => "en",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_primary_subtag() {
        assert_eq!(Lang::from_tag("en-GB"), Lang::En);
        assert_eq!(Lang::from_tag("EN"), Lang::En);
        assert_eq!(Lang::from_tag("it-IT"), Lang::It);
        assert_eq!(Lang::from_tag(""), Lang::It);
        assert_eq!(Lang::from_tag("de"), Lang::It);
    }
}
