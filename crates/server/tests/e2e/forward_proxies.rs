//! Forward auth behind a real Caddy (Debian's 2.6) and a real Traefik (3.7), configured with
//! docs/forward-auth/Caddyfile and traefik.yml: a page without a session goes to the login
//! page and back, a fetch gets 401, the application sees who is signed in and nothing a client
//! forged, a missing context arrives empty rather than as a placeholder, and a logout stops
//! the next request.

use reqwest::Method;
use serde_json::json;
use sessiond_testkit::{Browser, PASSWORD, PrivateCaddy, PrivateTraefik, TestServer};

use crate::forward_auth::start_app;

const PAGE: (&str, &str) = ("accept", "text/html,application/xhtml+xml");

/// The proxy is trusted, and the application's host (here the proxy's) may be returned to.
const PROXIED: [(&str, &str); 2] = [
    ("SESSIOND_TRUSTED_PROXIES", "127.0.0.1"),
    ("SESSIOND_RETURN_HOSTS", "127.0.0.1"),
];

/// The shipped Caddyfile, on plain HTTP at the test's port, pointed at this test's sessiond
/// and application.
fn caddyfile(sessiond: &str, app: &str) -> String {
    include_str!("../../../../docs/forward-auth/Caddyfile")
        .replace("app.example.com {", "http://127.0.0.1:{listen} {")
        .replace("127.0.0.1:8080", sessiond)
        .replace("127.0.0.1:3000", app)
}

/// The shipped Traefik configuration, for the test's host, sessiond and application.
fn traefik_yml(sessiond: &str, app: &str) -> String {
    include_str!("../../../../docs/forward-auth/traefik.yml")
        .replace("app.example.com", "127.0.0.1")
        .replace("127.0.0.1:8080", sessiond)
        .replace("127.0.0.1:3000", app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caddy_sends_pages_to_the_login_and_lets_a_session_through_with_its_identity() {
    let srv = TestServer::start(&PROXIED).await;
    let sessiond = srv.base.trim_start_matches("http://").to_owned();
    let caddy = PrivateCaddy::start(&caddyfile(&sessiond, &start_app().await));
    through_the_proxy(&srv, &caddy.base()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traefik_sends_pages_to_the_login_and_lets_a_session_through_with_its_identity() {
    let srv = TestServer::start(&PROXIED).await;
    let sessiond = srv.base.trim_start_matches("http://").to_owned();
    let traefik = PrivateTraefik::start(&traefik_yml(&sessiond, &start_app().await));
    through_the_proxy(&srv, &traefik.base()).await;
}

async fn through_the_proxy(srv: &TestServer, base: &str) {
    srv.add_user("alice", "oss").await;
    let b = Browser::new(base, &srv.state.cookie.name);

    let r = b
        .request_with(Method::GET, "/reports?month=11", None, &[PAGE])
        .await;
    assert_eq!(r.status, 302, "a page without a session: {}", r.body);
    // On the page's own origin: Traefik would resolve a relative address against sessiond's.
    let login = format!("{base}/login?next=%2Freports%3Fmonth%3D11");
    assert_eq!(r.header("location"), Some(login.as_str()));
    let r = b.get("/reports").await;
    assert_eq!(r.status, 401, "a fetch without a session: {}", r.body);

    let r = b.login("alice", PASSWORD).await;
    assert_eq!(r.status, 200, "login through Caddy: {}", r.body);
    let r = b.get("/reports").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (&r.body["user"], &r.body["role"], &r.body["context"]),
        (&json!("alice"), &json!("oss"), &json!("")),
        "no context arrives empty, not as a placeholder"
    );
    assert_eq!(r.body["session_id"], b.check().await.body["session_id"]);
    assert_eq!(
        r.body["display_name"], "alice",
        "the display name reaches the app"
    );

    let forged = b
        .request_with(
            Method::GET,
            "/reports",
            None,
            &[("x-session-user", "root"), ("x-session-context", "admin")],
        )
        .await;
    assert_eq!(
        (&forged.body["user"], &forged.body["context"]),
        (&json!("alice"), &json!(""))
    );

    assert_eq!(b.post("/api/session/logout", None).await.status, 200);
    assert_eq!(b.get("/reports").await.status, 401, "after logout");
}
