//! `/w/{slug}/import`: invite people from a CSV (issue 18 §1) — upload, a preview that writes
//! nothing but itself, its problem rows as a CSV, and the commit (`POST /w/{slug}/import/{id}`,
//! 303 to the list with what was done, or a fresh preview when the workspace changed meanwhile).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::acting::as_inviter;
use super::auth::{Chrome, WorkspaceAccess};
use super::error::AppError;
use super::{AppState, blocking, multipart, views};
use crate::clock;
use crate::domain::ids::{AccountId, WorkspaceId};
use crate::domain::import::{self, ImportRow};
use crate::domain::role::{BuiltInRole, Permission};
use crate::domain::spreadsheet::defuse;
use crate::services::import::{self as service, Committed, Outcome, Preview};

#[derive(Template)]
#[template(path = "users/import.html")]
struct ImportPage {
    chrome: Chrome,
    slug: String,
    /// Why the file was refused, beside the field.
    file_error: Option<String>,
    preview: Option<PreviewView>,
    /// Said above a fresh preview: the workspace changed since the last one.
    notice: Option<String>,
}

/// A preview as the page shows it.
struct PreviewView {
    id: i64,
    file_name: String,
    lines: Vec<PreviewLine>,
    inviting: usize,
    problems: usize,
    /// What the rows do, each with how many ("Will be invited", "1,200").
    totals: Vec<(String, String)>,
    /// "Invite 1,200 people".
    invite_label: String,
    /// "the 3 rows".
    problems_label: String,
    seats: String,
    blocked_by: Option<String>,
    /// What inviting Owners means, when rows will be.
    owners: Option<String>,
}

