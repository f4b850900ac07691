//! `SESSION_FEATURE_CACHING`: a small per-node cache of the sessions that tokens resolved to, in
//! front of any [`SessionStore`].
//!
//! Only `session_by_token` (the read behind every check) is served from the cache; every write
//! and every other read goes to the store. A cached copy stops being used when:
//! - this node writes the session (the entry is dropped before the write returns),
//! - another node writes it: the writer publishes the session id on the store's
//!   [`InvalidationBus`] (Redis pub/sub, PostgreSQL LISTEN/NOTIFY) before it answers,
//! - it is older than the configured TTL, a backstop for a notice that was never sent.
//!
//! While the bus is down the cache is bypassed, and it is emptied when the bus comes back, so a
//! notice lost in between cannot leave a revoked session usable. See
//! docs/decisions/0010-session-cache.md.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use quick_cache::sync::Cache;

use crate::audit::{AuditEvent, AuditQuery};
use crate::audit_chain::{ChainEnds, ChainPage};
use crate::counter::CounterKey;
use crate::ids::{SessionId, UserId};
use crate::session::Session;
use crate::store::{Counter, SessionStore, StoreResult};
use crate::time::{Timestamp, to_millis};
use crate::token::TokenHash;
use crate::user::User;

/// Carries "this session changed" between the nodes that share a store.
#[async_trait]
pub trait InvalidationBus: Send + Sync + 'static {
    /// Tells every subscribed node, this one included, that `id` changed.
    async fn publish(&self, id: &SessionId) -> StoreResult<()>;

    /// Starts delivering notices to `sink` in the background, reconnecting by itself. Calls
    /// [`InvalidationSink::disconnected`] when the feed breaks and
    /// [`InvalidationSink::connected`] each time it is (re)established.
    fn subscribe(&self, sink: Arc<dyn InvalidationSink>);
}

/// The receiving end of an [`InvalidationBus`].
pub trait InvalidationSink: Send + Sync + 'static {
    fn invalidate(&self, id: &SessionId);
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
    Fut: Future<Output = Result<(), String>> + Send + 'static,
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
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub invalidations: AtomicU64,
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
    live: AtomicBool,
    /// Bumped by every invalidation. A read that started before a bump must not fill the cache,
    /// or it could put back the copy the notice just removed.
    generation: Mutex<u64>,
    stats: Arc<CacheStats>,
}

pub struct CachedStore {
    inner: Arc<dyn SessionStore>,
    bus: Option<Arc<dyn InvalidationBus>>,
    state: Arc<State>,
    ttl_ms: i64,
}

impl CachedStore {
    /// Wraps `inner`. With a bus, the cache is used once the bus first connects; without one
    /// (memory, SQLite) it is used at once and only this node's writes invalidate it.
    pub fn new(inner: Arc<dyn SessionStore>, settings: CacheSettings) -> Self {
        let bus = inner.invalidation_bus();
        Self::with_bus(inner, bus, settings)
    }

    /// The same with an explicit bus (tests use an in-process one).
    pub fn with_bus(
        inner: Arc<dyn SessionStore>,
        bus: Option<Arc<dyn InvalidationBus>>,
        settings: CacheSettings,
    ) -> Self {
        let capacity = settings.capacity.max(1);
        let state = Arc::new(State {
            ids: Cache::new(capacity * 2),
            sessions: Cache::new(capacity),
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
}

impl InvalidationSink for State {
    fn invalidate(&self, id: &SessionId) {
        self.stats.invalidations.fetch_add(1, Ordering::Relaxed);
        self.drop_session(id);
    }

    fn connected(&self) {
        let mut generation = self.generation();
        *generation += 1;
        self.sessions.clear();
        self.ids.clear();
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
impl SessionStore for CachedStore {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    async fn ping(&self) -> StoreResult<()> {
        self.inner.ping().await
    }

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
            && let Err(e) = bus.publish(&session.id).await
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

    async fn count_active_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        self.inner.count_active_sessions(now).await
    }

    async fn sessions_due(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<Session>> {
        self.inner.sessions_due(now, limit).await
    }

    async fn count_sessions_due(&self, now: Timestamp) -> StoreResult<u64> {
        self.inner.count_sessions_due(now).await
    }

    async fn purge_sessions(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        // Purged records are already past `lookup_until`, which a hit checks.
        self.inner.purge_sessions(before, limit).await
    }

    async fn count_purgeable_sessions(&self, before: Timestamp) -> StoreResult<u64> {
        self.inner.count_purgeable_sessions(before).await
    }

    async fn create_user(&self, user: &User) -> StoreResult<()> {
        self.inner.create_user(user).await
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        self.inner.user_by_name(username).await
    }

    async fn user_by_id(&self, id: &UserId) -> StoreResult<Option<User>> {
        self.inner.user_by_id(id).await
    }

    async fn update_user(&self, user: &User) -> StoreResult<()> {
        self.inner.update_user(user).await
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        self.inner.list_users().await
    }

    async fn count_users(&self) -> StoreResult<u64> {
        self.inner.count_users().await
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        self.inner.append_audit(events).await
    }

    async fn audit_events(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        self.inner.audit_events(query).await
    }

    async fn audit_chain(&self, cursor: Option<&str>, limit: u32) -> StoreResult<ChainPage> {
        self.inner.audit_chain(cursor, limit).await
    }

    async fn audit_chain_ends(&self) -> StoreResult<ChainEnds> {
        self.inner.audit_chain_ends().await
    }

    async fn purge_audit(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        self.inner.purge_audit(before, limit).await
    }

    async fn count_audit_before(&self, before: Timestamp) -> StoreResult<u64> {
        self.inner.count_audit_before(before).await
    }

    async fn add_to_counter(
        &self,
        key: &CounterKey,
        by: u64,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<Counter> {
        self.inner.add_to_counter(key, by, now, expires_at).await
    }

    async fn counter(&self, key: &CounterKey, now: Timestamp) -> StoreResult<Option<Counter>> {
        self.inner.counter(key, now).await
    }

    async fn delete_counter(&self, key: &CounterKey) -> StoreResult<()> {
        self.inner.delete_counter(key).await
    }

    async fn purge_counters(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        self.inner.purge_counters(before, limit).await
    }

    fn invalidation_bus(&self) -> Option<Arc<dyn InvalidationBus>> {
        self.bus.clone()
    }
}
