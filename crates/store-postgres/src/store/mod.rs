//! The PostgreSQL store: its helpers and the health role; each other role has a file of its own.

mod api_keys;
mod audit;
mod counters;
mod sessions;
mod signing_keys;
mod sweep;
mod users;

use async_trait::async_trait;
use sessiond_core::Session;
use sessiond_core::audit::AuditEvent;
use sessiond_core::audit_chain::ChainedEvent;
use sessiond_core::store::{Counter, Health, PoolStatus, StoreResult};
use sessiond_core::time::from_millis;
use sessiond_core::user::User;
use sessiond_store_sql::Params;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::rows::{self, AUDIT_COLUMNS, Param, USER_COLUMNS, refs};
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
impl Health for PostgresStore {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    fn pool(&self) -> Option<PoolStatus> {
        let s = self.pool.status();
        let n = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
        Some(PoolStatus {
            max: n(s.max_size),
            open: n(s.size),
            idle: n(s.available),
            waiting: n(s.waiting),
        })
    }

    async fn ping(&self) -> StoreResult<()> {
        self.client()
            .await?
            .simple_query("SELECT 1")
            .await
            .map_err(store_error)
            .map(|_| ())
    }
}
