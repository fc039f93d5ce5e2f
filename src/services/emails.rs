//! What the emails sent from here say alike: who asked, and until when a link works.

use chrono::NaiveDateTime;

use crate::store::accounts::Account;
use crate::store::audit::Actor;

/// When a link stops working, as an email says it: "5 December 2026, 14:00 UTC".
pub(crate) fn link_expiry(expires_at: NaiveDateTime) -> String {
    expires_at.format("%-d %B %Y, %H:%M UTC").to_string()
}

/// Who asked for an email about `account`: "You" when it was the account itself, else the actor.
pub(crate) fn requested_by(actor: &Actor, account: &Account) -> String {
    if actor.account_id == Some(account.id) {
        "You".to_owned()
    } else {
        actor.label.clone()
    }
}
