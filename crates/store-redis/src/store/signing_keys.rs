//! The access token signing keys' role, and the check value of the secret they are sealed
//! under. Every operation touches single keys, so it works the
//! same on a cluster.

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use redis::cmd;
use serde::{Deserialize, Serialize};
use sessiond_core::StoreError;
use sessiond_core::access_token::SealedKey;
use sessiond_core::store::{SecretCheck, SigningKeys, StoreResult};
use sessiond_core::time::{from_millis, to_millis};

use super::{json, parse};
use crate::{RedisStore, corrupt};

/// What `sk:k:<kid>` holds.
#[derive(Serialize, Deserialize)]
struct Record {
    /// The sealed seed, base64.
    sealed: String,
    created_at: i64,
}

#[async_trait]
impl SigningKeys for RedisStore {
    async fn add_signing_key(&self, key: &SealedKey) -> StoreResult<()> {
        let record = json(&Record {
            sealed: STANDARD.encode(&key.sealed),
            created_at: to_millis(key.created_at),
        })?;
        let set: Option<String> = self
            .q(cmd("SET")
                .arg(self.keys.signing_key(&key.kid))
                .arg(record)
                .arg("NX"))
            .await?;
        if set.is_none() {
            return Err(StoreError::Conflict(format!(
                "signing key {} exists",
                key.kid
            )));
        }
        self.q::<()>(cmd("SADD").arg(self.keys.signing_keys()).arg(&key.kid))
            .await
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SealedKey>> {
        let kids: Vec<String> = self
            .q(cmd("SMEMBERS").arg(self.keys.signing_keys()))
            .await?;
        let mut keys = Vec::with_capacity(kids.len());
        for kid in kids {
            let text: Option<String> = self.q(cmd("GET").arg(self.keys.signing_key(&kid))).await?;
            let Some(text) = text else { continue };
            let r: Record = parse(&text)?;
            keys.push(SealedKey {
                sealed: STANDARD
                    .decode(&r.sealed)
                    .map_err(|_| corrupt("signing key not base64"))?,
                kid,
                created_at: from_millis(r.created_at),
            });
        }
        keys.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.kid.cmp(&b.kid)));
        Ok(keys)
    }

    async fn delete_signing_key(&self, kid: &str) -> StoreResult<bool> {
        let deleted: u64 = self.q(cmd("DEL").arg(self.keys.signing_key(kid))).await?;
        self.q::<()>(cmd("SREM").arg(self.keys.signing_keys()).arg(kid))
            .await?;
        Ok(deleted > 0)
    }
}

#[async_trait]
impl SecretCheck for RedisStore {
    async fn claim_secret_check(&self, check: &str) -> StoreResult<String> {
        let key = self.keys.secret_check();
        self.q::<()>(cmd("SET").arg(&key).arg(check).arg("NX"))
            .await?;
        let stored: Option<String> = self.q(cmd("GET").arg(&key)).await?;
        Ok(stored.unwrap_or_else(|| check.to_owned()))
    }

    async fn replace_secret_check(&self, check: &str) -> StoreResult<()> {
        self.q::<()>(cmd("SET").arg(self.keys.secret_check()).arg(check))
            .await
    }
}
