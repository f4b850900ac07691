//! The browser-side session API (docs/api.md), cookie-authenticated, with seed-compatible fields.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sessiond_core::service::Issued;
use sessiond_core::time::secs_between;

pub use crate::body::SessionBody;
use crate::body::{
    AnonymousBody, CheckBody, ContextBody, ErrorBody, IssuedBody, KeepaliveBody, RevokeBody,
    SessionListBody, SessionListItem,
};
use crate::error::ApiError;
use crate::extract::{
    ApiJson, ApiPath, Client, DeviceCookie, SessionAuth, SessionCookie, SessionCookies,
};
use crate::fields::{ContextName, Password, SessionRef, Username};
use crate::state::AppState;

const X_CSRF_TOKEN: HeaderName = HeaderName::from_static("x-csrf-token");

/// The `X-CSRF-Token` header, sent with every response that issues or rotates the token (whose
/// body carries it as `csrf_token` too).
fn with_csrf(headers: &mut HeaderMap, csrf: &str) {
    if let Ok(v) = HeaderValue::from_str(csrf) {
        headers.insert(X_CSRF_TOKEN, v);
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    username: Username,
    password: Password,
    #[serde(default)]
    remember_me: bool,
}

#[utoipa::path(
    post,
    path = "/api/session/login",
    tag = "browser",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in: the session cookie is set", body = IssuedBody),
        (status = 401, description = "`invalid_credentials`", body = ErrorBody),
        (status = 409, description = "`too_many_sessions`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`server_busy`, `directory_unavailable`", body = ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    SessionCookies(mut existing): SessionCookies,
    DeviceCookie(device): DeviceCookie,
    Client(client): Client,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    // One cookie is the browser's previous session, which the login replaces. Beside a tossed
    // cookie there is no telling which is the browser's: the login starts afresh, and once it
    // has succeeded it ends the sessions both named (`clear_tossed` clears the cookies).
    let previous = (existing.len() == 1).then(|| existing.remove(0));
    let service = state.service.clone();
    let issued = to_completion(async move {
        let issued = service
            .browser()
            .login(
                req.username.as_str(),
                req.password.as_str(),
                req.remember_me,
                &client,
                previous.as_ref(),
                device.as_deref(),
            )
            .await?;
        for token in &existing {
            service.browser().logout(Some(token)).await?;
        }
        Ok::<_, sessiond_core::SessionError>(issued)
    })
    .await?;
    issued_response(&state, issued)
}

/// Runs a login to its end even if the client hangs up: the attempt took its place in the
/// account's lockout count before its password was checked, and only its outcome gives that
/// place back (a dropped request would otherwise hold it until the count is forgotten).
pub(crate) async fn to_completion<T, E>(
    login: impl Future<Output = Result<T, E>> + Send + 'static,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    use tracing::Instrument as _;
    match tokio::spawn(login.in_current_span()).await {
        Ok(result) => result.map_err(Into::into),
        Err(e) => {
            tracing::error!(error = %e, "a login task failed");
            Err(ApiError::Internal)
        }
    }
}

/// A password-like field: present, and not large enough to make hashing it a burden.
/// The answer to anything that issues a new session (login, re-authentication, password
/// change): the cookie, the session info and its CSRF token.
pub(crate) fn issued_response(state: &AppState, issued: Issued) -> Result<Response, ApiError> {
    let now = state.service.now();
    let max_age = issued
        .session
        .persistent
        .then(|| secs_between(now, issued.session.absolute_expires_at));
    let csrf = state.service.browser().csrf_token(&issued.session);
    let status = state.service.browser().status(issued.session, now);
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        state.cookie.issue(&issued.token, max_age),
    );
    if let Some(device) = &issued.device {
        let lifetime = state.service.settings().device_cookie_secs;
        headers.append(
            header::SET_COOKIE,
            state.cookie.issue_device(device, lifetime),
        );
    }
    with_csrf(&mut headers, &csrf);
    let body = IssuedBody {
        success: true,
        session: SessionBody::new(state, &status),
        csrf_token: csrf,
    };
    Ok((headers, Json(body)).into_response())
}

