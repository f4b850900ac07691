//! `SessionStore` for PostgreSQL.

use std::sync::Arc;

use async_trait::async_trait;
use sessiond_core::audit::{AuditEvent, AuditQuery};
use sessiond_core::audit_chain::{ChainEnds, ChainPage, ChainedEvent, entry_bytes};
use sessiond_core::cache::InvalidationBus;
use sessiond_core::counter::CounterKey;
use sessiond_core::store::{Counter, SessionStore, StoreResult};
use sessiond_core::time::{from_millis, to_millis};
use sessiond_core::user::User;
use sessiond_core::{Session, SessionId, StoreError, Timestamp, TokenHash, UserId};
use sessiond_store_sql::Params;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::rows::{self, AUDIT_COLUMNS, Param, SESSION_COLUMNS, USER_COLUMNS, refs};
use crate::{PostgresStore, store_error};

const P: Params = Params::Dollar;

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn counter_of(row: &Row) -> Counter {
    Counter {
        value: count(row.get(0)),
        expires_at: from_millis(row.get(1)),
    }
}

impl PostgresStore {
    /// Several events in one transaction: lock the head row, link them in Rust, insert them
    /// (pipelined), move the head.
    async fn append_audit_batch(&self, events: &[AuditEvent]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(store_error)?;
        let row = tx
            .query_one(
                "SELECT head_seq, head_hash FROM audit_chain WHERE id = 1 FOR UPDATE",
                &[],
            )
            .await
            .map_err(store_error)?;
        let mut head = rows::link(&row, 0)?;
        let sql = format!(
            "INSERT INTO audit_events ({AUDIT_COLUMNS}) VALUES ({})",
            P.list(12)
        );
        let insert = tx.prepare_cached(&sql).await.map_err(store_error)?;
        let params: Vec<Vec<Param>> = events
            .iter()
            .map(|e| {
                let record = ChainedEvent::after(head, e.clone());
                head = record.link();
                rows::chained_params(&record)
            })
            .collect();
        let params: Vec<_> = params.iter().map(|p| refs(p)).collect();
        let inserts = params.iter().map(|p| tx.execute(&insert, p.as_slice()));
        futures_util::future::try_join_all(inserts)
            .await
            .map_err(store_error)?;
        let (seq, hash) = (
            i64::try_from(head.seq).unwrap_or(i64::MAX),
            head.hash.0.to_vec(),
        );
        tx.execute(
            "UPDATE audit_chain SET head_seq = $1, head_hash = $2 WHERE id = 1",
            &[&seq, &hash],
        )
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)
    }

    async fn rows(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StoreResult<Vec<Row>> {
        let c = self.client().await?;
        let stmt = c.prepare_cached(sql).await.map_err(store_error)?;
        c.query(&stmt, params).await.map_err(store_error)
    }

    async fn row(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StoreResult<Option<Row>> {
        let c = self.client().await?;
        let stmt = c.prepare_cached(sql).await.map_err(store_error)?;
        c.query_opt(&stmt, params).await.map_err(store_error)
    }

    async fn execute(&self, sql: &str, params: &[Param]) -> StoreResult<u64> {
        let c = self.client().await?;
        let stmt = c.prepare_cached(sql).await.map_err(store_error)?;
        c.execute(&stmt, &refs(params)).await.map_err(store_error)
    }

    async fn scalar(&self, sql: &str, arg: i64) -> StoreResult<u64> {
        let row = self.row(sql, &[&arg]).await?;
        Ok(row.map_or(0, |r| count(r.get(0))))
    }

    async fn sessions(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Vec<Session>> {
        self.rows(sql, params)
            .await?
            .iter()
            .map(rows::session)
            .collect()
    }

    async fn user_where(&self, column: &str, value: String) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {column} = $1");
        self.row(&sql, &[&value])
            .await?
            .as_ref()
            .map(rows::user)
            .transpose()
    }
}

#[async_trait]
impl SessionStore for PostgresStore {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> StoreResult<()> {
        self.client()
            .await?
            .simple_query("SELECT 1")
            .await
            .map_err(store_error)
            .map(|_| ())
    }

    async fn create_session(&self, s: &Session) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ({})",
            P.list(25)
        );
        self.execute(&sql, &rows::session_params(s))
            .await
            .map(|_| ())
    }

    async fn session_by_token(
        &self,
        hash: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<Session>> {
        let (hash, now) = (hash.as_bytes().to_vec(), to_millis(now));
        // The current token's index first; the previous token's only when that misses.
        for column in ["token_hash", "prev_token_hash"] {
            let sql = format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE {column} = $1 AND lookup_until > $2"
            );
            if let Some(row) = self.row(&sql, &[&hash, &now]).await? {
                return rows::session(&row).map(Some);
            }
        }
        Ok(None)
    }

    async fn session_by_id(&self, id: &SessionId) -> StoreResult<Option<Session>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1");
        self.row(&sql, &[&id.to_string()])
            .await?
            .as_ref()
            .map(rows::session)
            .transpose()
    }

    async fn update_session(&self, s: &Session) -> StoreResult<()> {
        // $25 (version) is the version the caller read: the row takes version + 1 only if
        // nobody wrote since.
        let sets = P.set_clause(SESSION_COLUMNS, &["id", "version"]);
        let sql = format!(
            "UPDATE sessions SET {sets}, version = version + 1 WHERE id = $1 AND version = $25"
        );
        match self.execute(&sql, &rows::session_params(s)).await? {
            0 => Err(StoreError::Conflict(format!(
                "session {} changed or is gone",
                s.id
            ))),
            _ => Ok(()),
        }
    }

    async fn user_sessions(&self, user: &UserId, now: Timestamp) -> StoreResult<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND state = 'active' AND deadline > $2 \
             ORDER BY created_at, id"
        );
        self.sessions(&sql, &[&user.to_string(), &to_millis(now)])
            .await
    }

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

    async fn create_user(&self, u: &User) -> StoreResult<()> {
        let sql = format!("INSERT INTO users ({USER_COLUMNS}) VALUES ({})", P.list(11));
        self.execute(&sql, &rows::user_params(u)).await.map(|_| ())
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        self.user_where("username_key", User::username_key(username))
            .await
    }

    async fn user_by_id(&self, id: &UserId) -> StoreResult<Option<User>> {
        self.user_where("id", id.to_string()).await
    }

    async fn update_user(&self, u: &User) -> StoreResult<()> {
        let sql = format!(
            "UPDATE users SET {} WHERE id = $1",
            P.set_clause(USER_COLUMNS, &["id"])
        );
        match self.execute(&sql, &rows::user_params(u)).await? {
            0 => Err(StoreError::Conflict(format!("user {} is gone", u.username))),
            _ => Ok(()),
        }
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username_key");
        self.rows(&sql, &[]).await?.iter().map(rows::user).collect()
    }

    async fn count_users(&self) -> StoreResult<u64> {
        let row = self.row("SELECT COUNT(*) FROM users", &[]).await?;
        Ok(row.map_or(0, |r| count(r.get(0))))
    }

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
                   (SELECT COUNT(*) FROM audit_events WHERE seq IS NULL) FROM audit_chain WHERE id = 1";
        let row = self
            .row(sql, &[])
            .await?
            .ok_or_else(|| StoreError::Corrupt("audit_chain has no row".into()))?;
        let unchained: i64 = row
            .try_get(4)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(ChainEnds {
            base: rows::link(&row, 0)?,
            head: rows::link(&row, 2)?,
            unchained: u64::try_from(unchained).unwrap_or(0),
        })
    }

    async fn audit_events(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE ($1::text IS NULL OR username_key = $1) \
             AND ($2::text IS NULL OR session_id = $2) AND ($3::bigint IS NULL OR at >= $3) \
             AND ($5::text[] IS NULL OR event_type = ANY($5)) ORDER BY at DESC, id DESC LIMIT $4"
        );
        let types = (!q.event_types.is_empty()).then_some(&q.event_types);
        let user = q.username.as_deref().map(User::username_key);
        let session = q.session_id.map(|s| s.to_string());
        let since = q.since.map(to_millis);
        let rows = self
            .rows(
                &sql,
                &[&user, &session, &since, &i64::from(q.limit), &types],
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
             cut AS (SELECT seq, hash FROM oldest WHERE seq < COALESCE((SELECT min(seq) FROM oldest \
                 WHERE at >= $1), 9223372036854775807) ORDER BY seq DESC LIMIT 1), \
             gone AS (DELETE FROM audit_events WHERE seq <= (SELECT seq FROM cut) RETURNING 1), \
             base AS (UPDATE audit_chain SET base_seq = cut.seq, base_hash = cut.hash FROM cut \
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
            .ok_or_else(|| StoreError::Corrupt("counter upsert returned nothing".into()))?;
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

    fn invalidation_bus(&self) -> Option<Arc<dyn InvalidationBus>> {
        Some(self.bus.clone())
    }
}
