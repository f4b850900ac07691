//! The writer and the read connections.

use std::path::PathBuf;
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
        let result = f(&conn);
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
        let mut guard = tokio::time::timeout(self.acquire_timeout, lock)
            .await
            .map_err(|_| StoreError::unavailable(WriterBusy))?;
        tokio::task::spawn_blocking(move || f(&mut guard))
            .await
            .map_err(StoreError::unavailable)?
            .map_err(store_error)
    }
}
