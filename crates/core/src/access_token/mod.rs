//! Access tokens for API and mobile clients: JWTs signed with EdDSA (Ed25519), header
//! `{alg: "EdDSA", typ: "at+jwt", kid}` (RFC 9068), and the verifier that accepts nothing else.
//!
//! The verifier is the part an attacker talks to, so it is narrow on purpose:
//! - one algorithm, EdDSA, whatever the header asks for (no `none`, no HMAC with a public key);
//! - typed keys: an Ed25519 public key per `kid`, looked up only among this verifier's own keys
//!   (a `jku`, `jwk`, `x5u` or `x5c` in the header is never followed);
//! - `typ` must be `at+jwt`, so an ID token or another JWT of the same issuer is refused;
//! - `iss`, `aud`, `exp` and `nbf` are checked against the caller's clock with an explicit
//!   leeway, so tests drive time and a skewed node does not decide alone.
//!
//! Signing keys are made here, and sealed under the server secret for the stores to keep
//! ([`SealedKey`]); which key signs, and when keys rotate, is the caller's.

use std::collections::HashMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::time::Timestamp;

mod sealed;
mod verified;

pub use sealed::SealedKey;
pub use verified::{Verified, VerifiedTokens};

/// The access token's `typ` (RFC 9068).
pub const TYP: &str = "at+jwt";

/// An access token's lifetime, seed 003's default: the longest any of them is valid, so a
/// replaced key is shown in the JWKS document this long after its replacement.
pub const ACCESS_LIFETIME_SECS: i64 = 900;

/// Longest token the verifier parses: ours are well under 1 KiB.
const MAX_TOKEN_BYTES: usize = 4096;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Who issued it (`SESSIOND_PUBLIC_URL` by default).
    pub iss: String,
    /// Whom it is for (`sessiond` by default).
    pub aud: String,
    /// The user's id.
    pub sub: String,
    /// The session's id: sessiond's own routes check that it is still alive.
    pub sid: String,
    /// The username.
    pub name: String,
    /// The user's role.
    pub role: String,
    /// The session's active context, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctx: Option<String>,
    /// The user's display name (seed 000), if the session has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// How the user proved who they are: `local`, `ldap`, or `app` (the backend API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_method: Option<String>,
    /// Issued at, in seconds since the epoch.
    pub iat: i64,
    /// Not before.
    pub nbf: i64,
    /// Expires at.
    pub exp: i64,
    /// The token's own id.
    pub jti: String,
}

/// An Ed25519 key that signs access tokens, and its id.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    seed: [u8; 32],
    public: [u8; 32],
}

impl SigningKey {
    /// A new random key; its `kid` is derived from its public key.
    pub fn generate() -> Result<Self, CoreError> {
        Ok(Self::from_seed(crate::random::bytes::<32>()?))
    }

    /// The key whose secret seed is `seed` (as kept, encrypted, by the store).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let public = ed25519_dalek::SigningKey::from_bytes(&seed)
            .verifying_key()
            .to_bytes();
        let digest = <sha2::Sha256 as sha2::Digest>::digest(public);
        let kid = URL_SAFE_NO_PAD.encode(&digest[..12]);
        Self { kid, seed, public }
    }

    /// The key's id, the `kid` of its tokens' headers.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The secret seed, for the store to encrypt.
    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    /// The public half, which verifies its tokens.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            kid: self.kid.clone(),
            x: self.public,
        }
    }

    /// `claims`, signed.
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, CoreError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(TYP.to_owned());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(
            &header,
            claims,
            &EncodingKey::from_ed_der(&pkcs8(&self.seed)),
        )
        .map_err(|e| CoreError::Signing(Box::new(e)))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({}, <redacted>)", self.kid)
    }
}

/// An Ed25519 seed as PKCS#8 v1 (RFC 8410), the form the JWT library takes.
fn pkcs8(seed: &[u8; 32]) -> Vec<u8> {
    const PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let mut der = PREFIX.to_vec();
    der.extend_from_slice(seed);
    der
}

/// A public key that verifies access tokens, as the JWKS document shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    kid: String,
    x: [u8; 32],
}

/// A key of `/.well-known/jwks.json` (RFC 8037).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// `OKP`.
    pub kty: String,
    /// `Ed25519`.
    pub crv: String,
    /// The key's id.
    pub kid: String,
    /// The public key, base64url.
    pub x: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// `EdDSA`.
    pub alg: String,
}

impl PublicKey {
    /// The key's id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key as a JWK.
    pub fn jwk(&self) -> Jwk {
        Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            kid: self.kid.clone(),
            x: URL_SAFE_NO_PAD.encode(self.x),
            use_: "sig".into(),
            alg: "EdDSA".into(),
        }
    }
}

