//! The permission catalogue of PRODUCT §3 and the built-in roles made of it.

use std::fmt;

/// One permission of the workspace catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    UsersView,
    UsersInvite,
    UsersEdit,
    UsersChangeRole,
    UsersSuspend,
    UsersRemove,
    UsersExport,
    GroupsView,
    GroupsManage,
    AppsView,
    AppsManage,
    AuditView,
    SettingsManage,
    ApiKeysManage,
    Scim,
    SlackManage,
    Owner,
}

impl Permission {
    /// Every permission, in the order the console lists them.
    pub const ALL: [Permission; 17] = [
        Permission::UsersView,
        Permission::UsersInvite,
        Permission::UsersEdit,
        Permission::UsersChangeRole,
        Permission::UsersSuspend,
        Permission::UsersRemove,
        Permission::UsersExport,
        Permission::GroupsView,
        Permission::GroupsManage,
        Permission::AppsView,
        Permission::AppsManage,
        Permission::AuditView,
        Permission::SettingsManage,
        Permission::ApiKeysManage,
        Permission::Scim,
        Permission::SlackManage,
        Permission::Owner,
    ];

    /// The stable key used in the database and in forms.
    pub fn key(self) -> &'static str {
        match self {
            Permission::UsersView => "users.view",
            Permission::UsersInvite => "users.invite",
            Permission::UsersEdit => "users.edit",
            Permission::UsersChangeRole => "users.change_role",
            Permission::UsersSuspend => "users.suspend",
            Permission::UsersRemove => "users.remove",
            Permission::UsersExport => "users.export",
            Permission::GroupsView => "groups.view",
            Permission::GroupsManage => "groups.manage",
            Permission::AppsView => "apps.view",
            Permission::AppsManage => "apps.manage",
            Permission::AuditView => "audit.view",
            Permission::SettingsManage => "settings.manage",
            Permission::ApiKeysManage => "api_keys.manage",
            Permission::Scim => "scim",
            Permission::SlackManage => "slack.manage",
            Permission::Owner => "owner",
        }
    }

    /// What the permission allows, in plain words.
    pub fn description(self) -> &'static str {
        match self {
            Permission::UsersView => "See the users list and each member's details",
            Permission::UsersInvite => "Invite people and resend or revoke invitations",
            Permission::UsersEdit => "Edit members' names, email, timezone and picture",
            Permission::UsersChangeRole => "Change members' roles",
            Permission::UsersSuspend => "Suspend and unsuspend members",
            Permission::UsersRemove => "Remove members and restore them",
            Permission::UsersExport => "Export the users list to CSV",
            Permission::GroupsView => "See groups and their members",
            Permission::GroupsManage => "Create, change and delete groups",
            Permission::AppsView => "See apps, workflows and projects and who may use them",
            Permission::AppsManage => "Create apps and grant or revoke access to them",
            Permission::AuditView => "Read the audit log",
            Permission::SettingsManage => "Change the workspace's name",
            Permission::ApiKeysManage => "Create and revoke the workspace's API keys",
            Permission::Scim => "Provision members and groups from an identity provider (SCIM)",
            Permission::SlackManage => "Connect the workspace to Slack and disconnect it",
            Permission::Owner => "Plan, URL and ownership",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }

    /// True for permissions that only read.
    pub fn is_read_only(self) -> bool {
        matches!(
            self,
            Permission::UsersView
                | Permission::GroupsView
                | Permission::AppsView
                | Permission::AuditView
        )
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A set of permissions: what a role holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct PermissionSet(u32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission {0:?}")]
pub struct UnknownPermission(pub String);

impl PermissionSet {
    pub const fn empty() -> Self {
        Self(0)
    }

    pub fn all() -> Self {
        Permission::ALL.into_iter().collect()
    }

    pub fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// True when the set holds at least one of `permissions`.
    pub fn holds_any(self, permissions: &[Permission]) -> bool {
        permissions.iter().any(|p| self.contains(*p))
    }

    pub fn is_subset_of(self, other: PermissionSet) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn union(self, other: PermissionSet) -> Self {
        Self(self.0 | other.0)
    }

    /// The permissions of this set that `other` does not hold.
    pub fn without(self, other: PermissionSet) -> Self {
        Self(self.0 & !other.0)
    }

    /// True when the set holds nothing that changes data.
    pub fn is_read_only(self) -> bool {
        self.iter()
            .all(|p| p.is_read_only() || p == Permission::UsersExport)
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }

    /// Parses the space-separated keys stored in the database.
    pub fn parse(text: &str) -> Result<Self, UnknownPermission> {
        text.split_whitespace()
            .map(|key| Permission::from_key(key).ok_or_else(|| UnknownPermission(key.to_owned())))
            .collect()
    }

    /// The space-separated keys, in catalogue order.
    pub fn to_keys(self) -> String {
        self.iter()
            .map(Permission::key)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        Self(iter.into_iter().fold(0, |bits, p| bits | p.bit()))
    }
}

/// The roles every workspace has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuiltInRole {
    Owner,
    Admin,
    Auditor,
    Member,
}

impl BuiltInRole {
    pub const ALL: [BuiltInRole; 4] = [
        BuiltInRole::Owner,
        BuiltInRole::Admin,
        BuiltInRole::Auditor,
        BuiltInRole::Member,
    ];

    pub fn key(self) -> &'static str {
        match self {
            BuiltInRole::Owner => "owner",
            BuiltInRole::Admin => "admin",
            BuiltInRole::Auditor => "auditor",
            BuiltInRole::Member => "member",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BuiltInRole::Owner => "Owner",
            BuiltInRole::Admin => "Admin",
            BuiltInRole::Auditor => "Auditor",
            BuiltInRole::Member => "Member",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.key() == key)
    }

    /// The permission set of PRODUCT §3's table.
    pub fn permissions(self) -> PermissionSet {
        match self {
            BuiltInRole::Owner => PermissionSet::all(),
            // API keys act for the workspace without anyone signed in: an Owner's to give.
            BuiltInRole::Admin => Permission::ALL
                .into_iter()
                .filter(|p| {
                    !matches!(
                        p,
                        Permission::Owner | Permission::ApiKeysManage | Permission::Scim
                    )
                })
                .collect(),
            BuiltInRole::Auditor => Permission::ALL
                .into_iter()
                .filter(|p| p.is_read_only() || *p == Permission::UsersExport)
                .collect(),
            BuiltInRole::Member => PermissionSet::empty(),
        }
    }
}

