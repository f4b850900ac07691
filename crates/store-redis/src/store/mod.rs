//! The Redis store: its helpers and the health role; each other role has a file of its own.

mod api_keys;
mod audit;
mod counters;
mod sessions;
mod signing_keys;
mod sweep;
mod tags;
mod tally;
mod timeline;

use tally::tally_field;
mod users;

use std::sync::LazyLock;

use async_trait::async_trait;
use redis::streams::StreamRangeReply;
use redis::{Cmd, FromRedisValue, Script, cmd};
use sessiond_core::audit::AuditEvent;
use sessiond_core::audit_chain::{ChainEnds, ChainLink, Digest};
use sessiond_core::store::{Health, StoreResult};
use sessiond_core::time::to_millis;
use sessiond_core::user::User;
use sessiond_core::{Session, SessionState, Timestamp, TokenHash, UserId};

use crate::{RedisStore, corrupt};

/// Native TTL is garbage collection only: a record expires this long after its lookup window,
/// well past any retention the cleanup job applies first.
const GC_MARGIN_MS: i64 = 31 * 86_400_000;
/// Audit entries read per round trip when filtering the stream.
const AUDIT_PAGE: usize = 500;

/// Insert-if-absent of a session record; `t` is its tally (`tally_field`).
static CREATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end \
         redis.call('HSET', KEYS[1], 'v', ARGV[1], 'j', ARGV[2], 't', ARGV[4]) \
         redis.call('PEXPIREAT', KEYS[1], ARGV[3]) return 1",
    )
});

/// Gives an ended session its place in the revocations feed, once: the next number of the
/// counter, and the session under it in the feed, in one step. An end becomes visible to the
/// feed's readers only with its place, so a place taken later is always published later, and
/// no reader's cursor moves past an end still on its way. Returns the place.
static FEED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local seq = redis.call('ZSCORE', KEYS[2], ARGV[1]) \
         if seq then return tonumber(seq) end \
         seq = redis.call('INCR', KEYS[1]) \
         redis.call('ZADD', KEYS[2], seq, ARGV[1]) return seq",
    )
});

/// Compare-and-set on the version: one key, so it works on any cluster node. Answers the
/// tally the record was in before (`{1, t}`), or `{0, ''}` when the version did not match.
static UPDATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return {0, ''} end \
         local t = redis.call('HGET', KEYS[1], 't') or '' \
         redis.call('HSET', KEYS[1], 'v', ARGV[2], 'j', ARGV[3], 't', ARGV[5]) \
         redis.call('PEXPIREAT', KEYS[1], ARGV[4]) return {1, t}",
    )
});

/// Appends records to the audit stream if the chain's head is still `ARGV[1]`; each record is
/// five arguments (id, body, seq, previous hash, hash). Answers the ids it wrote, none when the
/// head had moved. The entry id follows the event time; if
/// another node already wrote a later id (clock skew), the next id is taken, which is only ever
/// later than the event, so trimming keeps it a little longer.
static APPEND_AUDIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if (redis.call('HGET', KEYS[2], 'head_seq') or '0') ~= ARGV[1] then return {} end \
         local ids = {} \
         for i = 2, #ARGV, 5 do \
           local fields = {'j', ARGV[i + 1], 's', ARGV[i + 2], 'p', ARGV[i + 3], 'h', ARGV[i + 4]} \
           local ok = redis.pcall('XADD', KEYS[1], ARGV[i], unpack(fields)) \
           if type(ok) == 'table' and ok.err then ok = redis.call('XADD', KEYS[1], '*', unpack(fields)) end \
           ids[#ids + 1] = ok \
           redis.call('HSET', KEYS[2], 'head_seq', ARGV[i + 2], 'head_hash', ARGV[i + 4]) \
         end return ids",
    )
});

/// Deletes a prefix of the audit stream and moves the chain's base to its last link, unless a
/// concurrent purge already moved it further.
static PURGE_AUDIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local n = redis.call('XDEL', KEYS[1], unpack(ARGV, 4)) \
         if ARGV[1] ~= '' and tonumber(ARGV[1]) > tonumber(redis.call('HGET', KEYS[2], 'base_seq') or '0') then \
           redis.call('HSET', KEYS[2], 'base_seq', ARGV[1], 'base_hash', ARGV[2], 'base_at', ARGV[3]) end \
         return n",
    )
});

