//! Forward auth (docs/api.md, "Forward auth"): `/auth/verify`, asked by a reverse proxy (nginx
//! `auth_request`, Traefik `forwardAuth`, Caddy `forward_auth`) about the browser request it
//! holds. 200 with the identity in `X-Session-*` headers, or exactly 401 (nginx turns any other
//! refusal into a 500). It never sets a cookie and never renews the token.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodFilter;
use sessiond_core::EndCode;

use crate::body::{ErrorBody, SessionBody};
use crate::error::ApiError;
use crate::extract::{Client, SessionAuth, ViaTrustedProxy};
use crate::return_to;
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

/// `/auth/verify`, any of [`METHODS`]. With `?redirect=1` (or `SESSIOND_VERIFY_REDIRECT`), a browser's
/// page request without a session is sent to the login page (302) instead of refused (401).
/// The methods `/auth/verify` answers: those a proxy may forward that the document can list.
/// Another (`QUERY`, `CONNECT`, an invented one) is 405.
pub const METHODS: MethodFilter = MethodFilter::GET
    .or(MethodFilter::POST)
    .or(MethodFilter::PUT)
    .or(MethodFilter::DELETE)
    .or(MethodFilter::PATCH)
    .or(MethodFilter::HEAD)
    .or(MethodFilter::OPTIONS)
    .or(MethodFilter::TRACE);

#[utoipa::path(
    method(get, post, put, delete, patch, head, options, trace),
    path = "/auth/verify",
    tag = "forward-auth",
    description = "Every method listed is answered alike; a proxy may forward the original one.",
    params(
        ("X-Sessiond-Passive" = Option<String>, Header, description = "`1`: the client's own polling, not activity"),
        ("X-Forwarded-Uri" = Option<String>, Header, description = "The request the proxy holds"),
        ("redirect" = Option<String>, Query, description = "`1`: a browser's page request without \
            a session gets 302 to the login page, not 401"),
    ),
    responses(
        (status = 200, description = "A live session. `X-Session-User`, `X-Session-User-Id`, \
            `X-Session-Role`, `X-Session-Context` and `X-Session-Display-Name` name its user, role, \
            context and the user's display name (UTF-8); each is \
            sent, empty when the session has none (an anonymous session's user, no context)", body = SessionBody,
            headers(
                ("X-Session-Id" = String, description = "The session's id"),
                ("X-Session-Remaining" = String, description = "Seconds until the idle deadline"),
            )),
        (status = 401, description = "`no_session`, `anonymous_session` (a visitor's session, unless SESSIOND_VERIFY_ANONYMOUS), `expired_idle`, `expired_absolute`, `revoked`, `logged_out`, `evicted`, `invalid_token`, `ambiguous_session_cookie`", body = ErrorBody),
        (status = 302, description = "With `redirect`: to the login page, `next` the way back when \
            its host is allowed", headers(("Location" = String))),
    ),
    security(("session_cookie" = []), ("access_token" = []))
)]
pub async fn verify(
    State(state): State<AppState>,
    auth: SessionAuth,
    Client(client): Client,
    ViaTrustedProxy(trusted): ViaTrustedProxy,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let verified = state
        .service
        .forward()
        .verify_forwarded(auth.presented(), &client, passive(&headers))
        .await;
    let status = match verified {
        Ok(status) => status,
        Err(e) => {
            let refused = ApiError::from(e).into_response();
            let redirect = state.returns.redirect_by_default || redirect_asked(&uri);
            if redirect
                && refused.status() == StatusCode::UNAUTHORIZED
                && return_to::is_page_request(&headers, &method, trusted)
            {
                return to_login(&state, &headers, trusted, refused);
            }
            return refused;
        }
    };
    let s = &status.session;
    let identity = [
        ("x-session-user", s.username.clone()),
        ("x-session-user-id", s.user_id.map(|u| u.to_string())),
        ("x-session-role", s.role.clone()),
        ("x-session-id", Some(s.id.to_string())),
        ("x-session-context", s.context.clone()),
        ("x-session-display-name", s.display_name.clone()),
        (
            "x-session-remaining",
            Some(status.remaining_secs.to_string()),
        ),
    ];
    let mut out = HeaderMap::new();
    for (name, value) in identity {
        // Every one, empty when the session has no such value: a proxy that copies a header
        // the answer lacks may send the application its own placeholder instead (Caddy 2.6
        // sends `{http.reverse_proxy.header.X-Session-Context}`). As UTF-8 bytes: a name may
        // have letters beyond ASCII, which `from_str` would refuse.
        let value = value.unwrap_or_default();
        let value = HeaderValue::from_bytes(value.as_bytes())
            .unwrap_or_else(|_| HeaderValue::from_static(""));
        out.insert(HeaderName::from_static(name), value);
    }
    (out, Json(SessionBody::new(&state, &status))).into_response()
}

/// `?redirect=1` (or `true`).
fn redirect_asked(uri: &Uri) -> bool {
    uri.query().is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes())
            .any(|(k, v)| k == "redirect" && (v == "1" || v == "true"))
    })
}

/// The refusal turned into a 302 to the login page, with the way back when it is allowed. It
/// keeps the refusal's body and marks, so an unknown token still counts as a guess.
fn to_login(
    state: &AppState,
    headers: &HeaderMap,
    trusted: bool,
    mut refused: Response,
) -> Response {
    let own_host = match &state.public_origin {
        Some(origin) => origin.split_once("://").map(|(_, host)| host),
        None => headers.get(header::HOST).and_then(|h| h.to_str().ok()),
    };
    let back = return_to::return_to(headers, trusted, own_host, &state.returns);
    let location = return_to::login_location(back.as_ref());
    let Ok(location) = HeaderValue::from_str(&location) else {
        return refused;
    };
    *refused.status_mut() = StatusCode::FOUND;
    refused.headers_mut().insert(header::LOCATION, location);
    refused
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
    let mut refused = ApiError::NotAuthenticated(EndCode::NoSession.into()).into_response();
    if let Some(v) = retry_after {
        refused.headers_mut().insert(header::RETRY_AFTER, v);
    }
    refused
}
