//! The audit role: the hash-chained trail.

use crate::PostgresStore;
use crate::rows::{self, AUDIT_COLUMNS};
use async_trait::async_trait;
use sessiond_core::audit::{AuditEvent, AuditQuery};
use sessiond_core::audit_chain::{ChainEnds, ChainPage, entry_bytes};
use sessiond_core::store::StoreResult;
use sessiond_core::time::to_millis;
use sessiond_core::user::User;
use sessiond_core::{StoreError, Timestamp};
use tokio_postgres::types::ToSql;

use super::{P, count};
use sessiond_core::store::AuditLog;

#[async_trait]
impl AuditLog for PostgresStore {
    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        let e = match events {
            [] => return Ok(()),
            [e] => e,
            _ => return self.append_audit_batch(events).await,
        };
        // One statement: lock the chain's head row, link to it (PostgreSQL's sha256 over the same
        // bytes `ChainLink::next` hashes), insert, move the head. Nodes queue on the row lock.
        let sql = format!(
            "WITH prev AS (SELECT head_seq, head_hash FROM audit_chain WHERE id = 1 FOR UPDATE), \
             head AS (UPDATE audit_chain SET head_seq = prev.head_seq + 1, \
                 head_hash = sha256(prev.head_hash || $10) FROM prev WHERE audit_chain.id = 1 \
                 RETURNING audit_chain.head_seq, prev.head_hash AS prev_hash, audit_chain.head_hash) \
             INSERT INTO audit_events ({AUDIT_COLUMNS}) \
             SELECT {}, head_seq, prev_hash, head_hash FROM head",
            P.list(9)
        );
        let mut params = rows::audit_params(e);
        params.push(Box::new(entry_bytes(e)));
        self.execute(&sql, &params).await.map(|_| ())
    }

    async fn audit_chain(&self, cursor: Option<&str>, limit: u32) -> StoreResult<ChainPage> {
        let after = i64::try_from(ChainPage::seq_after(cursor)?).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"
        );
        let records = self
            .rows(&sql, &[&after, &i64::from(limit)])
            .await?
            .iter()
            .map(rows::chained)
            .collect::<StoreResult<_>>()?;
        Ok(ChainPage::by_seq(records, limit))
    }

    async fn audit_chain_ends(&self) -> StoreResult<ChainEnds> {
        let sql = "SELECT base_seq, base_hash, head_seq, head_hash, \
                   (SELECT COUNT(*) FROM audit_events WHERE seq IS NULL), base_at \
                   FROM audit_chain WHERE id = 1";
        let row = self
            .row(sql, &[])
            .await?
            .ok_or_else(|| StoreError::corrupt("audit_chain has no row"))?;
        let unchained: i64 = row.try_get(4).map_err(StoreError::corrupt)?;
        Ok(ChainEnds {
            base: rows::link(&row, 0)?,
            head: rows::link(&row, 2)?,
            unchained: u64::try_from(unchained).unwrap_or(0),
            base_at: row
                .try_get::<_, Option<i64>>(5)
                .map_err(StoreError::corrupt)?
                .map(sessiond_core::time::from_millis),
        })
    }

    async fn audit_events(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        let (sql, args) = audit_query(q);
        let params: Vec<&(dyn ToSql + Sync)> =
            args.iter().map(|a| &**a as &(dyn ToSql + Sync)).collect();
        let rows = self.rows(&sql, &params).await?;
        rows.iter().map(rows::audit).collect()
    }

    async fn purge_audit(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        // Events from before the chain go by time; the chain loses only a prefix, up to its
        // first event at or after `before`, and its base moves to the last link deleted.
        let sql = "WITH legacy AS (DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events \
                 WHERE seq IS NULL AND at < $1 ORDER BY at LIMIT $2) RETURNING 1), \
             oldest AS (SELECT seq, hash, at FROM audit_events WHERE seq IS NOT NULL ORDER BY seq \
                 LIMIT GREATEST($2 - (SELECT count(*) FROM legacy), 0)), \
             cut AS (SELECT seq, hash, at FROM oldest WHERE seq < COALESCE((SELECT min(seq) FROM oldest \
                 WHERE at >= $1), 9223372036854775807) ORDER BY seq DESC LIMIT 1), \
             gone AS (DELETE FROM audit_events WHERE seq <= (SELECT seq FROM cut) RETURNING 1), \
             base AS (UPDATE audit_chain SET base_seq = cut.seq, base_hash = cut.hash, base_at = cut.at FROM cut \
                 WHERE audit_chain.id = 1 AND cut.seq > audit_chain.base_seq RETURNING 1) \
             SELECT (SELECT count(*) FROM legacy) + (SELECT count(*) FROM gone)";
        let row = self
            .row(sql, &[&to_millis(before), &i64::from(limit)])
            .await?;
        Ok(row.map_or(0, |r| count(r.get(0))))
    }

    async fn count_audit_before(&self, before: Timestamp) -> StoreResult<u64> {
        self.scalar(
            "SELECT COUNT(*) FROM audit_events WHERE at < $1",
            to_millis(before),
        )
        .await
    }
}

