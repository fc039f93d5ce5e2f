//! Inviting people (PRODUCT §4 rules 4, 6, 7, 10, 11, 12): all or nothing, seats that never break,
//! the email written to the outbox in the same transaction, accept, resend, revoke, expiry.

use crate::domain::Email;
use crate::domain::names::sort_key;
use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::{self, AnyConnection, Lock};
use crate::domain::Name;
use crate::domain::ids::{AccountId, MembershipId, WorkspaceId};
use crate::domain::invitation::{AddressList, MAX_ADDRESSES};
use crate::domain::membership::{AccountStatus, MembershipStatus, OrgRole};
use crate::domain::policy;
use crate::domain::role::{Permission, PermissionSet};
use crate::domain::timezone::Timezone;
use crate::mail::templates::InvitationEmail;
use crate::services::{emails, held, passwords};
use crate::store::audit::{self, Actor};
use crate::store::invitations;
/// Reads the pages and the API share: pending invitations in pages, and one of a workspace's.
pub use crate::store::invitations::{Invitation, find_in_workspace, pending_page};
use crate::store::{accounts, apps, groups, memberships, organization, outbox, roles, workspaces};
use crate::tokens;

/// Apps chosen in the invite form are granted at this level on accept (least privilege).
pub const INVITE_APP_LEVEL: &str = "view";

/// What invitations need from the settings.
#[derive(Debug, Clone)]
pub struct InviteSettings {
    pub base_url: String,
    pub ttl_days: i64,
}

impl InviteSettings {
    fn link(&self, token: &str) -> String {
        format!("{}/invite/{token}", self.base_url)
    }
}

/// The person inviting, and what they may do in the workspace.
pub struct Inviter<'a> {
    pub actor: &'a Actor,
    pub permissions: PermissionSet,
}

impl<'a> Inviter<'a> {
    /// The inviter as the database says now, read inside the change's transaction (see
    /// `held::still_holds`): refused, in words, when they no longer hold `users.invite`.
    fn now(
        &self,
        conn: &mut AnyConnection,
        workspace: WorkspaceId,
    ) -> diesel::QueryResult<Result<Inviter<'a>, String>> {
        Ok(
            held::still_holds(conn, self.actor, workspace, Permission::UsersInvite)?.map(|held| {
                Inviter {
                    actor: self.actor,
                    permissions: held.unwrap_or(self.permissions),
                }
            }),
        )
    }
}

pub struct InviteRequest {
    pub workspace: WorkspaceId,
    pub addresses: AddressList,
    /// `owner`, `admin`, `auditor`, `member`, or a custom role's id.
    pub role: String,
    pub group_ids: Vec<i64>,
    pub app_ids: Vec<i64>,
}

/// Every reason the invitation was refused, by field; nothing was written.
#[derive(Debug, Default, Clone)]
pub struct InviteProblems {
    /// (address as typed, why)
    pub addresses: Vec<(String, String)>,
    pub emails: Option<String>,
    pub role: Option<String>,
    pub groups: Option<String>,
    pub apps: Option<String>,
}

impl InviteProblems {
    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
            && self.emails.is_none()
            && self.role.is_none()
            && self.groups.is_none()
            && self.apps.is_none()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("the invitation was refused")]
    Invalid(InviteProblems),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Render(#[from] askama::Error),
}

