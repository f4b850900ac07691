//! Users. Usernames are unique without regard to case; their passwords are hashed in
//! [`crate::hashing`].

use serde::{Deserialize, Serialize};

use crate::ids::UserId;
use crate::time::Timestamp;

/// The roles of seed 000; deployments may configure others.
pub const DEFAULT_ROLES: [&str; 3] = ["oss", "netadmin", "superadmin"];
/// The role that may administer sessiond; `SESSION_ROLES` must include it.
pub const SUPERADMIN: &str = "superadmin";

/// Where a user's password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// Against the hash sessiond keeps.
    Local,
    /// Against the LDAP or Active Directory server.
    Ldap,
}

impl AuthMethod {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Ldap => "ldap",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "local" => Some(Self::Local),
            "ldap" => Some(Self::Ldap),
            _ => None,
        }
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Never reused.
    pub id: UserId,
    /// Unique without regard to case.
    pub username: String,
    /// Shown in the pages.
    pub display_name: String,
    /// One of `SESSION_ROLES`.
    pub role: String,
    /// Where its password is checked.
    pub auth_method: AuthMethod,
    /// PHC string of an Argon2id hash; `None` for users who authenticate elsewhere.
    #[serde(skip_serializing)]
    pub password_hash: Option<String>,
    /// A disabled user cannot log in, and their sessions end.
    pub enabled: bool,
    /// The contexts (platforms) the user may switch to.
    pub contexts: Vec<String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl User {
    /// The key uniqueness, lookups and the lockout are decided on: the normalised name, case
    /// folded (Unicode lower case), so `Alice`, `ALICE` and fullwidth `Ａｌｉｃｅ` are one user.
    pub fn username_key(name: &str) -> String {
        normalize_username(name).to_lowercase()
    }
}

/// A username as it is stored and sent to a directory: trimmed, in Unicode NFKC, so that
/// compatibility variants (fullwidth letters, ligatures) are the name they look like.
pub fn normalize_username(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    name.trim().nfkc().collect()
}

/// Checks a username against [`crate::input::USERNAME`], as it is sent: the rule the OpenAPI
/// document states. The name kept is its NFKC form, where a compatibility letter may expand
/// (`ŀ` is `l·`, `⑴` is `(1)`), never into a control character (docs/decisions/0039).
pub fn validate_username(name: &str) -> Result<(), String> {
    crate::input::USERNAME.check(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_checked() {
        assert!(validate_username("alice.smith@corp").is_ok());
        assert!(validate_username("").is_err());
        assert!(validate_username("a\r\nb").is_err());
        assert_eq!(User::username_key(" Alice "), "alice");
        assert_eq!(User::username_key("\u{FF21}lice"), "alice", "fullwidth A");
        assert_eq!(normalize_username(" \u{FB01}nn "), "finn", "a ligature");
    }
}
