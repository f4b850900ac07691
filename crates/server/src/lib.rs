//! The composition root of sessiond: configuration in, a running service out. `main` and the
//! test kit call the same functions, so the tests run exactly what ships.

pub mod cli;
pub mod config;
mod jobs;
mod listen;
mod secret;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sessiond_core::alerts::{Evaluator, Monitor};
use sessiond_core::audit::Auditor;
use sessiond_core::memory::MemoryStore;
use sessiond_core::store::Decorated;
use sessiond_core::{Clock, SessionService, StoreError, Stores};
use sessiond_http::{AppState, CookieSettings, Metrics};
use sessiond_store_sqlite::SqliteStore;

pub use config::Config;
pub use jobs::{
    API_READS_FLUSH, KEY_MAINTENANCE, refresh_gauges, run_health_check, spawn_active_history,
    spawn_api_read_flush, spawn_cleanup, spawn_gauges, spawn_health_checks, spawn_key_maintenance,
    spawn_security_checks,
};
pub use listen::{ConnectionLimits, serve_on, serve_router};
pub use secret::{SecretMismatch, load_secret_key};

/// The one place a backend is chosen from the configuration: its roles, and its bus when nodes
/// share it.
pub async fn open_store(config: &config::ServerConfig) -> Result<Stores, StoreError> {
    let timeout = Duration::from_secs(config.store_timeout_secs);
    let pool = sessiond_store_sql::PoolSettings {
        max_connections: config.store_pool_size,
        acquire_timeout: timeout,
    };
    Ok(match &config.store {
        config::StoreUrl::Memory => MemoryStore::stores(),
        config::StoreUrl::Sqlite(url) => SqliteStore::open(url, pool).await?.into_stores(),
        config::StoreUrl::Postgres(url) => {
            let (schema, explicitly) = &config.postgres_schema;
            let (store, legacy) = sessiond_store_postgres::PostgresStore::open_own_schema(
                url.expose(),
                pool,
                schema,
                *explicitly,
            )
            .await?;
            if legacy {
                tracing::warn!(
                    "sessiond's tables are in the PostgreSQL schema public, from an older \
                     version: they stay in use. Set SESSIOND_POSTGRES_SCHEMA=public to keep them \
                     there and silence this, or move them to a schema of their own (docs/\
                     deployment.md, \"PostgreSQL\")"
                );
            }
            store.into_stores()
        }
        config::StoreUrl::Redis(url) => {
            let settings = sessiond_store_redis::PoolSettings { timeout };
            sessiond_store_redis::RedisStore::open(url.expose(), settings)
                .await?
                .into_stores()
        }
    })
}

