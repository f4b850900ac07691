//! Route handlers, one module per surface.

pub mod account;
pub mod admin;
pub mod backend;
pub mod client;
pub mod forward;
pub mod jwks;
pub mod logout;
pub mod ops;
pub mod pages;
pub mod session;
pub mod tokens;