struct PreviewLine {
    line: usize,
    email: String,
    name: String,
    role: String,
    groups: String,
    /// The badge: what the row does, in a word or three ("Will be invited", "Invalid").
    outcome: String,
    /// Why, beside the badge, for a refused row (long: it wraps, a badge does not).
    why: Option<String>,
    /// The badge's colour: green for an invitation, neutral for a skip, red for a refusal.
    badge: &'static str,
    /// Where the offered action is (resend, restore): the list, narrowed to this person.
    offer: Option<(String, &'static str)>,
}

impl PreviewView {
    /// The preview for a viewer who sees people (`users.view`: offered the list's actions) or not.
    fn of(preview: &Preview, slug: &str, sees_people: bool) -> Self {
        let inviting = preview.inviting();
        let mut totals: Vec<(String, usize)> = Vec::new();
        for (_, outcome) in &preview.rows {
            let label = match outcome {
                Outcome::Duplicate(_) => "Duplicate".to_owned(),
                other => other.label(),
            };
            match totals.iter_mut().find(|(l, _)| *l == label) {
                Some((_, n)) => *n += 1,
                None => totals.push((label, 1)),
            }
        }
        let after = preview.seats_used + inviting as i64;
        let seats = match preview.seat_limit {
            Some(limit) => format!(
                "Seats: {} of {} used now, {} after the import.",
                views::number(preview.seats_used),
                views::number(limit),
                views::number(after)
            ),
            None => format!(
                "Seats: {} used now, {} after the import (no limit).",
                views::number(preview.seats_used),
                views::number(after)
            ),
        };
        Self {
            id: preview.id,
            file_name: preview.file_name.clone(),
            lines: preview
                .rows
                .iter()
                .map(|(row, outcome)| PreviewLine {
                    line: row.line,
                    email: row.email.clone(),
                    name: format!("{} {}", row.first_name, row.last_name)
                        .trim()
                        .to_owned(),
                    role: preview.role_of(row),
                    groups: row.groups.join(", "),
                    outcome: outcome.label(),
                    why: outcome.why(),
                    badge: match outcome {
                        Outcome::Invite { .. } => "active",
                        Outcome::Member
                        | Outcome::Invited
                        | Outcome::Removed
                        | Outcome::Duplicate(_) => "neutral",
                        Outcome::Blocked
                        | Outcome::NotInvitable
                        | Outcome::Invalid(_)
                        | Outcome::NotAllowed(_) => "blocked",
                    },
                    offer: match outcome {
                        Outcome::Invited => Some(("pending", "Resend from the list")),
                        Outcome::Removed => Some(("removed", "Restore from the list")),
                        _ => None,
                    }
                    .filter(|_| sees_people)
                    .map(|(status, label)| {
                        let query = serde_html_form::to_string([
                            ("q", row.email.as_str()),
                            ("status", status),
                        ])
                        .unwrap_or_default();
                        (format!("/w/{slug}/users?{query}"), label)
                    }),
                })
                .collect(),
            inviting,
            problems: preview.rows.len() - inviting,
            invite_label: views::count(inviting as i64, "person", "people"),
            problems_label: views::count((preview.rows.len() - inviting) as i64, "row", "rows"),
            totals: totals
                .into_iter()
                .map(|(label, n)| (label, views::number(n as i64)))
                .collect(),
            seats,
            blocked_by: preview.blocked_by.clone(),
            owners: match preview.inviting_as(BuiltInRole::Owner.key()) {
                0 => None,
                n => Some(format!(
                    "{} will be invited as {}. {}",
                    views::count(n as i64, "person", "people"),
                    if n == 1 { "an Owner" } else { "Owners" },
                    views::OWNER_GIVES
                )),
            },
        }
    }
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

async fn render(
    state: &AppState,
    access: &WorkspaceAccess,
    status: StatusCode,
    file_error: Option<String>,
    preview: Option<&Preview>,
    notice: Option<String>,
) -> Result<HttpResponse, AppError> {
    let page = ImportPage {
        chrome: access.chrome(state, "users").await?,
        slug: access.workspace.slug.clone(),
        file_error,
        preview: preview
            .map(|p| PreviewView::of(p, &access.workspace.slug, access.can(Permission::UsersView))),
        notice,
    };
    Ok(html(status, page.render()?))
}

/// The upload form.
pub async fn page(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersInvite)?;
    render(&state, &access, StatusCode::OK, None, None, None).await
}

/// The file, read and previewed (nothing written but the kept preview).
pub async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    mut body: web::Payload,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersInvite)?;
    let (file_name, bytes) = multipart::named_file_field(&req, &mut body, "file").await?;
    // Up to 5 MB read on the blocking pool, not on the thread that serves requests.
    let rows = match web::block(move || import::parse(&bytes)).await? {
        Ok(rows) => rows,
        Err(e) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render(&state, &access, status, Some(e.to_string()), None, None).await;
        }
    };
    let file_name = file_name
        .map(|n| shown_file_name(&n))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "import.csv".to_owned());
    let at = (access.workspace.id, access.signed_in.account.id);
    let preview = as_inviter(&state, &access, move |conn, inviter, now| {
        service::preview(conn, inviter, at, &file_name, rows, now)
    })
    .await??;
    render(&state, &access, StatusCode::OK, None, Some(&preview), None).await
}

/// A file's name as the page and the audit log show it: the browser's own words (a name within
/// the body, not checked by anyone), so its last path part only, without control characters (a
/// NUL is refused by PostgreSQL's text) or direction overrides, at most 255 characters.
fn shown_file_name(sent: &str) -> String {
    let last = sent.rsplit(['/', '\\']).next().unwrap_or(sent);
    let clean: String = last
        .chars()
        .filter(|c| crate::domain::Name::refusal(*c).is_none())
        .collect();
    clean.trim().chars().take(255).collect()
}

/// The kept preview the path names, and whose it would be (this workspace, this person: a preview
/// is only ever read by who made it). Importing takes the invite permission.
fn kept_preview(
    access: &WorkspaceAccess,
    path: &(String, String),
) -> Result<(i64, (WorkspaceId, AccountId)), AppError> {
    access.require(Permission::UsersInvite)?;
    let id = crate::domain::ids::parse_id(&path.1).ok_or(AppError::NotFound)?;
    Ok((id, (access.workspace.id, access.signed_in.account.id)))
}

