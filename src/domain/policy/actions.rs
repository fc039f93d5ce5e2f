//! One decision per action on a member (PRODUCT §4 rules 1, 2, 3, 9): for a viewer, a target and
//! the workspace's facts, every action is allowed or refused with the reason in words. Pages draw
//! their buttons from [`decide`] and every write is judged by it before anything changes, so a
//! rule lives here once, whatever the door (a page, a POST, the API, SCIM, a bulk action).

use std::fmt;

use crate::domain::ids::AccountId;
use crate::domain::membership::{
    AccountStatus, MembershipStatus, OrgRole, Transition, TransitionRefused,
};
use crate::domain::role::{Permission, PermissionSet};

/// What a viewer may try to do to a member of a workspace (or, for block and unblock, to their
/// account organization-wide).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberAction {
    View,
    EditProfile,
    ChangeEmail,
    ChangeRole,
    Suspend,
    Unsuspend,
    Remove,
    Restore,
    Block,
    Unblock,
    EndSessions,
    /// Email them a link to choose a new password.
    ResetPassword,
    /// Turn their two-factor sign-in off (they enrol again).
    ResetTwoFactor,
    /// Lift the pause that failed sign-ins put on the account.
    ClearSignInPause,
}

impl MemberAction {
    pub const ALL: [MemberAction; 14] = [
        MemberAction::View,
        MemberAction::EditProfile,
        MemberAction::ChangeEmail,
        MemberAction::ChangeRole,
        MemberAction::Suspend,
        MemberAction::Unsuspend,
        MemberAction::Remove,
        MemberAction::Restore,
        MemberAction::Block,
        MemberAction::Unblock,
        MemberAction::EndSessions,
        MemberAction::ResetPassword,
        MemberAction::ResetTwoFactor,
        MemberAction::ClearSignInPause,
    ];

    /// The workspace permission the viewer's role must hold; `None` for block and unblock, which
    /// belong to org owners and org admins.
    pub fn permission(self) -> Option<Permission> {
        use MemberAction::*;
        match self {
            View => Some(Permission::UsersView),
            EditProfile | ChangeEmail | EndSessions | ResetPassword | ResetTwoFactor => {
                Some(Permission::UsersEdit)
            }
            ChangeRole => Some(Permission::UsersChangeRole),
            Suspend | Unsuspend => Some(Permission::UsersSuspend),
            Remove | Restore => Some(Permission::UsersRemove),
            Block | Unblock | ClearSignInPause => None,
        }
    }

    /// "suspend", as in "You cannot suspend yourself".
    pub fn verb(self) -> &'static str {
        use MemberAction::*;
        match self {
            View => "view",
            EditProfile => "edit the profile of",
            ChangeEmail => "change the email address of",
            ChangeRole => "change the role of",
            Suspend => "suspend",
            Unsuspend => "unsuspend",
            Remove => "remove",
            Restore => "restore",
            Block => "block",
            Unblock => "unblock",
            EndSessions => "sign out",
            ResetPassword => "send a password reset link to",
            ResetTwoFactor => "reset the two-factor sign-in of",
            ClearSignInPause => "clear the sign-in pause of",
        }
    }

    fn transition(self) -> Option<Transition> {
        match self {
            MemberAction::Suspend => Some(Transition::Suspend),
            MemberAction::Unsuspend => Some(Transition::Unsuspend),
            MemberAction::Remove => Some(Transition::Remove),
            MemberAction::Restore => Some(Transition::Restore),
            _ => None,
        }
    }

    /// What changes the account everywhere, not only its membership here: its profile, its
    /// address, its sessions.
    fn is_account_wide(self) -> bool {
        matches!(
            self,
            MemberAction::EditProfile
                | MemberAction::ChangeEmail
                | MemberAction::EndSessions
                | MemberAction::ResetPassword
                | MemberAction::ResetTwoFactor
        )
    }

    fn is_organizational(self) -> bool {
        matches!(
            self,
            MemberAction::Block | MemberAction::Unblock | MemberAction::ClearSignInPause
        )
    }

    /// What one may do to oneself: look, one's own profile and one's own sessions.
    fn allowed_on_oneself(self) -> bool {
        use MemberAction::*;
        // One's own address changes from one's own profile, which asks for the password.
        matches!(self, View | EditProfile | EndSessions)
    }
}

/// Who asks: a signed-in person (or, later, an API key: no account, no org role).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub account: Option<AccountId>,
    pub org_role: OrgRole,
    /// What their role allows in the workspace (org owners and admins: everything).
    pub permissions: PermissionSet,
}

/// The member acted on.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub account: AccountId,
    /// Their name as the console shows it (for refusals: "Grace Hopper is an Admin; …").
    pub name: &'a str,
    pub org_role: OrgRole,
    pub account_status: AccountStatus,
    /// Whether their account has a password: someone invited who had no account chooses one by
    /// accepting, not with a reset link.
    pub has_password: bool,
    /// Their membership in the workspace acted in; `None` on the organization's pages.
    pub membership: Option<TargetMembership<'a>>,
    /// Workspaces other than this one where they hold a membership (pending and removed ones
    /// included: an invitation may be accepted, a removal restored).
    pub other_workspaces: i64,
    /// A workspace (its name) of which their account is the last active Owner: blocking the
    /// account would leave it with none (rule 3).
    pub sole_owner_of: Option<&'a str>,
}

#[derive(Debug, Clone, Copy)]
pub struct TargetMembership<'a> {
    pub role_name: &'a str,
    pub role: PermissionSet,
    pub status: MembershipStatus,
}

