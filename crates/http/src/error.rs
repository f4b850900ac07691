//! `ApiError`: every failure a client can see, with one status and one stable `code` each.
//! Bodies are JSON `{code, message, ...}`; 5xx bodies are generic and the cause is logged.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sessiond_core::{EndCode, Refusal, SessionError};

use crate::body::ErrorBody;

/// Set on a response whose presented token opened no session (`code: no_session`), for the
/// guessing limit (`crate::guessing`).
#[derive(Debug, Clone, Copy)]
pub struct UnknownToken;

#[derive(Debug)]
pub enum ApiError {
    /// 401 for a missing, unknown or ended session; the body says which, and why it ended.
    NotAuthenticated(Refusal),
    /// 401: more than one session cookie; refusing beats guessing which one is real.
    AmbiguousCookie,
    InvalidCredentials,
    /// 401: the backend API without a valid API key.
    InvalidApiKey,
    /// 401 with a code of its own (a missing or wrong operator token).
    Unauthorized {
        code: &'static str,
        message: &'static str,
    },
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
    /// 408: the body did not all arrive within the body-read timeout.
    RequestTimeout,
    /// 412: `If-Match` named a version that is no longer current.
    PreconditionFailed,
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
            Self::NotAuthenticated(_)
            | Self::AmbiguousCookie
            | Self::InvalidCredentials
            | Self::InvalidApiKey
            | Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict | Self::TooManySessions => StatusCode::CONFLICT,
            Self::Unavailable | Self::DirectoryUnavailable | Self::Busy => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn body(&self) -> ErrorBody {
        // Answers to session requests are seed-compatible: `check` clients read
        // `valid`/`reason`, keep-alive clients read `success`/`error`; one body serves both.
        let not_authenticated = |code: &'static str, reason: &'static str, message| ErrorBody {
            valid: Some(false),
            success: Some(false),
            error: Some("Not authenticated".into()),
            reason: Some(reason.into()),
            ..ErrorBody::new(code, message)
        };
        match self {
            Self::NotAuthenticated(Refusal { code, reason }) => ErrorBody {
                end_reason: reason.map(|r| r.as_str().into()),
                ..not_authenticated(code.as_str(), code.reason(), code.reason())
            },
            Self::AmbiguousCookie => not_authenticated(
                "ambiguous_session_cookie",
                "No active session",
                "more than one session cookie was sent",
            ),
            Self::InvalidApiKey => ErrorBody::new(
                "invalid_api_key",
                "a valid API key is needed: Authorization: Bearer sk_...",
            ),
            Self::InvalidCredentials => ErrorBody {
                success: Some(false),
                error: Some("Invalid username or password".into()),
                ..ErrorBody::new("invalid_credentials", "Invalid username or password")
            },
            Self::RateLimited { retry_after_secs } => ErrorBody {
                success: Some(false),
                error: Some("Too many requests".into()),
                retry_after_seconds: Some(*retry_after_secs),
                ..ErrorBody::new(
                    "rate_limited",
                    format!("too many requests; retry in {retry_after_secs} s"),
                )
            },
            Self::NotFound { code, message } | Self::BadRequest { code, message } => {
                ErrorBody::new(code, message.clone())
            }
            Self::Forbidden { code, message } | Self::Unauthorized { code, message } => {
                ErrorBody::new(code, *message)
            }
            Self::UnsupportedMediaType => ErrorBody::new(
                "unsupported_media_type",
                "the request body must be JSON with Content-Type: application/json",
            ),
            Self::PayloadTooLarge => {
                ErrorBody::new("payload_too_large", "the request body is too large")
            }
            Self::RequestTimeout => {
                ErrorBody::new("request_timeout", "the request body did not arrive in time")
            }
            Self::PreconditionFailed => ErrorBody::new(
                "precondition_failed",
                "the session data changed since this version was read; read it again",
            ),
            Self::HeadersTooLarge => {
                ErrorBody::new("headers_too_large", "the request headers are too large")
            }
            Self::MethodNotAllowed => ErrorBody::new(
                "method_not_allowed",
                "this method is not allowed on this path",
            ),
            Self::Conflict => ErrorBody::new("conflict", "the session changed concurrently; retry"),
            Self::TooManySessions => ErrorBody {
                success: Some(false),
                ..ErrorBody::new(
                    "too_many_sessions",
                    "this account has as many sessions as it may; log out of one first",
                )
            },
            Self::Unavailable => ErrorBody::new(
                "store_unavailable",
                "the session store is unavailable; retry shortly",
            ),
            Self::DirectoryUnavailable => ErrorBody::new(
                "directory_unavailable",
                "the login directory is unavailable; retry shortly",
            ),
            Self::Busy => {
                ErrorBody::new("server_busy", "too many logins at once; retry in a second")
            }
            Self::Internal => ErrorBody::new("internal_error", "internal error"),
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
        if matches!(self, Self::NotAuthenticated(r) if r.code == EndCode::NoSession) {
            res.extensions_mut().insert(UnknownToken);
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
            SessionError::NotAuthenticated(refusal) => Self::NotAuthenticated(refusal),
            SessionError::InvalidCredentials => Self::InvalidCredentials,
            SessionError::InvalidApiKey => Self::InvalidApiKey,
            SessionError::PreconditionFailed => Self::PreconditionFailed,
            SessionError::DataTooLarge(_) => Self::PayloadTooLarge,
            SessionError::InsufficientScope(_) => Self::Forbidden {
                code: "insufficient_scope",
                message: "this API key lacks the scope this operation needs",
            },
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
        let body = serde_json::to_string(&e.body()).unwrap();
        assert!(body.contains("\"code\":\"conflict\""), "{body}");
        assert!(
            !body.contains("UNIQUE") && !body.contains("token_hash"),
            "{body}"
        );
    }
}
