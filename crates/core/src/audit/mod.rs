//! The audit trail: every session event, with UTC time, user, public session id, client and
//! details, written to the store and emitted as one JSON log line.

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::ids::{SessionId, UserId};
use crate::session::{ClientInfo, Session};
use crate::store::{AuditLog, StoreError};
use crate::time::{Timestamp, secs_between};

mod kind;

pub use kind::AuditKind;

/// One audit record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When it happened.
    pub at: Timestamp,
    /// An [`AuditKind`] name; kept as text so records of older versions read back.
    pub event_type: String,
    /// The user it concerns, if any.
    pub user_id: Option<UserId>,
    /// The username at the time (kept when the account is gone).
    pub username: Option<String>,
    /// The session it concerns, if any.
    pub session_id: Option<SessionId>,
    /// The client's address, as far as trusted proxies tell.
    pub ip: Option<String>,
    /// The client's User-Agent.
    pub user_agent: Option<String>,
    /// Event-specific fields (never a secret).
    pub details: serde_json::Value,
    /// Its place in the audit hash chain, as the store read it back; `None` before it is stored,
    /// and for a stored record outside the chain (one sessiond did not write, or older than
    /// the chain), which `sessiond audit list` marks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
}

impl AuditEvent {
    /// An event of `kind` at `at`, about nobody yet.
    pub fn new(kind: AuditKind, at: Timestamp) -> Self {
        Self {
            at,
            event_type: kind.as_str().to_owned(),
            user_id: None,
            username: None,
            session_id: None,
            ip: None,
            user_agent: None,
            details: serde_json::Value::Object(Default::default()),
            seq: None,
        }
    }

    /// About the session `s` (its id, user and client).
    pub fn session(mut self, s: &Session) -> Self {
        self.user_id = s.user_id;
        self.username.clone_from(&s.username);
        self.session_id = Some(s.id);
        if self.ip.is_none() && self.user_agent.is_none() {
            self.ip.clone_from(&s.client.ip);
            self.user_agent.clone_from(&s.client.user_agent);
        }
        self
    }

    /// From the client `c`.
    pub fn client(mut self, c: &ClientInfo) -> Self {
        self.ip.clone_from(&c.ip);
        self.user_agent.clone_from(&c.user_agent);
        self
    }

    /// About the user `name`.
    pub fn username(mut self, name: &str) -> Self {
        self.username = Some(name.to_owned());
        self
    }

    /// With `key: value` in `details`.
    pub fn detail(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        if let serde_json::Value::Object(map) = &mut self.details {
            map.insert(key.to_owned(), value.into());
        }
        self
    }

    /// Adds `duration_seconds` (created → `end`) for the events that end a session.
    pub fn duration(self, s: &Session, end: Timestamp) -> Self {
        self.detail("duration_seconds", secs_between(s.created_at, end).max(0))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the audit writer stopped")]
struct WriterStopped;

/// Filter for reading the audit trail back.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Case-insensitive username.
    pub username: Option<String>,
    /// Only events of this session.
    pub session_id: Option<SessionId>,
    /// Only events at or after this instant.
    pub since: Option<Timestamp>,
    /// Only events before this instant.
    pub until: Option<Timestamp>,
    /// Only events stored before this place in the chain: the `seq` of the last event of the
    /// previous page (keyset paging). Events outside the chain have no place and are left out.
    pub before_seq: Option<u64>,
    /// Only events of these types; empty: all. See [`AuditKind::matching`].
    pub event_types: Vec<String>,
    /// At most this many, newest first: in the order they were stored, which is the chain's.
    pub limit: u32,
}

impl AuditQuery {
    /// Whether `e` is of one of the asked types.
    pub fn wants_type(&self, e: &AuditEvent) -> bool {
        self.event_types.is_empty() || self.event_types.contains(&e.event_type)
    }

    /// Whether `e` is inside the query's time range and before its place.
    pub fn wants_place(&self, e: &AuditEvent) -> bool {
        self.since.is_none_or(|t| e.at >= t)
            && self.until.is_none_or(|t| e.at < t)
            && self
                .before_seq
                .is_none_or(|before| e.seq.is_some_and(|seq| seq < before))
    }
}

/// Something that wants to see every event as it happens (metrics).
pub trait EventObserver: Send + Sync + 'static {
    /// Sees `event` as it is recorded; must not block.
    fn observe(&self, event: &AuditEvent);
}

/// Fans each event out to the log, the observers and (when audit logging is on) the store.
#[derive(Clone)]
pub struct Auditor {
    store: Arc<dyn AuditLog>,
    /// Where the per-hour counts of logins, failures and expiries are kept, when they are.
    hourly: Option<Arc<dyn crate::store::Counters>>,
    persist: bool,
    observers: Vec<Arc<dyn EventObserver>>,
    /// The group-commit writer, started by the first event written.
    writer: Arc<OnceLock<mpsc::UnboundedSender<Pending>>>,
}

/// An event on its way to the store, and the request waiting for it.
struct Pending {
    event: AuditEvent,
    done: oneshot::Sender<Result<(), Arc<StoreError>>>,
}

/// The most events one store write takes.
const MAX_BATCH: usize = 256;
/// A batch whose write failed is tried again this many times, after 20, 40, 80, ... ms: a
/// busy writer or a head that another node moved is worth waiting for, and every request of
/// the batch is waiting anyway.
const WRITE_TRIES: u32 = 6;