/// Why a token was refused. Clients are told only `invalid_token`; this is for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// Not a JWT, too long, or claims of the wrong shape.
    #[error("malformed")]
    Malformed,
    /// Another algorithm than EdDSA.
    #[error("algorithm not allowed")]
    Algorithm,
    /// Not an access token (`typ` is not `at+jwt`).
    #[error("not an access token")]
    Type,
    /// No `kid`, or one that is not among this verifier's keys.
    #[error("unknown key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("bad signature")]
    Signature,
    /// Another issuer.
    #[error("wrong issuer")]
    Issuer,
    /// Another audience.
    #[error("wrong audience")]
    Audience,
    /// Past `exp` (and the leeway).
    #[error("expired")]
    Expired,
    /// Before `nbf` (less the leeway).
    #[error("not yet valid")]
    NotYetValid,
}

/// Checks access tokens against a set of public keys, one issuer and one audience.
pub struct Verifier {
    keys: HashMap<String, DecodingKey>,
    issuer: String,
    audience: String,
    leeway_secs: i64,
}

impl Verifier {
    /// A verifier with no keys yet.
    pub fn new(issuer: &str, audience: &str, leeway_secs: i64) -> Self {
        Self {
            keys: HashMap::new(),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            leeway_secs: leeway_secs.max(0),
        }
    }

    /// Trusts `key` for tokens that name its `kid`.
    pub fn trust(&mut self, key: &PublicKey) {
        self.keys
            // The library takes the raw 32-byte key here (its `from_ed_components` decodes to it).
            .insert(key.kid.clone(), DecodingKey::from_ed_der(&key.x));
    }

    /// Trusts the key of a JWKS document's entry, if it is an Ed25519 signing key.
    pub fn trust_jwk(&mut self, jwk: &Jwk) -> bool {
        let x = URL_SAFE_NO_PAD
            .decode(&jwk.x)
            .ok()
            .and_then(|x| <[u8; 32]>::try_from(x).ok());
        let usable = jwk.kty == "OKP" && jwk.crv == "Ed25519" && jwk.alg == "EdDSA";
        match x.filter(|_| usable) {
            Some(x) => {
                self.trust(&PublicKey {
                    kid: jwk.kid.clone(),
                    x,
                });
                true
            }
            None => false,
        }
    }

    /// The claims of `token` if it is an access token this verifier accepts at `now`.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<AccessClaims, Rejected> {
        self.verify_keyed(token, now).map(|(_, claims)| claims)
    }

    /// Whether `kid` is one of this verifier's keys: a token verified under a key since dropped
    /// (revoked, retired) is no longer ours.
    pub fn knows(&self, kid: &str) -> bool {
        self.keys.contains_key(kid)
    }

    /// [`Verifier::verify`], with the `kid` that verified the token.
    pub fn verify_keyed(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<(String, AccessClaims), Rejected> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Rejected::Malformed);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| Rejected::Malformed)?;
        if header.alg != Algorithm::EdDSA {
            return Err(Rejected::Algorithm);
        }
        if header.typ.as_deref() != Some(TYP) {
            return Err(Rejected::Type);
        }
        let kid = header.kid.ok_or(Rejected::UnknownKey)?;
        let key = self.keys.get(&kid).ok_or(Rejected::UnknownKey)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        // Time is checked below against the caller's clock, not the library's.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.required_spec_claims.clear();
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        let claims = jsonwebtoken::decode::<AccessClaims>(token, key, &validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::InvalidSignature => Rejected::Signature,
                    ErrorKind::InvalidIssuer => Rejected::Issuer,
                    ErrorKind::InvalidAudience => Rejected::Audience,
                    ErrorKind::InvalidAlgorithm => Rejected::Algorithm,
                    _ => Rejected::Malformed,
                }
            })?
            .claims;
        self.check_time(&claims, now)?;
        Ok((kid, claims))
    }

    /// The time claims against `now`, with this verifier's leeway: for a token verified before.
    pub fn check_time(&self, claims: &AccessClaims, now: Timestamp) -> Result<(), Rejected> {
        let now = now.as_second();
        if now > claims.exp.saturating_add(self.leeway_secs) {
            return Err(Rejected::Expired);
        }
        // A token issued in the future is forged or from a badly skewed clock: either way no
        // token of ours.
        let future = now.saturating_add(self.leeway_secs);
        if claims.nbf > future || claims.iat > future {
            return Err(Rejected::NotYetValid);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
