//! The Redis store against the conformance suite, on standalone Redis and on Redis Cluster. Each
//! test works under a key prefix of its own. URLs: `SESSIOND_TEST_REDIS_URL` (default
//! `redis://127.0.0.1:6379`) and `SESSIOND_TEST_REDIS_CLUSTER_URL` (default
//! `redis+cluster://127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002`). A missing server is a failure
//! that says how to start one, not a skip.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use sessiond_store_redis::{PoolSettings, RedisStore};

async fn fresh(var: &str, default: &str) -> Arc<RedisStore> {
    let url = std::env::var(var).unwrap_or_else(|_| default.to_owned());
    let prefix = format!(
        "test:{}:",
        &sessiond_core::Token::generate().unwrap().hash().to_hex()[..16]
    );
    match RedisStore::open_with_prefix(&url, PoolSettings::default(), &prefix).await {
        Ok(store) => Arc::new(store),
        Err(e) => panic!(
            "Redis at {url} is not reachable ({e}): run scripts/test, which starts it, or set {var}"
        ),
    }
}

mod standalone {
    use super::*;
    sessiond_store_conformance::store_conformance_tests!(
        fresh("SESSIOND_TEST_REDIS_URL", "redis://127.0.0.1:6379").await
    );
}

mod cluster {
    use super::*;
    sessiond_store_conformance::store_conformance_tests!(
        fresh(
            "SESSIOND_TEST_REDIS_CLUSTER_URL",
            "redis+cluster://127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002"
        )
        .await
    );
}

/// Behind the session cache, with invalidations over pub/sub.
mod cached {
    use sessiond_core::cache::{CacheSettings, CachedStore};

    use super::*;

    const SETTINGS: CacheSettings = CacheSettings {
        capacity: 100,
        ttl_secs: 3600,
    };

    sessiond_store_conformance::store_conformance_tests!(Arc::new(CachedStore::new(
        fresh("SESSIOND_TEST_REDIS_URL", "redis://127.0.0.1:6379").await,
        SETTINGS
    )));
}
