//! The admin API (docs/api.md, "Admin API"): `/api/admin/...`, for a superadmin's session (with
//! its CSRF token, like every cookie route) or an API key with `admin:read` (reads) or `admin`.
//! Every handler passes the service's gate ([`AdminCaller::gate`]) before anything else.

use axum::extract::{FromRef, FromRequestParts, Query};
use axum::http::request::Parts;
use sessiond_core::service::{AdminApi, AdminCredential, AdminGrant};
use sessiond_core::{ClientInfo, Token};

use crate::error::ApiError;
use crate::extract::{SessionCookie, bearer, client_of};
use crate::state::AppState;

pub mod alerts;
pub mod audit;
pub mod body;
pub mod config;
pub mod counts;
mod router;
pub mod sessions;
pub mod timeline;
pub mod users;

pub use router::routes;
pub use sessions::BULK_BODY_BYTES;

/// The admin API's caller: an API key when the request has a bearer, else the session cookie.
pub struct AdminCaller {
    key: Option<String>,
    cookie: Option<Token>,
    client: ClientInfo,
}

impl AdminCaller {
    /// The service's gate ([`sessiond_core::SessionService::admin_api`]).
    pub async fn gate<'s, G: AdminGrant>(
        &self,
        state: &'s AppState,
        operation: &str,
    ) -> Result<AdminApi<'s, G>, ApiError> {
        let credential = match &self.key {
            Some(key) => AdminCredential::ApiKey(key),
            None => AdminCredential::Session(self.cookie.as_ref()),
        };
        Ok(state
            .service
            .admin_api::<G>(credential, operation, &self.client)
            .await?)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AdminCaller
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        let client = client_of(parts, &app);
        if let Some(key) = bearer(&parts.headers) {
            return Ok(Self {
                key: Some(key.to_owned()),
                cookie: None,
                client,
            });
        }
        let SessionCookie(cookie) = SessionCookie::from_request_parts(parts, state).await?;
        Ok(Self {
            key: None,
            cookie,
            client,
        })
    }
}

/// A query string read strictly: a percent-escape that decodes to bytes that are not UTF-8 (a
/// lone surrogate's) is refused, not replaced, as the body's and the path's are.
pub struct StrictQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for StrictQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or("");
        let mut bytes = Vec::with_capacity(raw.len());
        let mut rest = raw.as_bytes();
        while let Some((&b, tail)) = rest.split_first() {
            match (b, tail) {
                (b'%', [h, l, tail @ ..]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                    let hex = [*h, *l];
                    let hex = std::str::from_utf8(&hex).unwrap_or("00");
                    bytes.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                    rest = tail;
                }
                _ => {
                    bytes.push(b);
                    rest = tail;
                }
            }
        }
        if std::str::from_utf8(&bytes).is_err() {
            return Err(ApiError::bad_request(
                "invalid_request",
                "the query is not percent-encoded UTF-8",
            ));
        }
        let Query(value) = Query::<T>::try_from_uri(&parts.uri)
            .map_err(|e| ApiError::bad_request("invalid_request", e.body_text()))?;
        Ok(Self(value))
    }
}

/// A page of records: the cursor (a `seq`) it starts before, and how many (1 to 500, 100 by
/// default), for the timeline and the audit log alike.
pub(crate) fn seq_page(
    cursor: Option<&str>,
    limit: Option<u32>,
) -> Result<(Option<u64>, u32), ApiError> {
    let invalid = |m: &str| ApiError::bad_request("invalid_request", m.to_owned());
    let before = match cursor {
        Some(c) => Some(
            c.parse::<u64>()
                .map_err(|_| invalid("cursor must be a previous page's next_cursor"))?,
        ),
        None => None,
    };
    let limit = limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(invalid("limit must be 1 to 500"));
    }
    Ok((before, limit))
}
