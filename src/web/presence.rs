//! Presence in real time (issue 21 §3): `GET /w/{slug}/presence` is a server-sent events stream
//! that tells the pages of a workspace who comes online, goes offline or was active just now.
//!
//! Someone is online while a tab of theirs is open (an open stream records their activity every
//! minute) or they were active in the last two minutes. Each instance polls, every two seconds and
//! once for all its streams of a workspace, the members active in the last two minutes (a range of
//! the last-active index); what changed since its previous poll goes to every stream of that
//! workspace. Activity is in the database, so a change made through any instance reaches the
//! streams of every instance.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::web::{self, Bytes};
use actix_web::{HttpResponse, http::header};
use chrono::NaiveDateTime;
use tokio::sync::{broadcast, mpsc};

use super::auth::WorkspaceAccess;
use super::error::AppError;
use super::per_account::{Held, PerAccount};
use super::session_store::keys;
use super::{AppState, views};
use crate::clock;
use crate::db::Pool;
use crate::domain::ids::{AccountId, MembershipId, WorkspaceId};
use crate::domain::policy;
use crate::domain::role::Permission;
use crate::shutdown::Shutdown;
use crate::store::{memberships, sessions, who};

/// How often an instance looks for changes (a change shows within this and a little).
const POLL: Duration = Duration::from_secs(2);
/// How long one stream lasts at the most: the browser reconnects, and is judged again.
const LIFETIME: Duration = Duration::from_secs(10 * 60);
/// A change is sent only to a viewer judged within this long (the heartbeat judges too).
const REJUDGE_CHANGES: Duration = Duration::from_secs(5);
/// Online: active within this long.
const ONLINE_FOR: chrono::Duration = chrono::Duration::minutes(2);
/// Streams (tabs) one account may hold open on an instance: more are refused (429), so that a
/// script cannot take the database's connections from everyone with heartbeats.
pub const MOST_STREAMS_PER_ACCOUNT: usize = 16;
/// At most this many online members are followed per workspace.
const MOST_FOLLOWED: i64 = 5_000;

/// One change, as the stream sends it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Change {
    /// The membership.
    pub id: i64,
    pub online: bool,
    /// RFC 3339, and how the list writes it ("just now", "3 minutes ago").
    pub last_active: String,
    pub label: String,
}

/// Who was online at the previous poll, and when each was last active.
type Seen = HashMap<MembershipId, NaiveDateTime>;

/// The changes between two polls: someone new or active again is online (with their new time),
/// someone no longer in the set went offline.
pub fn changes(before: &Seen, now_online: &Seen, now: NaiveDateTime) -> Vec<Change> {
    let change = |id: &MembershipId, at: &NaiveDateTime, online: bool| Change {
        id: id.0,
        online,
        last_active: views::rfc3339(*at),
        // Sent to every viewer alike: "just now", minutes or hours ago (a date only past 30
        // days, which nobody online is), so in UTC.
        label: views::relative(*at, now, Default::default()),
    };
    let mut out: Vec<Change> = now_online
        .iter()
        .filter(|(id, at)| before.get(id) != Some(at))
        .map(|(id, at)| change(id, at, true))
        .chain(
            before
                .iter()
                .filter(|(id, _)| !now_online.contains_key(id))
                .map(|(id, at)| change(id, at, false)),
        )
        .collect();
    out.sort_by_key(|c| c.id);
    out
}

struct Followed {
    sender: broadcast::Sender<Arc<str>>,
    seen: Option<Seen>,
}

/// The workspaces this instance's streams follow, and how many streams each account holds open.
#[derive(Default)]
pub struct PresenceHub {
    followed: Mutex<HashMap<WorkspaceId, Followed>>,
    streams: PerAccount,
}

impl PresenceHub {
    /// A stream for `account`, unless it holds [`MOST_STREAMS_PER_ACCOUNT`] open already.
    fn open_stream(&self, account: AccountId) -> Option<Held> {
        self.streams.take(account, MOST_STREAMS_PER_ACCOUNT)
    }

    fn subscribe(&self, workspace: WorkspaceId) -> broadcast::Receiver<Arc<str>> {
        let mut followed = self.followed.lock().expect("presence lock");
        followed
            .entry(workspace)
            .or_insert_with(|| Followed {
                sender: broadcast::channel(256).0,
                seen: None,
            })
            .sender
            .subscribe()
    }

    /// The workspaces someone still follows (the others are dropped).
    fn watched(&self) -> Vec<WorkspaceId> {
        let mut followed = self.followed.lock().expect("presence lock");
        followed.retain(|_, f| f.sender.receiver_count() > 0);
        followed.keys().copied().collect()
    }

