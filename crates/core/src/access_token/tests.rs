//! The verifier refuses every token it did not issue in exactly its form.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;

use super::*;

const NOW: i64 = 1_800_000_000;

fn now() -> Timestamp {
    Timestamp::from_second(NOW).unwrap()
}

fn claims() -> AccessClaims {
    AccessClaims {
        iss: "https://auth.example.com".into(),
        aud: "sessiond".into(),
        sub: "user-1".into(),
        sid: "session-1".into(),
        name: "zoë".into(),
        role: "oss".into(),
        ctx: Some("lab".into()),
        display_name: None,
        auth_method: None,
        iat: NOW,
        nbf: NOW,
        exp: NOW + 900,
        jti: "jti-1".into(),
    }
}

fn setup() -> (SigningKey, Verifier) {
    let key = SigningKey::from_seed([7; 32]);
    let mut verifier = Verifier::new("https://auth.example.com", "sessiond", 30);
    verifier.trust(&key.public_key());
    (key, verifier)
}

/// `token` with its header replaced by `header` (the signature left as it was).
fn with_header(token: &str, header: &serde_json::Value) -> String {
    let rest = token.split_once('.').unwrap().1;
    format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()))
}

#[test]
fn a_token_it_signed_verifies_with_its_claims() {
    let (key, verifier) = setup();
    let token = key.sign(&claims()).unwrap();
    assert_eq!(verifier.verify(&token, now()), Ok(claims()));
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(
        (header.alg, header.typ.as_deref(), header.kid.as_deref()),
        (Algorithm::EdDSA, Some("at+jwt"), Some(key.kid()))
    );
}

#[test]
fn time_is_the_callers_with_an_explicit_leeway() {
    let (key, verifier) = setup();
    let token = key.sign(&claims()).unwrap();
    let at = |s: i64| Timestamp::from_second(s).unwrap();
    assert!(
        verifier.verify(&token, at(NOW + 900 + 30)).is_ok(),
        "within the leeway"
    );
    assert_eq!(
        verifier.verify(&token, at(NOW + 931)),
        Err(Rejected::Expired)
    );
    assert!(verifier.verify(&token, at(NOW - 30)).is_ok());
    assert_eq!(
        verifier.verify(&token, at(NOW - 31)),
        Err(Rejected::NotYetValid)
    );
}

#[test]
fn another_issuer_audience_or_key_is_refused() {
    let (key, _) = setup();
    let token = key.sign(&claims()).unwrap();
    let mut other_iss = Verifier::new("https://evil.example", "sessiond", 30);
    other_iss.trust(&key.public_key());
    assert_eq!(other_iss.verify(&token, now()), Err(Rejected::Issuer));
    let mut other_aud = Verifier::new("https://auth.example.com", "shop", 30);
    other_aud.trust(&key.public_key());
    assert_eq!(other_aud.verify(&token, now()), Err(Rejected::Audience));
    let stranger = SigningKey::from_seed([9; 32]);
    let forged = stranger.sign(&claims()).unwrap();
    let (_, verifier) = setup();
    assert_eq!(verifier.verify(&forged, now()), Err(Rejected::UnknownKey));
    // The stranger's token under our kid: the signature fails.
    let header = serde_json::json!({"alg": "EdDSA", "typ": "at+jwt", "kid": key.kid()});
    assert_eq!(
        verifier.verify(&with_header(&forged, &header), now()),
        Err(Rejected::Signature)
    );
}

