//! Slack (issue 19): connecting a workspace to a Slack workspace (its bot token sealed with the
//! encryption key), disconnecting it, and adding Slack people directly as active members — all or
//! nothing, under the seat limit and the invite rules, each with an email and a Slack direct
//! message carrying a single-use link to set their password.

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use super::invitations::{
    self, InviteError, InviteProblems, InviteRequest, InviteSettings, Inviter,
};
use super::password_reset::{self, ResetError};
use crate::crypto;
use crate::db::{self, AnyConnection, Lock};
use crate::domain::Email;
use crate::domain::ids::{AccountId, WorkspaceId};
use crate::domain::invitation::AddressList;
use crate::domain::membership::{AccountStatus, MembershipStatus, OrgRole};
use crate::domain::names::sort_key;
use crate::mail::templates::AddedNotice;
use crate::slack::client::TokenInfo;
use crate::store::audit::{self, Actor};
use crate::store::slack::{self as store, Connection, NewConnection, Person};
use crate::store::{accounts, apps, groups, memberships, organization, outbox, roles, workspaces};

/// Apps chosen when adding people are granted at the invite form's level.
use super::invitations::INVITE_APP_LEVEL;

/// The people list is read again when it is older than this.
pub const PEOPLE_FRESH_FOR: Duration = Duration::minutes(5);

/// How the token came: pasted, or from Slack's OAuth flow.
#[derive(Debug, Clone, Copy)]
pub enum Via {
    Token,
    OAuth,
}

/// A token that `auth.test` accepted, how it came, and the connection it replaces.
pub struct Checked<'a> {
    pub token: &'a str,
    pub info: &'a TokenInfo,
    pub via: Via,
    pub replaced: Option<Replaced>,
}

/// An earlier connection that a new token replaces (a token of its own, not the same one again).
#[derive(Debug, Clone)]
pub struct Replaced {
    pub team_id: String,
    pub team_name: String,
    pub revocation: Revocation,
}

/// What became of a connection's token in Slack when the connection went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// Revoked (or dead there already).
    Revoked,
    /// Still working there: Slack could not be reached or refused, or this server could not
    /// read the token (sealed under another `ENCRYPTION_KEY`).
    NotRevoked,
    /// Kept on purpose: the connection of another workspace (its URL name) holds the same token.
    /// One Slack app installed once in a Slack workspace gives each console workspace connected
    /// there the same bot token, and revoking it would cut that connection too.
    KeptFor(String),
}

impl Revocation {
    /// Said in an audit event's changes: `token_not_revoked`, or `token_kept_for` "/w/{slug}" —
    /// in the organization's log (`org_log`); a workspace's log does not name another workspace.
    fn record(&self, changes: &mut serde_json::Value, org_log: bool) {
        match self {
            Revocation::Revoked => {}
            Revocation::NotRevoked => changes["token_not_revoked"] = json!(true),
            Revocation::KeptFor(slug) => {
                changes["token_kept_for"] = match org_log {
                    true => json!(format!("/w/{slug}")),
                    false => json!("another workspace"),
                }
            }
        }
    }
}

/// The URL name of another workspace whose connection holds this very `token` (of the Slack
/// workspace `team_id`), if any.
pub fn held_elsewhere(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    team_id: &str,
    token: &str,
    key: &[u8],
) -> diesel::QueryResult<Option<String>> {
    Ok(store::sealed_tokens_elsewhere(conn, workspace, team_id)?
        .into_iter()
        .find(|(_, sealed)| crypto::open_text(key, sealed).as_deref() == Some(token))
        .map(|(slug, _)| slug))
}

/// Stores the connection (replacing any earlier one) with its audit event, which names the
/// connection replaced and whether its token was revoked; the people are read by the Slack
/// worker next.
pub fn connect(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: WorkspaceId,
    checked: &Checked<'_>,
    key: &[u8],
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    let (info, via) = (checked.info, checked.via);
    let sealed = crypto::seal(key, checked.token.as_bytes());
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        store::replace(
            conn,
            workspace,
            &NewConnection {
                team_id: &info.team_id,
                team_name: &info.team_name,
                bot_user_id: info.bot_user_id.as_deref(),
                scopes: &info.scopes,
                token_sealed: &sealed,
                connected_by: actor.account_id.map(|a| a.0),
            },
            now,
        )?;
        audit::record(
            conn,
            actor,
            &audit::NewEvent {
                workspace_id: Some(workspace),
                action: "slack.connected",
                target_type: "slack",
                target_id: None,
                target_label: &info.team_name,
                changes: {
                    let mut changes = json!({
                        "team_id": info.team_id,
                        "scopes": info.scopes,
                        "via": match via { Via::Token => "bot token", Via::OAuth => "Slack sign-in" },
                    });
                    if let Some(old) = &checked.replaced {
                        let mut replaced = json!({
                            "team_id": old.team_id,
                            "team_name": old.team_name,
                            "token_revoked": old.revocation == Revocation::Revoked,
                        });
                        if let Revocation::KeptFor(_) = old.revocation {
                            old.revocation.record(&mut replaced, false);
                        }
                        changes["replaced"] = replaced;
                    }
                    changes
                },
            },
            now,
        )?;
        Ok(())
    })
}

