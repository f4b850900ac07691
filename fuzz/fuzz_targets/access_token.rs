//! The token parsers on any input: the access token verifier
//! (`sessiond_core::access_token::Verifier`) and the refresh token parser
//! (`sessiond_core::refresh_token::RefreshToken::parse`) must refuse, never panic. The corpus
//! starts from nothing; a valid token's shape is found quickly because the parsers report
//! nothing, so libFuzzer is guided by coverage alone.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use sessiond_core::access_token::{SigningKey, Verifier};
use sessiond_core::refresh_token::RefreshToken;
use sessiond_core::{SecretKey, Timestamp};

static VERIFIER: LazyLock<Verifier> = LazyLock::new(|| {
    let mut v = Verifier::new("https://auth.example.com", "sessiond", 30);
    v.trust(&SigningKey::from_seed([7; 32]).public_key());
    v
});

static KEY: LazyLock<Option<SecretKey>> = LazyLock::new(|| SecretKey::new(vec![7; 32]));

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        assert!(VERIFIER.verify(text, now).is_err());
        if let Some(key) = KEY.as_ref() {
            assert!(RefreshToken::parse(key, text).is_none());
        }
    }
});
