//! The backend API's session data (a JSON merge patch, versioned) and activities (seed 002).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value};
use sessiond_core::api_key::Scope;

use super::{api_key, session_id};
use crate::body::{ActivityBody, DataBody, ErrorBody};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, Client};
use crate::state::AppState;

fn etag(version: &str) -> [(header::HeaderName, String); 1] {
    [(header::ETAG, format!("\"{version}\""))]
}

/// `GET /api/v1/sessions/{session_id}/data`: the data and its version (also the `ETag`).
#[utoipa::path(
    get,
    path = "/api/v1/sessions/{session_id}/data",
    tag = "backend",
    params(("session_id" = String, Path, description = "The session's id")),
    responses(
        (status = 200, description = "The data and its version", body = DataBody,
            headers(("ETag" = String, description = "The version"))),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn get_data(
    State(state): State<AppState>,
    Client(caller): Client,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    api_key(&state, &headers, &caller, Scope::SessionsRead, "get_data").await?;
    let session = state.service.session_by_id(&session_id(&id)?).await?;
    let version = sessiond_core::service::data_version(&session.data);
    let body = DataBody {
        version: version.clone(),
        data: session.data,
    };
    Ok((etag(&version), Json(body)).into_response())
}

/// `PATCH /api/v1/sessions/{session_id}/data`: a JSON merge patch (RFC 7396). With `If-Match`,
/// only onto that version (412 otherwise); without it, merged atomically with any other patch.
#[utoipa::path(
    patch,
    path = "/api/v1/sessions/{session_id}/data",
    tag = "backend",
    params(
        ("session_id" = String, Path, description = "The session's id"),
        ("If-Match" = Option<String>, Header, description = "Only onto this version"),
    ),
    request_body(
        description = "A JSON merge patch (RFC 7396)",
        content(
            (Object = "application/merge-patch+json"),
            (Object = "application/json"),
        ),
    ),
    responses(
        (status = 200, description = "Patched: the data and its new version", body = DataBody,
            headers(("ETag" = String, description = "The version"))),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
        (status = 409, description = "`conflict`", body = ErrorBody),
        (status = 412, description = "`precondition_failed`", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn patch_data(
    State(state): State<AppState>,
    Client(caller): Client,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<Value>,
) -> Result<Response, ApiError> {
    api_key(
        &state,
        &headers,
        &caller,
        Scope::SessionsWrite,
        "patch_data",
    )
    .await?;
    if !patch.is_object() {
        return Err(ApiError::bad_request(
            "invalid_request",
            "the patch must be a JSON object",
        ));
    }
    let if_match = headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .to_owned()
        });
    let data = state
        .service
        .patch_data(&session_id(&id)?, &patch, if_match.as_deref())
        .await?;
    let version = sessiond_core::service::data_version(&data);
    let body = DataBody {
        version: version.clone(),
        data,
    };
    Ok((etag(&version), Json(body)).into_response())
}

/// What `POST /api/v1/sessions/{session_id}/activity` takes.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityRequest {
    #[serde(rename = "type")]
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,64}$")]
    kind: String,
    details: Option<Map<String, Value>>,
}

/// `POST /api/v1/sessions/{session_id}/activity`: recorded, and it counts as activity.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{session_id}/activity",
    tag = "backend",
    params(("session_id" = String, Path, description = "The session's id")),
    request_body = ActivityRequest,
    responses(
        (status = 200, description = "Recorded; it counts as activity", body = ActivityBody),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn record_activity(
    State(state): State<AppState>,
    Client(caller): Client,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ActivityRequest>,
) -> Result<Json<ActivityBody>, ApiError> {
    let key = api_key(&state, &headers, &caller, Scope::SessionsWrite, "activity").await?;
    let session = state
        .service
        .record_activity(
            &session_id(&id)?,
            &req.kind,
            req.details.map(Value::Object),
            &key.name,
        )
        .await?;
    Ok(Json(ActivityBody {
        success: true,
        session_id: session.id.to_string(),
        idle_expires_at: session.idle_expires_at,
    }))
}
