//! The backend API's session data (a JSON merge patch, versioned) and activities (seed 002).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value};
use sessiond_core::service::{Read, Write};

use crate::body::{ActivityBody, DataBody, ErrorBody};
use crate::error::ApiError;
use crate::extract::{ApiCaller, ApiJson, ApiPath};
use crate::fields::{ActivityType, SessionRef};
use crate::state::AppState;

fn etag(version: &str) -> [(header::HeaderName, String); 1] {
    [(header::ETAG, format!("\"{version}\""))]
}

/// `GET /api/v1/sessions/{session_id}/data`: the data and its version (also the `ETag`).
#[utoipa::path(
    get,
    path = "/api/v1/sessions/{session_id}/data",
    tag = "backend",
    params(("session_id" = inline(SessionRef), Path, description = "The session's id")),
    responses(
        (status = 200, description = "The data and its version", body = DataBody,
            headers(("ETag" = String, description = "The version"))),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn get_data(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(SessionRef(id)): ApiPath<SessionRef>,
) -> Result<Response, ApiError> {
    let api = caller.gate::<Read>(&state, "get_data").await?;
    let session = api.session_by_id(&id).await?;
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
        ("session_id" = inline(SessionRef), Path, description = "The session's id"),
        ("If-Match" = Option<String>, Header, nullable = false, pattern = r#"^(\*|(W/)?"[0-9a-f]{16}"|[0-9a-f]{16})$"#,
            description = "Only onto this version (`\"<version>\"`, as `ETag` gives it, or the bare \
                version); `*` is any version"),
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
    caller: ApiCaller,
    headers: HeaderMap,
    ApiPath(SessionRef(id)): ApiPath<SessionRef>,
    ApiJson(patch): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let api = caller.gate::<Write>(&state, "patch_data").await?;
    let if_match = if_match(&headers)?;
    let data = api
        .patch_data(&id, &Value::Object(patch), if_match.as_deref())
        .await?;
    let version = sessiond_core::service::data_version(&data);
    let body = DataBody {
        version: version.clone(),
        data,
    };
    Ok((etag(&version), Json(body)).into_response())
}

/// The version `If-Match` names: none when it is absent or `*`; a 400 when it is not a
/// version, quoted as an entity-tag (RFC 9110; weak or strong alike, as a version names the
/// data exactly) or bare, as the body's `version` gives it.
fn if_match(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or_default().trim();
    if value == "*" {
        return Ok(None);
    }
    let unquoted = value.strip_prefix("W/").unwrap_or(value);
    let version = unquoted
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or((unquoted == value).then_some(value))
        .filter(|v| v.len() == 16 && v.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    match version {
        Some(v) => Ok(Some(v.to_owned())),
        None => Err(ApiError::bad_request(
            "invalid_request",
            "If-Match is a version, in quotes as ETag gives it or bare, or *",
        )),
    }
}

/// What `POST /api/v1/sessions/{session_id}/activity` and `POST /api/session/activity` take.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityRequest {
    #[serde(rename = "type")]
    pub(crate) kind: ActivityType,
    pub(crate) details: Option<Map<String, Value>>,
}

/// `POST /api/v1/sessions/{session_id}/activity`: recorded, and it counts as activity.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{session_id}/activity",
    tag = "backend",
    params(("session_id" = inline(SessionRef), Path, description = "The session's id")),
    request_body = ActivityRequest,
    responses(
        (status = 200, description = "Recorded; it counts as activity", body = ActivityBody),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn record_activity(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(SessionRef(id)): ApiPath<SessionRef>,
    ApiJson(req): ApiJson<ActivityRequest>,
) -> Result<Json<ActivityBody>, ApiError> {
    let api = caller.gate::<Write>(&state, "activity").await?;
    let activity = api
        .record_activity(&id, req.kind.as_str(), req.details.map(Value::Object))
        .await?;
    Ok(Json(ActivityBody::new(&activity)))
}
