//! The counter role: counters the nodes share.

use crate::SqliteStore;
use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension as _, params};
use sessiond_core::Timestamp;
use sessiond_core::counter::CounterKey;
use sessiond_core::store::{Counter, StoreResult};
use sessiond_core::time::{from_millis, to_millis};

use super::{COUNTER_UPSERT, count};
use sessiond_core::store::Counters;

#[async_trait]
impl Counters for SqliteStore {
    async fn add_to_counter(
        &self,
        key: &CounterKey,
        by: u64,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<Counter> {
        let args = (
            key.to_string(),
            i64::try_from(by).unwrap_or(i64::MAX),
            to_millis(now),
            to_millis(expires_at),
        );
        self.pool
            .write(move |c| {
                c.prepare_cached(&COUNTER_UPSERT)?.query_row(
                    params![args.0, args.1, args.2, args.3],
                    |r| {
                        Ok(Counter {
                            value: count(r.get(0)?),
                            expires_at: from_millis(r.get(1)?),
                        })
                    },
                )
            })
            .await
    }

    async fn counter(&self, key: &CounterKey, now: Timestamp) -> StoreResult<Option<Counter>> {
        let key = key.to_string();
        self.pool.read(|c| {
            c.prepare_cached(
                "SELECT value, expires_at FROM counters WHERE key = ?1 AND expires_at > ?2",
            )?
            .query_row(params![key, to_millis(now)], |r| {
                Ok(Counter {
                    value: count(r.get(0)?),
                    expires_at: from_millis(r.get(1)?),
                })
            })
            .optional()
        })
    }

    async fn delete_counter(&self, key: &CounterKey) -> StoreResult<()> {
        self.execute(
            "DELETE FROM counters WHERE key = ?1".into(),
            vec![Value::Text(key.to_string())],
        )
        .await
        .map(|_| ())
    }

    async fn purge_counters(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        let sql = "DELETE FROM counters WHERE key IN \
                   (SELECT key FROM counters WHERE expires_at < ?1 LIMIT ?2)";
        let args = vec![
            Value::Integer(to_millis(before)),
            Value::Integer(i64::from(limit)),
        ];
        self.execute(sql.into(), args).await.map(|n| n as u64)
    }
}
