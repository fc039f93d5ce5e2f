//! The Slack Web API methods the console calls, as Slack documents them: a form-encoded POST to
//! `{SLACK_API_URL}/{method}` with the bot token as `Authorization: Bearer …`, answered by JSON
//! with `ok` and, when false, `error`; HTTP 429 with `Retry-After` when rate limited. Blocking
//! (ureq): called from the blocking pool and the Slack worker, never on a request's thread.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::domain::slack::{Member, error_in_words};

/// How one call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackError {
    /// `ok: false` with Slack's error code.
    #[error("{}", error_in_words(.0))]
    Api(String),
    /// HTTP 429: try again after this long.
    #[error("Slack asks us to wait {} s before the next call.", .0.as_secs())]
    RateLimited(Duration),
    /// Slack could not be reached, or answered something that is not its API (the detail is
    /// for the server's log, see [`SlackError::transport`]).
    #[error(
        "Slack could not be reached. Check that this server can connect to Slack, then try again."
    )]
    Transport(String),
    /// Something on this server's side stopped the work (the database); the detail is logged.
    #[error("Reading from Slack stopped on this server's side; try again in a moment.")]
    Here(String),
}

impl SlackError {
    /// The work stopped on this server's side: the detail goes to the log, not to the page.
    pub fn here(detail: impl std::fmt::Display) -> Self {
        let detail = detail.to_string();
        tracing::warn!(%detail, "reading from Slack stopped");
        SlackError::Here(detail)
    }

    /// A call that did not reach Slack's API: the detail goes to the log, not to the page.
    pub fn transport(detail: impl std::fmt::Display) -> Self {
        let detail = detail.to_string();
        tracing::warn!(%detail, "Slack could not be reached");
        SlackError::Transport(detail)
    }

    /// True when the token itself no longer works (reconnecting is the way out).
    pub fn is_token_dead(&self) -> bool {
        matches!(self, SlackError::Api(code) if matches!(code.as_str(),
            "invalid_auth" | "not_authed" | "account_inactive" | "token_revoked" | "token_expired"))
    }
}

/// Who a token is: its Slack workspace, its bot user and the scopes it was granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub team_id: String,
    pub team_name: String,
    pub bot_user_id: Option<String>,
    /// Comma-separated, as Slack gives them (`x-oauth-scopes`).
    pub scopes: String,
}

/// What an OAuth installation gives: the bot token and the scopes granted.
#[derive(Debug, Clone)]
pub struct Installation {
    pub token: String,
    pub scopes: String,
}

#[derive(Clone)]
pub struct SlackApi {
    base: String,
    agent: ureq::Agent,
}

/// Slack's users.list pages hold up to this many members.
pub const PAGE_SIZE: u32 = 200;

impl SlackApi {
    pub fn new(base: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(20)))
            .http_status_as_error(false)
            .build()
            .new_agent();
        Self {
            base: base.trim_end_matches('/').to_owned(),
            agent,
        }
    }

    /// One method call: its JSON answer when `ok`, and the `x-oauth-scopes` header.
    fn call(
        &self,
        method: &str,
        token: Option<&str>,
        form: &[(&str, &str)],
    ) -> Result<(Value, Option<String>), SlackError> {
        let mut request = self.agent.post(format!("{}/{method}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let response = request
            .send_form(form.iter().copied())
            .map_err(SlackError::transport)?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        if response.status().as_u16() == 429 {
            let wait = header("retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(30);
            return Err(SlackError::RateLimited(Duration::from_secs(
                wait.clamp(1, 3600),
            )));
        }
        let scopes = header("x-oauth-scopes");
        let status = response.status();
        let text = response
            .into_body()
            .read_to_string()
            .map_err(SlackError::transport)?;
        let body: Value = serde_json::from_str(&text)
            .map_err(|_| SlackError::transport(format!("HTTP {status}, not Slack's JSON")))?;
        if body["ok"].as_bool() == Some(true) {
            Ok((body, scopes))
        } else {
            Err(SlackError::Api(
                body["error"].as_str().unwrap_or("unknown_error").to_owned(),
            ))
        }
    }

    /// `auth.test`: whether the token works, and whose it is.
    pub fn auth_test(&self, token: &str) -> Result<TokenInfo, SlackError> {
        let (body, scopes) = self.call("auth.test", Some(token), &[])?;
        Ok(TokenInfo {
            team_id: text(&body["team_id"]),
            // Shown on the settings page and in the audit log: cleaned as a person's name is.
            team_name: crate::domain::slack::name_part(&text(&body["team"])),
            bot_user_id: body["user_id"].as_str().map(str::to_owned),
            scopes: scopes.unwrap_or_default(),
        })
    }

    /// `oauth.v2.access`: the code Slack sent back to the callback, for a bot token.
    pub fn oauth_access(
        &self,
        client_id: &str,
        client_secret: &str,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Installation, SlackError> {
        let (body, _) = self.call(
            "oauth.v2.access",
            None,
            &[
                ("client_id", client_id),
                ("client_secret", client_secret),
                ("code", code),
                ("redirect_uri", redirect_uri),
            ],
        )?;
        let token = text(&body["access_token"]);
        if token.is_empty() {
            return Err(SlackError::Api("no_bot_token".to_owned()));
        }
        Ok(Installation {
            token,
            scopes: text(&body["scope"]),
        })
    }

    /// `auth.revoke`: the token stops working.
    pub fn revoke(&self, token: &str) -> Result<(), SlackError> {
        self.call("auth.revoke", Some(token), &[]).map(|_| ())
    }

    /// One page of `users.list`: its members and the cursor of the next page (`None` at the end).
    pub fn users_page(
        &self,
        token: &str,
        cursor: Option<&str>,
    ) -> Result<(Vec<Member>, Option<String>), SlackError> {
        let limit = PAGE_SIZE.to_string();
        let mut form = vec![("limit", limit.as_str())];
        if let Some(cursor) = cursor {
            form.push(("cursor", cursor));
        }
        let (body, _) = self.call("users.list", Some(token), &form)?;
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            members: Vec<Member>,
        }
        let page: Page = serde_json::from_value(body.clone())
            .map_err(|e| SlackError::transport(format!("users.list: {e}")))?;
        let next = body["response_metadata"]["next_cursor"]
            .as_str()
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        Ok((page.members, next))
    }

    /// `conversations.open` then `chat.postMessage`: a direct message from the bot to `user`.
    pub fn direct_message(&self, token: &str, user: &str, message: &str) -> Result<(), SlackError> {
        let (opened, _) = self.call("conversations.open", Some(token), &[("users", user)])?;
        let channel = text(&opened["channel"]["id"]);
        self.call(
            "chat.postMessage",
            Some(token),
            &[("channel", &channel), ("text", message)],
        )
        .map(|_| ())
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}
