//! A store outage: session endpoints answer 503 with Retry-After and a clear code, readiness
//! fails, nothing panics, and service resumes by itself when the store is back.

use std::sync::Arc;

use sessiond_testkit::{OutageStore, TestServer, config_with};

#[tokio::test]
async fn a_store_outage_gives_503_and_service_resumes_by_itself() {
    let config = config_with(&[]);
    let store = Arc::new(OutageStore::new(
        sessiond_server::open_store(&config.server).await.unwrap(),
    ));
    let srv = TestServer::start_with(config, store.clone()).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;

    store.set_down(true);
    for r in [
        b.check().await,
        b.keepalive().await,
        b.login("alice", sessiond_testkit::PASSWORD).await,
        b.get("/readyz").await,
    ] {
        assert_eq!(r.status, 503, "{}", r.body);
        assert_eq!(r.body["code"], "store_unavailable");
        assert_eq!(r.header("retry-after"), Some("5"));
        assert!(
            !r.body.to_string().contains("simulated"),
            "the cause is logged, not shown"
        );
    }
    assert_eq!(
        b.get("/healthz").await.status,
        200,
        "the process itself is alive"
    );

    store.set_down(false);
    assert_eq!(b.get("/readyz").await.status, 200);
    assert_eq!(
        b.check().await.status,
        200,
        "the session survived the outage"
    );
}
