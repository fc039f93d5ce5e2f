//! Slack (issue 19): the bot token a person pastes, the scopes the console needs, which of a Slack
//! workspace's members can be added (people with an email, not bots, Slackbot or deleted users),
//! and Slack's error codes in plain words. Pure: no network, no database.

use serde::Deserialize;

use super::{Email, Name};

/// What the console asks Slack for: read people and their emails, open a direct message, write it.
pub const REQUIRED_SCOPES: [&str; 4] = ["users:read", "users:read.email", "im:write", "chat:write"];

/// The required scopes that `granted` (Slack's comma-separated list) lacks.
pub fn missing_scopes(granted: &str) -> Vec<&'static str> {
    let granted: Vec<&str> = granted.split(',').map(str::trim).collect();
    REQUIRED_SCOPES
        .into_iter()
        .filter(|s| !granted.contains(s))
        .collect()
}

/// A Slack bot token as pasted: `xoxb-` and Slack's token characters, nothing else.
#[derive(Clone, PartialEq, Eq)]
pub struct BotToken(String);

impl std::fmt::Debug for BotToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BotToken(xoxb-…)")
    }
}

impl BotToken {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let token = input.trim();
        if token.is_empty() {
            return Err("Paste the bot token of your Slack app (it starts with xoxb-).");
        }
        if !token.starts_with("xoxb-") {
            return Err(
                "This is not a bot token: a bot token starts with xoxb- (a user token, xoxp-, is not accepted).",
            );
        }
        if token.len() > 255
            || token.len() < 10
            || !token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(
                "This does not look like a Slack token: copy it again from the app's OAuth & Permissions page.",
            );
        }
        Ok(Self(token.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A member as `users.list` returns it (the fields the console reads).
#[derive(Debug, Clone, Deserialize)]
pub struct Member {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub is_bot: bool,
    #[serde(default)]
    pub is_restricted: bool,
    #[serde(default)]
    pub is_ultra_restricted: bool,
    #[serde(default)]
    pub real_name: Option<String>,
    #[serde(default)]
    pub profile: Profile,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Profile {
    #[serde(default)]
    pub real_name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// Someone of the Slack workspace the console can add: a person with a valid email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackPerson {
    pub id: String,
    /// The name to show: real name, else display name, else the handle.
    pub name: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Email,
    /// A single- or multi-channel guest of the Slack workspace.
    pub is_guest: bool,
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A name (of a person, or of the Slack team) as the console keeps it: without the characters `Name` refuses (control characters,
/// line separators, direction overrides: a Slack profile could otherwise show as someone else),
/// at most the length a name may have (empty when Slack has none, or one that shows nothing).
pub fn name_part(value: &str) -> String {
    let clean: String = value
        .chars()
        .filter(|c| Name::refusal(*c).is_none())
        .collect();
    if clean.chars().all(super::names::is_blank) {
        return String::new();
    }
    clean.trim().chars().take(Name::MAX_CHARS).collect()
}

impl SlackPerson {
    /// `None` for bots, Slackbot, deleted users and anyone without a valid email.
    pub fn from_member(member: &Member) -> Option<Self> {
        if member.is_bot || member.deleted || member.id == "USLACKBOT" {
            return None;
        }
        let email = Email::parse(non_empty(&member.profile.email)?).ok()?;
        let name = name_part(
            non_empty(&member.profile.real_name)
                .or(non_empty(&member.real_name))
                .or(non_empty(&member.profile.display_name))
                .unwrap_or(member.name.trim()),
        );
        let (first, last) = match (
            non_empty(&member.profile.first_name),
            non_empty(&member.profile.last_name),
        ) {
            (Some(first), last) => (first.to_owned(), last.unwrap_or("").to_owned()),
            (None, _) => match name.split_once(' ') {
                Some((first, last)) => (first.to_owned(), last.to_owned()),
                None => (name.clone(), String::new()),
            },
        };
        Some(Self {
            id: member.id.clone(),
            name: if name.is_empty() {
                email.as_str().to_owned()
            } else {
                name
            },
            first_name: name_part(&first),
            last_name: name_part(&last),
            email,
            is_guest: member.is_restricted || member.is_ultra_restricted,
        })
    }

    /// What a search looks through: the name and the address, lower-cased.
    pub fn search_key(&self) -> String {
        format!("{} {}", self.name, self.email.as_str()).to_lowercase()
    }
}

/// Slack's error code in plain words, for the settings page and the logs.
pub fn error_in_words(code: &str) -> String {
    match code {
        "invalid_auth" | "not_authed" => {
            "Slack did not accept the token: check that you copied the whole bot token (xoxb-…) \
             of an app installed in your Slack workspace."
                .to_owned()
        }
        "account_inactive" => "The Slack account behind this token is deactivated: install the \
                               app again or use another token."
            .to_owned(),
        "token_revoked" | "token_expired" => {
            "This token was revoked in Slack (or the app uninstalled): connect again.".to_owned()
        }
        "missing_scope" => "The Slack app lacks a permission the console needs: add the scopes \
                            users:read, users:read.email, im:write and chat:write and reinstall it."
            .to_owned(),
        "ratelimited" => "Slack asks us to slow down; the console tries again shortly.".to_owned(),
        "invalid_code" | "code_already_used" => {
            "Slack refused the sign-in code (it may have been used already): try again.".to_owned()
        }
        "bad_client_secret" | "invalid_client_id" => {
            "Slack refused this console's app credentials (SLACK_CLIENT_ID / SLACK_CLIENT_SECRET)."
                .to_owned()
        }
        "bad_redirect_uri" => "Slack refused the return address: the app's redirect URL must be \
                               this console's …/settings/slack/callback."
            .to_owned(),
        "access_denied" => "The installation was cancelled in Slack.".to_owned(),
        "user_not_found" | "channel_not_found" => {
            "That person is no longer in the Slack workspace.".to_owned()
        }
        other => format!("Slack answered with an error ({other})."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(json: &str) -> Member {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn scopes_missing_are_named() {
        assert!(missing_scopes("users:read,users:read.email,im:write,chat:write").is_empty());
        assert_eq!(
            missing_scopes("users:read, chat:write,channels:read"),
            vec!["users:read.email", "im:write"]
        );
        assert_eq!(missing_scopes("").len(), 4);
    }

    #[test]
    fn only_bot_tokens_are_accepted() {
        assert!(BotToken::parse("  xoxb-123-456-abcDEF  ").is_ok());
        assert!(BotToken::parse("").is_err());
        assert!(BotToken::parse("xoxp-123-456-abc").is_err());
        assert!(BotToken::parse("xoxb-12 34").is_err());
        assert!(BotToken::parse("xoxb-<script>").is_err());
        assert_eq!(
            format!("{:?}", BotToken::parse("xoxb-123-456-abc").unwrap()),
            "BotToken(xoxb-…)",
            "never in logs"
        );
    }

    #[test]
    fn people_with_an_email_are_kept_and_the_rest_skipped() {
        let ada = member(
            r#"{"id":"U1","name":"ada","profile":{"real_name":"Ada Lovelace","first_name":"Ada","last_name":"Lovelace","email":"Ada@Example.com"}}"#,
        );
        let person = SlackPerson::from_member(&ada).unwrap();
        assert_eq!(person.name, "Ada Lovelace");
        assert_eq!(
            (person.first_name.as_str(), person.last_name.as_str()),
            ("Ada", "Lovelace")
        );
        assert!(!person.is_guest);
        assert_eq!(person.search_key(), "ada lovelace ada@example.com");

        let guest = member(
            r#"{"id":"U2","name":"gus","is_restricted":true,"real_name":"Gus van Guest","profile":{"email":"gus@example.com"}}"#,
        );
        let gus = SlackPerson::from_member(&guest).unwrap();
        assert!(gus.is_guest);
        assert_eq!(
            (gus.first_name.as_str(), gus.last_name.as_str()),
            ("Gus", "van Guest"),
            "names split from the real name when Slack has no parts"
        );

        for skipped in [
            r#"{"id":"U3","name":"bot","is_bot":true,"profile":{"email":"bot@example.com"}}"#,
            r#"{"id":"USLACKBOT","name":"slackbot","profile":{"email":"s@example.com"}}"#,
            r#"{"id":"U4","name":"gone","deleted":true,"profile":{"email":"gone@example.com"}}"#,
            r#"{"id":"U5","name":"hidden","profile":{}}"#,
            r#"{"id":"U6","name":"odd","profile":{"email":"not an address"}}"#,
        ] {
            assert_eq!(
                SlackPerson::from_member(&member(skipped)),
                None,
                "{skipped}"
            );
        }
    }

    #[test]
    fn a_handle_alone_still_names_someone() {
        let p = SlackPerson::from_member(&member(
            r#"{"id":"U7","name":"zed","profile":{"email":"zed@example.com"}}"#,
        ))
        .unwrap();
        assert_eq!(p.name, "zed");
        assert_eq!(p.first_name.as_str(), "zed");
    }

    #[test]
    fn a_name_that_would_show_as_another_loses_what_the_console_refuses() {
        let p = SlackPerson::from_member(&member(
            r#"{"id":"U8","name":"x","profile":{"real_name":"\u202enimda Eve","first_name":"\u202enimda","last_name":"Eve\u2028Smith","email":"eve@example.com"}}"#,
        ))
        .unwrap();
        assert_eq!(p.name, "nimda Eve");
        assert_eq!(
            (p.first_name.as_str(), p.last_name.as_str()),
            ("nimda", "EveSmith")
        );
        let long = "a".repeat(300);
        let p = SlackPerson::from_member(&member(&format!(
            r#"{{"id":"U9","name":"x","profile":{{"real_name":"{long}","email":"l@example.com"}}}}"#
        )))
        .unwrap();
        assert_eq!(p.name.chars().count(), Name::MAX_CHARS);
        // A name of invisible characters only is no name.
        assert_eq!(name_part("\u{200B}\u{2800}"), "");
    }

    #[test]
    fn slack_errors_in_words() {
        assert!(error_in_words("invalid_auth").contains("did not accept the token"));
        assert!(error_in_words("account_inactive").contains("deactivated"));
        assert!(error_in_words("token_revoked").contains("revoked"));
        assert!(error_in_words("missing_scope").contains("users:read.email"));
        assert_eq!(
            error_in_words("teapot"),
            "Slack answered with an error (teapot)."
        );
    }
}
