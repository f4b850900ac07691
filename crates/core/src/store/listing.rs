//! Lists read page by page in a stable order (keyset paging): the revocations feed now, the
//! admin lists next. A backend answers "the rows after this key"; the page and the cursor to ask
//! from next are made here, once, so no list pages differently from another.

use async_trait::async_trait;

use super::filter::{ListKey, Scanned, SessionFilter};
use super::{Ended, StoreResult, Tallies};
use crate::time::Timestamp;

/// One page of a list, and where the next one starts. A page with no rows keeps the cursor it
/// was asked from, so a reader that is caught up asks again from the same place.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T, C> {
    /// The rows, in the list's order.
    pub items: Vec<T>,
    /// The cursor of the next page.
    pub next: C,
}

impl<T, C: Copy> Page<T, C> {
    /// `items`, read from `from`, with the next page starting after the last of them.
    pub fn after(items: Vec<T>, from: C, key: impl Fn(&T) -> C) -> Self {
        let next = items.last().map_or(from, key);
        Self { items, next }
    }
}

/// Where the revocations feed is read from (`?since=`): the feed's named cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedCursor {
    /// After this place in the order the store committed the ends: a previous page's `next`.
    After(u64),
    /// From the ends at or after this instant (the first call of a resource server that
    /// starts late). Later pages go by place, which may repeat an end, never skip one.
    Since(Timestamp),
}

impl FeedCursor {
    /// The keys a backend reads by: after this place, ended at or after this instant.
    pub fn bounds(self) -> (u64, Timestamp) {
        match self {
            Self::After(seq) => (seq, Timestamp::UNIX_EPOCH),
            Self::Since(at) => (0, at),
        }
    }
}

/// The lists, by keyset.
#[async_trait]
pub trait Listing: Send + Sync + 'static {
    /// Sessions that `filter` matches, newest first ([`ListKey`] descending), strictly before
    /// `before` (from the newest when `None`), at most `limit` of them, read from an index of
    /// the store. The store may stop after looking at a bounded number of sessions
    /// ([`Scanned::next`]), but never skips a match between `before` and where it stopped.
    async fn sessions_before(
        &self,
        filter: &SessionFilter,
        before: Option<ListKey>,
        limit: u32,
    ) -> StoreResult<Scanned>;

    /// The sessions held in each state, role and context, and the users with an active one,
    /// as the store keeps them up to date: never a count of the sessions per call.
    async fn tallies(&self) -> StoreResult<Tallies>;

    /// Ended sessions (any state but active) in the order their ends were committed, at most
    /// `limit`: those whose `seq` is after `after`, and that ended at or after `since`. The
    /// store gives an end its `seq` in the same transaction (or script) that writes it, so an
    /// end committed after a page was read always comes after that page's last `seq`.
    async fn ended_after(
        &self,
        after: u64,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Ended>>;

    /// A page of ended sessions from `from`: the revocations feed pages through it and never
    /// skips an end.
    async fn ended_sessions(
        &self,
        from: FeedCursor,
        limit: u32,
    ) -> StoreResult<Page<Ended, FeedCursor>> {
        let (after, since) = from.bounds();
        let rows = self.ended_after(after, since, limit).await?;
        Ok(Page::after(rows, from, |e| FeedCursor::After(e.seq)))
    }
}
