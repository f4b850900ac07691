//! The audit role: the hash-chained trail.

use crate::SqliteStore;
use crate::rows::{self, AUDIT_COLUMNS};
use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{TransactionBehavior, params, params_from_iter};
use sessiond_core::audit::{AuditEvent, AuditQuery};
use sessiond_core::audit_chain::{ChainEnds, ChainLink, ChainPage, ChainedEvent};
use sessiond_core::store::StoreResult;
use sessiond_core::time::to_millis;
use sessiond_core::user::User;
use sessiond_core::{StoreError, Timestamp};

use super::{APPEND_AUDIT, count};
use sessiond_core::store::AuditLog;

#[async_trait]
impl AuditLog for SqliteStore {
    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        let events = events.to_vec();
        // One writer: reading the head and linking to it cannot interleave with another append.
        // One transaction, so a batch costs one sync. IMMEDIATE takes the file's write lock
        // first: another process's writer on the same file (a second node, the CLI) then waits
        // in the busy handler, where a deferred transaction reading the head first would fail
        // with SQLITE_BUSY when it tried to upgrade.
        self.pool
            .write(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let mut head = tx.query_row(
                    "SELECT head_seq, head_hash FROM audit_chain WHERE id = 1",
                    [],
                    |r| rows::link(r, 0),
                )?;
                {
                    let mut insert = tx.prepare_cached(&APPEND_AUDIT)?;
                    for event in events {
                        let record = ChainedEvent::after(head, event);
                        insert.execute(params_from_iter(rows::audit_values(&record)))?;
                        head = record.link();
                    }
                }
                tx.execute(
                    "UPDATE audit_chain SET head_seq = ?1, head_hash = ?2 WHERE id = 1",
                    params![head.seq as i64, head.hash.0.as_slice()],
                )?;
                tx.commit()
            })
            .await
    }

    async fn audit_chain(&self, cursor: Option<&str>, limit: u32) -> StoreResult<ChainPage> {
        let after = ChainPage::seq_after(cursor)?;
        let records = self
            .pool
            .read_blocking(move |c| {
                let sql = format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE seq > ?1 ORDER BY seq LIMIT ?2"
                );
                let mut stmt = c.prepare_cached(&sql)?;
                let rows =
                    stmt.query_map(params![after as i64, i64::from(limit)], rows::chained)?;
                rows.collect()
            })
            .await?;
        Ok(ChainPage::by_seq(records, limit))
    }

    async fn audit_chain_ends(&self) -> StoreResult<ChainEnds> {
        self.pool.read(|c| {
            c.query_row(
                "SELECT base_seq, base_hash, head_seq, head_hash, \
                 (SELECT COUNT(*) FROM audit_events WHERE seq IS NULL), base_at \
                 FROM audit_chain WHERE id = 1",
                [],
                |r| {
                    Ok(ChainEnds {
                        base: rows::link(r, 0)?,
                        head: rows::link(r, 2)?,
                        unchained: count(r.get(4)?),
                        base_at: r
                            .get::<_, Option<i64>>(5)?
                            .map(sessiond_core::time::from_millis),
                    })
                },
            )
        })
    }

    async fn audit_events(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        let (sql, args) = audit_query(q)?;
        self.pool
            .read_blocking(move |c| {
                let mut stmt = c.prepare_cached(&sql)?;
                let rows = stmt.query_map(params_from_iter(args), rows::audit)?;
                rows.collect()
            })
            .await
    }

    async fn purge_audit(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        let (before, limit) = (to_millis(before), i64::from(limit));
        self.pool
            .write(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                // Events from before the chain existed go by time alone.
                let mut n = tx.execute(
                    "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events \
                     WHERE seq IS NULL AND at < ?1 ORDER BY at LIMIT ?2)",
                    params![before, limit],
                )? as i64;
                // The chain loses only a prefix, up to its first event at or after `before`.
                let oldest: Vec<(i64, ChainLink)> = {
                    let mut stmt = tx.prepare_cached(
                        "SELECT at, seq, hash FROM audit_events WHERE seq IS NOT NULL ORDER BY seq LIMIT ?1",
                    )?;
                    let rows = stmt.query_map([limit - n], |r| Ok((r.get(0)?, rows::link(r, 1)?)))?;
                    rows.collect::<rusqlite::Result<_>>()?
                };
                let cut = oldest.iter().take_while(|(at, _)| *at < before).last();
                if let Some((at, last)) = cut {
                    n += tx.execute(
                        "DELETE FROM audit_events WHERE seq IS NOT NULL AND seq <= ?1",
                        [last.seq as i64],
                    )? as i64;
                    tx.execute(
                        "UPDATE audit_chain SET base_seq = ?1, base_hash = ?2, base_at = ?3 WHERE id = 1",
                        params![last.seq as i64, last.hash.0.as_slice(), at],
                    )?;
                }
                tx.commit()?;
                Ok(count(n))
            })
            .await
    }

    async fn count_audit_before(&self, before: Timestamp) -> StoreResult<u64> {
        self.scalar(
            "SELECT COUNT(*) FROM audit_events WHERE at < ?1",
            to_millis(before),
        )
        .await
    }
}

