//! The memory store's access token signing keys, and the check value of the secret they are
//! sealed under.

use async_trait::async_trait;

use super::MemoryStore;
use crate::access_token::SealedKey;
use crate::store::{SecretCheck, SigningKeys, StoreError, StoreResult};

#[async_trait]
impl SigningKeys for MemoryStore {
    async fn add_signing_key(&self, key: &SealedKey) -> StoreResult<()> {
        let mut inner = self.lock();
        if inner.signing_keys.iter().any(|k| k.kid == key.kid) {
            return Err(StoreError::Conflict(format!(
                "signing key {} exists",
                key.kid
            )));
        }
        inner.signing_keys.push(key.clone());
        Ok(())
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SealedKey>> {
        let mut keys = self.lock().signing_keys.clone();
        keys.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.kid.cmp(&b.kid)));
        Ok(keys)
    }

    async fn delete_signing_key(&self, kid: &str) -> StoreResult<bool> {
        let mut inner = self.lock();
        let before = inner.signing_keys.len();
        inner.signing_keys.retain(|k| k.kid != kid);
        Ok(inner.signing_keys.len() < before)
    }
}

#[async_trait]
impl SecretCheck for MemoryStore {
    async fn claim_secret_check(&self, check: &str) -> StoreResult<String> {
        Ok(self
            .lock()
            .secret_check
            .get_or_insert_with(|| check.to_owned())
            .clone())
    }

    async fn replace_secret_check(&self, check: &str) -> StoreResult<()> {
        self.lock().secret_check = Some(check.to_owned());
        Ok(())
    }
}
