//! Forward auth behind a real nginx, configured with docs/forward-auth/nginx.conf: the browser
//! logs in through nginx and reaches a protected application that sees who it is; without a
//! session, after logout or after a revocation it does not; and a client can never pass an
//! identity of its own to the application.

use std::sync::Arc;

use axum::http::HeaderMap;
use serde_json::{Value, json};
use sessiond_testkit::{Browser, PASSWORD, PrivateNginx, TestServer};

/// The protected application: it answers with the identity headers it received.
pub(crate) async fn start_app() -> String {
    let echo = |headers: HeaderMap| async move {
        let pick = |name: &str| {
            headers
                .get(name)
                // The identity is UTF-8: a name need not be ASCII.
                .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .unwrap_or(Value::Null)
        };
        axum::Json(json!({
            "user": pick("x-session-user"),
            "user_id": pick("x-session-user-id"),
            "role": pick("x-session-role"),
            "session_id": pick("x-session-id"),
            "context": pick("x-session-context"),
            "display_name": pick("x-session-display-name"),
        }))
    };
    let app = axum::Router::new().fallback(echo);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// The shipped configuration, pointed at this test's sessiond and application.
fn nginx_config(sessiond: &str, app: &str) -> String {
    let shipped = include_str!("../../../../docs/forward-auth/nginx.conf");
    shipped
        .replace("127.0.0.1:8080", sessiond)
        .replace("127.0.0.1:3000", app)
        .replace("listen 127.0.0.1:8000", "listen 127.0.0.1:{listen}")
}

struct Setup {
    srv: TestServer,
    nginx: PrivateNginx,
}

async fn setup() -> Setup {
    setup_with(&[]).await
}

async fn setup_with(vars: &[(&str, &str)]) -> Setup {
    let mut all = vec![("SESSIOND_TRUSTED_PROXIES", "127.0.0.1")];
    all.extend_from_slice(vars);
    let srv = TestServer::start(&all).await;
    srv.add_user("alice", "oss").await;
    let sessiond = srv.base.trim_start_matches("http://").to_owned();
    let app = start_app().await;
    let nginx = PrivateNginx::start(&nginx_config(&sessiond, &app));
    Setup { srv, nginx }
}

fn through_nginx(s: &Setup) -> Browser {
    Browser::new(&s.nginx.base(), &s.srv.state.cookie.name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_lets_a_session_through_with_its_identity_and_nothing_else() {
    let s = setup().await;
    let b = through_nginx(&s);

    let r = b.get("/reports?month=11").await;
    assert_eq!(r.status, 302, "no session: to the login page ({})", r.body);
    assert_eq!(r.header("location"), Some("/login?next=/reports?month=11"));

    let r = b.login("alice", PASSWORD).await;
    assert_eq!(r.status, 200, "login through nginx: {}", r.body);
    let r = b.get("/reports").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (&r.body["user"], &r.body["role"]),
        (&json!("alice"), &json!("oss"))
    );
    assert_eq!(r.body["session_id"], b.check().await.body["session_id"]);

    // A header the client sends under an identity's name never reaches the application as one.
    let forged = b
        .request_with(
            reqwest::Method::GET,
            "/reports",
            None,
            &[("x-session-user", "root"), ("x-session-role", "superadmin")],
        )
        .await;
    assert_eq!(
        (&forged.body["user"], &forged.body["role"]),
        (&json!("alice"), &json!("oss"))
    );
    let stranger = through_nginx(&s);
    let r = stranger
        .request_with(
            reqwest::Method::GET,
            "/reports",
            None,
            &[("x-session-user", "root")],
        )
        .await;
    assert_eq!(
        r.status, 302,
        "a forged identity without a session is no session"
    );

    b.post("/api/session/logout", None).await;
    assert_eq!(b.get("/reports").await.status, 302, "after logout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_beyond_ascii_reaches_the_application_as_utf_8() {
    let s = setup().await;
    s.srv.add_user("zoë.müller", "oss").await;
    let b = through_nginx(&s);
    assert_eq!(b.login("zoë.müller", PASSWORD).await.status, 200);
    let r = b.get("/reports").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["user"], json!("zoë.müller"));
    assert_eq!(
        r.body["display_name"],
        json!("zoë.müller"),
        "the display name too"
    );
}

/// Second review, "Also": the shipped configuration passes the browser's `Host` with its port, so
/// an `Origin` naming nginx's own port is this site (a browser's request without a CSRF token
/// that vouches for itself by its Origin passes), and `GET /logout` is sessiond's: it ends the
/// session rather than reaching the application.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_nginx_config_keeps_the_port_and_serves_get_logout() {
    let s = setup().await;
    let b = through_nginx(&s);
    assert_eq!(b.login("alice", PASSWORD).await.status, 200);
    let origin = s.nginx.base();
    b.set_csrf(None);
    let r = b
        .request_with(
            reqwest::Method::POST,
            "/api/session/keepalive",
            None,
            &[("origin", origin.as_str())],
        )
        .await;
    assert_eq!(
        r.status, 200,
        "the Origin names this site, port included: {}",
        r.body
    );
    let elsewhere = "http://127.0.0.1:1".to_owned();
    let r = b
        .request_with(
            reqwest::Method::POST,
            "/api/session/keepalive",
            None,
            &[("origin", elsewhere.as_str())],
        )
        .await;
    assert_eq!(r.status, 403, "another port is another origin: {}", r.body);

    let r = b.get("/logout").await;
    assert_eq!(
        r.status, 303,
        "sessiond's logout, not the application: {}",
        r.body
    );
    assert_eq!(r.header("location"), Some("/login?reason=logged_out"));
    assert_eq!(b.get("/reports").await.status, 302, "logged out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_stops_the_next_request_through_nginx() {
    let s = setup().await;
    let b = Arc::new(through_nginx(&s));
    assert_eq!(b.login("alice", PASSWORD).await.status, 200);
    assert_eq!(b.get("/").await.status, 200);
    s.srv
        .state
        .service
        .admin()
        .disable_user("alice")
        .await
        .unwrap();
    assert_eq!(b.get("/").await.status, 302, "revoked at once");
}

/// Second review, item 3: a visitor's anonymous session is no login, so it does not open the
/// application behind the proxy, unless `SESSIOND_VERIFY_ANONYMOUS` says it may.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_session_does_not_pass_forward_auth_unless_allowed() {
    let s = setup_with(&[("SESSION_FEATURE_ANONYMOUS_SESSIONS", "true")]).await;
    let visitor = through_nginx(&s);
    let r = visitor.post("/api/session/anonymous", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        visitor.check().await.status,
        200,
        "the visitor has a session"
    );
    let r = visitor.get("/reports").await;
    assert_eq!(
        r.status, 302,
        "to the login page, not the application: {}",
        r.body
    );
    let direct = Browser::new(&s.srv.base, &s.srv.state.cookie.name);
    direct.set_token(visitor.token().as_deref());
    let r = direct.get("/auth/verify").await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (401, &json!("anonymous_session")),
        "{}",
        r.body
    );
    assert!(r.header("x-session-id").is_none());

    let s = setup_with(&[
        ("SESSION_FEATURE_ANONYMOUS_SESSIONS", "true"),
        ("SESSIOND_VERIFY_ANONYMOUS", "true"),
    ])
    .await;
    let visitor = through_nginx(&s);
    assert_eq!(
        visitor.post("/api/session/anonymous", None).await.status,
        200
    );
    let r = visitor.get("/reports").await;
    assert_eq!(r.status, 200, "allowed by the setting: {}", r.body);
    assert_eq!(r.body["user"], Value::Null, "with no user");
}