    /// Sends what changed in `workspace` since the previous poll.
    fn publish(&self, workspace: WorkspaceId, online: Seen, now: NaiveDateTime) {
        let mut followed = self.followed.lock().expect("presence lock");
        let Some(f) = followed.get_mut(&workspace) else {
            return;
        };
        let before = f.seen.take().unwrap_or_default();
        for change in changes(&before, &online, now) {
            let data = serde_json::to_string(&change).expect("a change serializes");
            let _ = f
                .sender
                .send(Arc::from(format!("event: presence\ndata: {data}\n\n")));
        }
        f.seen = Some(online);
    }

    /// Polls until shutdown: one query per followed workspace every [`POLL`].
    pub fn spawn(self: Arc<Self>, pool: Pool, shutdown: Shutdown) {
        actix_web::rt::spawn(async move {
            while !shutdown.has_begun() {
                let workspaces = self.watched();
                if !workspaces.is_empty() {
                    let pool = pool.clone();
                    let polled = web::block(move || -> anyhow::Result<Vec<(WorkspaceId, Seen)>> {
                        let mut conn = pool.get()?;
                        let now = clock::now();
                        workspaces
                            .into_iter()
                            .map(|w| {
                                let active = memberships::active_since(
                                    &mut conn,
                                    w,
                                    now - ONLINE_FOR,
                                    MOST_FOLLOWED,
                                )?;
                                Ok((w, active.into_iter().collect()))
                            })
                            .collect()
                    })
                    .await;
                    match polled {
                        Ok(Ok(polled)) => {
                            let now = clock::now();
                            for (workspace, online) in polled {
                                self.publish(workspace, online, now);
                            }
                        }
                        Ok(Err(e)) => tracing::warn!(error = %e, "presence: poll failed"),
                        Err(e) => tracing::warn!(error = %e, "presence: poll failed"),
                    }
                }
                tokio::select! {
                    _ = actix_web::rt::time::sleep(POLL) => {}
                    _ = shutdown.begun() => {}
                }
            }
        });
    }
}

/// Who watches a stream, as they were when it opened.
#[derive(Clone)]
struct Watcher {
    account: AccountId,
    /// The account's session epoch then: a sign-out everywhere, a new password or a block moves
    /// it.
    epoch: i64,
    /// The session's key hash: signed out, or ended from a list of sessions, it is gone.
    session: Option<String>,
    slug: String,
}

impl Watcher {
    /// Whether they may still see this workspace's members: the session still there, the
    /// account active with the same epoch, its membership (or org role) still allowing
    /// `users.view`.
    fn may_still_watch(&self, conn: &mut crate::db::AnyConnection) -> anyhow::Result<bool> {
        let Some(session) = &self.session else {
            return Ok(false);
        };
        if !sessions::is_live(conn, session, clock::now())? {
            return Ok(false);
        }
        let Some((account, _, Some((workspace, membership)))) =
            who::in_workspace(conn, self.account, &self.slug)?
        else {
            return Ok(false);
        };
        let permissions = policy::workspace_permissions(
            account.status,
            account.org_role,
            membership.map(|m| (m.status, m.permissions)),
        );
        // As every page of the workspace judges them: a workspace that came to require
        // two-factor sign-in sends someone without it to enrol first.
        Ok(account.session_epoch == self.epoch
            && permissions.is_ok_and(|p| {
                p.contains(Permission::UsersView)
                    && !(policy::must_use_two_factor(workspace.require_two_factor, p)
                        && account.two_factor_since.is_none())
            }))
    }
}

/// The body of an open stream: what its task forwards, until the task ends.
struct Events(mpsc::Receiver<Bytes>);

impl futures_core::Stream for Events {
    type Item = Result<Bytes, actix_web::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|next| next.map(Ok))
    }
}

/// Whether the stream's viewer may still watch (their session and membership as they were), and
/// with `alive`, their activity recorded. A database that does not answer ends nothing.
async fn still_watching(
    pool: &Pool,
    watcher: &Watcher,
    workspace: WorkspaceId,
    alive: bool,
) -> bool {
    let (pool, watcher) = (pool.clone(), watcher.clone());
    let still = web::block(move || -> anyhow::Result<bool> {
        let mut conn = pool.get()?;
        let still = watcher.may_still_watch(&mut conn)?;
        if still && alive {
            sessions::record_activity(
                &mut conn,
                Some(watcher.account.0),
                Some(workspace.0),
                clock::now(),
            )?;
        }
        Ok(still)
    })
    .await;
    !matches!(still, Ok(Ok(false)))
}

