//! The memory store against the conformance suite, bare and behind the session cache, which
//! runs the clauses of both roles it wraps (sessions and API keys).

use sessiond_core::cache::CacheSettings;
use sessiond_core::memory::MemoryStore;

sessiond_store_conformance::store_conformance_tests!(MemoryStore::stores());

mod cached {
    use super::*;

    const SETTINGS: CacheSettings = CacheSettings {
        capacity: 100,
        ttl_secs: 3600,
    };

    sessiond_store_conformance::cached_conformance_tests!(MemoryStore::stores().cached(SETTINGS).0);
}
