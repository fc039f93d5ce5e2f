//! `/w/{slug}/users`: the users list (members and pending invitations), searched and paged.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::auth::{Chrome, WorkspaceAccess, cached_chrome};
use super::error::{AppError, redirect};
use super::frame_cache::{AsOf, Choices};
use super::htmx::page_or_fragment;
use super::views::Choice;
use super::{AppState, blocking, views};
use crate::clock;
use crate::db::AnyConnection;
use crate::domain::ids::{MembershipId, WorkspaceId};
use crate::domain::membership::{AccountStatus, MembershipStatus};
use crate::domain::policy::{self, Facts, MemberAction, Target, TargetMembership, Viewer};
use crate::domain::role::Permission;
use crate::domain::sort::{MemberSort, SortKey, TimeAnchor};
use crate::domain::timezone::Timezone;
use crate::services::bulk::BulkAction;
use crate::services::members::{self, FilterParams};
use crate::services::roles::RoleChoice;
use crate::store::invitations::PendingInfo;
use crate::store::memberships::{self, Cursor, MemberPage, MemberRow, PageOf};

#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    #[serde(flatten)]
    pub filter: FilterParams,
    pub after: String,
    pub before: String,
    /// In a time order, where that row stood when its page was read (see `TimeAnchor`).
    pub at: String,
}

impl ListQuery {
    pub fn cursor(&self) -> Cursor {
        let at = TimeAnchor::parse(&self.at);
        match (
            MembershipId::parse(&self.after),
            MembershipId::parse(&self.before),
        ) {
            (Some(id), _) => Cursor::After(id, at),
            (None, Some(id)) => Cursor::Before(id, at),
            (None, None) => Cursor::First,
        }
    }
}

/// A row as the table shows it.
pub struct UserRow {
    pub id: MembershipId,
    pub name: String,
    pub email: String,
    pub avatar: views::Avatar,
    pub role: String,
    pub status_key: &'static str,
    pub status_label: &'static str,
    pub groups: String,
    /// (RFC 3339, "3 minutes ago"); the exact time is shown on hover in the viewer's own zone.
    pub last_active: Option<(String, String)>,
    /// (RFC 3339, "3 Nov 2026"); none while the invitation is pending.
    pub joined: Option<(String, String)>,
    /// Active in the last two minutes.
    pub online: bool,
    pub pending: Option<PendingView>,
    pub actions: RowActions,
    /// A removed member: when the purge deletes the membership for good.
    pub purge: Option<String>,
}

/// The row actions this viewer may take on this row (each is checked again by the server).
#[derive(Default)]
pub struct RowActions {
    pub suspend: bool,
    pub unsuspend: bool,
    pub remove: bool,
    pub restore: bool,
    /// A pending invitation's revoke, and its resend (not to a blocked account: its link could
    /// never be used).
    pub revoke: bool,
    pub resend: bool,
}

impl RowActions {
    /// The row's buttons: exactly what the policy allows this viewer on this member (`name`: the
    /// row's, as shown; `invited`: a pending invitation of theirs is listed with them).
    fn of(row: &MemberRow, name: &str, viewer: &Viewer, facts: &Facts, invited: bool) -> Self {
        let target = Target {
            account: row.account_id,
            name,
            org_role: row.org_role,
            account_status: row.account_status,
            // Only a reset link looks at it, and the list offers none.
            has_password: true,
            membership: Some(TargetMembership {
                role_name: &row.role_name,
                role: row.role_permissions,
                status: row.status,
            }),
            // Only the account-wide actions (profile, address, sessions) look at it, and the
            // list offers none of them.
            other_workspaces: 0,
            // Only blocking looks at it, and the list does not offer it.
            sole_owner_of: None,
        };
        let allows = |action| policy::decide(viewer, &target, facts, action).is_ok();
        let revoke = invited
            && policy::may_manage_invitation(viewer.permissions, row.role_permissions).is_ok();
        Self {
            suspend: allows(MemberAction::Suspend),
            unsuspend: allows(MemberAction::Unsuspend),
            remove: allows(MemberAction::Remove),
            restore: allows(MemberAction::Restore),
            revoke,
            resend: revoke && policy::resend_offered(row.account_status),
        }
    }

