//! `GET /api/v1/revocations`: what the feed lists, how it pages, and that it never skips an end
//! (second review, item 4): an end whose write is held while a later end is served, and the
//! feed's cursor moves past it, is served after the cursor once it commits, on every store.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};
use sessiond_core::api_key::Scope;
use sessiond_core::store::{Sessions, StoreResult};
use sessiond_core::{Session, SessionId, SessionState, Timestamp, TokenHash, UserId};
use sessiond_testkit::stores::{Backend, SharedStore};
use sessiond_testkit::{TestServer, config_with};
use tokio::sync::{Mutex, Semaphore};

use crate::backend_api::key;
use crate::tokens::{call, text, token_login};

/// The session role, with the end of one chosen session held before it reaches the store: the
/// write of a request that took its end time and then waited (on a row lock, a slow network).
struct HeldEnd {
    inner: Arc<dyn Sessions>,
    target: Mutex<Option<SessionId>>,
    waiting: AtomicBool,
    gate: Semaphore,
}

#[async_trait]
impl Sessions for HeldEnd {
    async fn create_session(&self, s: &Session) -> StoreResult<()> {
        self.inner.create_session(s).await
    }
    async fn session_by_token(
        &self,
        h: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<Session>> {
        self.inner.session_by_token(h, now).await
    }
    async fn session_by_id(&self, id: &SessionId) -> StoreResult<Option<Session>> {
        self.inner.session_by_id(id).await
    }
    async fn update_session(&self, s: &Session) -> StoreResult<()> {
        let held = *self.target.lock().await == Some(s.id) && s.state != SessionState::Active;
        if held {
            self.waiting.store(true, Ordering::SeqCst);
            let _released = self.gate.acquire().await;
        }
        self.inner.update_session(s).await
    }
    async fn user_sessions(&self, u: &UserId, now: Timestamp) -> StoreResult<Vec<Session>> {
        self.inner.user_sessions(u, now).await
    }
}

async fn feed(srv: &TestServer, key: &str, since: Option<&str>) -> (Vec<String>, String) {
    let path = match since {
        Some(s) => format!("/api/v1/revocations?since={s}"),
        None => "/api/v1/revocations".to_owned(),
    };
    let r = call(srv, Method::GET, &path, Some(key), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let ids = r.body["revocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["session_id"].as_str().unwrap().to_owned())
        .collect();
    (ids, r.body["next"].as_str().unwrap().to_owned())
}

async fn a_held_end_is_served_after_the_cursor_that_passed_it(backend: Backend) {
    let store = SharedStore::new(backend);
    let stores = store.open().await;
    let held = Arc::new(HeldEnd {
        inner: stores.sessions.clone(),
        target: Mutex::new(None),
        waiting: AtomicBool::new(false),
        gate: Semaphore::new(0),
    });
    let stores = stores.with_sessions(held.clone());
    let srv = TestServer::start_with(config_with(&[]), stores).await;
    srv.add_user("alice", "oss").await;
    let key = key(&srv, "rs", &[Scope::SessionsRead]).await;
    let (x, y) = (
        token_login(&srv, "alice").await,
        token_login(&srv, "alice").await,
    );
    let id = |p: &Value| p["session_id"].as_str().unwrap().to_owned();
    *held.target.lock().await = Some(id(&x).parse().unwrap());

    // X's logout takes its end time, then its write waits.
    let base = srv.base.clone();
    let refresh = x["refresh_token"].clone();
    let logout_x = tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("{base}/api/token/logout"))
            .json(&json!({"refresh_token": refresh}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    while !held.waiting.load(Ordering::SeqCst) {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // Y ends later and is served; the cursor moves past it, and past X's end time.
    srv.advance(10);
    let body = json!({"refresh_token": y["refresh_token"]});
    let r = call(&srv, Method::POST, "/api/token/logout", None, Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    srv.advance(10);
    let (first, cursor) = feed(&srv, &key, None).await;
    assert_eq!(first, [id(&y)], "{backend:?}: X is still in flight");

    held.gate.add_permits(1);
    assert_eq!(logout_x.await.unwrap(), 200);
    let (next, _) = feed(&srv, &key, Some(&cursor)).await;
    assert_eq!(
        next,
        [id(&x)],
        "{backend:?}: the end committed after the cursor comes after it"
    );
}

mod a_held_end_is_never_behind_a_cursor_already_served {
    sessiond_testkit::on_every_store!(super::a_held_end_is_served_after_the_cursor_that_passed_it);
}

/// `GET /api/v1/revocations`: logouts and revocations, not timeouts, paged by cursor, for a
/// key with `sessions:read`.
#[tokio::test]
async fn the_revocations_feed_lists_ended_sessions_by_cursor() {
    let srv = TestServer::start(&[("SESSION_IDLE_TIMEOUT_SECONDS", "300")]).await;
    srv.add_user("alice", "oss").await;
    let key = key(&srv, "rs", &[Scope::SessionsRead]).await;
    let a = token_login(&srv, "alice").await;
    let b = token_login(&srv, "alice").await;
    token_login(&srv, "alice").await;
    srv.advance(1);
    call(
        &srv,
        Method::POST,
        "/api/token/logout",
        Some(&text(&a, "access_token")),
        None,
    )
    .await;
    srv.advance(1);
    let r = call(
        &srv,
        Method::POST,
        "/api/token/refresh",
        None,
        Some(json!({"refresh_token": a["refresh_token"]})),
    )
    .await;
    assert_eq!(r.body["code"], "logged_out");
    let body = json!({"refresh_token": b["refresh_token"]});
    call(&srv, Method::POST, "/api/token/logout", None, Some(body)).await;
    srv.advance(400);
    let expire = sessiond_core::service::CleanupOptions {
        phases: vec![sessiond_core::service::CleanupPhase::Expire],
        max_batches: None,
        dry_run: false,
    };
    srv.state
        .service
        .admin()
        .cleanup(&expire, &|_| {})
        .await
        .unwrap();
    let feed = call(
        &srv,
        Method::GET,
        "/api/v1/revocations?limit=1",
        Some(&key),
        None,
    )
    .await;
    assert_eq!(feed.status, 200, "{}", feed.body);
    assert_eq!(feed.body["revocations"][0]["session_id"], a["session_id"]);
    assert_eq!(feed.body["revocations"][0]["reason"], "user_logout");
    // One vocabulary with the 401 its token gets: the feed's `code` is that answer's `code`.
    assert_eq!(feed.body["revocations"][0]["code"], "logged_out");
    let next = text(&feed.body, "next");
    let feed = call(
        &srv,
        Method::GET,
        &format!("/api/v1/revocations?since={next}"),
        Some(&key),
        None,
    )
    .await;
    let ids: Vec<_> = feed.body["revocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["session_id"].clone())
        .collect();
    assert_eq!(
        ids,
        [b["session_id"].clone()],
        "the idle one is not a revocation"
    );
    for bad in ["?since=yesterday", "?limit=0", "?limit=5000", "?other=1"] {
        let r = call(
            &srv,
            Method::GET,
            &format!("/api/v1/revocations{bad}"),
            Some(&key),
            None,
        )
        .await;
        assert_eq!(
            (r.status, &r.body["code"]),
            (400, &json!("invalid_request")),
            "{bad}"
        );
    }
    let r = call(
        &srv,
        Method::GET,
        "/api/v1/revocations",
        Some(&text(&b, "access_token")),
        None,
    )
    .await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (401, &json!("invalid_api_key")),
        "an access token is no API key"
    );
}
