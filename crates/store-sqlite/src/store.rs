//! `SessionStore` for SQLite.

use async_trait::async_trait;
use sessiond_core::audit::{AuditEvent, AuditQuery};
use sessiond_core::store::{SessionStore, StoreResult};
use sessiond_core::time::to_millis;
use sessiond_core::user::User;
use sessiond_core::{Session, SessionId, StoreError, Timestamp, TokenHash, UserId};
use sqlx::Arguments;
use sqlx::sqlite::SqliteArguments;

use crate::{SqliteStore, rows, store_error};

const SESSION_COLUMNS: &str = "id, user_id, username, role, token_hash, prev_token_hash, prev_token_expires_at, \
    created_at, last_activity, idle_expires_at, absolute_expires_at, deadline, renewed_at, state, end_reason, \
    ended_at, lookup_until, client_ip, user_agent, device, fingerprint, context, persistent, data, version";

/// Binds every session column in `SESSION_COLUMNS` order.
fn session_args(s: &Session) -> Result<SqliteArguments<'static>, StoreError> {
    let data = serde_json::to_string(&s.data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut a = SqliteArguments::default();
    macro_rules! push {
        ($($v:expr),* $(,)?) => { $( a.add($v).map_err(|e| StoreError::Corrupt(e.to_string()))?; )* };
    }
    push!(
        s.id.to_string(),
        s.user_id.map(|u| u.to_string()),
        s.username.clone(),
        s.role.clone(),
        s.token_hash.as_bytes().to_vec(),
        s.prev_token_hash.map(|h| h.as_bytes().to_vec()),
        s.prev_token_expires_at.map(to_millis),
        to_millis(s.created_at),
        to_millis(s.last_activity),
        to_millis(s.idle_expires_at),
        to_millis(s.absolute_expires_at),
        to_millis(s.deadline()),
        to_millis(s.renewed_at),
        s.state.as_str(),
        s.end_reason.clone(),
        s.ended_at.map(to_millis),
        to_millis(s.lookup_until),
        s.client.ip.clone(),
        s.client.user_agent.clone(),
        s.device.clone(),
        s.fingerprint.clone(),
        s.context.clone(),
        s.persistent,
        data,
        s.version,
    );
    Ok(a)
}

fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl SqliteStore {
    async fn count(&self, sql: &str, at: i64) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar(sql)
            .bind(at)
            .fetch_one(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn sessions(&self, sql: &str, args: SqliteArguments<'_>) -> StoreResult<Vec<Session>> {
        let rows = sqlx::query_with(sql, args)
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        rows.iter().map(rows::session).collect()
    }

    async fn user_where(&self, clause: &str, value: String) -> StoreResult<Option<User>> {
        let sql = format!("SELECT * FROM users WHERE {clause} = ?1");
        let row = sqlx::query(&sql)
            .bind(value)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        row.as_ref().map(rows::user).transpose()
    }
}

fn args2(
    a: impl sqlx::Encode<'static, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + 'static,
    b: i64,
) -> StoreResult<SqliteArguments<'static>> {
    let mut args = SqliteArguments::default();
    args.add(a)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    args.add(b)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(args)
}

fn user_binds(u: &User) -> StoreResult<(String, String)> {
    let contexts =
        serde_json::to_string(&u.contexts).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok((User::username_key(&u.username), contexts))
}

