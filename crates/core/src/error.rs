//! Errors of the domain core: outcomes a caller must handle, not transport failures.

use crate::store::{BoxError, StoreError};

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
