//! The cookie extractors. A request's `Cookie` headers are read here and nowhere else, so the
//! rule for an ambiguous session cookie (docs/security.md row 4) holds on every route.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use sessiond_core::Token;

use crate::error::ApiError;
use crate::state::AppState;

/// Longest `Cookie` header we read; browsers cap a cookie at 4 KiB anyway.
const MAX_COOKIE_HEADER: usize = 8192;

/// What the session cookie's header said, read once by [`read_session_cookie`] for the layers
/// (the guessing guard, the CSRF guard) and the handler of a request alike.
#[derive(Clone)]
struct ReadCookie(Result<Option<String>, Fault>);

/// Why the session cookie could not be read.
#[derive(Clone, Copy)]
enum Fault {
    Ambiguous,
    TooLarge,
}

/// A layer that reads the session cookie once and keeps what it found in the request, for
/// every layer and extractor inside it.
pub async fn read_session_cookie(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let read = match find_cookie(req.headers(), &state.cookie.name) {
        Ok(found) => Ok(found.map(str::to_owned)),
        Err(ApiError::AmbiguousCookie) => Err(Fault::Ambiguous),
        Err(_) => Err(Fault::TooLarge),
    };
    req.extensions_mut().insert(ReadCookie(read));
    next.run(req).await
}

/// The session cookie's value: as [`read_session_cookie`] found it, or read here when no such
/// layer ran.
pub fn session_cookie(
    extensions: &axum::http::Extensions,
    headers: &HeaderMap,
    name: &str,
) -> Result<Option<String>, ApiError> {
    match extensions.get::<ReadCookie>() {
        Some(ReadCookie(Ok(found))) => Ok(found.clone()),
        Some(ReadCookie(Err(Fault::Ambiguous))) => Err(ApiError::AmbiguousCookie),
        Some(ReadCookie(Err(Fault::TooLarge))) => Err(ApiError::HeadersTooLarge),
        None => find_cookie(headers, name).map(|found| found.map(str::to_owned)),
    }
}

/// The session token from the cookie, if one well-formed token was sent. A malformed value is
/// treated as no token at all, so garbage never reaches the store.
pub struct SessionCookie(pub Option<Token>);

impl<S: Send + Sync> FromRequestParts<S> for SessionCookie
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        session_cookie(&parts.extensions, &parts.headers, &state.cookie.name)
            .map(|v| SessionCookie(v.as_deref().and_then(Token::parse)))
    }
}

/// The browser's device cookie, if it sent exactly one (`sessiond_core::device`). Anything
/// odd about it makes it no device cookie at all: the login is then an untrusted client's.
pub struct DeviceCookie(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for DeviceCookie
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let found = find_cookie(&parts.headers, &state.cookie.device_name).unwrap_or(None);
        Ok(DeviceCookie(
            found.filter(|v| v.len() <= 256).map(str::to_owned),
        ))
    }
}

/// The value of the cookie `name` across every `Cookie` header. Only a cookie of exactly that
/// name counts: names are case-sensitive, so `SESSIOND=...` is someone else's cookie. Two
/// candidates are refused, and so is a case variant beside the real one (docs/security.md row 4):
/// we never pick one by order.
pub fn find_cookie<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, ApiError> {
    let mut found = None;
    let mut variant = false;
    let mut total = 0;
    for value in headers.get_all(header::COOKIE) {
        total += value.len();
        if total > MAX_COOKIE_HEADER {
            return Err(ApiError::HeadersTooLarge);
        }
        let Ok(value) = value.to_str() else { continue };
        for pair in value.split(';') {
            let Some((k, v)) = pair.split_once('=') else {
                continue;
            };
            let k = k.trim();
            if k == name {
                if found.is_some() {
                    return Err(ApiError::AmbiguousCookie);
                }
                found = Some(v.trim());
            } else if k.eq_ignore_ascii_case(name) {
                variant = true;
            }
        }
    }
    if variant && found.is_some() {
        return Err(ApiError::AmbiguousCookie);
    }
    Ok(found)
}

/// Every name of a cookie that is the session cookie's without regard to case, when the
/// session cookie is ambiguous (two with its name, or a case variant beside it), so the answer
/// can clear them all (`CookieSettings::clear_everywhere`). `None` when it is not ambiguous.
pub fn tossed_cookie_names(headers: &HeaderMap, name: &str) -> Option<Vec<String>> {
    if !matches!(find_cookie(headers, name), Err(ApiError::AmbiguousCookie)) {
        return None;
    }
    let mut names: Vec<String> = Vec::new();
    for (k, _) in cookie_pairs(headers) {
        if k.eq_ignore_ascii_case(name) && !names.iter().any(|n| n == k) {
            names.push(k.to_owned());
        }
    }
    Some(names)
}

/// Every `name=value` pair of every `Cookie` header, trimmed; headers that are not text are
/// skipped.
fn cookie_pairs(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
}

/// The session cookie's well-formed tokens, however many were sent: for the routes that must
/// work when a tossed cookie sits beside the real one. Login takes none of them (it starts a
/// session of its own), logout ends each one's session, and both clear the variants.
pub struct SessionCookies(pub Vec<Token>);

impl<S: Send + Sync> FromRequestParts<S> for SessionCookies
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        match find_cookie(&parts.headers, &state.cookie.name) {
            Ok(found) => Ok(Self(found.and_then(Token::parse).into_iter().collect())),
            Err(ApiError::AmbiguousCookie) => {
                let tokens = cookie_pairs(&parts.headers)
                    .filter(|(k, _)| *k == state.cookie.name)
                    .filter_map(|(_, v)| Token::parse(v))
                    .take(4)
                    .collect();
                Ok(Self(tokens))
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for c in cookies {
            h.append(header::COOKIE, HeaderValue::from_str(c).unwrap());
        }
        h
    }

    #[test]
    fn cookie_is_found_across_headers() {
        let h = headers(&["a=1; sid=xyz", "b=2"]);
        assert_eq!(find_cookie(&h, "sid").unwrap(), Some("xyz"));
        assert_eq!(find_cookie(&headers(&["a=1"]), "sid").unwrap(), None);
    }

    #[test]
    fn duplicate_or_miscapitalised_cookies_are_refused() {
        for h in [
            headers(&["sid=a; sid=b"]),
            headers(&["sid=a; SID=b"]),
            headers(&["sid=a", "sid=b"]),
        ] {
            assert!(matches!(
                find_cookie(&h, "sid"),
                Err(ApiError::AmbiguousCookie)
            ));
        }
    }

    #[test]
    fn a_cookie_whose_name_differs_only_in_case_is_not_the_session_cookie() {
        assert_eq!(find_cookie(&headers(&["SID=a"]), "sid").unwrap(), None);
        assert_eq!(find_cookie(&headers(&["Sid=a; x=1"]), "sid").unwrap(), None);
    }

    #[test]
    fn oversized_cookie_header_is_refused() {
        let big = format!("sid={}", "a".repeat(MAX_COOKIE_HEADER));
        assert!(matches!(
            find_cookie(&headers(&[&big]), "sid"),
            Err(ApiError::HeadersTooLarge)
        ));
    }
}
