//! Pure rules and typed values. Nothing here knows about HTTP or SQL: a value that exists is valid.

pub mod access;
pub mod api_key;
pub mod audit_words;
pub mod avatar;
pub mod custom_role;
pub mod email;
pub mod group;
pub mod idempotency;
pub mod ids;
pub mod import;
pub mod invitation;
pub mod membership;
pub mod names;
pub mod password;
pub mod plan;
pub mod policy;
pub mod role;
pub mod scim_filter;
pub mod scim_patch;
pub mod search;
pub mod slack;
pub mod slug;
pub mod sort;
pub mod spreadsheet;
pub mod throttle;
pub mod timezone;
pub mod totp;

/// 1234567 → "1,234,567".
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

pub use email::Email;
pub use names::{Description, Name, Reason};
pub use password::NewPassword;
pub use search::SearchTerm;
pub use slug::Slug;

/// Moments for the unit tests here: counted from one fixed instant, so that tests read in offsets.
#[cfg(test)]
pub(crate) mod test_time {
    use chrono::NaiveDateTime;

    /// `seconds` after the fixed instant.
    pub fn seconds(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0)
            .unwrap()
            .naive_utc()
    }

    /// `minutes` after the fixed instant.
    pub fn minutes(minutes: i64) -> NaiveDateTime {
        seconds(minutes * 60)
    }
}
