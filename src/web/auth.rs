//! Who is asking: the signed-in person (re-read from the database on every request, so a block or
//! suspension takes effect at once) and what they may do in the workspace of the URL.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use super::error::AppError;
use super::frame_cache::{AsOf, Frame};
use super::session_store::keys;
use super::{AppState, blocking, csrf};
use crate::db::AnyConnection;
use crate::domain::ids::AccountId;
use crate::domain::membership::AccountStatus;
use crate::domain::policy::{self, AccessRefused, Landing, MemberAction, Refusal, Viewer};
use crate::domain::role::{Permission, PermissionSet};
use crate::store::accounts::{self, Account};
use crate::store::memberships::Access;
use crate::store::who;
use crate::store::workspaces::{self, Workspace, WorkspaceLink};

/// Whether the request reads a page (GET, or HEAD, which is answered as GET): it is sent on to
/// where to go, where a form is refused.
fn reads_page(req: &HttpRequest) -> bool {
    matches!(
        *req.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    )
}

/// The path to come back to after signing in: the page asked for (a GET or a HEAD).
fn return_path(req: &HttpRequest) -> String {
    if !reads_page(req) {
        return "/".to_owned();
    }
    match req.uri().path_and_query() {
        Some(pq) => pq.as_str().to_owned(),
        None => "/".to_owned(),
    }
}

/// Only local paths are followed after sign-in: no scheme, no host, no `//` or `/\` tricks, and
/// only printable ASCII (a path as browsers send it, percent-encoded; anything else cannot be a
/// `Location`).
pub fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= 2000
        && next.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    ok.then_some(next)
}

/// The client's address as seen by this server (a proxy's address behind one).
/// The client's address: the TCP peer's, or, from a proxy named in `TRUST_PROXY`, the one its
/// forwarding headers name (see `net::TrustedProxies::client`).
pub fn client_ip(req: &HttpRequest) -> Option<String> {
    let peer = req.peer_addr().map(|a| a.ip());
    let Some(state) = req.app_data::<actix_web::web::Data<super::AppState>>() else {
        return peer.map(|ip| ip.to_string());
    };
    // Every line of the header, in order, as one list: HAProxy's `option forwardfor` adds a line
    // of its own after the client's rather than appending to it.
    let header = |name| {
        let lines: Vec<&str> = req
            .headers()
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .collect();
        (!lines.is_empty()).then(|| lines.join(","))
    };
    state
        .settings
        .trusted_proxies
        .client(
            peer,
            header("forwarded").as_deref(),
            header("x-forwarded-for").as_deref(),
        )
        .map(|ip| ip.to_string())
}

/// A one-time message for the next page: what an action did ("3 invitations sent"), or — a
/// warning — what it could not do as well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub message: String,
    pub warning: bool,
}

impl Flash {
    /// How a warning is kept in the session (one value, like a plain message).
    pub const WARNING: &'static str = "\u{1}warning ";

    fn stored(text: String) -> Self {
        match text.strip_prefix(Self::WARNING) {
            Some(message) => Self {
                message: message.to_owned(),
                warning: true,
            },
            None => Self {
                message: text,
                warning: false,
            },
        }
    }
}

/// The one-time message, removed once read. (`Session::remove` marks the session changed even
/// when the key is absent, which would write the session on every page view: look first.)
fn take_flash(session: &Session) -> Option<Flash> {
    let message = session.get::<String>(keys::FLASH).ok().flatten()?;
    session.remove(keys::FLASH);
    Some(Flash::stored(message))
}

