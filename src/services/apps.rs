//! Apps, workflows and projects (issue 6): create, change (name, kind, owner, restricted), delete,
//! and who may use them — grants to members and groups at view < run < edit. Each change is one
//! transaction with its audit event.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::{self, AnyConnection, Lock};
use crate::domain::access::{AppKind, Effective, Level, UNRESTRICTED_LEVEL, effective_access};
use crate::domain::ids::{MembershipId, WorkspaceId};
use crate::domain::role::{Permission, PermissionSet};
use crate::domain::{Email, Name};
use crate::services::audit::Changes;
use crate::services::held;
use crate::store::apps::{self, App, AppFields, Subject};
use crate::store::audit::{self, Actor};
use crate::store::{groups, memberships, unique_violation_as};

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("Another {0} has this name already: choose another name.")]
    NameTaken(&'static str),
    #[error("Nobody with this address is a member of this workspace.")]
    NotAMember,
    /// Finding a member by address probes the workspace's people: it takes `users.view`.
    #[error("Naming a member here takes seeing the workspace's people (users.view).")]
    SeesNoPeople,
    #[error("This group no longer exists.")]
    NoSuchGroup,
    #[error("This no longer exists.")]
    NotFound,
    #[error("This grant no longer exists.")]
    NoSuchGrant,
    /// The sender no longer holds `apps.manage` (see `held::still_holds`).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The workspace and the app a change is about.
#[derive(Debug, Clone, Copy)]
pub struct InWorkspace {
    pub workspace: WorkspaceId,
    pub app: i64,
}

impl InWorkspace {
    /// The app, named `name`, as an audit event's subject.
    fn subject(self, name: &str) -> audit::Subject<'_> {
        audit::Subject {
            workspace: self.workspace,
            kind: "app",
            id: self.app,
            label: name,
        }
    }
}

/// An app as its forms give it: the owner by email address (none: unassigned).
pub struct AppInput {
    pub kind: AppKind,
    pub name: Name,
    pub owner: Option<Email>,
    /// A change from someone who does not see the workspace's people: the owner stays as it is,
    /// whatever `owner` says (their form has no owner field).
    pub keep_owner: bool,
    pub restricted: bool,
}

/// Who a grant is for, as the forms name them.
pub enum GrantTo {
    Member(Email),
    Group(i64),
}

/// Refused when `actor` no longer manages apps, read inside the change's transaction.
/// What the sender holds now, when it is `apps.manage` (none for a sender without an account).
fn still_manages(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: WorkspaceId,
) -> Result<Option<PermissionSet>, ChangeError> {
    held::still_holds(conn, actor, workspace, Permission::AppsManage)?.map_err(ChangeError::Refused)
}

fn existing(conn: &mut AnyConnection, at: InWorkspace) -> Result<App, ChangeError> {
    apps::find(conn, at.workspace, at.app)?.ok_or(ChangeError::NotFound)
}

/// The member with this address (not removed), with the address as stored, for a sender who
/// sees the workspace's people (`by`: what they hold).
fn member_by_email(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    email: &Email,
    by: Option<PermissionSet>,
) -> Result<(MembershipId, String), ChangeError> {
    if by.is_some_and(|held| !held.contains(Permission::UsersView)) {
        return Err(ChangeError::SeesNoPeople);
    }
    memberships::current_by_emails(conn, workspace, std::slice::from_ref(email))?
        .pop()
        .ok_or(ChangeError::NotAMember)
}

/// Checks the name and finds the owner (the app's as it is, `before`, when it is kept); the
/// fields to write.
fn resolve<'a>(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    input: &'a AppInput,
    before: Option<&App>,
    by: Option<PermissionSet>,
) -> Result<(AppFields<'a>, Option<String>), ChangeError> {
    let except = before.map(|app| app.id);
    if apps::name_taken(conn, workspace, input.kind, input.name.as_str(), except)? {
        return Err(ChangeError::NameTaken(input.kind.key()));
    }
    let kept = before.and_then(|app| app.owner.as_ref());
    let owner = match (&input.owner, kept) {
        _ if input.keep_owner => kept.map(|kept| (kept.id, kept.email.clone())),
        (Some(email), Some(kept)) if email.as_str().eq_ignore_ascii_case(&kept.email) => {
            Some((kept.id, kept.email.clone()))
        }
        (Some(email), _) => Some(member_by_email(conn, workspace, email, by)?),
        (None, _) => None,
    };
    let fields = AppFields {
        kind: input.kind,
        name: input.name.as_str(),
        owner: owner.as_ref().map(|(id, _)| *id),
        restricted: input.restricted,
    };
    Ok((fields, owner.map(|(_, email)| email)))
}

