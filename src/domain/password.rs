//! A password someone chooses: long enough to resist guessing, short enough not to be a hashing DoS.

/// A new password: at least 12 characters, at most 1,024 bytes, not only spaces.
#[derive(Clone)]
pub struct NewPassword(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// How many characters it has (the hint beside the field already says 12).
    #[error("Enter a password: at least 12 characters.")]
    Empty,
    #[error("Too short: that is {0} characters, and a password needs 12.")]
    TooShort(usize),
    #[error("Use 1,024 bytes at most.")]
    TooLong,
    #[error("A password cannot be only spaces.")]
    Blank,
    #[error("Remove the control characters (tabs, line breaks and the like) from the password.")]
    ControlCharacters,
}

impl NewPassword {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(input: &str) -> Result<Self, PasswordError> {
        if input.len() > Self::MAX_BYTES {
            return Err(PasswordError::TooLong);
        }
        let chars = input.chars().count();
        if chars == 0 {
            return Err(PasswordError::Empty);
        }
        if chars < Self::MIN_CHARS {
            return Err(PasswordError::TooShort(chars));
        }
        // Tabs alone are control characters, and said so: "only spaces" would not fit them.
        if input.chars().any(char::is_control) {
            return Err(PasswordError::ControlCharacters);
        }
        if input.trim().is_empty() {
            return Err(PasswordError::Blank);
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_passwords_are_refused_in_words_that_fit_them() {
        assert_eq!(
            NewPassword::parse(&" ".repeat(13)).err(),
            Some(PasswordError::Blank)
        );
        assert_eq!(
            NewPassword::parse(&"\t".repeat(13)).err(),
            Some(PasswordError::ControlCharacters)
        );
    }

    #[test]
    fn enforces_length_by_characters() {
        assert_eq!(
            NewPassword::parse("short").unwrap_err(),
            PasswordError::TooShort(5)
        );
        assert_eq!(
            NewPassword::parse("elevenchars").unwrap_err().to_string(),
            "Too short: that is 11 characters, and a password needs 12."
        );
        assert!(NewPassword::parse("twelve chars").is_ok());
        assert_eq!(
            NewPassword::parse("").unwrap_err().to_string(),
            "Enter a password: at least 12 characters."
        );
        assert!(NewPassword::parse("ééééééééééé").is_err());
        assert_eq!(
            NewPassword::parse("twelve chars\0").unwrap_err(),
            PasswordError::ControlCharacters
        );
        assert!(NewPassword::parse("éééééééééééé").is_ok());
        assert_eq!(
            NewPassword::parse(&" ".repeat(20)).unwrap_err(),
            PasswordError::Blank
        );
        assert_eq!(
            NewPassword::parse(&"x".repeat(1025)).unwrap_err(),
            PasswordError::TooLong
        );
    }

    #[test]
    fn never_prints_the_secret() {
        let p = NewPassword::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }
}
