//! Brute-force throttling of sign-in (Keycloak's brute-force detection, OWASP ASVS v4 §2.2):
//! what one more failure does to an account's or an address's counter, and whether a counter
//! makes someone wait. Pure: the store keeps the counters, the clock is passed in.
//!
//! - An account: after [`FREE_FAILURES`] consecutive failures, each further attempt waits 1 s,
//!   2 s, 4 s … at most [`MAX_PAUSE`]; while it waits, every attempt is refused (the right
//!   password too) without checking the password. A success clears the count; so do
//!   [`FORGET_AFTER`] without a failure.
//! - An address: [`IP_MAX_FAILURES`] failures within [`IP_WINDOW`] refuse its attempts until the
//!   window ends.

use chrono::{Duration, NaiveDateTime};

pub const FREE_FAILURES: i64 = 5;
pub const MAX_PAUSE: Duration = Duration::minutes(15);
/// Consecutive failures are forgotten after this long without one.
pub const FORGET_AFTER: Duration = Duration::hours(12);
pub const IP_MAX_FAILURES: i64 = 50;
pub const IP_WINDOW: Duration = Duration::minutes(10);
/// At most one "failed sign-in" audit event per account in this time; it counts the failures.
pub const REPORT_EVERY: Duration = Duration::minutes(1);

/// The client address a counter is kept for: an IPv4 address as it is, an IPv6 one as its /64 (a
/// subscriber is handed a whole /64, and would otherwise get a fresh counter per address).
pub fn counted_address(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>().map(|a| a.to_canonical()) {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(v4) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Account,
    Address,
}

/// A stored counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub failures: i64,
    pub window_started_at: NaiveDateTime,
    pub last_failure_at: NaiveDateTime,
    /// Accounts only.
    pub paused_until: Option<NaiveDateTime>,
    pub reported_at: Option<NaiveDateTime>,
    pub unreported: i64,
}

/// What one more failure did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AfterFailure {
    pub counter: Counter,
    /// A new pause began (or an old one grew) until then.
    pub paused_until: Option<NaiveDateTime>,
    /// Write a "failed sign-in" event counting this many failures.
    pub report: Option<i64>,
}

/// The wait after `failures` consecutive failures of an account: none for the first few, then
/// doubling from one second up to [`MAX_PAUSE`].
pub fn pause_after(failures: i64) -> Option<Duration> {
    let over = failures - FREE_FAILURES;
    if over < 0 {
        return None;
    }
    // 2^10 s is past the cap already.
    let seconds = 1i64 << over.min(10);
    Some(Duration::seconds(seconds).min(MAX_PAUSE))
}

/// How long `subject` must still wait, if at all.
pub fn waiting(subject: Subject, counter: &Counter, now: NaiveDateTime) -> Option<Duration> {
    let until = match subject {
        Subject::Account => counter.paused_until?,
        Subject::Address => {
            if counter.failures < IP_MAX_FAILURES {
                return None;
            }
            counter.window_started_at + IP_WINDOW
        }
    };
    (until > now).then(|| until - now)
}

/// The counter after one more failure at `now` (`None`: no failure before).
pub fn after_failure(
    subject: Subject,
    counter: Option<Counter>,
    now: NaiveDateTime,
) -> AfterFailure {
    let fresh = Counter {
        failures: 0,
        window_started_at: now,
        last_failure_at: now,
        paused_until: None,
        reported_at: None,
        unreported: 0,
    };
    let mut counter = match (subject, counter) {
        (_, None) => fresh,
        (Subject::Account, Some(c)) if now - c.last_failure_at >= FORGET_AFTER => Counter {
            reported_at: c.reported_at,
            unreported: c.unreported,
            ..fresh
        },
        (Subject::Address, Some(c)) if now - c.window_started_at >= IP_WINDOW => fresh,
        (_, Some(c)) => c,
    };
    counter.failures += 1;
    counter.last_failure_at = now;
    let paused_until = match subject {
        Subject::Account => pause_after(counter.failures).map(|wait| now + wait),
        Subject::Address => None,
    };
    if paused_until.is_some() {
        counter.paused_until = paused_until;
    }
    counter.unreported += 1;
    let report = match counter.reported_at {
        Some(at) if now - at < REPORT_EVERY => None,
        _ => Some(std::mem::take(&mut counter.unreported)),
    };
    if report.is_some() {
        counter.reported_at = Some(now);
    }
    AfterFailure {
        counter,
        paused_until,
        report,
    }
}

