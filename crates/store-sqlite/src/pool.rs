//! The writer and the read connections.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use sessiond_core::StoreError;
use tokio::sync::oneshot;

use crate::group::Queue;
use crate::{PoolSettings, open_reader, store_error};

pub(crate) struct Pool {
    path: PathBuf,
    writer: Arc<tokio::sync::Mutex<Connection>>,
    readers: Mutex<Vec<Connection>>,
    max_idle_readers: usize,
    acquire_timeout: Duration,
    /// Reads running now, and writes waiting for the writer: the pool's status.
    busy_readers: AtomicU64,
    waiting_writes: AtomicU64,
    /// Session writes waiting to be committed together (`write_grouped`).
    queue: Arc<Queue>,
    /// Transactions the writer ran: each `write`, each group. What the tests count.
    pub(crate) commits: Arc<AtomicU64>,
}

#[derive(Debug)]
struct WriterBusy;

impl std::fmt::Display for WriterBusy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("timed out waiting for the SQLite writer")
    }
}

impl std::error::Error for WriterBusy {}

impl Pool {
    pub(crate) fn new(path: PathBuf, writer: Connection, settings: PoolSettings) -> Self {
        Self {
            path,
            writer: Arc::new(tokio::sync::Mutex::new(writer)),
            readers: Mutex::new(Vec::new()),
            max_idle_readers: settings.max_connections.max(1) as usize,
            acquire_timeout: settings.acquire_timeout,
            busy_readers: AtomicU64::new(0),
            waiting_writes: AtomicU64::new(0),
            queue: Arc::default(),
            commits: Arc::default(),
        }
    }

    /// The read connections kept (`SESSIOND_STORE_POOL_SIZE`) and the writer; a read beyond
    /// them opens a connection of its own for its while.
    pub(crate) fn status(&self) -> sessiond_core::store::PoolStatus {
        let idle_readers = self.readers.lock().unwrap_or_else(|p| p.into_inner()).len() as u64;
        let writer_idle = u64::from(self.writer.try_lock().is_ok());
        sessiond_core::store::PoolStatus {
            max: self.max_idle_readers as u64 + 1,
            open: idle_readers + self.busy_readers.load(Ordering::Relaxed) + 1,
            idle: idle_readers + writer_idle,
            waiting: self.waiting_writes.load(Ordering::Relaxed),
        }
    }

    /// Runs `f` on a read connection, inline. For point lookups only.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        // The lock guards only the pop and the push, never a query.
        let pooled = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            None => open_reader(&self.path, self.acquire_timeout).map_err(store_error)?,
        };
        self.busy_readers.fetch_add(1, Ordering::Relaxed);
        let result = f(&conn);
        self.busy_readers.fetch_sub(1, Ordering::Relaxed);
        let mut idle = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.max_idle_readers {
            idle.push(conn);
        }
        result.map_err(store_error)
    }

    /// Runs `f` on a read connection in the blocking pool: for scans and counts.
    pub(crate) async fn read_blocking<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.read(f))
            .await
            .map_err(StoreError::unavailable)?
    }

    /// Runs `f` on the writer in the blocking pool. Waiting for the writer is bounded by the
    /// acquire timeout, so no request waits forever.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let lock = self.writer.clone().lock_owned();
        self.waiting_writes.fetch_add(1, Ordering::Relaxed);
        let acquired = tokio::time::timeout(self.acquire_timeout, lock).await;
        self.waiting_writes.fetch_sub(1, Ordering::Relaxed);
        let mut guard = acquired.map_err(|_| StoreError::unavailable(WriterBusy))?;
        self.commits.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || f(&mut guard))
            .await
            .map_err(StoreError::unavailable)?
            .map_err(store_error)
    }

    /// Runs `f` on the writer in a transaction with the other writes queued meanwhile, so they
    /// share one commit (`crate::group`). Waiting is bounded as in [`Self::write`]; a write
    /// given up on is taken out of the queue, so it is never done after its caller was told it
    /// failed.
    pub(crate) async fn write_grouped<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (id, mut rx) = self.queue.push(f);
        // A caller that goes away (a request cancelled while it waits) takes its write back.
        let mut queued = Withdraw {
            queue: &self.queue,
            id: Some(id),
        };
        let lock = self.writer.clone().lock_owned();
        self.waiting_writes.fetch_add(1, Ordering::Relaxed);
        let acquired = tokio::time::timeout(self.acquire_timeout, lock).await;
        self.waiting_writes.fetch_sub(1, Ordering::Relaxed);
        let Ok(mut guard) = acquired else {
            if queued.take() {
                return Err(StoreError::unavailable(WriterBusy));
            }
            // A group holding the writer has it: its result is on the way.
            return rx
                .await
                .unwrap_or_else(|_| Err(StoreError::unavailable(WriterBusy)));
        };
        // Holding the writer, ours runs now or ran already: no longer to be taken back.
        queued.id = None;
        // A group that held the writer before may have run it already.
        if let Ok(result) = rx.try_recv() {
            return result;
        }
        let (queue, commits) = (self.queue.clone(), self.commits.clone());
        tokio::task::spawn_blocking(move || {
            loop {
                if queue.run(&mut guard) {
                    commits.fetch_add(1, Ordering::Relaxed);
                }
                match rx.try_recv() {
                    Ok(result) => return result,
                    // Queued behind more than a group: run the next one.
                    Err(oneshot::error::TryRecvError::Empty) if queue.pending() > 0 => {}
                    Err(_) => {
                        return Err(StoreError::unavailable(std::io::Error::other(
                            "the SQLite writer could not begin a transaction",
                        )));
                    }
                }
            }
        })
        .await
        .map_err(StoreError::unavailable)?
    }
}

