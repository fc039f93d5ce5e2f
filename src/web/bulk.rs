//! `POST /w/{slug}/users/bulk`: one action on the people ticked on the users list, or on everyone
//! its filter matches (issue 18 §2). Without `confirm` the answer is the preview — who will change
//! and who is skipped, and why — and nothing changes; its form confirms with `confirm=1`, which
//! runs the action person by person and goes back to the list with what was done (303).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use super::acting::with_acting;
use super::auth::{Chrome, WorkspaceAccess};
use super::confirm::ReasonField;
use super::error::AppError;
use super::forms::{HtmlForm, flash, flash_warning};
use super::{AppState, blocking, views};
use crate::clock;
use crate::domain::Reason;
use crate::domain::ids::MembershipId;
use crate::domain::role::{BuiltInRole, Permission};
use crate::services::bulk::{self, BulkAction, BulkRequest, Outcome, Targets};
use crate::services::console;
use crate::services::members::{self, FilterParams};

/// The bulk form as posted, kept as typed (the preview posts it again with `confirm=1`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct BulkForm {
    pub action: String,
    /// `change_role`'s new role; otherwise, with `all_matching`, the list's role filter.
    pub role: String,
    /// The list's role filter (the list's own form always sends it so, empty for any role);
    /// without it, `role` is the filter unless the action is `change_role`.
    pub filter_role: Option<String>,
    pub group_id: String,
    pub reassign_to: String,
    pub reason: String,
    pub member_id: Vec<String>,
    pub all_matching: String,
    /// Who the preview listed ([`bulk::fingerprint`]): the confirmation does nothing when its
    /// selection matches other people.
    pub people: String,
    pub q: String,
    pub status: String,
    pub group: String,
    pub inactive_days: String,
    pub confirm: String,
}

impl BulkForm {
    fn action(&self) -> Result<BulkAction, String> {
        let id = |text: &str, what: &str| {
            text.trim()
                .parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| format!("Choose {what}."))
        };
        Ok(match self.action.as_str() {
            "suspend" => BulkAction::Suspend,
            "unsuspend" => BulkAction::Unsuspend,
            "change_role" if !self.role.trim().is_empty() => {
                BulkAction::ChangeRole(self.role.trim().to_owned())
            }
            "change_role" => return Err("Choose the role to give.".to_owned()),
            "add_to_group" => BulkAction::AddToGroup(id(&self.group_id, "a group")?),
            "remove_from_group" => BulkAction::RemoveFromGroup(id(&self.group_id, "a group")?),
            // An id (the list's menu); anything else typed is looked up by `heir`.
            "remove" => BulkAction::Remove(MembershipId::parse(&self.reassign_to)),
            "resend" => BulkAction::Resend,
            "revoke" => BulkAction::Revoke,
            _ => return Err("Choose an action.".to_owned()),
        })
    }

    /// The list's filters this form carries.
    fn filter(&self) -> FilterParams {
        let role = match &self.filter_role {
            Some(role) => role.clone(),
            None if self.action != "change_role" => self.role.clone(),
            None => String::new(),
        };
        FilterParams {
            q: crate::domain::SearchTerm::parse(&self.q),
            status: self.status.clone(),
            role,
            group: self.group.clone(),
            inactive_days: self.inactive_days.clone(),
            sort: String::new(),
        }
    }

    fn all_matching(&self) -> bool {
        self.all_matching == "1"
    }

    /// The form's fields again, for the preview's confirming form (without `confirm`).
    fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields: Vec<(&'static str, String)> = [
            ("action", &self.action),
            ("role", &self.role),
            ("group_id", &self.group_id),
            ("all_matching", &self.all_matching),
            ("q", &self.q),
            ("status", &self.status),
            ("group", &self.group),
            ("inactive_days", &self.inactive_days),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, v.clone()))
        .collect();
        // Kept even when empty: it says the filter is any role (`role` is then the role to give).
        if let Some(role) = &self.filter_role {
            fields.push(("filter_role", role.clone()));
        }
        if !self.all_matching() {
            fields.extend(self.member_id.iter().map(|id| ("member_id", id.clone())));
        }
        fields
    }
}

/// One person of the preview.
pub struct Line {
    pub email: String,
    pub why: String,
}

