//! Apps, workflows and projects (issue 6): the list with search and create; an app's page with an
//! Overview tab (name, kind, owner, the Restricted switch) and a Access tab (grants to members
//! and groups at view < run < edit, and "who can run this?" with the reason per person); delete.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::acting::{as_viewer, read_page};
use super::auth::{Chrome, WorkspaceAccess};
use super::error::AppError;
use super::forms::FieldErrors;
use super::htmx::{page_or_fragment, render_with_status};
use super::{AppState, blocking, confirm, views};
use crate::domain::access::{AppKind, Level, UNRESTRICTED_LEVEL};
use crate::domain::role::Permission;
use crate::domain::{Email, Name, SearchTerm};
use crate::services::apps::{
    self as service, AppInput, ChangeError, GrantTo, Granted, InWorkspace,
};
use crate::store::apps::{self, App, GrantLine, Holder, Reach};
use crate::store::groups;

/// An app's fields, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct AppForm {
    pub kind: String,
    pub name: String,
    pub owner_email: String,
    /// A checkbox: present ("on") when ticked.
    pub restricted: Option<String>,
}

impl AppForm {
    fn of(app: &App) -> Self {
        Self {
            kind: app.kind.key().to_owned(),
            name: app.name.clone(),
            owner_email: app
                .owner
                .as_ref()
                .map(|o| o.email.clone())
                .unwrap_or_default(),
            restricted: app.restricted.then(|| "on".to_owned()),
        }
    }

    fn parse(&self, errors: &mut FieldErrors) -> Option<AppInput> {
        let kind = errors.check("kind", AppKind::parse(&self.kind));
        let name = errors.check("name", Name::parse_label(&self.name));
        let owner = match self.owner_email.trim() {
            "" => Some(None),
            typed => errors.check("owner_email", member_address(typed)).map(Some),
        };
        Some(AppInput {
            kind: kind?,
            name: name?,
            owner: owner?,
            keep_owner: false,
            restricted: self.restricted.is_some(),
        })
    }
}

/// A member's address as typed in a field that suggests members: "Grace Hopper <grace@…>" is its
/// address, as in the invite box; a name typed without choosing one of the suggestions is said
/// to be one, not an invalid address.
fn member_address(typed: &str) -> Result<Email, String> {
    let typed = match (typed.rfind('<'), typed.rfind('>')) {
        (Some(open), Some(close)) if open < close => &typed[open + 1..close],
        _ => typed,
    };
    if typed.contains('@') {
        Email::parse(typed).map_err(|e| e.to_string())
    } else {
        Err(format!(
            "Choose {typed} from the suggestions as you type, or type their email address."
        ))
    }
}

/// A refused form change: its message beside the field, or the page's answer.
fn form_error(e: ChangeError, errors: &mut FieldErrors) -> Result<(), AppError> {
    match e {
        ChangeError::NameTaken(_) => errors.add("name", e),
        ChangeError::NotAMember | ChangeError::SeesNoPeople => errors.add("owner_email", e),
        other => return Err(AppError::from(other)),
    }
    Ok(())
}

fn in_workspace(access: &WorkspaceAccess, app: i64) -> InWorkspace {
    InWorkspace {
        workspace: access.workspace.id,
        app,
    }
}

/// "Group Finance" from "group Finance" (an address stays as it is).
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if !text.contains('@') => first.to_uppercase().chain(chars).collect(),
        _ => text.to_owned(),
    }
}

/// The kinds for a select: (key, label).
fn kinds() -> Vec<(&'static str, &'static str)> {
    AppKind::ALL.iter().map(|k| (k.key(), k.label())).collect()
}

// ---------------------------------------------------------------------------------------------
// The list

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub q: SearchTerm,
    pub kind: String,
}

pub struct AppLine {
    pub id: i64,
    pub kind: &'static str,
    pub name: String,
    pub owner: String,
    pub restricted: bool,
    pub grants: String,
}

impl From<App> for AppLine {
    fn from(app: App) -> Self {
        Self {
            id: app.id,
            kind: app.kind.label(),
            owner: app.owner.map(|o| o.name).unwrap_or_default(),
            restricted: app.restricted,
            grants: views::count(app.grant_count, "grant", "grants"),
            name: app.name,
        }
    }
}