impl Target<'_> {
    /// What the target may do in the workspace: their role, and everything for org owners and
    /// org admins (they act as Owners everywhere).
    fn powers(&self) -> PermissionSet {
        let role = self.membership.map_or(PermissionSet::empty(), |m| m.role);
        if self.org_role.administers_all_workspaces() {
            PermissionSet::all()
        } else {
            role
        }
    }

    /// An Owner the last-owner rule counts: active, holding `owner`, their account not blocked.
    fn is_active_owner(&self) -> bool {
        self.account_status == AccountStatus::Active
            && self.membership.is_some_and(|m| {
                m.status == MembershipStatus::Active && m.role.contains(Permission::Owner)
            })
    }
}

/// What the last-owner rules count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    /// Active members of the workspace whose role holds `owner` (the target among them, if so).
    pub active_owners: i64,
    /// Active accounts with the org owner role (the target among them, if so).
    pub active_org_owners: i64,
}

/// Why an action is refused. [`Refusal::is_conflict`] tells a state that does not allow it (409)
/// from a rule that forbids it (403); `Display` gives the words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The viewer's role does not hold the action's permission.
    Lacks(Permission),
    /// Block and unblock are for org owners and org admins.
    NotOrgAdmin(MemberAction),
    /// An action on one's own membership; `true` when one holds `owner` (only another Owner can
    /// then do it).
    Oneself(MemberAction, bool),
    /// The target holds `owner` and the viewer does not.
    OwnerOnly(MemberAction),
    /// The target's role (or org role) holds permissions the viewer lacks.
    Stronger {
        name: String,
        role: String,
        lacking: PermissionSet,
        /// An API key acts, not a person: its scopes are what it lacks, not a role.
        by_key: bool,
    },
    OrgOwnerOnly(MemberAction),
    /// Only org owners and org admins act on an org admin.
    OrgAdminsOnly(MemberAction),
    /// An account that belongs to other workspaces, or administers the organization, is changed
    /// as a whole (profile, address, every session) only by an org owner or admin: one
    /// workspace's admins do not reach into the others (a new address is a way into all of them).
    SharedAccount {
        action: MemberAction,
        name: String,
    },
    LastOwner(MemberAction),
    /// Blocking the last active Owner of a workspace (named).
    SoleOwner {
        name: String,
        workspace: String,
    },
    LastOrgOwner,
    NotAMember,
    Transition(TransitionRefused),
    /// Removed memberships are restored before anything else is done to them.
    Removed(MemberAction),
    AlreadyBlocked,
    NotBlocked,
    /// A reset link for a blocked account (unblocked first).
    ResetWhileBlocked,
    /// A reset link for someone invited who has no password yet.
    NoPasswordYet(String),
    /// A role change to a role the viewer may not grant.
    Grant(&'static str),
}

impl Refusal {
    /// True when the member's state, not a rule, is in the way (409 rather than 403).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            Refusal::NotAMember
                | Refusal::Transition(_)
                | Refusal::Removed(_)
                | Refusal::AlreadyBlocked
                | Refusal::NotBlocked
                | Refusal::ResetWhileBlocked
                | Refusal::NoPasswordYet(_)
        )
    }
}

/// "users.invite, users.edit, users.change_role and 8 more": the first three are enough to say
/// which, the count says how many more.
fn first_keys(permissions: PermissionSet) -> String {
    let keys: Vec<&str> = permissions.iter().map(|p| p.key()).collect();
    match keys.len() {
        0..=3 => keys.join(", "),
        n => format!("{} and {} more", keys[..3].join(", "), n - 3),
    }
}

/// "is an Admin" for a built-in role; "holds the role “Keys”" for a custom one, whose name need
/// not read as a noun.
fn holding(role: &str) -> String {
    if !crate::domain::role::BuiltInRole::ALL
        .iter()
        .any(|b| b.name() == role)
    {
        return format!("holds the role “{role}”");
    }
    let vowel = role.starts_with(['A', 'E', 'I', 'O', 'U']);
    format!("is {} {role}", if vowel { "an" } else { "a" })
}

/// What a refusal says `action` on a shared account would have done: "edit their profile".
fn on_shared_account(action: MemberAction) -> &'static str {
    match action {
        MemberAction::EditProfile => "edit their profile",
        MemberAction::ChangeEmail => "change their email address",
        MemberAction::ResetPassword => "send them a password reset link",
        MemberAction::ResetTwoFactor => "reset their two-factor sign-in",
        _ => "sign them out",
    }
}

