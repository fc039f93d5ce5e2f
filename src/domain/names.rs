//! Human-entered names (of people, workspaces, the organization, groups and roles) and descriptions.

use std::fmt;

/// A trimmed name of at most 100 characters that shows something, with no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("This field is required.")]
    Empty,
    #[error("Use 100 characters at most.")]
    TooLong,
    #[error("Remove the control characters (tabs, line breaks) from this field.")]
    ControlCharacters,
    #[error("Remove the invisible characters that reverse the text's direction from this field.")]
    DirectionOverride,
    /// U+FFFD: what a browser or a decoder puts where it could not read the bytes sent.
    #[error("Remove the characters that could not be read (shown as �) from this field.")]
    Unreadable,
    /// Only characters that show as nothing (zero-width spaces, a blank Braille pattern).
    #[error("Type a name that shows: this one is made of invisible characters only.")]
    ShowsNothing,
    /// A label chosen from a list holds characters that show as nothing.
    #[error(
        "This name holds an invisible character (a zero-width space or the like, often pasted \
         with the text), so it would list as another name: type it again."
    )]
    Invisible,
}

/// Characters that show as nothing (Unicode's default-ignorable code points): "Support" with a
/// zero-width space inside reads as Support in every list, and would be another group.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Whether the invisible character at `at` is part of an emoji: a variation selector (U+FE0E,
/// U+FE0F) after a symbol ("❤️"), a zero-width joiner (U+200D) between two ("👩‍💻", "❤️‍🔥").
/// Beside letters they would only hide ("Fin\u{200D}ance").
fn part_of_emoji(chars: &[char], at: usize) -> bool {
    let symbol = |c: &char| !c.is_ascii() && !c.is_alphanumeric() && !is_blank(*c);
    // The nearest character that shows, before `at` (past the selectors of an emoji).
    let before = chars[..at]
        .iter()
        .rev()
        .find(|c| !matches!(c, '\u{FE0E}' | '\u{FE0F}'));
    match chars[at] {
        '\u{FE0E}' | '\u{FE0F}' => before.is_some_and(symbol),
        '\u{200D}' => before.is_some_and(symbol) && chars.get(at + 1).is_some_and(symbol),
        _ => false,
    }
}

/// A character that shows as nothing, or as a blank: invisible, a space, the blank Braille
/// pattern (U+2800).
pub fn is_blank(c: char) -> bool {
    is_invisible(c) || c.is_whitespace() || c == '\u{2800}'
}

impl Name {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<Self, NameError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(NameError::Empty);
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(NameError::TooLong);
        }
        if let Some(refused) = text.chars().find_map(Self::refusal) {
            return Err(refused);
        }
        if text.chars().all(is_blank) {
            return Err(NameError::ShowsNothing);
        }
        Ok(Self(text.to_owned()))
    }

    /// The name of something picked from a list beside others (a group, an app, a role): no
    /// invisible characters either, whose names would look the same as another's. (A person's
    /// name may need the joiners of Persian and Indic scripts.)
    pub fn parse_label(input: &str) -> Result<Self, NameError> {
        let name = Self::parse(input)?;
        let chars: Vec<char> = name.0.chars().collect();
        let hidden =
            (0..chars.len()).any(|at| is_invisible(chars[at]) && !part_of_emoji(&chars, at));
        if hidden {
            return Err(NameError::Invisible);
        }
        Ok(name)
    }

    /// Why a name may not hold `c`, if it may not: control characters, and the line and
    /// paragraph separators that break lines as they do; embeddings, overrides and isolates,
    /// which make a name show as another (U+202E before "nimda" shows "admin"). The marks
    /// (U+200E, U+200F) that right-to-left names may need are kept.
    pub fn refusal(c: char) -> Option<NameError> {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            Some(NameError::ControlCharacters)
        } else if matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
            Some(NameError::DirectionOverride)
        } else if c == char::REPLACEMENT_CHARACTER {
            Some(NameError::Unreadable)
        } else {
            None
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a group or a role is for, as typed: trimmed, at most 500 characters, possibly empty. Line
/// breaks are kept (it is shown as a paragraph); other control characters are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Description(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DescriptionError {
    #[error("Use 500 characters at most.")]
    TooLong,
    #[error("Remove the control characters (tabs and the like) from this field.")]
    ControlCharacters,
}