    /// The row menu's items, as `data-actions` names them for static/app.js ("suspend remove";
    /// "resend revoke" for a pending one).
    pub fn words(&self) -> String {
        [
            (self.suspend, "suspend"),
            (self.unsuspend, "unsuspend"),
            (self.restore, "restore"),
            (self.resend, "resend"),
            (self.revoke, "revoke"),
            (self.remove, "remove"),
        ]
        .into_iter()
        .filter(|(offered, _)| *offered)
        .map(|(_, word)| word)
        .collect::<Vec<_>>()
        .join(" ")
    }
}

impl UserRow {
    fn new(
        row: MemberRow,
        name: String,
        pending: Option<PendingView>,
        (now, zone): (chrono::NaiveDateTime, Timezone),
        actions: RowActions,
    ) -> Self {
        Self {
            id: row.id,
            name,
            avatar: views::Avatar::new(
                row.account_id.0,
                &row.first_name,
                &row.last_name,
                &row.email,
                row.avatar_key.as_deref(),
            ),
            role: row.role_name,
            status_key: views::status_badge(row.account_status, row.status).0,
            status_label: views::status_badge(row.account_status, row.status).1,
            groups: row.groups.clone(),
            joined: row.joined_at.map(|at| views::date(at, zone)),
            online: row
                .last_active_at
                .is_some_and(|at| views::is_online(at, now)),
            last_active: row
                .last_active_at
                .map(|at| (views::rfc3339(at), views::relative(at, now, zone))),
            purge: row.removed_at.map(|at| {
                let from = crate::domain::membership::purged_from(at);
                if from <= now {
                    "Deleted for good at the next daily purge: invite them again instead".to_owned()
                } else {
                    format!("Can be restored until {}", views::local_date(from, zone))
                }
            }),
            email: row.email,
            pending,
            actions,
        }
    }
}

/// A pending invitation's row details.
pub struct PendingView {
    pub invitation_id: i64,
    /// While it may not be sent again yet: when it may (Unix seconds), for the row menu.
    pub resend_at: Option<i64>,
    pub delivery_key: &'static str,
    pub delivery_label: &'static str,
    pub sent: String,
    pub expires: String,
}

impl PendingView {
    /// The invitation's state, its times in the viewer's `zone`.
    fn of(p: &PendingInfo, zone: Timezone, now: chrono::NaiveDateTime) -> Self {
        // When the invitation was made (or made again), not when its email went: the delivery
        // label beside it says whether it has.
        let at = p.last_sent_at.map(|at| zone.local_text(at));
        let sent = match (p.sent_count, at) {
            (1, Some(at)) => format!("Invited {at}"),
            (n, Some(at)) => format!("Invited {n} times, last {at}"),
            (1, None) => "Invited once".to_owned(),
            (n, None) => format!("Invited {n} times"),
        };
        Self {
            invitation_id: p.invitation_id,
            resend_at: crate::domain::policy::resend_allowed_at(p.last_sent_at)
                .filter(|at| *at > now)
                .map(|at| at.and_utc().timestamp()),
            delivery_key: p.delivery.key(),
            delivery_label: p.delivery.label(),
            sent,
            expires: views::local_date(p.expires_at, zone),
        }
    }
}

