//! Queries, one module per aggregate. Functions take `&mut AnyConnection` and return domain types;
//! what differs between the backends (search, bulk seeding) is matched here and in `db`, nowhere else.

/// A constant list of columns to select, with its type: diesel spells the type as the same list
/// of columns, written here once for both.
macro_rules! columns {
    ($vis:vis $name:ident = ($($column:path),+ $(,)?)) => {
        $vis const $name: ($($column,)+) = ($($column,)+);
    };
}

/// A work queue's lease protocol, for a table with `id`, `state`, `attempts`, `last_error`,
/// `sent_at` and `next_attempt_at` whose rows are taken as `$item` (with its `id` and `lease`) and
/// say what they deliver in the text columns listed (the first indexed where non-empty): `due` (the rows to claim), `leased` (a row
/// while this worker's lease holds), `mark_sent`, `record_failure`, `postpone`, `forget_bodies`.
/// The outbox and Slack's direct messages are such queues.
macro_rules! leased_queue {
    ($table:ident, $item:ty, [$body:ident $(, $more:ident)*]) => {
        /// Empties what the rows queued before `before` and no longer due (sent, failed for good,
        /// cancelled) said: their single-use links must not outlive the delivery in the database.
        /// Returns how many. (The filter is literal SQL so that PostgreSQL uses the partial index
        /// of the rows that still hold one.)
        pub fn forget_bodies(conn: &mut AnyConnection, before: NaiveDateTime) -> QueryResult<usize> {
            diesel::update(
                $table::table
                    .filter(super::sql::sql::<Bool>(concat!(stringify!($body), " <> ''")))
                    .filter($table::created_at.lt(before))
                    .filter($table::state.ne("queued")),
            )
            .set(($table::$body.eq(""), $($table::$more.eq(""),)*))
            .execute(conn)
        }

        /// Up to `limit` rows due at `now`, oldest due first; on PostgreSQL rows another instance
        /// is claiming are skipped (`FOR UPDATE SKIP LOCKED`); SQLite has one writer.
        fn due(
            conn: &AnyConnection,
            now: NaiveDateTime,
            limit: i64,
        ) -> super::sql::Sql<
            Bool,
            super::sql::Bind<
                Bool,
                super::sql::Sql<
                    Bool,
                    super::sql::Bind<
                        Bool,
                        super::sql::Sql<Bool>,
                        diesel::dsl::AsExprOf<NaiveDateTime, Timestamp>,
                    >,
                >,
                diesel::dsl::AsExprOf<i64, BigInt>,
            >,
        > {
            super::sql::sql::<Bool>(concat!(
                stringify!($table),
                ".id IN (SELECT id FROM ",
                stringify!($table),
                " WHERE state = 'queued' AND next_attempt_at <= "
            ))
            .bind::<Timestamp, _>(now)
            .sql(" ORDER BY next_attempt_at LIMIT ")
            .bind::<BigInt, _>(limit)
            .sql(super::dialect::claim_lock(conn))
        }

        /// The row, as long as this worker's lease on it holds.
        fn leased(
            item: &$item,
        ) -> diesel::dsl::Filter<
            diesel::dsl::Find<$table::table, i64>,
            diesel::dsl::Eq<$table::next_attempt_at, NaiveDateTime>,
        > {
            $table::table
                .find(item.id)
                .filter($table::next_attempt_at.eq(item.lease))
        }

        pub fn mark_sent(
            conn: &mut AnyConnection,
            item: &$item,
            now: NaiveDateTime,
        ) -> QueryResult<()> {
            diesel::update(leased(item))
                .set((
                    $table::state.eq("sent"),
                    $table::sent_at.eq(Some(now)),
                    $table::attempts.eq($table::attempts + 1),
                    $table::last_error.eq(None::<String>),
                ))
                .execute(conn)?;
            Ok(())
        }

        /// Records a failed attempt: due again at `retry_at`, or failed for good without one.
        pub fn record_failure(
            conn: &mut AnyConnection,
            item: &$item,
            error: &str,
            retry_at: Option<NaiveDateTime>,
            now: NaiveDateTime,
        ) -> QueryResult<()> {
            let error: String = error.chars().take(1000).collect();
            diesel::update(leased(item))
                .set((
                    $table::state.eq(if retry_at.is_some() {
                        "queued"
                    } else {
                        "failed"
                    }),
                    $table::attempts.eq($table::attempts + 1),
                    $table::last_error.eq(Some(error)),
                    $table::next_attempt_at.eq(retry_at.unwrap_or(now)),
                ))
                .execute(conn)?;
            Ok(())
        }

        /// Puts a row due again at `at` without counting an attempt (the worker is stopping, or
        /// the far end asked us to wait); 0 when this worker no longer holds its lease.
        pub fn postpone(
            conn: &mut AnyConnection,
            item: &$item,
            at: NaiveDateTime,
        ) -> QueryResult<usize> {
            diesel::update(leased(item))
                .set($table::next_attempt_at.eq(at))
                .execute(conn)
        }
    };
}

