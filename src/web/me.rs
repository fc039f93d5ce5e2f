//! `/me`: a person's own profile and workspaces (the only page a Member sees).

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::auth::{Chrome, SignedIn};
use super::error::AppError;
use super::htmx::render_with_status;
use super::{AppState, blocking, views};
use crate::domain::membership::MembershipStatus;
use crate::store::memberships;

pub struct MembershipView {
    pub name: String,
    pub slug: String,
    pub role: String,
    pub status_key: &'static str,
    pub status_label: &'static str,
    pub console: bool,
}

#[derive(Template)]
#[template(path = "me.html")]
struct ProfilePage {
    chrome: Chrome,
    name: String,
    email: String,
    timezone: String,
    org_role: &'static str,
    created: (String, String),
    memberships: Vec<MembershipView>,
}

#[get("/me")]
pub async fn profile(state: web::Data<AppState>, me: SignedIn) -> Result<HttpResponse, AppError> {
    let account_id = me.account.id;
    let org_wide = me.account.org_role.administers_all_workspaces();
    let memberships = blocking(&state, move |conn| {
        Ok(memberships::list_for_account(conn, account_id)?)
    })
    .await?;
    let memberships = memberships
        .into_iter()
        .map(|m| MembershipView {
            console: m.status == MembershipStatus::Active
                && (org_wide || !m.permissions.is_empty()),
            name: m.workspace_name,
            slug: m.slug,
            role: m.role_name,
            status_key: m.status.key(),
            status_label: m.status.label(),
        })
        .collect();
    let page = ProfilePage {
        chrome: me.chrome(&state).await?,
        name: me.account.display_name(),
        email: me.account.email.clone(),
        timezone: me.account.timezone.clone(),
        org_role: me.account.org_role.label(),
        created: views::date(me.account.created_at),
        memberships,
    };
    render_with_status(actix_web::http::StatusCode::OK, &page)
}