/// The stored token in clear, or `None` when it was sealed with another key.
pub fn token_of(connection: &Connection, key: &[u8]) -> Option<String> {
    crypto::open_text(key, &connection.token_sealed)
}

/// Forgets the connection and the people read through it, with its audit event. Returns the
/// Slack workspace's name, or `None` when there was no connection.
pub fn disconnect(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: WorkspaceId,
    revocation: &Revocation,
    now: NaiveDateTime,
) -> diesel::QueryResult<Option<String>> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let Some(connection) = store::find(conn, workspace)? else {
            return Ok(None);
        };
        store::forget(conn, workspace)?;
        store::give_up_messages(conn, workspace, now)?;
        let mut changes = json!({ "team_id": connection.team_id });
        revocation.record(&mut changes, false);
        disconnected_event(
            conn,
            actor,
            Some(workspace),
            &connection.team_name,
            changes,
            now,
        )?;
        Ok(Some(connection.team_name))
    })
}

/// After a workspace's deletion took its connection: the organization's log says what became of
/// the token in Slack (the deletion's own event is written before Slack is asked).
pub fn gone_with_workspace(
    conn: &mut AnyConnection,
    actor: &Actor,
    (slug, connection): (&str, &Connection),
    revocation: &Revocation,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    let mut changes = json!({ "team_id": connection.team_id, "workspace": format!("/w/{slug}") });
    revocation.record(&mut changes, true);
    disconnected_event(conn, actor, None, &connection.team_name, changes, now)
}

fn disconnected_event(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: Option<WorkspaceId>,
    team_name: &str,
    changes: serde_json::Value,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    audit::record(
        conn,
        actor,
        &audit::NewEvent {
            workspace_id: workspace,
            action: "slack.disconnected",
            target_type: "slack",
            target_id: None,
            target_label: team_name,
            changes,
        },
        now,
    )?;
    Ok(())
}

/// True when the people should be read again: never read, or read too long ago.
pub fn is_stale(connection: &Connection, now: NaiveDateTime) -> bool {
    connection.read_requested_at.is_none()
        && connection
            .people_read_at
            .is_none_or(|at| now - at > PEOPLE_FRESH_FOR)
}

/// Why a Slack person cannot be added here, in the picker's words; `None` when they can.
fn here_marks(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    people: &[Person],
) -> diesel::QueryResult<Vec<Option<&'static str>>> {
    let emails: Vec<Email> = people
        .iter()
        .filter_map(|p| Email::parse(&p.email).ok())
        .collect();
    let accounts = accounts::find_by_emails(conn, &emails)?;
    let ids: Vec<AccountId> = accounts.iter().map(|a| a.id).collect();
    let statuses = memberships::statuses(conn, workspace, &ids)?;
    Ok(people
        .iter()
        .map(|person| {
            let account = accounts
                .iter()
                .find(|a| a.email.eq_ignore_ascii_case(&person.email))?;
            let here = statuses.iter().find(|(id, _, _)| *id == account.id);
            // Said to be blocked only where they have a membership here (the list shows it
            // anyway): the picker does not tell who is blocked in other workspaces.
            if account.status == AccountStatus::Blocked {
                return Some(match here {
                    Some(_) => "Blocked in this organization",
                    None => "Cannot be invited: an org admin can say why",
                });
            }
            let (_, status, _) = here?;
            Some(match status {
                MembershipStatus::Invited => "Invited already",
                MembershipStatus::Active | MembershipStatus::Suspended => "Already a member",
                MembershipStatus::Removed => "Removed: restore them from Users",
            })
        })
        .collect())
}