/// Invites every address, or none: any invalid, already present, blocked address, a role or group
/// the inviter may not grant, or too few seats refuses the whole request with every problem named.
/// Returns the new invitations' ids.
pub fn invite_members(
    conn: &mut AnyConnection,
    inviter: &Inviter<'_>,
    request: &InviteRequest,
    settings: &InviteSettings,
    now: NaiveDateTime,
) -> Result<Vec<i64>, InviteError> {
    db::write_transaction(conn, Lock::Workspace(request.workspace), |conn| {
        crate::services::purge::purge_due_in(conn, request.workspace, now)?;
        let workspace =
            workspaces::find(conn, request.workspace)?.ok_or(diesel::result::Error::NotFound)?;
        let (role, existing) = judge(conn, inviter, request, &workspace)?;
        let org = organization::get(conn)?;
        let invite = Invite {
            inviter,
            request,
            role: &role,
            grants: GrantNames::of(conn, &request.group_ids, &request.app_ids)?,
            org: &org.name,
            workspace: &workspace.name,
            expires_at: now + chrono::Duration::days(settings.ttl_days),
            settings,
            now,
        };
        let mut made = Vec::with_capacity(request.addresses.valid.len());
        for email in &request.addresses.valid {
            let found = existing
                .iter()
                .find(|a| a.email.eq_ignore_ascii_case(email.as_str()));
            made.push(invite.one(conn, email, found)?);
        }
        Ok(made)
    })
}

/// The role to give and the accounts that exist already, or every problem of the request.
pub(crate) fn judge(
    conn: &mut AnyConnection,
    inviter: &Inviter<'_>,
    request: &InviteRequest,
    workspace: &workspaces::Workspace,
) -> Result<(roles::RoleChoice, Vec<accounts::Account>), InviteError> {
    let mut problems = InviteProblems::default();
    let inviter = &match inviter.now(conn, request.workspace)? {
        Ok(now) => now,
        Err(why) => {
            problems.emails = Some(why);
            return Err(InviteError::Invalid(problems));
        }
    };
    let role = roles::choices(conn, request.workspace)?
        .into_iter()
        .find(|r| r.key == request.role);
    match &role {
        None => problems.role = Some("Choose a role.".to_owned()),
        Some(role) => {
            if let Err(why) = policy::may_grant_role(inviter.permissions, role.permissions) {
                problems.role = Some(why.to_owned());
            }
        }
    }
    check_targets(conn, inviter, request, &mut problems)?;
    let list = &request.addresses;
    for typed in &list.invalid {
        problems
            .addresses
            .push((typed.clone(), "is not a valid email address".to_owned()));
    }
    if list.is_empty() {
        problems.emails = Some("Enter at least one email address.".to_owned());
    } else if list.valid.len() > MAX_ADDRESSES {
        problems.emails = Some(format!(
            "Invite at most {MAX_ADDRESSES} people at once; this list has {}.",
            list.valid.len()
        ));
    }
    let existing = accounts::find_by_emails(conn, &list.valid)?;
    let account_ids: Vec<AccountId> = existing.iter().map(|a| a.id).collect();
    let statuses = memberships::statuses(conn, request.workspace, &account_ids)?;
    let user_names = memberships::user_names(conn, request.workspace)?;
    // A removal's day is said in the inviter's time zone (UTC for a key), as the console's dates.
    let zone = match statuses
        .iter()
        .any(|(_, s, _)| *s == MembershipStatus::Removed)
    {
        true => inviter_zone(conn, inviter.actor)?,
        false => Timezone::default(),
    };
    for email in &list.valid {
        let account = existing
            .iter()
            .find(|a| a.email.eq_ignore_ascii_case(email.as_str()));
        if let Some(reason) = account.and_then(|a| already_here(a, &statuses, zone)) {
            problems.addresses.push((email.to_string(), reason));
        } else if user_names.contains(&email.as_str().to_lowercase()) {
            // The identity provider knows another member here by this name.
            problems.addresses.push((
                email.to_string(),
                "is the SCIM userName of another member here".to_owned(),
            ));
        }
    }
    if problems.emails.is_none() && problems.addresses.is_empty() {
        let adding = list.valid.len() as i64;
        if let Err(why) = policy::check_seats(
            workspace.plan.name(),
            workspace.seat_limit,
            workspace.counts.seats_used(),
            adding,
        ) {
            problems.emails = Some(why);
        }
    }
    match role.filter(|_| problems.is_empty()) {
        Some(role) => Ok((role, existing)),
        None => Err(InviteError::Invalid(problems)),
    }
}

