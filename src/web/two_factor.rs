//! Two-factor sign-in in the browser: the second step of signing in (`/login/two-factor`), and a
//! person's own settings (`/me/two-factor`: enrol with a QR code, recovery codes, turn off).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::auth::{Chrome, SignedIn, client_ip, safe_next};
use super::error::{AppError, redirect};
use super::forms::{FieldErrors, flash};
use super::htmx::render_with_status;
use super::login::OwnCheck;
use super::session_store::keys;
use super::{AppState, blocking, csrf};
use crate::domain::ids::AccountId;
use crate::domain::totp;
use crate::services::landing::landing_path;
use crate::services::sign_in::{self, SignInError};
use crate::services::two_factor::{self, Passed, TwoFactorError};
use crate::store::accounts;

/// How long the second step waits after the password.
const PENDING_MINUTES: i64 = 10;

/// After the right password of an account with two-factor on: the session is not signed in; it
/// remembers whose password was right, for the second step, and where to go then — sealed, as it
/// may be an invitation's link, which the database keeps only as a hash.
pub fn await_second_step(
    state: &AppState,
    session: &Session,
    account: AccountId,
    epoch: i64,
    next: &str,
) -> Result<(), AppError> {
    let now = state.settings.clock.now();
    session.renew();
    session.remove(keys::ACCOUNT_ID);
    session.insert(keys::PENDING_ACCOUNT, account.0)?;
    session.insert(keys::PENDING_EPOCH, epoch)?;
    let sealed = crate::crypto::seal(&state.settings.encryption_key, next.as_bytes());
    session.insert(keys::PENDING_NEXT, sealed)?;
    session.insert(keys::PENDING_SINCE, now.and_utc().timestamp())?;
    Ok(())
}

/// Signs the session in once a password was proven another way (a reset link, an invitation for
/// an existing account) and goes to `to` — unless the account has two-factor on: then the second
/// step comes first, as at sign-in. `Ok(false)`: the second step was asked for.
pub async fn finish_sign_in(
    state: &AppState,
    session: &Session,
    req: &HttpRequest,
    account: AccountId,
    epoch: i64,
) -> Result<bool, AppError> {
    let (ip, now) = (client_ip(req), state.settings.clock.now());
    let at = ip.clone();
    let on = blocking(state, move |conn| {
        let on = two_factor::is_on(conn, account)?;
        if !on {
            record_signed_in(conn, account, at.as_deref(), now);
        }
        Ok(on)
    })
    .await?;
    if on {
        await_second_step(state, session, account, epoch, "")?;
        return Ok(false);
    }
    super::auth::start_session(session, account, epoch, req, ip)?;
    Ok(true)
}

/// The sign-in in the log, as `/login` writes it (and the failures counted cleared), once the
/// password was proven another way. The sign-in goes ahead whatever happens here.
pub(super) fn record_signed_in(
    conn: &mut crate::db::AnyConnection,
    account: AccountId,
    ip: Option<&str>,
    now: NaiveDateTime,
) {
    let recorded = match accounts::find(conn, account) {
        Ok(Some(found)) => {
            sign_in::record_success(conn, &found, ip, now).map_err(|e| e.to_string())
        }
        Ok(None) => Ok(()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "a sign-in was not recorded");
    }
}

fn forget_pending(session: &Session) {
    for key in [
        keys::PENDING_ACCOUNT,
        keys::PENDING_EPOCH,
        keys::PENDING_NEXT,
        keys::PENDING_SINCE,
    ] {
        session.remove(key);
    }
}

/// The account waiting for its second step, its session epoch then and where to go after it,
/// unless that wait is over.
fn pending(state: &AppState, session: &Session) -> Option<(AccountId, i64, String)> {
    let now = state.settings.clock.now();
    let account = session.get::<i64>(keys::PENDING_ACCOUNT).ok().flatten()?;
    let epoch = session.get::<i64>(keys::PENDING_EPOCH).ok().flatten()?;
    let since = session.get::<i64>(keys::PENDING_SINCE).ok().flatten()?;
    if now.and_utc().timestamp() - since > PENDING_MINUTES * 60 {
        forget_pending(session);
        return None;
    }
    let next = session
        .get::<String>(keys::PENDING_NEXT)
        .ok()
        .flatten()
        .and_then(|sealed| crate::crypto::open_text(&state.settings.encryption_key, &sealed))
        .unwrap_or_default();
    Some((AccountId(account), epoch, next))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    pub code: String,
}

