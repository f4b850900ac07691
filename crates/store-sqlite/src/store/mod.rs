//! The SQLite store: its helpers and the health role; each other role has a file of its own.

mod api_keys;
mod audit;
mod counters;
mod sessions;
mod signing_keys;
mod sweep;
mod users;

use std::sync::LazyLock;

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension as _, params_from_iter};
use sessiond_core::Session;
use sessiond_core::store::{Health, StoreResult};
use sessiond_core::user::User;
use sessiond_store_sql::Params;

use crate::SqliteStore;
use crate::rows::{self, AUDIT_COLUMNS, SESSION_COLUMNS, USER_COLUMNS};

static BY_TOKEN: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = ?1 AND lookup_until > ?2")
});
static APPEND_AUDIT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO audit_events ({AUDIT_COLUMNS}) VALUES ({})",
        P.list(12)
    )
});
static COUNTER_UPSERT: LazyLock<String> = LazyLock::new(|| sessiond_store_sql::counter_upsert(P));
static BY_PREV_TOKEN: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE prev_token_hash = ?1 AND lookup_until > ?2"
    )
});

const P: Params = Params::Question;

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl SqliteStore {
    async fn sessions_where(
        &self,
        clause: &'static str,
        args: Vec<Value>,
    ) -> StoreResult<Vec<Session>> {
        self.pool
            .read_blocking(move |c| {
                let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE {clause}");
                let mut stmt = c.prepare_cached(&sql)?;
                let rows = stmt.query_map(params_from_iter(args), rows::session)?;
                rows.collect()
            })
            .await
    }

    async fn scalar(&self, sql: &'static str, arg: i64) -> StoreResult<u64> {
        self.pool
            .read_blocking(move |c| {
                c.prepare_cached(sql)?
                    .query_row([arg], |r| r.get(0))
                    .map(count)
            })
            .await
    }

    async fn execute(&self, sql: String, args: Vec<Value>) -> StoreResult<usize> {
        self.pool
            .write(move |c| c.prepare_cached(&sql)?.execute(params_from_iter(args)))
            .await
    }

    /// [`Self::execute`] committed with the session writes queued beside it (`crate::group`).
    async fn execute_grouped(&self, sql: String, args: Vec<Value>) -> StoreResult<usize> {
        self.pool
            .write_grouped(move |c| c.prepare_cached(&sql)?.execute(params_from_iter(args)))
            .await
    }

    fn user_where(&self, column: &'static str, value: String) -> StoreResult<Option<User>> {
        self.pool.read(|c| {
            let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {column} = ?1");
            c.prepare_cached(&sql)?
                .query_row([value], rows::user)
                .optional()
        })
    }
}

#[async_trait]
impl Health for SqliteStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    fn pool(&self) -> Option<sessiond_core::store::PoolStatus> {
        Some(self.pool.status())
    }

    async fn ping(&self) -> StoreResult<()> {
        self.pool.read(|c| c.query_row("SELECT 1", [], |_| Ok(())))
    }
}