/// Why an existing account cannot be invited here: blocked, or a membership of any state (a
/// removal past its restore window is purged before an invitation is judged). That
/// an account is blocked is said only where it has a membership here (its row shows it anyway):
/// an inviter does not learn who is blocked in the organization's other workspaces.
fn already_here(
    account: &accounts::Account,
    statuses: &[(AccountId, MembershipStatus, Option<NaiveDateTime>)],
    zone: Timezone,
) -> Option<String> {
    let here = statuses.iter().find(|(id, _, _)| *id == account.id);
    if account.status == AccountStatus::Blocked {
        return Some(match here {
            Some(_) => "is blocked in this organization".to_owned(),
            None => "cannot be invited: an org admin can say why".to_owned(),
        });
    }
    let (_, status, removed_at) = here?;
    Some(match status {
        MembershipStatus::Invited => "has already been invited".to_owned(),
        MembershipStatus::Active | MembershipStatus::Suspended => "is already a member".to_owned(),
        MembershipStatus::Removed => match removed_at {
            Some(at) => format!(
                "was removed on {}: restore them instead (Users, filter Removed, Restore), which \
                 brings back their role, groups and grants",
                at.and_utc().with_timezone(&zone.tz()).format("%-d %b %Y")
            ),
            None => "was removed: restore them instead (Users, filter Removed, Restore)".to_owned(),
        },
    })
}

/// The time zone of the person acting (UTC for an API key, SCIM or the command line).
fn inviter_zone(conn: &mut AnyConnection, actor: &Actor) -> diesel::QueryResult<Timezone> {
    let Some(id) = actor.account_id else {
        return Ok(Timezone::default());
    };
    Ok(accounts::find(conn, id)?
        .and_then(|a| Timezone::parse(&a.timezone).ok())
        .unwrap_or_default())
}

/// The groups and apps a request gives, by name: audit events name them (not their ids).
pub(crate) struct GrantNames {
    pub groups: Vec<String>,
    pub apps: Vec<String>,
}

impl GrantNames {
    pub(crate) fn of(
        conn: &mut AnyConnection,
        group_ids: &[i64],
        app_ids: &[i64],
    ) -> diesel::QueryResult<Self> {
        Ok(Self {
            groups: groups::names_of(conn, group_ids)?,
            apps: apps::names_of(conn, app_ids)?,
        })
    }
}

/// One request's invitations, written one address at a time inside its transaction.
struct Invite<'a> {
    inviter: &'a Inviter<'a>,
    request: &'a InviteRequest,
    role: &'a roles::RoleChoice,
    grants: GrantNames,
    org: &'a str,
    workspace: &'a str,
    expires_at: NaiveDateTime,
    settings: &'a InviteSettings,
    now: NaiveDateTime,
}

