//! The sweep role: deadlines passed and dead records.

use crate::SqliteStore;
use async_trait::async_trait;
use rusqlite::types::Value;
use sessiond_core::store::StoreResult;
use sessiond_core::time::to_millis;
use sessiond_core::{Session, SessionId, Timestamp};

use sessiond_core::store::SessionSweep;

#[async_trait]
impl SessionSweep for SqliteStore {
    async fn count_active_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        self.scalar(
            "SELECT COUNT(*) FROM sessions WHERE state = 'active' AND deadline > ?1",
            to_millis(now),
        )
        .await
    }

    async fn sessions_due(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<Session>> {
        let args = vec![
            Value::Integer(to_millis(now)),
            Value::Integer(i64::from(limit)),
        ];
        self.sessions_where(
            "state = 'active' AND deadline <= ?1 ORDER BY deadline, id LIMIT ?2",
            args,
        )
        .await
    }

    async fn count_sessions_due(&self, now: Timestamp) -> StoreResult<u64> {
        self.scalar(
            "SELECT COUNT(*) FROM sessions WHERE state = 'active' AND deadline <= ?1",
            to_millis(now),
        )
        .await
    }

    async fn purge_sessions(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        let sql = "DELETE FROM sessions WHERE id IN \
                   (SELECT id FROM sessions WHERE lookup_until < ?1 ORDER BY lookup_until LIMIT ?2)";
        let args = vec![
            Value::Integer(to_millis(before)),
            Value::Integer(i64::from(limit)),
        ];
        self.execute(sql.into(), args).await.map(|n| n as u64)
    }

    async fn count_purgeable_sessions(&self, before: Timestamp) -> StoreResult<u64> {
        self.scalar(
            "SELECT COUNT(*) FROM sessions WHERE lookup_until < ?1",
            to_millis(before),
        )
        .await
    }

    async fn ended_sessions(
        &self,
        after: (Timestamp, Option<SessionId>),
        until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Session>> {
        // Ids are hyphenated lowercase UUIDs: as text they sort as the UUIDs do, and every one
        // sorts after the empty string that stands for "no id".
        let args = vec![
            Value::Integer(to_millis(after.0)),
            Value::Text(after.1.map(|id| id.to_string()).unwrap_or_default()),
            Value::Integer(to_millis(until)),
            Value::Integer(i64::from(limit)),
        ];
        self.sessions_where(
            "state <> 'active' AND ended_at IS NOT NULL AND ended_at <= ?3 \
             AND (ended_at > ?1 OR (ended_at = ?1 AND id > ?2)) ORDER BY ended_at, id LIMIT ?4",
            args,
        )
        .await
    }
}
