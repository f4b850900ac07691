//! The revocations feed never skips an end (second review, item 4): an end whose write is held
//! while a later end is served, and the feed's cursor moves past it, is served after the cursor
//! once it commits, on every store.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};
use sessiond_core::api_key::Scope;
use sessiond_core::service::NewApiKey;
use sessiond_core::store::{Sessions, StoreResult};
use sessiond_core::{Session, SessionId, SessionState, Timestamp, TokenHash, UserId};
use sessiond_testkit::stores::{Backend, SharedStore};
use sessiond_testkit::{TestServer, config_with};
use tokio::sync::{Mutex, Semaphore};

use crate::tokens::{call, token_login};

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
    let key = srv
        .state
        .service
        .create_api_key(NewApiKey::new("rs", &[Scope::SessionsRead]))
        .await
        .unwrap();
    let key = key.expose().to_owned();
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
