//! The audit log: append-only (the database refuses UPDATE and DELETE on it).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{AnyConnection, QueryResult};
use crate::db::schema::{audit_event_people, audit_events, memberships};
use crate::domain::ids::{AccountId, WorkspaceId};

/// Who did it: a signed-in person, or the command line.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account_id: Option<AccountId>,
    pub label: String,
    /// The acting account's address: the log names it beside the name, which anyone can set
    /// for themselves ("Ada Lovelace", "Scheduled task") and so proves nothing alone.
    pub address: Option<String>,
    pub ip: Option<String>,
}

impl Actor {
    /// The name of the person acting; none for an API key, the command line or a scheduled task.
    pub fn person(&self) -> Option<&str> {
        self.account_id.map(|_| self.label.as_str())
    }

    /// The account acting itself (signing in, choosing a new password), from `ip`.
    pub fn account(account: &crate::store::accounts::Account, ip: Option<&str>) -> Self {
        Self {
            account_id: Some(account.id),
            label: account.display_name(),
            address: Some(account.email.clone()),
            ip: ip.map(str::to_owned),
        }
    }

    pub fn command_line() -> Self {
        Self {
            account_id: None,
            label: "Command line".to_owned(),
            address: None,
            ip: None,
        }
    }

    /// The server's own scheduled work (expiries, purges).
    pub fn scheduled() -> Self {
        Self {
            account_id: None,
            label: "Scheduled task".to_owned(),
            address: None,
            ip: None,
        }
    }

    /// How the log names them: "Ada Lovelace (ada@example.com)" for a person with a name, the
    /// address alone without one — or with a name holding an `@`, which could pose as another's
    /// address ("Ada Lovelace (ada@example.com)" typed as a name) — the label for anything else.
    pub fn logged(&self) -> String {
        match &self.address {
            Some(address) if self.label.contains('@') => address.clone(),
            Some(address) => format!("{} ({address})", self.label),
            None => self.label.clone(),
        }
    }
}

/// One change, written in the transaction that makes it (PRODUCT §4.10).
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub workspace_id: Option<WorkspaceId>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<i64>,
    pub target_label: &'a str,
    /// Before → after of changed fields, or other facts of the event; a `reason` (text) is also
    /// kept on its own, for the log's filter.
    pub changes: serde_json::Value,
}

/// An event's facts with the reason given for it (a suspension, block or removal), if any.
pub fn with_reason(
    mut changes: serde_json::Value,
    reason: Option<&crate::domain::Reason>,
) -> serde_json::Value {
    if let (Some(reason), Some(fields)) = (reason, changes.as_object_mut()) {
        fields.insert("reason".to_owned(), reason.as_str().into());
    }
    changes
}

pub fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    event: &NewEvent<'_>,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::workspace_id.eq(event.workspace_id.map(|w| w.0)),
            audit_events::actor_account_id.eq(actor.account_id.map(|a| a.0)),
            audit_events::actor_label.eq(actor.logged()),
            audit_events::action.eq(event.action),
            audit_events::target_type.eq(event.target_type),
            audit_events::target_id.eq(event.target_id),
            audit_events::target_label.eq(event.target_label),
            audit_events::changes.eq(event.changes.to_string()),
            audit_events::ip.eq(actor.ip.as_deref()),
            audit_events::created_at.eq(now),
            audit_events::reason.eq(event.changes.get("reason").and_then(|r| r.as_str())),
        ))
        .returning(audit_events::id)
        .get_result(conn)
}

/// A thing of a workspace an event is about: its kind (`group`, `app`, `role`), id and name.
pub struct Subject<'a> {
    pub workspace: crate::domain::ids::WorkspaceId,
    pub kind: &'static str,
    pub id: i64,
    pub label: &'a str,
}

/// Records `action` on `subject` (see [`record`]).
/// An event whose target is an account, in a workspace's log (`Some`) or the organization's.
pub fn record_on_account(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: Option<WorkspaceId>,
    account: &crate::store::accounts::Account,
    action: &str,
    changes: serde_json::Value,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let event = NewEvent {
        workspace_id: workspace,
        action,
        target_type: "account",
        target_id: Some(account.id.0),
        target_label: &account.email,
        changes,
    };
    record(conn, actor, &event, now)?;
    Ok(())
}

pub fn record_about(
    conn: &mut AnyConnection,
    actor: &Actor,
    subject: &Subject<'_>,
    action: &str,
    changes: serde_json::Value,
    now: NaiveDateTime,
) -> QueryResult<()> {
    record_naming(conn, actor, subject, action, changes, &[], now)
}

