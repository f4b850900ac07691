//! Per-account lockout with backoff (docs/security.md row 39): after `threshold` failed logins an
//! account is locked for `base` seconds, doubling with each further lockout up to an hour. While
//! it is locked even the right password gets the generic answer. The counts live in the store's
//! shared counters, so every node sees the same failures and the same lock (decision 0015).

use crate::counter::{CounterKey, Lockee};
use crate::store::{Counters, StoreResult};
use crate::time::{Timestamp, plus_secs, secs_between};

const MAX_LOCK_SECS: i64 = 3600;
/// Failures and lockouts are forgotten a day after the first of them.
const FORGET_AFTER_SECS: i64 = 86_400;
/// How long an attempt beyond the admitted ones waits for them, at most: 100 × 20 ms.
const ADMIT_WAITS: u32 = 100;
const ADMIT_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

/// The lockout rule: its threshold and its base lock time.
pub struct Lockouts {
    threshold: u64,
    base_secs: i64,
}

/// Whose counters an attempt counts on: the account's, shared by every untrusted client, or
/// those of one device that logged in as the user before (`crate::device`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The account's own counters.
    Account,
    /// The counters of one browser that logged in as the user (its nonce).
    Device(String),
}

/// The three counters of one scope: the account's by its username key, a device's by its nonce.
struct Keys {
    failures: CounterKey,
    lockouts: CounterKey,
    lock: CounterKey,
}

impl Keys {
    fn of(username: &str, scope: &Scope) -> Self {
        let who = match scope {
            Scope::Account => Lockee::Account(crate::user::User::username_key(username)),
            Scope::Device(nonce) => Lockee::Device(nonce.clone()),
        };
        Self {
            failures: CounterKey::LoginFailures(who.clone()),
            lockouts: CounterKey::LoginLockouts(who.clone()),
            lock: CounterKey::LoginLock(who),
        }
    }
}

/// Whether a login attempt may have its password checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// It took place `slot` (1-based) among the account's failures since the last success or
    /// lock; if it fails, it stays counted.
    Admitted {
        /// Its place among the counted failures.
        slot: u64,
        /// Whose counters it was counted on.
        scope: Scope,
    },
    /// The account is locked, or as many attempts as the threshold allows are being checked:
    /// no password is checked against the account.
    Locked,
}

impl Lockouts {
    /// Locks after `threshold` failures for `base_secs`, doubling with each further lock.
    pub fn new(threshold: u32, base_secs: i64) -> Self {
        Self {
            threshold: u64::from(threshold.max(1)),
            base_secs: base_secs.max(1),
        }
    }

    /// Seconds the account stays locked for untrusted clients, if it is.
    pub async fn locked(
        &self,
        store: &dyn Counters,
        username: &str,
        now: Timestamp,
    ) -> StoreResult<Option<i64>> {
        self.locked_in(store, &Keys::of(username, &Scope::Account), now)
            .await
    }

    async fn locked_in(
        &self,
        store: &dyn Counters,
        keys: &Keys,
        now: Timestamp,
    ) -> StoreResult<Option<i64>> {
        let lock = store.counter(&keys.lock, now).await?;
        Ok(lock
            .map(|c| secs_between(now, c.expires_at))
            .filter(|left| *left > 0))
    }

    /// Counts the attempt as a failure before its password is checked, so that parallel guesses
    /// cannot all be checked before the first of them locks: at most `threshold` attempts are
    /// being checked or have failed since the last success or lock, whichever node they reach.
    /// An attempt beyond them waits for them to be decided: a success clears the count (the
    /// owner's parallel logins all get in), the failure in the last slot locks. The caller must
    /// decide every admitted attempt (`failed` or `succeeded`), even if its client goes away.
    ///
    /// An attempt from a `device` the user logged in from before counts on that device's
    /// counters, so the account's lock does not stop it; a device that is itself locked counts
    /// as an untrusted client again.
    pub async fn admit(
        &self,
        store: &dyn Counters,
        username: &str,
        device: Option<&crate::device::Device>,
        now: Timestamp,
    ) -> StoreResult<Admission> {
        if let Some(device) = device {
            let scope = Scope::Device(device.nonce.clone());
            let keys = Keys::of(username, &scope);
            if self.locked_in(store, &keys, now).await?.is_none() {
                return self.admit_in(store, &keys, scope, now).await;
            }
        }
        let keys = Keys::of(username, &Scope::Account);
        self.admit_in(store, &keys, Scope::Account, now).await
    }

