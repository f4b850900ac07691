//! Background jobs: the cleanup loop that follows seed 001's schedule, the periodic security
//! check, the flush of the backend API's counted reads, the store-backed gauges with the
//! in-process alerts, and the health check.

use std::sync::Arc;
use std::time::Duration;

use sessiond_core::SessionService;
use sessiond_core::alerts::AlertEvent;
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

/// The monitoring tick, every `every` (`SESSION_METRICS_INTERVAL_SECONDS`), starting at once:
/// reads the active sessions from the store's tallies into `active_sessions` and hands a
/// sample to the in-process alerts. A scrape reads memory only, so however often Prometheus
/// scrapes, the store is asked once an interval per node.
pub fn spawn_gauges(state: AppState, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            for e in refresh_gauges(&state).await {
                report_alert(&e, state.monitor.console());
            }
            tokio::time::sleep(every).await;
        }
    })
}

/// One monitoring tick; answers the alerts that fired or cleared. A store outage leaves the
/// last reading and skips the alerts' sample (a rate needs both ends).
pub async fn refresh_gauges(state: &AppState) -> Vec<AlertEvent> {
    match state.service.admin().sample_active_sessions().await {
        Ok(n) => {
            state.metrics.set_active_sessions(n);
            state.monitor.tick(state.service.now(), n)
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: could not read the active sessions");
            Vec::new()
        }
    }
}

/// One log line when an alert fires and one when it clears; with `SESSION_ENABLE_CONSOLE_ALERTS`
/// also a plain line on standard error, for a person watching the console.
fn report_alert(e: &AlertEvent, console: bool) {
    let (alert, variable) = (e.alert.as_str(), e.alert.variable());
    if e.firing {
        tracing::warn!(
            alert,
            value = e.value,
            threshold = e.threshold,
            "alert firing: {variable} exceeded"
        );
    } else {
        tracing::info!(
            alert,
            value = e.value,
            threshold = e.threshold,
            "alert cleared: {variable}"
        );
    }
    if console {
        let state = if e.firing { "FIRING" } else { "cleared" };
        eprintln!(
            "sessiond alert {state}: {alert} = {:.2} (threshold {variable}={})",
            e.value, e.threshold
        );
    }
}

/// Runs the health check every `every` (`SESSION_HEALTH_CHECK_INTERVAL_SECONDS`), starting at
/// once: logs each check when it fails and when it recovers, and keeps the report for
/// `/metrics` and the admin API.
pub fn spawn_health_checks(state: AppState, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            run_health_check(&state).await;
            tokio::time::sleep(every).await;
        }
    })
}

/// One health check: the store answers, the cleanup keeps up, and the clock has not gone back.
pub async fn run_health_check(state: &AppState) {
    let previous = state.monitor.health().map(|h| h.at);
    let report = state.service.admin().health_check(previous).await;
    for c in state.monitor.record_health(report) {
        if c.ok {
            tracing::info!(check = c.name, detail = %c.detail, "health check passes again");
        } else {
            tracing::warn!(check = c.name, detail = %c.detail, "health check failed");
        }
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
