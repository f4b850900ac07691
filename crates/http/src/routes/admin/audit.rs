//! The audit trail over the admin API: a filtered, keyset-paged read, and the chain's status.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use sessiond_core::Timestamp;
use sessiond_core::audit::{AuditEvent, AuditKind, AuditQuery};
use sessiond_core::service::Inspect;
use utoipa::ToSchema;

use super::{AdminCaller, StrictQuery};
use crate::body::ErrorBody;
use crate::error::ApiError;
use crate::fields::{SessionRef, UserRef};
use crate::state::AppState;

/// One audit record.
#[derive(Serialize, ToSchema)]
pub struct AuditEventBody {
    /// Its place in the hash chain: a page's last one is the next page's `cursor`.
    pub seq: Option<u64>,
    pub at: Timestamp,
    pub event_type: String,
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub session_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<AuditEvent> for AuditEventBody {
    fn from(e: AuditEvent) -> Self {
        Self {
            seq: e.seq,
            at: e.at,
            event_type: e.event_type,
            user_id: e.user_id.map(|u| u.to_string()),
            username: e.username,
            session_id: e.session_id.map(|s| s.to_string()),
            ip: e.ip,
            user_agent: e.user_agent,
            details: e.details,
        }
    }
}

/// `GET /api/admin/audit`.
#[derive(Serialize, ToSchema)]
pub struct AuditPageBody {
    pub events: Vec<AuditEventBody>,
    /// The `cursor` of the next page; `null` at the end.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// Only records about this user.
    user: Option<UserRef>,
    /// Only records about this session.
    #[param(value_type = Option<SessionRef>, inline)]
    session_id: Option<SessionRef>,
    /// Only records of this type (`SESSION_EXPIRED` finds both timeouts).
    #[param(pattern = "^[A-Za-z_]{1,64}$")]
    r#type: Option<String>,
    /// At or after (RFC 3339).
    since: Option<Timestamp>,
    /// Before (RFC 3339).
    until: Option<Timestamp>,
    /// A previous page's `next_cursor`.
    #[param(pattern = "^[0-9]{1,19}$")]
    cursor: Option<String>,
    /// At most this many; absent: 100.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// `GET /api/admin/audit`: the audit trail, newest stored first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/admin/audit",
    tag = "admin",
    operation_id = "admin_audit",
    params(AuditParams),
    responses(
        (status = 200, description = "A page of records", body = AuditPageBody),
        (status = 400, description = "`invalid_request`", body = ErrorBody),
    ),
    security(("api_key" = []), ("session_cookie" = []))
)]
pub async fn audit(
    State(state): State<AppState>,
    caller: AdminCaller,
    query: Result<StrictQuery<AuditParams>, ApiError>,
) -> Result<Json<AuditPageBody>, ApiError> {
    let api = caller.gate::<Inspect>(&state, "admin_audit").await?;
    let StrictQuery(q) = query?;
    let invalid = |m: &str| ApiError::bad_request("invalid_request", m.to_owned());
    let (before_seq, limit) = super::seq_page(q.cursor.as_deref(), q.limit)?;
    let event_type = match q.r#type {
        Some(t)
            if t.is_empty()
                || t.len() > 64
                || !t.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_') =>
        {
            return Err(invalid("type must be an event type's name"));
        }
        Some(t) => AuditKind::matching(&t),
        None => Vec::new(),
    };
    let query = AuditQuery {
        username: q.user.map(UserRef::into_inner),
        session_id: q.session_id.map(|s| s.0),
        since: q.since,
        until: q.until,
        before_seq,
        event_types: event_type,
        limit,
    };
    let events = api.audit(query).await?;
    let next_cursor = (events.len() == limit as usize)
        .then(|| events.last().and_then(|e| e.seq))
        .flatten()
        .map(|s| s.to_string());
    Ok(Json(AuditPageBody {
        events: events.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// `GET /api/admin/audit/verify`: whether the chain is whole.
#[derive(Serialize, ToSchema)]
pub struct ChainStatusBody {
    /// Every record the retention keeps is there, linked and unchanged.
    pub intact: bool,
    /// How many records were checked.
    pub records: u64,
    /// The newest record's place and hash: keep it outside the store as an anchor.
    pub head: Option<String>,
    /// What is wrong, when it is not intact.
    pub problem: Option<String>,
}

/// `GET /api/admin/audit/verify`: walks the whole chain (`sessiond audit verify` without
/// anchors); it reads every record, so ask it now and then, not on every page view.
#[utoipa::path(
    get,
    path = "/api/admin/audit/verify",
    tag = "admin",
    operation_id = "admin_audit_verify",
    responses((status = 200, description = "The chain's status", body = ChainStatusBody)),
    security(("api_key" = []), ("session_cookie" = []))
)]
pub async fn verify(
    State(state): State<AppState>,
    caller: AdminCaller,
) -> Result<Json<ChainStatusBody>, ApiError> {
    let api = caller.gate::<Inspect>(&state, "admin_audit_verify").await?;
    Ok(Json(match api.verify_audit().await? {
        Ok(v) => ChainStatusBody {
            intact: true,
            records: v.records,
            head: Some(v.head.to_string()),
            problem: None,
        },
        Err(e) => ChainStatusBody {
            intact: false,
            records: 0,
            head: None,
            problem: Some(e.to_string()),
        },
    }))
}