/// Signs the session in: a new session id (no fixation), a new CSRF token, and what the session
/// list shows (address and browser).
pub fn start_session(
    session: &Session,
    account: AccountId,
    epoch: i64,
    req: &HttpRequest,
    ip: Option<String>,
) -> Result<(), AppError> {
    session.renew();
    // Nothing of whoever used this browser before: a two-factor key being set up, a sign-in
    // waiting for its second step, a message.
    session.clear();
    session.insert(keys::ACCOUNT_ID, account.0)?;
    session.insert(keys::SESSION_EPOCH, epoch)?;
    session.insert(keys::CSRF, crate::tokens::new_token())?;
    if let Some(ip) = ip {
        session.insert(keys::IP, ip)?;
    }
    if let Some(agent) = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    {
        session.insert(keys::USER_AGENT, agent)?;
    }
    Ok(())
}

/// A signed-in person with an active account and a live session.
pub struct SignedIn {
    pub account: Account,
    pub session: Session,
    pub csrf_token: String,
    pub ip: Option<String>,
}

fn check_session(
    session: &Session,
    account: Option<Account>,
    next: String,
) -> Result<Account, AppError> {
    let epoch = session.get::<i64>(keys::SESSION_EPOCH).ok().flatten();
    match account {
        Some(a) if a.status == AccountStatus::Active && Some(a.session_epoch) == epoch => Ok(a),
        // Blocked, deleted, or signed out everywhere since: this session ends now.
        _ => {
            session.purge();
            Err(AppError::SignInRequired { next })
        }
    }
}

fn session_account(session: &Session) -> Option<AccountId> {
    session
        .get::<i64>(keys::ACCOUNT_ID)
        .ok()
        .flatten()
        .map(AccountId)
}

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))
}

impl SignedIn {
    /// The time zone they read times in.
    pub fn zone(&self) -> crate::domain::timezone::Timezone {
        crate::domain::timezone::Timezone::parse(&self.account.timezone).unwrap_or_default()
    }

    /// This person as the actor of an audit event.
    pub fn actor(&self) -> crate::store::audit::Actor {
        crate::store::audit::Actor::account(&self.account, self.ip.as_deref())
    }

    async fn extract(req: HttpRequest) -> Result<Self, AppError> {
        let session = req.get_session();
        let next = return_path(&req);
        let Some(id) = session_account(&session) else {
            return Err(AppError::SignInRequired { next });
        };
        super::observe::LoggedActor::Account(id).mark(&req);
        let state = state_of(&req)?;
        let account =
            super::quick_read(&state.pool, move |conn| Ok(accounts::find(conn, id)?)).await?;
        let account = check_session(&session, account, next)?;
        let csrf_token = csrf::token(&session)?;
        Ok(Self {
            account,
            session,
            csrf_token,
            ip: client_ip(&req),
        })
    }

    /// The page frame for a page outside any workspace.
    pub async fn chrome(&self, state: &AppState) -> Result<Chrome, AppError> {
        self.chrome_in(state, "").await
    }

    /// The frame of one of the organization's pages (`org-accounts`, `org-workspaces`,
    /// `org-audit`): their own side navigation, with that one current.
    pub async fn chrome_in(
        &self,
        state: &AppState,
        section: &'static str,
    ) -> Result<Chrome, AppError> {
        let account = self.account.clone();
        let csrf_token = self.csrf_token.clone();
        let flash = take_flash(&self.session);
        let frame = blocking(state, move |conn| {
            Ok(workspaces::frame(
                conn,
                account.id,
                account.org_role.administers_all_workspaces(),
            )?)
        })
        .await?;
        Ok(Chrome::new(
            frame,
            &self.account,
            csrf_token,
            None,
            PermissionSet::empty(),
            section,
            flash,
        ))
    }
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(Self::extract(req.clone()))
    }
}

/// A signed-in person inside the workspace named by `{slug}`, with what they may do there.
pub struct WorkspaceAccess {
    pub signed_in: SignedIn,
    pub workspace: Workspace,
    pub membership: Option<Access>,
    pub permissions: PermissionSet,
    /// What pages keep between requests, as of this request.
    pub cached: AsOf,
}

