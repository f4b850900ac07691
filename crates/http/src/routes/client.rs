//! What the browser client (`sessiond.js`) needs beyond the session API: its settings, and a
//! place to report what the user saw.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use sessiond_core::audit::AuditKind;

use crate::body::{ActivityBody, ClientEventBody, ErrorBody};
use crate::error::ApiError;
use crate::extract::{ApiJson, Client, SessionCookie};
use crate::routes::backend::data::ActivityRequest;
use crate::state::{AppState, ClientConfig};

/// Public: a login page needs it before there is a session.
#[utoipa::path(
    get,
    path = "/api/session/client-config",
    tag = "browser",
    responses((status = 200, description = "The browser client's settings", body = ClientConfig))
)]
pub async fn client_config(State(state): State<AppState>) -> Json<ClientConfig> {
    let mut config = state.client.clone();
    config.custom = state.public_custom();
    Json(config)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientEvent {
    #[schema(pattern = "^SESSION_(WARNING_SHOWN|EXTENDED_BY_USER|EXPIRED_SHOWN)$")]
    event_type: String,
    #[serde(default, deserialize_with = "crate::fields::whole_number")]
    time_remaining_seconds: Option<i64>,
}

/// `POST /api/session/events`: records `SESSION_WARNING_SHOWN`, `SESSION_EXTENDED_BY_USER` or
/// `SESSION_EXPIRED_SHOWN` against the session in the cookie.
#[utoipa::path(
    post,
    path = "/api/session/events",
    tag = "browser",
    request_body = ClientEvent,
    responses(
        (status = 200, description = "Audited", body = ClientEventBody),
        (status = 400, description = "`invalid_event_type`", body = ErrorBody),
        (status = 401, description = "`no_session`, `expired_idle`, `expired_absolute`, `revoked`, `logged_out`, `evicted`, `ambiguous_session_cookie`", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn record_event(
    State(state): State<AppState>,
    SessionCookie(token): SessionCookie,
    Client(client): Client,
    ApiJson(event): ApiJson<ClientEvent>,
) -> Result<Json<ClientEventBody>, ApiError> {
    let kind = AuditKind::client_event(&event.event_type).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_event_type",
            "event_type must be SESSION_WARNING_SHOWN, SESSION_EXTENDED_BY_USER or \
             SESSION_EXPIRED_SHOWN",
        )
    })?;
    let remaining = event
        .time_remaining_seconds
        .map(|r| r.clamp(0, 10 * 365 * 86_400));
    state
        .service
        .browser()
        .record_client_event(token.as_ref(), kind, remaining, &client)
        .await?;
    Ok(Json(ClientEventBody {
        success: true,
        event_type: kind.as_str().into(),
    }))
}

/// `POST /api/session/activity`: an activity of the session in the cookie (seed 002), recorded
/// in the audit trail; it counts as activity and never renews the token.
#[utoipa::path(
    post,
    path = "/api/session/activity",
    tag = "browser",
    operation_id = "session_activity",
    request_body = ActivityRequest,
    responses(
        (status = 200, description = "Recorded; it counts as activity", body = ActivityBody),
        (status = 400, description = "`invalid_request`: a type outside the rule", body = ErrorBody),
        (status = 401, description = "`no_session`, `expired_idle`, `expired_absolute`, `revoked`, `logged_out`, `evicted`, `ambiguous_session_cookie`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: details over 8 KiB", body = ErrorBody),
        (status = 429, description = "`rate_limited`: more than 60 a minute for the session", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn record_activity(
    State(state): State<AppState>,
    SessionCookie(token): SessionCookie,
    Client(client): Client,
    ApiJson(req): ApiJson<ActivityRequest>,
) -> Result<Json<ActivityBody>, ApiError> {
    let details = req.details.map(serde_json::Value::Object);
    let activity = state
        .service
        .browser()
        .record_activity(token.as_ref(), req.kind.as_str(), details, &client)
        .await?;
    Ok(Json(ActivityBody::new(&activity)))
}
