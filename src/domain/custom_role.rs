//! Custom roles (PRODUCT §3, issue 6): a workspace's own named sets of permissions. The name is a
//! [`Name`] that no built-in role has, unique per workspace regardless of case (the database's
//! unique index says so too); the permissions are any part of the catalogue but `owner`, and not
//! none (that is the built-in Member).

use std::fmt;

use super::names::{Name, NameError};
use super::role::{BuiltInRole, Permission, PermissionSet};

/// A custom role's name: a [`Name`] that is not a built-in role's, whatever its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleName(Name);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RoleNameError {
    #[error(transparent)]
    Name(#[from] NameError),
    #[error("{0} is a built-in role: choose another name.")]
    BuiltIn(BuiltInRole),
    #[error(
        "This name looks like the built-in role {0} (letters of another alphabet, or wide \
         forms, that read the same): choose a name that reads as what it is."
    )]
    LooksBuiltIn(BuiltInRole),
}

/// The UTS #39 skeleton of `text`: what it reads as.
fn skeleton(text: &str) -> String {
    unicode_security::confusable_detection::skeleton(text).collect()
}

impl RoleName {
    pub fn parse(input: &str) -> Result<Self, RoleNameError> {
        // "Owner" followed by a zero-width space reads as Owner in every menu.
        let name = Name::parse_label(input)?;
        let lower = name.as_str().to_lowercase();
        if let Some(role) = BuiltInRole::ALL
            .into_iter()
            .find(|role| role.name().to_lowercase() == lower)
        {
            return Err(RoleNameError::BuiltIn(role));
        }
        // "Оwner" with a Cyrillic О, "Ｏｗｎｅｒ", "ADMlN": UTS #39's skeletons, as typed and
        // lowercased, against the built-in names as written, lowercased and uppercased.
        let looks = [skeleton(name.as_str()), skeleton(&lower)];
        match BuiltInRole::ALL.into_iter().find(|role| {
            let n = role.name();
            [n.to_owned(), n.to_lowercase(), n.to_uppercase()]
                .iter()
                .any(|form| looks.contains(&skeleton(form)))
        }) {
            Some(role) => Err(RoleNameError::LooksBuiltIn(role)),
            None => Ok(Self(name)),
        }
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the ticked permissions cannot make a custom role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PermissionsError {
    #[error("“{0}” is not a permission of this console.")]
    Unknown(String),
    #[error(
        "A custom role cannot hold “owner” (plan, URL and ownership): only the built-in \
         Owner role holds it."
    )]
    Owner,
    #[error("Tick at least one permission: a role without any is the built-in Member.")]
    Empty,
}

/// The permissions ticked in a custom role's form: the repeated `permission` field's keys
/// (`users.view`…), a key given twice counting once.
pub fn parse_permissions(keys: &[String]) -> Result<PermissionSet, PermissionsError> {
    let permissions = keys
        .iter()
        .map(|key| {
            Permission::from_key(key.trim()).ok_or_else(|| PermissionsError::Unknown(key.clone()))
        })
        .collect::<Result<PermissionSet, _>>()?;
    if permissions.contains(Permission::Owner) {
        return Err(PermissionsError::Owner);
    }
    if permissions.is_empty() {
        return Err(PermissionsError::Empty);
    }
    Ok(permissions)
}

/// The permissions a custom role may hold, in catalogue order: all but `owner`.
pub fn offered() -> impl Iterator<Item = Permission> {
    Permission::ALL
        .into_iter()
        .filter(|p| *p != Permission::Owner)
}

/// The permissions whose work starts from a list the role cannot open: inviting, editing,
/// giving a role to, suspending, removing or exporting members starts from the users list
/// (`users.view`); managing groups or apps, from theirs. Their holders cannot use them in the
/// console.
const NEEDS_ITS_LIST: [(Permission, Permission); 8] = [
    (Permission::UsersInvite, Permission::UsersView),
    (Permission::UsersEdit, Permission::UsersView),
    (Permission::UsersChangeRole, Permission::UsersView),
    (Permission::UsersSuspend, Permission::UsersView),
    (Permission::UsersRemove, Permission::UsersView),
    (Permission::UsersExport, Permission::UsersView),
    (Permission::GroupsManage, Permission::GroupsView),
    (Permission::AppsManage, Permission::AppsView),
];

/// The list a view permission opens, in words.
fn list_of(view: Permission) -> &'static str {
    match view {
        Permission::GroupsView => "the groups list",
        Permission::AppsView => "the apps list",
        _ => "the users list",
    }
}

