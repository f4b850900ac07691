//! The per-node session cache: what it serves, and every way a cached copy stops being served.
//! Two "nodes" share one memory store and an in-process invalidation bus.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sessiond_core::SessionState;
use sessiond_core::cache::{CacheSettings, CachedStore, InvalidationBus, InvalidationSink, Notice};
use sessiond_core::memory::MemoryStore;
use sessiond_core::store::Sessions;
use sessiond_core::store::StoreResult;
use sessiond_store_conformance::{at, session};

#[derive(Default)]
struct LocalBus {
    sinks: Mutex<Vec<Arc<dyn InvalidationSink>>>,
    /// When false, publishing silently drops notices (a lost message).
    deliver: Mutex<bool>,
}

#[async_trait]
impl InvalidationBus for LocalBus {
    async fn publish(&self, notice: &Notice) -> StoreResult<()> {
        if *self.deliver.lock().unwrap() {
            for sink in self.sinks.lock().unwrap().iter() {
                sink.invalidate(notice);
            }
        }
        Ok(())
    }

    fn subscribe(&self, sink: Arc<dyn InvalidationSink>) {
        sink.connected();
        self.sinks.lock().unwrap().push(sink);
    }
}

const SETTINGS: CacheSettings = CacheSettings {
    capacity: 100,
    ttl_secs: 60,
};

struct Nodes {
    store: Arc<MemoryStore>,
    bus: Arc<LocalBus>,
    a: CachedStore,
    b: CachedStore,
}

fn nodes() -> Nodes {
    let store = Arc::new(MemoryStore::new());
    let bus = Arc::new(LocalBus {
        deliver: Mutex::new(true),
        ..LocalBus::default()
    });
    let node = || {
        let bus: Arc<dyn InvalidationBus> = bus.clone();
        CachedStore::new(store.clone(), Some(bus), SETTINGS)
    };
    Nodes {
        a: node(),
        b: node(),
        store,
        bus,
    }
}