/// The stream (`text/event-stream`): `presence` events for the workspace, a comment every
/// heartbeat (`Settings::presence_heartbeat`); the viewer counts as active while it is open. It
/// ends at the first heartbeat after the viewer may no longer see the members (suspended,
/// blocked, signed out everywhere, their role changed), or at the first change after that when
/// its last judgement is over [`REJUDGE_CHANGES`] old, after [`LIFETIME`], and when shutdown
/// begins; the browser reconnects, judged again (to another instance, when this one stops).
pub async fn stream(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    request: actix_web::HttpRequest,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersView)?;
    let answer = || {
        HttpResponse::Ok()
            .content_type("text/event-stream")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            // Proxies must pass events on at once (nginx buffers otherwise).
            .insert_header(("x-accel-buffering", "no"))
            .take()
    };
    // HEAD: the stream's headers, no stream (nobody is watching).
    if request.method() == actix_web::http::Method::HEAD {
        return Ok(answer().finish());
    }
    let workspace = access.workspace.id;
    let watcher = Watcher {
        account: access.signed_in.account.id,
        epoch: access.signed_in.account.session_epoch,
        session: access
            .signed_in
            .session
            .get::<String>(keys::KEY_HASH)
            .ok()
            .flatten(),
        slug: access.workspace.slug.clone(),
    };
    let Some(slot) = state.presence.open_stream(watcher.account) else {
        return Ok(HttpResponse::TooManyRequests()
            .insert_header((header::RETRY_AFTER, "60"))
            .content_type("text/plain; charset=utf-8")
            .body("Too many tabs are following this workspace's presence: close some."));
    };
    let mut changes = state.presence.subscribe(workspace);
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let (pool, shutdown) = (state.pool.clone(), state.shutdown.clone());
    let every = state.settings.presence_heartbeat;
    actix_web::rt::spawn(async move {
        let _slot = slot;
        // Reconnect after 3 s if the connection drops.
        if tx
            .send(Bytes::from_static(b"retry: 3000\n\n"))
            .await
            .is_err()
        {
            return;
        }
        let mut heartbeat = actix_web::rt::time::interval(every);
        let ends = actix_web::rt::time::sleep(LIFETIME);
        tokio::pin!(ends);
        let mut judged = Instant::now();
        // Sends never wait: a reader that stopped reading (64 events behind) ends its stream,
        // which the browser opens again, rather than holding this task and its checks.
        loop {
            let sent = tokio::select! {
                change = changes.recv() => {
                    // Someone suspended, blocked or signed out sees no change after that,
                    // beyond a few seconds (a judgement is a query: not one per change).
                    if judged.elapsed() >= REJUDGE_CHANGES
                        && !still_watching(&pool, &watcher, workspace, false).await
                    {
                        break;
                    }
                    judged = Instant::now();
                    match change {
                        Ok(text) => tx.try_send(Bytes::from(text.as_bytes().to_vec())),
                        // Fell behind: the page reloads its rows when told to.
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            tx.try_send(Bytes::from_static(b"event: stale\ndata: {}\n\n"))
                        }
                        Err(broadcast::error::RecvError::Closed) => break,
                    }
                },
                _ = heartbeat.tick() => {
                    if !still_watching(&pool, &watcher, workspace, true).await {
                        break;
                    }
                    judged = Instant::now();
                    tx.try_send(Bytes::from_static(b": alive\n\n"))
                }
                // The tab closed: nothing more to record or send.
                _ = tx.closed() => break,
                _ = &mut ends => break,
                _ = shutdown.begun() => break,
            };
            if sent.is_err() {
                break;
            }
        }
    });
    Ok(answer().streaming(Events(rx)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_name_who_came_online_was_active_again_or_went_offline() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc();
        let at = |s: i64| now - chrono::Duration::seconds(s);
        let before: Seen = [(MembershipId(1), at(90)), (MembershipId(2), at(30))]
            .into_iter()
            .collect();
        let after: Seen = [(MembershipId(2), at(5)), (MembershipId(3), at(10))]
            .into_iter()
            .collect();
        let found = changes(&before, &after, now);
        let summary: Vec<(i64, bool, &str)> = found
            .iter()
            .map(|c| (c.id, c.online, c.label.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, false, "1 minute ago"),
                (2, true, "just now"),
                (3, true, "just now")
            ]
        );
        assert!(changes(&after, &after, now).is_empty(), "nothing new");
    }
}