#[derive(Template, Default)]
#[template(path = "two_factor/login.html")]
struct LoginStep {
    csrf_token: String,
    email: String,
    errors: FieldErrors,
    form_error: Option<String>,
}

async fn email_of(state: &AppState, account: AccountId) -> Result<Option<String>, AppError> {
    blocking(state, move |conn| {
        Ok(accounts::find(conn, account)?.map(|a| a.email))
    })
    .await
}

/// Back to `/login`: saying the sign-in must start again when one was waiting here (its ten
/// minutes over, or ended by a new password or "sign out everywhere").
fn start_again(session: &Session, waited: bool) -> HttpResponse {
    forget_pending(session);
    redirect(if waited { "/login?expired=1" } else { "/login" })
}

/// Whether this session was waiting at the second step (even if the wait is over).
fn waited(session: &Session) -> bool {
    session
        .get::<i64>(keys::PENDING_ACCOUNT)
        .ok()
        .flatten()
        .is_some()
}

pub async fn login_form(
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let waited = waited(&session);
    let Some((account, epoch, _)) = pending(&state, &session) else {
        return Ok(start_again(&session, waited));
    };
    let found = blocking(&state, move |conn| Ok(accounts::find(conn, account)?)).await?;
    // Signed out everywhere, or two-factor reset meanwhile (no code to ask for): from the start.
    let Some(email) = found
        .filter(|a| a.session_epoch == epoch && a.two_factor_since.is_some())
        .map(|a| a.email)
    else {
        return Ok(start_again(&session, waited));
    };
    let page = LoginStep {
        csrf_token: csrf::token(&session)?,
        email,
        ..LoginStep::default()
    };
    render_with_status(StatusCode::OK, &page)
}

/// The code: right, the session signs in; wrong, it counts toward the account's pause.
pub async fn login_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let waited = waited(&session);
    let Some((account_id, epoch, next)) = pending(&state, &session) else {
        return Ok(start_again(&session, waited));
    };
    let ip = client_ip(&req);
    // Checked and counted in turn (`web::turns`), under the key a password for this account
    // takes its turn by (its address): a code and a password are not tried at once.
    let Some(email) = email_of(&state, account_id).await? else {
        return Ok(start_again(&session, waited));
    };
    let _turn = state.sign_in_turns.take(Some(&email), ip.as_deref()).await;
    let now = state.settings.clock.now();
    let (key, code, where_from) = (
        state.settings.encryption_key.clone(),
        form.into_inner().code,
        ip.clone(),
    );
    let outcome = blocking(&state, move |conn| {
        let Some(account) = accounts::find(conn, account_id)? else {
            return Ok(Err(SignInError::InvalidCredentials));
        };
        // Signed out everywhere, or a new password, since the password step: start again.
        if account.session_epoch != epoch {
            return Ok(Err(SignInError::Expired));
        }
        let passed = match two_factor::second_step(
            conn,
            &key,
            &account,
            &code,
            where_from.as_deref(),
            now,
        ) {
            Ok(Ok(passed)) => passed,
            Ok(Err(refused)) => return Ok(Err(refused)),
            Err(TwoFactorError::Database(e)) => return Err(e.into()),
            // Reset by an administrator since the password step: the password step again
            // decides (it now signs them in with the password alone).
            Err(TwoFactorError::NotOn) => return Ok(Err(SignInError::Expired)),
            Err(TwoFactorError::Unreadable) => return Err(unreadable_key()),
            Err(e) => return Err(AppError::Internal(anyhow::Error::new(e))),
        };
        if let Err(e) = sign_in::record_success(conn, &account, where_from.as_deref(), now) {
            return Ok(Err(e));
        }
        Ok(Ok((passed, landing_path(conn, &account)?, account)))
    })
    .await?;
    match outcome {
        Ok((passed, landing, account)) => {
            forget_pending(&session);
            super::auth::start_session(&session, account.id, account.session_epoch, &req, ip)?;
            if let Passed::RecoveryCode { left } = passed {
                flash(&session, &recovery_code_used(left))?;
            }
            let to = safe_next(&next).map(str::to_owned).unwrap_or(landing);
            Ok(redirect(&to))
        }
        Err(SignInError::Database(e)) => Err(e.into()),
        Err(SignInError::Expired) => Ok(start_again(&session, waited)),
        Err(e) => refused_code(&session, email, &e),
    }
}