pub fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: WorkspaceId,
    input: &AppInput,
    now: NaiveDateTime,
) -> Result<i64, ChangeError> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let by = still_manages(conn, actor, workspace)?;
        let (fields, owner) = resolve(conn, workspace, input, None, by)?;
        let app =
            apps::insert(conn, workspace, &fields, now).map_err(unique_violation_as(|| {
                ChangeError::NameTaken(input.kind.key())
            }))?;
        let changes = json!({
            "kind": input.kind.key(),
            "name": input.name.as_str(),
            "owner": owner,
            "restricted": input.restricted,
        });
        let at = InWorkspace { workspace, app };
        audit::record_about(
            conn,
            actor,
            &at.subject(input.name.as_str()),
            "app.created",
            changes,
            now,
        )?;
        Ok(app)
    })
}

/// Changes an app; the event records what changed (nothing changed: no event).
pub fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    at: InWorkspace,
    input: &AppInput,
    now: NaiveDateTime,
) -> Result<(), ChangeError> {
    db::write_transaction(conn, Lock::Workspace(at.workspace), |conn| {
        let by = still_manages(conn, actor, at.workspace)?;
        let before = existing(conn, at)?;
        let (fields, owner) = resolve(conn, at.workspace, input, Some(&before), by)?;
        let owner_before = before.owner.as_ref().map(|o| o.email.clone());
        let mut changes = Changes::default();
        changes.field("kind", before.kind.key(), input.kind.key());
        changes.field("name", &before.name, input.name.as_str());
        changes.field("owner", owner_before, &owner);
        changes.field("restricted", before.restricted, input.restricted);
        if changes.is_empty() {
            return Ok(());
        }
        apps::update(conn, at.app, &fields, now).map_err(unique_violation_as(|| {
            ChangeError::NameTaken(input.kind.key())
        }))?;
        Ok(audit::record_about(
            conn,
            actor,
            &at.subject(input.name.as_str()),
            "app.updated",
            changes.into_json(),
            now,
        )?)
    })
}

/// Deletes an app with its grants; the event keeps how many grants it had.
pub fn delete(
    conn: &mut AnyConnection,
    actor: &Actor,
    at: InWorkspace,
    now: NaiveDateTime,
) -> Result<App, ChangeError> {
    db::write_transaction(conn, Lock::Workspace(at.workspace), |conn| {
        still_manages(conn, actor, at.workspace)?;
        let app = existing(conn, at)?;
        let invitations = crate::store::invitations::choosing(
            conn,
            crate::store::invitations::Chosen::App(at.app),
            now,
        )?;
        apps::delete(conn, at.app)?;
        let changes = json!({
            "kind": app.kind.key(),
            "grants": app.grant_count,
            "invitations": invitations,
        });
        audit::record_about(
            conn,
            actor,
            &at.subject(&app.name),
            "app.deleted",
            changes,
            now,
        )?;
        Ok(app)
    })
}

/// What granting did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Granted {
    Added,
    Changed { before: Level },
    Unchanged,
}

/// What a grant did, for its message.
#[derive(Debug, Clone)]
pub struct GrantOutcome {
    pub granted: Granted,
    /// The subject's name: the member's address, or "group Finance".
    pub label: String,
    /// A member who reaches a higher level another way (a group's grant, the app open to
    /// everyone): that access, which this grant does not lower.
    pub beyond: Option<Effective>,
    /// The app is not restricted and the level is one every active member holds already: the
    /// grant gives nothing more.
    pub open_to_all: bool,
}

