//! [`OutageStore`]: a real store that a test can take down and bring back, to show what
//! clients see during a store outage (503 with Retry-After) and that service resumes by itself.
//! It can also be made slow, which widens the windows in which concurrent requests race.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sessiond_core::store::{Around, Call, Decorated, Operation, StoreResult};
use sessiond_core::{StoreError, Stores};

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
        Decorated::stores(self.inner.clone(), self.clone())
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

    async fn up(&self) -> StoreResult<()> {
        let latency = self.latency_ms.load(Ordering::SeqCst);
        if latency > 0 {
            tokio::time::sleep(Duration::from_millis(latency)).await;
        }
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::unavailable(Down));
        }
        Ok(())
    }
}

impl Around for OutageStore {
    fn around<'a, T: Send + 'a>(&'a self, call: Call, op: Operation<'a, T>) -> Operation<'a, T> {
        Box::pin(async move {
            if call.operation == "append_audit" {
                let left = self.audit_failures.load(Ordering::SeqCst);
                if left > 0 {
                    if left != u64::MAX {
                        self.audit_failures.fetch_sub(1, Ordering::SeqCst);
                    }
                    return Err(StoreError::unavailable(Down));
                }
            }
            self.up().await?;
            op.await
        })
    }
}
