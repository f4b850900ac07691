//! Removing a context from a user (`sessiond users set-contexts`) moves the user's live sessions
//! out of it, cookie and token sessions alike, and a switch racing the removal never stays in it
//! (second review, item 8), on every store.

use std::sync::Arc;

use base64::Engine as _;
use reqwest::Method;
use serde_json::{Value, json};
use sessiond_testkit::stores::{Backend, SharedStore};
use sessiond_testkit::{Browser, PASSWORD, TestServer, config_with};

use crate::tokens::{call, refresh};

pub(crate) fn claims(access_token: &Value) -> Value {
    let payload = access_token.as_str().unwrap().split('.').nth(1).unwrap();
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&json).unwrap()
}

async fn set_contexts(srv: &TestServer, contexts: &[&str]) -> u64 {
    let contexts = contexts.iter().map(|c| (*c).to_owned()).collect();
    let (_, moved) = srv
        .state
        .service
        .admin()
        .set_contexts("alice", contexts)
        .await
        .unwrap();
    moved
}

fn switch(b: &Browser, context: &str) -> impl Future<Output = sessiond_testkit::Resp> {
    let body = json!({ "context": context });
    b.request(Method::PUT, "/api/session/context", Some(body))
}

/// A cookie session and a token session in `lab`; `lab` is removed: the check, forward auth
/// and the next refreshed access token all say `east`, and each move is audited.
#[tokio::test]
async fn removing_a_context_moves_the_sessions_in_it_out() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    set_contexts(&srv, &["east", "lab"]).await;
    let b = srv.logged_in("alice").await;
    assert_eq!(switch(&b, "lab").await.status, 200);
    let body = json!({"username": "alice", "password": PASSWORD, "context": "lab"});
    let pair = call(&srv, Method::POST, "/api/token/login", None, Some(body)).await;
    assert_eq!(pair.status, 200, "{}", pair.body);
    assert_eq!(claims(&pair.body["access_token"])["ctx"], "lab");

    assert_eq!(
        set_contexts(&srv, &["east"]).await,
        2,
        "both sessions moved"
    );
    assert_eq!(b.check().await.body["context"], "east");
    let r = b.get("/auth/verify").await;
    assert_eq!(r.header("x-session-context"), Some("east"));
    let r = refresh(&srv, &pair.body["refresh_token"]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(claims(&r.body["access_token"])["ctx"], "east");

    let moved: Vec<_> = srv
        .audited("CONTEXT_SWITCHED")
        .await
        .into_iter()
        .filter(|e| e.details["reason"] == "context_removed")
        .collect();
    assert_eq!(moved.len(), 2);
    assert!(
        moved
            .iter()
            .all(|e| e.details["from"] == "lab" && e.details["to"] == "east")
    );

    // Removing every context leaves the sessions in none.
    assert_eq!(set_contexts(&srv, &[]).await, 2);
    assert_eq!(b.check().await.body["context"], Value::Null);
    assert_eq!(switch(&b, "east").await.status, 403);
}

/// Switches into `lab` and token logins that start in it, from two nodes, race its removal:
/// once `set-contexts` has returned and they have answered, no session is in `lab`.
async fn a_switch_racing_the_removal_never_stays_in_it(backend: Backend) {
    let store = SharedStore::new(backend);
    let vars = [
        ("SESSIOND_LOGIN_RATE_LIMIT", "10000"),
        ("SESSION_MAX_CONCURRENT_PER_USER", "100"),
        ("SESSION_MAX_PLATFORM_SWITCHES_PER_HOUR", "1000"),
    ];
    let nodes = [
        TestServer::start_with(config_with(&vars), store.open().await).await,
        TestServer::start_with(config_with(&vars), store.open().await).await,
    ];
    nodes[0].add_user("alice", "oss").await;
    for round in 0..3 {
        set_contexts(&nodes[0], &["east", "lab"]).await;
        let mut browsers = Vec::new();
        for i in 0..8 {
            browsers.push(Arc::new(nodes[i % 2].logged_in("alice").await));
        }
        let switches: Vec<_> = browsers
            .iter()
            .map(|b| {
                let b = b.clone();
                tokio::spawn(async move { switch(&b, "lab").await.status })
            })
            .collect();
        let logins: Vec<_> = (0..4)
            .map(|i| {
                let b = Arc::new(nodes[i % 2].browser());
                let body = json!({"username": "alice", "password": PASSWORD, "context": "lab"});
                tokio::spawn(async move {
                    b.request(Method::POST, "/api/token/login", Some(body))
                        .await
                })
            })
            .collect();
        set_contexts(&nodes[round % 2], &["east"]).await;
        for login in logins {
            let r = login.await.unwrap();
            if r.status != 200 {
                // Refused as a login that raced a change of its user, or told the context is
                // not allowed: never a 5xx.
                assert!(matches!(r.status, 401 | 403), "{}: {}", r.status, r.body);
                continue;
            }
            let r = refresh(&nodes[0], &r.body["refresh_token"]).await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_ne!(
                claims(&r.body["access_token"])["ctx"],
                "lab",
                "{backend:?}, round {round}: a token login stayed in the removed context"
            );
        }
        for s in switches {
            let status = s.await.unwrap();
            assert!(
                status == 200 || status == 403,
                "{backend:?}: a switch answered {status}"
            );
        }
        for b in &browsers {
            let r = b.check().await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(
                r.body["context"], "east",
                "{backend:?}, round {round}: a session stayed in the removed context"
            );
        }
    }
}

mod a_switch_racing_the_removal_never_stays_in_the_removed_context {
    sessiond_testkit::on_every_store!(super::a_switch_racing_the_removal_never_stays_in_it);
}

/// Every identity header is on a 200, empty when the session has no such value: a proxy that
/// copies a header the answer lacks may put its own placeholder there (Caddy 2.6 sends
/// `{http.reverse_proxy.header.X-Session-Context}` to the application).
#[tokio::test]
async fn forward_auth_sends_every_identity_header_empty_when_absent() {
    let srv = sessiond_testkit::TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    let r = b.get("/auth/verify").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("x-session-context"), Some(""));
    assert_eq!(r.header("x-session-user"), Some("alice"));
    for name in [
        "x-session-user-id",
        "x-session-role",
        "x-session-id",
        "x-session-remaining",
    ] {
        assert!(r.header(name).is_some_and(|v| !v.is_empty()), "{name}");
    }
}
