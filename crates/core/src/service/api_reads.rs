//! The backend API's reads, audited as counts (decision 0029). An application may validate a
//! token on every request it serves: one stored record per validation would cost more than the
//! validation itself and fill the trail with one line per page view. So a call that only reads
//! (`sessions:read`) is counted, per key, operation and address, and each count is stored as
//! one `API_REQUEST` record (`count`, `first_at`) when it is flushed: every few seconds by the
//! server, and when it stops. A call that changes something is recorded on its own, before it
//! is answered.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::Timestamp;
use crate::audit::{AuditEvent, AuditKind};
use crate::session::ClientInfo;

use super::faces::Admin;
use super::{SessionResult, SessionService};

/// Counts held at most: past this many distinct callers, a read is recorded on its own, so a
/// flood of addresses costs stored records, never unbounded memory.
const MAX_TALLIES: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Caller {
    api_key: String,
    operation: String,
    client: ClientInfo,
}

#[derive(Debug, Clone, Copy)]
struct Tally {
    count: u64,
    first: Timestamp,
    last: Timestamp,
}

/// The reads counted since the last flush.
#[derive(Default)]
pub(crate) struct ReadTallies(Mutex<HashMap<Caller, Tally>>);

impl ReadTallies {
    /// Counts the call; `false` when the table is full and the call must be recorded alone.
    fn count(&self, api_key: &str, operation: &str, client: &ClientInfo, now: Timestamp) -> bool {
        let mut tallies = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let caller = Caller {
            api_key: api_key.to_owned(),
            operation: operation.to_owned(),
            client: client.clone(),
        };
        let full = tallies.len() >= MAX_TALLIES;
        match tallies.get_mut(&caller) {
            Some(t) => {
                t.count += 1;
                t.last = now;
                true
            }
            None if full => false,
            None => {
                let first = Tally {
                    count: 1,
                    first: now,
                    last: now,
                };
                tallies.insert(caller, first);
                true
            }
        }
    }

    fn take(&self) -> HashMap<Caller, Tally> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

fn record(caller: &Caller, tally: Tally) -> AuditEvent {
    AuditEvent::new(AuditKind::ApiRequest, tally.last)
        .client(&caller.client)
        .detail("api_key", caller.api_key.clone())
        .detail("operation", caller.operation.clone())
        .detail("count", tally.count)
        .detail("first_at", tally.first.to_string())
}

impl SessionService {
    /// Audits a read of the backend API: counted, and stored at the next flush.
    pub(super) async fn audit_api_read(
        &self,
        api_key: &str,
        operation: &str,
        client: &ClientInfo,
    ) -> SessionResult<()> {
        let now = self.now();
        if self.api_reads.count(api_key, operation, client, now) {
            return Ok(());
        }
        let caller = Caller {
            api_key: api_key.to_owned(),
            operation: operation.to_owned(),
            client: client.clone(),
        };
        let alone = Tally {
            count: 1,
            first: now,
            last: now,
        };
        Ok(self.audit.record(record(&caller, alone)).await?)
    }
}

impl ReadTallies {
    /// A count whose record failed, merged back into the table (dropped when it is full: its
    /// log line already holds it).
    fn put_back(&self, caller: Caller, tally: Tally) {
        let mut tallies = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let full = tallies.len() >= MAX_TALLIES;
        match tallies.get_mut(&caller) {
            Some(t) => {
                t.count += tally.count;
                t.first = t.first.min(tally.first);
            }
            None if full => {}
            None => {
                tallies.insert(caller, tally);
            }
        }
    }
}

impl Admin<'_> {
    /// Stores the reads counted since the last flush, one `API_REQUEST` record per key,
    /// operation and address; returns how many calls they account for. Counts whose records
    /// could not be stored are counted again, to be stored at the next flush (their log lines
    /// are written already).
    pub async fn flush_api_reads(&self) -> SessionResult<u64> {
        let mut calls = 0;
        let mut failed = None;
        for (caller, tally) in self.api_reads.take() {
            match self.audit.record(record(&caller, tally)).await {
                Ok(()) => calls += tally.count,
                Err(e) => {
                    self.api_reads.put_back(caller, tally);
                    failed = Some(e);
                }
            }
        }
        match failed {
            Some(e) => Err(e.into()),
            None => Ok(calls),
        }
    }
}
