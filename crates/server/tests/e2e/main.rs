//! End-to-end tests: the real server on port 0, driven over HTTP like a user, with a manual
//! clock for every timeout; and a few runs of the compiled `sessiond` binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit_chain;
mod audit_durability;
mod binary;
mod client;
mod durability;
mod errors;
mod faults;
mod ldap;
mod login;
mod oneshot;
mod ops;
mod races;
mod reauth;
mod secrets;
mod security;
mod sessions;
mod shared_stores;
mod storage;
mod timeouts;
