//! `/w/{slug}/audit`: the workspace's audit log (permission `audit.view`), newest first, in words,
//! with filters by actor, target, action and dates, and keyset pages. Read-only: the product has no
//! way to change or delete an event (the database refuses it too).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::auth::{Chrome, SignedIn, WorkspaceAccess};
use super::error::AppError;
use super::htmx::{page_or_fragment, wants_fragment};
use super::views::Choice;
use super::{AppState, blocking, views};
use crate::domain::SearchTerm;
use crate::domain::audit_words;
use crate::domain::role::Permission;
use crate::domain::spreadsheet::defuse;
use crate::domain::timezone::Timezone;
use crate::services::audit::{self, AuditFilter};

const PER_PAGE: i64 = 50;

/// The filters as typed in the address bar.
#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct AuditQuery {
    pub actor: String,
    pub target: String,
    /// Part of the reason given for a suspension, block or removal.
    pub reason: String,
    pub action: String,
    /// `YYYY-MM-DD`, in UTC.
    pub from: String,
    pub to: String,
    #[serde(skip_serializing)]
    pub before: String,
}

impl AuditQuery {
    /// The filter, or why no event can match it, in words: an action the log does not know, a
    /// day that is not one, or a "from" day after the "to" day. A filter value is never dropped
    /// (the log would then show more than was asked). Days are UTC days (the API's).
    pub fn filter(&self) -> Result<AuditFilter, String> {
        self.filter_in(Timezone::default())
    }

    /// [`AuditQuery::filter`] with the days of `zone`, the viewer's, in which the page shows the
    /// times (an event at 07:51 in Tokyo on the 7th is found by the 7th).
    pub fn filter_in(&self, zone: Timezone) -> Result<AuditFilter, String> {
        use chrono::TimeZone;
        // A day's first instant in `zone`, in UTC (a midnight a clock change skips: that hour).
        let start = |day: NaiveDate| {
            let local = day.and_hms_opt(0, 0, 0)?;
            Some(
                zone.tz()
                    .from_local_datetime(&local)
                    .earliest()
                    .or_else(|| {
                        zone.tz()
                            .from_local_datetime(&(local + chrono::Duration::hours(1)))
                            .earliest()
                    })
                    .map_or(local, |t| t.naive_utc()),
            )
        };
        // A value that is nothing but control characters is no filter the log can apply.
        let text = |t: &str| match SearchTerm::parse(t).non_empty() {
            None if !t.trim().is_empty() => Err(
                "A filter holds only characters that cannot be searched for: clear it.".to_owned(),
            ),
            term => Ok(term),
        };
        let day = |d: &str| -> Result<Option<NaiveDate>, String> {
            match d.trim() {
                "" => Ok(None),
                // Years 1 to 9999: PostgreSQL has no timestamp before 4713 BC, and the log no
                // event before the console existed.
                typed => NaiveDate::parse_from_str(typed, "%Y-%m-%d")
                    .ok()
                    // Digits first: `%Y` would take a sign (`+2026-12-01`).
                    .filter(|_| typed.starts_with(|c: char| c.is_ascii_digit()))
                    .filter(|day| (1..=9999).contains(&day.year()))
                    .map(Some)
                    .ok_or_else(|| format!("“{typed}” is not a date: use YYYY-MM-DD.")),
            }
        };
        let action = match self.action.as_str() {
            "" => None,
            typed => match audit_words::ACTIONS
                .iter()
                .find(|(key, _, _)| *key == typed)
            {
                Some((key, _, _)) => Some((*key).to_owned()),
                None => return Err(format!("“{typed}” is not an action the log records.")),
            },
        };
        let (from, to) = (day(&self.from)?, day(&self.to)?);
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err("The “From” date is after the “to” date: swap them.".to_owned());
        }
        Ok(AuditFilter {
            actor: text(&self.actor)?,
            target: text(&self.target)?,
            reason: text(&self.reason)?,
            action,
            from: from.and_then(start),
            // The last day there is: no end (its next day, year 10000, is no stored time).
            until: to
                .and_then(|d| d.succ_opt())
                .filter(|d| d.year() <= 9999)
                .and_then(start),
        })
    }

    fn is_filtered(&self) -> bool {
        [
            &self.actor,
            &self.target,
            &self.reason,
            &self.action,
            &self.from,
            &self.to,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }
}

pub struct EventLine {
    /// (RFC 3339, the time in the viewer's time zone)
    pub at: (String, String),
    pub sentence: String,
    pub changes: Vec<String>,
    pub ip: String,
}

