//! The SQLite store ([`sessiond_core::store::Backend`]): sessiond's zero-set-up default.
//!
//! One file in WAL mode with `synchronous=FULL`, so an acknowledged write survives a crash of
//! the process or the machine. Schema migrations are embedded and run on open.
//!
//! Concurrency follows SQLite's own model: one writer connection (SQLite serialises writers
//! anyway), used from the blocking pool behind an async mutex whose wait is bounded; and a pool
//! of read-only connections. Point lookups (the hot path of every check) run inline on the
//! async worker: an indexed one-row read from a WAL database takes microseconds and never
//! waits for the writer, which is cheaper than handing it to another thread
//! (docs/decisions/0005-sqlite-reads-inline.md). Scans run on the blocking pool. Session writes
//! in flight together share one transaction and its fsync (`group`, decision 0058).

mod bus;
mod group;
mod pool;
mod rows;
mod store;

use std::path::PathBuf;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{M, Migrations};
use sessiond_core::StoreError;

use pool::Pool;

pub use bus::SqliteBus;
pub use sessiond_store_sql::PoolSettings;

pub struct SqliteStore {
    pool: std::sync::Arc<Pool>,
}

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../migrations/0001_initial.sql")),
        M::up(include_str!("../migrations/0002_audit_chain.sql")),
        M::up(include_str!("../migrations/0003_counters.sql")),
        M::up(include_str!("../migrations/0004_api_keys.sql")),
        M::up(include_str!("../migrations/0005_signing_keys.sql")),
        M::up(include_str!("../migrations/0006_ended_sessions.sql")),
        M::up(include_str!("../migrations/0007_api_key_roles.sql")),
        M::up(include_str!("../migrations/0008_revocations_feed.sql")),
        M::up(include_str!("../migrations/0009_notices.sql")),
        M::up(include_str!("../migrations/0010_audit_base_time.sql")),
        M::up(include_str!("../migrations/0011_meta.sql")),
        M::up(include_str!("../migrations/0012_admin.sql")),
        M::up(include_str!("../migrations/0013_tallies.sql")),
        M::up(include_str!("../migrations/0014_audit_indexes.sql")),
    ])
}

/// `sqlite://data/sessiond.db`, `sqlite:data/sessiond.db` or `sqlite:///abs/path.db` → path.
pub fn path_of(url: &str) -> Result<PathBuf, String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| format!("not a sqlite URL: {url}"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") {
        return Err(
            "a SQLite store needs a file path (use memory:// for a store in memory)".into(),
        );
    }
    Ok(PathBuf::from(path))
}

/// Creates the database file readable by its owner only, when it does not exist yet: it holds
/// token hashes, password hashes and the audit trail. SQLite gives its `-wal` and `-shm` files
/// the database file's mode, so they are 0600 too. An existing file keeps its mode; a warning
/// says when others may read it.
fn create_private(path: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let mode = std::fs::metadata(path)?.permissions().mode();
                if mode & 0o077 != 0 {
                    tracing::warn!(
                        path = %path.display(),
                        mode = format!("{:o}", mode & 0o777),
                        "the SQLite database may be read by others than its owner (chmod 600 it)"
                    );
                }
            }
            Err(e) => return Err(e),
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Each connection's page cache, in KiB when negative (SQLite's convention): 16 MiB, where
/// SQLite's default is 2. A check at a million sessions touches the index pages of the live
/// sessions and the levels above them, more than 2 MiB, and each page missing from the cache
/// was a read from the file: the check ran at 0.78 of its rate at a thousand sessions, and at
/// about 0.9 with this (docs/performance.md, "Ten million sessions"). A cache fills only as far as
/// the store is big, so a small store's node stays small.
const PAGE_CACHE_KIB: i64 = -16 * 1024;

fn open_writer(path: &std::path::Path, busy: Duration) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(busy)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "cache_size", PAGE_CACHE_KIB)?;
    Ok(conn)
}

pub(crate) fn open_reader(path: &std::path::Path, busy: Duration) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(busy)?;
    conn.set_prepared_statement_cache_capacity(32);
    conn.pragma_update(None, "cache_size", PAGE_CACHE_KIB)?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating it and its folder if needed) the database at `url`, e.g.
    /// `sqlite://data/sessiond.db`, and applies pending migrations.
    pub async fn open(url: &str, settings: PoolSettings) -> Result<Self, StoreError> {
        let path = path_of(url).map_err(|e| {
            StoreError::unavailable(std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
        })?;
        let busy = settings.acquire_timeout;
        let writer =
            tokio::task::spawn_blocking(move || -> Result<(Connection, PathBuf), StoreError> {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(StoreError::unavailable)?;
                }
                create_private(&path).map_err(StoreError::unavailable)?;
                let mut conn = open_writer(&path, busy).map_err(store_error)?;
                migrations()
                    .to_latest(&mut conn)
                    .map_err(StoreError::unavailable)?;
                Ok((conn, path))
            })
            .await
            .map_err(StoreError::unavailable)??;
        let (writer, path) = writer;
        Ok(Self {
            pool: std::sync::Arc::new(Pool::new(path, writer, settings)),
        })
    }

    /// Every role, with the bus through the file on which the processes that open it (the
    /// server, the CLI beside it) tell each other of changed sessions and keys.
    pub fn into_stores(self) -> sessiond_core::Stores {
        let bus = std::sync::Arc::new(SqliteBus::new(self.pool.clone()));
        sessiond_core::Stores::shared(std::sync::Arc::new(self), bus)
    }
}

/// Maps rusqlite errors onto the store contract, keeping the source.
pub(crate) fn store_error(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match &e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation => {
            StoreError::Conflict(e.to_string())
        }
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::InvalidColumnName(_)
        | rusqlite::Error::IntegralValueOutOfRange(..) => StoreError::corrupt(e),
        _ => StoreError::unavailable(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_map_to_paths() {
        assert_eq!(
            path_of("sqlite://data/s.db").unwrap(),
            PathBuf::from("data/s.db")
        );
        assert_eq!(
            path_of("sqlite:///var/lib/s.db").unwrap(),
            PathBuf::from("/var/lib/s.db")
        );
        assert_eq!(
            path_of("sqlite:s.db?mode=rwc").unwrap(),
            PathBuf::from("s.db")
        );
        assert!(path_of("sqlite::memory:").is_err());
        assert!(path_of("postgres://x").is_err());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_database_and_its_wal_and_shm_are_created_0600() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("sessiond-mode-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let db = dir.join("s.db");
        let store = SqliteStore::open(&format!("sqlite://{}", db.display()), Default::default())
            .await
            .unwrap();
        let stores = store.into_stores();
        // A write, so the WAL and its index exist.
        stores
            .counters
            .purge_counters(sessiond_core::Timestamp::UNIX_EPOCH, 1)
            .await
            .unwrap();
        for suffix in ["", "-wal", "-shm"] {
            let path = format!("{}{suffix}", db.display());
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{path}: {mode:o}");
        }
        drop(stores);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn every_connection_keeps_a_page_cache_for_a_big_store() {
        let dir = std::env::temp_dir().join(format!("sessiond-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("s.db");
        let busy = Duration::from_secs(1);
        let writer = open_writer(&db, busy).unwrap();
        let reader = open_reader(&db, busy).unwrap();
        for c in [&writer, &reader] {
            let kib: i64 = c.query_row("PRAGMA cache_size", [], |r| r.get(0)).unwrap();
            assert_eq!(kib, PAGE_CACHE_KIB);
        }
        drop((writer, reader));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn migrations_are_valid() {
        assert!(migrations().validate().is_ok());
    }
}
