//! Operations endpoints: liveness, readiness, metrics.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Json;
use axum::extract::{ConnectInfo, State};
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
    let admin = state.service.admin();
    match tokio::time::timeout(READY_TIMEOUT, admin.ping_store()).await {
        Ok(Ok(())) => Ok(Json(HealthBody {
            status: "ready".into(),
            store: Some(admin.store_kind().into()),
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
    responses(
        (status = 200, description = "Prometheus metrics", content_type = "text/plain", body = String),
        (status = 401, description = "`invalid_metrics_token`: SESSIOND_METRICS_TOKEN is set and the scrape did not send it", body = ErrorBody),
        (status = 403, description = "`metrics_not_public`: without a token or a listener of its own, only this host may read the metrics", body = ErrorBody),
    ),
    security((), ("metrics_token" = []))
)]
pub async fn metrics(
    State(state): State<AppState>,
    req: axum::extract::Request,
) -> Result<impl IntoResponse, ApiError> {
    let headers = req.headers();
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>();
    let access = &state.metrics_access;
    match &access.token {
        Some(token) => {
            let presented = crate::extract::bearer(headers).unwrap_or_default();
            if !sessiond_core::token::secrets_match(presented, token) {
                return Err(ApiError::Unauthorized {
                    code: "invalid_metrics_token",
                    message: "/metrics needs Authorization: Bearer <SESSIOND_METRICS_TOKEN>",
                });
            }
        }
        None if !access.own_listener => {
            let local = peer.is_some_and(|p| p.0.ip().to_canonical().is_loopback());
            if !local {
                return Err(ApiError::Forbidden {
                    code: "metrics_not_public",
                    message: "set SESSIOND_METRICS_TOKEN or SESSIOND_METRICS_BIND to scrape \
                              /metrics from another host",
                });
            }
        }
        None => {}
    }
    // Gauges that need the store are refreshed by a job (`SESSION_METRICS_INTERVAL_SECONDS`),
    // never per scrape: a scrape reads memory only.
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    ))
}

#[cfg(feature = "bench")]
pub async fn bench_hello() -> Json<serde_json::Value> {
    Json(serde_json::json!({"hello": "world"}))
}
