//! `/scim/v2/Users`: the workspace's members (removed ones are gone) as SCIM Users — filtered,
//! paged by `startIndex`/`count`, projected by `attributes`/`excludedAttributes` — and one member.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use serde_json::{Value, json};

use super::discovery::{USER_SCHEMA, base};
use super::query::{ListQuery, OneQuery, SearchRequest};
use super::{Projection, ScimAuth, ScimError, in_transaction};
use crate::db::AnyConnection;
use crate::domain::ids::{MembershipId, WorkspaceId};
use crate::domain::membership::MembershipStatus;
use crate::domain::names::display_name;
use crate::domain::policy::MemberAction;
use crate::domain::scim_filter::{self, Resource};
use crate::domain::scim_patch::{self, EmailLabel, PatchError, UserChanges};
use crate::domain::timezone::Timezone;
use crate::domain::{Email, Name};
use crate::services::console::{self, Acting};
use crate::services::members::{self, ScimUser};
use crate::services::provisioning::{self, NewUser, ProvisionError};
use crate::web::forms::ProfileForm;
use crate::web::views::rfc3339;
use crate::web::{AppState, blocking};

/// The weak ETag of a member's current version.
pub fn version(user: &ScimUser) -> String {
    super::weak_etag(user.updated_at)
}

fn representation(state: &AppState, user: &ScimUser) -> Value {
    let mut value = json!({
        "schemas": [USER_SCHEMA],
        "id": user.id.0.to_string(),
        "userName": user.user_name.as_deref().unwrap_or(&user.email),
        "name": {
            "givenName": user.first_name,
            "familyName": user.last_name,
        },
        "displayName": display_name(&user.first_name, &user.last_name, &user.email),
        "emails": [{
            "value": user.email,
            "type": user.email_label.kind(),
            "primary": user.email_label.primary(),
        }],
        "active": user.status == MembershipStatus::Active && !user.account_blocked,
        "timezone": user.timezone,
        "meta": {
            "resourceType": "User",
            "created": rfc3339(user.created_at),
            "lastModified": rfc3339(user.updated_at),
            "version": version(user),
            "location": format!("{}/Users/{}", base(state), user.id.0),
        },
    });
    if let Some(external_id) = &user.external_id {
        value["externalId"] = json!(external_id);
    }
    value
}

/// `POST /scim/v2/Users/.search`: the list, asked with a body.
pub async fn search(
    state: web::Data<AppState>,
    auth: ScimAuth,
    body: web::Json<SearchRequest>,
) -> Result<HttpResponse, ScimError> {
    super::list(&state, &auth, body.into_inner().into(), Resource::User).await
}

