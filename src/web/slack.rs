//! Slack (issue 19): the settings page that connects a workspace to a Slack workspace (OAuth, or a
//! pasted bot token) and disconnects it, and the invite dialog's "From Slack" tab that adds Slack
//! people directly as members. Every call to Slack runs on the blocking pool.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::acting::as_inviter;
use super::auth::{Chrome, WorkspaceAccess};
use super::confirm::{self, Confirmation};
use super::error::{AppError, redirect};
use super::forms::{FieldErrors, HtmlForm, flash};
use super::htmx::{render_with_status, wants_fragment};
use super::invite_form::{self, InviteForm, InviteView};
use super::{AppState, blocking, views};
use crate::domain::SearchTerm;
use crate::domain::ids::WorkspaceId;
use crate::domain::role::Permission;
use crate::domain::slack::{BotToken, REQUIRED_SCOPES, missing_scopes};
use crate::services::invitations::InviteProblems;
use crate::services::slack::{
    self as service, AddError, AddRequest, Checked, Replaced, Revocation, Via,
};
use crate::slack::client::{SlackError, TokenInfo};
use crate::store::slack::{self as store, Connection};

/// The session key holding the OAuth `state` of an installation under way: `{workspace}:{state}`.
const OAUTH_STATE: &str = "slack_oauth_state";
/// People shown at once in the picker; a search narrows them.
const SHOWN: i64 = 50;

// -------------------------------------------------------------------------------------------------
// Settings

/// The connection as the settings page and the picker describe it.
pub struct ConnectionView {
    pub team_name: String,
    pub team_id: String,
    pub scopes: Vec<String>,
    /// Required scopes the token lacks, named.
    pub missing: Vec<&'static str>,
    pub connected: String,
    /// "443 people, read 2 minutes ago", or what is happening instead.
    pub people: String,
    /// A read is wanted or running: the page looks again shortly.
    pub reading: bool,
    /// Why the last read failed, in words.
    pub read_error: Option<String>,
    /// After a failure: when it is tried again by itself ("Tried again at 26 Nov 2026, 09:41 CET.").
    pub retry: Option<String>,
}

impl ConnectionView {
    fn of(c: &Connection, now: NaiveDateTime, zone: crate::domain::timezone::Timezone) -> Self {
        let reading = c.read_requested_at.is_some_and(|at| at <= now);
        let people = match (reading, c.people_read_at) {
            (true, _) if c.read_progress > 0 => format!(
                "Reading people from Slack… {} so far.",
                views::number(c.read_progress)
            ),
            (true, _) => "Reading people from Slack…".to_owned(),
            (false, Some(at)) => format!(
                "{} read from Slack {}.",
                views::count(c.read_progress, "person", "people"),
                views::relative(at, now, zone)
            ),
            (false, None) => "People not read yet.".to_owned(),
        };
        Self {
            team_name: c.team_name.clone(),
            team_id: c.team_id.clone(),
            scopes: c
                .scopes
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            missing: missing_scopes(&c.scopes),
            connected: views::local_date(c.connected_at, zone),
            people,
            reading,
            read_error: c.read_error.clone().filter(|e| !e.is_empty()),
            retry: retry_at(c, now)
                .map(|at| format!("Tried again by itself at {}.", views::in_timezone(at, zone))),
        }
    }
}

/// When a read that failed is tried again by itself, while that is still to come.
fn retry_at(c: &Connection, now: NaiveDateTime) -> Option<NaiveDateTime> {
    c.read_requested_at
        .filter(|at| *at > now && c.read_error.as_ref().is_some_and(|e| !e.is_empty()))
}

#[derive(Template)]
#[template(path = "settings/slack.html")]
struct SettingsPage {
    chrome: Chrome,
    slug: String,
    connection: Option<ConnectionView>,
    can_manage: bool,
    /// "Add to Slack" is offered: a Slack app is configured.
    can_install: bool,
    required: &'static [&'static str],
    token: String,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    token: String,
}