/// What the path's workspace turned out to be for the signed-in account.
enum Found {
    /// The session's account no longer exists.
    NoAccount,
    /// The account, the workspace and their membership there, and the newest audit event's id.
    Workspace(Box<(Account, Workspace, Option<Access>, i64)>),
    /// The slug is an old one: the workspace's current slug.
    Moved(String),
    /// No workspace has or had that slug.
    Missing,
}

/// The account, the workspace `{slug}` names and the membership there, in one statement (an old
/// slug is looked up only on a miss) — or none, when it came with the session
/// ([`super::prefetch`]).
async fn in_path_workspace(req: &HttpRequest, account_id: AccountId) -> Result<Found, AppError> {
    // A path no route matched (`/w/acme/nope`) still names its workspace, for the error's frame.
    let slug = req
        .match_info()
        .get("slug")
        .or_else(|| super::prefetch::workspace_slug(req.path()))
        // A control character names no workspace (PostgreSQL refuses a NUL in a query's text).
        .filter(|slug| !slug.contains(char::is_control))
        .unwrap_or_default()
        .to_owned();
    let pool = state_of(req)?.pool.clone();
    let asking = match super::prefetch::take_asking(account_id, &slug) {
        Some(asking) => asking,
        None => {
            let slug = slug.clone();
            super::quick_read(&pool, move |conn| {
                Ok(who::in_workspace(conn, account_id, &slug)?)
            })
            .await?
        }
    };
    Ok(match asking {
        None => Found::NoAccount,
        Some((account, generation, Some((workspace, access)))) => {
            Found::Workspace(Box::new((account, workspace, access, generation)))
        }
        Some((_, _, None)) => {
            let current = super::quick_read(&pool, move |conn| {
                Ok(workspaces::redirect_for(conn, &slug)?)
            })
            .await?;
            // Only someone who may enter the workspace learns where it moved: to anyone else
            // an old slug is as missing as one that never was.
            let there = match current.clone() {
                Some(to) => {
                    super::quick_read(&pool, move |conn| {
                        Ok(who::in_workspace(conn, account_id, &to)?)
                    })
                    .await?
                }
                None => None,
            };
            let may_enter = matches!(
                &there,
                Some((account, _, Some((_, access)))) if policy::workspace_permissions(
                    account.status,
                    account.org_role,
                    access.as_ref().map(|m| (m.status, m.permissions)),
                )
                .is_ok()
            );
            match current {
                Some(current) if may_enter => Found::Moved(current),
                _ => Found::Missing,
            }
        }
    })
}

/// The answer to a request at a workspace's old address: a page is sent to the new one, a form
/// is refused.
fn moved(req: &HttpRequest, current: &str) -> AppError {
    // A form sent to the old address is refused, not redirected: a 303 would read
    // as done, and the page it leads to would not have done it.
    if !reads_page(req) {
        return AppError::Conflict(format!(
            "This workspace's address is now /w/{current}: nothing was changed. Open it \
             there and try again."
        ));
    }
    // What follows the old name in the address as sent (its name may be typed
    // percent-encoded, `/w/d%65mo`, so it is not looked for by its decoded text).
    let path = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("");
    let rest = path
        .strip_prefix("/w/")
        .and_then(|after| after.find(['/', '?']).map(|end| &after[end..]))
        .unwrap_or("");
    AppError::Redirect(format!("/w/{current}{rest}"))
}

