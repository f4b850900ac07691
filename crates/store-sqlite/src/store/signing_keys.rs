//! The access token signing keys' role, and the check value of the secret they are sealed
//! under.

use async_trait::async_trait;
use rusqlite::types::Value;
use sessiond_core::access_token::SealedKey;
use sessiond_core::store::{SecretCheck, SigningKeys, StoreResult};

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

#[async_trait]
impl SecretCheck for SqliteStore {
    async fn claim_secret_check(&self, check: &str) -> StoreResult<String> {
        let check = check.to_owned();
        self.pool
            .write(move |c| {
                c.prepare_cached(
                    "INSERT OR IGNORE INTO meta (name, value) VALUES ('secret_check', ?1)",
                )?
                .execute([&check])?;
                c.prepare_cached("SELECT value FROM meta WHERE name = 'secret_check'")?
                    .query_row([], |r| r.get(0))
            })
            .await
    }

    async fn replace_secret_check(&self, check: &str) -> StoreResult<()> {
        let sql = "INSERT INTO meta (name, value) VALUES ('secret_check', ?1) \
                   ON CONFLICT (name) DO UPDATE SET value = excluded.value";
        self.execute(sql.to_owned(), vec![Value::Text(check.to_owned())])
            .await
            .map(|_| ())
    }
}
