//! The outbox worker: started with the server, it sends due emails, retrying with exponential
//! backoff; attempts and the last error are stored on the email. SMTP being down loses nothing
//! and blocks no request (PRODUCT §4.11).

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use chrono::NaiveDateTime;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::Mailer;
use crate::clock;
use crate::config::OutboxSettings;
use crate::db::Pool;
use crate::metrics::METRICS;
use crate::shutdown::Shutdown;
use crate::store::outbox::{self, QueuedEmail};

/// An email being sent is leased for this long; if the worker dies, it is due again afterwards.
/// Longer than a whole batch can take (each send times out after 20 s), so no other instance
/// claims an email while this one still works on it.
const LEASE: Duration = Duration::from_secs(900);
const BATCH: i64 = 10;

/// When to try again after `attempts` failed attempts (the first retry after `base`, then doubling,
/// at most an hour apart); `None` once `max_attempts` is reached.
pub fn retry_at(
    now: NaiveDateTime,
    attempts: i64,
    settings: &OutboxSettings,
) -> Option<NaiveDateTime> {
    if attempts >= settings.max_attempts {
        return None;
    }
    let factor = 1u32 << (attempts.clamp(1, 12) - 1);
    let delay = settings
        .retry_base
        .saturating_mul(factor)
        .min(Duration::from_secs(3600));
    Some(now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1)))
}

/// Runs on the current actix runtime until shutdown begins; `wake` makes it look at once (after
/// an enqueue). On shutdown it finishes the email it is sending, hands the rest of its batch
/// back to the outbox (due at once, for another instance or the next start) and ends.
pub fn spawn(
    pool: Pool,
    mailer: Arc<Mailer>,
    settings: OutboxSettings,
    wake: Arc<Notify>,
    shutdown: Shutdown,
) -> JoinHandle<()> {
    actix_web::rt::spawn(async move {
        while !shutdown.has_begun() {
            if let Err(e) = drain(&pool, &mailer, &settings, &shutdown).await {
                tracing::warn!(error = %e, "email outbox: could not read due emails");
            }
            tokio::select! {
                _ = actix_web::rt::time::sleep(settings.poll_interval) => {}
                _ = wake.notified() => {}
                _ = shutdown.begun() => {}
            }
        }
    })
}

async fn drain(
    pool: &Pool,
    mailer: &Arc<Mailer>,
    settings: &OutboxSettings,
    shutdown: &Shutdown,
) -> anyhow::Result<()> {
    loop {
        let claim_pool = pool.clone();
        let due = web::block(move || -> anyhow::Result<Vec<QueuedEmail>> {
            let mut conn = claim_pool.get()?;
            let now = clock::now();
            let lease = now + chrono::Duration::from_std(LEASE)?;
            Ok(outbox::claim_due(&mut conn, now, lease, BATCH)?)
        })
        .await??;
        if due.is_empty() {
            return Ok(());
        }
        let mut due = due.into_iter();
        for email in due.by_ref() {
            send(pool, mailer, settings, email).await?;
            if shutdown.has_begun() {
                break;
            }
        }
        let unsent: Vec<QueuedEmail> = due.collect();
        if shutdown.has_begun() {
            if !unsent.is_empty() {
                let pool = pool.clone();
                web::block(move || -> anyhow::Result<usize> {
                    Ok(outbox::release(&mut *pool.get()?, &unsent, clock::now())?)
                })
                .await??;
            }
            return Ok(());
        }
    }
}

/// Sends one claimed email and records the outcome: sent, or failed with when to try again.
async fn send(
    pool: &Pool,
    mailer: &Arc<Mailer>,
    settings: &OutboxSettings,
    email: QueuedEmail,
) -> anyhow::Result<()> {
    let (mailer, pool, settings) = (mailer.clone(), pool.clone(), *settings);
    web::block(move || -> anyhow::Result<()> {
        let outcome = mailer.deliver(&email);
        let mut conn = pool.get()?;
        let now = clock::now();
        match outcome {
            Ok(()) => {
                outbox::mark_sent(&mut conn, &email, now)?;
                METRICS.emails_sent.inc();
            }
            Err(e) => {
                METRICS.emails_failed.inc();
                let attempts = email.attempts + 1;
                let retry = retry_at(now, attempts, &settings);
                tracing::warn!(to = %email.to, attempts, error = %e, gave_up = retry.is_none(), "email not delivered");
                outbox::record_failure(&mut conn, &email, &format!("{e:#}"), retry, now)?;
            }
        }
        Ok(())
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_exponentially_then_gives_up() {
        let settings = OutboxSettings {
            poll_interval: Duration::from_secs(1),
            retry_base: Duration::from_secs(30),
            max_attempts: 8,
        };
        let now = clock::now();
        let wait = |attempts| retry_at(now, attempts, &settings).map(|t| (t - now).num_seconds());
        assert_eq!(wait(1), Some(30));
        assert_eq!(wait(2), Some(60));
        assert_eq!(wait(3), Some(120));
        assert_eq!(wait(7), Some(1920));
        assert_eq!(wait(8), None);
        let patient = OutboxSettings {
            max_attempts: 20,
            ..settings
        };
        assert_eq!(
            retry_at(now, 12, &patient).map(|t| (t - now).num_seconds()),
            Some(3600),
            "at most an hour"
        );
    }
}
