//! The memory store against the conformance suite.

use std::sync::Arc;

use sessiond_core::memory::MemoryStore;

sessiond_store_conformance::store_conformance_tests!(Arc::new(MemoryStore::new()));
