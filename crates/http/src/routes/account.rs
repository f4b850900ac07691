//! Re-authentication and the user's own password change (docs/security.md rows 16, 34, 35, 37).

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use sessiond_core::SessionError;

use super::session::{issued_response, to_completion};
use crate::body::{ErrorBody, IssuedBody};
use crate::error::ApiError;
use crate::extract::{ApiJson, Client, DeviceCookie, SessionCookie};
use crate::fields::{CurrentPassword, NewPassword, Password};
use crate::state::AppState;

/// A wrong password here comes from a signed-in user: 403, so that no client takes it for the
/// end of the session (401).
fn wrong_password(e: SessionError) -> ApiError {
    match e {
        SessionError::InvalidCredentials => ApiError::Forbidden {
            code: "invalid_credentials",
            message: "the password is not right",
        },
        e => e.into(),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReauthRequest {
    password: Password,
}

/// `POST /api/session/reauth {password}`: a new, freshly authenticated session in place of the
/// current one.
#[utoipa::path(
    post,
    path = "/api/session/reauth",
    tag = "browser",
    request_body = ReauthRequest,
    responses(
        (status = 200, description = "A new, freshly authenticated session", body = IssuedBody),
        (status = 401, description = "`no_session`, `expired_idle`, `expired_absolute`, `revoked`, `logged_out`, `evicted`, `ambiguous_session_cookie`", body = ErrorBody),
        (status = 403, description = "`invalid_credentials`, `anonymous_session`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`server_busy`, `directory_unavailable`", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn reauth(
    State(state): State<AppState>,
    SessionCookie(token): SessionCookie,
    DeviceCookie(device): DeviceCookie,
    Client(client): Client,
    ApiJson(req): ApiJson<ReauthRequest>,
) -> Result<Response, ApiError> {
    let service = state.service.clone();
    let issued = to_completion(async move {
        let issued = service
            .browser()
            .reauthenticate(
                token.as_ref(),
                req.password.as_str(),
                &client,
                device.as_deref(),
            )
            .await;
        issued.map_err(wrong_password)
    })
    .await?;
    issued_response(&state, issued)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    current_password: CurrentPassword,
    new_password: NewPassword,
    #[serde(default = "yes")]
    end_other_sessions: bool,
}

fn yes() -> bool {
    true
}

/// `POST /api/session/password {current_password, new_password, end_other_sessions?}`.
#[utoipa::path(
    post,
    path = "/api/session/password",
    tag = "browser",
    request_body = PasswordRequest,
    responses(
        (status = 200, description = "Changed; a new session", body = IssuedBody),
        (status = 401, description = "`no_session`, `expired_idle`, `expired_absolute`, `revoked`, `logged_out`, `evicted`, `ambiguous_session_cookie`", body = ErrorBody),
        (status = 403, description = "`invalid_credentials`, `password_managed_by_directory`, `anonymous_session`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`server_busy`", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn change_password(
    State(state): State<AppState>,
    SessionCookie(token): SessionCookie,
    DeviceCookie(device): DeviceCookie,
    Client(client): Client,
    ApiJson(req): ApiJson<PasswordRequest>,
) -> Result<Response, ApiError> {
    let service = state.service.clone();
    let issued = to_completion(async move {
        let issued = service
            .browser()
            .change_password(
                token.as_ref(),
                req.current_password.as_str(),
                req.new_password.as_str(),
                req.end_other_sessions,
                &client,
                device.as_deref(),
            )
            .await;
        issued.map_err(wrong_password)
    })
    .await?;
    issued_response(&state, issued)
}
