//! Importing people from a CSV (issue 18 §1): a preview that writes nothing but itself (kept an
//! hour), then its commit — exactly the rows it showed as invited, as one all-or-nothing batch under
//! the invite dialog's rules, or, when the workspace changed meanwhile, a fresh preview instead.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::invitations::{self, InviteError, InviteRequest, InviteSettings, Inviter};
use crate::db::{self, AnyConnection, Lock};
use crate::domain::Email;
use crate::domain::ids::{AccountId, WorkspaceId};
use crate::domain::import::ImportRow;
use crate::domain::invitation::AddressList;
use crate::domain::membership::{AccountStatus, MembershipStatus, restorable};
use crate::domain::policy;
use crate::domain::role::Permission;
use crate::store::import_previews::{self, NewPreview};
use crate::store::{accounts, audit, groups, memberships, roles, workspaces};

/// How long a preview can be committed.
pub const KEPT_MINUTES: i64 = 60;
/// The most people one invitation request names (the dialog's limit): a larger import is sent
/// as several, in the same transaction.
const BATCH: usize = 500;

/// What a row will do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum Outcome {
    /// Invited with this role key and these group ids.
    Invite {
        role: String,
        groups: Vec<i64>,
    },
    Member,
    /// Invited already: a resend is offered.
    Invited,
    /// Removed: a restore is offered.
    Removed,
    /// Blocked, with a membership here (its row on the list shows it anyway).
    Blocked,
    /// Blocked elsewhere in the organization: not said to an inviter of this workspace.
    NotInvitable,
    /// The row cannot be read as it is (an address, a name, a role or group that is not there).
    Invalid(String),
    /// The row asks for what this inviter may not give (a stronger role, a group): said as such,
    /// not as a mistake in the file.
    NotAllowed(String),
    /// The same address as this earlier line.
    Duplicate(usize),
}

impl Outcome {
    pub fn is_invite(&self) -> bool {
        matches!(self, Outcome::Invite { .. })
    }

    /// Refused: the row does nothing, and a later row with its address is not a duplicate of it.
    pub fn is_refused(&self) -> bool {
        matches!(self, Outcome::Invalid(_) | Outcome::NotAllowed(_))
    }

    /// The preview's badge, in a word or three; the reason, if any, is [`Outcome::why`].
    pub fn label(&self) -> String {
        match self {
            Outcome::Invalid(_) => "Invalid".to_owned(),
            Outcome::NotAllowed(_) => "Not allowed".to_owned(),
            Outcome::NotInvitable => "Cannot be invited".to_owned(),
            other => other.words(),
        }
    }

    /// Why a refused row is refused, beside its badge.
    pub fn why(&self) -> Option<String> {
        match self {
            Outcome::Invalid(why) | Outcome::NotAllowed(why) => Some(why.clone()),
            Outcome::NotInvitable => Some("an org admin can say why".to_owned()),
            _ => None,
        }
    }

    /// What the preview says.
    pub fn words(&self) -> String {
        match self {
            Outcome::Invite { .. } => "Will be invited".to_owned(),
            Outcome::Member => "Already a member".to_owned(),
            Outcome::Invited => "Already invited".to_owned(),
            Outcome::Removed => "Removed from this workspace".to_owned(),
            Outcome::Blocked => "Blocked in this organization".to_owned(),
            Outcome::NotInvitable => "Cannot be invited: an org admin can say why".to_owned(),
            Outcome::Invalid(why) => format!("Invalid: {why}"),
            Outcome::NotAllowed(why) => format!("Not allowed: {why}"),
            Outcome::Duplicate(line) => format!("Duplicate of line {line}"),
        }
    }
}

/// A preview: each row with its outcome, and the seats.
pub struct Preview {
    pub id: i64,
    pub file_name: String,
    pub rows: Vec<(ImportRow, Outcome)>,
    pub seats_used: i64,
    pub seat_limit: Option<i64>,
    /// Why the import cannot go as it is (too few seats), if so.
    pub blocked_by: Option<String>,
    /// The workspace's roles, to name each row's role as the console does.
    roles: Vec<roles::RoleChoice>,
}

impl Preview {
    pub fn inviting(&self) -> usize {
        self.rows.iter().filter(|(_, o)| o.is_invite()).count()
    }

    /// How many rows will be invited with the role `key`.
    pub fn inviting_as(&self, key: &str) -> usize {
        self.rows
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Invite { role, .. } if role == key))
            .count()
    }

    /// The role a row asks for, by its name ("Admin" for "admin", Member for none); an unknown
    /// one as written.
    pub fn role_of(&self, row: &ImportRow) -> String {
        let typed = row.role.trim();
        role_named(&self.roles, typed).map_or_else(|| typed.to_owned(), |r| r.name.clone())
    }
}

