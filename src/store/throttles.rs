//! The sign-in counters of `domain::throttle`, one row per key (`account:<id>`, `ip:<address>`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{AnyConnection, QueryResult};
use crate::db::schema::sign_in_throttles as t;
use crate::domain::ids::AccountId;
use crate::domain::throttle::Counter;

pub fn account_key(account: AccountId) -> String {
    format!("account:{}", account.0)
}

/// An IPv6 client by its /64 (`domain::throttle::counted_address`).
pub fn address_key(ip: &str) -> String {
    format!("ip:{}", crate::domain::throttle::counted_address(ip))
}

type Row = (
    i64,
    NaiveDateTime,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    i64,
);

columns!(
    COLUMNS = (
        t::failures,
        t::window_started_at,
        t::last_failure_at,
        t::paused_until,
        t::reported_at,
        t::unreported,
    )
);

fn counter(row: Row) -> Counter {
    Counter {
        failures: row.0,
        window_started_at: row.1,
        last_failure_at: row.2,
        paused_until: row.3,
        reported_at: row.4,
        unreported: row.5,
    }
}

pub fn find(conn: &mut AnyConnection, key: &str) -> QueryResult<Option<Counter>> {
    Ok(t::table
        .find(key)
        .select(COLUMNS)
        .first::<Row>(conn)
        .optional()?
        .map(counter))
}

/// The counter, locked until the transaction ends (call inside one): the row is made when
/// missing and then written to, so a concurrent failure on another connection or instance waits
/// for this one instead of counting from the same number.
pub fn lock(
    conn: &mut AnyConnection,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Counter>> {
    let touch = |conn: &mut AnyConnection| {
        diesel::update(t::table.find(key))
            .set(t::failures.eq(t::failures))
            .execute(conn)
    };
    if touch(conn)? == 0 {
        // In a savepoint: when another connection made the row meanwhile, only the insert is
        // undone (PostgreSQL would abort the whole transaction), and the touch waits for it.
        let made = conn.transaction(|conn| {
            diesel::insert_into(t::table)
                .values((
                    t::key.eq(key),
                    t::failures.eq(0i64),
                    t::window_started_at.eq(now),
                    t::last_failure_at.eq(now),
                ))
                .execute(conn)
        });
        match made {
            Ok(_) => {}
            Err(e) if super::is_unique_violation(&e) => {
                touch(conn)?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(find(conn, key)?.filter(|c| c.failures > 0))
}

pub fn save(conn: &mut AnyConnection, key: &str, c: &Counter) -> QueryResult<()> {
    diesel::update(t::table.find(key))
        .set((
            t::failures.eq(c.failures),
            t::window_started_at.eq(c.window_started_at),
            t::last_failure_at.eq(c.last_failure_at),
            t::paused_until.eq(c.paused_until),
            t::reported_at.eq(c.reported_at),
            t::unreported.eq(c.unreported),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets a counter (a success, or an administrator's Clear); true when there was one.
pub fn clear(conn: &mut AnyConnection, key: &str) -> QueryResult<bool> {
    Ok(diesel::delete(t::table.find(key)).execute(conn)? > 0)
}

/// The accounts among `ids` whose sign-in is paused at `now`: (account, until, failures).
pub fn paused_accounts(
    conn: &mut AnyConnection,
    ids: &[AccountId],
    now: NaiveDateTime,
) -> QueryResult<Vec<(AccountId, NaiveDateTime, i64)>> {
    let keys: Vec<String> = ids.iter().map(|id| account_key(*id)).collect();
    let rows: Vec<(String, Option<NaiveDateTime>, i64)> = t::table
        .filter(t::key.eq_any(&keys))
        .filter(t::paused_until.gt(now))
        .select((t::key, t::paused_until, t::failures))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(key, until, failures)| {
            let id = key.strip_prefix("account:")?.parse().ok()?;
            Some((AccountId(id), until?, failures))
        })
        .collect())
}
