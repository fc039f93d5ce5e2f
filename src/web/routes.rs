//! Every route of the console in one table: the method, the path and the handler. The same table
//! registers the routes and lists them ([`ALL`]), so the tests can walk every route and a route
//! cannot be added without appearing there. Order matters where paths overlap: the first match
//! wins (`/w/{slug}/users/{id}/suspend` before the console's `/w/{slug}/users/{id}/{tab}`).

use actix_web::web;

use super::{
    accept, api, api_keys, apps, assets, audit, bulk, console, email_change, export, groups,
    health, home, import, invitations, lifecycle, login, me, org, password, presence, roles, scim,
    settings, setup, slack, two_factor, users,
};

/// Where the JSON API lives; every path under it is the API's (an unknown one answers a problem).
pub const API_SCOPE: &str = "/api";

/// Whether a console GET also answers HEAD: not a download (it is recorded in the audit log, and
/// holds one of the person's few download places, for nobody to read) nor Slack's install and
/// callback (they start and finish a connection).
pub fn answers_head(path: &str) -> bool {
    ![".csv", "/install", "/callback"]
        .iter()
        .any(|end| path.ends_with(end))
}

/// A path that answers GET, HEAD as GET (without the body), and any other method with 405 and
/// `Allow`.
pub fn read_only<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
        .default_service(web::to(|| async {
            actix_web::HttpResponse::MethodNotAllowed()
                .insert_header((actix_web::http::header::ALLOW, "GET, HEAD"))
                .finish()
        }))
}

macro_rules! route_table {
    (
        open { $(get $open_path:literal => $open_handler:path,)+ }
        api { $($api_method:ident $api_path:literal => $api_handler:path,)+ }
        scim { $($scim_method:ident $scim_path:literal => $scim_handler:path,)+ }
        session { $($method:ident $path:literal => $handler:path,)+ }
    ) => {
        /// Routes outside the session (no cookie, no CSRF check), all [`read_only`]: static files
        /// and health (a balancer's health check may use GET or HEAD).
        pub fn open(cfg: &mut web::ServiceConfig) {
            $(
                cfg.service(read_only($open_path, $open_handler));
            )+
        }

        /// The JSON API, inside the `/api` scope (paths relative to it): an API key, no session.
        /// Every GET answers HEAD as GET, without the body (RFC 9110 §9.3.2).
        pub fn api(cfg: &mut web::ServiceConfig) {
            $(
                let path = &$api_path[API_SCOPE.len()..];
                cfg.route(path, web::$api_method().to($api_handler));
                if stringify!($api_method) == "get" {
                    cfg.route(path, web::head().to($api_handler));
                }
            )+
        }

        /// SCIM, inside the `/scim/v2` scope (paths relative to it): a key with `scim`, no session.
        /// Every GET answers HEAD as the API's do.
        pub fn scim(cfg: &mut web::ServiceConfig) {
            $(
                let path = &$scim_path[scim::SCOPE.len()..];
                cfg.route(path, web::$scim_method().to($scim_handler));
                if stringify!($scim_method) == "get" {
                    cfg.route(path, web::head().to($scim_handler));
                }
            )+
        }

        /// The console's pages and actions: everything that reads the session. A GET answers HEAD
        /// as the API's do (a link checker or an uptime probe may send either), unless
        /// [`answers_head`] says it does more than show something.
        pub fn session(cfg: &mut web::ServiceConfig) {
            $(
                cfg.route($path, web::$method().to($handler));
                if stringify!($method) == "get" && answers_head($path) {
                    cfg.route($path, web::head().to($handler));
                }
            )+
        }

        /// Every route as (method, path pattern), open ones first, in the order they are tried.
        pub const ALL: &[(&str, &str)] = &[
            $(("get", $open_path),)+
            $((stringify!($api_method), $api_path),)+
            $((stringify!($scim_method), $scim_path),)+
            $((stringify!($method), $path),)+
        ];
    };
}

