//! The invite form: what it asks (addresses, a role, groups, apps) and what it shows, shared by
//! the invite dialog and Slack's "add people" dialog.

use serde::Deserialize;

use super::auth::WorkspaceAccess;
use super::error::AppError;
use super::views::{self, Choice};
use super::{AppState, blocking};
use crate::domain::policy;
use crate::domain::role::Permission;
use crate::domain::spreadsheet::controls_marked;
use crate::services::invitations::InviteProblems;
use crate::services::roles;
use crate::store::{apps, groups};

/// After people were invited or added with `role`: rule 5's warning (" 4 of 5 members would be
/// Admins…", with its leading space) when the role is Admin, counted as if everyone invited had
/// joined, as a role change to Admin says it; else nothing.
pub async fn admin_warning(
    state: &AppState,
    access: &WorkspaceAccess,
    role: &str,
) -> Result<String, AppError> {
    if role != crate::domain::role::BuiltInRole::Admin.key() {
        return Ok(String::new());
    }
    let workspace = access.workspace.id;
    let warning = blocking(state, move |conn| {
        Ok(crate::services::console::admin_share_once_joined(
            conn, workspace,
        )?)
    })
    .await?;
    Ok(warning.map(|w| format!(" {w}")).unwrap_or_default())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    pub emails: String,
    pub role: String,
    pub group_id: Vec<i64>,
    pub app_id: Vec<i64>,
}

/// What both the dialog and the page show.
pub struct InviteView {
    pub slug: String,
    pub workspace: String,
    pub csrf_token: String,
    pub emails: String,
    pub roles: Vec<Choice>,
    pub groups: Vec<Choice>,
    pub apps: Vec<Choice>,
    pub problems: InviteProblems,
    pub seats: Option<String>,
    /// The "From Slack" tab: where Slack is connected, or for someone who may connect it.
    pub slack_tab: bool,
    /// How long an invitation's link lasts.
    pub valid_days: i64,
}

/// The form's view: the roles this person may grant, the groups and apps they may give (each
/// marked as chosen in `form`), the seats in use, and `problems` beside their fields.
pub async fn view(
    state: &AppState,
    access: &WorkspaceAccess,
    form: &InviteForm,
    problems: InviteProblems,
) -> Result<InviteView, AppError> {
    let workspace = access.workspace.id;
    let permissions = access.permissions;
    let (role_choices, group_names, app_names, slack_tab) = blocking(state, move |conn| {
        let roles = roles::choices(conn, workspace)?;
        let groups = if permissions.contains(Permission::GroupsManage) {
            groups::names(conn, workspace)?
        } else {
            Vec::new()
        };
        let apps = if permissions.contains(Permission::AppsManage) {
            apps::names(conn, workspace)?
        } else {
            Vec::new()
        };
        let slack_tab = permissions.contains(Permission::SlackManage)
            || crate::store::slack::find(conn, workspace)?.is_some();
        Ok((roles, groups, apps, slack_tab))
    })
    .await?;
    let chosen_role = if form.role.is_empty() {
        "member"
    } else {
        form.role.as_str()
    };
    let roles = role_choices
        .into_iter()
        // Only the roles this person may grant are offered (only Owners invite Owners).
        .filter(|r| policy::may_grant_role(permissions, r.permissions).is_ok())
        .map(|r| Choice {
            selected: r.key == chosen_role,
            value: r.key,
            label: r.name,
        })
        .collect();
    let groups = group_names
        .into_iter()
        .map(|(id, name)| Choice {
            selected: form.group_id.contains(&id),
            value: id.to_string(),
            label: name,
        })
        .collect();
    let apps = app_names
        .into_iter()
        .map(|(id, kind, name)| Choice {
            selected: form.app_id.contains(&id),
            value: id.to_string(),
            label: format!("{name} ({kind})"),
        })
        .collect();
    let w = &access.workspace;
    let seats = w.seat_limit.map(|limit| {
        format!(
            "{} plan: {}",
            w.plan.name(),
            views::seats_used(w.counts.seats_used(), Some(limit))
        )
    });
    Ok(InviteView {
        slug: w.slug.clone(),
        workspace: w.name.clone(),
        csrf_token: access.signed_in.csrf_token.clone(),
        emails: controls_marked(&form.emails).into_owned(),
        roles,
        groups,
        apps,
        problems: InviteProblems {
            addresses: problems
                .addresses
                .into_iter()
                .map(|(typed, why)| (controls_marked(&typed).into_owned(), why))
                .collect(),
            ..problems
        },
        seats,
        slack_tab,
        valid_days: state.settings.invite_ttl_days,
    })
}
