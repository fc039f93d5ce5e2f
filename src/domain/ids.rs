//! Typed ids, so an account id cannot be passed where a membership id is meant.

/// An id from a URL or form: a positive decimal integer (ids without a type of their own: groups,
/// invitations).
pub fn parse_id(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl $name {
            /// Parses an id from a URL or form: a positive decimal integer.
            pub fn parse(text: &str) -> Option<Self> {
                parse_id(text).map(Self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// A person's account, organization-wide.
    AccountId
);
id_type!(
    /// A workspace (tenant).
    WorkspaceId
);
id_type!(
    /// An account's access to one workspace.
    MembershipId
);
id_type!(
    /// A built-in or custom role.
    RoleId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_positive_integers_only() {
        assert_eq!(MembershipId::parse("42"), Some(MembershipId(42)));
        assert_eq!(MembershipId::parse(" 7 "), Some(MembershipId(7)));
        for bad in ["0", "-1", "abc", "", "1.5", "99999999999999999999"] {
            assert_eq!(MembershipId::parse(bad), None, "{bad}");
        }
    }
}
