//! Per-account lockout with backoff (SECURITY-TESTS row 39): after `threshold` failed logins an
//! account is locked for `base` seconds, doubling with each further lockout up to an hour. While
//! it is locked even the right password gets the generic answer. The counts live in the store's
//! shared counters, so every node sees the same failures and the same lock (decision 0015).

use crate::store::{SessionStore, StoreResult};
use crate::time::{Timestamp, plus_secs, secs_between};

const MAX_LOCK_SECS: i64 = 3600;
/// Failures and lockouts are forgotten a day after the first of them.
const FORGET_AFTER_SECS: i64 = 86_400;

pub struct Lockouts {
    threshold: u64,
    base_secs: i64,
}

/// The three counters of one account, keyed by its case-folded name.
struct Keys {
    failures: String,
    lockouts: String,
    lock: String,
}

impl Keys {
    fn of(username: &str) -> Self {
        let name = username.trim().to_lowercase();
        Self {
            failures: format!("lockout:failures:{name}"),
            lockouts: format!("lockout:lockouts:{name}"),
            lock: format!("lockout:lock:{name}"),
        }
    }
}

impl Lockouts {
    pub fn new(threshold: u32, base_secs: i64) -> Self {
        Self {
            threshold: u64::from(threshold.max(1)),
            base_secs: base_secs.max(1),
        }
    }

    /// Seconds the account stays locked, if it is.
    pub async fn locked(
        &self,
        store: &dyn SessionStore,
        username: &str,
        now: Timestamp,
    ) -> StoreResult<Option<i64>> {
        let lock = store.counter(&Keys::of(username).lock, now).await?;
        Ok(lock
            .map(|c| secs_between(now, c.expires_at))
            .filter(|left| *left > 0))
    }

    /// Counts a failure; returns the lock's length in seconds when this one locks the account.
    /// Failures while it is locked do not count. The counter is shared, so exactly one of the
    /// failures that reach a multiple of the threshold, on whichever node, locks.
    pub async fn failed(
        &self,
        store: &dyn SessionStore,
        username: &str,
        now: Timestamp,
    ) -> StoreResult<Option<i64>> {
        if self.locked(store, username, now).await?.is_some() {
            return Ok(None);
        }
        let keys = Keys::of(username);
        let forget = plus_secs(now, FORGET_AFTER_SECS);
        let failures = store.add_to_counter(&keys.failures, 1, now, forget).await?;
        if failures.value % self.threshold != 0 {
            return Ok(None);
        }
        store.delete_counter(&keys.failures).await?;
        let lockouts = store.add_to_counter(&keys.lockouts, 1, now, forget).await?;
        let doublings = u32::try_from(lockouts.value.saturating_sub(1).min(12)).unwrap_or(12);
        let secs = (self.base_secs << doublings).min(MAX_LOCK_SECS);
        store
            .add_to_counter(&keys.lock, 1, now, plus_secs(now, secs))
            .await?;
        Ok(Some(secs))
    }

    /// A successful login clears the account's history.
    pub async fn succeeded(&self, store: &dyn SessionStore, username: &str) -> StoreResult<()> {
        let keys = Keys::of(username);
        store.delete_counter(&keys.failures).await?;
        store.delete_counter(&keys.lockouts).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Clock;
    use crate::memory::MemoryStore;
    use crate::time::ManualClock;

    #[tokio::test]
    async fn locks_after_the_threshold_with_doubling_backoff_case_insensitively() {
        let (clock, store) = (ManualClock::at_epoch(), MemoryStore::new());
        let l = Lockouts::new(3, 60);
        let failed = |name: &'static str| l.failed(&store, name, clock.now());
        assert_eq!(failed("Alice").await.unwrap(), None);
        assert_eq!(failed("alice").await.unwrap(), None);
        assert_eq!(failed("ALICE ").await.unwrap(), Some(60));
        assert_eq!(
            l.locked(&store, "alice", clock.now()).await.unwrap(),
            Some(60)
        );
        clock.advance_secs(60);
        assert_eq!(l.locked(&store, "alice", clock.now()).await.unwrap(), None);
        for _ in 0..2 {
            l.failed(&store, "alice", clock.now()).await.unwrap();
        }
        assert_eq!(
            l.failed(&store, "alice", clock.now()).await.unwrap(),
            Some(120),
            "the second lock is longer"
        );
        clock.advance_secs(120);
        l.succeeded(&store, "alice").await.unwrap();
        for _ in 0..2 {
            l.failed(&store, "alice", clock.now()).await.unwrap();
        }
        assert_eq!(
            l.failed(&store, "alice", clock.now()).await.unwrap(),
            Some(60),
            "a success forgets the history"
        );
    }

    #[tokio::test]
    async fn failures_while_locked_do_not_extend_the_lock() {
        let (clock, store) = (ManualClock::at_epoch(), MemoryStore::new());
        let l = Lockouts::new(1, 60);
        assert_eq!(
            l.failed(&store, "bob", clock.now()).await.unwrap(),
            Some(60)
        );
        clock.advance_secs(30);
        assert_eq!(l.failed(&store, "bob", clock.now()).await.unwrap(), None);
        assert_eq!(
            l.locked(&store, "bob", clock.now()).await.unwrap(),
            Some(30)
        );
    }
}
