//! The users list's orders, as the address bar spells them (`sort=-last_active`: a leading minus
//! is descending). Every order ends with the membership id, so pages never overlap.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortKey {
    #[default]
    Name,
    Email,
    LastActive,
    Joined,
}

impl SortKey {
    fn key(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Email => "email",
            Self::LastActive => "last_active",
            Self::Joined => "joined",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemberSort {
    pub key: SortKey,
    pub descending: bool,
}

impl MemberSort {
    /// The orders offered, as the sort menu lists them.
    pub const CHOICES: [Self; 8] = [
        Self::new(SortKey::Name, false),
        Self::new(SortKey::Name, true),
        Self::new(SortKey::Email, false),
        Self::new(SortKey::Email, true),
        Self::new(SortKey::LastActive, true),
        Self::new(SortKey::LastActive, false),
        Self::new(SortKey::Joined, true),
        Self::new(SortKey::Joined, false),
    ];

    pub const fn new(key: SortKey, descending: bool) -> Self {
        Self { key, descending }
    }

    /// `name`, `-name`, `email`, … ; anything else is not an order.
    pub fn parse(value: &str) -> Option<Self> {
        Self::CHOICES.into_iter().find(|s| s.param() == value)
    }

    /// The value in the address bar.
    pub fn param(self) -> String {
        format!(
            "{}{}",
            if self.descending { "-" } else { "" },
            self.key.key()
        )
    }

    pub fn is_default(self) -> bool {
        self == Self::default()
    }

    pub fn label(self) -> &'static str {
        match (self.key, self.descending) {
            (SortKey::Name, false) => "Name, A to Z",
            (SortKey::Name, true) => "Name, Z to A",
            (SortKey::Email, false) => "Email, A to Z",
            (SortKey::Email, true) => "Email, Z to A",
            (SortKey::LastActive, true) => "Recently active first",
            (SortKey::LastActive, false) => "Least recently active first",
            (SortKey::Joined, true) => "Newest members first",
            (SortKey::Joined, false) => "Longest-standing members first",
        }
    }

    /// For a column header's `aria-sort`.
    pub fn aria(self) -> &'static str {
        if self.descending {
            "descending"
        } else {
            "ascending"
        }
    }
}

/// Where a row stood in a time order (last active, joined) when its page was read. A page's links
/// carry it beside the row's id, so that the next page starts there even when the row has moved
/// since (its person signed in): read again from the row, the page would skip or repeat people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeAnchor(pub Option<chrono::NaiveDateTime>);

impl TimeAnchor {
    const FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.f";

    /// `2026-12-06T23:41:16.107506`, or `never` (no time: first in the order).
    pub fn parse(text: &str) -> Option<Self> {
        use chrono::Datelike;
        match text.trim() {
            "never" => Some(Self(None)),
            typed => chrono::NaiveDateTime::parse_from_str(typed, Self::FORMAT)
                .ok()
                .filter(|at| (1..=9999).contains(&at.year()))
                .map(|at| Self(Some(at))),
        }
    }

    /// As [`TimeAnchor::parse`] reads it.
    pub fn param(self) -> String {
        match self.0 {
            None => "never".to_owned(),
            Some(at) => at.format(Self::FORMAT).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_choice_reads_back_from_its_param() {
        for sort in MemberSort::CHOICES {
            assert_eq!(MemberSort::parse(&sort.param()), Some(sort));
        }
        assert_eq!(MemberSort::parse("name"), Some(MemberSort::default()));
        assert_eq!(
            MemberSort::parse("-last_active"),
            Some(MemberSort::new(SortKey::LastActive, true))
        );
    }

    #[test]
    fn unknown_orders_are_refused() {
        for bad in [
            "",
            "-",
            "Name",
            "--name",
            "name ",
            "id",
            "-created",
            "joined;drop",
        ] {
            assert_eq!(MemberSort::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_default_is_name_ascending() {
        assert!(MemberSort::default().is_default());
        assert_eq!(MemberSort::default().param(), "name");
        assert!(!MemberSort::new(SortKey::Name, true).is_default());
    }

    #[test]
    fn a_time_anchor_reads_what_it_writes() {
        for text in ["never", "2026-12-06T23:41:16.107506", "2026-12-06T23:41:16"] {
            assert_eq!(TimeAnchor::parse(text).unwrap().param(), text);
        }
        for bad in [
            "",
            "yesterday",
            "2026-12-06 23:41:16",
            "-5000-01-01T00:00:00",
        ] {
            assert_eq!(TimeAnchor::parse(bad), None, "{bad}");
        }
    }
}
