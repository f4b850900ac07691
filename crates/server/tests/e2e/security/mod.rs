//! Rows of docs/security.md, one test each, named after the row, with the ASVS
//! requirements it covers. docs/security.md maps every row to its test.

use reqwest::Method;
use serde_json::json;
use sessiond_testkit::{Browser, PASSWORD, TestServer};

mod abuse;
mod csrf;
mod drift;

/// A server whose store answers only after `latency`, so parallel requests overlap.
async fn slow_server(vars: &[(&str, &str)], latency: std::time::Duration) -> TestServer {
    let config = sessiond_testkit::config_with(vars);
    let store = sessiond_testkit::OutageStore::new(
        sessiond_server::open_store(&config.server).await.unwrap(),
    );
    let srv = TestServer::start_with(config, store.stores()).await;
    srv.add_user("alice", "oss").await;
    store.set_latency(latency);
    srv
}

async fn server(vars: &[(&str, &str)]) -> TestServer {
    let srv = TestServer::start(vars).await;
    srv.add_user("alice", "oss").await;
    srv
}

async fn audited(srv: &TestServer, kind: &str) -> usize {
    srv.audited(kind).await.len()
}

async fn logout_with(b: &Browser, headers: &[(&str, &str)]) -> (u16, String) {
    let r = b
        .request_with(Method::POST, "/api/session/logout", None, headers)
        .await;
    (r.status, r.body["code"].as_str().unwrap_or("").to_owned())
}

const REFUSED: (u16, &str) = (403, "csrf_failed");

/// ASVS 4: 3.3.1 · 5: 7.4.1, 14.3.1
#[tokio::test]
async fn row33_logout_invalidates_and_clears_the_browser() {
    let srv = server(&[]).await;
    let b = srv.logged_in("alice").await;
    let token = b.token().unwrap();
    let r = b.post("/api/session/logout", None).await;
    assert_eq!(r.status, 200);
    let cleared = r.set_cookie().unwrap();
    assert!(
        cleared.starts_with("sessiond=;")
            && cleared.contains("Max-Age=0")
            && cleared.contains("Path=/"),
        "{cleared}"
    );
    assert_eq!(
        r.header("clear-site-data"),
        Some("\"cookies\", \"storage\"")
    );
    let replay = srv.browser();
    replay.set_token(Some(&token));
    assert_eq!(replay.check().await.body["code"], "logged_out");
}

/// Logs alice in `n` times at once, each from a browser of its own; returns the statuses.
async fn parallel_logins(srv: &TestServer, n: usize) -> Vec<u16> {
    let browsers: Vec<Browser> = (0..n).map(|_| srv.browser()).collect();
    let logins = browsers.iter().map(|b| b.login("alice", PASSWORD));
    futures_util::future::join_all(logins)
        .await
        .into_iter()
        .map(|r| r.status)
        .collect()
}

async fn active_sessions(srv: &TestServer) -> usize {
    let alice = srv.logged_in("alice").await;
    let n = alice.get("/api/session/sessions").await.body["count"]
        .as_u64()
        .unwrap() as usize;
    alice.post("/api/session/logout", None).await;
    n
}

/// ASVS 5: 7.1.2 · WSTG-SESS-11
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn row38_the_session_cap_holds_under_parallel_logins() {
    // Every store operation takes 20 ms: without the per-user login lock, logins that checked
    // the count at the same time would all create a session.
    let latency = std::time::Duration::from_millis(20);
    let srv = slow_server(&[("SESSION_MAX_CONCURRENT_PER_USER", "3")], latency).await;
    let statuses = parallel_logins(&srv, 12).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert!(
        active_sessions(&srv).await <= 3,
        "evict_oldest keeps the cap"
    );
    assert!(audited(&srv, "SESSION_EVICTED").await >= 9);

    let srv = slow_server(
        &[
            ("SESSION_MAX_CONCURRENT_PER_USER", "3"),
            ("SESSIOND_CONCURRENT_POLICY", "deny_new"),
        ],
        latency,
    )
    .await;
    let statuses = parallel_logins(&srv, 12).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        3,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    let refused = srv.browser().login("alice", PASSWORD).await;
    assert_eq!(refused.body["code"], "too_many_sessions");
}

