//! Bad input of every kind gets a JSON error with a stable code and a 4xx, never a 500.

use reqwest::Method;
use sessiond_testkit::TestServer;

async fn raw(
    srv: &TestServer,
    method: Method,
    path: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", srv.base))
        .body(body);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// Request headers, body, expected status, expected code.
type Case = (Vec<(&'static str, String)>, Vec<u8>, u16, &'static str);

fn json_ct() -> (&'static str, String) {
    ("content-type", "application/json".into())
}

#[tokio::test]
async fn malformed_login_bodies_get_json_errors() {
    let srv = TestServer::start(&[]).await;
    let cases: Vec<Case> = vec![
        (
            vec![json_ct()],
            b"{\"username\": ".to_vec(),
            400,
            "malformed_json",
        ),
        (
            vec![json_ct()],
            b"{\"username\":\"a\",\"password\":\"b\"} trailing".to_vec(),
            400,
            "malformed_json",
        ),
        (
            vec![json_ct()],
            b"{\"username\": 5, \"password\": \"x\"}".to_vec(),
            400,
            "invalid_request",
        ),
        (
            vec![json_ct()],
            b"{\"username\":\"a\",\"password\":\"b\",\"admin\":true}".to_vec(),
            400,
            "invalid_request",
        ),
        (
            vec![json_ct()],
            b"{\"username\":\"\",\"password\":\"b\"}".to_vec(),
            400,
            "invalid_request",
        ),
        (
            vec![json_ct()],
            vec![0xff, 0xfe, 0x00],
            400,
            "malformed_json",
        ),
        // Deep nesting fails as a type error at the first bracket: bounded work, no stack overflow.
        (
            vec![json_ct()],
            "[".repeat(10_000).into_bytes(),
            400,
            "invalid_request",
        ),
        (
            vec![json_ct()],
            format!(
                "{{\"username\":\"a\",\"password\":\"b\",\"remember_me\":{}",
                "[".repeat(10_000)
            )
            .into_bytes(),
            400,
            "invalid_request",
        ),
        (
            vec![json_ct()],
            vec![b' '; 64 * 1024],
            413,
            "payload_too_large",
        ),
        (
            vec![("content-type", "text/plain".into())],
            b"{}".to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            vec![("content-type", "application/x-www-form-urlencoded".into())],
            b"a=b".to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            vec![("content-type", "invalid/@@##".into())],
            b"{}".to_vec(),
            415,
            "unsupported_media_type",
        ),
        (vec![], b"{}".to_vec(), 415, "unsupported_media_type"),
    ];
    for (headers, body, status, code) in cases {
        let (got, json) = raw(&srv, Method::POST, "/api/session/login", &headers, body).await;
        assert_eq!(
            (got, json["code"].as_str()),
            (status, Some(code)),
            "{headers:?} -> {json}"
        );
        assert!(json["message"].is_string());
    }
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_get_json_errors() {
    let srv = TestServer::start(&[]).await;
    let (s, j) = raw(&srv, Method::GET, "/nowhere", &[], vec![]).await;
    assert_eq!((s, j["code"].as_str()), (404, Some("not_found")));
    for (method, path) in [
        (Method::GET, "/api/session/login"),
        (Method::GET, "/api/session/logout"),
        (Method::PUT, "/api/session/login"),
        (Method::TRACE, "/api/session/keepalive"),
        (Method::DELETE, "/api/session/check"),
    ] {
        let (s, j) = raw(&srv, method.clone(), path, &[], vec![]).await;
        assert_eq!(
            (s, j["code"].as_str()),
            (405, Some("method_not_allowed")),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn malformed_cookies_are_no_session_without_a_500() {
    let srv = TestServer::start(&[]).await;
    let values = [
        "",
        "x",
        "' OR 1=1--",
        "../../etc/passwd",
        "%00%0d%0a",
        "☃☃☃",
        &"A".repeat(43),
        &"a".repeat(4000),
    ];
    for v in values {
        let (s, j) = raw(
            &srv,
            Method::POST,
            "/api/session/check",
            &[("cookie", format!("sessiond={v}"))],
            vec![],
        )
        .await;
        assert_eq!((s, j["code"].as_str()), (401, Some("no_session")), "{v:?}");
    }
}

#[tokio::test]
async fn duplicate_session_cookies_are_refused() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    let good = b.token().unwrap();
    for cookie in [
        format!("sessiond={good}; sessiond=other"),
        format!("sessiond={good}; SESSIOND=x"),
    ] {
        let (s, j) = raw(
            &srv,
            Method::POST,
            "/api/session/check",
            &[("cookie", cookie)],
            vec![],
        )
        .await;
        assert_eq!(
            (s, j["code"].as_str()),
            (401, Some("ambiguous_session_cookie"))
        );
    }
}

#[tokio::test]
async fn oversized_headers_get_431() {
    let srv = TestServer::start(&[]).await;
    let cookie = ("cookie", format!("sessiond={}", "a".repeat(16 * 1024)));
    let (s, j) = raw(&srv, Method::POST, "/api/session/check", &[cookie], vec![]).await;
    assert_eq!((s, j["code"].as_str()), (431, Some("headers_too_large")));
    let auth = (
        "authorization",
        format!("Bearer {}", "a".repeat(100 * 1024)),
    );
    let (s, _) = raw(&srv, Method::POST, "/api/session/check", &[auth], vec![]).await;
    assert_eq!(s, 431);
}

#[tokio::test]
async fn tokens_are_accepted_only_from_the_cookie() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let token = srv.logged_in("alice").await.token().unwrap();
    let (s, _) = raw(
        &srv,
        Method::POST,
        &format!("/api/session/check?sid={token}"),
        &[],
        vec![],
    )
    .await;
    assert_eq!(s, 401);
    let (s, _) = raw(
        &srv,
        Method::POST,
        "/api/session/check",
        &[("authorization", format!("Bearer {token}"))],
        vec![],
    )
    .await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn logout_all_refuses_a_malformed_body() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    let cookie = ("cookie", format!("sessiond={}", b.token().unwrap()));
    let (s, j) = raw(
        &srv,
        Method::POST,
        "/api/session/logout-all",
        &[
            cookie.clone(),
            json_ct(),
            ("sec-fetch-site", "same-origin".into()),
        ],
        b"{\"keep_current\": \"yes\"}".to_vec(),
    )
    .await;
    assert_eq!((s, j["code"].as_str()), (400, Some("invalid_request")));
    assert_eq!(b.check().await.status, 200, "nothing happened");
}
