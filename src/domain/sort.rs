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
}