impl Invite<'_> {
    /// The invited account, `existing` or a new one (with the names the request gives for its
    /// address), its key in the member list and its first name.
    fn account(
        &self,
        conn: &mut AnyConnection,
        email: &Email,
        existing: Option<&accounts::Account>,
    ) -> Result<(AccountId, String, String), InviteError> {
        Ok(match existing {
            Some(a) => (
                a.id,
                sort_key(&a.first_name, &a.last_name, &a.email),
                a.first_name.clone(),
            ),
            None => {
                let (first, last) = self
                    .request
                    .addresses
                    .names
                    .get(&email.as_str().to_lowercase())
                    .map_or(("", ""), |(f, l)| (f.as_str(), l.as_str()));
                let new = accounts::NewAccount {
                    email,
                    first_name: first,
                    last_name: last,
                    password_hash: None,
                    org_role: OrgRole::Member,
                };
                (
                    accounts::insert_or_find(conn, &new, self.now)?.0,
                    sort_key(first, last, email.as_str()),
                    first.to_owned(),
                )
            }
        })
    }

    /// The account (new, or `existing`), its pending membership, the invitation with what it
    /// grants on accept, its email in the outbox and its audit event. Returns the invitation's id.
    fn one(
        &self,
        conn: &mut AnyConnection,
        email: &Email,
        existing: Option<&accounts::Account>,
    ) -> Result<i64, InviteError> {
        let (request, now) = (self.request, self.now);
        let (account, sort_name, first_name) = self.account(conn, email, existing)?;
        let membership = memberships::insert(
            conn,
            &memberships::NewMembership {
                workspace_id: request.workspace,
                account_id: account,
                role_id: self.role.id,
                status: MembershipStatus::Invited,
                sort_name: &sort_name,
                invited_by: self.inviter.actor.account_id,
                joined_at: None,
            },
            now,
        )?;
        let token = tokens::new_token();
        let mail = InvitationEmail {
            name: first_name,
            organization: self.org.to_owned(),
            workspace: self.workspace.to_owned(),
            inviter: self.inviter.actor.person().map(str::to_owned),
            role: self.role.name.clone(),
            link: self.settings.link(&token),
            expires: emails::link_expiry(self.expires_at),
        };
        let outbox_id = enqueue_email(conn, email.as_str(), &mail, now)?;
        let invitation = invitations::insert(
            conn,
            &invitations::NewInvitation {
                workspace_id: request.workspace,
                membership_id: membership,
                email: email.as_str(),
                token_hash: &tokens::hash_token(&token),
                invited_by: self.inviter.actor.account_id,
                expires_at: self.expires_at,
                outbox_email_id: outbox_id,
            },
            now,
        )?;
        invitations::add_grants(
            conn,
            invitation,
            &request.group_ids,
            &request.app_ids,
            INVITE_APP_LEVEL,
        )?;
        audit::record(
            conn,
            self.inviter.actor,
            &audit::NewEvent {
                workspace_id: Some(request.workspace),
                action: "member.invited",
                target_type: "account",
                target_id: Some(account.0),
                target_label: email.as_str(),
                changes: json!({
                    "role": self.role.name,
                    "groups": self.grants.groups,
                    "apps": self.grants.apps,
                    "expires_at": self.expires_at.to_string(),
                }),
            },
            now,
        )?;
        Ok(invitation)
    }
}

/// Groups and apps must be this workspace's, and the inviter must be allowed to grant them.
fn check_targets(
    conn: &mut AnyConnection,
    inviter: &Inviter<'_>,
    request: &InviteRequest,
    problems: &mut InviteProblems,
) -> Result<(), InviteError> {
    if !request.group_ids.is_empty() {
        if !inviter.permissions.contains(Permission::GroupsManage) {
            problems.groups =
                Some("You cannot add people to groups (it needs groups.manage).".to_owned());
        } else if groups::existing(conn, request.workspace, &request.group_ids)?.len()
            != request.group_ids.len()
        {
            problems.groups =
                Some("One of the chosen groups does not exist (any more).".to_owned());
        } else if let Some(why) = granting_groups(conn, inviter, &request.group_ids)? {
            problems.groups = Some(why.to_owned());
        }
    }
    if !request.app_ids.is_empty() {
        if !inviter.permissions.contains(Permission::AppsManage) {
            problems.apps =
                Some("You cannot grant access to apps (it needs apps.manage).".to_owned());
        } else if apps::existing(conn, request.workspace, &request.app_ids)?.len()
            != request.app_ids.len()
        {
            problems.apps = Some("One of the chosen apps does not exist (any more).".to_owned());
        }
    }
    Ok(())
}

/// Why the inviter may not put people in these groups: one holds app grants, which joining gives
/// ([`policy::may_put_in_groups`]); `None` when they may.
fn granting_groups(
    conn: &mut AnyConnection,
    inviter: &Inviter<'_>,
    group_ids: &[i64],
) -> Result<Option<&'static str>, diesel::result::Error> {
    if inviter.permissions.contains(Permission::AppsManage) || group_ids.is_empty() {
        return Ok(None);
    }
    let granting = groups::holding_grants(conn, group_ids)?.len() as i64;
    Ok(policy::may_put_in_groups(inviter.permissions, granting).err())
}