impl EventLine {
    /// The event in words, its time in `zone`: the audit log's line, and a member's Activity's.
    pub fn of(e: &audit::EventRow, zone: Timezone) -> Self {
        Self {
            at: (
                views::rfc3339(e.created_at),
                views::in_timezone(e.created_at, zone),
            ),
            sentence: audit_words::sentence(&e.actor_label, &e.action, &e.target_label),
            changes: audit_words::changes(&e.changes, zone),
            ip: e.ip.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "audit/log.html", blocks = ["results"])]
struct AuditPage {
    chrome: Chrome,
    /// The page's own address: `/w/{slug}/audit` or `/org/audit`.
    base: String,
    /// "Every change in Acme HQ"
    scope: String,
    query: AuditQuery,
    actions: Vec<Choice>,
    events: Vec<EventLine>,
    older_url: Option<String>,
    /// On an older page: back to the newest events, with the same filters.
    newest_url: Option<String>,
    filtered: bool,
    /// The dates are the wrong way round.
    /// Why no event can match the filters (an unknown action, a day that is not one).
    problem: Option<String>,
    /// `audit.csv` with these filters.
    csv_url: String,
    /// The viewer's time zone, whose days the dates are.
    zone: &'static str,
    /// Answering htmx with the results alone: the count in the page head follows them.
    fragment: bool,
}

impl AuditPage {
    /// What the page head's live status says of the results (read out when a filter changes
    /// them, rather than the whole table).
    fn summary(&self) -> String {
        match (self.events.len(), self.filtered) {
            (0, true) => "No event matches these filters.".to_owned(),
            (0, false) => "No events yet.".to_owned(),
            (n, _) => format!(
                "{} on this page{}.",
                views::count(n as i64, "event", "events"),
                if self.filtered { ", filtered" } else { "" }
            ),
        }
    }
}

pub async fn log(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::AuditView)?;
    let chrome = access.chrome(&state, "audit").await?;
    let base = format!("/w/{}/audit", access.workspace.slug);
    let scope = format!("Every change in {}", access.workspace.name);
    let zone = access.signed_in.zone();
    let mut page = audit_page(
        &state,
        Some(access.workspace.id),
        query.into_inner(),
        chrome,
        base,
        scope,
        zone,
    )
    .await?;
    page.fragment = wants_fragment(&req);
    page_or_fragment(&req, &page, |p| p.as_results().render())
}

/// The organization's audit log is for org owners and org admins; anyone else is refused (403).
/// Where a workspace requires two-factor sign-in, they enrol first, as for the other org pages.
async fn may_read_org_log(state: &AppState, me: &SignedIn) -> Result<(), AppError> {
    if !me.account.org_role.administers_all_workspaces() {
        return Err(AppError::Forbidden(
            "Only org owners and org admins read the organization's audit log.".to_owned(),
        ));
    }
    super::org::two_factor_if_required(state, me, super::org::Visit::Page).await
}

/// `/org/audit`: organization-wide events (setup, sign-ins, blocks, own profile changes…), for
/// org owners and org admins.
pub async fn org_log(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: SignedIn,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    may_read_org_log(&state, &me).await?;
    let chrome = me.chrome_in(&state, "org-audit").await?;
    let zone = me.zone();
    let mut page = audit_page(
        &state,
        None,
        query.into_inner(),
        chrome,
        "/org/audit".to_owned(),
        "Every change across the organization outside a workspace".to_owned(),
        zone,
    )
    .await?;
    page.fragment = wants_fragment(&req);
    page_or_fragment(&req, &page, |p| p.as_results().render())
}

async fn audit_page(
    state: &AppState,
    workspace: Option<crate::domain::ids::WorkspaceId>,
    query: AuditQuery,
    chrome: Chrome,
    base: String,
    scope: String,
    zone: Timezone,
) -> Result<AuditPage, AppError> {
    let filter = query.filter_in(zone);
    // The page's own links carry an event's id; anything else is no address of a page.
    let before = match query.before.trim() {
        "" => None,
        typed => Some(
            typed
                .parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or(AppError::BadAddress)?,
        ),
    };
    let problem = filter.as_ref().err().cloned();
    let (rows, present) = blocking(state, move |conn| {
        let rows = match filter {
            Ok(filter) => audit::page(conn, workspace, &filter, before, PER_PAGE + 1)?,
            Err(_) => Vec::new(),
        };
        // A log offers the actions it holds: most are a workspace's alone, and sign-ins, org
        // roles and the like are the organization's.
        let keys: Vec<&'static str> = audit_words::ACTIONS
            .iter()
            .map(|(key, _, _)| *key)
            .collect();
        let present = audit::actions_present(conn, workspace, &keys)?;
        Ok((rows, present))
    })
    .await?;
    let filters = serde_html_form::to_string(&query).unwrap_or_default();
    let more = rows.len() as i64 > PER_PAGE;
    let older_url = more
        .then(|| rows.get(PER_PAGE as usize - 1))
        .flatten()
        .map(|last| format!("{base}?{filters}&before={}", last.id));
    let events = rows
        .iter()
        .take(PER_PAGE as usize)
        .map(|e| EventLine::of(e, zone))
        .collect();
    let mut actions = vec![Choice {
        value: String::new(),
        label: "Any action".to_owned(),
        selected: query.action.is_empty(),
    }];
    actions.extend(
        audit_words::ACTIONS
            .iter()
            .filter(|(key, _, _)| *key == query.action || present.iter().any(|h| h == key))
            .map(|(key, _, label)| Choice {
                value: (*key).to_owned(),
                label: (*label).to_owned(),
                selected: *key == query.action,
            }),
    );
    let newest_url = (!query.before.is_empty()).then(|| format!("{base}?{filters}"));
    Ok(AuditPage {
        csv_url: format!("{base}.csv?{filters}"),
        zone: zone.name(),
        chrome,
        base,
        scope,
        filtered: query.is_filtered(),
        problem,
        query,
        actions,
        events,
        newest_url,
        older_url,
        fragment: false,
    })
}

