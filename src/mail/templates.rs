//! The console's emails, as askama templates (plain text and HTML parts).

use askama::Template;

#[derive(Template)]
#[template(path = "emails/invitation.txt")]
pub struct InvitationText<'a> {
    pub invitation: &'a InvitationEmail,
}

#[derive(Template)]
#[template(path = "emails/invitation.html")]
pub struct InvitationHtml<'a> {
    pub invitation: &'a InvitationEmail,
}

/// What an invitation email says.
pub struct InvitationEmail {
    pub organization: String,
    pub workspace: String,
    pub inviter: String,
    pub role: String,
    pub link: String,
    /// "3 December 2026 (UTC)"
    pub expires: String,
}

impl InvitationEmail {
    pub fn subject(&self) -> String {
        format!("{} invited you to {}", self.inviter, self.workspace)
    }

    /// (subject, text, html)
    pub fn render(&self) -> askama::Result<(String, String, String)> {
        Ok((
            self.subject(),
            InvitationText { invitation: self }.render()?,
            InvitationHtml { invitation: self }.render()?,
        ))
    }
}