#[derive(Template)]
#[template(path = "users/list.html", blocks = ["results"])]
struct UsersPage {
    chrome: Chrome,
    slug: String,
    q: String,
    /// The filter menus, each with its current choice.
    statuses: Vec<Choice>,
    roles: Vec<Choice>,
    groups: Vec<Choice>,
    /// The order as the address carries it (kept by the search form), and each sortable column's
    /// header link.
    sort: String,
    columns: SortColumns,
    filtered: bool,
    /// Why nobody is listed: a filter value this workspace does not have.
    unknown_filter: Option<String>,
    inactivity: Vec<Choice>,
    /// The bulk bar: the list's filters it carries (the role filter as `filter_role`), the roles
    /// it may give and the groups it may add to; `None` without any bulk action to offer.
    bulk: Option<BulkBar>,
    /// "1,204 people not active for 30 days (never-active ones included) hold a seat."
    dormant: Option<String>,
    /// The CSV of exactly this view, when this person may export.
    export_url: Option<String>,
    summary: String,
    seats: Option<String>,
    rows: Vec<UserRow>,
    prev_url: Option<String>,
    next_url: Option<String>,
    /// This page's own address, for reloading the rows after a change.
    self_url: String,
    can_invite: bool,
    /// Nobody here yet but the viewer, who may invite: the first steps are offered.
    getting_started: bool,
    /// Whether the viewer's role sees groups (`groups.view`): the Groups column and filter.
    sees_groups: bool,
    /// The viewer's time zone (IANA): exact times are shown in it on hover.
    timezone: String,
    /// Some row may have an action for this viewer.
    actions_column: bool,
    /// Rendering only the rows (htmx): the head's counts come along out of band.
    fragment: bool,
}

/// The list's address with these filters (and a cursor, if any), for links that keep the view.
fn list_url(
    slug: &str,
    path: &str,
    filter: &FilterParams,
    cursor: Option<(&str, MembershipId, Option<TimeAnchor>)>,
) -> String {
    let mut params = filter.pairs();
    if let Some((key, id, at)) = cursor {
        params.push((key, id.to_string()));
        if let Some(at) = at {
            params.push(("at", at.param()));
        }
    }
    if params.is_empty() {
        format!("/w/{slug}/{path}")
    } else {
        format!(
            "/w/{slug}/{path}?{}",
            serde_html_form::to_string(&params).unwrap_or_default()
        )
    }
}

/// The filters as links carry them: only a known, non-default order.
fn tidy(filter: &FilterParams) -> FilterParams {
    FilterParams {
        q: filter.q.clone(),
        // "invited" (the status's key: the CSV's and the API's word) is the menu's "pending".
        status: match filter.status.as_str() {
            "invited" => "pending".to_owned(),
            other => other.to_owned(),
        },
        sort: Some(filter.sort())
            .filter(|s| !s.is_default())
            .map(MemberSort::param)
            .unwrap_or_default(),
        ..filter.clone()
    }
}

/// The workspace holds its one member (the viewer) and no invitation: a new workspace.
fn alone(access: &WorkspaceAccess) -> bool {
    let counts = access.workspace.counts;
    counts.active + counts.suspended <= 1 && counts.invited == 0
}

/// "50 shown · 1,204 members · 3 pending invitations" (the page's live status line: it changes, and
/// is read out, when a search or filter changes what is shown; a search or filter says how many
/// match as far as it knows: all of them on one page, "more than 50" when the page is full), and
/// the plan's seats when it has a limit.
fn head_counts(
    access: &WorkspaceAccess,
    page: &MemberPage,
    filtered: bool,
) -> (String, Option<String>) {
    let counts = access.workspace.counts;
    let shown = page.rows.len() as i64;
    let first = match (filtered, page.has_previous, page.has_next) {
        (true, false, false) => views::count(shown, "match", "matches"),
        (true, false, true) => format!("More than {} matches", views::number(shown)),
        (true, true, _) => format!("{} matches on this page", views::number(shown)),
        (false, ..) => format!("{} shown", views::number(shown)),
    };
    let in_all = if filtered { " in all" } else { "" };
    let summary = format!(
        "{first} · {}{in_all} · {}",
        views::count(counts.active + counts.suspended, "member", "members"),
        views::count(counts.invited, "pending invitation", "pending invitations")
    );
    let seats = access.workspace.seat_limit.map(|limit| {
        format!(
            "{} plan: {}",
            access.workspace.plan.name(),
            views::seats_used(counts.seats_used(), Some(limit))
        )
    });
    (summary, seats)
}

