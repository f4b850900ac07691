//! `SessionStore` for Redis and Redis Cluster.

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use redis::streams::StreamRangeReply;
use redis::{Cmd, FromRedisValue, Script, cmd};
use sessiond_core::audit::{AuditEvent, AuditQuery};
use sessiond_core::audit_chain::{ChainEnds, ChainLink, ChainPage, ChainedEvent, Digest};
use sessiond_core::cache::InvalidationBus;
use sessiond_core::counter::CounterKey;
use sessiond_core::store::{Counter, SessionStore, StoreResult};
use sessiond_core::time::{from_millis, to_millis};
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

/// Appends records to the audit stream if the chain's head is still `ARGV[1]`; each record is
/// five arguments (id, body, seq, previous hash, hash). The entry id follows the event time; if
/// another node already wrote a later id (clock skew), the next id is taken, which is only ever
/// later than the event, so trimming keeps it a little longer.
static APPEND_AUDIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if (redis.call('HGET', KEYS[2], 'head_seq') or '0') ~= ARGV[1] then return 0 end \
         for i = 2, #ARGV, 5 do \
           local fields = {'j', ARGV[i + 1], 's', ARGV[i + 2], 'p', ARGV[i + 3], 'h', ARGV[i + 4]} \
           local ok = redis.pcall('XADD', KEYS[1], ARGV[i], unpack(fields)) \
           if type(ok) == 'table' and ok.err then redis.call('XADD', KEYS[1], '*', unpack(fields)) end \
           redis.call('HSET', KEYS[2], 'head_seq', ARGV[i + 2], 'head_hash', ARGV[i + 4]) \
         end return 1",
    )
});

/// Deletes a prefix of the audit stream and moves the chain's base to its last link, unless a
/// concurrent purge already moved it further.
static PURGE_AUDIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local n = redis.call('XDEL', KEYS[1], unpack(ARGV, 3)) \
         if ARGV[1] ~= '' and tonumber(ARGV[1]) > tonumber(redis.call('HGET', KEYS[2], 'base_seq') or '0') then \
           redis.call('HSET', KEYS[2], 'base_seq', ARGV[1], 'base_hash', ARGV[2]) end \
         return n",
    )
});

/// Adds to a counter, or starts it again when its expiry (field `e`, the service clock's time)
/// is not after `now`. One key. Native expiry, an hour after `e`, only collects garbage.
/// The stream's length and the chain's ends in one snapshot: KEYS[1] the stream, KEYS[2] the
/// chain (one slot). Entries beyond the links between base and head are outside the chain.
static CHAIN_ENDS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local f = redis.call('HMGET', KEYS[2], 'base_seq', 'base_hash', 'head_seq', 'head_hash') \
         return {redis.call('XLEN', KEYS[1]), f[1], f[2], f[3], f[4]}",
    )
});

static ADD_TO_COUNTER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local e = tonumber(redis.call('HGET', KEYS[1], 'e') or '0') \
         if e <= tonumber(ARGV[2]) then \
           redis.call('HSET', KEYS[1], 'v', ARGV[1], 'e', ARGV[3]) \
           redis.call('PEXPIREAT', KEYS[1], tonumber(ARGV[3]) + 3600000) \
           return {tonumber(ARGV[1]), tonumber(ARGV[3])} end \
         return {redis.call('HINCRBY', KEYS[1], 'v', ARGV[1]), e}",
    )
});

