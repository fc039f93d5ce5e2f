//! What a person typed into a search box, made safe to hand to a query: control characters (NUL,
//! C0, DEL, C1 — none of them can be typed into a search on purpose, and NUL breaks SQLite's
//! full-text query) are dropped, whitespace is trimmed, and at most 200 characters are kept. A
//! search of only control characters is an empty search. Query strings deserialize into it, so
//! no handler sees the raw term.

use std::fmt;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(from = "String", into = "String")]
pub struct SearchTerm(String);

impl SearchTerm {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Self {
        let kept: String = raw.chars().filter(|c| !c.is_control()).collect();
        Self(kept.trim().chars().take(Self::MAX_CHARS).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `None` for an empty search.
    pub fn non_empty(&self) -> Option<String> {
        (!self.is_empty()).then(|| self.0.clone())
    }
}

impl From<String> for SearchTerm {
    fn from(raw: String) -> Self {
        Self::parse(&raw)
    }
}

impl From<SearchTerm> for String {
    fn from(term: SearchTerm) -> Self {
        term.0
    }
}

impl fmt::Display for SearchTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_control_characters_and_trims() {
        assert_eq!(SearchTerm::parse(" ada\0 ").as_str(), "ada");
        assert_eq!(SearchTerm::parse("a\u{1}d\u{7f}a\u{85}").as_str(), "ada");
        assert_eq!(
            SearchTerm::parse("\t ada lovelace\n").as_str(),
            "ada lovelace"
        );
    }

    #[test]
    fn only_control_characters_is_an_empty_search() {
        assert!(SearchTerm::parse("\0\u{1b}\u{9b}").is_empty());
        assert_eq!(SearchTerm::parse("\0").non_empty(), None);
    }

    #[test]
    fn keeps_what_people_type() {
        for text in ["Zoë", "ﺃﺣﻤﺪ", "👩‍💻", "o'brien", "50%_off"] {
            assert_eq!(SearchTerm::parse(text).as_str(), text);
        }
    }

    #[test]
    fn keeps_at_most_200_characters() {
        assert_eq!(
            SearchTerm::parse(&"é".repeat(500)).as_str().chars().count(),
            200
        );
    }

    #[test]
    fn deserializes_from_a_query_string() {
        #[derive(serde::Deserialize)]
        struct Query {
            q: SearchTerm,
        }
        let query: Query = serde_html_form::from_str("q=ad%00a").unwrap();
        assert_eq!(query.q.as_str(), "ada");
    }
}
