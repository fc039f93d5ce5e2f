//! A workspace's URL slug: the `{slug}` of `/w/{slug}/…`.

use std::fmt;

/// Lower-case letters, digits and single hyphens, 2 to 40 characters, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("Enter a URL name.")]
    Empty,
    #[error("Use 2 to 40 characters.")]
    Length,
    #[error(
        "Use only lower-case letters, digits and single hyphens (a-z, 0-9, -), not at the start or end."
    )]
    Characters,
}

impl Slug {
    pub const MAX_LEN: usize = 40;

    pub fn parse(input: &str) -> Result<Self, SlugError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(SlugError::Empty);
        }
        if !text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            || text.starts_with('-')
            || text.ends_with('-')
            || text.contains("--")
        {
            return Err(SlugError::Characters);
        }
        if text.len() < 2 || text.len() > Self::MAX_LEN {
            return Err(SlugError::Length);
        }
        Ok(Self(text.to_owned()))
    }

    /// A slug suggested from a name ("Acme Corp." → "acme-corp", "Équipe Nord" → "equipe-nord":
    /// letters keep their base letter without the accent), if one can be made.
    pub fn suggest(name: &str) -> Option<Self> {
        use unicode_normalization::UnicodeNormalization;
        use unicode_normalization::char::is_combining_mark;
        let mut out = String::new();
        for c in name
            .nfkd()
            .filter(|c| !is_combining_mark(*c))
            .flat_map(char::to_lowercase)
        {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        let trimmed: String = out
            .trim_end_matches('-')
            .chars()
            .take(Self::MAX_LEN)
            .collect();
        Self::parse(trimmed.trim_end_matches('-')).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Deleting a workspace is confirmed by typing its URL name exactly (spaces around it aside).
pub fn confirms_deletion(slug: &str, typed: &str) -> bool {
    typed.trim() == slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_url_safe_names() {
        for good in ["acme", "acme-corp", "team42", "a1", "x".repeat(40).as_str()] {
            assert!(Slug::parse(good).is_ok(), "{good} refused");
        }
    }

    #[test]
    fn refuses_illegal_characters_and_lengths() {
        assert_eq!(Slug::parse(""), Err(SlugError::Empty));
        assert_eq!(Slug::parse("a"), Err(SlugError::Length));
        assert_eq!(Slug::parse(&"x".repeat(41)), Err(SlugError::Length));
        for bad in [
            "Acme",
            "acme corp",
            "acme_corp",
            "-acme",
            "acme-",
            "ac--me",
            "acmé",
            "a/b",
            "../x",
        ] {
            assert_eq!(
                Slug::parse(bad),
                Err(SlugError::Characters),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn suggests_from_names() {
        assert_eq!(Slug::suggest("Acme Corp.").unwrap().as_str(), "acme-corp");
        assert_eq!(
            Slug::suggest("  R&D -- Team 7 ").unwrap().as_str(),
            "r-d-team-7"
        );
        assert!(Slug::suggest("!!!").is_none());
        // Accents go, the letters stay (it was "n-c-d-t-am").
        assert_eq!(
            Slug::suggest("Ünïcödé Tëam").unwrap().as_str(),
            "unicode-team"
        );
        assert_eq!(
            Slug::suggest("Équipe Nord").unwrap().as_str(),
            "equipe-nord"
        );
        assert_eq!(Slug::suggest("ﬁnance").unwrap().as_str(), "finance");
    }

    #[test]
    fn deletion_is_confirmed_by_the_exact_url_name() {
        assert!(confirms_deletion("acme-labs", "acme-labs"));
        assert!(confirms_deletion("acme-labs", "  acme-labs\n"));
        for wrong in [
            "",
            "acme",
            "Acme-Labs",
            "/w/acme-labs",
            "acme-labs!",
            "acme labs",
        ] {
            assert!(!confirms_deletion("acme-labs", wrong), "{wrong:?}");
        }
    }
}
