//! `GET /.well-known/jwks.json` and `sessiond keys rotate`: the access tokens' public keys, made
//! on first use, shared through the store, and rotated with an overlap.

use sessiond_testkit::TestServer;

use crate::binary::{sessiond, start_with, workdir};

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
    assert_eq!(r.header("cache-control"), Some("public, max-age=300"));
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

    let rotated = srv.state.service.rotate_signing_key().await.unwrap();
    let both = kids(&srv.browser().get("/.well-known/jwks.json").await.body);
    assert_eq!(both, [first[0].clone(), rotated.clone()]);
    // The access lifetime (900 s) and the leeway (5 s).
    srv.advance(906);
    assert_eq!(
        kids(&srv.browser().get("/.well-known/jwks.json").await.body),
        [rotated],
        "the replaced key leaves once its tokens have expired"
    );
}

#[test]
fn keys_rotate_makes_a_key_every_server_on_the_store_shows() {
    let dir = workdir();
    let out = sessiond(&dir, &[])
        .args(["keys", "rotate"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
