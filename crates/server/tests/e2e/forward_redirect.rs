//! `/auth/verify?redirect=1`: for proxies that pass sessiond's answer on to the browser (Traefik
//! `forwardAuth`, Caddy `forward_auth`), a browser without a session gets a 302 to the login page
//! with the way back, only to allowed hosts, and only for a page it navigated to.

use reqwest::Method;
use sessiond_testkit::{Browser, TestServer};

const PAGE: (&str, &str) = ("accept", "text/html,application/xhtml+xml");

/// What Traefik sends about the request it holds.
fn held(host: &'static str, uri: &'static str) -> [(&'static str, &'static str); 4] {
    [
        PAGE,
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", host),
        ("x-forwarded-uri", uri),
    ]
}

async fn verify(b: &Browser, path: &str, headers: &[(&str, &str)]) -> (u16, Option<String>) {
    let r = b.request_with(Method::GET, path, None, headers).await;
    (r.status, r.header("location").map(str::to_owned))
}

#[tokio::test]
async fn a_browser_without_a_session_is_sent_to_the_login_page_and_back() {
    let srv = TestServer::start(&[
        ("SESSIOND_TRUSTED_PROXIES", "127.0.0.1"),
        ("SESSIOND_RETURN_HOSTS", "app.example.com"),
    ])
    .await;
    let b = srv.browser();
    let back = held("app.example.com", "/reports?month=11&year=2026");
    assert_eq!(
        verify(&b, "/auth/verify?redirect=1", &back).await,
        (
            302,
            Some("https://app.example.com/login?next=%2Freports%3Fmonth%3D11%26year%3D2026".into())
        )
    );
    // nginx's way of saying it: one absolute URL.
    let original = [PAGE, ("x-original-url", "https://app.example.com/a?b=c")];
    assert_eq!(
        verify(&b, "/auth/verify?redirect=1", &original).await,
        (
            302,
            Some("https://app.example.com/login?next=%2Fa%3Fb%3Dc".into())
        )
    );
    // Without ?redirect=1, the answer nginx needs.
    assert_eq!(verify(&b, "/auth/verify", &back).await.0, 401);
    // With a session, the identity as ever.
    srv.add_user("alice", "oss").await;
    let alice = srv.logged_in("alice").await;
    let r = alice
        .request_with(Method::GET, "/auth/verify?redirect=1", None, &back)
        .await;
    assert_eq!((r.status, r.header("x-session-user")), (200, Some("alice")));
}

#[tokio::test]
async fn no_way_back_to_a_host_that_is_not_allowed_whatever_the_headers_say() {
    let srv = TestServer::start(&[
        ("SESSIOND_TRUSTED_PROXIES", "127.0.0.1"),
        ("SESSIOND_RETURN_HOSTS", "app.example.com"),
    ])
    .await;
    let b = srv.browser();
    let login = (302, Some("/login".to_owned()));
    for headers in [
        held("evil.example", "/x"),
        held("app.example.com.evil.example", "/x"),
        [
            PAGE,
            PAGE,
            PAGE,
            ("x-original-url", "https://evil.example/x"),
        ],
        [
            PAGE,
            PAGE,
            PAGE,
            ("x-original-url", "https://app.example.com@evil.example/x"),
        ],
    ] {
        assert_eq!(
            verify(&b, "/auth/verify?redirect=1", &headers).await,
            login,
            "{headers:?}"
        );
    }
    // An allowed host with a path that is not plain: its login page, with no way back.
    for path in ["//evil.example/x", "/\\evil.example"] {
        assert_eq!(
            verify(
                &b,
                "/auth/verify?redirect=1",
                &held("app.example.com", path)
            )
            .await,
            (302, Some("https://app.example.com/login".into())),
            "{path}"
        );
    }
    // sessiond's own host is allowed without being listed.
    let own = srv.base.trim_start_matches("http://").to_owned();
    let own: &'static str = Box::leak(own.into_boxed_str());
    assert_eq!(
        verify(&b, "/auth/verify?redirect=1", &held(own, "/mine")).await,
        (302, Some(format!("https://{own}/login?next=%2Fmine")))
    );
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_give_no_way_back() {
    let srv = TestServer::start(&[("SESSIOND_RETURN_HOSTS", "app.example.com")]).await;
    let b = srv.browser();
    assert_eq!(
        verify(
            &b,
            "/auth/verify?redirect=1",
            &held("app.example.com", "/x")
        )
        .await,
        (302, Some("/login".into()))
    );
}

#[tokio::test]
async fn scripts_and_other_methods_get_401_not_a_redirect() {
    let srv = TestServer::start(&[("SESSIOND_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let b = srv.browser();
    let path = "/auth/verify?redirect=1";
    for headers in [
        vec![("accept", "application/json")],
        vec![PAGE, ("x-requested-with", "XMLHttpRequest")],
        vec![PAGE, ("sec-fetch-mode", "cors")],
        vec![PAGE, ("x-forwarded-method", "POST")],
    ] {
        let r = b.request_with(Method::GET, path, None, &headers).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (401, Some("no_session")),
            "{headers:?}"
        );
    }
    let r = b.request_with(Method::POST, path, None, &[PAGE]).await;
    assert_eq!(r.status, 401, "the held request was a POST");
}

#[tokio::test]
async fn the_setting_redirects_without_the_query_and_guesses_still_count() {
    let srv = TestServer::start(&[
        ("SESSIOND_VERIFY_REDIRECT", "true"),
        ("SESSIOND_UNKNOWN_TOKEN_LIMIT", "2"),
    ])
    .await;
    let b = srv.browser();
    assert_eq!(verify(&b, "/auth/verify", &[PAGE]).await.0, 302);
    let mut answers = Vec::new();
    for _ in 0..3 {
        b.set_token(Some(&"A".repeat(43)));
        answers.push(verify(&b, "/auth/verify", &[PAGE]).await.0);
    }
    assert_eq!(
        answers,
        [302, 302, 401],
        "an address past the guessing limit is refused, not redirected"
    );
}