/// Refuses a member whose role opens no page of the console (a page sends them to their
/// profile), and an Owner or Admin who must turn two-factor sign-in on first.
fn entry_refused(
    req: &HttpRequest,
    session: &Session,
    workspace: &Workspace,
    account: &Account,
    permissions: PermissionSet,
) -> Result<(), AppError> {
    if policy::landing(permissions) == Landing::OwnProfile {
        // A page sends them to their profile; a form (or a script) is refused, not
        // redirected, so that nobody takes the answer for a success.
        if reads_page(req) {
            // Said on a page of the console, not when a missing page's frame is being
            // looked up (`/w/acme/nope`: that 404 is not their profile).
            // A message already waiting (the welcome of someone who just joined) is said
            // instead. A HEAD (a link checker) leaves no message for the next page.
            let waiting = session.get::<String>(keys::FLASH).ok().flatten().is_some();
            let shown = req.method() == actix_web::http::Method::GET;
            if shown && req.match_info().get("slug").is_some() && !waiting {
                super::forms::flash_warning(
                    session,
                    &format!(
                        "Your role in {} opens no page of this console: here is your own \
                         profile.",
                        workspace.name
                    ),
                )?;
            }
            return Err(AppError::Redirect("/me".to_owned()));
        }
        return Err(AppError::Forbidden(format!(
            "Your role in {} gives no access to the console: only your own profile.",
            workspace.name
        )));
    }
    if policy::must_use_two_factor(workspace.require_two_factor, permissions)
        && account.two_factor_since.is_none()
    {
        // Enrol first: every page of this workspace sends them there; a form is refused.
        if reads_page(req) {
            return Err(AppError::Redirect(format!(
                "/me/two-factor?required={}",
                workspace.slug
            )));
        }
        return Err(AppError::Forbidden(format!(
            "{} requires two-factor sign-in for Owners and Admins: turn it on from your \
             profile (/me/two-factor) first.",
            workspace.name
        )));
    }
    Ok(())
}

impl WorkspaceAccess {
    async fn extract(req: HttpRequest) -> Result<Self, AppError> {
        let session = req.get_session();
        let next = return_path(&req);
        let Some(account_id) = session_account(&session) else {
            return Err(AppError::SignInRequired { next });
        };
        super::observe::LoggedActor::Account(account_id).mark(&req);
        let found = in_path_workspace(&req, account_id).await?;
        let (account, workspace, membership, generation) = match found {
            Found::Workspace(found) => {
                let (account, workspace, access, generation) = *found;
                (Some(account), workspace, access, generation)
            }
            Found::NoAccount => {
                session.purge();
                return Err(AppError::SignInRequired { next });
            }
            Found::Moved(current) => return Err(moved(&req, &current)),
            Found::Missing => return Err(AppError::NotFound),
        };
        let account = check_session(&session, account, next)?;
        let permissions = policy::workspace_permissions(
            account.status,
            account.org_role,
            membership.as_ref().map(|m| (m.status, m.permissions)),
        )
        .map_err(|refused| match refused {
            // Not revealing which workspaces exist to people outside them.
            AccessRefused::NotAMember => AppError::NotFound,
            other => AppError::Forbidden(other.to_string()),
        })?;
        entry_refused(&req, &session, &workspace, &account, permissions)?;
        // The workspace the session last opened (its activity counts there). Not for a request
        // the browser makes by itself: a presence stream of a tab in another workspace would
        // change the session, and a change slides its idle timeout.
        if !super::prefetch::is_background()
            && session.get::<i64>(keys::WORKSPACE_ID).ok().flatten() != Some(workspace.id.0)
        {
            session.insert(keys::WORKSPACE_ID, workspace.id.0)?;
        }
        let csrf_token = csrf::token(&session)?;
        let signed_in = SignedIn {
            account,
            session,
            csrf_token,
            ip: client_ip(&req),
        };
        Ok(Self {
            signed_in,
            workspace,
            membership,
            permissions,
            cached: state_of(&req)?.frames.as_of(generation),
        })
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(permission)
    }