/// Queues an invitation's email to `to`.
fn enqueue_email(
    conn: &mut AnyConnection,
    to: &str,
    email: &InvitationEmail,
    now: NaiveDateTime,
) -> Result<i64, InviteError> {
    Ok(outbox::enqueue(conn, to, email.render()?, now)?)
}

/// The pending, unexpired invitation a link's token names.
pub fn find_valid(
    conn: &mut AnyConnection,
    token: &str,
    now: NaiveDateTime,
) -> Result<Option<Invitation>, diesel::result::Error> {
    Ok(
        invitations::find_by_token_hash(conn, &tokens::hash_token(token))?
            .filter(|i| i.expires_at > now),
    )
}

/// How the person accepting proves who they are.
pub enum Acceptance<'a> {
    /// Someone new: names and a password (already hashed, outside the transaction).
    Register {
        first_name: &'a Name,
        last_name: &'a Name,
        password_hash: &'a str,
    },
    /// Someone with an account: they signed in already, or with its password (`account_with_password`) and second step.
    SignedIn,
}

#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error("This invitation is no longer valid — ask your admin for a new one.")]
    Invalid,
    #[error("This account is blocked. Ask your organization's administrator to unblock it.")]
    Blocked,
    #[error("You have set a password for this account in the meantime: sign in with it to accept.")]
    AlreadyRegistered,
    #[error("{0}")]
    Seats(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

pub struct Accepted {
    pub account_id: AccountId,
    pub session_epoch: i64,
    pub workspace_slug: String,
}

/// The invited account, when `password` is its own (argon2: call on a blocking thread).
pub fn account_with_password(
    conn: &mut AnyConnection,
    invitation: &Invitation,
    password: &str,
) -> Result<Option<accounts::Account>, diesel::result::Error> {
    Ok(accounts::find(conn, invitation.account_id)?.filter(|a| {
        a.password_hash
            .as_deref()
            .is_some_and(|hash| passwords::verify_password(hash, password))
    }))
}

/// Whether the invited account is blocked organization-wide. The accept form asks this before it
/// checks a password: it must not confirm a guess for an account it refuses anyway.
pub fn account_blocked(
    conn: &mut AnyConnection,
    invitation: &Invitation,
) -> Result<bool, diesel::result::Error> {
    Ok(accounts::find(conn, invitation.account_id)?
        .is_some_and(|a| a.status == AccountStatus::Blocked))
}

/// Turns the invitation into an active membership: single use, within seats, never for a blocked
/// account; the groups and apps chosen at invite are granted.
pub fn accept(
    conn: &mut AnyConnection,
    token: &str,
    acceptance: Acceptance<'_>,
    ip: Option<String>,
    now: NaiveDateTime,
) -> Result<Accepted, AcceptError> {
    let found = find_valid(conn, token, now)?.ok_or(AcceptError::Invalid)?;
    db::write_transaction(conn, Lock::Workspace(found.workspace_id), |conn| {
        // Again under the lock: a concurrent accept, resend or revoke may have won.
        let invitation = find_valid(conn, token, now)?.ok_or(AcceptError::Invalid)?;
        let account = accounts::find(conn, invitation.account_id)?.ok_or(AcceptError::Invalid)?;
        if account.status == AccountStatus::Blocked {
            return Err(AcceptError::Blocked);
        }
        let workspace =
            workspaces::find(conn, invitation.workspace_id)?.ok_or(AcceptError::Invalid)?;
        // The pending seat is already counted; a plan lowered since may leave none for it.
        policy::check_seats(
            workspace.plan.name(),
            workspace.seat_limit,
            workspace.counts.seats_used() - 1,
            1,
        )
        .map_err(|_| {
            AcceptError::Seats(format!(
                "Every seat of {} is in use, so this invitation cannot be accepted now: ask an \
                 administrator of {} to free a seat, then open the link again.",
                workspace.name, workspace.name
            ))
        })?;
        let (first, last) = match acceptance {
            Acceptance::Register {
                first_name,
                last_name,
                password_hash,
            } => {
                // Registered meanwhile (another invitation, a concurrent accept): sign in instead.
                let registered = accounts::register(
                    conn,
                    account.id,
                    first_name.as_str(),
                    last_name.as_str(),
                    password_hash,
                    now,
                )?;
                if !registered {
                    return Err(AcceptError::AlreadyRegistered);
                }
                (first_name.to_string(), last_name.to_string())
            }
            Acceptance::SignedIn => (account.first_name.clone(), account.last_name.clone()),
        };
        memberships::activate(conn, invitation.membership_id, now)?;
        let (group_ids, app_grants) = invitations::grants(conn, invitation.id)?;
        let joining = [invitation.membership_id];
        for group in &group_ids {
            // Someone may have put the invitee in the group already (its picker offers them).
            if groups::members_among(conn, *group, &joining)?.is_empty() {
                groups::add_members(conn, *group, &joining, now)?;
            }
        }
        for (app, level) in &app_grants {
            apps::grant_member(conn, *app, invitation.membership_id, level, now)?;
        }
        invitations::delete(conn, invitation.id)?;
        let name = crate::domain::names::display_name(&first, &last, &account.email);
        let app_ids: Vec<i64> = app_grants.iter().map(|(a, _)| *a).collect();
        let names = GrantNames::of(conn, &group_ids, &app_ids)?;
        audit::record(
            conn,
            &Actor {
                account_id: Some(account.id),
                label: name,
                address: Some(account.email.clone()),
                ip,
            },
            &audit::NewEvent {
                workspace_id: Some(invitation.workspace_id),
                action: "member.joined",
                target_type: "account",
                target_id: Some(account.id.0),
                target_label: &account.email,
                changes: json!({ "role": invitation.role_name, "groups": names.groups, "apps": names.apps }),
            },
            now,
        )?;
        Ok(Accepted {
            account_id: account.id,
            session_epoch: account.session_epoch,
            workspace_slug: invitation.workspace_slug,
        })
    })
}

/// Why a row action on an invitation was refused.
#[derive(Debug, thiserror::Error)]
pub enum InvitationActionError {
    #[error("That invitation does not exist any more.")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    TooSoon(String),
    /// The invited account is blocked organization-wide: a link sent could never be used.
    #[error(
        "Their account is blocked, so they could not accept it: nothing was sent. An org admin can \
         say why."
    )]
    Blocked,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Render(#[from] askama::Error),
}

