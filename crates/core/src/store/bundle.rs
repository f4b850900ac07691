//! [`Stores`]: the roles of one opened backend, handed out one by one.

use std::sync::Arc;

use super::{
    ApiKeys, AuditLog, Counters, Health, Listing, SecretCheck, SessionSweep, Sessions, SigningKeys,
    Users,
};
use crate::cache::{CacheSettings, CacheStats, CachedStore, InvalidationBus};

/// A backend: one type that plays every role.
pub trait Backend:
    Sessions
    + SessionSweep
    + Listing
    + Users
    + AuditLog
    + Counters
    + ApiKeys
    + SigningKeys
    + SecretCheck
    + Health
{
}

impl<T> Backend for T where
    T: Sessions
        + SessionSweep
        + Listing
        + Users
        + AuditLog
        + Counters
        + ApiKeys
        + SigningKeys
        + SecretCheck
        + Health
{
}

/// The roles of one opened backend, and its invalidation bus if nodes share it. Consumers take
/// the field they use (`stores.counters.clone()`), not the bundle.
///
/// The bus can only be given when the bundle is made from a backend, and every way of wrapping
/// a role keeps it: a decorator cannot silently drop the capability of the store it wraps.
#[derive(Clone)]
pub struct Stores {
    /// The hot path.
    pub sessions: Arc<dyn Sessions>,
    /// Deadlines and purges.
    pub sweep: Arc<dyn SessionSweep>,
    /// Lists by keyset.
    pub listing: Arc<dyn Listing>,
    /// Accounts.
    pub users: Arc<dyn Users>,
    /// The audit trail.
    pub audit: Arc<dyn AuditLog>,
    /// Shared counters.
    pub counters: Arc<dyn Counters>,
    /// The backend API's keys.
    pub api_keys: Arc<dyn ApiKeys>,
    /// The access tokens' signing keys.
    pub signing_keys: Arc<dyn SigningKeys>,
    /// The server secret's check value.
    pub secret_check: Arc<dyn SecretCheck>,
    /// Name and ping.
    pub health: Arc<dyn Health>,
    bus: Option<Arc<dyn InvalidationBus>>,
}

impl Stores {
    /// A backend only one process uses (memory, SQLite): no bus.
    pub fn single_node<B: Backend>(backend: Arc<B>) -> Self {
        Self::of(backend, None)
    }

    /// A backend nodes share, with the bus on which they tell each other of changed sessions.
    pub fn shared<B: Backend>(backend: Arc<B>, bus: Arc<dyn InvalidationBus>) -> Self {
        Self::of(backend, Some(bus))
    }

    fn of<B: Backend>(backend: Arc<B>, bus: Option<Arc<dyn InvalidationBus>>) -> Self {
        Self {
            sessions: backend.clone(),
            sweep: backend.clone(),
            listing: backend.clone(),
            users: backend.clone(),
            audit: backend.clone(),
            counters: backend.clone(),
            api_keys: backend.clone(),
            signing_keys: backend.clone(),
            secret_check: backend.clone(),
            health: backend,
            bus,
        }
    }

    /// Every role played by `backend` (a decorator of these roles), with this bundle's bus.
    pub fn wrapped_by<B: Backend>(&self, backend: Arc<B>) -> Self {
        Self::of(backend, self.bus.clone())
    }

    /// The same bundle with the session role served by `sessions`.
    pub fn with_sessions(mut self, sessions: Arc<dyn Sessions>) -> Self {
        self.sessions = sessions;
        self
    }

    /// How nodes sharing this store tell each other that a session changed
    /// (`SESSION_FEATURE_CACHING`); none for stores only one process uses.
    pub fn bus(&self) -> Option<&Arc<dyn InvalidationBus>> {
        self.bus.as_ref()
    }

    /// The per-node cache in front of the session role and the API keys' role, invalidated
    /// over the bus.
    pub fn cached(self, settings: CacheSettings) -> (Self, Arc<CacheStats>) {
        let cache = CachedStore::new(self.sessions.clone(), self.bus.clone(), settings);
        let stats = cache.stats();
        let keys = cache.keys_in_front_of(self.api_keys.clone());
        let mut cached = self.with_sessions(Arc::new(cache));
        cached.api_keys = Arc::new(keys);
        (cached, stats)
    }
}
