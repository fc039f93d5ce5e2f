//! The rules of PRODUCT §3 and §4 that decide who may do what. Pure functions, unit-tested.

mod actions;

pub use actions::{
    Decision, Decisions, Facts, MemberAction, Refusal, Target, TargetMembership, Viewer, decide,
    decide_role_change, may_attempt, rests_on_org_role,
};

use super::grouped;
use super::membership::{AccountStatus, MembershipStatus, OrgRole};
use super::role::{BuiltInRole, Permission, PermissionSet};

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

/// What a member may do in the workspace now, with why in words: the Access tab of their console.
pub fn permissions_with_reason(
    account_status: AccountStatus,
    org_role: OrgRole,
    status: MembershipStatus,
    role_name: &str,
    role: PermissionSet,
) -> (String, PermissionSet) {
    let may = workspace_permissions(account_status, org_role, Some((status, role)));
    let reason = match may {
        Err(AccessRefused::AccountBlocked) => {
            "Their account is blocked: nothing, in any workspace.".to_owned()
        }
        Err(AccessRefused::Suspended) => {
            format!("Suspended: nothing here until unsuspended (their role is {role_name}).")
        }
        Err(AccessRefused::NotAMember) => {
            format!("Nothing here while not a member (their role would be {role_name}).")
        }
        Ok(_) if org_role.administers_all_workspaces() => format!(
            "Everything: as {}, they act as an Owner in every workspace (their role here is \
             {role_name}).",
            org_role.label().to_lowercase()
        ),
        Ok(held) if held.is_empty() => {
            format!("Their role, {role_name}, gives none: they see only their own profile.")
        }
        Ok(_) => format!("From their role, {role_name}:"),
    };
    (reason, may.unwrap_or_else(|_| PermissionSet::empty()))
}

/// Where a signed-in person lands in a workspace: the console, or only their own profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landing {
    Console,
    OwnProfile,
}

/// Members (no console permission) see only `/me` (PRODUCT §3); so does a role that opens no page
/// of the console (one holding only `users.suspend` cannot see whom it would suspend).
pub fn landing(permissions: PermissionSet) -> Landing {
    match home_page(permissions) {
        Some(_) => Landing::Console,
        None => Landing::OwnProfile,
    }
}

/// The first page of a workspace this role may open (`users`, `groups`, …), where its holders land.
pub fn home_page(permissions: PermissionSet) -> Option<&'static str> {
    let can = |p| permissions.contains(p);
    if can(Permission::UsersView) {
        Some("users")
    } else if can(Permission::GroupsView) {
        Some("groups")
    } else if can(Permission::AppsView) {
        Some("apps")
    } else if can(Permission::AuditView) {
        Some("audit")
    } else if permissions.holds_any(&READS_ROLES) {
        Some("roles")
    } else if may_open_settings(permissions) {
        Some("settings")
    } else {
        None
    }
}

/// Who is in a group that holds app grants is who holds that access: changing its members, or
/// deleting it, gives or takes it, so it takes `apps.manage` (what granting takes) besides
/// `groups.manage`. A group without grants is changed with `groups.manage` alone.
pub fn may_change_group_members(
    permissions: PermissionSet,
    grants: i64,
) -> Result<(), &'static str> {
    if grants > 0 && !permissions.contains(Permission::AppsManage) {
        Err(
            "This group gives access to apps: changing its members, or deleting it, changes who \
             holds that access, and that takes apps.manage too.",
        )
    } else {
        Ok(())
    }
}

/// An Owner counts toward the workspace's last Owner, so only someone who can sign in (who has
/// chosen a password) is made one: what the Role tab offers and what a change is judged by.
pub fn may_be_made_owner(role: PermissionSet, has_password: bool) -> bool {
    has_password || !role.contains(Permission::Owner)
}

/// Choosing groups for people who join (an invitation, an import's row): one holding app
/// grants gives them, so it takes `apps.manage`, as [`may_change_group_members`]; said of the
/// groups chosen, which may be several.
pub fn may_put_in_groups(permissions: PermissionSet, granting: i64) -> Result<(), &'static str> {
    may_change_group_members(permissions, granting).map_err(
        |_| "A chosen group gives access to apps: adding people to it takes apps.manage too.",
    )
}