impl From<InviteError> for InvitationActionError {
    fn from(e: InviteError) -> Self {
        match e {
            InviteError::Database(e) => Self::Database(e),
            InviteError::Render(e) => Self::Render(e),
            InviteError::Invalid(_) => Self::NotFound,
        }
    }
}

/// A pending invitation of the workspace that someone holding `acting` may resend or revoke.
pub fn find_for_action(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    id: i64,
    acting: PermissionSet,
) -> Result<Invitation, InvitationActionError> {
    let refused = |why: &str| InvitationActionError::Forbidden(why.to_owned());
    // Refused before the lookup too: a role that may manage no invitation learns nothing of them.
    policy::may_manage_invitation(acting, PermissionSet::empty()).map_err(refused)?;
    let invitation = invitations::find_in_workspace(conn, workspace, id)?
        .ok_or(InvitationActionError::NotFound)?;
    policy::may_manage_invitation(acting, invitation.role_permissions).map_err(refused)?;
    Ok(invitation)
}

/// Sends the invitation again with a new link (the old one stops working); once a minute at most,
/// never to a blocked account.
pub fn resend(
    conn: &mut AnyConnection,
    inviter: &Inviter<'_>,
    workspace: WorkspaceId,
    id: i64,
    settings: &InviteSettings,
    now: NaiveDateTime,
) -> Result<(), InvitationActionError> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let inviter = inviter
            .now(conn, workspace)?
            .map_err(InvitationActionError::Forbidden)?;
        let invitation = find_for_action(conn, workspace, id, inviter.permissions)?;
        if account_blocked(conn, &invitation)? {
            return Err(InvitationActionError::Blocked);
        }
        policy::may_resend(invitation.last_sent_at, now).map_err(InvitationActionError::TooSoon)?;
        let from = inviter.actor.person().map(str::to_owned);
        if !reissue(conn, inviter.actor, &invitation, from, settings, now)? {
            // The address changed since it was read: this transaction, email and all, is undone.
            return Err(InvitationActionError::TooSoon(
                "This person's address changed meanwhile: send the invitation again.".to_owned(),
            ));
        }
        Ok(())
    })
}

