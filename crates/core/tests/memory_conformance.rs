//! The memory store against the conformance suite, bare and behind the session cache.

use std::sync::Arc;

use sessiond_core::cache::{CacheSettings, CachedStore};
use sessiond_core::memory::MemoryStore;

sessiond_store_conformance::store_conformance_tests!(Arc::new(MemoryStore::new()));

mod cached {
    use super::*;

    const SETTINGS: CacheSettings = CacheSettings {
        capacity: 100,
        ttl_secs: 3600,
    };

    sessiond_store_conformance::store_conformance_tests!(Arc::new(CachedStore::new(
        Arc::new(MemoryStore::new()),
        SETTINGS
    )));
}
