//! Workspace API keys (issue 16): what a new key may hold, when it stops working, and the shape of
//! its secret. Pure; the secret's randomness and hash come from `tokens`.

use chrono::{Duration, NaiveDateTime};

use super::policy::AccessRefused;
use super::role::{BuiltInRole, Permission, PermissionSet};

/// Every secret starts with this, so a leaked key is recognisable (secret scanners, logs).
pub const SECRET_PREFIX: &str = "ack_";
/// How much of the secret the list shows to tell keys apart: `ack_` and 8 characters.
pub const SHOWN_CHARS: usize = 12;
/// The longest lifetime one may choose (ten years); empty is "never expires".
pub const MAX_DAYS: i64 = 3650;

/// Why a new key's fields were refused, one per field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFieldError {
    #[error("Choose at least one scope.")]
    NoScope,
    #[error("Unknown scope “{0}”.")]
    UnknownScope(String),
    #[error("You cannot give a key “{0}”: your role does not hold it.")]
    NotHeld(&'static str),
    #[error(
        "You cannot give a key “scim”: a SCIM key acts as an Admin, and your role does not hold \
         every permission an Admin holds."
    )]
    ScimBeyondCreator,
    #[error(
        "Enter a whole number of days from 1 to 3650, or leave it empty for a key that never expires."
    )]
    BadExpiry,
}

/// What a key with the `scim` scope acts with: an identity provider administers members and
/// groups as an Admin does.
pub fn scim_permissions() -> PermissionSet {
    BuiltInRole::Admin.permissions()
}

/// The scopes of a new key: catalogue permissions, each held by whoever creates it (an operator at
/// the command line holds them all); `scim` only for someone holding all a SCIM key acts with, so
/// that no key does more than its creator may.
pub fn scopes(keys: &[String], creator: PermissionSet) -> Result<PermissionSet, KeyFieldError> {
    let mut chosen = PermissionSet::empty();
    for key in keys.iter().map(|k| k.trim()).filter(|k| !k.is_empty()) {
        let permission =
            Permission::from_key(key).ok_or_else(|| KeyFieldError::UnknownScope(key.to_owned()))?;
        if !creator.contains(permission) {
            return Err(KeyFieldError::NotHeld(permission.key()));
        }
        chosen = chosen.union([permission].into_iter().collect());
    }
    if chosen.is_empty() {
        return Err(KeyFieldError::NoScope);
    }
    if chosen.contains(Permission::Scim) && !scim_permissions().is_subset_of(creator) {
        return Err(KeyFieldError::ScimBeyondCreator);
    }
    Ok(chosen)
}

/// The scopes `creator` may give a key, each on its own: what the form offers.
pub fn offered(creator: PermissionSet) -> impl Iterator<Item = Permission> {
    creator
        .iter()
        .filter(move |p| scopes(&[p.key().to_owned()], creator).is_ok())
}

/// When a key made `now` with `expires_in_days` as typed stops working: `None` (never) for an
/// empty field.
pub fn expiry(
    expires_in_days: &str,
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, KeyFieldError> {
    let text = expires_in_days.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i64>() {
        Ok(days) if (1..=MAX_DAYS).contains(&days) => Ok(Some(now + Duration::days(days))),
        _ => Err(KeyFieldError::BadExpiry),
    }
}

/// A key's state at a moment: only a live key is let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Live,
    Expired,
    Revoked,
}

impl KeyState {
    pub fn of(
        revoked_at: Option<NaiveDateTime>,
        expires_at: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> Self {
        if revoked_at.is_some() {
            KeyState::Revoked
        } else if expires_at.is_some_and(|at| at <= now) {
            KeyState::Expired
        } else {
            KeyState::Live
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            KeyState::Live => "Active",
            KeyState::Expired => "Expired",
            KeyState::Revoked => "Revoked",
        }
    }
}

/// Why a key calls for an Owner's review, from what its creator may do here now (`creator_now`,
/// as `policy::workspace_permissions` answers it): the key keeps working, acting as itself, but
/// whoever made it could no longer make it.
pub fn creator_warning(
    scopes: PermissionSet,
    creator_now: Result<PermissionSet, AccessRefused>,
) -> Option<&'static str> {
    match creator_now {
        Err(AccessRefused::AccountBlocked) => Some("Creator blocked"),
        Err(AccessRefused::Suspended) => Some("Creator suspended"),
        Err(AccessRefused::NotAMember) => Some("Creator no longer a member"),
        Ok(held) if !scopes.is_subset_of(held) => Some("Creator's role no longer holds its scopes"),
        Ok(_) => None,
    }
}

/// Whether the last use should be written again: at most once a minute, so that a busy script
/// does not turn every read into a write.
pub fn should_record_use(last_used_at: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    last_used_at.is_none_or(|at| now - at >= Duration::minutes(1))
}

/// One key's requests in the current minute (a fixed window from its first request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateWindow {
    pub started: NaiveDateTime,
    pub count: u32,
}

impl RateWindow {
    pub fn new(now: NaiveDateTime) -> Self {
        Self {
            started: now,
            count: 0,
        }
    }

    /// Counts a request made at `now`, or refuses it with the seconds until the window ends
    /// (`Retry-After`) when `limit` were made in it already.
    pub fn admit(&mut self, now: NaiveDateTime, limit: u32) -> Result<(), i64> {
        let elapsed = now - self.started;
        if elapsed >= Duration::minutes(1) || elapsed < Duration::zero() {
            *self = Self::new(now);
        }
        if self.count >= limit {
            let left = Duration::minutes(1) - (now - self.started);
            return Err((left.num_milliseconds() + 999) / 1000);
        }
        self.count += 1;
        Ok(())
    }
}