#[derive(Template)]
#[template(path = "users/bulk_preview.html")]
struct PreviewPage {
    chrome: Chrome,
    slug: String,
    title: String,
    /// Why nothing can be previewed (no action, nobody chosen, too many people).
    problem: Option<String>,
    /// Said above the people: the confirmation found them changed since the preview.
    notice: Option<&'static str>,
    /// Rule 5's warning: Admins past a fifth of the members.
    warning: Option<String>,
    changing: Vec<Line>,
    changing_total: usize,
    skipped: Vec<Line>,
    skipped_total: usize,
    button: String,
    fields: Vec<(&'static str, String)>,
    /// The reason field, for the actions that keep one (suspend, remove).
    reason: Option<ReasonField>,
    /// Who the preview lists: the confirmation carries it ([`BulkForm::people`]).
    people: String,
    /// A removal's heir as typed (an address or an id): the preview asks for it.
    reassign_to: String,
    heir_error: Option<String>,
    asks_heir: bool,
    back_url: String,
    csrf_token: String,
}

/// Why a role without `groups.view` cannot act on, or export, the people of a group filter.
pub const NO_GROUP_FILTER: &str =
    "Your role does not see groups, so it cannot choose people by group: remove the group filter.";

/// The most people each part of the preview names (the counts say the rest).
const SHOWN: usize = 200;

pub async fn submit(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: HtmlForm<BulkForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let asked = match asked(&state, &access, &form).await? {
        Ok(asked) => asked,
        Err((title, why)) => return problem(&state, &access, &form, title, why).await,
    };
    let (action, refused) = (asked.action.clone(), asked.refused.clone());
    // A field refused as typed shows the preview again, with its message beside it.
    let confirm = form.confirm == "1" && refused.is_empty();
    let (judged, notice) = match act(&state, &access, &form, asked, confirm).await? {
        Acted::Done(done) if confirm => {
            state.outbox_wake.notify_one();
            let words = done_words(&action, &done);
            if done.outcomes.iter().any(|o| o.result.is_ok()) {
                flash(&access.signed_in.session, &words)?;
            } else {
                flash_warning(&access.signed_in.session, &words)?;
            }
            return Ok(super::error::redirect(&back_url(
                &access.workspace.slug,
                &form.filter(),
            )));
        }
        Acted::Done(judged) => (judged, None),
        Acted::Changed(judged) => {
            let notice = "Who these filters match is not who the preview showed (someone joined or \
                          left them since): nothing was done. Check the people below, then confirm.";
            (judged, Some(notice))
        }
        Acted::TooMany => {
            let why = format!(
                "More than {} match; one bulk action takes at most that many: narrow the filters.",
                views::count(bulk::MAX_PEOPLE as i64, "person", "people"),
            );
            return problem(&state, &access, &form, "Too many people", why).await;
        }
        Acted::Unknown(unknown) => {
            let why =
                format!("{unknown} Nobody was changed: go back to the list and filter again.");
            return problem(&state, &access, &form, "Nothing to preview", why).await;
        }
    };
    let shown = Shown {
        action: &action,
        judged,
        refused,
        notice,
    };
    preview(&state, &access, &form, shown).await
}

/// What the form asks, checked: the action (with its heir), the reason, and the people ticked
/// (`None`: everyone the filters match).
struct Asked {
    action: BulkAction,
    reason: Option<Reason>,
    ticked: Option<Vec<MembershipId>>,
    /// The preview's own fields refused as typed (the heir, the reason).
    refused: Refused,
}

/// The preview's own fields refused as typed, each with why.
#[derive(Debug, Clone, Default)]
struct Refused {
    heir: Option<String>,
    reason: Option<String>,
}

impl Refused {
    fn is_empty(&self) -> bool {
        self.heir.is_none() && self.reason.is_none()
    }
}

/// The form read into an [`Asked`], or the preview's title and why nothing can be previewed.
/// Refuses (403) an action the viewer's role does not allow.
async fn asked(
    state: &AppState,
    access: &WorkspaceAccess,
    form: &BulkForm,
) -> Result<Result<Asked, (&'static str, String)>, AppError> {
    const NOTHING: &str = "Nothing to preview";
    let action = match form.action() {
        Ok(action) => action,
        Err(why) => return Ok(Err((NOTHING, why))),
    };
    // It lists the people it matches: seeing members comes first, then the action's own right.
    access.require(Permission::UsersView)?;
    access.require(action.permission())?;
    let mut refused = Refused::default();
    let action = match heir(state, access, form, action.clone()).await? {
        Ok(action) => action,
        Err(why) => {
            // The preview judges the people as leaving what they own unassigned meanwhile.
            refused.heir = Some(why);
            BulkAction::Remove(None)
        }
    };
    let reason = match Reason::parse(&form.reason) {
        Ok(reason) => reason,
        // Said beside the field where the preview has one.
        Err(e) if keeps_reason(&action) => {
            refused.reason = Some(e.to_string());
            None
        }
        Err(e) => return Ok(Err((NOTHING, format!("Reason: {e}")))),
    };
    let ticked = if form.all_matching() {
        // The list drops a group filter for a role that does not see groups; an action must
        // not take it as "everyone".
        if !form.group.is_empty() && !access.can(Permission::GroupsView) {
            return Ok(Err((NOTHING, NO_GROUP_FILTER.to_owned())));
        }
        None
    } else {
        let ids: Vec<MembershipId> = form
            .member_id
            .iter()
            .filter_map(|id| MembershipId::parse(id))
            .collect();
        if ids.is_empty() {
            let why = "Tick the people to act on, or choose everyone matching the filters.";
            return Ok(Err(("Nobody chosen", why.to_owned())));
        }
        Some(ids)
    };
    Ok(Ok(Asked {
        action,
        reason,
        ticked,
        refused,
    }))
}

/// The actions whose preview asks for a reason (kept with the status and in the audit log).
fn keeps_reason(action: &BulkAction) -> bool {
    matches!(action, BulkAction::Suspend | BulkAction::Remove(_))
}

/// What [`act`] did.
enum Acted {
    /// Judged (the preview) or done (confirmed).
    Done(Judged),
    /// Confirmed, but the selection matches other people than the preview listed: judged again,
    /// and nothing done.
    Changed(Judged),
    /// More people match than one bulk action takes.
    TooMany,
    /// The filters name a value this workspace does not have.
    Unknown(members::UnknownFilter),
}

/// Each person's outcome, the role's or group's name the action names, and who was judged
/// ([`bulk::fingerprint`]).
struct Judged {
    outcomes: Vec<Outcome>,
    object: String,
    people: String,
    /// Rule 5's, when the action makes people Admins.
    warning: Option<String>,
}

/// Judges every person (the preview: each change made and rolled back) or runs the action on each
/// (`confirm`, when the people matched are those the preview listed, if it names them).
async fn act(
    state: &AppState,
    access: &WorkspaceAccess,
    form: &BulkForm,
    asked: Asked,
    confirm: bool,
) -> Result<Acted, AppError> {
    let listed = form.people.clone();
    let settings = state.invite_settings();
    let params = form.filter();
    let selection = match &asked.ticked {
        None => json!({
            "filter": params.pairs().into_iter().collect::<std::collections::BTreeMap<_, _>>()
        }),
        Some(ids) => json!({ "ticked": ids.len() }),
    };
    let now = clock::now();
    with_acting(state, access, move |conn, acting, workspace| {
        let targets = match asked.ticked {
            Some(ids) => Targets::Ids(ids),
            None => match members::resolve_filter(conn, workspace, &params, now)? {
                Ok(filter) => Targets::Matching(filter),
                Err(unknown) => return Ok(Acted::Unknown(unknown)),
            },
        };
        let Some(people) = bulk::resolve(conn, workspace, targets)? else {
            return Ok(Acted::TooMany);
        };
        let object = asked.action.object(conn, workspace)?;
        let request = BulkRequest {
            action: &asked.action,
            object: &object,
            reason: asked.reason.as_ref(),
            settings: &settings,
        };
        let matched = bulk::fingerprint(&people);
        let changed = confirm && !listed.is_empty() && listed != matched;
        let grants_admin =
            matches!(&asked.action, BulkAction::ChangeRole(key) if key == BuiltInRole::Admin.key());
        if !confirm || changed {
            let outcomes = bulk::preview(conn, acting, workspace, &request, &people, now)?;
            // Rule 5 counts active members: the invited and suspended made Admins do not count.
            let changing: Vec<MembershipId> = outcomes
                .iter()
                .filter(|o| o.result.is_ok())
                .map(|o| o.id)
                .collect();
            let more = match grants_admin && !changing.is_empty() {
                true => crate::store::memberships::active_among(conn, workspace, &changing)?,
                false => 0,
            };
            let grants_owner = matches!(&asked.action,
                BulkAction::ChangeRole(key) if key == BuiltInRole::Owner.key());
            let warning = if more > 0 {
                console::admin_share(conn, workspace, more)?
            } else if grants_owner && !changing.is_empty() {
                Some(super::views::OWNER_GIVES.to_owned())
            } else {
                None
            };
            let judged = Judged {
                warning,
                outcomes,
                object,
                people: matched,
            };
            return Ok(if changed {
                Acted::Changed(judged)
            } else {
                Acted::Done(judged)
            });
        }
        let outcomes = bulk::run(conn, acting, workspace, &request, &people, selection, now)?;
        let warning = match grants_admin && outcomes.iter().any(|o| o.result.is_ok()) {
            true => console::admin_share(conn, workspace, 0)?,
            false => None,
        };
        Ok(Acted::Done(Judged {
            outcomes,
            object,
            people: matched,
            warning,
        }))
    })
    .await
}

/// What the preview shows: the outcomes judged, and what to say above them or beside a field.
struct Shown<'a> {
    action: &'a BulkAction,
    judged: Judged,
    refused: Refused,
    notice: Option<&'static str>,
}