#[derive(Template)]
#[template(path = "apps/list.html", blocks = ["results"])]
struct ListPage {
    chrome: Chrome,
    slug: String,
    q: String,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
    apps: Vec<AppLine>,
    can_manage: bool,
    /// Whether the viewer may name members (an owner, a grant): it takes `users.view`.
    sees_people: bool,
    form: AppForm,
    errors: FieldErrors,
}

async fn list_view(
    state: &AppState,
    access: &WorkspaceAccess,
    query: ListQuery,
    form: AppForm,
    errors: FieldErrors,
) -> Result<ListPage, AppError> {
    let q = query.q.to_string();
    let kind = AppKind::parse(&query.kind).ok();
    let (workspace, search) = (access.workspace.id, q.clone());
    let (found, chrome) = read_page(state, access, "apps", move |conn| {
        Ok(apps::list(conn, workspace, kind, &search)?)
    })
    .await?;
    Ok(ListPage {
        chrome,
        slug: access.workspace.slug.clone(),
        q,
        kind: kind.map(|k| k.key().to_owned()).unwrap_or_default(),
        kinds: kinds(),
        apps: found.into_iter().map(AppLine::from).collect(),
        can_manage: access.can(Permission::AppsManage),
        sees_people: access.can(Permission::UsersView),
        form,
        errors,
    })
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::AppsView)?;
    let form = AppForm {
        kind: AppKind::App.key().to_owned(),
        ..Default::default()
    };
    let page = list_view(
        &state,
        &access,
        query.into_inner(),
        form,
        FieldErrors::default(),
    )
    .await?;
    page_or_fragment(&req, &page, |p| p.as_results().render())
}

pub async fn create(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: web::Form<AppForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::AppsManage)?;
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    if let Some(input) = form.parse(&mut errors) {
        let workspace = access.workspace.id;
        let created = as_viewer(&state, &access, move |conn, actor, now| {
            service::create(conn, actor, workspace, &input, now).map(|id| (id, input))
        })
        .await?;
        match created {
            Ok((id, input)) => {
                let message = format!("{} {} created.", input.kind.label(), input.name);
                return access.show_after(&format!("apps/{id}/permissions"), &message);
            }
            Err(e) => form_error(e, &mut errors)?,
        }
    }
    let page = list_view(&state, &access, ListQuery::default(), form, errors).await?;
    render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

// ---------------------------------------------------------------------------------------------
// An app's page: Overview and Permissions

/// A grant's form: to a group (by id) or a member (by address), at a level.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct GrantForm {
    pub group_id: String,
    pub email: String,
    pub level: String,
}

/// "Who can … this?": the level asked about.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WhoQuery {
    pub level: String,
}

pub struct HolderLine {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub level: &'static str,
    pub reason: String,
}

impl From<Holder> for HolderLine {
    fn from(h: Holder) -> Self {
        Self {
            id: h.id.0,
            name: h.name,
            email: h.email,
            level: h.access.level.key(),
            reason: h.access.reasons.join(", "),
        }
    }
}

/// The answer to "who can {level} this?".
pub struct WhoCan {
    pub level: &'static str,
    /// True when everyone in the workspace may (the app is not restricted and the level is at
    /// most what that gives).
    pub everyone: bool,
    pub holders: Vec<HolderLine>,
    /// "3 members", "Up to 100,010 members (…)".
    pub total: String,
    /// What the list leaves out, in words.
    pub more: Option<String>,
}

impl WhoCan {
    /// The first holders found of `level` and how far the count reaches, in words.
    fn new(level: Level, everyone: bool, holders: Vec<Holder>, reach: Reach) -> Self {
        let shown = holders.len() as i64;
        let (total, more) = match reach {
            Reach::Exact(n) => (
                views::count(n, "member", "members"),
                (n > shown).then(|| format!("And {} more.", views::number(n - shown))),
            ),
            Reach::AtMost(n) => (
                format!(
                    "Up to {} (counted from the groups' sizes)",
                    views::count(n, "member", "members")
                ),
                Some("And more: the groups are too large to count person by person.".to_owned()),
            ),
        };
        Self {
            level: level.key(),
            everyone,
            total,
            more,
            holders: holders.into_iter().map(HolderLine::from).collect(),
        }
    }
}

