//! The role traits. Each has its clause group in the conformance suite.

use async_trait::async_trait;

use super::{Counter, StoreResult};
use crate::access_token::SealedKey;
use crate::api_key::ApiKey;
use crate::audit::{AuditEvent, AuditQuery};
use crate::audit_chain::{ChainEnds, ChainPage};
use crate::counter::CounterKey;
use crate::ids::{SessionId, UserId};
use crate::session::Session;
use crate::time::Timestamp;
use crate::token::TokenHash;
use crate::user::User;

/// An ended session and its place in the order the store committed the ends (the revocations
/// feed, `Listing::ended_sessions`).
#[derive(Debug, Clone, PartialEq)]
pub struct Ended {
    /// Given by the store in the transaction (or script) that stored the end: an end committed
    /// later always has a greater one.
    pub seq: u64,
    /// The session as stored.
    pub session: Session,
}

/// The session hot path: what a request reads and writes.
#[async_trait]
pub trait Sessions: Send + Sync + 'static {
    /// Inserts if absent: an existing id or token hash is a `Conflict`.
    async fn create_session(&self, session: &Session) -> StoreResult<()>;
    /// By the current or the previous token hash; records past `lookup_until` at `now` are hidden.
    async fn session_by_token(
        &self,
        hash: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<Session>>;
    /// By its logical id, whatever its state.
    async fn session_by_id(&self, id: &SessionId) -> StoreResult<Option<Session>>;
    /// Writes only if the stored version equals `session.version`, and stores `version + 1`;
    /// otherwise a `Conflict`, and nothing changes.
    async fn update_session(&self, session: &Session) -> StoreResult<()>;
    /// The user's sessions that are active at `now`, oldest first.
    async fn user_sessions(&self, user: &UserId, now: Timestamp) -> StoreResult<Vec<Session>>;
}

/// What the cleanup job and the metrics need: sessions past their deadline, dead records.
#[async_trait]
pub trait SessionSweep: Send + Sync + 'static {
    /// Sessions active at `now` (the gauge of `/metrics`).
    async fn count_active_sessions(&self, now: Timestamp) -> StoreResult<u64>;
    /// Sessions still marked active whose deadline has passed, earliest deadline first.
    async fn sessions_due(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<Session>>;
    /// How many `sessions_due` would find.
    async fn count_sessions_due(&self, now: Timestamp) -> StoreResult<u64>;
    /// Deletes up to `limit` records whose `lookup_until` is before `before`.
    async fn purge_sessions(&self, before: Timestamp, limit: u32) -> StoreResult<u64>;
    /// How many `purge_sessions` would delete.
    async fn count_purgeable_sessions(&self, before: Timestamp) -> StoreResult<u64>;
}

/// User accounts.
#[async_trait]
pub trait Users: Send + Sync + 'static {
    /// Inserts if absent; a username taken in any letter case is a `Conflict`.
    async fn create_user(&self, user: &User) -> StoreResult<()>;
    /// Case-insensitive.
    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>>;
    /// By id.
    async fn user_by_id(&self, id: &UserId) -> StoreResult<Option<User>>;
    /// Replaces the stored user; a missing one is a `Conflict`.
    async fn update_user(&self, user: &User) -> StoreResult<()>;
    /// Every user, by username.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// How many users there are.
    async fn count_users(&self) -> StoreResult<u64>;
    /// Deletes the user `id`, freeing its name; `false` when there is none.
    async fn delete_user(&self, id: &UserId) -> StoreResult<bool>;
}

/// The audit trail, a hash chain (`crate::audit_chain`).
#[async_trait]
pub trait AuditLog: Send + Sync + 'static {
    /// Appends `events`, in order, as the next links of the chain: the store gives each the seq
    /// after the head and links it to the head's hash, all or none, atomically, so nodes sharing
    /// the store build one chain. A batch is how the `Auditor` commits the events of concurrent
    /// requests together.
    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()>;
    /// Newest first, at most `query.limit`.
    async fn audit_events(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>>;
    /// The chained records in seq order, `limit` at a time: from the start, or after `cursor`
    /// (the previous page's `next`).
    async fn audit_chain(&self, cursor: Option<&str>, limit: u32) -> StoreResult<ChainPage>;
    /// The chain's base and head.
    async fn audit_chain_ends(&self) -> StoreResult<ChainEnds>;
    /// Deletes up to `limit` of the oldest records, stopping at the first one at or after
    /// `before`, so what remains is still one unbroken chain; the last deleted link becomes the
    /// chain's base.
    async fn purge_audit(&self, before: Timestamp, limit: u32) -> StoreResult<u64>;
    /// How many records are older than `before`.
    async fn count_audit_before(&self, before: Timestamp) -> StoreResult<u64>;
}

