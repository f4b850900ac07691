//! [`OutageStore`]: a real store that a test can take down and bring back, to show what
//! clients see during a store outage (503 with Retry-After) and that service resumes by itself.
//! It can also be made slow, which widens the windows in which concurrent requests race.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use sessiond_core::access_token::SealedKey;
use sessiond_core::api_key::ApiKey;
use sessiond_core::audit::{AuditEvent, AuditQuery};
use sessiond_core::audit_chain::{ChainEnds, ChainPage};
use sessiond_core::counter::CounterKey;
use sessiond_core::store::{
    ApiKeys, AuditLog, Counter, Counters, Ended, Health, ListKey, Listing, Scanned, SecretCheck,
    SessionFilter, SessionSweep, Sessions, SigningKeys, StoreResult, Tallies, Users,
};
use sessiond_core::user::User;
use sessiond_core::{Session, SessionId, StoreError, Stores, Timestamp, TokenHash, UserId};

/// Wraps every role of a store; [`OutageStore::stores`] is the bundle to build a server on.
pub struct OutageStore {
    inner: Stores,
    down: AtomicBool,
    latency_ms: AtomicU64,
    /// Audit writes still to fail (`u64::MAX`: all of them).
    audit_failures: AtomicU64,
}

#[derive(Debug)]
struct Down;

impl std::fmt::Display for Down {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection refused (simulated outage)")
    }
}

impl std::error::Error for Down {}

impl OutageStore {
    pub fn new(inner: Stores) -> Arc<Self> {
        Arc::new(Self {
            inner,
            down: AtomicBool::new(false),
            latency_ms: AtomicU64::new(0),
            audit_failures: AtomicU64::new(0),
        })
    }

    /// Every role through this wrapper, with the wrapped store's bus.
    pub fn stores(self: &Arc<Self>) -> Stores {
        self.inner.wrapped_by(self.clone())
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// Every operation waits this long before it reaches the real store.
    pub fn set_latency(&self, latency: Duration) {
        self.latency_ms
            .store(latency.as_millis() as u64, Ordering::SeqCst);
    }

    /// The next `n` audit writes fail as if the store were down (`u64::MAX`: every one),
    /// while everything else works.
    pub fn fail_audit_writes(&self, n: u64) {
        self.audit_failures.store(n, Ordering::SeqCst);
    }

    async fn up(&self) -> StoreResult<&Stores> {
        let latency = self.latency_ms.load(Ordering::SeqCst);
        if latency > 0 {
            tokio::time::sleep(Duration::from_millis(latency)).await;
        }
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::unavailable(Down));
        }
        Ok(&self.inner)
    }
}

/// One role's impl, every method waiting for `up()`: `#[async_trait]` must see the methods,
/// not a macro call, so the macro writes the whole impl.
macro_rules! delegating_impl {
    ($role:ident . $field:ident { $($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)* }) => {
        #[async_trait]
        impl $role for OutageStore {
            $(async fn $name(&self, $($arg: $ty),*) -> StoreResult<$ret> {
                self.up().await?.$field.$name($($arg),*).await
            })*
        }
    };
}

delegating_impl!(Sessions.sessions {
    create_session(s: &Session) -> ();
    session_by_token(h: &TokenHash, now: Timestamp) -> Option<Session>;
    session_by_id(id: &SessionId) -> Option<Session>;
    update_session(s: &Session) -> ();
    user_sessions(u: &UserId, now: Timestamp) -> Vec<Session>;
});

delegating_impl!(SessionSweep.sweep {
    count_active_sessions(now: Timestamp) -> u64;
    sessions_due(now: Timestamp, limit: u32) -> Vec<Session>;
    count_sessions_due(now: Timestamp) -> u64;
    purge_sessions(before: Timestamp, limit: u32) -> u64;
    count_purgeable_sessions(before: Timestamp) -> u64;
});

delegating_impl!(Listing.listing {
    sessions_before(f: &SessionFilter, before: Option<ListKey>, limit: u32) -> Scanned;
    tallies() -> Tallies;
    ended_after(after: u64, since: Timestamp, limit: u32) -> Vec<Ended>;
});

delegating_impl!(Users.users {
    create_user(u: &User) -> ();
    user_by_name(name: &str) -> Option<User>;
    user_by_id(id: &UserId) -> Option<User>;
    update_user(u: &User) -> ();
    list_users() -> Vec<User>;
    count_users() -> u64;
    delete_user(id: &UserId) -> bool;
});

delegating_impl!(Counters.counters {
    add_to_counter(key: &CounterKey, by: u64, now: Timestamp, expires_at: Timestamp) -> Counter;
    counter(key: &CounterKey, now: Timestamp) -> Option<Counter>;
    delete_counter(key: &CounterKey) -> ();
    purge_counters(before: Timestamp, limit: u32) -> u64;
});

delegating_impl!(SigningKeys.signing_keys {
    add_signing_key(key: &SealedKey) -> ();
    signing_keys() -> Vec<SealedKey>;
    delete_signing_key(kid: &str) -> bool;
});

delegating_impl!(ApiKeys.api_keys {
    create_api_key(key: &ApiKey) -> ();
    api_key_by_hash(hash: &TokenHash) -> Option<ApiKey>;
    api_keys() -> Vec<ApiKey>;
    revoke_api_key(name: &str, at: Timestamp) -> bool;
    set_api_key_grants(name: &str, roles: &[String], users: &[String]) -> bool;
});

#[async_trait]
impl AuditLog for OutageStore {
    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        let left = self.audit_failures.load(Ordering::SeqCst);
        if left > 0 {
            if left != u64::MAX {
                self.audit_failures.fetch_sub(1, Ordering::SeqCst);
            }
            return Err(StoreError::unavailable(Down));
        }
        self.up().await?.audit.append_audit(events).await
    }
    async fn audit_events(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        self.up().await?.audit.audit_events(q).await
    }
    async fn audit_chain(&self, cursor: Option<&str>, limit: u32) -> StoreResult<ChainPage> {
        self.up().await?.audit.audit_chain(cursor, limit).await
    }
    async fn audit_chain_ends(&self) -> StoreResult<ChainEnds> {
        self.up().await?.audit.audit_chain_ends().await
    }
    async fn purge_audit(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        self.up().await?.audit.purge_audit(before, limit).await
    }
    async fn count_audit_before(&self, before: Timestamp) -> StoreResult<u64> {
        self.up().await?.audit.count_audit_before(before).await
    }
}

#[async_trait]
impl SecretCheck for OutageStore {
    async fn claim_secret_check(&self, check: &str) -> StoreResult<String> {
        self.up()
            .await?
            .secret_check
            .claim_secret_check(check)
            .await
    }
    async fn replace_secret_check(&self, check: &str) -> StoreResult<()> {
        self.up()
            .await?
            .secret_check
            .replace_secret_check(check)
            .await
    }
}

#[async_trait]
impl Health for OutageStore {
    fn kind(&self) -> &'static str {
        self.inner.health.kind()
    }
    async fn ping(&self) -> StoreResult<()> {
        self.up().await?.health.ping().await
    }
}