/// Sends `invitation` again (in the caller's transaction) with a new link and expiry, the email
/// naming `inviter`; the link before stops working. Recorded as `actor`'s. False, with nothing
/// sent, when its address changed since it was read.
fn reissue(
    conn: &mut AnyConnection,
    actor: &Actor,
    invitation: &Invitation,
    inviter: Option<String>,
    settings: &InviteSettings,
    now: NaiveDateTime,
) -> Result<bool, InviteError> {
    cancel_email(conn, invitation)?;
    let org = organization::get(conn)?;
    let token = tokens::new_token();
    let expires_at = now + chrono::Duration::days(settings.ttl_days);
    let mail = InvitationEmail {
        name: invitation.names.0.clone(),
        organization: org.name.clone(),
        workspace: invitation.workspace_name.clone(),
        inviter,
        role: invitation.role_name.clone(),
        link: settings.link(&token),
        expires: emails::link_expiry(expires_at),
    };
    let outbox_id = enqueue_email(conn, &invitation.email, &mail, now)?;
    let renewed = invitations::renew(
        conn,
        (invitation.id, &invitation.email),
        &tokens::hash_token(&token),
        expires_at,
        outbox_id,
        now,
    )?;
    if renewed {
        audit::record(
            conn,
            actor,
            &audit::NewEvent {
                workspace_id: Some(invitation.workspace_id),
                action: "invitation.resent",
                target_type: "account",
                target_id: Some(invitation.account_id.0),
                target_label: &invitation.email,
                changes: json!({ "expires_at": expires_at.to_string() }),
            },
            now,
        )?;
    }
    Ok(renewed)
}

/// The account's address changed (in the caller's transaction): each of its pending invitations
/// now names the new address and is sent there again with a new link, as its inviter's; the link
/// sent to the old address stops working (whoever reads that mailbox would otherwise set the
/// password of the account the new address answers to). Returns how many were sent again: not
/// one past its expiry (withdrawn by the next round), nor any to a blocked account (it could not
/// accept).
pub fn readdress(
    conn: &mut AnyConnection,
    actor: &Actor,
    account: AccountId,
    email: &str,
    settings: &InviteSettings,
    now: NaiveDateTime,
) -> Result<usize, InviteError> {
    let mut sent = 0;
    for (id, workspace) in invitations::readdress(conn, account, email)? {
        let Some(invitation) = invitations::find_in_workspace(conn, workspace, id)? else {
            continue;
        };
        if invitation.expires_at > now && !account_blocked(conn, &invitation)? {
            let inviter = invitation.inviter.clone();
            sent += usize::from(reissue(conn, actor, &invitation, inviter, settings, now)?);
        }
    }
    Ok(sent)
}

/// Revokes the pending invitation of a membership (SCIM deleting someone invited who has not
/// joined); `NotFound` when it has none.
pub fn revoke_of_membership(
    conn: &mut AnyConnection,
    inviter: &Inviter<'_>,
    workspace: WorkspaceId,
    membership: MembershipId,
    now: NaiveDateTime,
) -> Result<String, InvitationActionError> {
    let pending = invitations::pending_for(conn, &[membership])?;
    let invitation = pending
        .first()
        .map(|p| p.invitation_id)
        .ok_or(InvitationActionError::NotFound)?;
    revoke(conn, inviter, workspace, invitation, now)
}

