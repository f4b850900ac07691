//! A sliding-window rate limiter (seed 000's keep-alive limit), driven by the service clock.
//!
//! It lives in the process: each sessiond node counts on its own. See
//! docs/decisions/0004-keepalive-rate-limit-per-node.md.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::time::{Timestamp, plus_secs, secs_between};

/// A per-key fixed-window limit on this node, with a bounded number of keys.
pub struct RateLimiter {
    limit: usize,
    window_secs: i64,
    hits: Mutex<HashMap<String, VecDeque<Timestamp>>>,
}

impl RateLimiter {
    /// `limit` hits per `window_secs` per key.
    pub fn new(limit: u32, window_secs: i64) -> Self {
        Self {
            limit: limit as usize,
            window_secs,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a hit for `key`; `Err(seconds)` says how long to wait when over the limit.
    pub fn hit(&self, key: &str, now: Timestamp) -> Result<(), i64> {
        // A poisoned lock only means another request panicked mid-update; the counts are
        // still usable.
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if hits.len() > 10_000 {
            let window = self.window_secs;
            hits.retain(|_, q| q.back().is_some_and(|t| secs_between(*t, now) < window));
        }
        let q = hits.entry(key.to_owned()).or_default();
        while q
            .front()
            .is_some_and(|t| secs_between(*t, now) >= self.window_secs)
        {
            q.pop_front();
        }
        if q.len() >= self.limit {
            let oldest = q.front().copied().unwrap_or(now);
            let retry = secs_between(now, plus_secs(oldest, self.window_secs)).max(1);
            return Err(retry);
        }
        q.push_back(now);
        Ok(())
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
}