/// The secret of an `Authorization: Bearer …` header, when it has the shape of one of our keys.
pub fn bearer_secret(header: &str) -> Option<&str> {
    let (scheme, secret) = header.trim().split_once(' ')?;
    let secret = secret.trim();
    (scheme.eq_ignore_ascii_case("bearer")
        && secret.starts_with(SECRET_PREFIX)
        && secret.len() > SHOWN_CHARS
        && secret.len() <= 128
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    .then_some(secret)
}

/// The beginning of a secret that the list shows.
pub fn shown_part(secret: &str) -> &str {
    &secret[..SHOWN_CHARS.min(secret.len())]
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_key_is_marked_when_its_creator_could_no_longer_make_it() {
        let view: PermissionSet = [Permission::UsersView].into_iter().collect();
        let admin = BuiltInRole::Admin.permissions();
        assert_eq!(creator_warning(view, Ok(admin)), None);
        assert_eq!(creator_warning(admin, Ok(admin)), None);
        assert_eq!(
            creator_warning(admin, Ok(BuiltInRole::Member.permissions())),
            Some("Creator's role no longer holds its scopes")
        );
        for (refused, words) in [
            (AccessRefused::AccountBlocked, "Creator blocked"),
            (AccessRefused::Suspended, "Creator suspended"),
            (AccessRefused::NotAMember, "Creator no longer a member"),
        ] {
            assert_eq!(creator_warning(view, Err(refused)), Some(words));
        }
    }

    use super::*;
    use crate::domain::test_time::minutes as at;

    fn keys(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn scopes_are_catalogue_permissions_the_creator_holds() {
        let admin = crate::domain::role::BuiltInRole::Admin.permissions();
        let chosen = scopes(&keys(&["users.view", "users.invite", ""]), admin).unwrap();
        assert_eq!(chosen.to_keys(), "users.view users.invite");
        assert_eq!(
            scopes(&keys(&["users.fly"]), admin),
            Err(KeyFieldError::UnknownScope("users.fly".into()))
        );
        assert_eq!(
            scopes(&keys(&["owner"]), admin),
            Err(KeyFieldError::NotHeld("owner"))
        );
        assert_eq!(scopes(&keys(&[" "]), admin), Err(KeyFieldError::NoScope));
        assert!(scopes(&keys(&["owner"]), PermissionSet::all()).is_ok());
    }

    #[test]
    fn a_scim_key_is_made_only_by_someone_holding_all_it_acts_with() {
        let identity_team: PermissionSet = [
            Permission::UsersView,
            Permission::ApiKeysManage,
            Permission::Scim,
        ]
        .into_iter()
        .collect();
        assert_eq!(
            scopes(&keys(&["scim"]), identity_team),
            Err(KeyFieldError::ScimBeyondCreator)
        );
        let admin_and_scim = scim_permissions().union([Permission::Scim].into_iter().collect());
        assert!(scopes(&keys(&["scim"]), admin_and_scim).is_ok());
        assert!(scopes(&keys(&["scim"]), BuiltInRole::Owner.permissions()).is_ok());
        assert!(!offered(identity_team).any(|p| p == Permission::Scim));
        assert!(offered(identity_team).any(|p| p == Permission::UsersView));
    }

    #[test]
    fn expiry_is_a_number_of_days_or_never() {
        assert_eq!(expiry(" ", at(0)), Ok(None));
        assert_eq!(expiry("1", at(0)), Ok(Some(at(24 * 60))));
        for bad in ["0", "-3", "3651", "1.5", "soon"] {
            assert_eq!(expiry(bad, at(0)), Err(KeyFieldError::BadExpiry), "{bad}");
        }
    }

    #[test]
    fn a_key_is_live_until_revoked_or_expired() {
        assert_eq!(KeyState::of(None, None, at(5)), KeyState::Live);
        assert_eq!(KeyState::of(None, Some(at(6)), at(5)), KeyState::Live);
        assert_eq!(KeyState::of(None, Some(at(5)), at(5)), KeyState::Expired);
        assert_eq!(
            KeyState::of(Some(at(1)), Some(at(9)), at(5)),
            KeyState::Revoked
        );
    }

    #[test]
    fn use_is_recorded_at_most_once_a_minute() {
        assert!(should_record_use(None, at(0)));
        assert!(!should_record_use(Some(at(0)), at(0)));
        assert!(should_record_use(Some(at(0)), at(1)));
    }

    #[test]
    fn a_key_makes_limit_requests_a_minute() {
        let mut window = RateWindow::new(at(0));
        for _ in 0..3 {
            assert_eq!(window.admit(at(0), 3), Ok(()));
        }
        assert_eq!(window.admit(at(0), 3), Err(60));
        let later = at(0) + Duration::seconds(45);
        assert_eq!(window.admit(later, 3), Err(15));
        assert_eq!(window.admit(at(1), 3), Ok(()));
        assert_eq!(window.count, 1);
    }

    #[test]
    fn only_bearer_secrets_of_our_shape_are_read() {
        let secret = "ack_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde";
        assert_eq!(bearer_secret(&format!("Bearer {secret}")), Some(secret));
        assert_eq!(bearer_secret(&format!("bearer  {secret} ")), Some(secret));
        for bad in [
            format!("Basic {secret}"),
            "Bearer ack_short".to_owned(),
            "Bearer xyz_AbCdEfGhIjKlMnOp".to_owned(),
            format!("Bearer {secret}\u{0}"),
            format!("Bearer {secret}+/"),
            "Bearer".to_owned(),
        ] {
            assert_eq!(bearer_secret(&bad), None, "{bad:?}");
        }
        assert_eq!(shown_part(secret), "ack_AbCdEfGh");
    }
}