route_table! {
    open {
    get "/static/{path:.*}" => assets::serve,
    get "/healthz" => health::healthz,
    get "/readyz" => health::readyz,
    }
    api {
    get "/api/v1/openapi.json" => api::openapi::json_document,
    get "/api/v1/docs" => api::openapi::reference,
    get "/api/v1/workspace" => api::workspace::show,
    get "/api/v1/roles" => api::workspace::roles,
    get "/api/v1/users" => api::users::list,
    get "/api/v1/users/{id}" => api::users::show,
    patch "/api/v1/users/{id}" => api::users::update,
    post "/api/v1/users/{id}/suspend" => api::users::suspend,
    post "/api/v1/users/{id}/unsuspend" => api::users::unsuspend,
    post "/api/v1/users/{id}/remove" => api::users::remove,
    post "/api/v1/users/{id}/restore" => api::users::restore,
    get "/api/v1/invitations" => api::invitations::list,
    post "/api/v1/invitations" => api::invitations::create,
    post "/api/v1/invitations/{id}/resend" => api::invitations::resend,
    delete "/api/v1/invitations/{id}" => api::invitations::revoke,
    get "/api/v1/groups" => api::groups::list,
    post "/api/v1/groups" => api::groups::create,
    get "/api/v1/groups/{id}" => api::groups::show,
    patch "/api/v1/groups/{id}" => api::groups::update,
    delete "/api/v1/groups/{id}" => api::groups::delete,
    put "/api/v1/groups/{id}/members/{user_id}" => api::groups::add_member,
    delete "/api/v1/groups/{id}/members/{user_id}" => api::groups::remove_member,
    get "/api/v1/audit-events" => api::audit::list,
    }
    scim {
    get "/scim/v2/ServiceProviderConfig" => scim::discovery::service_provider_config,
    post "/scim/v2/.search" => scim::search_everywhere,
    get "/scim/v2/ResourceTypes" => scim::discovery::resource_types,
    get "/scim/v2/ResourceTypes/{name}" => scim::discovery::resource_type,
    get "/scim/v2/Schemas" => scim::discovery::schemas,
    get "/scim/v2/Schemas/{id}" => scim::discovery::schema,
    get "/scim/v2/Users" => scim::users::list,
    post "/scim/v2/Users" => scim::users::create,
    post "/scim/v2/Users/.search" => scim::users::search,
    get "/scim/v2/Users/{id}" => scim::users::show,
    put "/scim/v2/Users/{id}" => scim::users::replace,
    patch "/scim/v2/Users/{id}" => scim::users::patch,
    delete "/scim/v2/Users/{id}" => scim::users::delete,
    get "/scim/v2/Groups" => scim::groups::list,
    post "/scim/v2/Groups" => scim::groups::create,
    post "/scim/v2/Groups/.search" => scim::groups::search,
    get "/scim/v2/Groups/{id}" => scim::groups::show,
    put "/scim/v2/Groups/{id}" => scim::groups::replace,
    patch "/scim/v2/Groups/{id}" => scim::groups::patch,
    delete "/scim/v2/Groups/{id}" => scim::groups::delete,
    }
    session {
    get "/" => home::index,
    get "/setup" => setup::show,
    post "/setup" => setup::submit,
    get "/login" => login::show,
    post "/login" => login::submit,
    post "/logout" => login::logout,
    get "/login/two-factor" => two_factor::login_form,
    post "/login/two-factor" => two_factor::login_submit,
    get "/me/two-factor" => two_factor::settings,
    post "/me/two-factor" => two_factor::enable,
    post "/me/two-factor/recovery-codes" => two_factor::regenerate,
    post "/me/two-factor/disable" => two_factor::disable,
    get "/password/forgot" => password::forgot,
    post "/password/forgot" => password::request_link,
    get "/password/reset/{token}" => password::show_reset,
    post "/password/reset/{token}" => password::reset,
    get "/me" => me::profile,
    post "/me/profile" => me::update_profile,
    post "/me/email-change/cancel" => me::cancel_email_change,
    post "/me/avatar" => me::upload_avatar,
    post "/me/avatar/remove" => me::remove_avatar,
    get "/avatars/{key}.png" => me::avatar_png,
    post "/me/password" => me::change_password,
    post "/me/sessions/{id}/end" => me::end_session,
    get "/w/{slug}" => users::workspace_home,
    get "/w/{slug}/users.csv" => export::users_csv,
    get "/w/{slug}/users" => users::list,
    get "/w/{slug}/presence" => presence::stream,
    get "/w/{slug}/members/suggest" => users::suggest,
    post "/w/{slug}/users/bulk" => bulk::submit,
    get "/w/{slug}/import" => import::page,
    post "/w/{slug}/import" => import::upload,
    post "/w/{slug}/import/{id}" => import::commit,
    get "/w/{slug}/import/{id}/problems.csv" => import::problems_csv,
    get "/w/{slug}/audit.csv" => audit::log_csv,
    get "/org/audit.csv" => audit::org_log_csv,
    get "/org/audit" => audit::org_log,
    get "/org" => org::home,
    get "/org/accounts" => org::accounts_page,
    get "/org/accounts/{id}/block" => org::confirm_block,
    post "/org/accounts/{id}/block" => org::block,
    post "/org/accounts/{id}/unblock" => org::unblock,
    post "/org/accounts/{id}/sign-in-pause/clear" => org::clear_sign_in_pause,
    post "/org/accounts/{id}/org-role" => org::change_org_role,
    get "/org/workspaces" => org::workspaces_page,
    post "/org/workspaces" => org::create_workspace,
    post "/org/name" => org::rename_organization,
    get "/w/{slug}/audit" => audit::log,
    get "/w/{slug}/groups" => groups::list,
    post "/w/{slug}/groups" => groups::create,
    get "/w/{slug}/groups/{id}" => groups::show,
    get "/w/{slug}/groups/{id}/picker" => groups::picker,
    get "/w/{slug}/groups/{id}/add" => groups::picker_page,
    post "/w/{slug}/groups/{id}" => groups::update,
    post "/w/{slug}/groups/{id}/members" => groups::add_members,
    post "/w/{slug}/groups/{id}/members/bulk" => groups::add_by_emails,
    get "/w/{slug}/groups/{id}/members/{member}/remove" => groups::confirm_remove_member,
    post "/w/{slug}/groups/{id}/members/{member}/remove" => groups::remove_member,
    get "/w/{slug}/groups/{id}/delete" => groups::confirm_delete,
    post "/w/{slug}/groups/{id}/delete" => groups::delete,
    get "/w/{slug}/apps" => apps::list,
    post "/w/{slug}/apps" => apps::create,
    get "/w/{slug}/apps/{id}" => apps::show,
    get "/w/{slug}/apps/{id}/permissions" => apps::permissions,
    post "/w/{slug}/apps/{id}" => apps::update,
    post "/w/{slug}/apps/{id}/grants" => apps::give_access,
    post "/w/{slug}/apps/{id}/grants/{grant}" => apps::change_level,
    get "/w/{slug}/apps/{id}/grants/{grant}/remove" => apps::confirm_revoke,
    post "/w/{slug}/apps/{id}/grants/{grant}/remove" => apps::revoke,
    get "/w/{slug}/apps/{id}/delete" => apps::confirm_delete,
    post "/w/{slug}/apps/{id}/delete" => apps::delete,
    get "/w/{slug}/settings" => settings::show,
    post "/w/{slug}/settings/name" => settings::rename,
    post "/w/{slug}/settings/slug" => settings::change_slug,
    post "/w/{slug}/settings/plan" => settings::change_plan,
    post "/w/{slug}/settings/two-factor" => settings::require_two_factor,
    get "/w/{slug}/api-keys" => api_keys::moved,
    get "/w/{slug}/settings/api-keys" => api_keys::list,
    post "/w/{slug}/settings/api-keys" => api_keys::create,
    get "/w/{slug}/settings/api-keys/{id}/revoke" => api_keys::confirm_revoke,
    post "/w/{slug}/settings/api-keys/{id}/revoke" => api_keys::revoke,
    post "/w/{slug}/settings/delete" => settings::delete,
    get "/w/{slug}/settings/slack" => slack::settings,
    post "/w/{slug}/settings/slack" => slack::connect,
    get "/w/{slug}/settings/slack/install" => slack::install,
    get "/w/{slug}/settings/slack/callback" => slack::callback,
    post "/w/{slug}/settings/slack/refresh" => slack::refresh,
    get "/w/{slug}/settings/slack/disconnect" => slack::confirm_disconnect,
    post "/w/{slug}/settings/slack/disconnect" => slack::disconnect,
    get "/w/{slug}/roles" => roles::list,
    post "/w/{slug}/roles" => roles::create,
    get "/w/{slug}/roles/{id}" => roles::show,
    post "/w/{slug}/roles/{id}" => roles::update,
    get "/w/{slug}/roles/{id}/delete" => roles::confirm_delete,
    post "/w/{slug}/roles/{id}/delete" => roles::delete,
    get "/w/{slug}/users/{id}/suspend" => lifecycle::confirm_suspend,
    post "/w/{slug}/users/{id}/suspend" => lifecycle::suspend,
    post "/w/{slug}/users/{id}/unsuspend" => lifecycle::unsuspend,
    get "/w/{slug}/users/{id}/block" => lifecycle::confirm_block,
    post "/w/{slug}/users/{id}/block" => lifecycle::block,
    post "/w/{slug}/users/{id}/unblock" => lifecycle::unblock,
    get "/w/{slug}/users/{id}/remove" => lifecycle::confirm_remove,
    get "/w/{slug}/users/{id}/remove/picker" => lifecycle::remove_picker,
    post "/w/{slug}/users/{id}/remove" => lifecycle::remove,
    get "/w/{slug}/users/{id}/restore" => lifecycle::confirm_restore,
    post "/w/{slug}/users/{id}/restore" => lifecycle::restore,
    get "/w/{slug}/users/{id}" => console::overview,
    get "/w/{slug}/users/{id}/{tab}" => console::show_tab,
    post "/w/{slug}/users/{id}/profile" => console::update_profile,
    post "/w/{slug}/users/{id}/email-change/cancel" => console::cancel_email_change,
    post "/w/{slug}/users/{id}/avatar" => console::upload_avatar,
    post "/w/{slug}/users/{id}/avatar/remove" => console::remove_avatar,
    post "/w/{slug}/users/{id}/role" => console::change_role,
    post "/w/{slug}/users/{id}/sessions/{session}/end" => console::end_session,
    get "/w/{slug}/users/{id}/sessions/end-all" => console::confirm_end_all_sessions,
    post "/w/{slug}/users/{id}/sessions/end-all" => console::end_all_sessions,
    post "/w/{slug}/users/{id}/password-reset" => console::send_password_reset,
    post "/w/{slug}/users/{id}/sign-in-pause/clear" => console::clear_sign_in_pause,
    get "/w/{slug}/users/{id}/two-factor/reset" => console::confirm_reset_two_factor,
    post "/w/{slug}/users/{id}/two-factor/reset" => console::reset_two_factor,
    get "/w/{slug}/invitations/new" => invitations::new,
    get "/w/{slug}/invitations/slack" => slack::people,
    post "/w/{slug}/invitations/slack" => slack::add,
    post "/w/{slug}/invitations" => invitations::create,
    post "/w/{slug}/invitations/{id}/resend" => invitations::resend,
    get "/w/{slug}/invitations/{id}/revoke" => invitations::confirm_revoke,
    post "/w/{slug}/invitations/{id}/revoke" => invitations::revoke,
    get "/invite/{token}" => accept::show,
    post "/invite/{token}" => accept::submit,
    get "/email-change/{token}" => email_change::show,
    post "/email-change/{token}" => email_change::confirm,
    }
}
