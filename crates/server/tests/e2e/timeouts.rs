//! the timeout rules (README, "Timeouts"), with the clock moved instead of slept on. Base config: idle 600 s, lifetime 1200 s,
//! absolute 3600 s, warning 120 s, expiration grace 30 s, cleanup grace 300 s.

use sessiond_testkit::TestServer;

async fn alice(srv: &TestServer) -> sessiond_testkit::Browser {
    srv.add_user("alice", "oss").await;
    srv.logged_in("alice").await
}

#[tokio::test]
async fn check_is_passive_and_never_extends() {
    let srv = TestServer::start(&[]).await;
    let b = alice(&srv).await;
    srv.advance(100);
    assert_eq!(b.check().await.body["time_remaining_seconds"], 500);
    srv.advance(100);
    let r = b.check().await;
    assert_eq!(
        r.body["time_remaining_seconds"], 400,
        "polling did not extend the session"
    );
    assert_eq!(r.body["time_remaining_minutes"], 6);
    srv.advance(400);
    assert_eq!(b.check().await.status, 401);
}

#[tokio::test]
async fn check_does_not_write_to_the_store() {
    let srv = TestServer::start(&[]).await;
    let b = alice(&srv).await;
    let before = srv.stored_session(&b).await;
    for _ in 0..5 {
        srv.advance(10);
        b.check().await;
    }
    assert_eq!(srv.stored_session(&b).await, before);
}

#[tokio::test]
async fn keepalive_extends_the_idle_deadline() {
    let srv = TestServer::start(&[]).await;
    let b = alice(&srv).await;
    srv.advance(500);
    let r = b.keepalive().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["success"], true);
    assert_eq!(r.body["message"], "Session extended successfully");
    assert_eq!(r.body["extended"], true);
    assert_eq!(r.body["timeout_minutes"], 10);
    assert_eq!(r.body["time_remaining_seconds"], 600);
    srv.advance(599);
    assert_eq!(b.check().await.status, 200);
}

#[tokio::test]
async fn idle_timeout_ends_the_session_with_expired_idle() {
    let srv = TestServer::start(&[]).await;
    let b = alice(&srv).await;
    srv.advance(599);
    assert_eq!(b.check().await.status, 200);
    srv.advance(1);
    let r = b.check().await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["valid"], false);
    assert_eq!(r.body["reason"], "Session expired");
    assert_eq!(r.body["code"], "expired_idle");
    let r = b.keepalive().await;
    assert_eq!(r.status, 401, "an expired session cannot be revived");
    assert_eq!(r.body["success"], false);
    assert_eq!(r.body["error"], "Not authenticated");
}

#[tokio::test]
async fn absolute_timeout_ends_the_session_despite_activity() {
    let srv = TestServer::start(&[]).await;
    let b = alice(&srv).await;
    for _ in 0..7 {
        srv.advance(500);
        assert_eq!(b.keepalive().await.status, 200);
    }
    // 3500 s in: the idle deadline is capped by the absolute one.
    assert_eq!(b.check().await.body["time_remaining_seconds"], 100);
    srv.advance(100);
    let r = b.check().await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["code"], "expired_absolute");
}

#[tokio::test]
async fn an_expired_session_says_so_until_the_cleanup_grace_ends() {
    let srv = TestServer::start(&[]).await;
    let b = alice(&srv).await;
    srv.advance(600 + 299);
    assert_eq!(b.check().await.body["reason"], "Session expired");
    srv.advance(1);
    let r = b.check().await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["reason"], "No active session");
    assert_eq!(r.body["code"], "no_session");
}

#[tokio::test]
async fn warning_is_raised_below_the_threshold() {
    let srv = TestServer::start(&[]).await;
    let b = alice(&srv).await;
    srv.advance(480);
    assert_eq!(b.check().await.body["warning"], false);
    srv.advance(1);
    let r = b.check().await;
    assert_eq!(r.body["warning"], true);
    assert_eq!(r.body["time_remaining_seconds"], 119);
    assert_eq!(b.keepalive().await.body["warning"], false);
}

#[tokio::test]
async fn token_rotates_after_the_lifetime_and_the_old_one_has_a_grace_period() {
    let srv = TestServer::start(&[]).await;
    let b = alice(&srv).await;
    srv.advance(500);
    let r = b.keepalive().await;
    assert_eq!(r.body["rotated"], false);
    assert!(r.set_cookie().is_none());
    srv.advance(500);
    b.keepalive().await;
    srv.advance(200);
    let old = b.token().unwrap();
    let old_csrf = b.csrf();
    let r = b.keepalive().await;
    assert_eq!(r.body["rotated"], true);
    let new = b.token().unwrap();
    assert_ne!(old, new, "the cookie carries a new token");
    let csrf = r.body["csrf_token"].as_str().unwrap();
    assert_eq!(
        r.header("x-csrf-token"),
        Some(csrf),
        "rotation also sends the new CSRF token"
    );

    let other_tab = srv.browser();
    other_tab.set_token(Some(&old));
    other_tab.set_csrf(old_csrf.as_deref());
    srv.advance(29);
    let r = other_tab.check().await;
    assert_eq!(r.status, 200, "the old token works during the grace period");
    assert_eq!(
        other_tab.keepalive().await.body["rotated"],
        false,
        "an old token does not rotate again"
    );
    srv.advance(1);
    assert_eq!(other_tab.check().await.status, 401, "and not after it");
    assert_eq!(b.check().await.status, 200);
}

#[tokio::test]
async fn keepalive_is_rate_limited_per_user() {
    let srv = TestServer::start(&[]).await;
    let b = alice(&srv).await;
    let other_device = srv.logged_in("alice").await;
    for _ in 0..5 {
        assert_eq!(b.keepalive().await.status, 200);
        assert_eq!(other_device.keepalive().await.status, 200);
    }
    let r = b.keepalive().await;
    assert_eq!(r.status, 429);
    assert_eq!(r.body["code"], "rate_limited");
    assert_eq!(r.header("retry-after"), Some("60"));
    srv.advance(60);
    assert_eq!(b.keepalive().await.status, 200);
}

#[tokio::test]
async fn activity_writes_are_coalesced() {
    // idle 600 s: last_activity is written at most every 6 s.
    let srv = TestServer::start(&[]).await;
    let b = alice(&srv).await;
    let v0 = srv.stored_session(&b).await.version;
    srv.advance(3);
    let r = b.keepalive().await;
    assert_eq!(
        srv.stored_session(&b).await.version,
        v0,
        "within the window: no write"
    );
    // And the answer says so: the deadline stayed where the login put it.
    assert_eq!(r.body["extended"], false, "{}", r.body);
    assert_eq!(r.body["time_remaining_seconds"], 597);
    assert!(
        !r.body["message"]
            .as_str()
            .unwrap()
            .contains("extended successfully")
    );
    srv.advance(3);
    let r = b.keepalive().await;
    assert_eq!(
        srv.stored_session(&b).await.version,
        v0 + 1,
        "after the window: one write"
    );
    assert_eq!(r.body["extended"], true);
    assert_eq!(r.body["time_remaining_seconds"], 600);
}
