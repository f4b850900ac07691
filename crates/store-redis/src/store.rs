//! `SessionStore` for Redis and Redis Cluster.

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use redis::streams::StreamRangeReply;
use redis::{Cmd, FromRedisValue, Script, cmd};
use sessiond_core::audit::{AuditEvent, AuditQuery};
use sessiond_core::cache::InvalidationBus;
use sessiond_core::store::{SessionStore, StoreResult};
use sessiond_core::time::to_millis;
use sessiond_core::user::User;
use sessiond_core::{Session, SessionId, SessionState, StoreError, Timestamp, TokenHash, UserId};

use crate::{RedisStore, corrupt};

/// Native TTL is garbage collection only: a record expires this long after its lookup window,
/// well past any retention the cleanup job applies first.
const GC_MARGIN_MS: i64 = 31 * 86_400_000;
/// Audit entries read per round trip when filtering the stream.
const AUDIT_PAGE: usize = 500;

/// Insert-if-absent of a session record.
static CREATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end \
         redis.call('HSET', KEYS[1], 'v', ARGV[1], 'j', ARGV[2]) \
         redis.call('PEXPIREAT', KEYS[1], ARGV[3]) return 1",
    )
});

/// Compare-and-set on the version: one key, so it works on any cluster node.
static UPDATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end \
         redis.call('HSET', KEYS[1], 'v', ARGV[2], 'j', ARGV[3]) \
         redis.call('PEXPIREAT', KEYS[1], ARGV[4]) return 1",
    )
});

fn json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(corrupt)
}

fn parse<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(corrupt)
}

/// The exclusive end of a stream range before `t`. An incomplete id as an end means the last
/// entry of that millisecond, so `(ms` would still include it: `(ms-0` does not.
fn before_id(t: Timestamp) -> String {
    format!("({}-0", to_millis(t))
}

/// The stored form of a user. `User` skips its hash when serialised (so it never reaches a
/// response by accident); the store must keep it.
fn user_record(u: &User) -> StoreResult<String> {
    let mut value = serde_json::to_value(u).map_err(corrupt)?;
    value["password_hash"] = serde_json::to_value(&u.password_hash).map_err(corrupt)?;
    Ok(value.to_string())
}

fn gc_at(s: &Session) -> i64 {
    to_millis(s.lookup_until).saturating_add(GC_MARGIN_MS)
}

impl RedisStore {
    async fn q<T: FromRedisValue>(&self, c: &Cmd) -> StoreResult<T> {
        self.bounded(c.query_async(&mut self.conn.clone())).await
    }

    async fn load(&self, id: &str) -> StoreResult<Option<Session>> {
        let text: Option<String> = self
            .q(cmd("HGET")
                .arg(format!("{}{id}", self.keys.session_prefix()))
                .arg("j"))
            .await?;
        text.map(|t| parse(&t)).transpose()
    }

    /// Points a token key at the session, for as long as the session can be looked up.
    async fn index_token(&self, hash: &TokenHash, s: &Session) -> StoreResult<()> {
        let until = to_millis(s.lookup_until).max(1);
        self.q::<()>(
            cmd("SET")
                .arg(self.keys.token(hash))
                .arg(s.id.to_string())
                .arg("PXAT")
                .arg(until),
        )
        .await
    }

    /// Keeps the due and lookup indexes in step with the record.
    async fn index(&self, s: &Session) -> StoreResult<()> {
        let id = s.id.to_string();
        if s.state == SessionState::Active {
            self.q::<()>(
                cmd("ZADD")
                    .arg(self.keys.due())
                    .arg(to_millis(s.deadline()))
                    .arg(&id),
            )
            .await?;
        } else {
            self.q::<()>(cmd("ZREM").arg(self.keys.due()).arg(&id))
                .await?;
        }
        self.q::<()>(
            cmd("ZADD")
                .arg(self.keys.lookup())
                .arg(to_millis(s.lookup_until))
                .arg(&id),
        )
        .await
    }

    async fn unindex(&self, id: &str, user: Option<&UserId>) -> StoreResult<()> {
        self.q::<()>(cmd("ZREM").arg(self.keys.due()).arg(id))
            .await?;
        self.q::<()>(cmd("ZREM").arg(self.keys.lookup()).arg(id))
            .await?;
        if let Some(user) = user {
            self.q::<()>(cmd("ZREM").arg(self.keys.user_sessions(user)).arg(id))
                .await?;
        }
        Ok(())
    }

