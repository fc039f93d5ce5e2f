//! What workspace pages read on every view and that rarely changes — the organization's name and
//! a person's workspace switcher, a workspace's roles and groups (the list's filters) and its
//! active owners (which row actions are offered) — kept by each instance between requests; and
//! which searches of the users list were proven to have all their matches in one range of its
//! order (`memberships::MemberPage::in_range`), which takes counting every match.
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
use crate::domain::sort::{MemberSort, SortKey};
use crate::store::memberships::{self, Known, ListFilter, MemberPage, PageOf};
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
    /// Where an ageing search range is proven again in the background ([`AsOf::list_page`]);
    /// without one (unit tests), by the request that finds it ageing.
    pool: Option<crate::db::Pool>,
}

struct Inner {
    /// The newest audit event's id the entries were read after.
    generation: i64,
    since: Instant,
    frames: HashMap<(AccountId, bool), Arc<Frame>>,
    choices: HashMap<WorkspaceId, Arc<Choices>>,
    /// Searches (workspace, order, term) whose every match lies among the keys starting with it.
    in_range: HashMap<SearchKey, Proven>,
}

type SearchKey = (WorkspaceId, SortKey, String);

/// What an instance knows of a search's range (see [`AsOf::in_range`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Range {
    Unknown,
    Proven,
    /// Proven, and past half its age: to be proven again.
    Due,
}

/// When a search's range was proven, and whether a request is proving it again.
#[derive(Clone, Copy)]
struct Proven {
    at: Instant,
    again: bool,
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            generation: i64::MIN,
            since: Instant::now(),
            frames: HashMap::new(),
            choices: HashMap::new(),
            in_range: HashMap::new(),
        }
    }
}

