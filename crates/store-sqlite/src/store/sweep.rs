//! The sweep role: deadlines passed and dead records.

use crate::SqliteStore;
use async_trait::async_trait;
use rusqlite::types::Value;
use sessiond_core::store::Ended;
use sessiond_core::store::StoreResult;
use sessiond_core::time::to_millis;
use sessiond_core::{Session, Timestamp};

use crate::rows::{self, SESSION_COLUMNS};

use sessiond_core::store::{ListKey, Listing, Scanned, SessionFilter, SessionSweep, Tallies};
use sessiond_store_sql::{Arg, Params, TALLY_ROWS, TALLY_USERS, session_list, tally};

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
}

#[async_trait]
impl Listing for SqliteStore {
    async fn tallies(&self) -> StoreResult<Tallies> {
        self.pool
            .read_blocking(|c| {
                let mut stmt = c.prepare_cached(TALLY_ROWS)?;
                let rows = stmt.query_map([], |r| {
                    Ok(tally(
                        &r.get::<_, String>(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                    ))
                })?;
                let sessions = rows
                    .collect::<rusqlite::Result<Vec<_>>>()?
                    .into_iter()
                    .flatten()
                    .collect();
                let users: i64 = c.prepare_cached(TALLY_USERS)?.query_row([], |r| r.get(0))?;
                Ok(Tallies {
                    sessions,
                    active_users: u64::try_from(users).unwrap_or(0),
                }
                .normalized())
            })
            .await
    }

    async fn sessions_before(
        &self,
        filter: &SessionFilter,
        before: Option<ListKey>,
        limit: u32,
    ) -> StoreResult<Scanned> {
        let (sql, args) = session_list(Params::Question, filter, before, limit);
        let args: Vec<Value> = args
            .into_iter()
            .map(|a| match a {
                Arg::Int(i) => Value::Integer(i),
                Arg::Text(t) => Value::Text(t),
            })
            .collect();
        let read = self
            .pool
            .read_blocking(move |c| {
                let mut stmt = c.prepare_cached(&sql)?;
                let rows = stmt.query_map(rusqlite::params_from_iter(args), rows::session)?;
                rows.collect::<rusqlite::Result<Vec<Session>>>()
            })
            .await?;
        Ok(Scanned::of_rows(read, filter, limit))
    }

    async fn ended_after(
        &self,
        after: u64,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Ended>> {
        let args = [
            i64::try_from(after).unwrap_or(i64::MAX),
            to_millis(since),
            i64::from(limit),
        ];
        self.pool
            .read_blocking(move |c| {
                let sql = format!(
                    "SELECT {SESSION_COLUMNS}, end_seq FROM sessions WHERE end_seq > ?1 \
                     AND ended_at >= ?2 ORDER BY end_seq LIMIT ?3"
                );
                let mut stmt = c.prepare_cached(&sql)?;
                let rows = stmt.query_map(args, |row| {
                    Ok(Ended {
                        session: rows::session(row)?,
                        seq: u64::try_from(row.get::<_, i64>(29)?).unwrap_or(0),
                    })
                })?;
                rows.collect()
            })
            .await
    }
}
