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

/// Second review, item 10: whatever the router or an extractor refuses (a path segment that is
/// not UTF-8, a query it cannot read, a malformed or oversized body, a wrong content type or
/// method) is the JSON error body with a `code` on every route of `/openapi.json`, never
/// axum's plain text and never a 5xx. The request carries a live session, its CSRF token and an
/// admin API key, so it gets past authentication to the extractors.
#[tokio::test]
async fn every_route_refuses_bad_paths_queries_bodies_and_methods_with_json() {
    let srv = TestServer::start(&[("SESSION_FEATURE_ANONYMOUS_SESSIONS", "true")]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    let cookie = format!("{}={}", srv.state.cookie.name, b.token().unwrap());
    let csrf = b.csrf().unwrap();
    let key = srv
        .state
        .service
        .admin()
        .create_api_key(sessiond_core::service::NewApiKey::new(
            "edge",
            &[sessiond_core::api_key::Scope::Admin],
        ))
        .await
        .unwrap();
    let auth = format!("Bearer {}", key.expose());
    let doc: serde_json::Value = reqwest::get(format!("{}/openapi.json", srv.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bodies: [(&str, Vec<u8>); 4] = [
        ("application/json", b"{\"a\":".to_vec()),
        ("application/json", vec![b' '; 20 * 1024]),
        ("text/plain", b"{}".to_vec()),
        ("application/json", b"\xff\xfe".to_vec()),
    ];
    let mut checked = 0;
    for (template, ops) in doc["paths"].as_object().unwrap() {
        let path = template
            .split('/')
            .map(|s| if s.starts_with('{') { "%00%FF" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let documented: Vec<String> = ops.as_object().unwrap().keys().cloned().collect();
        for method in ["get", "post", "put", "patch", "delete"] {
            for (query, (content_type, body)) in ["", "?%FF=%FF&limit=x&since=%00"]
                .iter()
                .zip(bodies.iter().cycle())
                .chain(std::iter::once((&"?limit=-1", &bodies[1])))
            {
                let url = format!("{}{path}{query}", srv.base);
                let res = reqwest::Client::new()
                    .request(method.to_uppercase().parse().unwrap(), url.as_str())
                    .header("cookie", &cookie)
                    .header("x-csrf-token", &csrf)
                    .header("authorization", &auth)
                    .header("content-type", *content_type)
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                let ct = res
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_owned());
                let text = res.text().await.unwrap();
                let what = format!("{method} {url}: {status} {ct:?} {text}");
                assert!(status < 500, "{what}");
                if status >= 400 {
                    assert_eq!(ct.as_deref(), Some("application/json"), "{what}");
                    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
                    assert!(json["code"].is_string(), "{what}");
                    // `/auth/verify` answers any method: proxies forward the original one.
                    if !documented.iter().any(|m| m == method) && template != "/auth/verify" {
                        assert_eq!(status, 405, "{what}");
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked}");
}

/// The Set-Cookie values of an answer, in order.
fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// Second review, L1: a cookie tossed beside the real one (a duplicate from a sibling domain or
/// a deeper path, or a case variant of its name) no longer locks the browser out. A session
/// route still refuses it (row 4) but clears every variant; login works and its new cookie
/// comes after the clearing ones; logout works, ends the sessions both named, and clears.
#[tokio::test]
async fn a_tossed_cookie_is_cleared_and_locks_no_one_out_of_login_or_logout() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let good = srv.logged_in("alice").await.token().unwrap();
    let tossed = srv.logged_in("alice").await.token().unwrap();
    let send = |method: Method, path: &str, cookie: String, body: Option<serde_json::Value>| {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut req = client
            .request(method, format!("{}{path}", srv.base))
            .header("cookie", cookie)
            .header("sec-fetch-site", "same-origin");
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send()
    };
    let clears = |all: &[String], name: &str| {
        all.iter().any(|c| {
            c.starts_with(&format!("{name}=;")) && c.contains("Path=/;") && c.contains("Max-Age=0")
        })
    };

    let jar = format!("sessiond={good}; SESSIOND=x; sessiond={tossed}");
    let res = send(Method::POST, "/api/session/check", jar.clone(), None)
        .await
        .unwrap();
    let cookies = set_cookies(&res);
    assert_eq!(res.status(), 401);
    assert!(
        clears(&cookies, "sessiond") && clears(&cookies, "SESSIOND"),
        "{cookies:#?}"
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.contains("Path=/api/session/check;")),
        "and on the paths above this one: {cookies:#?}"
    );

    let body = serde_json::json!({"username": "alice", "password": sessiond_testkit::PASSWORD});
    let res = send(Method::POST, "/api/session/login", jar.clone(), Some(body))
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "login works beside a tossed cookie");
    let cookies = set_cookies(&res);
    let new = cookies
        .iter()
        .position(|c| c.starts_with("sessiond=") && !c.starts_with("sessiond=;"))
        .expect("a new session cookie");
    let cleared = cookies
        .iter()
        .rposition(|c| c.starts_with("sessiond=;"))
        .unwrap();
    assert!(
        cleared < new,
        "the new cookie comes after the clearing ones: {cookies:#?}"
    );
    let srv = &srv;
    let check = |token: String| async move {
        let cookie = [("cookie", format!("sessiond={token}"))];
        raw(srv, Method::POST, "/api/session/check", &cookie, vec![])
            .await
            .0
    };
    for old in [&good, &tossed] {
        let s = check(old.clone()).await;
        assert_eq!(s, 401, "the sessions the tossed pair named are ended");
    }

    let a = srv.logged_in("alice").await.token().unwrap();
    let b = srv.logged_in("alice").await.token().unwrap();
    for path in ["/api/session/logout", "/logout"] {
        let method = if path == "/logout" {
            Method::GET
        } else {
            Method::POST
        };
        let res = send(method, path, format!("sessiond={a}; sessiond={b}"), None)
            .await
            .unwrap();
        assert!(
            res.status().is_success() || res.status() == 303,
            "{path}: {}",
            res.status()
        );
        assert!(clears(&set_cookies(&res), "sessiond"), "{path}");
    }
    for old in [&a, &b] {
        assert_eq!(check(old.clone()).await, 401, "logout ended both");
    }
}
