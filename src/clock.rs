//! The time the console stores: UTC, without time zone, to the microsecond on both backends.

use chrono::{NaiveDateTime, Timelike, Utc};

pub fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}
