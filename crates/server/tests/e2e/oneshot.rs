//! In-process requests through `sessiond_http::app` (no socket): statuses, headers and cookie
//! attributes, including the ones a test socket cannot set (peer address).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use sessiond_core::ManualClock;
use sessiond_http::AppState;
use sessiond_testkit::{PASSWORD, config_with};
use tower::ServiceExt as _;

async fn state(vars: &[(&str, &str)]) -> AppState {
    let config = config_with(vars);
    let state = sessiond_server::build(&config, Arc::new(ManualClock::at_epoch()))
        .await
        .unwrap();
    let user = sessiond_core::service::NewUser {
        username: "alice".into(),
        display_name: None,
        role: "oss".into(),
        password: PASSWORD.into(),
        contexts: vec![],
    };
    state.service.admin().create_user(user).await.unwrap();
    state
}

fn login_request(peer: &str, forwarded_for: Option<&str>) -> Request<Body> {
    let body = format!("{{\"username\":\"alice\",\"password\":\"{PASSWORD}\"}}");
    let mut req =
        Request::post("/api/session/login").header(header::CONTENT_TYPE, "application/json");
    if let Some(xff) = forwarded_for {
        req = req.header("x-forwarded-for", xff);
    }
    let mut req = req.body(Body::from(body)).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
    req
}

/// The addresses alice's logins were recorded from, sorted.
async fn alices_addresses(state: &AppState) -> Vec<String> {
    let query = sessiond_core::audit::AuditQuery {
        username: Some("alice".into()),
        limit: 100,
        ..Default::default()
    };
    let events = state.service.admin().audit_events(&query).await.unwrap();
    let mut ips: Vec<_> = events
        .into_iter()
        .filter(|e| e.event_type == "LOGIN_SUCCESS")
        .map(|e| e.ip.unwrap())
        .collect();
    ips.sort();
    ips
}

#[tokio::test]
async fn a_secure_cookie_is_host_prefixed_with_every_attribute() {
    let state = state(&[
        ("SESSIOND_COOKIE_SECURE", "true"),
        ("SESSIOND_COOKIE_SAMESITE", "strict"),
    ])
    .await;
    let res = sessiond_http::app(state.clone())
        .oneshot(login_request("192.0.2.7:5000", None))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookies: Vec<_> = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(cookies.len(), 2, "the session cookie and the device cookie");
    let names: Vec<_> = cookies
        .iter()
        .map(|c| c.split('=').next().unwrap())
        .collect();
    assert_eq!(
        names,
        ["__Host-sessiond", "__Host-sessiond_device"],
        "one Set-Cookie per name"
    );
    let device = &cookies[1];
    let attrs: Vec<_> = device.split("; ").skip(1).collect();
    assert_eq!(
        attrs,
        [
            "Path=/",
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Max-Age=15552000"
        ]
    );
    let c = &cookies[0];
    assert!(c.starts_with("__Host-sessiond="), "{c}");
    let attrs: Vec<_> = c.split("; ").skip(1).collect();
    assert_eq!(attrs, ["Path=/", "HttpOnly", "SameSite=Strict", "Secure"]);
    assert!(c.len() <= 4096);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");

    let token = c.split(';').next().unwrap().to_owned();
    let logout = Request::post("/api/session/logout")
        .header(header::COOKIE, &token)
        .header("sec-fetch-site", "same-origin")
        .body(Body::empty())
        .unwrap();
    let res = sessiond_http::app(state).oneshot(logout).await.unwrap();
    let cleared = res.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cleared.starts_with("__Host-sessiond=; Path=/;")
            && cleared.contains("Max-Age=0")
            && cleared.contains("Secure"),
        "{cleared}"
    );
}

#[tokio::test]
async fn forwarded_for_counts_only_from_a_trusted_proxy() {
    let state = state(&[("SESSIOND_TRUSTED_PROXIES", "10.0.0.1")]).await;
    let app = sessiond_http::app(state.clone());
    app.clone()
        .oneshot(login_request("203.0.113.9:1234", Some("198.51.100.1")))
        .await
        .unwrap();
    app.oneshot(login_request(
        "10.0.0.1:1234",
        Some("6.6.6.6, 198.51.100.2"),
    ))
    .await
    .unwrap();
    let ips = alices_addresses(&state).await;
    assert_eq!(
        ips,
        ["198.51.100.2", "203.0.113.9"],
        "spoofed XFF ignored; the trusted proxy's view used"
    );
}

/// Second review, M10: trusted proxies are ranges; `X-Forwarded-For` is read from the right past
/// every trusted hop (entries with ports included), and a proxy reaching a dual-stack listener
/// as an IPv4-mapped IPv6 peer is the IPv4 proxy it is.
#[tokio::test]
async fn forwarded_for_is_read_from_the_right_past_every_trusted_hop() {
    let state = state(&[("SESSIOND_TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8")]).await;
    let app = sessiond_http::app(state.clone());
    for (peer, xff) in [
        (
            "[::ffff:10.0.0.1]:1234",
            "6.6.6.6, 198.51.100.3, 10.2.3.4:8080",
        ),
        ("10.9.9.9:1234", "198.51.100.4:51000, [fd00::7]:443"),
        ("[fd00::1]:1234", "\"[2001:db8::5]:443\""),
    ] {
        let res = app
            .clone()
            .oneshot(login_request(peer, Some(xff)))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{peer} {xff}");
    }
    let ips = alices_addresses(&state).await;
    assert_eq!(ips, ["198.51.100.3", "198.51.100.4", "2001:db8::5"]);
}

/// Second review, L10: without a token or a listener of its own, `/metrics` answers this host
/// only: a client elsewhere (a thief checking whether its token reuse was noticed) gets 403.
#[tokio::test]
async fn metrics_answer_only_this_host_without_a_token() {
    let state = state(&[]).await;
    let app = sessiond_http::app(state);
    for (peer, status) in [
        ("203.0.113.9:5000", StatusCode::FORBIDDEN),
        ("127.0.0.1:5000", StatusCode::OK),
        ("[::1]:5000", StatusCode::OK),
    ] {
        let mut req = Request::get("/metrics").body(Body::empty()).unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        let res = app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), status, "{peer}");
    }
}