/// The columns of `audit.csv`.
const CSV_COLUMNS: [&str; 8] = [
    "id", "time", "actor", "action", "target", "event", "changes", "ip",
];

fn write_event(out: &mut csv::Writer<Vec<u8>>, e: &audit::EventRow) -> csv::Result<()> {
    let id = e.id.to_string();
    out.write_record([
        id.as_str(),
        &views::rfc3339(e.created_at),
        &defuse(&e.actor_label),
        &e.action,
        &defuse(&e.target_label),
        &defuse(&audit_words::sentence(
            &e.actor_label,
            &e.action,
            &e.target_label,
        )),
        &defuse(&audit_words::changes(&e.changes, Timezone::default()).join("; ")),
        e.ip.as_deref().unwrap_or(""),
    ])
}

/// `audit.csv`: the log with the page's filters, newest first, streamed; cells that a spreadsheet
/// would run as a formula are defused like the users CSV's.
pub async fn log_csv(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::AuditView)?;
    csv(
        &state,
        access.signed_in.account.id,
        Some(access.workspace.id),
        &access.workspace.slug,
        &query,
        access.signed_in.zone(),
    )
}

/// `/org/audit.csv`: the organization-wide events, for org owners and org admins.
pub async fn org_log_csv(
    state: web::Data<AppState>,
    me: SignedIn,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    may_read_org_log(&state, &me).await?;
    csv(
        &state,
        me.account.id,
        None,
        "organization",
        &query,
        me.zone(),
    )
}

fn csv(
    state: &AppState,
    by: crate::domain::ids::AccountId,
    workspace: Option<crate::domain::ids::WorkspaceId>,
    name: &str,
    query: &AuditQuery,
    zone: Timezone,
) -> Result<HttpResponse, AppError> {
    // The days of the page the export was asked from.
    let filter = query
        .filter_in(zone)
        .map_err(|why| AppError::Invalid(format!("{why} Nothing was exported.")))?;
    let slot = super::csv_download::Slot::take(by)?;
    let filename = format!(
        "{name}-audit-{}.csv",
        crate::clock::now().format("%Y-%m-%d")
    );
    Ok(super::csv_download::stream_csv(
        state,
        slot,
        filename,
        &CSV_COLUMNS,
        move |conn, before| {
            audit::page(conn, workspace, &filter, before, super::csv_download::BATCH)
        },
        write_event,
        |e| e.id,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_the_viewers_days() {
        let query = AuditQuery {
            from: "2026-12-07".to_owned(),
            to: "2026-12-07".to_owned(),
            ..AuditQuery::default()
        };
        let at =
            |text: &str| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
        let utc = query.filter().unwrap();
        assert_eq!(
            (utc.from, utc.until),
            (Some(at("2026-12-07 00:00")), Some(at("2026-12-08 00:00")))
        );
        let tokyo = query
            .filter_in(Timezone::parse("Asia/Tokyo").unwrap())
            .unwrap();
        assert_eq!(
            (tokyo.from, tokyo.until),
            (Some(at("2026-12-06 15:00")), Some(at("2026-12-07 15:00")))
        );
        // A midnight the clocks skip (Santiago, first Sunday of September 2026): from 01:00.
        let skipped = AuditQuery {
            from: "2026-09-06".to_owned(),
            ..AuditQuery::default()
        };
        let santiago = skipped
            .filter_in(Timezone::parse("America/Santiago").unwrap())
            .unwrap();
        assert_eq!(santiago.from, Some(at("2026-09-06 04:00")));
        // The last day there is has no end: year 10000 is no stored time.
        let last = AuditQuery {
            to: "9999-12-31".to_owned(),
            ..AuditQuery::default()
        };
        assert_eq!(last.filter().unwrap().until, None);
    }
}
