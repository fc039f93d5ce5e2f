//! A member's lifecycle (PRODUCT §5) — suspend and unsuspend, remove (with reassignment) and
//! restore, and block or unblock their account organization-wide — from a users-list row or a
//! user's console: a confirmation dialog (a page without JavaScript) that says what happens, then
//! a POST, both judged by the one decision of `domain::policy`. From the list, htmx reloads the
//! rows in place; otherwise the console shows the new state.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::acting::{confirmable, member_id, with_acting};
use super::auth::WorkspaceAccess;
use super::confirm::{self, Confirmation, ReasonField, ReasonForm};
use super::error::AppError;
use super::forms::flash;
use super::htmx::{leave_for, members_changed, wants_fragment};
use super::views::Choice;
use super::{AppState, blocking};
use crate::clock;
use crate::domain::ids::MembershipId;
use crate::domain::membership::{AccountStatus, MembershipStatus};
use crate::domain::policy::MemberAction;
use crate::domain::{Reason, SearchTerm};
use crate::services::console::{self, ConsoleError};
use crate::store::memberships::{self, MemberDetail};
use crate::store::ownership;

/// Where the action was started: `list` answers htmx with the rows' reload.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Origin {
    pub from: String,
}

impl Origin {
    fn is_list(&self) -> bool {
        self.from == "list"
    }

    fn query(&self) -> &'static str {
        if self.is_list() { "?from=list" } else { "" }
    }

    /// Where Cancel, or the end of the action, leads: the list (with `list_query`) or the console.
    fn back(&self, slug: &str, id: MembershipId, list_query: &str) -> String {
        if self.is_list() {
            format!("/w/{slug}/users{list_query}")
        } else {
            format!("/w/{slug}/users/{id}")
        }
    }
}

/// What the confirmation of a suspension or a restore of `member` says: title, message, button,
/// and whether it is a dangerous one (a block's is `Confirmation::block`).
fn dialog_words(
    action: MemberAction,
    member: &MemberDetail,
    workspace: &str,
) -> (String, String, &'static str, bool) {
    let who = member.name();
    match action {
        MemberAction::Suspend => (
            format!("Suspend {who}?"),
            format!(
                "{who} loses access to {workspace} at once: their next request here is refused and \
                 their sessions in this workspace end. They keep their seat, their role, their \
                 groups and everything they own, and you can unsuspend them at any time."
            ),
            "Suspend",
            true,
        ),
        _ => (
            format!("Restore {who}?"),
            format!(
                "{who} gets their access back as {}, with their groups and direct grants. What was \
                 left unassigned when they were removed returns to them; what was reassigned stays \
                 with its new owner. The membership takes a seat again.",
                member.role_name
            ),
            "Restore",
            false,
        ),
    }
}

/// The confirmation of suspend, block or restore: a dialog (htmx) or a page, offered only when the
/// action would be allowed now; `reason` is the reason field as typed (suspend and block ask for one).
async fn confirm_action(
    req: &HttpRequest,
    state: &AppState,
    access: &WorkspaceAccess,
    id: MembershipId,
    from: &Origin,
    action: MemberAction,
    reason: ReasonField,
) -> Result<HttpResponse, AppError> {
    let member = confirmable(state, access, id, action).await?;
    let slug = &access.workspace.slug;
    if action == MemberAction::Block {
        let confirmation = Confirmation::block(
            &member.name(),
            &member.email,
            format!("/w/{slug}/users/{id}/block"),
            from.back(slug, id, ""),
            &access.signed_in.csrf_token,
            reason,
        );
        return confirm::render(req, state, access, "users", confirmation).await;
    }
    let (title, message, button, danger) = dialog_words(action, &member, &access.workspace.name);
    let (path, cancel) = match action {
        MemberAction::Suspend => ("suspend", ""),
        _ => ("restore", "?status=removed"),
    };
    let confirmation = Confirmation {
        title,
        message,
        action: Some(format!("/w/{slug}/users/{id}/{path}{}", from.query())),
        details: Vec::new(),
        reason: (action == MemberAction::Suspend).then_some(reason),
        button: button.to_owned(),
        danger,
        cancel_url: from.back(slug, id, cancel),
        csrf_token: access.signed_in.csrf_token.clone(),
    };
    confirm::render(req, state, access, "users", confirmation).await
}