/// Passive: reads the session, never extends it.
#[utoipa::path(
    get,
    path = "/api/session/check",
    tag = "browser",
    responses(
        (status = 200, description = "The session, read without extending it", body = CheckBody),
        (status = 401, description = "`no_session`, `expired_idle`, `expired_absolute`, `revoked`, `logged_out`, `evicted`, `invalid_token`, `ambiguous_session_cookie`", body = ErrorBody),
    ),
    security(("session_cookie" = []), ("access_token" = []))
)]
pub async fn check(
    State(state): State<AppState>,
    auth: SessionAuth,
    Client(client): Client,
) -> Result<Json<CheckBody>, ApiError> {
    let status = state
        .service
        .browser()
        .check(auth.presented(), &client)
        .await?;
    Ok(Json(CheckBody {
        session: SessionBody::new(&state, &status),
        // A page that was reloaded learns its CSRF token here (same-origin reads only).
        csrf_token: state.service.browser().csrf_token(&status.session),
    }))
}

/// `POST /api/session/check`: the same passive check, for clients that poll with POST (seed
/// 000's did). A handler of its own only so that the document names it `check_post`.
#[utoipa::path(
    post,
    path = "/api/session/check",
    tag = "browser",
    responses(
        (status = 200, description = "The session, read without extending it", body = CheckBody),
        (status = 401, description = "`no_session`, `expired_idle`, `expired_absolute`, `revoked`, `logged_out`, `evicted`, `invalid_token`, `ambiguous_session_cookie`", body = ErrorBody),
    ),
    security(("session_cookie" = []), ("access_token" = []))
)]
pub async fn check_post(
    state: State<AppState>,
    auth: SessionAuth,
    client: Client,
) -> Result<Json<CheckBody>, ApiError> {
    check(state, auth, client).await
}

#[utoipa::path(
    post,
    path = "/api/session/keepalive",
    tag = "browser",
    responses(
        (status = 200, description = "Extended; renewed when `rotated`", body = KeepaliveBody),
        (status = 401, description = "`no_session`, `expired_idle`, `expired_absolute`, `revoked`, `logged_out`, `evicted`, `invalid_token`, `ambiguous_session_cookie`", body = ErrorBody),
    ),
    security(("session_cookie" = []), ("access_token" = []))
)]
pub async fn keepalive(
    State(state): State<AppState>,
    auth: SessionAuth,
    Client(client): Client,
) -> Result<Response, ApiError> {
    let activity = state
        .service
        .browser()
        .keepalive(auth.presented(), &client)
        .await?;
    let mut headers = HeaderMap::new();
    let mut csrf_token = None;
    if let Some(token) = &activity.new_token {
        let s = &activity.status.session;
        let max_age = s
            .persistent
            .then(|| secs_between(state.service.now(), s.absolute_expires_at));
        headers.insert(header::SET_COOKIE, state.cookie.issue(token, max_age));
        let csrf = state.service.browser().csrf_token(s);
        with_csrf(&mut headers, &csrf);
        csrf_token = Some(csrf);
    }
    let body = KeepaliveBody {
        success: true,
        message: if activity.extended {
            "Session extended successfully"
        } else {
            "Session active; its deadline was extended moments ago"
        }
        .into(),
        extended: activity.extended,
        timeout_minutes: state.service.timeouts().idle_secs / 60,
        rotated: activity.new_token.is_some(),
        session: SessionBody::new(&state, &activity.status),
        csrf_token,
    };
    Ok((headers, Json(body)).into_response())
}

#[utoipa::path(
    get,
    path = "/api/session/sessions",
    tag = "browser",
    responses(
        (status = 200, description = "The user's sessions", body = SessionListBody),
        (status = 401, description = "`no_session`, `expired_idle`, `expired_absolute`, `revoked`, `logged_out`, `evicted`, `invalid_token`, `ambiguous_session_cookie`", body = ErrorBody),
    ),
    security(("session_cookie" = []), ("access_token" = []))
)]
pub async fn list_sessions(
    State(state): State<AppState>,
    auth: SessionAuth,
) -> Result<Json<SessionListBody>, ApiError> {
    let (current, sessions) = state
        .service
        .browser()
        .list_sessions(auth.presented())
        .await?;
    let items: Vec<SessionListItem> = sessions
        .into_iter()
        .map(|s| SessionListItem {
            current: s.id == current,
            session_id: s.id.to_string(),
            device: s.device,
            ip: s.client.ip,
            user_agent: s.client.user_agent,
            created_at: s.created_at,
            last_activity: s.last_activity,
            idle_expires_at: s.idle_expires_at,
            absolute_expires_at: s.absolute_expires_at,
            context: s.context,
        })
        .collect();
    Ok(Json(SessionListBody {
        count: items.len(),
        sessions: items,
    }))
}