pub mod account_tokens;
pub mod accounts;
pub mod api_keys;
pub mod apps;
pub mod audit;
pub mod avatars;
pub mod dialect;
pub mod groups;
pub mod idempotency;
pub mod import_previews;
pub mod invitations;
pub mod memberships;
pub mod organization;
pub mod outbox;
pub mod ownership;
pub mod roles;
pub mod scim;
pub mod seed;
pub mod sessions;
pub mod slack;
pub mod sql;
pub mod throttles;
pub mod two_factor;
pub mod who;
pub mod workspaces;

use diesel::result::{DatabaseErrorKind, Error};

pub use crate::db::AnyConnection;

pub type QueryResult<T> = Result<T, Error>;

diesel::define_sql_function! {
    /// SQL `lower(text)`: matches the expression indexes on emails and names.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A `LIKE … ESCAPE '\\'` pattern matching text that contains `search` (trimmed, lower-cased; to
/// be compared with `lower(column)`), or `None` for an empty search.
pub(crate) fn contains_pattern(search: &str) -> Option<String> {
    let search = search.trim().to_lowercase();
    (!search.is_empty()).then(|| {
        format!(
            "%{}%",
            search
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    })
}

/// Runs `query` on `items` 500 at a time, so a list bound value by value stays well under the
/// backends' limits on bound parameters, and gathers what the statements return, in order.
pub(crate) fn in_chunks<T, R>(
    items: &[T],
    mut query: impl FnMut(&[T]) -> QueryResult<Vec<R>>,
) -> QueryResult<Vec<R>> {
    let mut found = Vec::new();
    for chunk in items.chunks(500) {
        found.extend(query(chunk)?);
    }
    Ok(found)
}

/// True when the error is a unique constraint refusing a duplicate.
pub fn is_unique_violation(error: &Error) -> bool {
    matches!(
        error,
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Turns a unique violation into `taken()`, the refusal the check before the write gives (a
/// concurrent write it could not see did the same), and any other error into `E`.
pub fn unique_violation_as<E: From<Error>>(taken: impl FnOnce() -> E) -> impl FnOnce(Error) -> E {
    move |e| {
        if is_unique_violation(&e) {
            taken()
        } else {
            e.into()
        }
    }
}

/// Maps a stored key (status, role…) to its domain value; an unknown key is corrupt data.
pub(crate) fn parse_key<T>(
    column: &str,
    key: &str,
    from_key: impl Fn(&str) -> Option<T>,
) -> QueryResult<T> {
    from_key(key).ok_or_else(|| {
        Error::DeserializationError(format!("unknown {column} {key:?} in the database").into())
    })
}

/// A role's stored permission keys as a set; an unknown key is corrupt data.
pub(crate) fn stored_permissions(keys: &str) -> QueryResult<crate::domain::role::PermissionSet> {
    crate::domain::role::PermissionSet::parse(keys)
        .map_err(|e| Error::DeserializationError(Box::new(e)))
}