/// The preview: who will change and who is skipped (and why), with the form to confirm.
async fn preview(
    state: &AppState,
    access: &WorkspaceAccess,
    form: &BulkForm,
    shown: Shown<'_>,
) -> Result<HttpResponse, AppError> {
    let Shown {
        action,
        judged,
        refused,
        notice,
    } = shown;
    let (outcomes, object) = (&judged.outcomes, judged.object.as_str());
    // By address, as the lists read top to bottom (the people come by id).
    let mut sorted: Vec<&Outcome> = outcomes.iter().collect();
    sorted.sort_by(|a, b| a.email.cmp(&b.email));
    let (changing, skipped): (Vec<&Outcome>, Vec<&Outcome>) =
        sorted.into_iter().partition(|o| o.result.is_ok());
    let line = |o: &&Outcome| Line {
        email: o.who(),
        why: o.result.clone().err().unwrap_or_default(),
    };
    let Refused {
        heir: heir_error,
        reason: reason_error,
    } = refused;
    let status = match (&heir_error, &reason_error, notice) {
        (None, None, None) => StatusCode::OK,
        (None, None, Some(_)) => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let people = views::count(changing.len() as i64, "person", "people");
    let page = PreviewPage {
        chrome: access.chrome(state, "users").await?,
        slug: access.workspace.slug.clone(),
        // Nobody: the skipped list says why, and there is nothing to confirm.
        title: if changing.is_empty() {
            "Nobody here can be changed".to_owned()
        } else {
            format!("{}?", action.asked(&people, object))
        },
        problem: None,
        notice,
        warning: judged.warning.clone(),
        changing_total: changing.len(),
        changing: changing.iter().take(SHOWN).map(line).collect(),
        skipped_total: skipped.len(),
        skipped: skipped.iter().take(SHOWN).map(line).collect(),
        button: action.asked(&people, object),
        fields: form.fields(),
        people: judged.people.clone(),
        reassign_to: form.reassign_to.clone(),
        heir_error,
        asks_heir: matches!(action, BulkAction::Remove(_)),
        reason: keeps_reason(action).then(|| ReasonField {
            value: form.reason.clone(),
            error: reason_error,
        }),
        back_url: back_url(&access.workspace.slug, &form.filter()),
        csrf_token: access.signed_in.csrf_token.clone(),
    };
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(page.render()?))
}

