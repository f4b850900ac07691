//! API keys of the backend API (docs/api.md, "Backend API"): `sk_` and 43 base64url characters,
//! 256 random bits. A key is shown once, when it is created; the store keeps only its SHA-256,
//! and a presented key is looked up by that hash, so neither a right nor a wrong key is ever
//! compared byte by byte against a stored secret.

use std::fmt;

use subtle::ConstantTimeEq as _;

use crate::error::CoreError;
use crate::time::Timestamp;
use crate::token::{Token, TokenHash};

const PREFIX: &str = "sk_";

/// What a key may do. `admin` implies every scope, `sessions:write` implies `sessions:read`, and
/// `admin:read` (the admin API's reads, docs/api.md "Admin API") implies `sessions:read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read sessions and validate tokens.
    SessionsRead,
    /// Create, change and revoke sessions.
    SessionsWrite,
    /// Everything.
    Admin,
    /// The admin API's reads: every session, user, count and audit record; no change.
    AdminRead,
}

impl Scope {
    /// Every scope, for help texts.
    pub const ALL: [Scope; 4] = [
        Self::SessionsRead,
        Self::SessionsWrite,
        Self::AdminRead,
        Self::Admin,
    ];

    /// Its name on the command line and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SessionsRead => "sessions:read",
            Self::SessionsWrite => "sessions:write",
            Self::Admin => "admin",
            Self::AdminRead => "admin:read",
        }
    }

    /// From its name; `None` for an unknown scope.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    /// Whether holding `self` grants `wanted`.
    pub fn grants(self, wanted: Scope) -> bool {
        match self {
            Self::Admin => true,
            Self::SessionsWrite => matches!(wanted, Self::SessionsRead | Self::SessionsWrite),
            Self::AdminRead => matches!(wanted, Self::SessionsRead | Self::AdminRead),
            Self::SessionsRead => wanted == Self::SessionsRead,
        }
    }
}

/// Scopes as stores keep them: their names, separated by spaces.
pub fn scopes_to_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Scopes from their stored form; `None` when one is unknown.
pub fn scopes_from_text(text: &str) -> Option<Vec<Scope>> {
    text.split_whitespace().map(Scope::parse).collect()
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key as the store keeps it: never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Unique; names the key in the audit trail and on the command line.
    pub name: String,
    /// SHA-256 of the whole key.
    pub hash: TokenHash,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// The roles a `sessions:write` key may create sessions and users for (`--roles`): a write
    /// key asserts identities, so it asserts only these. Never `superadmin`, which takes
    /// `admin`. Empty: none (a key made before keys carried roles, until `set-roles`).
    pub roles: Vec<String>,
    /// When not empty, the only users (by username key) it may create sessions for (`--users`).
    pub users: Vec<String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was revoked; a revoked key authenticates nothing.
    pub revoked_at: Option<Timestamp>,
}

impl ApiKey {
    /// Whether one of its scopes grants `wanted`.
    pub fn allows(&self, wanted: Scope) -> bool {
        self.scopes.iter().any(|s| s.grants(wanted))
    }

    /// Whether it may create a session for (or create) the user `username` with `role`: an
    /// `admin` key may assert anyone; a `sessions:write` key only the roles (and users) it
    /// carries, and never a superadmin.
    pub fn may_assert(&self, username: &str, role: &str) -> bool {
        if self.allows(Scope::Admin) {
            return true;
        }
        let user = crate::user::User::username_key(username);
        self.allows(Scope::SessionsWrite)
            && role != crate::user::SUPERADMIN
            && self.roles.iter().any(|r| r == role)
            && (self.users.is_empty() || self.users.contains(&user))
    }

    /// Whether it was found by `presented`'s hash and is not revoked. The hash comparison is
    /// constant-time, though the lookup already matched it: it keeps a store's answer honest.
    pub fn authenticates(&self, presented: &TokenHash) -> bool {
        let same: bool = self.hash.as_bytes().ct_eq(presented.as_bytes()).into();
        same && self.revoked_at.is_none()
    }
}

