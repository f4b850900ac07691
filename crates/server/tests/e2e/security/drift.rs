//! docs/security.md rows 23 and 24: a change of browser or network scored against the
//! suspicion threshold.

use super::*;

/// ASVS 5: 6.3.5 · CS-SM SM-24/25
#[tokio::test]
async fn row23_a_different_browser_ends_the_session_and_an_update_does_not() {
    let srv = server(&[]).await;
    let mut b = srv.logged_in("alice").await;
    b.user_agent = FIREFOX_141.into();
    assert_eq!(b.check().await.status, 200, "a browser update is tolerated");
    assert_eq!(audited(&srv, "SESSION_DRIFT").await, 0);
    b.user_agent = "curl/8.5.0".into();
    let r = b.check().await;
    assert_eq!((r.status, r.body["code"].as_str()), (401, Some("revoked")));
    assert_eq!(audited(&srv, "SESSION_DRIFT").await, 1);
    assert_eq!(audited(&srv, "SUSPICIOUS_ACTIVITY").await, 1);
    b.user_agent = FIREFOX_141.into();
    assert_eq!(b.check().await.status, 401, "the session stays ended");
}

/// Dropping the User-Agent header is a change of client too: it cannot hide one.
#[tokio::test]
async fn row23_a_request_without_a_user_agent_is_drift() {
    let srv = server(&[]).await;
    let mut b = srv.logged_in("alice").await;
    b.user_agent = String::new();
    let r = b.check().await;
    assert_eq!((r.status, r.body["code"].as_str()), (401, Some("revoked")));
    assert_eq!(audited(&srv, "SESSION_DRIFT").await, 1);
}

/// A check from `ip` (through the trusted local proxy).
async fn check_from(b: &Browser, ip: &str) -> u16 {
    b.request_with(
        Method::POST,
        "/api/session/check",
        None,
        &[("x-forwarded-for", ip)],
    )
    .await
    .status
}

/// A session long in use is worth more to a thief: past `SESSIOND_LONG_SESSION_SECONDS` it
/// scores 5 points once, so one new network is then enough to reach the threshold (docs/security.md,
/// the suspicion score).
#[tokio::test]
async fn a_long_session_adds_to_the_suspicion_score() {
    let srv = server(&[
        ("SESSIOND_TRUSTED_PROXIES", "127.0.0.1"),
        ("SESSIOND_LONG_SESSION_SECONDS", "300"),
    ])
    .await;
    let b = srv.browser();
    let body = json!({"username": "alice", "password": PASSWORD});
    let home = [("x-forwarded-for", "10.1.0.1")];
    let r = b
        .request_with(Method::POST, "/api/session/login", Some(body), &home)
        .await;
    assert_eq!(r.status, 200);
    srv.advance(299);
    assert_eq!(check_from(&b, "10.1.0.1").await, 200);
    assert_eq!(audited(&srv, "SESSION_DRIFT").await, 0, "not long yet");
    let r = b
        .request_with(Method::POST, "/api/session/keepalive", None, &home)
        .await;
    assert_eq!(r.status, 200);
    srv.advance(2);
    assert_eq!(check_from(&b, "10.1.0.1").await, 200, "5 of 10");
    assert_eq!(check_from(&b, "10.1.0.1").await, 200, "counted once");
    let drift = srv.audited("SESSION_DRIFT").await;
    assert_eq!(drift.len(), 1);
    assert_eq!(
        (
            drift[0].details["reason"].as_str(),
            drift[0].details["score"].as_u64()
        ),
        (Some("long_session"), Some(5))
    );
    assert_eq!(
        check_from(&b, "10.2.0.1").await,
        401,
        "a new network now reaches 10"
    );
    assert_eq!(audited(&srv, "SUSPICIOUS_ACTIVITY").await, 1);
}

/// ASVS 5: 4.1.3, 15.3.4 · CS-SM SM-25
#[tokio::test]
async fn row24_network_drift_is_scored_against_the_threshold() {
    let proxies = ("SESSIOND_TRUSTED_PROXIES", "127.0.0.1");
    let login_from = |srv: &TestServer, ip: &'static str| {
        let b = srv.browser();
        async move {
            let body = json!({"username": "alice", "password": PASSWORD});
            let r = b
                .request_with(
                    Method::POST,
                    "/api/session/login",
                    Some(body),
                    &[("x-forwarded-for", ip)],
                )
                .await;
            assert_eq!(r.status, 200);
            b
        }
    };

    let srv = server(&[proxies]).await;
    let b = login_from(&srv, "10.1.0.1").await;
    assert_eq!(check_from(&b, "10.1.9.9").await, 200, "the same network");
    assert_eq!(
        check_from(&b, "10.2.0.1").await,
        200,
        "one new network: 5 of 10"
    );
    assert_eq!(
        check_from(&b, "10.2.7.7").await,
        200,
        "that network again adds nothing"
    );
    assert_eq!(
        check_from(&b, "10.3.0.1").await,
        401,
        "a second new network: 10 of 10"
    );
    assert_eq!(audited(&srv, "SUSPICIOUS_ACTIVITY").await, 1);

    let srv = server(&[proxies, ("SESSIOND_SUSPICIOUS_RESPONSE", "log")]).await;
    let b = login_from(&srv, "10.1.0.1").await;
    for ip in ["10.2.0.1", "10.3.0.1", "10.4.0.1"] {
        assert_eq!(check_from(&b, ip).await, 200, "log only");
    }
    assert_eq!(
        audited(&srv, "SUSPICIOUS_ACTIVITY").await,
        1,
        "once per session"
    );

    let srv = server(&[proxies, ("SESSIOND_SUSPICIOUS_RESPONSE", "revoke")]).await;
    let other = login_from(&srv, "10.9.0.1").await;
    let b = login_from(&srv, "10.1.0.1").await;
    check_from(&b, "10.2.0.1").await;
    assert_eq!(check_from(&b, "10.3.0.1").await, 401);
    assert_eq!(
        check_from(&other, "10.9.0.1").await,
        401,
        "every session of the user ended"
    );

    let srv = server(&[proxies, ("SESSION_ENABLE_SUSPICIOUS_DETECTION", "false")]).await;
    let b = login_from(&srv, "10.1.0.1").await;
    for ip in ["10.2.0.1", "10.3.0.1", "10.4.0.1"] {
        assert_eq!(check_from(&b, ip).await, 200, "detection off");
    }
}
