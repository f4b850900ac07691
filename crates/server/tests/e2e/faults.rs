//! A store outage: session endpoints answer 503 with Retry-After and a clear code, readiness
//! fails, nothing panics, and service resumes by itself when the store is back.

use sessiond_testkit::{OutageStore, TestServer, config_with};

use crate::shared_stores::{cached_config, ended_on_a_is_refused_by_cached_b};

#[tokio::test]
async fn a_store_outage_gives_503_and_service_resumes_by_itself() {
    let config = config_with(&[]);
    let store = OutageStore::new(sessiond_server::open_store(&config.server).await.unwrap());
    let srv = TestServer::start_with(config, store.stores()).await;
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
    let store = sessiond_store_redis::RedisStore::open(&redis.url(), settings)
        .await
        .unwrap()
        .into_stores();
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
    let store = sessiond_store_postgres::PostgresStore::open(&pg.url(), settings)
        .await
        .unwrap()
        .into_stores();
    let srv = TestServer::start_with(config_with(&[]), store).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    pg.stop();
    assert_unavailable(&b).await;
    pg.restart();
    assert_recovers(&b).await;
}

/// With the session cache on, an outage breaks the invalidation feed; the cache is bypassed
/// while it is down and emptied when it is back, so after a Redis restart a logout on one node
/// still reaches the other's cache within 100 ms.
#[tokio::test]
async fn the_session_cache_resubscribes_after_a_redis_restart() {
    let redis = sessiond_testkit::PrivateRedis::start();
    let settings = sessiond_store_redis::PoolSettings {
        timeout: std::time::Duration::from_secs(2),
    };
    let url = redis.url();
    let open = || async {
        let store = sessiond_store_redis::RedisStore::open(&url, settings);
        store.await.unwrap().into_stores()
    };
    let a = TestServer::start_with(cached_config(), open().await).await;
    let b = TestServer::start_with(cached_config(), open().await).await;
    a.add_user("alice", "oss").await;
    ended_on_a_is_refused_by_cached_b(&a, &b, "logout").await;

    let on_b = b.logged_in("alice").await;
    b.wait_for_cache_hit(&on_b).await;
    redis.stop();
    // The feed notices the closed socket within moments; until then a hit may still answer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while on_b.check().await.status != 503 {
        assert!(
            std::time::Instant::now() < deadline,
            "the cache kept answering"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_unavailable(&on_b).await;
    redis.restart();
    assert_recovers(&on_b).await;
    let probe = a.browser();
    while probe.get("/readyz").await.status != 200 {
        assert!(std::time::Instant::now() < deadline + std::time::Duration::from_secs(15));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    ended_on_a_is_refused_by_cached_b(&a, &b, "logout").await;
}
