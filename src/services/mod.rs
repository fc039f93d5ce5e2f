//! Use cases. Each state change is one transaction: policy check, change, audit event (and, later,
//! the outbox email). Services never build HTML.

pub mod accounts;
pub mod api_keys;
pub mod apps;
pub mod audit;
pub mod bulk;
pub mod console;
pub mod email_change;
mod emails;
pub mod groups;
pub mod held;
pub mod idempotency;
pub mod import;
pub mod invitations;
pub mod landing;
pub mod members;
pub mod owners;
pub mod password_reset;
pub mod passwords;
pub mod profile;
pub mod provisioning;
pub mod purge;
pub mod roles;
pub mod seed;
pub mod setup;
pub mod sign_in;
pub mod slack;
pub mod two_factor;
pub mod workspaces;

/// A failure no user input can cause or fix: logged with its chain, shown as a request id.
pub type Internal = anyhow::Error;
