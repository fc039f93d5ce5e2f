//! The rules of PRODUCT §3 and §4 that decide who may do what. Pure functions, unit-tested.

use super::membership::{AccountStatus, MembershipStatus, OrgRole};
use super::role::{BuiltInRole, PermissionSet};

/// Why a signed-in person may not use a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccessRefused {
    #[error("This account is blocked.")]
    AccountBlocked,
    #[error("Your access to this workspace is suspended. Ask a workspace admin to restore it.")]
    Suspended,
    #[error("You are not a member of this workspace.")]
    NotAMember,
}

/// What a person may do in one workspace, from their account and their membership there (if any).
///
/// Org owners and org admins act as owners everywhere, unless they are suspended in that very
/// workspace: a suspension takes effect at once for everyone.
pub fn workspace_permissions(
    account_status: AccountStatus,
    org_role: OrgRole,
    membership: Option<(MembershipStatus, PermissionSet)>,
) -> Result<PermissionSet, AccessRefused> {
    if account_status == AccountStatus::Blocked {
        return Err(AccessRefused::AccountBlocked);
    }
    let org_wide = org_role
        .administers_all_workspaces()
        .then(|| BuiltInRole::Owner.permissions());
    match (membership, org_wide) {
        (Some((MembershipStatus::Suspended, _)), _) => Err(AccessRefused::Suspended),
        (Some((MembershipStatus::Active, role)), org) => {
            Ok(org.map_or(role, |all| all.union(role)))
        }
        (_, Some(all)) => Ok(all),
        (_, None) => Err(AccessRefused::NotAMember),
    }
}

/// Where a signed-in person lands in a workspace: the console, or only their own profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landing {
    Console,
    OwnProfile,
}

/// Members (no console permission) see only `/me` (PRODUCT §3).
pub fn landing(permissions: PermissionSet) -> Landing {
    if permissions.is_empty() {
        Landing::OwnProfile
    } else {
        Landing::Console
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::role::Permission;

    fn role(r: BuiltInRole) -> PermissionSet {
        r.permissions()
    }

    #[test]
    fn active_members_get_their_role() {
        let p = workspace_permissions(
            AccountStatus::Active,
            OrgRole::Member,
            Some((MembershipStatus::Active, role(BuiltInRole::Auditor))),
        );
        assert_eq!(p, Ok(role(BuiltInRole::Auditor)));
    }

    #[test]
    fn suspended_removed_invited_and_strangers_are_refused() {
        let admin = role(BuiltInRole::Admin);
        let cases = [
            (
                Some((MembershipStatus::Suspended, admin)),
                AccessRefused::Suspended,
            ),
            (
                Some((MembershipStatus::Removed, admin)),
                AccessRefused::NotAMember,
            ),
            (
                Some((MembershipStatus::Invited, admin)),
                AccessRefused::NotAMember,
            ),
            (None, AccessRefused::NotAMember),
        ];
        for (membership, refused) in cases {
            assert_eq!(
                workspace_permissions(AccountStatus::Active, OrgRole::Member, membership),
                Err(refused)
            );
        }
    }

    #[test]
    fn blocked_accounts_are_refused_even_as_org_owner() {
        let p = workspace_permissions(
            AccountStatus::Blocked,
            OrgRole::Owner,
            Some((MembershipStatus::Active, role(BuiltInRole::Owner))),
        );
        assert_eq!(p, Err(AccessRefused::AccountBlocked));
    }

    #[test]
    fn org_admins_act_as_owners_everywhere_unless_suspended_there() {
        let all = PermissionSet::all();
        assert_eq!(
            workspace_permissions(AccountStatus::Active, OrgRole::Admin, None),
            Ok(all)
        );
        assert_eq!(
            workspace_permissions(
                AccountStatus::Active,
                OrgRole::Owner,
                Some((MembershipStatus::Active, PermissionSet::empty()))
            ),
            Ok(all)
        );
        assert_eq!(
            workspace_permissions(
                AccountStatus::Active,
                OrgRole::Owner,
                Some((MembershipStatus::Suspended, all))
            ),
            Err(AccessRefused::Suspended)
        );
    }

    #[test]
    fn members_land_on_their_profile() {
        assert_eq!(landing(PermissionSet::empty()), Landing::OwnProfile);
        assert_eq!(landing(role(BuiltInRole::Auditor)), Landing::Console);
        let support: PermissionSet = [Permission::UsersView, Permission::UsersSuspend]
            .into_iter()
            .collect();
        assert_eq!(landing(support), Landing::Console);
    }
}
