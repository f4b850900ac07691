//! The access token verifier (`sessiond_core::access_token::Verifier`) on any input: it must
//! refuse, never panic. The corpus starts from nothing; a valid token's shape is found quickly
//! because the verifier reports nothing, so libFuzzer is guided by coverage alone.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use sessiond_core::Timestamp;
use sessiond_core::access_token::{SigningKey, Verifier};

static VERIFIER: LazyLock<Verifier> = LazyLock::new(|| {
    let mut v = Verifier::new("https://auth.example.com", "sessiond", 30);
    v.trust(&SigningKey::from_seed([7; 32]).public_key());
    v
});

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        assert!(VERIFIER.verify(text, now).is_err());
    }
});