impl Refusal {
    /// The words of rule 3's refusals: a workspace and the organization keep an active Owner.
    fn last_owner_words(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::LastOwner(MemberAction::ChangeRole) => f.write_str(
                "This is the workspace's last active Owner: make someone else an Owner first.",
            ),
            Refusal::LastOwner(a) => write!(
                f,
                "This is the workspace's last active Owner: make someone else an Owner before you \
                 {} them.",
                a.verb()
            ),
            Refusal::SoleOwner { name, workspace } => write!(
                f,
                "{name} is the last active Owner of {workspace}: make someone else an Owner there \
                 before you block them."
            ),
            _ => f.write_str(
                "This is the organization's last active org owner: make someone else an org \
                 owner first.",
            ),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use MemberAction::*;
        match self {
            Refusal::Lacks(p) => write!(
                f,
                "Your role does not allow this ({}: “{}”).",
                p.key(),
                p.description()
            ),
            Refusal::NotOrgAdmin(a) => write!(
                f,
                "Only org owners and org admins can {} an account.",
                a.verb()
            ),
            Refusal::Oneself(a @ (Block | Unblock), _) => {
                write!(f, "You cannot {} yourself.", a.verb())
            }
            Refusal::Oneself(ChangeEmail, _) => f.write_str(
                "Change your own email address from your profile (Your profile), which asks for \
                 your password.",
            ),
            Refusal::Oneself(a, owner) => {
                match a {
                    ChangeRole => f.write_str("You cannot change your own role.")?,
                    a => write!(f, "You cannot {} yourself.", a.verb())?,
                }
                f.write_str(if *owner {
                    " Ask another Owner."
                } else {
                    " Ask another Owner or Admin."
                })
            }
            Refusal::OwnerOnly(ChangeRole) => {
                f.write_str("Only an Owner can change an Owner's role.")
            }
            Refusal::OwnerOnly(EditProfile | ChangeEmail) => {
                f.write_str("Only an Owner can edit an Owner's profile.")
            }
            Refusal::OwnerOnly(EndSessions) => f.write_str("Only an Owner can sign an Owner out."),
            Refusal::OwnerOnly(a) => write!(f, "Only an Owner can {} an Owner.", a.verb()),
            Refusal::Stronger {
                name,
                role,
                lacking,
                by_key,
            } => write!(
                f,
                "{name} {}; {} cannot act on roles with more permissions than {} (it lacks {}).",
                holding(role),
                if *by_key { "this API key" } else { "your role" },
                if *by_key { "its scopes" } else { "yours" },
                first_keys(*lacking)
            ),
            Refusal::OrgOwnerOnly(a) => {
                write!(f, "Only an org owner can {} an org owner.", a.verb())
            }
            Refusal::OrgAdminsOnly(a) => {
                write!(
                    f,
                    "Only org owners and org admins can {} an org admin.",
                    a.verb()
                )
            }
            Refusal::SharedAccount { action, name } => write!(
                f,
                "{name} also belongs to other workspaces (or administers the organization): only \
                 an org owner or org admin can {}.",
                on_shared_account(*action)
            ),
            Refusal::LastOwner(_) | Refusal::SoleOwner { .. } | Refusal::LastOrgOwner => {
                self.last_owner_words(f)
            }
            Refusal::NotAMember => f.write_str("That person is not a member of this workspace."),
            Refusal::Transition(refused) => refused.fmt(f),
            Refusal::Removed(ChangeRole) => f.write_str(
                "A removed member's role cannot be changed; restore the membership first.",
            ),
            Refusal::Removed(a) => write!(
                f,
                "This member was removed from the workspace: restore the membership before you {} \
                 them.",
                a.verb()
            ),
            Refusal::AlreadyBlocked => f.write_str("This account is blocked already."),
            Refusal::NotBlocked => f.write_str("This account is not blocked."),
            Refusal::ResetWhileBlocked => {
                f.write_str("This account is blocked: unblock it before sending a reset link.")
            }
            Refusal::NoPasswordYet(name) => write!(
                f,
                "{name} has no password yet: they choose one when they accept their invitation."
            ),
            Refusal::Grant(why) => f.write_str(why),
        }
    }
}

pub type Decision = Result<(), Refusal>;

/// Whether `viewer` may take `action` on `target` now (PRODUCT §4 rules 1, 2, 3, 9): the
/// permission first, then oneself, then the stronger role, then the state, then the last owner.
pub fn decide(
    viewer: &Viewer,
    target: &Target<'_>,
    facts: &Facts,
    action: MemberAction,
) -> Decision {
    may_attempt(viewer, action)?;
    if action.is_organizational() {
        return decide_organizational(viewer, target, facts, action);
    }
    let Some(membership) = target.membership else {
        return Err(Refusal::NotAMember);
    };
    if action == MemberAction::View {
        return Ok(());
    }
    let oneself = viewer.account == Some(target.account);
    if oneself && !action.allowed_on_oneself() {
        return Err(Refusal::Oneself(
            action,
            target.powers().contains(Permission::Owner),
        ));
    }
    if !oneself {
        no_stronger_target(viewer, target, action)?;
    }
    if membership.status == MembershipStatus::Removed && action.transition().is_none() {
        return Err(Refusal::Removed(action));
    }
    if action == MemberAction::ResetPassword {
        if target.account_status == AccountStatus::Blocked {
            return Err(Refusal::ResetWhileBlocked);
        }
        if !target.has_password && membership.status == MembershipStatus::Invited {
            return Err(Refusal::NoPasswordYet(target.name.to_owned()));
        }
    }
    if let Some(transition) = action.transition() {
        let next = membership
            .status
            .apply(transition)
            .map_err(Refusal::Transition)?;
        if target.is_active_owner() && next != MembershipStatus::Active && facts.active_owners <= 1
        {
            return Err(Refusal::LastOwner(action));
        }
    }
    if action.is_account_wide()
        && !oneself
        && !viewer.org_role.administers_all_workspaces()
        && (target.other_workspaces > 0 || target.org_role.administers_all_workspaces())
    {
        return Err(Refusal::SharedAccount {
            action,
            name: target.name.to_owned(),
        });
    }
    Ok(())
}

/// Whether an allowed action rests on the viewer's org role rather than their role in the
/// workspace: what only org owners and admins do (block, unblock, clear a sign-in pause), a change
/// of an account shared with other workspaces (or of an org owner's or admin's), and anything
/// done to an org owner or admin. Such an action reaches beyond the workspace acted in, so it is
/// held to what the organization's own pages require (two-factor sign-in where a workspace
/// requires it).
pub fn rests_on_org_role(viewer: &Viewer, target: &Target<'_>, action: MemberAction) -> bool {
    if !viewer.org_role.administers_all_workspaces() || viewer.account == Some(target.account) {
        return false;
    }
    action.is_organizational()
        || target.org_role.administers_all_workspaces()
        || (action.is_account_wide() && target.other_workspaces > 0)
}

/// The part of [`decide`] that needs no target: whether the viewer's role allows the action at
/// all (checked before the target is even looked up, so a refusal does not reveal who exists).
/// Acting on a member takes seeing them: every workspace action needs `users.view` too.
pub fn may_attempt(viewer: &Viewer, action: MemberAction) -> Decision {
    match action.permission() {
        Some(p) if !viewer.permissions.contains(p) => Err(Refusal::Lacks(p)),
        Some(_) if !viewer.permissions.contains(Permission::UsersView) => {
            Err(Refusal::Lacks(Permission::UsersView))
        }
        None if !viewer.org_role.administers_all_workspaces() => Err(Refusal::NotOrgAdmin(action)),
        _ => Ok(()),
    }
}