    async fn ids_by_score(&self, key: String, max: String, limit: u32) -> StoreResult<Vec<String>> {
        self.q(cmd("ZRANGEBYSCORE")
            .arg(key)
            .arg("-inf")
            .arg(max)
            .arg("LIMIT")
            .arg(0)
            .arg(limit))
            .await
    }

    async fn user_json(&self, key: String) -> StoreResult<Option<User>> {
        let text: Option<String> = self.q(cmd("GET").arg(key)).await?;
        text.map(|t| parse(&t)).transpose()
    }

    /// Audit entries newest first, from `max` down to `min` (stream ids), `AUDIT_PAGE` a time.
    async fn audit_page(&self, max: &str, min: &str) -> StoreResult<Vec<(String, AuditEvent)>> {
        let reply: StreamRangeReply = self
            .q(cmd("XREVRANGE")
                .arg(self.keys.audit())
                .arg(max)
                .arg(min)
                .arg("COUNT")
                .arg(AUDIT_PAGE))
            .await?;
        reply
            .ids
            .into_iter()
            .map(|entry| {
                let text: String = entry
                    .get("j")
                    .ok_or_else(|| corrupt("audit entry without a body"))?;
                Ok((entry.id, parse(&text)?))
            })
            .collect()
    }
}

#[async_trait]
impl SessionStore for RedisStore {
    fn kind(&self) -> &'static str {
        if self.is_cluster() {
            "redis-cluster"
        } else {
            "redis"
        }
    }

    async fn ping(&self) -> StoreResult<()> {
        self.q::<String>(&cmd("PING")).await.map(|_| ())
    }

    async fn create_session(&self, s: &Session) -> StoreResult<()> {
        // The token first: a clash there must leave nothing behind.
        let hashes: Vec<TokenHash> = std::iter::once(s.token_hash)
            .chain(s.prev_token_hash)
            .collect();
        for (i, hash) in hashes.iter().enumerate() {
            let until = to_millis(s.lookup_until).max(1);
            let set: Option<String> = self
                .q(cmd("SET")
                    .arg(self.keys.token(hash))
                    .arg(s.id.to_string())
                    .arg("NX")
                    .arg("PXAT")
                    .arg(until))
                .await?;
            if set.is_none() {
                for done in &hashes[..i] {
                    self.q::<()>(cmd("DEL").arg(self.keys.token(done))).await?;
                }
                return Err(StoreError::Conflict(format!(
                    "token of session {} exists",
                    s.id
                )));
            }
        }
        let mut invocation = CREATE.key(self.keys.session(&s.id));
        invocation.arg(s.version).arg(json(s)?).arg(gc_at(s));
        let created: i64 = self
            .bounded(invocation.invoke_async(&mut self.conn.clone()))
            .await?;
        if created == 0 {
            for hash in &hashes {
                self.q::<()>(cmd("DEL").arg(self.keys.token(hash))).await?;
            }
            return Err(StoreError::Conflict(format!("session {} exists", s.id)));
        }
        if let Some(user) = &s.user_id {
            let key = self.keys.user_sessions(user);
            self.q::<()>(
                cmd("ZADD")
                    .arg(key)
                    .arg(to_millis(s.created_at))
                    .arg(s.id.to_string()),
            )
            .await?;
        }
        self.index(s).await
    }

    async fn session_by_token(
        &self,
        hash: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<Session>> {
        let Some(id) = self
            .q::<Option<String>>(cmd("GET").arg(self.keys.token(hash)))
            .await?
        else {
            return Ok(None);
        };
        // A token key can outlive its token (rotation); the record decides.
        Ok(self
            .load(&id)
            .await?
            .filter(|s| s.token_hash == *hash || s.prev_token_hash == Some(*hash))
            .filter(|s| s.lookup_until > now))
    }

    async fn session_by_id(&self, id: &SessionId) -> StoreResult<Option<Session>> {
        self.load(&id.to_string()).await
    }

    async fn update_session(&self, s: &Session) -> StoreResult<()> {
        let mut next = s.clone();
        next.version += 1;
        let mut invocation = UPDATE.key(self.keys.session(&s.id));
        invocation
            .arg(s.version)
            .arg(next.version)
            .arg(json(&next)?)
            .arg(gc_at(&next));
        let updated: i64 = self
            .bounded(invocation.invoke_async(&mut self.conn.clone()))
            .await?;
        if updated == 0 {
            return Err(StoreError::Conflict(format!(
                "session {} changed or is gone",
                s.id
            )));
        }
        self.index_token(&next.token_hash, &next).await?;
        if let Some(prev) = &next.prev_token_hash {
            self.index_token(prev, &next).await?;
        }
        self.index(&next).await
    }

    async fn user_sessions(&self, user: &UserId, now: Timestamp) -> StoreResult<Vec<Session>> {
        let key = self.keys.user_sessions(user);
        let ids: Vec<String> = self.q(cmd("ZRANGE").arg(&key).arg(0).arg(-1)).await?;
        let mut out = Vec::new();
        for id in ids {
            match self.load(&id).await? {
                Some(s) if s.is_active_at(now) => out.push(s),
                Some(_) => {}
                // Collected by its TTL: drop the stale index entry.
                None => self.q::<()>(cmd("ZREM").arg(&key).arg(&id)).await?,
            }
        }
        out.sort_by_key(|s| (s.created_at, s.id));
        Ok(out)
    }

    async fn count_active_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        self.q(cmd("ZCOUNT")
            .arg(self.keys.due())
            .arg(format!("({}", to_millis(now)))
            .arg("+inf"))
            .await
    }

    async fn sessions_due(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<Session>> {
        let ids = self
            .ids_by_score(self.keys.due(), to_millis(now).to_string(), limit)
            .await?;
        let mut out = Vec::new();
        for id in ids {
            match self.load(&id).await? {
                Some(s) if s.state == SessionState::Active && s.deadline() <= now => out.push(s),
                // The index lagged the record (a write that did not finish): repair it.
                Some(s) => self.index(&s).await?,
                None => self.unindex(&id, None).await?,
            }
        }
        out.sort_by_key(|s| (s.deadline(), s.id));
        Ok(out)
    }

    async fn count_sessions_due(&self, now: Timestamp) -> StoreResult<u64> {
        self.q(cmd("ZCOUNT")
            .arg(self.keys.due())
            .arg("-inf")
            .arg(to_millis(now)))
            .await
    }

    async fn purge_sessions(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        let ids = self
            .ids_by_score(self.keys.lookup(), format!("({}", to_millis(before)), limit)
            .await?;
        let mut purged = 0;
        for id in ids {
            match self.load(&id).await? {
                Some(s) if s.lookup_until < before => {
                    self.q::<()>(cmd("DEL").arg(self.keys.session(&s.id)))
                        .await?;
                    for hash in std::iter::once(s.token_hash).chain(s.prev_token_hash) {
                        self.q::<()>(cmd("DEL").arg(self.keys.token(&hash))).await?;
                    }
                    self.unindex(&id, s.user_id.as_ref()).await?;
                    purged += 1;
                }
                Some(s) => self.index(&s).await?,
                None => self.unindex(&id, None).await?,
            }
        }
        Ok(purged)
    }

    async fn count_purgeable_sessions(&self, before: Timestamp) -> StoreResult<u64> {
        self.q(cmd("ZCOUNT")
            .arg(self.keys.lookup())
            .arg("-inf")
            .arg(format!("({}", to_millis(before))))
            .await
    }

    async fn create_user(&self, u: &User) -> StoreResult<()> {
        let name_key = self.keys.username(&User::username_key(&u.username));
        let claimed: Option<String> = self
            .q(cmd("SET").arg(&name_key).arg(u.id.to_string()).arg("NX"))
            .await?;
        if claimed.is_none() {
            return Err(StoreError::Conflict(format!("user {} exists", u.username)));
        }
        let set: Option<String> = self
            .q(cmd("SET")
                .arg(self.keys.user(&u.id))
                .arg(user_record(u)?)
                .arg("NX"))
            .await?;
        if set.is_none() {
            self.q::<()>(cmd("DEL").arg(&name_key)).await?;
            return Err(StoreError::Conflict(format!("user {} exists", u.id)));
        }
        self.q::<()>(cmd("SADD").arg(self.keys.users()).arg(u.id.to_string()))
            .await
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        let key = self.keys.username(&User::username_key(username));
        let Some(id) = self.q::<Option<String>>(cmd("GET").arg(key)).await? else {
            return Ok(None);
        };
        let id: UserId = id.parse().map_err(corrupt)?;
        self.user_by_id(&id).await
    }

    async fn user_by_id(&self, id: &UserId) -> StoreResult<Option<User>> {
        self.user_json(self.keys.user(id)).await
    }

    async fn update_user(&self, u: &User) -> StoreResult<()> {
        let Some(old) = self.user_by_id(&u.id).await? else {
            return Err(StoreError::Conflict(format!("user {} is gone", u.username)));
        };
        let (old_key, new_key) = (
            User::username_key(&old.username),
            User::username_key(&u.username),
        );
        if old_key != new_key {
            let claimed: Option<String> = self
                .q(cmd("SET")
                    .arg(self.keys.username(&new_key))
                    .arg(u.id.to_string())
                    .arg("NX"))
                .await?;
            if claimed.is_none() {
                return Err(StoreError::Conflict(format!("user {} exists", u.username)));
            }
            self.q::<()>(cmd("DEL").arg(self.keys.username(&old_key)))
                .await?;
        }
        self.q::<()>(cmd("SET").arg(self.keys.user(&u.id)).arg(user_record(u)?))
            .await
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let ids: Vec<String> = self.q(cmd("SMEMBERS").arg(self.keys.users())).await?;
        let mut users = Vec::new();
        for id in ids {
            let id: UserId = id.parse().map_err(corrupt)?;
            users.extend(self.user_by_id(&id).await?);
        }
        users.sort_by_key(|u| User::username_key(&u.username));
        Ok(users)
    }

    async fn count_users(&self) -> StoreResult<u64> {
        self.q(cmd("SCARD").arg(self.keys.users())).await
    }

    async fn append_audit(&self, e: &AuditEvent) -> StoreResult<()> {
        // The entry id follows the event time, so retention can trim by id. If another node
        // already wrote a later id (clock skew), Redis refuses it: take the next id instead,
        // which is only ever later than the event, so trimming keeps it a little longer.
        let body = json(e)?;
        let at = format!("{}-*", to_millis(e.at).max(1));
        let stamped = self
            .q::<String>(
                cmd("XADD")
                    .arg(self.keys.audit())
                    .arg(&at)
                    .arg("j")
                    .arg(&body),
            )
            .await;
        if stamped.is_err() {
            self.q::<String>(
                cmd("XADD")
                    .arg(self.keys.audit())
                    .arg("*")
                    .arg("j")
                    .arg(&body),
            )
            .await?;
        }
        Ok(())
    }

    async fn audit_events(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        let user = q.username.as_deref().map(User::username_key);
        // Ids are never earlier than their events, so no event since `since` hides below it.
        let min = q.since.map_or("-".to_owned(), |t| to_millis(t).to_string());
        let mut max = "+".to_owned();
        let mut out = Vec::new();
        loop {
            let page = self.audit_page(&max, &min).await?;
            let full = page.len() == AUDIT_PAGE;
            for (id, e) in page {
                max = format!("({id}");
                let matches =
                    user.is_none() || e.username.as_deref().map(User::username_key) == user;
                if matches
                    && (q.session_id.is_none() || e.session_id == q.session_id)
                    && q.since.is_none_or(|t| e.at >= t)
                {
                    out.push(e);
                    if out.len() >= q.limit as usize {
                        return Ok(out);
                    }
                }
            }
            if !full {
                return Ok(out);
            }
        }
    }

    async fn purge_audit(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        let reply: StreamRangeReply = self
            .q(cmd("XRANGE")
                .arg(self.keys.audit())
                .arg("-")
                .arg(before_id(before))
                .arg("COUNT")
                .arg(limit))
            .await?;
        let ids: Vec<String> = reply.ids.into_iter().map(|e| e.id).collect();
        if ids.is_empty() {
            return Ok(0);
        }
        self.q(cmd("XDEL").arg(self.keys.audit()).arg(&ids)).await
    }

    async fn count_audit_before(&self, before: Timestamp) -> StoreResult<u64> {
        let mut count = 0u64;
        let mut min = "-".to_owned();
        loop {
            let reply: StreamRangeReply = self
                .q(cmd("XRANGE")
                    .arg(self.keys.audit())
                    .arg(&min)
                    .arg(before_id(before))
                    .arg("COUNT")
                    .arg(AUDIT_PAGE))
                .await?;
            let n = reply.ids.len();
            count += n as u64;
            match reply.ids.last() {
                Some(last) if n == AUDIT_PAGE => min = format!("({}", last.id),
                _ => return Ok(count),
            }
        }
    }

    fn invalidation_bus(&self) -> Option<Arc<dyn InvalidationBus>> {
        Some(self.bus.clone())
    }
}
