//! The access token signing keys' role.

use async_trait::async_trait;
use rusqlite::types::Value;
use sessiond_core::access_token::SealedKey;
use sessiond_core::store::{SigningKeys, StoreResult};

use super::P;
use crate::SqliteStore;
use crate::rows::{self, SIGNING_KEY_COLUMNS};

#[async_trait]
impl SigningKeys for SqliteStore {
    async fn add_signing_key(&self, key: &SealedKey) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO signing_keys ({SIGNING_KEY_COLUMNS}) VALUES ({})",
            P.list(3)
        );
        self.execute(sql, rows::signing_key_values(key))
            .await
            .map(|_| ())
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SealedKey>> {
        self.pool
            .read_blocking(|c| {
                let sql = format!(
                    "SELECT {SIGNING_KEY_COLUMNS} FROM signing_keys ORDER BY created_at, kid"
                );
                let mut stmt = c.prepare_cached(&sql)?;
                let rows = stmt.query_map([], rows::signing_key)?;
                rows.collect()
            })
            .await
    }

    async fn delete_signing_key(&self, kid: &str) -> StoreResult<bool> {
        let sql = "DELETE FROM signing_keys WHERE kid = ?1".to_owned();
        Ok(self.execute(sql, vec![Value::Text(kid.to_owned())]).await? > 0)
    }
}
