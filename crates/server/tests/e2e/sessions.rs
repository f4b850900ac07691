use serde_json::json;
use sessiond_testkit::TestServer;

#[tokio::test]
async fn logout_ends_the_session_and_clears_the_cookie() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    let stolen = b.token().unwrap();
    let r = b.post("/api/session/logout", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["success"], true);
    let cookie = r.set_cookie().unwrap();
    assert!(
        cookie.starts_with("sessiond=;") && cookie.contains("Max-Age=0"),
        "{cookie}"
    );
    assert!(b.token().is_none());
    let replay = srv.browser();
    replay.set_token(Some(&stolen));
    let r = replay.check().await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["code"], "logged_out");
    // Logging out without a session is harmless.
    assert_eq!(b.post("/api/session/logout", None).await.status, 200);
}

#[tokio::test]
async fn logout_all_ends_every_session_of_the_user_or_all_but_the_current() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    srv.add_user("bob", "oss").await;
    let (a1, a2, a3) = (
        srv.logged_in("alice").await,
        srv.logged_in("alice").await,
        srv.logged_in("alice").await,
    );
    let bob = srv.logged_in("bob").await;
    let r = a1
        .post(
            "/api/session/logout-all",
            Some(json!({"keep_current": true})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["ended_sessions"], 2);
    assert!(
        r.set_cookie().is_none(),
        "the current session keeps its cookie"
    );
    assert_eq!(a1.check().await.status, 200);
    assert_eq!(a2.check().await.body["code"], "logged_out");
    assert_eq!(a3.check().await.status, 401);
    assert_eq!(bob.check().await.status, 200, "other users are untouched");
    let r = a1.post("/api/session/logout-all", None).await;
    assert_eq!(r.body["ended_sessions"], 1);
    assert_eq!(a1.check().await.status, 401);
}

#[tokio::test]
async fn sessions_lists_the_users_active_sessions_with_the_current_flag() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    srv.add_user("bob", "oss").await;
    let a1 = srv.logged_in("alice").await;
    srv.advance(1);
    let mut a2 = srv.browser();
    a2.user_agent = "Mozilla/5.0 (Windows NT 10.0) Chrome/130.0 Safari/537.36".into();
    a2.login("alice", sessiond_testkit::PASSWORD).await;
    srv.logged_in("bob").await;
    let r = a1.get("/api/session/sessions").await;
    assert_eq!(r.status, 200);
    let list = r.body["sessions"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let current: Vec<_> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(
        current[0]["session_id"],
        a1.check().await.body["session_id"]
    );
    let devices: Vec<_> = list.iter().map(|s| s["device"].as_str().unwrap()).collect();
    assert_eq!(devices, vec!["Firefox on Linux", "Chrome on Windows"]);
    assert_eq!(list[0]["ip"], "127.0.0.1");
}

#[tokio::test]
async fn revoking_an_own_session_ends_it_and_a_foreign_one_is_not_found() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    srv.add_user("bob", "oss").await;
    let (a1, a2) = (srv.logged_in("alice").await, srv.logged_in("alice").await);
    let bob = srv.logged_in("bob").await;
    let a2_id = a2.check().await.body["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob_id = bob.check().await.body["session_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let r = a1.delete(&format!("/api/session/sessions/{bob_id}")).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["code"], "session_not_found");
    assert_eq!(bob.check().await.status, 200);
    let unknown = a1
        .delete("/api/session/sessions/00000000-0000-7000-8000-000000000000")
        .await;
    assert_eq!(unknown.status, 404);
    // Not a session id at all: the path's rule (docs/api.md, "Input").
    let r = a1.delete("/api/session/sessions/not-a-uuid").await;
    assert_eq!((r.status, &r.body["code"]), (400, &"invalid_path".into()));

    let r = a1.delete(&format!("/api/session/sessions/{a2_id}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["current"], false);
    assert_eq!(a2.check().await.body["code"], "revoked");
    assert_eq!(a1.check().await.status, 200);
    assert_eq!(
        a1.delete(&format!("/api/session/sessions/{a2_id}"))
            .await
            .status,
        404,
        "already ended"
    );
}

#[tokio::test]
async fn disabling_a_user_or_changing_the_password_ends_their_sessions() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    srv.add_user("bob", "oss").await;
    let alice = srv.logged_in("alice").await;
    let bob = srv.logged_in("bob").await;
    assert_eq!(
        srv.state
            .service
            .admin()
            .disable_user("alice")
            .await
            .unwrap(),
        1
    );
    let refused = alice.check().await;
    assert_eq!(refused.body["code"], "revoked");
    assert_eq!(refused.body["end_reason"], "user_disabled");
    assert_eq!(
        srv.state
            .service
            .admin()
            .set_password("bob", "another long password")
            .await
            .unwrap(),
        1
    );
    // The 401 tells an application why, so it can say "your password was changed".
    let refused = bob.check().await;
    assert_eq!(refused.status, 401);
    assert_eq!(
        (&refused.body["code"], &refused.body["end_reason"]),
        (&"revoked".into(), &"password_changed".into())
    );
    assert_eq!(
        srv.browser()
            .login("bob", "another long password")
            .await
            .status,
        200
    );
}

