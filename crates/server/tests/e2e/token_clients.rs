//! Token clients as the second review found them (items 5 to 7): the audit trail names whoever
//! refreshed, reused or logged out, and refreshes are screened for drift; a context that is
//! not the user's fails a token login as a wrong password does; and a token client has a
//! device credential that keeps it past a lock that strangers keep up.

use reqwest::Method;
use serde_json::{Value, json};
use sessiond_testkit::{PASSWORD, Resp, TestServer};

const APP: &str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0";

/// A call from a token client at `ip` (through the trusted proxy at 127.0.0.1) with `ua`.
async fn from(srv: &TestServer, ip: &str, ua: &str, path: &str, body: Value) -> Resp {
    let mut b = srv.browser();
    b.user_agent = ua.to_owned();
    b.request_with(Method::POST, path, Some(body), &[("x-forwarded-for", ip)])
        .await
}

async fn server(vars: &[(&str, &str)]) -> TestServer {
    let mut all = vec![("SESSIOND_TRUSTED_PROXIES", "127.0.0.1")];
    all.extend_from_slice(vars);
    let srv = TestServer::start(&all).await;
    srv.add_user("alice", "oss").await;
    srv
}

async fn login(srv: &TestServer, ip: &str, extra: Value) -> Resp {
    let mut body = json!({"username": "alice", "password": PASSWORD});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    from(srv, ip, APP, "/api/token/login", body).await
}

/// Item 5: refresh, reuse detection and logout are recorded with the caller's address and user
/// agent, not the login's.
#[tokio::test]
async fn token_audit_records_name_the_caller() {
    let srv = server(&[("SESSIOND_REFRESH_REUSE_GRACE_SECONDS", "0")]).await;
    let pair = login(&srv, "10.0.0.1", json!({})).await.body;
    let body = json!({"refresh_token": pair["refresh_token"]});
    let r = from(&srv, "10.0.0.2", APP, "/api/token/refresh", body.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let refreshed = &srv.audited("TOKEN_REFRESHED").await[0];
    assert_eq!(refreshed.ip.as_deref(), Some("10.0.0.2"));

    let thief_ua = "curl/8.5.0";
    let r = from(&srv, "203.0.113.9", thief_ua, "/api/token/refresh", body).await;
    assert_eq!(r.body["code"], "refresh_token_reused", "{}", r.body);
    let reuse = &srv.audited("TOKEN_REUSE_DETECTED").await[0];
    assert_eq!(
        (reuse.ip.as_deref(), reuse.user_agent.as_deref()),
        (Some("203.0.113.9"), Some(thief_ua)),
        "the thief's address, not the owner's"
    );

    let pair = login(&srv, "10.0.0.1", json!({})).await.body;
    let body = json!({"refresh_token": pair["refresh_token"]});
    assert_eq!(
        from(&srv, "10.0.0.3", APP, "/api/token/logout", body)
            .await
            .status,
        200
    );
    let out = &srv.audited("SESSION_LOGGED_OUT").await[0];
    assert_eq!(out.ip.as_deref(), Some("10.0.0.3"));
}

/// Item 5: a refresh from another browser family is drift, screened as a check is: with the
/// default response (`reauth`) the session ends.
#[tokio::test]
async fn refreshes_are_screened_for_drift() {
    let srv = server(&[]).await;
    let pair = login(&srv, "10.0.0.1", json!({})).await.body;
    let body = json!({"refresh_token": pair["refresh_token"]});
    let other = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36";
    let r = from(&srv, "10.0.0.1", other, "/api/token/refresh", body).await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (401, &json!("revoked")),
        "{}",
        r.body
    );
    let drift = srv.audited("SESSION_DRIFT").await;
    assert_eq!(drift[0].details["reason"], "user_agent_changed");
    assert_eq!(srv.audited("SUSPICIOUS_ACTIVITY").await.len(), 1);
}

/// Item 6: the right password with a context that is not the user's gets the answer a wrong
/// password gets, is audited, and counts towards the lockout: no silent password check.
#[tokio::test]
async fn a_foreign_context_fails_a_token_login_like_a_wrong_password() {
    let srv = server(&[("SESSIOND_LOGIN_LOCKOUT_THRESHOLD", "3")]).await;
    let foreign = login(&srv, "10.0.0.1", json!({"context": "not-hers"})).await;
    let wrong = from(
        &srv,
        "10.0.0.1",
        APP,
        "/api/token/login",
        json!({"username": "alice", "password": "not the password", "context": "not-hers"}),
    )
    .await;
    assert_eq!(
        (foreign.status, foreign.answer()),
        (wrong.status, wrong.answer())
    );
    assert_eq!(foreign.body["code"], "invalid_credentials");
    let failed = srv.audited("LOGIN_FAILED").await;
    let reasons: Vec<_> = failed.iter().map(|e| e.details["reason"].clone()).collect();
    assert_eq!(
        reasons,
        [json!("wrong_password"), json!("context_not_allowed")]
    );
    login(&srv, "10.0.0.1", json!({"context": "not-hers"})).await;
    assert_eq!(
        srv.audited("ACCOUNT_LOCKED").await.len(),
        1,
        "counted, never cleared"
    );
    assert_eq!(
        login(&srv, "10.0.0.1", json!({})).await.status,
        401,
        "locked"
    );
}

/// Item 7: a token login hands the client a device credential; presented at its next login it
/// gets past a lock that a stranger's guesses keep up, as the owner's browser does.
#[tokio::test]
async fn a_token_clients_device_credential_gets_past_a_strangers_lock() {
    let srv = server(&[("SESSIOND_LOGIN_LOCKOUT_THRESHOLD", "3")]).await;
    srv.add_user("bob", "oss").await;
    let first = login(&srv, "10.0.0.1", json!({})).await.body;
    let device = first["device_token"].as_str().expect("a device credential");
    let bobs = from(
        &srv,
        "10.0.0.1",
        APP,
        "/api/token/login",
        json!({"username": "bob", "password": PASSWORD}),
    )
    .await
    .body["device_token"]
        .clone();
    let refreshed = from(
        &srv,
        "10.0.0.1",
        APP,
        "/api/token/refresh",
        json!({"refresh_token": first["refresh_token"]}),
    )
    .await;
    assert!(
        refreshed.body.get("device_token").is_none(),
        "only at login"
    );

    for _ in 0..3 {
        let guess = json!({"username": "alice", "password": "guess!guess"});
        let r = from(&srv, "198.51.100.7", "curl/8", "/api/token/login", guess).await;
        assert_eq!(r.status, 401);
    }
    assert_eq!(
        login(&srv, "10.0.0.9", json!({})).await.status,
        401,
        "locked"
    );
    let forged = format!("{device}x");
    let r = login(&srv, "10.0.0.1", json!({"device_token": forged})).await;
    assert_eq!(r.status, 401, "a forged credential");
    let r = login(&srv, "10.0.0.1", json!({"device_token": bobs})).await;
    assert_eq!(r.status, 401, "another user's credential");

    let r = login(&srv, "10.0.0.1", json!({"device_token": device})).await;
    assert_eq!(r.status, 200, "the owner's client gets in: {}", r.body);
    assert_ne!(r.body["device_token"].as_str(), Some(device), "a fresh one");
    assert_eq!(
        login(&srv, "10.0.0.9", json!({})).await.status,
        401,
        "still locked"
    );
}
