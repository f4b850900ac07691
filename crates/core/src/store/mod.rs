//! Storage, as small role traits. Every backend (memory, SQLite, PostgreSQL, Redis) implements
//! all of them and passes the same conformance suite (`sessiond-store-conformance`), one clause
//! group per role; each consumer receives only the roles it uses, from a [`Stores`] bundle.
//!
//! | role | what it holds | used by |
//! |---|---|---|
//! | [`Sessions`] | the hot path: create, by token, by id, versioned update, of a user | every request |
//! | [`SessionSweep`] | deadlines passed, purge of dead records, counts | cleanup job, metrics |
//! | [`Listing`] | lists by keyset, a page and its next cursor at a time: ended sessions | the revocations feed |
//! | [`Users`] | accounts | login, the CLI |
//! | [`AuditLog`] | the hash-chained audit trail | `Auditor`, `audit verify` |
//! | [`Counters`] | counters the nodes share | lockout, per-address limits |
//! | [`ApiKeys`] | the backend API's keys, as hashes | the backend API, `api-keys` |
//! | [`SigningKeys`] | access token signing keys, sealed | the token API's key ring, `keys rotate` |
//! | [`Health`] | the backend's name and a ping | `/readyz`, `store check` |
//!
//! The invalidation bus is not a role but a capability: a backend that nodes share hands its
//! bus to the bundle when it is opened ([`Stores::shared`]), and nothing downstream can drop it.
//!
//! The contract, clause by clause (docs/decisions/0026-store-roles.md):
//! - `create_session` inserts if absent: an existing id or token hash is a [`StoreError::Conflict`].
//! - `session_by_token` matches the current or the previous token hash and hides records whose
//!   `lookup_until` has passed at `now`, so every backend decides reachability the same way
//!   whether or not its cleanup has run. A backend's native TTL is only garbage collection.
//! - `update_session` writes only if the stored version equals `session.version`, and stores
//!   `version + 1`; otherwise it is a `Conflict` and nothing changes.
//! - Only token hashes are stored, never tokens.
//!
//! A role is small enough to implement in a few lines:
//!
//! ```
//! use async_trait::async_trait;
//! use sessiond_core::store::{Health, StoreResult};
//!
//! struct Probe;
//!
//! #[async_trait]
//! impl Health for Probe {
//!     fn kind(&self) -> &'static str {
//!         "probe"
//!     }
//!     async fn ping(&self) -> StoreResult<()> {
//!         Ok(())
//!     }
//! }
//! assert_eq!(Probe.kind(), "probe");
//! ```

mod bundle;
mod decorated;
mod filter;
mod listing;
mod roles;
mod tally;

pub use bundle::{Backend, Stores};
pub use decorated::{Around, Call, Decorated, Operation};
pub use filter::{ListKey, Scanned, SessionFilter, StateFilter};
pub use listing::{FeedCursor, Listing, Page};
pub use roles::{
    ApiKeys, AuditLog, Counters, Ended, Health, PoolStatus, SecretCheck, SessionSweep, Sessions,
    SigningKeys, Users,
};
pub use tally::{Tallies, Tally};

pub use crate::error::{BoxError, StoreError, StoreResult};
use crate::time::Timestamp;

/// A shared counter's value and when it lapses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    /// Its count.
    pub value: u64,
    /// When it lapses.
    pub expires_at: Timestamp,
}
