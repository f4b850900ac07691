//! The session role: the hot path of every request.

use crate::RedisStore;
use async_trait::async_trait;
use std::sync::LazyLock;

use redis::{Script, cmd};
use sessiond_core::store::StoreResult;
use sessiond_core::time::to_millis;
use sessiond_core::{Session, SessionId, SessionState, StoreError, Timestamp, TokenHash, UserId};

use super::{CREATE, UPDATE, gc_at, json, parse, tally_field};
use sessiond_core::store::Sessions;

/// A passive check's lookup in one round trip: the token's key, then the record it names
/// (`ARGV[1]` is the sessions' key prefix). The record's key is built here, so it is not in
/// `KEYS`: on standalone Redis every key is on the one server, and on a cluster it is read only
/// when its hash tag is the token key's (`ARGV[2]`), so in the same slot. Otherwise the answer
/// is the id, for a second trip: a refresh token's hash, or a token issued before the tags.
static BY_TOKEN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local id = redis.call('GET', KEYS[1]) if not id then return false end \
         local tag = string.sub(id, -2) \
         if ARGV[2] ~= '' and tag ~= ARGV[2] then return {'id', id} end \
         return {'j', redis.call('HGET', ARGV[1] .. '{' .. tag .. '}' .. id, 'j')}",
    )
});

/// What [`BY_TOKEN`] answered.
#[derive(Debug)]
enum Lookup {
    /// The record's JSON, read in the script; `None` when there is no such token or record.
    Record(Option<String>),
    /// The session id, whose record is in another cluster slot.
    Id(String),
}

impl RedisStore {
    async fn lookup(&self, hash: &TokenHash) -> StoreResult<Lookup> {
        let mut invocation = BY_TOKEN.key(self.keys.token(hash));
        invocation.arg(self.keys.session_prefix());
        invocation.arg(if self.is_cluster() {
            format!("{:02x}", hash.affinity())
        } else {
            String::new()
        });
        let reply: Option<(String, Option<String>)> = self
            .bounded(invocation.invoke_async(&mut self.conn.clone()))
            .await?;
        Ok(match reply {
            Some((kind, Some(id))) if kind == "id" => Lookup::Id(id),
            Some((_, text)) => Lookup::Record(text),
            None => Lookup::Record(None),
        })
    }

    /// After an update: the token keys and the due and lookup indexes. For an active session on
    /// standalone Redis in one pipeline, one round trip (a keep-alive's writes were five): each
    /// is an idempotent overwrite, so their order does not matter. An ended session goes
    /// through [`Self::index`], whose order does, and a cluster refuses a pipeline whose keys
    /// are in several slots.
    async fn reindex(&self, s: &Session) -> StoreResult<()> {
        if s.state != SessionState::Active || self.is_cluster() {
            self.index_token(&s.token_hash, s).await?;
            if let Some(prev) = &s.prev_token_hash {
                self.index_token(prev, s).await?;
            }
            return self.index(s).await;
        }
        let id = s.id.to_string();
        let until = to_millis(s.lookup_until).max(1);
        let mut pipe = redis::pipe();
        for hash in std::iter::once(&s.token_hash).chain(&s.prev_token_hash) {
            pipe.cmd("SET")
                .arg(self.keys.token(hash))
                .arg(&id)
                .arg("PXAT")
                .arg(until)
                .ignore();
        }
        pipe.cmd("ZADD")
            .arg(self.keys.due())
            .arg(to_millis(s.deadline()))
            .arg(&id)
            .ignore();
        pipe.cmd("ZADD")
            .arg(self.keys.lookup())
            .arg(to_millis(s.lookup_until))
            .arg(&id)
            .ignore();
        self.bounded(pipe.query_async::<()>(&mut self.conn.clone()))
            .await
    }
}

#[async_trait]
impl Sessions for RedisStore {
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
        invocation
            .arg(s.version)
            .arg(json(s)?)
            .arg(gc_at(s))
            .arg(tally_field(s));
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
        self.index_created(s).await?;
        self.retally(None, Some(s), s).await?;
        self.index(s).await
    }

    async fn session_by_token(
        &self,
        hash: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<Session>> {
        let record = match self.lookup(hash).await? {
            Lookup::Record(text) => text.map(|t| parse(&t)).transpose()?,
            Lookup::Id(id) => self.load(&id).await?,
        };
        // A token key can outlive its token (rotation); the record decides.
        Ok(record
            .filter(|s: &Session| s.token_hash == *hash || s.prev_token_hash == Some(*hash))
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
            .arg(gc_at(&next))
            .arg(tally_field(&next));
        let (updated, was): (i64, String) = self
            .bounded(invocation.invoke_async(&mut self.conn.clone()))
            .await?;
        if updated == 0 {
            return Err(StoreError::Conflict(format!(
                "session {} changed or is gone",
                s.id
            )));
        }
        self.retally(Some(&was), Some(&next), &next).await?;
        self.reindex(&next).await
    }

    async fn user_sessions(&self, user: &UserId, now: Timestamp) -> StoreResult<Vec<Session>> {
        let key = self.keys.user_sessions(user);
        let ids: Vec<String> = self.q(cmd("ZRANGE").arg(&key).arg(0).arg(-1)).await?;
        let mut out = Vec::new();
        for id in ids {
            match self.load(&id).await? {
                Some(s) if s.is_active_at(now) => out.push(s),
                // Ended sessions never count again: dropped from the index here, so a user's
                // next login does not read every session they ever had (bench/run's login
                // rows slowed down as the user's ended sessions piled up).
                Some(s) if s.state != SessionState::Active => {
                    self.q::<()>(cmd("ZREM").arg(&key).arg(&id)).await?;
                }
                Some(_) => {}
                // Collected by its TTL: drop the stale index entry.
                None => self.q::<()>(cmd("ZREM").arg(&key).arg(&id)).await?,
            }
        }
        out.sort_by_key(|s| (s.created_at, s.id));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;
    use crate::testing::{self, CLUSTER};
    use sessiond_store_conformance::fixtures::session;

    /// A check on a cluster reads the token's key and the session's in one script: they share
    /// a slot by the session's affinity. A token without it (issued before the tags, or a
    /// refresh token) takes a second trip, and is found all the same.
    #[tokio::test]
    async fn a_cluster_check_is_one_script_when_the_token_shares_its_sessions_slot() {
        let store = testing::open(CLUSTER, &testing::fresh_prefix()).await;
        // Enough sessions that some would have their two keys on different nodes, were the
        // keys not tagged (a cross-node read in a script is an error).
        for _ in 0..16 {
            let (s, token) = session(None, 0);
            assert_eq!(
                token.hash().affinity(),
                s.id.affinity(),
                "the fixture's token"
            );
            store.create_session(&s).await.unwrap();
            match store.lookup(&token.hash()).await.unwrap() {
                Lookup::Record(Some(text)) => {
                    assert_eq!(parse::<Session>(&text).unwrap().id, s.id);
                }
                other => panic!("two trips: {other:?}"),
            }
        }

        let (mut other, _) = session(None, 0);
        let stranger = sessiond_core::Token::generate_with_affinity(other.id.affinity() ^ 1);
        other.token_hash = stranger.unwrap().hash();
        store.create_session(&other).await.unwrap();
        assert!(matches!(
            store.lookup(&other.token_hash).await.unwrap(),
            Lookup::Id(_)
        ));
        let found = store
            .session_by_token(&other.token_hash, other.created_at)
            .await
            .unwrap();
        assert_eq!(found.map(|f| f.id), Some(other.id));
    }
}
