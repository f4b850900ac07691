//! Any text as a session token or a stored token hash: parsing never panics, and what parses
//! round-trips exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessiond_core::{Token, TokenHash};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(token) = Token::parse(text) {
        assert_eq!(token.expose(), text);
        assert_eq!(token.expose().len(), 43);
    }
    if let Some(hash) = TokenHash::from_hex(text) {
        assert_eq!(hash.to_hex(), text.to_ascii_lowercase());
    }
});
