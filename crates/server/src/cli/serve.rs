//! `sessiond serve`.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use sessiond_core::SystemClock;

use crate::config::Environment;

pub(super) async fn run(env_file: &Path) -> anyhow::Result<()> {
    let (config, raw) = super::load_config(env_file)?;
    super::init_tracing(&config.server.log_filter, config.server.log_json, true);
    super::warn_unknown(&raw);
    for note in crate::config::seed_notes(&raw, &config) {
        tracing::warn!("{note}");
    }
    if config.server.debug_mode {
        // SESSION_DEBUG_MODE: what was set, secrets redacted, as `sessiond config show` prints
        // it; the variables left at their defaults in one line, not a hundred.
        let mut defaults = 0;
        for v in &config.shown {
            match &v.value {
                Some(value) => {
                    tracing::info!(source = v.source, "configuration: {}={value}", v.name)
                }
                None => defaults += 1,
            }
        }
        tracing::info!(
            "configuration: {defaults} other variables at their defaults (`sessiond config show` \
             lists every one)"
        );
    }
    if !config.features.persistence {
        tracing::warn!(
            "SESSION_FEATURE_PERSISTENCE=false: sessions, users and the audit trail live in this \
             process's memory (memory://) and end with it"
        );
    }
    let stores = crate::open(&config).await?;
    crate::serve_warnings(&config, &stores);
    let state = crate::build_with_store(&config, stores, Arc::new(SystemClock))?;
    if let Some(password) = state.service.admin().ensure_initial_admin().await? {
        hand_over_admin_password(&config, &password)?;
    }
    warn_of_keys_that_assert_nobody(&state.service).await;
    let cleanup = config
        .features
        .background_cleanup
        .then(|| crate::spawn_cleanup(state.service.clone()));
    // The first check before listening: a start always leaves an anchor in the log.
    if let Err(e) = state.service.admin().security_check().await {
        tracing::warn!(error = %e, "security check failed");
    }
    let checks = crate::spawn_security_checks(
        state.service.clone(),
        std::time::Duration::from_secs(config.security.security_check_interval_secs.max(1)),
    );
    let shutdown = crate::shutdown_signal().context("could not install the signal handlers")?;
    #[cfg(unix)]
    let reloads = super::reload::spawn(env_file, state.clone(), config.clone())
        .context("could not install the SIGHUP handler")?;
    let listener = tokio::net::TcpListener::bind(config.server.bind)
        .await
        .with_context(|| format!("could not listen on {}", config.server.bind))?;
    let addr = listener.local_addr()?;
    tracing::info!(
        address = %addr,
        environment = config.environment.as_str(),
        store = state.service.admin().store_kind(),
        cookie = %state.cookie.name,
        "sessiond listening on http://{addr}"
    );
    if matches!(
        config.environment,
        Environment::Development | Environment::Testing
    ) {
        tracing::info!(
            "{} mode: the session cookie is {}; set SESSION_ENVIRONMENT=production behind HTTPS",
            config.environment.as_str(),
            if config.server.cookie_secure {
                "Secure"
            } else {
                "not Secure, so plain http on localhost works"
            }
        );
    }
    let service = state.service.clone();
    let reads = crate::spawn_api_read_flush(service.clone());
    let keys = crate::spawn_key_maintenance(service.clone());
    let history = crate::spawn_active_history(service.clone());
    let m = &config.monitoring;
    let gauges = crate::spawn_gauges(
        state.clone(),
        std::time::Duration::from_secs(m.metrics_interval_secs),
    );
    let health = crate::spawn_health_checks(
        state.clone(),
        std::time::Duration::from_secs(m.health_check_interval_secs),
    );
    let metrics = match config.server.metrics_bind {
        Some(addr) if config.monitoring.metrics_collection => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("could not listen on {addr} (SESSIOND_METRICS_BIND)"))?;
            tracing::info!(address = %listener.local_addr()?, "metrics on http://{}/metrics", listener.local_addr()?);
            let app = sessiond_http::metrics_app(state.clone());
            let limits = config.server.connections;
            Some(tokio::spawn(async move {
                crate::serve_router(listener, app, limits, std::future::pending()).await
            }))
        }
        _ => None,
    };
    crate::serve_on(listener, state, config.server.connections, shutdown).await?;
    gauges.abort();
    health.abort();
    #[cfg(unix)]
    reloads.abort();
    if let Some(job) = metrics {
        job.abort();
    }
    if let Some(job) = cleanup {
        job.abort();
    }
    checks.abort();
    reads.abort();
    keys.abort();
    history.abort();
    // The reads counted since the last flush: in-flight requests have drained by now.
    if let Err(e) = service.admin().flush_api_reads().await {
        tracing::warn!(error = %e, "could not store the API's last counted reads");
    }
    tracing::info!("sessiond stopped");
    Ok(())
}

/// The first-start password goes where only the operator reads it: the terminal (on stderr)
/// when there is one, or else a file only the owner may read in the data folder. Never to
/// stdout, which is the log stream that log shippers collect.
fn hand_over_admin_password(config: &crate::Config, password: &str) -> anyhow::Result<()> {
    use std::io::IsTerminal as _;
    let change = if config.server.store == crate::config::StoreUrl::Memory {
        "It lasts as long as this process: the CLI cannot reach a memory:// store"
    } else {
        "Change it with: sessiond users set-password admin --password-stdin, run where the \
         server runs (its folder, its .env)"
    };
    if std::io::stderr().is_terminal() {
        eprintln!(
            "\n  First start: created the superadmin user `admin` with password:\n\n      {password}\n\n  \
             It is not shown again. {change}\n"
        );
        tracing::info!(
            "first start: created the superadmin user admin; its password was shown on the terminal"
        );
        return Ok(());
    }
    let path = config.server.data_dir.join(ADMIN_PASSWORD_FILE);
    // A file left from an earlier store that has since been emptied is stale.
    let _ = std::fs::remove_file(&path);
    crate::secret::write_private(&path, password)
        .with_context(|| format!("could not write {}", path.display()))?;
    tracing::warn!(
        file = %path.display(),
        "first start: created the superadmin user admin; its password is in this file, readable \
         by its owner only. Read it, delete the file, and change the password. {change}"
    );
    Ok(())
}

/// In the data folder.
pub(super) const ADMIN_PASSWORD_FILE: &str = "initial-admin-password";

/// A `sessions:write` key made before keys carried roles creates no session until it is given
/// some: say so at start, with the command that does it, rather than let applications meet 403s.
async fn warn_of_keys_that_assert_nobody(service: &sessiond_core::SessionService) {
    use sessiond_core::api_key::Scope;
    let Ok(keys) = service.admin().api_keys().await else {
        return;
    };
    for key in keys {
        let writes = key.scopes.contains(&Scope::SessionsWrite) && !key.allows(Scope::Admin);
        if writes && key.roles.is_empty() && key.revoked_at.is_none() {
            tracing::warn!(
                api_key = %key.name,
                "this sessions:write API key carries no roles, so it creates no session and no \
                 user (403 insufficient_scope): give it the roles it may assert with \
                 `sessiond api-keys set-roles {} --roles ROLE,...`",
                key.name
            );
        }
    }
}
