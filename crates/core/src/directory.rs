//! An external directory that checks passwords: LDAP or Active Directory (seed 000's
//! `windows_ad` auth method). The core only knows this trait; `sessiond-auth-ldap` implements it.

use async_trait::async_trait;

/// What the directory says about a user it accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    /// The name the directory gives the user, if any.
    pub display_name: Option<String>,
    /// The sessiond role its groups map to.
    pub role: String,
}

/// The directory could not answer (down, timed out, TLS failed).
#[derive(Debug, thiserror::Error)]
#[error("directory unavailable: {0}")]
pub struct DirectoryError(#[source] pub crate::store::BoxError);

/// Checks passwords against an external directory.
#[async_trait]
pub trait Directory: Send + Sync + 'static {
    /// Binds as `username` with `password`. `Ok(None)` when the directory refuses them (wrong
    /// password, unknown user), `Err` when it cannot answer.
    async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<DirectoryUser>, DirectoryError>;

    /// Whether the directory has a user `username`: `Some(true)` or `Some(false)` when it says,
    /// `None` when it will not tell (anonymous reads refused). Asked before a name is taken
    /// locally, so no one else can claim a directory user's name.
    async fn has_user(&self, username: &str) -> Result<Option<bool>, DirectoryError>;
}
