//! `GET /api/admin/alerts`: the in-process alerts (`SESSION_ALERT_*`) and the last health check
//! of the answering node.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use sessiond_core::Timestamp;
use sessiond_core::service::Inspect;
use utoipa::ToSchema;

use super::AdminCaller;
use crate::error::ApiError;
use crate::state::AppState;

/// One alert as it stands.
#[derive(Serialize, ToSchema)]
pub struct AlertBody {
    /// `creation_rate`, `failure_rate`, `avg_duration`, `concurrent_sessions` or
    /// `suspicious_rate`.
    pub alert: String,
    /// The variable that sets its threshold.
    pub variable: String,
    /// Its value over the window at the last sample; `null` before two samples, or for the
    /// mean duration while no session ended in the window.
    pub value: Option<f64>,
    /// Its threshold; 0: off.
    pub threshold: f64,
    pub firing: bool,
    /// Since when it has been firing.
    pub since: Option<Timestamp>,
}

/// An alert that fired or cleared.
#[derive(Serialize, ToSchema)]
pub struct AlertEventBody {
    pub alert: String,
    /// `true` when it fired, `false` when it cleared.
    pub firing: bool,
    pub value: f64,
    pub threshold: f64,
    pub at: Timestamp,
}

/// One health check.
#[derive(Serialize, ToSchema)]
pub struct HealthCheckBody {
    /// `store`, `cleanup` or `clock`.
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

/// The last periodic health check.
#[derive(Serialize, ToSchema)]
pub struct HealthReportBody {
    pub at: Timestamp,
    pub ok: bool,
    pub checks: Vec<HealthCheckBody>,
}

/// `GET /api/admin/alerts`.
#[derive(Serialize, ToSchema)]
pub struct AlertsBody {
    /// `SESSION_ENABLE_ALERTING`: when false no alert is evaluated.
    pub alerting: bool,
    pub alerts: Vec<AlertBody>,
    /// The last `SESSION_EVENTS_BUFFER_SIZE` times an alert fired or cleared, newest first.
    pub events: Vec<AlertEventBody>,
    /// `null` until the first check has run.
    pub health: Option<HealthReportBody>,
}

/// `GET /api/admin/alerts`: what this node's monitoring saw; each node evaluates its own
/// events (the Prometheus rules in `deploy/prometheus/` sum every node's).
#[utoipa::path(
    get,
    path = "/api/admin/alerts",
    tag = "admin",
    operation_id = "admin_alerts",
    responses((status = 200, description = "The alerts and the last health check", body = AlertsBody)),
    security(("api_key" = []), ("session_cookie" = []))
)]
pub async fn alerts(
    State(state): State<AppState>,
    caller: AdminCaller,
) -> Result<Json<AlertsBody>, ApiError> {
    caller.gate::<Inspect>(&state, "admin_alerts").await?;
    let (alerts, events) = state.monitor.alerts();
    Ok(Json(AlertsBody {
        alerting: state.monitor.alerting(),
        alerts: alerts
            .into_iter()
            .map(|a| AlertBody {
                alert: a.alert.as_str().to_owned(),
                variable: a.alert.variable().to_owned(),
                value: a.value,
                threshold: a.threshold,
                firing: a.firing,
                since: a.since,
            })
            .collect(),
        events: events
            .into_iter()
            .map(|e| AlertEventBody {
                alert: e.alert.as_str().to_owned(),
                firing: e.firing,
                value: e.value,
                threshold: e.threshold,
                at: e.at,
            })
            .collect(),
        health: state.monitor.health().map(|h| HealthReportBody {
            at: h.at,
            ok: h.ok(),
            checks: h
                .checks
                .into_iter()
                .map(|c| HealthCheckBody {
                    name: c.name.to_owned(),
                    ok: c.ok,
                    detail: c.detail,
                })
                .collect(),
        }),
    }))
}