/// Takes a queued write back when dropped, unless it is already in a group's hands.
struct Withdraw<'a> {
    queue: &'a Queue,
    id: Option<u64>,
}

impl Withdraw<'_> {
    /// Takes the write back now: whether it was still queued.
    fn take(&mut self) -> bool {
        self.id.take().is_some_and(|id| self.queue.withdraw(id))
    }
}

impl Drop for Withdraw<'_> {
    fn drop(&mut self) {
        self.take();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use sessiond_core::StoreError;
    use sessiond_core::store::Sessions as _;
    use sessiond_store_conformance::fixtures::session;

    use crate::{PoolSettings, SqliteStore};

    /// A write whose caller stopped waiting for the writer is taken out of the queue: the next
    /// group must not do it behind the caller's back, who was told it failed.
    #[tokio::test]
    async fn a_grouped_write_given_up_on_is_never_done() {
        let dir = std::env::temp_dir().join(format!("sessiond-withdraw-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let url = format!("sqlite://{}", dir.join("s.db").display());
        let settings = PoolSettings {
            acquire_timeout: std::time::Duration::from_millis(50),
            ..PoolSettings::default()
        };
        let store = SqliteStore::open(&url, settings).await.unwrap();
        let (s, _) = session(None, 0);
        store.create_session(&s).await.unwrap();

        let held = store.pool.writer.clone().lock_owned().await;
        let mut late = s.clone();
        late.data.insert("late".into(), true.into());
        let waited = std::time::Duration::from_secs(5);
        let e = tokio::time::timeout(waited, store.update_session(&late))
            .await
            .expect("the write waits past the writer's timeout")
            .unwrap_err();
        assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
        // A caller that goes away while it waits (a cancelled request) takes it back too.
        let mut cancelled = s.clone();
        cancelled.data.insert("cancelled".into(), true.into());
        let short = std::time::Duration::from_millis(10);
        let gone = tokio::time::timeout(short, store.update_session(&cancelled)).await;
        assert!(gone.is_err(), "the caller stopped waiting first");
        drop(held);

        let (other, _) = session(None, 0);
        store.create_session(&other).await.unwrap();
        let stored = store.session_by_id(&s.id).await.unwrap().unwrap();
        assert_eq!(stored.version, s.version);
        assert!(!stored.data.contains_key("late"));
        assert!(!stored.data.contains_key("cancelled"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