    async fn admit_in(
        &self,
        store: &dyn Counters,
        keys: &Keys,
        scope: Scope,
        now: Timestamp,
    ) -> StoreResult<Admission> {
        let forget = plus_secs(now, FORGET_AFTER_SECS);
        for _ in 0..ADMIT_WAITS {
            if self.locked_in(store, keys, now).await?.is_some() {
                return Ok(Admission::Locked);
            }
            let taken = store.counter(&keys.failures, now).await?;
            if taken.is_none_or(|c| c.value < self.threshold) {
                let failures = store.add_to_counter(&keys.failures, 1, now, forget).await?;
                // A lock sets itself before it clears the count: an attempt that counted after
                // the clear sees the lock here.
                if self.locked_in(store, keys, now).await?.is_some() {
                    return Ok(Admission::Locked);
                }
                if failures.value <= self.threshold {
                    return Ok(Admission::Admitted {
                        slot: failures.value,
                        scope,
                    });
                }
            }
            tokio::time::sleep(ADMIT_WAIT).await;
        }
        Ok(Admission::Locked)
    }

    /// An admitted attempt failed. The one in the threshold's slot locks its scope and returns
    /// the lock's length in seconds; the lock is set before the count starts again, so no
    /// attempt slips in between.
    pub async fn failed(
        &self,
        store: &dyn Counters,
        username: &str,
        slot: u64,
        scope: &Scope,
        now: Timestamp,
    ) -> StoreResult<Option<i64>> {
        let keys = Keys::of(username, scope);
        // A success since this attempt was admitted cleared the count: nothing to lock.
        if slot != self.threshold || store.counter(&keys.failures, now).await?.is_none() {
            return Ok(None);
        }
        let forget = plus_secs(now, FORGET_AFTER_SECS);
        let lockouts = store.add_to_counter(&keys.lockouts, 1, now, forget).await?;
        let doublings = u32::try_from(lockouts.value.saturating_sub(1).min(12)).unwrap_or(12);
        let secs = (self.base_secs << doublings).min(MAX_LOCK_SECS);
        store
            .add_to_counter(&keys.lock, 1, now, plus_secs(now, secs))
            .await?;
        store.delete_counter(&keys.failures).await?;
        Ok(Some(secs))
    }