/// Adds to a counter, or starts it again when its expiry (field `e`, the service clock's time)
/// is not after `now`. One key. Native expiry, an hour after `e`, only collects garbage.
/// The stream's length and the chain's ends in one snapshot: KEYS[1] the stream, KEYS[2] the
/// chain (one slot). Entries beyond the links between base and head are outside the chain.
static CHAIN_ENDS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local f = redis.call('HMGET', KEYS[2], 'base_seq', 'base_hash', 'head_seq', 'head_hash', 'base_at') \
         return {redis.call('XLEN', KEYS[1]), f[1], f[2], f[3], f[4], f[5]}",
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
            .q(cmd("HGET").arg(self.keys.session_of(id)).arg("j"))
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
            // The feed first: a write cut short here leaves the session in `due`, where the
            // sweep finds it ended and indexes it again (`sessions_due`).
            self.publish_end(&id).await?;
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

    /// Puts the ended session `id` in the revocations feed, if it is not there yet.
    async fn publish_end(&self, id: &str) -> StoreResult<()> {
        let mut invocation = FEED.key(self.keys.feed_seq());
        invocation.key(self.keys.feed()).arg(id);
        self.bounded(invocation.invoke_async::<i64>(&mut self.conn.clone()))
            .await
            .map(|_| ())
    }

    /// Moves the ends of the feed kept by end time (before the feed went by commit order) into
    /// the feed, in their old order, once.
    pub(crate) async fn migrate_feed(&self) -> StoreResult<()> {
        let old = self.keys.ended_by_time();
        let ids: Vec<String> = self.q(cmd("ZRANGE").arg(&old).arg(0).arg(-1)).await?;
        for id in &ids {
            self.publish_end(id).await?;
        }
        if !ids.is_empty() {
            self.q::<()>(cmd("DEL").arg(&old)).await?;
        }
        Ok(())
    }

    /// Puts the session in the admin list's indexes: every session's and its user's.
    async fn index_created(&self, s: &Session) -> StoreResult<()> {
        let id = s.id.to_string();
        let at = to_millis(s.created_at);
        self.q::<()>(cmd("ZADD").arg(self.keys.created()).arg(at).arg(&id))
            .await?;
        if let Some(user) = &s.user_id {
            self.q::<()>(cmd("ZADD").arg(self.keys.user_all(user)).arg(at).arg(&id))
                .await?;
        }
        Ok(())
    }

    /// Puts the sessions stored before the admin list's indexes existed in them, once.
    pub(crate) async fn index_created_once(&self) -> StoreResult<()> {
        let done: bool = self
            .q(cmd("EXISTS").arg(self.keys.created_indexed()))
            .await?;
        if done {
            return Ok(());
        }
        let ids: Vec<String> = self
            .q(cmd("ZRANGE").arg(self.keys.lookup()).arg(0).arg(-1))
            .await?;
        for id in ids {
            if let Some(s) = self.load(&id).await? {
                self.index_created(&s).await?;
                let field = tally_field(&s);
                let had: Option<String> = self
                    .q(cmd("HGET").arg(self.keys.session(&s.id)).arg("t"))
                    .await?;
                if had.is_none() {
                    self.q::<()>(
                        cmd("HSET")
                            .arg(self.keys.session(&s.id))
                            .arg("t")
                            .arg(&field),
                    )
                    .await?;
                    self.retally(None, Some(&s), &s).await?;
                }
            }
        }
        self.q::<()>(cmd("SET").arg(self.keys.created_indexed()).arg(1))
            .await
    }

    async fn unindex(&self, id: &str, user: Option<&UserId>) -> StoreResult<()> {
        self.q::<()>(cmd("ZREM").arg(self.keys.created()).arg(id))
            .await?;
        if let Some(user) = user {
            self.q::<()>(cmd("ZREM").arg(self.keys.user_all(user)).arg(id))
                .await?;
        }
        self.q::<()>(cmd("ZREM").arg(self.keys.due()).arg(id))
            .await?;
        self.q::<()>(cmd("ZREM").arg(self.keys.lookup()).arg(id))
            .await?;
        self.q::<()>(cmd("ZREM").arg(self.keys.feed()).arg(id))
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
                base_at: None,
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
                let mut event: AuditEvent = parse(&text)?;
                event.seq = entry.get::<String>("s").and_then(|s| s.parse().ok());
                Ok((entry.id, event))
            })
            .collect()
    }
}

#[async_trait]
impl Health for RedisStore {
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