/// Records `action` on `subject`, naming these members too (whom it added to a group, gave access
/// to an app…): it is in their Activity as well ([`for_account`]).
pub fn record_naming(
    conn: &mut AnyConnection,
    actor: &Actor,
    subject: &Subject<'_>,
    action: &str,
    changes: serde_json::Value,
    people: &[crate::domain::ids::MembershipId],
    now: NaiveDateTime,
) -> QueryResult<()> {
    use diesel::IntoSql;
    let event = NewEvent {
        workspace_id: Some(subject.workspace),
        action,
        target_type: subject.kind,
        target_id: Some(subject.id),
        target_label: subject.label,
        changes,
    };
    let id = record(conn, actor, &event, now)?;
    for chunk in people.chunks(1000) {
        let ids: Vec<i64> = chunk.iter().map(|m| m.0).collect();
        let named = memberships::table
            .filter(memberships::id.eq_any(ids))
            .select((
                memberships::account_id,
                id.into_sql::<diesel::sql_types::BigInt>(),
            ));
        diesel::insert_into(audit_event_people::table)
            .values(named)
            .into_columns((audit_event_people::account_id, audit_event_people::event_id))
            .execute(conn)?;
    }
    Ok(())
}

/// An audit event as a person reads it.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: i64,
    pub actor_label: String,
    pub action: String,
    pub target_label: String,
    pub changes: String,
    pub ip: Option<String>,
    pub created_at: NaiveDateTime,
}

columns!(
    EVENT_COLUMNS = (
        audit_events::id,
        audit_events::actor_label,
        audit_events::action,
        audit_events::target_label,
        audit_events::changes,
        audit_events::ip,
        audit_events::created_at,
    )
);

type EventTuple = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    NaiveDateTime,
);

fn event_row(
    (id, actor_label, action, target_label, changes, ip, created_at): EventTuple,
) -> EventRow {
    EventRow {
        id,
        actor_label,
        action,
        target_label,
        changes,
        ip,
        created_at,
    }
}

/// Events of a workspace done to or by an account, or naming it ([`record_naming`]), newest
/// first, before event `before`.
pub fn for_account(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    account: AccountId,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    let naming = audit_event_people::table
        .filter(audit_event_people::account_id.eq(account.0))
        .select(audit_event_people::event_id);
    let mut query = audit_events::table
        .filter(audit_events::workspace_id.eq(workspace.0))
        .filter(
            audit_events::actor_account_id
                .eq(account.0)
                .or(audit_events::target_type
                    .eq("account")
                    .and(audit_events::target_id.eq(account.0)))
                .or(audit_events::id.eq_any(naming)),
        )
        .select(EVENT_COLUMNS)
        .order(audit_events::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(audit_events::id.lt(before));
    }
    Ok(query
        .load::<EventTuple>(conn)?
        .into_iter()
        .map(event_row)
        .collect())
}

/// Who did an action, when, and the reason they gave.
#[derive(Debug, Clone)]
pub struct LastEvent {
    pub actor: String,
    pub at: NaiveDateTime,
    pub reason: Option<String>,
    /// Logged in the organization's log (done from its pages, or copied there from a deleted
    /// workspace's): its reason is for those who read that log.
    pub in_org_log: bool,
}

/// The actions that change an account's state across the organization, which outlive the
/// workspace whose console they were done from.
const ACCOUNT_STATE_ACTIONS: [&str; 5] = [
    "account.blocked",
    "account.unblocked",
    "account.org_role_changed",
    "account.email_changed",
    "account.two_factor_reset",
];

/// The columns a copied event keeps as they were (all but its id and its workspace).
macro_rules! copied_columns {
    () => {
        (
            audit_events::actor_account_id,
            audit_events::actor_label,
            audit_events::action,
            audit_events::target_type,
            audit_events::target_id,
            audit_events::target_label,
            audit_events::changes,
            audit_events::ip,
            audit_events::created_at,
            audit_events::reason,
        )
    };
}

/// Copies a workspace's events that changed an account's state ([`ACCOUNT_STATE_ACTIONS`]) into
/// the organization's log, with their own times, before the workspace goes (the log is
/// append-only: the originals stay, under a workspace nobody opens any more): who blocked
/// someone, and why, outlives the workspace it was done from. Returns how many.
pub fn copy_account_events_to_organization(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
) -> QueryResult<usize> {
    use diesel::dsl::sql;
    use diesel::sql_types::{BigInt, Nullable};
    let originals = audit_events::table
        .filter(audit_events::workspace_id.eq(workspace.0))
        .filter(audit_events::action.eq_any(ACCOUNT_STATE_ACTIONS))
        .order(audit_events::id)
        .select((sql::<Nullable<BigInt>>("NULL"), copied_columns!()));
    diesel::insert_into(audit_events::table)
        .values(originals)
        .into_columns((audit_events::workspace_id, copied_columns!()))
        .execute(conn)
}