    /// Refuses with 403 and the reason in words unless the role holds `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "Your role in {} does not allow this ({}: “{}”). Ask an Owner of {} if you \
                 need it.",
                self.workspace.name,
                permission.key(),
                permission.description(),
                self.workspace.name
            )))
        }
    }

    /// This person as the policy sees them.
    pub fn viewer(&self) -> Viewer {
        Viewer {
            account: Some(self.signed_in.account.id),
            org_role: self.signed_in.account.org_role,
            permissions: self.permissions,
        }
    }

    /// Refuses with 403 unless this person may attempt `action` at all: the policy's first
    /// question, asked before the member is looked up (the service asks the whole decision).
    pub fn attempt(&self, action: MemberAction) -> Result<(), AppError> {
        match policy::may_attempt(&self.viewer(), action) {
            Ok(()) => Ok(()),
            Err(Refusal::Lacks(permission)) => self.require(permission),
            Err(other) => Err(AppError::Forbidden(other.to_string())),
        }
    }

    /// Refuses with 403 unless the role holds at least one of `permissions`.
    pub fn require_any(&self, permissions: &[Permission]) -> Result<(), AppError> {
        if self.permissions.holds_any(permissions) {
            Ok(())
        } else {
            let needs: Vec<String> = permissions
                .iter()
                .map(|p| format!("{}: “{}”", p.key(), p.description()))
                .collect();
            Err(AppError::Forbidden(format!(
                "Your role in {} does not allow this (it takes one of {}). Ask an Owner of {} \
                 if you need it.",
                self.workspace.name,
                needs.join("; "),
                self.workspace.name
            )))
        }
    }

    /// The page frame, with the side navigation this person may use.
    pub async fn chrome(
        &self,
        state: &AppState,
        section: &'static str,
    ) -> Result<Chrome, AppError> {
        let loader = self.chrome_loader(section);
        let flash = self.take_flash();
        let mut chrome = blocking(state, move |conn| loader.load(conn)).await?;
        chrome.flash = flash;
        Ok(chrome)
    }

    /// What the page frame needs from the database, to be read in a handler's own database work
    /// (one trip to the blocking pool instead of two). The one-time message is not in it: take it
    /// with [`Self::take_flash`] once that work has succeeded.
    pub fn chrome_loader(&self, section: &'static str) -> ChromeLoader {
        ChromeLoader {
            account: self.signed_in.account.clone(),
            csrf_token: self.signed_in.csrf_token.clone(),
            current: WorkspaceLink {
                name: self.workspace.name.clone(),
                slug: self.workspace.slug.clone(),
            },
            permissions: self.permissions,
            section,
            cached: self.cached.clone(),
        }
    }

    /// The users list after people were invited or added, or `elsewhere` for a role that may
    /// invite without seeing people (`users.view`), whom the list would refuse.
    pub fn people_or<'a>(&self, elsewhere: &'a str) -> &'a str {
        if self.can(Permission::UsersView) {
            "users"
        } else {
            elsewhere
        }
    }

    /// After a change: `message` for the next page, and 303 See Other to `/w/{slug}/{page}`.
    pub fn show_after(
        &self,
        page: &str,
        message: &str,
    ) -> Result<actix_web::HttpResponse, AppError> {
        super::forms::flash(&self.signed_in.session, message)?;
        Ok(self.see(page))
    }

    /// As [`Self::show_after`], the message a warning: the action was done only in part.
    pub fn show_after_warning(
        &self,
        page: &str,
        message: &str,
    ) -> Result<actix_web::HttpResponse, AppError> {
        super::forms::flash_warning(&self.signed_in.session, message)?;
        Ok(self.see(page))
    }

    /// [`Self::show_after`] when the action `changed` something, else [`Self::show_after_warning`].
    pub fn show_outcome(
        &self,
        page: &str,
        changed: bool,
        message: &str,
    ) -> Result<actix_web::HttpResponse, AppError> {
        super::forms::flash_or_warn(&self.signed_in.session, !changed, message)?;
        Ok(self.see(page))
    }

    /// 303 See Other to `/w/{slug}/{page}`.
    fn see(&self, page: &str) -> actix_web::HttpResponse {
        super::error::redirect(&format!("/w/{}/{page}", self.workspace.slug))
    }

    /// The one-time message for this page, removed from the session.
    pub fn take_flash(&self) -> Option<Flash> {
        take_flash(&self.signed_in.session)
    }
}

