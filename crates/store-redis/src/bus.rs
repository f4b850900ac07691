//! Session invalidations over Redis pub/sub, for `SESSION_FEATURE_CACHING`.
//!
//! Publishing goes through the store's own connection. In a Redis Cluster a PUBLISH on any node
//! reaches the subscribers of every node, so the subscriber listens on one node at a time and
//! moves to the next when that one fails.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt as _;
use sessiond_core::StoreError;
use sessiond_core::cache::{InvalidationBus, InvalidationSink, Notice, spawn_feed};
use sessiond_core::store::{BoxError, StoreResult};

use crate::conn::Conn;
use crate::store_error;

pub struct RedisBus {
    conn: Conn,
    channel: String,
    /// Standalone: the one server. Cluster: every node named in the URL.
    nodes: Vec<String>,
    timeout: Duration,
}

impl RedisBus {
    pub(crate) fn new(conn: Conn, channel: String, nodes: Vec<String>, timeout: Duration) -> Self {
        Self {
            conn,
            channel,
            nodes,
            timeout,
        }
    }
}

#[async_trait]
impl InvalidationBus for RedisBus {
    async fn publish(&self, notice: &Notice) -> StoreResult<()> {
        let mut conn = self.conn.clone();
        let mut publish = redis::cmd("PUBLISH");
        publish.arg(&self.channel).arg(notice.to_payload());
        let publish = publish.query_async::<i64>(&mut conn);
        match tokio::time::timeout(self.timeout, publish).await {
            Ok(result) => result.map(drop).map_err(store_error),
            Err(_) => Err(StoreError::unavailable(crate::TimedOut)),
        }
    }

    fn subscribe(&self, sink: Arc<dyn InvalidationSink>) {
        let nodes = self.nodes.clone();
        let channel = self.channel.clone();
        let timeout = self.timeout;
        let mut next = 0;
        spawn_feed(sink, move |sink| {
            let node = nodes.get(next % nodes.len().max(1)).cloned();
            next += 1;
            let channel = channel.clone();
            async move {
                let node = node.ok_or("no Redis node to subscribe to")?;
                listen(&node, &channel, timeout, sink).await
            }
        });
    }
}

async fn listen(
    node: &str,
    channel: &str,
    timeout: Duration,
    sink: Arc<dyn InvalidationSink>,
) -> Result<(), BoxError> {
    let client = redis::Client::open(node)?;
    let subscribe = async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        Ok::<_, redis::RedisError>(pubsub)
    };
    let mut pubsub = match tokio::time::timeout(timeout, subscribe).await {
        Ok(result) => result?,
        Err(_) => return Err("timed out subscribing".into()),
    };
    sink.connected();
    let mut messages = pubsub.on_message();
    while let Some(message) = messages.next().await {
        match message
            .get_payload::<String>()
            .map(|p| Notice::from_payload(&p))
        {
            Ok(Some(notice)) => sink.invalidate(&notice),
            _ => tracing::warn!("session cache: ignored a malformed invalidation"),
        }
    }
    Ok(())
}
