//! Errors of the domain core: outcomes a caller must handle, not transport failures. They
//! stand on the ground floor: every module may name them, and they name no module.

/// Any error, kept whole so its source chain reaches the log.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What can go wrong in a store, typed so the service can react (retry, 409, 503).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Insert of an existing key, or update with a stale version.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store cannot be reached or timed out; the request may be retried later.
    #[error("store unavailable")]
    Unavailable(#[source] BoxError),
    /// The store answered with data we cannot read.
    #[error("corrupt record: {0}")]
    Corrupt(#[source] BoxError),
}

impl StoreError {
    /// The store could not be reached: `e` says why.
    pub fn unavailable(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Unavailable(Box::new(e))
    }

    /// Data that cannot be read: the parser's error, or words saying what is wrong.
    pub fn corrupt(e: impl Into<BoxError>) -> Self {
        Self::Corrupt(e.into())
    }
}

/// The result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// A failure inside the core that is not a domain outcome (those are enums of their own).
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The operating system's random source failed.
    #[error("the OS random number generator failed: {0}")]
    Random(#[source] BoxError),
    /// Argon2 failed, or its thread is gone.
    #[error("password hashing failed: {0}")]
    PasswordHash(#[source] BoxError),
    /// An access token could not be signed.
    #[error("signing an access token failed: {0}")]
    Signing(#[source] BoxError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