const WHO_LIMIT: i64 = 50;

#[derive(Template)]
#[template(path = "apps/show.html")]
struct ShowPage {
    chrome: Chrome,
    slug: String,
    base: String,
    app: App,
    tab: &'static str,
    can_manage: bool,
    /// Whether the viewer may name members (an owner, a grant): it takes `users.view`. Without
    /// it, nor `groups.view`, names are not links to pages they cannot open.
    sees_people: bool,
    sees_groups: bool,
    kinds: Vec<(&'static str, &'static str)>,
    levels: [&'static str; 3],
    form: AppForm,
    errors: FieldErrors,
    grants: Vec<GrantLine>,
    groups: Vec<(i64, String)>,
    grant: GrantForm,
    who: Option<WhoCan>,
}

/// What a refused form brings back, as typed.
#[derive(Default)]
struct Typed {
    form: Option<AppForm>,
    grant: GrantForm,
    errors: FieldErrors,
}

async fn show_view(
    state: &AppState,
    access: &WorkspaceAccess,
    id: i64,
    tab: &'static str,
    who_level: Level,
    typed: Typed,
) -> Result<ShowPage, AppError> {
    let workspace = access.workspace.id;
    let manage = access.can(Permission::AppsManage);
    let ((app, grants, group_names, who), chrome) = read_page(state, access, "apps", move |conn| {
        let app = apps::find(conn, workspace, id)?.ok_or(AppError::NotFound)?;
        let (grants, group_names, who) = if tab == "permissions" {
            let group_names = if manage {
                groups::names(conn, workspace)?
            } else {
                Vec::new()
            };
            let everyone = !app.restricted && who_level <= UNRESTRICTED_LEVEL;
            let who = if everyone {
                (Vec::new(), Reach::Exact(0))
            } else {
                apps::who_can(conn, workspace, &app, who_level, WHO_LIMIT)?
            };
            (
                apps::grants_of(conn, id)?,
                group_names,
                Some((everyone, who)),
            )
        } else {
            (Vec::new(), Vec::new(), None)
        };
        Ok((app, grants, group_names, who))
    })
    .await?;
    let who =
        who.map(|(everyone, (holders, reach))| WhoCan::new(who_level, everyone, holders, reach));
    let restricted = app.restricted;
    Ok(ShowPage {
        chrome,
        slug: access.workspace.slug.clone(),
        base: format!("/w/{}/apps/{id}", access.workspace.slug),
        form: typed.form.unwrap_or_else(|| AppForm::of(&app)),
        app,
        tab,
        can_manage: manage,
        sees_people: access.can(Permission::UsersView),
        sees_groups: access.can(Permission::GroupsView),
        kinds: kinds(),
        levels: [Level::View.key(), Level::Run.key(), Level::Edit.key()],
        errors: typed.errors,
        grants,
        groups: group_names,
        grant: GrantForm {
            // An unrestricted app is run by every member already: only edit adds anything.
            level: match (typed.grant.level.is_empty(), restricted) {
                (false, _) => typed.grant.level,
                (true, true) => Level::Run.key().to_owned(),
                (true, false) => Level::Edit.key().to_owned(),
            },
            ..typed.grant
        },
        who,
    })
}

/// The app's page again on `tab` (422), with the refused form as typed and its messages.
async fn refused(
    state: &AppState,
    access: &WorkspaceAccess,
    id: i64,
    tab: &'static str,
    typed: Typed,
) -> Result<HttpResponse, AppError> {
    let page = show_view(state, access, id, tab, Level::Run, typed).await?;
    render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

pub async fn show(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::AppsView)?;
    let page = show_view(
        &state,
        &access,
        path.1,
        "overview",
        Level::Run,
        Typed::default(),
    )
    .await?;
    render_with_status(StatusCode::OK, &page)
}

pub async fn permissions(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
    query: web::Query<WhoQuery>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::AppsView)?;
    let level = Level::from_key(&query.level).unwrap_or(Level::Run);
    let page = show_view(
        &state,
        &access,
        path.1,
        "permissions",
        level,
        Typed::default(),
    )
    .await?;
    render_with_status(StatusCode::OK, &page)
}

