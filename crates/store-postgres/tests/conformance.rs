//! The PostgreSQL store against the conformance suite. Each test gets its own schema in the
//! database at `SESSIOND_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`);
//! a missing server is a failure that says how to start one, not a skip. The suite runs twice:
//! on the bare store and behind the session cache.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use sessiond_store_postgres::{PoolSettings, PostgresStore};

async fn fresh() -> Arc<PostgresStore> {
    let url = std::env::var("SESSIOND_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let schema = format!(
        "conformance_{}",
        &sessiond_core::Token::generate().unwrap().hash().to_hex()[..16]
    );
    let settings = PoolSettings {
        max_connections: 4,
        ..PoolSettings::default()
    };
    match PostgresStore::open_in_schema(&url, settings, Some(&schema)).await {
        Ok(store) => Arc::new(store),
        Err(e) => panic!(
            "PostgreSQL at {url} is not reachable ({e}). Start it (scripts/test does: \
             pg_ctlcluster <version> main start) or set SESSIOND_TEST_POSTGRES_URL."
        ),
    }
}

sessiond_store_conformance::store_conformance_tests!(fresh().await);

/// Behind the session cache, with invalidations over LISTEN/NOTIFY.
mod cached {
    use sessiond_core::cache::{CacheSettings, CachedStore};

    use super::*;

    const SETTINGS: CacheSettings = CacheSettings {
        capacity: 100,
        ttl_secs: 3600,
    };

    sessiond_store_conformance::store_conformance_tests!(Arc::new(CachedStore::new(
        fresh().await,
        SETTINGS
    )));
}
