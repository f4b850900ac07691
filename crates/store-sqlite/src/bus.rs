//! Invalidations through the database file, for `SESSION_FEATURE_CACHING` on SQLite: every
//! process that opens the file (the server, and `sessiond users disable` or `api-keys revoke`
//! run beside it) writes its notices to a table, and each server reads the new ones every
//! [`POLL`]. A change made by the CLI so reaches a running server's cache within a second,
//! where it used to wait for the cache's TTL.
//!
//! Notices are numbered (`AUTOINCREMENT`) in the order they were written. A reader that finds
//! a gap (it fell behind further than the table keeps) drops its whole cache, as after a
//! reconnect.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::types::Value;
use sessiond_core::cache::{InvalidationBus, InvalidationSink, Notice, spawn_feed};
use sessiond_core::store::{BoxError, StoreResult};

use crate::pool::Pool;

/// How often a server reads the notices written since its last look.
pub(crate) const POLL: Duration = Duration::from_millis(250);
/// Notices the table keeps; older ones are deleted by whichever reader sees them.
const KEEP: i64 = 10_000;
/// Notices read per look.
const PAGE: i64 = 1000;
/// Looks between two trims of the table (about every 10 s).
const TRIM_EVERY: u32 = 40;

pub struct SqliteBus {
    pool: Arc<Pool>,
}

impl SqliteBus {
    pub(crate) fn new(pool: Arc<Pool>) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl InvalidationBus for SqliteBus {
    async fn publish(&self, notice: &Notice) -> StoreResult<()> {
        let payload = notice.to_payload();
        self.pool
            .write(move |c| {
                c.prepare_cached("INSERT INTO notices (notice) VALUES (?1)")?
                    .execute([payload])
            })
            .await
            .map(|_| ())
    }

    fn subscribe(&self, sink: Arc<dyn InvalidationSink>) {
        let pool = self.pool.clone();
        spawn_feed(sink, move |sink| {
            let pool = pool.clone();
            async move { follow(&pool, sink).await }
        });
    }
}

/// Reads notices from the newest one at the start, forwarding each, until the file cannot be
/// read (`Ok`: the feed broke) or, at the start, cannot be opened (`Err`).
async fn follow(pool: &Arc<Pool>, sink: Arc<dyn InvalidationSink>) -> Result<(), BoxError> {
    let mut seen: i64 = pool
        .read_blocking(|c| {
            c.query_row("SELECT COALESCE(MAX(seq), 0) FROM notices", [], |r| {
                r.get(0)
            })
        })
        .await?;
    sink.connected();
    let mut looks = 0u32;
    loop {
        tokio::time::sleep(POLL).await;
        looks = looks.wrapping_add(1);
        let page = pool
            .read_blocking(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT seq, notice FROM notices WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                )?;
                let rows = stmt.query_map([seen, PAGE], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)));
                rows?.collect::<rusqlite::Result<Vec<(i64, String)>>>()
            })
            .await;
        let Ok(page) = page else {
            return Ok(());
        };
        if page.first().is_some_and(|(seq, _)| *seq > seen + 1) {
            // Fell behind what the table keeps: some notices are gone.
            sink.connected();
        }
        for (seq, payload) in &page {
            if let Some(notice) = Notice::from_payload(payload) {
                sink.invalidate(&notice);
            }
            seen = *seq;
        }
        if looks.is_multiple_of(TRIM_EVERY) && seen > KEEP {
            trim(pool, seen).await;
        }
    }
}

/// Deletes notices more than [`KEEP`] behind `seen`.
async fn trim(pool: &Pool, seen: i64) {
    let below = Value::Integer(seen - KEEP);
    let trimmed = pool
        .write(move |c| {
            c.prepare_cached("DELETE FROM notices WHERE seq < ?1")?
                .execute([below])
        })
        .await;
    if let Err(e) = trimmed {
        tracing::debug!(error = %e, "could not trim the cache's notices");
    }
}
