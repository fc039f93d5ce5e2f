//! Small formatting helpers shared by pages.

use chrono::NaiveDateTime;

use crate::domain::names::display_name;
use crate::domain::timezone::Timezone;

/// (RFC 3339 UTC for `<time datetime>`, the day it was in the viewer's `zone`).
pub fn date(at: NaiveDateTime, zone: Timezone) -> (String, String) {
    (rfc3339(at), local_date(at, zone))
}

/// "26 November 2026": the day a stored (UTC) time falls on in `zone`, its month spelled out.
pub fn long_local_date(at: NaiveDateTime, zone: Timezone) -> String {
    at.and_utc()
        .with_timezone(&zone.tz())
        .format("%-d %B %Y")
        .to_string()
}

/// "26 Nov 2026": the day a stored (UTC) time falls on in `zone` (in Kiritimati, 16:20 UTC on the
/// 7th is the 8th).
pub fn local_date(at: NaiveDateTime, zone: Timezone) -> String {
    short_date(at.and_utc().with_timezone(&zone.tz()))
}

/// "26 Nov 2026" (chrono's `%-d %b %Y`, written directly for the same reason as [`rfc3339`]).
pub fn short_date(at: impl chrono::Datelike) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {} {}",
        at.day(),
        MONTHS[at.month0() as usize],
        at.year()
    )
}

