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
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE ($1::text IS NULL OR username_key = $1) \
             AND ($2::text IS NULL OR session_id = $2) AND ($3::bigint IS NULL OR at >= $3) \
             AND ($5::text[] IS NULL OR event_type = ANY($5)) AND ($6::bigint IS NULL OR at < $6) \
             AND ($7::bigint IS NULL OR seq < $7) ORDER BY id DESC LIMIT $4"
        );
        let types = (!q.event_types.is_empty()).then_some(&q.event_types);
        let user = q.username.as_deref().map(User::username_key);
        let session = q.session_id.map(|s| s.to_string());
        let since = q.since.map(to_millis);
        let until = q.until.map(to_millis);
        let before = q.before_seq.map(|s| i64::try_from(s).unwrap_or(i64::MAX));
        let rows = self
            .rows(
                &sql,
                &[
                    &user,
                    &session,
                    &since,
                    &i64::from(q.limit),
                    &types,
                    &until,
                    &before,
                ],
            )
            .await?;
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