/// Who may open a workspace's settings: those who change them (`settings.manage`, `owner`), those
/// who manage its API keys (listed from there) and, read-only, auditors (`audit.view`: they read
/// everything). A role made for one task (a "Support" role with `users.view` + `users.suspend`)
/// does not see them.
pub fn may_open_settings(permissions: PermissionSet) -> bool {
    permissions.holds_any(&[
        Permission::SettingsManage,
        Permission::Owner,
        Permission::ApiKeysManage,
        Permission::SlackManage,
        Permission::AuditView,
    ])
}

/// Where a workspace requires two-factor sign-in "for Owners and Admins": whether someone holding
/// `permissions` there must have it on — anyone holding `owner`, or everything an Admin holds
/// (org owners and org admins hold everything).
pub fn must_use_two_factor(required: bool, permissions: PermissionSet) -> bool {
    required
        && (permissions.contains(Permission::Owner)
            || BuiltInRole::Admin
                .permissions()
                .without(permissions)
                .is_empty())
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_members_permissions_come_with_their_reason() {
        use AccountStatus as A;
        use MembershipStatus as M;
        let admin = BuiltInRole::Admin.permissions();
        let why = |a, o, m, p| permissions_with_reason(a, o, m, "Admin", p);
        assert_eq!(
            why(A::Active, OrgRole::Member, M::Active, admin),
            ("From their role, Admin:".to_owned(), admin)
        );
        let (reason, held) = why(A::Active, OrgRole::Owner, M::Active, PermissionSet::empty());
        assert!(reason.starts_with("Everything: as org owner"), "{reason}");
        assert_eq!(held, BuiltInRole::Owner.permissions());
        for (account, status, start) in [
            (A::Blocked, M::Active, "Their account is blocked"),
            (A::Active, M::Suspended, "Suspended"),
            (A::Active, M::Invited, "Nothing here while not a member"),
        ] {
            let (reason, held) = why(account, OrgRole::Member, status, admin);
            assert!(reason.starts_with(start), "{reason}");
            assert!(held.is_empty());
        }
        let (reason, _) = why(
            A::Active,
            OrgRole::Member,
            M::Active,
            PermissionSet::empty(),
        );
        assert!(reason.contains("only their own profile"), "{reason}");
    }
    #[test]
    fn two_factor_is_required_of_owners_and_admins_only() {
        use super::*;
        for (role, must) in [
            (BuiltInRole::Owner, true),
            (BuiltInRole::Admin, true),
            (BuiltInRole::Auditor, false),
            (BuiltInRole::Member, false),
        ] {
            assert_eq!(
                must_use_two_factor(true, role.permissions()),
                must,
                "{role:?}"
            );
            assert!(!must_use_two_factor(false, role.permissions()));
        }
        assert!(must_use_two_factor(true, PermissionSet::all()));
    }

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
        assert_eq!(home_page(support), Some("users"));
        // A role that opens no page lands where Members do.
        let blind: PermissionSet = [Permission::UsersSuspend].into_iter().collect();
        assert_eq!(landing(blind), Landing::OwnProfile);
        let groups_only: PermissionSet = [Permission::GroupsView].into_iter().collect();
        assert_eq!(home_page(groups_only), Some("groups"));
        let settings_only: PermissionSet = [Permission::SettingsManage].into_iter().collect();
        assert_eq!(home_page(settings_only), Some("settings"));
    }

    #[test]
    fn settings_open_to_those_who_change_them_and_to_readers() {
        for r in [BuiltInRole::Owner, BuiltInRole::Admin, BuiltInRole::Auditor] {
            assert!(may_open_settings(role(r)), "{r:?}");
        }
        assert!(!may_open_settings(role(BuiltInRole::Member)));
        let only_settings: PermissionSet = [Permission::SettingsManage].into_iter().collect();
        assert!(may_open_settings(only_settings));
        let support: PermissionSet = [Permission::UsersView, Permission::UsersSuspend]
            .into_iter()
            .collect();
        assert!(!may_open_settings(support), "a role made for one task");
        let export_only: PermissionSet = [Permission::UsersExport].into_iter().collect();
        assert!(!may_open_settings(export_only));
    }
}