/// `GET /scim/v2/Users`: the members the filter matches, a page of them.
pub async fn list(
    state: web::Data<AppState>,
    auth: ScimAuth,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ScimError> {
    super::list(&state, &auth, query.into_inner(), Resource::User).await
}

/// How many Users `cond` matches, and `count` of them from `offset` as projected resources.
pub async fn page(
    state: &web::Data<AppState>,
    workspace: WorkspaceId,
    cond: Option<scim_filter::Cond>,
    offset: i64,
    count: i64,
    projection: Projection,
) -> Result<(i64, Vec<Value>), ScimError> {
    let (total, users) = blocking(state, move |conn| {
        Ok(members::scim_users(
            conn,
            workspace,
            cond.as_ref(),
            offset,
            count,
        )?)
    })
    .await?;
    let resources = users
        .iter()
        .map(|u| projection.apply(representation(state, u)))
        .collect();
    Ok((total, resources))
}

/// A member's id from the path: any text that is not one of ours is a 404.
fn user_id(path: &(String,)) -> Result<MembershipId, ScimError> {
    super::resource_id(Resource::User, &path.0).map(MembershipId)
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: ScimAuth,
    path: web::Path<(String,)>,
    query: web::Query<OneQuery>,
) -> Result<HttpResponse, ScimError> {
    let id = user_id(&path)?;
    let workspace = auth.0.workspace.id;
    let user = blocking(&state, move |conn| {
        Ok(members::scim_user(conn, workspace, id)?)
    })
    .await?
    .ok_or_else(ScimError::not_found)?;
    let answer = user_answer(&state, &user, &query.projection());
    Ok(super::unless_current(&req, answer))
}

/// A User's answer: the representation with its version as `ETag`.
fn user_answer(state: &AppState, user: &ScimUser, projection: &Projection) -> HttpResponse {
    super::resource_answer(
        &projection.apply(representation(state, user)),
        &version(user),
    )
}

impl From<PatchError> for ScimError {
    fn from(e: PatchError) -> Self {
        ScimError::new(StatusCode::BAD_REQUEST, Some(e.scim_type), e.detail)
    }
}

/// Applies `changes` to member `id` in one transaction, each through the console's services and
/// the policy; `If-Match` with another version is refused (412) before anything changes.
async fn apply(
    state: web::Data<AppState>,
    auth: ScimAuth,
    req: &HttpRequest,
    id: MembershipId,
    changes: UserChanges,
) -> Result<HttpResponse, ScimError> {
    let if_match = super::if_match(req);
    let new_email = changes
        .email
        .as_deref()
        .map(|address| Email::parse(address).map_err(|e| invalid("emails", e)))
        .transpose()?;
    let user_name = changes.user_name.as_deref().map(user_name).transpose()?;
    let (base_url, now) = (state.settings.base_url.clone(), state.settings.clock.now());
    let welcome = state.invite_settings();
    let user = auth
        .acting(
            &state,
            in_transaction(move |conn, acting, workspace| {
                let current =
                    members::scim_user(conn, workspace, id)?.ok_or_else(ScimError::not_found)?;
                super::check_version(if_match.as_deref(), &version(&current))?;
                changes.check_email_filters(&current.email, &current.email_label)?;
                if let Some(email) = &new_email {
                    console::change_email_now(conn, acting, workspace, id, email, &welcome, now)?;
                }
                if let Some(name) = &user_name {
                    console::set_user_name(conn, acting, workspace, id, name, now)?;
                }
                let label = current.email_label.after(&changes);
                console::set_email_label(conn, acting, workspace, id, &label, now)?;
                rename(conn, acting, workspace, &current, &changes, &base_url, now)?;
                if let Some(external_id) = &changes.external_id {
                    console::set_external_id(
                        conn,
                        acting,
                        workspace,
                        id,
                        external_id.as_deref(),
                        now,
                    )?;
                }
                set_active(conn, acting, workspace, &current, changes.active, now)?;
                members::scim_user(conn, workspace, id)?.ok_or_else(ScimError::not_found)
            }),
        )
        .await?;
    Ok(user_answer(&state, &user, &Projection::default()))
}

/// Changes the member's names and time zone where `changes` gives new ones, as the console's
/// profile form does (what it refuses: one `invalidValue` naming each field).
fn rename(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    current: &ScimUser,
    changes: &UserChanges,
    base_url: &str,
    now: NaiveDateTime,
) -> Result<(), ScimError> {
    let renamed = [
        (&changes.given_name, &current.first_name),
        (&changes.family_name, &current.last_name),
        (&changes.timezone, &current.timezone),
    ]
    .iter()
    .any(|(new, old)| new.as_ref().is_some_and(|n| n != *old));
    if !renamed {
        return Ok(());
    }
    let id = current.id;
    let member = console::preview(conn, acting, workspace, id, MemberAction::View)?;
    let change = ProfileForm::change_over(
        &member,
        changes.given_name.clone(),
        changes.family_name.clone(),
        changes.timezone.clone(),
    )
    .map_err(|errors| {
        let words: Vec<String> = errors
            .into_map()
            .into_iter()
            .map(|(field, message)| format!("{field}: {message}"))
            .collect();
        ScimError::invalid_value(words.join(" "))
    })?;
    console::update_profile(conn, acting, workspace, id, &change, base_url, now)?;
    Ok(())
}

/// Suspends or unsuspends the member as `active` asks. An invited person becomes active by
/// accepting; `active` leaves them as they are. It is the membership's state that is compared: a
/// block is the organization's (an org owner or admin lifts it in the console), so `active: true`
/// on a blocked account unsuspends the membership and the answer still says `active: false`.
fn set_active(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    current: &ScimUser,
    active: Option<bool>,
    now: NaiveDateTime,
) -> Result<(), ScimError> {
    if let Some(active) = active
        && current.status != MembershipStatus::Invited
        && active != (current.status == MembershipStatus::Active)
    {
        console::suspend(conn, acting, workspace, current.id, !active, None, now)?;
    }
    Ok(())
}

/// `PATCH /scim/v2/Users/{id}`: add, replace and remove on `active` (suspend, unsuspend), names,
/// time zone and `externalId`.
pub async fn patch(
    state: web::Data<AppState>,
    auth: ScimAuth,
    req: HttpRequest,
    path: web::Path<(String,)>,
    body: web::Json<super::PatchRequest>,
) -> Result<HttpResponse, ScimError> {
    let id = user_id(&path)?;
    let changes = scim_patch::user_patch(&body.operations)?;
    apply(state, auth, &req, id, changes).await
}

/// `PUT /scim/v2/Users/{id}`: the whole User; the names and external id it leaves out are
/// cleared (the time zone, the address label and `active` stay unless sent).
pub async fn replace(
    state: web::Data<AppState>,
    auth: ScimAuth,
    req: HttpRequest,
    path: web::Path<(String,)>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ScimError> {
    let id = user_id(&path)?;
    let changes = scim_patch::user_replacement(&body)?;
    apply(state, auth, &req, id, changes).await
}

/// `DELETE /scim/v2/Users/{id}`: the member is removed (what they own is left unassigned; an
/// Owner can restore them for 14 days).
/// A stale `If-Match` is refused (412) before anything changes, as for PATCH and PUT.
pub async fn delete(
    state: web::Data<AppState>,
    auth: ScimAuth,
    req: HttpRequest,
    path: web::Path<(String,)>,
) -> Result<HttpResponse, ScimError> {
    let id = user_id(&path)?;
    let if_match = super::if_match(&req);
    let now = state.settings.clock.now();
    auth.acting(
        &state,
        in_transaction(move |conn, acting, workspace| {
            // Removed already: gone, as far as SCIM knows.
            let Some(user) = members::scim_user(conn, workspace, id)? else {
                return Err(ScimError::not_found());
            };
            super::check_version(if_match.as_deref(), &version(&user))?;
            if user.status == MembershipStatus::Invited {
                // Someone invited who has not joined: the invitation is revoked (its link dies).
                return revoke_invitation(conn, acting, workspace, id, now);
            }
            console::remove(conn, acting, workspace, id, None, None, now)?;
            Ok(())
        }),
    )
    .await?;
    Ok(super::no_content())
}

fn revoke_invitation(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    id: MembershipId,
    now: NaiveDateTime,
) -> Result<(), ScimError> {
    use crate::services::invitations::{self, Inviter};
    let inviter = Inviter {
        actor: acting.actor,
        permissions: acting.permissions,
    };
    invitations::revoke_of_membership(conn, &inviter, workspace, id, now)
        .map_err(crate::web::api::invitations::action_problem)?;
    Ok(())
}

impl From<ProvisionError> for ScimError {
    fn from(e: ProvisionError) -> Self {
        match e {
            ProvisionError::Exists(_) => {
                ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), e.to_string())
            }
            ProvisionError::Blocked(_)
            | ProvisionError::NotAddable(_)
            | ProvisionError::Seats(_) => ScimError::new(StatusCode::CONFLICT, None, e.to_string()),
            ProvisionError::Refused(why) => ScimError::new(StatusCode::FORBIDDEN, None, why),
            ProvisionError::Console(e) => e.into(),
            ProvisionError::Database(e) => e.into(),
            ProvisionError::Mail(e) => crate::web::api::Problem::internal(e.into()).into(),
        }
    }
}

