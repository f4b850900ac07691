//! The Redis store ([`sessiond_core::store::Backend`]): standalone Redis (`redis://`) or
//! Redis Cluster (`redis+cluster://host:port,host:port,...`).
//!
//! Built so that every operation works when the keys of one user's sessions live on different
//! cluster nodes: no command or script touches two slots at once, and nothing relies on keyspace
//! notifications. A check's lookup is one script: a session's key and its cookie tokens' keys
//! share a hash tag (decision 0057). On standalone Redis, where every key is on one server, a
//! keep-alive's index writes are one pipeline. Expiry is decided by the timestamps in each
//! record (the core's rules); native TTL only collects garbage, long after a record stopped
//! mattering. The key layout is in docs/decisions/0009-redis-key-layout.md.

mod bus;
mod conn;
mod keys;
mod store;
#[cfg(test)]
mod testing;

use std::sync::Arc;
use std::time::Duration;

use sessiond_core::StoreError;

pub use bus::RedisBus;
use conn::Conn;
pub use keys::Keys;

/// Connection settings beyond the URL.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// The longest wait for a connection or an answer before the store counts as unavailable.
    pub timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
        }
    }
}

pub struct RedisStore {
    conn: Conn,
    keys: Keys,
    /// Every command is bounded by this, whatever the driver is waiting for.
    timeout: Duration,
    bus: Arc<RedisBus>,
}

impl RedisStore {
    /// Connects to `url` with every key under the prefix `sessiond:`.
    pub async fn open(url: &str, settings: PoolSettings) -> Result<Self, StoreError> {
        Self::open_with_prefix(url, settings, "sessiond:").await
    }

    /// The same under another key prefix: the conformance suite gives each test its own.
    pub async fn open_with_prefix(
        url: &str,
        settings: PoolSettings,
        prefix: &str,
    ) -> Result<Self, StoreError> {
        let conn = Conn::connect(url, settings.timeout).await?;
        let keys = Keys::new(prefix);
        let bus = RedisBus::new(
            conn.clone(),
            keys.invalidations(),
            conn::node_urls(url),
            settings.timeout,
        );
        let store = Self {
            conn,
            keys,
            timeout: settings.timeout,
            bus: Arc::new(bus),
        };
        store.migrate_feed().await?;
        store.tag_keys_once().await?;
        store.index_created_once().await?;
        store.index_audit_once().await?;
        Ok(store)
    }

    /// Whether this store talks to a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        self.conn.is_cluster()
    }

    /// Every role, with the bus on which nodes sharing this store tell each other of changed
    /// sessions.
    pub fn into_stores(self) -> sessiond_core::Stores {
        let bus = self.bus.clone();
        sessiond_core::Stores::shared(std::sync::Arc::new(self), bus)
    }
}

#[derive(Debug)]
struct TimedOut;

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redis did not answer in time")
    }
}

impl std::error::Error for TimedOut {}

impl RedisStore {
    /// Runs one Redis round trip, bounded by the store timeout whatever the driver waits for
    /// (a reconnection, a busy cluster node).
    pub(crate) async fn bounded<T>(
        &self,
        f: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.timeout, f).await {
            Ok(result) => result.map_err(store_error),
            Err(_) => Err(StoreError::unavailable(TimedOut)),
        }
    }
}

pub(crate) fn store_error(e: redis::RedisError) -> StoreError {
    StoreError::unavailable(e)
}

pub(crate) fn corrupt(what: impl Into<sessiond_core::store::BoxError>) -> StoreError {
    StoreError::corrupt(what)
}
