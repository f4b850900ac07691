//! Device cookies (OWASP's "Slow Down Online Guessing Attacks with Device Cookies"): a browser
//! that has logged in as a user carries a token that says so, signed with the server key.
//!
//! An account lock stops everyone's guesses, so anyone could keep any account (`admin`
//! included) locked with a few requests an hour. With device cookies the lock applies to
//! untrusted clients only: a browser holding a valid device cookie for the user has its own
//! failure count and its own lock, so the owner still gets in while an attacker's guesses lock
//! the account for everyone else. A stolen device cookie is worth `threshold` guesses per lock
//! period, like any other client. Decision 0017 records the choice.
//!
//! A token is `v1.NONCE.ISSUED.MAC`: a random 128-bit nonce (base64url, it keys the device's
//! counters), the issue time in Unix seconds, and HMAC-SHA256(key, "device" ‖ user key ‖ nonce ‖
//! issued). The user is not written in the token; it is checked against the name being logged in.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use crate::error::CoreError;
use crate::random;
use crate::time::{Timestamp, to_millis};
use crate::token::SecretKey;
use crate::user::User;

/// A device cookie that verified for a user: its nonce keys the device's own lockout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// A random value that names this browser's counters.
    pub nonce: String,
}

impl SecretKey {
    /// A new device token for `username`, issued at `now`.
    pub fn device_token(&self, username: &str, now: Timestamp) -> Result<String, CoreError> {
        let nonce = URL_SAFE_NO_PAD.encode(random::bytes::<16>()?);
        let issued = to_millis(now) / 1000;
        let mac = URL_SAFE_NO_PAD.encode(self.device_mac(username, &nonce, issued));
        Ok(format!("v1.{nonce}.{issued}.{mac}"))
    }

    /// The device a presented token names, if it was issued for `username` by this key and is
    /// younger than `lifetime_secs` at `now`. Anything else is no device at all.
    pub fn verify_device(
        &self,
        presented: &str,
        username: &str,
        now: Timestamp,
        lifetime_secs: i64,
    ) -> Option<Device> {
        let mut parts = presented.split('.');
        let (Some("v1"), Some(nonce), Some(issued), Some(mac), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let issued: i64 = issued.parse().ok()?;
        let age = to_millis(now) / 1000 - issued;
        if nonce.len() != 22 || !(0..lifetime_secs).contains(&age) {
            return None;
        }
        let expected = URL_SAFE_NO_PAD.encode(self.device_mac(username, nonce, issued));
        let same =
            mac.len() == expected.len() && bool::from(mac.as_bytes().ct_eq(expected.as_bytes()));
        same.then(|| Device {
            nonce: nonce.to_owned(),
        })
    }

    fn device_mac(&self, username: &str, nonce: &str, issued: i64) -> [u8; 32] {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.bytes()) else {
            return [0; 32];
        };
        let user = User::username_key(username);
        let issued = issued.to_be_bytes();
        for part in [&b"device"[..], user.as_bytes(), nonce.as_bytes(), &issued] {
            mac.update(&(part.len() as u32).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Clock, ManualClock};

    #[test]
    fn a_device_token_verifies_only_for_its_user_key_and_lifetime() {
        let clock = ManualClock::at_epoch();
        let key = SecretKey::generate().unwrap();
        let token = key.device_token("Alice", clock.now()).unwrap();
        let device = key
            .verify_device(&token, "alice", clock.now(), 86_400)
            .unwrap();
        assert_eq!(device.nonce.len(), 22);
        assert!(
            key.verify_device(&token, "bob", clock.now(), 86_400)
                .is_none()
        );
        assert!(
            SecretKey::generate()
                .unwrap()
                .verify_device(&token, "alice", clock.now(), 86_400)
                .is_none(),
            "another key"
        );
        let mut forged = token.clone();
        forged.replace_range(3..4, if &token[3..4] == "A" { "B" } else { "A" });
        assert!(
            key.verify_device(&forged, "alice", clock.now(), 86_400)
                .is_none()
        );
        for garbage in ["", "v1", "v1...", "v2.a.1.b", &format!("{token}.x")] {
            assert!(
                key.verify_device(garbage, "alice", clock.now(), 86_400)
                    .is_none()
            );
        }
        clock.advance_secs(86_400);
        assert!(
            key.verify_device(&token, "alice", clock.now(), 86_400)
                .is_none(),
            "expired"
        );
    }
}
