//! The sessions over the admin API: search in keyset pages, one in full, revocations.

use std::net::IpAddr;

use axum::Json;
use axum::extract::State;
use ipnet::IpNet;
use serde::Deserialize;
use sessiond_core::service::{Inspect, MAX_BULK, MAX_PAGE, Steer};
use sessiond_core::store::{ListKey, SessionFilter, StateFilter};
use sessiond_core::{SessionState, Timestamp};

use super::body::{
    AdminRevokedBody, AdminRevokedCountBody, AdminSessionBody, AdminSessionDetailBody,
    AdminSessionListBody, BulkRevokedBody,
};
use super::{AdminCaller, StrictQuery};
use crate::body::ErrorBody;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::fields::{ContextName, Reason, RoleName, SessionRef, UserRef};
use crate::routes::backend::user_not_found;
use crate::state::AppState;

/// The states a search may ask for.
#[derive(Deserialize, utoipa::ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum StateParam {
    /// Live: active and before both deadlines.
    Active,
    /// Every ended one (or past a deadline).
    Ended,
    Expired,
    LoggedOut,
    Revoked,
    Evicted,
}

impl From<StateParam> for StateFilter {
    fn from(s: StateParam) -> Self {
        match s {
            StateParam::Active => Self::Live,
            StateParam::Ended => Self::Ended,
            StateParam::Expired => Self::Is(SessionState::Expired),
            StateParam::LoggedOut => Self::Is(SessionState::LoggedOut),
            StateParam::Revoked => Self::Is(SessionState::Revoked),
            StateParam::Evicted => Self::Is(SessionState::Evicted),
        }
    }
}

/// An address, or a network in CIDR form.
pub struct Network;

impl utoipa::PartialSchema for Network {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type,
        };
        let format = |f| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(f)))
        };
        OneOfBuilder::new()
            .item(format(KnownFormat::Ipv4))
            .item(format(KnownFormat::Ipv6))
            .item(ObjectBuilder::new().schema_type(Type::String).pattern(Some(
                r"^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])/(3[0-2]|[12]?[0-9])$",
            )))
            .into()
    }
}

impl utoipa::ToSchema for Network {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Network")
    }
}

/// A page's cursor: a previous page's `next_cursor`.
pub struct Cursor;

impl utoipa::PartialSchema for Cursor {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(
                r"^-?[0-9]{1,15}\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Cursor {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("SessionListCursor")
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this user's sessions.
    user: Option<UserRef>,
    /// Only sessions in this state.
    #[param(inline)]
    state: Option<StateParam>,
    /// Only sessions from this address or network.
    #[param(value_type = Option<Network>, inline)]
    ip: Option<String>,
    context: Option<ContextName>,
    role: Option<RoleName>,
    /// Created at or after (RFC 3339).
    created_after: Option<Timestamp>,
    /// Created before (RFC 3339).
    created_before: Option<Timestamp>,
    /// Last active at or after (RFC 3339).
    active_after: Option<Timestamp>,
    /// Last active before (RFC 3339).
    active_before: Option<Timestamp>,
    /// A previous page's `next_cursor`; absent: from the newest.
    #[param(value_type = Option<Cursor>, inline)]
    cursor: Option<String>,
    /// At most this many; absent: 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

fn network(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
        .map(|n| n.trunc())
}

/// `GET /api/admin/sessions`: search every session, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/admin/sessions",
    tag = "admin",
    operation_id = "admin_list_sessions",
    params(ListQuery),
    responses(
        (status = 200, description = "A page, and the cursor of the next", body = AdminSessionListBody),
        (status = 400, description = "`invalid_request`: a parameter out of its range or form", body = ErrorBody),
        (status = 404, description = "`user_not_found`", body = ErrorBody),
    ),
    security(("api_key" = []), ("session_cookie" = []))
)]
pub async fn list_sessions(
    State(state): State<AppState>,
    caller: AdminCaller,
    query: Result<StrictQuery<ListQuery>, ApiError>,
) -> Result<Json<AdminSessionListBody>, ApiError> {
    let api = caller
        .gate::<Inspect>(&state, "admin_list_sessions")
        .await?;
    let StrictQuery(q) = query?;
    let invalid = |m: &str| ApiError::bad_request("invalid_request", m.to_owned());
    if let Some(role) = &q.role
        && !state
            .service
            .settings()
            .roles
            .iter()
            .any(|r| r == role.as_str())
    {
        return Err(invalid("role must be one of SESSION_ROLES"));
    }
    let user = match q.user {
        Some(name) => Some(api.user(name.as_str()).await.map_err(user_not_found)?.id),
        None => None,
    };
    let network = match q.ip.as_deref() {
        Some(text) => Some(
            network(text)
                .ok_or_else(|| invalid("ip must be an address or a network in CIDR form"))?,
        ),
        None => None,
    };
    let before = match q.cursor.as_deref() {
        Some(text) => Some(
            ListKey::decode(text)
                .ok_or_else(|| invalid("cursor must be a previous page's next_cursor"))?,
        ),
        None => None,
    };
    let filter = SessionFilter {
        user,
        state: q.state.map_or(StateFilter::Any, StateFilter::from),
        network,
        context: q.context.map(ContextName::into_inner),
        role: q.role.map(RoleName::into_inner),
        created_from: q.created_after,
        created_until: q.created_before,
        active_from: q.active_after,
        active_until: q.active_before,
        ..SessionFilter::default()
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(invalid("limit must be 1 to 500"));
    }
    let page = api.sessions(filter, before, limit).await?;
    let now = state.service.now();
    Ok(Json(AdminSessionListBody {
        sessions: page
            .sessions
            .into_iter()
            .map(|s| AdminSessionBody::new(s, now))
            .collect(),
        next_cursor: page.next.map(|k| k.encode()),
    }))
}