/// A Slack person, and why they cannot be added here (`None`: they can).
pub type Marked = (Person, Option<&'static str>);

/// The picker's page: up to `limit` people matching `query`, each marked, and how many match in all.
pub fn search(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    query: &str,
    limit: i64,
) -> diesel::QueryResult<(Vec<Marked>, i64)> {
    let (people, total) = store::search(conn, workspace, query, limit)?;
    let marks = here_marks(conn, workspace, &people)?;
    Ok((people.into_iter().zip(marks).collect(), total))
}

/// "Select all N": the Slack ids of everyone matching `query` who may be added here.
pub fn addable_matching(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    query: &str,
) -> diesel::QueryResult<Vec<String>> {
    let ids = store::matching_ids(conn, workspace, query)?;
    let people = store::find_people(conn, workspace, &ids)?;
    let marks = here_marks(conn, workspace, &people)?;
    Ok(people
        .into_iter()
        .zip(marks)
        .filter(|(_, mark)| mark.is_none())
        .map(|(p, _)| p.slack_user_id)
        .collect())
}

/// What adding people from Slack asks.
pub struct AddRequest {
    pub workspace: WorkspaceId,
    pub slack_user_ids: Vec<String>,
    pub role: String,
    pub group_ids: Vec<i64>,
    pub app_ids: Vec<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// Every reason, by field (the people's addresses under `addresses`); nothing was written.
    #[error("the people were not added")]
    Invalid(InviteProblems),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Render(#[from] askama::Error),
    #[error(transparent)]
    Mail(#[from] ResetError),
}

impl From<InviteError> for AddError {
    fn from(e: InviteError) -> Self {
        match e {
            InviteError::Invalid(problems) => AddError::Invalid(problems),
            InviteError::Database(e) => AddError::Database(e),
            InviteError::Render(e) => AddError::Render(e),
        }
    }
}

fn refused(emails: &str) -> AddError {
    AddError::Invalid(InviteProblems {
        emails: Some(emails.to_owned()),
        ..Default::default()
    })
}

/// The chosen people as the Slack list has them: refused when the workspace is no longer
/// connected, one of them has left the list, or two share an address.
fn chosen_people(
    conn: &mut AnyConnection,
    request: &AddRequest,
) -> Result<Vec<store::Person>, AddError> {
    if store::find(conn, request.workspace)?.is_none() {
        return Err(refused(
            "This workspace is not connected to Slack (any more).",
        ));
    }
    let people = store::find_people(conn, request.workspace, &request.slack_user_ids)?;
    if people.len() != request.slack_user_ids.len() {
        return Err(refused(
            "Some of the chosen people are no longer in the Slack list: refresh it and choose again.",
        ));
    }
    // Slack keeps an address to one person, but letter case aside: two would make one account.
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = people
        .iter()
        .map(|p| p.email.to_lowercase())
        .find(|email| !seen.insert(email.clone()))
    {
        return Err(refused(&format!(
            "Two of the chosen people have the address {twice} in Slack: choose one of them."
        )));
    }
    Ok(people)
}

/// Adds the chosen Slack people as active members, all or none: the invite rules judge them as
/// if their addresses were invited (role the adder may grant, groups and apps they may give,
/// nobody already here or blocked, seats). Returns the addresses added.
pub fn add_people(
    conn: &mut AnyConnection,
    adder: &Inviter<'_>,
    request: &AddRequest,
    settings: &InviteSettings,
    now: NaiveDateTime,
) -> Result<Vec<String>, AddError> {
    if request.slack_user_ids.is_empty() {
        return Err(refused("Choose at least one person."));
    }
    db::write_transaction(conn, Lock::Workspace(request.workspace), |conn| {
        let people = chosen_people(conn, request)?;
        let addresses = AddressList {
            valid: people
                .iter()
                .filter_map(|p| Email::parse(&p.email).ok())
                .collect(),
            ..AddressList::default()
        };
        let invite = InviteRequest {
            workspace: request.workspace,
            addresses,
            role: request.role.clone(),
            group_ids: request.group_ids.clone(),
            app_ids: request.app_ids.clone(),
        };
        crate::services::purge::purge_due_in(conn, request.workspace, now)?;
        let space =
            workspaces::find(conn, request.workspace)?.ok_or(diesel::result::Error::NotFound)?;
        let (role, existing) = invitations::judge(conn, adder, &invite, &space)?;
        // An Owner counts toward the workspace's last Owner: only someone who has chosen a
        // password, as an invitation's Owner has by joining, may be made one here.
        let passwordless = people.iter().any(|p| {
            !existing
                .iter()
                .any(|a| a.email.eq_ignore_ascii_case(&p.email) && a.password_hash.is_some())
        });
        if role.key == crate::domain::role::BuiltInRole::Owner.key() && passwordless {
            return Err(AddError::Invalid(invitations::InviteProblems {
                role: Some(
                    "Owners added from Slack must have chosen a password already: invite new \
                     Owners by email (they join by choosing one), or add them as Admins."
                        .to_owned(),
                ),
                ..Default::default()
            }));
        }
        let batch = Batch {
            adder,
            request,
            role: &role,
            space: &space,
            organization: organization::get(conn)?.name,
            grants: invitations::GrantNames::of(conn, &request.group_ids, &request.app_ids)?,
            base_url: &settings.base_url,
            expires_at: now + Duration::days(settings.ttl_days),
        };
        let mut added = Vec::with_capacity(people.len());
        for person in &people {
            let found = existing
                .iter()
                .find(|a| a.email.eq_ignore_ascii_case(&person.email));
            added.push(batch.add(conn, person, found, now)?);
        }
        audit::record(
            conn,
            adder.actor,
            &audit::NewEvent {
                workspace_id: Some(request.workspace),
                action: "slack.people_added",
                target_type: "workspace",
                target_id: Some(request.workspace.0),
                target_label: &match added.len() {
                    1 => "1 person".to_owned(),
                    n => format!("{n} people"),
                },
                changes: json!({ "emails": added, "role": role.name }),
            },
            now,
        )?;
        Ok(added)
    })
}

/// One batch of Slack people being added: what every person's addition shares.
struct Batch<'a> {
    adder: &'a Inviter<'a>,
    request: &'a AddRequest,
    role: &'a roles::RoleChoice,
    space: &'a workspaces::Workspace,
    organization: String,
    grants: invitations::GrantNames,
    base_url: &'a str,
    expires_at: NaiveDateTime,
}

impl Batch<'_> {
    /// Adds one person (their account made when new) with groups, apps, audit event, welcome
    /// email and Slack message; returns their address.
    fn add(
        &self,
        conn: &mut AnyConnection,
        person: &Person,
        found: Option<&accounts::Account>,
        now: NaiveDateTime,
    ) -> Result<String, AddError> {
        let account = account_for(conn, person, found, now)?;
        let membership = memberships::insert(
            conn,
            &memberships::NewMembership {
                workspace_id: self.request.workspace,
                account_id: account.id,
                role_id: self.role.id,
                status: MembershipStatus::Active,
                sort_name: &sort_key(&account.first_name, &account.last_name, &account.email),
                invited_by: self.adder.actor.account_id,
                joined_at: Some(now),
            },
            now,
        )?;
        for group in &self.request.group_ids {
            groups::add_members(conn, *group, &[membership], now)?;
        }
        for app in &self.request.app_ids {
            apps::grant_member(conn, *app, membership, INVITE_APP_LEVEL, now)?;
        }
        audit::record(
            conn,
            self.adder.actor,
            &audit::NewEvent {
                workspace_id: Some(self.request.workspace),
                action: "member.added_from_slack",
                target_type: "account",
                target_id: Some(account.id.0),
                target_label: &account.email,
                changes: json!({
                    "role": self.role.name,
                    "groups": self.grants.groups,
                    "apps": self.grants.apps,
                    "slack_user_id": person.slack_user_id,
                }),
            },
            now,
        )?;
        let way_in = match found.filter(|a| a.password_hash.is_some()) {
            // A new account, or one that has never chosen a password (invited elsewhere, not
            // joined yet): a single-use link to choose its first password, by email only. The
            // Slack profile's address is Slack's word, not proof that this Slack user reads that
            // mailbox: the link goes where a password reset would.
            None => {
                password_reset::send_welcome(
                    conn,
                    self.adder.actor,
                    (self.request.workspace, &self.space.name),
                    &account,
                    self.base_url,
                    self.expires_at,
                    now,
                )?;
                WayIn::ChoosePassword {
                    email: account.email.clone(),
                    expires: crate::services::emails::link_expiry(self.expires_at),
                }
            }
            // Their own account already: told where to sign in. A link that sets its password
            // would be a password reset, which adding someone does not entitle the adder to.
            Some(_) => {
                let sign_in = format!("{}/login", self.base_url);
                let notice = AddedNotice {
                    name: account.display_name(),
                    added_by: self.adder.actor.label.clone(),
                    workspace: self.space.name.clone(),
                    sign_in: sign_in.clone(),
                };
                outbox::enqueue(conn, &account.email, notice.render()?, now)?;
                WayIn::SignIn(sign_in)
            }
        };
        let message = direct_message(
            &self.adder.actor.label,
            &self.space.name,
            &self.organization,
            &way_in,
        );
        store::enqueue(
            conn,
            self.request.workspace,
            &person.slack_user_id,
            &message,
            now,
        )?;
        Ok(account.email)
    }
}

/// The account joining: the existing one, or a new one without a password, named as in Slack.
fn account_for(
    conn: &mut AnyConnection,
    person: &Person,
    existing: Option<&accounts::Account>,
    now: NaiveDateTime,
) -> Result<accounts::Account, AddError> {
    let id: AccountId = match existing {
        Some(account) => account.id,
        None => {
            let email = Email::parse(&person.email)
                .map_err(|_| refused("A Slack address is not a valid email address."))?;
            accounts::insert_or_find(
                conn,
                &accounts::NewAccount {
                    email: &email,
                    first_name: &person.first_name,
                    last_name: &person.last_name,
                    password_hash: None,
                    org_role: OrgRole::Member,
                },
                now,
            )?
            .0
        }
    };
    Ok(accounts::find(conn, id)?.ok_or(diesel::result::Error::NotFound)?)
}

/// How someone added from Slack gets in: a new account chooses its first password by a link sent
/// to `email` (until `expires`); an existing one signs in as always.
pub enum WayIn {
    ChoosePassword { email: String, expires: String },
    SignIn(String),
}

/// The direct message Slack's bot sends each person added (Slack's mrkdwn: `<url|text>`). It
/// never carries the link that sets a password: that goes by email only.
pub fn direct_message(adder: &str, workspace: &str, organization: &str, way_in: &WayIn) -> String {
    let opening = format!(
        "{adder} added you to *{workspace}* ({organization}).",
        adder = escape_mrkdwn(adder),
        workspace = escape_mrkdwn(workspace),
        organization = escape_mrkdwn(organization),
    );
    match way_in {
        WayIn::ChoosePassword { email, expires } => format!(
            "{opening} To choose your password, open the link we sent to {email}: it works \
             once, until {expires}.",
            email = escape_mrkdwn(email),
        ),
        WayIn::SignIn(link) => {
            format!("{opening} Sign in with your account: <{link}|open the console>")
        }
    }
}

/// Slack's three control characters in message text (`&`, `<`, `>`), escaped as Slack asks.
fn escape_mrkdwn(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_direct_message_escapes_names_and_sends_to_the_email_for_a_password() {
        let text = direct_message(
            "Ada <admin>",
            "R&D",
            "Acme",
            &WayIn::ChoosePassword {
                email: "grace@example.com".into(),
                expires: "12 December 2026".into(),
            },
        );
        assert!(text.starts_with("Ada &lt;admin&gt; added you to *R&amp;D* (Acme)."));
        assert!(text.contains("open the link we sent to grace@example.com"));
        assert!(text.contains("until 12 December 2026"));
        assert!(!text.contains("http"), "no link: {text}");
        let text = direct_message(
            "Ada",
            "R&D",
            "Acme",
            &WayIn::SignIn("https://console.example/login".into()),
        );
        assert!(text.starts_with("Ada added you to *R&amp;D* (Acme). Sign in"));
        assert!(text.contains("<https://console.example/login|open the console>"));
        assert!(!text.contains("password"), "{text}");
    }

    #[test]
    fn people_are_read_again_when_stale_and_not_already_asked() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc();
        let connection = |read: Option<i64>, asked: bool| Connection {
            team_id: "T1".into(),
            team_name: "Team".into(),
            scopes: String::new(),
            token_sealed: String::new(),
            connected_at: now,
            people_read_at: read.map(|m| now - Duration::minutes(m)),
            read_requested_at: asked.then_some(now),
            read_error: None,
            read_progress: 0,
        };
        assert!(is_stale(&connection(None, false), now));
        assert!(is_stale(&connection(Some(6), false), now));
        assert!(!is_stale(&connection(Some(4), false), now));
        assert!(!is_stale(&connection(Some(60), true), now), "already asked");
    }
}
