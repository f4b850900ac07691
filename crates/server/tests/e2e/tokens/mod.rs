//! The token API through the real server (docs/api.md, "Tokens"): the whole surface
//! on every store, rotation and theft (docs/security.md rows 25-28) on every store across two
//! nodes, the refresh race (row 29), the absolute lifetime (row 30), the revocations feed,
//! keys rotated on one node signing on the other, and the docs' curl and `jose` examples.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};
use sessiond_testkit::stores::{Backend, SharedStore};
use sessiond_testkit::{PASSWORD, Resp, TestServer, config_with};

mod docs;
mod kept;

/// A call from an API client: a fresh client each time, so no cookie is ever involved.
pub(crate) async fn call(
    srv: &TestServer,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> Resp {
    let b = srv.browser();
    let auth = bearer.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
    b.request_with(method, path, body, &headers).await
}

pub(crate) async fn token_login(srv: &TestServer, name: &str) -> Value {
    let body = json!({"username": name, "password": PASSWORD});
    let r = call(srv, Method::POST, "/api/token/login", None, Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

pub(crate) async fn refresh(srv: &TestServer, refresh_token: &Value) -> Resp {
    let body = json!({"refresh_token": refresh_token});
    call(srv, Method::POST, "/api/token/refresh", None, Some(body)).await
}

pub(crate) fn text(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap().to_owned()
}

/// docs/api.md's token walk-through end to end: login, the session routes with a bearer, forward auth, refresh,
/// logout and logout-all, and the refusals.
async fn the_token_api_works_end_to_end(backend: Backend) {
    let store = SharedStore::new(backend);
    let srv = TestServer::start_with(config_with(&[]), store.open().await).await;
    srv.add_user("alice", "oss").await;
    let wrong = json!({"username": "alice", "password": "not the password"});
    let r = call(&srv, Method::POST, "/api/token/login", None, Some(wrong)).await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (401, &json!("invalid_credentials"))
    );

    let pair = token_login(&srv, "alice").await;
    assert_eq!(pair["token_type"], "Bearer");
    // Both lifetimes (900 s and 86400 s) are capped by the tests' 600 s idle timeout.
    assert_eq!(pair["expires_in"], 600);
    assert_eq!(pair["refresh_expires_in"], 600);
    assert!(text(&pair, "refresh_token").starts_with("sdrt_"));
    let access = text(&pair, "access_token");
    let sid = text(&pair, "session_id");

    let r = call(&srv, Method::GET, "/api/session/check", Some(&access), None).await;
    assert_eq!(
        (r.status, &r.body["username"]),
        (200, &json!("alice")),
        "{backend:?}"
    );
    assert_eq!(r.body["session_id"], sid.as_str());
    let r = call(
        &srv,
        Method::POST,
        "/api/session/keepalive",
        Some(&access),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["rotated"], false);
    assert!(r.set_cookie().is_none(), "a bearer gets no cookie");
    let r = call(
        &srv,
        Method::GET,
        "/api/session/sessions",
        Some(&access),
        None,
    )
    .await;
    assert_eq!((r.status, &r.body["count"]), (200, &json!(1)));
    assert_eq!(r.body["sessions"][0]["current"], true);
    let r = call(&srv, Method::GET, "/auth/verify", Some(&access), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-session-user"), Some("alice"));
    assert_eq!(r.header("x-session-id"), Some(sid.as_str()));

    let next = refresh(&srv, &pair["refresh_token"]).await;
    assert_eq!(next.status, 200, "{}", next.body);
    assert_ne!(next.body["refresh_token"], pair["refresh_token"]);
    assert_eq!(next.body["session_id"], sid.as_str());
    let r = call(
        &srv,
        Method::POST,
        "/api/token/refresh",
        None,
        Some(json!({"refresh_token": access})),
    )
    .await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (401, &json!("invalid_token")),
        "an access token is no refresh token"
    );

    // A cookie login of the same user, ended by logout-all with the bearer.
    let browser = srv.logged_in("alice").await;
    let new_access = text(&next.body, "access_token");
    let r = call(
        &srv,
        Method::POST,
        "/api/token/logout-all",
        Some(&new_access),
        None,
    )
    .await;
    assert_eq!(
        (r.status, &r.body["ended_sessions"]),
        (200, &json!(2)),
        "{}",
        r.body
    );
    assert_eq!(browser.check().await.body["code"], "logged_out");
    for path in ["/api/session/check", "/auth/verify"] {
        let r = call(&srv, Method::GET, path, Some(&new_access), None).await;
        assert_eq!(
            (r.status, &r.body["code"]),
            (401, &json!("logged_out")),
            "{path}"
        );
    }
    let r = refresh(&srv, &next.body["refresh_token"]).await;
    assert_eq!((r.status, &r.body["code"]), (401, &json!("logged_out")));

    // Logout with the refresh token in the body.
    let pair = token_login(&srv, "alice").await;
    let body = json!({"refresh_token": pair["refresh_token"]});
    let r = call(&srv, Method::POST, "/api/token/logout", None, Some(body)).await;
    assert_eq!(
        (r.status, &r.body["session_id"]),
        (200, &pair["session_id"])
    );
    let r = call(&srv, Method::POST, "/api/token/logout", None, None).await;
    assert_eq!((r.status, &r.body["code"]), (401, &json!("invalid_token")));
}

mod the_token_api_works_end_to_end {
    sessiond_testkit::on_every_store!(super::the_token_api_works_end_to_end);
}

/// Two nodes on `store` whose clocks move together.
async fn two_nodes(store: &SharedStore) -> (TestServer, TestServer) {
    let vars = [("SESSIOND_LOGIN_RATE_LIMIT", "10000")];
    let a = TestServer::start_with(config_with(&vars), store.open().await).await;
    let b = TestServer::start_with(config_with(&vars), store.open().await).await;
    a.add_user("alice", "oss").await;
    (a, b)
}

fn advance(nodes: &[&TestServer], secs: i64) {
    for n in nodes {
        n.advance(secs);
    }
}

/// Rows 25-28 across two nodes: a replay within the grace gets the lineage's current pair on
/// either node; after it, or two rotations behind, the family is revoked on both.
async fn theft_revokes_the_family_on_every_node(backend: Backend) {
    let store = SharedStore::new(backend);
    let (a, b) = two_nodes(&store).await;
    let r0 = token_login(&a, "alice").await;
    let r1 = refresh(&b, &r0["refresh_token"]).await.body;
    assert_ne!(
        r1["refresh_token"], r0["refresh_token"],
        "{backend:?}: row 25"
    );
    advance(&[&a, &b], 5);
    let replay = refresh(&a, &r0["refresh_token"]).await;
    assert_eq!(
        replay.status, 200,
        "{backend:?}: within the grace: {}",
        replay.body
    );
    assert_eq!(
        replay.body["refresh_token"], r1["refresh_token"],
        "{backend:?}: one lineage"
    );

    advance(&[&a, &b], 6);
    let r = refresh(&b, &r0["refresh_token"]).await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (401, &json!("refresh_token_reused")),
        "{backend:?}: row 26"
    );
    let r = refresh(&a, &r1["refresh_token"]).await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (401, &json!("revoked")),
        "{backend:?}"
    );
    let access = text(&r1, "access_token");
    let r = call(&a, Method::GET, "/api/session/check", Some(&access), None).await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (401, &json!("revoked")),
        "{backend:?}"
    );
    assert_eq!(
        a.audited("TOKEN_REUSE_DETECTED").await.len(),
        1,
        "{backend:?}"
    );

    // Row 27: two rotations behind is theft even inside the grace.
    let r0 = token_login(&a, "alice").await;
    let r1 = refresh(&a, &r0["refresh_token"]).await.body;
    let r2 = refresh(&b, &r1["refresh_token"]).await;
    assert_eq!(r2.status, 200);
    let r = refresh(&b, &r0["refresh_token"]).await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (401, &json!("refresh_token_reused")),
        "{backend:?}: row 27"
    );
    let r = refresh(&a, &r2.body["refresh_token"]).await;
    assert_eq!(r.status, 401, "{backend:?}: the family is gone");
}