async fn settings_page(
    state: &AppState,
    access: &WorkspaceAccess,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let workspace = access.workspace.id;
    let loader = access.chrome_loader("settings");
    let (connection, chrome) = blocking(state, move |conn| {
        Ok((store::find(conn, workspace)?, loader.load(conn)?))
    })
    .await?;
    let now = state.settings.clock.now();
    let page = SettingsPage {
        chrome: Chrome {
            flash: access.take_flash(),
            ..chrome
        },
        slug: access.workspace.slug.clone(),
        connection: connection
            .as_ref()
            .map(|c| ConnectionView::of(c, now, access.signed_in.zone())),
        can_manage: access.can(Permission::SlackManage),
        can_install: state.settings.slack.app.is_some(),
        required: &REQUIRED_SCOPES,
        // A refused token is not shown again: it is a secret.
        token: String::new(),
        errors,
    };
    render_with_status(status, &page)
}

pub async fn settings(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
) -> Result<HttpResponse, AppError> {
    access.require_any(&[Permission::SlackManage, Permission::AuditView])?;
    settings_page(&state, &access, FieldErrors::default(), StatusCode::OK).await
}

fn settings_path(access: &WorkspaceAccess) -> String {
    format!("/w/{}/settings/slack", access.workspace.slug)
}

/// Said when a connection is gone here but its token could not be revoked in Slack.
pub(super) fn not_revoked(team: &str) -> String {
    format!(
        "the console's token could not be revoked in Slack (Slack could not be reached, or \
         refused): remove the app from {team} in Slack's app management to end it there."
    )
}

/// Revokes in Slack (`auth.revoke`) the `token` of `workspace`'s connection to the Slack workspace
/// `team_id`, now gone or going, unless another workspace's connection holds the same token. An
/// unreadable token (`None`: sealed under another `ENCRYPTION_KEY`) is not revoked.
pub(super) async fn revoke_unless_shared(
    state: &AppState,
    workspace: WorkspaceId,
    team_id: String,
    token: Option<String>,
) -> Result<Revocation, AppError> {
    let Some(token) = token else {
        return Ok(Revocation::NotRevoked);
    };
    let (key, asked) = (state.settings.encryption_key.clone(), token.clone());
    let elsewhere = blocking(state, move |conn| {
        Ok(service::held_elsewhere(
            conn, workspace, &team_id, &asked, &key,
        )?)
    })
    .await?;
    if let Some(slug) = elsewhere {
        return Ok(Revocation::KeptFor(slug));
    }
    let api = state.slack.clone();
    Ok(match web::block(move || api.revoke(&token)).await? {
        Ok(_) => Revocation::Revoked,
        // Dead there already: as good as revoked.
        Err(e) if e.is_token_dead() => Revocation::Revoked,
        Err(e) => {
            tracing::warn!(error = %e, "slack: a token of the console's could not be revoked");
            Revocation::NotRevoked
        }
    })
}

/// What a connection's end did to its token, said after "Disconnected from …" or "… deleted.":
/// `None` when it was revoked, else the words and whether they are a warning.
pub(super) fn token_words(team: &str, revocation: &Revocation) -> Option<(String, bool)> {
    match revocation {
        Revocation::Revoked => None,
        Revocation::NotRevoked => Some((not_revoked(team), true)),
        // Which one is the organization's to know (its log names it), not this workspace's.
        Revocation::KeptFor(_) => Some((
            format!(
                "its token was not revoked in Slack: another workspace of the organization is \
                 connected to {team} with the same token, and keeps working."
            ),
            false,
        )),
    }
}

/// A new token, stored: the Slack workspace it reaches, and the connection it replaced.
struct Connected {
    info: TokenInfo,
    replaced: Option<Replaced>,
}

