//! What workspace pages read on every view and that rarely changes — the organization's name and
//! a person's workspace switcher, a workspace's roles and groups (the list's filters) and its
//! active owners (which row actions are offered) — kept by each instance between requests.
//!
//! Every change is one transaction together with its audit event (PRODUCT §4.10), so the newest
//! audit event's id tells whether anything changed: it is read with who is asking (the same
//! statement as the session), and a request that sees a newer one than the cache was filled under
//! empties it. A change made through any instance is so seen by every instance's next request,
//! and a users-list view sends five statements fewer.
//!
//! Entries also expire after [`MAX_AGE`]: on PostgreSQL two transactions can commit in the other
//! order than their events' ids were drawn (a request between the two commits already sees the
//! newer id), and a change made outside the console (a command on the database) writes no event.
//! What a cached entry decides is only what a page shows: every form is judged afresh inside its
//! own transaction.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::db::AnyConnection;
use crate::domain::ids::{AccountId, WorkspaceId};
use crate::domain::policy::Facts;
use crate::store::roles::{self, RoleChoice};
use crate::store::workspaces::{self, WorkspaceLink};
use crate::store::{QueryResult, groups};

/// The longest an entry is used, whatever the audit log says.
pub const MAX_AGE: Duration = Duration::from_secs(5);
/// Past this many entries of a kind the kind starts over (a bound on memory, not an LRU).
const MAX_ENTRIES: usize = 10_000;

/// The organization's name and the workspaces a person can switch to.
pub type Frame = (String, Vec<WorkspaceLink>);

/// A workspace's roles and groups (the users list's filters and bulk bar) and its owners.
#[derive(Debug)]
pub struct Choices {
    pub roles: Vec<RoleChoice>,
    pub groups: Vec<(i64, String)>,
    pub facts: Facts,
}

#[derive(Default)]
pub struct FrameCache {
    inner: Mutex<Inner>,
}

struct Inner {
    /// The newest audit event's id the entries were read after.
    generation: i64,
    since: Instant,
    frames: HashMap<(AccountId, bool), Arc<Frame>>,
    choices: HashMap<WorkspaceId, Arc<Choices>>,
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            generation: i64::MIN,
            since: Instant::now(),
            frames: HashMap::new(),
            choices: HashMap::new(),
        }
    }
}

impl Inner {
    /// Whether entries may be used and stored for a request that read `generation`: a newer one
    /// (or age) empties the cache first; a request that read an older one reads for itself.
    fn serves(&mut self, generation: i64) -> bool {
        if generation > self.generation || self.since.elapsed() > MAX_AGE {
            *self = Self {
                generation: generation.max(self.generation),
                ..Self::default()
            };
        }
        generation == self.generation
    }
}

/// The cache as one request may use it: the newest audit event's id that request read.
#[derive(Clone)]
pub struct AsOf {
    cache: Arc<FrameCache>,
    generation: i64,
}

impl FrameCache {
    pub fn as_of(self: &Arc<Self>, generation: i64) -> AsOf {
        AsOf {
            cache: Arc::clone(self),
            generation,
        }
    }

    fn get_or_load<K, V, E>(
        &self,
        generation: i64,
        map: fn(&mut Inner) -> &mut HashMap<K, Arc<V>>,
        key: K,
        load: impl FnOnce() -> Result<V, E>,
    ) -> Result<Arc<V>, E>
    where
        K: Eq + Hash,
    {
        let lock = || self.inner.lock().unwrap_or_else(|e| e.into_inner());
        {
            let mut inner = lock();
            if !inner.serves(generation) {
                drop(inner);
                return load().map(Arc::new);
            }
            if let Some(found) = map(&mut inner).get(&key) {
                return Ok(Arc::clone(found));
            }
        }
        // Read without the lock held; kept only if nothing changed meanwhile.
        let value = Arc::new(load()?);
        let mut inner = lock();
        if inner.serves(generation) {
            let entries = map(&mut inner);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, Arc::clone(&value));
        }
        Ok(value)
    }
}

impl AsOf {
    /// The frame for `account` (`org_wide`: an org owner or admin, who can open every workspace).
    pub fn frame(
        &self,
        conn: &mut AnyConnection,
        account: AccountId,
        org_wide: bool,
    ) -> QueryResult<Arc<Frame>> {
        self.cache.get_or_load(
            self.generation,
            |inner| &mut inner.frames,
            (account, org_wide),
            || workspaces::frame(conn, account, org_wide),
        )
    }

    pub fn choices(
        &self,
        conn: &mut AnyConnection,
        workspace: WorkspaceId,
    ) -> QueryResult<Arc<Choices>> {
        self.cache.get_or_load(
            self.generation,
            |inner| &mut inner.choices,
            workspace,
            || {
                Ok(Choices {
                    roles: roles::choices(conn, workspace)?,
                    groups: groups::names(conn, workspace)?,
                    facts: crate::services::console::facts(conn, workspace)?,
                })
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(inner: &mut Inner) -> &mut HashMap<WorkspaceId, Arc<Choices>> {
        &mut inner.choices
    }

    fn read(cache: &FrameCache, generation: i64, value: i32) -> i32 {
        let facts = Facts {
            active_owners: value.into(),
            active_org_owners: 1,
        };
        let loaded = cache
            .get_or_load(generation, map, WorkspaceId(1), || {
                Ok::<_, ()>(Choices {
                    roles: Vec::new(),
                    groups: Vec::new(),
                    facts,
                })
            })
            .unwrap();
        loaded.facts.active_owners as i32
    }

    #[test]
    fn entries_last_until_the_audit_log_grows() {
        let cache = FrameCache::default();
        assert_eq!(read(&cache, 7, 1), 1);
        // The same generation: the stored entry, not what a read would give now.
        assert_eq!(read(&cache, 7, 2), 1);
        // A newer event: read again, and kept.
        assert_eq!(read(&cache, 8, 3), 3);
        assert_eq!(read(&cache, 8, 4), 3);
        // A request that read an older generation reads for itself and stores nothing.
        assert_eq!(read(&cache, 7, 5), 5);
        assert_eq!(read(&cache, 8, 6), 3);
    }

    #[test]
    fn entries_expire() {
        let cache = FrameCache::default();
        assert_eq!(read(&cache, 1, 1), 1);
        cache.inner.lock().unwrap().since = Instant::now() - MAX_AGE - Duration::from_secs(1);
        assert_eq!(read(&cache, 1, 2), 2);
        assert_eq!(read(&cache, 1, 3), 2);
    }
}