/// Counters the nodes share (login lockout, login and guessing limits), keyed by [`CounterKey`].
#[async_trait]
pub trait Counters: Send + Sync + 'static {
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
    /// Removes the counter (a successful login clears its failures).
    async fn delete_counter(&self, key: &CounterKey) -> StoreResult<()>;
    /// Deletes up to `limit` counters that expired before `before` (a store with native expiry
    /// may do nothing and answer 0).
    async fn purge_counters(&self, before: Timestamp, limit: u32) -> StoreResult<u64>;
}

/// The backend API's keys, kept as hashes.
#[async_trait]
pub trait ApiKeys: Send + Sync + 'static {
    /// Inserts if absent: a taken name or hash is a `Conflict`.
    async fn create_api_key(&self, key: &ApiKey) -> StoreResult<()>;
    /// The key whose hash is `hash`, revoked or not.
    async fn api_key_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<ApiKey>>;
    /// Every key, by name.
    async fn api_keys(&self) -> StoreResult<Vec<ApiKey>>;
    /// Marks the key `name` revoked at `at`; `false` when there is no such active key.
    async fn revoke_api_key(&self, name: &str, at: Timestamp) -> StoreResult<bool>;
    /// Replaces the roles and users the active key `name` may assert; `false` when there is no
    /// such active key.
    async fn set_api_key_grants(
        &self,
        name: &str,
        roles: &[String],
        users: &[String],
    ) -> StoreResult<bool>;
}

/// The keys that sign access tokens, sealed under the server secret, shared by every node.
#[async_trait]
pub trait SigningKeys: Send + Sync + 'static {
    /// Inserts if absent: a taken `kid` is a `Conflict`.
    async fn add_signing_key(&self, key: &SealedKey) -> StoreResult<()>;
    /// Every key, oldest first.
    async fn signing_keys(&self) -> StoreResult<Vec<SealedKey>>;
    /// Deletes the key `kid` (retired: no token it signed is still valid); `false` when there
    /// is none.
    async fn delete_signing_key(&self, kid: &str) -> StoreResult<bool>;
}

/// The check value of the server secret the store was first opened with (an HMAC of a fixed
/// label, never the secret): a node with another secret refuses to start instead of failing
/// every CSRF token, access token and signing key the others made.
#[async_trait]
pub trait SecretCheck: Send + Sync + 'static {
    /// The stored check value, after storing `check` when there is none. Atomic: of nodes
    /// opening a fresh store at once, one value is kept and all of them read it.
    async fn claim_secret_check(&self, check: &str) -> StoreResult<String>;
    /// Replaces the stored value: the secret was rotated on purpose (`sessiond secret adopt`).
    async fn replace_secret_check(&self, check: &str) -> StoreResult<()>;
}

/// The backend as a whole.
#[async_trait]
pub trait Health: Send + Sync + 'static {
    /// A short name for logs and `sessiond store check`: "memory", "sqlite", ...
    fn kind(&self) -> &'static str;
    /// The connection pool's state (seed 004's pool status), for a store that pools its
    /// connections; none for one that does not (memory; Redis multiplexes one connection).
    fn pool(&self) -> Option<PoolStatus> {
        None
    }
    /// Succeeds when the store can serve requests (`/readyz`).
    async fn ping(&self) -> StoreResult<()>;
}

/// A connection pool's state at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// The most connections it opens (`SESSIOND_STORE_POOL_SIZE`).
    pub max: u64,
    /// Connections open now.
    pub open: u64,
    /// Of those, connections waiting for a request.
    pub idle: u64,
    /// Requests waiting for a connection.
    pub waiting: u64,
}
