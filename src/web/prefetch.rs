//! Who is asking, read with the session: for a workspace page (`/w/{slug}/…`) the session store
//! reads the session row, the account, the workspace, the membership and the audit log's newest
//! id in one statement ([`who::with_session`]) and leaves the answer here, for the request's own
//! [`super::auth::WorkspaceAccess`] to take. One round trip a page instead of two.
//!
//! Where the session is read on the blocking pool anyway (PostgreSQL: a network round trip), the
//! page's own read can ride along in the same trip ([`ride_along`]): the users list reads its
//! page there, and the user console's overview its member in the session's very statement
//! ([`who::with_session_and_member`]), so a view makes one trip to the blocking pool instead of
//! two, and the overview one statement instead of two. The page is used only for a viewer the
//! policy lets see it, within the workspace the path names, and shown only after the handler's
//! own checks.
//!
//! The answer lives in a task-local value set around the session middleware by [`middleware`],
//! so it belongs to one request and ends with it.

use std::cell::RefCell;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use chrono::NaiveDateTime;

use super::frame_cache::FrameCache;
use super::users::{ListQuery, ListRead, read_list};
use crate::db::AnyConnection;
use crate::domain::ids::{AccountId, MembershipId, WorkspaceId};
use crate::domain::policy::{self, MemberAction, Viewer};
use crate::domain::role::Permission;
use crate::services::console::{self, Seen};
use crate::store::QueryResult;
use crate::store::memberships::MemberDetail;
use crate::store::sessions::StoredSession;
use crate::store::who::{self, Asking, Found};

tokio::task_local! {
    static PREFETCH: RefCell<Prefetch>;
}

struct Prefetch {
    /// The workspace the path names.
    slug: Option<String>,
    /// The page the path asks for, when it can be read with the session.
    page: Option<Page>,
    /// Who is asking there, for the account the session names.
    found: Option<(AccountId, Asking)>,
    /// That page, as read with the session.
    early: Option<Early>,
    /// A request the browser makes by itself (the presence stream reconnecting): not the
    /// person's activity, so it does not keep their session from its idle timeout.
    background: bool,
}

/// A page read with the session when it can be.
#[derive(Clone)]
enum Page {
    /// The users list (`GET /w/{slug}/users?…`), with its query as sent (read only where the
    /// page rides along).
    List(String),
    /// The user console's overview of a member (`GET /w/{slug}/users/{id}`).
    Member(MembershipId),
}

/// What the session store reads for this request besides the session.
pub struct Wanted {
    /// The workspace the path names.
    pub slug: String,
    page: Option<Page>,
}

/// Around the session middleware: notes the workspace the path names for the session store.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let slug = workspace_slug(req.path());
    let page = match slug {
        Some(slug) if req.method() == actix_web::http::Method::GET => {
            page_of(req.path(), req.query_string(), slug)
        }
        _ => None,
    };
    let prefetch = Prefetch {
        background: slug.is_some_and(|slug| req.path() == format!("/w/{slug}/presence")),
        slug: slug.map(str::to_owned),
        page,
        found: None,
        early: None,
    };
    PREFETCH.scope(RefCell::new(prefetch), next.call(req)).await
}

/// What this request's path names, if a workspace (for the session store).
pub fn wanted() -> Option<Wanted> {
    PREFETCH
        .try_with(|p| {
            let p = p.borrow();
            let slug = p.slug.clone()?;
            Some(Wanted {
                slug,
                page: p.page.clone(),
            })
        })
        .ok()
        .flatten()
}

/// Whether this request is one the browser makes by itself (see `Prefetch::background`).
pub fn is_background() -> bool {
    PREFETCH
        .try_with(|p| p.borrow().background)
        .unwrap_or(false)
}

/// A page's read made with the session's (see [`ride_along`]).
pub struct Early {
    workspace: WorkspaceId,
    read: Read,
}

enum Read {
    List(ListQuery, ListRead),
    /// `None`: no such member there.
    Member(MembershipId, Option<Seen>),
}