impl Description {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(input: &str) -> Result<Self, DescriptionError> {
        let text = input.trim().replace("\r\n", "\n");
        if text.chars().count() > Self::MAX_CHARS {
            return Err(DescriptionError::TooLong);
        }
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(DescriptionError::ControlCharacters);
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Description {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why someone was suspended, blocked or removed, as typed: the rules of a [`Description`]
/// (at most 500 characters, line breaks kept); an empty one is no reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(Description);

impl Reason {
    pub fn parse(input: &str) -> Result<Option<Self>, DescriptionError> {
        let text = Description::parse(input)?;
        Ok((!text.as_str().is_empty()).then_some(Self(text)))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// The key a member list is ordered by: the [`display_name`], lower-cased.
pub fn sort_key(first_name: &str, last_name: &str, email: &str) -> String {
    display_name(first_name, last_name, email).to_lowercase()
}

/// "Ada Lovelace", or the email for someone who has not given a name yet.
pub fn display_name(first_name: &str, last_name: &str, email: &str) -> String {
    let full = format!("{} {}", first_name.trim(), last_name.trim());
    let full = full.trim();
    if full.is_empty() {
        email.to_owned()
    } else {
        full.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_optional_and_short() {
        assert_eq!(Reason::parse("  \n ").unwrap(), None);
        assert_eq!(
            Reason::parse(" Left the company\r\nlast week ")
                .unwrap()
                .unwrap()
                .as_str(),
            "Left the company\nlast week"
        );
        assert_eq!(
            Reason::parse(&"x".repeat(501)),
            Err(DescriptionError::TooLong)
        );
        assert_eq!(
            Reason::parse("a\u{0}b"),
            Err(DescriptionError::ControlCharacters)
        );
    }

    #[test]
    fn trims_and_limits() {
        assert_eq!(Name::parse("  Ada ").unwrap().as_str(), "Ada");
        assert_eq!(Name::parse(" \t "), Err(NameError::Empty));
        assert_eq!(
            Name::parse(&"é".repeat(100))
                .unwrap()
                .as_str()
                .chars()
                .count(),
            100
        );
        assert_eq!(Name::parse(&"é".repeat(101)), Err(NameError::TooLong));
        for spoof in ["\u{202E}nimda", "Ada\u{2066}x\u{2069}", "\u{202A}Ada"] {
            assert_eq!(Name::parse(spoof), Err(NameError::DirectionOverride));
        }
        assert!(Name::parse("\u{200F}שרה\u{200E}").is_ok(), "marks are kept");
        // What a form with bytes that are not UTF-8 decodes to.
        assert_eq!(Name::parse("\u{FFFD}\u{FFFD}"), Err(NameError::Unreadable));
        assert_eq!(
            Name::parse("Ada\nLovelace"),
            Err(NameError::ControlCharacters)
        );
    }

    #[test]
    fn a_name_shows_and_a_label_holds_nothing_invisible() {
        for blank in [
            "\u{200B}\u{200B}",
            "\u{2800}",
            "\u{3164}",
            "\u{200B} \u{2060}",
        ] {
            assert_eq!(
                Name::parse(blank),
                Err(NameError::ShowsNothing),
                "{blank:?}"
            );
            assert_eq!(Name::parse_label(blank), Err(NameError::ShowsNothing));
        }
        // A person's name may hold a zero-width non-joiner (Persian); a group's may not.
        let persian = "\u{0645}\u{06CC}\u{200C}\u{0634}\u{0648}\u{062F}";
        assert!(Name::parse(persian).is_ok());
        for label in ["Sup\u{200B}port", "Support\u{FEFF}", persian] {
            assert_eq!(
                Name::parse_label(label),
                Err(NameError::Invisible),
                "{label:?}"
            );
        }
        assert_eq!(
            Name::parse_label("Équipe support").unwrap().as_str(),
            "Équipe support"
        );
        // An emoji's own selectors and joiners are part of it; beside letters they only hide.
        for emoji in [
            "\u{2764}\u{FE0F} Team",
            "\u{1F469}\u{200D}\u{1F4BB} Engineers",
            "\u{2764}\u{FE0F}\u{200D}\u{1F525} Fans",
        ] {
            assert!(Name::parse_label(emoji).is_ok(), "{emoji:?}");
        }
        for hiding in [
            "Fin\u{200D}ance",
            "Team\u{FE0F}",
            "\u{1F469}\u{200D}x",
            "a\u{200D}\u{1F4BB}",
        ] {
            assert_eq!(
                Name::parse_label(hiding),
                Err(NameError::Invisible),
                "{hiding:?}"
            );
        }
    }

    #[test]
    fn descriptions_are_trimmed_limited_and_may_be_empty() {
        assert_eq!(Description::parse("  ").unwrap().as_str(), "");
        assert_eq!(
            Description::parse(" Pays people\r\nmonthly ")
                .unwrap()
                .as_str(),
            "Pays people\nmonthly"
        );
        assert!(Description::parse(&"é".repeat(500)).is_ok());
        assert_eq!(
            Description::parse(&"é".repeat(501)),
            Err(DescriptionError::TooLong)
        );
        assert_eq!(
            Description::parse("a\tb"),
            Err(DescriptionError::ControlCharacters)
        );
    }

    #[test]
    fn sort_key_and_display_fall_back_to_email() {
        assert_eq!(
            sort_key("Ada", "Lovelace", "ada@example.com"),
            "ada lovelace"
        );
        assert_eq!(sort_key("", "", "Ada@Example.com"), "ada@example.com");
        assert_eq!(display_name("", "Lovelace", "a@example.com"), "Lovelace");
        assert_eq!(display_name(" ", "", "a@example.com"), "a@example.com");
    }
}
