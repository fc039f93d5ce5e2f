//! An IANA time zone name, as people pick it for their profile.

use std::fmt;
use std::str::FromStr;

/// A time zone of the IANA database (`Europe/Berlin`, `UTC`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timezone(chrono_tz::Tz);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Choose a time zone from the list, like Europe/Berlin or America/New_York.")]
pub struct UnknownTimezone;

impl Timezone {
    pub fn parse(input: &str) -> Result<Self, UnknownTimezone> {
        chrono_tz::Tz::from_str(input.trim())
            .map(Self)
            .map_err(|_| UnknownTimezone)
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// "26 Nov 2026, 09:41 CET": a stored (UTC) time as people in this zone read it.
    pub fn local_text(self, at: chrono::NaiveDateTime) -> String {
        self.text(at, false)
    }

    /// "26 Nov 2026, 09:41:05 CET": to the second, for what lasts seconds (a sign-in pause).
    pub fn local_text_seconds(self, at: chrono::NaiveDateTime) -> String {
        self.text(at, true)
    }

    fn text(self, at: chrono::NaiveDateTime, seconds: bool) -> String {
        use chrono::{Datelike, Timelike};
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let local = at.and_utc().with_timezone(&self.tz());
        let second = if seconds {
            format!(":{:02}", local.second())
        } else {
            String::new()
        };
        format!(
            "{} {} {}, {:02}:{:02}{second} {}",
            local.day(),
            MONTHS[local.month0() as usize],
            local.year(),
            local.hour(),
            local.minute(),
            local.offset()
        )
    }

    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }

    /// Every name people can choose, sorted.
    pub fn all_names() -> Vec<&'static str> {
        let mut names: Vec<&'static str> =
            chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
        names.sort_unstable();
        names
    }
}

impl Default for Timezone {
    fn default() -> Self {
        Self(chrono_tz::UTC)
    }
}

impl fmt::Display for Timezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_iana_names_only() {
        assert_eq!(
            Timezone::parse("Europe/Berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(Timezone::parse(" UTC ").unwrap().name(), "UTC");
        for bad in ["", "Mars/Olympus", "CEST+2", "europe/berlin/x"] {
            assert_eq!(Timezone::parse(bad), Err(UnknownTimezone), "{bad}");
        }
        assert!(Timezone::all_names().len() > 400);
    }

    #[test]
    fn local_times_to_the_minute_or_the_second() {
        let at = chrono::NaiveDateTime::parse_from_str("2026-11-26 08:41:05", "%Y-%m-%d %H:%M:%S")
            .unwrap();
        let berlin = Timezone::parse("Europe/Berlin").unwrap();
        assert_eq!(berlin.local_text(at), "26 Nov 2026, 09:41 CET");
        assert_eq!(berlin.local_text_seconds(at), "26 Nov 2026, 09:41:05 CET");
    }
}