pub async fn update(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
    form: web::Form<AppForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::AppsManage)?;
    let (id, form) = (path.1, form.into_inner());
    let mut errors = FieldErrors::default();
    if let Some(mut input) = form.parse(&mut errors) {
        // Their form has no owner field: the owner stays whoever it is by now.
        input.keep_owner = !access.can(Permission::UsersView);
        let at = in_workspace(&access, id);
        let done = as_viewer(&state, &access, move |conn, actor, now| {
            service::update(conn, actor, at, &input, now)
        })
        .await?;
        match done {
            Ok(()) => return access.show_after(&format!("apps/{id}"), "Saved."),
            Err(e) => form_error(e, &mut errors)?,
        }
    }
    let typed = Typed {
        form: Some(form),
        errors,
        ..Default::default()
    };
    refused(&state, &access, id, "overview", typed).await
}

pub async fn give_access(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
    form: web::Form<GrantForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::AppsManage)?;
    let (id, form) = (path.1, form.into_inner());
    let mut errors = FieldErrors::default();
    let level = errors.check(
        "level",
        Level::from_key(&form.level).ok_or("Choose view, run or edit."),
    );
    // The group form sends a group; the member form an address.
    let to = match (form.group_id.trim(), form.email.trim()) {
        ("", "") => {
            errors.add("email", "Type a member's email address, or choose a group.");
            None
        }
        ("", email) => errors
            .check("email", member_address(email))
            .map(GrantTo::Member),
        (group, _) => errors
            .check(
                "group_id",
                group.parse::<i64>().map_err(|_| "Choose a group."),
            )
            .map(GrantTo::Group),
    };
    if let (Some(to), Some(level)) = (to, level) {
        let at = in_workspace(&access, id);
        let done = as_viewer(&state, &access, move |conn, actor, now| {
            service::grant(conn, actor, at, &to, level, now)
        })
        .await?;
        match done {
            Ok(outcome) => {
                let who = capitalized(&outcome.label);
                let message = match (outcome.beyond, outcome.granted) {
                    // A lower grant than they reach another way: say what they keep.
                    (Some(beyond), _) => format!(
                        "The grant of {} is {level} now; they may still {} it ({}).",
                        outcome.label,
                        beyond.level,
                        beyond.reasons.join(", ")
                    ),
                    // Not restricted: every active member may run it already.
                    (None, _) if outcome.open_to_all => format!(
                        "{who} holds {level} now, which every active member may do already: \
                         the app is not restricted, so only an edit grant gives more."
                    ),
                    (None, Granted::Added) => format!("{who} may now {level} it."),
                    (None, Granted::Changed { before }) => {
                        format!("{who} may now {level} it (was {before}).")
                    }
                    (None, Granted::Unchanged) => format!("{who} could {level} it already."),
                };
                return access.show_after(&format!("apps/{id}/permissions"), &message);
            }
            Err(e @ (ChangeError::NotAMember | ChangeError::SeesNoPeople)) => {
                errors.add("email", e)
            }
            Err(ChangeError::NoSuchGroup) => errors.add("group_id", ChangeError::NoSuchGroup),
            Err(e) => return Err(AppError::from(e)),
        }
    }
    let typed = Typed {
        grant: form,
        errors,
        ..Default::default()
    };
    refused(&state, &access, id, "permissions", typed).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LevelForm {
    pub level: String,
}

pub async fn change_level(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64, i64)>,
    form: web::Form<LevelForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::AppsManage)?;
    let (id, grant_id) = (path.1, path.2);
    let Some(level) = Level::from_key(&form.level) else {
        let mut errors = FieldErrors::default();
        errors.add("level", "Choose view, run or edit.");
        let typed = Typed {
            errors,
            ..Default::default()
        };
        return refused(&state, &access, id, "permissions", typed).await;
    };
    let at = in_workspace(&access, id);
    let who = as_viewer(&state, &access, move |conn, actor, now| {
        service::change_level(conn, actor, at, grant_id, level, now)
    })
    .await??;
    access.show_after(
        &format!("apps/{id}/permissions"),
        &format!("{} may now {level} it.", capitalized(&who)),
    )
}

