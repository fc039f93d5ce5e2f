//! Who is asking, read with the session: for a workspace page (`/w/{slug}/…`) the session store
//! reads the session row, the account, the workspace, the membership and the audit log's newest
//! id in one statement ([`who::with_session`]) and leaves the answer here, for the request's own
//! [`super::auth::WorkspaceAccess`] to take. One round trip a page instead of two.
//!
//! Where the session is read on the blocking pool anyway (PostgreSQL: a network round trip), the
//! page's own read can ride along in the same trip ([`ride_along`]): the user console's overview
//! reads its member there, so a view makes one trip to the blocking pool instead of two. The
//! member is read only for a viewer the policy lets look at members, within the workspace the
//! path names, and shown only after the handler's own checks.
//!
//! The answer lives in a task-local value set around the session middleware by [`middleware`],
//! so it belongs to one request and ends with it.

use std::cell::RefCell;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use crate::db::AnyConnection;
use crate::domain::ids::{AccountId, MembershipId, WorkspaceId};
use crate::domain::policy::{self, MemberAction, Viewer};
use crate::services::console::{self, ConsoleError, Seen};
use crate::store::who::{Asking, Found};

tokio::task_local! {
    static PREFETCH: RefCell<Prefetch>;
}

struct Prefetch {
    /// The workspace the path names.
    slug: Option<String>,
    /// The member the path shows in the user console (`GET /w/{slug}/users/{id}`).
    member: Option<MembershipId>,
    /// Who is asking there, for the account the session names.
    found: Option<(AccountId, Asking)>,
    /// That member, as read with the session.
    early: Option<Early>,
}

/// What the session store reads for this request besides the session.
pub struct Wanted {
    /// The workspace the path names.
    pub slug: String,
    member: Option<MembershipId>,
}

/// Around the session middleware: notes the workspace the path names for the session store.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let slug = workspace_slug(req.path());
    let member = match slug {
        Some(slug) if req.method() == actix_web::http::Method::GET => {
            console_member(req.path(), slug)
        }
        _ => None,
    };
    let prefetch = Prefetch {
        slug: slug.map(str::to_owned),
        member,
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
                member: p.member,
            })
        })
        .ok()
        .flatten()
}

/// A page's read made with the session's (see [`ride_along`]).
pub struct Early {
    workspace: WorkspaceId,
    member: MembershipId,
    /// `None`: no such member there.
    seen: Option<Seen>,
}

/// The page's read that rides along with the session's, on the same connection: the console's
/// member, when the path names one and the policy lets this viewer look at members there. A
/// failed read is left to the page, which reads again and answers with the error.
pub fn ride_along(conn: &mut AnyConnection, wanted: &Wanted, found: &Found) -> Option<Early> {
    let (Some(id), (account, _, Some((workspace, access)))) = (wanted.member, found) else {
        return None;
    };
    let permissions = policy::workspace_permissions(
        account.status,
        account.org_role,
        access.as_ref().map(|m| (m.status, m.permissions)),
    )
    .ok()?;
    let viewer = Viewer {
        account: Some(account.id),
        org_role: account.org_role,
        permissions,
    };
    policy::may_attempt(&viewer, MemberAction::View).ok()?;
    let seen = match console::see(conn, workspace.id, id) {
        Ok(seen) => Some(seen),
        Err(ConsoleError::NotFound) => None,
        Err(_) => return None,
    };
    Some(Early {
        workspace: workspace.id,
        member: id,
        seen,
    })
}

/// The console's member `id` of `workspace`, when it was read with the session: `Some(None)`
/// when there is no such member there.
pub fn take_member(workspace: WorkspaceId, id: MembershipId) -> Option<Option<Seen>> {
    PREFETCH
        .try_with(|p| {
            p.borrow_mut()
                .early
                .take()
                .filter(|e| (e.workspace, e.member) == (workspace, id))
                .map(|e| e.seen)
        })
        .ok()
        .flatten()
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
pub fn take(account: AccountId, slug: &str) -> Option<Asking> {
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

/// `12` from `/w/acme/users/12`: the console's overview of a member (not its tabs or forms).
fn console_member(path: &str, slug: &str) -> Option<MembershipId> {
    let rest = path.strip_prefix("/w/")?.strip_prefix(slug)?;
    MembershipId::parse(rest.strip_prefix("/users/")?)
}

/// `acme` from `/w/acme/users`: only a slug's characters (anything else is looked up the usual way).
fn workspace_slug(path: &str) -> Option<&str> {
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
    fn only_the_console_overview_names_a_member_to_read_early() {
        let member = |path| console_member(path, "acme").map(|m| m.0);
        assert_eq!(member("/w/acme/users/12"), Some(12));
        assert_eq!(member("/w/acme/users/12/sessions"), None);
        assert_eq!(member("/w/acme/users/12/"), None);
        assert_eq!(member("/w/acme/users/new"), None);
        assert_eq!(member("/w/acme/users"), None);
        assert_eq!(member("/w/acme/groups/12"), None);
        assert_eq!(member("/w/acme-2/users/12"), None);
    }

    #[test]
    fn an_answer_is_taken_once_and_only_for_its_account_and_workspace() {
        let run = |found: Option<(AccountId, Asking)>, account: i64, slug: &str| {
            let cell = RefCell::new(Prefetch {
                slug: Some("acme".to_owned()),
                member: None,
                found,
                early: None,
            });
            PREFETCH.sync_scope(cell, || {
                let first = take(AccountId(account), slug).is_some();
                (first, take(AccountId(account), slug).is_some())
            })
        };
        assert_eq!(run(Some((AccountId(1), None)), 1, "acme"), (true, false));
        assert_eq!(run(Some((AccountId(1), None)), 2, "acme"), (false, false));
        assert_eq!(run(Some((AccountId(1), None)), 1, "other"), (false, false));
        assert_eq!(run(None, 1, "acme"), (false, false));
        // Outside a request: nothing.
        assert!(take(AccountId(1), "acme").is_none());
    }
}
