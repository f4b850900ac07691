//! The access token signing keys' role, and the check value of the secret they are sealed
//! under.

use async_trait::async_trait;
use sessiond_core::access_token::SealedKey;
use sessiond_core::store::{SecretCheck, SigningKeys, StoreResult};

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

#[async_trait]
impl SecretCheck for PostgresStore {
    async fn claim_secret_check(&self, check: &str) -> StoreResult<String> {
        let params: [Param; 1] = [Box::new(check.to_owned())];
        self.execute(
            "INSERT INTO meta (name, value) VALUES ('secret_check', $1) \
             ON CONFLICT (name) DO NOTHING",
            &params,
        )
        .await?;
        let row = self
            .row("SELECT value FROM meta WHERE name = 'secret_check'", &[])
            .await?;
        // Only a concurrent `replace` could have removed it: the inserted value stands.
        Ok(row.map_or_else(|| check.to_owned(), |r| r.get(0)))
    }

    async fn replace_secret_check(&self, check: &str) -> StoreResult<()> {
        let params: [Param; 1] = [Box::new(check.to_owned())];
        self.execute(
            "INSERT INTO meta (name, value) VALUES ('secret_check', $1) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            &params,
        )
        .await
        .map(|_| ())
    }
}