/// Rule 2 and 6 of PRODUCT §4: a role may be granted only by someone holding every permission in
/// it (so only Owners grant Owner).
pub fn may_grant_role(granter: PermissionSet, role: PermissionSet) -> Result<(), &'static str> {
    if role.is_subset_of(granter) {
        Ok(())
    } else if role.contains(super::role::Permission::Owner) {
        Err("Only an Owner can make someone an Owner.")
    } else {
        Err("You cannot grant a role with permissions you do not hold yourself.")
    }
}

/// Whether an invitation to an account in this state is offered to be sent again: not to a
/// blocked one, which could never accept it (revoking it stays offered).
pub fn resend_offered(account: super::membership::AccountStatus) -> bool {
    account != super::membership::AccountStatus::Blocked
}

/// Whether someone holding `viewer` may resend or revoke an invitation to a role holding `role`:
/// seeing who is invited, inviting, and the role (acting on an Owner's invitation takes an Owner).
pub fn may_manage_invitation(
    viewer: PermissionSet,
    role: PermissionSet,
) -> Result<(), &'static str> {
    if !viewer.contains(Permission::UsersView) {
        return Err("Your role cannot see the members and invitations (users.view).");
    }
    if !viewer.contains(Permission::UsersInvite) {
        return Err("Your role cannot invite people (users.invite).");
    }
    may_grant_role(viewer, role).map_err(|_| {
        if role.contains(Permission::Owner) {
            "Only an Owner can resend or revoke an invitation to be an Owner."
        } else {
            "This invitation is to a role with permissions you do not hold: your role cannot \
             resend or revoke it."
        }
    })
}

/// The permissions any one of which opens the roles page: those that hand out roles (inviting,
/// changing roles) and the auditor's. Changing custom roles needs `users.change_role`.
pub const READS_ROLES: [Permission; 3] = [
    Permission::UsersInvite,
    Permission::UsersChangeRole,
    Permission::AuditView,
];

/// "Export the users list to CSV (users.export); …": permissions in words, for refusals.
fn in_words(permissions: PermissionSet) -> String {
    permissions
        .iter()
        .map(|p| format!("{} ({})", p.description(), p.key()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Rule 6 of PRODUCT §4 for a custom role's permissions: nobody puts in a role a permission they
/// do not hold themselves (they could then grant it through the role).
pub fn may_give_permissions(actor: PermissionSet, wanted: PermissionSet) -> Result<(), String> {
    let lacking = wanted.without(actor);
    if lacking.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "You do not hold these permissions yourself, so no role you make can hold them: {}.",
            in_words(lacking)
        ))
    }
}

/// Rules 1 and 6 of PRODUCT §4 for changing or deleting a custom role: not the role one holds
/// oneself, and not a role holding permissions one does not hold (taking them away from its
/// holders is acting on people with more rights than oneself).
pub fn may_change_custom_role(
    actor: PermissionSet,
    actor_holds_it: bool,
    role: PermissionSet,
) -> Result<(), String> {
    if actor_holds_it {
        return Err(
            "You hold this role yourself, so you cannot change or delete it. Ask an Owner or Admin."
                .to_owned(),
        );
    }
    let lacking = role.without(actor);
    if lacking.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "This role holds permissions you do not hold yourself, so only someone who holds them \
             can change or delete it: {}.",
            in_words(lacking)
        ))
    }
}

#[cfg(test)]
mod custom_role_rules {
    use super::*;
    use crate::domain::role::BuiltInRole;

    fn set(permissions: &[Permission]) -> PermissionSet {
        permissions.iter().copied().collect()
    }

    #[test]
    fn invitations_to_stronger_roles_are_refused_in_their_own_words() {
        let inviter = set(&[Permission::UsersView, Permission::UsersInvite]);
        assert_eq!(may_manage_invitation(inviter, inviter), Ok(()));
        assert_eq!(
            may_manage_invitation(
                inviter,
                set(&[Permission::UsersView, Permission::UsersRemove])
            ),
            Err(
                "This invitation is to a role with permissions you do not hold: your role cannot \
                 resend or revoke it."
            )
        );
        let admin = BuiltInRole::Admin.permissions();
        assert_eq!(
            may_manage_invitation(admin, BuiltInRole::Owner.permissions()),
            Err("Only an Owner can resend or revoke an invitation to be an Owner.")
        );
        assert!(may_manage_invitation(set(&[Permission::UsersView]), inviter).is_err());
    }

