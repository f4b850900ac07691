//! The move of a store written before the keys had hash tags: each session's key and its token
//! keys go to their tagged names once, when the store opens
//! (docs/decisions/0057-a-token-beside-its-session.md).

use futures_util::{StreamExt, TryStreamExt, stream};
use redis::cmd;
use sessiond_core::store::StoreResult;

use crate::{RedisStore, TimedOut, store_error};
use sessiond_core::StoreError;

/// Sessions read from the `lookup` index per round trip.
const PAGE: isize = 1_000;
/// Sessions moved at once: the connection multiplexes their commands.
const MOVING_AT_ONCE: usize = 32;

impl RedisStore {
    /// Gives every session's and token's key its hash tag, once. Another node opening the store
    /// at the same time moves the same keys: each move is safe to repeat or to lose a race.
    pub(crate) async fn tag_keys_once(&self) -> StoreResult<()> {
        if self
            .q::<bool>(cmd("EXISTS").arg(self.keys.tagged()))
            .await?
        {
            return Ok(());
        }
        let mut start = 0;
        let mut seen = 0;
        loop {
            let ids: Vec<String> = self
                .q(cmd("ZRANGE")
                    .arg(self.keys.lookup())
                    .arg(start)
                    .arg(start + PAGE - 1))
                .await?;
            stream::iter(ids.iter().map(|id| self.tag_session(id)))
                .buffer_unordered(MOVING_AT_ONCE)
                .try_collect::<()>()
                .await?;
            seen += ids.len();
            if (ids.len() as isize) < PAGE {
                break;
            }
            start += PAGE;
        }
        if seen > 0 {
            tracing::info!(
                sessions = seen,
                "moved the Redis keys of every session to their hash-tagged names (decision 0057)"
            );
        }
        self.q::<()>(cmd("SET").arg(self.keys.tagged()).arg(1))
            .await
    }

    async fn tag_session(&self, id: &str) -> StoreResult<()> {
        self.move_key(&self.keys.untagged_session(id), &self.keys.session_of(id))
            .await?;
        let Some(s) = self.load(id).await? else {
            return Ok(());
        };
        for hash in std::iter::once(&s.token_hash).chain(&s.prev_token_hash) {
            self.move_key(&self.keys.untagged_token(hash), &self.keys.token(hash))
                .await?;
        }
        Ok(())
    }

    /// Moves `from` to `to` with its expiry. The two may be in different cluster slots, where
    /// `RENAME` is refused: so a copy (`DUMP`, `RESTORE`), then the old key's delete. A key
    /// already at `to` was written on the new layout and is newer: it is kept.
    async fn move_key(&self, from: &str, to: &str) -> StoreResult<()> {
        let Some(dump) = self.q::<Option<Vec<u8>>>(cmd("DUMP").arg(from)).await? else {
            return Ok(());
        };
        let ttl: i64 = self.q(cmd("PTTL").arg(from)).await?;
        // -2: gone since the dump (another node moved it); -1: no expiry, which `RESTORE` spells 0.
        if ttl == -2 {
            return Ok(());
        }
        let mut restore = cmd("RESTORE");
        restore.arg(to).arg(ttl.max(0)).arg(dump);
        let mut conn = self.conn.clone();
        match tokio::time::timeout(self.timeout, restore.query_async::<()>(&mut conn)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) if e.code() == Some("BUSYKEY") => {}
            Ok(Err(e)) => return Err(store_error(e)),
            Err(_) => return Err(StoreError::unavailable(TimedOut)),
        }
        self.q::<()>(cmd("DEL").arg(from)).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;
    use crate::testing::{self, CLUSTER, STANDALONE, Server};
    use sessiond_core::store::Sessions;
    use sessiond_core::{Session, Token};
    use sessiond_store_conformance::fixtures::session;

    /// A store written before the tags: its sessions are found by token and by id once a node
    /// of this version opens it, and the old keys are gone.
    async fn an_untagged_store_is_moved_when_it_opens(server: Server) {
        let prefix = testing::fresh_prefix();
        let store = testing::open(server, &prefix).await;
        let mut sessions: Vec<Session> = Vec::new();
        for _ in 0..40 {
            let (mut s, _) = session(None, 0);
            s.prev_token_hash = Some(Token::generate().unwrap().hash());
            store.create_session(&s).await.unwrap();
            sessions.push(s);
        }
        // Back to the layout of the version before.
        for s in &sessions {
            let id = s.id.to_string();
            let keys = &store.keys;
            store
                .move_key(&keys.session_of(&id), &keys.untagged_session(&id))
                .await
                .unwrap();
            for h in [s.token_hash, s.prev_token_hash.unwrap()] {
                store
                    .move_key(&keys.token(&h), &keys.untagged_token(&h))
                    .await
                    .unwrap();
            }
        }
        store
            .q::<()>(cmd("DEL").arg(store.keys.tagged()))
            .await
            .unwrap();
        assert_eq!(store.session_by_id(&sessions[0].id).await.unwrap(), None);

        let store = testing::open(server, &prefix).await;
        for s in &sessions {
            let now = s.created_at;
            for h in [s.token_hash, s.prev_token_hash.unwrap()] {
                let found = store.session_by_token(&h, now).await.unwrap();
                assert_eq!(found.map(|f| f.id), Some(s.id), "by a token");
                let old: bool = store
                    .q(cmd("EXISTS").arg(store.keys.untagged_token(&h)))
                    .await
                    .unwrap();
                assert!(!old, "the old token key is gone");
            }
            let old: bool = store
                .q(cmd("EXISTS").arg(store.keys.untagged_session(&s.id.to_string())))
                .await
                .unwrap();
            assert!(!old, "the old session key is gone");
            let found = store.session_by_id(&s.id).await.unwrap();
            assert_eq!(found.map(|f| f.version), Some(s.version));
        }
    }

    #[tokio::test]
    async fn an_untagged_store_is_moved_when_it_opens_on_standalone_redis() {
        an_untagged_store_is_moved_when_it_opens(STANDALONE).await;
    }

    #[tokio::test]
    async fn an_untagged_store_is_moved_when_it_opens_on_a_cluster() {
        an_untagged_store_is_moved_when_it_opens(CLUSTER).await;
    }
}
