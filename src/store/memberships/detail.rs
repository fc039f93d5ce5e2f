//! A member as the user console shows them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::memberships;
use crate::domain::ids::{AccountId, MembershipId, RoleId, WorkspaceId};
use crate::domain::membership::{AccountStatus, MembershipStatus, OrgRole};
use crate::domain::names::display_name;
use crate::domain::policy::{Target, TargetMembership};
use crate::domain::role::PermissionSet;
use crate::store::{AnyConnection, QueryResult, parse_key, stored_permissions};

use super::Person;

/// A member as the user console shows them.
#[derive(Debug, Clone)]
pub struct MemberDetail {
    pub id: MembershipId,
    pub account_id: AccountId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub timezone: String,
    pub account_status: AccountStatus,
    pub account_created_at: NaiveDateTime,
    /// The last change to their account or to this membership.
    pub updated_at: NaiveDateTime,
    pub role_id: RoleId,
    pub role_name: String,
    pub role_permissions: PermissionSet,
    pub status: MembershipStatus,
    pub invited_by: Option<String>,
    pub joined_at: Option<NaiveDateTime>,
    pub last_active_at: Option<NaiveDateTime>,
    pub avatar_key: Option<String>,
    pub org_role: OrgRole,
    /// Workspaces other than this one where the account holds a membership (of any status).
    pub other_workspaces: i64,
    /// When they turned on two-factor sign-in (`None`: off).
    pub two_factor_since: Option<NaiveDateTime>,
    /// Their account's sign-in pause as last recorded (until when, after how many failures); one
    /// that has ended is over (see [`Self::sign_in_paused`]).
    sign_in_pause: Option<(NaiveDateTime, i64)>,
    /// A change of their address waiting for its confirmation: the new address, asked for when.
    pub pending_email: Option<(String, NaiveDateTime)>,
    /// Whether their account has a password (someone invited who had no account has none yet).
    pub has_password: bool,
    /// Their pending invitation (invited members): what resending and revoking name.
    pub invitation_id: Option<i64>,
    /// A workspace of which their account is the last active Owner (blocking it is refused).
    pub sole_owner_of: Option<String>,
    /// When the membership was removed (removed members: restorable for `RESTORE_DAYS` after).
    pub removed_at: Option<NaiveDateTime>,
}

impl MemberDetail {
    /// Until when their account may not sign in, after how many failures, if it is paused `now`.
    pub fn sign_in_paused(&self, now: NaiveDateTime) -> Option<(NaiveDateTime, i64)> {
        self.sign_in_pause.filter(|(until, _)| *until > now)
    }

    /// Their name as the console shows it.
    pub fn name(&self) -> String {
        display_name(&self.first_name, &self.last_name, &self.email)
    }

    /// The member as the policy judges them, named `name` (see [`Self::name`]).
    pub fn target<'a>(&'a self, name: &'a str) -> Target<'a> {
        Target {
            account: self.account_id,
            name,
            org_role: self.org_role,
            account_status: self.account_status,
            has_password: self.has_password,
            membership: Some(TargetMembership {
                role_name: &self.role_name,
                role: self.role_permissions,
                status: self.status,
            }),
            other_workspaces: self.other_workspaces,
            sole_owner_of: self.sole_owner_of.as_deref(),
        }
    }
}

/// The columns [`detail`] reads, in the order it selects them.
#[derive(Queryable)]
pub(in crate::store) struct Row {
    person: Person,
    timezone: String,
    account_status: String,
    account_created_at: NaiveDateTime,
    account_updated_at: NaiveDateTime,
    membership_updated_at: NaiveDateTime,
    role_id: i64,
    role_name: String,
    role_permissions: String,
    status: String,
    inviter_first_name: Option<String>,
    inviter_last_name: Option<String>,
    inviter_email: Option<String>,
    joined_at: Option<NaiveDateTime>,
    last_active_at: Option<NaiveDateTime>,
    avatar_key: Option<String>,
    org_role: String,
    other_workspaces: i64,
    two_factor_since: Option<NaiveDateTime>,
    throttle: Option<(Option<NaiveDateTime>, i64)>,
    pending_email: Option<String>,
    pending_email_since: Option<NaiveDateTime>,
    has_password: bool,
    invitation_id: Option<i64>,
    sole_owner_of: Option<String>,
    removed_at: Option<NaiveDateTime>,
}