/// Suspend, unsuspend, block, unblock or restore, judged by the service; then the rows reload
/// (from the list) or the console shows the new state with a message. A reason too long comes
/// back in the dialog, beside its field.
async fn act(
    req: &HttpRequest,
    state: &AppState,
    access: &WorkspaceAccess,
    id: MembershipId,
    from: &Origin,
    action: MemberAction,
    form: &ReasonForm,
) -> Result<HttpResponse, AppError> {
    access.attempt(action)?;
    let reason = match form.parse() {
        Ok(reason) => reason,
        Err(field) => return confirm_action(req, state, access, id, from, action, field).await,
    };
    let member = with_acting(state, access, move |conn, acting, workspace| {
        let now = clock::now();
        let reason = reason.as_ref();
        Ok(match action {
            MemberAction::Suspend | MemberAction::Unsuspend => console::suspend(
                conn,
                acting,
                workspace,
                id,
                action == MemberAction::Suspend,
                reason,
                now,
            )?,
            MemberAction::Restore => console::restore(conn, acting, workspace, id, now)?,
            _ => {
                let to_block = action == MemberAction::Block;
                console::set_blocked(conn, acting, workspace, id, to_block, reason, now)?
            }
        })
    })
    .await?;
    let who = member.name();
    let blocked = member.account_status == AccountStatus::Blocked;
    let suspended = member.status == MembershipStatus::Suspended;
    let message = match action {
        MemberAction::Suspend => {
            format!("{who} is suspended: their access to this workspace ended.")
        }
        MemberAction::Unsuspend | MemberAction::Restore if blocked => format!(
            "{who} is {} here, but their account is still blocked in this organization: they \
             cannot sign in until it is unblocked.",
            if action == MemberAction::Restore {
                "restored"
            } else {
                "unsuspended"
            }
        ),
        MemberAction::Unsuspend => format!("{who} is active again."),
        MemberAction::Block => format!("{who} is blocked: every session of theirs ended."),
        MemberAction::Unblock if suspended => format!(
            "{who} is unblocked and can sign in again, but is still suspended in this workspace."
        ),
        MemberAction::Unblock => format!("{who} is unblocked and can sign in again."),
        _ if suspended => format!(
            "{who} is restored, and still suspended as when they were removed: unsuspend them to \
             give their access back."
        ),
        _ => format!("{who} is restored and active again."),
    };
    done(req, access, from, id, &message)
}

/// After the action: rows reloaded in place (htmx from the list), or the console with a message.
fn done(
    req: &HttpRequest,
    access: &WorkspaceAccess,
    from: &Origin,
    id: MembershipId,
    message: &str,
) -> Result<HttpResponse, AppError> {
    if wants_fragment(req) && from.is_list() {
        return members_changed(message);
    }
    flash(&access.signed_in.session, message)?;
    // From the console's dialog: the whole console shows the new state.
    Ok(leave_for(req, &from.back(&access.workspace.slug, id, "")))
}

/// The handlers of the actions above (their paths are in `routes`): each a line, the work is
/// `confirm_action` (`get`) and `act` (`post`, with the form's reason where one is asked).
macro_rules! member_action_handlers {
    ($(get $confirm:ident => $asked:ident;)+ $(post $handler:ident => $action:ident;)+) => {
        $(pub async fn $confirm(
            req: HttpRequest,
            state: web::Data<AppState>,
            access: WorkspaceAccess,
            path: web::Path<(String, String)>,
            from: web::Query<Origin>,
        ) -> Result<HttpResponse, AppError> {
            let id = member_id(&path.1)?;
            let reason = ReasonField::default();
            confirm_action(&req, &state, &access, id, &from, MemberAction::$asked, reason).await
        })+
        $(pub async fn $handler(
            req: HttpRequest,
            state: web::Data<AppState>,
            access: WorkspaceAccess,
            path: web::Path<(String, String)>,
            from: web::Query<Origin>,
            form: Option<web::Form<ReasonForm>>,
        ) -> Result<HttpResponse, AppError> {
            let id = member_id(&path.1)?;
            let form = form.map(web::Form::into_inner).unwrap_or_default();
            act(&req, &state, &access, id, &from, MemberAction::$action, &form).await
        })+
    };
}

