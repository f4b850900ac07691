//! The memory store's API keys.

use async_trait::async_trait;

use super::MemoryStore;
use crate::api_key::ApiKey;
use crate::store::{ApiKeys, StoreError, StoreResult};
use crate::time::Timestamp;
use crate::token::TokenHash;

#[async_trait]
impl ApiKeys for MemoryStore {
    async fn create_api_key(&self, key: &ApiKey) -> StoreResult<()> {
        let mut inner = self.lock();
        if inner
            .api_keys
            .iter()
            .any(|k| k.name == key.name || k.hash == key.hash)
        {
            return Err(StoreError::Conflict(format!("api key {} exists", key.name)));
        }
        inner.api_keys.push(key.clone());
        Ok(())
    }

    async fn api_key_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<ApiKey>> {
        Ok(self
            .lock()
            .api_keys
            .iter()
            .find(|k| k.hash == *hash)
            .cloned())
    }

    async fn api_keys(&self) -> StoreResult<Vec<ApiKey>> {
        let mut keys = self.lock().api_keys.clone();
        keys.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(keys)
    }

    async fn revoke_api_key(&self, name: &str, at: Timestamp) -> StoreResult<bool> {
        let mut inner = self.lock();
        let key = inner
            .api_keys
            .iter_mut()
            .find(|k| k.name == name && k.revoked_at.is_none());
        Ok(key.map(|k| k.revoked_at = Some(at)).is_some())
    }

    async fn set_api_key_grants(
        &self,
        name: &str,
        roles: &[String],
        users: &[String],
    ) -> StoreResult<bool> {
        let mut inner = self.lock();
        let key = inner
            .api_keys
            .iter_mut()
            .find(|k| k.name == name && k.revoked_at.is_none());
        Ok(key
            .map(|k| {
                k.roles = roles.to_vec();
                k.users = users.to_vec();
            })
            .is_some())
    }
}
