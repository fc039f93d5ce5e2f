//! What a SCIM list or read asks in its query or `.search` body (RFC 7644 §3.4.2, §3.4.3): the
//! filter, the page and the attributes to return — the same for Users and Groups.

use serde::Deserialize;

use super::{Projection, ScimError};
use crate::domain::scim_filter;

/// The most Users one page holds (an IdP asking for more gets this many).
pub const MAX_COUNT: i64 = 1000;
/// A page's size when `count` is not given.
const DEFAULT_COUNT: i64 = 100;

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ListQuery {
    filter: Option<String>,
    start_index: Option<String>,
    count: Option<String>,
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

/// A `POST …/.search` body (RFC 7644 §3.4.3): the list's parameters without the URL.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SearchRequest {
    filter: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
    attributes: Option<Vec<String>>,
    excluded_attributes: Option<Vec<String>>,
}

impl From<SearchRequest> for ListQuery {
    fn from(search: SearchRequest) -> Self {
        Self {
            filter: search.filter,
            start_index: search.start_index.map(|n| n.to_string()),
            count: search.count.map(|n| n.to_string()),
            attributes: search.attributes.map(|a| a.join(",")),
            excluded_attributes: search.excluded_attributes.map(|a| a.join(",")),
        }
    }
}

/// A whole number from the query, or a SCIM `invalidValue` naming the parameter.
fn number(name: &str, text: Option<&str>) -> Result<Option<i64>, ScimError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ScimError::invalid_value(format!("{name} must be a whole number."))),
    }
}

impl ListQuery {
    pub fn projection(&self) -> Projection {
        Projection::new(
            self.attributes.as_deref(),
            self.excluded_attributes.as_deref(),
        )
    }
}

/// A list's filter (resolved for `resource`), 1-based start and page size (RFC 7644 §3.4.2.4:
/// below 1 is 1; a negative count is 0).
pub fn page_of(
    query: &ListQuery,
    resource: scim_filter::Resource,
) -> Result<(Option<scim_filter::Cond>, i64, i64), ScimError> {
    let cond = match query
        .filter
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        None => None,
        Some(text) => Some(
            scim_filter::parse(text)
                .and_then(|f| scim_filter::condition(&f, resource))
                .map_err(ScimError::invalid_filter)?,
        ),
    };
    let start = number("startIndex", query.start_index.as_deref())?
        .unwrap_or(1)
        .max(1);
    let count = number("count", query.count.as_deref())?
        .unwrap_or(DEFAULT_COUNT)
        .clamp(0, MAX_COUNT);
    Ok((cond, start, count))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OneQuery {
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

impl OneQuery {
    pub fn projection(&self) -> Projection {
        Projection::new(
            self.attributes.as_deref(),
            self.excluded_attributes.as_deref(),
        )
    }
}
