//! One sign-in attempt at a time per account and per address, on this instance. The pauses of
//! `services::sign_in` are read before a password (or a code) is checked and counted after: two
//! attempts checked at once would both pass a counter the other has not raised yet, so that a
//! burst of parallel guesses got each one checked. In turn, each attempt sees the failures of the
//! one before it, and once the account (or the address) is paused the rest are refused without a
//! check. Several instances each take their own turns: the burst is then checked as many at a
//! time as there are instances.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{Mutex as Turn, OwnedMutexGuard};

/// The turns being taken or waited for, by key; a key nobody holds any more is dropped.
#[derive(Default)]
pub struct Turns(Mutex<HashMap<String, Weak<Turn<()>>>>);

/// Held while an attempt is checked and counted; the next in line goes on drop.
pub struct Held {
    _turns: Vec<OwnedMutexGuard<()>>,
}

impl Turns {
    /// Waits (first come, first served) until no other attempt at signing in as `account` (its
    /// address, as typed or as stored), if it names one, or from `ip` is under way, then
    /// holds both turns. Always the account's first, so two attempts never wait for each other.
    pub async fn take(&self, account: Option<&str>, ip: Option<&str>) -> Held {
        let account = account.map(|a| format!("account:{}", a.to_lowercase()));
        let ip = ip.map(|ip| format!("ip:{}", crate::domain::throttle::counted_address(ip)));
        let turns: Vec<Arc<Turn<()>>> = {
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            if map.len() > 1024 {
                map.retain(|_, turn| turn.strong_count() > 0);
            }
            account
                .into_iter()
                .chain(ip)
                .map(|key| match map.get(&key).and_then(Weak::upgrade) {
                    Some(turn) => turn,
                    None => {
                        let turn = Arc::new(Turn::new(()));
                        map.insert(key, Arc::downgrade(&turn));
                        turn
                    }
                })
                .collect()
        };
        let mut held = Vec::with_capacity(turns.len());
        for turn in turns {
            held.push(turn.lock_owned().await);
        }
        Held { _turns: held }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[actix_web::test]
    async fn attempts_sharing_a_key_take_turns_and_others_do_not_wait() {
        let turns = Arc::new(Turns::default());
        let first = turns.take(Some("Ada@example.com"), Some("10.0.0.1")).await;
        // Another address for the same account waits; so does the same address for another.
        for other in [
            ("ada@example.com", "10.0.0.2"),
            ("grace@example.com", "10.0.0.1"),
        ] {
            let waiting = actix_web::rt::time::timeout(
                Duration::from_millis(50),
                turns.take(Some(other.0), Some(other.1)),
            )
            .await;
            assert!(waiting.is_err(), "{other:?} waits its turn");
        }
        // Nothing shared: at once.
        let apart = actix_web::rt::time::timeout(
            Duration::from_millis(50),
            turns.take(Some("grace@example.com"), Some("10.0.0.2")),
        )
        .await;
        assert!(apart.is_ok());
        drop(apart);
        drop(first);
        let next = actix_web::rt::time::timeout(
            Duration::from_millis(50),
            turns.take(Some("ada@example.com"), None),
        )
        .await;
        assert!(next.is_ok(), "the next in line goes once the first is done");
    }
}
