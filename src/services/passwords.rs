//! Password hashing with argon2id at OWASP's parameters (m = 19 MiB, t = 2, p = 1).
//! Slow by design: callers run these on a blocking thread. At most [`slots`] hashes run at once
//! in the process (one core's worth is always left to the rest), so that a burst of sign-ins
//! queues here instead of starving the pages of CPU.

use std::sync::{Condvar, LazyLock, Mutex};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::domain::NewPassword;

fn hasher() -> Argon2<'static> {
    // OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// How many argon2 computations may run at once: all cores but one, at least one.
pub fn slots() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .max(1)
}

static RUNNING: LazyLock<(Mutex<usize>, Condvar)> = LazyLock::new(Default::default);

/// Runs `f` when one of the [`slots`] is free.
fn in_slot<T>(f: impl FnOnce() -> T) -> T {
    let (running, freed) = &*RUNNING;
    let mut count = running.lock().unwrap_or_else(|e| e.into_inner());
    while *count >= slots() {
        count = freed.wait(count).unwrap_or_else(|e| e.into_inner());
    }
    *count += 1;
    drop(count);
    let result = f();
    *running.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
    freed.notify_one();
    result
}

/// The PHC string of a new password (algorithm, parameters and salt included).
pub fn hash_password(password: &NewPassword) -> anyhow::Result<String> {
    let salt_bytes = crate::tokens::random_bytes(16);
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| anyhow::anyhow!("salt encoding: {e}"))?;
    in_slot(|| hasher().hash_password(password.expose().as_bytes(), &salt))
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("password hashing: {e}"))
}

/// True when `candidate` matches the stored hash. A malformed stored hash matches nothing.
pub fn verify_password(stored_hash: &str, candidate: &str) -> bool {
    match PasswordHash::new(stored_hash) {
        Ok(parsed) => in_slot(|| hasher().verify_password(candidate.as_bytes(), &parsed)).is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the email is unknown, so that answering takes as long either way.
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    let decoy = NewPassword::parse(&crate::tokens::new_token())
        .expect("a 43-character token is a valid password");
    hash_password(&decoy).unwrap_or_default()
});

/// Spends the time a real verification takes, and fails.
pub fn verify_decoy(candidate: &str) -> bool {
    verify_password(&DECOY_HASH, candidate);
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_salted() {
        let p = NewPassword::parse("correct horse battery staple").unwrap();
        let h1 = hash_password(&p).unwrap();
        let h2 = hash_password(&p).unwrap();
        assert_ne!(h1, h2);
        assert!(h1.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(&h1, "correct horse battery staple"));
        assert!(!verify_password(&h1, "correct horse battery stapl"));
        assert!(!verify_password("not a hash", "anything"));
        assert!(!verify_decoy("anything"));
    }
}