/// A removal's heir given by address (the preview's field): the active member with it, or why not.
async fn heir(
    state: &AppState,
    access: &WorkspaceAccess,
    form: &BulkForm,
    action: BulkAction,
) -> Result<Result<BulkAction, String>, AppError> {
    let typed = form.reassign_to.trim();
    // As the messages repeat it: without control characters (a NUL, an escape).
    let said: String = typed.chars().filter(|c| !c.is_control()).collect();
    // A script's member id, or an address typed in the preview's field.
    let by_id = match action {
        BulkAction::Remove(Some(id)) => Some(id),
        BulkAction::Remove(None) if !typed.is_empty() => None,
        _ => return Ok(Ok(action)),
    };
    let email = match by_id {
        Some(_) => None,
        None => match crate::domain::Email::parse(typed) {
            Ok(email) => Some(email),
            Err(_) => return Ok(Err(format!("“{said}” is not an email address."))),
        },
    };
    let workspace = access.workspace.id;
    let found = blocking(state, move |conn| {
        use crate::store::memberships;
        let id = match (by_id, email) {
            (Some(id), _) => Some(id),
            (None, Some(email)) => memberships::current_by_emails(conn, workspace, &[email])?
                .first()
                .map(|(id, _)| *id),
            (None, None) => None,
        };
        Ok(match id {
            Some(id) => memberships::detail(conn, workspace, id, clock::now())?,
            None => None,
        })
    })
    .await?;
    // As when removing one member: the heir is an active member (said beside the field here,
    // rather than as every row's skip reason).
    Ok(match found {
        Some(heir) => match crate::services::console::heir_refusal(&heir) {
            None => Ok(BulkAction::Remove(Some(heir.id))),
            Some(why) => Err(why),
        },
        None if by_id.is_some() => Err(format!("No member of this workspace has the id {said}.")),
        None => Err(format!(
            "Nobody in this workspace has the address “{said}”."
        )),
    })
}

