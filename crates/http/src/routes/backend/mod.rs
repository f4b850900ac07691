//! The backend API (docs/api.md, "Backend API"): `/api/v1/...`, for an application's server,
//! authenticated by an API key (`Authorization: Bearer sk_...`), never by a cookie, so the CSRF
//! defence does not apply. Every call is audited with the key's name.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value};
use sessiond_core::service::{AppLogin, Read, Write};
use sessiond_core::{ClientInfo, EndCode, Session, SessionError, Token};

use crate::body::{
    ApiSessionBody, ApiSessionListBody, CreatedBody, ErrorBody, RevokedAllBody, RevokedBody,
    SessionBody, ValidateBody,
};
use crate::error::ApiError;
use crate::extract::{ApiCaller, ApiJson, ApiPath};
use crate::fields::{
    ContextName, DisplayName, Ip, RoleName, SessionRef, SessionToken, UserAgent, Username,
};
use crate::state::AppState;

pub mod config;
pub mod data;
pub mod revocations;

/// A token that is not one (wrong length or alphabet) finds no session.
fn no_session_unless(token: Option<Token>) -> Result<Token, ApiError> {
    token.ok_or(ApiError::NotAuthenticated(EndCode::NoSession.into()))
}

/// A missing user is `user_not_found`, not a missing session.
pub(crate) fn user_not_found(e: SessionError) -> ApiError {
    match e {
        SessionError::NotFound => ApiError::NotFound {
            code: "user_not_found",
            message: "no such user".into(),
        },
        e => e.into(),
    }
}

fn listed(s: Session) -> ApiSessionBody {
    ApiSessionBody {
        session_id: s.id.to_string(),
        user_id: s.user_id.map(|u| u.to_string()),
        username: s.username,
        display_name: s.display_name,
        role: s.role,
        auth_method: s.auth_method,
        created_at: s.created_at,
        last_activity: s.last_activity,
        idle_expires_at: s.idle_expires_at,
        absolute_expires_at: s.absolute_expires_at,
        context: s.context,
        device: s.device,
        ip: s.client.ip,
        user_agent: s.client.user_agent,
        data: s.data,
    }
}

/// What `POST /api/v1/sessions` takes.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    username: Username,
    #[serde(default)]
    create_user: bool,
    role: Option<RoleName>,
    display_name: Option<DisplayName>,
    context: Option<ContextName>,
    /// The browser's address.
    ip: Option<Ip>,
    user_agent: Option<UserAgent>,
    #[serde(default)]
    remember_me: bool,
    data: Option<Map<String, Value>>,
}

/// `POST /api/v1/sessions`: a session for a user the application authenticated.
#[utoipa::path(
    post,
    path = "/api/v1/sessions",
    tag = "backend",
    operation_id = "create_session",
    request_body = CreateRequest,
    responses(
        (status = 201, description = "Created: the token, shown once, and the session cookie", body = CreatedBody),
        (status = 400, description = "`invalid_request`: a username, context, display name, user agent or address that no other path would store", body = ErrorBody),
        (status = 403, description = "`user_disabled`, `context_not_allowed`, `user_in_directory`, `insufficient_scope` (a user or role the key may not assert)", body = ErrorBody),
        (status = 404, description = "`user_not_found`", body = ErrorBody),
        (status = 409, description = "`too_many_sessions`, `conflict`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: data over 8 KiB", body = ErrorBody),
        (status = 503, description = "`directory_unavailable`: LDAP could not be asked about a new user", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(req): ApiJson<CreateRequest>,
) -> Result<Response, ApiError> {
    let api = caller.gate::<Write>(&state, "create_session").await?;
    let login = AppLogin {
        username: req.username.into_inner(),
        create_user: req.create_user,
        role: req.role.map(RoleName::into_inner),
        display_name: req.display_name.map(DisplayName::into_inner),
        context: req.context.map(ContextName::into_inner),
        remember_me: req.remember_me,
        data: req.data,
        client: ClientInfo {
            ip: req.ip.map(Ip::into_inner),
            user_agent: req.user_agent.map(UserAgent::into_inner),
        },
    };
    let issued = api.login_for_app(login).await.map_err(user_not_found)?;
    let now = state.service.now();
    let max_age = issued
        .session
        .persistent
        .then(|| sessiond_core::time::secs_between(now, issued.session.absolute_expires_at));
    let cookie = state.cookie.issue(&issued.token, max_age);
    let status = state.service.browser().status(issued.session, now);
    let body = CreatedBody {
        token: issued.token.expose().to_owned(),
        csrf_token: state.service.browser().csrf_token(&status.session),
        user_id: status.session.user_id.map(|u| u.to_string()),
        session: SessionBody::new(&state, &status),
    };
    Ok((
        StatusCode::CREATED,
        [(header::SET_COOKIE, cookie)],
        Json(body),
    )
        .into_response())
}

/// What `POST /api/v1/sessions/validate` takes: the token in the body, never in a URL.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateRequest {
    token: SessionToken,
    #[serde(default)]
    activity: bool,
}

