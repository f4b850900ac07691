//! Extractors that turn raw requests into checked inputs, failing with an [`ApiError`]: JSON
//! bodies and paths, how a request proves its session, and who the client is. The cookie
//! extractors are in `cookies`.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use sessiond_core::service::{BackendApi, Grant, Presented};
use sessiond_core::{ClientInfo, Token};

use crate::error::ApiError;
use crate::state::AppState;

mod cookies;

pub use cookies::{
    DeviceCookie, SessionCookie, SessionCookies, find_cookie, read_session_cookie, session_cookie,
    tossed_cookie_names,
};

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        // RFC 7396's type is JSON too, and like JSON it is not one a form can send.
        .is_some_and(|mime| {
            mime.eq_ignore_ascii_case("application/json")
                || mime.eq_ignore_ascii_case("application/merge-patch+json")
        })
}

/// The error a request body gives when it has not all arrived within the server's body-read
/// timeout (`SESSIOND_BODY_READ_TIMEOUT_SECONDS`): the server wraps every request's body so,
/// and the extractors answer 408.
#[derive(Debug)]
pub struct BodyTimedOut;

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimedOut {}

fn timed_out(mut e: &(dyn std::error::Error + 'static)) -> bool {
    loop {
        if e.is::<BodyTimedOut>() {
            return true;
        }
        match e.source() {
            Some(source) => e = source,
            None => return false,
        }
    }
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else if timed_out(&rejection) {
            ApiError::RequestTimeout
        } else {
            ApiError::bad_request("unreadable_body", "the request body could not be read")
        }
    })
}

/// A body is a JSON object: serde would also read a struct from an array (`["alice", "pw"]`),
/// which no document allows.
fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value = serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => {
                ApiError::bad_request("invalid_request", format!("invalid request body: {e}"))
            }
            _ => ApiError::bad_request("malformed_json", "the request body is not valid JSON"),
        }
    })?;
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        return Err(ApiError::bad_request(
            "invalid_request",
            "the request body is a JSON object",
        ));
    }
    Ok(value)
}

/// A JSON body: `Content-Type: application/json` required, unknown fields refused by the
/// target type, every failure a JSON 4xx.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = body_bytes(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Like [`ApiJson`], but an empty body, or `null`, means `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = is_json(req.headers());
        // A declared non-JSON type is refused even without a body: it is what a cross-site
        // form or `text/plain` fetch would send (docs/security.md row 21).
        let declared = req.headers().contains_key(header::CONTENT_TYPE);
        let bytes = body_bytes(req, state).await?;
        if declared && !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        if bytes.trim_ascii() == b"null" {
            return Ok(Self(T::default()));
        }
        parse_json(&bytes).map(OptionalJson)
    }
}

/// A path parameter. A segment axum cannot decode (`%00%FF` is not UTF-8) is the JSON 400 of
/// every other bad input, `invalid_path`, not axum's plain-text rejection.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(_) => Err(ApiError::bad_request(
                "invalid_path",
                "a path segment is not valid: percent-encoded UTF-8 expected",
            )),
        }
    }
}

/// The value of `Authorization: Bearer <value>`, if the request has one (the scheme's name in
/// any case, RFC 9110).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim())
        .filter(|v| !v.is_empty())
}

/// How a request to a session route proves its session: an access token
/// (`Authorization: Bearer`) when it has one, the session cookie otherwise. With a bearer the
/// cookie is not read at all. A request with both still passes the CSRF guard as a cookie
/// request: the guard does not know which the route reads.
pub enum SessionAuth {
    /// The cookie's token, if a well-formed one was sent.
    Cookie(Option<Token>),
    /// An access token, unchecked.
    Bearer(String),
}

impl SessionAuth {
    /// What the service resolves.
    pub fn presented(&self) -> Presented<'_> {
        match self {
            Self::Cookie(token) => Presented::Cookie(token.as_ref()),
            Self::Bearer(jwt) => Presented::Bearer(jwt),
        }
    }

    pub fn is_bearer(&self) -> bool {
        matches!(self, Self::Bearer(_))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SessionAuth
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(jwt) = bearer(&parts.headers) {
            return Ok(Self::Bearer(jwt.to_owned()));
        }
        let SessionCookie(token) = SessionCookie::from_request_parts(parts, state).await?;
        Ok(Self::Cookie(token))
    }
}

/// The backend API's caller: the key it presented (`Authorization: Bearer sk_...`, read by
/// [`bearer`], the one parser of the scheme) and its client. A handler does nothing with it but
/// pass its gate ([`ApiCaller::gate`]), which hands out the operations the key's scope allows.
pub struct ApiCaller {
    key: Option<String>,
    client: ClientInfo,
}

impl ApiCaller {
    /// The service's gate ([`sessiond_core::SessionService::backend_api`]): the key must be
    /// valid and grant `G`'s scope; the call is audited as `operation`.
    pub async fn gate<'s, G: Grant>(
        &self,
        state: &'s AppState,
        operation: &str,
    ) -> Result<BackendApi<'s, G>, ApiError> {
        let key = self.key.as_deref();
        Ok(state
            .service
            .backend_api::<G>(key, operation, &self.client)
            .await?)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ApiCaller
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self {
            key: bearer(&parts.headers).map(str::to_owned),
            client: client_of(parts, &AppState::from_ref(state)),
        })
    }
}

/// The client's address and user agent. `X-Forwarded-For` counts only when the peer is a
/// configured trusted proxy; from anyone else it could be forged.
pub struct Client(pub ClientInfo);

impl<S: Send + Sync> FromRequestParts<S> for Client
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Client(client_of(parts, &AppState::from_ref(state))))
    }
}

/// Whether the request comes from one of `SESSIOND_TRUSTED_PROXIES`, whose `X-Forwarded-*`
/// headers are believed.
pub struct ViaTrustedProxy(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for ViaTrustedProxy
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(via_trusted_proxy(parts, &AppState::from_ref(state))))
    }
}

/// Whether the request's peer is one of `SESSIOND_TRUSTED_PROXIES`.
pub fn via_trusted_proxy(parts: &Parts, state: &AppState) -> bool {
    peer(parts).is_some_and(|p| state.trusted_proxies.contains(p))
}

fn peer(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The client's address (through trusted proxies when there are some) and user agent.
pub fn client_of(parts: &Parts, state: &AppState) -> ClientInfo {
    let ip = peer(parts).map(|peer| state.trusted_proxies.client(peer, &parts.headers));
    client_info(ip, &parts.headers)
}

fn client_info(ip: Option<IpAddr>, headers: &HeaderMap) -> ClientInfo {
    let user_agent = headers
        .get(header::USER_AGENT)
        .map(|v| sessiond_core::input::user_agent_header(&String::from_utf8_lossy(v.as_bytes())));
    ClientInfo {
        ip: ip.map(|ip| ip.to_string()),
        user_agent,
    }
}