impl Inner {
    /// Whether entries may be used and stored for a request that read `generation`: a newer one
    /// (or age) empties the cache first; a request that read an older one reads for itself.
    /// Proven ranges carry their own age, so they outlast an age's emptying.
    fn serves(&mut self, generation: i64) -> bool {
        if generation > self.generation {
            *self = Self {
                generation,
                ..Self::default()
            };
        } else if self.since.elapsed() > MAX_AGE {
            *self = Self {
                generation: self.generation,
                in_range: std::mem::take(&mut self.in_range),
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
    pub fn new(pool: crate::db::Pool) -> Self {
        Self {
            inner: Mutex::default(),
            pool: Some(pool),
        }
    }

    pub fn as_of(self: &Arc<Self>, generation: i64) -> AsOf {
        AsOf {
            cache: Arc::clone(self),
            generation,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entry for `key`, if this instance holds one good as of `generation`.
    fn cached<K, V>(
        &self,
        generation: i64,
        map: fn(&mut Inner) -> &mut HashMap<K, Arc<V>>,
        key: &K,
    ) -> Option<Arc<V>>
    where
        K: Eq + Hash,
    {
        let mut inner = self.lock();
        if !inner.serves(generation) {
            return None;
        }
        map(&mut inner).get(key).cloned()
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
        if let Some(found) = self.cached(generation, map, &key) {
            return Ok(found);
        }
        // Read without the lock held; kept only if nothing changed meanwhile.
        let value = Arc::new(load()?);
        let mut inner = self.lock();
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
    /// Whether a page of the users list proved, since the audit log last grew and at most
    /// [`MAX_AGE`] ago, that every member matching `term` has a `sort` key starting with it; and
    /// whether the proof is due again (past half that age, told once).
    fn in_range(&self, workspace: WorkspaceId, sort: SortKey, term: &str) -> Range {
        let mut inner = self.cache.lock();
        if !inner.serves(self.generation) {
            return Range::Unknown;
        }
        let key = (workspace, sort, term.to_owned());
        let Some(proven) = inner.in_range.get_mut(&key) else {
            return Range::Unknown;
        };
        let age = proven.at.elapsed();
        if age > MAX_AGE {
            inner.in_range.remove(&key);
            Range::Unknown
        } else if age > MAX_AGE / 2 && !proven.again {
            proven.again = true;
            Range::Due
        } else {
            Range::Proven
        }
    }

    /// What a page found out, not having taken [`Self::in_range`]: whether every match of `term`
    /// lies in that range (`false` also when the page was answered without finding out).
    fn proved(&self, workspace: WorkspaceId, sort: SortKey, term: &str, in_range: bool) {
        let mut inner = self.cache.lock();
        if !inner.serves(self.generation) {
            return;
        }
        let key = (workspace, sort, term.to_owned());
        if !in_range {
            inner.in_range.remove(&key);
            return;
        }
        if inner.in_range.len() >= MAX_ENTRIES {
            inner.in_range.clear();
        }
        let proven = Proven {
            at: Instant::now(),
            again: false,
        };
        inner.in_range.insert(key, proven);
    }

    /// A users-list page (the list's, or the group picker's) with what this instance remembers
    /// about its search ([`Self::in_range`]), and what the page proved kept ([`Self::proved`]).
    ///
    /// The proof counts every match (on PostgreSQL some 100 ms for a first name at a million
    /// members): a proof past half its age is made again in the background, while requests keep
    /// taking the one they have, so no request waits for it after the first.
    pub fn list_page(
        &self,
        conn: &mut AnyConnection,
        workspace: WorkspaceId,
        wanted: PageOf<'_>,
        groups: &[(i64, String)],
    ) -> QueryResult<MemberPage> {
        let sort = wanted.sort;
        let term = wanted.filter.term().map(str::to_lowercase);
        let range = match &term {
            Some(term) => self.in_range(workspace, sort.key, term),
            None => Range::Unknown,
        };
        let in_range = match (range, &self.cache.pool, &term) {
            (Range::Proven, _, _) => true,
            (Range::Due, Some(pool), Some(term)) => {
                self.prove_again(pool.clone(), workspace, sort, term.clone());
                true
            }
            _ => false,
        };
        let known = Known { groups, in_range };
        let page = memberships::list_page(conn, workspace, wanted, known)?;
        if let Some(term) = term.filter(|_| !in_range) {
            self.proved(workspace, sort.key, &term, page.in_range);
        }
        Ok(page)
    }

    /// Proves the range of `term` again on a thread of its own (counting its matches as the
    /// list's first page would, without reading a page: when the range no longer holds, the
    /// next request reads its page the slower way itself).
    fn prove_again(
        &self,
        pool: crate::db::Pool,
        workspace: WorkspaceId,
        sort: MemberSort,
        term: String,
    ) {
        let as_of = self.clone();
        let spawned = std::thread::Builder::new()
            .name("search-range".to_owned())
            .spawn(move || {
                let filter = ListFilter {
                    search: Some(term.clone()),
                    ..Default::default()
                };
                let proven = pool.get().ok().and_then(|mut conn| {
                    memberships::search_in_range(&mut conn, workspace, &filter, sort.key).ok()
                });
                // A failed read leaves the proof to expire; the next request then proves it.
                if let Some(in_range) = proven {
                    as_of.proved(workspace, sort.key, &term, in_range);
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("could not start a search-range proof: {e}");
        }
    }

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

    /// [`Self::frame`], when it is in the cache (no connection needed).
    pub fn cached_frame(&self, account: AccountId, org_wide: bool) -> Option<Arc<Frame>> {
        self.cache.cached(
            self.generation,
            |inner| &mut inner.frames,
            &(account, org_wide),
        )
    }

    /// [`Self::choices`], when they are in the cache (no connection needed).
    pub fn cached_choices(&self, workspace: WorkspaceId) -> Option<Arc<Choices>> {
        self.cache
            .cached(self.generation, |inner| &mut inner.choices, &workspace)
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
                    facts: crate::store::memberships::facts(conn, workspace)?,
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
    fn proven_ranges_last_until_the_audit_log_grows() {
        let cache = Arc::new(FrameCache::default());
        let (acme, name) = (WorkspaceId(1), SortKey::Name);
        let before = cache.as_of(7);
        let unknown = |as_of: &AsOf, workspace, sort, term| {
            as_of.in_range(workspace, sort, term) == Range::Unknown
        };
        assert!(unknown(&before, acme, name, "grace"));
        before.proved(acme, name, "grace", true);
        assert_eq!(before.in_range(acme, name, "grace"), Range::Proven);
        assert!(unknown(&before, acme, SortKey::Email, "grace"));
        assert!(unknown(&before, WorkspaceId(2), name, "grace"));
        assert!(unknown(&before, acme, name, "ada"));
        // Proven otherwise, forgotten.
        before.proved(acme, name, "grace", false);
        assert!(unknown(&before, acme, name, "grace"));
        // Any change forgets it, and a request that read an older generation stores nothing.
        before.proved(acme, name, "grace", true);
        let after = cache.as_of(8);
        assert!(unknown(&after, acme, name, "grace"));
        before.proved(acme, name, "grace", true);
        assert!(unknown(&after, acme, name, "grace"));
    }

    #[test]
    fn an_ageing_range_is_due_once_while_the_others_take_it() {
        let cache = Arc::new(FrameCache::default());
        let (acme, name) = (WorkspaceId(1), SortKey::Name);
        let as_of = cache.as_of(7);
        as_of.proved(acme, name, "grace", true);
        let age = |by: Duration| {
            let mut inner = cache.inner.lock().unwrap();
            for proven in inner.in_range.values_mut() {
                proven.at = Instant::now() - by;
            }
            // The rest of the cache empties with age; proven ranges keep their own.
            inner.since = Instant::now() - by;
        };
        age(MAX_AGE / 2 + Duration::from_millis(100));
        assert_eq!(
            as_of.in_range(acme, name, "grace"),
            Range::Due,
            "proven again once"
        );
        assert_eq!(as_of.in_range(acme, name, "grace"), Range::Proven);
        age(MAX_AGE + Duration::from_millis(100));
        assert_eq!(
            as_of.in_range(acme, name, "grace"),
            Range::Unknown,
            "too old"
        );
        assert_eq!(as_of.in_range(acme, name, "grace"), Range::Unknown);
        as_of.proved(acme, name, "grace", true);
        assert_eq!(as_of.in_range(acme, name, "grace"), Range::Proven);
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
