//! The counter role: counters the nodes share.

use crate::RedisStore;
use async_trait::async_trait;
use redis::cmd;
use sessiond_core::Timestamp;
use sessiond_core::counter::CounterKey;
use sessiond_core::store::{Counter, StoreResult};
use sessiond_core::time::{from_millis, to_millis};

use super::ADD_TO_COUNTER;
use sessiond_core::store::Counters;

#[async_trait]
impl Counters for RedisStore {
    async fn add_to_counter(
        &self,
        key: &CounterKey,
        by: u64,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<Counter> {
        let mut invocation = ADD_TO_COUNTER.key(self.keys.counter(key));
        invocation
            .arg(by)
            .arg(to_millis(now))
            .arg(to_millis(expires_at));
        let (value, e): (u64, i64) = self
            .bounded(invocation.invoke_async(&mut self.conn.clone()))
            .await?;
        Ok(Counter {
            value,
            expires_at: from_millis(e),
        })
    }

    async fn counter(&self, key: &CounterKey, now: Timestamp) -> StoreResult<Option<Counter>> {
        let (value, e): (Option<u64>, Option<i64>) = self
            .q(cmd("HMGET").arg(self.keys.counter(key)).arg(&["v", "e"]))
            .await?;
        Ok(match (value, e) {
            (Some(value), Some(e)) if e > to_millis(now) => Some(Counter {
                value,
                expires_at: from_millis(e),
            }),
            _ => None,
        })
    }

    async fn delete_counter(&self, key: &CounterKey) -> StoreResult<()> {
        self.q(cmd("DEL").arg(self.keys.counter(key))).await
    }

    async fn purge_counters(&self, _before: Timestamp, _limit: u32) -> StoreResult<u64> {
        // Counter keys expire natively an hour after their own expiry.
        Ok(0)
    }
}
