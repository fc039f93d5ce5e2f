//! The organization's pages (org owners and org admins only): `/org/accounts`, every account with
//! its workspaces and roles, searched and paged by email, with block and unblock; and
//! `/org/workspaces`, every workspace with its members and seats, and a form to create one.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::auth::{Chrome, SignedIn};
use super::confirm::{Confirmation, ReasonField, ReasonForm};
use super::error::{AppError, redirect};
use super::forms::{FieldErrors, flash, flash_warning, slug_typed_or_suggested};
use super::htmx::page_or_fragment;
use super::htmx::render_with_status;
use super::{AppState, blocking, views};
use crate::clock;
use crate::domain::ids::AccountId;
use crate::domain::membership::{AccountStatus, OrgRole};
use crate::domain::{Name, Reason, SearchTerm};
use crate::services::accounts;
use crate::services::workspaces::{self as workspace_service, WorkspaceError};
use crate::store::accounts as account_store;
use crate::store::workspaces as workspace_store;

const PER_PAGE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AccountsQuery {
    pub q: SearchTerm,
    pub after: String,
    pub before: String,
}

impl AccountsQuery {
    /// Where the page starts. A cursor is an address: one holding a control character (a NUL
    /// breaks PostgreSQL's text) is no cursor, and the first page is shown.
    fn from(&self) -> account_store::PageFrom<'_> {
        let cursor = |c: &str| !c.is_empty() && !c.chars().any(char::is_control);
        if cursor(&self.before) {
            account_store::PageFrom::Before(&self.before)
        } else if cursor(&self.after) {
            account_store::PageFrom::After(&self.after)
        } else {
            account_store::PageFrom::Start
        }
    }
}

pub struct AccountLine {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub org_role: &'static str,
    pub blocked: bool,
    /// Invited somewhere and a member nowhere yet: shown "Invited", not "Active".
    pub invited_only: bool,
    /// "Sign-in paused until …", with Clear for those who may.
    pub sign_in_pause: Option<String>,
    /// ("Acme HQ (Admin)", the member's page), ("Labs (Member, suspended)", …)
    pub workspaces: Vec<(String, String)>,
    /// What this viewer may do to the account: the decisions its POSTs take.
    pub may: accounts::Offered,
}

impl AccountLine {
    /// The org roles the viewer may give (key, label), the one held first; none but that one:
    /// no choice is shown.
    pub fn org_role_choices(&self) -> Vec<(&'static str, &'static str)> {
        self.may
            .org_roles
            .iter()
            .map(|role| (role.key(), role.label()))
            .collect()
    }
}

#[derive(Template)]
#[template(path = "org/accounts.html", blocks = ["results"])]
struct AccountsPage {
    chrome: Chrome,
    q: String,
    accounts: Vec<AccountLine>,
    prev_url: Option<String>,
    next_url: Option<String>,
    /// On an empty page past either end: the first page.
    first_url: Option<String>,
}

/// How a gate answers someone it stops: a page sends them to enrol, as a workspace's pages do;
/// a change is refused.
#[derive(Clone, Copy)]
pub(super) enum Visit {
    Page,
    Change,
}

/// An org owner or admin acts as an Owner in every workspace: where one requires two-factor
/// sign-in of its Owners and Admins, the organization's pages and changes require it too (else
/// a block or an org role given from here would skip that workspace's rule, and its members'
/// accounts would be read without it).
pub(super) async fn two_factor_if_required(
    state: &AppState,
    me: &SignedIn,
    visit: Visit,
) -> Result<(), AppError> {
    if me.account.two_factor_since.is_some() {
        return Ok(());
    }
    let requiring = blocking(state, |conn| {
        Ok(workspace_store::one_requiring_two_factor(conn)?)
    })
    .await?;
    let Some((name, slug)) = requiring else {
        return Ok(());
    };
    Err(match visit {
        Visit::Page => AppError::Redirect(format!("/me/two-factor?required={slug}")),
        Visit::Change => AppError::Forbidden(crate::services::accounts::two_factor_first(&name)),
    })
}