/// Gives a member (by address) or a group `level` on the app: a new grant, or a new level for
/// the one they hold.
pub fn grant(
    conn: &mut AnyConnection,
    actor: &Actor,
    at: InWorkspace,
    to: &GrantTo,
    level: Level,
    now: NaiveDateTime,
) -> Result<GrantOutcome, ChangeError> {
    db::write_transaction(conn, Lock::Workspace(at.workspace), |conn| {
        let by = still_manages(conn, actor, at.workspace)?;
        let app = existing(conn, at)?;
        let (subject, label) = match to {
            GrantTo::Member(email) => {
                let (id, email) = member_by_email(conn, at.workspace, email, by)?;
                (Subject::Member(id), email)
            }
            GrantTo::Group(id) => {
                let group =
                    groups::find(conn, at.workspace, *id)?.ok_or(ChangeError::NoSuchGroup)?;
                (Subject::Group(group.id), format!("group {}", group.name))
            }
        };
        let beyond = |conn: &mut AnyConnection| -> Result<Option<Effective>, ChangeError> {
            let Subject::Member(member) = subject else {
                return Ok(None);
            };
            let mut reaching = apps::grants_reaching(conn, at.workspace, member)?;
            reaching.retain(|g| g.app_id == app.id);
            Ok(effective_access(reaching).pop().filter(|e| e.level > level))
        };
        let open_to_all = !app.restricted && level <= UNRESTRICTED_LEVEL;
        let granted = match apps::grant_of(conn, at.app, subject)? {
            None => {
                apps::insert_grant(conn, at.app, subject, level, now)?;
                Granted::Added
            }
            Some((_, before)) if before == level => {
                return Ok(GrantOutcome {
                    granted: Granted::Unchanged,
                    beyond: beyond(conn)?,
                    label,
                    open_to_all,
                });
            }
            Some((id, before)) => {
                apps::set_grant_level(conn, id, level)?;
                Granted::Changed { before }
            }
        };
        let (action, changes) = match &granted {
            Granted::Changed { before } => (
                "app.access_changed",
                json!({ "to": label, "level": { "before": before.key(), "after": level.key() } }),
            ),
            _ => (
                "app.access_granted",
                json!({ "to": label, "level": level.key() }),
            ),
        };
        let people = named(subject);
        audit::record_naming(
            conn,
            actor,
            &at.subject(&app.name),
            action,
            changes,
            &people,
            now,
        )?;
        Ok(GrantOutcome {
            granted,
            beyond: beyond(conn)?,
            label,
            open_to_all,
        })
    })
}

/// Changes the level of one of the app's grants (from its row on the Access tab).
pub fn change_level(
    conn: &mut AnyConnection,
    actor: &Actor,
    at: InWorkspace,
    grant: i64,
    level: Level,
    now: NaiveDateTime,
) -> Result<String, ChangeError> {
    db::write_transaction(conn, Lock::Workspace(at.workspace), |conn| {
        still_manages(conn, actor, at.workspace)?;
        let (app, line) = existing_grant(conn, at, grant)?;
        let label = subject_label(&line);
        if line.level != level {
            apps::set_grant_level(conn, grant, level)?;
            let changes = json!({
                "to": label,
                "level": { "before": line.level.key(), "after": level.key() },
            });
            audit::record_naming(
                conn,
                actor,
                &at.subject(&app.name),
                "app.access_changed",
                changes,
                &named(line.subject),
                now,
            )?;
        }
        Ok(label)
    })
}

/// Ends one of the app's grants.
pub fn revoke(
    conn: &mut AnyConnection,
    actor: &Actor,
    at: InWorkspace,
    grant: i64,
    now: NaiveDateTime,
) -> Result<String, ChangeError> {
    db::write_transaction(conn, Lock::Workspace(at.workspace), |conn| {
        still_manages(conn, actor, at.workspace)?;
        let (app, line) = existing_grant(conn, at, grant)?;
        let label = subject_label(&line);
        apps::delete_grant(conn, grant)?;
        let changes = json!({ "to": label, "level": line.level.key() });
        audit::record_naming(
            conn,
            actor,
            &at.subject(&app.name),
            "app.access_revoked",
            changes,
            &named(line.subject),
            now,
        )?;
        Ok(label)
    })
}

/// The app and one of its grants (also what ending it asks about).
pub fn existing_grant(
    conn: &mut AnyConnection,
    at: InWorkspace,
    grant: i64,
) -> Result<(App, apps::GrantLine), ChangeError> {
    let app = existing(conn, at)?;
    let line = apps::grants_of(conn, at.app)?
        .into_iter()
        .find(|g| g.id == grant)
        .ok_or(ChangeError::NoSuchGrant)?;
    Ok((app, line))
}

/// "group Finance", or the member's address.
/// Whom a grant's event names besides the app: the member it is to (a group's is the group's).
fn named(subject: Subject) -> Vec<MembershipId> {
    match subject {
        Subject::Member(member) => vec![member],
        Subject::Group(_) => Vec::new(),
    }
}

fn subject_label(line: &apps::GrantLine) -> String {
    match line.subject {
        Subject::Group(_) => format!("group {}", line.name),
        Subject::Member(_) => line.detail.clone(),
    }
}
