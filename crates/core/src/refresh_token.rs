//! Refresh tokens: what holds a token session (docs/api.md, "Tokens"). Opaque to the client,
//! stored only as a SHA-256 hash, like a session cookie. Three properties make rotation and
//! theft detection work without storing anything but the current and previous hash:
//!
//! - Each token names its family (the session id) and its generation, under a MAC of the
//!   server key, so a token that is ours but no longer current is known for what it is: a
//!   rotated-out token, whose return is theft. A forged one is merely invalid, so knowing a
//!   session id is not enough to revoke it.
//! - The next token is derived from the current one (an HMAC chain under the server key), so
//!   a refresh that lost a race, or a replay within the reuse grace, gets the same next token
//!   as the winner: one lineage, never a second, with nothing secret in the store.
//! - The first token's secret is 256 random bits; no later one can be computed without the
//!   previous token and the server key.
//!
//! Layout: `sdrt_` and base64url of session id (16) ‖ generation (4, big-endian) ‖ secret (32) ‖
//! tag (16, the first half of an HMAC of the rest).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::error::CoreError;
use crate::ids::SessionId;
use crate::token::{SecretKey, TokenHash};

/// What every refresh token starts with, so secret scanners can find a leaked one.
pub const PREFIX: &str = "sdrt_";

const BODY: usize = 16 + 4 + 32;
const RAW: usize = BODY + 16;
/// Length of an encoded refresh token.
pub const REFRESH_TOKEN_LEN: usize = PREFIX.len() + (RAW * 4).div_ceil(3);

/// A refresh token. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken {
    session: SessionId,
    generation: u32,
    secret: [u8; 32],
    encoded: String,
}

impl RefreshToken {
    /// The first token of the session `session`: 256 fresh random bits.
    pub fn first(key: &SecretKey, session: SessionId) -> Result<Self, CoreError> {
        Ok(Self::assemble(
            key,
            session,
            0,
            crate::random::bytes::<32>()?,
        ))
    }

    /// The token that replaces this one. The same for every caller: see the module's notes.
    pub fn next(&self, key: &SecretKey) -> Self {
        let generation = self.generation.wrapping_add(1);
        let secret = key.mac(&[
            b"refresh-chain",
            self.session.as_uuid().as_bytes(),
            &generation.to_be_bytes(),
            &self.secret,
        ]);
        Self::assemble(key, self.session, generation, secret)
    }

    /// A presented token, if it has our shape and our MAC (checked in constant time). Anything
    /// else is `None`, so garbage and forgeries never reach a store.
    pub fn parse(key: &SecretKey, raw: &str) -> Option<Self> {
        let body = raw.strip_prefix(PREFIX)?;
        if raw.len() != REFRESH_TOKEN_LEN {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(body).ok()?;
        let bytes = <[u8; RAW]>::try_from(bytes.as_slice()).ok()?;
        let (head, tag) = bytes.split_at(BODY);
        let session = SessionId::from_uuid(Uuid::from_slice(&head[..16]).ok()?);
        let generation = u32::from_be_bytes(head[16..20].try_into().ok()?);
        let secret: [u8; 32] = head[20..].try_into().ok()?;
        let token = Self::assemble(key, session, generation, secret);
        // The re-encoding must be the same text: base64url has more than one spelling of some
        // byte strings (the unused low bits of the last character).
        let same = token.encoded.as_bytes().ct_eq(raw.as_bytes());
        let tag_ok = Self::tag(key, head).ct_eq(tag);
        bool::from(same & tag_ok).then_some(token)
    }

    fn assemble(key: &SecretKey, session: SessionId, generation: u32, secret: [u8; 32]) -> Self {
        let mut raw = Vec::with_capacity(RAW);
        raw.extend_from_slice(session.as_uuid().as_bytes());
        raw.extend_from_slice(&generation.to_be_bytes());
        raw.extend_from_slice(&secret);
        let tag = Self::tag(key, &raw);
        raw.extend_from_slice(&tag);
        let encoded = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(&raw));
        Self {
            session,
            generation,
            secret,
            encoded,
        }
    }

    fn tag(key: &SecretKey, body: &[u8]) -> [u8; 16] {
        let mac = key.mac(&[b"refresh-tag", body]);
        let mut tag = [0; 16];
        tag.copy_from_slice(&mac[..16]);
        tag
    }

    /// The session (the token family) it belongs to.
    pub fn session(&self) -> SessionId {
        self.session
    }

    /// How many rotations came before it.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// The secret itself: only for a response body.
    pub fn expose(&self) -> &str {
        &self.encoded
    }

    /// SHA-256 of the token: what the store keeps. A cookie token is a 43-character string
    /// and this one is longer, so neither can ever be taken for the other.
    pub fn hash(&self) -> TokenHash {
        let digest = <sha2::Sha256 as sha2::Digest>::digest(self.encoded.as_bytes());
        TokenHash::from_bytes(digest.into())
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RefreshToken({}, generation {}, <redacted>)",
            self.session, self.generation
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Clock, ManualClock};

    fn key() -> SecretKey {
        SecretKey::generate().unwrap()
    }

    fn session() -> SessionId {
        SessionId::generate(ManualClock::at_epoch().now()).unwrap()
    }

    #[test]
    fn a_token_parses_back_and_its_successor_is_the_same_for_everyone() {
        let key = key();
        let first = RefreshToken::first(&key, session()).unwrap();
        assert_eq!(first.expose().len(), REFRESH_TOKEN_LEN);
        assert_eq!(
            RefreshToken::parse(&key, first.expose()),
            Some(first.clone())
        );
        let next = first.next(&key);
        assert_eq!(next, first.next(&key), "derived, not random");
        assert_eq!(next.generation(), 1);
        assert_eq!(next.session(), first.session());
        assert_ne!(next.expose(), first.expose());
        assert_ne!(next.hash(), first.hash());
        assert_eq!(RefreshToken::parse(&key, next.expose()), Some(next));
    }

    #[test]
    fn another_server_key_or_any_changed_character_is_refused() {
        let key = key();
        let token = RefreshToken::first(&key, session()).unwrap();
        assert_eq!(RefreshToken::parse(&self::key(), token.expose()), None);
        let raw = token.expose();
        for i in PREFIX.len()..raw.len() {
            let mut bytes = raw.as_bytes().to_vec();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).unwrap();
            assert_eq!(RefreshToken::parse(&key, &changed), None, "at {i}");
        }
        for bad in ["", PREFIX, "sdrt_x", &raw[1..], &format!("{raw}A")] {
            assert_eq!(RefreshToken::parse(&key, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_session_cookie_is_never_a_refresh_token() {
        let key = key();
        let cookie = crate::token::Token::generate().unwrap();
        assert_eq!(RefreshToken::parse(&key, cookie.expose()), None);
        let token = RefreshToken::first(&key, session()).unwrap();
        assert_eq!(crate::token::Token::parse(token.expose()), None);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let token = RefreshToken::first(&key(), session()).unwrap();
        assert!(!format!("{token:?}").contains(&token.expose()[PREFIX.len()..]));
    }
}