/// What the rows are judged against: the workspace's roles and groups, and the accounts and
/// memberships their addresses already have.
struct Known {
    role_choices: Vec<roles::RoleChoice>,
    groups: GroupNames,
    /// The groups that hold app grants (joining one gives them: that takes apps.manage).
    granting: Vec<i64>,
    /// By address, in lower case.
    found: HashMap<String, accounts::Account>,
    /// A removal past its restore window is not here: the import's invitation purges it.
    statuses: HashMap<AccountId, MembershipStatus>,
    user_names: HashSet<String>,
}

impl Known {
    fn read(
        conn: &mut AnyConnection,
        workspace: WorkspaceId,
        rows: &[ImportRow],
        now: NaiveDateTime,
    ) -> Result<Self, diesel::result::Error> {
        let group_names = groups::every_name(conn, workspace, None)?;
        let all_groups: Vec<i64> = group_names.iter().map(|(id, _)| *id).collect();
        let emails: Vec<Email> = rows
            .iter()
            .filter_map(|r| Email::parse(&r.email).ok())
            .collect();
        let found = accounts::find_by_emails(conn, &emails)?;
        let ids: Vec<AccountId> = found.iter().map(|a| a.id).collect();
        Ok(Self {
            role_choices: roles::choices(conn, workspace)?,
            granting: groups::holding_grants(conn, &all_groups)?,
            groups: GroupNames::of(group_names),
            statuses: memberships::statuses(conn, workspace, &ids)?
                .into_iter()
                .filter(|(_, status, removed_at)| {
                    *status != MembershipStatus::Removed
                        || removed_at.is_none_or(|at| restorable(at, now))
                })
                .map(|(id, status, _)| (id, status))
                .collect(),
            found: found
                .into_iter()
                .map(|a| (a.email.to_lowercase(), a))
                .collect(),
            user_names: memberships::user_names(conn, workspace)?,
        })
    }

    /// What a row does on its own (its address read, in lower case, as `key`).
    fn judge(&self, inviter: &Inviter<'_>, row: &ImportRow, key: &str) -> Outcome {
        // Every mistake in the row is said at once: one upload corrects them all.
        let mut mistakes = Vec::new();
        for (what, name) in [
            ("first name", &row.first_name),
            ("last name", &row.last_name),
        ] {
            if !name.is_empty()
                && let Err(e) = crate::domain::Name::parse(name)
            {
                mistakes.push(format!("{what}: {e}"));
            }
        }
        let typed = row.role.trim();
        let role = role_named(&self.role_choices, typed);
        if role.is_none() {
            mistakes.push(format!("unknown role “{typed}”"));
        }
        let group_ids = if row.groups.len() > MAX_GROUPS_PER_ROW {
            mistakes.push(format!(
                "names {} groups; a row takes at most {MAX_GROUPS_PER_ROW}",
                row.groups.len()
            ));
            Err(())
        } else {
            self.groups
                .ids(&row.groups)
                .map_err(|name| mistakes.push(format!("unknown group “{name}”")))
        };
        let (Some(role), Ok(group_ids), true) = (role, group_ids, mistakes.is_empty()) else {
            return Outcome::Invalid(mistakes.join("; "));
        };
        if let Err(why) = policy::may_grant_role(inviter.permissions, role.permissions) {
            return Outcome::NotAllowed(why.to_owned());
        }
        if !group_ids.is_empty() && !inviter.permissions.contains(Permission::GroupsManage) {
            return Outcome::NotAllowed(
                "you cannot add people to groups (it needs groups.manage)".to_owned(),
            );
        }
        let grants = group_ids
            .iter()
            .filter(|g| self.granting.contains(g))
            .count() as i64;
        if let Err(why) = policy::may_put_in_groups(inviter.permissions, grants) {
            return Outcome::NotAllowed(why.to_owned());
        }
        if let Some(account) = self.found.get(key) {
            if account.status == AccountStatus::Blocked {
                return match self.statuses.get(&account.id) {
                    Some(_) => Outcome::Blocked,
                    None => Outcome::NotInvitable,
                };
            }
            if let Some(status) = self.statuses.get(&account.id) {
                return match status {
                    MembershipStatus::Invited => Outcome::Invited,
                    MembershipStatus::Removed => Outcome::Removed,
                    _ => Outcome::Member,
                };
            }
        }
        if self.user_names.contains(key) {
            // As the invite dialog says: the identity provider knows another member by it.
            return Outcome::Invalid("the SCIM userName of another member here".to_owned());
        }
        Outcome::Invite {
            role: role.key.clone(),
            groups: group_ids,
        }
    }
}

