//! The configuration in force, and seed 000's `GET /debug/session`.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use sessiond_core::service::Inspect;
use sessiond_core::{SessionError, Timestamp};
use utoipa::ToSchema;

use super::AdminCaller;
use super::body::AdminSessionBody;
use crate::body::ErrorBody;
use crate::error::ApiError;
use crate::extract::SessionCookie;
use crate::state::{AppState, ShownSetting};

/// `GET /api/admin/config`.
#[derive(Serialize, ToSchema)]
pub struct ConfigBody {
    /// Every variable of the reference, then the custom settings.
    pub settings: Vec<ShownSetting>,
}

/// `GET /api/admin/config`: every setting in force, with where it came from; secrets show as
/// `<redacted>` and a store URL without its password.
#[utoipa::path(
    get,
    path = "/api/admin/config",
    tag = "admin",
    operation_id = "admin_config",
    responses((status = 200, description = "The configuration in force", body = ConfigBody)),
    security(("api_key" = []), ("session_cookie" = []))
)]
pub async fn config(
    State(state): State<AppState>,
    caller: AdminCaller,
) -> Result<Json<ConfigBody>, ApiError> {
    caller.gate::<Inspect>(&state, "admin_config").await?;
    Ok(Json(ConfigBody {
        settings: state.settings_shown.clone(),
    }))
}

/// Seed 000's debug view of the caller's own session.
#[derive(Serialize, ToSchema)]
pub struct DebugSessionBody {
    pub session: AdminSessionBody,
    /// The session's data map (seed 000's `session_data`).
    #[schema(value_type = Object)]
    pub session_data: serde_json::Map<String, serde_json::Value>,
    /// The idle timeout, in seconds (seed 000's `session_timeout`).
    pub session_timeout: i64,
    /// The absolute timeout, in seconds.
    pub absolute_timeout: i64,
    pub current_time: Timestamp,
    pub cookie_name: String,
    pub cookie_secure: bool,
}

/// `GET /debug/session`: a superadmin's own session as the server holds it (seed 000). Never
/// the token or the CSRF token.
#[utoipa::path(
    get,
    path = "/debug/session",
    tag = "admin",
    operation_id = "debug_session",
    responses(
        (status = 200, description = "The caller's session", body = DebugSessionBody),
        (status = 401, description = "`no_session`, `expired_idle`, `expired_absolute`, `revoked`, `logged_out`, `evicted`, `ambiguous_session_cookie`", body = ErrorBody),
        (status = 403, description = "`insufficient_role`", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn debug_session(
    State(state): State<AppState>,
    SessionCookie(token): SessionCookie,
) -> Result<Json<DebugSessionBody>, ApiError> {
    let now = state.service.now();
    let session = state
        .service
        .browser()
        .resolve(token.as_ref(), now)
        .await?
        .session;
    if session.role.as_deref() != Some(sessiond_core::user::SUPERADMIN) {
        return Err(SessionError::NotAllowed("insufficient_role").into());
    }
    let t = state.service.timeouts();
    Ok(Json(DebugSessionBody {
        session_data: session.data.clone(),
        session_timeout: t.idle_secs,
        absolute_timeout: t.absolute_secs,
        current_time: now,
        cookie_name: state.cookie.name.clone(),
        cookie_secure: state.cookie.secure,
        session: AdminSessionBody::new(session, now),
    }))
}
