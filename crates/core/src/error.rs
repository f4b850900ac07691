//! Errors of the domain core: outcomes a caller must handle, not transport failures.

use crate::store::{BoxError, StoreError};

/// A failure inside the core that is not a domain outcome (those are enums of their own).
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("the OS random number generator failed: {0}")]
    Random(#[source] BoxError),
    #[error("password hashing failed: {0}")]
    PasswordHash(#[source] BoxError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