impl FromRequest for WorkspaceAccess {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(Self::extract(req.clone()))
    }
}

/// The page frame of a workspace page, read with [`ChromeLoader::load`] on a pooled connection.
pub struct ChromeLoader {
    account: Account,
    csrf_token: String,
    current: WorkspaceLink,
    permissions: PermissionSet,
    section: &'static str,
    cached: AsOf,
}

/// The frame `loader` would load, from the cache alone: `Some(None)` for a fragment (no loader,
/// no frame), `None` when the cache does not hold it.
pub fn cached_chrome(loader: Option<&ChromeLoader>) -> Option<Option<Chrome>> {
    match loader {
        None => Some(None),
        Some(loader) => loader.cached().map(Some),
    }
}

impl ChromeLoader {
    /// The frame without the one-time message (see [`WorkspaceAccess::take_flash`]).
    pub fn load(self, conn: &mut AnyConnection) -> Result<Chrome, AppError> {
        let frame = self.cached.frame(conn, self.account.id, self.org_wide())?;
        Ok(self.around(&frame))
    }

    /// [`Self::load`] from the cache alone, when the frame is there.
    pub fn cached(&self) -> Option<Chrome> {
        let frame = self.cached.cached_frame(self.account.id, self.org_wide())?;
        Some(self.around(&frame))
    }

    fn org_wide(&self) -> bool {
        self.account.org_role.administers_all_workspaces()
    }

    fn around(&self, frame: &Frame) -> Chrome {
        Chrome::new(
            frame.clone(),
            &self.account,
            self.csrf_token.clone(),
            Some(self.current.clone()),
            self.permissions,
            self.section,
            None,
        )
    }
}

/// What the side navigation offers; a link appears only when its page exists and may be opened.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    pub users: bool,
    pub groups: bool,
    pub apps: bool,
    pub roles: bool,
    pub audit: bool,
    pub settings: bool,
    /// Org owners and org admins: the organization's pages.
    pub org: bool,
}

/// The frame around every signed-in page: organization, workspace switcher, person, navigation.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub org_name: String,
    pub user_name: String,
    pub user_email: String,
    pub csrf_token: String,
    pub workspaces: Vec<WorkspaceLink>,
    pub current: Option<WorkspaceLink>,
    pub nav: Nav,
    pub section: &'static str,
    /// A one-time message from the previous request ("3 invitations sent").
    pub flash: Option<Flash>,
}

impl Chrome {
    /// The frame of a response that renders only a fragment (the frame is not shown).
    pub fn fragment_only(csrf_token: &str) -> Self {
        Self {
            org_name: String::new(),
            user_name: String::new(),
            user_email: String::new(),
            csrf_token: csrf_token.to_owned(),
            workspaces: Vec::new(),
            current: None,
            nav: Nav::default(),
            section: "",
            flash: None,
        }
    }

    fn new(
        (org_name, workspaces): Frame,
        account: &Account,
        csrf_token: String,
        current: Option<WorkspaceLink>,
        permissions: PermissionSet,
        section: &'static str,
        flash: Option<Flash>,
    ) -> Self {
        Self {
            org_name,
            user_name: account.display_name(),
            user_email: account.email.clone(),
            csrf_token,
            workspaces,
            current,
            nav: Nav {
                users: permissions.contains(Permission::UsersView),
                groups: permissions.contains(Permission::GroupsView),
                apps: permissions.contains(Permission::AppsView),
                roles: permissions.holds_any(&policy::READS_ROLES),
                audit: permissions.contains(Permission::AuditView),
                settings: policy::may_open_settings(permissions),
                org: account.org_role.administers_all_workspaces(),
            },
            section,
            flash,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(
            safe_next("/w/acme/users?q=ada"),
            Some("/w/acme/users?q=ada")
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "",
            "/a\nb",
            "/a\\b",
            "/é",
            "/a b",
        ] {
            assert_eq!(safe_next(bad), None, "{bad}");
        }
    }
}
