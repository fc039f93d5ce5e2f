//! Form messages: beside each field, with the form kept as typed (PRODUCT §4.12).

use std::collections::HashMap;

/// Messages by field name.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(HashMap<&'static str, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl ToString) {
        self.0.entry(field).or_insert_with(|| message.to_string());
    }

    /// The message for a field (templates call this).
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Parses one field, recording its message on failure.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &'static str,
        parsed: Result<T, E>,
    ) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(e) => {
                self.add(field, e);
                None
            }
        }
    }
}
