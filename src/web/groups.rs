//! Groups (issue 6): the list with search and create, a group's page (rename and describe, its
//! members with a type-ahead picker and a pasted list of addresses, its grants), and delete.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::acting::{as_viewer, read_page};
use super::auth::{Chrome, WorkspaceAccess};
use super::error::AppError;
use super::forms::{FieldErrors, HtmlForm};
use super::frame_cache::AsOf;
use super::htmx::{page_or_fragment, render_with_status};
use super::views::{self, PersonLine};
use super::{AppState, blocking, confirm};
use crate::domain::ids::MembershipId;
use crate::domain::invitation::{MAX_ADDRESSES, parse_address_list};
use crate::domain::role::Permission;
use crate::domain::{Description, Name, SearchTerm};
use crate::services::groups::{self as service, Group, GroupError, InWorkspace};
use crate::store::groups;
use crate::store::memberships::{self, Cursor, GroupFilter, ListFilter, MemberRow, PageOf};

/// The name and description fields, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct GroupForm {
    pub name: String,
    pub description: String,
}

impl GroupForm {
    pub fn parse(&self, errors: &mut FieldErrors) -> Option<(Name, Description)> {
        let name = errors.check("name", Name::parse_label(&self.name));
        let description = errors.check("description", Description::parse(&self.description));
        name.zip(description)
    }
}

fn group_error(e: GroupError, errors: &mut FieldErrors) -> Result<(), AppError> {
    match e {
        GroupError::NameTaken => {
            errors.add("name", GroupError::NameTaken);
            Ok(())
        }
        GroupError::NotFound | GroupError::NotAMember => Err(AppError::NotFound),
        GroupError::Refused(why) => Err(AppError::Forbidden(why)),
        GroupError::Database(e) => Err(e.into()),
    }
}

fn in_workspace(access: &WorkspaceAccess, group: i64) -> InWorkspace {
    InWorkspace {
        workspace: access.workspace.id,
        group,
        by: access.permissions,
    }
}

// ---------------------------------------------------------------------------------------------
// The list

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub q: SearchTerm,
}

pub struct GroupLine {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub members: String,
    pub grants: String,
}

impl From<Group> for GroupLine {
    fn from(g: Group) -> Self {
        Self {
            id: g.id,
            members: views::count(g.member_count, "member", "members"),
            grants: views::count(g.grant_count, "grant", "grants"),
            name: g.name,
            description: g.description,
        }
    }
}

#[derive(Template)]
#[template(path = "groups/list.html", blocks = ["results"])]
struct ListPage {
    chrome: Chrome,
    slug: String,
    q: String,
    groups: Vec<GroupLine>,
    /// As many as a list shows: there may be more, which a search finds.
    capped: bool,
    can_manage: bool,
    form: GroupForm,
    errors: FieldErrors,
}

