//! Every route, asked by every kind of person: one row per route of the product's own route table
//! (`web::routes::ALL`), and in each row the answer each of eleven actors must get, written here
//! from the rules (PRODUCT §3–§6, README "Choices we made"), never computed by the product's policy.
//!
//! The world (people, roles, a second workspace, a group, an app with a grant, a pending
//! invitation, an email change, a picture…) is made only through the console's own HTTP flows.
//! Refused cells and GETs are asked of that world and must change nothing in its database;
//! allowed POSTs change it, so each of them is asked of a fresh copy of the world, served by a
//! fresh `Application` with the same settings (sessions live in the database, so the cookies hold).
//! Cookies are sent by hand, so an answer that ends a session cannot change what later cells send.
//! Every wrong cell is collected and the test fails once, with the whole list.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use actix_web::dev::ServerHandle;
use admin_console::config::Settings;
use admin_console::db::{self, Backend, Pool};
use admin_console::startup::{Application, SESSION_COOKIE};
use admin_console::web::routes;
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};

use crate::common::{self, OWNER_EMAIL, OWNER_PASSWORD, TestApp, TestDatabase, csrf_in, location};

const GET: &str = "get";
const POST: &str = "post";
const FORM: &str = "application/x-www-form-urlencoded";
/// The password `TestApp::accept_as_new` gives everyone who accepts an invitation.
const PASSWORD: &str = "a brand new passphrase";
/// Copies of the world served at once (each a database, a server and one request).
const COPY_WORKERS: usize = 2;

// -------------------------------------------------------------------------------------------------
// Who asks

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    /// Only a signed-out session (from `GET /login`, so it has a CSRF token).
    Anonymous,
    /// The built-in Member role: no console permission.
    Member,
    /// The built-in Auditor role.
    Auditor,
    /// A custom role holding only `users.suspend`.
    Suspender,
    /// A custom role holding `users.view` and `users.suspend`.
    Support,
    /// A Member, suspended in /w/acme, signed in again afterwards.
    Suspended,
    /// A Member whose account was blocked organization-wide: the session they had is dead.
    Blocked,
    /// A Member removed from /w/acme, signed in again afterwards.
    Removed,
    /// Admin of /w/labs, not a member of /w/acme.
    Outsider,
    /// The built-in Admin role (not an org admin).
    Admin,
    /// Ada: Owner of /w/acme and org owner.
    Owner,
}

use Actor::*;

const ACTORS: [Actor; 11] = [
    Anonymous, Member, Auditor, Suspender, Support, Suspended, Blocked, Removed, Outsider, Admin,
    Owner,
];

impl Actor {
    fn index(self) -> usize {
        self as usize
    }

    /// What the actor may do in /w/acme (PRODUCT §3; the custom roles are made in `build_world`).
    /// `org.admin` stands for org owners and org admins (blocking, the organization's pages).
    fn holds(self, permission: &str) -> bool {
        match self {
            Owner => true,
            Admin => !matches!(permission, "owner" | "org.admin" | "api_keys.manage"),
            Auditor => matches!(
                permission,
                "users.view" | "groups.view" | "apps.view" | "audit.view" | "users.export"
            ),
            Support => matches!(permission, "users.view" | "users.suspend"),
            Suspender => permission == "users.suspend",
            _ => false,
        }
    }

    /// Their role opens at least one page of /w/acme's console (a role holding only
    /// `users.suspend` opens none: it cannot see whom it would suspend).
    fn has_console(self) -> bool {
        matches!(self, Auditor | Support | Admin | Owner)
    }

    /// Where signing in takes them: their first workspace console, else their profile (README).
    /// The anonymous visitor signs in as the target, a plain Member.
    fn landing(self) -> &'static str {
        match self {
            Auditor | Support | Admin | Owner => "/w/acme/users",
            Outsider => "/w/labs/users",
            Anonymous | Member | Suspender | Suspended | Blocked | Removed => "/me",
        }
    }
}

// -------------------------------------------------------------------------------------------------
// The answers

#[derive(Debug, Clone, PartialEq)]
enum Expect {
    /// 200.
    Page,
    /// 201: made (an API key: the page shows its secret once).
    Created,
    /// 401 (the API: no API key, whatever the session).
    Unauthorized,
    /// 303 to exactly this.
    See(String),
    /// 303 to somewhere under this (a new id).
    SeeUnder(String),
    /// 303 to the sign-in page (`/login`, or `/login?next=…` back to the page asked).
    Login,
    /// 303 to `/me`: Members see only their own profile.
    ToMe,
    Forbidden,
    NotFound,
    Conflict,
    /// 422: the form was refused (a wrong code), not the person.
    Unprocessable,
    /// One of two documented answers.
    Either(Box<Expect>, Box<Expect>),
}

use Expect::*;

fn see(to: impl Into<String>) -> Expect {
    See(to.into())
}

impl Expect {
    /// The request does what it asks (and may change the database).
    fn allowed(&self) -> bool {
        match self {
            Page | Created | See(_) | SeeUnder(_) => true,
            Either(a, b) => a.allowed() || b.allowed(),
            _ => false,
        }
    }

    fn matches(&self, answer: &Answer) -> bool {
        let (status, to) = (answer.status, answer.location.as_str());
        match self {
            Page => status == 200,
            Created => status == 201,
            Unauthorized => status == 401,
            See(expected) => status == 303 && to == expected,
            SeeUnder(prefix) => status == 303 && to.starts_with(prefix.as_str()),
            Login => status == 303 && (to == "/login" || to.starts_with("/login?next=")),
            ToMe => status == 303 && to == "/me",
            Forbidden => status == 403,
            NotFound => status == 404,
            Conflict => status == 409,
            Unprocessable => status == 422,
            Either(a, b) => a.matches(answer) || b.matches(answer),
        }
    }
}

type Cells = [Expect; 11];

fn cells(expect: impl Fn(Actor) -> Expect) -> Cells {
    ACTORS.map(expect)
}

/// A signed-out visitor is sent to sign in (a POST too: its session has a CSRF token). The blocked
/// person's session ended with the block: a GET is sent to sign in, and so is a POST carrying the
/// token of the session that ended (it is not taken for a stale form).
fn signed_out(actor: Actor, _method: &str) -> Option<Expect> {
    match actor {
        Anonymous | Blocked => Some(Login),
        _ => None,
    }
}

/// Open to everyone; a POST from the blocked person's ended session is sent to sign in, but for
/// a page's form that needs no sign-in (sign-in itself, a link's), which says the form expired
/// (a reload mends it).
fn public(method: &str, pattern: &str, ok: Expect) -> Cells {
    const NEED_NO_SIGN_IN: [&str; 6] = [
        "/setup",
        "/login",
        "/password/forgot",
        "/password/reset/{token}",
        "/invite/{token}",
        "/email-change/{token}",
    ];
    cells(|a| match a {
        Blocked if method == POST && NEED_NO_SIGN_IN.contains(&pattern) => Forbidden,
        Blocked if method == POST => Login,
        _ => ok.clone(),
    })
}

/// One's own profile: anyone signed in, whatever their workspaces say.
fn own(method: &str, ok: Expect) -> Cells {
    cells(|a| signed_out(a, method).unwrap_or_else(|| ok.clone()))
}

/// The organization's pages: org owners and org admins only (a workspace Admin is not one).
fn org(method: &str, ok: Expect) -> Cells {
    cells(|a| {
        signed_out(a, method).unwrap_or_else(|| {
            if a.holds("org.admin") {
                ok.clone()
            } else {
                Forbidden
            }
        })
    })
}

/// A page or action of /w/acme: a role that opens no page of it (Members, the suspend-only role)
/// is sent to its profile from a page and refused (403) a form, so no script takes the answer for
/// a success; a suspended member gets 403, people outside it (removed, another workspace's) 404 so
/// its name does not leak; the console roles get `ok` when `allowed` says their role permits it,
/// else 403.
fn workspace(method: &str, ok: Expect, allowed: impl Fn(Actor) -> bool) -> Cells {
    cells(|a| {
        signed_out(a, method).unwrap_or_else(|| match a {
            Member | Suspender if method == GET => ToMe,
            Member | Suspender => Forbidden,
            Suspended => Forbidden,
            Removed | Outsider => NotFound,
            _ if allowed(a) => ok.clone(),
            _ => Forbidden,
        })
    })
}

// -------------------------------------------------------------------------------------------------
// The table

#[derive(Debug, Clone)]
enum Body {
    /// Only the CSRF token.
    Token,
    /// The CSRF token and these fields.
    Fields(Vec<(&'static str, String)>),
    /// Sign-in with the actor's own email and password.
    SignIn,
    /// The actor's own profile form, unchanged.
    Profile,
    /// The actor's password changed to another.
    Password,
    /// The actor's own password with a wrong two-factor code.
    PasswordAndWrongCode,
    /// A profile picture (multipart, the token as one of its parts).
    Picture,
}

struct Row {
    method: &'static str,
    pattern: &'static str,
    /// The path asked; `{own_session}` is the asking actor's own session id.
    path: String,
    body: Body,
    expect: Cells,
    /// A GET that writes when it succeeds (the users export records an audit event).
    writes: bool,
}

fn get(pattern: &'static str, path: impl Into<String>) -> Row {
    Row::new(GET, pattern, path.into())
}

fn post(pattern: &'static str, path: impl Into<String>) -> Row {
    Row::new(POST, pattern, path.into())
}

/// A route of the JSON API: it reads no session, so every actor (cookie and CSRF token
/// included) is 401 without an API key.
fn api(method: &'static str, pattern: &'static str, path: impl Into<String>) -> Row {
    Row::new(method, pattern, path.into()).each(|_| Unauthorized)
}

impl Row {
    fn new(method: &'static str, pattern: &'static str, path: String) -> Self {
        Self {
            method,
            pattern,
            path,
            body: Body::Token,
            expect: cells(|_| Forbidden),
            writes: false,
        }
    }

    /// Each actor's answer, from `expect`.
    fn each(mut self, expect: impl Fn(Actor) -> Expect) -> Self {
        self.expect = cells(expect);
        self
    }

    fn public(mut self, ok: Expect) -> Self {
        self.expect = public(self.method, self.pattern, ok);
        self
    }

    fn own(mut self, ok: Expect) -> Self {
        self.expect = own(self.method, ok);
        self
    }

    fn org(mut self, ok: Expect) -> Self {
        self.expect = org(self.method, ok);
        self
    }

    /// A workspace page or action needing every one of `needs`.
    fn ws(mut self, needs: &'static [&'static str], ok: Expect) -> Self {
        self.expect = workspace(self.method, ok, |a| needs.iter().all(|p| a.holds(p)));
        self
    }

    /// A workspace page for anyone with a console there (any permission at all).
    fn console(mut self, ok: Expect) -> Self {
        self.expect = workspace(self.method, ok, Actor::has_console);
        self
    }

    /// A workspace page open to any one of `needs`.
    fn ws_any(mut self, needs: &'static [&'static str], ok: Expect) -> Self {
        self.expect = workspace(self.method, ok, |a| needs.iter().any(|p| a.holds(p)));
        self
    }

