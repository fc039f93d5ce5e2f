//! Who is asking, read with the session: for a workspace page (`/w/{slug}/…`) the session store
//! reads the session row, the account, the workspace, the membership and the audit log's newest
//! id in one statement ([`who::with_session`]) and leaves the answer here, for the request's own
//! [`super::auth::WorkspaceAccess`] to take. One round trip a page instead of two.
//!
//! The answer lives in a task-local value set around the session middleware by [`middleware`],
//! so it belongs to one request and ends with it.

use std::cell::RefCell;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use crate::domain::ids::AccountId;
use crate::store::who::Asking;

tokio::task_local! {
    static PREFETCH: RefCell<Prefetch>;
}

struct Prefetch {
    /// The workspace the path names.
    slug: Option<String>,
    /// Who is asking there, for the account the session names.
    found: Option<(AccountId, Asking)>,
}

/// Around the session middleware: notes the workspace the path names for the session store.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let prefetch = Prefetch {
        slug: workspace_slug(req.path()).map(str::to_owned),
        found: None,
    };
    PREFETCH.scope(RefCell::new(prefetch), next.call(req)).await
}

/// The workspace this request's path names, if any (for the session store).
pub fn slug() -> Option<String> {
    PREFETCH
        .try_with(|p| p.borrow().slug.clone())
        .ok()
        .flatten()
}

/// Keeps who is asking, as read with the session of `account`.
pub fn keep(account: AccountId, asking: Asking) {
    let _ = PREFETCH.try_with(|p| p.borrow_mut().found = Some((account, asking)));
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
    fn an_answer_is_taken_once_and_only_for_its_account_and_workspace() {
        let run = |found: Option<(AccountId, Asking)>, account: i64, slug: &str| {
            let cell = RefCell::new(Prefetch {
                slug: Some("acme".to_owned()),
                found,
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
