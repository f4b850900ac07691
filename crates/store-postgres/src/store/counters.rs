//! The counter role: counters the nodes share.

use crate::PostgresStore;
use crate::rows::Param;
use async_trait::async_trait;
use sessiond_core::counter::CounterKey;
use sessiond_core::store::{Counter, StoreResult};
use sessiond_core::time::to_millis;
use sessiond_core::{StoreError, Timestamp};

use super::{P, counter_of};
use sessiond_core::store::Counters;

#[async_trait]
impl Counters for PostgresStore {
    async fn add_to_counter(
        &self,
        key: &CounterKey,
        by: u64,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<Counter> {
        let sql = sessiond_store_sql::counter_upsert(P);
        let by = i64::try_from(by).unwrap_or(i64::MAX);
        let key = key.to_string();
        let row = self
            .row(&sql, &[&key, &by, &to_millis(now), &to_millis(expires_at)])
            .await?
            .ok_or_else(|| StoreError::corrupt("counter upsert returned nothing"))?;
        Ok(counter_of(&row))
    }

    async fn counter(&self, key: &CounterKey, now: Timestamp) -> StoreResult<Option<Counter>> {
        let sql = "SELECT value, expires_at FROM counters WHERE key = $1 AND expires_at > $2";
        let key = key.to_string();
        Ok(self
            .row(sql, &[&key, &to_millis(now)])
            .await?
            .as_ref()
            .map(counter_of))
    }

    async fn delete_counter(&self, key: &CounterKey) -> StoreResult<()> {
        let key: Param = Box::new(key.to_string());
        self.execute("DELETE FROM counters WHERE key = $1", &[key])
            .await
            .map(|_| ())
    }

    async fn purge_counters(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        let sql = "DELETE FROM counters WHERE key IN \
                   (SELECT key FROM counters WHERE expires_at < $1 LIMIT $2)";
        let params: [Param; 2] = [Box::new(to_millis(before)), Box::new(i64::from(limit))];
        self.execute(sql, &params).await
    }
}