/// `POST /api/v1/sessions/validate`: passive unless `activity`.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/validate",
    tag = "backend",
    request_body = ValidateRequest,
    responses(
        (status = 200, description = "The session, with its user id and data", body = ValidateBody),
        (status = 401, description = "`invalid_api_key`, `no_session`, `expired_idle`, `expired_absolute`, `revoked`, `logged_out`, `evicted`", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn validate(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(req): ApiJson<ValidateRequest>,
) -> Result<Json<ValidateBody>, ApiError> {
    let token = Token::parse(req.token.as_str());
    let status = if req.activity {
        let api = caller.gate::<Write>(&state, "validate").await?;
        api.validate_with_activity(&no_session_unless(token)?)
            .await?
    } else {
        let api = caller.gate::<Read>(&state, "validate").await?;
        api.validate(&no_session_unless(token)?).await?
    };
    Ok(Json(ValidateBody {
        csrf_token: state.service.browser().csrf_token(&status.session),
        user_id: status.session.user_id.map(|u| u.to_string()),
        data: status.session.data.clone(),
        session: SessionBody::new(&state, &status),
    }))
}

/// `GET /api/v1/sessions/{session_id}`.
#[utoipa::path(
    get,
    path = "/api/v1/sessions/{session_id}",
    tag = "backend",
    params(("session_id" = inline(SessionRef), Path, description = "The session's id")),
    responses(
        (status = 200, description = "The session", body = ApiSessionBody),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn get_session(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(SessionRef(id)): ApiPath<SessionRef>,
) -> Result<Json<ApiSessionBody>, ApiError> {
    let api = caller.gate::<Read>(&state, "get_session").await?;
    let session = api.session_by_id(&id).await?;
    Ok(Json(listed(session)))
}

/// `DELETE /api/v1/sessions/{session_id}`.
#[utoipa::path(
    delete,
    path = "/api/v1/sessions/{session_id}",
    tag = "backend",
    operation_id = "backend_revoke_session",
    params(("session_id" = inline(SessionRef), Path, description = "The session's id")),
    responses(
        (status = 200, description = "Revoked", body = RevokedBody),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn revoke_session(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(SessionRef(id)): ApiPath<SessionRef>,
) -> Result<Json<RevokedBody>, ApiError> {
    let api = caller.gate::<Write>(&state, "revoke_session").await?;
    api.revoke_session_by_id(&id).await?;
    Ok(Json(RevokedBody {
        success: true,
        session_id: id.to_string(),
    }))
}

/// `GET /api/v1/users/{username}/sessions`.
#[utoipa::path(
    get,
    path = "/api/v1/users/{username}/sessions",
    tag = "backend",
    params(("username" = inline(Username), Path, description = "The user's name")),
    responses(
        (status = 200, description = "The user's sessions", body = ApiSessionListBody),
        (status = 404, description = "`user_not_found`", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn user_sessions(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(username): ApiPath<Username>,
) -> Result<Json<ApiSessionListBody>, ApiError> {
    let api = caller.gate::<Read>(&state, "user_sessions").await?;
    let sessions = api
        .sessions_of(username.as_str())
        .await
        .map_err(user_not_found)?;
    let sessions: Vec<_> = sessions.into_iter().map(listed).collect();
    Ok(Json(ApiSessionListBody {
        count: sessions.len(),
        sessions,
    }))
}

/// `DELETE /api/v1/users/{username}/sessions`.
#[utoipa::path(
    delete,
    path = "/api/v1/users/{username}/sessions",
    tag = "backend",
    params(("username" = inline(Username), Path, description = "The user's name")),
    responses(
        (status = 200, description = "Every session of the user ended", body = RevokedAllBody),
        (status = 404, description = "`user_not_found`", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn revoke_user_sessions(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(username): ApiPath<Username>,
) -> Result<Json<RevokedAllBody>, ApiError> {
    let api = caller.gate::<Write>(&state, "revoke_user_sessions").await?;
    let ended = api
        .revoke_sessions_of(username.as_str())
        .await
        .map_err(user_not_found)?;
    Ok(Json(RevokedAllBody {
        success: true,
        ended_sessions: ended,
    }))
}
