//! Workspace plans and their seat limits (PRODUCT §4.4).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Plan {
    Free,
    Team,
    Business,
    Enterprise,
}

impl Plan {
    pub const ALL: [Plan; 4] = [Plan::Free, Plan::Team, Plan::Business, Plan::Enterprise];

    pub fn key(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Team => "team",
            Plan::Business => "business",
            Plan::Enterprise => "enterprise",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Plan::Free => "Free",
            Plan::Team => "Team",
            Plan::Business => "Business",
            Plan::Enterprise => "Enterprise",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }

    /// The plan's default seat limit; `None` is unlimited.
    pub fn default_seat_limit(self) -> Option<i64> {
        match self {
            Plan::Free => Some(10),
            Plan::Team => Some(50),
            Plan::Business => Some(500),
            Plan::Enterprise => None,
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seat_limits_of_the_product() {
        assert_eq!(Plan::Free.default_seat_limit(), Some(10));
        assert_eq!(Plan::Team.default_seat_limit(), Some(50));
        assert_eq!(Plan::Business.default_seat_limit(), Some(500));
        assert_eq!(Plan::Enterprise.default_seat_limit(), None);
        for p in Plan::ALL {
            assert_eq!(Plan::from_key(p.key()), Some(p));
        }
    }
}