    #[test]
    fn a_group_holding_grants_takes_apps_manage_to_change_its_members() {
        let lead = set(&[Permission::GroupsView, Permission::GroupsManage]);
        assert!(may_change_group_members(lead, 0).is_ok());
        assert!(may_change_group_members(lead, 1).is_err());
        assert!(
            may_put_in_groups(lead, 2)
                .unwrap_err()
                .starts_with("A chosen group gives access to apps")
        );
        assert!(may_put_in_groups(lead, 0).is_ok());
        let owner = BuiltInRole::Owner.permissions();
        assert!(!may_be_made_owner(owner, false));
        assert!(may_be_made_owner(owner, true));
        assert!(may_be_made_owner(BuiltInRole::Admin.permissions(), false));
        let with_apps = lead.union(set(&[Permission::AppsManage]));
        assert!(may_change_group_members(with_apps, 3).is_ok());
        assert!(may_change_group_members(BuiltInRole::Admin.permissions(), 1).is_ok());
    }

    #[test]
    fn nobody_puts_in_a_role_what_they_do_not_hold() {
        let admin = BuiltInRole::Admin.permissions();
        let support = set(&[Permission::UsersView, Permission::UsersSuspend]);
        assert!(may_give_permissions(admin, support).is_ok());
        assert!(may_give_permissions(support, support).is_ok());
        let manager = set(&[Permission::UsersView, Permission::UsersChangeRole]);
        assert_eq!(
            may_give_permissions(manager, support).unwrap_err(),
            "You do not hold these permissions yourself, so no role you make can hold them: \
             Suspend and unsuspend members (users.suspend)."
        );
        let refused = may_give_permissions(manager, admin).unwrap_err();
        assert!(
            refused.contains("(users.invite); Edit members"),
            "{refused}"
        );
    }

    #[test]
    fn a_role_is_changed_by_someone_who_holds_all_of_it_but_not_by_its_holders() {
        let admin = BuiltInRole::Admin.permissions();
        let support = set(&[Permission::UsersView, Permission::UsersSuspend]);
        let manager = set(&[Permission::UsersView, Permission::UsersChangeRole]);
        assert!(may_change_custom_role(admin, false, support).is_ok());
        assert!(may_change_custom_role(manager, false, set(&[Permission::UsersView])).is_ok());
        assert!(
            may_change_custom_role(manager, true, manager)
                .unwrap_err()
                .contains("You hold this role yourself")
        );
        assert!(
            may_change_custom_role(manager, false, support)
                .unwrap_err()
                .ends_with("Suspend and unsuspend members (users.suspend).")
        );
    }

    #[test]
    fn the_roles_page_is_for_those_who_hand_out_roles_and_auditors() {
        assert!(BuiltInRole::Admin.permissions().holds_any(&READS_ROLES));
        assert!(BuiltInRole::Auditor.permissions().holds_any(&READS_ROLES));
        assert!(!set(&[Permission::UsersView, Permission::UsersSuspend]).holds_any(&READS_ROLES));
        assert!(set(&[Permission::UsersView, Permission::UsersInvite]).holds_any(&READS_ROLES));
    }
}

/// Rule 4 of PRODUCT §4: pending + active + suspended memberships stay within the plan's seats.
pub fn check_seats(plan: &str, limit: Option<i64>, in_use: i64, adding: i64) -> Result<(), String> {
    match limit {
        Some(limit) if in_use + adding > limit => Err(format!(
            "{plan} plan: {limit} seats, {in_use} in use; adding {adding} would pass the limit. Add fewer people, or free seats first."
        )),
        _ => Ok(()),
    }
}

/// Rule 4 of PRODUCT §4 when the limit itself changes: it may not fall below the seats in use.
/// On a plan whose seats are fixed (Free), what to change is the plan.
pub fn check_seat_limit(
    plan: crate::domain::plan::Plan,
    limit: Option<i64>,
    in_use: i64,
) -> Result<(), String> {
    const IN_USE: &str = "(pending invitations, active and suspended members)";
    match limit {
        // No limit this plan allows would hold them (Free's fixed 10; Team's at most 50).
        Some(limit) if limit < in_use && plan_too_small(plan, in_use) => Err(format!(
            "The {} plan holds {} seats at most, and {in_use} are in use {IN_USE}. Choose a larger plan, or free seats first.",
            plan.name(),
            plan.default_seat_limit().unwrap_or(limit)
        )),
        Some(limit) if limit < in_use => Err(format!(
            "{in_use} seats are in use {IN_USE}, more than a limit of {limit}. Choose at least {in_use}, or free seats first."
        )),
        _ => Ok(()),
    }
}