/// Appends retry when another node moved the head between the read and the script.
const APPEND_TRIES: usize = 100;

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

    /// The chain's ends; a missing field is genesis.
    async fn chain_ends(&self) -> StoreResult<ChainEnds> {
        let fields: Vec<Option<String>> = self
            .q(cmd("HMGET").arg(self.keys.audit_chain()).arg(&[
                "base_seq",
                "base_hash",
                "head_seq",
                "head_hash",
            ]))
            .await?;
        match fields.as_slice() {
            [bs, bh, hs, hh] => Ok(ChainEnds {
                base: link_of(bs, bh)?,
                head: link_of(hs, hh)?,
                unchained: 0,
            }),
            _ => Err(corrupt("audit chain reply")),
        }
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

    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let bodies = events.iter().map(json).collect::<StoreResult<Vec<_>>>()?;
        for _ in 0..APPEND_TRIES {
            let mut head = self.chain_ends().await?.head;
            let mut invocation = APPEND_AUDIT.key(self.keys.audit());
            invocation.key(self.keys.audit_chain()).arg(head.seq);
            for (e, body) in events.iter().zip(&bodies) {
                let record = ChainedEvent::after(head, e.clone());
                invocation
                    .arg(format!("{}-*", to_millis(e.at).max(1)))
                    .arg(body)
                    .arg(record.seq)
                    .arg(record.prev_hash.to_hex())
                    .arg(record.hash.to_hex());
                head = record.link();
            }
            let appended: i64 = self
                .bounded(invocation.invoke_async(&mut self.conn.clone()))
                .await?;
            if appended == 1 {
                return Ok(());
            }
        }
        Err(StoreError::Conflict(
            "the audit chain head kept moving".into(),
        ))
    }

    async fn audit_chain(&self, cursor: Option<&str>, limit: u32) -> StoreResult<ChainPage> {
        // The stream is in chain order: appends are serialised on the head and ids only grow.
        let min = cursor.map_or("-".to_owned(), |id| format!("({id}"));
        let reply: StreamRangeReply = self
            .q(cmd("XRANGE")
                .arg(self.keys.audit())
                .arg(&min)
                .arg("+")
                .arg("COUNT")
                .arg(limit))
            .await?;
        let next = match reply.ids.last() {
            Some(last) if reply.ids.len() >= limit as usize => Some(last.id.clone()),
            _ => None,
        };
        let mut records = Vec::with_capacity(reply.ids.len());
        for entry in &reply.ids {
            // Entries from before the chain have no seq.
            let Some(seq) = entry.get::<String>("s") else {
                continue;
            };
            let field = |name: &str| {
                entry
                    .get::<String>(name)
                    .and_then(|h| Digest::from_hex(&h))
                    .ok_or_else(|| corrupt("audit entry without its hashes"))
            };
            let body: String = entry
                .get("j")
                .ok_or_else(|| corrupt("audit entry without a body"))?;
            records.push(ChainedEvent {
                seq: seq.parse().map_err(|_| corrupt("audit entry seq"))?,
                prev_hash: field("p")?,
                hash: field("h")?,
                event: parse(&body)?,
            });
        }
        Ok(ChainPage { records, next })
    }

    async fn audit_chain_ends(&self) -> StoreResult<ChainEnds> {
        let mut invocation = CHAIN_ENDS.key(self.keys.audit());
        invocation.key(self.keys.audit_chain());
        let (len, bs, bh, hs, hh): (
            u64,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        ) = self
            .bounded(invocation.invoke_async(&mut self.conn.clone()))
            .await?;
        let base = link_of(&bs, &bh)?;
        let head = link_of(&hs, &hh)?;
        Ok(ChainEnds {
            base,
            head,
            unchained: len.saturating_sub(head.seq.saturating_sub(base.seq)),
        })
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
                    && q.wants_type(&e)
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
        // Ids follow event times and only grow, so the entries before `before` are a prefix.
        let reply: StreamRangeReply = self
            .q(cmd("XRANGE")
                .arg(self.keys.audit())
                .arg("-")
                .arg(before_id(before))
                .arg("COUNT")
                .arg(limit))
            .await?;
        if reply.ids.is_empty() {
            return Ok(0);
        }
        let last = reply
            .ids
            .iter()
            .rev()
            .find_map(|e| Some((e.get::<String>("s")?, e.get::<String>("h")?)));
        let (seq, hash) = last.unwrap_or_default();
        let mut invocation = PURGE_AUDIT.key(self.keys.audit());
        invocation.key(self.keys.audit_chain()).arg(seq).arg(hash);
        for e in &reply.ids {
            invocation.arg(&e.id);
        }
        self.bounded(invocation.invoke_async(&mut self.conn.clone()))
            .await
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

    async fn add_to_counter(
        &self,
        key: &CounterKey,
        by: u64,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<Counter> {
        let mut invocation = ADD_TO_COUNTER.key(self.keys.counter(key));
        invocation
            .arg(by)
            .arg(to_millis(now))
            .arg(to_millis(expires_at));
        let (value, e): (u64, i64) = self
            .bounded(invocation.invoke_async(&mut self.conn.clone()))
            .await?;
        Ok(Counter {
            value,
            expires_at: from_millis(e),
        })
    }

    async fn counter(&self, key: &CounterKey, now: Timestamp) -> StoreResult<Option<Counter>> {
        let (value, e): (Option<u64>, Option<i64>) = self
            .q(cmd("HMGET").arg(self.keys.counter(key)).arg(&["v", "e"]))
            .await?;
        Ok(match (value, e) {
            (Some(value), Some(e)) if e > to_millis(now) => Some(Counter {
                value,
                expires_at: from_millis(e),
            }),
            _ => None,
        })
    }

    async fn delete_counter(&self, key: &CounterKey) -> StoreResult<()> {
        self.q(cmd("DEL").arg(self.keys.counter(key))).await
    }

    async fn purge_counters(&self, _before: Timestamp, _limit: u32) -> StoreResult<u64> {
        // Counter keys expire natively an hour after their own expiry.
        Ok(0)
    }

    fn invalidation_bus(&self) -> Option<Arc<dyn InvalidationBus>> {
        Some(self.bus.clone())
    }
}

/// A chain link from its stored fields; none stored is the genesis.
fn link_of(seq: &Option<String>, hash: &Option<String>) -> StoreResult<ChainLink> {
    match (seq, hash) {
        (Some(seq), Some(hash)) => Ok(ChainLink {
            seq: seq.parse().map_err(|_| corrupt("audit chain seq"))?,
            hash: Digest::from_hex(hash).ok_or_else(|| corrupt("audit chain hash"))?,
        }),
        _ => Ok(ChainLink::GENESIS),
    }
}