/// Seed 004's platform context: switching among the user's own contexts, limited per hour,
/// audited, reported by the check.
#[tokio::test]
async fn the_platform_context_switches_among_the_users_own() {
    let srv = TestServer::start(&[
        ("SESSION_MAX_PLATFORM_SWITCHES_PER_HOUR", "2"),
        ("SESSION_IDLE_TIMEOUT_SECONDS", "7200"),
        ("SESSION_LIFETIME_SECONDS", "7200"),
        ("SESSION_ABSOLUTE_TIMEOUT_SECONDS", "14400"),
    ])
    .await;
    srv.add_user("alice", "oss").await;
    srv.state
        .service
        .admin()
        .set_contexts(
            "alice",
            vec!["dell-east".into(), "dell-west".into(), "lab".into()],
        )
        .await
        .unwrap();
    let b = srv.logged_in("alice").await;
    assert_eq!(
        b.check().await.body["context"],
        "dell-east",
        "new sessions start in the first"
    );

    let switch = |ctx: &str| {
        let body = serde_json::json!({ "context": ctx });
        b.request(reqwest::Method::PUT, "/api/session/context", Some(body))
    };
    let r = switch("dell-west").await;
    assert_eq!(
        (r.status, r.body["context"].as_str()),
        (200, Some("dell-west"))
    );
    assert_eq!(b.check().await.body["context"], "dell-west");

    let r = switch("someone-elses").await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("context_not_allowed"))
    );

    assert_eq!(switch("lab").await.status, 200);
    let r = switch("dell-east").await;
    assert_eq!(r.status, 429, "two switches an hour: {}", r.body);
    assert!(r.header("retry-after").is_some());
    srv.advance(3600);
    assert_eq!(switch("dell-east").await.status, 200);

    let switched = srv.audited("CONTEXT_SWITCHED").await;
    assert_eq!(switched.len(), 3);
    assert_eq!(switched[0].details["to"], "dell-east");
    assert_eq!(srv.audited("CONTEXT_SWITCH_RATE_LIMITED").await.len(), 1);
}

#[tokio::test]
async fn context_switching_can_be_turned_off() {
    let srv = TestServer::start(&[("SESSION_FEATURE_PLATFORM_SWITCHING", "false")]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    let body = serde_json::json!({ "context": "x" });
    let r = b
        .request(reqwest::Method::PUT, "/api/session/context", Some(body))
        .await;
    assert_eq!(r.status, 404);
}

/// Seed 000's expiry overlay navigates to `GET /logout`: the session ends, the cookie is
/// cleared and the browser lands on the login page. Another site's link ends nothing.
#[tokio::test]
async fn get_logout_ends_the_session_and_redirects_to_the_login_page() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    let token = b.token();
    let r = b
        .request_with(
            reqwest::Method::GET,
            "/logout",
            None,
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/"));
    assert_eq!(b.check().await.status, 200, "a foreign link ends nothing");

    let r = b
        .request_with(
            reqwest::Method::GET,
            "/logout",
            None,
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/login?reason=logged_out"));
    assert!(r.set_cookie().unwrap().contains("Max-Age=0"));
    let replay = srv.browser();
    replay.set_token(token.as_deref());
    assert_eq!(replay.check().await.body["code"], "logged_out");
    let r = srv.browser().get("/logout").await;
    assert_eq!(r.status, 303, "harmless without a session");
}