/// Whether no seat limit `plan` allows holds `in_use` seats: what to change is the plan.
pub fn plan_too_small(plan: crate::domain::plan::Plan, in_use: i64) -> bool {
    plan.default_seat_limit().is_some_and(|max| max < in_use)
}

/// An invitation can be sent again once a minute.
pub fn may_resend(
    last_sent_at: Option<chrono::NaiveDateTime>,
    now: chrono::NaiveDateTime,
) -> Result<(), String> {
    match resend_allowed_at(last_sent_at).filter(|at| *at > now) {
        Some(at) => Err(format!(
            "This invitation was just sent. You can send it again in {} seconds.",
            (at - now).num_seconds().max(1)
        )),
        None => Ok(()),
    }
}

/// When an invitation last sent at `last_sent_at` may be sent again (a minute later).
pub fn resend_allowed_at(
    last_sent_at: Option<chrono::NaiveDateTime>,
) -> Option<chrono::NaiveDateTime> {
    last_sent_at.map(|at| at + chrono::Duration::seconds(60))
}

#[cfg(test)]
mod invite_rules {
    use super::*;
    use crate::domain::role::{BuiltInRole, Permission};

    #[test]
    fn only_owners_grant_owner_and_nobody_grants_more_than_they_hold() {
        let owner = BuiltInRole::Owner.permissions();
        let admin = BuiltInRole::Admin.permissions();
        assert!(may_grant_role(owner, owner).is_ok());
        assert_eq!(
            may_grant_role(admin, owner),
            Err("Only an Owner can make someone an Owner.")
        );
        assert!(may_grant_role(admin, admin).is_ok());
        assert!(may_grant_role(admin, BuiltInRole::Member.permissions()).is_ok());
        let support: PermissionSet = [Permission::UsersView, Permission::UsersInvite]
            .into_iter()
            .collect();
        assert!(
            may_grant_role(support, BuiltInRole::Auditor.permissions()).is_err(),
            "auditor holds export"
        );
        assert!(may_grant_role(support, BuiltInRole::Member.permissions()).is_ok());
    }

    #[test]
    fn seats_never_pass_the_limit() {
        assert!(check_seats("Free", Some(10), 8, 2).is_ok());
        assert_eq!(
            check_seats("Free", Some(10), 8, 5).unwrap_err(),
            "Free plan: 10 seats, 8 in use; adding 5 would pass the limit. Add fewer people, or free seats first."
        );
        assert!(check_seats("Enterprise", None, 1_000_000, 500).is_ok());
    }

    #[test]
    fn a_seat_limit_holds_the_seats_in_use() {
        use crate::domain::plan::Plan;
        assert!(check_seat_limit(Plan::Team, Some(10), 10).is_ok());
        assert!(check_seat_limit(Plan::Enterprise, None, 1_000_000).is_ok());
        assert_eq!(
            check_seat_limit(Plan::Team, Some(10), 12).unwrap_err(),
            "12 seats are in use (pending invitations, active and suspended members), more than a \
             limit of 10. Choose at least 12, or free seats first."
        );
        assert_eq!(
            check_seat_limit(Plan::Free, Some(10), 12).unwrap_err(),
            "The Free plan holds 10 seats at most, and 12 are in use (pending invitations, active \
             and suspended members). Choose a larger plan, or free seats first."
        );
        // Team allows 50 at most: a lower limit cannot be the answer, the plan is.
        assert!(
            check_seat_limit(Plan::Team, Some(50), 56)
                .unwrap_err()
                .starts_with("The Team plan holds 50 seats at most, and 56 are in use")
        );
        assert!(plan_too_small(Plan::Team, 56) && !plan_too_small(Plan::Team, 50));
        assert!(!plan_too_small(Plan::Enterprise, 1_000_000));
    }

