//! Slack (issue 19): the Web API client and the worker that reads people and sends direct messages.

pub mod client;
pub mod worker;