/// Commits a kept preview: 303 to the list with what was done; a fresh preview (409) when the
/// workspace changed since; 404 for a preview used, expired or someone else's.
pub async fn commit(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, at) = kept_preview(&access, &path)?;
    let settings = state.invite_settings();
    let committed = as_inviter(&state, &access, move |conn, inviter, now| {
        service::commit(conn, inviter, at, id, &settings, now)
    })
    .await?
    .map_err(|e| match e {
        // Refused by the invitation's own rules though the preview allowed it: said, not a 500.
        service::ImportError::Invite(crate::services::invitations::InviteError::Invalid(_)) => {
            AppError::Conflict(
                "Nothing was imported: the invitations were refused since the preview. Choose \
                 the file again for a fresh preview."
                    .to_owned(),
            )
        }
        e => AppError::Internal(anyhow::Error::new(e)),
    })?;
    match committed {
        Committed::Done(invited) => {
            state.outbox_wake.notify_one();
            let message = format!(
                "Imported: {} invited.",
                views::count(invited as i64, "person", "people")
            );
            access.show_after(access.people_or("import"), &message)
        }
        Committed::Changed(fresh) => {
            let notice = "The workspace changed since that preview (seats, or people joined or \
                          were invited meanwhile): nothing was imported. Here is what the file \
                          would do now."
                .to_owned();
            render(
                &state,
                &access,
                StatusCode::CONFLICT,
                None,
                Some(&fresh),
                Some(notice),
            )
            .await
        }
        // Sent twice (a double click, the browser's resend), kept past its hour, or another's.
        Committed::Gone => Err(AppError::NoLonger(
            "This preview can no longer be imported: it was imported already (the users list \
             shows who was invited), it has expired, or it is not yours. Choose the file again \
             to see what it would do now."
                .to_owned(),
        )),
        Committed::Nothing => Err(AppError::Conflict(
            "Nothing was imported: no row of the file invites anyone (each says why). Correct \
             the file and choose it again."
                .to_owned(),
        )),
    }
}

/// The preview's problem rows (everything not invited), as a CSV with the reason.
pub async fn problems_csv(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, at) = kept_preview(&access, &path)?;
    let preview = blocking(&state, move |conn| {
        Ok(service::kept(conn, at, id, clock::now())?)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let write = |out: &mut csv::Writer<Vec<u8>>, row: &ImportRow, why: &str| {
        let groups = row.groups.join(";");
        let cells = [
            row.line.to_string(),
            row.email.clone(),
            row.first_name.clone(),
            row.last_name.clone(),
            row.role.clone(),
            groups,
            why.to_owned(),
        ];
        out.write_record(cells.iter().map(|c| defuse(c).into_owned()))
    };
    let fail = |e: csv::Error| AppError::Internal(anyhow::Error::new(e));
    out.write_record([
        "line",
        "email",
        "first_name",
        "last_name",
        "role",
        "groups",
        "problem",
    ])
    .map_err(fail)?;
    for (row, outcome) in preview.rows.iter().filter(|(_, o)| !o.is_invite()) {
        write(&mut out, row, &outcome.words()).map_err(fail)?;
    }
    let body = out
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"import-problems.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::shown_file_name;

    #[test]
    fn a_file_name_is_shown_without_what_could_harm() {
        assert_eq!(shown_file_name("people.csv"), "people.csv");
        assert_eq!(shown_file_name("C:\\Users\\ada\\people.csv"), "people.csv");
        assert_eq!(shown_file_name("../../etc/people.csv"), "people.csv");
        assert_eq!(shown_file_name("evil\0na\u{202e}me.csv"), "evilname.csv");
        assert_eq!(shown_file_name(" \u{1} "), "");
        assert_eq!(shown_file_name(&"a".repeat(300)).chars().count(), 255);
    }
}