    /// A successful login clears its scope's history. A device's success leaves the account's
    /// count alone: the owner getting in must not give an attacker fresh guesses.
    pub async fn succeeded(
        &self,
        store: &dyn Counters,
        username: &str,
        scope: &Scope,
    ) -> StoreResult<()> {
        let keys = Keys::of(username, scope);
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

    /// An attempt that is admitted and fails.
    async fn fail(l: &Lockouts, store: &MemoryStore, name: &str, now: Timestamp) -> Option<i64> {
        match l.admit(store, name, None, now).await.unwrap() {
            Admission::Admitted { slot, scope } => {
                l.failed(store, name, slot, &scope, now).await.unwrap()
            }
            Admission::Locked => None,
        }
    }

    #[tokio::test]
    async fn locks_after_the_threshold_with_doubling_backoff_case_insensitively() {
        let (clock, store) = (ManualClock::at_epoch(), MemoryStore::new());
        let l = Lockouts::new(3, 60);
        assert_eq!(fail(&l, &store, "Alice", clock.now()).await, None);
        assert_eq!(fail(&l, &store, "alice", clock.now()).await, None);
        assert_eq!(fail(&l, &store, "ALICE ", clock.now()).await, Some(60));
        assert_eq!(
            l.locked(&store, "alice", clock.now()).await.unwrap(),
            Some(60)
        );
        clock.advance_secs(60);
        assert_eq!(l.locked(&store, "alice", clock.now()).await.unwrap(), None);
        for _ in 0..2 {
            fail(&l, &store, "alice", clock.now()).await;
        }
        assert_eq!(
            fail(&l, &store, "alice", clock.now()).await,
            Some(120),
            "the second lock is longer"
        );
        clock.advance_secs(120);
        l.succeeded(&store, "alice", &Scope::Account).await.unwrap();
        for _ in 0..2 {
            fail(&l, &store, "alice", clock.now()).await;
        }
        assert_eq!(
            fail(&l, &store, "alice", clock.now()).await,
            Some(60),
            "a success forgets the history"
        );
    }

    #[tokio::test]
    async fn attempts_while_locked_are_not_admitted_and_do_not_extend_the_lock() {
        let (clock, store) = (ManualClock::at_epoch(), MemoryStore::new());
        let l = Lockouts::new(1, 60);
        assert_eq!(fail(&l, &store, "bob", clock.now()).await, Some(60));
        clock.advance_secs(30);
        assert_eq!(
            l.admit(&store, "bob", None, clock.now()).await.unwrap(),
            Admission::Locked
        );
        assert_eq!(
            l.locked(&store, "bob", clock.now()).await.unwrap(),
            Some(30)
        );
    }

    #[tokio::test]
    async fn attempts_beyond_the_threshold_wait_and_are_locked_out_when_the_others_fail() {
        let (clock, store) = (ManualClock::at_epoch(), MemoryStore::new());
        let l = Lockouts::new(3, 60);
        let mut slots = Vec::new();
        for _ in 0..3 {
            match l.admit(&store, "carol", None, clock.now()).await.unwrap() {
                Admission::Admitted { slot, .. } => slots.push(slot),
                Admission::Locked => panic!("the first three are admitted"),
            }
        }
        assert_eq!(slots, [1, 2, 3]);
        // A fourth guess arrives while the three are being checked: it waits for them.
        let store = std::sync::Arc::new(store);
        let waiting = {
            let (store, now) = (store.clone(), clock.now());
            tokio::spawn(async move {
                Lockouts::new(3, 60)
                    .admit(&*store, "carol", None, now)
                    .await
            })
        };
        let mut locks = 0;
        for slot in slots {
            locks += usize::from(
                l.failed(&*store, "carol", slot, &Scope::Account, clock.now())
                    .await
                    .unwrap()
                    .is_some(),
            );
        }
        assert_eq!(locks, 1, "exactly one failure locks");
        assert_eq!(waiting.await.unwrap().unwrap(), Admission::Locked);
    }

    #[tokio::test]
    async fn a_success_frees_the_waiting_attempts() {
        let (clock, store) = (
            ManualClock::at_epoch(),
            std::sync::Arc::new(MemoryStore::new()),
        );
        let l = Lockouts::new(1, 60);
        let first = l.admit(&*store, "dan", None, clock.now()).await.unwrap();
        let account = Scope::Account;
        assert_eq!(
            first,
            Admission::Admitted {
                slot: 1,
                scope: account.clone()
            }
        );
        let waiting = {
            let (store, now) = (store.clone(), clock.now());
            tokio::spawn(async move { Lockouts::new(1, 60).admit(&*store, "dan", None, now).await })
        };
        l.succeeded(&*store, "dan", &account).await.unwrap();
        assert_eq!(
            waiting.await.unwrap().unwrap(),
            Admission::Admitted {
                slot: 1,
                scope: account
            }
        );
    }

    #[tokio::test]
    async fn a_known_device_gets_past_the_accounts_lock_on_counters_of_its_own() {
        let (clock, store) = (ManualClock::at_epoch(), MemoryStore::new());
        let l = Lockouts::new(2, 60);
        for _ in 0..2 {
            fail(&l, &store, "erin", clock.now()).await;
        }
        assert!(
            l.locked(&store, "erin", clock.now())
                .await
                .unwrap()
                .is_some()
        );
        let owner = crate::device::Device {
            nonce: "n".repeat(22),
        };
        let a = l
            .admit(&store, "erin", Some(&owner), clock.now())
            .await
            .unwrap();
        let Admission::Admitted { slot, scope } = a else {
            panic!("the owner's device is admitted: {a:?}");
        };
        assert_eq!(scope, Scope::Device(owner.nonce.clone()));
        // A device that fails as often is locked too, and then counts as untrusted: locked.
        assert_eq!(
            l.failed(&store, "erin", slot, &scope, clock.now())
                .await
                .unwrap(),
            None
        );
        let Admission::Admitted { slot, scope } = l
            .admit(&store, "erin", Some(&owner), clock.now())
            .await
            .unwrap()
        else {
            panic!("second attempt");
        };
        assert!(
            l.failed(&store, "erin", slot, &scope, clock.now())
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(
            l.admit(&store, "erin", Some(&owner), clock.now())
                .await
                .unwrap(),
            Admission::Locked
        );
    }
}
