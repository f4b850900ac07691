//! An acknowledged event is a stored event: hundreds of concurrent requests, each answered
//! 200, each leave their audit record, on every store with two nodes, and the chain still
//! verifies.

use std::sync::Arc;

use sessiond_core::audit_chain::verify_store;
use sessiond_testkit::stores::{Backend, SharedStore};
use sessiond_testkit::{Browser, TestServer, config_with};

const SESSIONS: usize = 300;

async fn every_acknowledged_event_is_stored(backend: Backend) {
    let store = SharedStore::new(backend);
    let vars = [
        ("SESSION_FEATURE_ANONYMOUS_SESSIONS", "true"),
        ("SESSIOND_LOGIN_RATE_LIMIT", "100000"),
    ];
    // Two nodes on one store: two writers of one chain (on SQLite, two connections to the file).
    let srv = TestServer::start_with(config_with(&vars), store.open().await).await;
    let other = TestServer::start_with(config_with(&vars), store.open().await).await;
    let visitors: Vec<Arc<Browser>> = (0..SESSIONS)
        .map(|i| {
            Arc::new(if i % 2 == 0 {
                srv.browser()
            } else {
                other.browser()
            })
        })
        .collect();
    let fire = |path: &'static str| {
        let tasks: Vec<_> = visitors
            .iter()
            .map(|b| {
                let b = b.clone();
                tokio::spawn(async move { b.post(path, None).await.status })
            })
            .collect();
        async move {
            let mut ok = 0;
            for t in tasks {
                ok += usize::from(t.await.unwrap() == 200);
            }
            ok
        }
    };
    let created = fire("/api/session/anonymous").await;
    let logged_out = fire("/api/session/logout").await;
    assert!(created > SESSIONS / 2, "{backend:?}: {created} sessions");
    let stored = |kind| {
        let service = srv.state.service.clone();
        async move {
            let q = sessiond_core::audit::AuditQuery {
                limit: 10_000,
                ..Default::default()
            };
            let events = service.admin().audit_events(&q).await.unwrap();
            events.iter().filter(|e| e.event_type == kind).count()
        }
    };
    assert_eq!(
        stored("SESSION_CREATED").await,
        created,
        "{backend:?}: every acknowledged create is audited"
    );
    assert_eq!(
        stored("SESSION_LOGGED_OUT").await,
        logged_out,
        "{backend:?}: every acknowledged logout is audited"
    );
    let verdict = verify_store(&*srv.stores.audit, vec![], None)
        .await
        .unwrap();
    assert!(verdict.is_ok(), "{backend:?}: {verdict:?}");
}

mod every_acknowledged_event_is_stored {
    sessiond_testkit::on_every_store!(super::every_acknowledged_event_is_stored);
}

/// A request is answered only once its record is stored: a write that fails now and then is
/// retried (and the logout acknowledged with its record kept); a store that will not take the
/// record fails the request with 503 instead of acknowledging an unrecorded change.
#[tokio::test]
async fn a_request_whose_record_cannot_be_stored_is_not_acknowledged() {
    let store = sessiond_testkit::OutageStore::new(SharedStore::new(Backend::Memory).open().await);
    let vars = [("SESSION_FEATURE_ANONYMOUS_SESSIONS", "true")];
    let srv = TestServer::start_with(config_with(&vars), store.stores()).await;
    let visitor = srv.browser();
    assert_eq!(
        visitor.post("/api/session/anonymous", None).await.status,
        200
    );
    store.fail_audit_writes(2);
    let r = visitor.post("/api/session/logout", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        srv.audited("SESSION_LOGGED_OUT").await.len(),
        1,
        "retried and stored"
    );

    let visitor = srv.browser();
    assert_eq!(
        visitor.post("/api/session/anonymous", None).await.status,
        200
    );
    store.fail_audit_writes(u64::MAX);
    let r = visitor.post("/api/session/logout", None).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (503, Some("store_unavailable")),
        "{}",
        r.body
    );
    store.fail_audit_writes(0);
}

/// A revocation sweep whose audit records cannot be stored still ends every session, then
/// reports the failure: a lost record never leaves a disabled user's session alive.
#[tokio::test]
async fn a_sweep_ends_every_session_even_when_its_records_cannot_be_stored() {
    let store = sessiond_testkit::OutageStore::new(SharedStore::new(Backend::Memory).open().await);
    let srv = TestServer::start_with(config_with(&[]), store.stores()).await;
    srv.add_user("alice", "oss").await;
    let mut browsers = Vec::new();
    for _ in 0..3 {
        browsers.push(srv.logged_in("alice").await);
    }
    store.fail_audit_writes(u64::MAX);
    assert!(
        srv.state
            .service
            .admin()
            .disable_user("alice")
            .await
            .is_err(),
        "the failure is reported"
    );
    store.fail_audit_writes(0);
    for b in &browsers {
        assert_eq!(b.check().await.body["code"], "revoked");
    }
}
