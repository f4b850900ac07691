//! `GET /api/v1/config/custom`: the application's own settings, kept beside sessiond's as
//! `SESSION_CUSTOM_<NAME>` (seed 001's custom settings), for the application's server.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use sessiond_core::service::Read;

use crate::error::ApiError;
use crate::extract::ApiCaller;
use crate::state::AppState;

/// Every `SESSION_CUSTOM_<NAME>`, keyed by the lower-cased `<name>`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CustomSettingsBody {
    pub custom: BTreeMap<String, String>,
}

/// Every custom setting, to a key with `sessions:read`. The browser gets only those named
/// `SESSION_CUSTOM_PUBLIC_*`, in `GET /api/session/client-config` (decision 0052).
#[utoipa::path(
    get,
    path = "/api/v1/config/custom",
    tag = "backend",
    responses((status = 200, description = "The custom settings", body = CustomSettingsBody)),
    security(("api_key" = []))
)]
pub async fn custom_settings(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<CustomSettingsBody>, ApiError> {
    caller.gate::<Read>(&state, "custom_settings").await?;
    Ok(Json(CustomSettingsBody {
        custom: state.custom(),
    }))
}