/// The page's rows as the table shows them, each with the actions this viewer may take on it.
fn rows(access: &WorkspaceAccess, listed: members::ListPage, facts: &Facts) -> Vec<UserRow> {
    let members::ListPage { page, pending } = listed;
    let (judged_as, zone) = (access.viewer(), access.signed_in.zone());
    let now = clock::now();
    page.rows
        .into_iter()
        .map(|mut row| {
            let info = pending
                .iter()
                .find(|p| p.membership_id == row.id)
                .map(|p| PendingView::of(p, zone, now));
            // The name is worked out once: the row shows it, and a refusal would say it.
            let name = row.name();
            let actions = RowActions::of(&row, &name, &judged_as, facts, info.is_some());
            // Whoever reads the list is active now, whatever was last written (at most once a
            // minute, and only after a first minute).
            if row.account_id == access.signed_in.account.id {
                row.last_active_at = Some(now);
            }
            UserRow::new(row, name, info, (now, zone), actions)
        })
        .collect()
}

/// The addresses of the pages before and after this one, keeping the view's filters.
fn page_links(
    slug: &str,
    params: &FilterParams,
    page: &MemberPage,
) -> (Option<String>, Option<String>) {
    let sort = params.sort().key;
    let link = |row: Option<&MemberRow>, key| {
        row.map(|r| {
            list_url(
                slug,
                "users",
                params,
                Some((key, r.id, r.time_anchor(sort))),
            )
        })
    };
    (
        link(page.rows.first(), "before").filter(|_| page.has_previous),
        link(page.rows.last(), "after").filter(|_| page.has_next),
    )
}