#[tokio::test]
async fn a_second_lookup_is_served_from_the_cache() {
    let n = nodes();
    let (s, token) = session(None, 0);
    n.a.create_session(&s).await.unwrap();
    for _ in 0..3 {
        let found = n.b.session_by_token(&token.hash(), at(1)).await.unwrap();
        assert_eq!(found.unwrap().id, s.id);
    }
    let stats = n.b.stats();
    assert_eq!(stats.misses.load(Ordering::Relaxed), 1);
    assert_eq!(stats.hits.load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn a_write_on_one_node_reaches_the_others_cache() {
    let n = nodes();
    let (mut s, token) = session(None, 0);
    n.a.create_session(&s).await.unwrap();
    n.b.session_by_token(&token.hash(), at(1)).await.unwrap();

    s.state = SessionState::Revoked;
    n.a.update_session(&s).await.unwrap();

    let seen = n.b.session_by_token(&token.hash(), at(2)).await.unwrap();
    assert_eq!(seen.unwrap().state, SessionState::Revoked);
}

#[tokio::test]
async fn without_a_notice_the_copy_is_stale_until_the_ttl() {
    let n = nodes();
    let (mut s, token) = session(None, 0);
    n.a.create_session(&s).await.unwrap();
    n.b.session_by_token(&token.hash(), at(1)).await.unwrap();

    // Behind the cache's back: this is what the bus exists to prevent.
    s.state = SessionState::Revoked;
    n.store.update_session(&s).await.unwrap();
    let stale = n.b.session_by_token(&token.hash(), at(2)).await.unwrap();
    assert_eq!(
        stale.unwrap().state,
        SessionState::Active,
        "served from the cache"
    );

    let fresh = n.b.session_by_token(&token.hash(), at(62)).await.unwrap();
    assert_eq!(
        fresh.unwrap().state,
        SessionState::Revoked,
        "the TTL ran out"
    );
}

#[tokio::test]
async fn a_lost_notice_is_covered_by_the_feed_reconnecting() {
    let n = nodes();
    let (mut s, token) = session(None, 0);
    n.a.create_session(&s).await.unwrap();
    n.b.session_by_token(&token.hash(), at(1)).await.unwrap();

    *n.bus.deliver.lock().unwrap() = false;
    let b_sink = n.bus.sinks.lock().unwrap()[1].clone();
    b_sink.disconnected();
    s.state = SessionState::Revoked;
    n.a.update_session(&s).await.unwrap();

    let seen = n.b.session_by_token(&token.hash(), at(2)).await.unwrap();
    assert_eq!(
        seen.unwrap().state,
        SessionState::Revoked,
        "bypassed while down"
    );

    b_sink.connected();
    let seen = n.b.session_by_token(&token.hash(), at(3)).await.unwrap();
    assert_eq!(
        seen.unwrap().state,
        SessionState::Revoked,
        "emptied on reconnect"
    );
}

#[tokio::test]
async fn a_rotated_out_token_is_not_served_from_the_cache() {
    let n = nodes();
    let (mut s, first) = session(None, 0);
    n.a.create_session(&s).await.unwrap();
    n.b.session_by_token(&first.hash(), at(1)).await.unwrap();

    // Two rotations: the first token is no longer the current nor the previous one.
    for _ in 0..2 {
        let next = sessiond_core::Token::generate().unwrap();
        s.prev_token_hash = Some(s.token_hash);
        s.token_hash = next.hash();
        n.a.update_session(&s).await.unwrap();
        s.version += 1;
        n.b.session_by_token(&next.hash(), at(2)).await.unwrap();
    }
    assert!(
        n.b.session_by_token(&first.hash(), at(3))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn records_past_lookup_until_are_hidden_even_when_cached() {
    let n = nodes();
    let (s, token) = session(None, 0);
    n.a.create_session(&s).await.unwrap();
    n.b.session_by_token(&token.hash(), at(1)).await.unwrap();
    let after = sessiond_core::time::plus_secs(s.lookup_until, 1);
    assert!(
        n.b.session_by_token(&token.hash(), after)
            .await
            .unwrap()
            .is_none()
    );
}

/// An API key on the memory store, and its hash.
async fn api_key(
    store: &MemoryStore,
) -> (sessiond_core::api_key::ApiKey, sessiond_core::TokenHash) {
    use sessiond_core::api_key::{ApiKey, ApiKeySecret, Scope};
    use sessiond_core::store::ApiKeys as _;
    let hash = ApiKeySecret::generate().unwrap().hash();
    let key = ApiKey {
        name: "shop".into(),
        hash,
        scopes: vec![Scope::SessionsRead],
        roles: vec![],
        users: vec![],
        created_at: at(0),
        revoked_at: None,
    };
    store.create_api_key(&key).await.unwrap();
    (key, hash)
}

#[tokio::test]
async fn a_key_is_cached_and_a_revocation_on_any_node_drops_it_at_once() {
    use sessiond_core::store::ApiKeys;
    let n = nodes();
    let (key, hash) = api_key(&n.store).await;
    let (a, b) = (
        n.a.keys_in_front_of(n.store.clone()),
        n.b.keys_in_front_of(n.store.clone()),
    );
    for _ in 0..3 {
        assert!(b.api_key_by_hash(&hash).await.unwrap().is_some());
    }
    let stats = n.b.stats();
    assert_eq!(
        (
            stats.misses.load(Ordering::Relaxed),
            stats.hits.load(Ordering::Relaxed)
        ),
        (1, 2)
    );

    // Revoked on node a, and the notice every node hears (SessionService publishes it).
    assert!(a.revoke_api_key(&key.name, at(1)).await.unwrap());
    n.bus.publish(&Notice::ApiKeys).await.unwrap();
    let seen = b.api_key_by_hash(&hash).await.unwrap().unwrap();
    assert!(seen.revoked_at.is_some(), "node b read the revocation");
    assert!(!seen.authenticates(&hash));
}

#[tokio::test]
async fn an_unknown_key_is_never_cached_so_a_new_key_works_at_once() {
    use sessiond_core::store::ApiKeys;
    let n = nodes();
    let hash = sessiond_core::api_key::ApiKeySecret::generate()
        .unwrap()
        .hash();
    let b = n.b.keys_in_front_of(n.store.clone());
    assert!(b.api_key_by_hash(&hash).await.unwrap().is_none());
    let (_, created) = api_key(&n.store).await;
    assert!(b.api_key_by_hash(&created).await.unwrap().is_some());
}