async fn list_view(
    state: &AppState,
    access: &WorkspaceAccess,
    q: String,
    form: GroupForm,
    errors: FieldErrors,
) -> Result<ListPage, AppError> {
    let (workspace, search) = (access.workspace.id, q.clone());
    let (mut found, chrome) = read_page(state, access, "groups", move |conn| {
        Ok(service::list(conn, workspace, &search)?)
    })
    .await?;
    let capped = found.len() > crate::store::groups::SHOWN;
    found.truncate(crate::store::groups::SHOWN);
    Ok(ListPage {
        chrome,
        slug: access.workspace.slug.clone(),
        q,
        capped,
        groups: found.into_iter().map(GroupLine::from).collect(),
        can_manage: access.can(Permission::GroupsManage),
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
    access.require(Permission::GroupsView)?;
    let q = query.into_inner().q.to_string();
    let page = list_view(
        &state,
        &access,
        q,
        GroupForm::default(),
        FieldErrors::default(),
    )
    .await?;
    page_or_fragment(&req, &page, |p| p.as_results().render())
}

pub async fn create(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: web::Form<GroupForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::GroupsManage)?;
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    if let Some((name, description)) = form.parse(&mut errors) {
        let (workspace, shown) = (access.workspace.id, name.to_string());
        let created = as_viewer(&state, &access, move |conn, actor, now| {
            service::create(conn, actor, workspace, &name, &description, now)
        })
        .await?;
        match created {
            Ok(id) => {
                return access
                    .show_after(&format!("groups/{id}"), &format!("Group {shown} created."));
            }
            Err(e) => group_error(e, &mut errors)?,
        }
    }
    let page = list_view(&state, &access, String::new(), form, errors).await?;
    render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

// ---------------------------------------------------------------------------------------------
// A group's page

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    pub after: Option<i64>,
    pub before: Option<i64>,
}

pub struct GrantLine {
    pub kind: String,
    pub app: String,
    pub level: String,
    /// The app's Access tab (where the grant is changed), for those who may open it.
    pub href: Option<String>,
}

impl GrantLine {
    /// Where the apps are (`/w/{slug}/apps`), for someone who may open them.
    fn links(access: &WorkspaceAccess) -> Option<String> {
        let at = format!("/w/{}/apps", access.workspace.slug);
        access.can(Permission::AppsView).then_some(at)
    }

    /// A group's grants (app id, kind, app, level) as its page lists them, each app linked under
    /// `apps_at` when given.
    fn of(rows: Vec<(i64, String, String, String)>, apps_at: Option<&str>) -> Vec<Self> {
        rows.into_iter()
            .map(|(app_id, kind, app, level)| Self {
                href: apps_at.map(|at| format!("{at}/{app_id}/permissions")),
                kind,
                app,
                level,
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "groups/show.html")]
struct ShowPage {
    chrome: Chrome,
    slug: String,
    base: String,
    group: Group,
    members: Vec<PersonLine>,
    member_count: String,
    prev_url: Option<String>,
    next_url: Option<String>,
    grants: Vec<GrantLine>,
    can_manage: bool,
    /// Who is in it may be changed by this viewer (`groups.manage`, and `apps.manage` when it holds
    /// grants); otherwise, with `groups.manage`, why not.
    can_change_members: bool,
    /// Adding lists the workspace's people: it takes `users.view` too.
    can_add_members: bool,
    members_locked: Option<&'static str>,
    form: GroupForm,
    errors: FieldErrors,
    /// The pasted addresses, as typed, and their message.
    emails: String,
    picker: Picker,
}

/// The type-ahead picker's search and its options.
#[derive(Template, Default)]
#[template(path = "groups/_picker_options.html")]
pub struct Picker {
    pub q: String,
    pub options: Vec<PickerOption>,
    /// More members match than are offered: type more to find them.
    pub more: bool,
}

pub struct PickerOption {
    pub id: MembershipId,
    pub label: String,
    pub in_group: bool,
}

/// What a group's page shows besides its forms.
struct Loaded {
    group: Group,
    rows: Vec<MemberRow>,
    has_previous: bool,
    has_next: bool,
    grants: Vec<GrantLine>,
    picker: Picker,
}

impl Loaded {
    /// The addresses of the pages of members before and after this one, where there are any.
    fn page_links(&self, base: &str) -> (Option<String>, Option<String>) {
        let at = |more: bool, row: Option<&MemberRow>, side: &str| {
            row.filter(|_| more)
                .map(|r| format!("{base}?{side}={}", r.id))
        };
        (
            at(self.has_previous, self.rows.first(), "before"),
            at(self.has_next, self.rows.last(), "after"),
        )
    }
}

const PAGE: i64 = 50;

/// What a refused form brings back to the group's page, as typed.
#[derive(Default)]
struct Typed {
    /// The name and description (none: the group's own).
    form: Option<GroupForm>,
    errors: FieldErrors,
    /// The pasted addresses.
    emails: String,
    /// The picker's search.
    q: SearchTerm,
}

async fn show_view(
    state: &AppState,
    access: &WorkspaceAccess,
    id: i64,
    cursor: Cursor,
    typed: Typed,
) -> Result<ShowPage, AppError> {
    let Typed {
        form,
        errors,
        emails,
        q,
    } = typed;
    let workspace = access.workspace.id;
    let manage = access.can(Permission::GroupsManage);
    let adds = manage && access.can(Permission::UsersView);
    let apps_at = GrantLine::links(access);
    let search = q.clone();
    let cached = access.cached.clone();
    let (loaded, chrome) = read_page(state, access, "groups", move |conn| {
        let Some(group) = service::find(conn, workspace, id)? else {
            return Err(AppError::NotFound);
        };
        let filter = ListFilter {
            group: Some(GroupFilter {
                id,
                members: group.member_count,
            }),
            ..Default::default()
        };
        let known = cached.choices(conn, workspace)?;
        let wanted = PageOf {
            cursor,
            ..PageOf::first(&filter, PAGE)
        };
        let page = memberships::list_page(
            conn,
            workspace,
            wanted,
            memberships::Known {
                groups: &known.groups,
                ..Default::default()
            },
        )?;
        let grants = GrantLine::of(groups::grants_of(conn, id)?, apps_at.as_deref());
        let picker = if adds {
            picker_options(conn, &cached, workspace, id, &search)?
        } else {
            Picker::default()
        };
        Ok(Loaded {
            group,
            rows: page.rows,
            has_previous: page.has_previous,
            has_next: page.has_next,
            grants,
            picker,
        })
    })
    .await?;
    let base = format!("/w/{}/groups/{id}", access.workspace.slug);
    let (prev_url, next_url) = loaded.page_links(&base);
    let group = loaded.group;
    let locked =
        crate::domain::policy::may_change_group_members(access.permissions, group.grant_count)
            .err();
    Ok(ShowPage {
        chrome,
        slug: access.workspace.slug.clone(),
        member_count: views::count(group.member_count, "member", "members"),
        form: form.unwrap_or_else(|| GroupForm {
            name: group.name.clone(),
            description: group.description.clone(),
        }),
        group,
        base,
        members: loaded.rows.into_iter().map(PersonLine::from).collect(),
        prev_url,
        next_url,
        grants: loaded.grants,
        can_manage: manage,
        can_change_members: manage && locked.is_none(),
        can_add_members: adds && locked.is_none(),
        members_locked: locked.filter(|_| manage),
        errors,
        emails,
        picker: Picker {
            q: q.to_string(),
            ..loaded.picker
        },
    })
}

/// Up to 8 current members matching `search` (everyone, by name, when it is empty), each marked
/// when already in the group. Uses the users list's search, so it answers fast at a million.
fn picker_options(
    conn: &mut crate::db::AnyConnection,
    cached: &AsOf,
    workspace: crate::domain::ids::WorkspaceId,
    group: i64,
    search: &SearchTerm,
) -> Result<Picker, AppError> {
    let filter = ListFilter {
        search: search.non_empty(),
        ..Default::default()
    };
    let known = cached.choices(conn, workspace)?;
    let page = cached.list_page(conn, workspace, PageOf::first(&filter, 8), &known.groups)?;
    let ids: Vec<MembershipId> = page.rows.iter().map(|r| r.id).collect();
    let inside = groups::members_among(conn, group, &ids)?;
    let options = page
        .rows
        .into_iter()
        .map(|r| PickerOption {
            id: r.id,
            in_group: inside.contains(&r.id),
            label: r.label(),
        })
        .collect();
    Ok(Picker {
        q: search.to_string(),
        options,
        more: page.has_next,
    })
}

fn cursor(query: &ShowQuery) -> Cursor {
    match (query.after, query.before) {
        (Some(id), _) => Cursor::After(MembershipId(id), None),
        (None, Some(id)) => Cursor::Before(MembershipId(id), None),
        _ => Cursor::First,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PickerQuery {
    pub q: SearchTerm,
}

/// The group's page again (422), with the refused form as typed and its messages.
async fn refused(
    state: &AppState,
    access: &WorkspaceAccess,
    id: i64,
    typed: Typed,
) -> Result<HttpResponse, AppError> {
    let page = show_view(state, access, id, Cursor::First, typed).await?;
    render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

pub async fn show(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::GroupsView)?;
    let page = show_view(&state, &access, path.1, cursor(&query), Typed::default()).await?;
    render_with_status(StatusCode::OK, &page)
}

/// The picker's options for what was typed (htmx type-ahead; without JavaScript the search
/// button reloads the page with `?q=`, handled by [`picker_page`]).
pub async fn picker(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
    query: web::Query<PickerQuery>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::GroupsManage)?;
    access.require(Permission::UsersView)?;
    let (workspace, id, search) = (access.workspace.id, path.1, query.into_inner().q);
    let cached = access.cached.clone();
    let picker = blocking(&state, move |conn| {
        if service::find(conn, workspace, id)?.is_none() {
            return Err(AppError::NotFound);
        }
        picker_options(conn, &cached, workspace, id, &search)
    })
    .await?;
    render_with_status(StatusCode::OK, &picker)
}

/// The group's page with the picker searched (the no-JavaScript path of the type-ahead).
pub async fn picker_page(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
    query: web::Query<PickerQuery>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::GroupsManage)?;
    access.require(Permission::UsersView)?;
    let page = show_view(
        &state,
        &access,
        path.1,
        Cursor::First,
        Typed {
            q: query.into_inner().q,
            ..Default::default()
        },
    )
    .await?;
    render_with_status(StatusCode::OK, &page)
}

pub async fn update(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
    form: web::Form<GroupForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::GroupsManage)?;
    let (id, form) = (path.1, form.into_inner());
    let mut errors = FieldErrors::default();
    if let Some((name, description)) = form.parse(&mut errors) {
        let at = in_workspace(&access, id);
        let done = as_viewer(&state, &access, move |conn, actor, now| {
            service::update(conn, actor, at, &name, &description, now)
        })
        .await?;
        match done {
            Ok(()) => {
                return access.show_after(&format!("groups/{id}"), "Group saved.");
            }
            Err(e) => group_error(e, &mut errors)?,
        }
    }
    refused(
        &state,
        &access,
        id,
        Typed {
            form: Some(form),
            errors,
            ..Default::default()
        },
    )
    .await
}

/// The members chosen in the picker.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddForm {
    pub membership_id: Vec<i64>,
    /// The picker's search the ticks were chosen from, kept when the add is refused.
    pub q: SearchTerm,
}

pub async fn add_members(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
    form: HtmlForm<AddForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::GroupsManage)?;
    access.require(Permission::UsersView)?;
    let (id, AddForm { membership_id, q }) = (path.1, form.0);
    let ids: Vec<MembershipId> = membership_id.into_iter().map(MembershipId).collect();
    if ids.is_empty() {
        let mut errors = FieldErrors::default();
        errors.add("membership_id", "Tick at least one member to add.");
        let typed = Typed {
            errors,
            q,
            ..Default::default()
        };
        return refused(&state, &access, id, typed).await;
    }
    let at = in_workspace(&access, id);
    let added = as_viewer(&state, &access, move |conn, actor, now| {
        service::add_members(conn, actor, at, &ids, now)
    })
    .await??;
    let page = format!("groups/{id}");
    match added.len() {
        0 => access.show_after_warning(
            &page,
            "Nobody was added: those ticked are in the group already, or no longer members of \
             the workspace.",
        ),
        1 => access.show_after(&page, &format!("Added {} to the group.", added[0])),
        n => access.show_after(&page, &format!("Added {n} members to the group.")),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BulkForm {
    pub emails: String,
}

pub async fn add_by_emails(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
    form: web::Form<BulkForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::GroupsManage)?;
    access.require(Permission::UsersView)?;
    let (id, typed) = (path.1, form.into_inner().emails);
    let pasted = parse_address_list(&typed);
    let mut errors = FieldErrors::default();
    if pasted.valid.is_empty() && pasted.invalid.is_empty() {
        errors.add("emails", "Paste at least one email address.");
    } else if !pasted.invalid.is_empty() {
        errors.add(
            "emails",
            format!("Not email addresses: {}.", pasted.invalid.join(", ")),
        );
    } else if pasted.valid.len() > MAX_ADDRESSES {
        errors.add(
            "emails",
            format!("Paste at most {MAX_ADDRESSES} addresses at a time."),
        );
    }
    if errors.is_empty() {
        let at = in_workspace(&access, id);
        let outcome = as_viewer(&state, &access, move |conn, actor, now| {
            service::add_by_emails(conn, actor, at, &pasted.valid, now)
        })
        .await??;
        // Some addresses could not be added: said as a warning, not as a success.
        return match outcome.not_members.is_empty() {
            true => access.show_after(&format!("groups/{id}"), &outcome.summary()),
            false => access.show_after_warning(&format!("groups/{id}"), &outcome.summary()),
        };
    }
    refused(
        &state,
        &access,
        id,
        Typed {
            errors,
            emails: typed,
            ..Default::default()
        },
    )
    .await
}

/// Asks before taking someone out of a group that holds app grants (its page links here when
/// it does): whatever access came only through the group goes with it.
pub async fn confirm_remove_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64, i64)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::GroupsManage)?;
    let (workspace, id, member) = (access.workspace.id, path.1, MembershipId(path.2));
    let (group, who) = blocking(&state, move |conn| {
        let group = service::find(conn, workspace, id)?.ok_or(AppError::NotFound)?;
        let who = memberships::current_among(conn, workspace, &[member])?
            .pop()
            .ok_or(AppError::NotFound)?;
        Ok((group, who.1))
    })
    .await?;
    crate::domain::policy::may_change_group_members(access.permissions, group.grant_count)
        .map_err(|why| AppError::Forbidden(why.to_owned()))?;
    let base = format!("/w/{}/groups/{id}", access.workspace.slug);
    let grants = match group.grant_count {
        0 => "The group holds no app grants: nothing else changes.".to_owned(),
        n => format!(
            "The group holds {}: {who} loses the access it gives, unless another grant gives it.",
            views::count(n, "app grant", "app grants")
        ),
    };
    let confirmation = confirm::Confirmation::dangerous(
        &access,
        format!("Take {who} out of {}?", group.name),
        format!("{grants} They stay in the workspace."),
        Some(format!("{base}/members/{}/remove", member.0)),
        "Take out of the group",
        base.clone(),
    );
    confirm::render(&req, &state, &access, "groups", confirmation).await
}

