//! The state every handler shares: one `Arc`, so the per-request clones axum makes for each
//! extractor cost one reference count, not one per field.

use std::net::IpAddr;
use std::ops::Deref;
use std::sync::Arc;

use sessiond_core::SessionService;

use crate::cookie::CookieSettings;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub service: Arc<SessionService>,
    pub cookie: CookieSettings,
    pub metrics: Arc<Metrics>,
    /// Peers whose `X-Forwarded-For` is believed (`SESSIOND_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<IpAddr>,
    pub endpoints: Endpoints,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Optional endpoints (`SESSION_ENABLE_METRICS_COLLECTION`, `SESSION_ENABLE_HEALTH_CHECKS`).
#[derive(Debug, Clone, Copy)]
pub struct Endpoints {
    pub metrics: bool,
    pub health: bool,
}

impl Default for Endpoints {
    fn default() -> Self {
        Self {
            metrics: true,
            health: true,
        }
    }
}
