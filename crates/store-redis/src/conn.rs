//! One connection type for standalone Redis and Redis Cluster. Both reconnect by themselves:
//! after an outage the next command finds the server again.

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Value};
use sessiond_core::StoreError;

use crate::store_error;

#[derive(Clone)]
pub(crate) enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

fn invalid(message: String) -> StoreError {
    StoreError::unavailable(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        message,
    ))
}

const CLUSTER_SCHEME: &str = "redis+cluster://";

/// The servers a URL names, each as a `redis://` URL: the one server of a standalone URL, or
/// every node listed in a `redis+cluster://` URL.
pub(crate) fn node_urls(url: &str) -> Vec<String> {
    match url.strip_prefix(CLUSTER_SCHEME) {
        Some(nodes) => nodes
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| format!("redis://{n}"))
            .collect(),
        None => vec![url.to_owned()],
    }
}

impl Conn {
    pub(crate) async fn connect(url: &str, timeout: Duration) -> Result<Self, StoreError> {
        if url.starts_with(CLUSTER_SCHEME) {
            let nodes = node_urls(url);
            if nodes.is_empty() {
                return Err(invalid(
                    "redis+cluster:// needs at least one host:port".into(),
                ));
            }
            let client = ClusterClient::builder(nodes)
                .connection_timeout(timeout)
                .response_timeout(timeout)
                .build()
                .map_err(store_error)?;
            return Ok(Self::Cluster(
                client.get_async_connection().await.map_err(store_error)?,
            ));
        }
        let client = redis::Client::open(url).map_err(store_error)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(timeout)
            .set_response_timeout(timeout)
            // Reconnect attempts are cheap and requests wait on them: keep the backoff short
            // (the default grows to minutes) so an outage answers 503 fast and ends fast.
            .set_number_of_retries(2)
            .set_factor(50)
            .set_max_delay(500);
        Ok(Self::Single(
            ConnectionManager::new_with_config(client, config)
                .await
                .map_err(store_error)?,
        ))
    }

    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(cmd, offset, count),
            Self::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}
