//! A session's timeline (seed 002's debug view): what happened to it, in time order, paged
//! back from the newest. The admin API shows any session's; the backend API the sessions its
//! key may read.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use sessiond_core::service::{Inspect, Read, Timeline};
use utoipa::ToSchema;

use super::audit::AuditEventBody;
use super::body::AdminSessionBody;
use super::{AdminCaller, StrictQuery};
use crate::body::ErrorBody;
use crate::error::ApiError;
use crate::extract::{ApiCaller, ApiPath};
use crate::fields::SessionRef;
use crate::state::AppState;

/// A session and one page of its timeline.
#[derive(Serialize, ToSchema)]
pub struct TimelineBody {
    pub session: AdminSessionBody,
    /// From its start to its end, or to now while it lives.
    pub duration_seconds: i64,
    /// Oldest first: the page's records (audit events, activities, `REQUEST_FAILED` errors).
    pub events: Vec<AuditEventBody>,
    /// The `cursor` of the page of older records; `null` when this page reaches the start.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TimelineParams {
    /// A previous page's `next_cursor`: the records before it.
    #[param(pattern = "^[0-9]{1,19}$")]
    cursor: Option<String>,
    /// At most this many; absent: 100.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

fn page(
    query: Result<StrictQuery<TimelineParams>, ApiError>,
) -> Result<(Option<u64>, u32), ApiError> {
    let StrictQuery(q) = query?;
    super::seq_page(q.cursor.as_deref(), q.limit)
}

fn body(t: Timeline, now: sessiond_core::Timestamp) -> TimelineBody {
    let end = t.session.ended_at.unwrap_or(now);
    TimelineBody {
        duration_seconds: sessiond_core::time::secs_between(t.session.created_at, end).max(0),
        session: AdminSessionBody::new(t.session, now),
        events: t.events.into_iter().map(Into::into).collect(),
        next_cursor: t.older.map(|s| s.to_string()),
    }
}

/// `GET /api/admin/sessions/{session_id}/timeline`.
#[utoipa::path(
    get,
    path = "/api/admin/sessions/{session_id}/timeline",
    tag = "admin",
    operation_id = "admin_session_timeline",
    params(("session_id" = inline(SessionRef), Path, description = "Any session"), TimelineParams),
    responses(
        (status = 200, description = "The session and a page of its timeline", body = TimelineBody),
        (status = 400, description = "`invalid_request`", body = ErrorBody),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
    ),
    security(("api_key" = []), ("session_cookie" = []))
)]
pub async fn admin_timeline(
    State(state): State<AppState>,
    caller: AdminCaller,
    ApiPath(SessionRef(id)): ApiPath<SessionRef>,
    query: Result<StrictQuery<TimelineParams>, ApiError>,
) -> Result<Json<TimelineBody>, ApiError> {
    let api = caller
        .gate::<Inspect>(&state, "admin_session_timeline")
        .await?;
    let (before, limit) = page(query)?;
    let timeline = api.timeline(&id, before, limit).await?;
    Ok(Json(body(timeline, state.service.now())))
}

/// `GET /api/v1/sessions/{session_id}/timeline`.
#[utoipa::path(
    get,
    path = "/api/v1/sessions/{session_id}/timeline",
    tag = "backend",
    operation_id = "session_timeline",
    params(("session_id" = inline(SessionRef), Path, description = "A session"), TimelineParams),
    responses(
        (status = 200, description = "The session and a page of its timeline", body = TimelineBody),
        (status = 400, description = "`invalid_request`", body = ErrorBody),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn backend_timeline(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(SessionRef(id)): ApiPath<SessionRef>,
    query: Result<StrictQuery<TimelineParams>, ApiError>,
) -> Result<Json<TimelineBody>, ApiError> {
    let api = caller.gate::<Read>(&state, "session_timeline").await?;
    let (before, limit) = page(query)?;
    let timeline = api.timeline(&id, before, limit).await?;
    Ok(Json(body(timeline, state.service.now())))
}