member_action_handlers! {
    get confirm_suspend => Suspend;
    get confirm_block => Block;
    get confirm_restore => Restore;
    post suspend => Suspend;
    post unsuspend => Unsuspend;
    post block => Block;
    post unblock => Unblock;
    post restore => Restore;
}

/// The revoke dialog's query and form: a search for the picker, the chosen heir.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RemoveForm {
    pub q: SearchTerm,
    pub reassign_to: String,
    pub from: String,
    pub reason: String,
}

impl RemoveForm {
    fn origin(&self) -> Origin {
        Origin {
            from: self.from.clone(),
        }
    }
}

/// What the revoke dialog shows.
pub struct RemoveView {
    name: String,
    workspace: String,
    /// "3 apps, 1 workflow and 12 contacts"; empty when they own nothing.
    owned: String,
    action: String,
    page_url: String,
    picker_url: String,
    cancel_url: String,
    csrf_token: String,
    q: String,
    /// More active members match than are offered: type more to find them.
    more: bool,
    /// No one offered is chosen: "Leave it unassigned" is (also when the heir chosen before can
    /// no longer inherit, so that the form never goes without a choice shown).
    unassigned: bool,
    candidates: Vec<Choice>,
    error: Option<String>,
    /// Always there: the template includes it as an option.
    reason: Option<ReasonField>,
}

#[derive(askama::Template)]
#[template(path = "users/remove_dialog.html")]
struct RemoveDialog<'a> {
    view: &'a RemoveView,
}

#[derive(askama::Template)]
#[template(path = "users/remove_page.html")]
struct RemovePage<'a> {
    chrome: super::auth::Chrome,
    view: &'a RemoveView,
}

#[derive(askama::Template)]
#[template(path = "users/_picker_options.html")]
struct PickerOptions<'a> {
    view: &'a RemoveView,
}

/// "3 apps, 1 workflow and 12 contacts".
fn owned_words(owned: &[(String, i64)]) -> String {
    let words: Vec<String> = owned
        .iter()
        .map(|(kind, n)| super::views::count(*n, kind, &format!("{kind}s")))
        .collect();
    match words.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

async fn remove_view(
    state: &AppState,
    access: &WorkspaceAccess,
    id: MembershipId,
    form: &RemoveForm,
    error: Option<String>,
    reason_error: Option<String>,
) -> Result<RemoveView, AppError> {
    let member = confirmable(state, access, id, MemberAction::Remove).await?;
    let (workspace, q) = (access.workspace.id, form.q.to_string());
    let search = form.q.non_empty();
    let chosen = MembershipId::parse(form.reassign_to.trim()).filter(|heir| *heir != id);
    let (owned, candidates, more) = blocking(state, move |conn| {
        let owned = ownership::owned_by_kind(conn, id)?;
        let filter = memberships::ListFilter {
            search,
            status: Some(MembershipStatus::Active),
            // Someone blocked cannot sign in to use what they would be given.
            not_blocked: true,
            ..Default::default()
        };
        let wanted = memberships::PageOf::first(&filter, 9);
        let page = memberships::list_page(conn, workspace, wanted, Default::default())?;
        let others: Vec<_> = page.rows.into_iter().filter(|r| r.id != id).collect();
        let more = page.has_next || others.len() > 8;
        let mut candidates: Vec<(MembershipId, String)> = others
            .into_iter()
            .take(8)
            .map(|r| (r.id, r.label()))
            .collect();
        // The heir chosen stays offered (and chosen) whatever the search shows now: a refused
        // form, or a search typed after choosing, does not drop them unseen.
        if let Some(heir) = chosen.filter(|h| !candidates.iter().any(|(c, _)| c == h)) {
            let still = memberships::detail(conn, workspace, heir, clock::now())?.filter(|d| {
                d.status == MembershipStatus::Active && d.account_status != AccountStatus::Blocked
            });
            if let Some(d) = still {
                candidates.insert(0, (heir, memberships::picker_label(d.name(), &d.email)));
            }
        }
        Ok((owned, candidates, more))
    })
    .await?;
    let slug = &access.workspace.slug;
    let from = form.origin();
    Ok(RemoveView {
        name: member.name(),
        workspace: access.workspace.name.clone(),
        owned: owned_words(&owned),
        action: format!("/w/{slug}/users/{id}/remove{}", from.query()),
        page_url: format!("/w/{slug}/users/{id}/remove"),
        picker_url: format!("/w/{slug}/users/{id}/remove/picker"),
        cancel_url: from.back(slug, id, ""),
        csrf_token: access.signed_in.csrf_token.clone(),
        unassigned: !candidates.iter().any(|(heir, _)| Some(*heir) == chosen),
        candidates: candidates
            .into_iter()
            .map(|(heir, label)| Choice {
                selected: Some(heir) == chosen,
                value: heir.to_string(),
                label,
            })
            .collect(),
        q,
        more,
        error,
        reason: Some(ReasonField {
            value: form.reason.clone(),
            error: reason_error,
        }),
    })
}

use super::htmx::varying_html as html;

/// The revoke dialog (htmx) or page for this form, with `error` beside the choice or
/// `reason_error` beside the reason (422) if any.
async fn render_remove(
    req: &HttpRequest,
    state: &AppState,
    access: &WorkspaceAccess,
    id: MembershipId,
    form: &RemoveForm,
    error: Option<String>,
    reason_error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let status = if error.is_some() || reason_error.is_some() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    let view = &remove_view(state, access, id, form, error, reason_error).await?;
    use askama::Template;
    let body = if wants_fragment(req) {
        RemoveDialog { view }.render()?
    } else {
        RemovePage {
            chrome: access.chrome(state, "users").await?,
            view,
        }
        .render()?
    };
    Ok(html(status, body))
}

pub async fn confirm_remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
    form: web::Query<RemoveForm>,
) -> Result<HttpResponse, AppError> {
    render_remove(
        &req,
        &state,
        &access,
        member_id(&path.1)?,
        &form,
        None,
        None,
    )
    .await
}

