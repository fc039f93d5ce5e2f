//! Bulk demo data for `seed-demo`: rows are generated inside the database by one INSERT … SELECT per
//! chunk, which is what makes a million members take seconds. The SQL differs per backend only in
//! dates and placeholders.

use super::dialect;
use chrono::NaiveDateTime;
use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::{AnyConnection, QueryResult};
use crate::domain::access::AppKind;
use crate::domain::ids::WorkspaceId;

pub const GROUPS: [&str; 20] = [
    "Support",
    "Sales",
    "Engineering",
    "Finance",
    "Operations",
    "Marketing",
    "Legal",
    "People",
    "Design",
    "Product",
    "Data",
    "Security",
    "IT",
    "Customer Success",
    "Partnerships",
    "Research",
    "Quality",
    "Facilities",
    "Procurement",
    "Leadership",
];

const FIRST_NAMES: [&str; 60] = [
    "Ada",
    "Grace",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Alan",
    "Katherine",
    "John",
    "Frances",
    "Edsger",
    "Radia",
    "Donald",
    "Hedy",
    "Tim",
    "Sophie",
    "Guido",
    "Anita",
    "Bjarne",
    "Shafi",
    "Niklaus",
    "Jean",
    "Leslie",
    "Mary",
    "Vint",
    "Adele",
    "Robert",
    "Karen",
    "James",
    "Lynn",
    "Fernando",
    "Evelyn",
    "Yukihiro",
    "Carol",
    "Brian",
    "Joan",
    "Andrew",
    "Annie",
    "Whitfield",
    "Ida",
    "Charles",
    "Elena",
    "Rasmus",
    "Mira",
    "Tomás",
    "Aisha",
    "Kofi",
    "Priya",
    "Mei",
    "Hiro",
    "Olga",
    "Ingrid",
    "Diego",
    "Fatima",
    "Noor",
    "Lars",
    "Amara",
    "Chen",
    "Zanele",
];

const LAST_NAMES: [&str; 60] = [
    "Lovelace",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Turing",
    "Johnson",
    "McCarthy",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Knuth",
    "Lamarr",
    "Berners-Lee",
    "Wilson",
    "van Rossum",
    "Borg",
    "Stroustrup",
    "Goldwasser",
    "Wirth",
    "Sammet",
    "Lamport",
    "Keller",
    "Cerf",
    "Goldberg",
    "Metcalfe",
    "Spärck Jones",
    "Gosling",
    "Conway",
    "Corbató",
    "Berezin",
    "Matsumoto",
    "Shaw",
    "Kernighan",
    "Clarke",
    "Tanenbaum",
    "Easley",
    "Diffie",
    "Rhodes",
    "Babbage",
    "Petrova",
    "Lerdorf",
    "Novak",
    "García",
    "Okafor",
    "Mensah",
    "Sharma",
    "Wang",
    "Tanaka",
    "Ivanova",
    "Larsen",
    "Rojas",
    "Haddad",
    "Karimi",
    "Nilsson",
    "Adeyemi",
    "Li",
    "Dlamini",
];

const APPS: [(AppKind, &str); 30] = [
    (AppKind::App, "CRM"),
    (AppKind::App, "Billing"),
    (AppKind::App, "Helpdesk"),
    (AppKind::App, "Wiki"),
    (AppKind::App, "Analytics"),
    (AppKind::App, "Payroll"),
    (AppKind::App, "Inventory"),
    (AppKind::App, "Recruiting"),
    (AppKind::App, "Chat"),
    (AppKind::App, "Calendar"),
    (AppKind::Workflow, "Payroll run"),
    (AppKind::Workflow, "Invoice approval"),
    (AppKind::Workflow, "Onboarding"),
    (AppKind::Workflow, "Offboarding"),
    (AppKind::Workflow, "Expense review"),
    (AppKind::Workflow, "Refunds"),
    (AppKind::Workflow, "Lead routing"),
    (AppKind::Workflow, "Incident response"),
    (AppKind::Workflow, "Contract signing"),
    (AppKind::Workflow, "Access review"),
    (AppKind::Project, "Website relaunch"),
    (AppKind::Project, "Mobile app"),
    (AppKind::Project, "Data warehouse"),
    (AppKind::Project, "SOC 2 audit"),
    (AppKind::Project, "Office move"),
    (AppKind::Project, "Q3 campaign"),
    (AppKind::Project, "Pricing update"),
    (AppKind::Project, "Partner portal"),
    (AppKind::Project, "Support bot"),
    (AppKind::Project, "Design system"),
];

