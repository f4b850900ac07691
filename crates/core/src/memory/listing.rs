//! The lists of the memory store: everything is in one map, so a list filters and sorts it.

use async_trait::async_trait;

use super::MemoryStore;
use crate::session::Session;
use crate::store::{Ended, ListKey, Listing, Scanned, SessionFilter, StoreResult, Tallies};
use crate::time::Timestamp;

#[async_trait]
impl Listing for MemoryStore {
    async fn tallies(&self) -> StoreResult<Tallies> {
        Ok(Tallies::count(self.lock().sessions.values()))
    }

    async fn sessions_before(
        &self,
        filter: &SessionFilter,
        before: Option<ListKey>,
        limit: u32,
    ) -> StoreResult<Scanned> {
        let inner = self.lock();
        let mut found: Vec<Session> = inner
            .sessions
            .values()
            .filter(|s| before.is_none_or(|b| ListKey::of(s) < b) && filter.matches(s))
            .cloned()
            .collect();
        found.sort_by_key(|s| std::cmp::Reverse(ListKey::of(s)));
        let more = found.len() > limit as usize;
        found.truncate(limit as usize);
        let next = more.then(|| found.last().map(ListKey::of)).flatten();
        Ok(Scanned {
            sessions: found,
            next,
        })
    }

    async fn ended_after(
        &self,
        after: u64,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Ended>> {
        let inner = self.lock();
        let mut out: Vec<Ended> = inner
            .end_seqs
            .iter()
            .filter(|(_, seq)| **seq > after)
            .filter_map(|(id, seq)| {
                let s = inner.sessions.get(id)?;
                s.ended_at.is_some_and(|at| at >= since).then(|| Ended {
                    seq: *seq,
                    session: s.clone(),
                })
            })
            .collect();
        out.sort_by_key(|e| e.seq);
        out.truncate(limit as usize);
        Ok(out)
    }
}
