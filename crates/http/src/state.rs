//! The state every handler shares.

use std::net::IpAddr;
use std::sync::Arc;

use sessiond_core::SessionService;

use crate::cookie::CookieSettings;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub service: Arc<SessionService>,
    pub cookie: Arc<CookieSettings>,
    pub metrics: Arc<Metrics>,
    /// Peers whose `X-Forwarded-For` is believed (`SESSIOND_TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<Vec<IpAddr>>,
}