/// The picker's options for a search (htmx type-ahead inside the revoke dialog).
pub async fn remove_picker(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
    form: web::Query<RemoveForm>,
) -> Result<HttpResponse, AppError> {
    use askama::Template;
    let id = member_id(&path.1)?;
    let view = remove_view(&state, &access, id, &form, None, None).await?;
    Ok(html(
        actix_web::http::StatusCode::OK,
        PickerOptions { view: &view }.render()?,
    ))
}

pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
    from: web::Query<Origin>,
    form: web::Form<RemoveForm>,
) -> Result<HttpResponse, AppError> {
    access.attempt(MemberAction::Remove)?;
    let id = member_id(&path.1)?;
    let mut form = form.into_inner();
    form.from = from.from.clone();
    let reassign_to = match form.reassign_to.trim() {
        "" => None,
        text => match MembershipId::parse(text) {
            Some(heir) => Some(heir),
            None => {
                let why = "Choose a member from the list, or leave it unassigned.".to_owned();
                return render_remove(&req, &state, &access, id, &form, Some(why), None).await;
            }
        },
    };
    let reason = match Reason::parse(&form.reason) {
        Ok(reason) => reason,
        Err(e) => {
            let why = Some(e.to_string());
            return render_remove(&req, &state, &access, id, &form, None, why).await;
        }
    };
    let outcome = with_acting(&state, &access, move |conn, acting, workspace| {
        Ok(console::remove(
            conn,
            acting,
            workspace,
            id,
            reassign_to,
            reason.as_ref(),
            clock::now(),
        ))
    })
    .await?;
    let removed = match outcome {
        Ok(removed) => removed,
        Err(ConsoleError::Invalid(why)) => {
            return render_remove(&req, &state, &access, id, &form, Some(why), None).await;
        }
        Err(e) => return Err(e.into()),
    };
    let handed = match (&removed.reassigned_to, removed.moved) {
        (_, 0) => String::new(),
        (Some(heir), n) => format!(
            " {} went to {}.",
            super::views::count(n as i64, "thing they owned", "things they owned"),
            heir.name()
        ),
        (None, n) => format!(
            " {} left unassigned.",
            super::views::count(n as i64, "thing they owned is", "things they owned are")
        ),
    };
    let message = format!(
        "{} was removed: their access ended.{handed} You can restore the membership for 14 days.",
        removed.member.name()
    );
    done(&req, &access, &form.origin(), id, &message)
}
