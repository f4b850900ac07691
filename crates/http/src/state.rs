//! The state every handler shares: one `Arc`, so the per-request clones axum makes for each
//! extractor cost one reference count, not one per field.

use std::ops::Deref;
use std::sync::Arc;

use serde::Serialize;
use sessiond_core::SessionService;

use crate::cookie::CookieSettings;
use crate::metrics::Metrics;
use crate::proxies::TrustedProxies;
use crate::return_to::ReturnSettings;

#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub service: Arc<SessionService>,
    pub cookie: CookieSettings,
    pub metrics: Arc<Metrics>,
    /// The in-process alerts and the last health check (`GET /api/admin/alerts`).
    pub monitor: Arc<sessiond_core::alerts::Monitor>,
    /// This site's origin (`scheme://host[:port]`) from `SESSIOND_PUBLIC_URL`, when set.
    pub public_origin: Option<String>,
    /// Peers whose `X-Forwarded-*` headers are believed (`SESSIOND_TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<TrustedProxies>,
    /// Where forward auth may send a browser back to after the login.
    pub returns: ReturnSettings,
    pub endpoints: Endpoints,
    /// Who may read `/metrics`.
    pub metrics_access: MetricsAccess,
    /// What `GET /api/session/client-config` tells the browser client.
    pub client: ClientConfig,
    /// The configuration in force, secrets redacted (`GET /api/admin/config`).
    pub settings_shown: Vec<ShownSetting>,
    /// `SESSION_CUSTOM_*` by lower-cased name (`GET /api/v1/config/custom`; the `public_` ones
    /// in the client configuration): replaced when the configuration is reloaded (`SIGHUP`).
    pub custom: std::sync::RwLock<std::collections::BTreeMap<String, String>>,
}

/// One configuration variable as the admin API shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ShownSetting {
    pub name: String,
    pub section: String,
    /// The value in force; `<redacted>` for a secret; `null` when unset (the default applies).
    pub value: Option<String>,
    /// `environment`, `.env`, `custom` or `unset`.
    pub source: String,
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

/// Who may read `/metrics` (docs/api.md, "Operations"): it tells how many logins fail, how many
/// sessions exist, whether a stolen refresh token was caught (`TOKEN_REUSE_DETECTED`). With a
/// token (`SESSIOND_METRICS_TOKEN`) only a scraper that sends it; on a listener of its own
/// (`SESSIOND_METRICS_BIND`) only whoever reaches that address; with neither, only this host.
#[derive(Debug, Clone, Default)]
pub struct MetricsAccess {
    /// `SESSIOND_METRICS_TOKEN`: the bearer token a scrape must carry.
    pub token: Option<String>,
    /// `SESSIOND_METRICS_BIND` is set: `/metrics` is served there, not on the main listener.
    pub own_listener: bool,
}

/// Optional endpoints (`SESSION_ENABLE_METRICS_COLLECTION`, `SESSION_ENABLE_HEALTH_CHECKS`).
#[derive(Debug, Clone, Copy)]
pub struct Endpoints {
    pub metrics: bool,
    pub health: bool,
    /// `PUT /api/session/context` (`SESSION_FEATURE_PLATFORM_SWITCHING`).
    pub context: bool,
    /// `POST /api/session/anonymous` (`SESSION_FEATURE_ANONYMOUS_SESSIONS`).
    pub anonymous: bool,
    /// The session timeline and activity recording (`SESSION_FEATURE_ANALYTICS`):
    /// `POST /api/session/activity`, `POST /api/v1/sessions/{id}/activity` and both timelines.
    pub analytics: bool,
}

impl Default for Endpoints {
    fn default() -> Self {
        Self {
            metrics: true,
            health: true,
            context: true,
            anonymous: false,
            analytics: true,
        }
    }
}

/// The browser client's settings, from seed 001's cross-tab sync variables and feature flags.
/// The timeouts themselves come from the server's check answers, never from here alone.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ClientConfig {
    pub idle_timeout_seconds: i64,
    pub absolute_timeout_seconds: i64,
    pub warning_threshold_seconds: i64,
    pub keepalive_max_retries: u32,
    pub login_url: String,
    pub sync: SyncSettings,
    pub features: ClientFeatures,
    /// `SESSION_CUSTOM_PUBLIC_<NAME>` by lower-cased `<name>`: the custom settings an operator
    /// marked fit for every browser. Filled per request from [`Shared::custom`].
    pub custom: std::collections::BTreeMap<String, String>,
}

impl Shared {
    /// The custom settings as they stand.
    pub fn custom(&self) -> std::collections::BTreeMap<String, String> {
        self.custom
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// What a browser may see of them: those named `public_*`, without the prefix.
    pub fn public_custom(&self) -> std::collections::BTreeMap<String, String> {
        let custom = self.custom.read().unwrap_or_else(|p| p.into_inner());
        custom
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("public_")?.to_owned(), v.clone())))
            .collect()
    }

    /// Puts new custom settings in force (`SIGHUP`).
    pub fn set_custom(&self, custom: std::collections::BTreeMap<String, String>) {
        *self.custom.write().unwrap_or_else(|p| p.into_inner()) = custom;
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SyncSettings {
    pub check_interval_seconds: u64,
    pub heartbeat_interval_seconds: u64,
    pub sync_timeout_seconds: u64,
    pub tab_response_timeout_seconds: u64,
    pub localstorage_prefix: String,
    pub max_sync_data_size: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ClientFeatures {
    pub cross_tab_sync: bool,
    pub optimistic_ui: bool,
    pub platform_switching: bool,
}
