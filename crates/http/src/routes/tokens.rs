//! The token API for API and mobile clients (docs/api.md, "Tokens"): `/api/token/...`. No
//! cookie is read or set, so there is no CSRF defence to pass; the login limits and the
//! account lockout apply as to a cookie login.

use std::borrow::Cow;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use sessiond_core::service::{Presented, TokenLogin, TokenPair};
use sessiond_core::{EndCode, SessionError};

use crate::body::{ErrorBody, LogoutAllBody, LogoutBody};
use crate::error::ApiError;
use crate::extract::{ApiJson, Client, OptionalJson, bearer};
use crate::fields::{ContextName, DeviceToken, Password, RefreshToken, Username};
use crate::routes::session::to_completion;
use crate::state::AppState;

/// `POST /api/token/login` takes.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenLoginRequest {
    username: Username,
    password: Password,
    /// The session's active context; one of the user's. Another is refused as a wrong
    /// password is (401 `invalid_credentials`).
    context: Option<ContextName>,
    /// The `device_token` an earlier login of this client was given: it keeps the client past
    /// a lock that others' guesses put on the account.
    device_token: Option<DeviceToken>,
}

/// `POST /api/token/refresh` takes.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: RefreshToken,
}

/// `POST /api/token/logout` may take, instead of a bearer access token.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenLogoutRequest {
    refresh_token: Option<RefreshToken>,
}

/// A token login's or a refresh's answer (the field names of docs/api.md, "Tokens").
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenBody {
    /// A JWT (EdDSA, `typ: at+jwt`) for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque; used once, by `POST /api/token/refresh`.
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: i64,
    pub session_id: String,
    /// At a login: this client's device credential, to send as `device_token` at its next
    /// login (absent when `SESSIOND_DEVICE_COOKIE_DAYS` is 0, and on a refresh). Keep it like
    /// the refresh token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_token: Option<String>,
}

impl From<TokenPair> for TokenBody {
    fn from(pair: TokenPair) -> Self {
        Self {
            device_token: pair.device,
            access_token: pair.access_token,
            token_type: "Bearer",
            expires_in: pair.expires_in,
            refresh_token: pair.refresh_token.expose().to_owned(),
            refresh_expires_in: pair.refresh_expires_in,
            session_id: pair.session.id.to_string(),
        }
    }
}

fn invalid_token() -> ApiError {
    SessionError::NotAuthenticated(EndCode::InvalidToken.into()).into()
}

#[utoipa::path(
    post,
    path = "/api/token/login",
    tag = "tokens",
    operation_id = "token_login",
    request_body = TokenLoginRequest,
    responses(
        (status = 200, description = "Logged in: an access token and a refresh token", body = TokenBody),
        (status = 401, description = "`invalid_credentials` (also for a context that is not the user's)", body = ErrorBody),
        (status = 409, description = "`too_many_sessions`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`server_busy`, `directory_unavailable`", body = ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(req): ApiJson<TokenLoginRequest>,
) -> Result<Json<TokenBody>, ApiError> {
    let service = state.service.clone();
    let pair = to_completion(async move {
        let login = TokenLogin {
            username: req.username.as_str(),
            password: req.password.as_str(),
            context: req.context.as_ref().map(ContextName::as_str),
            device: req.device_token.as_ref().map(DeviceToken::as_str),
        };
        service.tokens().token_login(login, &client).await
    })
    .await?;
    Ok(Json(pair.into()))
}

#[utoipa::path(
    post,
    path = "/api/token/refresh",
    tag = "tokens",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair; the presented refresh token is rotated out", body = TokenBody),
        (status = 401, description = "`invalid_token`, `refresh_token_reused`, `expired_idle`, `expired_absolute`, `revoked`, `logged_out`, `evicted`", body = ErrorBody),
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<Json<TokenBody>, ApiError> {
    // Runs to its end like a login: a rotation half done when the client hangs up would leave
    // the client without the token the store now expects.
    let service = state.service.clone();
    let pair = to_completion(async move {
        service
            .tokens()
            .refresh(req.refresh_token.as_str(), &client)
            .await
    })
    .await?;
    Ok(Json(pair.into()))
}

#[utoipa::path(
    post,
    path = "/api/token/logout",
    tag = "tokens",
    operation_id = "token_logout",
    request_body(content = Option<TokenLogoutRequest>, description = "The refresh token, when no access token is sent"),
    responses(
        (status = 200, description = "The session ended", body = LogoutBody),
        (status = 401, description = "`invalid_token`, `expired_idle`, `expired_absolute`, `revoked`, `logged_out`, `evicted`", body = ErrorBody),
    ),
    security((), ("access_token" = []))
)]
pub async fn logout(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    OptionalJson(req): OptionalJson<TokenLogoutRequest>,
) -> Result<Json<LogoutBody>, ApiError> {
    let ended = match (bearer(&headers), req.refresh_token) {
        (Some(jwt), _) => state.service.tokens().logout_bearer(jwt, &client).await?,
        (None, Some(refresh)) => {
            state
                .service
                .tokens()
                .logout_refresh(refresh.as_str(), &client)
                .await?
        }
        (None, None) => return Err(invalid_token()),
    };
    Ok(Json(LogoutBody {
        success: true,
        message: Cow::Borrowed("Logged out"),
        session_id: Some(ended.to_string()),
    }))
}

#[utoipa::path(
    post,
    path = "/api/token/logout-all",
    tag = "tokens",
    operation_id = "token_logout_all",
    responses(
        (status = 200, description = "Every session of the user ended, this one too", body = LogoutAllBody),
        (status = 401, description = "`invalid_token`, `expired_idle`, `expired_absolute`, `revoked`, `logged_out`, `evicted`", body = ErrorBody),
    ),
    security(("access_token" = []))
)]
pub async fn logout_all(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
) -> Result<Json<LogoutAllBody>, ApiError> {
    let jwt = bearer(&headers).ok_or_else(invalid_token)?;
    let ended = state
        .service
        .browser()
        .logout_all(Presented::Bearer(jwt), false, &client)
        .await?;
    Ok(Json(LogoutAllBody {
        success: true,
        ended_sessions: ended,
        kept_current: false,
    }))
}
