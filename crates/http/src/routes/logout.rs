//! Logging out: this session (`POST /api/session/logout`, and `GET /logout` for a browser's
//! navigation), or every session of the user (`POST /api/session/logout-all`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::body::{ErrorBody, LogoutAllBody, LogoutBody};
use crate::error::ApiError;
use crate::extract::{Client, OptionalJson, SessionCookie, SessionCookies};
use crate::state::AppState;

/// Ends the session and clears the cookie. Idempotent: without a session it still clears.
#[utoipa::path(
    post,
    path = "/api/session/logout",
    tag = "browser",
    responses(
        (status = 200, description = "Ended (or there was none); the cookie is cleared, and with it any cookie tossed beside it", body = LogoutBody),
    ),
    security((), ("session_cookie" = []))
)]
pub async fn logout(
    State(state): State<AppState>,
    SessionCookies(tokens): SessionCookies,
) -> Result<Response, ApiError> {
    let ended = log_out_each(&state, &tokens).await?;
    let body = LogoutBody {
        success: true,
        message: if ended.is_some() {
            "Logged out"
        } else {
            "No active session"
        }
        .into(),
        session_id: ended.map(|s| s.id.to_string()),
    };
    Ok((ended_headers(&state), Json(body)).into_response())
}

/// `GET /logout`: where seed 000's expiry overlay sends the browser. It ends the session,
/// clears the cookie and redirects to the login page. A navigation another site started
/// (`Sec-Fetch-Site: cross-site` or `same-site`) ends nothing: a link or image elsewhere must
/// not be able to log the user out. The browser is sent to the app instead.
#[utoipa::path(
    get,
    path = "/logout",
    tag = "pages",
    responses(
        (status = 303, description = "To the login page, the session ended; to `/` for a navigation another site started"),
    ),
    security((), ("session_cookie" = []))
)]
pub async fn logout_page(
    State(state): State<AppState>,
    SessionCookies(tokens): SessionCookies,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let foreign = matches!(
        headers.get("sec-fetch-site").map(HeaderValue::as_bytes),
        Some(b"cross-site" | b"same-site")
    );
    if foreign {
        return Ok(see_other("/"));
    }
    log_out_each(&state, &tokens).await?;
    let mut res = see_other("/login?reason=logged_out");
    res.headers_mut().extend(ended_headers(&state));
    Ok(res)
}

/// Ends the session of each token the browser sent: one, or each of a tossed pair (the user
/// asked to log out, and a tossed cookie's session is nobody's to keep). The first that was
/// live is the one reported.
async fn log_out_each(
    state: &AppState,
    tokens: &[sessiond_core::Token],
) -> Result<Option<sessiond_core::Session>, ApiError> {
    let mut first = None;
    for token in tokens {
        if let Some(ended) = state.service.browser().logout(Some(token)).await? {
            first.get_or_insert(ended);
        }
    }
    Ok(first)
}

fn see_other(location: &'static str) -> Response {
    (
        axum::http::StatusCode::SEE_OTHER,
        [(header::LOCATION, HeaderValue::from_static(location))],
    )
        .into_response()
}

/// What a response that ends this browser's session sends: the cleared cookie, and
/// `Clear-Site-Data` so the browser drops what the app kept in its storage too (ASVS 14.3.1).
fn ended_headers(state: &AppState) -> [(HeaderName, HeaderValue); 2] {
    [
        (header::SET_COOKIE, state.cookie.clear()),
        (
            HeaderName::from_static("clear-site-data"),
            HeaderValue::from_static("\"cookies\", \"storage\""),
        ),
    ]
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct LogoutAllRequest {
    #[serde(default)]
    keep_current: bool,
}

#[utoipa::path(
    post,
    path = "/api/session/logout-all",
    tag = "browser",
    request_body(content = Option<LogoutAllRequest>, description = "Optional"),
    responses(
        (status = 200, description = "Every session of the user ended", body = LogoutAllBody),
        (status = 401, description = "`no_session`, `expired_idle`, `expired_absolute`, `revoked`, `logged_out`, `evicted`, `ambiguous_session_cookie`", body = ErrorBody),
        (status = 403, description = "`reauth_required`", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn logout_all(
    State(state): State<AppState>,
    SessionCookie(token): SessionCookie,
    Client(client): Client,
    OptionalJson(req): OptionalJson<LogoutAllRequest>,
) -> Result<Response, ApiError> {
    let ended = state
        .service
        .browser()
        .logout_all(token.as_ref(), req.keep_current, &client)
        .await?;
    let body = LogoutAllBody {
        success: true,
        ended_sessions: ended,
        kept_current: req.keep_current,
    };
    if req.keep_current {
        return Ok(Json(body).into_response());
    }
    Ok((ended_headers(&state), Json(body)).into_response())
}
