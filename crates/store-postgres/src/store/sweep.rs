//! The sweep role: deadlines passed and dead records.

use crate::PostgresStore;
use crate::rows::{Param, SESSION_COLUMNS};
use async_trait::async_trait;
use sessiond_core::store::StoreResult;
use sessiond_core::time::to_millis;
use sessiond_core::{Session, SessionId, Timestamp};

use sessiond_core::store::SessionSweep;

#[async_trait]
impl SessionSweep for PostgresStore {
    async fn count_active_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        self.scalar(
            "SELECT COUNT(*) FROM sessions WHERE state = 'active' AND deadline > $1",
            to_millis(now),
        )
        .await
    }

    async fn sessions_due(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE state = 'active' AND deadline <= $1 ORDER BY deadline, id LIMIT $2"
        );
        self.sessions(&sql, &[&to_millis(now), &i64::from(limit)])
            .await
    }

    async fn count_sessions_due(&self, now: Timestamp) -> StoreResult<u64> {
        self.scalar(
            "SELECT COUNT(*) FROM sessions WHERE state = 'active' AND deadline <= $1",
            to_millis(now),
        )
        .await
    }

    async fn purge_sessions(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        let sql = "DELETE FROM sessions WHERE id IN \
                   (SELECT id FROM sessions WHERE lookup_until < $1 ORDER BY lookup_until LIMIT $2)";
        let params: Vec<Param> = vec![Box::new(to_millis(before)), Box::new(i64::from(limit))];
        self.execute(sql, &params).await
    }

    async fn count_purgeable_sessions(&self, before: Timestamp) -> StoreResult<u64> {
        self.scalar(
            "SELECT COUNT(*) FROM sessions WHERE lookup_until < $1",
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
        // Compared byte by byte (`COLLATE "C"`), as the UUIDs themselves sort; every id sorts
        // after the empty string that stands for "no id".
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE state <> 'active' AND ended_at IS NOT NULL \
             AND ended_at <= $3 AND (ended_at > $1 OR (ended_at = $1 AND id COLLATE \"C\" > $2)) \
             ORDER BY ended_at, id COLLATE \"C\" LIMIT $4"
        );
        let id = after.1.map(|id| id.to_string()).unwrap_or_default();
        self.sessions(
            &sql,
            &[
                &to_millis(after.0),
                &id,
                &to_millis(until),
                &i64::from(limit),
            ],
        )
        .await
    }
}