/// A userName as sent, trimmed: an email address or a username of 1 to 200 characters.
fn user_name(name: &str) -> Result<String, ScimError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(invalid(
            "userName",
            "use 1 to 200 characters, or the email address.",
        ));
    }
    // "u4\u{200B}@example.com" reads as u4@example.com; a right-to-left override turns the text.
    if name.chars().any(crate::domain::names::is_invisible) {
        return Err(invalid(
            "userName",
            "remove the invisible characters (zero-width spaces, direction marks): another \
             member's userName could look the same.",
        ));
    }
    Ok(name.to_owned())
}

fn invalid(field: &str, why: impl std::fmt::Display) -> ScimError {
    ScimError::invalid_value(format!("{field}: {why}"))
}

/// `POST /scim/v2/Users`: the person joins the workspace as an active Member (see
/// `services::provisioning`); 201 with the User and its `Location`.
pub async fn create(
    state: web::Data<AppState>,
    auth: ScimAuth,
    body: web::Json<Value>,
) -> Result<HttpResponse, ScimError> {
    let changes = scim_patch::user_replacement(&body)?;
    // userName is the email address, or a username with the address in `emails`: a userName
    // shaped like an address that `emails` contradicts (Entra's UPN beside the mailbox) is a
    // username, and the mailbox is the address.
    let name = user_name(changes.user_name.as_deref().unwrap_or_default())?;
    let mailbox = changes.email.as_deref().map(str::trim);
    let (email, user_name) = match Email::parse(&name) {
        Ok(email) if mailbox.is_none_or(|address| address.eq_ignore_ascii_case(email.as_str())) => {
            (email, None)
        }
        _ => {
            let address = changes.email.as_deref().ok_or_else(|| {
                invalid(
                    "emails",
                    "give the person's email address (userName is not one).",
                )
            })?;
            let email = Email::parse(address).map_err(|e| invalid("emails", e))?;
            (email, Some(name))
        }
    };
    let first_name = Name::parse(changes.given_name.as_deref().unwrap_or_default())
        .map_err(|e| invalid("name.givenName", e))?;
    let last_name = Name::parse(changes.family_name.as_deref().unwrap_or_default())
        .map_err(|e| invalid("name.familyName", e))?;
    let timezone = match changes.timezone.as_deref() {
        None => None,
        Some(name) => Some(Timezone::parse(name).map_err(|e| invalid("timezone", e))?),
    };
    let user = NewUser {
        email,
        first_name,
        last_name,
        timezone,
        external_id: changes.external_id.clone().flatten(),
        user_name,
        email_label: EmailLabel::default().after(&changes),
    };
    let settings = state.invite_settings();
    let now = state.settings.clock.now();
    let created = auth
        .acting(
            &state,
            in_transaction(move |conn, acting, workspace| {
                let id = provisioning::provision(conn, acting, workspace, &user, &settings, now)?;
                if changes.active == Some(false) {
                    console::suspend(conn, acting, workspace, id, true, None, now)?;
                }
                members::scim_user(conn, workspace, id)?.ok_or_else(ScimError::not_found)
            }),
        )
        .await?;
    state.outbox_wake.notify_one();
    let answer = user_answer(&state, &created, &Projection::default());
    Ok(super::created(
        answer,
        &format!("{}/Users/{}", base(&state), created.id.0),
    ))
}