/// The gate of the organization's pages and changes: an org owner or admin, with two-factor
/// sign-in where a workspace requires it.
async fn org_admin_gate(state: &AppState, me: &SignedIn, visit: Visit) -> Result<(), AppError> {
    org_admin(me)?;
    two_factor_if_required(state, me, visit).await
}

fn org_admin(me: &SignedIn) -> Result<(), AppError> {
    if me.account.org_role.administers_all_workspaces() {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Only org owners and org admins manage the organization: its accounts and workspaces."
                .to_owned(),
        ))
    }
}

/// Where an action on `/org/accounts` goes back to: the page, search and place it was sent from
/// (htmx's `HX-Current-URL`, else the `Referer`), when that was the accounts page; else its
/// first page. Only the path and query are kept: never anywhere else.
fn back_to_accounts(req: &HttpRequest) -> String {
    const PAGE: &str = "/org/accounts";
    let from = [HeaderName::from_static("hx-current-url"), header::REFERER]
        .iter()
        .find_map(|name| req.headers().get(name)?.to_str().ok().map(str::to_owned))
        .unwrap_or_default();
    // "http://host/org/accounts?q=…" or "/org/accounts?q=…": the path and query.
    let local = match from.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |at| &rest[at..]),
        None => from.as_str(),
    };
    let local = local.split('#').next().unwrap_or_default();
    match local.split_once('?') {
        Some((PAGE, query)) if !query.is_empty() => format!("{PAGE}?{query}"),
        _ => PAGE.to_owned(),
    }
}

/// `/org`: the organization's first page, its accounts (for org owners and org admins).
pub async fn home(me: SignedIn) -> Result<HttpResponse, AppError> {
    org_admin(&me)?;
    Ok(super::error::redirect("/org/accounts"))
}

/// What a page of accounts shows beside each: the workspaces it is in, a sign-in pause, and
/// what the viewer may do to it.
struct LineFacts {
    held: Vec<account_store::Held>,
    paused: Vec<(AccountId, chrono::NaiveDateTime, i64)>,
    org_owners: i64,
    sole: Vec<(AccountId, String)>,
}

impl LineFacts {
    fn line(&self, a: &account_store::Account, me: &SignedIn) -> AccountLine {
        AccountLine {
            id: a.id.0,
            name: a.display_name(),
            email: a.email.clone(),
            org_role: a.org_role.label(),
            blocked: a.status == AccountStatus::Blocked,
            invited_only: {
                let mut held = self
                    .held
                    .iter()
                    // Removed memberships do not count: a member nowhere.
                    .filter(|h| h.account_id == a.id.0 && h.status != "removed")
                    .peekable();
                held.peek().is_some() && held.all(|h| h.status == "invited")
            },
            sign_in_pause: self.paused.iter().find(|(id, ..)| *id == a.id).map(
                |(_, until, failures)| super::views::sign_in_paused(*until, *failures, me.zone()),
            ),
            workspaces: self
                .held
                .iter()
                .filter(|h| h.account_id == a.id.0)
                .map(|h| {
                    let (workspace, role, status) = (&h.workspace, &h.role, &h.status);
                    let label = if status == "active" {
                        format!("{workspace} ({role})")
                    } else {
                        format!("{workspace} ({role}, {status})")
                    };
                    (label, format!("/w/{}/users/{}", h.slug, h.membership_id))
                })
                .collect(),
            may: accounts::offered(
                me.account.id,
                me.account.org_role,
                (
                    a,
                    self.sole
                        .iter()
                        .find(|(id, _)| *id == a.id)
                        .map(|(_, w)| w.as_str()),
                ),
                self.org_owners,
            ),
        }
    }
}

