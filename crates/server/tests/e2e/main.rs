//! End-to-end tests: the real server on port 0, driven over HTTP like a user, with a manual
//! clock for every timeout; and a few runs of the compiled `sessiond` binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Tests of the binary poll processes they started (a sleep between looks); clippy.toml bans
// `std::thread::sleep` for the library code only.
#![allow(clippy::disallowed_methods)]

mod accounts;
mod activity;
mod admin_api;
mod admin_audit;
mod admin_config;
mod admin_counts;
mod admin_timeline;
mod audit_chain;
mod audit_durability;
mod backend_api;
mod binary;
mod cached_keys;
mod client;
mod contexts;
mod durability;
mod errors;
mod expiry_seen;
mod faults;
mod forward_auth;
mod forward_proxies;
mod forward_redirect;
mod input_contract;
mod jwks;
mod key_assertions;
mod ldap;
mod login;
mod monitoring;
mod monitoring_rules;
mod oneshot;
mod openapi;
mod ops;
mod races;
mod reauth;
mod revocations_feed;
mod secrets;
mod security;
mod session_fields;
mod sessions;
mod shared_stores;
mod storage;
mod timeouts;
mod token_attacks;
mod token_clients;
mod tokens;
