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

/// The link that confirms a new address, sent to that address.
pub struct EmailChangeEmail {
    pub name: String,
    pub requested_by: String,
    pub new_email: String,
    pub link: String,
    pub expires: String,
}

#[derive(Template)]
#[template(path = "emails/email_change.txt")]
struct EmailChangeText<'a> {
    mail: &'a EmailChangeEmail,
}

#[derive(Template)]
#[template(path = "emails/email_change.html")]
struct EmailChangeHtml<'a> {
    mail: &'a EmailChangeEmail,
}

impl EmailChangeEmail {
    pub fn subject(&self) -> String {
        "Confirm your new email address".to_owned()
    }

    /// (subject, text, html)
    pub fn render(&self) -> askama::Result<(String, String, String)> {
        Ok((
            self.subject(),
            EmailChangeText { mail: self }.render()?,
            EmailChangeHtml { mail: self }.render()?,
        ))
    }
}

/// The notice to the old address once the new one is confirmed.
pub struct EmailChangedNotice {
    pub name: String,
    pub new_email: String,
}

#[derive(Template)]
#[template(path = "emails/email_changed.txt")]
struct EmailChangedText<'a> {
    mail: &'a EmailChangedNotice,
}

#[derive(Template)]
#[template(path = "emails/email_changed.html")]
struct EmailChangedHtml<'a> {
    mail: &'a EmailChangedNotice,
}

impl EmailChangedNotice {
    pub fn subject(&self) -> String {
        "Your email address was changed".to_owned()
    }

    /// (subject, text, html)
    pub fn render(&self) -> askama::Result<(String, String, String)> {
        Ok((
            self.subject(),
            EmailChangedText { mail: self }.render()?,
            EmailChangedHtml { mail: self }.render()?,
        ))
    }
}

/// A link to choose a new password.
pub struct PasswordResetEmail {
    pub name: String,
    /// "You" when the person asked themselves; else who sent it from the console.
    pub requested_by: String,
    pub link: String,
    pub expires: String,
    /// For someone just added to a workspace by its identity provider (SCIM): the workspace's
    /// name; the email welcomes them and asks for a first password.
    pub welcome: Option<String>,
}

#[derive(Template)]
#[template(path = "emails/password_reset.txt")]
struct PasswordResetText<'a> {
    mail: &'a PasswordResetEmail,
}

#[derive(Template)]
#[template(path = "emails/password_reset.html")]
struct PasswordResetHtml<'a> {
    mail: &'a PasswordResetEmail,
}

impl PasswordResetEmail {
    pub fn subject(&self) -> String {
        match &self.welcome {
            Some(workspace) => format!("Choose your password for {workspace}"),
            None => "Reset your password".to_owned(),
        }
    }

    /// (subject, text, html)
    pub fn render(&self) -> askama::Result<(String, String, String)> {
        Ok((
            self.subject(),
            PasswordResetText { mail: self }.render()?,
            PasswordResetHtml { mail: self }.render()?,
        ))
    }
}

/// To someone with an account already, added to a workspace from Slack: where to sign in (no
/// link that sets a password — sending one is a password reset, the policy's own decision).
pub struct AddedNotice {
    pub name: String,
    pub added_by: String,
    pub workspace: String,
    pub sign_in: String,
}

#[derive(Template)]
#[template(path = "emails/added.txt")]
struct AddedText<'a> {
    mail: &'a AddedNotice,
}

#[derive(Template)]
#[template(path = "emails/added.html")]
struct AddedHtml<'a> {
    mail: &'a AddedNotice,
}

impl AddedNotice {
    pub fn subject(&self) -> String {
        format!("You were added to {}", self.workspace)
    }

    /// (subject, text, html)
    pub fn render(&self) -> askama::Result<(String, String, String)> {
        Ok((
            self.subject(),
            AddedText { mail: self }.render()?,
            AddedHtml { mail: self }.render()?,
        ))
    }
}
