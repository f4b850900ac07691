//! The sweep role: deadlines passed and dead records.

use crate::PostgresStore;
use crate::rows::{self, Param, SESSION_COLUMNS, refs};
use async_trait::async_trait;
use sessiond_core::store::Ended;
use sessiond_core::store::StoreResult;
use sessiond_core::time::to_millis;
use sessiond_core::{Session, Timestamp};

use sessiond_core::store::{ListKey, Listing, Scanned, SessionFilter, SessionSweep, Tallies};
use sessiond_store_sql::{Arg, Params, session_list, tally};

/// The tallies are deltas, one row a change (migration 0013): a read sums them per key.
const TALLY_ROWS: &str = "SELECT state, role, context, SUM(n)::BIGINT FROM session_tally \
                          GROUP BY state, role, context HAVING SUM(n) > 0";
const TALLY_USERS: &str = "SELECT COALESCE(SUM(n), 0)::BIGINT FROM tally_users";

/// Folds the deltas into one row per key, in one statement, so a read at the same moment sees
/// either the deltas or their sum. Folds do not queue on each other: a fold that finds another
/// one running (the advisory lock, one per schema) leaves the deltas to it. Each node reads the
/// tallies every minute (the active-sessions sample), so the deltas stay a minute's writes.
const FOLD_TALLIES: &str = "\
    WITH folder AS (SELECT pg_try_advisory_xact_lock(hashtext(current_schema()), 7411) AS ok), \
    sessions AS (DELETE FROM session_tally WHERE (SELECT ok FROM folder) \
                 RETURNING state, role, context, n), \
    users AS (DELETE FROM tally_users WHERE (SELECT ok FROM folder) RETURNING n), \
    folded AS (INSERT INTO session_tally (state, role, context, n) \
               SELECT state, role, context, SUM(n) FROM sessions \
               GROUP BY state, role, context HAVING SUM(n) <> 0) \
    INSERT INTO tally_users (n) SELECT SUM(n) FROM users HAVING COUNT(*) > 0";

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
}

#[async_trait]
impl Listing for PostgresStore {
    async fn tallies(&self) -> StoreResult<Tallies> {
        self.execute(FOLD_TALLIES, &[]).await?;
        let sessions = self
            .rows(TALLY_ROWS, &[])
            .await?
            .iter()
            .filter_map(|r| tally(r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect();
        let users: i64 = self.row(TALLY_USERS, &[]).await?.map_or(0, |r| r.get(0));
        Ok(Tallies {
            sessions,
            active_users: u64::try_from(users).unwrap_or(0),
        }
        .normalized())
    }

    async fn sessions_before(
        &self,
        filter: &SessionFilter,
        before: Option<ListKey>,
        limit: u32,
    ) -> StoreResult<Scanned> {
        let (sql, args) = session_list(Params::Dollar, filter, before, limit);
        let params: Vec<Param> = args
            .into_iter()
            .map(|a| -> Param {
                match a {
                    Arg::Int(i) => Box::new(i),
                    Arg::Text(t) => Box::new(t),
                }
            })
            .collect();
        let read = self
            .rows(&sql, &refs(&params))
            .await?
            .iter()
            .map(rows::session)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Scanned::of_rows(read, filter, limit))
    }

    async fn ended_after(
        &self,
        after: u64,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Ended>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS}, end_seq FROM sessions WHERE end_seq > $1 AND ended_at >= $2 \
             ORDER BY end_seq LIMIT $3"
        );
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        self.rows(&sql, &[&after, &to_millis(since), &i64::from(limit)])
            .await?
            .iter()
            .map(|row| {
                Ok(Ended {
                    session: rows::session(row)?,
                    seq: u64::try_from(row.get::<_, i64>(29)).unwrap_or(0),
                })
            })
            .collect()
    }
}
