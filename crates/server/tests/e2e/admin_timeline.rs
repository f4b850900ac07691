//! A session's timeline (seed 002's debug view) and the ids in error answers: what a user
//! quotes to support, and what support then finds.

use reqwest::Method;
use serde_json::json;
use sessiond_core::api_key::Scope;
use sessiond_testkit::stores::{Backend, SharedStore};
use sessiond_testkit::{Browser, TestServer, config_with};

use crate::backend_api::key;

async fn timeline(root: &Browser, id: &str, limit: u32) -> Vec<String> {
    let mut pages = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = root
            .get(&format!(
                "/api/admin/sessions/{id}/timeline?limit={limit}{cursor}"
            ))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let page: Vec<String> = r.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event_type"].as_str().unwrap().to_owned())
            .collect();
        pages.push(page);
        match r.body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    pages.into_iter().rev().flatten().collect()
}

async fn a_session_shows_what_happened_to_it(backend: Backend) {
    let store = SharedStore::new(backend);
    let srv = TestServer::start_with(config_with(&[]), store.open().await).await;
    srv.add_user("root", "superadmin").await;
    srv.add_user("alice", "oss").await;
    let alice = srv.logged_in("alice").await;
    let id = alice.check().await.body["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    srv.advance(5);
    let r = alice
        .post(
            "/api/session/activity",
            Some(json!({"type": "opened_report"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    srv.advance(5);

    // An error answer names the request and the session.
    let r = alice
        .request_with(
            Method::PUT,
            "/api/session/context",
            Some(json!({"context": "lab"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.body["request_id"].as_str(), r.header("x-request-id"));
    assert_eq!(r.body["session_id"], id.as_str());
    let nowhere = alice.get("/favicon.ico").await;
    assert_eq!(
        (nowhere.status, nowhere.body["session_id"].as_str()),
        (404, Some(id.as_str()))
    );
    let stranger = srv.browser().get("/api/session/sessions").await;
    assert_eq!(stranger.status, 401);
    assert!(stranger.body["request_id"].is_string(), "{}", stranger.body);
    assert!(
        stranger.body.get("session_id").is_none(),
        "no session, none named"
    );

    let root = srv.logged_in("root").await;
    let revoke = format!("/api/admin/sessions/{id}/revoke");
    let r = root
        .post(&revoke, Some(json!({"reason": "debugging"})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let ended = alice.check().await;
    assert_eq!(
        (ended.status, ended.body["session_id"].as_str()),
        (401, Some(id.as_str()))
    );

    let all = timeline(&root, &id, 500).await;
    for expected in [
        "SESSION_CREATED",
        "SESSION_ACTIVITY",
        "REQUEST_FAILED",
        "SESSION_REVOKED",
    ] {
        assert!(all.iter().any(|t| t == expected), "{expected} in {all:?}");
    }
    let order = |t: &str| all.iter().position(|e| e == t).unwrap();
    assert!(
        order("SESSION_CREATED") < order("SESSION_ACTIVITY"),
        "{all:?}"
    );
    assert!(
        order("SESSION_ACTIVITY") < order("REQUEST_FAILED"),
        "{all:?}"
    );
    assert!(
        order("REQUEST_FAILED") < order("SESSION_REVOKED"),
        "{all:?}"
    );
    assert_eq!(
        timeline(&root, &id, 2).await,
        all,
        "pages of two, in time order"
    );

    let r = root
        .get(&format!("/api/admin/sessions/{id}/timeline"))
        .await;
    assert_eq!(r.body["session"]["state"], "revoked");
    assert_eq!(r.body["duration_seconds"], 10);
    let failed = r.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event_type"] == "REQUEST_FAILED")
        .unwrap()
        .clone();
    assert_eq!(failed["details"]["route"], "/api/session/context");
    assert_eq!(failed["details"]["code"], "context_not_allowed");
    let failures = all.iter().filter(|t| *t == "REQUEST_FAILED").count();
    assert_eq!(
        failures, 2,
        "the context refusal and the check after the revocation, not the favicon: {all:?}"
    );

    // The application's server reads the timelines of its sessions too.
    let reader = key(&srv, "shop", &[Scope::SessionsRead]).await;
    let r = srv
        .browser()
        .request_with(
            Method::GET,
            &format!("/api/v1/sessions/{id}/timeline?limit=1"),
            None,
            &[("authorization", &format!("Bearer {reader}"))],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["events"].as_array().unwrap().len(), 1);
    assert!(r.body["next_cursor"].is_string());
}

mod a_session_shows_what_happened_to_it {
    sessiond_testkit::on_every_store!(super::a_session_shows_what_happened_to_it);
}
