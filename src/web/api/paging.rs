//! A list's pages over the API: the size asked (`limit`) and the links to the pages around.

use serde::Serialize;
use utoipa::ToSchema;

use super::Problem;
use crate::services::members;

/// The most people one page holds.
pub const MAX_LIMIT: i64 = 200;

/// Links to the pages around this one (`null` at either end).
#[derive(Serialize, ToSchema)]
pub struct Links {
    pub next: Option<String>,
    pub prev: Option<String>,
}

/// A page's cursor as given (`after`, `before`): the id a `next` or `prev` link carries, or none. A
/// value that is no id is refused (it would otherwise read as the first page, and a client that
/// builds a wrong one would go round for ever).
pub fn parse_cursor(name: &str, value: Option<&str>) -> Result<Option<i64>, Problem> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => match text.parse::<i64>() {
            Ok(id) if id > 0 => Ok(Some(id)),
            _ => Err(Problem::field(
                name,
                "Use the id a `next` or `prev` link carries.",
            )),
        },
    }
}

/// A page's size as asked (`limit`): 1 to 200, 50 when absent.
pub fn parse_limit(limit: Option<&str>) -> Result<i64, Problem> {
    match limit.map(str::trim) {
        None | Some("") => Ok(members::PAGE_SIZE),
        Some(text) => match text.parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(Problem::field(
                "limit",
                format!("Use a whole number from 1 to {MAX_LIMIT}."),
            )),
        },
    }
}