/// ASVS 4: 7.3.1 · 5: 16.4.1
#[tokio::test]
async fn row47_audit_records_are_injection_safe() {
    let srv = server(&[]).await;
    // A username with control characters is refused at the edge (docs/api.md, "Input"): it
    // never reaches the audit trail.
    let forged = "mallory\r\n2030-01-01T00:00:00Z  LOGIN_SUCCESS  admin\u{1b}[2J";
    let r = srv.browser().login(forged, "wrong password").await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (400, &"invalid_request".into())
    );
    assert!(srv.audited("LOGIN_FAILED").await.is_empty());
    // What does reach it, a user agent with JSON's quotes and a line separator, is kept
    // exactly and cannot break a record or a rendered line.
    let mut b = srv.browser();
    let agent = "evil\"},{\"agent\u{2028}\"},{\"x\":\"";
    b.user_agent = agent.into();
    assert_eq!(b.login("mallory", "wrong password").await.status, 401);
    let events = srv.audited("LOGIN_FAILED").await;
    let failed = &events[0];
    assert_eq!(failed.user_agent.as_deref(), Some(agent), "stored exactly");
    let json = serde_json::to_string(failed).unwrap();
    assert!(
        !json.contains('\n') && !json.contains('\r'),
        "one record, one line"
    );
    let back: sessiond_core::audit::AuditEvent = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, failed, "JSON-breaking input round-trips");
    let line = sessiond_server::cli::audit::render_line(failed);
    assert!(!line.chars().any(char::is_control), "{line:?}");
    assert!(!line.contains('\u{2028}'));
}

const FIREFOX_141: &str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/141.0";

/// ASVS 4: 3.2.1 · 5: 7.2.4 · WSTG-SESS-03: a visitor's anonymous session is upgraded on login
/// with a new id and a new token; the anonymous token is then worthless.
#[tokio::test]
async fn row15_an_anonymous_session_is_upgraded_with_a_new_token() {
    let srv = server(&[("SESSION_FEATURE_ANONYMOUS_SESSIONS", "true")]).await;
    let b = srv.browser();
    let r = b.post("/api/session/anonymous", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["anonymous"], true);
    assert!(r.body["username"].is_null());
    let visitor_id = r.body["session_id"].as_str().unwrap().to_owned();
    let visitor_token = b.token().unwrap();
    let again = b.post("/api/session/anonymous", None).await;
    assert_eq!(
        again.body["session_id"],
        visitor_id.as_str(),
        "one per browser"
    );
    assert!(again.set_cookie().is_none());

    let login = b.login("alice", PASSWORD).await;
    assert_eq!(login.status, 200);
    assert_ne!(login.body["session_id"], visitor_id.as_str(), "a new id");
    assert_ne!(b.token().unwrap(), visitor_token, "a new token");
    let replay = srv.browser();
    replay.set_token(Some(&visitor_token));
    assert_eq!(
        replay.check().await.status,
        401,
        "the anonymous token is dead"
    );
    assert_eq!(audited(&srv, "SESSION_UPGRADED").await, 1);

    let off = server(&[]).await;
    assert_eq!(
        off.browser()
            .post("/api/session/anonymous", None)
            .await
            .status,
        404
    );
}

/// ASVS 5: 7.2.4, 7.5.1 · CS-SM SM-15: a privilege change renews the session (id, token, CSRF).
#[tokio::test]
async fn row16_a_role_change_renews_the_session() {
    let srv = server(&[]).await;
    let b = srv.logged_in("alice").await;
    let (old_id, old_token, old_csrf) = (
        b.check().await.body["session_id"].clone(),
        b.token().unwrap(),
        b.csrf().unwrap(),
    );
    let ended = srv
        .state
        .service
        .admin()
        .set_role("alice", "netadmin")
        .await
        .unwrap();
    assert_eq!(ended, 1);
    assert_eq!(
        b.check().await.body["code"],
        "revoked",
        "the old session is over"
    );
    let r = b.login("alice", PASSWORD).await;
    assert_eq!(r.body["role"], "netadmin");
    assert_ne!(r.body["session_id"], old_id);
    assert_ne!(b.token().unwrap(), old_token);
    assert_ne!(b.csrf().unwrap(), old_csrf);
    assert_eq!(audited(&srv, "USER_ROLE_CHANGED").await, 1);
}
