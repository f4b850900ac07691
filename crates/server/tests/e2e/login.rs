use serde_json::json;
use sessiond_testkit::{PASSWORD, TestServer};

#[tokio::test]
async fn login_sets_an_http_only_cookie_and_returns_session_info_and_csrf() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.browser();
    let r = b.login("alice", PASSWORD).await;
    assert_eq!(r.status, 200);
    let cookie = r.set_cookie().unwrap();
    assert!(cookie.starts_with("sessiond="), "{cookie}");
    for attr in ["HttpOnly", "Path=/", "SameSite=Lax"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(
        !cookie.contains("Max-Age"),
        "a session cookie unless remember_me: {cookie}"
    );
    assert_eq!(r.body["success"], true);
    assert_eq!(r.body["username"], "alice");
    assert_eq!(r.body["role"], "oss");
    assert_eq!(r.body["time_remaining_seconds"], 600);
    assert_eq!(r.body["session_timeout_minutes"], 10);
    let csrf = r.body["csrf_token"].as_str().unwrap();
    assert_eq!(r.header("x-csrf-token"), Some(csrf));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let token = b.token().unwrap();
    assert!(
        !r.body.to_string().contains(&token),
        "the token never appears in a body"
    );
}

#[tokio::test]
async fn remember_me_makes_the_cookie_last_until_the_absolute_deadline() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.browser();
    let body = json!({"username": "alice", "password": PASSWORD, "remember_me": true});
    let r = b.post("/api/session/login", Some(body)).await;
    assert!(
        r.set_cookie().unwrap().contains("Max-Age=3600"),
        "{:?}",
        r.set_cookie()
    );
}

#[tokio::test]
async fn usernames_are_case_insensitive() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("Alice", "oss").await;
    let r = srv.browser().login("aLICE", PASSWORD).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["username"], "Alice");
}

#[tokio::test]
async fn wrong_password_unknown_and_disabled_users_get_the_same_answer() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    srv.add_user("bob", "oss").await;
    srv.state.service.admin().disable_user("bob").await.unwrap();
    let b = srv.browser();
    let wrong = b.login("alice", "not the password").await;
    let unknown = b.login("nobody", PASSWORD).await;
    let disabled = b.login("bob", PASSWORD).await;
    for r in [&wrong, &unknown, &disabled] {
        assert_eq!(r.status, 401);
        assert_eq!(r.answer(), wrong.answer());
        assert!(r.set_cookie().is_none());
    }
    assert_eq!(wrong.body["code"], "invalid_credentials");
}

#[tokio::test]
async fn login_replaces_the_browsers_previous_session() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    let old = b.token().unwrap();
    let first_id = b.check().await.body["session_id"].clone();
    let r = b.login("alice", PASSWORD).await;
    assert_ne!(r.body["session_id"], first_id, "a new session id");
    assert_ne!(b.token().unwrap(), old, "a new token");
    let stale = srv.browser();
    stale.set_token(Some(&old));
    let r = stale.check().await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["code"], "logged_out");
}

#[tokio::test]
async fn a_planted_token_is_never_adopted() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let planted = sessiond_core::Token::generate().unwrap();
    let b = srv.browser();
    b.set_token(Some(planted.expose()));
    assert_eq!(b.check().await.status, 401);
    b.login("alice", PASSWORD).await;
    assert_ne!(b.token().as_deref(), Some(planted.expose()));
    let attacker = srv.browser();
    attacker.set_token(Some(planted.expose()));
    assert_eq!(attacker.check().await.status, 401);
}

#[tokio::test]
async fn too_many_sessions_evict_the_least_recently_active() {
    let srv = TestServer::start(&[("SESSION_MAX_CONCURRENT_PER_USER", "2")]).await;
    srv.add_user("alice", "oss").await;
    let first = srv.logged_in("alice").await;
    srv.advance(10);
    let second = srv.logged_in("alice").await;
    srv.advance(10);
    // The first becomes the most recently active one.
    assert_eq!(first.keepalive().await.status, 200);
    srv.advance(10);
    let third = srv.logged_in("alice").await;
    let r = second.check().await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["code"], "evicted");
    assert_eq!(first.check().await.status, 200);
    assert_eq!(third.check().await.status, 200);
}
