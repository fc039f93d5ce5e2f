//! actix-session's `SessionStore` over the `sessions` table: sessions can be listed and ended one
//! by one or all at once, and survive restarts and several instances.

use std::collections::HashMap;
use std::sync::Arc;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use actix_web::web;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;

use super::frame_cache::FrameCache;
use crate::clock;
use crate::db::Pool;
use crate::domain::ids::AccountId;
use crate::store::sessions::{self, SessionColumns};
use crate::tokens;

/// Keys of the session state the store copies into columns (so sessions can be found by account).
pub mod keys {
    pub const ACCOUNT_ID: &str = "account_id";
    pub const SESSION_EPOCH: &str = "epoch";
    pub const WORKSPACE_ID: &str = "workspace_id";
    pub const IP: &str = "ip";
    pub const USER_AGENT: &str = "ua";
    pub const CSRF: &str = "csrf";
    /// A one-time message for the next page ("3 invitations sent").
    pub const FLASH: &str = "flash";
    /// Between the right password and the second step of two-factor sign-in: the account,
    /// where to go afterwards, and when the password was given (the step expires).
    pub const PENDING_ACCOUNT: &str = "pending_account";
    /// The account's session epoch at the password step: moved since (signed out everywhere, a
    /// new password), the second step starts again.
    pub const PENDING_EPOCH: &str = "pending_epoch";
    pub const PENDING_NEXT: &str = "pending_next";
    pub const PENDING_SINCE: &str = "pending_since";
    /// The two-factor key shown for enrolment (sealed), until a first code confirms it.
    pub const ENROLLING: &str = "enrolling";
    /// The hash of the session's key, put in by `load` for the request (never stored): what a
    /// long-lived response checks is still there (`store::sessions::is_live`). Not the row's id:
    /// SQLite gives a deleted row's id to the next one.
    pub const KEY_HASH: &str = "key_hash";
}

/// Activity is written at most this often per session (no write per request).
const TOUCH_EVERY_SECONDS: i64 = 60;

#[derive(Clone)]
pub struct DbSessionStore {
    pool: Pool,
    idle_timeout: Duration,
    /// What pages keep between requests, for a page read with the session.
    frames: Arc<FrameCache>,
}

impl DbSessionStore {
    pub fn new(pool: Pool, idle_timeout: Duration, frames: Arc<FrameCache>) -> Self {
        Self {
            pool,
            idle_timeout,
            frames,
        }
    }
}

fn expiry(now: NaiveDateTime, ttl: &Duration) -> NaiveDateTime {
    now + chrono::Duration::seconds(ttl.whole_seconds())
}

/// Values in actix-session's state are JSON; these come back as plain values for the columns.
fn json_value<T: serde::de::DeserializeOwned>(
    state: &HashMap<String, String>,
    key: &str,
) -> Option<T> {
    state.get(key).and_then(|v| serde_json::from_str(v).ok())
}

/// The state as it is kept, without what `load` adds for the request.
fn kept(state: &HashMap<String, String>) -> HashMap<&String, &String> {
    state.iter().filter(|(k, _)| *k != keys::KEY_HASH).collect()
}

struct Row {
    state: String,
    account_id: Option<AccountId>,
    workspace_id: Option<i64>,
    ip: Option<String>,
    user_agent: Option<String>,
}

impl Row {
    fn from_state(state: &HashMap<String, String>) -> serde_json::Result<Self> {
        Ok(Self {
            state: serde_json::to_string(&kept(state))?,
            account_id: json_value::<i64>(state, keys::ACCOUNT_ID).map(AccountId),
            workspace_id: json_value(state, keys::WORKSPACE_ID),
            ip: json_value(state, keys::IP),
            user_agent: json_value::<String>(state, keys::USER_AGENT)
                .map(|ua| ua.chars().take(400).collect()),
        })
    }

    fn columns(&self) -> SessionColumns<'_> {
        SessionColumns {
            state: &self.state,
            account_id: self.account_id,
            workspace_id: self.workspace_id,
            ip: self.ip.as_deref(),
            user_agent: self.user_agent.as_deref(),
        }
    }
}

