//! A sliding-window rate limiter (seed 000's keep-alive limit), driven by the service clock.
//!
//! It lives in the process: each sessiond node counts on its own. See
//! docs/decisions/0004-keepalive-rate-limit-per-node.md.

use std::collections::VecDeque;

use crate::bounded::BoundedMap;
use crate::time::{Timestamp, plus_secs, secs_between};

/// Keys a limiter keeps; beyond them the coldest are forgotten (`crate::bounded`).
pub const KEYS: usize = 10_000;

/// A per-key sliding-window limit on this node, with a bounded number of keys.
pub struct RateLimiter {
    limit: usize,
    window_secs: i64,
    hits: BoundedMap<String, VecDeque<Timestamp>>,
}

impl RateLimiter {
    /// `limit` hits per `window_secs` per key, for at most [`KEYS`] keys.
    pub fn new(limit: u32, window_secs: i64) -> Self {
        Self {
            limit: limit as usize,
            window_secs,
            hits: BoundedMap::new(KEYS),
        }
    }

    /// Counts a hit for `key`; `Err(seconds)` says how long to wait when over the limit.
    pub fn hit(&self, key: &str, now: Timestamp) -> Result<(), i64> {
        let window = self.window_secs;
        self.hits.with(key, VecDeque::new, |q| {
            while q.front().is_some_and(|t| secs_between(*t, now) >= window) {
                q.pop_front();
            }
            if q.len() >= self.limit {
                let oldest = q.front().copied().unwrap_or(now);
                return Err(secs_between(now, plus_secs(oldest, window)).max(1));
            }
            q.push_back(now);
            Ok(())
        })
    }

    /// How many keys it keeps now.
    pub fn keys(&self) -> usize {
        self.hits.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Clock, ManualClock};

    #[test]
    fn eleventh_hit_in_a_minute_is_refused_then_allowed_after_the_window() {
        let clock = ManualClock::at_epoch();
        let rl = RateLimiter::new(10, 60);
        for _ in 0..10 {
            assert!(rl.hit("alice", clock.now()).is_ok());
            clock.advance_secs(1);
        }
        let retry = rl.hit("alice", clock.now()).unwrap_err();
        assert_eq!(retry, 50);
        assert!(rl.hit("bob", clock.now()).is_ok(), "limits are per key");
        clock.advance_secs(50);
        assert!(rl.hit("alice", clock.now()).is_ok());
    }

    #[test]
    fn a_flood_of_keys_keeps_its_bound_and_the_limit_of_a_busy_key() {
        let clock = ManualClock::at_epoch();
        let rl = RateLimiter::new(3, 60);
        for _ in 0..3 {
            assert!(rl.hit("busy", clock.now()).is_ok());
        }
        for i in 0..50_000 {
            let _ = rl.hit(&format!("2001:db8:{i:x}::/64"), clock.now());
            if i % 100 == 0 {
                assert!(rl.hit("busy", clock.now()).is_err(), "still limited");
            }
        }
        assert!(rl.keys() <= KEYS, "{}", rl.keys());
    }
}
