//! The audit log as the pages and the API read it (writes go with each change, in `store::audit`).

/// A workspace's (or the organization's) events matching a filter, newest first, before an id.
pub use crate::store::audit::{Actor, AuditFilter, EventRow, page};