/// Withdraws an invitation: the link dies, the seat is freed; returns the address.
pub fn revoke(
    conn: &mut AnyConnection,
    inviter: &Inviter<'_>,
    workspace: WorkspaceId,
    id: i64,
    now: NaiveDateTime,
) -> Result<String, InvitationActionError> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let inviter = inviter
            .now(conn, workspace)?
            .map_err(InvitationActionError::Forbidden)?;
        let invitation = find_for_action(conn, workspace, id, inviter.permissions)?;
        let changes = withdraw(
            conn,
            &invitation,
            json!({ "role": invitation.role_name }),
            now,
        )?;
        audit::record(
            conn,
            inviter.actor,
            &audit::NewEvent {
                workspace_id: Some(workspace),
                action: "invitation.revoked",
                target_type: "account",
                target_id: Some(invitation.account_id.0),
                target_label: &invitation.email,
                changes,
            },
            now,
        )?;
        Ok(invitation.email)
    })
}

/// Withdraws an invitation with its membership; the audit event's `changes`, `event`, gain what
/// went with the membership: the groups it was in, the apps it owned, its app grants.
fn withdraw(
    conn: &mut AnyConnection,
    invitation: &Invitation,
    mut event: serde_json::Value,
    now: NaiveDateTime,
) -> Result<serde_json::Value, diesel::result::Error> {
    let ties = memberships::ties(conn, invitation.membership_id)?;
    // The account stays (without a password it cannot sign in): deleting it here could race a
    // concurrent invitation of the same address to another workspace.
    invitations::delete(conn, invitation.id)?;
    memberships::delete_invited(conn, invitation.membership_id)?;
    cancel_email(conn, invitation)?;
    let group_ids: Vec<i64> = ties.groups.iter().map(|(id, _)| *id).collect();
    groups::touch(conn, &group_ids, now)?;
    if !ties.groups.is_empty() {
        let names: Vec<&str> = ties.groups.iter().map(|(_, name)| name.as_str()).collect();
        event["groups_left"] = json!(names);
    }
    if !ties.owned_apps.is_empty() {
        event["apps_left_without_owner"] = json!(ties.owned_apps);
    }
    if ties.grants > 0 {
        event["app_grants_ended"] = json!(ties.grants);
    }
    Ok(event)
}

/// An email for a link that no longer works is not sent any more.
fn cancel_email(
    conn: &mut AnyConnection,
    invitation: &Invitation,
) -> Result<(), diesel::result::Error> {
    match invitation.outbox_email_id {
        Some(id) => outbox::cancel(
            conn,
            id,
            "cancelled: the invitation link was replaced or withdrawn",
        ),
        None => Ok(()),
    }
}

/// Removes invitations past their expiry, each with its audit event; returns how many.
pub fn expire_due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
) -> Result<usize, diesel::result::Error> {
    let mut expired = 0;
    for (id, workspace) in invitations::expired(conn, now, 500)? {
        expired += db::write_transaction(
            conn,
            Lock::Workspace(workspace),
            |conn| -> Result<usize, diesel::result::Error> {
                let Some(invitation) = invitations::find_in_workspace(conn, workspace, id)?
                    .filter(|i| i.expires_at <= now)
                else {
                    return Ok(0);
                };
                let changes = withdraw(
                    conn,
                    &invitation,
                    json!({ "expired_at": invitation.expires_at.to_string() }),
                    now,
                )?;
                audit::record(
                    conn,
                    &Actor {
                        account_id: None,
                        label: "System".to_owned(),
                        address: None,
                        ip: None,
                    },
                    &audit::NewEvent {
                        workspace_id: Some(workspace),
                        action: "invitation.expired",
                        target_type: "account",
                        target_id: Some(invitation.account_id.0),
                        target_label: &invitation.email,
                        changes,
                    },
                    now,
                )?;
                Ok(1)
            },
        )?;
    }
    Ok(expired)
}
