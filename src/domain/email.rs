//! An email address as the console accepts it: trimmed, lower-cased, with a plausible domain.

use std::fmt;

/// A syntactically valid email address, lower-cased so that uniqueness is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Why a text is not an email address, in words for the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("Enter an email address.")]
    Empty,
    #[error("Enter a valid email address, like name@example.com.")]
    Invalid,
    #[error("That email address is too long (254 characters at most).")]
    TooLong,
}

const LOCAL_SPECIALS: &str = ".!#$%&'*+/=?^_`{|}~-";

impl Email {
    /// Parses user input. Case is folded: `Ada@Example.COM` and `ada@example.com` are one address.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(EmailError::Empty);
        }
        if text.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let text = text.to_lowercase();
        let (local, domain) = text.rsplit_once('@').ok_or(EmailError::Invalid)?;
        if !valid_local(local) || !valid_domain(domain) {
            return Err(EmailError::Invalid);
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn valid_local(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || LOCAL_SPECIALS.contains(c)
                || (!c.is_ascii() && c.is_alphanumeric())
        })
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    if domain.len() > 253 || labels.len() < 2 {
        return false;
    }
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| {
                c.is_ascii_alphanumeric() || c == '-' || (!c.is_ascii() && c.is_alphanumeric())
            })
    };
    let tld = labels[labels.len() - 1];
    labels.iter().all(label_ok)
        && tld.chars().count() >= 2
        && !tld.chars().all(|c| c.is_ascii_digit())
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_folds_case() {
        assert_eq!(
            Email::parse("  Ada.Lovelace@Example.COM ")
                .unwrap()
                .as_str(),
            "ada.lovelace@example.com"
        );
        assert!(Email::parse("o'brien+tag@mail.example.co.uk").is_ok());
        assert!(Email::parse("user_42@sub-domain.example.org").is_ok());
        assert!(Email::parse("jürgen@bücher.de").is_ok());
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in [
            "plainaddress",
            "@example.com",
            "ada@",
            "ada@example",
            "ada@@example.com",
            "ada lovelace@example.com",
            "ada@exa mple.com",
            ".ada@example.com",
            "ada.@example.com",
            "ad..a@example.com",
            "ada@-example.com",
            "ada@example-.com",
            "ada@example..com",
            "ada@example.c",
            "ada@127.0.0.1",
            "<ada@example.com>",
            "ada@exam\nple.com",
            "ada\u{0}@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(Email::parse("   "), Err(EmailError::Empty));
    }

    #[test]
    fn refuses_overlong_parts() {
        let local = "a".repeat(65);
        assert_eq!(
            Email::parse(&format!("{local}@example.com")),
            Err(EmailError::Invalid)
        );
        let long = format!("a@{}.com", "b".repeat(260));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }
}