/// Rule 2: nobody acts on a member whose role holds a permission they lack (only Owners act on
/// Owners; a Support role cannot touch an Admin), nor on an org role above their own (only org
/// owners act on org owners; org owners and admins on org admins).
fn no_stronger_target(viewer: &Viewer, target: &Target<'_>, action: MemberAction) -> Decision {
    let lacking = target.powers().without(viewer.permissions);
    let holds_owner = target
        .membership
        .is_some_and(|m| m.role.contains(Permission::Owner));
    if holds_owner && lacking.contains(Permission::Owner) {
        return Err(Refusal::OwnerOnly(action));
    }
    match (target.org_role, viewer.org_role) {
        (OrgRole::Owner, OrgRole::Admin | OrgRole::Member) => {
            return Err(Refusal::OrgOwnerOnly(action));
        }
        (OrgRole::Admin, OrgRole::Member) => return Err(Refusal::OrgAdminsOnly(action)),
        _ => {}
    }
    if lacking.is_empty() {
        return Ok(());
    }
    Err(Refusal::Stronger {
        name: target.name.to_owned(),
        role: target.membership.map_or("", |m| m.role_name).to_owned(),
        lacking,
        by_key: viewer.account.is_none(),
    })
}

/// Blocking (and clearing a sign-in pause) is the organization's: org owners and admins, org
/// owners only by an org owner; never blocking oneself, and the last active org owner stays.
fn decide_organizational(
    viewer: &Viewer,
    target: &Target<'_>,
    facts: &Facts,
    action: MemberAction,
) -> Decision {
    if target.org_role == OrgRole::Owner && viewer.org_role != OrgRole::Owner {
        return Err(Refusal::OrgOwnerOnly(action));
    }
    if action == MemberAction::ClearSignInPause {
        return Ok(());
    }
    let block = action == MemberAction::Block;
    if viewer.account == Some(target.account) {
        return Err(Refusal::Oneself(action, false));
    }
    match (block, target.account_status) {
        (true, AccountStatus::Blocked) => return Err(Refusal::AlreadyBlocked),
        (false, AccountStatus::Active) => return Err(Refusal::NotBlocked),
        _ => {}
    }
    if block && target.org_role == OrgRole::Owner && facts.active_org_owners <= 1 {
        return Err(Refusal::LastOrgOwner);
    }
    if let (true, Some(workspace)) = (block, target.sole_owner_of) {
        return Err(Refusal::SoleOwner {
            name: target.name.to_owned(),
            workspace: workspace.to_owned(),
        });
    }
    Ok(())
}

/// A role change to `new_role`: [`decide`] for [`MemberAction::ChangeRole`], then rule 6 (only
/// roles the viewer holds all of; only Owners grant Owner) and the last Owner keeps the role.
pub fn decide_role_change(
    viewer: &Viewer,
    target: &Target<'_>,
    facts: &Facts,
    new_role: PermissionSet,
) -> Decision {
    decide(viewer, target, facts, MemberAction::ChangeRole)?;
    super::may_grant_role(viewer.permissions, new_role).map_err(Refusal::Grant)?;
    if target.is_active_owner() && !new_role.contains(Permission::Owner) && facts.active_owners <= 1
    {
        return Err(Refusal::LastOwner(MemberAction::ChangeRole));
    }
    Ok(())
}

/// Every action's decision for one target: what a page offers.
#[derive(Debug, Clone)]
pub struct Decisions(Vec<(MemberAction, Decision)>);

impl Decisions {
    pub fn of(viewer: &Viewer, target: &Target<'_>, facts: &Facts) -> Self {
        Self(
            MemberAction::ALL
                .into_iter()
                .map(|a| (a, decide(viewer, target, facts, a)))
                .collect(),
        )
    }

    pub fn allows(&self, action: MemberAction) -> bool {
        self.get(action).is_ok()
    }

    /// Why `action` is refused; `None` when it is allowed.
    pub fn refusal(&self, action: MemberAction) -> Option<&Refusal> {
        self.get(action).as_ref().err()
    }

    /// Why `action` is refused, in words; `None` when it is allowed.
    pub fn why(&self, action: MemberAction) -> Option<String> {
        self.get(action).as_ref().err().map(ToString::to_string)
    }

    fn get(&self, action: MemberAction) -> &Decision {
        self.0
            .iter()
            .find(|(a, _)| *a == action)
            .map(|(_, d)| d)
            .unwrap_or(&Err(Refusal::NotAMember))
    }

