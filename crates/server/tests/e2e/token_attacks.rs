//! Hostile access tokens against the real server (docs/security.md rows 8-14): every one is
//! 401 `{valid: false, code: "invalid_token"}` on the session routes and on forward auth,
//! never a 500, and no header makes the server fetch a key from anywhere.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use reqwest::Method;
use serde_json::{Value, json};
use sessiond_core::ClientInfo;
use sessiond_core::api_key::Scope;
use sessiond_core::service::{NewApiKey, Write};
use sessiond_testkit::TestServer;

use crate::tokens::{call, refresh, token_login};

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An Ed25519 seed as PKCS#8 v1 (RFC 8410).
fn pkcs8(seed: &[u8; 32]) -> Vec<u8> {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(seed);
    der
}

/// `header.payload.signature`, the header and payload taken as raw JSON text, signed with `key`.
fn sign_raw(header: &str, payload: &str, key: &EncodingKey, alg: Algorithm) -> String {
    let message = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), key, alg).unwrap();
    format!("{message}.{signature}")
}

struct Keys {
    ours: EncodingKey,
    kid: String,
    public: Vec<u8>,
    theirs: EncodingKey,
}

fn unsigned(header: &Value, payload: &Value) -> String {
    format!(
        "{}.{}.",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    )
}

/// Every hostile token must be refused as `invalid_token` wherever a bearer is read.
async fn assert_refused(srv: &TestServer, what: &str, token: &str) {
    for path in [
        "/api/session/check",
        "/api/session/sessions",
        "/auth/verify",
    ] {
        let r = call(srv, Method::GET, path, Some(token), None).await;
        assert_eq!(r.status, 401, "{what} on {path}: {}", r.body);
        assert_eq!(r.body["code"], "invalid_token", "{what} on {path}");
        assert_eq!(r.body["valid"], false, "{what} on {path}");
    }
}

async fn setup() -> (TestServer, Value, Keys) {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let pair = token_login(&srv, "alice").await;
    let key = srv
        .state
        .service
        .tokens()
        .current_signing_key()
        .await
        .unwrap();
    let jwk = key.public_key().jwk();
    let keys = Keys {
        ours: EncodingKey::from_ed_der(&pkcs8(key.seed())),
        kid: key.kid().to_owned(),
        public: URL_SAFE_NO_PAD.decode(&jwk.x).unwrap(),
        theirs: EncodingKey::from_ed_der(&pkcs8(&[9; 32])),
    };
    (srv, pair, keys)
}

fn parts(token: &str) -> (Value, Value, String) {
    let p: Vec<&str> = token.split('.').collect();
    let decode = |s: &str| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).unwrap()).unwrap();
    (decode(p[0]), decode(p[1]), p[2].to_owned())
}

#[tokio::test]
async fn rows_8_and_9_forged_signatures_and_algorithms_are_refused() {
    let (srv, pair, keys) = setup().await;
    let token = pair["access_token"].as_str().unwrap();
    let (header, claims, signature) = parts(token);
    let ok = call(&srv, Method::GET, "/api/session/check", Some(token), None).await;
    assert_eq!(ok.status, 200, "the real token works");

    // Row 8a: the role changed, the signature kept.
    let mut admin = claims.clone();
    admin["role"] = json!("superadmin");
    let changed = format!("{}{signature}", unsigned(&header, &admin));
    assert_refused(&srv, "a changed payload", &changed).await;
    // Row 8b: the signature removed.
    let (h, p) = token.rsplit_once('.').unwrap().0.split_once('.').unwrap();
    assert_refused(&srv, "no signature", &format!("{h}.{p}.")).await;
    assert_refused(&srv, "two segments", &format!("{h}.{p}")).await;
    // Row 8c, 8d: `none` in any case, an empty header, a null algorithm.
    for alg in [
        json!("none"),
        json!("None"),
        json!("NONE"),
        json!("nOnE"),
        Value::Null,
    ] {
        let h = json!({"alg": alg, "typ": "at+jwt", "kid": keys.kid});
        assert_refused(&srv, &format!("alg {alg}"), &unsigned(&h, &claims)).await;
    }
    assert_refused(&srv, "header {}", &unsigned(&json!({}), &claims)).await;

    // Row 9: HS256 MAC'd with our public key (raw, and as its base64 text), HS512, RS256.
    let payload = claims.to_string();
    for secret in [keys.public.clone(), b64(&keys.public).into_bytes()] {
        for alg in [Algorithm::HS256, Algorithm::HS512] {
            let h = json!({"alg": format!("{alg:?}"), "typ": "at+jwt", "kid": keys.kid});
            let t = sign_raw(
                &h.to_string(),
                &payload,
                &EncodingKey::from_secret(&secret).unwrap(),
                alg,
            );
            assert_refused(&srv, &format!("{alg:?} with the public key"), &t).await;
        }
    }
    let h = json!({"alg": "RS256", "typ": "at+jwt", "kid": keys.kid});
    assert_refused(
        &srv,
        "RS256",
        &format!("{}{signature}", unsigned(&h, &claims)),
    )
    .await;
    let h = json!({"alg": "EdDSA", "typ": "at+jwt", "kid": keys.kid});
    let theirs = sign_raw(&h.to_string(), &payload, &keys.theirs, Algorithm::EdDSA);
    assert_refused(&srv, "another Ed25519 key", &theirs).await;
}

