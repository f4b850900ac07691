//! The backend API (docs/api.md, "Backend API"): an application's server with an API key
//! creates, validates, lists and revokes sessions, and they are the browsers' sessions.

use reqwest::Method;
use serde_json::{Value, json};
use sessiond_core::api_key::Scope;
use sessiond_core::service::NewApiKey;
use sessiond_testkit::{Resp, TestServer};

use crate::binary::{sessiond, sessiond_ok, start_with, workdir};

mod cli;
mod data;

/// A new API key's secret. A key of `sessions:write` alone may assert the roles `oss` and
/// `netadmin`, the ones the tests' users are given.
pub(crate) async fn key(srv: &TestServer, name: &str, scopes: &[Scope]) -> String {
    let secret = srv
        .state
        .service
        .admin()
        .create_api_key(if scopes == [Scope::SessionsWrite] {
            NewApiKey::new(name, scopes).roles(&["oss", "netadmin"])
        } else {
            NewApiKey::new(name, scopes)
        })
        .await
        .unwrap();
    secret.expose().to_owned()
}

/// A call from the application's server: a fresh client each time, so no cookie is involved.
async fn api(srv: &TestServer, key: &str, method: Method, path: &str, body: Option<Value>) -> Resp {
    let auth = format!("Bearer {key}");
    srv.browser()
        .request_with(method, path, body, &[("authorization", &auth)])
        .await
}