/// Whole seconds to put in `Retry-After` (rounded up, at least 1).
pub fn retry_after_seconds(wait: Duration) -> i64 {
    let millis = wait.num_milliseconds().max(1);
    (millis + 999) / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_counts_by_its_64_and_ipv4_as_it_is() {
        assert_eq!(counted_address("203.0.113.7"), "203.0.113.7");
        assert_eq!(
            counted_address("2001:db8:1:2:aaaa::1"),
            counted_address("2001:db8:1:2:ffff:ffff:ffff:ffff")
        );
        assert_eq!(counted_address("2001:db8:1:2::9"), "2001:db8:1:2::/64");
        assert_ne!(counted_address("2001:db8:1:3::9"), "2001:db8:1:2::/64");
        assert_eq!(counted_address("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(counted_address("not an address"), "not an address");
    }
    use crate::domain::test_time::seconds as at;

    fn fail(subject: Subject, times: i64, every: i64) -> (Option<Counter>, Vec<AfterFailure>) {
        let mut counter = None;
        let mut steps = Vec::new();
        for i in 0..times {
            let step = after_failure(subject, counter, at(i * every));
            counter = Some(step.counter);
            steps.push(step);
        }
        (counter, steps)
    }

    #[test]
    fn waits_double_after_five_failures_up_to_fifteen_minutes() {
        assert_eq!(pause_after(4), None);
        assert_eq!(pause_after(5), Some(Duration::seconds(1)));
        assert_eq!(pause_after(6), Some(Duration::seconds(2)));
        assert_eq!(pause_after(8), Some(Duration::seconds(8)));
        assert_eq!(pause_after(15), Some(Duration::seconds(900)));
        assert_eq!(pause_after(16), Some(MAX_PAUSE));
        assert_eq!(pause_after(10_000), Some(MAX_PAUSE));
    }

    #[test]
    fn an_account_waits_from_its_fifth_failure() {
        let (counter, steps) = fail(Subject::Account, 5, 0);
        assert!(steps[..4].iter().all(|s| s.paused_until.is_none()));
        assert_eq!(steps[4].paused_until, Some(at(1)));
        let counter = counter.unwrap();
        assert_eq!(
            waiting(Subject::Account, &counter, at(0)),
            Some(Duration::seconds(1))
        );
        assert_eq!(waiting(Subject::Account, &counter, at(1)), None);
    }

    #[test]
    fn old_failures_are_forgotten() {
        let (counter, _) = fail(Subject::Account, 4, 0);
        let later = after_failure(Subject::Account, counter, at(13 * 3600));
        assert_eq!(later.counter.failures, 1);
        assert_eq!(later.paused_until, None);
    }

    #[test]
    fn an_address_is_refused_after_fifty_failures_in_ten_minutes() {
        let (counter, _) = fail(Subject::Address, 49, 1);
        let counter = counter.unwrap();
        assert_eq!(waiting(Subject::Address, &counter, at(49)), None);
        let fiftieth = after_failure(Subject::Address, Some(counter), at(50));
        assert_eq!(
            waiting(Subject::Address, &fiftieth.counter, at(50)),
            Some(Duration::seconds(550))
        );
        assert_eq!(waiting(Subject::Address, &fiftieth.counter, at(600)), None);
        // A new window starts afresh.
        let next = after_failure(Subject::Address, Some(fiftieth.counter), at(600));
        assert_eq!(next.counter.failures, 1);
    }

    #[test]
    fn failures_are_reported_at_most_once_a_minute_and_counted() {
        let (_, steps) = fail(Subject::Account, 7, 20);
        let reports: Vec<Option<i64>> = steps.iter().map(|s| s.report).collect();
        // At 0 s, 60 s and 120 s: the first alone, then the three since each.
        assert_eq!(
            reports,
            vec![Some(1), None, None, Some(3), None, None, Some(3)]
        );
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_seconds(Duration::milliseconds(1)), 1);
        assert_eq!(retry_after_seconds(Duration::milliseconds(1500)), 2);
        assert_eq!(retry_after_seconds(Duration::seconds(900)), 900);
    }
}
