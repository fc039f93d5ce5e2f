//! Password hashing with argon2id at OWASP's parameters (m = 19 MiB, t = 2, p = 1).
//! Slow by design: argon2 runs on its own pool of [`slots`] threads (all cores but one), at a
//! lower scheduling priority, so that a burst of sign-ins queues there instead of taking the
//! cores the pages need. Callers wait for their turn (call from a blocking thread).

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, LazyLock, Mutex};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::domain::NewPassword;

fn hasher() -> Argon2<'static> {
    // OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// How many argon2 computations run at once: all cores but one, at least one.
pub fn slots() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .max(1)
}

type Job = Box<dyn FnOnce() + Send>;

/// The pool's queue; its threads start with the first job.
static QUEUE: LazyLock<Mutex<Sender<Job>>> = LazyLock::new(|| {
    let (sender, receiver) = channel::<Job>();
    let receiver = Arc::new(Mutex::new(receiver));
    for i in 0..slots() {
        let receiver = receiver.clone();
        std::thread::Builder::new()
            .name(format!("argon2-{i}"))
            .spawn(move || work(&receiver))
            .expect("start an argon2 thread");
    }
    Mutex::new(sender)
});

fn work(receiver: &Mutex<Receiver<Job>>) {
    // Nice 10: the pages' threads (nice 0) go first when both want a core.
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority on this thread's own id changes only its scheduling priority.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
    loop {
        let job = match receiver.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// Runs `f` on the argon2 pool and waits for its result.
fn in_slot<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, result) = channel();
    let job: Job = Box::new(move || {
        let _ = send.send(f());
    });
    QUEUE
        .lock()
        .expect("the argon2 queue")
        .send(job)
        .expect("the argon2 pool runs");
    result.recv().expect("an argon2 thread answers")
}

/// The PHC string of a new password (algorithm, parameters and salt included).
pub fn hash_password(password: &NewPassword) -> anyhow::Result<String> {
    let salt_bytes = crate::tokens::random_bytes(16);
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| anyhow::anyhow!("salt encoding: {e}"))?;
    let secret = password.expose().to_owned();
    in_slot(move || {
        hasher()
            .hash_password(secret.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .map_err(|e| anyhow::anyhow!("password hashing: {e}"))
}

/// True when `candidate` matches the stored hash. A malformed stored hash matches nothing.
pub fn verify_password(stored_hash: &str, candidate: &str) -> bool {
    if PasswordHash::new(stored_hash).is_err() {
        return false;
    }
    let (stored, candidate) = (stored_hash.to_owned(), candidate.to_owned());
    in_slot(move || {
        PasswordHash::new(&stored).is_ok_and(|parsed| {
            hasher()
                .verify_password(candidate.as_bytes(), &parsed)
                .is_ok()
        })
    })
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