    /// Why actions the viewer's role does allow are refused for this target ("Grace is an Admin;
    /// …"), each reason once: what a page says instead of the buttons it leaves out.
    pub fn reasons(&self) -> Vec<String> {
        let mut reasons: Vec<String> = Vec::new();
        for (_, decision) in &self.0 {
            if let Err(refusal) = decision
                && matches!(
                    refusal,
                    Refusal::OwnerOnly(_)
                        | Refusal::Stronger { .. }
                        | Refusal::OrgOwnerOnly(_)
                        | Refusal::OrgAdminsOnly(_)
                        | Refusal::LastOwner(_)
                        | Refusal::SoleOwner { .. }
                        | Refusal::LastOrgOwner
                        | Refusal::SharedAccount { .. }
                )
            {
                let words = match refusal {
                    // One sentence for every action an Owner's role keeps from this viewer.
                    Refusal::OwnerOnly(_) => {
                        "Only an Owner can act on an Owner: edit, change the role of, suspend, \
                         remove or sign them out."
                            .to_owned()
                    }
                    // And one for every action the workspace's last Owner is kept from.
                    Refusal::LastOwner(_) => {
                        "This is the workspace's last active Owner: make someone else an Owner \
                         before you change their role, suspend or remove them."
                            .to_owned()
                    }
                    other => other.to_string(),
                };
                if !reasons.contains(&words) {
                    reasons.push(words);
                }
            }
        }
        reasons
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::role::BuiltInRole;
    use MemberAction::*;
    use MembershipStatus::{Active, Invited, Removed, Suspended};

    fn set(permissions: &[Permission]) -> PermissionSet {
        permissions.iter().copied().collect()
    }

    fn support() -> PermissionSet {
        set(&[Permission::UsersView, Permission::UsersSuspend])
    }

    fn viewer(permissions: PermissionSet) -> Viewer {
        Viewer {
            account: Some(AccountId(1)),
            org_role: OrgRole::Member,
            permissions,
        }
    }

    fn target(role: BuiltInRole, status: MembershipStatus) -> Target<'static> {
        Target {
            account: AccountId(2),
            name: "Grace Hopper",
            org_role: OrgRole::Member,
            account_status: AccountStatus::Active,
            has_password: true,
            membership: Some(TargetMembership {
                role_name: role.name(),
                role: role.permissions(),
                status,
            }),
            other_workspaces: 0,
            sole_owner_of: None,
        }
    }

    const FACTS: Facts = Facts {
        active_owners: 2,
        active_org_owners: 1,
    };

    fn allowed(viewer: &Viewer, target: &Target<'_>) -> Vec<MemberAction> {
        MemberAction::ALL
            .into_iter()
            .filter(|a| decide(viewer, target, &FACTS, *a).is_ok())
            .collect()
    }

    #[test]
    fn each_action_needs_its_permission() {
        let member = target(BuiltInRole::Member, Active);
        for action in MemberAction::ALL {
            let Some(p) = action.permission() else {
                continue;
            };
            let without = viewer(BuiltInRole::Admin.permissions().without(set(&[p])));
            assert_eq!(
                decide(&without, &member, &FACTS, action),
                Err(Refusal::Lacks(p)),
                "{action:?}"
            );
        }
        assert_eq!(
            allowed(&viewer(set(&[Permission::UsersView])), &member),
            vec![View]
        );
        assert_eq!(allowed(&viewer(support()), &member), vec![View, Suspend]);
        // Nobody acts on whom they cannot see.
        let blind = viewer(set(&[Permission::UsersSuspend]));
        assert_eq!(
            decide(&blind, &member, &FACTS, Suspend),
            Err(Refusal::Lacks(Permission::UsersView))
        );
    }

    #[test]
    fn a_refusal_names_a_custom_role_as_a_role() {
        assert_eq!(holding("Admin"), "is an Admin");
        assert_eq!(holding("Member"), "is a Member");
        assert_eq!(holding("Keys"), "holds the role “Keys”");
        assert_eq!(holding("Оwner"), "holds the role “Оwner”", "a Cyrillic О");
    }

