//! Any bytes as one or more `Cookie` headers: finding the session cookie never panics, and a
//! value it returns is one of the header's own bytes.
#![no_main]

use axum::http::{HeaderMap, HeaderValue, header};
use libfuzzer_sys::fuzz_target;
use sessiond_core::Token;
use sessiond_http::extract::find_cookie;

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    for part in data.split(|b| *b == b'\n').take(8) {
        if let Ok(v) = HeaderValue::from_bytes(part) {
            headers.append(header::COOKIE, v);
        }
    }
    if let Ok(Some(value)) = find_cookie(&headers, "sessiond") {
        assert!(value.len() <= data.len());
        if let Some(token) = Token::parse(value) {
            assert_eq!(token.expose(), value);
        }
    }
});