/// What each row would do now, for this inviter.
fn outcomes(
    conn: &mut AnyConnection,
    inviter: &Inviter<'_>,
    workspace: WorkspaceId,
    rows: &[ImportRow],
    now: NaiveDateTime,
) -> Result<Vec<Outcome>, diesel::result::Error> {
    let known = Known::read(conn, workspace, rows, now)?;
    // A later row with the same address is a duplicate of the first that was not refused: a
    // corrected copy after a mistaken one counts.
    let mut seen: HashMap<String, usize> = HashMap::new();
    Ok(rows
        .iter()
        .map(|row| {
            let email = match Email::parse(&row.email) {
                Ok(email) => email,
                Err(e) => return Outcome::Invalid(format!("“{}”: {e}", row.email)),
            };
            let key = email.as_str().to_lowercase();
            if let Some(first) = seen.get(&key) {
                return Outcome::Duplicate(*first);
            }
            let outcome = known.judge(inviter, row, &key);
            if !outcome.is_refused() {
                seen.insert(key, row.line);
            }
            outcome
        })
        .collect())
}

/// The role a row names by name, in any case, or else by key (Member when it names none), if it
/// exists. The name comes first: a custom role's key is its id, and a role named "5" is what a
/// row saying 5 means, not the role whose id is 5.
fn role_named<'a>(choices: &'a [roles::RoleChoice], typed: &str) -> Option<&'a roles::RoleChoice> {
    if typed.is_empty() {
        return choices.iter().find(|r| r.key == "member");
    }
    let typed_lower = typed.to_lowercase();
    choices
        .iter()
        .find(|r| r.name.to_lowercase() == typed_lower)
        .or_else(|| choices.iter().find(|r| r.key.eq_ignore_ascii_case(typed)))
}

/// How many groups one row may name: every group joined is a row written in the import's one
/// transaction, which holds the database's writes while it runs.
pub const MAX_GROUPS_PER_ROW: usize = 20;

/// A group name as rows are matched to it: in lower case, and with no space around a `;` (a
/// groups cell is split at its semicolons, each name trimmed).
fn group_key(name: &str) -> String {
    name.split(';')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(";")
        .to_lowercase()
}

/// The workspace's groups as rows name them.
struct GroupNames {
    /// By [`group_key`].
    by_key: HashMap<String, i64>,
    /// The most parts a group's name has when split at its semicolons (1 where none has any).
    most_parts: usize,
}

impl GroupNames {
    fn of(groups: Vec<(i64, String)>) -> Self {
        let most_parts = groups
            .iter()
            .map(|(_, name)| name.split(';').count())
            .max()
            .unwrap_or(1);
        let by_key = groups
            .into_iter()
            .map(|(id, name)| (group_key(&name), id))
            .collect();
        Self { by_key, most_parts }
    }

