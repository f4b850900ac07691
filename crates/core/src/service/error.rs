//! [`SessionError`]: why a service operation did not happen, typed so the HTTP layer answers
//! each with its own status and code.

use crate::error::CoreError;
use crate::session::Refusal;
use crate::store::StoreError;

/// Why an operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No usable session, and why.
    #[error("not authenticated: {}", .0.code.as_str())]
    NotAuthenticated(Refusal),
    /// The same answer for an unknown user, a wrong password, a disabled or a locked account.
    #[error("invalid username or password")]
    InvalidCredentials,
    /// Too many requests; try again after `retry_after_secs`.
    #[error("rate limited; retry after {retry_after_secs} s")]
    RateLimited {
        /// Seconds until the window lets another through.
        retry_after_secs: i64,
    },
    /// No such session among the user's.
    #[error("not found")]
    NotFound,
    /// Input that breaks a rule; the message says which.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// A write lost to a concurrent one and its retries ran out (the text stays in the log).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The user may not do this (a context not among theirs).
    #[error("not allowed: {0}")]
    NotAllowed(&'static str),
    /// The LDAP or Active Directory server did not answer.
    #[error(transparent)]
    DirectoryUnavailable(#[from] crate::directory::DirectoryError),
    /// A sensitive action on a session whose password was entered longer ago than
    /// `SESSIOND_REAUTH_WINDOW_SECONDS`: enter it again first.
    #[error("re-authentication required")]
    ReauthRequired,
    /// Every place in the password-hashing queue is taken: try again in a moment.
    #[error("busy")]
    Busy(#[from] crate::hashing::Busy),
    /// A login beyond the concurrent-session cap, with the `deny_new` policy.
    #[error("too many sessions")]
    TooManySessions,
    /// The session's data would grow past its limit.
    #[error("the session data would exceed {0} bytes")]
    DataTooLarge(usize),
    /// `If-Match` named another version of the data than the stored one.
    #[error("the session data changed since it was read")]
    PreconditionFailed,
    /// No API key, or one that is unknown, malformed or revoked.
    #[error("invalid API key")]
    InvalidApiKey,
    /// The API key lacks the scope the operation needs.
    #[error("the API key lacks the scope {0}")]
    InsufficientScope(crate::api_key::Scope),
    /// The store cannot be reached; it recovers by itself.
    #[error("store unavailable")]
    Unavailable(#[source] StoreError),
    /// A failure that is not a domain outcome (a broken record, the OS random source).
    #[error(transparent)]
    Internal(CoreError),
}

impl From<StoreError> for SessionError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => Self::Conflict(m),
            e @ StoreError::Unavailable(_) => Self::Unavailable(e),
            e @ StoreError::Corrupt(_) => Self::Internal(CoreError::Store(e)),
        }
    }
}

impl From<CoreError> for SessionError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Store(e) => e.into(),
            e => Self::Internal(e),
        }
    }
}
