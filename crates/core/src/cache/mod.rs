//! `SESSION_FEATURE_CACHING`: a small per-node cache of the sessions that tokens resolved to, in
//! front of any store's [`Sessions`] role, and of the backend API's keys in front of its
//! `ApiKeys` role ([`keys`]). No other role is wrapped.
//!
//! Only `session_by_token` (the read behind every check) is served from the cache; every write
//! and every other read goes to the store. A cached copy stops being used when:
//! - this node writes the session (the entry is dropped before the write returns),
//! - another node writes it: the writer publishes the session id on the store's
//!   [`InvalidationBus`] (Redis pub/sub, PostgreSQL LISTEN/NOTIFY, on SQLite a table of notices
//!   in the file) before it answers,
//! - it is older than the configured TTL, a backstop for a notice that was never sent.
//!
//! While the bus is down the cache is bypassed, and it is emptied when the bus comes back, so a
//! notice lost in between cannot leave a revoked session usable. See
//! docs/decisions/0010-session-cache.md and 0030-api-keys-cached-with-the-sessions.md.

mod keys;

pub use keys::CachedKeys;

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use quick_cache::sync::Cache;

use crate::ids::{SessionId, UserId};
use crate::session::Session;
use crate::store::{Sessions, StoreResult};
use crate::time::{Timestamp, to_millis};
use crate::token::TokenHash;

/// What a notice on the bus says changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notice {
    /// This session: drop any copy of it.
    Session(SessionId),
    /// An API key was revoked: drop every cached key.
    ApiKeys,
}

impl Notice {
    const API_KEYS: &'static str = "api-keys";

    /// The notice as the bus carries it: a session id, or `api-keys`.
    pub fn to_payload(&self) -> String {
        match self {
            Self::Session(id) => id.to_string(),
            Self::ApiKeys => Self::API_KEYS.to_owned(),
        }
    }

    /// A payload read back; `None` for anything else.
    pub fn from_payload(payload: &str) -> Option<Self> {
        if payload == Self::API_KEYS {
            return Some(Self::ApiKeys);
        }
        payload.parse().ok().map(Self::Session)
    }
}

/// Carries "this session changed" (or "the API keys changed") between the nodes that share a
/// store.
#[async_trait]
pub trait InvalidationBus: Send + Sync + 'static {
    /// Tells every subscribed node, this one included, what changed.
    async fn publish(&self, notice: &Notice) -> StoreResult<()>;

    /// Starts delivering notices to `sink` in the background, reconnecting by itself. Calls
    /// [`InvalidationSink::disconnected`] when the feed breaks and
    /// [`InvalidationSink::connected`] each time it is (re)established.
    fn subscribe(&self, sink: Arc<dyn InvalidationSink>);
}

/// The receiving end of an [`InvalidationBus`].
pub trait InvalidationSink: Send + Sync + 'static {
    /// Something changed: drop any copy of it.
    fn invalidate(&self, notice: &Notice);
    /// The feed is live: notices from now on arrive. Anything earlier may have been missed.
    fn connected(&self);
    /// The feed is broken: notices may be missed until the next `connected`.
    fn disconnected(&self);
}