/// The query of [`AuditLog::audit_events`], with a condition only for each filter given. A
/// condition such as `($2::text IS NULL OR session_id = $2)` in a prepared statement lets
/// PostgreSQL settle on a generic plan that cannot use the index, and scan the whole trail
/// backwards for one session's timeline.
fn audit_query(q: &AuditQuery) -> (String, Vec<Box<dyn ToSql + Sync + Send>>) {
    let mut conditions = Vec::new();
    let mut args: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
    let mut when = |condition: &str, value: Box<dyn ToSql + Sync + Send>| {
        args.push(value);
        conditions.push(condition.replace('$', &format!("${}", args.len())));
    };
    if let Some(u) = q.username.as_deref() {
        when("username_key = $", Box::new(User::username_key(u)));
    }
    if let Some(s) = q.session_id {
        when("session_id = $", Box::new(s.to_string()));
    }
    if let Some(t) = q.since {
        when("at >= $", Box::new(to_millis(t)));
    }
    if !q.event_types.is_empty() {
        when("event_type = ANY($)", Box::new(q.event_types.clone()));
    }
    if let Some(t) = q.until {
        when("at < $", Box::new(to_millis(t)));
    }
    if let Some(seq) = q.before_seq {
        when("seq < $", Box::new(i64::try_from(seq).unwrap_or(i64::MAX)));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    args.push(Box::new(i64::from(q.limit)));
    let sql = format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_events {filter} ORDER BY id DESC LIMIT ${}",
        args.len()
    );
    (sql, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan PostgreSQL settles on for `sql` run with the literal `values` once it stops
    /// planning each call (`force_generic_plan`), on a migrated schema of its own.
    async fn generic_plan(sql: &str, values: &str) -> String {
        let url = std::env::var("SESSIOND_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let schema = format!("plan_{}", std::process::id());
        let store = PostgresStore::open_in_schema(&url, Default::default(), Some(&schema))
            .await
            .expect("PostgreSQL is reachable (scripts/test starts it)");
        let c = store.client().await.unwrap();
        // A trail of 50,000 events of 5,000 sessions: enough for the plan to matter.
        c.batch_execute(&format!(
            "INSERT INTO audit_events (at, event_type, username_key, session_id, details) \
             SELECT g, 'SESSION_EXTENDED', 'user' || (g % 500), 's' || (g % 5000), '{{}}' \
             FROM generate_series(1, 50000) g; ANALYZE audit_events; \
             SET plan_cache_mode = force_generic_plan; PREPARE trail AS {sql}"
        ))
        .await
        .unwrap();
        let rows = c
            .simple_query(&format!("EXPLAIN EXECUTE trail({values})"))
            .await
            .unwrap();
        let plan = rows
            .iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
                _ => None,
            })
            .collect::<Vec<_>>();
        c.batch_execute(&format!("DEALLOCATE trail; DROP SCHEMA {schema} CASCADE"))
            .await
            .unwrap();
        plan.join("\n")
    }

    #[tokio::test]
    async fn a_sessions_trail_is_read_through_its_index_by_a_generic_plan() {
        let q = AuditQuery {
            session_id: Some(sessiond_core::SessionId::from_uuid(Default::default())),
            limit: 100,
            ..AuditQuery::default()
        };
        let (sql, args) = audit_query(&q);
        assert_eq!(args.len(), 2, "{sql}");
        let plan = generic_plan(&sql, "'s123', 100").await;
        assert!(plan.contains("audit_by_session_id"), "{plan}");
    }
}