/// Said after a recovery code let someone in: how many are left, and the way out for a lost
/// phone (new recovery codes take a code from the app).
pub(super) fn recovery_code_used(left: i64) -> String {
    format!(
        "You used a recovery code; {left} left. Lost the phone with your authenticator app? Turn \
         two-factor sign-in off from your profile with your password and a recovery code, then \
         set it up again on the new one."
    )
}

/// A two-factor key this server cannot open (its `ENCRYPTION_KEY` changed): what to do.
pub(super) fn unreadable_key() -> AppError {
    AppError::Conflict(
        "Your two-factor key cannot be read by this server (its encryption key changed). Ask an \
         administrator to reset two-factor sign-in for you, then sign in with your password and \
         turn it on again."
            .to_owned(),
    )
}

/// The step again, refused.
fn refused_code(
    session: &Session,
    email: String,
    e: &SignInError,
) -> Result<HttpResponse, AppError> {
    let csrf_token = csrf::token(session)?;
    code_refused(e, |errors, form_error| LoginStep {
        csrf_token,
        email,
        errors,
        form_error,
    })
}

/// A page asking for a code (`page`, given its field messages and its message above the form),
/// refused: a wrong code is said beside the field (401); a pause is about the account, above the
/// form (429, with when to come back).
pub(super) fn code_refused<T: Template>(
    e: &SignInError,
    page: impl FnOnce(FieldErrors, Option<String>) -> T,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let (status, form_error) = match e.wait() {
        Some(_) => (StatusCode::TOO_MANY_REQUESTS, Some(e.to_string())),
        None => {
            errors.add("code", TwoFactorError::WrongCodeOrRecoveryCode);
            (StatusCode::UNAUTHORIZED, None)
        }
    };
    let mut response = render_with_status(status, &page(errors, form_error))?;
    if let Some(wait) = e.wait() {
        super::headers::retry_after(&mut response, wait);
    }
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// One's own settings

#[derive(Template)]
#[template(path = "two_factor/me.html")]
struct SettingsPage {
    chrome: Chrome,
    required_by: Option<String>,
    /// On: since when, and how many recovery codes are left.
    enabled_since: Option<String>,
    recovery_left: i64,
    /// Shown once, right after they were made.
    recovery_codes: Vec<String>,
    /// Enrolling: the key as a QR code, as text, and as a URI.
    qr_svg: String,
    secret: String,
    uri: String,
    errors: FieldErrors,
}

impl SettingsPage {
    /// The recovery codes as a text file to download (a `data:` address: they are never stored
    /// as they are shown, so there is nothing to ask the server for later). The codes are
    /// lower-case letters, digits and dashes: nothing to escape but the line breaks.
    fn codes_file(&self) -> String {
        format!(
            "data:text/plain;charset=utf-8,Recovery%20codes%20for%20{}%0A%0A{}%0A",
            self.chrome
                .user_email
                .replace('%', "%25")
                .replace('+', "%2B")
                .replace('#', "%23"),
            self.recovery_codes.join("%0A")
        )
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsQuery {
    /// The slug of a workspace that sent them here to enrol.
    pub required: String,
}

fn qr_svg(uri: &str) -> String {
    qrcode::QrCode::new(uri.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default()
}

async fn settings_page(
    state: &AppState,
    me: &SignedIn,
    required: Option<String>,
    recovery_codes: Vec<String>,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (account, key) = (me.account.id, state.settings.encryption_key.clone());
    let everywhere = me.account.org_role.administers_all_workspaces();
    let chrome = me.chrome(state).await?;
    let issuer = chrome.org_name.clone();
    let (current, required_by) = blocking(state, move |conn| {
        let current = two_factor::state(conn, account).map_err(internal)?;
        // Named only to someone of that workspace: a slug in the address reveals nothing else.
        let required_by = match required {
            Some(slug) if everywhere => {
                crate::store::workspaces::find_by_slug(conn, &slug)?.map(|w| w.name)
            }
            Some(slug) => crate::store::memberships::list_for_account(conn, account)?
                .into_iter()
                .find(|m| m.slug == slug)
                .map(|m| m.workspace_name),
            None => None,
        };
        Ok((current, required_by))
    })
    .await?;
    // Enrolling: the key this session shows (the same on a reload), kept sealed in the session.
    let secret = if current.enabled_at.is_none() {
        Some(enrolment_key(&me.session, &key)?)
    } else {
        me.session.remove(keys::ENROLLING);
        None
    };
    let uri = secret
        .as_deref()
        .map(|s| totp::otpauth_uri(&issuer, &me.account.email, s))
        .unwrap_or_default();
    let page = SettingsPage {
        chrome,
        required_by: required_by.filter(|_| current.enabled_at.is_none()),
        enabled_since: current
            .enabled_at
            .map(|t| super::views::long_local_date(t, me.zone())),
        recovery_left: current.recovery_codes_left,
        recovery_codes,
        qr_svg: qr_svg(&uri),
        secret: secret.as_deref().map(totp::base32).unwrap_or_default(),
        uri,
        errors,
    };
    render_with_status(status, &page)
}

/// The key this session is enrolling (made the first time).
fn enrolment_key(session: &Session, key: &[u8]) -> Result<Vec<u8>, AppError> {
    let kept = session.get::<String>(keys::ENROLLING).ok().flatten();
    if let Some(secret) = kept.as_deref().and_then(|s| crate::crypto::open(key, s)) {
        return Ok(secret);
    }
    let sealed = two_factor::new_enrolment_key(key);
    session.insert(keys::ENROLLING, &sealed)?;
    crate::crypto::open(key, &sealed)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a key sealed just now opens")))
}

fn internal(e: TwoFactorError) -> AppError {
    match e {
        TwoFactorError::Database(e) => e.into(),
        e => AppError::Internal(anyhow::Error::new(e)),
    }
}

pub async fn settings(
    state: web::Data<AppState>,
    me: SignedIn,
    query: web::Query<SettingsQuery>,
) -> Result<HttpResponse, AppError> {
    let required = Some(query.into_inner().required)
        .filter(|r| !r.is_empty() && !r.contains(char::is_control));
    settings_page(
        &state,
        &me,
        required,
        Vec::new(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// The page again, 422, with `message` beside `field`.
async fn refuse(
    state: &AppState,
    me: &SignedIn,
    field: &'static str,
    message: impl ToString,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    errors.add(field, message);
    settings_page(
        state,
        me,
        None,
        Vec::new(),
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// The page with the new recovery codes, or the refused code beside its field.
async fn codes_or_refusal(
    state: &AppState,
    me: &SignedIn,
    made: Result<Vec<String>, TwoFactorError>,
) -> Result<HttpResponse, AppError> {
    match made {
        Ok(codes) => {
            settings_page(
                state,
                me,
                None,
                codes,
                FieldErrors::default(),
                StatusCode::OK,
            )
            .await
        }
        Err(e @ (TwoFactorError::AlreadyOn | TwoFactorError::NotOn)) => changed_meanwhile(me, e),
        Err(e @ TwoFactorError::WrongCode) => refuse(state, me, "code", e).await,
        Err(e) => Err(internal(e)),
    }
}

/// Two-factor turned on or off since the page was shown (another tab, an administrator's reset):
/// the page again as it is now, saying so above it (no field is wrong).
fn changed_meanwhile(me: &SignedIn, e: TwoFactorError) -> Result<HttpResponse, AppError> {
    let now = match e {
        TwoFactorError::AlreadyOn => "on",
        _ => "off",
    };
    super::forms::flash_warning(
        &me.session,
        &format!(
            "Two-factor sign-in is {now} already (turned {now} in another tab, or by an \
             administrator): nothing was changed. This page shows it as it is now."
        ),
    )?;
    Ok(redirect("/me/two-factor"))
}

/// A change of one's own two-factor: `change` gets the encryption key, the person as actor and
/// account, the code they typed and the time.
async fn change_own<T: Send + 'static>(
    state: &AppState,
    me: &SignedIn,
    code: String,
    change: impl FnOnce(
        &mut crate::db::AnyConnection,
        &[u8],
        &crate::store::audit::Actor,
        &crate::store::accounts::Account,
        &str,
        NaiveDateTime,
    ) -> Result<T, TwoFactorError>
    + Send
    + 'static,
) -> Result<Result<T, TwoFactorError>, AppError> {
    let (key, actor, account, now) = (
        state.settings.encryption_key.clone(),
        me.actor(),
        me.account.clone(),
        state.settings.clock.now(),
    );
    blocking(state, move |conn| {
        Ok(change(conn, &key, &actor, &account, &code, now))
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EnableForm {
    pub password: String,
    pub code: String,
}

/// Confirms the enrolment with the password (a session left open must not be enough to tie the
/// account to someone else's phone) and a first code; the page then shows the recovery codes once.
pub async fn enable(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: SignedIn,
    form: web::Form<EnableForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    // Held until the code is judged (one check at a time per account); a wrong first code is not
    // counted: it proves nothing about the account, only that the app was not set up yet.
    let _check = match own_password(&state, &me, &req, form.password).await? {
        Ok(check) => check,
        Err(refused) => return Ok(refused),
    };
    let sealed = me
        .session
        .get::<String>(keys::ENROLLING)
        .ok()
        .flatten()
        .unwrap_or_default();
    let made = change_own(
        &state,
        &me,
        form.code,
        move |conn, key, actor, account, code, now| {
            two_factor::enable(conn, key, actor, account, &sealed, code, now)
        },
    )
    .await?;
    if made.is_ok() {
        me.session.remove(keys::ENROLLING);
    }
    codes_or_refusal(&state, &me, made).await
}

/// The person's own password, checked and counted like a sign-in (a wrong one, or one tried while
/// sign-in is paused, is the page again with the reason beside "password"). `Ok` holds the check,
/// its turn still held, for the code that follows (which `disable` counts when wrong).
async fn own_password(
    state: &AppState,
    me: &SignedIn,
    req: &HttpRequest,
    password: String,
) -> Result<Result<OwnCheck, HttpResponse>, AppError> {
    // Left empty: asked for, not counted as a wrong one.
    if password.is_empty() {
        return Ok(Err(
            refuse(state, me, "password", "Enter your password.").await?
        ));
    }
    let check = match OwnCheck::start(state, me, req).await? {
        Ok(check) => check,
        Err(paused) => return Ok(Err(refuse(state, me, "password", paused).await?)),
    };
    if super::verify_password(me.account.password_hash.clone(), password).await? {
        return Ok(Ok(check));
    }
    check.wrong(state, me).await?;
    let wrong = refuse(state, me, "password", "That password is not correct.").await?;
    Ok(Err(wrong))
}

pub async fn regenerate(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: SignedIn,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let check = match OwnCheck::start(&state, &me, &req).await? {
        Ok(check) => check,
        Err(paused) => return refuse(&state, &me, "code", paused).await,
    };
    let made = change_own(
        &state,
        &me,
        form.into_inner().code,
        two_factor::regenerate_recovery_codes,
    )
    .await?;
    if matches!(made, Err(TwoFactorError::WrongCode)) {
        check.wrong(&state, &me).await?;
    }
    codes_or_refusal(&state, &me, made).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DisableForm {
    pub password: String,
    pub off_code: String,
}

/// Turning it off takes the password and a code.
pub async fn disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: SignedIn,
    form: web::Form<DisableForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    // Nothing to turn off: said before any password is checked (or counted).
    let account = me.account.id;
    if !blocking(&state, move |conn| Ok(two_factor::is_on(conn, account)?)).await? {
        return changed_meanwhile(&me, TwoFactorError::NotOn);
    }
    let check = match own_password(&state, &me, &req, form.password).await? {
        Ok(check) => check,
        Err(refused) => return Ok(refused),
    };
    let done = change_own(&state, &me, form.off_code, two_factor::disable).await?;
    if matches!(done, Err(TwoFactorError::WrongCodeOrRecoveryCode)) {
        check.wrong(&state, &me).await?;
    }
    match done {
        Ok(()) => {
            flash(&me.session, "Two-factor sign-in is off.")?;
            Ok(redirect("/me/two-factor"))
        }
        Err(e @ TwoFactorError::NotOn) => changed_meanwhile(&me, e),
        Err(e) => refuse(&state, &me, "off_code", e).await,
    }
}