#[tokio::test]
async fn row10_key_material_from_the_token_is_never_used_or_fetched() {
    let (srv, pair, keys) = setup().await;
    let (_, claims, _) = parts(pair["access_token"].as_str().unwrap());
    // A server that would see any fetch of the URLs the headers name.
    let trap = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/keys.json", trap.local_addr().unwrap());
    let their_x = b64(&[0u8; 32]);
    let headers = [
        json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "attacker",
               "jwk": {"kty": "OKP", "crv": "Ed25519", "x": their_x, "kid": "attacker"}}),
        json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "attacker", "jku": url}),
        json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "attacker", "x5u": url}),
        json!({"alg": "EdDSA", "typ": "at+jwt", "kid": keys.kid, "jku": url}),
        json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "../../../../dev/null"}),
        json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "x' UNION SELECT 'k'--"}),
        json!({"alg": "EdDSA", "typ": "at+jwt"}),
    ];
    for h in headers {
        let t = sign_raw(
            &h.to_string(),
            &claims.to_string(),
            &keys.theirs,
            Algorithm::EdDSA,
        );
        assert_refused(&srv, &h.to_string(), &t).await;
    }
    let fetched = tokio::time::timeout(Duration::from_millis(200), trap.accept()).await;
    assert!(
        fetched.is_err(),
        "the server fetched a URL from a token header"
    );
}

#[tokio::test]
async fn row11_time_claims_are_checked_with_the_configured_leeway() {
    let (srv, pair, keys) = setup().await;
    let (header, claims, _) = parts(pair["access_token"].as_str().unwrap());
    let now = srv.now().as_second();
    let leeway = srv.state.service.settings().tokens.leeway_secs;
    let signed = |change: &dyn Fn(&mut Value)| {
        let mut c = claims.clone();
        change(&mut c);
        sign_raw(
            &header.to_string(),
            &c.to_string(),
            &keys.ours,
            Algorithm::EdDSA,
        )
    };
    let inside = signed(&|c| c["exp"] = json!(now - leeway + 1));
    let r = call(&srv, Method::GET, "/api/session/check", Some(&inside), None).await;
    assert_eq!(r.status, 200, "within the leeway: {}", r.body);
    // Verified once, it is kept (decision 0054); its time claims are still checked each time.
    srv.advance(2);
    assert_refused(&srv, "a token seen before, now past its exp", &inside).await;
    for (what, change) in [
        (
            "exp past the leeway",
            &(|c: &mut Value| c["exp"] = json!(now - leeway - 1)) as &dyn Fn(&mut Value),
        ),
        ("nbf in the future", &|c: &mut Value| {
            c["nbf"] = json!(now + leeway + 60)
        }),
        ("no exp", &|c: &mut Value| {
            drop(c.as_object_mut().unwrap().remove("exp"))
        }),
        ("iat far in the future", &|c: &mut Value| {
            c["iat"] = json!(now + 86_400 * 365)
        }),
        ("exp as text", &|c: &mut Value| {
            c["exp"] = json!((now + 60).to_string())
        }),
    ] {
        assert_refused(&srv, what, &signed(change)).await;
    }
}

#[tokio::test]
async fn row12_tokens_for_another_audience_issuer_or_purpose_are_refused() {
    let (srv, pair, keys) = setup().await;
    let (header, claims, _) = parts(pair["access_token"].as_str().unwrap());
    let resign = |h: &Value, c: &Value| {
        sign_raw(&h.to_string(), &c.to_string(), &keys.ours, Algorithm::EdDSA)
    };
    let mut other = claims.clone();
    other["aud"] = json!("another-service");
    assert_refused(&srv, "another aud", &resign(&header, &other)).await;
    let mut other = claims.clone();
    other["iss"] = json!("https://idp.example");
    assert_refused(&srv, "another iss", &resign(&header, &other)).await;
    for typ in [json!("JWT"), json!("id+jwt"), Value::Null] {
        let mut h = header.clone();
        h["typ"] = typ.clone();
        assert_refused(&srv, &format!("typ {typ}"), &resign(&h, &claims)).await;
    }
    // The refresh token, a cookie token and a CSRF token are not access tokens.
    assert_refused(
        &srv,
        "a refresh token",
        pair["refresh_token"].as_str().unwrap(),
    )
    .await;
    let browser = srv.logged_in("alice").await;
    assert_refused(&srv, "a session cookie", &browser.token().unwrap()).await;
    assert_refused(&srv, "a CSRF token", &browser.csrf().unwrap()).await;
    // And an access token is no refresh token.
    let r = refresh(&srv, &pair["access_token"]).await;
    assert_eq!((r.status, &r.body["code"]), (401, &json!("invalid_token")));
}

