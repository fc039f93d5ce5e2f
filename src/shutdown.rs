//! Graceful shutdown (SIGTERM or Ctrl-C): `/readyz` answers 503 at once so a balancer stops
//! sending; for `SHUTDOWN_DRAIN_SECONDS` (3) the instance still answers what arrives (a request
//! sent just before the balancer noticed is not dropped), then it stops accepting connections,
//! requests in flight finish (an export in progress completes), the email worker finishes the
//! email it is sending and hands the rest of its batch back to the outbox, and the process exits
//! 0 — within [`GRACE`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// Everything is done within this time after the signal; what is still running then is cut.
pub const GRACE: Duration = Duration::from_secs(30);
/// The part of [`GRACE`] that the drain and then the requests in flight get; the email worker
/// gets what is left.
pub const REQUESTS_GRACE: Duration = Duration::from_secs(25);

/// Shared by the request handlers (readiness) and the background workers: whether shutdown has
/// begun, and a way to wait for it.
#[derive(Clone, Default)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    begun: AtomicBool,
    notify: Notify,
}

impl Shutdown {
    /// Marks shutdown as begun and wakes whoever waits for it.
    pub fn begin(&self) {
        self.inner.begun.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    pub fn has_begun(&self) -> bool {
        self.inner.begun.load(Ordering::SeqCst)
    }

    /// Returns once shutdown has begun (at once if it already has).
    pub async fn begun(&self) {
        let notified = self.inner.notify.notified();
        if self.has_begun() {
            return;
        }
        notified.await;
    }
}

/// Waits for SIGTERM or SIGINT (Ctrl-C).
pub async fn signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (mut term, mut int) = (
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        );
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn waiting_ends_when_shutdown_begins() {
        let shutdown = Shutdown::default();
        assert!(!shutdown.has_begun());
        let waiter = {
            let shutdown = shutdown.clone();
            actix_web::rt::spawn(async move { shutdown.begun().await })
        };
        actix_web::rt::task::yield_now().await;
        shutdown.begin();
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the waiter wakes")
            .unwrap();
        assert!(shutdown.has_begun());
        // Later waiters return at once.
        tokio::time::timeout(Duration::from_secs(1), shutdown.begun())
            .await
            .expect("at once");
    }
}