/// The list with the filters the form carried.
fn back_url(slug: &str, filter: &FilterParams) -> String {
    let pairs = filter.pairs();
    if pairs.is_empty() {
        format!("/w/{slug}/users")
    } else {
        format!(
            "/w/{slug}/users?{}",
            serde_html_form::to_string(&pairs).unwrap_or_default()
        )
    }
}

/// The preview page saying why there is nothing to preview (422).
async fn problem(
    state: &AppState,
    access: &WorkspaceAccess,
    form: &BulkForm,
    title: &str,
    why: String,
) -> Result<HttpResponse, AppError> {
    let page = PreviewPage {
        chrome: access.chrome(state, "users").await?,
        slug: access.workspace.slug.clone(),
        title: title.to_owned(),
        problem: Some(why),
        notice: None,
        warning: None,
        changing: Vec::new(),
        changing_total: 0,
        skipped: Vec::new(),
        skipped_total: 0,
        button: String::new(),
        fields: Vec::new(),
        reason: None,
        people: String::new(),
        reassign_to: String::new(),
        heir_error: None,
        asks_heir: false,
        back_url: back_url(&access.workspace.slug, &form.filter()),
        csrf_token: access.signed_in.csrf_token.clone(),
    };
    Ok(HttpResponse::UnprocessableEntity()
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

/// "Suspended 48 people. Skipped 2: ada@example.com (You cannot suspend yourself…); …";
/// "Nobody was changed. Skipped 2: …"
fn done_words(action: &BulkAction, judged: &Judged) -> String {
    let (object, outcomes) = (&judged.object, &judged.outcomes);
    let done = outcomes.iter().filter(|o| o.result.is_ok()).count();
    let skipped: Vec<String> = outcomes
        .iter()
        .filter_map(|o| {
            let why = o.result.as_ref().err()?;
            Some(format!("{} ({})", o.who(), why.trim_end_matches('.')))
        })
        .collect();
    let mut words = match done {
        0 => "Nobody was changed.".to_owned(),
        n => format!(
            "{}.",
            action.done(&views::count(n as i64, "person", "people"), object)
        ),
    };
    if !skipped.is_empty() {
        let shown: Vec<&str> = skipped.iter().take(5).map(String::as_str).collect();
        let more = skipped.len() - shown.len();
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        words.push_str(&format!(
            " Skipped {}: {}{more}.",
            skipped.len(),
            shown.join("; ")
        ));
    }
    if let Some(warning) = &judged.warning {
        words.push(' ');
        words.push_str(warning);
    }
    words
}
