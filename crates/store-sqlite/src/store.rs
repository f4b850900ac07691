//! `SessionStore` for SQLite.

use std::sync::LazyLock;

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension as _, TransactionBehavior, params, params_from_iter};
use sessiond_core::audit::{AuditEvent, AuditQuery};
use sessiond_core::audit_chain::{ChainEnds, ChainLink, ChainPage, ChainedEvent};
use sessiond_core::counter::CounterKey;
use sessiond_core::store::{Counter, SessionStore, StoreResult};
use sessiond_core::time::{from_millis, to_millis};
use sessiond_core::user::User;
use sessiond_core::{Session, SessionId, StoreError, Timestamp, TokenHash, UserId};
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
impl SessionStore for SqliteStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        self.pool.read(|c| c.query_row("SELECT 1", [], |_| Ok(())))
    }

    async fn create_session(&self, s: &Session) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ({})",
            P.list(25)
        );
        self.execute(sql, rows::session_values(s)).await.map(|_| ())
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
        match self.execute(sql, rows::session_values(s)).await? {
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

    async fn count_active_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        self.scalar(
            "SELECT COUNT(*) FROM sessions WHERE state = 'active' AND deadline > ?1",
            to_millis(now),
        )
        .await
    }

    async fn sessions_due(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<Session>> {
        let args = vec![
            Value::Integer(to_millis(now)),
            Value::Integer(i64::from(limit)),
        ];
        self.sessions_where(
            "state = 'active' AND deadline <= ?1 ORDER BY deadline, id LIMIT ?2",
            args,
        )
        .await
    }

    async fn count_sessions_due(&self, now: Timestamp) -> StoreResult<u64> {
        self.scalar(
            "SELECT COUNT(*) FROM sessions WHERE state = 'active' AND deadline <= ?1",
            to_millis(now),
        )
        .await
    }

    async fn purge_sessions(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        let sql = "DELETE FROM sessions WHERE id IN \
                   (SELECT id FROM sessions WHERE lookup_until < ?1 ORDER BY lookup_until LIMIT ?2)";
        let args = vec![
            Value::Integer(to_millis(before)),
            Value::Integer(i64::from(limit)),
        ];
        self.execute(sql.into(), args).await.map(|n| n as u64)
    }

    async fn count_purgeable_sessions(&self, before: Timestamp) -> StoreResult<u64> {
        self.scalar(
            "SELECT COUNT(*) FROM sessions WHERE lookup_until < ?1",
            to_millis(before),
        )
        .await
    }

    async fn create_user(&self, u: &User) -> StoreResult<()> {
        let sql = format!("INSERT INTO users ({USER_COLUMNS}) VALUES ({})", P.list(11));
        self.execute(sql, rows::user_values(u)).await.map(|_| ())
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        self.user_where("username_key", User::username_key(username))
    }

    async fn user_by_id(&self, id: &UserId) -> StoreResult<Option<User>> {
        self.user_where("id", id.to_string())
    }

    async fn update_user(&self, u: &User) -> StoreResult<()> {
        let sets = P.set_clause(USER_COLUMNS, &["id", "created_at"]);
        match self
            .execute(
                format!("UPDATE users SET {sets} WHERE id = ?1"),
                rows::user_values(u),
            )
            .await?
        {
            0 => Err(StoreError::Conflict(format!("user {} is gone", u.username))),
            _ => Ok(()),
        }
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        self.pool
            .read_blocking(|c| {
                let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username_key");
                let mut stmt = c.prepare_cached(&sql)?;
                let rows = stmt.query_map([], rows::user)?;
                rows.collect()
            })
            .await
    }

    async fn count_users(&self) -> StoreResult<u64> {
        self.pool.read(|c| {
            c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
                .map(count)
        })
    }

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
                 (SELECT COUNT(*) FROM audit_events WHERE seq IS NULL) FROM audit_chain WHERE id = 1",
                [],
                |r| {
                    Ok(ChainEnds {
                        base: rows::link(r, 0)?,
                        head: rows::link(r, 2)?,
                        unchained: count(r.get(4)?),
                    })
                },
            )
        })
    }

    async fn audit_events(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        let args = vec![
            q.username
                .as_deref()
                .map_or(Value::Null, |u| Value::Text(User::username_key(u))),
            q.session_id
                .map_or(Value::Null, |s| Value::Text(s.to_string())),
            q.since
                .map_or(Value::Null, |t| Value::Integer(to_millis(t))),
            Value::Integer(i64::from(q.limit)),
            if q.event_types.is_empty() {
                Value::Null
            } else {
                Value::Text(
                    serde_json::to_string(&q.event_types)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                )
            },
        ];
        self.pool
            .read_blocking(move |c| {
                let sql = format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE (?1 IS NULL OR username_key = ?1) \
                     AND (?2 IS NULL OR session_id = ?2) AND (?3 IS NULL OR at >= ?3) \
                     AND (?5 IS NULL OR event_type IN (SELECT value FROM json_each(?5))) ORDER BY at DESC, id DESC LIMIT ?4"
                );
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
                if let Some((_, last)) = cut {
                    n += tx.execute(
                        "DELETE FROM audit_events WHERE seq IS NOT NULL AND seq <= ?1",
                        [last.seq as i64],
                    )? as i64;
                    tx.execute(
                        "UPDATE audit_chain SET base_seq = ?1, base_hash = ?2 WHERE id = 1",
                        params![last.seq as i64, last.hash.0.as_slice()],
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

    async fn add_to_counter(
        &self,
        key: &CounterKey,
        by: u64,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<Counter> {
        let args = (
            key.to_string(),
            i64::try_from(by).unwrap_or(i64::MAX),
            to_millis(now),
            to_millis(expires_at),
        );
        self.pool
            .write(move |c| {
                c.prepare_cached(&COUNTER_UPSERT)?.query_row(
                    params![args.0, args.1, args.2, args.3],
                    |r| {
                        Ok(Counter {
                            value: count(r.get(0)?),
                            expires_at: from_millis(r.get(1)?),
                        })
                    },
                )
            })
            .await
    }

    async fn counter(&self, key: &CounterKey, now: Timestamp) -> StoreResult<Option<Counter>> {
        let key = key.to_string();
        self.pool.read(|c| {
            c.prepare_cached(
                "SELECT value, expires_at FROM counters WHERE key = ?1 AND expires_at > ?2",
            )?
            .query_row(params![key, to_millis(now)], |r| {
                Ok(Counter {
                    value: count(r.get(0)?),
                    expires_at: from_millis(r.get(1)?),
                })
            })
            .optional()
        })
    }

    async fn delete_counter(&self, key: &CounterKey) -> StoreResult<()> {
        self.execute(
            "DELETE FROM counters WHERE key = ?1".into(),
            vec![Value::Text(key.to_string())],
        )
        .await
        .map(|_| ())
    }

    async fn purge_counters(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        let sql = "DELETE FROM counters WHERE key IN \
                   (SELECT key FROM counters WHERE expires_at < ?1 LIMIT ?2)";
        let args = vec![
            Value::Integer(to_millis(before)),
            Value::Integer(i64::from(limit)),
        ];
        self.execute(sql.into(), args).await.map(|n| n as u64)
    }
}
