//! docs/security.md rows 39-41 and the refusal budgets: lockout, device cookies, login and
//! guessing limits, and floods of refused requests.

use super::*;

/// ASVS 4: 2.2.1 · 5: 6.1.1, 6.3.1
#[tokio::test]
async fn row39_lockout_refuses_even_the_right_password() {
    let srv = server(&[
        ("SESSIOND_LOGIN_LOCKOUT_THRESHOLD", "3"),
        ("SESSIOND_LOGIN_LOCKOUT_SECONDS", "60"),
    ])
    .await;
    let b = srv.browser();
    let wrong = b.login("Alice", "wrong password").await;
    b.login("ALICE", "wrong password").await;
    b.login("alice", "wrong password").await;
    let locked = b.login("alice", PASSWORD).await;
    assert_eq!(locked.status, wrong.status);
    assert_eq!(locked.answer(), wrong.answer(), "the same generic answer");
    assert_eq!(audited(&srv, "ACCOUNT_LOCKED").await, 1);
    srv.advance(60);
    assert_eq!(
        b.login("alice", PASSWORD).await.status,
        200,
        "the lock lifts"
    );
}

/// ASVS 5: 2.4.1, 15.3.4
#[tokio::test]
async fn row40_logins_are_rate_limited_per_address() {
    let srv = server(&[
        ("SESSIOND_LOGIN_RATE_LIMIT", "3"),
        ("SESSIOND_TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let body = json!({"username": "alice", "password": "wrong"});
    let from = |ip: &'static str| [("x-forwarded-for", ip)];
    let b = srv.browser();
    for _ in 0..3 {
        let r = b
            .request_with(
                Method::POST,
                "/api/session/login",
                Some(body.clone()),
                &from("10.0.0.66"),
            )
            .await;
        assert_eq!(r.status, 401);
    }
    let r = b
        .request_with(
            Method::POST,
            "/api/session/login",
            Some(body.clone()),
            &from("10.0.0.66"),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (429, Some("rate_limited"))
    );
    assert!(r.header("retry-after").is_some());
    assert_eq!(audited(&srv, "EXCESS_RATE_LIMIT_EXCEEDED").await, 1);
    let good = json!({"username": "alice", "password": PASSWORD});
    let r = b
        .request_with(
            Method::POST,
            "/api/session/login",
            Some(good),
            &from("10.0.0.7"),
        )
        .await;
    assert_eq!(r.status, 200, "another address is unaffected");
}

/// ASVS 5: 2.4.1, 16.3.3
#[tokio::test]
async fn row41_session_id_guessing_is_throttled() {
    let srv = server(&[
        ("SESSIOND_UNKNOWN_TOKEN_LIMIT", "20"),
        ("SESSIOND_TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let user = srv.logged_in("alice").await;
    let attacker = srv.browser();
    let xff = [("x-forwarded-for", "10.0.0.66")];
    for _ in 0..20 {
        attacker.set_token(Some(sessiond_core::Token::generate().unwrap().expose()));
        let r = attacker
            .request_with(Method::POST, "/api/session/check", None, &xff)
            .await;
        assert_eq!(r.status, 401);
    }
    attacker.set_token(Some(sessiond_core::Token::generate().unwrap().expose()));
    let r = attacker
        .request_with(Method::POST, "/api/session/check", None, &xff)
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (429, Some("rate_limited"))
    );
    assert_eq!(audited(&srv, "SESSION_GUESSING_DETECTED").await, 1);
    let r = user
        .request_with(
            Method::POST,
            "/api/session/check",
            None,
            &[("x-forwarded-for", "10.0.0.7")],
        )
        .await;
    assert_eq!(
        r.status, 200,
        "legitimate sessions elsewhere are unaffected"
    );
    // A valid session from the guesser's own address (one NAT, one office) is served; its
    // unknown tokens still are not. IPv6 addresses count by their /64.
    let r = user
        .request_with(Method::POST, "/api/session/check", None, &xff)
        .await;
    assert_eq!(
        r.status, 200,
        "the limit stops guessing, not valid sessions"
    );
    let r = attacker
        .request_with(Method::POST, "/api/session/check", None, &xff)
        .await;
    assert_eq!(r.status, 429);
    for i in 0..21 {
        attacker.set_token(Some(sessiond_core::Token::generate().unwrap().expose()));
        let ip = format!("2001:db8:7:7:{i:x}::1");
        let r = attacker
            .request_with(
                Method::POST,
                "/api/session/check",
                None,
                &[("x-forwarded-for", &ip)],
            )
            .await;
        assert_eq!(r.status, if i < 20 { 401 } else { 429 }, "{ip}");
    }
}

/// The lockout is no free denial of service: a browser that logged in as the user before
/// (its device cookie) gets past the account's lock with the right password, while every other
/// client, right password and all, still gets the generic answer. The device's own failures
/// lock it, and a forged or foreign device cookie counts for nothing.
#[tokio::test]
async fn row39_the_owners_browser_gets_past_a_lock_that_strangers_keep_up() {
    let srv = server(&[("SESSIOND_LOGIN_LOCKOUT_THRESHOLD", "3")]).await;
    let device_cookie = format!("{}_device", srv.state.cookie.name);
    let owner = srv.logged_in("alice").await;
    let device = owner
        .cookie(&device_cookie)
        .expect("a device cookie after login");
    assert_eq!(owner.post("/api/session/logout", None).await.status, 200);

    let attacker = srv.browser();
    for _ in 0..3 {
        assert_eq!(attacker.login("alice", "guess!guess").await.status, 401);
    }
    assert_eq!(audited(&srv, "ACCOUNT_LOCKED").await, 1);
    let stranger = srv.browser();
    assert_eq!(
        stranger.login("alice", PASSWORD).await.status,
        401,
        "locked for strangers"
    );
    let forged = srv.browser();
    forged.set_cookie(&device_cookie, Some(&format!("{device}x")));
    assert_eq!(
        forged.login("alice", PASSWORD).await.status,
        401,
        "a forged device cookie"
    );
    srv.add_user("bob", "oss").await;
    let other_user = srv.logged_in("bob").await;
    let bobs = other_user.cookie(&device_cookie).unwrap();
    let borrowed = srv.browser();
    borrowed.set_cookie(&device_cookie, Some(&bobs));
    assert_eq!(
        borrowed.login("alice", PASSWORD).await.status,
        401,
        "another user's device"
    );

    let r = owner.login("alice", PASSWORD).await;
    assert_eq!(r.status, 200, "the owner's browser gets in: {}", r.body);
    assert_ne!(
        owner.cookie(&device_cookie).unwrap(),
        device,
        "a fresh device cookie"
    );
    assert_eq!(
        stranger.login("alice", PASSWORD).await.status,
        401,
        "still locked for others"
    );

    // The device's own guesses lock it; then it is a stranger like any other.
    let stolen = srv.browser();
    stolen.set_cookie(&device_cookie, owner.cookie(&device_cookie).as_deref());
    for _ in 0..3 {
        assert_eq!(stolen.login("alice", "guess!guess").await.status, 401);
    }
    assert_eq!(stolen.login("alice", PASSWORD).await.status, 401);
}

/// Refusals of anonymous requests cannot grow the audit trail at will: an address gets ten
/// `MALICIOUS_CSRF` records a minute, then 429 without a record; another address is unaffected.
#[tokio::test]
async fn a_flood_of_refused_requests_is_limited_not_audited_one_by_one() {
    let srv = server(&[("SESSIOND_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let b = srv.browser();
    let from = |ip: &'static str| [("sec-fetch-site", "cross-site"), ("x-forwarded-for", ip)];
    let mut statuses = Vec::new();
    for _ in 0..300 {
        let r = b
            .request_with(Method::POST, "/api/session/logout", None, &from("10.9.9.9"))
            .await;
        statuses.push(r.status);
    }
    assert!(statuses[..10].iter().all(|s| *s == 403), "{statuses:?}");
    assert!(statuses[10..].iter().all(|s| *s == 429), "{statuses:?}");
    assert_eq!(audited(&srv, "MALICIOUS_CSRF").await, 10);
    let r = b
        .request_with(
            Method::POST,
            "/api/session/logout",
            None,
            &from("10.9.9.10"),
        )
        .await;
    assert_eq!(r.status, 403, "another address has its own budget");
    srv.advance(60);
    let r = b
        .request_with(Method::POST, "/api/session/logout", None, &from("10.9.9.9"))
        .await;
    assert_eq!(r.status, 403, "a new minute");
}

/// Second review, L14: an IPv6 /48 holds 65,536 /64s, each an address of its own to the
/// per-address budget; the site as a whole gets forty records a minute, then 429.
#[tokio::test]
async fn a_flood_of_refusals_from_one_ipv6_site_is_limited_as_a_site() {
    let srv = server(&[("SESSIOND_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let b = srv.browser();
    let mut statuses = Vec::new();
    for i in 0..200 {
        let ip = format!("2001:db8:7:{i:x}::1");
        let headers = [
            ("sec-fetch-site", "cross-site"),
            ("x-forwarded-for", ip.as_str()),
        ];
        let r = b
            .request_with(Method::POST, "/api/session/logout", None, &headers)
            .await;
        statuses.push(r.status);
    }
    assert!(statuses[..40].iter().all(|s| *s == 403), "{statuses:?}");
    assert!(statuses[40..].iter().all(|s| *s == 429), "{statuses:?}");
    assert_eq!(audited(&srv, "MALICIOUS_CSRF").await, 40);
    let headers = [
        ("sec-fetch-site", "cross-site"),
        ("x-forwarded-for", "2001:db8:8::1"),
    ];
    let r = b
        .request_with(Method::POST, "/api/session/logout", None, &headers)
        .await;
    assert_eq!(r.status, 403, "another site has its own budget");
}
