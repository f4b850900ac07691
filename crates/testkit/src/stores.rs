//! Every store backend, opened on a namespace of its own, for tests that must hold on each of
//! them ("on every store"): memory, SQLite, PostgreSQL, Redis and Redis Cluster. A namespace can
//! be opened more than once, which is how a test runs two nodes on one store.
//!
//! URLs of PostgreSQL and Redis are read at run time (`SESSIOND_TEST_POSTGRES_URL`, ...); a
//! missing service is a failure that says how to start it, never a skip.

use std::path::PathBuf;
use std::sync::OnceLock;

use sessiond_core::Stores;
use sessiond_core::memory::MemoryStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Memory,
    Sqlite,
    Postgres,
    Redis,
    RedisCluster,
}

/// A fresh namespace name: a PostgreSQL schema or a Redis key prefix.
pub fn namespace() -> String {
    format!(
        "conformance_{}",
        &sessiond_core::Token::generate().unwrap().hash().to_hex()[..16]
    )
}

fn url(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned())
}

pub fn postgres_url() -> String {
    url(
        "SESSIOND_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/postgres",
    )
}

pub async fn postgres(schema: &str) -> Stores {
    let url = postgres_url();
    let store = sessiond_store_postgres::PostgresStore::open_in_schema(
        &url,
        Default::default(),
        Some(schema),
    )
    .await;
    store
        .unwrap_or_else(|e| {
            panic!("PostgreSQL at {url} is not reachable ({e}): run scripts/test, which starts it")
        })
        .into_stores()
}

async fn redis(var: &str, default: &str, prefix: &str) -> Stores {
    let url = url(var, default);
    let store = sessiond_store_redis::RedisStore::open_with_prefix(
        &url,
        Default::default(),
        &format!("test:{prefix}:"),
    )
    .await;
    store
        .unwrap_or_else(|e| {
            panic!("Redis at {url} is not reachable ({e}): run scripts/test, which starts it")
        })
        .into_stores()
}

pub async fn redis_single(prefix: &str) -> Stores {
    redis("SESSIOND_TEST_REDIS_URL", "redis://127.0.0.1:6379", prefix).await
}

pub async fn redis_cluster(prefix: &str) -> Stores {
    redis(
        "SESSIOND_TEST_REDIS_CLUSTER_URL",
        "redis+cluster://127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002",
        prefix,
    )
    .await
}

/// One namespace on one backend.
pub struct SharedStore {
    pub backend: Backend,
    name: String,
    memory: OnceLock<Stores>,
}

impl SharedStore {
    pub fn new(backend: Backend) -> Self {
        Self {
            backend,
            name: namespace(),
            memory: OnceLock::new(),
        }
    }

    fn sqlite_path(&self) -> PathBuf {
        std::env::temp_dir().join(format!("sessiond-{}.db", self.name))
    }

    /// Another handle on the namespace: a new connection for the servers that have one, the
    /// same store for memory.
    /// Its namespace: the PostgreSQL schema, or the Redis key prefix's middle part.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub async fn open(&self) -> Stores {
        match self.backend {
            Backend::Memory => self.memory.get_or_init(MemoryStore::stores).clone(),
            Backend::Sqlite => {
                let url = format!("sqlite://{}", self.sqlite_path().display());
                sessiond_store_sqlite::SqliteStore::open(&url, Default::default())
                    .await
                    .unwrap()
                    .into_stores()
            }
            Backend::Postgres => postgres(&self.name).await,
            Backend::Redis => redis_single(&self.name).await,
            Backend::RedisCluster => redis_cluster(&self.name).await,
        }
    }
}

impl Drop for SharedStore {
    fn drop(&mut self) {
        if self.backend == Backend::Sqlite {
            let path = self.sqlite_path();
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }
}

/// Stamps out one `#[tokio::test]` per backend, each calling `$scenario(Backend::...)`:
/// `on_every_store!(scenario);` inside a module named after the behaviour.
#[macro_export]
macro_rules! on_every_store {
    ($scenario:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn memory() {
            $scenario($crate::stores::Backend::Memory).await
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn sqlite() {
            $scenario($crate::stores::Backend::Sqlite).await
        }
        $crate::on_every_shared_store!($scenario);
    };
}

/// The same for the stores that several nodes share (PostgreSQL, Redis, Redis Cluster), for
/// behaviours of two nodes on one store: each test opens its nodes on
/// `SharedStore::new(backend)`.
#[macro_export]
macro_rules! on_every_shared_store {
    ($scenario:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn postgres() {
            $scenario($crate::stores::Backend::Postgres).await
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn redis() {
            $scenario($crate::stores::Backend::Redis).await
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn redis_cluster() {
            $scenario($crate::stores::Backend::RedisCluster).await
        }
    };
}