/// The query for member `id`'s [`MemberDetail`] as of `now`, in any workspace (add the filter
/// on the workspace): read as a [`Row`].
macro_rules! member_detail {
    ($id:expr, $now:expr) => {{
        use crate::db::schema::{accounts, memberships, roles, sign_in_throttles as throttles};
        use crate::store::account_tokens;
        use crate::store::sql::sql;
        use diesel::sql_types::{BigInt, Text, Timestamp};
        let inviters = diesel::alias!(accounts as inviters);
        memberships::table
            .inner_join(accounts::table)
            .inner_join(roles::table)
            .left_join(
                inviters.on(memberships::invited_by.eq(inviters.field(accounts::id).nullable())),
            )
            // The account's sign-in throttle (`store::throttles::account_key`).
            .left_join(
                throttles::table
                    .on(throttles::key.eq(sql::<Text>("'account:' || memberships.account_id"))),
            )
            .filter(memberships::id.eq($id.0))
            .select((
                crate::store::memberships::PERSON,
                accounts::timezone,
                accounts::status,
                accounts::created_at,
                accounts::updated_at,
                memberships::updated_at,
                roles::id,
                roles::name,
                roles::permissions,
                memberships::status,
                inviters.field(accounts::first_name).nullable(),
                inviters.field(accounts::last_name).nullable(),
                inviters.field(accounts::email).nullable(),
                memberships::joined_at,
                memberships::last_active_at,
                accounts::avatar_key,
                accounts::org_role,
                // Every other membership counts, pending and removed ones too: an invitation may
                // be accepted and a removal restored, and the account would then be theirs too.
                sql::<BigInt>(
                    "(SELECT COUNT(*) FROM memberships others \
                     WHERE others.account_id = memberships.account_id \
                     AND others.workspace_id <> memberships.workspace_id)",
                ),
                accounts::totp_enabled_at,
                (throttles::paused_until, throttles::failures).nullable(),
                account_tokens::pending_for_member::<Text>("new_email", $now),
                account_tokens::pending_for_member::<Timestamp>("created_at", $now),
                accounts::password_hash.is_not_null(),
                sql::<diesel::sql_types::Nullable<BigInt>>(
                    "(SELECT i.id FROM invitations i WHERE i.membership_id = memberships.id)",
                ),
                sql::<diesel::sql_types::Nullable<Text>>(
                    crate::store::memberships::SOLE_OWNED_WORKSPACE,
                ),
                memberships::removed_at,
            ))
    }};
}
pub(in crate::store) use member_detail;

/// The member `id` of `workspace`, if there is one, with their address change pending at `now`.
pub fn detail(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    id: MembershipId,
    now: NaiveDateTime,
) -> QueryResult<Option<MemberDetail>> {
    let row: Option<Row> = member_detail!(id, now)
        .filter(memberships::workspace_id.eq(workspace.0))
        .first(conn)
        .optional()?;
    row.map(from_row).transpose()
}

/// The member a [`member_detail`] row describes.
pub(in crate::store) fn from_row(r: Row) -> QueryResult<MemberDetail> {
    Ok(MemberDetail {
        id: MembershipId(r.person.id),
        account_id: AccountId(r.person.account_id),
        account_status: parse_key("account status", &r.account_status, AccountStatus::from_key)?,
        account_created_at: r.account_created_at,
        updated_at: r.account_updated_at.max(r.membership_updated_at),
        role_id: RoleId(r.role_id),
        role_permissions: stored_permissions(&r.role_permissions)?,
        status: parse_key("membership status", &r.status, MembershipStatus::from_key)?,
        invited_by: r.inviter_email.map(|email| {
            display_name(
                r.inviter_first_name.as_deref().unwrap_or(""),
                r.inviter_last_name.as_deref().unwrap_or(""),
                &email,
            )
        }),
        org_role: parse_key("org role", &r.org_role, OrgRole::from_key)?,
        email: r.person.email,
        first_name: r.person.first_name,
        last_name: r.person.last_name,
        timezone: r.timezone,
        role_name: r.role_name,
        joined_at: r.joined_at,
        last_active_at: r.last_active_at,
        avatar_key: r.avatar_key,
        other_workspaces: r.other_workspaces,
        two_factor_since: r.two_factor_since,
        sign_in_pause: r
            .throttle
            .and_then(|(until, failures)| until.map(|until| (until, failures))),
        pending_email: r.pending_email.zip(r.pending_email_since),
        has_password: r.has_password,
        invitation_id: r.invitation_id,
        sole_owner_of: r.sole_owner_of,
        removed_at: r.removed_at,
    })
}
