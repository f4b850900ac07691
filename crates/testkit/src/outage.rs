//! [`OutageStore`]: a real store that a test can take down and bring back, to show what
//! clients see during a store outage (503 with Retry-After) and that service resumes by itself.
//! It can also be made slow, which widens the windows in which concurrent requests race.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use sessiond_core::audit::{AuditEvent, AuditQuery};
use sessiond_core::audit_chain::{ChainEnds, ChainPage};
use sessiond_core::counter::CounterKey;
use sessiond_core::store::{Counter, SessionStore, StoreResult};
use sessiond_core::user::User;
use sessiond_core::{Session, SessionId, StoreError, Timestamp, TokenHash, UserId};

pub struct OutageStore {
    inner: Arc<dyn SessionStore>,
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
    pub fn new(inner: Arc<dyn SessionStore>) -> Self {
        Self {
            inner,
            down: AtomicBool::new(false),
            latency_ms: AtomicU64::new(0),
            audit_failures: AtomicU64::new(0),
        }
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

    async fn up(&self) -> StoreResult<&dyn SessionStore> {
        let latency = self.latency_ms.load(Ordering::SeqCst);
        if latency > 0 {
            tokio::time::sleep(Duration::from_millis(latency)).await;
        }
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::unavailable(Down));
        }
        Ok(self.inner.as_ref())
    }
}

/// Writes the whole impl: `#[async_trait]` must see the methods, not a macro call.
macro_rules! delegating_impl {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        #[async_trait]
        impl SessionStore for OutageStore {
            fn kind(&self) -> &'static str {
                self.inner.kind()
            }
            async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
                let left = self.audit_failures.load(Ordering::SeqCst);
                if left > 0 {
                    if left != u64::MAX {
                        self.audit_failures.fetch_sub(1, Ordering::SeqCst);
                    }
                    return Err(StoreError::unavailable(Down));
                }
                self.up().await?.append_audit(events).await
            }
            $(async fn $name(&self, $($arg: $ty),*) -> StoreResult<$ret> { self.up().await?.$name($($arg),*).await })*
        }
    };
}

delegating_impl! {
    ping() -> ();
    create_session(s: &Session) -> ();
    session_by_token(h: &TokenHash, now: Timestamp) -> Option<Session>;
    session_by_id(id: &SessionId) -> Option<Session>;
    update_session(s: &Session) -> ();
    user_sessions(u: &UserId, now: Timestamp) -> Vec<Session>;
    count_active_sessions(now: Timestamp) -> u64;
    sessions_due(now: Timestamp, limit: u32) -> Vec<Session>;
    count_sessions_due(now: Timestamp) -> u64;
    purge_sessions(before: Timestamp, limit: u32) -> u64;
    count_purgeable_sessions(before: Timestamp) -> u64;
    create_user(u: &User) -> ();
    user_by_name(name: &str) -> Option<User>;
    user_by_id(id: &UserId) -> Option<User>;
    update_user(u: &User) -> ();
    list_users() -> Vec<User>;
    count_users() -> u64;
    audit_events(q: &AuditQuery) -> Vec<AuditEvent>;
    audit_chain(cursor: Option<&str>, limit: u32) -> ChainPage;
    audit_chain_ends() -> ChainEnds;
    purge_audit(before: Timestamp, limit: u32) -> u64;
    count_audit_before(before: Timestamp) -> u64;
    add_to_counter(key: &CounterKey, by: u64, now: Timestamp, expires_at: Timestamp) -> Counter;
    counter(key: &CounterKey, now: Timestamp) -> Option<Counter>;
    delete_counter(key: &CounterKey) -> ();
    purge_counters(before: Timestamp, limit: u32) -> u64;
}
