//! `Idempotency-Key` on the API's POSTs (issue 16, as Stripe's): the first answer to a key's
//! request is kept 24 hours; a retry with the same Idempotency-Key gets that answer again and
//! changes nothing twice.

use chrono::{Duration, NaiveDateTime};
use sha2::{Digest, Sha256};

/// How long a first answer is kept and replayed.
pub const KEPT_FOR: Duration = Duration::hours(24);

/// A claim whose request never finished (the instance stopped mid-way) may be taken over after
/// this long, rather than answering "in progress" for a day.
pub const ABANDONED_AFTER: Duration = Duration::minutes(5);

/// The longest Idempotency-Key accepted (Stripe's limit).
pub const MAX_LEN: usize = 255;

pub const INVALID_KEY: &str =
    "Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is usual).";

/// The header's value when it is acceptable: 1 to 255 visible ASCII characters.
pub fn parse_key(header: &str) -> Result<&str, &'static str> {
    let key = header.trim();
    if key.is_empty() || key.len() > MAX_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(INVALID_KEY);
    }
    Ok(key)
}

/// What makes two requests the same: method, path with query, and body (hex SHA-256).
pub fn fingerprint(method: &str, path_and_query: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    for part in [method.as_bytes(), path_and_query.as_bytes(), body] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// What is stored for a key's request so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub fingerprint: String,
    /// The answer's status; `IN_PROGRESS` while the first request is being answered.
    pub status: i32,
    pub created_at: NaiveDateTime,
}

pub const IN_PROGRESS: i32 = 0;

/// What a request carrying an Idempotency-Key does, given what is stored for that key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Nothing usable is stored: claim the key and answer the request.
    Claim,
    /// Send the stored answer again.
    Replay,
    /// The key was used for a different request (method, path or body).
    Mismatch,
    /// The first request with this key is still being answered.
    InProgress,
}

pub fn decide(stored: Option<&Stored>, fingerprint: &str, now: NaiveDateTime) -> Decision {
    let Some(stored) = stored else {
        return Decision::Claim;
    };
    let age = now - stored.created_at;
    if age >= KEPT_FOR || (stored.status == IN_PROGRESS && age >= ABANDONED_AFTER) {
        return Decision::Claim;
    }
    if stored.fingerprint != fingerprint {
        Decision::Mismatch
    } else if stored.status == IN_PROGRESS {
        Decision::InProgress
    } else {
        Decision::Replay
    }
}

/// Whether an answer is kept for replay. Refusals that say nothing about the request itself
/// (a bad key, the rate limit, our own failures) are not: a retry should be tried for real. Nor
/// is a method the address does not take: nothing ran, and its answer's `Allow` is not kept.
pub fn keeps(status: u16) -> bool {
    !matches!(status, 401 | 405 | 429) && status < 500
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::test_time::minutes as at;

    fn stored(status: i32, minutes: i64) -> Stored {
        Stored {
            fingerprint: "f".into(),
            status,
            created_at: at(minutes),
        }
    }

    #[test]
    fn keys_are_visible_ascii_up_to_255() {
        assert_eq!(parse_key(" 7f1c-uuid "), Ok("7f1c-uuid"));
        assert!(parse_key("").is_err());
        assert!(parse_key("with space").is_err());
        assert!(parse_key("é").is_err());
        assert!(parse_key(&"k".repeat(255)).is_ok());
        assert!(parse_key(&"k".repeat(256)).is_err());
    }

    #[test]
    fn fingerprints_tell_requests_apart() {
        let a = fingerprint("POST", "/api/v1/groups", b"{}");
        assert_eq!(a, fingerprint("POST", "/api/v1/groups", b"{}"));
        assert_ne!(a, fingerprint("POST", "/api/v1/groups", b"{ }"));
        assert_ne!(a, fingerprint("POST", "/api/v1/group", b"s{}"));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn the_first_answer_is_replayed_for_the_same_request_for_a_day() {
        assert_eq!(decide(None, "f", at(0)), Decision::Claim);
        assert_eq!(decide(Some(&stored(201, 0)), "f", at(60)), Decision::Replay);
        assert_eq!(
            decide(Some(&stored(201, 0)), "other", at(1)),
            Decision::Mismatch
        );
        assert_eq!(
            decide(Some(&stored(201, 0)), "f", at(24 * 60)),
            Decision::Claim
        );
    }

    #[test]
    fn a_request_in_progress_blocks_retries_until_abandoned() {
        assert_eq!(
            decide(Some(&stored(IN_PROGRESS, 0)), "f", at(1)),
            Decision::InProgress
        );
        assert_eq!(
            decide(Some(&stored(IN_PROGRESS, 0)), "other", at(1)),
            Decision::Mismatch
        );
        assert_eq!(
            decide(Some(&stored(IN_PROGRESS, 0)), "f", at(5)),
            Decision::Claim
        );
    }

    #[test]
    fn refusals_that_do_not_depend_on_the_request_are_not_kept() {
        for status in [200, 201, 204, 400, 403, 404, 409, 422] {
            assert!(keeps(status), "{status}");
        }
        for status in [401, 405, 429, 500, 503] {
            assert!(!keeps(status), "{status}");
        }
    }
}
