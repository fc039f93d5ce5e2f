//! Every integration test in one binary (one link instead of one per file): HTTP tests per
//! feature on the backend chosen by `TEST_BACKEND`, and headless-browser tests (`browser_*`).

mod common;

mod api;
mod apps;
mod audit;
mod bad_input;
mod binary;
mod browser_a11y;
mod browser_api_keys;
mod browser_bulk;
mod browser_console;
mod browser_foundation;
mod browser_groups;
mod browser_invitations;
mod browser_me;
mod browser_password_reset;
mod browser_roles_settings;
mod browser_stronger_role;
mod browser_support;
mod browser_two_factor;
mod bulk;
mod cli;
mod console;
mod dormant;
mod email_change;
mod export;
mod foundation;
mod groups;
mod import;
mod invitations;
mod lifecycle;
mod matrix;
mod me;
mod member_actions;
mod metrics;
mod org;
mod password_reset;
mod purge_outlook;
mod reasons;
mod roles;
mod scim;
mod settings;
mod sign_in_safety;
mod two_factor;
mod users_list;