#[tokio::test]
async fn row13_garbled_and_oversized_tokens_are_refused_quickly() {
    let (srv, pair, keys) = setup().await;
    let token = pair["access_token"].as_str().unwrap();
    let (header, _, _) = parts(token);
    let mut nested = String::new();
    for _ in 0..2_000 {
        nested.push_str("{\"a\":");
    }
    nested.push('1');
    nested.push_str(&"}".repeat(2_000));
    let nested = sign_raw(&header.to_string(), &nested, &keys.ours, Algorithm::EdDSA);
    let (_, claims, _) = parts(token);
    let duplicate = claims
        .to_string()
        .replacen('{', "{\"role\":\"superadmin\",", 1);
    let duplicate = sign_raw(
        &header.to_string(),
        &duplicate,
        &keys.ours,
        Algorithm::EdDSA,
    );
    let cases = [
        ("four segments", format!("{token}.x")),
        ("not base64url", token.replacen('.', ".!!", 1)),
        ("empty", " ".into()),
        ("dots", "..".into()),
        ("30 KB", format!("{}{}", token, "A".repeat(30_000))),
        ("nested JSON", nested),
        ("duplicate claims", duplicate),
    ];
    for (what, t) in cases {
        if t.trim().is_empty() {
            let r = call(&srv, Method::GET, "/api/session/check", Some(&t), None).await;
            assert_eq!(r.status, 401, "{what}: a blank bearer is no session");
            continue;
        }
        assert_refused(&srv, what, &t).await;
    }
    // 100 KB is past the header limit: refused before any parsing, as JSON.
    let huge = "A".repeat(100_000);
    let r = call(&srv, Method::GET, "/api/session/check", Some(&huge), None).await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (431, &json!("headers_too_large"))
    );
}

#[tokio::test]
async fn row14_a_revoked_sessions_access_token_and_refresh_token_stop_at_once() {
    let (srv, pair, _) = setup().await;
    let access = pair["access_token"].as_str().unwrap();
    let sid = pair["session_id"].as_str().unwrap().parse().unwrap();
    // Used once first, so this node keeps it as verified (decision 0054).
    let r = call(&srv, Method::GET, "/api/session/check", Some(access), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let service = &srv.state.service;
    let admin_key = NewApiKey::new("ops", &[Scope::Admin]);
    let key = service.admin().create_api_key(admin_key).await.unwrap();
    let api = service
        .backend_api::<Write>(Some(key.expose()), "revoke_session", &ClientInfo::default())
        .await
        .unwrap();
    api.revoke_session_by_id(&sid).await.unwrap();
    for path in ["/api/session/check", "/auth/verify"] {
        let r = call(&srv, Method::GET, path, Some(access), None).await;
        assert_eq!(
            (r.status, &r.body["code"]),
            (401, &json!("revoked")),
            "{path}"
        );
    }
    let r = refresh(&srv, &pair["refresh_token"]).await;
    assert_eq!((r.status, &r.body["code"]), (401, &json!("revoked")));
}

/// A bearer header beside the cookie lifts no CSRF defence (docs/security.md row 17): the guard
/// treats the request as the cookie request it also is.
#[tokio::test]
async fn a_bearer_header_does_not_excuse_a_cookie_request_from_csrf() {
    let (srv, pair, _) = setup().await;
    let browser = srv.logged_in("alice").await;
    browser.set_csrf(None);
    let bearer = format!("Bearer {}", pair["access_token"].as_str().unwrap());
    for path in ["/api/session/logout", "/api/session/keepalive"] {
        let r = browser
            .request_with(Method::POST, path, None, &[("authorization", &bearer)])
            .await;
        assert_eq!(
            (r.status, &r.body["code"]),
            (403, &json!("csrf_failed")),
            "{path}"
        );
    }
    assert_eq!(
        browser.check().await.status,
        200,
        "the cookie session is untouched"
    );
}
