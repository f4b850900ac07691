//! The admin API (docs/api.md, "Admin API") on every store: who may call it, the session
//! list with its filters and keyset pages, one session in full, revocations that say who
//! ended a session and why, and users over HTTP.

use reqwest::Method;
use serde_json::{Value, json};
use sessiond_core::api_key::Scope;
use sessiond_testkit::stores::{Backend, SharedStore};
use sessiond_testkit::{Browser, Resp, TestServer, config_with};

use crate::backend_api::key;

/// A call with an API key, from a client that holds no cookie.
async fn with_key(
    srv: &TestServer,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Resp {
    let auth = format!("Bearer {key}");
    srv.browser()
        .request_with(method, path, body, &[("authorization", &auth)])
        .await
}

fn ids(r: &Resp) -> Vec<String> {
    r.body["sessions"]
        .as_array()
        .unwrap_or_else(|| panic!("no sessions in {}", r.body))
        .iter()
        .map(|s| s["session_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn session_id(b: &Browser) -> String {
    b.check().await.body["session_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Every page of `query`, `limit` at a time.
async fn all_pages(root: &Browser, query: &str, limit: u32) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = root
            .get(&format!("/api/admin/sessions?limit={limit}{query}{cursor}"))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        out.extend(ids(&r));
        match r.body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return out,
        }
    }
}

async fn the_admin_api_sees_and_steers_every_session(backend: Backend) {
    let store = SharedStore::new(backend);
    let vars = [("SESSIOND_REAUTH_WINDOW_SECONDS", "120")];
    let srv = TestServer::start_with(config_with(&vars), store.open().await).await;
    srv.add_user("root", "superadmin").await;
    srv.add_user("alice", "oss").await;
    srv.add_user("bob", "netadmin").await;
    let alice1 = srv.logged_in("alice").await;
    srv.advance(1);
    let alice2 = srv.logged_in("alice").await;
    srv.advance(1);
    let bob = srv.logged_in("bob").await;
    srv.advance(1);
    let root = srv.logged_in("root").await;
    let (a1, a2, b1, r1) = (
        session_id(&alice1).await,
        session_id(&alice2).await,
        session_id(&bob).await,
        session_id(&root).await,
    );

    // Who may call it.
    let r = srv.browser().get("/api/admin/sessions").await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (401, Some("no_session"))
    );
    let r = alice1.get("/api/admin/sessions").await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("insufficient_role"))
    );
    let writer = key(&srv, "shop", &[Scope::SessionsWrite]).await;
    let r = with_key(&srv, &writer, Method::GET, "/api/admin/sessions", None).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("insufficient_scope"))
    );
    let reader = key(&srv, "auditor", &[Scope::AdminRead]).await;
    let r = with_key(&srv, &reader, Method::GET, "/api/admin/sessions", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        ids(&r),
        [r1.clone(), b1.clone(), a2.clone(), a1.clone()],
        "newest first"
    );
    let revoke = format!("/api/admin/sessions/{a1}/revoke");
    let r = with_key(&srv, &reader, Method::POST, &revoke, Some(json!({}))).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("insufficient_scope"))
    );

    // Keyset pages, one at a time, and the filters.
    assert_eq!(
        all_pages(&root, "", 1).await,
        [r1.clone(), b1.clone(), a2.clone(), a1.clone()]
    );
    assert_eq!(
        all_pages(&root, "&user=ALICE", 1).await,
        [a2.clone(), a1.clone()]
    );
    assert_eq!(
        all_pages(&root, "&role=netadmin", 2).await,
        std::slice::from_ref(&b1)
    );
    let r = root.get("/api/admin/sessions?user=nobody").await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("user_not_found"))
    );
    for bad in [
        "cursor=x",
        "ip=10.0.0.0/33",
        "limit=0",
        "state=gone",
        "created_after=yesterday",
    ] {
        let r = root.get(&format!("/api/admin/sessions?{bad}")).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (400, Some("invalid_request")),
            "{bad}"
        );
    }

    // A revocation says who and why; the user's browser learns at once.
    let r = root
        .post(&revoke, Some(json!({"reason": "laptop stolen"})))
        .await;
    assert_eq!(
        (r.status, &r.body["revoked"]),
        (200, &json!(true)),
        "{}",
        r.body
    );
    assert_eq!(alice1.check().await.body["code"], "revoked");
    let again = root.post(&revoke, Some(json!({}))).await;
    assert_eq!(again.body["revoked"], false, "ended already");
    let r = root.get("/api/admin/sessions?state=revoked").await;
    assert_eq!(ids(&r), std::slice::from_ref(&a1));
    let ended = &r.body["sessions"][0];
    assert_eq!(ended["ended_by"], "admin:root");
    assert_eq!(ended["end_note"], "laptop stolen");
    assert_eq!(ended["end_reason"], "admin_revoked");
    assert_eq!(ended["display_name"], "alice");
    assert_eq!(ended["auth_method"], "local");
    assert_eq!(
        all_pages(&root, "&state=active", 10).await,
        [r1.clone(), b1.clone(), a2.clone()]
    );

    // One session in full.
    let r = root.get(&format!("/api/admin/sessions/{a1}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["state"], "revoked");
    assert!(r.body["device_info"]["browser"].is_string(), "{}", r.body);
    assert_eq!(r.body["suspicion"]["score"], 0);
    assert!(r.body["duration_seconds"].as_i64().unwrap() >= 0);
    let r = root
        .get("/api/admin/sessions/0190c0de-0000-7000-8000-000000000000")
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("session_not_found"))
    );

    // A bulk revocation answers what it did with each.
    let admin = key(&srv, "ops", &[Scope::Admin]).await;
    let ghost = "0190c0de-0000-7000-8000-000000000000";
    let body = json!({"session_ids": [a2, a1, ghost], "usernames": ["bob", "nobody"], "reason": "offboarding"});
    let r = with_key(
        &srv,
        &admin,
        Method::POST,
        "/api/admin/sessions/revoke",
        Some(body),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["revoked"], json!([a2, b1]));
    assert_eq!(r.body["already_ended"], json!([a1]));
    assert_eq!(r.body["not_found"], json!([ghost, "nobody"]));
    let r = root.get(&format!("/api/admin/sessions/{b1}")).await;
    assert_eq!(r.body["ended_by"], "key:ops");
    let many: Vec<String> = (0..501).map(|_| ghost.to_owned()).collect();
    let r = with_key(
        &srv,
        &admin,
        Method::POST,
        "/api/admin/sessions/revoke",
        Some(json!({"session_ids": many})),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);

    // Every change is audited with its actor.
    let actions = srv.audited("ADMIN_ACTION").await;
    let actors: Vec<_> = actions
        .iter()
        .map(|e| e.details["actor"].as_str().unwrap().to_owned())
        .collect();
    assert!(actors.contains(&"admin:root".to_owned()), "{actors:?}");
    assert!(actors.contains(&"key:ops".to_owned()), "{actors:?}");
    assert!(
        actions
            .iter()
            .any(|e| e.details["reason"] == "laptop stolen")
    );

    // Users over HTTP.
    let alice3 = srv.logged_in("alice").await;
    let r = root.get("/api/admin/users").await;
    assert_eq!((r.status, &r.body["count"]), (200, &json!(3)), "{}", r.body);
    assert!(
        r.body.to_string().find("password").is_none(),
        "no hash shown"
    );
    let r = root.post("/api/admin/users/alice/disable", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (&r.body["user"]["enabled"], &r.body["sessions_affected"]),
        (&json!(false), &json!(1))
    );
    assert_eq!(alice3.check().await.status, 401);
    assert_eq!(
        srv.browser()
            .login("alice", sessiond_testkit::PASSWORD)
            .await
            .status,
        401
    );
    let r = root.post("/api/admin/users/alice/enable", None).await;
    assert_eq!(r.body["user"]["enabled"], true);
    let r = root
        .request_with(
            Method::PUT,
            "/api/admin/users/bob/role",
            Some(json!({"role": "oss"})),
            &[],
        )
        .await;
    assert_eq!(
        (r.status, &r.body["user"]["role"]),
        (200, &json!("oss")),
        "{}",
        r.body
    );
    let r = root
        .request_with(
            Method::PUT,
            "/api/admin/users/bob/contexts",
            Some(json!({"contexts": ["lab"]})),
            &[],
        )
        .await;
    assert_eq!(r.body["user"]["contexts"], json!(["lab"]), "{}", r.body);
    let r = root.post("/api/admin/users/nobody/disable", None).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("user_not_found"))
    );

    // A change needs fresh authentication; a read does not.
    srv.advance(300);
    root.keepalive().await;
    let r = root.post("/api/admin/users/alice/disable", None).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("reauth_required"))
    );
    assert_eq!(root.get("/api/admin/users").await.status, 200);
}

mod the_admin_api_sees_and_steers_every_session {
    sessiond_testkit::on_every_store!(super::the_admin_api_sees_and_steers_every_session);
}

#[tokio::test]
async fn a_cookie_change_without_its_csrf_token_is_refused() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("root", "superadmin").await;
    srv.add_user("alice", "oss").await;
    let root = srv.logged_in("root").await;
    root.set_csrf(None);
    let r = root
        .request_with(
            Method::POST,
            "/api/admin/users/alice/disable",
            None,
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("csrf_failed"))
    );
    assert!(
        srv.state
            .service
            .admin()
            .user("alice")
            .await
            .unwrap()
            .enabled
    );
}
