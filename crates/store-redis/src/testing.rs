//! The Redis servers the store's own tests run against (`scripts/test` starts both), each test
//! under a key prefix of its own.

#![allow(clippy::panic, clippy::unwrap_used)]

use crate::{PoolSettings, RedisStore};

/// The environment variable naming a server, and the URL without it.
pub(crate) type Server = (&'static str, &'static str);

pub(crate) const STANDALONE: Server = ("SESSIOND_TEST_REDIS_URL", "redis://127.0.0.1:6379");
pub(crate) const CLUSTER: Server = (
    "SESSIOND_TEST_REDIS_CLUSTER_URL",
    "redis+cluster://127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002",
);

/// A key prefix no other test uses.
pub(crate) fn fresh_prefix() -> String {
    let namespace = sessiond_core::Token::generate().unwrap().hash().to_hex();
    format!("test:{}:", &namespace[..16])
}

/// A store on `server` under `prefix`; opening it again under the same prefix is a restart.
pub(crate) async fn open((var, default): Server, prefix: &str) -> RedisStore {
    let url = std::env::var(var).unwrap_or_else(|_| default.to_owned());
    RedisStore::open_with_prefix(&url, PoolSettings::default(), prefix)
        .await
        .unwrap_or_else(|e| panic!("Redis at {url}: {e}: scripts/test starts it, or set {var}"))
}
