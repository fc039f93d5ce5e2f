//! Reading a workspace's members.

use chrono::{Duration, NaiveDateTime};

use crate::db::AnyConnection;
use crate::domain::SearchTerm;
use crate::domain::ids::WorkspaceId;
use crate::domain::membership::MembershipStatus;
use crate::domain::sort::MemberSort;
use crate::store::invitations::{self, PendingInfo};
use crate::store::memberships::{self, ListFilter, MemberPage};
/// Reads the pages and the API share: one member with what their page shows, a list's cursor.
pub use crate::store::memberships::{
    Cursor, MemberDetail, MemberRow, ScimUser, detail, scim_user, scim_users,
};
use crate::store::roles;

pub const PAGE_SIZE: i64 = 50;

/// The status menu's choice of people without two-factor sign-in.
pub const TWO_FACTOR_OFF: &str = "two_factor_off";

/// The list's filters as they come from the address bar (kept as typed for the links).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct FilterParams {
    pub q: SearchTerm,
    pub status: String,
    pub role: String,
    pub group: String,
    /// Dormant members: not active for this many days (never-active ones included).
    pub inactive_days: String,
    /// An order (`-last_active`); empty or unknown is by name.
    pub sort: String,
}

impl FilterParams {
    pub fn sort(&self) -> MemberSort {
        MemberSort::parse(&self.sort).unwrap_or_default()
    }

    /// The non-empty parameters, as links carry them.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("q", self.q.as_str()),
            ("status", &self.status),
            ("role", &self.role),
            ("group", &self.group),
            ("inactive_days", &self.inactive_days),
            ("sort", &self.sort),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| (key, value.to_owned()))
        .collect()
    }

    /// No search and no filter (an order is not a filter).
    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
            && self.status.is_empty()
            && self.role.is_empty()
            && self.group.is_empty()
            && self.inactive_days.is_empty()
    }

    /// The dormancy asked for: 1 to 3,650 days (anything else is refused by [`resolve_filter`]).
    pub fn inactive_days(&self) -> Option<i64> {
        self.inactive_days
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|days| (1..=MAX_INACTIVE_DAYS).contains(days))
    }
}

/// The longest dormancy the filter takes (ten years).
pub const MAX_INACTIVE_DAYS: i64 = 3_650;

/// A filter value the list does not know (a typo, or a role or group deleted since the link was
/// made). It matches nobody: the list says so, and an export or a bulk action is refused, rather
/// than the filter widening to everyone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnknownFilter {
    #[error("“{0}” is not a status the list filters by.")]
    Status(String),
    #[error("No role “{0}” in this workspace: it may have been deleted since.")]
    Role(String),
    #[error("No group with id “{0}” in this workspace: it may have been deleted since.")]
    Group(String),
    #[error("Inactivity is in whole days, from 1 to 3,650 (“{0}”).")]
    InactiveDays(String),
}

impl UnknownFilter {
    /// The query parameter it came in.
    pub fn param(&self) -> &'static str {
        match self {
            Self::Status(_) => "status",
            Self::Role(_) => "role",
            Self::Group(_) => "group",
            Self::InactiveDays(_) => "inactive_days",
        }
    }
}

/// Reads the filters, each value known to this workspace, or the first one that is not.
/// Dormancy counts back from `now`.
pub fn resolve_filter(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    params: &FilterParams,
    now: NaiveDateTime,
) -> Result<Result<ListFilter, UnknownFilter>, diesel::result::Error> {
    let status = match params.status.as_str() {
        "" | "blocked" | TWO_FACTOR_OFF => None,
        "pending" => Some(MembershipStatus::Invited),
        key => match MembershipStatus::from_key(key) {
            Some(status) => Some(status),
            None => return Ok(Err(UnknownFilter::Status(params.status.clone()))),
        },
    };
    let role = if params.role.is_empty() {
        None
    } else {
        match roles::choices(conn, workspace)?
            .into_iter()
            .find(|r| r.key == params.role)
        {
            Some(r) => Some(r.id),
            None => return Ok(Err(UnknownFilter::Role(params.role.clone()))),
        }
    };
    let group = if params.group.is_empty() {
        None
    } else {
        let found = match params.group.parse() {
            Ok(id) => crate::store::groups::find(conn, workspace, id)?,
            Err(_) => None,
        };
        match found {
            Some(g) => Some(crate::store::memberships::GroupFilter {
                id: g.id,
                members: g.member_count,
            }),
            None => return Ok(Err(UnknownFilter::Group(params.group.clone()))),
        }
    };
    let inactive_days = params.inactive_days();
    if inactive_days.is_none() && !params.inactive_days.trim().is_empty() {
        return Ok(Err(UnknownFilter::InactiveDays(
            params.inactive_days.clone(),
        )));
    }
    Ok(Ok(ListFilter {
        search: params.q.non_empty(),
        status,
        role,
        group,
        blocked: params.status == "blocked",
        two_factor_off: params.status == TWO_FACTOR_OFF,
        inactive_before: inactive_days.map(|days| now - Duration::days(days)),
        ..Default::default()
    }))
}

/// The most dormant members counted for the list's summary ("more than 10,000").
pub const DORMANT_COUNT_CAP: i64 = 10_000;

/// How many members hold a seat and have not been active since `cutoff` (never-active ones
/// included), the seats a clean-up can free: `Some(n)`, or `None` for more than
/// [`DORMANT_COUNT_CAP`].
pub fn dormant_seats(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    cutoff: NaiveDateTime,
) -> Result<Option<i64>, diesel::result::Error> {
    let counted = memberships::dormant_count(conn, workspace, cutoff, DORMANT_COUNT_CAP + 1)?;
    Ok((counted <= DORMANT_COUNT_CAP).then_some(counted))
}

/// One page of the users list, and pending members' delivery details.
#[derive(Default)]
pub struct ListPage {
    pub page: MemberPage,
    pub pending: Vec<PendingInfo>,
}

/// A page of the users list with its pending members' delivery details.
pub fn with_pending(
    conn: &mut AnyConnection,
    page: MemberPage,
) -> Result<ListPage, diesel::result::Error> {
    let invited: Vec<_> = page
        .rows
        .iter()
        .filter(|r| r.status == MembershipStatus::Invited)
        .map(|r| r.id)
        .collect();
    let pending = invitations::pending_for(conn, &invited)?;
    Ok(ListPage { page, pending })
}