pub async fn accounts_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: SignedIn,
    query: web::Query<AccountsQuery>,
) -> Result<HttpResponse, AppError> {
    org_admin_gate(&state, &me, Visit::Page).await?;
    let query = query.into_inner();
    let q = query.q.to_string();
    let search = q.clone();
    let now = state.settings.clock.now();
    let (mut found, facts, query) = blocking(&state, move |conn| {
        let found = account_store::page(
            conn,
            Some(search.as_str()).filter(|s| !s.is_empty()),
            query.from(),
            PER_PAGE + 1,
        )?;
        let ids: Vec<AccountId> = found.iter().map(|a| a.id).collect();
        let facts = LineFacts {
            held: account_store::memberships_of(conn, &ids)?,
            paused: crate::store::throttles::paused_accounts(conn, &ids, now)?,
            org_owners: account_store::count_active_org_owners(conn)?,
            sole: crate::store::memberships::sole_owners(conn, &ids)?,
        };
        Ok((found, facts, query))
    })
    .await?;
    // One row more than a page says there is more in the direction walked; the other way there
    // is the page this one was reached from.
    let more = found.len() as i64 > PER_PAGE;
    let (has_previous, has_next) = match query.from() {
        account_store::PageFrom::Start => (false, more),
        account_store::PageFrom::After(_) => (true, more),
        account_store::PageFrom::Before(_) => {
            if more {
                found.remove(0);
            }
            (more, true)
        }
    };
    let accounts: Vec<AccountLine> = found
        .iter()
        .take(PER_PAGE as usize)
        .map(|a| facts.line(a, &me))
        .collect();
    // The search (when there is one) and where the page starts.
    let address = |cursor: Option<(&str, &str)>| {
        let fields: Vec<(&str, &str)> = [("q", q.as_str())]
            .into_iter()
            .filter(|(_, q)| !q.is_empty())
            .chain(cursor)
            .collect();
        match serde_html_form::to_string(fields).unwrap_or_default() {
            query if query.is_empty() => "/org/accounts".to_owned(),
            query => format!("/org/accounts?{query}"),
        }
    };
    let prev_url = accounts
        .first()
        .filter(|_| has_previous)
        .map(|line| address(Some(("before", line.email.as_str()))));
    let next_url = accounts
        .last()
        .filter(|_| has_next)
        .map(|line| address(Some(("after", line.email.as_str()))));
    // A page past either end (an old address): nothing on it, and the way to the first page.
    let first_url = (accounts.is_empty()
        && !matches!(query.from(), account_store::PageFrom::Start))
    .then(|| address(None));
    let page = AccountsPage {
        chrome: me.chrome_in(&state, "org-accounts").await?,
        q,
        accounts,
        prev_url,
        next_url,
        first_url,
    };
    page_or_fragment(&req, &page, |p| p.as_results().render())
}

pub async fn confirm_block(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    block_dialog(&req, &state, &me, id.into_inner(), ReasonField::default()).await
}

/// The block confirmation (a page), or a refused block's again (a change), with the reason field
/// as typed.
async fn block_dialog(
    req: &HttpRequest,
    state: &AppState,
    me: &SignedIn,
    id: i64,
    reason: ReasonField,
) -> Result<HttpResponse, AppError> {
    let visit = match req.method() == actix_web::http::Method::GET {
        true => Visit::Page,
        false => Visit::Change,
    };
    org_admin_gate(state, me, visit).await?;
    let (target, by, org_role) = (AccountId(id), me.actor(), me.account.org_role);
    let account = blocking(state, move |conn| {
        Ok(accounts::preview(conn, &by, org_role, target, true))
    })
    .await??;
    let confirmation = Confirmation::block(
        &account.display_name(),
        &account.email,
        format!("/org/accounts/{}/block", target.0),
        back_to_accounts(req),
        &me.csrf_token,
        reason,
    );
    super::confirm::render_signed_in(req, state, me, "org-accounts", confirmation).await
}

async fn set_blocked(
    req: &HttpRequest,
    state: &AppState,
    me: &SignedIn,
    target: i64,
    to_block: bool,
    reason: Option<Reason>,
) -> Result<HttpResponse, AppError> {
    org_admin_gate(state, me, Visit::Change).await?;
    let (by, org_role) = (me.actor(), me.account.org_role);
    let account = blocking(state, move |conn| {
        Ok(accounts::set_blocked(
            conn,
            &by,
            org_role,
            None,
            AccountId(target),
            to_block,
            reason.as_ref(),
            clock::now(),
        ))
    })
    .await??;
    let message = if to_block {
        format!(
            "{} is blocked: every session of theirs ended.",
            account.email
        )
    } else {
        format!("{} is unblocked and can sign in again.", account.email)
    };
    flash(&me.session, &message)?;
    Ok(super::htmx::leave_for(req, &back_to_accounts(req)))
}