fn new_key() -> Result<SessionKey, anyhow::Error> {
    SessionKey::try_from(tokens::new_token()).map_err(anyhow::Error::new)
}

/// A signed-out visitor's state is held in the cookie itself, not in a row: keys that start with
/// this mark (a database key is a bare base64url token, which never holds a dot). The cookie is
/// encrypted and authenticated (`CookieContentSecurity::Private`), so it can be neither read nor
/// forged. Nothing is written when someone opens `/login`, and anonymous traffic cannot fill the
/// sessions table.
const IN_COOKIE: &str = "c.";
/// The keys a signed-out state may hold in the cookie; anything else (an identity, a two-factor
/// step under way) goes to the database, where it can be listed and ended.
const COOKIE_KEYS: [&str; 2] = [keys::CSRF, keys::FLASH];
/// Well under what a browser keeps in one cookie (4 KB, after encryption and base64).
const MAX_IN_COOKIE: usize = 1_500;

/// The state as a cookie-held key, when it may be one.
fn cookie_key(state: &HashMap<String, String>) -> Option<SessionKey> {
    let state = kept(state);
    if !state.keys().all(|k| COOKIE_KEYS.contains(&k.as_str())) {
        return None;
    }
    let json = serde_json::to_vec(&state).ok()?;
    let key = format!("{IN_COOKIE}{}", URL_SAFE_NO_PAD.encode(json));
    (key.len() <= MAX_IN_COOKIE)
        .then(|| SessionKey::try_from(key).ok())
        .flatten()
}

/// The state a cookie-held key carries (`None` for a database key).
fn cookie_state(key: &SessionKey) -> Option<Result<HashMap<String, String>, LoadError>> {
    let encoded = key.as_ref().strip_prefix(IN_COOKIE)?;
    Some(
        URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(anyhow::Error::new)
            .and_then(|json| serde_json::from_slice(&json).map_err(anyhow::Error::new))
            .map_err(LoadError::Deserialization),
    )
}

impl SessionStore for DbSessionStore {
    async fn load(
        &self,
        session_key: &SessionKey,
    ) -> Result<Option<HashMap<String, String>>, LoadError> {
        if let Some(state) = cookie_state(session_key) {
            return state.map(Some);
        }
        let pool = self.pool.clone();
        let key_hash = tokens::hash_token(session_key.as_ref());
        // The state's value for `keys::KEY_HASH` (JSON, as actix-session keeps values).
        let own_hash = serde_json::Value::String(key_hash.clone()).to_string();
        let idle = self.idle_timeout;
        let now = clock::now();
        // On a workspace's page, who is asking there comes in the same statement (and, off the
        // worker thread, the page's own read in the same trip).
        let wanted = super::prefetch::wanted();
        let frames = Arc::clone(&self.frames);
        let (stored, asking, early) = super::quick_read(&self.pool, move |conn| {
            let Some(wanted) = wanted else {
                return Ok((sessions::find_live(conn, &key_hash, now)?, None, None));
            };
            Ok(super::prefetch::with_session(
                conn, &key_hash, now, &wanted, &frames,
            )?)
        })
        .await
        .map_err(|e| LoadError::Other(anyhow::Error::new(e)))?;
        if let Some((account, asking)) = stored.as_ref().and_then(|s| s.account_id).zip(asking) {
            super::prefetch::keep(AccountId(account), Some(asking), early);
        }
        // A request the browser makes by itself (the presence stream) does not slide the idle
        // timeout: a tab left open does not keep its session alive for ever.
        if let Some(s) = stored
            .as_ref()
            .filter(|s| (now - s.last_seen_at).num_seconds() >= TOUCH_EVERY_SECONDS)
            .filter(|_| !super::prefetch::is_background())
            .cloned()
        {
            // At most once a minute: a write, so on the blocking pool.
            web::block(move || -> anyhow::Result<()> {
                sessions::touch(&mut *pool.get()?, &s, now, expiry(now, &idle))?;
                Ok(())
            })
            .await
            .map_err(|e| LoadError::Other(anyhow::anyhow!("{e}")))?
            .map_err(LoadError::Other)?;
        }
        stored
            .map(|s| {
                let mut state: HashMap<String, String> = serde_json::from_str(&s.state)
                    .map_err(|e| LoadError::Deserialization(e.into()))?;
                state.insert(keys::KEY_HASH.to_owned(), own_hash);
                Ok(state)
            })
            .transpose()
    }

