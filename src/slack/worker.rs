//! The Slack worker, started with the server beside the email worker: it reads a connected Slack
//! workspace's people into `slack_people` when asked (connect, "Refresh", a list older than five
//! minutes) and sends the queued direct messages. Slack's 429 answers are honoured: a read waits
//! `Retry-After` between pages, a message is put off until then. Reads and messages are leased,
//! so several instances share the work and a crashed one's work is picked up again.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::client::{SlackApi, SlackError};
use crate::clock;
use crate::config::OutboxSettings;
use crate::db::{self, Lock, Pool};
use crate::domain::slack::SlackPerson;
use crate::mail::worker::retry_at;
use crate::shutdown::Shutdown;
use crate::store::slack::{self as store, ClaimedRead, QueuedMessage};

/// A read is leased this long; pages are read well within it.
const READ_LEASE: Duration = Duration::from_secs(600);
/// A message is leased this long while it is being sent.
const MESSAGE_LEASE: Duration = Duration::from_secs(300);
const MESSAGE_BATCH: i64 = 20;
/// Waits longer than this (Slack's `Retry-After`) end the read; it is tried again after the wait.
const LONGEST_WAIT_IN_READ: Duration = Duration::from_secs(60);
/// A failed read (Slack down) is tried again after this long.
const READ_RETRY: chrono::Duration = chrono::Duration::minutes(1);
/// No Slack workspace has more pages than this; a cursor going on forever is cut here.
const MAX_PAGES: usize = 5_000;

/// What the worker needs besides the database.
#[derive(Clone)]
pub struct SlackWorker {
    pub pool: Pool,
    pub api: SlackApi,
    /// The encryption key that sealed the tokens.
    pub key: Arc<Vec<u8>>,
    pub settings: OutboxSettings,
}

/// Runs until shutdown begins; `wake` makes it look at once (after a connect, a refresh or an add).
pub fn spawn(worker: SlackWorker, wake: Arc<Notify>, shutdown: Shutdown) -> JoinHandle<()> {
    actix_web::rt::spawn(async move {
        while !shutdown.has_begun() {
            if let Err(e) = worker.round(&shutdown).await {
                tracing::warn!(error = %e, "slack worker: a round failed");
            }
            tokio::select! {
                _ = actix_web::rt::time::sleep(worker.settings.poll_interval) => {}
                _ = wake.notified() => {}
                _ = shutdown.begun() => {}
            }
        }
    })
}

impl SlackWorker {
    async fn round(&self, shutdown: &Shutdown) -> anyhow::Result<()> {
        while !shutdown.has_begun() {
            let (worker, stop) = (self.clone(), shutdown.clone());
            if !web::block(move || worker.read_one(&stop)).await?? {
                break;
            }
        }
        while !shutdown.has_begun() {
            let worker = self.clone();
            if !web::block(move || worker.send_due()).await?? {
                break;
            }
        }
        Ok(())
    }

    /// Reads one wanted people list, if any. Returns whether there was one.
    fn read_one(&self, shutdown: &Shutdown) -> anyhow::Result<bool> {
        let now = clock::now();
        let lease = now + chrono::Duration::from_std(READ_LEASE)?;
        let Some(read) = store::claim_read(&mut *self.pool.get()?, now, lease)? else {
            return Ok(false);
        };
        let Some(token) = crate::crypto::open_text(&self.key, &read.token_sealed) else {
            store::fail_read(
                &mut *self.pool.get()?,
                &read,
                Some(
                    "The stored Slack token cannot be read with this ENCRYPTION_KEY: connect again.",
                ),
                None,
            )?;
            return Ok(true);
        };
        let outcome = self.read_pages(&read, &token, shutdown);
        let mut conn = self.pool.get()?;
        let now = clock::now();
        match outcome {
            Ok(Some(people)) => {
                match db::write_transaction(&mut conn, Lock::Workspace(read.workspace), |c| {
                    store::finish_read(c, &read, &people, now)
                }) {
                    Ok(kept) => tracing::info!(
                        workspace = read.workspace.0,
                        people = people.len(),
                        kept,
                        "slack people read"
                    ),
                    // Said on the settings page and tried again, not left "Reading…".
                    Err(e) => {
                        tracing::warn!(workspace = read.workspace.0, error = %e, "slack people not saved");
                        let error = "The people read from Slack could not be saved; trying again.";
                        store::fail_read(&mut conn, &read, Some(error), Some(now + READ_RETRY))?;
                    }
                }
            }
            // The lease was lost (reconnected, disconnected) or shutdown began: hand it back.
            Ok(None) => store::fail_read(&mut conn, &read, None, Some(now))?,
            Err(SlackError::RateLimited(wait)) => {
                let at = now + chrono::Duration::from_std(wait)?;
                let error = SlackError::RateLimited(wait).to_string();
                store::fail_read(&mut conn, &read, Some(&error), Some(at))?;
            }
            Err(e) => {
                tracing::warn!(workspace = read.workspace.0, error = %e, "slack people not read");
                let retry = (!e.is_token_dead()).then(|| now + READ_RETRY);
                store::fail_read(&mut conn, &read, Some(&e.to_string()), retry)?;
            }
        }
        Ok(true)
    }

