//! Per-account lockout with backoff (SECURITY-TESTS row 39): after `threshold` failed logins an
//! account is locked for `base` seconds, doubling with each further lockout up to an hour. While
//! it is locked even the right password gets the generic answer. Counted per node, like the
//! rate limits (docs/decisions/0004-keepalive-rate-limit-per-node.md).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::time::{Timestamp, plus_secs, secs_between};

const MAX_LOCK_SECS: i64 = 3600;
/// A day without failures forgets an account's history.
const FORGET_AFTER_SECS: i64 = 86_400;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    lockouts: u32,
    locked_until: Option<Timestamp>,
    last_failure: Timestamp,
}

pub struct Lockouts {
    threshold: u32,
    base_secs: i64,
    accounts: Mutex<HashMap<String, Entry>>,
}

impl Lockouts {
    pub fn new(threshold: u32, base_secs: i64) -> Self {
        Self {
            threshold: threshold.max(1),
            base_secs: base_secs.max(1),
            accounts: Mutex::new(HashMap::new()),
        }
    }

    fn key(username: &str) -> String {
        username.trim().to_lowercase()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // Counters only: a panic elsewhere cannot leave them inconsistent.
        self.accounts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Seconds the account stays locked, if it is.
    pub fn locked(&self, username: &str, now: Timestamp) -> Option<i64> {
        let until = self.lock().get(&Self::key(username))?.locked_until?;
        let left = secs_between(now, until);
        (left > 0).then_some(left)
    }

    /// Counts a failure; returns the lock's length in seconds when this one locks the account.
    pub fn failed(&self, username: &str, now: Timestamp) -> Option<i64> {
        let mut accounts = self.lock();
        if accounts.len() > 100_000 {
            accounts.retain(|_, e| secs_between(e.last_failure, now) < FORGET_AFTER_SECS);
        }
        let entry = accounts.entry(Self::key(username)).or_insert(Entry {
            failures: 0,
            lockouts: 0,
            locked_until: None,
            last_failure: now,
        });
        if secs_between(entry.last_failure, now) >= FORGET_AFTER_SECS {
            *entry = Entry {
                failures: 0,
                lockouts: 0,
                locked_until: None,
                last_failure: now,
            };
        }
        entry.last_failure = now;
        if entry.locked_until.is_some_and(|until| until > now) {
            return None;
        }
        entry.failures += 1;
        if entry.failures < self.threshold {
            return None;
        }
        let secs = (self.base_secs << entry.lockouts.min(12)).min(MAX_LOCK_SECS);
        entry.failures = 0;
        entry.lockouts += 1;
        entry.locked_until = Some(plus_secs(now, secs));
        Some(secs)
    }

    /// A successful login clears the account's history.
    pub fn succeeded(&self, username: &str) {
        self.lock().remove(&Self::key(username));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Clock;
    use crate::time::ManualClock;

    #[test]
    fn locks_after_the_threshold_with_doubling_backoff_case_insensitively() {
        let clock = ManualClock::at_epoch();
        let l = Lockouts::new(3, 60);
        assert_eq!(l.failed("Alice", clock.now()), None);
        assert_eq!(l.failed("alice", clock.now()), None);
        assert_eq!(l.failed("ALICE ", clock.now()), Some(60));
        assert_eq!(l.locked("alice", clock.now()), Some(60));
        clock.advance_secs(60);
        assert_eq!(l.locked("alice", clock.now()), None);
        for _ in 0..2 {
            l.failed("alice", clock.now());
        }
        assert_eq!(
            l.failed("alice", clock.now()),
            Some(120),
            "the second lock is longer"
        );
        l.succeeded("alice");
        assert_eq!(l.locked("alice", clock.now()), None);
    }

    #[test]
    fn failures_while_locked_do_not_extend_the_lock() {
        let clock = ManualClock::at_epoch();
        let l = Lockouts::new(1, 60);
        assert_eq!(l.failed("bob", clock.now()), Some(60));
        clock.advance_secs(30);
        assert_eq!(l.failed("bob", clock.now()), None);
        assert_eq!(l.locked("bob", clock.now()), Some(30));
    }
}