pub async fn block(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: SignedIn,
    id: web::Path<i64>,
    form: Option<web::Form<ReasonForm>>,
) -> Result<HttpResponse, AppError> {
    let form = form.map(web::Form::into_inner).unwrap_or_default();
    match form.parse() {
        Ok(reason) => set_blocked(&req, &state, &me, id.into_inner(), true, reason).await,
        Err(field) => block_dialog(&req, &state, &me, id.into_inner(), field).await,
    }
}

pub async fn unblock(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_blocked(&req, &state, &me, id.into_inner(), false, None).await
}

/// One membership the next purge deletes.
pub struct PurgeLine {
    pub workspace: String,
    pub email: String,
    pub removed: String,
    pub restorable_until: String,
}

/// The most memberships the purge section names.
const PURGE_SHOWN: i64 = 100;

pub struct WorkspaceLine {
    pub name: String,
    pub slug: String,
    pub plan: &'static str,
    pub members: String,
    pub seats: String,
}

/// The create form, kept as typed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct WorkspaceForm {
    pub name: String,
    pub slug: String,
    /// The organization's name as typed, when that form was refused.
    #[serde(skip)]
    pub org_name: Option<String>,
}

/// The organization's name, for org owners.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OrgNameForm {
    pub org_name: String,
}