    #[test]
    fn a_support_role_cannot_touch_an_admin_or_an_auditor() {
        let support_role = viewer(support());
        let admin = target(BuiltInRole::Admin, Active);
        let refused = decide(&support_role, &admin, &FACTS, Suspend).unwrap_err();
        assert!(!refused.is_conflict());
        assert!(
            refused.to_string().starts_with(
                "Grace Hopper is an Admin; your role cannot act on roles with more permissions"
            ),
            "{refused}"
        );
        assert_eq!(allowed(&support_role, &admin), vec![View]);
        let auditor = target(BuiltInRole::Auditor, Active);
        let refused = decide(&support_role, &auditor, &FACTS, Suspend).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("is an Auditor; your role cannot act"),
            "{refused}"
        );
        let refused = decide(&support_role, &admin, &FACTS, Suspend).unwrap_err();
        assert!(
            refused
                .to_string()
                .ends_with("(it lacks users.invite, users.edit, users.change_role and 9 more)."),
            "{refused}"
        );
        // An API key holds scopes, not a role: the refusal says so.
        let key = Viewer {
            account: None,
            ..support_role
        };
        let refused = decide(&key, &admin, &FACTS, Suspend).unwrap_err();
        assert!(
            refused.to_string().starts_with(
                "Grace Hopper is an Admin; this API key cannot act on roles with more \
                 permissions than its scopes"
            ),
            "{refused}"
        );
        // A peer with the same role is fair game; so is anyone whose role is a subset.
        let mut peer = target(BuiltInRole::Member, Active);
        peer.membership = Some(TargetMembership {
            role_name: "Support",
            role: support(),
            status: Active,
        });
        assert!(decide(&support_role, &peer, &FACTS, Suspend).is_ok());
    }

    #[test]
    fn admins_act_on_admins_and_only_owners_on_owners() {
        let admin = viewer(BuiltInRole::Admin.permissions());
        let other_admin = target(BuiltInRole::Admin, Active);
        for action in [
            EditProfile,
            ChangeEmail,
            ChangeRole,
            Suspend,
            Remove,
            EndSessions,
        ] {
            assert!(
                decide(&admin, &other_admin, &FACTS, action).is_ok(),
                "{action:?}"
            );
        }
        let owner = target(BuiltInRole::Owner, Active);
        assert_eq!(
            decide(&admin, &owner, &FACTS, Remove)
                .unwrap_err()
                .to_string(),
            "Only an Owner can remove an Owner."
        );
        assert_eq!(
            decide(&admin, &owner, &FACTS, ChangeRole)
                .unwrap_err()
                .to_string(),
            "Only an Owner can change an Owner's role."
        );
        assert_eq!(allowed(&admin, &owner), vec![View]);
        let as_owner = viewer(BuiltInRole::Owner.permissions());
        assert!(decide(&as_owner, &owner, &FACTS, Suspend).is_ok());
    }

    #[test]
    fn org_roles_rank_above_workspace_roles() {
        let owner_role = viewer(BuiltInRole::Owner.permissions());
        let mut org_admin = target(BuiltInRole::Member, Active);
        org_admin.org_role = OrgRole::Admin;
        // Their Member role here is no shield: they act as Owners everywhere, so only org owners
        // and org admins act on them — not even a workspace Owner.
        assert_eq!(
            decide(&owner_role, &org_admin, &FACTS, Suspend)
                .unwrap_err()
                .to_string(),
            "Only org owners and org admins can suspend an org admin."
        );
        let acting_org_admin = Viewer {
            org_role: OrgRole::Admin,
            permissions: PermissionSet::all(),
            ..owner_role
        };
        assert!(decide(&acting_org_admin, &org_admin, &FACTS, Suspend).is_ok());
        assert!(
            decide(
                &acting_org_admin,
                &target(BuiltInRole::Owner, Active),
                &FACTS,
                Remove
            )
            .is_ok()
        );
        // An org admin does not reach an org owner: not their address, not their sessions.
        let mut org_owner = target(BuiltInRole::Member, Active);
        org_owner.org_role = OrgRole::Owner;
        for action in [
            EditProfile,
            ChangeEmail,
            Suspend,
            Remove,
            EndSessions,
            ChangeRole,
        ] {
            assert_eq!(
                decide(&acting_org_admin, &org_owner, &FACTS, action),
                Err(Refusal::OrgOwnerOnly(action)),
                "{action:?}"
            );
        }
        let acting_org_owner = Viewer {
            org_role: OrgRole::Owner,
            ..acting_org_admin
        };
        assert!(decide(&acting_org_owner, &org_owner, &FACTS, ChangeEmail).is_ok());
    }

    #[test]
    fn nobody_acts_on_themselves_but_on_their_own_profile_and_sessions() {
        let admin = viewer(PermissionSet::all());
        let mut me = target(BuiltInRole::Owner, Active);
        me.account = AccountId(1);
        assert_eq!(allowed(&admin, &me), vec![View, EditProfile, EndSessions]);
        assert_eq!(
            decide(&admin, &me, &FACTS, Suspend)
                .unwrap_err()
                .to_string(),
            "You cannot suspend yourself. Ask another Owner."
        );
        assert_eq!(
            decide(&admin, &me, &FACTS, ChangeRole)
                .unwrap_err()
                .to_string(),
            "You cannot change your own role. Ask another Owner."
        );
        // An Admin is helped by another Admin too (an Admin cannot act on an Owner).
        let mut me_admin = target(BuiltInRole::Admin, Active);
        me_admin.account = AccountId(1);
        assert_eq!(
            decide(&admin, &me_admin, &FACTS, ChangeRole)
                .unwrap_err()
                .to_string(),
            "You cannot change your own role. Ask another Owner or Admin."
        );
        let org_owner = Viewer {
            org_role: OrgRole::Owner,
            ..admin
        };
        assert_eq!(
            decide(&org_owner, &me, &FACTS, Block)
                .unwrap_err()
                .to_string(),
            "You cannot block yourself."
        );
    }

    #[test]
    fn the_state_decides_which_of_a_pair_is_offered() {
        let admin = viewer(BuiltInRole::Admin.permissions());
        let lifecycle = [Suspend, Unsuspend, Remove, Restore];
        let cases = [
            (Active, vec![Suspend, Remove]),
            (Suspended, vec![Unsuspend, Remove]),
            (Removed, vec![Restore]),
            (Invited, vec![]),
        ];
        for (status, offered) in cases {
            let member = target(BuiltInRole::Member, status);
            let got: Vec<_> = lifecycle
                .into_iter()
                .filter(|a| decide(&admin, &member, &FACTS, *a).is_ok())
                .collect();
            assert_eq!(got, offered, "{status:?}");
        }
        let removed = target(BuiltInRole::Member, Removed);
        let refused = decide(&admin, &removed, &FACTS, Suspend).unwrap_err();
        assert!(refused.is_conflict());
        assert_eq!(
            refused.to_string(),
            "A removed membership cannot be suspended."
        );
        for action in [EditProfile, ChangeEmail, ChangeRole, EndSessions] {
            let refused = decide(&admin, &removed, &FACTS, action).unwrap_err();
            assert!(
                refused.is_conflict() && refused.to_string().contains("restore"),
                "{action:?}"
            );
        }
        assert!(decide(&admin, &removed, &FACTS, View).is_ok());
        // A blocked account can still be suspended here: the suspension outlasts an unblock.
        let mut blocked = target(BuiltInRole::Member, Active);
        blocked.account_status = AccountStatus::Blocked;
        assert!(decide(&admin, &blocked, &FACTS, Suspend).is_ok());
    }

    #[test]
    fn the_last_active_owner_stays() {
        let owner = viewer(PermissionSet::all());
        let last = target(BuiltInRole::Owner, Active);
        let alone = Facts {
            active_owners: 1,
            ..FACTS
        };
        for action in [Suspend, Remove] {
            assert!(
                decide(&owner, &last, &alone, action)
                    .unwrap_err()
                    .to_string()
                    .contains("last active Owner"),
                "{action:?}"
            );
        }
        assert!(decide(&owner, &last, &FACTS, Suspend).is_ok());
        // A suspended last Owner can be brought back.
        assert!(
            decide(
                &owner,
                &target(BuiltInRole::Owner, Suspended),
                &alone,
                Unsuspend
            )
            .is_ok()
        );
        let member = BuiltInRole::Member.permissions();
        assert!(
            decide_role_change(&owner, &last, &alone, member)
                .unwrap_err()
                .to_string()
                .contains("last active Owner")
        );
        assert!(decide_role_change(&owner, &last, &FACTS, member).is_ok());
        // A suspended Owner is not the active one.
        assert!(
            decide_role_change(
                &owner,
                &target(BuiltInRole::Owner, Suspended),
                &alone,
                member
            )
            .is_ok()
        );
    }

    #[test]
    fn role_changes_grant_only_what_the_viewer_holds() {
        let admin = viewer(BuiltInRole::Admin.permissions());
        let member = target(BuiltInRole::Member, Active);
        assert!(
            decide_role_change(&admin, &member, &FACTS, BuiltInRole::Auditor.permissions()).is_ok()
        );
        assert_eq!(
            decide_role_change(&admin, &member, &FACTS, BuiltInRole::Owner.permissions())
                .unwrap_err()
                .to_string(),
            "Only an Owner can make someone an Owner."
        );
        let manager = viewer(set(&[Permission::UsersView, Permission::UsersChangeRole]));
        assert!(
            decide_role_change(&manager, &member, &FACTS, BuiltInRole::Admin.permissions())
                .unwrap_err()
                .to_string()
                .contains("permissions you do not hold")
        );
        assert!(
            decide_role_change(
                &manager,
                &target(BuiltInRole::Admin, Active),
                &FACTS,
                PermissionSet::empty()
            )
            .is_err()
        );
    }

    #[test]
    fn a_reset_link_goes_neither_to_a_blocked_account_nor_to_someone_yet_to_choose_a_password() {
        let admin = viewer(BuiltInRole::Admin.permissions());
        let mut invited = target(BuiltInRole::Member, Invited);
        // Invited with an account of their own already: the link is theirs to use.
        assert!(decide(&admin, &invited, &FACTS, ResetPassword).is_ok());
        invited.has_password = false;
        let refused = decide(&admin, &invited, &FACTS, ResetPassword).unwrap_err();
        assert!(refused.is_conflict());
        assert!(
            refused
                .to_string()
                .contains("Grace Hopper has no password yet")
        );
        // Provisioned by SCIM, active without a password: a link is how they get one.
        let mut provisioned = target(BuiltInRole::Member, Active);
        provisioned.has_password = false;
        assert!(decide(&admin, &provisioned, &FACTS, ResetPassword).is_ok());
        provisioned.account_status = AccountStatus::Blocked;
        assert_eq!(
            decide(&admin, &provisioned, &FACTS, ResetPassword),
            Err(Refusal::ResetWhileBlocked)
        );
    }

    #[test]
    fn a_reset_link_is_sent_like_a_profile_is_edited_and_a_pause_cleared_like_a_block() {
        let admin = viewer(BuiltInRole::Admin.permissions());
        let member = target(BuiltInRole::Member, Active);
        assert!(decide(&admin, &member, &FACTS, ResetPassword).is_ok());
        let support = viewer(set(&[Permission::UsersView, Permission::UsersSuspend]));
        assert_eq!(
            decide(&support, &member, &FACTS, ResetPassword),
            Err(Refusal::Lacks(Permission::UsersEdit))
        );
        assert!(matches!(
            decide(
                &admin,
                &target(BuiltInRole::Owner, Active),
                &FACTS,
                ResetPassword
            ),
            Err(Refusal::OwnerOnly(ResetPassword))
        ));
        let mut elsewhere = member;
        elsewhere.other_workspaces = 1;
        assert_eq!(
            decide(&admin, &elsewhere, &FACTS, ResetPassword)
                .unwrap_err()
                .to_string(),
            "Grace Hopper also belongs to other workspaces (or administers the organization): \
             only an org owner or org admin can send them a password reset link."
        );
        let mut me = member;
        me.account = admin.account.unwrap();
        assert_eq!(
            decide(&admin, &me, &FACTS, ResetPassword),
            Err(Refusal::Oneself(ResetPassword, false))
        );
        // Resetting two-factor follows the same rules.
        assert!(decide(&admin, &member, &FACTS, ResetTwoFactor).is_ok());
        assert_eq!(
            decide(&support, &member, &FACTS, ResetTwoFactor),
            Err(Refusal::Lacks(Permission::UsersEdit))
        );
        assert!(decide(&admin, &elsewhere, &FACTS, ResetTwoFactor).is_err());
        assert_eq!(
            decide(&admin, &me, &FACTS, ResetTwoFactor),
            Err(Refusal::Oneself(ResetTwoFactor, false))
        );

        assert_eq!(
            decide(&admin, &member, &FACTS, ClearSignInPause),
            Err(Refusal::NotOrgAdmin(ClearSignInPause))
        );
        let org_admin = Viewer {
            org_role: OrgRole::Admin,
            ..admin
        };
        assert!(decide(&org_admin, &member, &FACTS, ClearSignInPause).is_ok());
        let mut org_owner = target(BuiltInRole::Owner, Active);
        org_owner.org_role = OrgRole::Owner;
        assert_eq!(
            decide(&org_admin, &org_owner, &FACTS, ClearSignInPause),
            Err(Refusal::OrgOwnerOnly(ClearSignInPause))
        );
    }

    #[test]
    fn only_org_owners_and_admins_block_and_org_owners_only_by_org_owners() {
        let admin_role = viewer(PermissionSet::all());
        let member = target(BuiltInRole::Member, Active);
        assert_eq!(
            decide(&admin_role, &member, &FACTS, Block)
                .unwrap_err()
                .to_string(),
            "Only org owners and org admins can block an account."
        );
        let org_admin = Viewer {
            org_role: OrgRole::Admin,
            ..admin_role
        };
        assert!(decide(&org_admin, &member, &FACTS, Block).is_ok());
        assert_eq!(
            decide(&org_admin, &member, &FACTS, Unblock),
            Err(Refusal::NotBlocked)
        );
        let mut org_owner_target = target(BuiltInRole::Owner, Active);
        org_owner_target.org_role = OrgRole::Owner;
        assert_eq!(
            decide(&org_admin, &org_owner_target, &FACTS, Block)
                .unwrap_err()
                .to_string(),
            "Only an org owner can block an org owner."
        );
        let org_owner = Viewer {
            org_role: OrgRole::Owner,
            ..admin_role
        };
        assert_eq!(
            decide(&org_owner, &org_owner_target, &FACTS, Block),
            Err(Refusal::LastOrgOwner)
        );
        let two = Facts {
            active_org_owners: 2,
            ..FACTS
        };
        assert!(decide(&org_owner, &org_owner_target, &two, Block).is_ok());
        // On the organization's pages there is no membership: blocking still works.
        let account_only = Target {
            membership: None,
            ..member
        };
        assert!(decide(&org_admin, &account_only, &FACTS, Block).is_ok());
        assert_eq!(
            decide(&org_admin, &account_only, &FACTS, Suspend),
            Err(Refusal::NotAMember)
        );
        let mut blocked = member;
        blocked.account_status = AccountStatus::Blocked;
        let refused = decide(&org_admin, &blocked, &FACTS, Block).unwrap_err();
        assert!(refused.is_conflict() && refused.to_string().contains("blocked already"));
        // Rule 3: the last active Owner of a workspace is not blocked (from any page).
        for sole in [member, account_only] {
            let sole = Target {
                sole_owner_of: Some("Beta"),
                ..sole
            };
            assert_eq!(
                decide(&org_owner, &sole, &two, Block)
                    .unwrap_err()
                    .to_string(),
                "Grace Hopper is the last active Owner of Beta: make someone else an Owner there \
                 before you block them."
            );
        }
    }

    #[test]
    fn a_blocked_owner_keeps_no_workspace() {
        // Facts count only Owners whose account is active; a blocked one is not among them, so
        // the one active Owner left is the last, and the blocked one is not protected.
        let owner = viewer(PermissionSet::all());
        let alone = Facts {
            active_owners: 1,
            ..FACTS
        };
        let mut blocked = target(BuiltInRole::Owner, Active);
        blocked.account_status = AccountStatus::Blocked;
        assert!(decide(&owner, &blocked, &alone, Remove).is_ok());
        let member = BuiltInRole::Member.permissions();
        assert!(decide_role_change(&owner, &blocked, &alone, member).is_ok());
    }

    #[test]
    fn an_account_shared_with_other_workspaces_is_changed_whole_by_org_admins_only() {
        let admin = viewer(BuiltInRole::Admin.permissions());
        let mut elsewhere = target(BuiltInRole::Member, Active);
        elsewhere.other_workspaces = 1;
        for action in [EditProfile, ChangeEmail, EndSessions] {
            assert!(
                matches!(
                    decide(&admin, &elsewhere, &FACTS, action),
                    Err(Refusal::SharedAccount { .. })
                ),
                "{action:?}"
            );
        }
        assert_eq!(
            decide(&admin, &elsewhere, &FACTS, ChangeEmail)
                .unwrap_err()
                .to_string(),
            "Grace Hopper also belongs to other workspaces (or administers the organization): \
             only an org owner or org admin can change their email address."
        );
        // What is this workspace's stays its admins': the membership's state and role.
        for action in [Suspend, Remove, ChangeRole] {
            assert!(
                decide(&admin, &elsewhere, &FACTS, action).is_ok(),
                "{action:?}"
            );
        }
        let org_admin = Viewer {
            org_role: OrgRole::Admin,
            permissions: PermissionSet::all(),
            ..admin
        };
        assert!(decide(&org_admin, &elsewhere, &FACTS, ChangeEmail).is_ok());
        // What an org admin does beyond the workspace rests on the org role; what its Admins do
        // anyway does not.
        assert!(rests_on_org_role(&org_admin, &elsewhere, ChangeEmail));
        assert!(rests_on_org_role(&org_admin, &elsewhere, Block));
        assert!(!rests_on_org_role(&org_admin, &elsewhere, Suspend));
        let here_only = target(BuiltInRole::Member, Active);
        assert!(!rests_on_org_role(&org_admin, &here_only, ChangeEmail));
        assert!(rests_on_org_role(&org_admin, &here_only, Block));
        assert!(!rests_on_org_role(&admin, &elsewhere, Suspend));
        let mut me = elsewhere;
        me.account = AccountId(1);
        assert_eq!(
            decide(&admin, &me, &FACTS, ChangeEmail)
                .unwrap_err()
                .to_string(),
            "Change your own email address from your profile (Your profile), which asks for your \
             password.",
            "one's own address: from one's own profile, with the password"
        );
    }

    #[test]
    fn pages_say_why_in_one_sentence_per_reason() {
        let admin = viewer(BuiltInRole::Admin.permissions());
        let owner = target(BuiltInRole::Owner, Active);
        let decisions = Decisions::of(&admin, &owner, &FACTS);
        assert!(decisions.allows(View));
        assert!(!decisions.allows(Suspend));
        assert_eq!(
            decisions.reasons(),
            vec![
                "Only an Owner can act on an Owner: edit, change the role of, suspend, remove or sign them out."
            ]
        );
        let support = Decisions::of(
            &viewer(support()),
            &target(BuiltInRole::Admin, Active),
            &FACTS,
        );
        assert_eq!(support.reasons().len(), 1);
        assert!(
            Decisions::of(&viewer(set(&[Permission::UsersView])), &owner, &FACTS)
                .reasons()
                .is_empty(),
            "no reason for what the role does not allow anyway"
        );
        // The last Owner, seen by another Owner: one sentence for role, suspend and remove.
        let alone = Facts {
            active_owners: 1,
            ..FACTS
        };
        let last = Decisions::of(&viewer(PermissionSet::all()), &owner, &alone);
        assert_eq!(
            last.reasons(),
            vec![
                "This is the workspace's last active Owner: make someone else an Owner before you change their role, suspend or remove them."
            ]
        );
    }
}
