//! The backend API (docs/api.md, "Backend API"): an application's server with an API key
//! creates, validates, lists and revokes sessions, and they are the browsers' sessions.

use reqwest::Method;
use serde_json::{Value, json};
use sessiond_core::api_key::Scope;
use sessiond_core::service::NewApiKey;
use sessiond_testkit::{Resp, TestServer};

use crate::binary::{sessiond, start_with, workdir};

async fn key(srv: &TestServer, name: &str, scopes: &[Scope]) -> String {
    let secret = srv
        .state
        .service
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
    assert_eq!(srv.state.service.flush_api_reads().await.unwrap(), 4);
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
    assert_eq!(srv.state.service.flush_api_reads().await.unwrap(), 0);
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

    assert!(srv.state.service.revoke_api_key("ops").await.unwrap());
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

#[test]
fn api_keys_are_printed_once_listed_without_secrets_and_revoked_at_once() {
    let dir = workdir();
    let out = sessiond(&dir, &[])
        .args(["api-keys", "create", "shop", "--scope", "sessions:write"])
        .args(["--roles", "oss,netadmin", "--users", "alice"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let out = sessiond(&dir, &[])
        .args(["api-keys", "create", "root", "--scope", "sessions:write"])
        .args(["--roles", "superadmin"])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a write key never asserts superadmin"
    );
    let out = sessiond(&dir, &[])
        .args(["api-keys", "create", "bare", "--scope", "sessions:write"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && said.contains("--roles"), "{said}");
    assert!(secret.starts_with("sk_") && secret.len() == 46, "{secret}");
    let out = sessiond(&dir, &[])
        .args(["api-keys", "create", "x", "--scope", "sessions:delete"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "an unknown scope is refused");

    let out = sessiond(&dir, &[])
        .args(["api-keys", "list"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("shop")
            && listed.contains("sessions:write")
            && listed.contains("netadmin,oss (alice)"),
        "{listed}"
    );
    let out = sessiond(&dir, &[])
        .args(["api-keys", "set-roles", "bare", "--roles", "oss"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!listed.contains(&secret[3..]), "no secret in the list");
    let db = std::fs::read(dir.join("data/sessiond.db")).unwrap_or_default();
    let stored = db.windows(secret.len()).any(|w| w == secret.as_bytes());
    assert!(!stored, "only a hash of the key is stored");

    let (_server, addr, _) = start_with(&dir, &[]);
    let call = || {
        let head =
            format!("GET /api/v1/users/admin/sessions HTTP/1.1\r\nAuthorization: Bearer {secret}");
        crate::binary::raw_http::status(&crate::binary::raw_http::send(&addr, &head, ""))
    };
    assert_eq!(call(), 200);
    let out = sessiond(&dir, &[])
        .args(["api-keys", "revoke", "shop"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        call(),
        401,
        "a revoked key stops at once, on the running server too"
    );
}

/// The reads an application made are counted, and a server that is stopped stores the counts
/// it holds before it exits.
#[test]
fn counted_reads_are_stored_when_the_server_stops() {
    let dir = workdir();
    let out = sessiond(&dir, &[])
        .args(["api-keys", "create", "shop", "--scope", "sessions:read"])
        .output()
        .unwrap();
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let (mut server, addr, _) = start_with(&dir, &[]);
    let head =
        format!("GET /api/v1/users/admin/sessions HTTP/1.1\r\nAuthorization: Bearer {secret}");
    for _ in 0..3 {
        let answer = crate::binary::raw_http::send(&addr, &head, "");
        assert_eq!(crate::binary::raw_http::status(&answer), 200);
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(server.0.wait().unwrap().success());
    let out = sessiond(&dir, &[])
        .args(["audit", "list", "--event", "API_REQUEST", "--json"])
        .output()
        .unwrap();
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 1, "{events:?}");
    let d = &events[0]["details"];
    assert_eq!(
        (&d["api_key"], &d["operation"], &d["count"]),
        (&json!("shop"), &json!("user_sessions"), &json!(3))
    );
}

/// Twenty merge patches of one session's data, at once, split over two nodes: every one lands.
async fn parallel_patches_lose_nothing(backend: sessiond_testkit::stores::Backend) {
    let store = sessiond_testkit::stores::SharedStore::new(backend);
    let vars = sessiond_testkit::config_with(&[]);
    let a = TestServer::start_with(vars.clone(), store.open().await).await;
    let b = TestServer::start_with(vars, store.open().await).await;
    a.add_user("alice", "oss").await;
    let app = key(&a, "shop", &[Scope::SessionsWrite]).await;
    let r = api(
        &a,
        &app,
        Method::POST,
        "/api/v1/sessions",
        Some(json!({"username": "alice"})),
    );
    let id = r.await.body["session_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/sessions/{id}/data");
    let patches = (0..20).map(|i| {
        let srv = if i % 2 == 0 { &a } else { &b };
        api(
            srv,
            &app,
            Method::PATCH,
            &path,
            Some(json!({ format!("k{i}"): i })),
        )
    });
    let statuses: Vec<u16> = futures_util::future::join_all(patches)
        .await
        .iter()
        .map(|r| r.status)
        .collect();
    assert!(
        statuses.iter().all(|s| *s == 200),
        "{backend:?}: {statuses:?}"
    );
    let data = api(&b, &app, Method::GET, &path, None).await.body["data"].clone();
    for i in 0..20 {
        assert_eq!(
            data[format!("k{i}")],
            json!(i),
            "{backend:?}: k{i} was lost: {data}"
        );
    }
}

mod parallel_data_patches_lose_nothing {
    sessiond_testkit::on_every_store!(super::parallel_patches_lose_nothing);
}

#[tokio::test]
async fn data_is_versioned_size_limited_and_patching_it_is_not_activity() {
    let (srv, app, r) = app_session().await;
    let (id, idle) = (
        r.body["session_id"].as_str().unwrap().to_owned(),
        r.body["idle_expires_at"].clone(),
    );
    let path = format!("/api/v1/sessions/{id}/data");

    srv.advance(120);
    let patch = json!({"cart": {"items": 2, "coupon": "X"}});
    let r = api(&srv, &app, Method::PATCH, &path, Some(patch)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let etag = r.header("etag").unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", r.body["version"].as_str().unwrap()));
    let auth = format!("Bearer {app}");
    let with_etag = |etag: &str| {
        [
            ("authorization", auth.clone()),
            ("if-match", etag.to_owned()),
        ]
    };
    let h = with_etag(&etag);
    let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = srv
        .browser()
        .request_with(
            Method::PATCH,
            &path,
            Some(json!({"cart": {"coupon": null}})),
            &h,
        )
        .await;
    assert_eq!(r.status, 200, "the current version: {}", r.body);
    assert_eq!(r.body["data"], json!({"cart": {"items": 2}}));
    let r = srv
        .browser()
        .request_with(Method::PATCH, &path, Some(json!({"late": true})), &h)
        .await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (412, &json!("precondition_failed"))
    );

    let big = json!({"blob": "x".repeat(9000)});
    let r = api(&srv, &app, Method::PATCH, &path, Some(big)).await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (413, &json!("payload_too_large"))
    );

    let r = api(
        &srv,
        &app,
        Method::GET,
        &format!("/api/v1/sessions/{id}"),
        None,
    )
    .await;
    assert_eq!(
        r.body["idle_expires_at"], idle,
        "a data patch is not activity"
    );
    let activity = json!({"type": "page_view", "details": {"path": "/cart"}});
    let path = format!("/api/v1/sessions/{id}/activity");
    let r = api(&srv, &app, Method::POST, &path, Some(activity)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_ne!(r.body["idle_expires_at"], idle, "an activity is activity");
    let recorded = srv.audited("SESSION_ACTIVITY").await;
    assert_eq!(recorded[0].details["activity"], "page_view");
    assert_eq!(recorded[0].details["details"]["path"], "/cart");
}

/// The fenced block of `language` in docs/api.md's "From Python and from Node".
fn example(language: &str) -> String {
    let doc = include_str!("../../../../docs/api.md");
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