/// What the bulk bar above the rows offers.
struct BulkBar {
    filters: Vec<(&'static str, String)>,
    actions: Vec<(&'static str, &'static str)>,
    /// What the actions do, for [`BulkBar::ticks`].
    changes: Vec<BulkAction>,
    /// The rows of this page that get a box.
    tickable: usize,
    roles: Vec<Choice>,
    groups: Vec<Choice>,
}

impl BulkBar {
    /// The actions this viewer's role allows (each person is judged again when previewed).
    fn of(
        access: &WorkspaceAccess,
        params: &FilterParams,
        roles: &[RoleChoice],
        groups: &[(i64, String)],
    ) -> Option<Self> {
        // The permission each takes is the action's own (`BulkAction::permission`).
        let offered = [
            ("suspend", "Suspend", BulkAction::Suspend),
            ("unsuspend", "Unsuspend", BulkAction::Unsuspend),
            (
                "change_role",
                "Change role to…",
                BulkAction::ChangeRole(String::new()),
            ),
            ("add_to_group", "Add to group…", BulkAction::AddToGroup(0)),
            (
                "remove_from_group",
                "Remove from group…",
                BulkAction::RemoveFromGroup(0),
            ),
            ("remove", "Remove from workspace", BulkAction::Remove(None)),
            ("resend", "Resend invitations", BulkAction::Resend),
            ("revoke", "Revoke invitations", BulkAction::Revoke),
        ];
        let counts = &access.workspace.counts;
        let (actions, changes): (Vec<_>, Vec<_>) = offered
            .into_iter()
            .filter(|(_, _, action)| {
                access.can(action.permission())
                    && action.applies_to(&params.status)
                    && action.finds_anyone(counts)
            })
            .filter(|(key, _, _)| !key.contains("group") || !groups.is_empty())
            .map(|(key, label, action)| ((key, label), action))
            .unzip();
        if actions.is_empty() {
            return None;
        }
        let choice = |value: String, label: &str| Choice {
            value,
            label: label.to_owned(),
            selected: false,
        };
        // The role filter always travels as `filter_role` (empty: any role), so the bar's own
        // `role` (the role to give) is never taken for it.
        let mut filters: Vec<(&'static str, String)> = params
            .pairs()
            .into_iter()
            .filter(|(key, _)| !matches!(*key, "sort" | "role"))
            .collect();
        filters.push(("filter_role", params.role.clone()));
        let uses_groups = actions.iter().any(|(key, _)| key.contains("group"));
        let gives_roles = actions.iter().any(|(key, _)| *key == "change_role");
        Some(Self {
            filters,
            // The role menu only with "Change role to…", and only the roles this viewer may give
            // (an Admin is not offered Owner: every person would be skipped).
            roles: roles
                .iter()
                .filter(|r| {
                    gives_roles
                        && crate::domain::policy::may_grant_role(access.permissions, r.permissions)
                            .is_ok()
                })
                .map(|r| choice(r.key.clone(), &r.name))
                .collect(),
            // The group menu only with an action that uses it.
            groups: groups
                .iter()
                .filter(|_| uses_groups)
                .map(|(id, name)| choice(id.to_string(), name))
                .collect(),
            actions,
            changes,
            tickable: 0,
        })
    }

    /// Whether a row of this status gets a box: some action of the bar can change it (an
    /// inviter's bar ticks only pending invitations).
    fn ticks(&self, status_key: &str) -> bool {
        self.changes.iter().any(|c| c.applies_to(status_key))
    }
}

/// The filter menus, each with the view's current choice.
struct Menus {
    statuses: Vec<Choice>,
    roles: Vec<Choice>,
    groups: Vec<Choice>,
    inactivity: Vec<Choice>,
}

/// A sortable column's header: the link that orders by it (the other way round when it already
/// does), its `aria-sort` when it is the order, and what the link does, in words.
struct SortLink {
    url: String,
    aria: Option<&'static str>,
    does: &'static str,
}

struct SortColumns {
    name: SortLink,
    email: SortLink,
    last_active: SortLink,
    joined: SortLink,
}

impl SortColumns {
    fn of(slug: &str, params: &FilterParams) -> Self {
        let current = params.sort();
        let link = |key: SortKey| {
            // A first click orders names A to Z and times newest first.
            let next = if current.key == key {
                MemberSort::new(key, !current.descending)
            } else {
                MemberSort::new(key, matches!(key, SortKey::LastActive | SortKey::Joined))
            };
            let sorted = FilterParams {
                sort: next.param(),
                ..params.clone()
            };
            SortLink {
                url: list_url(slug, "users", &tidy(&sorted), None),
                aria: (current.key == key).then(|| current.aria()),
                does: next.label(),
            }
        };
        Self {
            name: link(SortKey::Name),
            email: link(SortKey::Email),
            last_active: link(SortKey::LastActive),
            joined: link(SortKey::Joined),
        }
    }
}

/// The dormancy menu's offers; the address bar takes any number of days.
const INACTIVITY_DAYS: [i64; 5] = [30, 60, 90, 180, 365];

impl Menus {
    fn of(params: &FilterParams, roles: &[RoleChoice], groups: &[(i64, String)]) -> Self {
        let choice = |value: &str, label: &str, current: &str| Choice {
            value: value.to_owned(),
            label: label.to_owned(),
            selected: value == current,
        };
        let mut statuses = vec![choice("", "All but removed", &params.status)];
        statuses.extend(MembershipStatus::ALL.iter().map(|s| {
            let value = match s {
                MembershipStatus::Invited => "pending",
                other => other.key(),
            };
            choice(value, s.label(), &params.status)
        }));
        let blocked = AccountStatus::Blocked;
        statuses.push(choice(blocked.key(), blocked.label(), &params.status));
        statuses.push(choice(
            crate::services::members::TWO_FACTOR_OFF,
            "Two-factor off",
            &params.status,
        ));
        let roles = std::iter::once(choice("", "Any role", &params.role))
            .chain(roles.iter().map(|r| choice(&r.key, &r.name, &params.role)))
            .collect();
        let groups = std::iter::once(choice("", "Any group", &params.group))
            .chain(
                groups
                    .iter()
                    .map(|(id, name)| choice(&id.to_string(), name, &params.group)),
            )
            .collect();
        let asked = params.inactive_days();
        let mut days: Vec<i64> = INACTIVITY_DAYS.to_vec();
        if let Some(other) = asked.filter(|d| !days.contains(d)) {
            days.push(other);
            days.sort_unstable();
        }
        let current = asked.map(|d| d.to_string()).unwrap_or_default();
        let inactivity = std::iter::once(choice("", "Any activity", &current))
            .chain(days.iter().map(|d| {
                choice(
                    &d.to_string(),
                    &format!("Not active for {d} days"),
                    &current,
                )
            }))
            .collect();
        Self {
            statuses,
            roles,
            groups,
            inactivity,
        }
    }
}

/// How many seats people inactive for `days` hold, in words (`None`: more than the count's cap).
fn dormant_words(seats: Option<i64>, days: i64) -> String {
    let (people, verb) = match seats {
        Some(1) => ("1 person".to_owned(), "holds"),
        Some(n) => (views::count(n, "person", "people"), "hold"),
        None => (
            format!(
                "more than {}",
                views::count(members::DORMANT_COUNT_CAP, "person", "people")
            ),
            "hold",
        ),
    };
    let days = views::count(days, "day", "days");
    // The whole workspace's, whatever else the list is filtered by.
    format!(
        "In this workspace, {people} not active for {days} (never-active ones included) {verb} a \
         seat."
    )
}

/// The workspace's first page this person may open.
pub async fn workspace_home(access: WorkspaceAccess) -> HttpResponse {
    let page = policy::home_page(access.permissions).unwrap_or("users");
    redirect(&format!("/w/{}/{page}", access.workspace.slug))
}

/// What a page of the users list reads: the page with its pending deliveries, the dormant seats
/// when it is filtered by inactivity, and the workspace's roles and groups for the menus.
pub struct ListRead {
    listed: members::ListPage,
    dormant: Option<Option<i64>>,
    choices: std::sync::Arc<Choices>,
    /// A filter value the workspace does not have: nobody is listed, and the page says why.
    unknown: Option<members::UnknownFilter>,
}

/// Reads the page of the users list `query` asks for in `workspace`, as of `cached`.
pub fn read_list(
    conn: &mut AnyConnection,
    cached: &AsOf,
    workspace: WorkspaceId,
    query: &ListQuery,
    now: chrono::NaiveDateTime,
) -> Result<ListRead, AppError> {
    let params = tidy(&query.filter);
    let choices = cached.choices(conn, workspace)?;
    let filter = match members::resolve_filter(conn, workspace, &params, now)? {
        Ok(filter) => filter,
        Err(unknown) => {
            return Ok(ListRead {
                listed: members::ListPage::default(),
                dormant: None,
                choices,
                unknown: Some(unknown),
            });
        }
    };
    let wanted = PageOf {
        filter: &filter,
        sort: params.sort(),
        cursor: query.cursor(),
        size: members::PAGE_SIZE,
    };
    let page = cached.list_page(conn, workspace, wanted, &choices.groups)?;
    let listed = members::with_pending(conn, page)?;
    let dormant = filter
        .inactive_before
        .map(|cutoff| members::dormant_seats(conn, workspace, cutoff))
        .transpose()?;
    Ok(ListRead {
        listed,
        dormant,
        choices,
        unknown: None,
    })
}

/// The list's read and the page frame, in one trip to the database (a fragment has no frame):
/// taken as read with the session's check when it was (PostgreSQL), the frame from the cache.
async fn read_with_chrome(
    state: &AppState,
    access: &WorkspaceAccess,
    query: ListQuery,
    fragment: bool,
) -> Result<(ListRead, Option<Chrome>), AppError> {
    let workspace = access.workspace.id;
    let chrome_loader = (!fragment).then(|| access.chrome_loader("users"));
    let early = super::prefetch::take_list(workspace, &query)
        .and_then(|read| Some((read, cached_chrome(chrome_loader.as_ref())?)));
    if let Some(early) = early {
        return Ok(early);
    }
    let cached = access.cached.clone();
    let now = clock::now();
    blocking(state, move |conn| {
        let read = read_list(conn, &cached, workspace, &query, now)?;
        Ok((read, chrome_loader.map(|l| l.load(conn)).transpose()?))
    })
    .await
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersView)?;
    let mut query = query.into_inner();
    // A role that does not see groups neither filters by one nor reads who is in which.
    let sees_groups = access.can(Permission::GroupsView);
    if !sees_groups {
        query.filter.group.clear();
    }
    let params = tidy(&query.filter);
    let fragment = super::htmx::wants_fragment(&req);
    let (read, chrome) = read_with_chrome(&state, &access, query, fragment).await?;
    let ListRead {
        listed,
        dormant,
        choices,
        unknown,
    } = read;
    let slug = access.workspace.slug.clone();
    let (prev_url, next_url) = page_links(&slug, &params, &listed.page);
    let groups = if sees_groups {
        &choices.groups[..]
    } else {
        &[]
    };
    let menus = Menus::of(&params, &choices.roles, groups);
    let (summary, seats) = head_counts(&access, &listed.page, !params.is_empty());
    let rows = rows(&access, listed, &choices.facts);
    let bulk = BulkBar::of(&access, &params, &choices.roles, groups).map(|mut bar| {
        bar.tickable = rows.iter().filter(|r| bar.ticks(r.status_key)).count();
        bar
    });
    let chrome = chrome.map(|mut chrome| {
        chrome.flash = access.take_flash();
        chrome
    });
    let page = UsersPage {
        chrome: chrome.unwrap_or_else(|| Chrome::fragment_only(&access.signed_in.csrf_token)),
        slug: slug.clone(),
        q: params.q.to_string(),
        statuses: menus.statuses,
        roles: menus.roles,
        groups: menus.groups,
        inactivity: menus.inactivity,
        bulk,
        dormant: dormant
            .zip(params.inactive_days())
            .map(|(seats, days)| dormant_words(seats, days)),
        sort: tidy(&params).sort,
        columns: SortColumns::of(&slug, &params),
        filtered: !params.is_empty(),
        unknown_filter: unknown.map(|u| u.to_string()),
        export_url: access.can(Permission::UsersExport).then(|| {
            // The CSV comes in id order (it streams): its link carries no sort.
            let filters = FilterParams {
                sort: String::new(),
                ..params.clone()
            };
            list_url(&slug, "users.csv", &filters, None)
        }),
        summary,
        seats,
        rows,
        prev_url,
        next_url,
        self_url: req
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str().to_owned())
            .unwrap_or_default(),
        can_invite: access.can(Permission::UsersInvite),
        getting_started: access.can(Permission::UsersInvite) && alone(&access),
        sees_groups,
        timezone: access.signed_in.account.timezone.clone(),
        actions_column: [
            Permission::UsersInvite,
            Permission::UsersSuspend,
            Permission::UsersRemove,
        ]
        .into_iter()
        .any(|p| access.can(p)),
        fragment,
    };
    page_or_fragment(&req, &page, |p| p.as_results().render())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SuggestQuery {
    /// What is typed: `q`, or the field's own name (htmx sends the input under its name).
    q: String,
    owner_email: String,
    email: String,
}

#[derive(Template)]
#[template(
    source = "{% for (email, name) in people %}<option value=\"{{ email }}\">{{ name }}</option>{% endfor %}",
    ext = "html"
)]
struct Suggestions {
    people: Vec<(String, String)>,
}

/// Type-ahead for an address field (an app's owner, a grant): up to 10 current members whose name
/// or address contains what is typed, as `<option>`s for the field's `<datalist>` (the browser
/// offers them; arrows, Enter and Escape work as in any list).
pub async fn suggest(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    query: web::Query<SuggestQuery>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersView)?;
    let query = query.into_inner();
    let typed = [query.q, query.owner_email, query.email]
        .into_iter()
        .find(|t| !t.trim().is_empty())
        .unwrap_or_default();
    let search = crate::domain::SearchTerm::parse(&typed);
    let workspace = access.workspace.id;
    let rows = blocking(&state, move |conn| {
        let filter = crate::store::memberships::ListFilter {
            search: search.non_empty(),
            ..Default::default()
        };
        let wanted = PageOf::first(&filter, 10);
        Ok(memberships::list_page(conn, workspace, wanted, Default::default())?.rows)
    })
    .await?;
    let people = rows
        .into_iter()
        .filter(|r| r.status != MembershipStatus::Removed)
        .map(|r| (r.email.clone(), r.name()))
        .collect();
    Ok(super::htmx::varying_html(
        actix_web::http::StatusCode::OK,
        Suggestions { people }.render()?,
    ))
}