/// Renames the organization: org owners only (org admins run it, its owners name it).
pub async fn rename_organization(
    state: web::Data<AppState>,
    me: SignedIn,
    form: web::Form<OrgNameForm>,
) -> Result<HttpResponse, AppError> {
    if me.account.org_role != OrgRole::Owner {
        return Err(AppError::Forbidden(
            "Only org owners rename the organization.".to_owned(),
        ));
    }
    two_factor_if_required(&state, &me, Visit::Change).await?;
    let typed = form.into_inner().org_name;
    let mut errors = FieldErrors::default();
    let Some(name) = errors.check("org_name", Name::parse(&typed)) else {
        let form = WorkspaceForm {
            org_name: Some(typed),
            ..WorkspaceForm::default()
        };
        return workspaces_view(&state, &me, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let (by, shown) = (me.actor(), name.to_string());
    blocking(&state, move |conn| {
        Ok(workspace_service::rename_organization(
            conn,
            &by,
            &name,
            clock::now(),
        )?)
    })
    .await?;
    flash(
        &me.session,
        &format!("The organization is now called {shown}."),
    )?;
    Ok(redirect("/org/workspaces"))
}

#[derive(Template)]
#[template(path = "org/workspaces.html")]
struct WorkspacesPage {
    chrome: Chrome,
    workspaces: Vec<WorkspaceLine>,
    /// What the next daily purge deletes, oldest removal first.
    purge: Vec<PurgeLine>,
    purge_more: bool,
    form: WorkspaceForm,
    errors: FieldErrors,
    /// Org owners rename the organization here.
    renames: bool,
}

async fn workspaces_view(
    state: &AppState,
    me: &SignedIn,
    form: WorkspaceForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let now = clock::now();
    let (all, due) = blocking(state, move |conn| {
        Ok((
            workspace_store::all(conn)?,
            crate::services::purge::due(conn, now, PURGE_SHOWN + 1)?,
        ))
    })
    .await?;
    let purge = due
        .iter()
        .take(PURGE_SHOWN as usize)
        .map(|d| PurgeLine {
            workspace: all
                .iter()
                .find(|w| w.id == d.workspace_id)
                .map(|w| w.name.clone())
                .unwrap_or_default(),
            email: d.email.clone(),
            removed: views::local_date(d.removed_at, me.zone()),
            restorable_until: views::local_date(
                crate::domain::membership::purged_from(d.removed_at),
                me.zone(),
            ),
        })
        .collect();
    let purge_more = due.len() as i64 > PURGE_SHOWN;
    let workspaces = all
        .into_iter()
        .map(|w| WorkspaceLine {
            plan: w.plan.name(),
            members: format!(
                "{} · {}",
                views::count(w.counts.active + w.counts.suspended, "member", "members"),
                views::count(w.counts.invited, "pending", "pending")
            ),
            seats: match w.seat_limit {
                Some(limit) => format!(
                    "{} of {}",
                    views::number(w.counts.seats_used()),
                    views::number(limit)
                ),
                None => format!("{} (no limit)", views::number(w.counts.seats_used())),
            },
            name: w.name,
            slug: w.slug,
        })
        .collect();
    let page = WorkspacesPage {
        chrome: me.chrome_in(state, "org-workspaces").await?,
        workspaces,
        purge,
        purge_more,
        form,
        errors,
        renames: me.account.org_role == OrgRole::Owner,
    };
    render_with_status(status, &page)
}

pub async fn workspaces_page(
    state: web::Data<AppState>,
    me: SignedIn,
) -> Result<HttpResponse, AppError> {
    org_admin_gate(&state, &me, Visit::Page).await?;
    workspaces_view(
        &state,
        &me,
        WorkspaceForm::default(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn create_workspace(
    state: web::Data<AppState>,
    me: SignedIn,
    form: web::Form<WorkspaceForm>,
) -> Result<HttpResponse, AppError> {
    org_admin_gate(&state, &me, Visit::Change).await?;
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    let name = errors.check("name", Name::parse(&form.name));
    let slug = slug_typed_or_suggested(&mut errors, "slug", &form.slug, name.as_ref());
    let (Some(name), Some(slug)) = (name, slug) else {
        return workspaces_view(&state, &me, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let (by, creator, shown) = (me.actor(), me.account.clone(), slug.clone());
    let created = blocking(&state, move |conn| {
        Ok(workspace_service::create(
            conn,
            &by,
            &creator,
            &name,
            &slug,
            clock::now(),
        ))
    })
    .await?;
    match created {
        Ok(()) => {
            flash(
                &me.session,
                &format!(
                    "Workspace /w/{} created; you are its Owner.",
                    shown.as_str()
                ),
            )?;
            Ok(redirect(&format!("/w/{}/users", shown.as_str())))
        }
        Err(WorkspaceError::SlugTaken) => {
            // The URL name judged, in its field (the one suggested from the name when it was
            // left empty), so that what was taken is what is shown.
            let form = WorkspaceForm {
                slug: shown.as_str().to_owned(),
                ..form
            };
            errors.add("slug", WorkspaceError::SlugTaken);
            workspaces_view(&state, &me, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OrgRoleForm {
    pub org_role: String,
}

pub async fn change_org_role(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<OrgRoleForm>,
) -> Result<HttpResponse, AppError> {
    org_admin_gate(&state, &me, Visit::Change).await?;
    let new = OrgRole::from_key(&form.org_role).ok_or_else(|| {
        AppError::Invalid("Choose an org role: owner, admin or member.".to_owned())
    })?;
    let (by, org_role, target) = (me.actor(), me.account.org_role, AccountId(id.into_inner()));
    let account = blocking(&state, move |conn| {
        Ok(accounts::change_org_role(
            conn,
            &by,
            org_role,
            target,
            new,
            clock::now(),
        ))
    })
    .await??;
    let role = new.label().to_lowercase();
    if account.org_role == new {
        flash_warning(
            &me.session,
            &format!("{} is {role} already: nothing changed.", account.email),
        )?;
    } else {
        flash(&me.session, &format!("{} is now {role}.", account.email))?;
    }
    Ok(redirect(&back_to_accounts(&req)))
}

/// Lifts an account's sign-in pause.
pub async fn clear_sign_in_pause(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    org_admin_gate(&state, &me, Visit::Change).await?;
    let (target, by, org_role) = (AccountId(id.into_inner()), me.actor(), me.account.org_role);
    let now = state.settings.clock.now();
    let cleared = blocking(&state, move |conn| {
        Ok(accounts::clear_sign_in_pause(
            conn, &by, org_role, target, now,
        ))
    })
    .await??;
    let [done, nothing] = super::views::SIGN_IN_PAUSE_CLEARED;
    if cleared {
        flash(&me.session, done)?;
    } else {
        flash_warning(&me.session, nothing)?;
    }
    Ok(redirect(&back_to_accounts(&req)))
}
