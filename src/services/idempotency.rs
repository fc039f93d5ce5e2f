//! `Idempotency-Key` on the API's POSTs: claim a key for a request, keep its answer, or give the
//! claim up (the rules are `domain::idempotency`'s, the rows `store::idempotency`'s).

pub use crate::store::idempotency::{Answer, Outcome, claim, finish, release};