/// Why an audit record was not stored: the request that made it fails with the store's error.
#[derive(Debug, thiserror::Error)]
#[error("the audit record could not be stored")]
pub struct AuditWriteFailed(#[source] pub Arc<StoreError>);

/// Writes events in batches: while one batch is being written, the events of other requests
/// queue, and the next write takes them all. Each audit write links to the chain's head, so
/// writes are serialised anyway; batching makes that one transaction (one sync, one head lock)
/// for many requests instead of one each (decision 0013). Each request is told whether its
/// own record was stored.
fn spawn_writer(store: Arc<dyn AuditLog>) -> mpsc::UnboundedSender<Pending> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Pending>();
    tokio::spawn(async move {
        let mut batch = Vec::new();
        while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let (events, waiting): (Vec<_>, Vec<_>) =
                batch.drain(..).map(|p| (p.event, p.done)).unzip();
            let result = append_with_retries(&*store, &events).await;
            for done in waiting {
                let _ = done.send(result.clone());
            }
        }
    });
    tx
}

async fn append_with_retries(
    store: &dyn AuditLog,
    events: &[AuditEvent],
) -> Result<(), Arc<StoreError>> {
    let mut tries = 0;
    loop {
        match store.append_audit(events).await {
            Ok(()) => return Ok(()),
            Err(e @ StoreError::Corrupt(_)) => return Err(Arc::new(e)),
            Err(e) if tries + 1 >= WRITE_TRIES => {
                tracing::error!(error = %e, events = events.len(), "audit write failed");
                return Err(Arc::new(e));
            }
            Err(e) => {
                tracing::warn!(error = %e, "audit write failed; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(20 << tries)).await;
                tries += 1;
            }
        }
    }
}

impl Auditor {
    /// Records into `store` when `persist` (`SESSION_ENABLE_AUDIT_LOGGING`); always logs.
    pub fn new(store: Arc<dyn AuditLog>, persist: bool) -> Self {
        Self {
            store,
            hourly: None,
            persist,
            observers: Vec::new(),
            writer: Arc::default(),
        }
    }

    /// Hands the event to the writer and waits until it is stored.
    async fn write(&self, event: AuditEvent) -> Result<(), StoreError> {
        let writer = self.writer.get_or_init(|| spawn_writer(self.store.clone()));
        let (done, stored) = oneshot::channel();
        let stopped = || StoreError::unavailable(WriterStopped);
        writer
            .send(Pending { event, done })
            .map_err(|_| stopped())?;
        match stored.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::unavailable(AuditWriteFailed(e))),
            Err(_) => Err(stopped()),
        }
    }

    /// Adds an observer of every event (metrics).
    pub fn observe_with(&mut self, observer: Arc<dyn EventObserver>) {
        self.observers.push(observer);
    }

    /// Logs the event, tells the observers, and (when audit logging is on) stores it. `Ok` only
    /// once the record is stored: a request that changed something answers only after its
    /// record is kept, and fails when it cannot be (the log line still carries the event).
    pub async fn record(&self, event: AuditEvent) -> Result<(), StoreError> {
        // Every field is a separate JSON value, so CR/LF or quotes in a user agent cannot
        // forge a second record in the log stream.
        tracing::info!(
            target: "sessiond::audit",
            event_type = %event.event_type,
            session_id = event.session_id.map(|s| s.to_string()),
            user = event.username.as_deref(),
            ip = event.ip.as_deref(),
            user_agent = event.user_agent.as_deref(),
            details = %event.details,
            "audit"
        );
        for o in &self.observers {
            o.observe(&event);
        }
        self.count_hourly_event(&event).await;
        if !self.persist {
            return Ok(());
        }
        self.write(event).await
    }

    /// Keeps the per-hour counts in `counters` (the admin API's counts), shared by the nodes.
    pub fn count_hourly(mut self, counters: Arc<dyn crate::store::Counters>) -> Self {
        self.hourly = Some(counters);
        self
    }

    /// Adds `event` to its hour's count, if it is counted. A count that cannot be kept is
    /// logged and left: the event itself is what must not be lost.
    async fn count_hourly_event(&self, event: &AuditEvent) {
        let (Some(counters), Some(what)) =
            (&self.hourly, crate::counter::Hourly::of(&event.event_type))
        else {
            return;
        };
        let hour = event.at.as_second().div_euclid(3600);
        let key = crate::counter::CounterKey::Hourly(what, hour);
        // Kept two days: the counts show the last 24 hours.
        let until = Timestamp::from_second((hour + 49) * 3600).unwrap_or(event.at);
        if let Err(e) = counters.add_to_counter(&key, 1, event.at, until).await {
            tracing::warn!(error = %e, "an hourly count could not be kept");
        }
    }

    /// Logs the audit chain's head, so the log stream (kept apart from the store) holds anchors
    /// that `sessiond audit verify --anchor` checks the stored chain against.
    pub async fn log_chain_head(&self) {
        if !self.persist {
            return;
        }
        match self.store.audit_chain_ends().await {
            Ok(ends) => {
                tracing::info!(target: "sessiond::audit", anchor = %ends.head, "audit chain head")
            }
            Err(e) => tracing::warn!(error = %e, "could not read the audit chain head"),
        }
    }
}
