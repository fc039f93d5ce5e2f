//! Form messages: beside each field, with the form kept as typed (PRODUCT §4.12).

use std::collections::HashMap;

/// Messages by field name.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(HashMap<&'static str, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl ToString) {
        self.0.entry(field).or_insert_with(|| message.to_string());
    }

    /// The message for a field (templates call this).
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The messages by field, in field order (for an API's answer).
    pub fn into_map(self) -> std::collections::BTreeMap<String, String> {
        self.0.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    /// Parses one field, recording its message on failure.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &'static str,
        parsed: Result<T, E>,
    ) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(e) => {
                self.add(field, e);
                None
            }
        }
    }
}

/// A workspace's URL name as typed, valid as typed; left empty, derived from the workspace's
/// `name` (when that was valid: its own message says why not).
pub fn slug_typed_or_suggested(
    errors: &mut FieldErrors,
    field: &'static str,
    typed: &str,
    name: Option<&crate::domain::Name>,
) -> Option<crate::domain::Slug> {
    use crate::domain::Slug;
    if !typed.trim().is_empty() {
        return errors.check(field, Slug::parse(typed));
    }
    let name = name?;
    let suggested = Slug::suggest(name.as_str());
    if suggested.is_none() {
        errors.add(
            field,
            "Enter a URL name of 2 to 40 characters: lower-case letters, digits and hyphens.",
        );
    }
    suggested
}

/// A person's profile as a form (a console's overview, `/me`), kept as typed.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub timezone: String,
}

/// The profile form's values, each parsed; `None` when any field was refused (with its message).
pub struct ParsedProfile {
    pub first_name: crate::domain::Name,
    pub last_name: crate::domain::Name,
    pub email: crate::domain::Email,
    pub timezone: crate::domain::timezone::Timezone,
}

impl ProfileForm {
    pub fn of(account: &crate::store::accounts::Account) -> Self {
        Self {
            first_name: account.first_name.clone(),
            last_name: account.last_name.clone(),
            email: account.email.clone(),
            timezone: account.timezone.clone(),
        }
    }

    /// A member's profile with the fields a script sent in place of theirs, parsed as the form
    /// is: the change to save, or the message of each refused field.
    pub fn change_over(
        member: &crate::services::members::MemberDetail,
        first_name: Option<String>,
        last_name: Option<String>,
        timezone: Option<String>,
    ) -> Result<crate::services::profile::ProfileChange, FieldErrors> {
        let mut errors = FieldErrors::default();
        // Someone invited has no names yet: the one left out cannot stay as it is.
        for (field, sent, current) in [
            ("first_name", &first_name, &member.first_name),
            ("last_name", &last_name, &member.last_name),
        ] {
            if sent.is_none() && current.trim().is_empty() {
                errors.add(
                    field,
                    "This person has no name yet (they have not joined): send both names.",
                );
            }
        }
        let form = Self {
            first_name: first_name.unwrap_or_else(|| member.first_name.clone()),
            last_name: last_name.unwrap_or_else(|| member.last_name.clone()),
            email: member.email.clone(),
            timezone: timezone.unwrap_or_else(|| member.timezone.clone()),
        };
        match form.parse(&mut errors) {
            Some(p) => Ok(crate::services::profile::ProfileChange {
                first_name: p.first_name,
                last_name: p.last_name,
                timezone: p.timezone,
                email: p.email,
            }),
            None => Err(errors),
        }
    }

    pub fn parse(&self, errors: &mut FieldErrors) -> Option<ParsedProfile> {
        use crate::domain::{Email, Name, timezone::Timezone};
        let first_name = errors.check("first_name", Name::parse(&self.first_name));
        let last_name = errors.check("last_name", Name::parse(&self.last_name));
        let email = errors.check("email", Email::parse(&self.email));
        let timezone = errors.check("timezone", Timezone::parse(&self.timezone));
        Some(ParsedProfile {
            first_name: first_name?,
            last_name: last_name?,
            email: email?,
            timezone: timezone?,
        })
    }
}

/// A form body parsed with `serde_html_form`, which reads repeated fields (`group_id=1&group_id=2`)
/// into a `Vec` (actix's `web::Form` cannot).
pub struct HtmlForm<T>(pub T);

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for HtmlForm<T> {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let bytes = actix_web::web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(|e| {
                if e.as_response_error().status_code()
                    == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
                {
                    super::error::AppError::TooLarge { upload: false }.into()
                } else {
                    e
                }
            })?;
            serde_html_form::from_bytes::<T>(&bytes)
                .map(HtmlForm)
                .map_err(|_| super::error::AppError::BadForm.into())
        })
    }
}

/// A form that cannot be read is answered as a page ("Form not understood"), not as actix's
/// plain text; one too large as a 413 page ("Too much at once").
pub fn form_error(
    e: actix_web::error::UrlencodedError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    match e {
        actix_web::error::UrlencodedError::Overflow { .. } => {
            super::error::AppError::TooLarge { upload: false }.into()
        }
        actix_web::error::UrlencodedError::Payload(_) => e.into(),
        _ => super::error::AppError::BadForm.into(),
    }
}

/// Each of the ids once, in order (a form may repeat a box's value).
pub fn unique<T: Ord>(ids: &mut Vec<T>) {
    ids.sort_unstable();
    ids.dedup();
}

/// Stores a message for the next page the person sees.
pub fn flash(
    session: &actix_session::Session,
    message: &str,
) -> Result<(), super::error::AppError> {
    session.insert(super::session_store::keys::FLASH, message)?;
    Ok(())
}

/// [`flash_warning`] when `warning`, else [`flash`].
pub fn flash_or_warn(
    session: &actix_session::Session,
    warning: bool,
    message: &str,
) -> Result<(), super::error::AppError> {
    if warning {
        flash_warning(session, message)
    } else {
        flash(session, message)
    }
}

/// A one-time warning for the next page: the action was done only in part, or with a caveat.
pub fn flash_warning(
    session: &actix_session::Session,
    message: &str,
) -> Result<(), super::error::AppError> {
    flash(
        session,
        &format!("{}{message}", super::auth::Flash::WARNING),
    )
}