/// `2026-11-26T06:29:40Z`, written directly: chrono's `format` parses its pattern on every call,
/// which shows at a million rows of CSV.
pub fn rfc3339(at: NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    let Ok(year @ 0..=9999) = u32::try_from(at.year()) else {
        return at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    };
    let mut text = *b"0000-00-00T00:00:00Z";
    for (start, width, value) in [
        (0, 4, year),
        (5, 2, at.month()),
        (8, 2, at.day()),
        (11, 2, at.hour()),
        (14, 2, at.minute()),
        (17, 2, at.second()),
    ] {
        let mut value = value;
        for digit in text[start..start + width].iter_mut().rev() {
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    String::from_utf8_lossy(&text).into_owned()
}

pub use crate::domain::grouped as number;

/// What giving Owner means, asked before it is given (the Role tab, the invite forms, a bulk
/// change): only an Owner takes it back.
pub const OWNER_GIVES: &str = "Owners hold every permission here: they give and take any role, \
     Owner included, and act on the other Owners. Only an Owner can take the role away again.";

/// Said at the end of a menu of `listed` groups when it is cut at [`groups::SHOWN`]: the others
/// are not in it (the Groups page finds them).
///
/// [`groups::SHOWN`]: crate::store::groups::SHOWN
pub fn groups_cut(listed: usize) -> Option<String> {
    (listed >= crate::store::groups::SHOWN).then(|| {
        format!(
            "Only the first {} groups by name are listed here: search the Groups page for the others.",
            number(listed as i64)
        )
    })
}

/// "1 member", "2,000 members".
pub fn count(n: i64, one: &str, many: &str) -> String {
    format!("{} {}", number(n), if n == 1 { one } else { many })
}

/// What deleting a group or an app does to the pending invitations that give it: "" for none.
pub fn chosen_in_invitations(n: i64) -> String {
    match n {
        0 => String::new(),
        n => format!(
            " {} {} it: {} without it.",
            count(n, "pending invitation", "pending invitations"),
            if n == 1 { "gives" } else { "give" },
            if n == 1 {
                "its invitee joins"
            } else {
                "their invitees join"
            }
        ),
    }
}

/// "7 of 10 seats used", or "7 seats used, no limit".
pub fn seats_used(used: i64, limit: Option<i64>) -> String {
    match limit {
        Some(limit) => format!("{} of {} seats used", number(used), number(limit)),
        None => format!("{} used, no limit", count(used, "seat", "seats")),
    }
}

/// Someone active in the last two minutes shows as online.
pub fn is_online(last_active: NaiveDateTime, now: NaiveDateTime) -> bool {
    now - last_active <= chrono::Duration::minutes(2)
}

/// "just now", "3 minutes ago", "5 hours ago", "2 days ago", then the date.
pub fn relative(at: NaiveDateTime, now: NaiveDateTime, zone: Timezone) -> String {
    let seconds = (now - at).num_seconds().max(0);
    let ago = |n: i64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match seconds {
        0..60 => "just now".to_owned(),
        60..3600 => ago(seconds / 60, "minute"),
        3600..86400 => ago(seconds / 3600, "hour"),
        86400..2_592_000 => ago(seconds / 86400, "day"),
        _ => local_date(at, zone),
    }
}

/// The exact time in a viewer's time zone: "26 Nov 2026, 09:41 CET".
pub fn in_timezone(at: NaiveDateTime, zone: Timezone) -> String {
    zone.local_text(at)
}

/// "Firefox on Linux" from a User-Agent header (a label for people, not a security fact).
pub fn browser_name(user_agent: &str) -> String {
    // The first whose marker the header holds names it: Edge and Chrome also say "Safari/", and
    // Android also says "Linux".
    const BROWSERS: [(&[&str], &str); 5] = [
        (&["Edg/"], "Edge"),
        (&["Firefox/"], "Firefox"),
        (&["Chrome/", "Chromium/"], "Chrome"),
        (&["Safari/"], "Safari"),
        (&["curl/"], "curl"),
    ];
    const SYSTEMS: [(&[&str], &str); 5] = [
        (&["Android"], "Android"),
        (&["iPhone", "iPad"], "iOS"),
        (&["Windows"], "Windows"),
        (&["Mac OS"], "macOS"),
        (&["Linux"], "Linux"),
    ];
    let named = |table: &[(&[&str], &'static str)]| {
        table
            .iter()
            .find(|(markers, _)| markers.iter().any(|m| user_agent.contains(m)))
            .map(|(_, name)| *name)
    };
    let browser = named(&BROWSERS).unwrap_or("A browser");
    match named(&SYSTEMS) {
        Some(os) => format!("{browser} on {os}"),
        None => browser.to_owned(),
    }
}

/// (key, label) of a member's state for the status badge: a block is organization-wide and
/// outranks the membership's own state.
pub fn status_badge(
    account: crate::domain::membership::AccountStatus,
    membership: crate::domain::membership::MembershipStatus,
) -> (&'static str, &'static str) {
    use crate::domain::membership::AccountStatus;
    if account == AccountStatus::Blocked {
        (account.key(), account.label())
    } else {
        (membership.key(), membership.label())
    }
}

/// A person in a list of members (a group's members, a role's holders): their name, address and
/// status badge, and their role where the list shows one.
pub struct PersonLine {
    pub id: crate::domain::ids::MembershipId,
    pub name: String,
    pub email: String,
    /// Empty where the list does not show it (a role's own holders).
    pub role: String,
    pub status_key: &'static str,
    pub status_label: &'static str,
}

impl PersonLine {
    /// The name from the first and last names (the address when there are none), and the badge
    /// from [`status_badge`].
    fn new(
        id: crate::domain::ids::MembershipId,
        (first_name, last_name): (&str, &str),
        email: String,
        role: String,
        account: crate::domain::membership::AccountStatus,
        membership: crate::domain::membership::MembershipStatus,
    ) -> Self {
        let (status_key, status_label) = status_badge(account, membership);
        Self {
            id,
            name: display_name(first_name, last_name, &email),
            email,
            role,
            status_key,
            status_label,
        }
    }
}

impl From<crate::store::memberships::MemberRow> for PersonLine {
    fn from(row: crate::store::memberships::MemberRow) -> Self {
        let names = (row.first_name.as_str(), row.last_name.as_str());
        Self::new(
            row.id,
            names,
            row.email,
            row.role_name,
            row.account_status,
            row.status,
        )
    }
}

impl From<crate::store::roles::Holder> for PersonLine {
    fn from(h: crate::store::roles::Holder) -> Self {
        let names = (h.first_name.as_str(), h.last_name.as_str());
        Self::new(
            h.membership,
            names,
            h.email,
            String::new(),
            h.account_status,
            h.status,
        )
    }
}

/// A person's picture: the uploaded one, or initials on a colour derived from the account id
/// (drawn as inline SVG by the `avatar` template macro).
pub struct Avatar {
    pub initials: String,
    pub colour: &'static str,
    /// The colour's place in the palette (`avc-N` in the stylesheet, for the small CSS avatar).
    pub slot: usize,
    pub url: Option<String>,
}

/// White text on each is at least 5:1.
const AVATAR_COLOURS: [&str; 8] = [
    "#4f46e5", "#0f766e", "#b45309", "#be185d", "#1d4ed8", "#15803d", "#7e22ce", "#475569",
];

impl Avatar {
    pub fn new(account_id: i64, first: &str, last: &str, email: &str, key: Option<&str>) -> Self {
        // A multiplicative hash spreads neighbouring ids over the palette.
        let slot = ((account_id.unsigned_abs().wrapping_mul(2_654_435_761) >> 7) % 8) as usize;
        Self {
            initials: initials(first, last, email),
            colour: AVATAR_COLOURS[slot],
            slot,
            url: key.map(|k| format!("/avatars/{k}.png")),
        }
    }
}

/// "AL" for Ada Lovelace; the first letter of the email without a name.
pub fn initials(first_name: &str, last_name: &str, email: &str) -> String {
    let letters: String = [first_name, last_name]
        .iter()
        .filter_map(|part| part.trim().chars().next())
        .flat_map(char::to_uppercase)
        .collect();
    if letters.is_empty() {
        email
            .chars()
            .next()
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_default()
    } else {
        letters
    }
}

/// "Profile saved.", and where a new address has to be confirmed.
/// `own`: saved by the person whose profile it is (they confirm), else by an administrator.
pub fn profile_saved(confirming: Option<String>, own: bool) -> String {
    let who = if own { "you confirm" } else { "they confirm" };
    match confirming {
        Some(address) => format!(
            "Profile saved. A confirmation link was sent to {address}: the email address changes once {who} it from that link."
        ),
        None => "Profile saved.".to_owned(),
    }
}

/// After **Clear** on a sign-in pause (console or `/org/accounts`): [cleared, was not paused].
pub const SIGN_IN_PAUSE_CLEARED: [&str; 2] = [
    "The sign-in pause is cleared: they can sign in again now.",
    "Sign-in was not paused (or the pause had ended already): nothing changed.",
];

/// After "Cancel the email change" (console or `/me`).
pub fn email_change_cancelled(cancelled: bool) -> &'static str {
    if cancelled {
        "Email change cancelled: the link sent to the new address no longer works."
    } else {
        "There was no email change waiting."
    }
}

/// After "Remove the picture": `whose` initials show instead ("your", "their").
pub fn picture_removed(removed: bool, whose: &str) -> String {
    if removed {
        format!("Picture removed: {whose} initials show instead.")
    } else {
        "There was no picture to remove.".to_owned()
    }
}

/// One option of a menu or a list of checkboxes, with whether it is chosen.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// "Sign-in paused until 6 Dec 2026, 14:32 CET after 9 failed attempts.", in the reader's zone.
pub fn sign_in_paused(
    until: chrono::NaiveDateTime,
    failures: i64,
    zone: crate::domain::timezone::Timezone,
) -> String {
    format!(
        "Sign-in paused until {} after {failures} failed attempts.",
        zone.local_text_seconds(until)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seats_used_in_words() {
        assert_eq!(seats_used(7, Some(10)), "7 of 10 seats used");
        assert_eq!(seats_used(1200, Some(5000)), "1,200 of 5,000 seats used");
        assert_eq!(seats_used(1, None), "1 seat used, no limit");
    }

    #[test]
    fn formats_numbers_and_counts() {
        assert_eq!(number(0), "0");
        assert_eq!(number(999), "999");
        assert_eq!(number(1000), "1,000");
        assert_eq!(number(1234567), "1,234,567");
        assert_eq!(count(1, "member", "members"), "1 member");
        assert_eq!(count(1000000, "member", "members"), "1,000,000 members");
    }

    #[test]
    fn rfc3339_matches_chrono() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_micro_opt(3, 4, 5, 678)
            .unwrap();
        assert_eq!(rfc3339(at), at.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        assert_eq!(rfc3339(at), "2026-01-02T03:04:05Z");
        let far = chrono::NaiveDate::from_ymd_opt(12345, 12, 31)
            .unwrap()
            .and_hms_opt(23, 59, 58)
            .unwrap();
        assert_eq!(rfc3339(far), far.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    }

    #[test]
    fn a_date_is_the_day_it_is_where_the_viewer_is() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
            .unwrap()
            .and_hms_opt(16, 20, 0)
            .unwrap();
        let zone = |name| crate::domain::timezone::Timezone::parse(name).unwrap();
        assert_eq!(local_date(at, zone("UTC")), "7 Dec 2026");
        assert_eq!(local_date(at, zone("Pacific/Kiritimati")), "8 Dec 2026");
        assert_eq!(
            date(at, zone("Pacific/Kiritimati")).0,
            "2026-12-07T16:20:00Z"
        );
        assert_eq!(
            long_local_date(at, zone("Pacific/Kiritimati")),
            "8 December 2026"
        );
        let long_ago = at - chrono::Duration::days(40);
        assert_eq!(
            relative(long_ago, at, zone("Pacific/Kiritimati")),
            "29 Oct 2026"
        );
        assert_eq!(
            relative(at - chrono::Duration::hours(2), at, zone("UTC")),
            "2 hours ago"
        );
    }

    #[test]
    fn dates_and_zoned_times_match_chronos_patterns() {
        let start = chrono::NaiveDate::from_ymd_opt(2025, 12, 28)
            .unwrap()
            .and_hms_opt(23, 59, 0)
            .unwrap();
        for zone in ["UTC", "Europe/Berlin", "America/Sao_Paulo", "Asia/Kolkata"] {
            let zone = crate::domain::timezone::Timezone::parse(zone).unwrap();
            for days in (0..400).step_by(7) {
                let at = start + chrono::Duration::days(days);
                assert_eq!(short_date(at), at.format("%-d %b %Y").to_string());
                assert_eq!(rfc3339(at), at.format("%Y-%m-%dT%H:%M:%SZ").to_string());
                let local = at.and_utc().with_timezone(&zone.tz());
                assert_eq!(
                    in_timezone(at, zone),
                    local.format("%-d %b %Y, %H:%M %Z").to_string()
                );
            }
        }
    }

    #[test]
    fn relative_times_and_presence() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 26)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        let ago = |s: i64| now - chrono::Duration::seconds(s);
        assert_eq!(relative(ago(5), now, Timezone::default()), "just now");
        assert_eq!(relative(ago(60), now, Timezone::default()), "1 minute ago");
        assert_eq!(
            relative(ago(180), now, Timezone::default()),
            "3 minutes ago"
        );
        assert_eq!(relative(ago(7200), now, Timezone::default()), "2 hours ago");
        assert_eq!(
            relative(ago(86400 * 3), now, Timezone::default()),
            "3 days ago"
        );
        assert_eq!(
            relative(ago(86400 * 40), now, Timezone::default()),
            "17 Oct 2026"
        );
        assert!(is_online(ago(119), now) && !is_online(ago(121), now));
        let berlin = crate::domain::timezone::Timezone::parse("Europe/Berlin").unwrap();
        assert_eq!(in_timezone(now, berlin), "26 Nov 2026, 13:00 CET");
    }

    #[test]
    fn names_browsers() {
        assert_eq!(
            browser_name(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"
            ),
            "Chrome on Linux"
        );
        assert_eq!(
            browser_name(
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0; rv:128.0) Gecko/20100101 Firefox/128.0"
            ),
            "Firefox on macOS"
        );
        assert_eq!(browser_name("curl/8.0"), "curl");
    }

    #[test]
    fn initials_from_names_or_email() {
        assert_eq!(initials("Ada", "Lovelace", "a@x.io"), "AL");
        assert_eq!(initials("", "", "grace@x.io"), "G");
        assert_eq!(initials("élodie", "", "e@x.io"), "É");
    }
}
