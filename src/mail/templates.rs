//! The console's emails, as askama templates (plain text and HTML parts).

use askama::Template;

/// An email's two parts (plain text and HTML templates, each reading it as `mail`) and its
/// `render`: (subject, text, html).
macro_rules! parts {
    ($($email:ident: $text:literal, $html:literal;)*) => {$(
        impl $email {
            pub fn render(&self) -> askama::Result<(String, String, String)> {
                #[derive(Template)]
                #[template(path = $text)]
                struct Text<'a> {
                    mail: &'a $email,
                }

                #[derive(Template)]
                #[template(path = $html)]
                struct Html<'a> {
                    mail: &'a $email,
                }

                Ok((
                    self.subject(),
                    Text { mail: self }.render()?,
                    Html { mail: self }.render()?,
                ))
            }
        }
    )*};
}

parts! {
    InvitationEmail: "emails/invitation.txt", "emails/invitation.html";
    EmailChangeEmail: "emails/email_change.txt", "emails/email_change.html";
    EmailChangedNotice: "emails/email_changed.txt", "emails/email_changed.html";
    PasswordResetEmail: "emails/password_reset.txt", "emails/password_reset.html";
    AddedNotice: "emails/added.txt", "emails/added.html";
}

/// What an invitation email says.
pub struct InvitationEmail {
    /// The invited person's first name, where the account has one ("Hello Alan,").
    pub name: String,
    pub organization: String,
    pub workspace: String,
    /// The person who invited; none when a key, the command line or a task did.
    pub inviter: Option<String>,
    pub role: String,
    pub link: String,
    /// "3 December 2026 (UTC)"
    pub expires: String,
}

impl InvitationEmail {
    /// Whether the organization is worth naming beside the workspace (not where both are called
    /// the same).
    pub fn names_organization(&self) -> bool {
        !self.workspace.eq_ignore_ascii_case(&self.organization)
    }

    /// "the workspace Acme HQ of Acme Corporation", or "Acme" alone where both are called so.
    pub fn place(&self) -> String {
        if self.names_organization() {
            format!("the workspace {} of {}", self.workspace, self.organization)
        } else {
            self.workspace.clone()
        }
    }

    pub fn subject(&self) -> String {
        match &self.inviter {
            Some(inviter) => format!("{inviter} invited you to {}", self.workspace),
            None => format!("You are invited to {}", self.workspace),
        }
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

impl EmailChangeEmail {
    pub fn subject(&self) -> String {
        "Confirm your new email address".to_owned()
    }
}

/// The notice to the old address once the new one is confirmed.
pub struct EmailChangedNotice {
    pub name: String,
    pub new_email: String,
}

impl EmailChangedNotice {
    pub fn subject(&self) -> String {
        "Your email address was changed".to_owned()
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

impl PasswordResetEmail {
    pub fn subject(&self) -> String {
        match &self.welcome {
            Some(workspace) => format!("Choose your password for {workspace}"),
            None => "Reset your password".to_owned(),
        }
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

impl AddedNotice {
    pub fn subject(&self) -> String {
        format!("You were added to {}", self.workspace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invitation(workspace: &str, organization: &str) -> InvitationEmail {
        InvitationEmail {
            name: String::new(),
            organization: organization.to_owned(),
            workspace: workspace.to_owned(),
            inviter: None,
            role: "Member".to_owned(),
            link: "http://localhost/invitations/x".to_owned(),
            expires: "3 December 2026 (UTC)".to_owned(),
        }
    }

    #[test]
    fn an_invitation_names_the_organization_only_when_it_differs() {
        let both = invitation("Acme HQ", "Acme Corporation");
        assert_eq!(both.place(), "the workspace Acme HQ of Acme Corporation");
        let same = invitation("acme", "Acme");
        assert_eq!(same.place(), "acme");
        let (_, text, html) = same.render().unwrap();
        assert!(
            text.contains("You are invited to join acme as Member."),
            "{text}"
        );
        assert!(!html.contains("(Acme)"), "{html}");
        assert!(both.render().unwrap().2.contains("(Acme Corporation)"));
        assert!(text.starts_with("Hello,\n"), "{text}");
        let named = InvitationEmail {
            name: "Alan".to_owned(),
            ..invitation("Acme HQ", "Acme Corporation")
        };
        let (_, text, html) = named.render().unwrap();
        assert!(
            text.starts_with("Hello Alan,\n") && html.contains("Hello Alan,"),
            "{text}"
        );
    }
}
