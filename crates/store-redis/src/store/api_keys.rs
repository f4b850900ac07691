//! The API key role. Every operation touches single keys, so it works the same on a cluster.

use async_trait::async_trait;
use redis::cmd;
use serde::{Deserialize, Serialize};
use sessiond_core::api_key::{ApiKey, scopes_from_text, scopes_to_text};
use sessiond_core::store::{ApiKeys, StoreResult};
use sessiond_core::time::{from_millis, to_millis};
use sessiond_core::{StoreError, Timestamp, TokenHash};

use super::{json, parse};
use crate::{RedisStore, corrupt};

/// What `ak:h:<hash>` holds; the revocation lives in a key of its own. Records written before
/// keys carried roles have none.
#[derive(Serialize, Deserialize)]
struct Record {
    name: String,
    scopes: String,
    created_at: i64,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    users: Vec<String>,
}

impl RedisStore {
    async fn api_key_at(&self, hash: &TokenHash) -> StoreResult<Option<ApiKey>> {
        let Some(text) = self
            .q::<Option<String>>(cmd("GET").arg(self.keys.api_key(hash)))
            .await?
        else {
            return Ok(None);
        };
        let r: Record = parse(&text)?;
        let revoked: Option<i64> = self
            .q(cmd("GET").arg(self.keys.api_key_revoked(hash)))
            .await?;
        Ok(Some(ApiKey {
            name: r.name,
            hash: *hash,
            scopes: scopes_from_text(&r.scopes).ok_or_else(|| corrupt("unknown api key scope"))?,
            roles: r.roles,
            users: r.users,
            created_at: from_millis(r.created_at),
            revoked_at: revoked.map(from_millis),
        }))
    }

    async fn api_key_hash(&self, name: &str) -> StoreResult<Option<TokenHash>> {
        let hex: Option<String> = self.q(cmd("GET").arg(self.keys.api_key_name(name))).await?;
        hex.map(|h| TokenHash::from_hex(&h).ok_or_else(|| corrupt("api key hash")))
            .transpose()
    }
}

#[async_trait]
impl ApiKeys for RedisStore {
    async fn create_api_key(&self, key: &ApiKey) -> StoreResult<()> {
        let name_key = self.keys.api_key_name(&key.name);
        let claimed: Option<String> = self
            .q(cmd("SET").arg(&name_key).arg(key.hash.to_hex()).arg("NX"))
            .await?;
        if claimed.is_none() {
            return Err(StoreError::Conflict(format!("api key {} exists", key.name)));
        }
        let record = json(&Record {
            name: key.name.clone(),
            scopes: scopes_to_text(&key.scopes),
            created_at: to_millis(key.created_at),
            roles: key.roles.clone(),
            users: key.users.clone(),
        })?;
        let set: Option<String> = self
            .q(cmd("SET")
                .arg(self.keys.api_key(&key.hash))
                .arg(record)
                .arg("NX"))
            .await?;
        if set.is_none() {
            self.q::<()>(cmd("DEL").arg(&name_key)).await?;
            return Err(StoreError::Conflict("api key hash exists".into()));
        }
        if let Some(at) = key.revoked_at {
            self.q::<()>(
                cmd("SET")
                    .arg(self.keys.api_key_revoked(&key.hash))
                    .arg(to_millis(at)),
            )
            .await?;
        }
        self.q::<()>(cmd("SADD").arg(self.keys.api_keys()).arg(&key.name))
            .await
    }

    async fn api_key_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<ApiKey>> {
        self.api_key_at(hash).await
    }

    async fn api_keys(&self) -> StoreResult<Vec<ApiKey>> {
        let mut names: Vec<String> = self.q(cmd("SMEMBERS").arg(self.keys.api_keys())).await?;
        names.sort();
        let mut keys = Vec::with_capacity(names.len());
        for name in names {
            if let Some(hash) = self.api_key_hash(&name).await?
                && let Some(key) = self.api_key_at(&hash).await?
            {
                keys.push(key);
            }
        }
        Ok(keys)
    }

    async fn revoke_api_key(&self, name: &str, at: Timestamp) -> StoreResult<bool> {
        let Some(hash) = self.api_key_hash(name).await? else {
            return Ok(false);
        };
        let set: Option<String> = self
            .q(cmd("SET")
                .arg(self.keys.api_key_revoked(&hash))
                .arg(to_millis(at))
                .arg("NX"))
            .await?;
        Ok(set.is_some())
    }

    async fn set_api_key_grants(
        &self,
        name: &str,
        roles: &[String],
        users: &[String],
    ) -> StoreResult<bool> {
        let Some(hash) = self.api_key_hash(name).await? else {
            return Ok(false);
        };
        let Some(key) = self.api_key_at(&hash).await? else {
            return Ok(false);
        };
        if key.revoked_at.is_some() {
            return Ok(false);
        }
        let record = json(&Record {
            name: key.name,
            scopes: scopes_to_text(&key.scopes),
            created_at: to_millis(key.created_at),
            roles: roles.to_vec(),
            users: users.to_vec(),
        })?;
        // XX: a key that vanished meanwhile is not brought back.
        let set: Option<String> = self
            .q(cmd("SET")
                .arg(self.keys.api_key(&hash))
                .arg(record)
                .arg("XX"))
            .await?;
        Ok(set.is_some())
    }
}