impl fmt::Display for BuiltInRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::from_key(p.key()), Some(p));
        }
        let all = PermissionSet::all();
        assert_eq!(PermissionSet::parse(&all.to_keys()).unwrap(), all);
        assert_eq!(PermissionSet::parse("").unwrap(), PermissionSet::empty());
        assert!(PermissionSet::parse("users.view users.fly").is_err());
    }

    #[test]
    fn built_in_roles_match_the_product_table() {
        assert_eq!(BuiltInRole::Owner.permissions(), PermissionSet::all());
        let admin = BuiltInRole::Admin.permissions();
        assert!(!admin.contains(Permission::Owner));
        assert!(!admin.contains(Permission::ApiKeysManage));
        assert!(!admin.contains(Permission::Scim));
        assert_eq!(admin.iter().count(), 14);
        assert!(admin.contains(Permission::SlackManage));
        let auditor = BuiltInRole::Auditor.permissions();
        assert_eq!(
            auditor.to_keys(),
            "users.view users.export groups.view apps.view audit.view"
        );
        assert!(auditor.is_read_only());
        assert!(!admin.is_read_only());
        assert!(BuiltInRole::Member.permissions().is_empty());
    }

    #[test]
    fn subsets() {
        let support: PermissionSet = [Permission::UsersView, Permission::UsersSuspend]
            .into_iter()
            .collect();
        assert!(support.is_subset_of(BuiltInRole::Admin.permissions()));
        assert!(
            !BuiltInRole::Owner
                .permissions()
                .is_subset_of(BuiltInRole::Admin.permissions())
        );
        assert!(PermissionSet::empty().is_subset_of(support));
        assert_eq!(
            BuiltInRole::Auditor
                .permissions()
                .without(support)
                .to_keys(),
            "users.export groups.view apps.view audit.view"
        );
        assert!(support.without(BuiltInRole::Admin.permissions()).is_empty());
    }
}