/// A warning, once a role is saved, for permissions its holders cannot reach: "Its holders
/// cannot use “users.suspend” without “users.view” (the users list, where that work starts)…".
/// None when all are within reach.
pub fn out_of_reach(permissions: PermissionSet) -> Option<String> {
    let mut lists: Vec<(Permission, Vec<String>)> = Vec::new();
    for (permission, list) in NEEDS_ITS_LIST {
        if permissions.contains(permission) && !permissions.contains(list) {
            let key = format!("“{}”", permission.key());
            match lists.iter_mut().find(|(l, _)| *l == list) {
                Some((_, these)) => these.push(key),
                None => lists.push((list, vec![key])),
            }
        }
    }
    if lists.is_empty() {
        return None;
    }
    let (uses, ticks): (Vec<String>, Vec<String>) = lists
        .iter()
        .map(|(list, these)| {
            let key = format!("“{}”", list.key());
            let uses = format!(
                "{} without {key} ({}, where that work starts)",
                these.join(" or "),
                list_of(*list)
            );
            (uses, key)
        })
        .unzip();
    Some(format!(
        "Its holders cannot use {} in the console. Tick {} too.",
        uses.join(", nor "),
        ticks.join(" and ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(list: &[&str]) -> Vec<String> {
        list.iter().map(|k| (*k).to_owned()).collect()
    }

    #[test]
    fn permissions_out_of_reach_of_their_list_are_named() {
        let set = |list: &[&str]| parse_permissions(&keys(list)).unwrap();
        assert_eq!(out_of_reach(set(&["users.view", "users.suspend"])), None);
        assert_eq!(out_of_reach(set(&["groups.view", "groups.manage"])), None);
        assert!(
            out_of_reach(set(&["users.change_role"]))
                .unwrap()
                .contains("“users.change_role” without “users.view”")
        );
        assert_eq!(
            out_of_reach(set(&["users.suspend", "users.remove", "groups.manage"])).unwrap(),
            "Its holders cannot use “users.suspend” or “users.remove” without “users.view” (the \
             users list, where that work starts), nor “groups.manage” without “groups.view” (the \
             groups list, where that work starts) in the console. Tick “users.view” and \
             “groups.view” too."
        );
    }

    #[test]
    fn names_are_names_that_no_built_in_role_has() {
        assert_eq!(RoleName::parse("  Support ").unwrap().as_str(), "Support");
        for taken in ["Owner", "admin", "AUDITOR", " member "] {
            assert!(
                matches!(RoleName::parse(taken), Err(RoleNameError::BuiltIn(_))),
                "{taken}"
            );
        }
        // Cyrillic О, full-width letters, Greek Α, a Cyrillic а inside.
        for lookalike in ["Оwner", "Ｏｗｎｅｒ", "Αdmin", "Аuditor", "Mеmber", "ADMlN"] {
            assert!(
                matches!(
                    RoleName::parse(lookalike),
                    Err(RoleNameError::LooksBuiltIn(_))
                ),
                "{lookalike}"
            );
        }
        for fine in ["Owners club", "Administrator", "Ádmin helper", "Support"] {
            assert!(RoleName::parse(fine).is_ok(), "{fine}");
        }
        assert_eq!(
            RoleName::parse("ADMIN").unwrap_err().to_string(),
            "Admin is a built-in role: choose another name."
        );
        assert!(RoleName::parse("Admins").is_ok(), "only the very names");
        for posing in [
            "Owner\u{200B}",
            "\u{200B}Admin",
            "Admin\u{200E}",
            "Ow\u{2060}ner",
        ] {
            assert_eq!(
                RoleName::parse(posing),
                Err(RoleNameError::Name(NameError::Invisible)),
                "{posing:?}"
            );
        }
        assert!(RoleName::parse("Équipe support").is_ok());
        assert_eq!(
            RoleName::parse("  "),
            Err(RoleNameError::Name(NameError::Empty))
        );
        assert_eq!(
            RoleName::parse(&"x".repeat(101)),
            Err(RoleNameError::Name(NameError::TooLong))
        );
        assert_eq!(
            RoleName::parse(&"x".repeat(101)).unwrap_err().to_string(),
            "Use 100 characters at most."
        );
    }

    #[test]
    fn permissions_are_read_from_the_ticked_keys() {
        let support = parse_permissions(&keys(&["users.view", "users.suspend", "users.view"]));
        assert_eq!(support.unwrap().to_keys(), "users.view users.suspend");
        assert_eq!(
            parse_permissions(&keys(&["users.view", "users.fly"])),
            Err(PermissionsError::Unknown("users.fly".to_owned()))
        );
        assert_eq!(
            parse_permissions(&keys(&["users.view", "owner"])),
            Err(PermissionsError::Owner)
        );
        assert_eq!(parse_permissions(&[]), Err(PermissionsError::Empty));
        let everything_offered: Vec<String> = offered().map(|p| p.key().to_owned()).collect();
        assert_eq!(
            parse_permissions(&everything_offered),
            Ok(BuiltInRole::Admin.permissions().union(
                [Permission::ApiKeysManage, Permission::Scim]
                    .into_iter()
                    .collect()
            )),
            "the most a custom role holds is what an Admin holds, managing API keys and SCIM"
        );
    }
}
