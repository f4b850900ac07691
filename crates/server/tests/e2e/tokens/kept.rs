//! `SESSIOND_REFRESH_ROTATION=false`, for clients like seed 003's that refresh with the same
//! refresh token until it expires: each refresh is then a new access token and the same
//! refresh token, which still ends with its session and expires when it would have.

use reqwest::Method;
use serde_json::json;
use sessiond_testkit::TestServer;

use super::{call, refresh, text, token_login};

#[tokio::test]
async fn without_rotation_one_refresh_token_serves_until_its_session_ends() {
    let srv = TestServer::start(&[("SESSIOND_REFRESH_ROTATION", "false")]).await;
    srv.add_user("alice", "oss").await;
    let pair = token_login(&srv, "alice").await;
    let mut access = text(&pair, "access_token");
    for _ in 0..3 {
        // Well past the reuse grace: with rotation this second use would be theft.
        srv.advance(60);
        let r = refresh(&srv, &pair["refresh_token"]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            r.body["refresh_token"], pair["refresh_token"],
            "the same one"
        );
        assert_ne!(text(&r.body, "access_token"), access, "a new access token");
        access = text(&r.body, "access_token");
    }
    let refreshed = srv.audited("TOKEN_REFRESHED").await;
    assert_eq!(refreshed.len(), 3);
    assert!(refreshed.iter().all(|e| e.details["rotated"] == false));
    assert!(srv.audited("TOKEN_REUSE_DETECTED").await.is_empty());

    // Revocable with its session.
    let body = json!({"refresh_token": pair["refresh_token"]});
    let r = call(&srv, Method::POST, "/api/token/logout", None, Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = refresh(&srv, &pair["refresh_token"]).await;
    assert_eq!((r.status, &r.body["code"]), (401, &json!("logged_out")));
}

#[tokio::test]
async fn without_rotation_a_refresh_token_still_expires() {
    let srv = TestServer::start(&[
        ("SESSIOND_REFRESH_ROTATION", "false"),
        ("SESSIOND_REFRESH_TOKEN_SECONDS", "900"),
    ])
    .await;
    srv.add_user("alice", "oss").await;
    let pair = token_login(&srv, "alice").await;
    srv.advance(500);
    assert_eq!(refresh(&srv, &pair["refresh_token"]).await.status, 200);
    srv.advance(500);
    let r = refresh(&srv, &pair["refresh_token"]).await;
    assert_eq!(r.status, 401, "900 s after it was issued: {}", r.body);
}