/// The session with key hash `key_hash`, live at `now`, and who is asking in the workspace
/// `wanted` names; where that is a network round trip (not in-process), the page's own read
/// rides along ([`ride_along`]), the member of a console page in the same statement.
pub fn with_session(
    conn: &mut AnyConnection,
    key_hash: &str,
    now: NaiveDateTime,
    wanted: &Wanted,
    frames: &std::sync::Arc<FrameCache>,
) -> QueryResult<(Option<StoredSession>, Asking, Option<Early>)> {
    let in_process = conn.is_in_process();
    let read = match wanted.page {
        Some(Page::Member(id)) if !in_process => {
            who::with_session_and_member(conn, key_hash, now, &wanted.slug, id)?
        }
        _ => who::with_session(conn, key_hash, now, &wanted.slug)?
            .map(|(session, asking)| (session, asking, None)),
    };
    let Some((session, asking, member)) = read else {
        return Ok((None, None, None));
    };
    let early = match &asking {
        Some(found) if !in_process => ride_along(conn, wanted, found, frames, member),
        _ => None,
    };
    Ok((Some(session), asking, early))
}

/// The page's read that rides along with the session's, on the same connection, when the policy
/// lets this viewer see the page (`frames`: what pages keep, as of the generation read with who
/// is asking; `member`: a console page's member as read with the session). A failed read is left
/// to the page, which reads again and answers with the error.
fn ride_along(
    conn: &mut AnyConnection,
    wanted: &Wanted,
    found: &Found,
    frames: &std::sync::Arc<FrameCache>,
    member: Option<MemberDetail>,
) -> Option<Early> {
    let (Some(page), (account, generation, Some((workspace, access)))) = (&wanted.page, found)
    else {
        return None;
    };
    let permissions = policy::workspace_permissions(
        account.status,
        account.org_role,
        access.as_ref().map(|m| (m.status, m.permissions)),
    )
    .ok()?;
    let read = match page {
        Page::List(query) => {
            if !permissions.contains(Permission::UsersView) {
                return None;
            }
            // As the page reads it; a query it refuses is the page's to answer.
            let query = actix_web::web::Query::<ListQuery>::from_query(query)
                .ok()?
                .into_inner();
            let cached = frames.as_of(*generation);
            let read = read_list(conn, &cached, workspace.id, &query, crate::clock::now()).ok()?;
            Read::List(query, read)
        }
        Page::Member(id) => {
            let viewer = Viewer {
                account: Some(account.id),
                org_role: account.org_role,
                permissions,
            };
            policy::may_attempt(&viewer, MemberAction::View).ok()?;
            let seen = match member {
                Some(member) => Some(console::seen(conn, workspace.id, member).ok()?),
                None => None,
            };
            Read::Member(*id, seen)
        }
    };
    Some(Early {
        workspace: workspace.id,
        read,
    })
}

/// The page's read made with the session, when it is this page's of `workspace`.
fn take<T>(workspace: WorkspaceId, this: impl FnOnce(Read) -> Option<T>) -> Option<T> {
    PREFETCH
        .try_with(|p| p.borrow_mut().early.take())
        .ok()
        .flatten()
        .filter(|e| e.workspace == workspace)
        .and_then(|e| this(e.read))
}

/// The users list's page `query` asks for in `workspace`, when it was read with the session.
pub fn take_list(workspace: WorkspaceId, query: &ListQuery) -> Option<ListRead> {
    take(workspace, |read| match read {
        Read::List(read_for, read) if read_for == *query => Some(read),
        _ => None,
    })
}

/// The console's member `id` of `workspace`, when it was read with the session: `Some(None)`
/// when there is no such member there.
pub fn take_member(workspace: WorkspaceId, id: MembershipId) -> Option<Option<Seen>> {
    take(workspace, |read| match read {
        Read::Member(read_for, seen) if read_for == id => Some(seen),
        _ => None,
    })
}

/// Keeps who is asking, as read with the session of `account`, and the page's read made with it.
pub fn keep(account: AccountId, asking: Asking, early: Option<Early>) {
    let _ = PREFETCH.try_with(|p| {
        let mut p = p.borrow_mut();
        p.found = Some((account, asking));
        p.early = early;
    });
}

