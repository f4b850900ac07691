//! Signing keys as the stores keep them: the seed sealed under the server secret
//! (XChaCha20-Poly1305, a random 24-byte nonce first, the `kid` as associated data), so a copy
//! of the store alone cannot sign tokens, and a sealed seed cannot be moved to another `kid`.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::SigningKey;
use crate::error::CoreError;
use crate::time::Timestamp;
use crate::token::SecretKey;

const NONCE_LEN: usize = 24;

/// A signing key as stores keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedKey {
    /// The key's id.
    pub kid: String,
    /// Nonce and ciphertext of its seed.
    pub sealed: Vec<u8>,
    /// When it was made: the newest key signs, older ones only verify.
    pub created_at: Timestamp,
}

/// The sealing key: HMAC(server secret, purpose), so it is never the secret itself.
fn cipher(secret: &SecretKey) -> Option<XChaCha20Poly1305> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.bytes()).ok()?;
    mac.update(b"sessiond: access token signing keys, v1");
    XChaCha20Poly1305::new_from_slice(&mac.finalize().into_bytes()).ok()
}

impl SigningKey {
    /// The key sealed under `secret`, made at `created_at`.
    pub fn seal(&self, secret: &SecretKey, created_at: Timestamp) -> Result<SealedKey, CoreError> {
        let sealing_failed = || CoreError::Signing("the signing key could not be sealed".into());
        let cipher = cipher(secret).ok_or_else(sealing_failed)?;
        let nonce = crate::random::bytes::<NONCE_LEN>()?;
        let payload = Payload {
            msg: self.seed(),
            aad: self.kid().as_bytes(),
        };
        let ciphertext = cipher
            .encrypt(&XNonce::from(nonce), payload)
            .map_err(|_| sealing_failed())?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok(SealedKey {
            kid: self.kid().to_owned(),
            sealed,
            created_at,
        })
    }
}

impl SealedKey {
    /// The key, if `secret` sealed it for this `kid`; `None` for another secret or a changed
    /// record.
    pub fn open(&self, secret: &SecretKey) -> Option<SigningKey> {
        if self.sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = self.sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        let payload = Payload {
            msg: ciphertext,
            aad: self.kid.as_bytes(),
        };
        let seed = cipher(secret)?
            .decrypt(&XNonce::from(nonce), payload)
            .ok()?;
        let key = SigningKey::from_seed(seed.try_into().ok()?);
        (key.kid() == self.kid).then_some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(byte: u8) -> SecretKey {
        SecretKey::new(vec![byte; 32]).unwrap()
    }

    #[test]
    fn a_sealed_key_opens_only_under_its_secret_and_its_kid() {
        let key = SigningKey::generate().unwrap();
        let at = Timestamp::from_second(1_800_000_000).unwrap();
        let sealed = key.seal(&secret(1), at).unwrap();
        assert_eq!(sealed.kid, key.kid());
        let opened = sealed.open(&secret(1)).unwrap();
        assert_eq!((opened.kid(), opened.seed()), (key.kid(), key.seed()));
        assert!(sealed.open(&secret(2)).is_none(), "another secret");
        let moved = SealedKey {
            kid: SigningKey::generate().unwrap().kid().to_owned(),
            ..sealed.clone()
        };
        assert!(moved.open(&secret(1)).is_none(), "another kid");
        let mut flipped = sealed.clone();
        let last = flipped.sealed.len() - 1;
        flipped.sealed[last] ^= 1;
        assert!(flipped.open(&secret(1)).is_none(), "a changed byte");
        let seed = key.seed();
        assert!(
            !sealed.sealed.windows(seed.len()).any(|w| w == seed),
            "the seed is not in the record"
        );
    }
}