pub async fn remove_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64, i64)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::GroupsManage)?;
    let (id, member) = (path.1, MembershipId(path.2));
    let at = in_workspace(&access, id);
    let workspace = access.workspace.id;
    let (removed, who) = as_viewer(&state, &access, move |conn, actor, now| {
        let who = memberships::current_among(conn, workspace, &[member])
            .map_err(GroupError::from)?
            .pop()
            .map(|(_, email)| email);
        service::remove_member(conn, actor, at, member, now).map(|removed| (removed, who))
    })
    .await??;
    let message = match (removed, who) {
        (true, Some(who)) => format!("{who} was removed from the group."),
        (true, None) => "Removed from the group.".to_owned(),
        (false, Some(who)) => format!("{who} was not in the group."),
        (false, None) => "They were not in the group.".to_owned(),
    };
    // From the page's form, or from the dialog that asked first (htmx: the whole page goes).
    confirm::deleted(&req, &access, &message, &format!("groups/{id}"))
}

// ---------------------------------------------------------------------------------------------
// Delete

/// What deleting a group with these counts does, in words.
fn delete_words(members: i64, grants: i64, invitations: i64) -> String {
    let members = match members {
        0 => "Nobody is in it.".to_owned(),
        1 => "Its 1 member leaves the group and stays in the workspace.".to_owned(),
        n => format!(
            "Its {} leave the group and stay in the workspace.",
            views::count(n, "member", "members")
        ),
    };
    let grants = match grants {
        0 => "It holds no app grants.".to_owned(),
        n => format!(
            "Its {} {}: whoever had access only through this group loses it.",
            views::count(n, "app grant", "app grants"),
            if n == 1 { "ends" } else { "end" }
        ),
    };
    let invitations = views::chosen_in_invitations(invitations);
    format!("{members} {grants}{invitations} This cannot be undone.")
}

