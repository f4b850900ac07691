//! Operations endpoints: liveness, readiness, metrics.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::body::{ErrorBody, HealthBody};
use crate::error::ApiError;
use crate::state::AppState;

/// A store that takes longer than this to answer a ping is not ready.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "Alive", body = HealthBody))
)]
pub async fn healthz() -> Json<HealthBody> {
    Json(HealthBody {
        status: "ok".into(),
        store: None,
    })
}

#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "The store answers", body = HealthBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<HealthBody>, ApiError> {
    let store = &state.service.stores().health;
    match tokio::time::timeout(READY_TIMEOUT, store.ping()).await {
        Ok(Ok(())) => Ok(Json(HealthBody {
            status: "ready".into(),
            store: Some(store.kind().into()),
        })),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: store ping failed");
            Err(ApiError::Unavailable)
        }
        Err(_) => {
            tracing::warn!("readiness: store ping timed out");
            Err(ApiError::Unavailable)
        }
    }
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus metrics", content_type = "application/openmetrics-text", body = String))
)]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    // The gauge is read at scrape time: one COUNT per scrape, none per request.
    match state
        .service
        .stores()
        .sweep
        .count_active_sessions(state.service.now())
        .await
    {
        Ok(n) => state.metrics.set_active_sessions(n),
        Err(e) => tracing::warn!(error = %e, "metrics: could not count active sessions"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

#[cfg(feature = "bench")]
pub async fn bench_hello() -> Json<serde_json::Value> {
    Json(serde_json::json!({"hello": "world"}))
}
