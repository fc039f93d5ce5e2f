//! `GET /api/v1/audit-events`: the workspace's audit log with the page's filters (`actor`,
//! `target`, `action`, `from`, `to`), newest first, in cursor pages (`before`).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::users::{Links, parse_limit};
use super::{ApiKeyAuth, Problem, ok};
use crate::domain::role::Permission;
use crate::store::audit;
use crate::web::audit::AuditQuery;
use crate::web::views::rfc3339;
use crate::web::{AppState, blocking};

#[derive(Serialize)]
pub struct EventJson {
    pub id: i64,
    pub created_at: String,
    /// Who did it: a person's name, "API key '…'", "Command line", "Scheduled task".
    pub actor: String,
    /// `member.suspended`, `group.created`…
    pub action: String,
    pub target: String,
    /// What changed, as recorded.
    pub changes: serde_json::Value,
    pub ip: Option<String>,
}

#[derive(Serialize)]
pub struct EventPage {
    pub data: Vec<EventJson>,
    pub links: Links,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EventsQuery {
    #[serde(flatten)]
    pub filter: AuditQuery,
    pub limit: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    query: web::Query<EventsQuery>,
) -> Result<HttpResponse, Problem> {
    auth.require(Permission::AuditView)?;
    let query = query.into_inner();
    let limit = parse_limit(query.limit.as_deref())?;
    let (workspace, filter) = (auth.workspace.id, query.filter.filter());
    let before = query.filter.before.trim().parse::<i64>().ok();
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
    let more = events.len() as i64 > limit;
    events.truncate(limit as usize);
    let next = events.last().filter(|_| more).map(|e| {
        let mut pairs: Vec<(&str, String)> = [
            ("actor", &query.filter.actor),
            ("target", &query.filter.target),
            ("action", &query.filter.action),
            ("from", &query.filter.from),
            ("to", &query.filter.to),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.clone()))
        .collect();
        pairs.push(("limit", limit.to_string()));
        pairs.push(("before", e.id.to_string()));
        format!(
            "/api/v1/audit-events?{}",
            serde_html_form::to_string(&pairs).unwrap_or_default()
        )
    });
    Ok(ok(&EventPage {
        data: events
            .into_iter()
            .map(|e| EventJson {
                id: e.id,
                created_at: rfc3339(e.created_at),
                actor: e.actor_label,
                action: e.action,
                target: e.target_label,
                changes: serde_json::from_str(&e.changes).unwrap_or(serde_json::Value::Null),
                ip: e.ip,
            })
            .collect(),
        links: Links { next, prev: None },
    }))
}