/// Creates the name tables the generators join on, and the workspace's groups and apps if missing.
pub fn prepare(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let values = |names: &[&str]| {
        names
            .iter()
            .enumerate()
            .map(|(k, n)| format!("({k}, '{}', '{}')", n.replace('\'', "''"), ascii_slug(n)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Constant data of this file only: nothing a user typed reaches these statements.
    conn.batch_execute(&format!(
        "DROP TABLE IF EXISTS seed_first_names; DROP TABLE IF EXISTS seed_last_names;
         CREATE TEMPORARY TABLE seed_first_names (k BIGINT PRIMARY KEY, v TEXT NOT NULL, ascii TEXT NOT NULL);
         CREATE TEMPORARY TABLE seed_last_names (k BIGINT PRIMARY KEY, v TEXT NOT NULL, ascii TEXT NOT NULL);
         INSERT INTO seed_first_names VALUES {};
         INSERT INTO seed_last_names VALUES {};",
        values(&FIRST_NAMES),
        values(&LAST_NAMES)
    ))?;
    // As the groups page makes them: an id never given before (SQLite), a name unique whatever
    // its case.
    for name in GROUPS {
        if !super::groups::name_taken(conn, workspace, name, None)? {
            super::groups::insert(conn, workspace, name, &format!("Everyone in {name}"), now)?;
        }
    }
    for (kind, name) in APPS {
        if !super::apps::name_taken(conn, workspace, kind, name, None)? {
            let fields = super::apps::AppFields {
                kind,
                name,
                owner: None,
                restricted: kind == AppKind::Workflow,
            };
            super::apps::insert(conn, workspace, &fields, now)?;
        }
    }
    Ok(())
}

/// "Spärck Jones" → "sparckjones": the email-safe form of a name.
fn ascii_slug(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'á' | 'ä' => Some('a'),
            'í' => Some('i'),
            'ó' => Some('o'),
            c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// The highest id of a table of this file's choosing (0 when empty).
fn max_id(conn: &mut AnyConnection, table: &'static str) -> QueryResult<i64> {
    diesel::select(diesel::dsl::sql::<BigInt>(&format!(
        "COALESCE(MAX(id), 0) FROM {table}"
    )))
    .get_result(conn)
}

/// Adds accounts numbered `first..=last` as members of the workspace.
/// Roles and statuses follow fixed ratios: 1 % admins, 0.5 % auditors, 3 % suspended, 2 % removed,
/// 0.5 % blocked accounts, 20 % never active.
pub fn insert_members(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    first: i64,
    last: i64,
    password_hash: &str,
    [admin, auditor, member]: [i64; 3],
) -> QueryResult<()> {
    let (since_2019, ago) = dialect::seconds_since_2019_and_ago(conn);
    let created = since_2019.replace("{}", "(n.i * 7919) % 236000000");
    let accounts_sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT CAST(? AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO accounts (email, first_name, last_name, password_hash, timezone, status, org_role,
                               session_epoch, created_at, updated_at)
         SELECT f.ascii || '.' || l.ascii || n.i || '@example.com', f.v, l.v, ?,
                CASE n.i % 4 WHEN 0 THEN 'Europe/Berlin' WHEN 1 THEN 'America/New_York' WHEN 2 THEN 'Asia/Tokyo' ELSE 'UTC' END,
                CASE WHEN n.i % 197 = 0 THEN 'blocked' ELSE 'active' END, 'member', 0, {created}, {created}
         FROM n JOIN seed_first_names f ON f.k = n.i % 60 JOIN seed_last_names l ON l.k = (n.i / 60) % 60
         ORDER BY n.i"
    );
    let before = max_id(conn, "accounts")?;
    let members_before = max_id(conn, "memberships")?;
    let t = std::time::Instant::now();
    diesel::sql_query(dialect::placeholders(conn, &accounts_sql))
        .bind::<BigInt, _>(first)
        .bind::<BigInt, _>(last)
        .bind::<Text, _>(password_hash)
        .execute(conn)?;
    let t = lap(t, "accounts");

    // The rows just written are those above `before` (seeding holds the write lock).
    let active = ago.replace("{}", "(a.id * 104729) % 7776000");
    let recent = ago.replace("{}", "(a.id * 15485863) % 1209600");
    let members_sql = format!(
        "INSERT INTO memberships (workspace_id, account_id, role_id, status, sort_name, sort_email, joined_at, last_active_at,
                                  suspended_at, removed_at, created_at, updated_at)
         SELECT ?, a.id,
                CASE WHEN a.id % 100 = 0 THEN ? WHEN a.id % 200 = 1 THEN ? ELSE ? END,
                CASE WHEN a.id % 50 = 7 THEN 'removed' WHEN a.id % 33 = 0 THEN 'suspended' ELSE 'active' END,
                lower(a.first_name || ' ' || a.last_name), a.email, a.created_at,
                CASE WHEN a.id % 5 = 0 THEN NULL ELSE {active} END,
                CASE WHEN a.id % 33 = 0 AND a.id % 50 <> 7 THEN a.created_at END,
                CASE WHEN a.id % 50 = 7 THEN {recent} END,
                a.created_at, a.created_at
         FROM accounts a WHERE a.id > ? ORDER BY a.id"
    );
    diesel::sql_query(dialect::placeholders(conn, &members_sql))
        .bind::<BigInt, _>(workspace.0)
        .bind::<BigInt, _>(admin)
        .bind::<BigInt, _>(auditor)
        .bind::<BigInt, _>(member)
        .bind::<BigInt, _>(before)
        .execute(conn)?;
    let t = lap(t, "memberships");

    // 60 % of new members in one group, 15 % in a second one; removed members keep none.
    let groups_sql = "INSERT INTO group_members (group_id, membership_id, created_at)
         SELECT g.id, m.id, m.created_at FROM memberships m
         JOIN seed_groups g ON g.k = m.id % 20
         WHERE m.id > ? AND m.status <> 'removed' AND m.id % 20 < 12
         UNION ALL
         SELECT g.id, m.id, m.created_at FROM memberships m
         JOIN seed_groups g ON g.k = (m.id + 7) % 20
         WHERE m.id > ? AND m.status <> 'removed' AND m.id % 20 < 3";
    diesel::sql_query(dialect::placeholders(conn, groups_sql))
        .bind::<BigInt, _>(members_before)
        .bind::<BigInt, _>(members_before)
        .execute(conn)?;
    let t = lap(t, "group members");

    // One asset per five members: contacts, flows and recipes they own.
    let assets_sql = "INSERT INTO assets (workspace_id, kind, name, owner_membership_id, created_at, updated_at)
         SELECT m.workspace_id,
                CASE m.id % 3 WHEN 0 THEN 'contact' WHEN 1 THEN 'flow' ELSE 'recipe' END,
                CASE m.id % 3 WHEN 0 THEN 'Contact list ' WHEN 1 THEN 'Flow ' ELSE 'Recipe ' END || m.id,
                m.id, m.created_at, m.created_at
         FROM memberships m WHERE m.id > ? AND m.id % 5 = 2";
    diesel::sql_query(dialect::placeholders(conn, assets_sql))
        .bind::<BigInt, _>(members_before)
        .execute(conn)?;
    lap(t, "assets");
    Ok(())
}

/// Logs how long a seeding step took (RUST_LOG=admin_console=debug) and starts the next one.
fn lap(started: std::time::Instant, step: &str) -> std::time::Instant {
    tracing::debug!(step, ms = started.elapsed().as_millis() as u64, "seeded");
    std::time::Instant::now()
}

/// Makes an Owner of a demo workspace that has none (a workspace always keeps one, PRODUCT §4):
/// the first active holder of `preferred` roles, in that order, whose account is not blocked;
/// failing that (a seed of one or two people), the first seeded person whose account is not
/// blocked, made active (nobody, when every seeded account is blocked).
pub fn make_an_owner(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    preferred: &[i64],
    owner: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    use crate::db::schema::{accounts, memberships};
    use diesel::prelude::*;
    let first = |conn: &mut AnyConnection, role: Option<i64>| -> QueryResult<Option<i64>> {
        let mut query = memberships::table
            .inner_join(accounts::table)
            .filter(memberships::workspace_id.eq(workspace.0))
            .filter(accounts::status.eq("active"))
            .order(memberships::id)
            .select(memberships::id)
            .into_boxed();
        if let Some(role) = role {
            query = query
                .filter(memberships::role_id.eq(role))
                .filter(memberships::status.eq("active"));
        }
        query.first(conn).optional()
    };
    let mut chosen = None;
    for role in preferred.iter().copied().map(Some).chain([None]) {
        chosen = first(conn, role)?;
        if chosen.is_some() {
            break;
        }
    }
    let Some(id) = chosen else {
        return Ok(());
    };
    diesel::update(memberships::table.find(id))
        .set((
            memberships::role_id.eq(owner),
            memberships::status.eq("active"),
            memberships::suspended_at.eq(None::<NaiveDateTime>),
            memberships::removed_at.eq(None::<NaiveDateTime>),
            memberships::removal_snapshot.eq(None::<String>),
            memberships::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Gives unowned apps an admin owner, and each app grants to two groups and a few members.
pub fn finish(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    admin_role: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    // Owners come from the first ten active admins (found walking the primary key, which is quick
    // as one member in a hundred is an admin), spread over the apps.
    conn.batch_execute(
        "DROP TABLE IF EXISTS seed_admins;
         CREATE TEMPORARY TABLE seed_admins (k BIGINT PRIMARY KEY, id BIGINT NOT NULL);",
    )?;
    let admins_sql = "INSERT INTO seed_admins (k, id)
         SELECT ROW_NUMBER() OVER (ORDER BY id) - 1, id FROM (
             SELECT m.id FROM memberships m WHERE m.workspace_id = ? AND m.role_id = ? AND m.status = 'active'
             ORDER BY m.id LIMIT 10) AS first_admins";
    diesel::sql_query(dialect::placeholders(conn, admins_sql))
        .bind::<BigInt, _>(workspace.0)
        .bind::<BigInt, _>(admin_role)
        .execute(conn)?;
    let owners_sql = "UPDATE apps SET owner_membership_id = (
             SELECT s.id FROM seed_admins s WHERE s.k = apps.id % (SELECT n FROM (SELECT COUNT(*) AS n FROM seed_admins) AS c))
         WHERE workspace_id = ? AND owner_membership_id IS NULL AND EXISTS (SELECT 1 FROM seed_admins)";
    diesel::sql_query(dialect::placeholders(conn, owners_sql))
        .bind::<BigInt, _>(workspace.0)
        .execute(conn)?;
    let grants_sql = "INSERT INTO grants (app_id, group_id, level, created_at)
         SELECT a.id, g.id, CASE (a.id + g.k) % 3 WHEN 0 THEN 'view' WHEN 1 THEN 'run' ELSE 'edit' END, ?
         FROM apps a JOIN seed_groups g ON g.k IN (a.id % 20, (a.id + 5) % 20)
         WHERE a.workspace_id = ? AND NOT EXISTS (SELECT 1 FROM grants x WHERE x.app_id = a.id)";
    diesel::sql_query(dialect::placeholders(conn, grants_sql))
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(workspace.0)
        .execute(conn)?;
    Ok(())
}

/// Maps group ordinals 0..20 to this workspace's group ids, for the generators to join on.
pub fn index_groups(conn: &mut AnyConnection, workspace: WorkspaceId) -> QueryResult<()> {
    conn.batch_execute(
        "DROP TABLE IF EXISTS seed_groups;
         CREATE TEMPORARY TABLE seed_groups (k BIGINT PRIMARY KEY, id BIGINT NOT NULL);",
    )?;
    diesel::sql_query(dialect::placeholders(
        conn,
        "INSERT INTO seed_groups (k, id)
         SELECT ROW_NUMBER() OVER (ORDER BY id) - 1, id FROM groups WHERE workspace_id = ? ORDER BY id LIMIT 20",
    ))
    .bind::<BigInt, _>(workspace.0)
    .execute(conn)?;
    Ok(())
}

/// On SQLite, a million rows cost far less written in bulk than one by one: row-level triggers
/// (feeding the trigram index, bumping the member counters) and index entries landing at random
/// places. `pause_for_bulk_load` drops those triggers and the big secondary indexes (inside the
/// seeding transaction, so a failure restores them) and `resume_after_bulk_load` does the triggers'
/// work for the new rows in one statement each and recreates everything exactly as the migrations
/// wrote it. PostgreSQL's counters are statement-level already; it is left as it is.
pub struct PausedForBulkLoad {
    definitions: Vec<String>,
    accounts_before: i64,
    members_before: i64,
}

const PAUSED_TRIGGERS: [&str; 3] = [
    "accounts_search_insert",
    "memberships_count_insert",
    "group_members_count_insert",
];
const PAUSED_INDEXES: [&str; 7] = [
    "accounts_email_unique",
    "memberships_list_name",
    "memberships_list_email",
    "memberships_list_joined",
    "memberships_list_active",
    "memberships_workspace_id",
    "memberships_search_matches",
];

/// After the load's transaction: the planner's statistics brought up to date where the backend
/// keeps them apart ([`dialect::after_bulk_load`]).
pub fn refresh_statistics(conn: &mut AnyConnection) -> QueryResult<()> {
    match dialect::after_bulk_load(conn) {
        Some(statement) => conn.batch_execute(statement),
        None => Ok(()),
    }
}

/// Pauses for a load of `rows` new members; small loads into big workspaces keep everything on.
pub fn pause_for_bulk_load(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    rows: i64,
) -> QueryResult<Option<PausedForBulkLoad>> {
    if !dialect::rebuilds_indexes_after_bulk_loads(conn) {
        return Ok(None);
    }
    let existing: i64 = {
        use crate::db::schema::memberships;
        use diesel::prelude::*;
        memberships::table
            .filter(memberships::workspace_id.eq(workspace.0))
            .count()
            .get_result(conn)?
    };
    if rows < 10_000 || rows < existing {
        return Ok(None);
    }
    #[derive(diesel::QueryableByName)]
    struct Sql {
        #[diesel(sql_type = Text)]
        sql: String,
    }
    let mut definitions = Vec::new();
    for (kind, names) in [
        ("trigger", &PAUSED_TRIGGERS[..]),
        ("index", &PAUSED_INDEXES[..]),
    ] {
        for name in names {
            let object =
                diesel::sql_query("SELECT sql FROM sqlite_master WHERE type = ? AND name = ?")
                    .bind::<Text, _>(kind)
                    .bind::<Text, _>(*name)
                    .get_result::<Sql>(conn)?;
            definitions.push(object.sql);
            conn.batch_execute(&format!("DROP {} {name}", kind.to_uppercase()))?;
        }
    }
    let accounts_before = max_id(conn, "accounts")?;
    let members_before = max_id(conn, "memberships")?;
    Ok(Some(PausedForBulkLoad {
        definitions,
        accounts_before,
        members_before,
    }))
}

pub fn resume_after_bulk_load(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    paused: Option<PausedForBulkLoad>,
) -> QueryResult<()> {
    let Some(paused) = paused else { return Ok(()) };
    let started = std::time::Instant::now();
    diesel::sql_query(
        "INSERT INTO account_search (rowid, search)
         SELECT id, email || ' ' || first_name || ' ' || last_name FROM accounts WHERE id > ?",
    )
    .bind::<BigInt, _>(paused.accounts_before)
    .execute(conn)?;
    let started = lap(started, "search index");
    // The counters grow by what the new rows hold (rowid ranges: no scan of older members).
    diesel::sql_query(
        "UPDATE workspaces SET
             invited_count = invited_count + (SELECT COUNT(*) FROM memberships WHERE id > ?1 AND workspace_id = ?2 AND status = 'invited'),
             active_count = active_count + (SELECT COUNT(*) FROM memberships WHERE id > ?1 AND workspace_id = ?2 AND status = 'active'),
             suspended_count = suspended_count + (SELECT COUNT(*) FROM memberships WHERE id > ?1 AND workspace_id = ?2 AND status = 'suspended'),
             removed_count = removed_count + (SELECT COUNT(*) FROM memberships WHERE id > ?1 AND workspace_id = ?2 AND status = 'removed')
         WHERE id = ?2",
    )
    .bind::<BigInt, _>(paused.members_before)
    .bind::<BigInt, _>(workspace.0)
    .execute(conn)?;
    diesel::sql_query(
        "UPDATE groups SET member_count = member_count
             + (SELECT COUNT(*) FROM group_members WHERE group_id = groups.id AND membership_id > ?1)
         WHERE workspace_id = ?2",
    )
    .bind::<BigInt, _>(paused.members_before)
    .bind::<BigInt, _>(workspace.0)
    .execute(conn)?;
    let started = lap(started, "counters");
    for definition in &paused.definitions {
        conn.batch_execute(definition)?;
    }
    lap(started, "indexes");
    Ok(())
}