#[utoipa::path(
    delete,
    path = "/api/session/sessions/{session_id}",
    tag = "browser",
    params(("session_id" = inline(SessionRef), Path, description = "One of the user's sessions")),
    responses(
        (status = 200, description = "Revoked", body = RevokeBody),
        (status = 401, description = "`no_session`, `expired_idle`, `expired_absolute`, `revoked`, `logged_out`, `evicted`, `invalid_token`, `ambiguous_session_cookie`", body = ErrorBody),
        (status = 403, description = "`reauth_required`", body = ErrorBody),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
    ),
    security(("session_cookie" = []), ("access_token" = []))
)]
pub async fn revoke_session(
    State(state): State<AppState>,
    auth: SessionAuth,
    ApiPath(SessionRef(id)): ApiPath<SessionRef>,
) -> Result<Response, ApiError> {
    let was_current = state
        .service
        .browser()
        .revoke_own(auth.presented(), &id)
        .await?;
    let body = RevokeBody {
        success: true,
        session_id: id.to_string(),
        current: was_current,
    };
    if was_current && !auth.is_bearer() {
        return Ok(([(header::SET_COOKIE, state.cookie.clear())], Json(body)).into_response());
    }
    Ok(Json(body).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContextRequest {
    context: ContextName,
}

/// `PUT /api/session/context`: switches the session's active platform context.
#[utoipa::path(
    put,
    path = "/api/session/context",
    tag = "browser",
    request_body = ContextRequest,
    responses(
        (status = 200, description = "Switched", body = ContextBody),
        (status = 401, description = "`no_session`, `expired_idle`, `expired_absolute`, `revoked`, `logged_out`, `evicted`, `invalid_token`, `ambiguous_session_cookie`", body = ErrorBody),
        (status = 403, description = "`context_not_allowed`", body = ErrorBody),
        (status = 409, description = "`conflict`", body = ErrorBody),
    ),
    security(("session_cookie" = []), ("access_token" = []))
)]
pub async fn switch_context(
    State(state): State<AppState>,
    auth: SessionAuth,
    Client(client): Client,
    ApiJson(req): ApiJson<ContextRequest>,
) -> Result<Json<ContextBody>, ApiError> {
    let status = state
        .service
        .browser()
        .switch_context(auth.presented(), req.context.as_str(), &client)
        .await?;
    Ok(Json(ContextBody {
        success: true,
        session: SessionBody::new(&state, &status),
    }))
}

/// `POST /api/session/anonymous` (`SESSION_FEATURE_ANONYMOUS_SESSIONS`): a session for a visitor
/// who has not logged in, or the browser's current one. Logging in later upgrades it.
#[utoipa::path(
    post,
    path = "/api/session/anonymous",
    tag = "browser",
    responses(
        (status = 200, description = "The visitor's session, new or current", body = AnonymousBody),
        (status = 401, description = "`ambiguous_session_cookie`", body = ErrorBody),
    ),
    security((), ("session_cookie" = []))
)]
pub async fn anonymous(
    State(state): State<AppState>,
    SessionCookie(existing): SessionCookie,
    Client(client): Client,
) -> Result<Response, ApiError> {
    let (session, token) = state
        .service
        .browser()
        .start_anonymous(existing.as_ref(), &client)
        .await?;
    let csrf = state.service.browser().csrf_token(&session);
    let status = state.service.browser().status(session, state.service.now());
    let mut headers = HeaderMap::new();
    if let Some(token) = &token {
        headers.insert(header::SET_COOKIE, state.cookie.issue(token, None));
    }
    with_csrf(&mut headers, &csrf);
    let body = AnonymousBody {
        success: true,
        anonymous: status.session.user_id.is_none(),
        session: SessionBody::new(&state, &status),
        csrf_token: csrf,
    };
    Ok((headers, Json(body)).into_response())
}
