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

/// While the real store is down: 503 with Retry-After on session endpoints and on /readyz.
async fn assert_unavailable(b: &sessiond_testkit::Browser) {
    for r in [b.check().await, b.keepalive().await, b.get("/readyz").await] {
        assert_eq!(r.status, 503, "{}", r.body);
        assert_eq!(r.body["code"], "store_unavailable");
        assert!(r.header("retry-after").is_some());
    }
}

/// After the store is back, the next requests succeed without restarting sessiond.
async fn assert_recovers(b: &sessiond_testkit::Browser) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let r = b.check().await;
        if r.status == 200 {
            assert_eq!(
                r.body["username"], "alice",
                "the session survived the outage"
            );
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not recovered: {} {}",
            r.status,
            r.body
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_redis_outage_gives_503_and_service_resumes_when_it_is_back() {
    let redis = sessiond_testkit::PrivateRedis::start();
    let settings = sessiond_store_redis::PoolSettings {
        timeout: std::time::Duration::from_secs(2),
    };
    let store = Arc::new(
        sessiond_store_redis::RedisStore::open(&redis.url(), settings)
            .await
            .unwrap(),
    );
    let srv = TestServer::start_with(config_with(&[]), store).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    redis.stop();
    assert_unavailable(&b).await;
    redis.restart();
    assert_recovers(&b).await;
}

#[tokio::test]
async fn a_postgres_outage_gives_503_and_service_resumes_when_it_is_back() {
    let pg = sessiond_testkit::PrivatePostgres::start();
    let settings = sessiond_store_postgres::PoolSettings {
        max_connections: 4,
        acquire_timeout: std::time::Duration::from_secs(2),
    };
    let store = Arc::new(
        sessiond_store_postgres::PostgresStore::open(&pg.url(), settings)
            .await
            .unwrap(),
    );
    let srv = TestServer::start_with(config_with(&[]), store).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    pg.stop();
    assert_unavailable(&b).await;
    pg.restart();
    assert_recovers(&b).await;
}
