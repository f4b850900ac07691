//! `ApiError`: every failure a client can see, with one status and one stable `code` each.
//! Bodies are JSON `{code, message, ...}`; 5xx bodies are generic and the cause is logged.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sessiond_core::{EndCode, SessionError};

#[derive(Debug)]
pub enum ApiError {
    /// 401 for a missing, unknown or ended session; the body says which.
    NotAuthenticated(EndCode),
    /// 401: more than one session cookie; refusing beats guessing which one is real.
    AmbiguousCookie,
    InvalidCredentials,
    RateLimited {
        retry_after_secs: i64,
    },
    NotFound {
        code: &'static str,
        message: String,
    },
    BadRequest {
        code: &'static str,
        message: String,
    },
    /// 403: a defence refused the request (CSRF, cross-site).
    Forbidden {
        code: &'static str,
        message: &'static str,
    },
    UnsupportedMediaType,
    PayloadTooLarge,
    HeadersTooLarge,
    MethodNotAllowed,
    /// 409: concurrent changes kept this one from going through. The store's own words stay in
    /// the log: they may name tables, keys or constraints.
    Conflict,
    TooManySessions,
    Unavailable,
    DirectoryUnavailable,
    /// 503: every place in the password-hashing queue is taken.
    Busy,
    Internal,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotAuthenticated(_) | Self::AmbiguousCookie | Self::InvalidCredentials => {
                StatusCode::UNAUTHORIZED
            }
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict | Self::TooManySessions => StatusCode::CONFLICT,
            Self::Unavailable | Self::DirectoryUnavailable | Self::Busy => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn body(&self) -> Value {
        match self {
            // Seed-compatible: `check` clients read `valid`/`reason`, keep-alive clients read
            // `success`/`error`; one body serves both.
            Self::NotAuthenticated(code) => json!({
                "valid": false,
                "success": false,
                "error": "Not authenticated",
                "reason": code.reason(),
                "code": code.as_str(),
                "message": code.reason(),
            }),
            Self::AmbiguousCookie => json!({
                "valid": false,
                "success": false,
                "error": "Not authenticated",
                "reason": "No active session",
                "code": "ambiguous_session_cookie",
                "message": "more than one session cookie was sent",
            }),
            Self::InvalidCredentials => json!({
                "success": false,
                "error": "Invalid username or password",
                "code": "invalid_credentials",
                "message": "Invalid username or password",
            }),
            Self::RateLimited { retry_after_secs } => json!({
                "success": false,
                "error": "Too many requests",
                "code": "rate_limited",
                "message": format!("too many requests; retry in {retry_after_secs} s"),
                "retry_after_seconds": retry_after_secs,
            }),
            Self::NotFound { code, message } | Self::BadRequest { code, message } => {
                json!({"code": code, "message": message})
            }
            Self::Forbidden { code, message } => json!({"code": code, "message": message}),
            Self::UnsupportedMediaType => json!({
                "code": "unsupported_media_type",
                "message": "the request body must be JSON with Content-Type: application/json",
            }),
            Self::PayloadTooLarge => {
                json!({"code": "payload_too_large", "message": "the request body is too large"})
            }
            Self::HeadersTooLarge => {
                json!({"code": "headers_too_large", "message": "the request headers are too large"})
            }
            Self::MethodNotAllowed => {
                json!({"code": "method_not_allowed", "message": "this method is not allowed on this path"})
            }
            Self::Conflict => json!({
                "code": "conflict",
                "message": "the session changed concurrently; retry",
            }),
            Self::TooManySessions => json!({
                "success": false,
                "code": "too_many_sessions",
                "message": "this account has as many sessions as it may; log out of one first",
            }),
            Self::Unavailable => json!({
                "code": "store_unavailable",
                "message": "the session store is unavailable; retry shortly",
            }),
            Self::DirectoryUnavailable => json!({
                "code": "directory_unavailable",
                "message": "the login directory is unavailable; retry shortly",
            }),
            Self::Busy => json!({
                "code": "server_busy",
                "message": "too many logins at once; retry in a second",
            }),
            Self::Internal => json!({"code": "internal_error", "message": "internal error"}),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn not_found() -> Self {
        Self::NotFound {
            code: "not_found",
            message: "no such resource".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status(), Json(self.body())).into_response();
        if matches!(self, Self::NotAuthenticated(EndCode::NoSession)) {
            res.extensions_mut().insert(crate::guessing::UnknownToken);
        }
        let retry = match &self {
            Self::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            Self::Unavailable | Self::DirectoryUnavailable => Some(5),
            Self::Busy => Some(1),
            _ => None,
        };
        if let Some(secs) = retry {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        res
    }
}

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::NotAuthenticated(code) => Self::NotAuthenticated(code),
            SessionError::InvalidCredentials => Self::InvalidCredentials,
            SessionError::RateLimited { retry_after_secs } => {
                Self::RateLimited { retry_after_secs }
            }
            SessionError::NotFound => Self::NotFound {
                code: "session_not_found",
                message: "no such session".into(),
            },
            SessionError::Invalid(m) => Self::bad_request("invalid_request", m),
            SessionError::Conflict(m) => {
                tracing::warn!(conflict = %m, "a write lost to concurrent changes");
                Self::Conflict
            }
            SessionError::TooManySessions => Self::TooManySessions,
            SessionError::Busy(_) => Self::Busy,
            SessionError::ReauthRequired => Self::Forbidden {
                code: "reauth_required",
                message: "enter your password again to do this (POST /api/session/reauth)",
            },
            SessionError::DirectoryUnavailable(e) => {
                tracing::warn!(error = %e, "LDAP login failed");
                Self::DirectoryUnavailable
            }
            SessionError::NotAllowed(code) => Self::Forbidden {
                code,
                message: "this is not allowed for this user",
            },
            SessionError::Unavailable(e) => {
                tracing::warn!(error = %e, source = ?std::error::Error::source(&e), "store unavailable");
                Self::Unavailable
            }
            SessionError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                Self::Internal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_conflicts_words_never_reach_the_body() {
        let e = ApiError::from(SessionError::Conflict(
            "UNIQUE constraint failed: sessions.token_hash".into(),
        ));
        assert_eq!(e.status(), StatusCode::CONFLICT);
        let body = e.body().to_string();
        assert!(body.contains("\"code\":\"conflict\""), "{body}");
        assert!(
            !body.contains("UNIQUE") && !body.contains("token_hash"),
            "{body}"
        );
    }
}