    /// Every page of `users.list`, the people kept; `None` when the read should stop (its lease is
    /// gone or shutdown began).
    fn read_pages(
        &self,
        read: &ClaimedRead,
        token: &str,
        shutdown: &Shutdown,
    ) -> Result<Option<Vec<SlackPerson>>, SlackError> {
        let mut people = Vec::new();
        // A list that shifts while it is paged can show someone twice: once each.
        let mut seen = std::collections::HashSet::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            if shutdown.has_begun() {
                return Ok(None);
            }
            match self.api.users_page(token, cursor.as_deref()) {
                Ok((members, next)) => {
                    people.extend(
                        members
                            .iter()
                            .filter_map(SlackPerson::from_member)
                            .filter(|p| seen.insert(p.id.clone())),
                    );
                    let mut conn = self.pool.get().map_err(SlackError::here)?;
                    if !store::set_progress(&mut conn, read, people.len() as i64)
                        .map_err(SlackError::here)?
                    {
                        return Ok(None);
                    }
                    match next {
                        Some(next) => cursor = Some(next),
                        None => return Ok(Some(people)),
                    }
                }
                Err(SlackError::RateLimited(wait)) if wait <= LONGEST_WAIT_IN_READ => {
                    std::thread::sleep(wait);
                }
                Err(e) => return Err(e),
            }
        }
        Err(SlackError::here(format!(
            "users.list went on for more than {MAX_PAGES} pages"
        )))
    }

    /// Sends one batch of due direct messages. Returns whether there was any.
    fn send_due(&self) -> anyhow::Result<bool> {
        let now = clock::now();
        let lease = now + chrono::Duration::from_std(MESSAGE_LEASE)?;
        let due = store::claim_due(&mut *self.pool.get()?, now, lease, MESSAGE_BATCH)?;
        if due.is_empty() {
            return Ok(false);
        }
        let mut due = due.into_iter();
        while let Some(message) = due.next() {
            if let Some(wait) = self.send(&message)? {
                // Slack asks to slow down: the rest of the batch waits as long.
                let at = clock::now() + chrono::Duration::from_std(wait)?;
                let mut conn = self.pool.get()?;
                for later in std::iter::once(message).chain(due.by_ref()) {
                    store::postpone(&mut conn, &later, at)?;
                }
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Sends one message and records the outcome; `Some(wait)` when Slack answered 429.
    fn send(&self, message: &QueuedMessage) -> anyhow::Result<Option<Duration>> {
        let connection = store::find(&mut *self.pool.get()?, message.workspace)?;
        let outcome = match connection.as_ref() {
            None => Err(SlackError::Api("not_connected".to_owned())),
            Some(c) => match crate::crypto::open_text(&self.key, &c.token_sealed) {
                Some(token) => {
                    self.api
                        .direct_message(&token, &message.slack_user_id, &message.text)
                }
                None => Err(SlackError::Api("invalid_auth".to_owned())),
            },
        };
        let mut conn = self.pool.get()?;
        let now = clock::now();
        match outcome {
            Ok(()) => store::mark_sent(&mut conn, message, now)?,
            Err(SlackError::RateLimited(wait)) => return Ok(Some(wait)),
            Err(e) => {
                let retry = match connection {
                    None => None,
                    Some(_) => retry_at(now, message.attempts + 1, &self.settings),
                };
                tracing::warn!(user = %message.slack_user_id, error = %e, gave_up = retry.is_none(), "slack message not sent");
                let words = match &e {
                    SlackError::Api(code) if code == "not_connected" => {
                        "The workspace is no longer connected to Slack.".to_owned()
                    }
                    other => other.to_string(),
                };
                store::record_failure(&mut conn, message, &words, retry, now)?;
            }
        }
        Ok(None)
    }
}
