//! Forward auth (docs/api.md, "Forward auth"): `/auth/verify`, asked by a reverse proxy (nginx
//! `auth_request`, Traefik `forwardAuth`, Caddy `forward_auth`) about the browser request it
//! holds. 200 with the identity in `X-Session-*` headers, or exactly 401 (nginx turns any other
//! refusal into a 500). It never sets a cookie and never renews the token.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sessiond_core::EndCode;

use crate::body::{ErrorBody, SessionBody};
use crate::error::ApiError;
use crate::extract::{Client, SessionCookie};
use crate::state::AppState;

/// The check route: the browser client's own polling, which must not count as activity.
const CHECK_PATH: &str = "/api/session/check";

/// Whether the forwarded request says it is polling: `X-Sessiond-Passive: 1`, or a forwarded
/// URI that is sessiond's check route.
fn passive(headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header("x-sessiond-passive").is_some_and(|v| v.trim() == "1") {
        return true;
    }
    ["x-forwarded-uri", "x-original-uri"]
        .into_iter()
        .filter_map(header)
        .any(|uri| uri.split('?').next() == Some(CHECK_PATH))
}

/// `/auth/verify`, any method.
#[utoipa::path(
    get,
    path = "/auth/verify",
    tag = "forward-auth",
    description = "Any method is answered alike; a proxy may forward the original one.",
    params(
        ("X-Sessiond-Passive" = Option<String>, Header, description = "`1`: the client's own polling, not activity"),
        ("X-Forwarded-Uri" = Option<String>, Header, description = "The request the proxy holds"),
    ),
    responses(
        (status = 200, description = "A live session. `X-Session-User`, `X-Session-User-Id`, \
            `X-Session-Role` and `X-Session-Context` name its user (absent for an anonymous \
            session), role and context", body = SessionBody,
            headers(
                ("X-Session-Id" = String, description = "The session's id"),
                ("X-Session-Remaining" = String, description = "Seconds until the idle deadline"),
            )),
        (status = 401, description = "`no_session`, `expired_idle`, `expired_absolute`, `revoked`, `logged_out`, `evicted`, `ambiguous_session_cookie`", body = ErrorBody),
    ),
    security(("session_cookie" = []))
)]
pub async fn verify(
    State(state): State<AppState>,
    SessionCookie(token): SessionCookie,
    Client(client): Client,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let status = state
        .service
        .verify_forwarded(token.as_ref(), &client, passive(&headers))
        .await?;
    let s = &status.session;
    let identity = [
        ("x-session-user", s.username.clone()),
        ("x-session-user-id", s.user_id.map(|u| u.to_string())),
        ("x-session-role", s.role.clone()),
        ("x-session-id", Some(s.id.to_string())),
        ("x-session-context", s.context.clone()),
        (
            "x-session-remaining",
            Some(status.remaining_secs.to_string()),
        ),
    ];
    let mut out = HeaderMap::new();
    for (name, value) in identity {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            out.insert(HeaderName::from_static(name), value);
        }
    }
    Ok((out, Json(SessionBody::new(&state, &status))).into_response())
}

/// A refusal is exactly 401, whatever refused: nginx turns any other status of its
/// `auth_request` into a 500 for the browser. The guessing limit's 429 becomes a 401 that keeps
/// its `Retry-After`.
pub async fn only_401(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::TOO_MANY_REQUESTS {
        return res;
    }
    let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
    let mut refused = ApiError::NotAuthenticated(EndCode::NoSession).into_response();
    if let Some(v) = retry_after {
        refused.headers_mut().insert(header::RETRY_AFTER, v);
    }
    refused
}