/// Runs a bus subscription for ever: `attempt` connects, calls `sink.connected()` once it
/// listens, and forwards notices until the feed breaks (`Ok`) or fails to connect (`Err`).
/// Between attempts it waits a short, growing delay, so a store outage costs little and its end
/// is noticed within a second.
pub fn spawn_feed<F, Fut>(sink: Arc<dyn InvalidationSink>, mut attempt: F)
where
    F: FnMut(Arc<dyn InvalidationSink>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), crate::store::BoxError>> + Send + 'static,
{
    tokio::spawn(async move {
        let mut delay_ms = 50;
        loop {
            match attempt(sink.clone()).await {
                Ok(()) => {
                    sink.disconnected();
                    delay_ms = 50;
                }
                Err(e) => {
                    tracing::debug!(error = %e, "session cache: invalidation feed not connected");
                    delay_ms = (delay_ms * 2).min(1000);
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
        }
    });
}

/// How big the cache is and how long a copy may live.
#[derive(Debug, Clone, Copy)]
pub struct CacheSettings {
    /// How many sessions a node keeps.
    pub capacity: usize,
    /// The longest a copy is used without a notice (a backstop, not the mechanism).
    pub ttl_secs: i64,
}

/// Hit and miss counts, for metrics and benchmarks.
#[derive(Debug, Default)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: AtomicU64,
    /// Lookups that went to the store.
    pub misses: AtomicU64,
    /// Notices received.
    pub invalidations: AtomicU64,
    /// Notices that could not be sent.
    pub publish_failures: AtomicU64,
}

#[derive(Clone)]
struct Entry {
    session: Session,
    cached_at_ms: i64,
}

struct State {
    /// Token hash (current or previous) to session id: a stale mapping is harmless, because a
    /// hit also checks that the session still carries the hash.
    ids: Cache<TokenHash, SessionId>,
    sessions: Cache<SessionId, Entry>,
    /// API keys by hash, found and not revoked when they were read.
    keys: Cache<TokenHash, keys::KeyEntry>,
    live: AtomicBool,
    /// Bumped by every invalidation. A read that started before a bump must not fill the cache,
    /// or it could put back the copy the notice just removed.
    generation: Mutex<u64>,
    stats: Arc<CacheStats>,
}

/// The cache, as a [`Sessions`] role in front of the store's.
pub struct CachedStore {
    inner: Arc<dyn Sessions>,
    bus: Option<Arc<dyn InvalidationBus>>,
    state: Arc<State>,
    ttl_ms: i64,
}

impl CachedStore {
    /// Wraps `inner`. With a bus, the cache is used once the bus first connects; without one
    /// (memory, SQLite) it is used at once and only this node's writes invalidate it.
    /// [`crate::store::Stores::cached`] passes the backend's own bus.
    pub fn new(
        inner: Arc<dyn Sessions>,
        bus: Option<Arc<dyn InvalidationBus>>,
        settings: CacheSettings,
    ) -> Self {
        let capacity = settings.capacity.max(1);
        let state = Arc::new(State {
            ids: Cache::new(capacity * 2),
            sessions: Cache::new(capacity),
            keys: Cache::new(keys::CAPACITY),
            live: AtomicBool::new(bus.is_none()),
            generation: Mutex::new(0),
            stats: Arc::default(),
        });
        if let Some(bus) = &bus {
            bus.subscribe(state.clone());
        }
        Self {
            inner,
            bus,
            state,
            ttl_ms: settings.ttl_secs.max(0).saturating_mul(1000),
        }
    }

    /// Its hit and miss counts.
    pub fn stats(&self) -> Arc<CacheStats> {
        self.state.stats.clone()
    }

    fn cached(&self, hash: &TokenHash, now: Timestamp) -> Option<Session> {
        if !self.state.live.load(Ordering::Acquire) {
            return None;
        }
        let id = self.state.ids.get(hash)?;
        let entry = self.state.sessions.get(&id)?;
        let s = &entry.session;
        let carries = s.token_hash == *hash || s.prev_token_hash.as_ref() == Some(hash);
        let fresh = to_millis(now) - entry.cached_at_ms < self.ttl_ms;
        let usable = carries && fresh && s.lookup_until > now;
        usable.then_some(entry.session)
    }
}

impl State {
    fn generation(&self) -> std::sync::MutexGuard<'_, u64> {
        // The guarded value is a counter; a panic elsewhere cannot leave it inconsistent.
        self.generation.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fill(&self, seen: u64, session: &Session, now: Timestamp) {
        let generation = self.generation();
        if *generation != seen || !self.live.load(Ordering::Acquire) {
            return;
        }
        self.ids.insert(session.token_hash, session.id);
        if let Some(prev) = session.prev_token_hash {
            self.ids.insert(prev, session.id);
        }
        self.sessions.insert(
            session.id,
            Entry {
                session: session.clone(),
                cached_at_ms: to_millis(now),
            },
        );
    }

    fn drop_session(&self, id: &SessionId) {
        let mut generation = self.generation();
        *generation += 1;
        self.sessions.remove(id);
    }

    fn drop_keys(&self) {
        let mut generation = self.generation();
        *generation += 1;
        self.keys.clear();
    }
}

impl InvalidationSink for State {
    fn invalidate(&self, notice: &Notice) {
        self.stats.invalidations.fetch_add(1, Ordering::Relaxed);
        match notice {
            Notice::Session(id) => self.drop_session(id),
            Notice::ApiKeys => self.drop_keys(),
        }
    }

    fn connected(&self) {
        let mut generation = self.generation();
        *generation += 1;
        self.sessions.clear();
        self.ids.clear();
        self.keys.clear();
        self.live.store(true, Ordering::Release);
        tracing::info!("session cache: invalidation feed connected");
    }

    fn disconnected(&self) {
        let mut generation = self.generation();
        *generation += 1;
        self.live.store(false, Ordering::Release);
        tracing::warn!(
            "session cache: invalidation feed lost; bypassing the cache until it is back"
        );
    }
}

#[async_trait]
impl Sessions for CachedStore {
    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        self.inner.create_session(session).await
    }

    async fn session_by_token(
        &self,
        hash: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<Session>> {
        if let Some(session) = self.cached(hash, now) {
            self.state.stats.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Some(session));
        }
        self.state.stats.misses.fetch_add(1, Ordering::Relaxed);
        let seen = *self.state.generation();
        let found = self.inner.session_by_token(hash, now).await?;
        if let Some(session) = &found {
            self.state.fill(seen, session, now);
        }
        Ok(found)
    }

    async fn session_by_id(&self, id: &SessionId) -> StoreResult<Option<Session>> {
        self.inner.session_by_id(id).await
    }

    async fn update_session(&self, session: &Session) -> StoreResult<()> {
        let result = self.inner.update_session(session).await;
        // After the write (whatever its outcome): a read that saw the old record started
        // before this bump, so it cannot fill the cache with it.
        self.state.drop_session(&session.id);
        if result.is_ok()
            && let Some(bus) = &self.bus
            && let Err(e) = bus.publish(&Notice::Session(session.id)).await
        {
            // The write stands; other nodes' copies age out within the TTL.
            self.state
                .stats
                .publish_failures
                .fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %e, "session cache: could not publish an invalidation");
        }
        result
    }

    async fn user_sessions(&self, user: &UserId, now: Timestamp) -> StoreResult<Vec<Session>> {
        self.inner.user_sessions(user, now).await
    }
}