/// A server with `alice`, a `sessions:write` key `shop`, and the answer to the session the
/// application created for her.
async fn app_session() -> (TestServer, String, Resp) {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let app = key(&srv, "shop", &[Scope::SessionsWrite]).await;
    let body = json!({"username": "alice"});
    let r = api(&srv, &app, Method::POST, "/api/v1/sessions", Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    (srv, app, r)
}

#[tokio::test]
async fn a_session_an_app_creates_is_a_browsers_session() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let app = key(&srv, "shop", &[Scope::SessionsWrite]).await;

    let body = json!({"username": "alice", "data": {"cart": 3}, "ip": "198.51.100.7"});
    let r = api(&srv, &app, Method::POST, "/api/v1/sessions", Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let token = r.body["token"].as_str().unwrap().to_owned();
    let id = r.body["session_id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["username"], "alice");
    assert!(r.set_cookie().is_some_and(|c| c.contains(&token)));

    // The token is the cookie: the browser's check sees the same session.
    let browser = srv.browser();
    browser.set_token(Some(&token));
    let check = browser.check().await;
    assert_eq!((check.status, &check.body["session_id"]), (200, &json!(id)));
    let listed = browser.get("/api/session/sessions").await;
    assert_eq!(listed.body["count"], 1);

    let v = json!({"token": token});
    let r = api(
        &srv,
        &app,
        Method::POST,
        "/api/v1/sessions/validate",
        Some(v.clone()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (&r.body["valid"], &r.body["data"]["cart"]),
        (&json!(true), &json!(3))
    );
    assert!(r.body["user_id"].is_string());

    let r = api(
        &srv,
        &app,
        Method::GET,
        &format!("/api/v1/sessions/{id}"),
        None,
    )
    .await;
    assert_eq!((r.status, &r.body["ip"]), (200, &json!("198.51.100.7")));
    let r = api(
        &srv,
        &app,
        Method::GET,
        "/api/v1/users/alice/sessions",
        None,
    )
    .await;
    assert_eq!(r.body["count"], 1, "{}", r.body);

    let r = api(
        &srv,
        &app,
        Method::DELETE,
        &format!("/api/v1/sessions/{id}"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = api(
        &srv,
        &app,
        Method::POST,
        "/api/v1/sessions/validate",
        Some(v),
    )
    .await;
    assert_eq!((r.status, &r.body["code"]), (401, &json!("revoked")));
    assert_eq!(
        browser.check().await.status,
        401,
        "revoked for the browser too"
    );

    let operations = |events: &[sessiond_core::audit::AuditEvent]| {
        let mut ops: Vec<(String, u64)> = events
            .iter()
            .map(|e| {
                assert_eq!(e.details["api_key"], "shop");
                let op = e.details["operation"].as_str().unwrap().to_owned();
                (op, e.details["count"].as_u64().unwrap())
            })
            .collect();
        ops.sort();
        ops
    };
    // The calls that changed something are recorded before they are answered; the reads are
    // counted, and stored at the next flush.
    let audited = srv.audited("API_REQUEST").await;
    assert_eq!(
        operations(&audited),
        [("create_session".into(), 1), ("revoke_session".into(), 1)]
    );
    assert_eq!(
        srv.state.service.admin().flush_api_reads().await.unwrap(),
        4
    );
    let audited = srv.audited("API_REQUEST").await;
    assert_eq!(
        operations(&audited),
        [
            ("create_session".into(), 1),
            ("get_session".into(), 1),
            ("revoke_session".into(), 1),
            ("user_sessions".into(), 1),
            ("validate".into(), 2),
        ],
        "every call is audited with the key's name"
    );
    assert_eq!(
        srv.state.service.admin().flush_api_reads().await.unwrap(),
        0
    );
}

#[tokio::test]
async fn validation_is_passive_unless_it_says_activity_and_never_rotates() {
    let (srv, app, r) = app_session().await;
    let token = r.body["token"].as_str().unwrap().to_owned();
    let idle = r.body["idle_expires_at"].clone();

    srv.advance(120);
    let passive = json!({"token": token});
    let r = api(
        &srv,
        &app,
        Method::POST,
        "/api/v1/sessions/validate",
        Some(passive),
    )
    .await;
    assert_eq!(
        r.body["idle_expires_at"], idle,
        "a passive validation extends nothing"
    );
    let active = json!({"token": token, "activity": true});
    let r = api(
        &srv,
        &app,
        Method::POST,
        "/api/v1/sessions/validate",
        Some(active),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_ne!(
        r.body["idle_expires_at"], idle,
        "activity extends the idle deadline"
    );
    assert!(
        r.set_cookie().is_none(),
        "never a new cookie: the browser holds the token"
    );

    // Validating from the app's server is not the browser drifting.
    let browser = srv.browser();
    browser.set_token(Some(&token));
    assert_eq!(browser.check().await.status, 200);
}

#[tokio::test]
async fn keys_need_their_scope_and_anything_else_is_refused() {
    let srv = TestServer::start(&[("SESSIOND_UNKNOWN_TOKEN_LIMIT", "5")]).await;
    srv.add_user("alice", "oss").await;
    let reader = key(&srv, "reports", &[Scope::SessionsRead]).await;
    let create = json!({"username": "alice"});
    let r = api(
        &srv,
        &reader,
        Method::POST,
        "/api/v1/sessions",
        Some(create.clone()),
    )
    .await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (403, &json!("insufficient_scope"))
    );
    let r = api(
        &srv,
        &reader,
        Method::GET,
        "/api/v1/users/alice/sessions",
        None,
    )
    .await;
    assert_eq!(r.status, 200, "sessions:read lists: {}", r.body);
    let r = api(
        &srv,
        &reader,
        Method::GET,
        "/api/v1/users/nobody/sessions",
        None,
    )
    .await;
    assert_eq!((r.status, &r.body["code"]), (404, &json!("user_not_found")));

    let admin = key(&srv, "ops", &[Scope::Admin]).await;
    let r = api(
        &srv,
        &admin,
        Method::POST,
        "/api/v1/sessions",
        Some(create.clone()),
    )
    .await;
    assert_eq!(r.status, 201, "admin implies sessions:write: {}", r.body);

    assert!(
        srv.state
            .service
            .admin()
            .revoke_api_key("ops")
            .await
            .unwrap()
    );
    let r = api(
        &srv,
        &admin,
        Method::POST,
        "/api/v1/sessions",
        Some(create.clone()),
    )
    .await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (401, &json!("invalid_api_key")),
        "revoked at once"
    );

    let no_key = srv
        .browser()
        .request(Method::GET, "/api/v1/users/alice/sessions", None)
        .await;
    assert_eq!(
        (no_key.status, &no_key.body["code"]),
        (401, &json!("invalid_api_key"))
    );
    let forged = format!("sk_{}", "A".repeat(43));
    // Two refusals so far (the revoked key, no key); the limit is five a minute.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = api(
            &srv,
            &forged,
            Method::GET,
            "/api/v1/users/alice/sessions",
            None,
        )
        .await;
        statuses.push(r.status);
    }
    assert_eq!(
        statuses,
        [401, 401, 401, 429, 429],
        "wrong keys count against the address like unknown session tokens"
    );
}

/// The fenced block of `language` in docs/api.md's "From Python and from Node".
fn example(language: &str) -> String {
    let doc = include_str!("../../../../../docs/api.md");
    let section = doc.split("### From Python and from Node").nth(1).unwrap();
    let fence = format!("```{language}\n");
    let start = section.find(&fence).unwrap() + fence.len();
    let len = section[start..].find("```").unwrap();
    section[start..start + len].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_and_node_examples_of_docs_api_md_work() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let app = key(&srv, "docs", &[Scope::SessionsWrite]).await;
    let runs = [
        ("python3", vec!["-c".to_owned(), example("python")]),
        (
            "node",
            vec![
                "--input-type=module".to_owned(),
                "-e".to_owned(),
                example("js"),
            ],
        ),
    ];
    for (program, args) in runs {
        let (base, key) = (srv.base.clone(), app.clone());
        // The server answers on this runtime; the client runs on a blocking thread beside it.
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new(program)
                .args(&args)
                .env("SESSIOND_URL", base)
                .env("SESSIOND_API_KEY", key)
                .output()
        })
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{program} is needed (scripts/test installs it): {e}"));
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{program}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed = printed.trim().to_lowercase();
        assert_eq!(printed, "alice true pro", "{program} printed {printed:?}");
    }
}