    #[test]
    fn resend_once_a_minute() {
        let now = chrono::Utc::now().naive_utc();
        assert!(may_resend(None, now).is_ok());
        assert!(may_resend(Some(now - chrono::Duration::seconds(61)), now).is_ok());
        assert!(
            may_resend(Some(now - chrono::Duration::seconds(10)), now)
                .unwrap_err()
                .contains("50 seconds")
        );
    }
}

/// Rule 5: a warning (not a refusal) when admins are more than 20 % of members, and more than 3;
/// `ahead`: said of a change still to be confirmed ("would be").
pub fn admin_share_warning(admins: i64, members: i64, ahead: bool) -> Option<String> {
    let verb = if ahead { "would be" } else { "are now" };
    (admins > 3 && admins * 5 > members).then(|| {
        format!(
            "{} of {} members {verb} Admins (more than 20 %). Consider a narrower role for some \
             of them.",
            grouped(admins),
            grouped(members)
        )
    })
}

#[cfg(test)]
mod admin_share {
    use super::*;

    #[test]
    fn admin_share_warns_past_a_fifth_and_three() {
        assert_eq!(
            admin_share_warning(3, 5, false),
            None,
            "three admins never warn"
        );
        assert_eq!(admin_share_warning(4, 20, false), None, "exactly 20 %");
        assert!(admin_share_warning(4, 19, false).is_some());
        assert!(
            admin_share_warning(5, 10, false)
                .unwrap()
                .contains("5 of 10 members are now Admins")
        );
        assert!(
            admin_share_warning(1200, 5000, true)
                .unwrap()
                .contains("1,200 of 5,000 members would be Admins")
        );
    }
}

/// Why an org role change is refused (PRODUCT §3, §4 rules 1, 2, 3), in words.
pub fn may_change_org_role(
    actor_is_target: bool,
    actor: OrgRole,
    target: OrgRole,
    new: OrgRole,
    other_active_org_owners: i64,
    target_joined: bool,
) -> Result<(), &'static str> {
    if !actor.administers_all_workspaces() {
        return Err("Only org owners and org admins change org roles.");
    }
    if actor_is_target {
        return Err("You cannot change your own org role.");
    }
    if (target == OrgRole::Owner || new == OrgRole::Owner) && actor != OrgRole::Owner {
        return Err("Only an org owner grants or takes the org owner role.");
    }
    if target == OrgRole::Owner && new != OrgRole::Owner && other_active_org_owners == 0 {
        return Err(
            "This is the organization's last active org owner: make someone else an org owner first.",
        );
    }
    // Someone invited who has not chosen a password yet: whoever opens their link would
    // administer the organization, and an org owner nobody can sign in as is no owner.
    if new != OrgRole::Member && !target_joined {
        return Err(
            "This person has not joined yet: an org role is given once they have chosen a password.",
        );
    }
    Ok(())
}

#[cfg(test)]
mod org_role_rules {
    use super::*;
    use OrgRole::*;

    #[test]
    fn the_rules() {
        // Someone who has not joined is given no org role above member; taking one is allowed.
        assert!(may_change_org_role(false, Owner, Member, Owner, 1, false).is_err());
        assert!(may_change_org_role(false, Owner, Member, Admin, 1, false).is_err());
        assert!(may_change_org_role(false, Owner, Admin, Member, 1, false).is_ok());
        assert!(may_change_org_role(false, Owner, Member, Owner, 1, true).is_ok());
        assert!(may_change_org_role(false, Admin, Member, Admin, 1, true).is_ok());
        assert!(may_change_org_role(false, Owner, Owner, Member, 1, true).is_ok());
        for (oneself, actor, from, to, refusal) in [
            (
                false,
                Member,
                Member,
                Admin,
                "Only org owners and org admins change org roles.",
            ),
            (
                true,
                Owner,
                Owner,
                Member,
                "You cannot change your own org role.",
            ),
            (
                false,
                Admin,
                Member,
                Owner,
                "Only an org owner grants or takes the org owner role.",
            ),
            (
                false,
                Admin,
                Owner,
                Member,
                "Only an org owner grants or takes the org owner role.",
            ),
        ] {
            assert_eq!(
                may_change_org_role(oneself, actor, from, to, 1, true),
                Err(refusal),
                "{actor:?} changing {from:?} to {to:?}"
            );
        }
        assert!(
            may_change_org_role(false, Owner, Owner, Admin, 0, true)
                .unwrap_err()
                .contains("last active org owner")
        );
    }
}
