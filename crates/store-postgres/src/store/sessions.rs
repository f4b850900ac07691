//! The session role: the hot path of every request.

use crate::PostgresStore;
use crate::rows::{self, SESSION_COLUMNS};
use async_trait::async_trait;
use sessiond_core::store::StoreResult;
use sessiond_core::time::to_millis;
use sessiond_core::{Session, SessionId, StoreError, Timestamp, TokenHash, UserId};

use super::P;
use sessiond_core::store::Sessions;

#[async_trait]
impl Sessions for PostgresStore {
    async fn create_session(&self, s: &Session) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ({})",
            P.list(SESSION_COLUMNS.split(", ").count())
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
}
