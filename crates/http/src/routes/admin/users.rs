//! Users over the admin API: what `sessiond users` does on the command line.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use sessiond_core::service::{AdminApi, Inspect, Steer};

use super::AdminCaller;
use super::body::{AdminUserBody, AdminUserChangedBody, AdminUserListBody};
use crate::body::ErrorBody;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::fields::{ContextName, RoleName, UserRef};
use crate::routes::backend::user_not_found;
use crate::state::AppState;

/// `GET /api/admin/users`: every user, by name.
#[utoipa::path(
    get,
    path = "/api/admin/users",
    tag = "admin",
    operation_id = "admin_list_users",
    responses((status = 200, description = "Every user", body = AdminUserListBody)),
    security(("api_key" = []), ("session_cookie" = []))
)]
pub async fn list_users(
    State(state): State<AppState>,
    caller: AdminCaller,
) -> Result<Json<AdminUserListBody>, ApiError> {
    let api = caller.gate::<Inspect>(&state, "admin_list_users").await?;
    let users: Vec<AdminUserBody> = api.users().await?.into_iter().map(Into::into).collect();
    Ok(Json(AdminUserListBody {
        count: users.len(),
        users,
    }))
}

async fn changed(
    api: &AdminApi<'_, Steer>,
    username: &str,
    affected: u64,
) -> Result<Json<AdminUserChangedBody>, ApiError> {
    let user = api.user(username).await.map_err(user_not_found)?;
    Ok(Json(AdminUserChangedBody {
        user: user.into(),
        sessions_affected: affected,
    }))
}

/// `POST /api/admin/users/{user}/disable`: the user may not log in; their sessions end.
#[utoipa::path(
    post,
    path = "/api/admin/users/{user}/disable",
    tag = "admin",
    operation_id = "admin_disable_user",
    params(("user" = inline(UserRef), Path, description = "The user, by name")),
    responses(
        (status = 200, description = "Disabled; `sessions_affected` ended", body = AdminUserChangedBody),
        (status = 404, description = "`user_not_found`", body = ErrorBody),
    ),
    security(("api_key" = []), ("session_cookie" = []))
)]
pub async fn disable_user(
    State(state): State<AppState>,
    caller: AdminCaller,
    ApiPath(username): ApiPath<UserRef>,
) -> Result<Json<AdminUserChangedBody>, ApiError> {
    let api = caller.gate::<Steer>(&state, "admin_disable_user").await?;
    let ended = api
        .disable_user(username.as_str())
        .await
        .map_err(user_not_found)?;
    changed(&api, username.as_str(), ended).await
}

/// `POST /api/admin/users/{user}/enable`: the user may log in again.
#[utoipa::path(
    post,
    path = "/api/admin/users/{user}/enable",
    tag = "admin",
    operation_id = "admin_enable_user",
    params(("user" = inline(UserRef), Path, description = "The user, by name")),
    responses(
        (status = 200, description = "Enabled", body = AdminUserChangedBody),
        (status = 404, description = "`user_not_found`", body = ErrorBody),
    ),
    security(("api_key" = []), ("session_cookie" = []))
)]
pub async fn enable_user(
    State(state): State<AppState>,
    caller: AdminCaller,
    ApiPath(username): ApiPath<UserRef>,
) -> Result<Json<AdminUserChangedBody>, ApiError> {
    let api = caller.gate::<Steer>(&state, "admin_enable_user").await?;
    let user = api
        .enable_user(username.as_str())
        .await
        .map_err(user_not_found)?;
    Ok(Json(AdminUserChangedBody {
        user: user.into(),
        sessions_affected: 0,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    role: RoleName,
}

/// `PUT /api/admin/users/{user}/role`: another role; the user's sessions end.
#[utoipa::path(
    put,
    path = "/api/admin/users/{user}/role",
    tag = "admin",
    operation_id = "admin_set_role",
    params(("user" = inline(UserRef), Path, description = "The user, by name")),
    request_body = RoleRequest,
    responses(
        (status = 200, description = "Changed; `sessions_affected` ended", body = AdminUserChangedBody),
        (status = 404, description = "`user_not_found`", body = ErrorBody),
    ),
    security(("api_key" = []), ("session_cookie" = []))
)]
pub async fn set_role(
    State(state): State<AppState>,
    caller: AdminCaller,
    ApiPath(username): ApiPath<UserRef>,
    ApiJson(req): ApiJson<RoleRequest>,
) -> Result<Json<AdminUserChangedBody>, ApiError> {
    let api = caller.gate::<Steer>(&state, "admin_set_role").await?;
    let ended = api
        .set_role(username.as_str(), req.role.as_str())
        .await
        .map_err(user_not_found)?;
    changed(&api, username.as_str(), ended).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContextsRequest {
    /// The first is where new sessions start; empty: none.
    #[schema(max_items = 64)]
    contexts: Vec<ContextName>,
}

/// `PUT /api/admin/users/{user}/contexts`: the contexts the user may switch between.
#[utoipa::path(
    put,
    path = "/api/admin/users/{user}/contexts",
    tag = "admin",
    operation_id = "admin_set_contexts",
    params(("user" = inline(UserRef), Path, description = "The user, by name")),
    request_body = ContextsRequest,
    responses(
        (status = 200, description = "Changed; `sessions_affected` moved to another context", body = AdminUserChangedBody),
        (status = 400, description = "`invalid_request`: more than 64 contexts", body = ErrorBody),
        (status = 404, description = "`user_not_found`", body = ErrorBody),
    ),
    security(("api_key" = []), ("session_cookie" = []))
)]
pub async fn set_contexts(
    State(state): State<AppState>,
    caller: AdminCaller,
    ApiPath(username): ApiPath<UserRef>,
    ApiJson(req): ApiJson<ContextsRequest>,
) -> Result<Json<AdminUserChangedBody>, ApiError> {
    let api = caller.gate::<Steer>(&state, "admin_set_contexts").await?;
    if req.contexts.len() > 64 {
        return Err(ApiError::bad_request(
            "invalid_request",
            "at most 64 contexts".to_owned(),
        ));
    }
    let contexts = req
        .contexts
        .into_iter()
        .map(ContextName::into_inner)
        .collect();
    let (user, moved) = api
        .set_contexts(username.as_str(), contexts)
        .await
        .map_err(user_not_found)?;
    Ok(Json(AdminUserChangedBody {
        user: user.into(),
        sessions_affected: moved,
    }))
}
