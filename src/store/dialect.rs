//! The SQL that differs between SQLite and PostgreSQL, in one place: every other query is written
//! once, with diesel's DSL or with text both backends read alike. Each function answers for the
//! connection it is given.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::sql::sql;
use super::{AnyConnection, QueryResult};
use crate::domain::sort::SortKey;

/// 1-based position of a text in another (`instr` on SQLite, `strpos` on PostgreSQL): a substring
/// test the walk of an index can evaluate on the index's own columns.
pub fn position(conn: &AnyConnection) -> &'static str {
    match conn {
        AnyConnection::Sqlite(_) => "instr",
        AnyConnection::Postgresql(_) => "strpos",
    }
}

/// `position(<the member's email and name copies>, ` as one fixed text (see [`position`]).
pub fn membership_contains(conn: &AnyConnection) -> &'static str {
    match conn {
        AnyConnection::Sqlite(_) => {
            "instr(memberships.sort_email || ' ' || memberships.sort_name, "
        }
        AnyConnection::Postgresql(_) => {
            "strpos(memberships.sort_email || ' ' || memberships.sort_name, "
        }
    }
}

/// The id columns a list of ids is matched against.
#[derive(Clone, Copy)]
pub enum IdColumn {
    Membership,
    Account,
}

impl IdColumn {
    fn name(self) -> &'static str {
        match self {
            Self::Membership => "memberships.id",
            Self::Account => "memberships.account_id",
        }
    }
}

/// `column` is one of `ids`, the list bound as one text value (one cached statement whatever the
/// number of ids): `<before> ? <after>` — a JSON array on SQLite, an array on PostgreSQL.
pub fn id_in(
    conn: &AnyConnection,
    column: IdColumn,
    ids: &[i64],
) -> (String, String, &'static str) {
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let column = column.name();
    match conn {
        AnyConnection::Sqlite(_) => (
            format!("{column} IN (SELECT value FROM json_each("),
            format!("[{list}]"),
            "))",
        ),
        AnyConnection::Postgresql(_) => (
            format!("{column} = ANY(CAST("),
            format!("{{{list}}}"),
            " AS BIGINT[]))",
        ),
    }
}

/// A time sort key without NULLs, as its expression index has it: (expression, the same as text,
/// how a bound text compares with it). SQLite keeps times as text, and '' sorts before all of
/// them; PostgreSQL puts '-infinity' there. `None` for the keys that are not times.
pub fn time_sort_key(
    conn: &AnyConnection,
    key: SortKey,
) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match (conn, key) {
        (_, SortKey::Name | SortKey::Email) => return None,
        (AnyConnection::Sqlite(_), SortKey::LastActive) => (
            "COALESCE(memberships.last_active_at, '')",
            "COALESCE(memberships.last_active_at, '')",
            "?",
        ),
        (AnyConnection::Sqlite(_), SortKey::Joined) => (
            "COALESCE(memberships.joined_at, '')",
            "COALESCE(memberships.joined_at, '')",
            "?",
        ),
        (AnyConnection::Postgresql(_), SortKey::LastActive) => (
            "COALESCE(memberships.last_active_at, '-infinity'::timestamp)",
            "COALESCE(memberships.last_active_at, '-infinity'::timestamp)::text",
            "CAST(? AS timestamp)",
        ),
        (AnyConnection::Postgresql(_), SortKey::Joined) => (
            "COALESCE(memberships.joined_at, '-infinity'::timestamp)",
            "COALESCE(memberships.joined_at, '-infinity'::timestamp)::text",
            "CAST(? AS timestamp)",
        ),
    })
}

/// A time as [`time_sort_key`]'s text compares with it: what the database keeps (SQLite: diesel's
/// text), and the place of "no time" ('' / '-infinity').
pub fn time_anchor_text(conn: &AnyConnection, at: Option<chrono::NaiveDateTime>) -> String {
    match (conn, at) {
        (_, Some(at)) => at.format("%Y-%m-%d %H:%M:%S%.f").to_string(),
        (AnyConnection::Sqlite(_), None) => String::new(),
        (AnyConnection::Postgresql(_), None) => "-infinity".to_owned(),
    }
}

/// A row's group ids, comma-separated, unordered: a subquery of the list's own statement (their
/// names come from what the caller has, see `memberships::list_page`).
pub fn group_ids(conn: &AnyConnection) -> &'static str {
    match conn {
        AnyConnection::Sqlite(_) => {
            "(SELECT group_concat(gm.group_id) FROM group_members gm \
             WHERE gm.membership_id = memberships.id)"
        }
        AnyConnection::Postgresql(_) => {
            "(SELECT string_agg(gm.group_id::text, ',') FROM group_members gm \
             WHERE gm.membership_id = memberships.id)"
        }
    }
}

/// The end of the outbox's claiming subquery: on PostgreSQL rows being claimed by another
/// instance are skipped (`FOR UPDATE SKIP LOCKED`); SQLite has one writer.
pub fn claim_lock(conn: &AnyConnection) -> &'static str {
    match conn {
        AnyConnection::Postgresql(_) => " FOR UPDATE SKIP LOCKED)",
        AnyConnection::Sqlite(_) => ")",
    }
}

