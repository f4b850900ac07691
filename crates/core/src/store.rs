//! The one storage interface. Every backend (memory, SQLite, and later PostgreSQL and Redis)
//! implements [`SessionStore`] and passes the same conformance suite
//! (`sessiond-store-conformance`).
//!
//! The contract, clause by clause:
//! - `create_session` inserts if absent: an existing id or token hash is a [`StoreError::Conflict`].
//! - `session_by_token` matches the current or the previous token hash and hides records whose
//!   `lookup_until` has passed at `now`, so every backend decides reachability the same way
//!   whether or not its cleanup has run. A backend's native TTL is only garbage collection.
//! - `update_session` writes only if the stored version equals `session.version`, and stores
//!   `version + 1`; otherwise it is a `Conflict` and nothing changes.
//! - Only token hashes are stored, never tokens.
//!
//! ```
//! use std::sync::Arc;
//! use sessiond_core::store::SessionStore;
//! use sessiond_core::memory::MemoryStore;
//!
//! let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
//! assert_eq!(store.kind(), "memory");
//! ```

use std::sync::Arc;

use async_trait::async_trait;

use crate::audit::{AuditEvent, AuditQuery};
use crate::audit_chain::{ChainEnds, ChainPage};
use crate::cache::InvalidationBus;
use crate::counter::CounterKey;
use crate::ids::{SessionId, UserId};
use crate::session::Session;
use crate::time::Timestamp;
use crate::token::TokenHash;
use crate::user::User;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What can go wrong in a store, typed so the service can react (retry, 409, 503).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Insert of an existing key, or update with a stale version.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store cannot be reached or timed out; the request may be retried later.
    #[error("store unavailable")]
    Unavailable(#[source] BoxError),
    /// The store answered with data we cannot read.
    #[error("corrupt record: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub fn unavailable(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Unavailable(Box::new(e))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A shared counter's value and when it lapses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub value: u64,
    pub expires_at: Timestamp,
}

#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// A short name for logs and `sessiond store check`: "memory", "sqlite", ...
    fn kind(&self) -> &'static str;

    /// Succeeds when the store can serve requests (`/readyz`).
    async fn ping(&self) -> StoreResult<()>;

    // --- sessions ---
    async fn create_session(&self, session: &Session) -> StoreResult<()>;
    async fn session_by_token(
        &self,
        hash: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<Session>>;
    async fn session_by_id(&self, id: &SessionId) -> StoreResult<Option<Session>>;
    async fn update_session(&self, session: &Session) -> StoreResult<()>;
    /// The user's sessions that are active at `now`, oldest first.
    async fn user_sessions(&self, user: &UserId, now: Timestamp) -> StoreResult<Vec<Session>>;
    async fn count_active_sessions(&self, now: Timestamp) -> StoreResult<u64>;
    /// Sessions still marked active whose deadline has passed, earliest deadline first.
    async fn sessions_due(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<Session>>;
    async fn count_sessions_due(&self, now: Timestamp) -> StoreResult<u64>;
    /// Deletes up to `limit` records whose `lookup_until` is before `before`.
    async fn purge_sessions(&self, before: Timestamp, limit: u32) -> StoreResult<u64>;
    async fn count_purgeable_sessions(&self, before: Timestamp) -> StoreResult<u64>;

    // --- users ---
    /// Inserts if absent; a username taken in any letter case is a `Conflict`.
    async fn create_user(&self, user: &User) -> StoreResult<()>;
    /// Case-insensitive.
    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>>;
    async fn user_by_id(&self, id: &UserId) -> StoreResult<Option<User>>;
    async fn update_user(&self, user: &User) -> StoreResult<()>;
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    async fn count_users(&self) -> StoreResult<u64>;

    // --- audit ---
    /// Appends `events`, in order, as the next links of the audit hash chain (`audit_chain`):
    /// the store gives each the seq after the head and links it to the head's hash, all or none,
    /// atomically, so nodes sharing the store build one chain. A batch is how the `Auditor`
    /// commits the events of concurrent requests together.
    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()>;
    /// Newest first, at most `query.limit`.
    async fn audit_events(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>>;
    /// The chained records in seq order, `limit` at a time: from the start, or after `cursor`
    /// (the previous page's `next`).
    async fn audit_chain(&self, cursor: Option<&str>, limit: u32) -> StoreResult<ChainPage>;
    async fn audit_chain_ends(&self) -> StoreResult<ChainEnds>;
    /// Deletes up to `limit` of the oldest records, stopping at the first one at or after
    /// `before`, so what remains is still one unbroken chain; the last deleted link becomes the
    /// chain's base.
    async fn purge_audit(&self, before: Timestamp, limit: u32) -> StoreResult<u64>;
    async fn count_audit_before(&self, before: Timestamp) -> StoreResult<u64>;

    // --- counters the nodes share (login lockout, login and guessing limits) ---
    /// Adds `by` to the counter `key` and returns it. A counter that does not exist, or whose
    /// `expires_at` is not after `now`, starts again from `by` and expires at `expires_at`;
    /// otherwise its expiry stays. Atomic: parallel adds from any nodes all count.
    async fn add_to_counter(
        &self,
        key: &CounterKey,
        by: u64,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<Counter>;
    /// The counter, if it exists and has not expired at `now`.
    async fn counter(&self, key: &CounterKey, now: Timestamp) -> StoreResult<Option<Counter>>;
    async fn delete_counter(&self, key: &CounterKey) -> StoreResult<()>;
    /// Deletes up to `limit` counters that expired before `before` (a store with native expiry
    /// may do nothing and answer 0).
    async fn purge_counters(&self, before: Timestamp, limit: u32) -> StoreResult<u64>;

    // --- several nodes ---
    /// How nodes sharing this store tell each other that a session changed, for
    /// `SESSION_FEATURE_CACHING`. None for stores that only one process uses.
    fn invalidation_bus(&self) -> Option<Arc<dyn InvalidationBus>> {
        None
    }
}