/// A key's secret, held only between its creation and the moment it is printed.
pub struct ApiKeySecret(String);

impl ApiKeySecret {
    /// A new random key.
    pub fn generate() -> Result<Self, CoreError> {
        Ok(Self(format!("{PREFIX}{}", Token::generate()?.expose())))
    }

    /// The hash of a presented key, if it has a key's form (`sk_` and 43 base64url characters).
    pub fn hash_of(presented: &str) -> Option<TokenHash> {
        let token = Token::parse(presented.strip_prefix(PREFIX)?)?;
        Some(token.hash())
    }

    /// The key, to print once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its hash, as the store keeps it.
    pub fn hash(&self) -> TokenHash {
        Self::hash_of(&self.0).unwrap_or_else(|| TokenHash::from_bytes([0; 32]))
    }
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKeySecret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_imply_what_docs_api_md_says() {
        use Scope::*;
        let grants = |s: Scope| {
            Scope::ALL
                .into_iter()
                .filter(|w| s.grants(*w))
                .collect::<Vec<_>>()
        };
        assert_eq!(grants(Admin), Scope::ALL);
        assert_eq!(grants(AdminRead), [SessionsRead, AdminRead]);
        assert_eq!(grants(SessionsWrite), [SessionsRead, SessionsWrite]);
        assert_eq!(grants(SessionsRead), [SessionsRead]);
        assert_eq!(Scope::parse("admin:read"), Some(AdminRead));
    }

    #[test]
    fn keys_have_their_form_and_only_their_form_hashes() {
        let key = ApiKeySecret::generate().unwrap();
        assert!(key.expose().starts_with("sk_") && key.expose().len() == 46);
        assert_eq!(ApiKeySecret::hash_of(key.expose()), Some(key.hash()));
        for bad in [
            "",
            "sk_",
            "sk_short",
            &key.expose()[3..],
            &format!("{}x", key.expose()),
        ] {
            assert_eq!(ApiKeySecret::hash_of(bad), None, "{bad:?}");
        }
        assert!(!format!("{key:?}").contains(&key.expose()[3..]));
    }

    #[test]
    fn a_write_key_asserts_only_its_roles_and_users_and_never_a_superadmin() {
        let mut key = ApiKey {
            name: "shop".into(),
            hash: TokenHash::from_bytes([1; 32]),
            scopes: vec![Scope::SessionsWrite],
            roles: vec!["oss".into(), "superadmin".into()],
            users: vec![],
            created_at: Timestamp::UNIX_EPOCH,
            revoked_at: None,
        };
        assert!(key.may_assert("alice", "oss"));
        assert!(
            !key.may_assert("alice", "netadmin"),
            "a role it does not carry"
        );
        assert!(!key.may_assert("admin", "superadmin"), "never a superadmin");
        key.users = vec!["alice".into()];
        assert!(key.may_assert("ALICE", "oss"), "by the username key");
        assert!(!key.may_assert("bob", "oss"), "a user it does not carry");
        key.scopes = vec![Scope::SessionsRead];
        assert!(!key.may_assert("alice", "oss"), "a read key asserts nobody");
        key.scopes = vec![Scope::Admin];
        assert!(
            key.may_assert("admin", "superadmin"),
            "admin asserts anyone"
        );
    }

    #[test]
    fn scopes_imply_the_lesser_ones() {
        use Scope::*;
        assert!(Admin.grants(SessionsWrite) && Admin.grants(SessionsRead));
        assert!(SessionsWrite.grants(SessionsRead) && !SessionsWrite.grants(Admin));
        assert!(!SessionsRead.grants(SessionsWrite));
        assert_eq!(Scope::parse("sessions:write"), Some(SessionsWrite));
        assert_eq!(Scope::parse("sessions:delete"), None);
    }
}
