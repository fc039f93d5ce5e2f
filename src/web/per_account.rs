//! What each account holds open on this instance (CSV downloads, presence streams), counted so
//! that one person cannot hold more than a bound of them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::domain::ids::AccountId;

/// How many of one kind of thing each account holds open.
#[derive(Clone, Default)]
pub struct PerAccount(Arc<Mutex<HashMap<AccountId, usize>>>);

/// One thing an account holds open: counted while it lives, given back when dropped.
pub struct Held {
    counts: PerAccount,
    account: AccountId,
}

impl PerAccount {
    /// One more for `account`, unless it holds `most` already.
    pub fn take(&self, account: AccountId, most: usize) -> Option<Held> {
        let mut counts = self.0.lock().expect("per-account lock");
        let count = counts.entry(account).or_default();
        if *count >= most {
            return None;
        }
        *count += 1;
        Some(Held {
            counts: self.clone(),
            account,
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().expect("per-account lock");
        if let Some(count) = counts.get_mut(&self.account) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.account);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_holds_at_most_its_bound_and_gets_each_back_when_dropped() {
        let counts = PerAccount::default();
        let (ada, grace) = (AccountId(1), AccountId(2));
        let first = counts.take(ada, 2).expect("the first");
        let second = counts.take(ada, 2).expect("the second");
        assert!(counts.take(ada, 2).is_none(), "a third is refused");
        assert!(
            counts.take(grace, 2).is_some(),
            "another account's own count"
        );
        drop(first);
        let third = counts.take(ada, 2).expect("one given back");
        drop((second, third));
        assert!(counts.0.lock().unwrap().is_empty(), "no count left behind");
    }
}
