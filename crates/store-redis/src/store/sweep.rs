//! The sweep role: deadlines passed and dead records.

use crate::RedisStore;
use async_trait::async_trait;
use redis::cmd;
use sessiond_core::store::Ended;
use sessiond_core::store::StoreResult;
use sessiond_core::time::to_millis;
use sessiond_core::{Session, SessionState, Timestamp};

use futures_util::future::join_all;
use sessiond_core::store::{
    ListKey, Listing, Scanned, SessionFilter, SessionSweep, Tallies, Tally,
};

#[async_trait]
impl SessionSweep for RedisStore {
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
                    let key = self.keys.session(&s.id);
                    let was: Option<String> = self.q(cmd("HGET").arg(&key).arg("t")).await?;
                    let deleted: i64 = self.q(cmd("DEL").arg(&key)).await?;
                    // Whoever deleted the record takes it out of its tally, once.
                    if deleted == 1
                        && let Some(was) = was
                    {
                        self.retally(Some(&was), None, &s).await?;
                    }
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
}

/// Sessions read per round trip when walking the admin list.
const LIST_CHUNK: i64 = 200;
/// Sessions looked at per page at most: a search that matches rarely answers a short page and
/// where to go on, in bounded time.
const LIST_BUDGET: usize = 2_000;

#[async_trait]
impl Listing for RedisStore {
    async fn tallies(&self) -> StoreResult<Tallies> {
        let [tally, _, count] = self.keys.tallies();
        let fields: Vec<(String, i64)> = self.q(cmd("HGETALL").arg(tally)).await?;
        let users: Option<i64> = self.q(cmd("GET").arg(count)).await?;
        let sessions = fields
            .into_iter()
            .filter_map(|(field, n)| {
                let (state, role, context): (String, Option<String>, Option<String>) =
                    serde_json::from_str(&field).ok()?;
                Some(Tally {
                    state: SessionState::parse(&state)?,
                    role,
                    context,
                    n: u64::try_from(n).ok()?,
                })
            })
            .collect();
        Ok(Tallies {
            sessions,
            active_users: users.map_or(0, |n| u64::try_from(n).unwrap_or(0)),
        }
        .normalized())
    }

    async fn sessions_before(
        &self,
        filter: &SessionFilter,
        before: Option<ListKey>,
        limit: u32,
    ) -> StoreResult<Scanned> {
        let index = match &filter.user {
            Some(user) => self.keys.user_all(user),
            None => self.keys.created(),
        };
        // From the rank after the cursor's session; one purged since is found by its time.
        let mut rank: i64 = match before {
            None => 0,
            Some(b) => {
                let found: Option<i64> = self
                    .q(cmd("ZREVRANK").arg(&index).arg(b.id.to_string()))
                    .await?;
                match found {
                    Some(r) => r + 1,
                    None => {
                        let ms = to_millis(b.created_at);
                        self.q(cmd("ZCOUNT").arg(&index).arg(format!("({ms}")).arg("+inf"))
                            .await?
                    }
                }
            }
        };
        let mut sessions = Vec::new();
        let mut looked = 0;
        loop {
            let ids: Vec<String> = self
                .q(cmd("ZREVRANGE")
                    .arg(&index)
                    .arg(rank)
                    .arg(rank + LIST_CHUNK - 1))
                .await?;
            let end = ids.len() < LIST_CHUNK as usize;
            rank += ids.len() as i64;
            let loaded = join_all(ids.iter().map(|id| self.load(id))).await;
            for (id, s) in ids.iter().zip(loaded) {
                looked += 1;
                let Some(s) = s? else {
                    // Collected by its TTL: drop the stale entry.
                    self.q::<()>(cmd("ZREM").arg(&index).arg(id)).await?;
                    continue;
                };
                let key = ListKey::of(&s);
                if before.is_some_and(|b| key >= b) || !filter.matches(&s) {
                    if looked >= LIST_BUDGET {
                        return Ok(Scanned {
                            sessions,
                            next: Some(key),
                        });
                    }
                    continue;
                }
                sessions.push(s);
                if sessions.len() >= limit as usize || looked >= LIST_BUDGET {
                    return Ok(Scanned {
                        sessions,
                        next: Some(key),
                    });
                }
            }
            if end {
                return Ok(Scanned {
                    sessions,
                    next: None,
                });
            }
        }
    }

    async fn ended_after(
        &self,
        after: u64,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Ended>> {
        // Places are unique, so `(after` and a plain LIMIT page through them exactly.
        let mut out = Vec::new();
        let mut from = after;
        while out.len() < limit as usize {
            let page: Vec<(String, f64)> = self
                .q(cmd("ZRANGEBYSCORE")
                    .arg(self.keys.feed())
                    .arg(format!("({from}"))
                    .arg("+inf")
                    .arg("WITHSCORES")
                    .arg("LIMIT")
                    .arg(0)
                    .arg(limit))
                .await?;
            let Some((_, last)) = page.last() else { break };
            from = *last as u64;
            for (id, seq) in page {
                // A purged session's entry goes with the purge; one left behind is skipped.
                let Some(s) = self.load(&id).await? else {
                    continue;
                };
                if s.state != SessionState::Active && s.ended_at.is_some_and(|at| at >= since) {
                    out.push(Ended {
                        seq: seq as u64,
                        session: s,
                    });
                }
                if out.len() == limit as usize {
                    break;
                }
            }
        }
        Ok(out)
    }
}