mod theft_revokes_the_family_on_every_node {
    sessiond_testkit::on_every_store!(super::theft_revokes_the_family_on_every_node);
}

/// Row 29: twenty parallel refreshes of one token, half on each node, all answer 200 with the
/// same new refresh token, and exactly one rotation is stored.
async fn parallel_refreshes_commit_one_rotation(backend: Backend) {
    let store = SharedStore::new(backend);
    let (a, b) = two_nodes(&store).await;
    for round in 0..3 {
        let r0 = token_login(&a, "alice").await;
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let base = if i % 2 == 0 {
                    a.base.clone()
                } else {
                    b.base.clone()
                };
                let token = r0["refresh_token"].clone();
                tokio::spawn(async move {
                    // The client that logged in: refreshes are screened for drift.
                    let r = reqwest::Client::new()
                        .post(format!("{base}/api/token/refresh"))
                        .header(
                            "user-agent",
                            sessiond_testkit::Browser::new("", "").user_agent,
                        )
                        .json(&json!({"refresh_token": token}))
                        .send()
                        .await
                        .unwrap();
                    let status = r.status().as_u16();
                    (status, r.json::<Value>().await.unwrap())
                })
            })
            .collect();
        let mut issued = HashSet::new();
        for t in tasks {
            let (status, body) = t.await.unwrap();
            assert_eq!(status, 200, "{backend:?}, round {round}: {body}");
            issued.insert(text(&body, "refresh_token"));
        }
        assert_eq!(issued.len(), 1, "{backend:?}, round {round}: one lineage");
        let next = refresh(&b, &json!(issued.iter().next().unwrap())).await;
        assert_eq!(next.status, 200, "{backend:?}: the one live token works");
    }
    assert_eq!(
        a.audited("TOKEN_REFRESHED").await.len(),
        6,
        "{backend:?}: one rotation per race, and one more"
    );
}