#[tokio::test]
async fn verify_answers_exactly_200_or_401_and_counts_activity_unless_passive() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    let idle = b.check().await.body["idle_expires_at"].clone();

    srv.advance(120);
    let passive = b
        .request_with(
            reqwest::Method::GET,
            "/auth/verify",
            None,
            &[("x-sessiond-passive", "1")],
        )
        .await;
    assert_eq!(passive.status, 200);
    assert_eq!(passive.header("x-session-user"), Some("alice"));
    assert_eq!(
        b.check().await.body["idle_expires_at"],
        idle,
        "passive: nothing extended"
    );
    let polling = b
        .request_with(
            reqwest::Method::GET,
            "/auth/verify",
            None,
            &[("x-original-uri", "/api/session/check?x=1")],
        )
        .await;
    assert_eq!(polling.status, 200);
    assert_eq!(
        b.check().await.body["idle_expires_at"],
        idle,
        "the client's own polling"
    );

    let token = b.token();
    let r = b.request(reqwest::Method::POST, "/auth/verify", None).await;
    assert_eq!(r.status, 200, "any method: {}", r.body);
    assert!(r.set_cookie().is_none(), "never a cookie");
    assert_eq!(b.token(), token, "never a new token");
    assert_ne!(
        b.check().await.body["idle_expires_at"],
        idle,
        "activity by default"
    );

    let r = srv.browser().get("/auth/verify").await;
    assert_eq!(
        (r.status, &r.body["valid"], &r.body["code"]),
        (401, &json!(false), &json!("no_session"))
    );
}

#[tokio::test]
async fn a_guessing_address_still_gets_exactly_401_from_verify() {
    let srv = TestServer::start(&[("SESSIOND_UNKNOWN_TOKEN_LIMIT", "2")]).await;
    let guesser = srv.browser();
    let mut answers = Vec::new();
    for _ in 0..4 {
        guesser.set_token(Some(&"A".repeat(43)));
        let r = guesser.get("/auth/verify").await;
        answers.push((r.status, r.header("retry-after").is_some()));
    }
    assert_eq!(
        answers,
        [(401, false), (401, false), (401, true), (401, true)],
        "past the limit still 401 (nginx would make anything else a 500), with Retry-After"
    );
}