#[test]
fn only_eddsa_access_tokens_with_our_kid_are_considered() {
    let (key, verifier) = setup();
    let token = key.sign(&claims()).unwrap();
    let kid = key.kid();
    for (header, why) in [
        (
            serde_json::json!({"alg": "none", "typ": "at+jwt", "kid": kid}),
            Rejected::Malformed,
        ),
        (
            serde_json::json!({"alg": "HS256", "typ": "at+jwt", "kid": kid}),
            Rejected::Algorithm,
        ),
        (
            serde_json::json!({"alg": "RS256", "typ": "at+jwt", "kid": kid}),
            Rejected::Algorithm,
        ),
        (
            serde_json::json!({"alg": "EdDSA", "typ": "JWT", "kid": kid}),
            Rejected::Type,
        ),
        (
            serde_json::json!({"alg": "EdDSA", "kid": kid}),
            Rejected::Type,
        ),
        (
            serde_json::json!({"alg": "EdDSA", "typ": "at+jwt"}),
            Rejected::UnknownKey,
        ),
        (
            serde_json::json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "../../etc/passwd"}),
            Rejected::UnknownKey,
        ),
    ] {
        assert_eq!(
            verifier.verify(&with_header(&token, &header), now()),
            Err(why),
            "{header}"
        );
    }
    // A key offered in the header is never used: the token must verify under our own key.
    let stranger = SigningKey::from_seed([9; 32]);
    let forged = stranger.sign(&claims()).unwrap();
    let header = serde_json::json!({
        "alg": "EdDSA", "typ": "at+jwt", "kid": kid,
        "jwk": stranger.public_key().jwk(), "jku": "https://evil.example/jwks.json",
    });
    assert_eq!(
        verifier.verify(&with_header(&forged, &header), now()),
        Err(Rejected::Signature)
    );
}

#[test]
fn the_jwk_is_rfc_8037s_and_the_debug_form_hides_the_seed() {
    let key = SigningKey::from_seed([7; 32]);
    let jwk = serde_json::to_value(key.public_key().jwk()).unwrap();
    assert_eq!(jwk["kty"], "OKP");
    assert_eq!(jwk["crv"], "Ed25519");
    assert_eq!(jwk["use"], "sig");
    assert_eq!(jwk["alg"], "EdDSA");
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(jwk["x"].as_str().unwrap())
            .unwrap()
            .len(),
        32
    );
    assert_eq!(
        format!("{key:?}"),
        format!("SigningKey({}, <redacted>)", key.kid())
    );
    assert_ne!(SigningKey::generate().unwrap().kid(), key.kid());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any change to any character of a valid token: refused, never a panic.
    #[test]
    fn a_mutated_token_never_verifies(position in any::<prop::sample::Index>(), replacement in any::<u8>()) {
        let (key, verifier) = setup();
        let token = key.sign(&claims()).unwrap();
        let mut bytes = token.clone().into_bytes();
        let i = position.index(bytes.len());
        prop_assume!(bytes[i] != replacement);
        bytes[i] = replacement;
        let mutated = String::from_utf8_lossy(&bytes).into_owned();
        prop_assert!(verifier.verify(&mutated, now()).is_err(), "{mutated}");
    }

    /// Arbitrary text, or a valid token cut short or with bytes appended: refused, never a panic.
    #[test]
    fn arbitrary_input_never_verifies(text in ".{0,600}", cut in any::<prop::sample::Index>(), tail in ".{1,20}") {
        let (key, verifier) = setup();
        prop_assert!(verifier.verify(&text, now()).is_err());
        let token = key.sign(&claims()).unwrap();
        let short = &token[..cut.index(token.len())];
        prop_assert!(verifier.verify(short, now()).is_err());
        let long = format!("{token}{tail}");
        prop_assert!(verifier.verify(&long, now()).is_err());
    }
}

#[test]
fn a_verified_token_is_found_by_its_exact_bytes_only() {
    use super::VerifiedTokens;
    let kept = VerifiedTokens::new(2);
    let token = "header.claims.signature";
    let claims: AccessClaims = serde_json::from_value(serde_json::json!({
        "iss": "sessiond", "aud": "sessiond", "sub": "u", "sid": "s", "name": "alice",
        "role": "oss", "iat": 0, "nbf": 0, "exp": 900, "jti": "j"
    }))
    .unwrap();
    kept.insert(VerifiedTokens::digest(token), "k1".into(), claims);
    let hit = kept.get(&VerifiedTokens::digest(token)).unwrap();
    assert_eq!(
        (hit.kid.as_str(), hit.claims.name.as_str()),
        ("k1", "alice")
    );
    // Another signature on the same claims is another token.
    assert!(
        kept.get(&VerifiedTokens::digest("header.claims.signaturf"))
            .is_none()
    );
    for i in 0..10 {
        let other = format!("token-{i}");
        kept.insert(
            VerifiedTokens::digest(&other),
            "k1".into(),
            hit.claims.clone(),
        );
    }
    assert!(kept.len() <= 2, "bounded: {}", kept.len());
}