/// The ids of the accounts whose email, first or last name contain `term` (three characters or
/// more), case-insensitively, through each backend's index — SQLite's FTS5 trigram table (a
/// quoted phrase is a substring match), PostgreSQL's pg_trgm GIN index —, or `None` when more
/// than `cap` do.
pub fn matching_account_ids(
    conn: &mut AnyConnection,
    term: &str,
    cap: i64,
) -> QueryResult<Option<Vec<i64>>> {
    let ids = first_matching_account_ids(conn, term, cap + 1)?;
    Ok((ids.len() as i64 <= cap).then_some(ids))
}

/// The ids of at most `limit` accounts matching `term` as [`matching_account_ids`] finds them,
/// in the order the index gives them (about that of their ids: the order they were made).
pub fn first_matching_account_ids(
    conn: &mut AnyConnection,
    term: &str,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    Ok(match conn {
        AnyConnection::Sqlite(_) => diesel::select(
            sql::<BigInt>("* FROM (SELECT rowid FROM account_search WHERE account_search MATCH ")
                .bind::<Text, _>(format!("\"{}\"", term.replace('"', "\"\"")))
                .sql(" LIMIT ")
                .bind::<BigInt, _>(limit)
                .sql(") AS matches"),
        )
        .load(conn)?,
        // A prepared statement is planned once for every term after a few runs, and that plan
        // reads the trigram index whole, which for a term most accounts match ("example") takes
        // a second at a million; diesel's own `sql` is never cached, so PostgreSQL plans each
        // term for itself (a sequential scan that stops at the cap in milliseconds).
        AnyConnection::Postgresql(_) => diesel::select(
            diesel::dsl::sql::<BigInt>(
                "* FROM (SELECT id FROM accounts \
                 WHERE lower(email || ' ' || first_name || ' ' || last_name) LIKE ",
            )
            .bind::<Text, _>(format!(
                "%{}%",
                term.to_lowercase()
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            ))
            .sql(" LIMIT ")
            .bind::<BigInt, _>(limit)
            .sql(") AS matches"),
        )
        .load(conn)?,
    })
}

/// Rewrites `?` placeholders as `$1, $2…` for PostgreSQL (the seeding command's raw statements).
pub fn placeholders(conn: &AnyConnection, sql: &str) -> String {
    match conn {
        AnyConnection::Sqlite(_) => sql.to_owned(),
        AnyConnection::Postgresql(_) => {
            let mut out = String::with_capacity(sql.len() + 16);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    out.push_str(&format!("${n}"));
                } else {
                    out.push(c);
                }
            }
            out
        }
    }
}

/// SQL for "a timestamp `seconds` after 2019-01-01" and "`seconds` before now", with `{}` where
/// the seconds go.
pub fn seconds_since_2019_and_ago(conn: &AnyConnection) -> (&'static str, &'static str) {
    match conn {
        AnyConnection::Sqlite(_) => (
            "datetime(1546300800 + ({}), 'unixepoch')",
            "datetime(strftime('%s', 'now') - ({}), 'unixepoch')",
        ),
        AnyConnection::Postgresql(_) => (
            "(to_timestamp(1546300800 + ({})) AT TIME ZONE 'UTC')",
            "((now() AT TIME ZONE 'UTC') - make_interval(secs => ({})))",
        ),
    }
}

/// What a bulk load (the seeding command) sets on its own connection first: on SQLite a cache
/// large enough to keep the indexes it writes at random places in memory.
pub fn bulk_load_settings(conn: &AnyConnection) -> Option<&'static str> {
    match conn {
        AnyConnection::Sqlite(_) => {
            Some("PRAGMA cache_size = -2097152; PRAGMA temp_store = MEMORY;")
        }
        AnyConnection::Postgresql(_) => None,
    }
}

/// Whether a large bulk load goes faster with the secondary indexes dropped and rebuilt after
/// (SQLite: yes; PostgreSQL keeps them, its loads run in other ways).
pub fn rebuilds_indexes_after_bulk_loads(conn: &AnyConnection) -> bool {
    matches!(conn, AnyConnection::Sqlite(_))
}

/// What runs after a bulk load, outside its transaction: on PostgreSQL `ANALYZE`, so the
/// planner sees the new rows at once instead of when autovacuum next gets to them (until then a
/// search over a million new members is planned as if the tables were empty). SQLite keeps the
/// plans its queries were written and measured for (no `sqlite_stat1`).
pub fn after_bulk_load(conn: &AnyConnection) -> Option<&'static str> {
    match conn {
        AnyConnection::Sqlite(_) => None,
        AnyConnection::Postgresql(_) => Some("ANALYZE"),
    }
}

/// Inserts Slack people 500 rows per statement: diesel's multi-row insert exists per backend, not
/// for the connection that is either.
pub fn insert_slack_people(
    conn: &mut AnyConnection,
    workspace: crate::domain::ids::WorkspaceId,
    people: &[crate::domain::slack::SlackPerson],
) -> QueryResult<()> {
    use crate::db::schema::slack_people as p;
    for chunk in people.chunks(500) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|person| {
                (
                    p::workspace_id.eq(workspace.0),
                    p::slack_user_id.eq(&person.id),
                    p::name.eq(&person.name),
                    p::first_name.eq(&person.first_name),
                    p::last_name.eq(&person.last_name),
                    p::email.eq(person.email.as_str()),
                    p::is_guest.eq(person.is_guest),
                    p::search.eq(person.search_key()),
                )
            })
            .collect();
        let insert = diesel::insert_into(p::table).values(rows);
        match conn {
            AnyConnection::Sqlite(c) => insert.execute(c)?,
            AnyConnection::Postgresql(c) => insert.execute(c)?,
        };
    }
    Ok(())
}
