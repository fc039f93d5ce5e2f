//! Groups: named sets of a workspace's members (PRODUCT §2, issue 6). Names are [`super::Name`]s,
//! unique per workspace regardless of case (the database's unique index says so too).

use std::fmt;

/// What a group is for, as typed: trimmed, at most 500 characters, possibly empty. Line breaks are
/// kept (it is shown as a paragraph); other control characters are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Description(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DescriptionError {
    #[error("Use 500 characters at most.")]
    TooLong,
    #[error("Remove the control characters (tabs and the like) from the description.")]
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

/// What adding a pasted list of addresses to a group did, address by address.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BulkAdd {
    pub added: Vec<String>,
    pub already: Vec<String>,
    /// Addresses of nobody in the workspace (or of removed members).
    pub not_members: Vec<String>,
}

impl BulkAdd {
    /// "Added 2 members. Already in the group: a@x. Not members of this workspace: b@x."
    pub fn summary(&self) -> String {
        let mut parts = vec![match self.added.len() {
            0 => "Nobody was added.".to_owned(),
            1 => "Added 1 member.".to_owned(),
            n => format!("Added {n} members."),
        }];
        if !self.already.is_empty() {
            parts.push(format!(
                "Already in the group: {}.",
                self.already.join(", ")
            ));
        }
        if !self.not_members.is_empty() {
            parts.push(format!(
                "Not members of this workspace: {}.",
                self.not_members.join(", ")
            ));
        }
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn bulk_summaries_name_each_kind_of_address() {
        let none = BulkAdd::default();
        assert_eq!(none.summary(), "Nobody was added.");
        let all = BulkAdd {
            added: vec!["a@x.io".into(), "b@x.io".into()],
            already: vec!["c@x.io".into()],
            not_members: vec!["d@x.io".into(), "e@x.io".into()],
        };
        assert_eq!(
            all.summary(),
            "Added 2 members. Already in the group: c@x.io. Not members of this workspace: d@x.io, e@x.io."
        );
    }
}