/// Who is asking in `slug`, when it was read with the session and for `account`.
pub fn take_asking(account: AccountId, slug: &str) -> Option<Asking> {
    PREFETCH
        .try_with(|p| {
            let mut p = p.borrow_mut();
            if p.slug.as_deref() != Some(slug) {
                return None;
            }
            p.found
                .take()
                .filter(|(read_for, _)| *read_for == account)
                .map(|(_, asking)| asking)
        })
        .ok()
        .flatten()
}

/// The page a workspace path (of `slug`) and its query ask for, when it can be read with the
/// session: the users list (`/w/acme/users?q=…`) or a member's overview (`/w/acme/users/12`; not
/// its tabs or forms).
fn page_of(path: &str, query: &str, slug: &str) -> Option<Page> {
    let rest = path.strip_prefix("/w/")?.strip_prefix(slug)?;
    if rest == "/users" {
        return Some(Page::List(query.to_owned()));
    }
    MembershipId::parse(rest.strip_prefix("/users/")?).map(Page::Member)
}

/// `acme` from `/w/acme/users`: only a slug's characters (anything else is looked up the usual way).
pub(super) fn workspace_slug(path: &str) -> Option<&str> {
    let slug = path.strip_prefix("/w/")?.split('/').next()?;
    let plain = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
    (!slug.is_empty() && slug.bytes().all(plain)).then_some(slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slug_comes_from_workspace_paths_only() {
        assert_eq!(workspace_slug("/w/acme/users"), Some("acme"));
        assert_eq!(workspace_slug("/w/acme-2"), Some("acme-2"));
        assert_eq!(workspace_slug("/w//users"), None);
        assert_eq!(workspace_slug("/w/Ac%20me/users"), None);
        assert_eq!(workspace_slug("/me"), None);
        assert_eq!(workspace_slug("/org/w/acme"), None);
    }

    #[test]
    fn only_the_users_list_and_a_members_overview_are_read_early() {
        let member = |path| match page_of(path, "", "acme") {
            Some(Page::Member(m)) => Some(m.0),
            _ => None,
        };
        assert_eq!(member("/w/acme/users/12"), Some(12));
        assert_eq!(member("/w/acme/users/12/sessions"), None);
        assert_eq!(member("/w/acme/users/12/"), None);
        assert_eq!(member("/w/acme/users/new"), None);
        assert_eq!(member("/w/acme/groups/12"), None);
        assert_eq!(member("/w/acme-2/users/12"), None);
        let list = |path, query| match page_of(path, query, "acme") {
            Some(Page::List(q)) => Some(q),
            _ => None,
        };
        assert_eq!(
            list("/w/acme/users", "q=ada+l&after=7").as_deref(),
            Some("q=ada+l&after=7")
        );
        assert_eq!(list("/w/acme/users", "").as_deref(), Some(""));
        assert_eq!(list("/w/acme/users/", ""), None);
        assert_eq!(list("/w/acme/users.csv", ""), None);
        assert_eq!(list("/w/acme-2/users", ""), None);
    }

    #[test]
    fn an_answer_is_taken_once_and_only_for_its_account_and_workspace() {
        let run = |found: Option<(AccountId, Asking)>, account: i64, slug: &str| {
            let cell = RefCell::new(Prefetch {
                slug: Some("acme".to_owned()),
                page: None,
                found,
                early: None,
                background: false,
            });
            PREFETCH.sync_scope(cell, || {
                let first = take_asking(AccountId(account), slug).is_some();
                (first, take_asking(AccountId(account), slug).is_some())
            })
        };
        assert_eq!(run(Some((AccountId(1), None)), 1, "acme"), (true, false));
        assert_eq!(run(Some((AccountId(1), None)), 2, "acme"), (false, false));
        assert_eq!(run(Some((AccountId(1), None)), 1, "other"), (false, false));
        assert_eq!(run(None, 1, "acme"), (false, false));
        // Outside a request: nothing.
        assert!(take_asking(AccountId(1), "acme").is_none());
    }
}