    /// An explicit answer for one actor, where the row's shape does not say it.
    fn with(mut self, actor: Actor, expect: Expect) -> Self {
        self.expect[actor.index()] = expect;
        self
    }

    fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    fn fields(self, fields: &[(&'static str, &str)]) -> Self {
        self.body(Body::Fields(
            fields.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        ))
    }

    fn writes(mut self) -> Self {
        self.writes = true;
        self
    }

    /// Allowed POSTs (and GETs that write) change the world: they are asked of a copy of it.
    fn on_copy(&self, actor: Actor) -> bool {
        (self.method == POST || self.writes) && self.expect[actor.index()].allowed()
    }
}

/// What the world holds that rows point at.
#[derive(Debug, Clone, Default)]
struct Fixtures {
    /// A plain Member the member routes act on, with a session, in the group, granted the app.
    target: i64,
    target_account: i64,
    target_session: i64,
    /// Not in the group yet, and no grant of their own on the app.
    member: i64,
    suspended: i64,
    removed: i64,
    blocked: i64,
    blocked_account: i64,
    group: i64,
    app: i64,
    grant: i64,
    /// A custom role nobody holds.
    spare_role: i64,
    invitation: i64,
    /// A live API key of /w/acme, made by Ada.
    api_key: i64,
    invite_token: String,
    email_token: String,
    reset_token: String,
    avatar_key: String,
}

const MEMBER: (&str, &str, &str) = ("mona.member@example.com", "Mona", "Member");
const AUDITOR: (&str, &str, &str) = ("audrey.auditor@example.com", "Audrey", "Auditor");
const SUSPENDER: (&str, &str, &str) = ("sam.suspender@example.com", "Sam", "Suspender");
const SUPPORT: (&str, &str, &str) = ("sue.support@example.com", "Sue", "Support");
const SUSPENDED: (&str, &str, &str) = ("stan.suspended@example.com", "Stan", "Suspended");
const BLOCKED: (&str, &str, &str) = ("bob.blocked@example.com", "Bob", "Blocked");
const REMOVED: (&str, &str, &str) = ("rita.removed@example.com", "Rita", "Removed");
const OUTSIDER: (&str, &str, &str) = ("otto.outsider@example.com", "Otto", "Outsider");
const ADMIN: (&str, &str, &str) = ("adam.admin@example.com", "Adam", "Admin");
const TARGET: (&str, &str, &str) = ("tina.target@example.com", "Tina", "Target");
const NEWBIE: &str = "nina.newbie@example.com";
const TARGET_NEW_EMAIL: &str = "tina.new@example.com";

fn rows(f: &Fixtures) -> Vec<Row> {
    const VIEW: &[&str] = &["users.view"];
    // Acting on a member takes seeing them: every member action needs users.view as well.
    const SUSPEND: &[&str] = &["users.view", "users.suspend"];
    const EDIT: &[&str] = &["users.view", "users.edit"];
    const REMOVE: &[&str] = &["users.view", "users.remove"];
    const SETS_ROLES: &[&str] = &["users.view", "users.change_role"];
    const INVITE: &[&str] = &["users.invite"];
    const CHANGE_ROLE: &[&str] = &["users.change_role"];
    const EXPORT: &[&str] = &["users.export"];
    const ORG_ADMIN: &[&str] = &["org.admin"];
    const GROUPS_VIEW: &[&str] = &["groups.view"];
    const GROUPS_MANAGE: &[&str] = &["groups.manage"];
    const APPS_VIEW: &[&str] = &["apps.view"];
    const APPS_MANAGE: &[&str] = &["apps.manage"];
    const AUDIT: &[&str] = &["audit.view"];
    const SETTINGS: &[&str] = &["settings.manage"];
    const OWNER: &[&str] = &["owner"];
    // README: a member's Activity tab is the audit log's.
    const ACTIVITY: &[&str] = &["users.view", "audit.view"];
    // Managing an invitation (resend, revoke, its confirmation) takes seeing it and inviting.
    const INVITATION: &[&str] = &["users.view", "users.invite"];
    // README: the roles page is read by those who hand out roles and by auditors.
    const READS_ROLES: &[&str] = &["users.invite", "users.change_role", "audit.view"];
    // README: settings open to those who change them, read-only to auditors.
    const OPENS_SETTINGS: &[&str] = &[
        "settings.manage",
        "owner",
        "api_keys.manage",
        "slack.manage",
        "audit.view",
    ];
    const API_KEYS: &[&str] = &["api_keys.manage"];
    // README: the API keys are listed to those who manage them and to auditors.
    const READS_API_KEYS: &[&str] = &["api_keys.manage", "audit.view"];
    const SLACK: &[&str] = &["slack.manage"];
    // README: the Slack connection is read by those who manage it and by auditors; the people
    // are read again by those who manage it or add people from it.
    const READS_SLACK: &[&str] = &["slack.manage", "audit.view"];
    const REFRESHES_SLACK: &[&str] = &["slack.manage", "users.invite"];

    // The pages rows act on: the target's console, the group, the app, the spare role, the
    // pending invitation, and the consoles of the suspended, removed and blocked people.
    let t = format!("/w/acme/users/{}", f.target);
    let g = format!("/w/acme/groups/{}", f.group);
    let ap = format!("/w/acme/apps/{}", f.app);
    let r = format!("/w/acme/roles/{}", f.spare_role);
    let i = format!("/w/acme/invitations/{}", f.invitation);
    let suspended = format!("/w/acme/users/{}", f.suspended);
    let removed = format!("/w/acme/users/{}", f.removed);
    let blocked = format!("/w/acme/users/{}", f.blocked);
    let permissions = format!("{ap}/permissions");
    let member = f.member.to_string();
    let landing = |actor: Actor| see(actor.landing());

    vec![
        // Open routes: no session at all.
        get("/static/{path:.*}", "/static/app.css").public(Page),
        get("/healthz", "/healthz").public(Page),
        get("/readyz", "/readyz").public(Page),
        // The API's document and reference page are open to everyone.
        get("/api/v1/openapi.json", "/api/v1/openapi.json").public(Page),
        get("/api/v1/docs", "/api/v1/docs").public(Page),
        // The JSON API reads no session: without an API key, everyone is 401.
        api(GET, "/api/v1/workspace", "/api/v1/workspace"),
        api(GET, "/api/v1/roles", "/api/v1/roles"),
        api(GET, "/api/v1/users", "/api/v1/users"),
        api(
            GET,
            "/api/v1/users/{id}",
            format!("/api/v1/users/{}", f.target),
        ),
        api(
            "patch",
            "/api/v1/users/{id}",
            format!("/api/v1/users/{}", f.target),
        ),
        api(
            POST,
            "/api/v1/users/{id}/suspend",
            format!("/api/v1/users/{}/suspend", f.target),
        ),
        api(
            POST,
            "/api/v1/users/{id}/unsuspend",
            format!("/api/v1/users/{}/unsuspend", f.suspended),
        ),
        api(
            POST,
            "/api/v1/users/{id}/remove",
            format!("/api/v1/users/{}/remove", f.target),
        ),
        api(
            POST,
            "/api/v1/users/{id}/restore",
            format!("/api/v1/users/{}/restore", f.removed),
        ),
        api(GET, "/api/v1/invitations", "/api/v1/invitations"),
        api(POST, "/api/v1/invitations", "/api/v1/invitations"),
        api(
            POST,
            "/api/v1/invitations/{id}/resend",
            format!("/api/v1/invitations/{}/resend", f.invitation),
        ),
        api(
            "delete",
            "/api/v1/invitations/{id}",
            format!("/api/v1/invitations/{}", f.invitation),
        ),
        api(GET, "/api/v1/groups", "/api/v1/groups"),
        api(POST, "/api/v1/groups", "/api/v1/groups"),
        api(
            GET,
            "/api/v1/groups/{id}",
            format!("/api/v1/groups/{}", f.group),
        ),
        api(
            "patch",
            "/api/v1/groups/{id}",
            format!("/api/v1/groups/{}", f.group),
        ),
        api(
            "delete",
            "/api/v1/groups/{id}",
            format!("/api/v1/groups/{}", f.group),
        ),
        api(
            "put",
            "/api/v1/groups/{id}/members/{user_id}",
            format!("/api/v1/groups/{}/members/{}", f.group, f.member),
        ),
        api(
            "delete",
            "/api/v1/groups/{id}/members/{user_id}",
            format!("/api/v1/groups/{}/members/{}", f.group, f.target),
        ),
        api(GET, "/api/v1/audit-events", "/api/v1/audit-events"),
        // SCIM, like the API, reads an API key (with `scim`) and no session.
        api(
            GET,
            "/scim/v2/ServiceProviderConfig",
            "/scim/v2/ServiceProviderConfig",
        ),
        api(GET, "/scim/v2/ResourceTypes", "/scim/v2/ResourceTypes"),
        api(POST, "/scim/v2/.search", "/scim/v2/.search"),
        api(
            GET,
            "/scim/v2/ResourceTypes/{name}",
            "/scim/v2/ResourceTypes/User",
        ),
        api(GET, "/scim/v2/Schemas", "/scim/v2/Schemas"),
        api(
            GET,
            "/scim/v2/Schemas/{id}",
            "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
        ),
        api(GET, "/scim/v2/Users", "/scim/v2/Users"),
        api(POST, "/scim/v2/Users", "/scim/v2/Users"),
        api(POST, "/scim/v2/Users/.search", "/scim/v2/Users/.search"),
        api(
            GET,
            "/scim/v2/Users/{id}",
            format!("/scim/v2/Users/{}", f.target),
        ),
        api(
            "put",
            "/scim/v2/Users/{id}",
            format!("/scim/v2/Users/{}", f.target),
        ),
        api(
            "patch",
            "/scim/v2/Users/{id}",
            format!("/scim/v2/Users/{}", f.target),
        ),
        api(
            "delete",
            "/scim/v2/Users/{id}",
            format!("/scim/v2/Users/{}", f.target),
        ),
        api(GET, "/scim/v2/Groups", "/scim/v2/Groups"),
        api(POST, "/scim/v2/Groups", "/scim/v2/Groups"),
        api(POST, "/scim/v2/Groups/.search", "/scim/v2/Groups/.search"),
        api(
            GET,
            "/scim/v2/Groups/{id}",
            format!("/scim/v2/Groups/g{}", f.group),
        ),
        api(
            "put",
            "/scim/v2/Groups/{id}",
            format!("/scim/v2/Groups/g{}", f.group),
        ),
        api(
            "patch",
            "/scim/v2/Groups/{id}",
            format!("/scim/v2/Groups/g{}", f.group),
        ),
        api(
            "delete",
            "/scim/v2/Groups/{id}",
            format!("/scim/v2/Groups/g{}", f.group),
        ),
        // Where one starts; setup (done: 404 for good); signing in and out.
        get("/", "/")
            .each(landing)
            .with(Anonymous, see("/login"))
            .with(Blocked, see("/login")),
        get("/setup", "/setup").public(NotFound),
        post("/setup", "/setup").public(NotFound).fields(&[
            ("organization_name", "Another Org"),
            ("workspace_name", "Another"),
            ("workspace_slug", "another"),
            ("email", "someone@example.com"),
            ("first_name", "Some"),
            ("last_name", "One"),
            ("password", "correct horse battery staple"),
        ]),
        get("/login", "/login")
            .each(landing)
            .with(Anonymous, Page)
            .with(Blocked, Page),
        post("/login", "/login")
            .each(landing)
            .with(Blocked, Forbidden)
            .body(Body::SignIn),
        post("/logout", "/logout").public(see("/login?signed_out=1")),
        // The second step of signing in: only after a right password (nobody here has one
        // pending), so everyone is sent to sign in.
        get("/login/two-factor", "/login/two-factor").public(see("/login")),
        post("/login/two-factor", "/login/two-factor")
            .public(see("/login"))
            .fields(&[("code", "123456")]),
        // One's own two-factor settings; a wrong code (after the right password) is refused as a
        // form. New recovery codes and turning it off, for someone who has it off: the page as it
        // is, saying so.
        get("/me/two-factor", "/me/two-factor").own(Page),
        post("/me/two-factor", "/me/two-factor")
            .own(Unprocessable)
            .body(Body::PasswordAndWrongCode),
        post(
            "/me/two-factor/recovery-codes",
            "/me/two-factor/recovery-codes",
        )
        .own(see("/me/two-factor"))
        .fields(&[("code", "000000")]),
        post("/me/two-factor/disable", "/me/two-factor/disable")
            .own(see("/me/two-factor"))
            .fields(&[("password", "not the password"), ("off_code", "000000")]),
        // A forgotten password: the same page whoever asks; the link is what allows.
        get("/password/forgot", "/password/forgot").public(Page),
        post("/password/forgot", "/password/forgot")
            .public(Page)
            .fields(&[("email", TARGET.0)]),
        get(
            "/password/reset/{token}",
            format!("/password/reset/{}", f.reset_token),
        )
        .public(Page),
        post(
            "/password/reset/{token}",
            format!("/password/reset/{}", f.reset_token),
        )
        .public(see("/me"))
        .fields(&[("password", "a reset brand new passphrase")]),
        // One's own profile: anyone signed in, suspended or removed somewhere or not.
        get("/me", "/me").own(Page),
        post("/me/profile", "/me/profile")
            .own(see("/me"))
            .body(Body::Profile),
        post("/me/email-change/cancel", "/me/email-change/cancel").own(see("/me")),
        post("/me/avatar", "/me/avatar")
            .own(see("/me"))
            .body(Body::Picture),
        post("/me/avatar/remove", "/me/avatar/remove").own(see("/me")),
        // README: the picture's address is the secret; it is served without a permission check.
        get(
            "/avatars/{key}.png",
            format!("/avatars/{}.png", f.avatar_key),
        )
        .public(Page),
        post("/me/password", "/me/password")
            .own(see("/me"))
            .body(Body::Password),
        post("/me/sessions/{id}/end", "/me/sessions/{own_session}/end").own(see("/me")),
        // The workspace, its users list and exports.
        get("/w/{slug}", "/w/acme").console(see("/w/acme/users")),
        get("/w/{slug}/users.csv", "/w/acme/users.csv")
            .ws(EXPORT, Page)
            .writes(),
        get("/w/{slug}/users", "/w/acme/users").ws(VIEW, Page),
        // Presence: an event stream for those who see the list (its body is not read).
        get("/w/{slug}/presence", "/w/acme/presence").ws(VIEW, Page),
        // Address fields' type-ahead: members matching what is typed, for those who see the list.
        get("/w/{slug}/members/suggest", "/w/acme/members/suggest?q=ada").ws(VIEW, Page),
        get("/w/{slug}/audit.csv", "/w/acme/audit.csv").ws(AUDIT, Page),
        // The organization's pages.
        get("/org/audit.csv", "/org/audit.csv").org(Page),
        get("/org/audit", "/org/audit").org(Page),
        get("/org", "/org").org(see("/org/accounts")),
        get("/org/accounts", "/org/accounts").org(Page),
        get(
            "/org/accounts/{id}/block",
            format!("/org/accounts/{}/block", f.target_account),
        )
        .org(Page),
        post(
            "/org/accounts/{id}/block",
            format!("/org/accounts/{}/block", f.target_account),
        )
        .org(see("/org/accounts")),
        post(
            "/org/accounts/{id}/unblock",
            format!("/org/accounts/{}/unblock", f.blocked_account),
        )
        .org(see("/org/accounts")),
        post(
            "/org/accounts/{id}/sign-in-pause/clear",
            format!("/org/accounts/{}/sign-in-pause/clear", f.target_account),
        )
        .org(see("/org/accounts")),
        post(
            "/org/accounts/{id}/org-role",
            format!("/org/accounts/{}/org-role", f.target_account),
        )
        .org(see("/org/accounts"))
        .fields(&[("org_role", "admin")]),
        get("/org/workspaces", "/org/workspaces").org(Page),
        post("/org/name", "/org/name")
            .org(see("/org/workspaces"))
            .fields(&[("org_name", "Acme Holdings")]),
        post("/org/workspaces", "/org/workspaces")
            .org(see("/w/ops/users"))
            .fields(&[("name", "Ops"), ("slug", "ops")]),
        get("/w/{slug}/audit", "/w/acme/audit").ws(AUDIT, Page),
        // Groups.
        get("/w/{slug}/groups", "/w/acme/groups").ws(GROUPS_VIEW, Page),
        post("/w/{slug}/groups", "/w/acme/groups")
            .ws(GROUPS_MANAGE, SeeUnder("/w/acme/groups/".into()))
            .fields(&[("name", "Support desk"), ("description", "")]),
        get("/w/{slug}/groups/{id}", &g).ws(GROUPS_VIEW, Page),
        get("/w/{slug}/groups/{id}/picker", format!("{g}/picker?q=mona")).ws(GROUPS_MANAGE, Page),
        get("/w/{slug}/groups/{id}/add", format!("{g}/add?q=mona")).ws(GROUPS_MANAGE, Page),
        post("/w/{slug}/groups/{id}", &g)
            .ws(GROUPS_MANAGE, see(&g))
            .fields(&[("name", "Finance team"), ("description", "Invoices")]),
        post("/w/{slug}/groups/{id}/members", format!("{g}/members"))
            .ws(GROUPS_MANAGE, see(&g))
            .fields(&[("membership_id", &member)]),
        post(
            "/w/{slug}/groups/{id}/members/bulk",
            format!("{g}/members/bulk"),
        )
        .ws(GROUPS_MANAGE, see(&g))
        .fields(&[("emails", MEMBER.0)]),
        get(
            "/w/{slug}/groups/{id}/members/{member}/remove",
            format!("{g}/members/{}/remove", f.target),
        )
        .ws(GROUPS_MANAGE, Page),
        post(
            "/w/{slug}/groups/{id}/members/{member}/remove",
            format!("{g}/members/{}/remove", f.target),
        )
        .ws(GROUPS_MANAGE, see(&g)),
        get("/w/{slug}/groups/{id}/delete", format!("{g}/delete")).ws(GROUPS_MANAGE, Page),
        post("/w/{slug}/groups/{id}/delete", format!("{g}/delete"))
            .ws(GROUPS_MANAGE, see("/w/acme/groups")),
        // Apps and their grants.
        get("/w/{slug}/apps", "/w/acme/apps").ws(APPS_VIEW, Page),
        post("/w/{slug}/apps", "/w/acme/apps")
            .ws(APPS_MANAGE, SeeUnder("/w/acme/apps/".into()))
            .fields(&[
                ("kind", "workflow"),
                ("name", "Payroll run"),
                ("owner_email", ""),
            ]),
        get("/w/{slug}/apps/{id}", &ap).ws(APPS_VIEW, Page),
        get("/w/{slug}/apps/{id}/permissions", &permissions).ws(APPS_VIEW, Page),
        post("/w/{slug}/apps/{id}", &ap)
            .ws(APPS_MANAGE, see(&ap))
            .fields(&[
                ("kind", "app"),
                ("name", "Ledger 2"),
                ("owner_email", ""),
                ("restricted", "on"),
            ]),
        post("/w/{slug}/apps/{id}/grants", format!("{ap}/grants"))
            .ws(APPS_MANAGE, see(&permissions))
            .fields(&[("email", MEMBER.0), ("level", "edit")]),
        post(
            "/w/{slug}/apps/{id}/grants/{grant}",
            format!("{ap}/grants/{}", f.grant),
        )
        .ws(APPS_MANAGE, see(&permissions))
        .fields(&[("level", "edit")]),
        get(
            "/w/{slug}/apps/{id}/grants/{grant}/remove",
            format!("{ap}/grants/{}/remove", f.grant),
        )
        .ws(APPS_MANAGE, Page),
        post(
            "/w/{slug}/apps/{id}/grants/{grant}/remove",
            format!("{ap}/grants/{}/remove", f.grant),
        )
        .ws(APPS_MANAGE, see(&permissions)),
        get("/w/{slug}/apps/{id}/delete", format!("{ap}/delete")).ws(APPS_MANAGE, Page),
        post("/w/{slug}/apps/{id}/delete", format!("{ap}/delete"))
            .ws(APPS_MANAGE, see("/w/acme/apps")),
        // Workspace settings: the name for settings.manage, the rest for Owners only.
        get("/w/{slug}/settings", "/w/acme/settings").ws_any(OPENS_SETTINGS, Page),
        post("/w/{slug}/settings/name", "/w/acme/settings/name")
            .ws(SETTINGS, see("/w/acme/settings"))
            .fields(&[("name", "Acme Headquarters")]),
        post("/w/{slug}/settings/slug", "/w/acme/settings/slug")
            .ws(OWNER, see("/w/acme-hq/settings"))
            .fields(&[("slug", "acme-hq")]),
        post("/w/{slug}/settings/plan", "/w/acme/settings/plan")
            .ws(OWNER, see("/w/acme/settings"))
            .fields(&[("plan", "business"), ("seat_limit", "")]),
        // Not requiring two-factor (as it is): an Owner's save changes nothing.
        post(
            "/w/{slug}/settings/two-factor",
            "/w/acme/settings/two-factor",
        )
        .ws(OWNER, see("/w/acme/settings")),
        // API keys: made and revoked by api_keys.manage (Owners), read by auditors too.
        get("/w/{slug}/api-keys", "/w/acme/api-keys")
            .ws_any(READS_API_KEYS, see("/w/acme/settings/api-keys")),
        get("/w/{slug}/settings/api-keys", "/w/acme/settings/api-keys")
            .ws_any(READS_API_KEYS, Page),
        post("/w/{slug}/settings/api-keys", "/w/acme/settings/api-keys")
            .ws(API_KEYS, Created)
            .fields(&[("name", "Okta sync"), ("scope", "users.view")]),
        get(
            "/w/{slug}/settings/api-keys/{id}/revoke",
            format!("/w/acme/settings/api-keys/{}/revoke", f.api_key),
        )
        .ws(API_KEYS, Page),
        post(
            "/w/{slug}/settings/api-keys/{id}/revoke",
            format!("/w/acme/settings/api-keys/{}/revoke", f.api_key),
        )
        .ws(API_KEYS, see("/w/acme/settings/api-keys")),
        // An org owner whose workspace is deleted goes to the organization's workspaces.
        post("/w/{slug}/settings/delete", "/w/acme/settings/delete")
            .ws(OWNER, see("/org/workspaces"))
            .fields(&[("confirm", "acme")]),
        // Slack. The world has no connection and no Slack app configured: an empty token is
        // refused beside its field, the install and its callback send back to the page with a
        // message, a refresh and a disconnect find nothing to do.
        get("/w/{slug}/settings/slack", "/w/acme/settings/slack").ws_any(READS_SLACK, Page),
        post("/w/{slug}/settings/slack", "/w/acme/settings/slack")
            .ws(SLACK, Unprocessable)
            .fields(&[("token", "")]),
        get(
            "/w/{slug}/settings/slack/install",
            "/w/acme/settings/slack/install",
        )
        .ws(SLACK, see("/w/acme/settings/slack")),
        get(
            "/w/{slug}/settings/slack/callback",
            "/w/acme/settings/slack/callback?code=c&state=s",
        )
        .ws(SLACK, see("/w/acme/settings/slack")),
        post(
            "/w/{slug}/settings/slack/refresh",
            "/w/acme/settings/slack/refresh",
        )
        .ws_any(REFRESHES_SLACK, see("/w/acme/invitations/slack")),
        get(
            "/w/{slug}/settings/slack/disconnect",
            "/w/acme/settings/slack/disconnect",
        )
        .ws(SLACK, Page),
        post(
            "/w/{slug}/settings/slack/disconnect",
            "/w/acme/settings/slack/disconnect",
        )
        .ws(SLACK, see("/w/acme/settings/slack")),
        // Custom roles.
        get("/w/{slug}/roles", "/w/acme/roles").ws_any(READS_ROLES, Page),
        post("/w/{slug}/roles", "/w/acme/roles")
            .ws(CHANGE_ROLE, SeeUnder("/w/acme/roles/".into()))
            .fields(&[
                ("name", "Helpdesk"),
                ("description", "First line"),
                ("permission", "users.view"),
            ]),
        get("/w/{slug}/roles/{id}", &r).ws_any(READS_ROLES, Page),
        post("/w/{slug}/roles/{id}", &r)
            .ws(CHANGE_ROLE, see(&r))
            .fields(&[
                ("name", "Spare reader"),
                ("description", "Reads the list"),
                ("permission", "users.view"),
            ]),
        get("/w/{slug}/roles/{id}/delete", format!("{r}/delete")).ws(CHANGE_ROLE, Page),
        post("/w/{slug}/roles/{id}/delete", format!("{r}/delete"))
            .ws(CHANGE_ROLE, see("/w/acme/roles")),
        // A member's lifecycle: suspend (users.suspend), block (org owners and org admins),
        // remove and restore (users.remove); from the console, each leads back to it.
        get("/w/{slug}/users/{id}/suspend", format!("{t}/suspend")).ws(SUSPEND, Page),
        // A bulk action's preview (no `confirm`): the page, nothing changed.
        post("/w/{slug}/users/bulk", "/w/acme/users/bulk".to_owned())
            .ws(SUSPEND, Page)
            .fields(&[("action", "suspend"), ("member_id", &f.target.to_string())]),
        post("/w/{slug}/users/{id}/suspend", format!("{t}/suspend")).ws(SUSPEND, see(&t)),
        post(
            "/w/{slug}/users/{id}/unsuspend",
            format!("{suspended}/unsuspend"),
        )
        .ws(SUSPEND, see(&suspended)),
        get("/w/{slug}/users/{id}/block", format!("{t}/block")).ws(ORG_ADMIN, Page),
        post("/w/{slug}/users/{id}/block", format!("{t}/block")).ws(ORG_ADMIN, see(&t)),
        post("/w/{slug}/users/{id}/unblock", format!("{blocked}/unblock"))
            .ws(ORG_ADMIN, see(&blocked)),
        get("/w/{slug}/users/{id}/remove", format!("{t}/remove")).ws(REMOVE, Page),
        get(
            "/w/{slug}/users/{id}/remove/picker",
            format!("{t}/remove/picker?q=mona"),
        )
        .ws(REMOVE, Page),
        post("/w/{slug}/users/{id}/remove", format!("{t}/remove"))
            .ws(REMOVE, see(&t))
            .fields(&[("reassign_to", "")]),
        get("/w/{slug}/users/{id}/restore", format!("{removed}/restore")).ws(REMOVE, Page),
        post("/w/{slug}/users/{id}/restore", format!("{removed}/restore"))
            .ws(REMOVE, see(&removed)),
        // The user console.
        get("/w/{slug}/users/{id}", &t).ws(VIEW, Page),
        get("/w/{slug}/users/{id}/{tab}", format!("{t}/activity")).ws(ACTIVITY, Page),
        post("/w/{slug}/users/{id}/profile", format!("{t}/profile"))
            .ws(EDIT, see(&t))
            .fields(&[
                ("first_name", TARGET.1),
                ("last_name", TARGET.2),
                ("email", TARGET.0),
                ("timezone", "UTC"),
            ]),
        post(
            "/w/{slug}/users/{id}/email-change/cancel",
            format!("{t}/email-change/cancel"),
        )
        .ws(EDIT, see(&t)),
        post("/w/{slug}/users/{id}/avatar", format!("{t}/avatar"))
            .ws(EDIT, see(&t))
            .body(Body::Picture),
        post(
            "/w/{slug}/users/{id}/avatar/remove",
            format!("{t}/avatar/remove"),
        )
        .ws(EDIT, see(&t)),
        post("/w/{slug}/users/{id}/role", format!("{t}/role"))
            .ws(SETS_ROLES, see(format!("{t}/role")))
            .fields(&[("role", "auditor")]),
        post(
            "/w/{slug}/users/{id}/sessions/{session}/end",
            format!("{t}/sessions/{}/end", f.target_session),
        )
        .ws(EDIT, see(format!("{t}/sessions"))),
        post(
            "/w/{slug}/users/{id}/password-reset",
            format!("{t}/password-reset"),
        )
        .ws(EDIT, see(&t)),
        // The target has no two-factor sign-in: nothing to reset, nothing asked.
        get(
            "/w/{slug}/users/{id}/two-factor/reset",
            format!("{t}/two-factor/reset"),
        )
        .ws(EDIT, Conflict),
        post(
            "/w/{slug}/users/{id}/two-factor/reset",
            format!("{t}/two-factor/reset"),
        )
        .ws(EDIT, see(&t)),
        post(
            "/w/{slug}/users/{id}/sign-in-pause/clear",
            format!("{t}/sign-in-pause/clear"),
        )
        .ws(ORG_ADMIN, see(&t)),
        get(
            "/w/{slug}/users/{id}/sessions/end-all",
            format!("{t}/sessions/end-all"),
        )
        .ws(EDIT, Page),
        post(
            "/w/{slug}/users/{id}/sessions/end-all",
            format!("{t}/sessions/end-all"),
        )
        .ws(EDIT, see(format!("{t}/sessions"))),
        // Invitations. README: resend at most once a minute (the pending invitation was just
        // sent: 409, or a new link if a slow run passed the minute).
        get("/w/{slug}/invitations/new", "/w/acme/invitations/new").ws(INVITE, Page),
        // The invite dialog's Slack tab: without a connection it says so; nobody chosen is refused.
        get("/w/{slug}/invitations/slack", "/w/acme/invitations/slack").ws(INVITE, Page),
        post("/w/{slug}/invitations/slack", "/w/acme/invitations/slack")
            .ws(INVITE, Unprocessable)
            .fields(&[("role", "member")]),
        // The CSV import: without a file the upload is refused beside its field; a preview that
        // is nobody's (id 999999) is not found, for those who may import at all.
        get("/w/{slug}/import", "/w/acme/import".to_owned()).ws(INVITE, Page),
        post("/w/{slug}/import", "/w/acme/import".to_owned()).ws(INVITE, Unprocessable),
        post("/w/{slug}/import/{id}", "/w/acme/import/999999".to_owned()).ws(INVITE, NotFound),
        get(
            "/w/{slug}/import/{id}/problems.csv",
            "/w/acme/import/999999/problems.csv".to_owned(),
        )
        .ws(INVITE, NotFound),
        post("/w/{slug}/invitations", "/w/acme/invitations")
            .ws(INVITE, see("/w/acme/users"))
            .fields(&[("emails", "fresh.face@example.com"), ("role", "member")]),
        post("/w/{slug}/invitations/{id}/resend", format!("{i}/resend")).ws(
            INVITATION,
            Either(Box::new(Conflict), Box::new(see("/w/acme/users"))),
        ),
        get("/w/{slug}/invitations/{id}/revoke", format!("{i}/revoke")).ws(INVITATION, Page),
        post("/w/{slug}/invitations/{id}/revoke", format!("{i}/revoke"))
            .ws(INVITATION, see("/w/acme/users")),
        // The links sent by email: the token is what allows.
        get("/invite/{token}", format!("/invite/{}", f.invite_token)).public(Page),
        post("/invite/{token}", format!("/invite/{}", f.invite_token))
            .public(see("/w/acme"))
            .fields(&[
                ("first_name", "Nina"),
                ("last_name", "Newbie"),
                ("password", "another brand new passphrase"),
            ]),
        get(
            "/email-change/{token}",
            format!("/email-change/{}", f.email_token),
        )
        .public(Page),
        // Confirmed: someone signed in goes to their profile, anyone else to sign in, which says
        // the address changed (303 after a form, as everywhere).
        post(
            "/email-change/{token}",
            format!("/email-change/{}", f.email_token),
        )
        .public(see("/me"))
        .with(Anonymous, see("/login?email_changed=1")),
    ]
}

/// One row per route of `web::routes::ALL`, and no row for a route that is not there.
fn coverage(rows: &[Row]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut table = BTreeSet::new();
    for row in rows {
        if !table.insert((row.method, row.pattern)) {
            problems.push(format!(
                "two rows for {} {}",
                row.method.to_uppercase(),
                row.pattern
            ));
        }
    }
    let product: BTreeSet<(&str, &str)> = routes::ALL.iter().copied().collect();
    for (method, pattern) in product.difference(&table) {
        problems.push(format!(
            "the route {} {pattern} has no row in tests/it/matrix.rs: add one with every actor's answer",
            method.to_uppercase()
        ));
    }
    for (method, pattern) in table.difference(&product) {
        problems.push(format!(
            "the row {} {pattern} is not a route of web::routes::ALL",
            method.to_uppercase()
        ));
    }
    problems
}

// -------------------------------------------------------------------------------------------------
// Asking

/// An actor's browser as the cells use it: the session cookie (sent by hand) and its CSRF token.
#[derive(Debug, Clone, Default)]
struct Person {
    cookie: String,
    csrf: String,
    session: i64,
    email: String,
    password: String,
    first: String,
    last: String,
}

struct Answer {
    status: u16,
    location: String,
    body: String,
    cookie: Option<String>,
}

fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

async fn send(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<(String, Vec<u8>)>,
) -> Answer {
    let url = format!("{base}{path}");
    let verb = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
    let mut request = client.request(verb, url);
    if let Some(cookie) = cookie {
        request = request.header("cookie", format!("{SESSION_COOKIE}={cookie}"));
    }
    if let Some((content_type, bytes)) = body {
        request = request.header("content-type", content_type).body(bytes);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{} {path}: {e}", method.to_uppercase()));
    let prefix = format!("{SESSION_COOKIE}=");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.strip_prefix(prefix.as_str()))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .find(|v| !v.is_empty());
    // An event stream (presence) does not end: its answer is the status and headers alone.
    let streams = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    Answer {
        status: response.status().as_u16(),
        location: location(&response),
        cookie,
        body: if streams {
            String::new()
        } else {
            response.text().await.unwrap_or_default()
        },
    }
}

fn form(csrf: &str, fields: &[(&str, String)]) -> (String, Vec<u8>) {
    let mut all = vec![("csrf_token", csrf.to_owned())];
    all.extend(fields.iter().cloned());
    let body = serde_html_form::to_string(&all).expect("form encoding");
    (FORM.to_owned(), body.into_bytes())
}

/// A small PNG, as a browser would upload it.
fn png() -> Vec<u8> {
    let picture = image::RgbImage::from_pixel(64, 64, image::Rgb([30, 120, 200]));
    let mut out = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode a PNG");
    out.into_inner()
}

/// The profile picture form: the token and the file, as `multipart/form-data`.
fn picture_form(csrf: &str) -> (String, Vec<u8>) {
    let boundary = "matrix-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    let _ = write!(
        body,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"face.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    );
    body.extend(png());
    let _ = write!(body, "\r\n--{boundary}--\r\n");
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn request_body(row: &Row, p: &Person) -> Option<(String, Vec<u8>)> {
    if row.method == GET {
        return None;
    }
    let own = |k: &'static str, v: &str| (k, v.to_owned());
    Some(match &row.body {
        Body::Token => form(&p.csrf, &[]),
        Body::Fields(fields) => form(&p.csrf, fields),
        Body::SignIn => form(
            &p.csrf,
            &[own("email", &p.email), own("password", &p.password)],
        ),
        Body::Profile => form(
            &p.csrf,
            &[
                own("first_name", &p.first),
                own("last_name", &p.last),
                own("email", &p.email),
                own("timezone", "UTC"),
            ],
        ),
        Body::Password => form(
            &p.csrf,
            &[
                own("current_password", &p.password),
                own("new_password", "an entirely different passphrase"),
            ],
        ),
        Body::PasswordAndWrongCode => form(
            &p.csrf,
            &[own("password", &p.password), own("code", "000000")],
        ),
        Body::Picture => picture_form(&p.csrf),
    })
}

/// Asks `row` as `person`: their cookie, their own CSRF token, the fields the route needs.
async fn ask(client: &reqwest::Client, base: &str, row: &Row, person: &Person) -> (String, Answer) {
    let path = row
        .path
        .replace("{own_session}", &person.session.to_string());
    let body = request_body(row, person);
    let answer = send(client, base, row.method, &path, Some(&person.cookie), body).await;
    (path, answer)
}

/// The page's words (from `<main>` on), without tags, for messages.
fn excerpt(body: &str) -> String {
    let start = body
        .find("<main")
        .or_else(|| body.find("<body"))
        .unwrap_or(0);
    let mut text = String::new();
    let mut in_tag = false;
    for c in body[start..].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    words.chars().take(200).collect()
}

fn describe(answer: &Answer) -> String {
    let to = if answer.location.is_empty() {
        String::new()
    } else {
        format!(" → {}", answer.location)
    };
    format!("{}{to} «{}»", answer.status, excerpt(&answer.body))
}

/// The mismatch of one cell, if any.
fn verdict(row: &Row, actor: Actor, path: &str, answer: &Answer) -> Option<String> {
    let expected = &row.expect[actor.index()];
    (!expected.matches(answer)).then(|| {
        format!(
            "{} {} ({path}) as {actor:?}: expected {expected:?}, got {}",
            row.method.to_uppercase(),
            row.pattern,
            describe(answer)
        )
    })
}

// -------------------------------------------------------------------------------------------------
// Servers and databases of this test

/// The console serving one database, on a thread and runtime of its own, so that stopping it also
/// ends what it runs beside the server (the email worker, the cleanups).
struct Server {
    address: String,
    port: u16,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(settings: Settings) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let app = match Application::build(settings) {
                    Ok(app) => app,
                    Err(e) => {
                        let _ = tx.send(Err(format!("{e:#}")));
                        return;
                    }
                };
                let port = app.port();
                let server = app.into_server();
                let _ = tx.send(Ok((port, server.handle())));
                let _ = server.await;
            });
        });
        match rx.recv() {
            Ok(Ok((port, handle))) => Self {
                address: format!("http://127.0.0.1:{port}"),
                port,
                handle,
                thread: Some(thread),
            },
            Ok(Err(e)) => {
                let _ = thread.join();
                panic!("the console did not start: {e}")
            }
            Err(_) => {
                let _ = thread.join();
                panic!("the console's thread ended before it started")
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The stop command is sent at once; its future only reports completion, which joining
        // the thread waits for.
        let stopping = self.handle.stop(false);
        drop(stopping);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A database this test made (the template, a copy), removed when dropped.
struct Scratch {
    url: String,
    kind: ScratchKind,
}

enum ScratchKind {
    File(PathBuf),
    Postgres { admin: String, name: String },
}

impl Drop for Scratch {
    fn drop(&mut self) {
        match &self.kind {
            ScratchKind::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            ScratchKind::Postgres { admin, name } => {
                if let Ok(mut conn) = diesel::PgConnection::establish(admin) {
                    let _ =
                        conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

fn pg_admin() -> String {
    std::env::var("TEST_PG_URL").expect("TEST_BACKEND=postgres needs TEST_PG_URL")
}

/// The world as it was built, copied once while nothing had it open; every copy is made from it.
struct Template {
    db: Scratch,
    /// Where copies go: a folder (SQLite) or the URL before the database name (PostgreSQL).
    base: String,
    /// The template's file or database name.
    name: String,
}

impl Template {
    /// Copies the world; no server may have it open.
    fn of(world: &TestDatabase) -> Self {
        match Backend::of_url(&world.url) {
            Backend::Sqlite => {
                let file = PathBuf::from(db::sqlite_path(&world.url));
                let mut conn = diesel::SqliteConnection::establish(&file.display().to_string())
                    .expect("open the world");
                conn.batch_execute("PRAGMA busy_timeout = 15000; PRAGMA wal_checkpoint(TRUNCATE)")
                    .expect("checkpoint the world's WAL");
                drop(conn);
                let copy = world.dir.join("template.db");
                std::fs::copy(&file, &copy).expect("copy the world");
                Self {
                    db: Scratch {
                        url: format!("sqlite://{}", copy.display()),
                        kind: ScratchKind::File(copy.clone()),
                    },
                    base: world.dir.display().to_string(),
                    name: copy.display().to_string(),
                }
            }
            Backend::Postgres => {
                let admin = pg_admin();
                let (base, world_name) = world.url.rsplit_once('/').expect("a database name");
                let name = format!("{world_name}_tpl");
                let mut conn =
                    diesel::PgConnection::establish(&admin).expect("connect to TEST_PG_URL");
                conn.batch_execute(&format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = '{world_name}' AND pid <> pg_backend_pid()"
                ))
                .expect("end connections to the world");
                conn.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {world_name}"))
                    .expect("copy the world");
                Self {
                    db: Scratch {
                        url: format!("{base}/{name}"),
                        kind: ScratchKind::Postgres {
                            admin,
                            name: name.clone(),
                        },
                    },
                    base: base.to_owned(),
                    name,
                }
            }
        }
    }

    fn copy(&self, n: usize) -> Scratch {
        match &self.db.kind {
            ScratchKind::File(_) => {
                let file = PathBuf::from(&self.base).join(format!("copy{n}.db"));
                std::fs::copy(&self.name, &file).expect("copy the template");
                Scratch {
                    url: format!("sqlite://{}", file.display()),
                    kind: ScratchKind::File(file),
                }
            }
            ScratchKind::Postgres { admin, name } => {
                let copy = format!("{name}_{n}");
                let mut conn =
                    diesel::PgConnection::establish(admin).expect("connect to TEST_PG_URL");
                conn.batch_execute(&format!("CREATE DATABASE {copy} TEMPLATE {name}"))
                    .expect("copy the template");
                Scratch {
                    url: format!("{}/{copy}", self.base),
                    kind: ScratchKind::Postgres {
                        admin: admin.clone(),
                        name: copy,
                    },
                }
            }
        }
    }
}

// -------------------------------------------------------------------------------------------------
// Snapshots of the database

/// Left out of every comparison, because a refused request may legitimately touch it:
/// - the `sessions` table: any request may write its own session (the last-seen time, at most
///   once a minute; a one-time message shown and taken; the CSRF token or the workspace
///   remembered; a new signed-out session for a dead cookie);
/// - `memberships.last_active_at`: written together with the session's last-seen time;
/// - the delivery columns of `outbox_emails`: the email worker delivers queued emails in the
///   background, whatever the requests do (a new email is a new row, and still caught).
const SKIPPED_TABLES: [&str; 1] = ["sessions"];
const SKIPPED_COLUMNS: [(&str, &str); 6] = [
    ("memberships", "last_active_at"),
    ("outbox_emails", "state"),
    ("outbox_emails", "attempts"),
    ("outbox_emails", "next_attempt_at"),
    ("outbox_emails", "last_error"),
    ("outbox_emails", "sent_at"),
];

type Snapshot = BTreeMap<String, Vec<String>>;

/// Every row of every table of the catalog (but what `SKIPPED_*` names), as text, in one query.
struct Snapshots {
    pool: Pool,
    sql: String,
}

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    v: String,
}

#[derive(diesel::QueryableByName)]
struct Line {
    #[diesel(sql_type = diesel::sql_types::Text)]
    tbl: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    line: String,
}

fn texts(conn: &mut db::AnyConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<Text>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|t| t.v)
        .collect()
}

impl Snapshots {
    fn new(url: &str) -> Self {
        let pool = db::build_pool(url, 1).expect("a connection for snapshots");
        let sqlite = Backend::of_url(url) == Backend::Sqlite;
        let mut conn = pool.get().expect("connection");
        let tables = texts(
            &mut conn,
            if sqlite {
                "SELECT name AS v FROM sqlite_master WHERE type = 'table' ORDER BY name"
            } else {
                "SELECT table_name::text AS v FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
            },
        );
        let mut selects = Vec::new();
        for table in tables
            .iter()
            .filter(|t| !SKIPPED_TABLES.contains(&t.as_str()))
        {
            let columns = texts(
                &mut conn,
                &if sqlite {
                    format!("SELECT name AS v FROM pragma_table_info('{table}') ORDER BY cid")
                } else {
                    format!(
                        "SELECT column_name::text AS v FROM information_schema.columns \
                         WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position"
                    )
                },
            );
            let values: Vec<String> = columns
                .iter()
                .filter(|c| !SKIPPED_COLUMNS.contains(&(table.as_str(), c.as_str())))
                .map(|c| {
                    if sqlite {
                        format!("quote(\"{c}\")")
                    } else {
                        format!("quote_nullable(\"{c}\"::text)")
                    }
                })
                .collect();
            if !values.is_empty() {
                selects.push(format!(
                    "SELECT CAST('{table}' AS TEXT) AS tbl, {} AS line FROM \"{table}\"",
                    values.join(" || '|' || ")
                ));
            }
        }
        drop(conn);
        Self {
            pool,
            sql: selects.join(" UNION ALL "),
        }
    }

    fn take(&self) -> Snapshot {
        let mut conn = self.pool.get().expect("connection");
        let mut snapshot = Snapshot::new();
        for line in diesel::sql_query(&self.sql)
            .load::<Line>(&mut *conn)
            .expect("snapshot")
        {
            snapshot.entry(line.tbl).or_default().push(line.line);
        }
        for rows in snapshot.values_mut() {
            rows.sort();
        }
        snapshot
    }
}

/// What changed in the world since `baseline` (which becomes the world now), said of `row`
/// asked by `who`; none when nothing did.
fn compare(row: &Row, who: &str, snapshots: &Snapshots, baseline: &mut Snapshot) -> Option<String> {
    let after = snapshots.take();
    if after == *baseline {
        return None;
    }
    let changed = format!(
        "{} {} {who} and changed the database: {}",
        row.method.to_uppercase(),
        row.pattern,
        diff(baseline, &after).join("; ")
    );
    *baseline = after;
    Some(changed)
}

/// What changed between two snapshots, a few rows per table.
fn diff(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let empty = Vec::new();
    let tables: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let mut changes = Vec::new();
    for table in tables {
        let (b, a) = (
            before.get(table).unwrap_or(&empty),
            after.get(table).unwrap_or(&empty),
        );
        if a == b {
            continue;
        }
        let short = |s: &String| s.chars().take(160).collect::<String>();
        let gone: Vec<String> = b
            .iter()
            .filter(|r| !a.contains(r))
            .take(3)
            .map(short)
            .collect();
        let new: Vec<String> = a
            .iter()
            .filter(|r| !b.contains(r))
            .take(3)
            .map(short)
            .collect();
        changes.push(format!("{table}: - {gone:?} + {new:?}"));
    }
    changes
}

// -------------------------------------------------------------------------------------------------
// Building the world through the console's own pages

fn number(app: &TestApp, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql)
        .get_result::<N>(&mut *app.conn())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

fn text(app: &TestApp, sql: &str) -> String {
    texts(&mut app.conn(), sql)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{sql}: no row"))
}

/// 303 See Other, or the step failed; returns where it leads.
async fn see_other(response: reqwest::Response, step: &str) -> String {
    let status = response.status().as_u16();
    let to = location(&response);
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, 303, "{step}: {}", excerpt(&body));
    to
}

/// The number after `prefix` in a location (`/w/acme/groups/7` → 7).
fn id_in(location: &str, prefix: &str) -> i64 {
    location
        .strip_prefix(prefix)
        .and_then(|rest| rest.split(['/', '?']).next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("an id after {prefix} in {location}"))
}

/// The token of the newest link `marker…` written to `address` (read from the outbox).
fn link_token(app: &TestApp, address: &str, marker: &str) -> String {
    let body = text(
        app,
        &format!(
            "SELECT text_body AS v FROM outbox_emails WHERE to_address = '{address}' ORDER BY id DESC LIMIT 1"
        ),
    );
    let body = body
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = body
        .find(marker)
        .unwrap_or_else(|| panic!("a link {marker}"))
        + marker.len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn create_role(ada: &TestApp, name: &str, permissions: &[&str]) -> i64 {
    let mut fields = vec![("name", name), ("description", "")];
    fields.extend(permissions.iter().map(|p| ("permission", *p)));
    let to = see_other(ada.post_fields("/w/acme/roles", &fields).await, name).await;
    id_in(&to, "/w/acme/roles/")
}

/// Signs in from a fresh browser: the session cookie (read from Set-Cookie) and its CSRF token.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> Person {
    let client = raw_client();
    let page = send(&client, &app.address, GET, "/login", None, None).await;
    let signed_out = page.cookie.expect("a signed-out session");
    let body = form(
        &csrf_in(&page.body),
        &[
            ("email", email.to_owned()),
            ("password", password.to_owned()),
        ],
    );
    let signed = send(
        &client,
        &app.address,
        POST,
        "/login",
        Some(&signed_out),
        Some(body),
    )
    .await;
    assert_eq!(
        signed.status,
        303,
        "{email} signs in: {}",
        describe(&signed)
    );
    let cookie = signed.cookie.expect("the signed-in session's cookie");
    let me = send(&client, &app.address, GET, "/me", Some(&cookie), None).await;
    assert_eq!(me.status, 200, "{email} opens /me");
    let account = number(
        app,
        &format!("SELECT id AS n FROM accounts WHERE email = '{email}'"),
    );
    Person {
        cookie,
        csrf: csrf_in(&me.body),
        session: number(
            app,
            &format!("SELECT MAX(id) AS n FROM sessions WHERE account_id = {account}"),
        ),
        email: email.to_owned(),
        password: password.to_owned(),
        ..Person::default()
    }
}

async fn build_world(ada: &TestApp) -> (Fixtures, Vec<Person>) {
    ada.set_up().await;
    // Room for everyone below (the Free plan has 10 seats).
    see_other(
        ada.post_fields(
            "/w/acme/settings/plan",
            &[("plan", "team"), ("seat_limit", "")],
        )
        .await,
        "the Team plan",
    )
    .await;
    let suspender_role = create_role(ada, "Suspender", &["users.suspend"]).await;
    let support_role = create_role(ada, "Support", &["users.view", "users.suspend"]).await;
    let spare_role = create_role(ada, "Spare", &["users.view"]).await;
    see_other(
        ada.post_fields("/org/workspaces", &[("name", "Labs"), ("slug", "labs")])
            .await,
        "a second workspace",
    )
    .await;

    let members = [MEMBER, SUSPENDED, BLOCKED, REMOVED, TARGET]
        .map(|p| p.0)
        .join(", ");
    let invites = [
        (members.as_str(), "member".to_owned()),
        (AUDITOR.0, "auditor".to_owned()),
        (ADMIN.0, "admin".to_owned()),
        (SUSPENDER.0, suspender_role.to_string()),
        (SUPPORT.0, support_role.to_string()),
    ];
    for (emails, role) in &invites {
        see_other(ada.invite(emails, role).await, &format!("invite {emails}")).await;
    }
    see_other(
        ada.post_fields(
            "/w/labs/invitations",
            &[("emails", OUTSIDER.0), ("role", "admin")],
        )
        .await,
        "invite the outsider to /w/labs",
    )
    .await;
    for (email, first, last) in [
        MEMBER, AUDITOR, SUSPENDER, SUPPORT, SUSPENDED, BLOCKED, REMOVED, OUTSIDER, ADMIN, TARGET,
    ] {
        let token = ada.token_for(email);
        let (_, accepted) = ada.accept_as_new(&token, first, last).await;
        see_other(accepted, &format!("{email} accepts")).await;
    }

    // A pending invitation.
    see_other(ada.invite(NEWBIE, "member").await, "invite the newbie").await;
    let invite_token = ada.token_for(NEWBIE);
    let invitation = ada.first_id(&format!("invitations WHERE email = '{NEWBIE}'"));

    // Ada's picture.
    let (content_type, picture) = picture_form(&ada.csrf_token("/me").await);
    let uploaded = ada
        .client
        .post(ada.url("/me/avatar"))
        .header("content-type", content_type)
        .body(picture)
        .send()
        .await
        .expect("POST /me/avatar");
    see_other(uploaded, "Ada's picture").await;
    let avatar_key = text(ada, "SELECT key AS v FROM avatars");

    // A group holding the target, an app granted to them.
    let target = ada.membership_of(TARGET.0);
    let to = see_other(
        ada.post_fields(
            "/w/acme/groups",
            &[("name", "Finance"), ("description", "Invoices")],
        )
        .await,
        "a group",
    )
    .await;
    let group = id_in(&to, "/w/acme/groups/");
    see_other(
        ada.post_fields(
            &format!("/w/acme/groups/{group}/members"),
            &[("membership_id", target.to_string().as_str())],
        )
        .await,
        "the target joins the group",
    )
    .await;
    let to = see_other(
        ada.post_fields(
            "/w/acme/apps",
            &[("kind", "app"), ("name", "Ledger"), ("owner_email", "")],
        )
        .await,
        "an app",
    )
    .await;
    let app = id_in(&to, "/w/acme/apps/");
    see_other(
        ada.post_fields(
            &format!("/w/acme/apps/{app}/grants"),
            &[("email", TARGET.0), ("level", "run")],
        )
        .await,
        "a grant to the target",
    )
    .await;
    let grant = ada.first_id(&format!("grants WHERE app_id = {app}"));

    // An email change of the target, waiting for its link.
    see_other(
        ada.post_fields(
            &format!("/w/acme/users/{target}/profile"),
            &[
                ("first_name", TARGET.1),
                ("last_name", TARGET.2),
                ("email", TARGET_NEW_EMAIL),
                ("timezone", "UTC"),
            ],
        )
        .await,
        "an email change of the target",
    )
    .await;
    let email_token = link_token(ada, TARGET_NEW_EMAIL, "/email-change/");
    see_other(
        ada.post_fields(&format!("/w/acme/users/{target}/password-reset"), &[])
            .await,
        "a password reset link for the target",
    )
    .await;
    let reset_token = link_token(ada, TARGET.0, "/password/reset/");

    // The blocked person signs in before the block ends their session.
    let account = |email: &str| {
        number(
            ada,
            &format!("SELECT id AS n FROM accounts WHERE email = '{email}'"),
        )
    };
    let blocked_person = sign_in(ada, BLOCKED.0, PASSWORD).await;
    let blocked_account = account(BLOCKED.0);
    see_other(
        ada.post_fields(&format!("/org/accounts/{blocked_account}/block"), &[])
            .await,
        "block",
    )
    .await;
    let suspended = ada.membership_of(SUSPENDED.0);
    see_other(
        ada.post_fields(&format!("/w/acme/users/{suspended}/suspend"), &[])
            .await,
        "suspend",
    )
    .await;
    let removed = ada.membership_of(REMOVED.0);
    see_other(
        ada.post_fields(
            &format!("/w/acme/users/{removed}/remove"),
            &[("reassign_to", "")],
        )
        .await,
        "remove",
    )
    .await;

    // Everyone signs in afresh (the suspended and removed people too: their sessions in /w/acme
    // ended); the anonymous visitor has only a signed-out session, and would sign in as the target.
    let mut people = vec![Person::default(); ACTORS.len()];
    for (actor, (email, first, last)) in [
        (Member, MEMBER),
        (Auditor, AUDITOR),
        (Suspender, SUSPENDER),
        (Support, SUPPORT),
        (Suspended, SUSPENDED),
        (Removed, REMOVED),
        (Outsider, OUTSIDER),
        (Admin, ADMIN),
        (Owner, (OWNER_EMAIL, "Ada", "Lovelace")),
    ] {
        let password = if actor == Owner {
            OWNER_PASSWORD
        } else {
            PASSWORD
        };
        let person = sign_in(ada, email, password).await;
        people[actor.index()] = Person {
            first: first.to_owned(),
            last: last.to_owned(),
            ..person
        };
    }
    people[Blocked.index()] = Person {
        first: BLOCKED.1.to_owned(),
        last: BLOCKED.2.to_owned(),
        ..blocked_person
    };
    let page = send(&raw_client(), &ada.address, GET, "/login", None, None).await;
    people[Anonymous.index()] = Person {
        cookie: page.cookie.expect("a signed-out session"),
        csrf: csrf_in(&page.body),
        session: 0,
        email: TARGET.0.to_owned(),
        password: PASSWORD.to_owned(),
        first: TARGET.1.to_owned(),
        last: TARGET.2.to_owned(),
    };

    let created = ada
        .post_fields(
            "/w/acme/settings/api-keys",
            &[("name", "Matrix sync"), ("scope", "users.view")],
        )
        .await;
    assert_eq!(created.status().as_u16(), 201, "an API key");
    let api_key = number(ada, "SELECT MAX(id) AS n FROM api_keys");

    let target_account = account(TARGET.0);
    let fixtures = Fixtures {
        target,
        target_account,
        target_session: number(
            ada,
            &format!("SELECT MAX(id) AS n FROM sessions WHERE account_id = {target_account}"),
        ),
        member: ada.membership_of(MEMBER.0),
        suspended,
        removed,
        blocked: ada.membership_of(BLOCKED.0),
        blocked_account,
        group,
        app,
        grant,
        spare_role,
        invitation,
        api_key,
        invite_token,
        email_token,
        reset_token,
        avatar_key,
    };
    (fixtures, people)
}

// -------------------------------------------------------------------------------------------------
// The cells asked of copies, on threads of their own

struct CopyPlan {
    rows: Vec<Row>,
    people: Vec<Person>,
    settings: Settings,
    template: Template,
    jobs: Mutex<VecDeque<(usize, Actor)>>,
    copies: AtomicUsize,
    stop: AtomicBool,
}

struct Workers {
    plan: Arc<CopyPlan>,
    threads: Vec<JoinHandle<Vec<Found>>>,
}

/// A wrong cell: its row, its actor, and what went wrong.
type Found = (usize, usize, String);

impl Workers {
    fn start(plan: Arc<CopyPlan>, n: usize) -> Self {
        let threads = (0..n)
            .map(|_| {
                let plan = plan.clone();
                std::thread::spawn(move || actix_web::rt::System::new().block_on(work(plan)))
            })
            .collect();
        Self { plan, threads }
    }

    fn finish(mut self) -> Vec<Found> {
        let mut found = Vec::new();
        for thread in self.threads.drain(..) {
            match thread.join() {
                Ok(mismatches) => found.extend(mismatches),
                Err(_) => found.push((
                    usize::MAX,
                    0,
                    "a worker asking copies of the world panicked (see its output)".to_owned(),
                )),
            }
        }
        found
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.plan.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Takes cells until none is left: each on a fresh copy of the world, served by a fresh console
/// with the same settings but the copy's database, stopped and dropped afterwards.
async fn work(plan: Arc<CopyPlan>) -> Vec<Found> {
    let client = raw_client();
    let mut found = Vec::new();
    while !plan.stop.load(Ordering::SeqCst) {
        let job = plan
            .jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop_front();
        let Some((i, actor)) = job else { break };
        let row = &plan.rows[i];
        let copy = plan
            .template
            .copy(plan.copies.fetch_add(1, Ordering::SeqCst));
        let mut settings = plan.settings.clone();
        settings.database_url = copy.url.clone();
        let server = Server::start(settings);
        let (path, answer) = ask(&client, &server.address, row, &plan.people[actor.index()]).await;
        drop(server);
        drop(copy);
        if let Some(wrong) = verdict(row, actor, &path, &answer) {
            found.push((i, actor.index(), wrong));
        }
    }
    found
}

// -------------------------------------------------------------------------------------------------
// The tests

#[actix_web::test]
async fn every_route_answers_every_actor_as_the_rules_say() {
    let started = Instant::now();
    let world = Arc::new(TestDatabase::create());
    let settings = Settings::for_database(&world.url, &world.dir.join("data"));

    // The world, built through the console's pages on a server of its own, stopped afterwards so
    // the template is copied from a database nobody has open.
    let (fixtures, people) = {
        let server = Server::start(settings.clone());
        let ada = TestApp {
            address: server.address.clone(),
            port: server.port,
            client: common::client(),
            pool: db::build_pool(&world.url, 2).expect("test pool"),
            settings: settings.clone(),
            db: world.clone(),
            metrics_port: None,
        };
        let built = build_world(&ada).await;
        drop(ada);
        drop(server);
        built
    };
    let built = started.elapsed();
    let template = Template::of(&world);

    let rows = rows(&fixtures);
    let uncovered = coverage(&rows);
    let mut mismatches: Vec<Found> = Vec::new();
    let jobs: VecDeque<(usize, Actor)> = rows
        .iter()
        .enumerate()
        .flat_map(|(i, row)| {
            ACTORS
                .into_iter()
                .filter(|a| row.on_copy(*a))
                .map(move |a| (i, a))
        })
        .collect();
    let copy_cells = jobs.len();
    let plan = Arc::new(CopyPlan {
        rows,
        people,
        settings: settings.clone(),
        template,
        jobs: Mutex::new(jobs),
        copies: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
    });

    // The world again, for every refused cell and every read: each must leave it as it was.
    let server = Server::start(settings.clone());
    let snapshots = Snapshots::new(&world.url);
    let mut baseline = snapshots.take();
    let workers = Workers::start(plan.clone(), COPY_WORKERS);
    let client = raw_client();
    let mut world_cells = 0;
    for (i, row) in plan.rows.iter().enumerate() {
        // A read is compared once after all its actors (a change names them all), a write after
        // each: the snapshot is most of a cell's time on PostgreSQL.
        let read = row.method != POST && !row.writes;
        let mut readers = Vec::new();
        for actor in ACTORS.into_iter().filter(|a| !row.on_copy(*a)) {
            world_cells += 1;
            let (path, answer) =
                ask(&client, &server.address, row, &plan.people[actor.index()]).await;
            if let Some(wrong) = verdict(row, actor, &path, &answer) {
                mismatches.push((i, actor.index(), wrong));
            }
            if read {
                readers.push(format!("{actor:?} ({path}, {})", answer.status));
                continue;
            }
            let who = format!("({path}) as {actor:?} answered {}", describe(&answer));
            if let Some(changed) = compare(row, &who, &snapshots, &mut baseline) {
                mismatches.push((i, actor.index(), changed));
            }
        }
        if !readers.is_empty() {
            let who = format!("as one of {}", readers.join(", "));
            if let Some(changed) = compare(row, &who, &snapshots, &mut baseline) {
                mismatches.push((i, 0, changed));
            }
        }
    }
    let world_done = started.elapsed();
    mismatches.extend(workers.finish());
    eprintln!(
        "matrix: world built in {built:.1?}; {world_cells} cells on the world, {copy_cells} on copies; \
         world cells done at {world_done:.1?}, all at {:.1?}",
        started.elapsed()
    );
    // In the table's order, whichever server answered.
    mismatches.sort_by_key(|(row, actor, _)| (*row, *actor));
    let problems: Vec<String> = uncovered
        .into_iter()
        .chain(mismatches.into_iter().map(|(_, _, wrong)| wrong))
        .collect();
    assert!(
        problems.is_empty(),
        "{} wrong:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// PRODUCT §4 rule 2: nobody acts on a member whose role holds a permission they lack.
#[actix_web::test]
async fn a_support_role_cannot_act_on_an_admin() {
    let app = common::spawn_app().await;
    app.set_up().await;
    let support_role = create_role(&app, "Support", &["users.view", "users.suspend"]).await;
    const OTHER_ADMIN: (&str, &str, &str) = ("alan.admin@example.com", "Alan", "Admin");
    let admins = format!("{}, {}", ADMIN.0, OTHER_ADMIN.0);
    for (emails, role) in [
        (SUPPORT.0, support_role.to_string()),
        (admins.as_str(), "admin".to_owned()),
        (MEMBER.0, "member".to_owned()),
    ] {
        see_other(app.invite(emails, &role).await, &format!("invite {emails}")).await;
    }
    let mut browsers = Vec::new();
    for (email, first, last) in [SUPPORT, ADMIN, OTHER_ADMIN, MEMBER] {
        let (person, accepted) = app.accept_as_new(&app.token_for(email), first, last).await;
        see_other(accepted, &format!("{email} accepts")).await;
        browsers.push(person);
    }
    let (support, admin, member) = (&browsers[0], &browsers[1], &browsers[3]);
    let admin_id = app.membership_of(ADMIN.0);
    let other_admin_id = app.membership_of(OTHER_ADMIN.0);
    let member_id = app.membership_of(MEMBER.0);
    let owner_id = app.membership_of(OWNER_EMAIL);
    // The Admin browses the console, so their session is in the workspace.
    assert_eq!(admin.get("/w/acme/users").await.status().as_u16(), 200);

    // The Admin's console, seen by Support: no Suspend button, and the reason in words.
    let console = support.get(&format!("/w/acme/users/{admin_id}")).await;
    assert_eq!(console.status().as_u16(), 200);
    let console = console.text().await.unwrap();
    assert!(
        !console.contains(&format!("/w/acme/users/{admin_id}/suspend")),
        "no Suspend button on the Admin's console"
    );
    assert!(
        console.contains("is an Admin; your role cannot act on roles with more permissions"),
        "the console says why: {}",
        excerpt(&console)
    );
    // The users list: the Admin's row offers no Suspend, the Member's does.
    let list = support.get_text("/w/acme/users").await;
    let row_of = |email: &str| -> String {
        let start = list
            .find(&format!("data-email=\"{email}\""))
            .unwrap_or_else(|| panic!("a row for {email}"));
        let end = list[start..]
            .find("</tr>")
            .map_or(list.len(), |e| start + e);
        list[start..end].to_owned()
    };
    assert!(
        !row_of(ADMIN.0).contains("data-actions=\"suspend"),
        "no Suspend in the Admin's row menu"
    );
    assert!(
        row_of(MEMBER.0).contains(&format!(
            "href=\"/w/acme/users/{member_id}\" data-actions=\"suspend"
        )),
        "the Member's row menu offers Suspend"
    );
    // Neither the confirmation nor the POST.
    assert_eq!(
        support
            .get(&format!("/w/acme/users/{admin_id}/suspend"))
            .await
            .status()
            .as_u16(),
        403
    );
    let snapshots = Snapshots::new(&app.db.url);
    let admin_account = number(
        &app,
        &format!("SELECT id AS n FROM accounts WHERE email = '{}'", ADMIN.0),
    );
    let admin_sessions = format!("sessions WHERE account_id = {admin_account}");
    let sessions_before = app.count(&admin_sessions);
    assert!(sessions_before > 0, "the Admin is signed in");
    let before = snapshots.take();
    let refused = support
        .post_fields(&format!("/w/acme/users/{admin_id}/suspend"), &[])
        .await;
    let status = refused.status().as_u16();
    let body = refused.text().await.unwrap();
    assert_eq!(status, 403, "{}", excerpt(&body));
    assert_eq!(
        diff(&before, &snapshots.take()),
        Vec::<String>::new(),
        "nothing changed"
    );
    assert_eq!(
        text(
            &app,
            &format!("SELECT status AS v FROM memberships WHERE id = {admin_id}")
        ),
        "active"
    );
    assert_eq!(
        app.count(&admin_sessions),
        sessions_before,
        "the Admin's sessions remain"
    );
    assert_eq!(admin.get("/w/acme/users").await.status().as_u16(), 200);

    // The same Support person suspends a plain Member: their sessions in the workspace end and
    // their very next request there is refused.
    let member_account = number(
        &app,
        &format!("SELECT id AS n FROM accounts WHERE email = '{}'", MEMBER.0),
    );
    let done = support
        .post_fields(&format!("/w/acme/users/{member_id}/suspend"), &[])
        .await;
    assert_eq!(
        see_other(done, "Support suspends the Member").await,
        format!("/w/acme/users/{member_id}")
    );
    assert_eq!(
        text(
            &app,
            &format!("SELECT status AS v FROM memberships WHERE id = {member_id}")
        ),
        "suspended"
    );
    let workspace = app.workspace_id("acme").0;
    assert_eq!(
        app.count(&format!(
            "sessions WHERE account_id = {member_account} AND workspace_id = {workspace}"
        )),
        0,
        "the Member's sessions in the workspace ended"
    );
    // Her session (on her profile, in no workspace) ended with it.
    assert!(location(&member.get("/w/acme/users").await).starts_with("/login"));

    // An Admin cannot suspend the Owner, and can suspend another Admin.
    let refused = admin
        .post_fields(&format!("/w/acme/users/{owner_id}/suspend"), &[])
        .await;
    assert_eq!(refused.status().as_u16(), 403);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Only an Owner can suspend an Owner.")
    );
    let done = admin
        .post_fields(&format!("/w/acme/users/{other_admin_id}/suspend"), &[])
        .await;
    assert_eq!(
        see_other(done, "an Admin suspends another Admin").await,
        format!("/w/acme/users/{other_admin_id}")
    );
}
