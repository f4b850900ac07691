//! `SIGHUP`: `serve` reads its configuration again (the `.env` file; the process environment
//! cannot change) and puts the reloadable settings in force: the log filter, the alerts and the
//! custom settings. Every other change is named in the log as waiting for a restart; an invalid
//! configuration is refused with its problems and the one in force stays.

use std::path::Path;

use sessiond_http::AppState;

use crate::Config;

/// The variables a reload puts in force; `SESSION_CUSTOM_*` too.
const RELOADABLE: [&str; 9] = [
    "SESSIOND_LOG",
    "SESSION_DEBUG_MODE",
    "SESSION_ENABLE_ALERTING",
    "SESSION_ENABLE_CONSOLE_ALERTS",
    "SESSION_ALERT_CREATION_RATE",
    "SESSION_ALERT_FAILURE_RATE",
    "SESSION_ALERT_AVG_DURATION",
    "SESSION_ALERT_CONCURRENT_SESSIONS",
    "SESSION_ALERT_SUSPICIOUS_RATE",
];

/// Whether a reload puts `name` in force.
pub(crate) fn reloadable(name: &str) -> bool {
    RELOADABLE.contains(&name) || name.starts_with("SESSION_CUSTOM_")
}

/// Waits for `SIGHUP` and reloads, for as long as the server runs.
#[cfg(unix)]
pub(super) fn spawn(
    env_file: &Path,
    state: AppState,
    started: Config,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangup = signal(SignalKind::hangup())?;
    let env_file = env_file.to_owned();
    Ok(tokio::spawn(async move {
        let mut current = started.clone();
        while hangup.recv().await.is_some() {
            if let Some(next) = reload(&env_file, &state, &started, &current) {
                current = next;
            }
        }
    }))
}

/// One reload; answers the configuration now in force, or `None` when it was refused.
fn reload(env_file: &Path, state: &AppState, started: &Config, current: &Config) -> Option<Config> {
    let next = match super::load_config(env_file) {
        Ok((next, _)) => next,
        Err(e) => {
            tracing::warn!(
                "SIGHUP: the configuration was not reloaded, the one in force stays: {e}"
            );
            return None;
        }
    };
    let changed = |from: &Config| -> Vec<String> {
        let before: std::collections::BTreeMap<_, _> =
            from.shown.iter().map(|v| (&v.name, &v.value)).collect();
        let after: std::collections::BTreeMap<_, _> =
            next.shown.iter().map(|v| (&v.name, &v.value)).collect();
        let names: std::collections::BTreeSet<String> = before
            .keys()
            .chain(after.keys())
            .filter(|n| before.get(*n) != after.get(*n))
            .map(|n| n.to_string())
            .collect();
        names.into_iter().collect()
    };
    let applied: Vec<String> = changed(current)
        .into_iter()
        .filter(|n| reloadable(n))
        .collect();
    if let Err(e) = super::reload_log_filter(&next.server.log_filter) {
        tracing::warn!("SIGHUP: the log filter stays as it was: {e}");
    }
    let m = &next.monitoring;
    state
        .monitor
        .configure(m.thresholds, m.alerting, m.console_alerts);
    state.set_custom(next.custom.clone());
    tracing::info!(applied = ?applied, "SIGHUP: configuration reloaded");
    // Against the configuration the server started with: a change that waits for a restart is
    // named at every reload until then.
    for name in changed(started).into_iter().filter(|n| !reloadable(n)) {
        tracing::warn!(variable = %name, "SIGHUP: {name} changed; it takes effect when sessiond restarts");
    }
    Some(next)
}
