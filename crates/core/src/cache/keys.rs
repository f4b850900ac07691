//! The backend API's keys, cached per node beside the sessions (`SESSION_FEATURE_CACHING`):
//! with the session cache on, a check is answered from memory, and a validation that still
//! read its key from the store on every call would cost much more than a check.
//!
//! Only `api_key_by_hash` is served from the cache, and only for a key that was found and not
//! revoked: an unknown key always goes to the store, so a new key works at once. A revocation
//! drops every cached key on this node before it returns, and `Admin::revoke_api_key`
//! publishes [`Notice::ApiKeys`] on the bus, so every node drops its copies before the
//! revocation is answered. Without a bus (memory, SQLite) only this process's revocations reach
//! its cache, and a copy lives at most the TTL, as a session's does.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{Notice, State};
use crate::Timestamp;
use crate::api_key::ApiKey;
use crate::store::{ApiKeys, StoreResult};
use crate::token::TokenHash;

/// Keys a node keeps: deployments have a few.
pub(super) const CAPACITY: usize = 1024;

#[derive(Clone)]
pub(super) struct KeyEntry {
    key: ApiKey,
    cached_at: Instant,
}

/// The key cache, as an [`ApiKeys`] role in front of the store's.
pub struct CachedKeys {
    inner: Arc<dyn ApiKeys>,
    state: Arc<State>,
    ttl: Duration,
}

impl super::CachedStore {
    /// The key cache in front of `inner`, fed by this cache's bus.
    pub fn keys_in_front_of(&self, inner: Arc<dyn ApiKeys>) -> CachedKeys {
        CachedKeys {
            inner,
            state: self.state.clone(),
            ttl: Duration::from_millis(u64::try_from(self.ttl_ms).unwrap_or(0)),
        }
    }
}

impl CachedKeys {
    fn cached(&self, hash: &TokenHash) -> Option<ApiKey> {
        if !self.state.live.load(Ordering::Acquire) {
            return None;
        }
        let entry = self.state.keys.get(hash)?;
        (entry.cached_at.elapsed() < self.ttl).then_some(entry.key)
    }
}

#[async_trait]
impl ApiKeys for CachedKeys {
    async fn create_api_key(&self, key: &ApiKey) -> StoreResult<()> {
        self.inner.create_api_key(key).await
    }

    async fn api_key_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<ApiKey>> {
        if let Some(key) = self.cached(hash) {
            self.state.stats.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Some(key));
        }
        self.state.stats.misses.fetch_add(1, Ordering::Relaxed);
        let seen = *self.state.generation();
        let found = self.inner.api_key_by_hash(hash).await?;
        if let Some(key) = found.as_ref().filter(|k| k.revoked_at.is_none()) {
            // Under the generation's lock: a revocation that landed since the read began has
            // bumped it, and this copy, possibly older than that revocation, is not kept.
            let generation = self.state.generation();
            if *generation == seen && self.state.live.load(Ordering::Acquire) {
                let entry = KeyEntry {
                    key: key.clone(),
                    cached_at: Instant::now(),
                };
                self.state.keys.insert(*hash, entry);
            }
        }
        Ok(found)
    }

    async fn api_keys(&self) -> StoreResult<Vec<ApiKey>> {
        self.inner.api_keys().await
    }

    async fn revoke_api_key(&self, name: &str, at: Timestamp) -> StoreResult<bool> {
        let revoked = self.inner.revoke_api_key(name, at).await;
        // After the write, whatever its outcome: see `CachedStore::update_session`.
        super::InvalidationSink::invalidate(&*self.state, &Notice::ApiKeys);
        revoked
    }

    async fn set_api_key_grants(
        &self,
        name: &str,
        roles: &[String],
        users: &[String],
    ) -> StoreResult<bool> {
        let changed = self.inner.set_api_key_grants(name, roles, users).await;
        super::InvalidationSink::invalidate(&*self.state, &Notice::ApiKeys);
        changed
    }
}