/// The query of [`AuditLog::audit_events`], with a condition only for each filter given: a
/// condition such as `(?1 IS NULL OR session_id = ?1)` hides the index from SQLite's planner,
/// which then scanned the whole trail for one session's timeline.
fn audit_query(q: &AuditQuery) -> StoreResult<(String, Vec<Value>)> {
    let mut conditions = Vec::new();
    let mut args = Vec::new();
    let mut when = |condition: &'static str, value: Value| {
        conditions.push(condition);
        args.push(value);
    };
    if let Some(u) = q.username.as_deref() {
        when("username_key = ?", Value::Text(User::username_key(u)));
    }
    if let Some(s) = q.session_id {
        when("session_id = ?", Value::Text(s.to_string()));
    }
    if let Some(t) = q.since {
        when("at >= ?", Value::Integer(to_millis(t)));
    }
    if !q.event_types.is_empty() {
        let types = serde_json::to_string(&q.event_types).map_err(StoreError::corrupt)?;
        when(
            "event_type IN (SELECT value FROM json_each(?))",
            Value::Text(types),
        );
    }
    if let Some(t) = q.until {
        when("at < ?", Value::Integer(to_millis(t)));
    }
    if let Some(seq) = q.before_seq {
        when(
            "seq < ?",
            Value::Integer(i64::try_from(seq).unwrap_or(i64::MAX)),
        );
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    args.push(Value::Integer(i64::from(q.limit)));
    let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_events {filter} ORDER BY id DESC LIMIT ?");
    Ok((sql, args))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How SQLite would run the query of `q` on a migrated store.
    fn plan(q: &AuditQuery) -> String {
        let dir = std::env::temp_dir().join(format!("sessiond-plan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}.db", q.limit));
        let url = format!("sqlite://{}", path.display());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        drop(
            runtime
                .block_on(crate::SqliteStore::open(&url, Default::default()))
                .unwrap(),
        );
        let c = rusqlite::Connection::open(&path).unwrap();
        let (sql, args) = audit_query(q).unwrap();
        let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt
            .query_map(params_from_iter(args), |r| r.get::<_, String>(3))
            .unwrap();
        let plan = rows.map(Result::unwrap).collect::<Vec<_>>().join("; ");
        std::fs::remove_file(&path).ok();
        plan
    }

    #[test]
    fn a_sessions_or_users_trail_is_read_through_its_index() {
        let session = AuditQuery {
            session_id: Some(sessiond_core::SessionId::from_uuid(Default::default())),
            limit: 1,
            ..AuditQuery::default()
        };
        assert!(
            plan(&session).contains("audit_by_session_id"),
            "{}",
            plan(&session)
        );
        let user = AuditQuery {
            username: Some("alice".into()),
            limit: 2,
            ..AuditQuery::default()
        };
        assert!(plan(&user).contains("audit_by_user_id"), "{}", plan(&user));
    }
}