pub async fn confirm_delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::GroupsManage)?;
    let (workspace, id) = (access.workspace.id, path.1);
    let (group, invitations) = blocking(&state, move |conn| {
        let group = service::find(conn, workspace, id)?.ok_or(AppError::NotFound)?;
        let chosen = crate::store::invitations::Chosen::Group(id);
        let now = crate::clock::now();
        Ok((
            group,
            crate::store::invitations::choosing(conn, chosen, now)?,
        ))
    })
    .await?;
    // Not asked when the delete would be refused (a group holding grants takes apps.manage).
    crate::domain::policy::may_change_group_members(access.permissions, group.grant_count)
        .map_err(|why| AppError::Forbidden(why.to_owned()))?;
    let base = format!("/w/{}/groups/{id}", access.workspace.slug);
    let confirmation = confirm::Confirmation::delete(
        &access,
        base,
        format!("Delete the group {}?", group.name),
        delete_words(group.member_count, group.grant_count, invitations),
        "Delete group",
    );
    confirm::render(&req, &state, &access, "groups", confirmation).await
}

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::GroupsManage)?;
    let at = in_workspace(&access, path.1);
    let group = as_viewer(&state, &access, move |conn, actor, now| {
        service::delete(conn, actor, at, now)
    })
    .await??;
    confirm::deleted(
        &req,
        &access,
        &format!("Group {} deleted.", group.name),
        "groups",
    )
}

#[cfg(test)]
mod tests {
    use super::delete_words;

    #[test]
    fn the_delete_confirmation_counts_in_plain_words() {
        assert_eq!(
            delete_words(0, 0, 0),
            "Nobody is in it. It holds no app grants. This cannot be undone."
        );
        assert_eq!(
            delete_words(0, 0, 2),
            "Nobody is in it. It holds no app grants. 2 pending invitations give it: their \
             invitees join without it. This cannot be undone."
        );
        assert_eq!(
            delete_words(1, 1, 0),
            "Its 1 member leaves the group and stays in the workspace. Its 1 app grant ends: \
             whoever had access only through this group loses it. This cannot be undone."
        );
        assert!(delete_words(1200, 3, 1).starts_with("Its 1,200 members leave the group"));
    }
}
