//! The API key role.

use async_trait::async_trait;
use sessiond_core::api_key::ApiKey;
use sessiond_core::store::{ApiKeys, StoreResult};
use sessiond_core::time::to_millis;
use sessiond_core::{Timestamp, TokenHash};

use super::P;
use crate::PostgresStore;
use crate::rows::{self, API_KEY_COLUMNS, Param};

#[async_trait]
impl ApiKeys for PostgresStore {
    async fn create_api_key(&self, key: &ApiKey) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO api_keys ({API_KEY_COLUMNS}) VALUES ({})",
            P.list(7)
        );
        self.execute(&sql, &rows::api_key_params(key))
            .await
            .map(|_| ())
    }

    async fn api_key_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<ApiKey>> {
        let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE hash = $1");
        let hash = hash.as_bytes().to_vec();
        self.row(&sql, &[&hash])
            .await?
            .as_ref()
            .map(rows::api_key)
            .transpose()
    }

    async fn api_keys(&self) -> StoreResult<Vec<ApiKey>> {
        let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY name");
        self.rows(&sql, &[])
            .await?
            .iter()
            .map(rows::api_key)
            .collect()
    }

    async fn revoke_api_key(&self, name: &str, at: Timestamp) -> StoreResult<bool> {
        let sql = "UPDATE api_keys SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL";
        let params: [Param; 2] = [Box::new(name.to_owned()), Box::new(to_millis(at))];
        Ok(self.execute(sql, &params).await? > 0)
    }

    async fn set_api_key_grants(
        &self,
        name: &str,
        roles: &[String],
        users: &[String],
    ) -> StoreResult<bool> {
        let sql =
            "UPDATE api_keys SET roles = $2, users = $3 WHERE name = $1 AND revoked_at IS NULL";
        let params: [Param; 3] = [
            Box::new(name.to_owned()),
            Box::new(rows::text_list(roles)),
            Box::new(rows::text_list(users)),
        ];
        Ok(self.execute(sql, &params).await? > 0)
    }
}
