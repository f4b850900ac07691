//! Users and their passwords (Argon2id). Usernames are unique without regard to case.

use argon2::password_hash::{
    Output, ParamsString, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::ids::UserId;
use crate::random;
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

/// Argon2id hashing with OWASP's parameters (19 MiB, 2 passes).
#[derive(Clone)]
pub struct Passwords {
    argon: Argon2<'static>,
    /// A hash of a random password: unknown users are verified against it so that their
    /// answer takes as long as a wrong password's.
    dummy_hash: String,
}

impl Passwords {
    /// The Argon2id parameters sessiond uses, and a dummy hash for unknown users.
    pub fn new() -> Result<Self, CoreError> {
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default());
        let mut me = Self {
            argon,
            dummy_hash: String::new(),
        };
        let dummy = random::bytes::<24>()?;
        me.dummy_hash = me.hash(&String::from_utf8_lossy(&dummy))?;
        Ok(me)
    }

    /// Hashes `password` (Argon2id, PHC string).
    pub fn hash(&self, password: &str) -> Result<String, CoreError> {
        let salt = SaltString::encode_b64(&random::bytes::<16>()?)
            .map_err(|e| CoreError::PasswordHash(Box::new(e)))?;
        self.argon
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| CoreError::PasswordHash(Box::new(e)))
    }

    /// Verifies `password` against `hash`, or against the dummy hash when there is none.
    pub fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        let real = hash.is_some();
        let Ok(parsed) = PasswordHash::new(hash.unwrap_or(&self.dummy_hash)) else {
            return false;
        };
        self.argon
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            && real
    }
}

impl Passwords {
    /// Like `hash`, with the Argon2 memory of `scratch` (the hashing pool's workers keep one).
    pub fn hash_with(
        &self,
        password: &str,
        scratch: &mut crate::hashing::Scratch,
    ) -> Result<String, CoreError> {
        let fail = |e: argon2::password_hash::Error| CoreError::PasswordHash(Box::new(e));
        let salt_bytes = random::bytes::<16>()?;
        let salt = SaltString::encode_b64(&salt_bytes).map_err(fail)?;
        let params = self.argon.params();
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        self.argon
            .hash_password_into_with_memory(
                password.as_bytes(),
                &salt_bytes,
                &mut out,
                scratch.blocks(params.block_count()),
            )
            .map_err(|e| CoreError::PasswordHash(Box::new(e)))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(params).map_err(fail)?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).map_err(fail)?),
        };
        Ok(phc.to_string())
    }

    /// Like `verify`, with the Argon2 memory of `scratch`. The parameters, salt and length come
    /// from the stored hash, so hashes made with other parameters still verify.
    pub fn verify_with(
        &self,
        password: &str,
        hash: Option<&str>,
        scratch: &mut crate::hashing::Scratch,
    ) -> bool {
        let real = hash.is_some();
        let Ok(parsed) = PasswordHash::new(hash.unwrap_or(&self.dummy_hash)) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return false;
        };
        let (Ok(algorithm), Ok(params)) = (
            Algorithm::try_from(parsed.algorithm),
            Params::try_from(&parsed),
        ) else {
            return false;
        };
        let version = parsed
            .version
            .map_or(Ok(Version::V0x13), Version::try_from)
            .unwrap_or(Version::V0x13);
        let mut salt_buf = [0u8; 64];
        let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
            return false;
        };
        let blocks = params.block_count();
        let argon = Argon2::new(algorithm, version, params);
        let mut out = vec![0u8; expected.len()];
        if argon
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt,
                &mut out,
                scratch.blocks(blocks),
            )
            .is_err()
        {
            return false;
        }
        let same: bool = subtle::ConstantTimeEq::ct_eq(out.as_slice(), expected.as_bytes()).into();
        same && real
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_right_password() {
        let p = Passwords::new().unwrap();
        let h = p.hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(p.verify("correct horse", Some(&h)));
        assert!(!p.verify("wrong", Some(&h)));
        assert!(!p.verify("correct horse", None));
    }

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
