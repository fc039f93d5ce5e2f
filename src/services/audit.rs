//! The audit log as the pages and the API read it (writes go with each change, in `store::audit`),
//! and what a change's event says it changed.

use serde::Serialize;
use serde_json::{Map, Value, json};

/// A workspace's (or the organization's) events matching a filter, newest first, before an id.
pub use crate::store::audit::{Actor, AuditFilter, EventRow, actions_present, page};

/// The fields a change touched, as its audit event keeps them: `{ "name": { "before": …,
/// "after": … } }`. A field left as it was is not named.
#[derive(Debug, Default)]
pub struct Changes(Map<String, Value>);

impl Changes {
    /// Names `field` when its value `before` and `after` the change differ.
    pub fn field(&mut self, field: &str, before: impl Serialize, after: impl Serialize) {
        let (before, after) = (json!(before), json!(after));
        if before != after {
            self.0.insert(
                field.to_owned(),
                json!({ "before": before, "after": after }),
            );
        }
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The changes as the event's `changes`.
    pub fn into_json(self) -> Value {
        Value::Object(self.0)
    }
}