    async fn save(
        &self,
        session_state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        if let Some(key) = cookie_key(&session_state) {
            return Ok(key);
        }
        let row =
            Row::from_state(&session_state).map_err(|e| SaveError::Serialization(e.into()))?;
        let key = new_key().map_err(SaveError::Other)?;
        let key_hash = tokens::hash_token(key.as_ref());
        let pool = self.pool.clone();
        let ttl = *ttl;
        web::block(move || -> anyhow::Result<()> {
            let now = clock::now();
            let mut conn = pool.get()?;
            sessions::insert(&mut conn, &key_hash, &row.columns(), now, expiry(now, &ttl))?;
            Ok(())
        })
        .await
        .map_err(|e| SaveError::Other(anyhow::anyhow!("{e}")))?
        .map_err(SaveError::Other)?;
        Ok(key)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        if session_key.as_ref().starts_with(IN_COOKIE) {
            // A new key either way: the state is the key, or it now needs a row.
            return self
                .save(session_state, ttl)
                .await
                .map_err(|e| UpdateError::Other(anyhow::Error::new(e)));
        }
        let row =
            Row::from_state(&session_state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let pool = self.pool.clone();
        let ttl = *ttl;
        let key_hash = tokens::hash_token(session_key.as_ref());
        let updated = web::block(move || -> anyhow::Result<bool> {
            let now = clock::now();
            let mut conn = pool.get()?;
            Ok(sessions::update(
                &mut conn,
                &key_hash,
                &row.columns(),
                now,
                expiry(now, &ttl),
            )?)
        })
        .await
        .map_err(|e| UpdateError::Other(anyhow::anyhow!("{e}")))?
        .map_err(UpdateError::Other)?;
        if updated {
            Ok(session_key)
        } else {
            // The session ended meanwhile (signed out everywhere, blocked, expired): start a fresh,
            // signed-out one rather than bring the identity back.
            let mut state = session_state;
            for key in [keys::ACCOUNT_ID, keys::SESSION_EPOCH, keys::WORKSPACE_ID] {
                state.remove(key);
            }
            self.save(state, &ttl)
                .await
                .map_err(|e| UpdateError::Other(anyhow::Error::new(e)))
        }
    }

    async fn update_ttl(
        &self,
        _session_key: &SessionKey,
        _ttl: &Duration,
    ) -> Result<(), anyhow::Error> {
        // Expiry slides in `load`, at most once a minute, together with the last-seen time.
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        if session_key.as_ref().starts_with(IN_COOKIE) {
            return Ok(());
        }
        let pool = self.pool.clone();
        let key_hash = tokens::hash_token(session_key.as_ref());
        web::block(move || -> anyhow::Result<()> {
            let mut conn = pool.get()?;
            sessions::delete(&mut conn, &key_hash)?;
            Ok(())
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::to_string(v).unwrap()))
            .collect()
    }

    #[test]
    fn a_signed_out_state_travels_in_the_cookie() {
        let visitor = state(&[(keys::CSRF, "token"), (keys::FLASH, "You have signed out.")]);
        let key = cookie_key(&visitor).expect("held in the cookie");
        assert!(key.as_ref().starts_with(IN_COOKIE));
        assert_eq!(cookie_state(&key).unwrap().unwrap(), visitor);
    }

    #[test]
    fn identities_and_steps_under_way_need_a_row() {
        for other in [keys::ACCOUNT_ID, keys::PENDING_ACCOUNT, keys::ENROLLING] {
            assert!(cookie_key(&state(&[(keys::CSRF, "t"), (other, "1")])).is_none());
        }
        let long = "x".repeat(MAX_IN_COOKIE);
        assert!(cookie_key(&state(&[(keys::FLASH, &long)])).is_none());
        let database_key = new_key().unwrap();
        assert!(cookie_state(&database_key).is_none());
    }
}
