//! The access token signing keys' role.

use async_trait::async_trait;
use sessiond_core::access_token::SealedKey;
use sessiond_core::store::{SigningKeys, StoreResult};

use super::P;
use crate::PostgresStore;
use crate::rows::{self, Param, SIGNING_KEY_COLUMNS};

#[async_trait]
impl SigningKeys for PostgresStore {
    async fn add_signing_key(&self, key: &SealedKey) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO signing_keys ({SIGNING_KEY_COLUMNS}) VALUES ({})",
            P.list(3)
        );
        self.execute(&sql, &rows::signing_key_params(key))
            .await
            .map(|_| ())
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SealedKey>> {
        let sql =
            format!("SELECT {SIGNING_KEY_COLUMNS} FROM signing_keys ORDER BY created_at, kid");
        self.rows(&sql, &[])
            .await?
            .iter()
            .map(rows::signing_key)
            .collect()
    }

    async fn delete_signing_key(&self, kid: &str) -> StoreResult<bool> {
        let params: [Param; 1] = [Box::new(kid.to_owned())];
        Ok(self
            .execute("DELETE FROM signing_keys WHERE kid = $1", &params)
            .await?
            > 0)
    }
}
