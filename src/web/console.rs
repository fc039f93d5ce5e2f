//! `/w/{slug}/users/{id}`: the user console — Overview, Role, Access, Activity and Sessions tabs,
//! each a URL of its own (htmx swaps only the panel).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::acting::{confirmable, member_id, with_acting};
use super::audit::EventLine;
use super::auth::{Chrome, WorkspaceAccess, cached_chrome};
use super::confirm::{self, Confirmation};
use super::error::AppError;
use super::forms::{FieldErrors, ProfileForm};
use super::htmx::wants_fragment;
use super::views::Choice;
use super::{AppState, blocking, multipart, views};
use crate::clock;
use crate::domain::access::effective_access;
use crate::domain::avatar::AvatarError;
use crate::domain::ids::MembershipId;
use crate::domain::membership::{MembershipStatus, purged_from};
use crate::domain::names::display_name;
use crate::domain::policy::{self, Decisions, Facts, MemberAction, Viewer};
use crate::domain::role::Permission;
use crate::domain::timezone::Timezone;
use crate::services::console::{self, ConsoleError, Seen};
use crate::services::email_change::EmailChangeError;
use crate::services::profile::{ProfileChange, ProfileError};
use crate::store::audit;
use crate::store::memberships::{self, MemberDetail};
use crate::store::{apps, sessions};

const TABS: [(&str, &str); 5] = [
    ("overview", "Overview"),
    ("role", "Role"),
    ("access", "Access"),
    ("activity", "Activity"),
    ("sessions", "Sessions"),
];
const EVENTS_PER_PAGE: i64 = 25;

pub struct Tab {
    pub key: &'static str,
    pub label: &'static str,
    pub url: String,
}

pub struct SessionView {
    pub id: i64,
    pub created: (String, String),
    pub last_seen: (String, String),
    pub ip: String,
    pub browser: String,
}

pub struct AccessRow {
    pub sentence: String,
    pub kind: String,
    pub level: &'static str,
}

