//! The counter role ([`sessiond_core::store::Counters`]).

use sessiond_core::Stores;
use sessiond_core::counter::{CounterKey, Limit, Lockee};

use crate::fixtures::at;

/// A counter of a per-address limit, for the clauses below.
fn limit(address: &str) -> CounterKey {
    CounterKey::Limit(Limit::Logins, address.to_owned())
}

pub async fn counters_add_lapse_and_delete(stores: Stores) {
    let key = &limit("192.0.2.1");
    let c = stores
        .counters
        .add_to_counter(key, 1, at(0), at(60))
        .await
        .unwrap();
    assert_eq!((c.value, c.expires_at), (1, at(60)));
    let c = stores
        .counters
        .add_to_counter(key, 2, at(10), at(70))
        .await
        .unwrap();
    assert_eq!((c.value, c.expires_at), (3, at(60)), "the expiry stays");
    assert_eq!(stores.counters.counter(key, at(59)).await.unwrap(), Some(c));
    assert_eq!(
        stores.counters.counter(key, at(60)).await.unwrap(),
        None,
        "lapsed at its expiry"
    );
    let c = stores
        .counters
        .add_to_counter(key, 1, at(60), at(120))
        .await
        .unwrap();
    assert_eq!(
        (c.value, c.expires_at),
        (1, at(120)),
        "a lapsed counter starts again"
    );
    stores.counters.delete_counter(key).await.unwrap();
    assert_eq!(stores.counters.counter(key, at(61)).await.unwrap(), None);
    assert_eq!(
        stores
            .counters
            .counter(&limit("never counted"), at(0))
            .await
            .unwrap(),
        None
    );
    // Namespaces are apart: the same text in another kind of key is another counter.
    let other = CounterKey::Limit(Limit::UnknownTokens, "192.0.2.1".into());
    stores
        .counters
        .add_to_counter(key, 5, at(200), at(300))
        .await
        .unwrap();
    assert_eq!(
        stores.counters.counter(&other, at(200)).await.unwrap(),
        None
    );
    let (old, young) = (limit("old"), limit("young"));
    stores
        .counters
        .add_to_counter(&old, 1, at(0), at(5))
        .await
        .unwrap();
    stores
        .counters
        .add_to_counter(&young, 1, at(0), at(500))
        .await
        .unwrap();
    assert!(stores.counters.purge_counters(at(10), 100).await.unwrap() <= 1);
    assert_eq!(stores.counters.counter(&old, at(6)).await.unwrap(), None);
    assert_eq!(
        stores
            .counters
            .counter(&young, at(10))
            .await
            .unwrap()
            .unwrap()
            .value,
        1
    );
}

pub async fn parallel_counter_adds_all_count(stores: Stores) {
    let adds: Vec<_> = (0..20)
        .map(|_| {
            let stores = stores.clone();
            let key = CounterKey::LoginFailures(Lockee::Account("alice".into()));
            tokio::spawn(
                async move { stores.counters.add_to_counter(&key, 1, at(0), at(60)).await },
            )
        })
        .collect();
    let mut seen = Vec::new();
    for a in adds {
        seen.push(a.await.unwrap().unwrap().value);
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=20).collect::<Vec<u64>>(),
        "every add counted once"
    );
}
