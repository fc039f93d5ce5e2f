//! `GET /api/v1/audit-events`: the workspace's audit log with the page's filters (`actor`,
//! `target`, `action`, `from`, `to`), newest first, in cursor pages (`before`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::paging::{Links, parse_cursor, parse_limit};
use super::{ApiKeyAuth, Problem, next_page, ok};
use crate::domain::role::Permission;
use crate::services::audit::{self, EventRow};
use crate::web::audit::AuditQuery;
use crate::web::views::rfc3339;
use crate::web::{AppState, blocking};

#[derive(Serialize, ToSchema)]
pub struct EventJson {
    pub id: i64,
    pub created_at: String,
    /// Who did it: a person's name, "API key '…' (ack_…)", "Command line", "Scheduled task".
    pub actor: String,
    /// `member.suspended`, `group.created`…
    pub action: String,
    pub target: String,
    /// What changed, as recorded.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
    pub ip: Option<String>,
}

impl From<EventRow> for EventJson {
    fn from(e: EventRow) -> Self {
        Self {
            id: e.id,
            created_at: rfc3339(e.created_at),
            actor: e.actor_label,
            action: e.action,
            target: e.target_label,
            changes: serde_json::from_str::<serde_json::Value>(&e.changes)
                .ok()
                .filter(serde_json::Value::is_object)
                .unwrap_or_else(|| serde_json::json!({})),
            ip: e.ip,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EventPage {
    pub data: Vec<EventJson>,
    pub links: Links,
}

/// The audit log's filters, and the page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Part of who did it.
    pub actor: Option<String>,
    /// Part of what it was done to.
    pub target: Option<String>,
    /// Part of the reason given for a suspension, block or removal.
    pub reason: Option<String>,
    /// One action (`member.suspended`); one the log does not record is refused (400), as is a day
    /// that is not one or a `from` after `to`.
    pub action: Option<String>,
    /// From this day on (`YYYY-MM-DD`, UTC).
    pub from: Option<String>,
    /// Up to this day (`YYYY-MM-DD`, UTC).
    pub to: Option<String>,
    /// The page after: the last id of this one (the `next` link carries it).
    pub before: Option<String>,
    /// Events per page, 1 to 200 (50 when absent).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
}

impl EventsQuery {
    fn filter(&self) -> AuditQuery {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        AuditQuery {
            actor: text(&self.actor),
            target: text(&self.target),
            reason: text(&self.reason),
            action: text(&self.action),
            from: text(&self.from),
            to: text(&self.to),
            before: text(&self.before),
        }
    }
}

/// The audit log
///
/// The workspace's events, newest first, with the log page's filters, in pages (follow
/// `links.next`).
#[utoipa::path(get, path = "/api/v1/audit-events", operation_id = "listAuditEvents", tag = "Audit", params(EventsQuery),
    security(("api_key" = ["audit.view"])),
    responses((status = 200, description = "A page of events", body = EventPage)))]
pub async fn list(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    query: web::Query<EventsQuery>,
) -> Result<HttpResponse, Problem> {
    auth.require(Permission::AuditView)?;
    let query = query.into_inner();
    let limit = parse_limit(query.limit.as_deref())?;
    let query = query.filter();
    let filter = query
        .filter()
        .map_err(|why| Problem::new(StatusCode::BAD_REQUEST, why))?;
    let workspace = auth.workspace.id;
    let before = parse_cursor("before", Some(&query.before))?;
    let mut events = blocking(&state, move |conn| {
        Ok(audit::page(
            conn,
            Some(workspace),
            &filter,
            before,
            limit + 1,
        )?)
    })
    .await?;
    let next = next_page(&mut events, limit, |e| next_link(&query, limit, e.id));
    Ok(ok(&EventPage {
        data: events.into_iter().map(EventJson::from).collect(),
        links: Links { next, prev: None },
    }))
}

/// The next page's address: the filters as asked, the page size, and the last id seen.
fn next_link(query: &AuditQuery, limit: i64, last: i64) -> String {
    let mut pairs: Vec<(&str, String)> = [
        ("actor", &query.actor),
        ("target", &query.target),
        ("reason", &query.reason),
        ("action", &query.action),
        ("from", &query.from),
        ("to", &query.to),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| (k, v.clone()))
    .collect();
    pairs.push(("limit", limit.to_string()));
    pairs.push(("before", last.to_string()));
    format!(
        "/api/v1/audit-events?{}",
        serde_html_form::to_string(&pairs).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_keeps_every_filter() {
        let query = AuditQuery {
            actor: "ada".into(),
            target: "grace".into(),
            reason: "left the company".into(),
            action: "member.suspended".into(),
            from: "2026-12-01".into(),
            to: "2026-12-06".into(),
            before: "99".into(),
        };
        let link = next_link(&query, 20, 7);
        for part in [
            "actor=ada",
            "target=grace",
            "reason=left+the+company",
            "action=member.suspended",
            "from=2026-12-01",
            "to=2026-12-06",
            "limit=20",
            "before=7",
        ] {
            assert!(link.contains(part), "{link} lacks {part}");
        }
    }
}
