//! The PostgreSQL store against the conformance suite. Each test gets its own schema in the
//! database at `SESSIOND_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`);
//! a missing server is a failure that says how to start one, not a skip. Every role runs on the
//! bare store, the session role again behind the session cache, and the bus clauses on
//! LISTEN/NOTIFY.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sessiond_core::Stores;
use sessiond_store_postgres::{PoolSettings, PostgresStore};

/// A node on the schema `schema` (created on first use).
async fn open(schema: String) -> Stores {
    let url = std::env::var("SESSIOND_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let settings = PoolSettings {
        max_connections: 4,
        ..PoolSettings::default()
    };
    match PostgresStore::open_in_schema(&url, settings, Some(&schema)).await {
        Ok(store) => store.into_stores(),
        Err(e) => panic!(
            "PostgreSQL at {url} is not reachable ({e}). Start it (scripts/test does: \
             pg_ctlcluster <version> main start) or set SESSIOND_TEST_POSTGRES_URL."
        ),
    }
}

async fn fresh() -> Stores {
    let schema = format!(
        "conformance_{}",
        &sessiond_core::Token::generate().unwrap().hash().to_hex()[..16]
    );
    open(schema).await
}

sessiond_store_conformance::store_conformance_tests!(fresh().await);
sessiond_store_conformance::bus_conformance_tests!(open);

/// Behind the session cache, with invalidations over LISTEN/NOTIFY.
mod cached {
    use sessiond_core::cache::CacheSettings;

    use super::*;

    const SETTINGS: CacheSettings = CacheSettings {
        capacity: 100,
        ttl_secs: 3600,
    };

    sessiond_store_conformance::cached_conformance_tests!(fresh().await.cached(SETTINGS).0);
}
