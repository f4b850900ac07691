//! The SQLite store against the conformance suite: each test gets its own database file.

#![allow(clippy::unwrap_used)]

use sessiond_store_sqlite::{PoolSettings, SqliteStore};

async fn fresh() -> sessiond_core::Stores {
    let dir = std::env::temp_dir().join("sessiond-conformance");
    let name = format!(
        "{}.db",
        sessiond_core::Token::generate().unwrap().hash().to_hex()
    );
    let url = format!("sqlite://{}", dir.join(name).display());
    SqliteStore::open(&url, PoolSettings::default())
        .await
        .unwrap()
        .into_stores()
}

sessiond_store_conformance::store_conformance_tests!(fresh().await);

/// Processes that open one file are the nodes of one deployment; another file is another.
async fn open_in_namespace(namespace: String) -> sessiond_core::Stores {
    let path = std::env::temp_dir()
        .join("sessiond-conformance")
        .join(format!("bus-{namespace}.db"));
    let url = format!("sqlite://{}", path.display());
    SqliteStore::open(&url, PoolSettings::default())
        .await
        .unwrap()
        .into_stores()
}

sessiond_store_conformance::bus_conformance_tests!(open_in_namespace);
