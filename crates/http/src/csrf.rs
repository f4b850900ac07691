//! The CSRF defence of cookie-authenticated routes (docs/security.md rows 17-22).
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
use crate::extract::{client_of, session_cookie};
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

/// Where a request comes from, by the browser's own headers. `own` is this site's origin: an
/// `Origin` must match its scheme, host and port, so `http://` cannot pass for `https://` nor
/// one port for another.
fn provenance(headers: &HeaderMap, own: Option<&str>) -> Provenance {
    match headers.get("sec-fetch-site").map(HeaderValue::as_bytes) {
        Some(b"same-origin") => return Provenance::SameOrigin,
        Some(b"cross-site") => return Provenance::CrossSite("cross_site_request"),
        Some(b"same-site") => return Provenance::CrossSite("same_site_request"),
        _ => {}
    }
    let Some(origin) = headers
        .get(header::ORIGIN)
        .map(|o| o.to_str().unwrap_or(""))
    else {
        return Provenance::Unknown;
    };
    let same = own.is_some_and(|ours| normal_origin(origin).is_some_and(|o| o == ours));
    if same {
        Provenance::SameOrigin
    } else {
        Provenance::CrossSite("foreign_origin")
    }
}

/// This site's origin: `SESSIOND_PUBLIC_URL`'s when set. Otherwise the request's own: its host
/// (`Host`, or `X-Forwarded-Host` from a trusted proxy) with its port, and its scheme
/// (`X-Forwarded-Proto` from a trusted proxy; else `https` when the cookie is `Secure`, since a
/// browser sends a `Secure` cookie over https only, and `http` otherwise). `config validate`
/// tells production to set the URL: the guess is only as good as the proxy's headers.
fn own_origin(parts: &axum::http::request::Parts, state: &AppState) -> Option<String> {
    if let Some(public) = &state.public_origin {
        return Some(public.clone());
    }
    let trusted = crate::extract::via_trusted_proxy(parts, state);
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let forwarded = |name: &str| trusted.then(|| header(name)).flatten();
    let scheme = forwarded("x-forwarded-proto").unwrap_or(if state.cookie.secure {
        "https"
    } else {
        "http"
    });
    let host = forwarded("x-forwarded-host").or_else(|| header(header::HOST.as_str()))?;
    normal_origin(&format!("{scheme}://{host}"))
}

/// `scheme://host[:port]` in the form browsers serialise an origin: lower case, the default
/// port left out. None for anything that is not an http(s) origin (a path, a `null`).
pub fn normal_origin(text: &str) -> Option<String> {
    let (scheme, rest) = text.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return None,
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
        return None;
    }
    let authority = authority.to_ascii_lowercase();
    // An IPv6 literal keeps its colons inside the brackets.
    let split_at = match authority.rfind(']') {
        Some(close) => authority[close..].find(':').map(|i| close + i),
        None => authority.rfind(':'),
    };
    let (host, port) = match split_at {
        Some(i) => (&authority[..i], Some(&authority[i + 1..])),
        None => (authority.as_str(), None),
    };
    if host.is_empty()
        || port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let bare = match port {
        Some(p) if p != default_port => format!("{host}:{p}"),
        _ => host.to_owned(),
    };
    Some(format!("{scheme}://{bare}"))
}

fn refused(message: &'static str) -> ApiError {
    ApiError::Forbidden {
        code: "csrf_failed",
        message,
    }
}

/// How a route is held to the defence; each route group takes its layer (`lib.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// The session's CSRF token, or the browser's word that the request is same-origin.
    Session,
    /// Login: no session yet, so only the browser's provenance decides (login CSRF).
    Login,
    /// Logout: as [`Rule::Session`], but beside a tossed cookie (which it ends and clears)
    /// only the provenance decides, as for a request without a cookie.
    Tolerant,
}

/// The layer of the cookie routes that change something.
pub async fn guard(state: State<AppState>, req: Request, next: Next) -> Response {
    decide(state, req, next, Rule::Session).await
}

/// The layer of `POST /api/session/login`.
pub async fn login_guard(state: State<AppState>, req: Request, next: Next) -> Response {
    decide(state, req, next, Rule::Login).await
}

/// The layer of `POST /api/session/logout`.
pub async fn tolerant_guard(state: State<AppState>, req: Request, next: Next) -> Response {
    decide(state, req, next, Rule::Tolerant).await
}

async fn decide(State(state): State<AppState>, req: Request, next: Next, rule: Rule) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // A bearer request needs nothing here: it has no cookie, so the rules below pass it (a
    // cross-site one aside, which no browser could send without a CORS grant anyway).
    if !unsafe_method {
        return next.run(req).await;
    }
    let login = rule == Rule::Login;
    let tolerant = rule != Rule::Session;
    let (parts, body) = req.into_parts();
    let token = match session_cookie(&parts.extensions, &parts.headers, &state.cookie.name) {
        Ok(v) => v.as_deref().and_then(Token::parse),
        Err(ApiError::AmbiguousCookie) if tolerant => None,
        Err(e) => return e.into_response(),
    };
    let own = own_origin(&parts, &state);
    let provenance = provenance(&parts.headers, own.as_deref());
    let verdict = match provenance {
        Provenance::CrossSite(reason) => Err((reason, "cross-site requests are refused")),
        _ if login => Ok(()),
        _ => match (&token, parts.headers.get(X_CSRF_TOKEN)) {
            (None, _) => Ok(()),
            (Some(token), Some(presented)) => {
                let presented = presented.to_str().unwrap_or("");
                match state.service.browser().check_csrf(token, presented).await {
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
                .browser()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_by_scheme_host_and_port() {
        let ours = normal_origin("https://App.Example.com/").unwrap();
        assert_eq!(ours, "https://app.example.com");
        for same in ["https://app.example.com", "https://app.example.com:443"] {
            assert_eq!(
                normal_origin(same).as_deref(),
                Some(ours.as_str()),
                "{same}"
            );
        }
        for other in [
            "http://app.example.com",
            "https://app.example.com:8443",
            "https://app.example.com.evil",
            "null",
        ] {
            assert_ne!(
                normal_origin(other).as_deref(),
                Some(ours.as_str()),
                "{other}"
            );
        }
        assert_eq!(
            normal_origin("http://[::1]:8080").as_deref(),
            Some("http://[::1]:8080")
        );
        assert_eq!(
            normal_origin("http://[::1]").as_deref(),
            Some("http://[::1]")
        );
    }
}
