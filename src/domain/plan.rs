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

    /// The plan's default seat limit, which is also the most it allows; `None` is unlimited.
    pub fn default_seat_limit(self) -> Option<i64> {
        match self {
            Plan::Free => Some(10),
            Plan::Team => Some(50),
            Plan::Business => Some(500),
            Plan::Enterprise => None,
        }
    }

    /// Whether an owner chooses the seat limit (up to the plan's default); Free's seats are fixed.
    pub fn limit_is_chosen(self) -> bool {
        self != Plan::Free
    }

    /// The largest seat limit one may type on a plan without one of its own: beyond it a limit
    /// means nothing (leave it empty for none).
    pub const MAX_SEATS: i64 = 10_000_000;

    /// The seat limit asked for on this plan, as typed: empty is the plan's default; a number must
    /// be 1 or more and within the plan's default (up to [`Self::MAX_SEATS`] on Enterprise).
    /// `None` is unlimited.
    pub fn seat_limit(self, typed: &str) -> Result<Option<i64>, SeatLimitError> {
        let typed = typed.trim();
        if typed.is_empty() {
            return Ok(self.default_seat_limit());
        }
        let seats = typed
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or(SeatLimitError::NotANumber)?;
        if seats > Self::MAX_SEATS && self.default_seat_limit().is_none() {
            return Err(SeatLimitError::TooMany);
        }
        match self.default_seat_limit() {
            Some(fixed) if !self.limit_is_chosen() && seats != fixed => {
                Err(SeatLimitError::Fixed {
                    plan: self,
                    seats: fixed,
                })
            }
            Some(max) if seats > max => Err(SeatLimitError::AbovePlan { plan: self, max }),
            _ => Ok(Some(seats)),
        }
    }
}

/// Why a typed seat limit does not fit the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SeatLimitError {
    #[error(
        "Enter a whole number of seats (1 or more), or leave this empty for the plan's own limit."
    )]
    NotANumber,
    #[error("At most 10,000,000 seats: leave this empty for no limit.")]
    TooMany,
    #[error("The {plan} plan allows at most {max} seats: choose a larger plan for more.")]
    AbovePlan { plan: Plan, max: i64 },
    #[error("The {plan} plan always has {seats} seats: leave this empty, or choose another plan.")]
    Fixed { plan: Plan, seats: i64 },
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

    #[test]
    fn a_typed_seat_limit_fits_its_plan() {
        assert_eq!(Plan::Team.seat_limit(" 30 "), Ok(Some(30)));
        assert_eq!(
            Plan::Team.seat_limit(""),
            Ok(Some(50)),
            "empty: the plan's own"
        );
        assert_eq!(Plan::Business.seat_limit("500"), Ok(Some(500)));
        assert_eq!(
            Plan::Team.seat_limit("51"),
            Err(SeatLimitError::AbovePlan {
                plan: Plan::Team,
                max: 50
            })
        );
        assert_eq!(Plan::Enterprise.seat_limit(""), Ok(None), "no limit");
        assert_eq!(Plan::Enterprise.seat_limit("20000"), Ok(Some(20_000)));
        assert_eq!(
            Plan::Enterprise.seat_limit("9223372036854775807"),
            Err(SeatLimitError::TooMany)
        );
        assert_eq!(Plan::Free.seat_limit(""), Ok(Some(10)));
        assert_eq!(Plan::Free.seat_limit("10"), Ok(Some(10)));
        assert_eq!(
            Plan::Free.seat_limit("8").unwrap_err().to_string(),
            "The Free plan always has 10 seats: leave this empty, or choose another plan."
        );
        for bad in ["0", "-3", "ten", "2.5", "9999999999999999999999"] {
            assert_eq!(
                Plan::Team.seat_limit(bad),
                Err(SeatLimitError::NotANumber),
                "{bad}"
            );
        }
    }
}
