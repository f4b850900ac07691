//! The API key role.

use async_trait::async_trait;
use rusqlite::OptionalExtension as _;
use rusqlite::types::Value;
use sessiond_core::api_key::ApiKey;
use sessiond_core::store::{ApiKeys, StoreResult};
use sessiond_core::time::to_millis;
use sessiond_core::{Timestamp, TokenHash};

use super::P;
use crate::SqliteStore;
use crate::rows::{self, API_KEY_COLUMNS};

#[async_trait]
impl ApiKeys for SqliteStore {
    async fn create_api_key(&self, key: &ApiKey) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO api_keys ({API_KEY_COLUMNS}) VALUES ({})",
            P.list(7)
        );
        self.execute(sql, rows::api_key_values(key))
            .await
            .map(|_| ())
    }

    async fn api_key_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<ApiKey>> {
        let hash = hash.as_bytes().to_vec();
        self.pool.read(|c| {
            let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE hash = ?1");
            c.prepare_cached(&sql)?
                .query_row([hash], rows::api_key)
                .optional()
        })
    }

    async fn api_keys(&self) -> StoreResult<Vec<ApiKey>> {
        self.pool
            .read_blocking(|c| {
                let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY name");
                let mut stmt = c.prepare_cached(&sql)?;
                let rows = stmt.query_map([], rows::api_key)?;
                rows.collect()
            })
            .await
    }

    async fn revoke_api_key(&self, name: &str, at: Timestamp) -> StoreResult<bool> {
        let sql = "UPDATE api_keys SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL";
        let args = vec![Value::Text(name.to_owned()), Value::Integer(to_millis(at))];
        Ok(self.execute(sql.to_owned(), args).await? > 0)
    }

    async fn set_api_key_grants(
        &self,
        name: &str,
        roles: &[String],
        users: &[String],
    ) -> StoreResult<bool> {
        let sql =
            "UPDATE api_keys SET roles = ?2, users = ?3 WHERE name = ?1 AND revoked_at IS NULL";
        let args = vec![
            Value::Text(name.to_owned()),
            Value::Text(rows::text_list(roles)),
            Value::Text(rows::text_list(users)),
        ];
        Ok(self.execute(sql.to_owned(), args).await? > 0)
    }
}