/// The newest `action` on `account` in `workspace`'s log (with `org_wide`, the organization's
/// and those of every workspace the account is in: a block is recorded in the log of the
/// console it was done from). Newest by when it happened: a deleted workspace's events copied
/// into the organization's log keep their times.
pub fn last_on_account(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    account: AccountId,
    action: &str,
    org_wide: bool,
) -> QueryResult<Option<LastEvent>> {
    let mut query = audit_events::table
        .filter(audit_events::target_type.eq("account"))
        .filter(audit_events::target_id.eq(account.0))
        .filter(audit_events::action.eq(action))
        .select((
            audit_events::actor_label,
            audit_events::created_at,
            audit_events::reason,
            audit_events::workspace_id,
        ))
        .order((audit_events::created_at.desc(), audit_events::id.desc()))
        .into_boxed();
    query = if org_wide {
        let theirs = crate::db::schema::memberships::table
            .filter(crate::db::schema::memberships::account_id.eq(account.0))
            .select(crate::db::schema::memberships::workspace_id.nullable());
        query.filter(
            audit_events::workspace_id
                .eq_any(theirs)
                .or(audit_events::workspace_id.is_null()),
        )
    } else {
        query.filter(audit_events::workspace_id.eq(workspace.0))
    };
    Ok(query
        .first::<(String, NaiveDateTime, Option<String>, Option<i64>)>(conn)
        .optional()?
        .map(|(actor, at, reason, logged_in)| LastEvent {
            actor,
            at,
            // The reason is read where the event's own log is read: here, or in the
            // organization's (for its readers: see `in_org_log`); not from another workspace's.
            reason: reason.filter(|_| logged_in.is_none_or(|w| w == workspace.0)),
            in_org_log: logged_in.is_none(),
        }))
}

/// What narrows the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Part of the actor's name (case-insensitive).
    pub actor: Option<String>,
    /// Part of the target's label (case-insensitive).
    pub target: Option<String>,
    /// Part of the reason given (case-insensitive).
    pub reason: Option<String>,
    pub action: Option<String>,
    pub from: Option<NaiveDateTime>,
    /// Exclusive.
    pub until: Option<NaiveDateTime>,
}

/// `%text%` for LIKE, with the wildcards in `text` taken literally (escape `\`).
fn contains_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Which of `actions` (the product's own keys, `[a-z_.]` only) a workspace's log (`None`: the
/// organization-wide log) holds an event of: one probe of the (workspace, action) index each, in
/// one statement, so a log of millions of sign-ins is not walked.
pub fn actions_present(
    conn: &mut AnyConnection,
    workspace: Option<WorkspaceId>,
    actions: &[&'static str],
) -> QueryResult<Vec<String>> {
    #[derive(diesel::QueryableByName)]
    struct Present {
        #[diesel(sql_type = diesel::sql_types::Text)]
        action: String,
    }
    if actions.is_empty() {
        return Ok(Vec::new());
    }
    let in_log = match workspace {
        Some(id) => format!("workspace_id = {}", id.0),
        None => "workspace_id IS NULL".to_owned(),
    };
    let probes: Vec<String> = actions
        .iter()
        .map(|key| {
            assert!(
                key.bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.'),
                "an action key is written into the statement: {key}"
            );
            format!(
                "SELECT CAST('{key}' AS TEXT) AS action WHERE EXISTS (SELECT 1 FROM audit_events \
                 WHERE {in_log} AND action = '{key}')"
            )
        })
        .collect();
    Ok(diesel::sql_query(probes.join(" UNION ALL "))
        .load::<Present>(conn)?
        .into_iter()
        .map(|p| p.action)
        .collect())
}

/// A keyset page of a workspace's audit log (`None`: organization-wide events), newest first,
/// after event `before` in that order. A workspace's events are in the order they were written;
/// the organization's by time, as it holds events copied from deleted workspaces with their own
/// (earlier) times.
pub fn page(
    conn: &mut AnyConnection,
    workspace: Option<WorkspaceId>,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    use super::lower;
    let mut query = audit_events::table
        .select(EVENT_COLUMNS)
        .limit(limit)
        .into_boxed();
    query = match workspace {
        Some(w) => {
            if let Some(before) = before {
                query = query.filter(audit_events::id.lt(before));
            }
            query
                .filter(audit_events::workspace_id.eq(w.0))
                .order(audit_events::id.desc())
        }
        None => {
            let at = match before {
                Some(id) => audit_events::table
                    .find(id)
                    .select(audit_events::created_at)
                    .first::<NaiveDateTime>(conn)
                    .optional()?,
                None => None,
            };
            query = match (before, at) {
                (Some(before), Some(at)) => query.filter(
                    audit_events::created_at.lt(at).or(audit_events::created_at
                        .eq(at)
                        .and(audit_events::id.lt(before))),
                ),
                (Some(before), None) => query.filter(audit_events::id.lt(before)),
                (None, _) => query,
            };
            query
                .filter(audit_events::workspace_id.is_null())
                .order((audit_events::created_at.desc(), audit_events::id.desc()))
        }
    };
    if let Some(actor) = &filter.actor {
        query = query.filter(
            lower(audit_events::actor_label)
                .like(contains_pattern(actor))
                .escape('\\'),
        );
    }
    if let Some(target) = &filter.target {
        query = query.filter(
            lower(audit_events::target_label)
                .like(contains_pattern(target))
                .escape('\\'),
        );
    }
    if let Some(reason) = &filter.reason {
        query = query.filter(
            lower(audit_events::reason.assume_not_null())
                .like(contains_pattern(reason))
                .escape('\\'),
        );
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::action.eq(action.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_events::created_at.ge(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_events::created_at.lt(until));
    }
    Ok(query
        .load::<EventTuple>(conn)?
        .into_iter()
        .map(event_row)
        .collect())
}
