//! `seed-demo`: fill a workspace with realistic members, groups, apps and assets.

use serde_json::json;

use crate::clock;
use crate::db::{self, AnyConnection, Lock};
use crate::domain::plan::Plan;
use crate::domain::role::BuiltInRole;
use crate::domain::{NewPassword, Slug};
use crate::services::{invitations, passwords};
use crate::store::{audit, roles, seed, workspaces};

/// Members written per statement: large enough to be fast, small enough to show progress.
pub const CHUNK: i64 = 50_000;

/// Adds `users` members to the workspace (created on the Enterprise plan if missing), calling
/// `progress` with the number written after each chunk.
pub fn seed_demo(
    conn: &mut AnyConnection,
    slug: &Slug,
    users: i64,
    mut progress: impl FnMut(i64),
) -> anyhow::Result<()> {
    // Seeded people get a real hash of a password nobody knows: they exist, but cannot sign in.
    let hidden = NewPassword::parse(&crate::tokens::new_token())?;
    let password_hash = passwords::hash_password(&hidden)?;
    let now = clock::now();
    // Before any transaction (SQLite changes where temporary tables live only outside one): a
    // million rows land in several indexes at random places, kept in memory (the cache only
    // grows as far as it is used; this connection is the seeding command's).
    if let Some(settings) = crate::store::dialect::bulk_load_settings(conn) {
        diesel::connection::SimpleConnection::batch_execute(conn, settings)?;
    }
    let role_ids = [
        roles::built_in_id(conn, BuiltInRole::Admin)?.0,
        roles::built_in_id(conn, BuiltInRole::Auditor)?.0,
        roles::built_in_id(conn, BuiltInRole::Member)?.0,
    ];
    let workspace = db::write_transaction(conn, Lock::Organization, |conn| {
        workspace_to_seed(conn, slug, users, now)
    })?;

    let start: i64 = next_number(conn)?;
    // One transaction for the whole seed: every index page is written once, not once per chunk.
    db::write_transaction(
        conn,
        Lock::Workspace(workspace),
        |conn| -> anyhow::Result<()> {
            let paused = seed::pause_for_bulk_load(conn, workspace, users)?;
            let mut written = 0;
            while written < users {
                let count = CHUNK.min(users - written);
                let first = start + written;
                seed::insert_members(
                    conn,
                    workspace,
                    first,
                    first + count - 1,
                    &password_hash,
                    role_ids,
                )?;
                written += count;
                progress(written);
            }
            seed::resume_after_bulk_load(conn, workspace, paused)?;
            // A workspace without an active Owner (a new one, or one whose first seed was cut
            // short) gets one: the first active Member (see `make_an_owner` for tiny seeds).
            if crate::store::memberships::count_active_owners(conn, workspace)? == 0 {
                let owner = roles::built_in_id(conn, BuiltInRole::Owner)?;
                let preferred = [role_ids[2], role_ids[0], role_ids[1]];
                seed::make_an_owner(conn, workspace, &preferred, owner.0, now)?;
            }
            seed::finish(conn, workspace, role_ids[0], now)?;
            audit::record(
                conn,
                &audit::Actor::command_line(),
                &audit::NewEvent {
                    workspace_id: Some(workspace),
                    action: "workspace.seeded",
                    target_type: "workspace",
                    target_id: Some(workspace.0),
                    target_label: slug.as_str(),
                    changes: json!({ "members_added": users }),
                },
                now,
            )?;
            Ok(())
        },
    )?;
    seed::refresh_statistics(conn)?;
    Ok(())
}

/// The workspace to seed, made (on the Enterprise plan) when it does not exist, and ready for
/// `users` more members: refused when they do not fit its seats.
fn workspace_to_seed(
    conn: &mut AnyConnection,
    slug: &Slug,
    users: i64,
    now: chrono::NaiveDateTime,
) -> anyhow::Result<crate::domain::ids::WorkspaceId> {
    let workspace = match workspaces::find_by_slug(conn, slug.as_str())? {
        Some(w) => {
            // Seeding obeys the seat limit like everything else (PRODUCT §4.4).
            // The members, and the pending invitations added after them.
            if let Some(limit) = w.seat_limit {
                let adding = users + pending_invitations_for(users) as i64;
                anyhow::ensure!(
                    w.counts.seats_used() + adding <= limit,
                    "/w/{slug} is on the {} plan with {limit} seats, {} in use: {users} more members \
                     and {} pending invitations do not fit. Seed a new workspace instead (it gets \
                     the Enterprise plan).",
                    w.plan.name(),
                    w.counts.seats_used(),
                    adding - users
                );
            }
            w.id
        }
        None => {
            // An old URL name leads to the renamed workspace for good.
            if let Some(current) = workspaces::redirect_for(conn, slug.as_str())? {
                anyhow::bail!("/w/{slug} was renamed to /w/{current}: seed --workspace {current}");
            }
            workspaces::insert(conn, "Demo", slug, Plan::Enterprise, now)?
        }
    };
    seed::prepare(conn, workspace, now)?;
    seed::index_groups(conn, workspace)?;
    Ok(workspace)
}

/// The number the next seeded person gets (emails stay unique across runs).
fn next_number(conn: &mut AnyConnection) -> Result<i64, diesel::result::Error> {
    use diesel::RunQueryDsl;
    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "COALESCE(MAX(id), 0) + 1 FROM accounts",
    ))
    .get_result(conn)
}

/// How many pending invitations `seed-demo` adds for `users` members: a few, up to 50.
pub fn pending_invitations_for(users: i64) -> usize {
    (users / 1000).clamp(3, 50) as usize
}

/// Adds `count` pending invitations (with their emails in the outbox), as the command line.
pub fn invite_pending(
    conn: &mut AnyConnection,
    slug: &Slug,
    count: usize,
    settings: &invitations::InviteSettings,
) -> anyhow::Result<usize> {
    let workspace = workspaces::find_by_slug(conn, slug.as_str())?
        .ok_or_else(|| anyhow::anyhow!("no workspace /w/{slug}"))?;
    let first = next_number(conn)?;
    let addresses = (0..count as i64)
        .map(|i| format!("invitee{}@example.com", first + i))
        .collect::<Vec<_>>()
        .join(" ");
    let actor = audit::Actor::command_line();
    let inviter = invitations::Inviter {
        actor: &actor,
        permissions: crate::domain::role::PermissionSet::all(),
    };
    let request = invitations::InviteRequest {
        workspace: workspace.id,
        addresses: crate::domain::invitation::parse_address_list(&addresses),
        role: BuiltInRole::Member.key().to_owned(),
        group_ids: Vec::new(),
        app_ids: Vec::new(),
    };
    match invitations::invite_members(conn, &inviter, &request, settings, clock::now()) {
        Ok(invited) => Ok(invited.len()),
        Err(invitations::InviteError::Invalid(problems)) => {
            anyhow::bail!(
                "pending invitations refused: {}",
                problems
                    .emails
                    .unwrap_or_else(|| format!("{:?}", problems.addresses))
            )
        }
        Err(e) => Err(e.into()),
    }
}
