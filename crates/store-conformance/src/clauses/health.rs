//! The health role ([`sessiond_core::store::Health`]).

use sessiond_core::Stores;

pub async fn ping_succeeds_and_kind_names_the_backend(stores: Stores) {
    stores.health.ping().await.unwrap();
    let kind = stores.health.kind();
    assert!(
        ["memory", "sqlite", "postgres", "redis", "redis-cluster"].contains(&kind),
        "unexpected kind {kind:?}"
    );
}