/// Builds the service and the HTTP state on an opened store.
pub fn build_with_store(
    config: &Config,
    stores: Stores,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<AppState> {
    let key = load_secret_key(config)?;
    let m = &config.monitoring;
    let metrics = Metrics::new(m.performance);
    // Every store operation counted and timed (`sessiond_store_*`), under the cache: a cache
    // hit is no store operation.
    let stores = Decorated::stores(stores, metrics.store_hook());
    // SESSION_FEATURE_CACHING: the per-node cache in front of the session role.
    let (stores, cache_stats) = match config.server.cache {
        Some(settings) => {
            let (stores, stats) = stores.cached(settings);
            (stores, Some(stats))
        }
        None => (stores, None),
    };
    let evaluator = Evaluator::new(
        m.thresholds,
        m.metrics_interval_secs,
        m.metrics_buffer,
        m.events_buffer,
    );
    let monitor = Arc::new(Monitor::new(evaluator));
    monitor.configure(m.thresholds, m.alerting, m.console_alerts);
    let metrics = Arc::new(
        metrics
            .with_cache(cache_stats)
            .with_monitor(monitor.clone())
            .with_pool(stores.health.clone()),
    );
    let mut auditor = Auditor::new(stores.audit.clone(), config.security.audit_logging)
        .count_hourly(stores.counters.clone());
    auditor.observe_with(metrics.clone());
    auditor.observe_with(monitor.counts());
    let mut service = SessionService::new(stores, clock, config.service.clone(), key, auditor)
        .context("could not initialise the session service")?;
    if let Some(ldap) = &config.server.ldap {
        let directory =
            sessiond_auth_ldap::LdapDirectory::new(ldap.clone()).map_err(anyhow::Error::msg)?;
        service = service.with_directory(Arc::new(directory));
    }
    let s = &config.server;
    let settings_shown = config
        .shown
        .iter()
        .map(|v| sessiond_http::state::ShownSetting {
            name: v.name.clone(),
            section: v.section.to_owned(),
            value: v.value.clone(),
            source: v.source.to_owned(),
        })
        .collect();
    Ok(AppState::new(sessiond_http::state::Shared {
        settings_shown,
        service: Arc::new(service),
        cookie: CookieSettings::new(&s.cookie_name, s.cookie_secure, s.cookie_same_site),
        metrics,
        monitor,
        public_origin: s
            .public_url
            .as_deref()
            .and_then(sessiond_http::csrf::normal_origin),
        trusted_proxies: s.trusted_proxies.clone(),
        returns: s.returns.clone(),
        metrics_access: sessiond_http::state::MetricsAccess {
            token: s.metrics_token.as_ref().map(|t| t.expose().to_owned()),
            own_listener: s.metrics_bind.is_some(),
        },
        endpoints: sessiond_http::Endpoints {
            metrics: config.monitoring.metrics_collection,
            health: config.monitoring.health_checks,
            context: config.features.platform_switching,
            anonymous: config.features.anonymous_sessions,
            analytics: config.features.analytics,
        },
        client: client_config(config),
        custom: std::sync::RwLock::new(config.custom.clone()),
    }))
}

/// What the browser client is told (`GET /api/session/client-config`).
fn client_config(config: &Config) -> sessiond_http::ClientConfig {
    let t = &config.service.timeouts;
    let sync = &config.sync;
    sessiond_http::ClientConfig {
        idle_timeout_seconds: t.idle_secs,
        absolute_timeout_seconds: t.absolute_secs,
        warning_threshold_seconds: t.warning_secs,
        keepalive_max_retries: 3,
        login_url: "/login".into(),
        sync: sessiond_http::SyncSettings {
            check_interval_seconds: sync.check_interval_secs,
            heartbeat_interval_seconds: sync.heartbeat_interval_secs,
            sync_timeout_seconds: sync.sync_timeout_secs,
            tab_response_timeout_seconds: sync.tab_response_timeout_secs,
            localstorage_prefix: sync.localstorage_prefix.clone(),
            max_sync_data_size: sync.max_sync_data_size,
        },
        features: sessiond_http::ClientFeatures {
            cross_tab_sync: config.features.cross_tab_sync,
            optimistic_ui: config.features.optimistic_ui,
            platform_switching: config.features.platform_switching,
        },
        // Filled per request with the ones named public: a custom setting may be a secret.
        custom: Default::default(),
    }
}

/// What an operator should know about the configuration before the server takes requests.
/// Only `serve` logs these: a CLI tool run on the same configuration is not the server.
pub fn serve_warnings(config: &Config, stores: &Stores) {
    if let Some(ldap) = &config.server.ldap
        && ldap.url.starts_with("ldap://")
        && !ldap.starttls
    {
        tracing::warn!(
            "SESSIOND_LDAP_URL is plain ldap:// without SESSIOND_LDAP_STARTTLS: users' passwords \
             cross the network in the clear"
        );
    }
    if config.server.cache.is_some() && stores.bus().is_none() {
        tracing::warn!(
            store = stores.health.kind(),
            "SESSION_FEATURE_CACHING: this store has no invalidation channel, so only this \
             node's writes reach its cache; run one node per store or turn caching off"
        );
    }
    if config.server.trusted_proxies.trusts_everyone() {
        tracing::warn!(
            "SESSIOND_TRUSTED_PROXIES includes a range of every address (/0): anyone can name \
             any client address in X-Forwarded-For; list your proxies' addresses or networks"
        );
    }
    if config.server.insecure_cookie_allowed {
        tracing::warn!(
            "SESSIOND_ALLOW_INSECURE_COOKIE: the session cookie is not Secure in {}: anyone on \
             the network path can read it",
            config.environment.as_str()
        );
    }
}

/// Opens the configured store and builds the service on it.
pub async fn build(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    build_with_store(config, open(config).await?, clock)
}

/// Opens the configured store, with the error a person can act on.
/// The store is held to the secret it was first opened with ([`secret::check_secret`]).
pub async fn open(config: &Config) -> anyhow::Result<Stores> {
    let stores = open_unchecked(config).await?;
    let key = load_secret_key(config)?;
    secret::check_secret(&stores, &key, &config.server.store.to_string()).await?;
    Ok(stores)
}

/// [`open`] without the secret check: for `keys adopt-secret`, which replaces it.
pub async fn open_unchecked(config: &Config) -> anyhow::Result<Stores> {
    open_store(&config.server)
        .await
        .with_context(|| format!("could not open the store {}", config.server.store))
}

/// A future that resolves on Ctrl-C or SIGTERM. The handlers are installed by this call, not
/// when the future is first polled, so a signal that arrives while the server is still starting
/// is not lost (nor does it kill the process with the default action).
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