/// A name the username rule admits as sent is created even when its NFKC form holds what a
/// compatibility letter expands to (`Ŀ` is `L·`): the document calls it valid, and so does
/// the server (schemathesis found the refusal).
#[tokio::test]
async fn create_user_takes_every_name_the_rule_admits_as_sent() {
    let srv = TestServer::start(&[]).await;
    let admin = key(&srv, "admin", &[Scope::Admin]).await;
    let body = json!({"username": "Ŀina", "create_user": true});
    let r = api(&srv, &admin, Method::POST, "/api/v1/sessions", Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["username"], "L·ina");
}

/// The key is read by the one parser of `Authorization`, whose scheme name is case-insensitive
/// (RFC 9110): `bearer sk_...` is the same key as `Bearer sk_...`.
#[tokio::test]
async fn the_authorization_scheme_is_read_in_any_case() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let reader = key(&srv, "reports", &[Scope::SessionsRead]).await;
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let auth = format!("{scheme} {reader}");
        let r = srv
            .browser()
            .request_with(
                Method::GET,
                "/api/v1/users/alice/sessions",
                None,
                &[("authorization", &auth)],
            )
            .await;
        assert_eq!(r.status, 200, "{scheme}: {}", r.body);
    }
}

/// Seed 001's custom settings reach the application: every one through the backend API, and
/// only those named `SESSION_CUSTOM_PUBLIC_*` in the browser's client configuration, since a
/// custom setting may be a secret.
#[tokio::test]
async fn custom_settings_reach_the_app_and_only_public_ones_the_browser() {
    let srv = TestServer::start(&[
        ("SESSION_CUSTOM_PUBLIC_SUPPORT_EMAIL", "help@example.com"),
        ("SESSION_CUSTOM_PAYMENT_API_KEY", "not-for-browsers"),
    ])
    .await;
    let reader = key(&srv, "shop", &[Scope::SessionsRead]).await;
    let r = api(&srv, &reader, Method::GET, "/api/v1/config/custom", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["custom"],
        serde_json::json!({
            "payment_api_key": "not-for-browsers",
            "public_support_email": "help@example.com"
        })
    );
    let r = srv.browser().get("/api/v1/config/custom").await;
    assert_eq!(r.status, 401, "{}", r.body);
    let client = srv.browser().get("/api/session/client-config").await;
    assert_eq!(
        client.body["custom"],
        serde_json::json!({"support_email": "help@example.com"})
    );
    assert!(!client.body.to_string().contains("not-for-browsers"));
}