mod parallel_refreshes_commit_one_rotation {
    sessiond_testkit::on_every_store!(super::parallel_refreshes_commit_one_rotation);
}

/// Row 30: refreshing every minute, the session still ends at its absolute deadline.
#[tokio::test]
async fn row30_refreshes_stop_at_the_absolute_deadline() {
    let srv = TestServer::start(&[
        ("SESSION_ABSOLUTE_TIMEOUT_SECONDS", "3600"),
        ("SESSION_IDLE_TIMEOUT_SECONDS", "600"),
        ("SESSION_LIFETIME_SECONDS", "600"),
    ])
    .await;
    srv.add_user("alice", "oss").await;
    let mut pair = token_login(&srv, "alice").await;
    for _ in 0..59 {
        srv.advance(60);
        let r = refresh(&srv, &pair["refresh_token"]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        pair = r.body;
    }
    assert_eq!(pair["expires_in"], 60, "never past the absolute deadline");
    srv.advance(61);
    let r = refresh(&srv, &pair["refresh_token"]).await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (401, &json!("expired_absolute"))
    );
    let pair = token_login(&srv, "alice").await;
    srv.advance(601);
    let r = refresh(&srv, &pair["refresh_token"]).await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (401, &json!("expired_idle")),
        "the idle deadline too"
    );
}

/// `sessiond keys rotate` on one node: the other signs with the new key within 10 s (it reads
/// the keys every 5 s), and tokens of the old key still verify there.
#[tokio::test]
async fn a_key_rotated_on_one_node_signs_on_the_other_within_ten_seconds() {
    let store = SharedStore::new(Backend::Sqlite);
    let (a, b) = two_nodes(&store).await;
    let old = token_login(&b, "alice").await;
    let kid = a.state.service.admin().rotate_signing_key().await.unwrap();
    advance(&[&a, &b], 6);
    let new = token_login(&b, "alice").await;
    let header = |t: &Value| -> Value {
        use base64::Engine as _;
        let raw = text(t, "access_token");
        let head = raw.split('.').next().unwrap().to_owned();
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(head)
            .unwrap();
        serde_json::from_slice(&json).unwrap()
    };
    assert_eq!(header(&new)["kid"], kid.as_str());
    assert_ne!(header(&old)["kid"], kid.as_str());
    let r = call(
        &a,
        Method::GET,
        "/api/session/check",
        Some(&text(&old, "access_token")),
        None,
    )
    .await;
    assert_eq!(
        r.status, 200,
        "the old key's token still verifies: {}",
        r.body
    );
}
