//! A fixed-window limit counted in the store's shared counters, so every node counts the same
//! hits (the login limit per address, row 40; the unknown-token limit per address, row 41;
//! decision 0015). A window starts at a key's first hit.
//!
//! A key that went over the limit is also remembered on this node until its window ends, so a
//! node can refuse it again without a store round trip.

use crate::bounded::BoundedMap;
use crate::counter::{CounterKey, Limit};
use crate::store::{Counters, StoreResult};
use crate::time::{Timestamp, plus_secs, secs_between};

/// A per-address limit counted in the store, so every node sees the same count.
pub struct SharedLimit {
    /// Which limit: its counters are its own.
    which: Limit,
    limit: u64,
    window_secs: i64,
    /// Keys this node knows to be over the limit, and until when; bounded, the coldest go first.
    over: BoundedMap<String, Timestamp>,
}

/// What one hit found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Hits in the window, this one included, from every node.
    pub count: u64,
    /// Seconds until the window ends.
    pub window_left_secs: i64,
}

impl SharedLimit {
    /// `limit` hits per `window_secs` per address, in the namespace `which`.
    pub fn new(which: Limit, limit: u32, window_secs: i64) -> Self {
        Self {
            which,
            limit: u64::from(limit),
            window_secs: window_secs.max(1),
            over: BoundedMap::new(crate::ratelimit::KEYS),
        }
    }

    /// The hits a window allows.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Counts a hit for `key`. When the count reaches `trip_at`, the key is refused on this node
    /// (`refused_here`) until the window ends.
    pub async fn hit(
        &self,
        store: &dyn Counters,
        key: &str,
        now: Timestamp,
        trip_at: u64,
    ) -> StoreResult<Hit> {
        let counter = CounterKey::Limit(self.which, key.to_owned());
        let until = plus_secs(now, self.window_secs);
        let c = store.add_to_counter(&counter, 1, now, until).await?;
        if c.value >= trip_at {
            self.over.insert(key.to_owned(), c.expires_at);
        }
        Ok(Hit {
            count: c.value,
            window_left_secs: secs_between(now, c.expires_at).max(1),
        })
    }

    /// `Err(seconds)` while this node knows `key` to be over the limit.
    pub fn refused_here(&self, key: &str, now: Timestamp) -> Result<(), i64> {
        match self.over.get(key) {
            Some(until) if until > now => Err(secs_between(now, until).max(1)),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Clock;
    use crate::memory::MemoryStore;
    use crate::time::ManualClock;

    #[tokio::test]
    async fn nodes_share_the_count_and_each_remembers_a_trip() {
        let (clock, store) = (ManualClock::at_epoch(), MemoryStore::new());
        let (a, b) = (
            SharedLimit::new(Limit::Logins, 3, 60),
            SharedLimit::new(Limit::Logins, 3, 60),
        );
        assert_eq!(a.hit(&store, "ip", clock.now(), 3).await.unwrap().count, 1);
        assert_eq!(b.hit(&store, "ip", clock.now(), 3).await.unwrap().count, 2);
        clock.advance_secs(10);
        let third = a.hit(&store, "ip", clock.now(), 3).await.unwrap();
        assert_eq!(
            third,
            Hit {
                count: 3,
                window_left_secs: 50
            }
        );
        assert_eq!(a.refused_here("ip", clock.now()), Err(50));
        assert_eq!(
            b.refused_here("ip", clock.now()),
            Ok(()),
            "b has not seen it yet"
        );
        assert_eq!(b.hit(&store, "ip", clock.now(), 3).await.unwrap().count, 4);
        assert!(b.refused_here("ip", clock.now()).is_err());
        assert_eq!(a.refused_here("other", clock.now()), Ok(()));
        clock.advance_secs(50);
        assert_eq!(a.refused_here("ip", clock.now()), Ok(()));
        assert_eq!(
            a.hit(&store, "ip", clock.now(), 3).await.unwrap().count,
            1,
            "a new window"
        );
    }
}