/// What one tab shows; only the chosen one is filled.
#[derive(Default)]
pub struct Panels {
    pub overview: Vec<(&'static str, String)>,
    pub profile: Option<ProfileForm>,
    pub timezones: Vec<&'static str>,
    /// An unconfirmed new address and when its link was sent.
    pub pending_email: Option<(String, String)>,
    pub roles: Vec<Choice>,
    /// Why no role but the member's own can be given now (the last Owner…).
    pub role_note: Option<String>,
    /// What the member may do here, why, and each permission in words (the Access tab).
    pub permissions: Option<(String, Vec<&'static str>)>,
    /// The member's groups (`None`: the viewer's role does not see groups).
    pub groups: Option<Vec<String>>,
    /// What apps they reach (`None`: the viewer's role does not see apps).
    pub access: Option<Vec<AccessRow>>,
    pub events: Vec<EventLine>,
    pub older_url: Option<String>,
    pub sessions: Vec<SessionView>,
    /// Messages of a refused profile form.
    pub errors: FieldErrors,
    /// Two-factor sign-in is on (the overview offers its reset).
    pub two_factor_on: bool,
}

#[derive(Template)]
#[template(path = "users/console.html", blocks = ["panel"])]
struct ConsolePage {
    chrome: Chrome,
    slug: String,
    base: String,
    tab: &'static str,
    tabs: Vec<Tab>,
    name: String,
    email: String,
    avatar: views::Avatar,
    role: String,
    status_key: &'static str,
    status_label: &'static str,
    is_self: bool,
    /// They have chosen a password (only then can they be made an Owner).
    has_password: bool,
    /// "Sign-in paused until 7 Dec 2026, 14:32:05 UTC after 9 failed attempts."
    sign_in_pause: Option<String>,
    /// Who suspended, removed or blocked the member, when, and why.
    state_notes: Vec<String>,
    /// What this viewer may do to the member: the buttons and forms shown.
    actions: Decisions,
    /// Why actions the viewer's role allows are refused for this member, said once each.
    reasons: Vec<String>,
    /// Their pending invitation, when this viewer may resend and revoke it.
    invitation: Option<i64>,
    /// Resend is offered (not to a blocked account: its link could never be used).
    resend: bool,
    csrf_token: String,
    panels: Panels,
}

fn status_of(member: &MemberDetail) -> (&'static str, &'static str) {
    views::status_badge(member.account_status, member.status)
}

/// A moment in the viewer's time zone; "—" for none.
fn time(at: Option<chrono::NaiveDateTime>, zone: Timezone) -> String {
    at.map(|t| zone.local_text(t))
        .unwrap_or_else(|| "—".to_owned())
}

/// The panel data of `tab` for this member.
async fn panels(
    state: &AppState,
    access: &WorkspaceAccess,
    member: &MemberDetail,
    tab: &str,
    before: Option<i64>,
) -> Result<Panels, AppError> {
    match tab {
        "role" => role_panel(state, access, member).await,
        "access" => access_panel(state, access, member).await,
        "activity" => activity_panel(state, access, member, before).await,
        _ => sessions_panel(state, member, access.signed_in.zone()).await,
    }
}

fn overview_panel(member: &MemberDetail, zone: Timezone) -> Panels {
    let two_factor_since = member.two_factor_since;
    let time = |at| time(at, zone);
    Panels {
        overview: vec![
            ("User ID", member.id.to_string()),
            (
                "Full name",
                display_name(&member.first_name, &member.last_name, "—"),
            ),
            ("Email", member.email.clone()),
            ("Role", member.role_name.clone()),
            (
                "Status",
                match member
                    .removed_at
                    .filter(|_| member.status == MembershipStatus::Removed)
                {
                    Some(removed) if purged_from(removed) <= clock::now() => format!(
                        "{} — deleted for good at the next daily purge: invite them again instead",
                        status_of(member).1,
                    ),
                    Some(removed) => format!(
                        "{} — can be restored until {}",
                        status_of(member).1,
                        time(Some(purged_from(removed)))
                    ),
                    None => status_of(member).1.to_owned(),
                },
            ),
            ("Time zone", member.timezone.clone()),
            ("Created", time(Some(member.account_created_at))),
            ("Last modified", time(Some(member.updated_at))),
            ("Joined", time(member.joined_at)),
            (
                "Invited by",
                member.invited_by.clone().unwrap_or_else(|| "—".to_owned()),
            ),
            ("Last active", time(member.last_active_at)),
            (
                "Two-factor sign-in",
                match two_factor_since {
                    Some(since) => format!("On since {}", time(Some(since))),
                    None => "Off".to_owned(),
                },
            ),
        ],
        two_factor_on: two_factor_since.is_some(),
        profile: Some(ProfileForm {
            first_name: member.first_name.clone(),
            last_name: member.last_name.clone(),
            email: member.email.clone(),
            timezone: member.timezone.clone(),
        }),
        timezones: Timezone::all_names(),
        pending_email: member
            .pending_email
            .as_ref()
            .map(|(to, since)| (to.clone(), time(Some(*since)))),
        ..Panels::default()
    }
}

/// The roles this viewer may give the member now, and the member's own.
async fn role_panel(
    state: &AppState,
    access: &WorkspaceAccess,
    member: &MemberDetail,
) -> Result<Panels, AppError> {
    let for_member = member.clone();
    let (choices, role_note) = with_acting(state, access, move |conn, acting, workspace| {
        Ok(console::role_choices(conn, acting, workspace, &for_member)?)
    })
    .await?;
    let roles = choices
        .into_iter()
        .map(|r| Choice {
            selected: r.id == member.role_id,
            value: r.key,
            label: r.name,
        })
        .collect();
    Ok(Panels {
        roles,
        role_note,
        ..Panels::default()
    })
}

async fn access_panel(
    state: &AppState,
    access: &WorkspaceAccess,
    member: &MemberDetail,
) -> Result<Panels, AppError> {
    let (workspace, membership) = (access.workspace.id, member.id);
    // Each part only for a role that reads it elsewhere (the groups' and the apps' pages).
    let (sees_groups, sees_apps) = (
        access.can(Permission::GroupsView),
        access.can(Permission::AppsView),
    );
    let (groups, grants) = blocking(state, move |conn| {
        Ok((
            sees_groups
                .then(|| memberships::groups_of(conn, membership))
                .transpose()?,
            sees_apps
                .then(|| apps::grants_reaching(conn, workspace, membership))
                .transpose()?,
        ))
    })
    .await?;
    let (reason, held) = policy::permissions_with_reason(
        member.account_status,
        member.org_role,
        member.status,
        &member.role_name,
        member.role_permissions,
    );
    Ok(Panels {
        permissions: Some((reason, held.iter().map(Permission::description).collect())),
        groups: groups.map(|groups| groups.into_iter().map(|(_, name)| name).collect()),
        access: grants.map(|grants| {
            effective_access(grants)
                .into_iter()
                .map(|e| AccessRow {
                    sentence: e.sentence(),
                    kind: e.kind.clone(),
                    level: e.level.key(),
                })
                .collect()
        }),
        ..Panels::default()
    })
}

/// The member's audit events, newest first, a page at a time (older ones `before` an event id).
async fn activity_panel(
    state: &AppState,
    access: &WorkspaceAccess,
    member: &MemberDetail,
    before: Option<i64>,
) -> Result<Panels, AppError> {
    let (workspace, account) = (access.workspace.id, member.account_id);
    let events = blocking(state, move |conn| {
        Ok(audit::for_account(
            conn,
            workspace,
            account,
            before,
            EVENTS_PER_PAGE + 1,
        )?)
    })
    .await?;
    let more = events.len() as i64 > EVENTS_PER_PAGE;
    let older_url = events
        .get(EVENTS_PER_PAGE as usize - 1)
        .filter(|_| more)
        .map(|e| {
            format!(
                "/w/{}/users/{}/activity?before={}",
                access.workspace.slug, member.id, e.id
            )
        });
    let zone = access.signed_in.zone();
    let events = events
        .iter()
        .take(EVENTS_PER_PAGE as usize)
        .map(|e| EventLine::of(e, zone))
        .collect();
    Ok(Panels {
        events,
        older_url,
        ..Panels::default()
    })
}

async fn sessions_panel(
    state: &AppState,
    member: &MemberDetail,
    zone: Timezone,
) -> Result<Panels, AppError> {
    let account = member.account_id;
    let list = blocking(state, move |conn| {
        Ok(sessions::list_for_account(conn, account, clock::now())?)
    })
    .await?;
    let sessions = list
        .into_iter()
        .map(|s| SessionView {
            id: s.id,
            created: views::date(s.created_at, zone),
            last_seen: (
                views::rfc3339(s.last_seen_at),
                time(Some(s.last_seen_at), zone),
            ),
            ip: s.ip.unwrap_or_else(|| "—".to_owned()),
            browser: s
                .user_agent
                .map(|ua| views::browser_name(&ua))
                .unwrap_or_else(|| "Unknown browser".to_owned()),
        })
        .collect();
    Ok(Panels {
        sessions,
        ..Panels::default()
    })
}

/// The member as looked up for this viewer: the member, what the viewer may do to them, their
/// account's sign-in pause, and the page frame when it was read with them (without its one-time
/// message, taken here).
struct Looked {
    member: MemberDetail,
    actions: Decisions,
    sign_in_pause: Option<(chrono::NaiveDateTime, i64)>,
    /// "Suspended by Ada Lovelace on 3 Dec 2026: left the company."
    state_notes: Vec<String>,
    chrome: Option<Chrome>,
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    access: &WorkspaceAccess,
    looked: Looked,
    tab: &'static str,
    panels: Panels,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let Looked {
        member,
        actions,
        sign_in_pause,
        state_notes,
        chrome,
    } = looked;
    let member = &member;
    let slug = access.workspace.slug.clone();
    let base = format!("/w/{slug}/users/{}", member.id);
    let fragment = wants_fragment(req);
    let invitation = member.invitation_id.filter(|_| {
        member.status == MembershipStatus::Invited
            && policy::may_manage_invitation(access.permissions, member.role_permissions).is_ok()
    });
    let page = ConsolePage {
        chrome: match (fragment, chrome) {
            (true, _) => Chrome::fragment_only(&access.signed_in.csrf_token),
            (false, Some(mut chrome)) => {
                chrome.flash = access.take_flash();
                chrome
            }
            (false, None) => access.chrome(state, "users").await?,
        },
        tabs: TABS
            .iter()
            .filter(|(key, _)| *key != "activity" || access.can(Permission::AuditView))
            .map(|(key, label)| Tab {
                key,
                label,
                url: if *key == "overview" {
                    base.clone()
                } else {
                    format!("{base}/{key}")
                },
            })
            .collect(),
        slug,
        base,
        tab,
        name: member.name(),
        email: member.email.clone(),
        avatar: views::Avatar::new(
            member.account_id.0,
            &member.first_name,
            &member.last_name,
            &member.email,
            member.avatar_key.as_deref(),
        ),
        role: member.role_name.clone(),
        status_key: status_of(member).0,
        status_label: status_of(member).1,
        is_self: access.signed_in.account.id == member.account_id,
        has_password: member.has_password,
        sign_in_pause: sign_in_pause.map(|(until, failures)| {
            views::sign_in_paused(until, failures, access.signed_in.zone())
        }),
        state_notes,
        reasons: actions.reasons(),
        actions,
        invitation,
        resend: invitation.is_some() && policy::resend_offered(member.account_status),
        csrf_token: access.signed_in.csrf_token.clone(),
        panels,
    };
    let body = if fragment {
        page.as_panel().render()?
    } else {
        page.render()?
    };
    Ok(super::htmx::varying_html(status, body))
}

/// The member with this viewer's decisions (and the page frame, unless htmx asks for a panel):
/// as read with the session when it was ([`super::prefetch`]) and the cache holds the rest,
/// otherwise in one trip to the blocking pool.
async fn look(
    req: &HttpRequest,
    state: &AppState,
    access: &WorkspaceAccess,
    id: MembershipId,
) -> Result<Looked, AppError> {
    let chrome_loader = (!wants_fragment(req)).then(|| access.chrome_loader("users"));
    let (now, zone) = (state.settings.clock.now(), access.signed_in.zone());
    let workspace = access.workspace.id;
    if let Some(seen) = super::prefetch::take_member(workspace, id) {
        let cached = (
            access.cached.cached_choices(workspace),
            cached_chrome(chrome_loader.as_ref()),
        );
        if let (Some(choices), Some(chrome)) = cached {
            let seen = seen.ok_or(ConsoleError::NotFound)?;
            return Ok(Looked::new(
                seen,
                &access.viewer(),
                &choices.facts,
                chrome,
                (now, zone),
            ));
        }
    }
    let cached = access.cached.clone();
    with_acting(state, access, move |conn, acting, workspace| {
        // What a page shows: the owners as the cache has them (a change judges afresh).
        let facts = cached.choices(conn, workspace)?.facts;
        let seen = console::see(conn, workspace, id)?;
        let chrome = chrome_loader.map(|l| l.load(conn)).transpose()?;
        Ok(Looked::new(
            seen,
            &acting.viewer(),
            &facts,
            chrome,
            (now, zone),
        ))
    })
    .await
}

impl Looked {
    fn new(
        seen: Seen,
        viewer: &Viewer,
        facts: &Facts,
        chrome: Option<Chrome>,
        (now, zone): (chrono::NaiveDateTime, Timezone),
    ) -> Self {
        let actions = seen.decisions(viewer, facts);
        let Seen {
            member,
            state_events,
        } = seen;
        let sign_in_pause = member.sign_in_paused(now);
        // The organization's log is read by org owners and admins alone.
        let reads_org_log = viewer.org_role.administers_all_workspaces();
        let state_notes = state_events
            .into_iter()
            .map(|(word, event)| {
                let said = event
                    .reason
                    .filter(|_| reads_org_log || !event.in_org_log)
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                format!(
                    "{word} by {} on {}{said}",
                    event.actor,
                    views::local_date(event.at, zone)
                )
            })
            .collect();
        Self {
            member,
            actions,
            sign_in_pause,
            state_notes,
            chrome,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TabQuery {
    pub before: String,
}

pub async fn overview(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    access.attempt(MemberAction::View)?;
    let looked = look(&req, &state, &access, member_id(&path.1)?).await?;
    let panels = overview_panel(&looked.member, access.signed_in.zone());
    render(
        &req,
        &state,
        &access,
        looked,
        "overview",
        panels,
        StatusCode::OK,
    )
    .await
}

pub async fn show_tab(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String, String)>,
    query: web::Query<TabQuery>,
) -> Result<HttpResponse, AppError> {
    access.attempt(MemberAction::View)?;
    let (_, id, tab) = path.into_inner();
    let tab = TABS
        .iter()
        .map(|(key, _)| *key)
        .find(|key| *key == tab && *key != "overview")
        .ok_or(AppError::NotFound)?;
    if tab == "activity" {
        // A member's activity is the audit log's, read with its permission.
        access.require(Permission::AuditView)?;
    }
    let looked = look(&req, &state, &access, member_id(&id)?).await?;
    let before = query.before.parse().ok();
    let panels = panels(&state, &access, &looked.member, tab, before).await?;
    render(&req, &state, &access, looked, tab, panels, StatusCode::OK).await
}

pub async fn update_profile(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
    form: web::Form<ProfileForm>,
) -> Result<HttpResponse, AppError> {
    access.attempt(MemberAction::EditProfile)?;
    let id = member_id(&path.1)?;
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    let Some(parsed) = form.parse(&mut errors) else {
        return refused_profile(&req, &state, &access, id, errors, Some(form)).await;
    };
    let base_url = state.settings.base_url.clone();
    let saved = with_acting(&state, &access, move |conn, acting, workspace| {
        Ok(console::update_profile(
            conn,
            acting,
            workspace,
            id,
            &ProfileChange {
                first_name: parsed.first_name,
                last_name: parsed.last_name,
                timezone: parsed.timezone,
                email: parsed.email,
            },
            &base_url,
            clock::now(),
        ))
    })
    .await?;
    let saved = match saved {
        Err(ConsoleError::Profile(ProfileError::EmailChange(
            e @ (EmailChangeError::Taken | EmailChangeError::UserNameTaken),
        ))) => {
            errors.add("email", e);
            return refused_profile(&req, &state, &access, id, errors, Some(form)).await;
        }
        Err(ConsoleError::Invalid(why)) => {
            errors.add("email", why);
            return refused_profile(&req, &state, &access, id, errors, Some(form)).await;
        }
        other => other?,
    };
    if saved.confirming.is_some() {
        state.outbox_wake.notify_one();
    }
    access.show_after(
        &format!("users/{id}"),
        &views::profile_saved(
            saved.confirming,
            access.membership.as_ref().map(|m| m.membership_id) == Some(id),
        ),
    )
}

/// The overview again with its messages (422), and the profile form as typed when it was sent.
async fn refused_profile(
    req: &HttpRequest,
    state: &AppState,
    access: &WorkspaceAccess,
    id: MembershipId,
    errors: FieldErrors,
    typed: Option<ProfileForm>,
) -> Result<HttpResponse, AppError> {
    let looked = look(req, state, access, id).await?;
    // A form that may not be sent at all is refused as such, whatever its values.
    if let Some(refusal) = looked.actions.refusal(MemberAction::EditProfile) {
        return Err(refusal.into());
    }
    let mut panels = overview_panel(&looked.member, access.signed_in.zone());
    if typed.is_some() {
        panels.profile = typed;
    }
    panels.errors = errors;
    render(
        req,
        state,
        access,
        looked,
        "overview",
        panels,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

pub async fn upload_avatar(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
    mut body: web::Payload,
) -> Result<HttpResponse, AppError> {
    access.attempt(MemberAction::EditProfile)?;
    let id = member_id(&path.1)?;
    let upload = multipart::file_field(&req, &mut body, "avatar").await?;
    if let Err(refused) = set_avatar(&state, &access, id, Some(upload)).await? {
        let mut errors = FieldErrors::default();
        errors.add("avatar", refused);
        return refused_profile(&req, &state, &access, id, errors, None).await;
    }
    access.show_after(&format!("users/{id}"), "Picture saved.")
}

pub async fn remove_avatar(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    access.attempt(MemberAction::EditProfile)?;
    let id = member_id(&path.1)?;
    let removed = set_avatar(&state, &access, id, None)
        .await?
        .unwrap_or(false);
    access.show_outcome(
        &format!("users/{id}"),
        removed,
        &views::picture_removed(removed, "their"),
    )
}

/// Sets the picture made from an upload (`Some`), or removes it; the upload's refusal comes back
/// as is. The sender is judged first (a refused person gets the refusal, not a 422), then the
/// picture decoded without a connection held, then the change judged and made.
async fn set_avatar(
    state: &AppState,
    access: &WorkspaceAccess,
    id: MembershipId,
    upload: Option<Vec<u8>>,
) -> Result<Result<bool, AvatarError>, AppError> {
    if upload.is_some() {
        with_acting(state, access, move |conn, acting, workspace| {
            Ok(
                console::preview(conn, acting, workspace, id, MemberAction::EditProfile)
                    .map(drop)?,
            )
        })
        .await?;
    }
    let png = match upload {
        Some(upload) => match super::multipart::decode_picture(upload).await? {
            Ok(png) => Some(png),
            Err(refused) => return Ok(Err(refused)),
        },
        None => None,
    };
    let done = with_acting(state, access, move |conn, acting, workspace| {
        Ok(console::set_avatar(
            conn,
            acting,
            workspace,
            id,
            png.as_ref(),
            clock::now(),
        )?)
    })
    .await?;
    Ok(Ok(done))
}

pub async fn cancel_email_change(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    access.attempt(MemberAction::ChangeEmail)?;
    let id = member_id(&path.1)?;
    let cancelled = with_acting(&state, &access, move |conn, acting, workspace| {
        Ok(console::cancel_email_change(
            conn,
            acting,
            workspace,
            id,
            clock::now(),
        ))
    })
    .await??;
    access.show_outcome(
        &format!("users/{id}"),
        cancelled,
        views::email_change_cancelled(cancelled),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleForm {
    pub role: String,
}

pub async fn change_role(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    access.attempt(MemberAction::ChangeRole)?;
    let id = member_id(&path.1)?;
    let role = form.into_inner().role;
    let changed = with_acting(&state, &access, move |conn, acting, workspace| {
        Ok(console::change_role(
            conn,
            acting,
            workspace,
            id,
            &role,
            clock::now(),
        ))
    })
    .await?;
    let message = match changed {
        // Said beside the role, on the Role tab (422), as a form's refusal is.
        Err(ConsoleError::Invalid(why)) => {
            let looked = look(&req, &state, &access, id).await?;
            let mut panels = role_panel(&state, &access, &looked.member).await?;
            panels.errors.add("role", why);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render(&req, &state, &access, looked, "role", panels, status).await;
        }
        other => other?,
    };
    access.show_after(&format!("users/{id}/role"), &message)
}

async fn end(
    req: &HttpRequest,
    state: &AppState,
    access: &WorkspaceAccess,
    id: MembershipId,
    session: Option<i64>,
) -> Result<HttpResponse, AppError> {
    access.attempt(MemberAction::EndSessions)?;
    let ended = with_acting(state, access, move |conn, acting, workspace| {
        Ok(console::end_sessions(
            conn,
            acting,
            workspace,
            id,
            session,
            clock::now(),
        ))
    })
    .await??;
    if ended == 0 && session.is_some() {
        // Signed out meanwhile, or not theirs: said as nothing done, not as a success.
        super::forms::flash_warning(
            &access.signed_in.session,
            "That session had ended already (or is not theirs): nothing changed.",
        )?;
    } else {
        let message = match ended {
            // "Everywhere" still ends a sign-in waiting at its two-factor step.
            0 => "They had no session open: nothing else to end.".to_owned(),
            n => format!("{} ended.", views::count(n as i64, "session", "sessions")),
        };
        super::forms::flash(&access.signed_in.session, &message)?;
    }
    // From the confirmation's dialog too: the sessions tab again, whole.
    let to = format!("/w/{}/users/{id}/sessions", access.workspace.slug);
    Ok(super::htmx::leave_for(req, &to))
}

pub async fn end_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (_, id, session) = path.into_inner();
    end(&req, &state, &access, member_id(&id)?, Some(session)).await
}

/// Asks before signing a member out everywhere (a dialog, or a page without JavaScript).
pub async fn confirm_end_all_sessions(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let id = member_id(&path.1)?;
    let member = confirmable(&state, &access, id, MemberAction::EndSessions).await?;
    let base = format!("/w/{}/users/{id}/sessions", access.workspace.slug);
    let (title, message) = if member.account_id == access.signed_in.account.id {
        (
            "Sign yourself out everywhere?".to_owned(),
            "Every session of yours ends at once, this one too: you sign in again next.",
        )
    } else {
        (
            format!("Sign {} out everywhere?", member.name()),
            "Every session of theirs ends at once, in every browser: the next click there asks \
             them to sign in again. Their account and memberships stay as they are.",
        )
    };
    let confirmation = Confirmation::dangerous(
        &access,
        title,
        message.to_owned(),
        Some(format!("{base}/end-all")),
        "Sign out everywhere",
        base,
    );
    confirm::render(&req, &state, &access, "users", confirmation).await
}

pub async fn end_all_sessions(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    end(&req, &state, &access, member_id(&path.1)?, None).await
}

/// Emails the member a link to choose a new password.
pub async fn send_password_reset(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    access.attempt(MemberAction::ResetPassword)?;
    let id = member_id(&path.1)?;
    let (base_url, now) = (state.settings.base_url.clone(), state.settings.clock.now());
    let member = with_acting(&state, &access, move |conn, acting, workspace| {
        Ok(console::send_password_reset(
            conn, acting, workspace, id, &base_url, now,
        ))
    })
    .await??;
    state.outbox_wake.notify_one();
    access.show_after(
        &format!("users/{id}"),
        &format!(
            "A link to choose a new password was sent to {}. It works for {} minutes.",
            member.email,
            crate::services::password_reset::LINK_MINUTES
        ),
    )
}

/// A sign-in guard lifted: `action` decided, `lift` done, and the message for done or not.
async fn lift_guard(
    state: &AppState,
    access: &WorkspaceAccess,
    member: &str,
    action: MemberAction,
    lift: console::LiftGuard,
    [done, nothing]: [&str; 2],
) -> Result<HttpResponse, AppError> {
    access.attempt(action)?;
    let id = member_id(member)?;
    let now = state.settings.clock.now();
    let lifted = with_acting(state, access, move |conn, acting, workspace| {
        Ok(console::lift_sign_in_guard(
            conn, acting, workspace, id, action, lift, now,
        ))
    })
    .await??;
    let message = if lifted { done } else { nothing };
    access.show_outcome(&format!("users/{id}"), lifted, message)
}

/// Lifts the sign-in pause of the member's account.
pub async fn clear_sign_in_pause(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let messages = views::SIGN_IN_PAUSE_CLEARED;
    let lift = crate::services::sign_in::clear_pause;
    lift_guard(
        &state,
        &access,
        &path.1,
        MemberAction::ClearSignInPause,
        lift,
        messages,
    )
    .await
}

/// Turns the member's two-factor sign-in off.
pub async fn reset_two_factor(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let messages = [
        "Two-factor sign-in is reset: they sign in with their password and set it up again.",
        "Two-factor sign-in was not on.",
    ];
    let lift = crate::services::two_factor::reset;
    lift_guard(
        &state,
        &access,
        &path.1,
        MemberAction::ResetTwoFactor,
        lift,
        messages,
    )
    .await
}

/// The dialog before resetting a member's two-factor sign-in.
pub async fn confirm_reset_two_factor(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let id = member_id(&path.1)?;
    let member = confirmable(&state, &access, id, MemberAction::ResetTwoFactor).await?;
    // Not asked when there is nothing to reset (the overview offers no button then).
    if member.two_factor_since.is_none() {
        return Err(AppError::Conflict(format!(
            "{} has not turned on two-factor sign-in: there is nothing to reset.",
            member.name()
        )));
    }
    let base = format!("/w/{}/users/{id}", access.workspace.slug);
    let confirmation = super::confirm::Confirmation::dangerous(
        &access,
        format!("Reset {}'s two-factor sign-in?", member.name()),
        format!(
            "{} ({}) will sign in with their password alone until they set two-factor up again; \
             their recovery codes stop working. Where a workspace requires two-factor, they are \
             sent to set it up first.",
            member.name(),
            member.email
        ),
        Some(format!("{base}/two-factor/reset")),
        "Reset two-factor sign-in",
        base,
    );
    super::confirm::render(&req, &state, &access, "users", confirmation).await
}