    /// The ids of the groups a row names (in any case), sorted and each once; or the first name
    /// no group of the workspace has. A group whose own name holds a `;` ("R;D") is named by the
    /// parts the cell was split into: the longest run of parts that names a group is taken first.
    fn ids(&self, names: &[String]) -> Result<Vec<i64>, String> {
        let mut ids = Vec::new();
        let mut from = 0;
        while from < names.len() {
            let longest = names.len().min(from + self.most_parts);
            let found = (from + 1..=longest).rev().find_map(|to| {
                let id = self.by_key.get(&group_key(&names[from..to].join(";")))?;
                Some((*id, to))
            });
            let Some((id, to)) = found else {
                return Err(names[from].clone());
            };
            ids.push(id);
            from = to;
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }
}

fn json_error(e: serde_json::Error) -> diesel::result::Error {
    diesel::result::Error::SerializationError(Box::new(e))
}

/// Previews `rows` and keeps the preview (an hour) for its commit.
pub fn preview(
    conn: &mut AnyConnection,
    inviter: &Inviter<'_>,
    (workspace, account): (WorkspaceId, AccountId),
    file_name: &str,
    rows: Vec<ImportRow>,
    now: NaiveDateTime,
) -> Result<Preview, diesel::result::Error> {
    let outcomes = outcomes(conn, inviter, workspace, &rows, now)?;
    let id = db::write_first(conn, |conn| {
        import_previews::insert(
            conn,
            &NewPreview {
                workspace,
                account,
                file_name,
                rows_json: &serde_json::to_string(&rows).map_err(json_error)?,
                outcomes_json: &serde_json::to_string(&outcomes).map_err(json_error)?,
            },
            now,
            now + Duration::minutes(KEPT_MINUTES),
        )
    })?;
    assemble(conn, workspace, id, file_name, rows, outcomes)
}

fn assemble(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    id: i64,
    file_name: &str,
    rows: Vec<ImportRow>,
    outcomes: Vec<Outcome>,
) -> Result<Preview, diesel::result::Error> {
    let space = workspaces::find(conn, workspace)?.ok_or(diesel::result::Error::NotFound)?;
    let inviting = outcomes.iter().filter(|o| o.is_invite()).count() as i64;
    let used = space.counts.seats_used();
    let blocked_by = policy::check_seats(space.plan.name(), space.seat_limit, used, inviting)
        .err()
        .map(|_| {
            use crate::domain::grouped;
            format!(
                "{} plan: {} seats, {} in use; this file would invite {}. Take rows out of the \
                 file, or free seats first.",
                space.plan.name(),
                grouped(space.seat_limit.unwrap_or_default()),
                grouped(used),
                grouped(inviting),
            )
        });
    Ok(Preview {
        id,
        file_name: file_name.to_owned(),
        rows: rows.into_iter().zip(outcomes).collect(),
        seats_used: space.counts.seats_used(),
        seat_limit: space.seat_limit,
        blocked_by,
        roles: roles::choices(conn, workspace)?,
    })
}

/// A kept preview again (for its problem rows), if it is still live.
pub fn kept(
    conn: &mut AnyConnection,
    (workspace, account): (WorkspaceId, AccountId),
    id: i64,
    now: NaiveDateTime,
) -> Result<Option<Preview>, diesel::result::Error> {
    let Some(stored) = import_previews::find(conn, id, workspace, account, now)? else {
        return Ok(None);
    };
    let rows: Vec<ImportRow> = serde_json::from_str(&stored.rows_json).map_err(json_error)?;
    let outcomes: Vec<Outcome> = serde_json::from_str(&stored.outcomes_json).map_err(json_error)?;
    assemble(conn, workspace, id, &stored.file_name, rows, outcomes).map(Some)
}

/// What committing a preview did.
pub enum Committed {
    /// Invited this many people.
    Done(usize),
    /// The workspace changed since (the rows' outcomes, or the seats left): nothing was written
    /// but this fresh preview.
    Changed(Preview),
    /// No such live preview (used, expired, or someone else's).
    Gone,
    /// No row of the preview invites anyone: nothing was written (the page offered no import).
    Nothing,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Invite(#[from] InviteError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Commits a kept preview: if every row would still do what it showed, invites the rows it showed
/// as invited (their names on accounts that have none yet), all or nothing, with one event for the
/// import; the preview is used up.
pub fn commit(
    conn: &mut AnyConnection,
    inviter: &Inviter<'_>,
    (workspace, account): (WorkspaceId, AccountId),
    id: i64,
    settings: &InviteSettings,
    now: NaiveDateTime,
) -> Result<Committed, ImportError> {
    // Nothing to commit: answered without taking the workspace's lock (which writes).
    if import_previews::find(conn, id, workspace, account, now)?.is_none() {
        return Ok(Committed::Gone);
    }
    let step = db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let Some(stored) = import_previews::find(conn, id, workspace, account, now)? else {
            return Ok(Step::Done(Committed::Gone));
        };
        let rows: Vec<ImportRow> = serde_json::from_str(&stored.rows_json).map_err(json_error)?;
        let shown: Vec<Outcome> =
            serde_json::from_str(&stored.outcomes_json).map_err(json_error)?;
        let now_outcomes = outcomes(conn, inviter, workspace, &rows, now)?;
        if now_outcomes != shown {
            import_previews::delete(conn, id)?;
            return Ok(Step::Changed(stored.file_name, rows));
        }
        let preview = assemble(conn, workspace, id, &stored.file_name, rows, shown)?;
        // Seats taken meanwhile (the rows' outcomes alike): a fresh preview says so.
        if preview.blocked_by.is_some() {
            import_previews::delete(conn, id)?;
            let rows = preview.rows.into_iter().map(|(row, _)| row).collect();
            return Ok(Step::Changed(preview.file_name, rows));
        }
        if preview.inviting() == 0 {
            return Ok(Step::Done(Committed::Nothing));
        }
        let requests = invite_requests(workspace, &preview.rows)?;
        for request in &requests {
            invitations::invite_members(conn, inviter, request, settings, now)?;
        }
        let invited = preview.inviting();
        audit::record(
            conn,
            inviter.actor,
            &audit::NewEvent {
                workspace_id: Some(workspace),
                action: "users.imported",
                target_type: "workspace",
                target_id: Some(workspace.0),
                target_label: &preview.file_name,
                changes: json!({
                    "rows": preview.rows.len(),
                    "invited": invited,
                    "skipped": preview.rows.len() - invited,
                }),
            },
            now,
        )?;
        import_previews::delete(conn, id)?;
        Ok::<_, ImportError>(Step::Done(Committed::Done(invited)))
    })?;
    match step {
        Step::Done(committed) => Ok(committed),
        // A changed workspace: a fresh preview of the same rows, kept again.
        Step::Changed(file_name, rows) => Ok(Committed::Changed(preview(
            conn,
            inviter,
            (workspace, account),
            &file_name,
            rows,
            now,
        )?)),
    }
}

/// The invitations a kept preview's rows ask for: one request per role and set of groups, at most
/// `BATCH` addresses each; the file's names go to the accounts it makes.
fn invite_requests(
    workspace: WorkspaceId,
    rows: &[(ImportRow, Outcome)],
) -> Result<Vec<InviteRequest>, diesel::result::Error> {
    let mut requests: Vec<InviteRequest> = Vec::new();
    for (row, outcome) in rows {
        let Outcome::Invite { role, groups } = outcome else {
            continue;
        };
        let email = Email::parse(&row.email).map_err(|_| diesel::result::Error::NotFound)?;
        let at = requests.iter().position(|r| {
            r.role == *role && r.group_ids == *groups && r.addresses.valid.len() < BATCH
        });
        let request = match at {
            Some(at) => &mut requests[at],
            None => {
                requests.push(InviteRequest {
                    workspace,
                    addresses: AddressList::default(),
                    role: role.clone(),
                    group_ids: groups.clone(),
                    app_ids: Vec::new(),
                });
                requests.last_mut().expect("just pushed")
            }
        };
        let names = (
            row.first_name.trim().to_owned(),
            row.last_name.trim().to_owned(),
        );
        request
            .addresses
            .names
            .insert(email.as_str().to_lowercase(), names);
        request.addresses.valid.push(email);
    }
    Ok(requests)
}

/// How the commit's transaction ended.
enum Step {
    Done(Committed),
    Changed(String, Vec<ImportRow>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::RoleId;
    use crate::domain::role::PermissionSet;

    #[test]
    fn a_role_is_named_by_its_name_before_its_key() {
        let role = |id: i64, key: &str, name: &str| roles::RoleChoice {
            id: RoleId(id),
            key: key.to_owned(),
            name: name.to_owned(),
            permissions: PermissionSet::default(),
        };
        let choices = [
            role(4, "member", "Member"),
            role(5, "5", "Manager"),
            role(30, "30", "5"),
            role(31, "31", "Équipe"),
        ];
        let named = |typed: &str| role_named(&choices, typed).map(|r| r.id.0);
        assert_eq!(
            named("5"),
            Some(30),
            "the role named 5, not the role of id 5"
        );
        assert_eq!(named("manager"), Some(5));
        assert_eq!(named("31"), Some(31), "a key still names its role");
        assert_eq!(named("ÉQUIPE"), Some(31));
        assert_eq!(named(""), Some(4));
        assert_eq!(named("nobody"), None);
    }

    #[test]
    fn groups_are_named_in_any_case_and_with_semicolons_of_their_own() {
        let names =
            |cell: &str| -> Vec<String> { cell.split(';').map(|g| g.trim().to_owned()).collect() };
        let plain = GroupNames::of(vec![(1, "Sales".into()), (2, "Ops".into())]);
        assert_eq!(plain.ids(&names("ops;SALES;Ops")), Ok(vec![1, 2]));
        assert_eq!(plain.ids(&names("Ops;Nope")), Err("Nope".to_owned()));
        let semicolons = GroupNames::of(vec![
            (1, "R".into()),
            (2, "R; D".into()),
            (3, "Sales".into()),
        ]);
        assert_eq!(
            semicolons.ids(&names("r;d;Sales")),
            Ok(vec![2, 3]),
            "the longest name first"
        );
        assert_eq!(semicolons.ids(&names("R;Sales")), Ok(vec![1, 3]));
        assert_eq!(semicolons.ids(&names("Sales;D")), Err("D".to_owned()));
    }
}
