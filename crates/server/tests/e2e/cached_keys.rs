//! `SESSION_FEATURE_CACHING` caches the backend API's keys too: a validation is answered without
//! a store read for its key, and a key revoked on one node is refused by every other node as
//! soon as the revocation is acknowledged, told over the store's channel.

use std::time::{Duration, Instant};

use reqwest::Method;
use sessiond_core::Stores;
use sessiond_core::api_key::Scope;
use sessiond_core::service::NewApiKey;
use sessiond_testkit::TestServer;
use sessiond_testkit::stores::{namespace, postgres, redis_cluster, redis_single};

use crate::shared_stores::cached_config;

async fn list(srv: &TestServer, key: &str) -> u16 {
    let auth = format!("Bearer {key}");
    let r = srv
        .browser()
        .request_with(
            Method::GET,
            "/api/v1/users/alice/sessions",
            None,
            &[("authorization", &auth)],
        )
        .await;
    r.status
}

async fn a_key_revoked_on_one_node_is_refused_by_the_others<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Stores>,
{
    let a = TestServer::start_with(cached_config(), open().await).await;
    let b = TestServer::start_with(cached_config(), open().await).await;
    a.add_user("alice", "oss").await;
    let secret = a
        .state
        .service
        .admin()
        .create_api_key(NewApiKey::new("shop", &[Scope::SessionsRead]))
        .await
        .unwrap();
    let key = secret.expose().to_owned();
    // Node B's feed is live once a check of its own is served from its cache.
    let browser = b.logged_in("alice").await;
    b.wait_for_cache_hit(&browser).await;
    assert_eq!(list(&b, &key).await, 200);
    let before = b.cache_hits().await;
    assert_eq!(list(&b, &key).await, 200);
    assert!(
        b.cache_hits().await > before,
        "the key was served from B's cache"
    );

    let revoked = Instant::now();
    assert!(
        a.state
            .service
            .admin()
            .revoke_api_key("shop")
            .await
            .unwrap()
    );
    let acknowledged = revoked.elapsed();
    let refused_after = loop {
        if list(&b, &key).await == 401 {
            break revoked.elapsed();
        }
        assert!(
            revoked.elapsed() < Duration::from_secs(5),
            "node B still accepts the key 5 s after its revocation on node A"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    assert!(
        refused_after - acknowledged < Duration::from_millis(100),
        "node B refused the key {refused_after:?} after the revocation (acknowledged after \
         {acknowledged:?})"
    );
}

#[tokio::test]
async fn a_key_revoked_on_one_cached_node_is_refused_by_another_on_postgres() {
    let schema = namespace();
    a_key_revoked_on_one_node_is_refused_by_the_others(|| postgres(&schema)).await;
}

#[tokio::test]
async fn a_key_revoked_on_one_cached_node_is_refused_by_another_on_redis() {
    let prefix = namespace();
    a_key_revoked_on_one_node_is_refused_by_the_others(|| redis_single(&prefix)).await;
}

#[tokio::test]
async fn a_key_revoked_on_one_cached_node_is_refused_by_another_on_redis_cluster() {
    let prefix = namespace();
    a_key_revoked_on_one_node_is_refused_by_the_others(|| redis_cluster(&prefix)).await;
}

#[tokio::test]
async fn a_key_revoked_on_a_cached_single_node_is_refused_at_once() {
    let srv = TestServer::start_with(
        cached_config(),
        sessiond_core::memory::MemoryStore::stores(),
    )
    .await;
    srv.add_user("alice", "oss").await;
    let secret = srv
        .state
        .service
        .admin()
        .create_api_key(NewApiKey::new("shop", &[Scope::SessionsRead]))
        .await
        .unwrap();
    let key = secret.expose().to_owned();
    assert_eq!(list(&srv, &key).await, 200);
    assert_eq!(list(&srv, &key).await, 200);
    assert!(
        srv.state
            .service
            .admin()
            .revoke_api_key("shop")
            .await
            .unwrap()
    );
    assert_eq!(list(&srv, &key).await, 401, "this node's own revocation");
}
