//! `GET /.well-known/jwks.json` and `sessiond keys rotate`: the access tokens' public keys, made
//! on first use, shared through the store, and rotated with an overlap.

use sessiond_testkit::TestServer;

use crate::binary::{sessiond_ok, start_with, workdir};

fn kids(body: &serde_json::Value) -> Vec<String> {
    body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_jwks_document_lists_the_current_key_and_the_one_it_replaced() {
    let srv = TestServer::start(&[]).await;
    let r = srv.browser().get("/.well-known/jwks.json").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("public, max-age=5"));
    let key = &r.body["keys"][0];
    assert_eq!(
        (&key["kty"], &key["crv"], &key["use"], &key["alg"]),
        (
            &serde_json::json!("OKP"),
            &serde_json::json!("Ed25519"),
            &serde_json::json!("sig"),
            &serde_json::json!("EdDSA")
        )
    );
    assert!(key.get("d").is_none(), "never the private part");
    let first = kids(&r.body);
    assert_eq!(first.len(), 1);
    assert_eq!(
        kids(&srv.browser().get("/.well-known/jwks.json").await.body),
        first
    );

    let rotated = srv
        .state
        .service
        .admin()
        .rotate_signing_key()
        .await
        .unwrap();
    let both = kids(&srv.browser().get("/.well-known/jwks.json").await.body);
    assert_eq!(both, [first[0].clone(), rotated.clone()]);
    // It signs 5 s later; the old key's last tokens live the access lifetime (900 s) and the
    // leeway (5 s) after that.
    srv.advance(5 + 906);
    assert_eq!(
        kids(&srv.browser().get("/.well-known/jwks.json").await.body),
        [rotated],
        "the replaced key leaves once its tokens have expired"
    );
}

#[test]
fn keys_rotate_makes_a_key_every_server_on_the_store_shows() {
    let dir = workdir();
    sessiond_ok(&dir, &["migrate"]);
    let out = sessiond_ok(&dir, &["keys", "rotate"]);
    let kid = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(!kid.is_empty());
    let (_server, addr, _) = start_with(&dir, &[]);
    let answer = crate::binary::raw_http::send(&addr, "GET /.well-known/jwks.json HTTP/1.1", "");
    assert_eq!(crate::binary::raw_http::status(&answer), 200);
    assert!(
        answer.contains(&kid),
        "the CLI's key, from the store: {answer}"
    );
}

/// The `kid` of an access token's header.
fn kid_of(token: &serde_json::Value) -> String {
    use base64::Engine as _;
    let head = token.as_str().unwrap().split('.').next().unwrap();
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(head)
        .unwrap();
    let header: serde_json::Value = serde_json::from_slice(&json).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

/// Second review, "Also": a new key is in the JWKS document one cache lifetime (its
/// `max-age`, 5 s) before it signs, so a resource server that keeps the document has every
/// key it can meet; and `keys revoke` drops a key at once: out of the document, its tokens
/// refused, and a new key signing at once in its place.
#[tokio::test]
async fn a_new_key_is_published_before_it_signs_and_a_revoked_one_is_gone_at_once() {
    use crate::tokens::{call, token_login};
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let first = token_login(&srv, "alice").await;
    let old = kid_of(&first["access_token"]);
    let new = srv
        .state
        .service
        .admin()
        .rotate_signing_key()
        .await
        .unwrap();
    let published = kids(&srv.browser().get("/.well-known/jwks.json").await.body);
    assert!(published.contains(&new), "published at once");
    srv.advance(4);
    let pair = token_login(&srv, "alice").await;
    assert_eq!(kid_of(&pair["access_token"]), old, "not signing yet");
    srv.advance(6);
    let pair = token_login(&srv, "alice").await;
    assert_eq!(
        kid_of(&pair["access_token"]),
        new,
        "signing one cache lifetime later"
    );

    // Used once: the node keeps it as verified (decision 0054); the revocation must still
    // stop it at once.
    let bearer = pair["access_token"].as_str().unwrap().to_owned();
    let check = || {
        call(
            &srv,
            reqwest::Method::GET,
            "/api/session/check",
            Some(&bearer),
            None,
        )
    };
    let r = check().await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        srv.state
            .service
            .admin()
            .revoke_signing_key(&new)
            .await
            .unwrap()
    );
    let listed = kids(&srv.browser().get("/.well-known/jwks.json").await.body);
    assert!(
        !listed.contains(&new),
        "out of the document at once: {listed:?}"
    );
    let r = check().await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (401, &serde_json::json!("invalid_token"))
    );
    let next = token_login(&srv, "alice").await;
    let signing = kid_of(&next["access_token"]);
    assert!(signing != new && signing != old, "a new key signs at once");
    assert_eq!(srv.audited("SIGNING_KEY_REVOKED").await.len(), 1);
    assert!(
        !srv.state
            .service
            .admin()
            .revoke_signing_key(&new)
            .await
            .unwrap()
    );
}
