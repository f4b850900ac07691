//! Session tokens: 256 random bits, base64url, shown to the client once and stored only as a
//! SHA-256 hash. CSRF tokens are derived (HMAC) from the server key and the session, so they
//! are never stored either.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::CoreError;
use crate::ids::SessionId;
use crate::random;

/// Length of an encoded token: 32 bytes in base64url without padding.
pub const TOKEN_LEN: usize = 43;

/// Whether a presented secret is the configured one (a metrics bearer token, say), compared
/// as SHA-256 digests in constant time, so neither its length nor a shared prefix shows.
pub fn secrets_match(presented: &str, configured: &str) -> bool {
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(configured.as_bytes());
    a.ct_eq(&b).into()
}

/// A secret session token. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// A fresh token from the OS CSPRNG.
    pub fn generate() -> Result<Self, CoreError> {
        Ok(Self(URL_SAFE_NO_PAD.encode(random::bytes::<32>()?)))
    }

    /// A fresh token whose hash has the affinity `affinity` (its session's: see
    /// [`SessionId::affinity`]). Tokens are drawn until one does, 256 draws on average, each
    /// as random as [`Self::generate`]'s: the condition is on the hash, so no bit of the token
    /// is fixed. Reaching the bound (a chance of about e^-256) gives a token without it, which
    /// a store still finds, only not in one step.
    pub fn generate_with_affinity(affinity: u8) -> Result<Self, CoreError> {
        const AT_ONCE: usize = 16;
        let mut last = None;
        for _ in 0..4096 {
            let mut batch = [0u8; 32 * AT_ONCE];
            random::fill(&mut batch)?;
            for raw in batch.chunks_exact(32) {
                let token = Self(URL_SAFE_NO_PAD.encode(raw));
                if token.hash().affinity() == affinity {
                    return Ok(token);
                }
                last = Some(token);
            }
        }
        last.map_or_else(Self::generate, Ok)
    }

    /// Accepts only the exact shape we issue, so garbage never reaches a store lookup.
    pub fn parse(raw: &str) -> Option<Self> {
        let well_formed = raw.len() == TOKEN_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && URL_SAFE_NO_PAD.decode(raw).is_ok_and(|b| b.len() == 32);
        well_formed.then(|| Self(raw.to_owned()))
    }

    /// The secret itself: only for putting it in a `Set-Cookie` header or a response body.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// SHA-256 of the token: what stores keep.
    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.as_bytes()).into())
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// SHA-256 of a token: what stores keep and look up by.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// From the 32 bytes of a hash.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// From 32 bytes; `None` for any other length.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    /// Its first byte. A cookie token's hash shares it with its session's id
    /// ([`SessionId::affinity`]), so a store that shards by key can put a token's key beside
    /// its session's (docs/decisions/0057-a-token-beside-its-session.md).
    pub fn affinity(&self) -> u8 {
        self.0[0]
    }

    /// Its bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, for stores that key by string (the hash is not a secret).
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// From 64 hex digits.
    pub fn from_hex(hex: &str) -> Option<Self> {
        // Only hex digits: `from_str_radix` alone would also take a sign ("+4"), which the
        // fuzzer found.
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(out))
    }
}

impl serde::Serialize for TokenHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for TokenHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let hex = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::from_hex(&hex).ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({}…)", &self.to_hex()[..8])
    }
}

