//! The writer and the read connections.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use sessiond_core::StoreError;

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
        tokio::task::spawn_blocking(move || f(&mut guard))
            .await
            .map_err(StoreError::unavailable)?
            .map_err(store_error)
    }
}
