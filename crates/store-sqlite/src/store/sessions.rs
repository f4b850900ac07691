//! The session role: the hot path of every request.

use crate::SqliteStore;
use crate::rows::{self, SESSION_COLUMNS};
use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension as _, params};
use sessiond_core::store::StoreResult;
use sessiond_core::time::to_millis;
use sessiond_core::{Session, SessionId, StoreError, Timestamp, TokenHash, UserId};

use super::{BY_PREV_TOKEN, BY_TOKEN, P};
use sessiond_core::store::Sessions;

#[async_trait]
impl Sessions for SqliteStore {
    async fn create_session(&self, s: &Session) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ({})",
            P.list(SESSION_COLUMNS.split(", ").count())
        );
        self.execute_grouped(sql, rows::session_values(s))
            .await
            .map(|_| ())
    }

    async fn session_by_token(
        &self,
        hash: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<Session>> {
        // The hot path of every check: inline, one index probe, a statement built once. The
        // previous-token index is probed only when the current one misses (a tab still on a
        // rotated-out token), which is cheaper than an OR that probes both on every hit.
        self.pool.read(|c| {
            let args = params![hash.as_bytes().as_slice(), to_millis(now)];
            for sql in [&*BY_TOKEN, &*BY_PREV_TOKEN] {
                if let Some(s) = c
                    .prepare_cached(sql)?
                    .query_row(args, rows::session)
                    .optional()?
                {
                    return Ok(Some(s));
                }
            }
            Ok(None)
        })
    }

    async fn session_by_id(&self, id: &SessionId) -> StoreResult<Option<Session>> {
        self.pool.read(|c| {
            let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?1");
            c.prepare_cached(&sql)?
                .query_row([id.to_string()], rows::session)
                .optional()
        })
    }

    async fn update_session(&self, s: &Session) -> StoreResult<()> {
        // ?25 (version) is the version the caller read: the row takes version + 1 only if
        // nobody wrote since.
        let sets = P.set_clause(SESSION_COLUMNS, &["id", "version"]);
        let sql = format!(
            "UPDATE sessions SET {sets}, version = version + 1 WHERE id = ?1 AND version = ?25"
        );
        match self.execute_grouped(sql, rows::session_values(s)).await? {
            0 => Err(StoreError::Conflict(format!(
                "session {} changed or is gone",
                s.id
            ))),
            _ => Ok(()),
        }
    }

    async fn user_sessions(&self, user: &UserId, now: Timestamp) -> StoreResult<Vec<Session>> {
        let args = vec![
            Value::Text(user.to_string()),
            Value::Integer(to_millis(now)),
        ];
        self.sessions_where(
            "user_id = ?1 AND state = 'active' AND deadline > ?2 ORDER BY created_at, id",
            args,
        )
        .await
    }
}
