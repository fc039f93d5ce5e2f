//! Where a signed-in person lands.

use crate::db::AnyConnection;
use crate::domain::membership::MembershipStatus;
use crate::domain::policy::home_page;
use crate::store::accounts::Account;
use crate::store::{memberships, workspaces};

/// The first workspace console they may use, or their own profile (PRODUCT §3: Members see `/me`).
pub fn landing_path(
    conn: &mut AnyConnection,
    account: &Account,
) -> Result<String, diesel::result::Error> {
    let mine = memberships::list_for_account(conn, account.id)?;
    let console = mine.iter().find_map(|m| {
        let page = home_page(m.permissions).filter(|_| m.status == MembershipStatus::Active)?;
        Some(format!("/w/{}/{page}", m.slug))
    });
    if let Some(path) = console {
        return Ok(path);
    }
    let suspended_here = |slug: &str| {
        mine.iter()
            .any(|m| m.slug == slug && m.status == MembershipStatus::Suspended)
    };
    if account.org_role.administers_all_workspaces() {
        let all = workspaces::list_for_account(conn, account.id, true)?;
        if let Some(w) = all.iter().find(|w| !suspended_here(&w.slug)) {
            return Ok(format!("/w/{}/users", w.slug));
        }
    }
    Ok("/me".to_owned())
}