/// `GET /api/admin/sessions/{session_id}`: one session in full.
#[utoipa::path(
    get,
    path = "/api/admin/sessions/{session_id}",
    tag = "admin",
    operation_id = "admin_get_session",
    params(("session_id" = inline(SessionRef), Path, description = "Any session, live or ended")),
    responses(
        (status = 200, description = "The session", body = AdminSessionDetailBody),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
    ),
    security(("api_key" = []), ("session_cookie" = []))
)]
pub async fn get_session(
    State(state): State<AppState>,
    caller: AdminCaller,
    ApiPath(SessionRef(id)): ApiPath<SessionRef>,
) -> Result<Json<AdminSessionDetailBody>, ApiError> {
    let api = caller.gate::<Inspect>(&state, "admin_get_session").await?;
    let detail = api.session(&id).await?;
    Ok(Json(AdminSessionDetailBody::new(
        detail,
        state.service.now(),
    )))
}

/// What a revocation may say of itself.
#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// Why: kept with the session and in the audit trail.
    reason: Option<Reason>,
}

/// `POST /api/admin/sessions/{session_id}/revoke`: ends one session, noting who and why.
#[utoipa::path(
    post,
    path = "/api/admin/sessions/{session_id}/revoke",
    tag = "admin",
    operation_id = "admin_revoke_session",
    params(("session_id" = inline(SessionRef), Path, description = "Any session")),
    request_body = RevokeRequest,
    responses(
        (status = 200, description = "Revoked, or ended already", body = AdminRevokedBody),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
    ),
    security(("api_key" = []), ("session_cookie" = []))
)]
pub async fn revoke_session(
    State(state): State<AppState>,
    caller: AdminCaller,
    ApiPath(SessionRef(id)): ApiPath<SessionRef>,
    ApiJson(req): ApiJson<RevokeRequest>,
) -> Result<Json<AdminRevokedBody>, ApiError> {
    let api = caller.gate::<Steer>(&state, "admin_revoke_session").await?;
    let reason = req.reason.as_ref().map(Reason::as_str);
    let revoked = api.revoke_session(&id, reason).await?;
    Ok(Json(AdminRevokedBody {
        session_id: id.to_string(),
        revoked,
    }))
}

/// The largest body of a bulk revocation: 500 ids, 500 names of 256 characters of up to four
/// bytes each, and the longest reason. Only this route takes it, and only a key's or a
/// superadmin's call does anything with it.
pub const BULK_BODY_BYTES: usize = 640 * 1024;

/// What a bulk revocation takes: at most 500 session ids and 500 usernames.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRevokeRequest {
    #[serde(default)]
    #[schema(max_items = 500)]
    session_ids: Vec<SessionRef>,
    #[serde(default)]
    #[schema(max_items = 500)]
    usernames: Vec<UserRef>,
    reason: Option<Reason>,
}

/// `POST /api/admin/sessions/revoke`: ends the sessions named and every live session of the
/// users named, and says what was done with each.
#[utoipa::path(
    post,
    path = "/api/admin/sessions/revoke",
    tag = "admin",
    operation_id = "admin_revoke_sessions",
    request_body = BulkRevokeRequest,
    responses(
        (status = 200, description = "What was done with each", body = BulkRevokedBody),
        (status = 400, description = "`invalid_request`: more than 500 ids and users", body = ErrorBody),
    ),
    security(("api_key" = []), ("session_cookie" = []))
)]
pub async fn revoke_sessions(
    State(state): State<AppState>,
    caller: AdminCaller,
    ApiJson(req): ApiJson<BulkRevokeRequest>,
) -> Result<Json<BulkRevokedBody>, ApiError> {
    let api = caller
        .gate::<Steer>(&state, "admin_revoke_sessions")
        .await?;
    if req.session_ids.len().max(req.usernames.len()) > MAX_BULK {
        return Err(ApiError::bad_request(
            "invalid_request",
            format!("at most {MAX_BULK} session ids and {MAX_BULK} usernames"),
        ));
    }
    let ids: Vec<_> = req.session_ids.iter().map(|r| r.0).collect();
    let users: Vec<String> = req.usernames.into_iter().map(UserRef::into_inner).collect();
    let reason = req.reason.as_ref().map(Reason::as_str);
    let done = api.revoke_many(&ids, &users, reason).await?;
    Ok(Json(BulkRevokedBody {
        revoked: done.revoked,
        already_ended: done.already_ended,
        not_found: done.not_found,
    }))
}

/// `POST /api/admin/users/{user}/revoke`: ends every live session of one user.
#[utoipa::path(
    post,
    path = "/api/admin/users/{user}/revoke",
    tag = "admin",
    operation_id = "admin_revoke_user_sessions",
    params(("user" = inline(UserRef), Path, description = "The user, by name")),
    request_body = RevokeRequest,
    responses(
        (status = 200, description = "How many ended", body = AdminRevokedCountBody),
        (status = 404, description = "`user_not_found`", body = ErrorBody),
    ),
    security(("api_key" = []), ("session_cookie" = []))
)]
pub async fn revoke_user_sessions(
    State(state): State<AppState>,
    caller: AdminCaller,
    ApiPath(username): ApiPath<UserRef>,
    ApiJson(req): ApiJson<RevokeRequest>,
) -> Result<Json<AdminRevokedCountBody>, ApiError> {
    let api = caller
        .gate::<Steer>(&state, "admin_revoke_user_sessions")
        .await?;
    let reason = req.reason.as_ref().map(Reason::as_str);
    let revoked = api
        .revoke_user(username.as_str(), reason)
        .await
        .map_err(user_not_found)?;
    Ok(Json(AdminRevokedCountBody { revoked }))
}