/// Checks a token with `auth.test` and stores it; the people are read next, in the background.
/// An earlier connection's own token is revoked in Slack first (as Disconnect does): connecting
/// again leaves no token of the console's working there unseen.
async fn check_and_connect(
    state: &AppState,
    access: &WorkspaceAccess,
    token: String,
    granted: Option<String>,
    via: Via,
) -> Result<Result<Connected, SlackError>, AppError> {
    // Slack is asked with no database connection held: a slow Slack (up to its 20 s timeout)
    // must not take the pool from everyone else.
    let api = state.slack.clone();
    let asked = token.clone();
    let mut info = match web::block(move || api.auth_test(&asked)).await? {
        Ok(info) => info,
        Err(e) => return Ok(Err(e)),
    };
    if info.scopes.is_empty() {
        info.scopes = granted.unwrap_or_default();
    }
    let (actor, workspace) = (access.signed_in.actor(), access.workspace.id);
    let key = state.settings.encryption_key.clone();
    let opened = key.clone();
    let earlier = blocking(state, move |conn| {
        Ok(store::find(conn, workspace)?.map(|c| {
            (
                c.team_id.clone(),
                c.team_name.clone(),
                service::token_of(&c, &opened),
            )
        }))
    })
    .await?;
    let replaced = match earlier {
        Some((_, _, Some(old))) if old == token => None,
        Some((team_id, team_name, old)) => Some(Replaced {
            revocation: revoke_unless_shared(state, workspace, team_id.clone(), old).await?,
            team_id,
            team_name,
        }),
        None => None,
    };
    let connected = blocking(state, move |conn| {
        let checked = Checked {
            token: &token,
            info: &info,
            via,
            replaced,
        };
        service::connect(conn, &actor, workspace, &checked, &key, crate::clock::now())?;
        let replaced = checked.replaced;
        Ok(Connected { info, replaced })
    })
    .await?;
    state.slack_wake.notify_one();
    Ok(Ok(connected))
}

/// What connecting did, for the next page: a warning when the app lacks scopes or the replaced
/// connection, to another Slack workspace, may still have a working token there.
fn flash_connected(
    session: &actix_session::Session,
    connected: &Connected,
) -> Result<(), AppError> {
    let info = &connected.info;
    let missing = missing_scopes(&info.scopes);
    let mut message = if missing.is_empty() {
        format!(
            "Connected to the Slack workspace {}. Its people are being read.",
            info.team_name
        )
    } else {
        format!(
            "Connected to the Slack workspace {}, but the app lacks {}: add them in Slack and connect again.",
            info.team_name,
            missing.join(", ")
        )
    };
    // Said only of another Slack workspace: in the same one, removing the app would end the
    // token just connected too.
    match &connected.replaced {
        Some(old) if old.revocation == Revocation::NotRevoked && old.team_id != info.team_id => message.push_str(&format!(
            " The token of the connection to {0} it replaced could not be revoked (Slack could not \
             be reached or refused, or this server could not read it): remove the app from {0} in \
             Slack's app management to end it there.",
            old.team_name
        )),
        _ if missing.is_empty() => return flash(session, &message),
        _ => {}
    }
    super::forms::flash_warning(session, &message)
}

