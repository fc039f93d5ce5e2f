//! Email: messages rendered from askama templates, delivered by the outbox worker over SMTP, or
//! written as `.eml` files under `DATA_DIR/outbox/` when no SMTP server is configured.

pub mod templates;
pub mod worker;

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{Message, SmtpTransport, Transport};

use crate::config::Settings;
use crate::store::outbox::QueuedEmail;

/// Where emails go.
pub enum Mailer {
    Smtp {
        transport: SmtpTransport,
        from: Mailbox,
    },
    Files {
        dir: PathBuf,
        from: Mailbox,
    },
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let from: Mailbox = settings.mail_from.parse().map_err(|e| {
            anyhow::anyhow!("MAIL_FROM {:?} is not an address: {e}", settings.mail_from)
        })?;
        match &settings.smtp_url {
            Some(url) => {
                let transport = SmtpTransport::from_url(url)
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "SMTP_URL is not usable ({}): {e}",
                            crate::config::redact_url(url)
                        )
                    })?
                    .timeout(Some(Duration::from_secs(20)))
                    .build();
                Ok(Mailer::Smtp { transport, from })
            }
            None => Ok(Mailer::Files {
                dir: settings.data_dir.join("outbox"),
                from,
            }),
        }
    }

    fn message(&self, email: &QueuedEmail) -> anyhow::Result<Message> {
        let from = match self {
            Mailer::Smtp { from, .. } | Mailer::Files { from, .. } => from.clone(),
        };
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| anyhow::anyhow!("recipient {:?}: {e}", email.to))?;
        Ok(Message::builder()
            .from(from)
            .to(to)
            .subject(&email.subject)
            .multipart(MultiPart::alternative_plain_html(
                email.text_body.clone(),
                email.html_body.clone(),
            ))?)
    }

    /// Delivers one email (blocking: the worker calls it on a blocking thread).
    pub fn deliver(&self, email: &QueuedEmail) -> anyhow::Result<()> {
        let message = self.message(email)?;
        match self {
            Mailer::Smtp { transport, .. } => {
                transport.send(&message)?;
            }
            Mailer::Files { dir, .. } => {
                let path = dir.join(format!("{}.eml", email.id));
                crate::files::private_dir(dir)?;
                crate::files::write_private(&path, &message.formatted(), true)?;
                // Without a mail server, the log is how an operator finds an invitation's link to
                // pass on: the line that is a link and nothing else (names inside sentences cannot
                // pose as one). Other links (a password reset, an address change) open someone's
                // account, and logs travel further than the outbox folder: they stay in the file.
                match invitation_link(&email.text_body) {
                    Some(link) => {
                        tracing::info!(to = %email.to, path = %path.display(), link, "email written to the outbox folder (no SMTP_URL)")
                    }
                    None => {
                        tracing::info!(to = %email.to, path = %path.display(), "email written to the outbox folder (no SMTP_URL)")
                    }
                }
            }
        }
        Ok(())
    }
}

/// An invitation's link in an email's text: the line that is a link to `/invite/` and nothing else.
fn invitation_link(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find(|line| line.starts_with("http") && !line.contains(char::is_whitespace))
        .filter(|link| link.contains("/invite/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_invitations_link_is_logged() {
        let invitation = "Hello,\n\n  http://127.0.0.1:8080/invite/abc123  \n\nThanks";
        assert_eq!(
            invitation_link(invitation),
            Some("http://127.0.0.1:8080/invite/abc123")
        );
        let reset = "Choose a new password:\nhttp://127.0.0.1:8080/password/reset/abc123\n";
        assert_eq!(invitation_link(reset), None);
        let posing = "Grace http://x/invite/1 says hi";
        assert_eq!(invitation_link(posing), None);
    }
}
