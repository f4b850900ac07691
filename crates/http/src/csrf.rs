//! The CSRF defence of cookie-authenticated routes (SECURITY-TESTS rows 17-22).
//!
//! An unsafe request that carries a session cookie must prove it comes from the application's
//! own pages. Either it carries the session's CSRF token in `X-CSRF-Token` (an HMAC bound to
//! the session and its current token, compared in constant time), or the browser says so:
//! `Sec-Fetch-Site: same-origin`, or an `Origin` naming this host. A browser that says the
//! request is cross-site (`Sec-Fetch-Site: cross-site` or `same-site`, a foreign or `null`
//! `Origin`) is refused even with a token. Login carries no session yet, so only the last rule
//! applies to it: that is the login-CSRF defence. The passive check is exempt: it changes
//! nothing, and a cross-site page cannot read its answer.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sessiond_core::Token;
use sessiond_core::audit::AuditKind;
use sessiond_core::service::CsrfVerdict;

use crate::error::ApiError;
use crate::extract::{client_of, find_cookie};
use crate::state::AppState;

pub const X_CSRF_TOKEN: &str = "x-csrf-token";

/// What the browser's own headers say about where a request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provenance {
    SameOrigin,
    CrossSite(&'static str),
    /// No `Sec-Fetch-Site` or `Origin`: not a browser, or a very old one.
    Unknown,
}

fn provenance(headers: &HeaderMap) -> Provenance {
    match headers.get("sec-fetch-site").map(HeaderValue::as_bytes) {
        Some(b"same-origin") => return Provenance::SameOrigin,
        Some(b"cross-site") => return Provenance::CrossSite("cross_site_request"),
        Some(b"same-site") => return Provenance::CrossSite("same_site_request"),
        _ => {}
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Provenance::Unknown;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let authority = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest);
    match (authority, host) {
        (Some(a), Some(h)) if a.eq_ignore_ascii_case(h) => Provenance::SameOrigin,
        _ => Provenance::CrossSite("foreign_origin"),
    }
}

fn refused(message: &'static str) -> ApiError {
    ApiError::Forbidden {
        code: "csrf_failed",
        message,
    }
}

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !unsafe_method || req.uri().path() == "/api/session/check" {
        return next.run(req).await;
    }
    let login = req.uri().path() == "/api/session/login";
    let (parts, body) = req.into_parts();
    let token = match find_cookie(&parts.headers, &state.cookie.name) {
        Ok(v) => v.and_then(Token::parse),
        Err(e) => return e.into_response(),
    };
    let provenance = provenance(&parts.headers);
    let verdict = match provenance {
        Provenance::CrossSite(reason) => Err((reason, "cross-site requests are refused")),
        _ if login => Ok(()),
        _ => match (&token, parts.headers.get(X_CSRF_TOKEN)) {
            (None, _) => Ok(()),
            (Some(token), Some(presented)) => {
                let presented = presented.to_str().unwrap_or("");
                match state.service.check_csrf(token, presented).await {
                    Ok(CsrfVerdict::Valid | CsrfVerdict::NoSession) => Ok(()),
                    Ok(CsrfVerdict::Invalid) => Err((
                        "invalid_csrf_token",
                        "the CSRF token does not match the session",
                    )),
                    Err(e) => return ApiError::from(e).into_response(),
                }
            }
            (Some(_), None) if provenance == Provenance::SameOrigin => Ok(()),
            (Some(_), None) => Err(("missing_csrf_token", "the X-CSRF-Token header is required")),
        },
    };
    let mut res = match verdict {
        Ok(()) => next.run(Request::from_parts(parts, body)).await,
        Err((reason, message)) => {
            let client = client_of(&parts, &state);
            match state
                .service
                .record_refusal(AuditKind::MaliciousCsrf, token.as_ref(), &client, reason)
                .await
            {
                Ok(()) => refused(message).into_response(),
                Err(retry_after_secs) => ApiError::RateLimited { retry_after_secs }.into_response(),
            }
        }
    };
    res.headers_mut().append(
        header::VARY,
        HeaderValue::from_static("Origin, Sec-Fetch-Site"),
    );
    res
}
