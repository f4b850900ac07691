//! Background jobs: the cleanup loop that follows seed 001's schedule, the periodic security
//! check, the flush of the backend API's counted reads, and the store-backed gauges.

use std::sync::Arc;
use std::time::Duration;

use sessiond_core::SessionService;
use sessiond_core::service::CleanupSchedule;
use sessiond_http::AppState;
use tokio::task::JoinHandle;

/// Runs `Admin::security_check` every `every` (`serve` runs the first one itself,
/// before it listens). Store outages are logged and retried on the next tick.
pub fn spawn_security_checks(service: Arc<SessionService>, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            if let Err(e) = service.admin().security_check().await {
                tracing::warn!(error = %e, "security check failed");
            }
        }
    })
}

/// Reads the gauges that need the store (`active_sessions_count`) every `every`
/// (`SESSION_METRICS_INTERVAL_SECONDS`), starting at once: a scrape reads memory only, so
/// however often Prometheus scrapes, and however many scrape, the store is asked once an
/// interval per node.
pub fn spawn_gauges(state: AppState, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            refresh_gauges(&state).await;
            tokio::time::sleep(every).await;
        }
    })
}

/// One reading of the store-backed gauges; a store outage leaves the last reading.
pub async fn refresh_gauges(state: &AppState) {
    match state.service.admin().count_active_sessions().await {
        Ok(n) => state.metrics.set_active_sessions(n),
        Err(e) => tracing::warn!(error = %e, "metrics: could not count active sessions"),
    }
}

/// How often the signing keys are looked at: a retired key may stay in the store this much
/// longer than needed, and a scheduled rotation may come this much later.
pub const KEY_MAINTENANCE: Duration = Duration::from_secs(60);

/// Rotates the access token signing key on its schedule and deletes keys no valid token can
/// need (`Admin::maintain_signing_keys`), every [`KEY_MAINTENANCE`].
pub fn spawn_key_maintenance(service: Arc<SessionService>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match service.admin().maintain_signing_keys().await {
                Ok((0, 0)) => {}
                Ok((rotated, retired)) => {
                    tracing::info!(rotated, retired, "signing keys maintained");
                }
                Err(e) => tracing::warn!(error = %e, "could not maintain the signing keys"),
            }
            tokio::time::sleep(KEY_MAINTENANCE).await;
        }
    })
}

/// How often the backend API's counted reads are stored (`Admin::flush_api_reads`).
pub const API_READS_FLUSH: Duration = Duration::from_secs(5);

/// Stores the backend API's counted reads every [`API_READS_FLUSH`]; `serve` flushes once more
/// when it stops. A failed flush keeps its counts for the next one.
pub fn spawn_api_read_flush(service: Arc<SessionService>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(API_READS_FLUSH).await;
            if let Err(e) = service.admin().flush_api_reads().await {
                tracing::warn!(error = %e, "could not store the API's counted reads; retrying");
            }
        }
    })
}

/// Looks at the backlog every minute (or every cleanup interval, if shorter) and runs the
/// phases the schedule says are due. Store outages are logged and retried on the next tick.
pub fn spawn_cleanup(service: Arc<SessionService>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let settings = service.settings().cleanup;
        let tick =
            Duration::from_secs(u64::try_from(settings.interval_secs.clamp(1, 60)).unwrap_or(60));
        let mut schedule = CleanupSchedule::default();
        loop {
            let due = match service.admin().count_sessions_due().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "cleanup: could not count expired sessions");
                    tokio::time::sleep(tick).await;
                    continue;
                }
            };
            if let Some(opts) = schedule.plan(service.now(), due, &settings) {
                if opts.max_batches.is_none() {
                    tracing::warn!(
                        due,
                        "cleanup: backlog above SESSION_MAX_EXPIRED_THRESHOLD, draining it"
                    );
                }
                match service.admin().cleanup(&opts, &|_| {}).await {
                    Ok(r) => tracing::info!(
                        expired = r.expired,
                        purged_sessions = r.purged_sessions,
                        purged_audit = r.purged_audit,
                        batches = r.batches,
                        "cleanup run"
                    ),
                    Err(e) => tracing::warn!(error = %e, "cleanup run failed"),
                }
            }
            tokio::time::sleep(tick).await;
        }
    })
}

/// Samples the active sessions every minute for the dashboard's chart
/// (`Admin::sample_active_sessions`, which keeps one sample per five minutes).
pub fn spawn_active_history(service: Arc<SessionService>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = service.admin().sample_active_sessions().await {
                tracing::warn!(error = %e, "could not sample the active sessions");
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    })
}