/// Connects with a pasted bot token (field `token`).
pub async fn connect(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: HtmlForm<TokenForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::SlackManage)?;
    let mut errors = FieldErrors::default();
    let token = match BotToken::parse(&form.0.token) {
        Ok(token) => token,
        Err(why) => {
            errors.add("token", why);
            return settings_page(&state, &access, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match check_and_connect(&state, &access, token.as_str().to_owned(), None, Via::Token).await? {
        Ok(connected) => {
            flash_connected(&access.signed_in.session, &connected)?;
            Ok(redirect(&settings_path(&access)))
        }
        Err(e) => {
            errors.add("token", e);
            settings_page(&state, &access, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// Where Slack sends the person back after the installation.
fn callback_url(state: &AppState, access: &WorkspaceAccess) -> String {
    format!(
        "{}/w/{}/settings/slack/callback",
        state.settings.base_url, access.workspace.slug
    )
}

/// "Add to Slack": to Slack's approval page, with a `state` bound to this session.
pub async fn install(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::SlackManage)?;
    let Some((client_id, _)) = &state.settings.slack.app else {
        flash(
            &access.signed_in.session,
            "No Slack app is configured for this console (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET): paste a bot token instead.",
        )?;
        return Ok(redirect(&settings_path(&access)));
    };
    let nonce = crate::tokens::new_token();
    access
        .signed_in
        .session
        .insert(OAUTH_STATE, format!("{}:{nonce}", access.workspace.id.0))?;
    let query = serde_html_form::to_string([
        ("client_id", client_id.as_str()),
        ("scope", &REQUIRED_SCOPES.join(",")),
        ("state", &nonce),
        ("redirect_uri", &callback_url(&state, &access)),
    ])
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(redirect(&format!(
        "{}?{query}",
        state.settings.slack.authorize_url()
    )))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CallbackQuery {
    code: String,
    state: String,
    error: String,
}

/// Slack's redirect back: the `state` must be the one this session started (once), then the code
/// is exchanged for the bot token (`oauth.v2.access`) and checked (`auth.test`).
pub async fn callback(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::SlackManage)?;
    let session = &access.signed_in.session;
    let expected = session
        .remove_as::<String>(OAUTH_STATE)
        .and_then(Result::ok);
    let back = redirect(&settings_path(&access));
    let started_here = expected.is_some_and(|e| {
        !query.state.is_empty() && e == format!("{}:{}", access.workspace.id.0, query.state)
    });
    if !started_here {
        flash(
            session,
            "That Slack installation was not started from this page (or was finished already): start it again with “Add to Slack”.",
        )?;
        return Ok(back);
    }
    if !query.error.is_empty() || query.code.is_empty() {
        let code = if query.error.is_empty() {
            "access_denied"
        } else {
            &query.error
        };
        flash(session, &crate::domain::slack::error_in_words(code))?;
        return Ok(back);
    }
    let Some((client_id, secret)) = state.settings.slack.app.clone() else {
        return Ok(back);
    };
    let (api, code, redirect_uri) = (
        state.slack.clone(),
        query.code.clone(),
        callback_url(&state, &access),
    );
    let installed =
        web::block(move || api.oauth_access(&client_id, &secret, &code, &redirect_uri)).await?;
    let failed = match installed {
        Ok(installed) => {
            match check_and_connect(
                &state,
                &access,
                installed.token,
                Some(installed.scopes),
                Via::OAuth,
            )
            .await?
            {
                Ok(connected) => return flash_connected(session, &connected).map(|()| back),
                Err(e) => e,
            }
        }
        Err(e) => e,
    };
    flash(session, &failed.to_string())?;
    Ok(back)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RefreshForm {
    /// `settings` to come back to the settings page; otherwise the picker.
    back: String,
}

/// "Refresh": the people are read again from Slack, in the background.
pub async fn refresh(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: HtmlForm<RefreshForm>,
) -> Result<HttpResponse, AppError> {
    // From the settings page it is Slack's manager's; from the picker, an inviter's: each sees
    // only what their own page shows.
    let back_to_settings = form.0.back == "settings";
    access.require(if back_to_settings {
        Permission::SlackManage
    } else {
        Permission::UsersInvite
    })?;
    let (workspace, now) = (access.workspace.id, state.settings.clock.now());
    let (asked, connection) = blocking(&state, move |conn| {
        Ok((
            store::request_read(conn, workspace, now)?,
            store::find(conn, workspace)?,
        ))
    })
    .await?;
    if asked {
        state.slack_wake.notify_one();
    }
    if back_to_settings {
        let session = &access.signed_in.session;
        // Not asked: a read is wanted already, now or (after a failure, or as Slack asked us to
        // wait) at a time to come; the page says which.
        match connection.as_ref().and_then(|c| retry_at(c, now)) {
            _ if asked => flash(session, "Reading the people from Slack again.")?,
            Some(at) => super::forms::flash_warning(
                session,
                &format!(
                    "The last read failed: the next starts by itself at {}.",
                    views::in_timezone(at, access.signed_in.zone())
                ),
            )?,
            None if connection.is_some() => {
                flash(session, "The people are being read from Slack already.")?
            }
            None => {}
        }
        return Ok(redirect(&settings_path(&access)));
    }
    if wants_fragment(&req) {
        return picker(
            &req,
            &state,
            &access,
            &AddForm::default(),
            InviteProblems::default(),
            StatusCode::OK,
        )
        .await;
    }
    Ok(redirect(&format!(
        "/w/{}/invitations/slack",
        access.workspace.slug
    )))
}

pub async fn confirm_disconnect(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::SlackManage)?;
    let workspace = access.workspace.id;
    let connection = blocking(&state, move |conn| Ok(store::find(conn, workspace)?)).await?;
    let base = settings_path(&access);
    let (title, message, action) = match connection {
        Some(c) => (
            format!("Disconnect from {}?", c.team_name),
            "The console's token is revoked in Slack and forgotten here, with the list of Slack \
             people. Direct messages not sent yet are not sent. People already added stay members."
                .to_owned(),
            Some(format!("{base}/disconnect")),
        ),
        None => (
            "Disconnect Slack?".to_owned(),
            "This workspace is not connected to Slack.".to_owned(),
            None,
        ),
    };
    let confirmation = Confirmation::dangerous(&access, title, message, action, "Disconnect", base);
    confirm::render(&req, &state, &access, "settings", confirmation).await
}

/// Revokes the token in Slack (`auth.revoke`; a token Slack no longer knows is forgotten all the
/// same) and forgets the connection. When Slack cannot be reached or refuses, it is forgotten
/// here all the same, and the page and the audit event say the token was not revoked.
pub async fn disconnect(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::SlackManage)?;
    let workspace = access.workspace.id;
    let key = state.settings.encryption_key.clone();
    let found = blocking(&state, move |conn| {
        Ok(store::find(conn, workspace)?.map(|c| (c.team_id.clone(), service::token_of(&c, &key))))
    })
    .await?;
    let revocation = match found {
        Some((team_id, token)) => revoke_unless_shared(&state, workspace, team_id, token).await?,
        None => Revocation::Revoked,
    };
    let (actor, now) = (access.signed_in.actor(), state.settings.clock.now());
    let said = revocation.clone();
    let team = blocking(&state, move |conn| {
        Ok(service::disconnect(conn, &actor, workspace, &said, now)?)
    })
    .await?;
    let Some(team) = team else {
        let message = "This workspace was not connected to Slack.";
        return confirm::deleted(&req, &access, message, "settings/slack");
    };
    let done = format!("Disconnected from the Slack workspace {team}");
    match token_words(&team, &revocation) {
        None => confirm::deleted(&req, &access, &format!("{done}."), "settings/slack"),
        Some((words, warning)) => {
            let message = format!("{done} here, but {words}");
            super::forms::flash_or_warn(&access.signed_in.session, warning, &message)?;
            Ok(super::htmx::leave_for(&req, &settings_path(&access)))
        }
    }
}

// -------------------------------------------------------------------------------------------------
// The picker: the invite dialog's "From Slack" tab

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddForm {
    pub q: SearchTerm,
    pub slack_user_id: Vec<String>,
    /// Everyone matching `q` who may be added ("Select all N").
    pub select_all: String,
    pub role: String,
    pub group_id: Vec<i64>,
    pub app_id: Vec<i64>,
}

/// One Slack person in the picker.
pub struct PersonRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub is_guest: bool,
    pub checked: bool,
    /// Why they cannot be ticked ("Already a member"), if so.
    pub here: Option<&'static str>,
}

pub struct Picker {
    pub q: String,
    pub connection: Option<ConnectionView>,
    pub people: Vec<PersonRow>,
    /// How many match the search in all.
    pub total: i64,
    pub select_all: bool,
    pub can_connect: bool,
}

#[derive(Template)]
#[template(path = "invitations/slack_dialog.html")]
struct SlackDialog {
    view: InviteView,
    slack: Picker,
}

#[derive(Template)]
#[template(path = "invitations/slack_page.html")]
struct SlackPage {
    chrome: Chrome,
    view: InviteView,
    slack: Picker,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PeopleQuery {
    q: SearchTerm,
}

/// The Slack people (a page, or the dialog's tab for htmx). A list older than five minutes is
/// read again in the background; the search reads the stored list, never Slack.
pub async fn people(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    query: web::Query<PeopleQuery>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersInvite)?;
    let form = AddForm {
        q: query.into_inner().q,
        ..AddForm::default()
    };
    picker(
        &req,
        &state,
        &access,
        &form,
        InviteProblems::default(),
        StatusCode::OK,
    )
    .await
}

async fn picker(
    req: &HttpRequest,
    state: &AppState,
    access: &WorkspaceAccess,
    form: &AddForm,
    problems: InviteProblems,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let invite_form = InviteForm {
        emails: String::new(),
        role: form.role.clone(),
        group_id: form.group_id.clone(),
        app_id: form.app_id.clone(),
    };
    let view = invite_form::view(state, access, &invite_form, problems).await?;
    let (workspace, now, q) = (
        access.workspace.id,
        state.settings.clock.now(),
        form.q.as_str().to_owned(),
    );
    let search = q.clone();
    let (connection, found) = blocking(state, move |conn| {
        let Some(mut connection) = store::find(conn, workspace)? else {
            return Ok((None, None));
        };
        if service::is_stale(&connection, now) && store::request_read(conn, workspace, now)? {
            connection.read_requested_at = Some(now);
        }
        let found = service::search(conn, workspace, &search, SHOWN)?;
        Ok((Some(connection), Some(found)))
    })
    .await?;
    if connection
        .as_ref()
        .is_some_and(|c| c.read_requested_at == Some(now))
    {
        state.slack_wake.notify_one();
    }
    let (people, total) = found.unwrap_or_default();
    let slack = Picker {
        q,
        connection: connection
            .as_ref()
            .map(|c| ConnectionView::of(c, now, access.signed_in.zone())),
        people: people
            .into_iter()
            .map(|(p, here)| PersonRow {
                checked: here.is_none() && form.slack_user_id.contains(&p.slack_user_id),
                id: p.slack_user_id,
                name: p.name,
                email: p.email,
                is_guest: p.is_guest,
                here,
            })
            .collect(),
        total,
        select_all: !form.select_all.is_empty(),
        can_connect: access.can(Permission::SlackManage),
    };
    let body = if wants_fragment(req) {
        SlackDialog { view, slack }.render()?
    } else {
        SlackPage {
            chrome: access.chrome(state, "users").await?,
            view,
            slack,
        }
        .render()?
    };
    Ok(super::htmx::varying_html(status, body))
}

/// Adds the ticked people (or everyone matching, with `select_all`) as active members.
pub async fn add(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: HtmlForm<AddForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersInvite)?;
    let mut form = form.0;
    for ids in [&mut form.group_id, &mut form.app_id] {
        super::forms::unique(ids);
    }
    super::forms::unique(&mut form.slack_user_id);
    // Slack's ids are letters and digits ("U024BE7LH"); anything else names nobody.
    form.slack_user_id
        .retain(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()));
    let (settings, workspace) = (state.invite_settings(), access.workspace.id);
    let (chosen, all, q) = (
        form.slack_user_id.clone(),
        !form.select_all.is_empty(),
        form.q.as_str().to_owned(),
    );
    let (role, group_ids, app_ids) = (
        form.role.clone(),
        form.group_id.clone(),
        form.app_id.clone(),
    );
    let outcome = as_inviter(&state, &access, move |conn, inviter, now| {
        let slack_user_ids = if all {
            service::addable_matching(conn, workspace, &q)?
        } else {
            chosen
        };
        let request = AddRequest {
            workspace,
            slack_user_ids,
            role,
            group_ids,
            app_ids,
        };
        service::add_people(conn, inviter, &request, &settings, now)
    })
    .await?;
    match outcome {
        Ok(added) => {
            state.outbox_wake.notify_one();
            state.slack_wake.notify_one();
            let message = format!(
                "{} added from Slack. Each is told how to sign in by email (with a link to choose \
                 a password, for whoever has none) and by a Slack direct message where the \
                 connection allows it.{}",
                views::count(added.len() as i64, "person", "people"),
                invite_form::admin_warning(&state, &access, &form.role).await?
            );
            if wants_fragment(&req) {
                super::htmx::members_changed(&message)
            } else {
                access.show_after(access.people_or("invitations/slack"), &message)
            }
        }
        Err(AddError::Invalid(problems)) => {
            picker(
                &req,
                &state,
                &access,
                &form,
                problems,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AddError::Database(e)) => Err(e.into()),
        Err(AddError::Render(e)) => Err(e.into()),
        Err(AddError::Mail(e)) => Err(AppError::Internal(e.into())),
    }
}
