//! The Redis store against the conformance suite, on standalone Redis and on Redis Cluster. Each
//! test works under a key prefix of its own. URLs: `SESSIOND_TEST_REDIS_URL` (default
//! `redis://127.0.0.1:6379`) and `SESSIOND_TEST_REDIS_CLUSTER_URL` (default
//! `redis+cluster://127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002`). A missing server is a failure
//! that says how to start one, not a skip. Every role runs on both; the session role again behind
//! the session cache (both roles it wraps); the bus clauses on pub/sub of both.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sessiond_core::Stores;
use sessiond_store_redis::{PoolSettings, RedisStore};

async fn open_at(var: &str, default: &str, namespace: &str) -> Stores {
    let url = std::env::var(var).unwrap_or_else(|_| default.to_owned());
    let prefix = format!("test:{namespace}:");
    match RedisStore::open_with_prefix(&url, PoolSettings::default(), &prefix).await {
        Ok(store) => store.into_stores(),
        Err(e) => panic!(
            "Redis at {url} is not reachable ({e}): run scripts/test, which starts it, or set {var}"
        ),
    }
}

fn namespace() -> String {
    sessiond_core::Token::generate().unwrap().hash().to_hex()[..16].to_owned()
}

/// A node on standalone Redis, in `namespace`.
async fn standalone(namespace: String) -> Stores {
    open_at(
        "SESSIOND_TEST_REDIS_URL",
        "redis://127.0.0.1:6379",
        &namespace,
    )
    .await
}

/// A node on Redis Cluster, in `namespace`.
async fn cluster(namespace: String) -> Stores {
    open_at(
        "SESSIOND_TEST_REDIS_CLUSTER_URL",
        "redis+cluster://127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002",
        &namespace,
    )
    .await
}

mod on_standalone {
    use super::*;
    sessiond_store_conformance::store_conformance_tests!(standalone(namespace()).await);
    sessiond_store_conformance::bus_conformance_tests!(standalone);
}

mod on_cluster {
    use super::*;
    sessiond_store_conformance::store_conformance_tests!(cluster(namespace()).await);
    sessiond_store_conformance::bus_conformance_tests!(cluster);
}

/// Behind the session cache, with invalidations over pub/sub.
mod cached {
    use sessiond_core::cache::CacheSettings;

    use super::*;

    const SETTINGS: CacheSettings = CacheSettings {
        capacity: 100,
        ttl_secs: 3600,
    };

    sessiond_store_conformance::cached_conformance_tests!(
        standalone(namespace()).await.cached(SETTINGS).0
    );
}
