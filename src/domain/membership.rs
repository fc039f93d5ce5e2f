//! The lifecycle of PRODUCT §5: membership and account states, and the transitions between them.

use std::fmt;

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $key:literal / $label:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable key stored in the database.
            pub fn key(self) -> &'static str {
                match self { $($name::$variant => $key),+ }
            }

            /// The word shown to people.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn from_key(key: &str) -> Option<Self> {
                match key { $($key => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

text_enum!(
    /// Where a membership is in its lifecycle.
    MembershipStatus {
        Invited => "invited" / "Pending",
        Active => "active" / "Active",
        Suspended => "suspended" / "Suspended",
        Removed => "removed" / "Removed",
    }
);

text_enum!(
    /// An account is blocked organization-wide, or not.
    AccountStatus {
        Active => "active" / "Active",
        Blocked => "blocked" / "Blocked",
    }
);

text_enum!(
    /// A person's role over the whole organization.
    OrgRole {
        Owner => "owner" / "Org owner",
        Admin => "admin" / "Org admin",
        Member => "member" / "Org member",
    }
);

impl OrgRole {
    /// Org owners and admins act as owners in every workspace.
    pub fn administers_all_workspaces(self) -> bool {
        matches!(self, OrgRole::Owner | OrgRole::Admin)
    }
}

/// A lifecycle step of PRODUCT §5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Accept,
    Suspend,
    Unsuspend,
    Remove,
    Restore,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} membership cannot be {}.", a_status(*from), verb(*transition))]
pub struct TransitionRefused {
    pub from: MembershipStatus,
    pub transition: Transition,
}

/// "An active", "A suspended": the status with its article.
fn a_status(status: MembershipStatus) -> String {
    let label = status.label().to_lowercase();
    let article = if label.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "An"
    } else {
        "A"
    };
    format!("{article} {label}")
}

fn verb(t: Transition) -> &'static str {
    match t {
        Transition::Accept => "accepted",
        Transition::Suspend => "suspended",
        Transition::Unsuspend => "unsuspended",
        Transition::Remove => "removed",
        Transition::Restore => "restored",
    }
}

impl MembershipStatus {
    /// The state after `transition`, or why it is not allowed from here.
    pub fn apply(self, transition: Transition) -> Result<MembershipStatus, TransitionRefused> {
        use MembershipStatus::*;
        match (self, transition) {
            (Invited, Transition::Accept) => Ok(Active),
            (Active, Transition::Suspend) => Ok(Suspended),
            (Suspended, Transition::Unsuspend) => Ok(Active),
            (Active | Suspended, Transition::Remove) => Ok(Removed),
            (Removed, Transition::Restore) => Ok(Active),
            (from, transition) => Err(TransitionRefused { from, transition }),
        }
    }

    /// Pending, active and suspended memberships hold a seat (PRODUCT §4.4).
    pub fn holds_seat(self) -> bool {
        matches!(
            self,
            MembershipStatus::Invited | MembershipStatus::Active | MembershipStatus::Suspended
        )
    }
}

/// How long a removed membership can be restored before it is purged (PRODUCT §4.8).
pub const RESTORE_DAYS: i64 = 14;

/// Whether a membership removed at `removed_at` can still be restored at `now`.
pub fn restorable(removed_at: chrono::NaiveDateTime, now: chrono::NaiveDateTime) -> bool {
    now - removed_at <= chrono::Duration::days(RESTORE_DAYS)
}

/// From when the daily purge deletes a membership removed at `removed_at` for good.
pub fn purged_from(removed_at: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    removed_at + chrono::Duration::days(RESTORE_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use MembershipStatus::*;

    /// A removal is restorable for fourteen days, then purged.
    #[test]
    fn a_removal_is_purged_once_it_can_no_longer_be_restored() {
        let removed = chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let from = purged_from(removed);
        assert_eq!(from, removed + chrono::Duration::days(14));
        assert!(restorable(removed, from));
        assert!(!restorable(removed, from + chrono::Duration::seconds(1)));
    }

    /// Every allowed transition: from, by, to.
    const ALLOWED: [(MembershipStatus, Transition, MembershipStatus); 6] = [
        (Invited, Transition::Accept, Active),
        (Active, Transition::Suspend, Suspended),
        (Suspended, Transition::Unsuspend, Active),
        (Active, Transition::Remove, Removed),
        (Suspended, Transition::Remove, Removed),
        (Removed, Transition::Restore, Active),
    ];

    #[test]
    fn allowed_transitions() {
        for (from, by, to) in ALLOWED {
            assert_eq!(from.apply(by), Ok(to), "{from:?} {by:?}");
        }
    }

    #[test]
    fn every_other_transition_is_refused() {
        let allowed = ALLOWED.map(|(from, by, _)| (from, by));
        let all_t = [
            Transition::Accept,
            Transition::Suspend,
            Transition::Unsuspend,
            Transition::Remove,
            Transition::Restore,
        ];
        for from in MembershipStatus::ALL {
            for t in all_t {
                if !allowed.contains(&(*from, t)) {
                    assert!(from.apply(t).is_err(), "{from:?} {t:?} allowed");
                }
            }
        }
        assert_eq!(
            Removed.apply(Transition::Suspend).unwrap_err().to_string(),
            "A removed membership cannot be suspended."
        );
        assert_eq!(
            Active.apply(Transition::Unsuspend).unwrap_err().to_string(),
            "An active membership cannot be unsuspended."
        );
    }

    #[test]
    fn keys_round_trip_and_seats() {
        for s in MembershipStatus::ALL {
            assert_eq!(MembershipStatus::from_key(s.key()), Some(*s));
        }
        assert!(Invited.holds_seat() && Active.holds_seat() && Suspended.holds_seat());
        assert!(!Removed.holds_seat());
        assert_eq!(OrgRole::from_key("admin"), Some(OrgRole::Admin));
        assert_eq!(AccountStatus::from_key("gone"), None);
    }
}
