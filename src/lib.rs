//! A self-hosted, server-rendered admin console for workspace user administration.
//!
//! Layers (ARCHITECTURE.md): `web → services → store → db`; everything may use `domain`, which
//! uses nothing else.

pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod files;
pub mod mail;
pub mod metrics;
pub mod net;
pub mod services;
pub mod shutdown;
pub mod slack;
pub mod startup;
pub mod store;
pub mod tokens;
pub mod web;