#[async_trait]
impl SessionStore for SqliteStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(store_error)
            .map(|_| ())
    }

    async fn create_session(&self, s: &Session) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ({})",
            placeholders(25)
        );
        sqlx::query_with(&sql, session_args(s)?)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn session_by_token(
        &self,
        hash: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<Session>> {
        let row = sqlx::query(
            "SELECT * FROM sessions WHERE (token_hash = ?1 OR prev_token_hash = ?1) AND lookup_until > ?2",
        )
        .bind(hash.as_bytes().as_slice())
        .bind(to_millis(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn session_by_id(&self, id: &SessionId) -> StoreResult<Option<Session>> {
        let row = sqlx::query("SELECT * FROM sessions WHERE id = ?1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn update_session(&self, s: &Session) -> StoreResult<()> {
        // Column 25 (version) is bound to the version the caller read; the row takes
        // version + 1 only if nobody wrote since.
        let sets = SESSION_COLUMNS
            .split(", ")
            .enumerate()
            .filter(|(_, c)| *c != "id" && *c != "version")
            .map(|(i, c)| format!("{c} = ?{}", i + 1))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE sessions SET {sets}, version = version + 1 WHERE id = ?1 AND version = ?25"
        );
        let done = sqlx::query_with(&sql, session_args(s)?)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "session {} changed or is gone",
                s.id
            )));
        }
        Ok(())
    }

    async fn user_sessions(&self, user: &UserId, now: Timestamp) -> StoreResult<Vec<Session>> {
        let sql = "SELECT * FROM sessions WHERE user_id = ?1 AND state = 'active' AND deadline > ?2 ORDER BY created_at, id";
        self.sessions(sql, args2(user.to_string(), to_millis(now))?)
            .await
    }

    async fn count_active_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        self.count(
            "SELECT COUNT(*) FROM sessions WHERE state = 'active' AND deadline > ?1",
            to_millis(now),
        )
        .await
    }

    async fn sessions_due(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<Session>> {
        let sql = "SELECT * FROM sessions WHERE state = 'active' AND deadline <= ?2 ORDER BY deadline, id LIMIT ?1";
        self.sessions(sql, args2(i64::from(limit), to_millis(now))?)
            .await
    }

    async fn count_sessions_due(&self, now: Timestamp) -> StoreResult<u64> {
        self.count(
            "SELECT COUNT(*) FROM sessions WHERE state = 'active' AND deadline <= ?1",
            to_millis(now),
        )
        .await
    }

    async fn purge_sessions(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM sessions WHERE id IN \
             (SELECT id FROM sessions WHERE lookup_until < ?1 ORDER BY lookup_until LIMIT ?2)",
        )
        .bind(to_millis(before))
        .bind(i64::from(limit))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected())
    }

    async fn count_purgeable_sessions(&self, before: Timestamp) -> StoreResult<u64> {
        self.count(
            "SELECT COUNT(*) FROM sessions WHERE lookup_until < ?1",
            to_millis(before),
        )
        .await
    }

    async fn create_user(&self, u: &User) -> StoreResult<()> {
        let (key, contexts) = user_binds(u)?;
        sqlx::query(
            "INSERT INTO users (id, username, username_key, display_name, role, auth_method, password_hash, \
             enabled, contexts, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .bind(u.id.to_string())
        .bind(&u.username)
        .bind(key)
        .bind(&u.display_name)
        .bind(&u.role)
        .bind(u.auth_method.as_str())
        .bind(&u.password_hash)
        .bind(u.enabled)
        .bind(contexts)
        .bind(to_millis(u.created_at))
        .bind(to_millis(u.updated_at))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        self.user_where("username_key", User::username_key(username))
            .await
    }

    async fn user_by_id(&self, id: &UserId) -> StoreResult<Option<User>> {
        self.user_where("id", id.to_string()).await
    }

    async fn update_user(&self, u: &User) -> StoreResult<()> {
        let (key, contexts) = user_binds(u)?;
        let done = sqlx::query(
            "UPDATE users SET username = ?2, username_key = ?3, display_name = ?4, role = ?5, auth_method = ?6, \
             password_hash = ?7, enabled = ?8, contexts = ?9, updated_at = ?10 WHERE id = ?1",
        )
        .bind(u.id.to_string())
        .bind(&u.username)
        .bind(key)
        .bind(&u.display_name)
        .bind(&u.role)
        .bind(u.auth_method.as_str())
        .bind(&u.password_hash)
        .bind(u.enabled)
        .bind(contexts)
        .bind(to_millis(u.updated_at))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("user {} is gone", u.username)));
        }
        Ok(())
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let rows = sqlx::query("SELECT * FROM users ORDER BY username_key")
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        rows.iter().map(rows::user).collect()
    }

    async fn count_users(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn append_audit(&self, e: &AuditEvent) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_events (at, event_type, user_id, username, username_key, session_id, ip, user_agent, details) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .bind(to_millis(e.at))
        .bind(&e.event_type)
        .bind(e.user_id.map(|u| u.to_string()))
        .bind(&e.username)
        .bind(e.username.as_deref().map(User::username_key))
        .bind(e.session_id.map(|s| s.to_string()))
        .bind(&e.ip)
        .bind(&e.user_agent)
        .bind(e.details.to_string())
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn audit_events(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        let rows = sqlx::query(
            "SELECT * FROM audit_events WHERE (?1 IS NULL OR username_key = ?1) AND (?2 IS NULL OR session_id = ?2) \
             AND (?3 IS NULL OR at >= ?3) ORDER BY at DESC, id DESC LIMIT ?4",
        )
        .bind(q.username.as_deref().map(User::username_key))
        .bind(q.session_id.map(|s| s.to_string()))
        .bind(q.since.map(to_millis))
        .bind(i64::from(q.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter().map(rows::audit).collect()
    }

    async fn purge_audit(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < ?1 ORDER BY at LIMIT ?2)",
        )
        .bind(to_millis(before))
        .bind(i64::from(limit))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected())
    }

    async fn count_audit_before(&self, before: Timestamp) -> StoreResult<u64> {
        self.count(
            "SELECT COUNT(*) FROM audit_events WHERE at < ?1",
            to_millis(before),
        )
        .await
    }
}