/// Ending a grant asks first: it takes access from a member, or from everyone in a group.
pub async fn confirm_revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64, i64)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::AppsManage)?;
    let (id, grant_id) = (path.1, path.2);
    let at = in_workspace(&access, id);
    let (app, grant) = blocking(&state, move |conn| {
        Ok(service::existing_grant(conn, at, grant_id)?)
    })
    .await?;
    let base = format!("/w/{}/apps/{id}", access.workspace.slug);
    let level = grant.level.key();
    let (title, message) = match grant.subject {
        apps::Subject::Group(_) => (
            format!(
                "End the access of the group {} to {}?",
                grant.name, app.name
            ),
            match grant.members.unwrap_or_default() {
                0 => "Nobody is in the group now. You can grant it again at any time.".to_owned(),
                n => format!(
                    "{} the {level} access the group gives, unless another grant gives it. You \
                     can grant it again at any time.",
                    if n == 1 {
                        "Its 1 member loses".to_owned()
                    } else {
                        format!("Its {} members lose", views::number(n))
                    }
                ),
            },
        ),
        apps::Subject::Member(_) => (
            format!("End the access of {} to {}?", grant.name, app.name),
            format!(
                "{} loses the {level} access this grant gives, unless a group gives it. You can \
                 grant it again at any time.",
                grant.name
            ),
        ),
    };
    let confirmation = confirm::Confirmation::dangerous(
        &access,
        title,
        message,
        Some(format!("{base}/grants/{grant_id}/remove")),
        "End access",
        format!("{base}/permissions"),
    );
    confirm::render(&req, &state, &access, "apps", confirmation).await
}

pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64, i64)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::AppsManage)?;
    let (id, grant_id) = (path.1, path.2);
    let at = in_workspace(&access, id);
    let who = as_viewer(&state, &access, move |conn, actor, now| {
        service::revoke(conn, actor, at, grant_id, now)
    })
    .await??;
    super::forms::flash(
        &access.signed_in.session,
        &format!("The grant to {who} ended."),
    )?;
    let permissions = format!("/w/{}/apps/{id}/permissions", access.workspace.slug);
    Ok(super::htmx::leave_for(&req, &permissions))
}

// ---------------------------------------------------------------------------------------------
// Delete

pub async fn confirm_delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::AppsManage)?;
    let (workspace, id) = (access.workspace.id, path.1);
    let (app, invitations) = blocking(&state, move |conn| {
        let app = apps::find(conn, workspace, id)?.ok_or(AppError::NotFound)?;
        let chosen = crate::store::invitations::Chosen::App(id);
        let now = crate::clock::now();
        Ok((app, crate::store::invitations::choosing(conn, chosen, now)?))
    })
    .await?;
    let base = format!("/w/{}/apps/{id}", access.workspace.slug);
    let kind = app.kind.label().to_lowercase();
    let grants = match app.grant_count {
        0 => "It holds no grants.".to_owned(),
        n => format!(
            "Its {} {}.",
            views::count(n, "grant", "grants"),
            if n == 1 { "ends" } else { "end" }
        ),
    };
    let confirmation = confirm::Confirmation::delete(
        &access,
        base,
        format!("Delete the {kind} {}?", app.name),
        format!(
            "{grants}{} This cannot be undone.",
            views::chosen_in_invitations(invitations)
        ),
        &format!("Delete {kind}"),
    );
    confirm::render(&req, &state, &access, "apps", confirmation).await
}

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::AppsManage)?;
    let at = in_workspace(&access, path.1);
    let app = as_viewer(&state, &access, move |conn, actor, now| {
        service::delete(conn, actor, at, now)
    })
    .await??;
    let message = format!("{} {} deleted.", app.kind.label(), app.name);
    confirm::deleted(&req, &access, &message, "apps")
}
