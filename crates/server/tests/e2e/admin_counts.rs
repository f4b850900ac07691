//! Counts without listing over the admin API, on every store: kept as sessions change, and
//! exact once the expiries no request saw are marked.

use serde_json::{Value, json};
use sessiond_testkit::stores::{Backend, SharedStore};
use sessiond_testkit::{TestServer, config_with};

fn summed(counts: &Value, field: &str) -> u64 {
    counts["hourly"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[field].as_u64().unwrap())
        .sum()
}

async fn counts_follow_the_sessions(backend: Backend) {
    let store = SharedStore::new(backend);
    let vars = [("SESSION_IDLE_TIMEOUT_SECONDS", "600")];
    let srv = TestServer::start_with(config_with(&vars), store.open().await).await;
    for (name, role) in [
        ("root", "superadmin"),
        ("alice", "oss"),
        ("bob", "netadmin"),
    ] {
        srv.add_user(name, role).await;
    }
    let alice1 = srv.logged_in("alice").await;
    let alice2 = srv.logged_in("alice").await;
    let bob = srv.logged_in("bob").await;
    let root = srv.logged_in("root").await;
    srv.browser().login("alice", "wrong password").await;

    let c = root.get("/api/admin/counts").await;
    assert_eq!(c.status, 200, "{}", c.body);
    assert_eq!(c.body["active"]["total"], 4, "{}", c.body);
    assert_eq!(
        c.body["active"]["by_role"],
        json!({"oss": 2, "netadmin": 1, "superadmin": 1})
    );
    assert_eq!(c.body["active"]["by_context"], json!({"": 4}));
    assert_eq!(c.body["unique_users"], 3);
    assert_eq!(c.body["hourly"].as_array().unwrap().len(), 24);
    assert_eq!(summed(&c.body, "logins"), 4);
    assert_eq!(summed(&c.body, "login_failures"), 1);
    let history = c.body["active_history"].as_array().unwrap();
    assert_eq!(history.len(), 1, "a first sample");
    assert_eq!(history[0]["active"], 4);

    let id = alice1.check().await.body["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = root
        .post(&format!("/api/admin/sessions/{id}/revoke"), Some(json!({})))
        .await;
    assert_eq!(r.status, 200);
    srv.advance(300);
    assert_eq!(root.keepalive().await.status, 200);
    assert_eq!(alice2.keepalive().await.status, 200);
    srv.advance(400);
    // Bob's session is past its idle deadline; no request of his saw it: the counts mark it.
    let c = root.get("/api/admin/counts").await;
    assert_eq!(c.body["active"]["total"], 2, "{}", c.body);
    assert_eq!(c.body["unique_users"], 2);
    assert_eq!(c.body["ended"], json!({"revoked": 1, "expired": 1}));
    assert_eq!(c.body["pending_expiries"], 0);
    assert_eq!(summed(&c.body, "expired_idle"), 1);
    let history = c.body["active_history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "sampled again 700 s later");
    assert_eq!(history[1]["active"], 2);
    assert_eq!(bob.check().await.body["code"], "expired_idle");
}

mod counts_follow_the_sessions {
    sessiond_testkit::on_every_store!(super::counts_follow_the_sessions);
}