/// The server's secret key for derived tokens. `Debug` never shows it.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    /// The fewest bytes a server key may have.
    pub const MIN_LEN: usize = 32;

    /// From `bytes`; `None` when shorter than [`Self::MIN_LEN`].
    pub fn new(bytes: Vec<u8>) -> Option<Self> {
        (bytes.len() >= Self::MIN_LEN).then_some(Self(bytes))
    }

    /// 32 random bytes from the OS.
    pub fn generate() -> Result<Self, CoreError> {
        Ok(Self(random::bytes::<32>()?.to_vec()))
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The CSRF token of a session: HMAC(key, "csrf" ‖ session id ‖ token hash), with each part
    /// length-prefixed so no two inputs share a message. It changes whenever the token rotates.
    pub fn csrf_token(&self, session: &SessionId, token: &TokenHash) -> String {
        URL_SAFE_NO_PAD.encode(self.csrf_mac(session, token))
    }

    /// Constant-time check of a presented CSRF token.
    pub fn verify_csrf(&self, session: &SessionId, token: &TokenHash, presented: &str) -> bool {
        // Compared as text: decoding the presented value first would fail fast on some inputs
        // and so take less time on them than on the right token (measured with bench/ct).
        let expected = URL_SAFE_NO_PAD.encode(self.csrf_mac(session, token));
        presented.len() == expected.len()
            && bool::from(presented.as_bytes().ct_eq(expected.as_bytes()))
    }

    fn csrf_mac(&self, session: &SessionId, token: &TokenHash) -> [u8; 32] {
        self.mac(&[b"csrf", session.as_uuid().as_bytes(), token.as_bytes()])
    }

    /// What the store keeps to tell this key from another (`SecretCheck`): a MAC of a fixed
    /// label, from which the key cannot be found.
    pub fn check_value(&self) -> String {
        let mac = self.mac(&[b"sessiond secret check", b"v1"]);
        mac.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// HMAC-SHA256 under the server key of `parts`, each length-prefixed so no two inputs
    /// share a message. The first part names the purpose, so no two purposes share a MAC.
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        // An HMAC accepts keys of any length, so this cannot fail; fall back to an empty MAC
        // (which then never verifies) rather than panic.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return [0; 32];
        };
        for part in parts {
            mac.update(&(part.len() as u32).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Clock, ManualClock};

    #[test]
    fn tokens_are_256_bit_and_unique() {
        let a = Token::generate().unwrap();
        let b = Token::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), TOKEN_LEN);
        assert_eq!(Token::parse(a.expose()), Some(a));
    }

    /// docs/security.md row 6: 10,000 tokens are all different, share no prefix, and every bit
    /// is set in about half of them (each bit within 6 standard deviations of 5,000; the byte
    /// values pass a χ² test with 255 degrees of freedom at a bound 6 standard deviations out).
    #[test]
    fn row6_tokens_look_uniformly_random() {
        const N: usize = 10_000;
        let raw: Vec<[u8; 32]> = (0..N)
            .map(|_| {
                let t = Token::generate().unwrap();
                let bytes = URL_SAFE_NO_PAD.decode(t.expose()).unwrap();
                <[u8; 32]>::try_from(bytes.as_slice()).unwrap()
            })
            .collect();
        let unique: std::collections::HashSet<_> = raw.iter().collect();
        assert_eq!(unique.len(), N);
        let prefixes: std::collections::HashSet<_> = raw.iter().map(|r| &r[..4]).collect();
        assert!(
            prefixes.len() >= N - 10,
            "no common prefix, counter or timestamp"
        );

        for bit in 0..256 {
            let ones = raw
                .iter()
                .filter(|r| r[bit / 8] & (1 << (bit % 8)) != 0)
                .count() as f64;
            assert!(
                (ones - 5000.0).abs() <= 300.0,
                "bit {bit} set in {ones} of {N}"
            );
        }
        let mut counts = [0u64; 256];
        for byte in raw.iter().flatten() {
            counts[usize::from(*byte)] += 1;
        }
        let expected = (N * 32) as f64 / 256.0;
        let chi2: f64 = counts
            .iter()
            .map(|c| (*c as f64 - expected).powi(2) / expected)
            .sum();
        assert!(chi2 < 255.0 + 6.0 * (2.0f64 * 255.0).sqrt(), "χ² = {chi2}");
    }

    #[test]
    fn a_token_drawn_for_an_affinity_has_it_and_is_still_a_token() {
        for affinity in [0u8, 0x5c, 0xff] {
            let t = Token::generate_with_affinity(affinity).unwrap();
            assert_eq!(t.hash().affinity(), affinity);
            assert_eq!(Token::parse(t.expose()).as_ref(), Some(&t));
        }
        let a = Token::generate_with_affinity(7).unwrap();
        let b = Token::generate_with_affinity(7).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn hash_hex_takes_only_hex_digits() {
        let hex = Token::generate().unwrap().hash().to_hex();
        assert!(TokenHash::from_hex(&hex).is_some());
        let signed = format!("+4{}", &hex[2..]);
        assert!(
            TokenHash::from_hex(&signed).is_none(),
            "found by fuzz/token"
        );
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for raw in [
            "",
            "x",
            "' OR 1=1--",
            "../",
            &"a".repeat(10_000),
            &"é".repeat(43),
        ] {
            assert!(Token::parse(raw).is_none(), "{raw:?}");
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let t = Token::generate().unwrap();
        assert!(!format!("{t:?}").contains(t.expose()));
    }

    #[test]
    fn hash_hex_round_trip() {
        let h = Token::generate().unwrap().hash();
        assert_eq!(TokenHash::from_hex(&h.to_hex()), Some(h));
    }

    #[test]
    fn csrf_token_is_bound_to_session_and_token() {
        let key = SecretKey::generate().unwrap();
        let now = ManualClock::at_epoch().now();
        let (s1, s2) = (
            SessionId::generate(now).unwrap(),
            SessionId::generate(now).unwrap(),
        );
        let (t1, t2) = (
            Token::generate().unwrap().hash(),
            Token::generate().unwrap().hash(),
        );
        let csrf = key.csrf_token(&s1, &t1);
        assert!(key.verify_csrf(&s1, &t1, &csrf));
        assert!(!key.verify_csrf(&s2, &t1, &csrf));
        assert!(!key.verify_csrf(&s1, &t2, &csrf));
        assert!(!key.verify_csrf(&s1, &t1, "nope"));
    }
}
