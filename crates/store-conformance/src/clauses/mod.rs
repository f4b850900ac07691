//! One function per clause of the store contract, one module per role.

pub mod api_keys;
pub mod audit;
pub mod bus;
pub mod counters;
pub mod health;
pub mod listing;
pub mod secret_check;
pub mod sessions;
pub mod signing_keys;
pub mod sweep;
pub mod users;
