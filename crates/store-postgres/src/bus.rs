//! Session invalidations over PostgreSQL LISTEN/NOTIFY, for `SESSION_FEATURE_CACHING`.
//!
//! NOTIFY goes through the pool; LISTEN needs a connection of its own that is never returned to
//! a pool, so the subscriber opens one and keeps it.

use std::sync::Arc;

use async_trait::async_trait;
use deadpool_postgres::Pool;
use futures_util::stream::poll_fn;
use sessiond_core::StoreError;
use sessiond_core::cache::{InvalidationBus, InvalidationSink, Notice, spawn_feed};
use sessiond_core::store::{BoxError, StoreResult};
use tokio_postgres::{AsyncMessage, NoTls};

use crate::store_error;

pub struct PgBus {
    pool: Pool,
    config: tokio_postgres::Config,
    /// Per schema, so stores in different schemas of one database do not hear each other.
    channel: String,
}

impl PgBus {
    pub(crate) fn new(pool: Pool, config: tokio_postgres::Config, schema: Option<&str>) -> Self {
        let channel = match schema {
            Some(schema) => format!("sessiond_invalidate_{schema}"),
            None => "sessiond_invalidate".to_owned(),
        };
        Self {
            pool,
            config,
            channel,
        }
    }
}

#[async_trait]
impl InvalidationBus for PgBus {
    async fn publish(&self, notice: &Notice) -> StoreResult<()> {
        let client = self.pool.get().await.map_err(StoreError::unavailable)?;
        client
            .execute(
                "SELECT pg_notify($1, $2)",
                &[&self.channel, &notice.to_payload()],
            )
            .await
            .map_err(store_error)?;
        Ok(())
    }

    fn subscribe(&self, sink: Arc<dyn InvalidationSink>) {
        let config = self.config.clone();
        let channel = self.channel.clone();
        spawn_feed(sink, move |sink| {
            let config = config.clone();
            let channel = channel.clone();
            async move { listen(&config, &channel, sink).await }
        });
    }
}

async fn listen(
    config: &tokio_postgres::Config,
    channel: &str,
    sink: Arc<dyn InvalidationSink>,
) -> Result<(), BoxError> {
    let (client, mut connection) = config.connect(NoTls).await?;
    // The connection must be polled for the client to work at all; this task does that and
    // hands notifications over until the connection ends.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = poll_fn(move |cx| connection.poll_message(cx));
        use futures_util::StreamExt as _;
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notification(n) = message
                && tx.send(n.payload().to_owned()).is_err()
            {
                break;
            }
        }
    });
    // The channel name is built from a validated schema name; quoting keeps its case.
    client
        .batch_execute(&format!("LISTEN \"{channel}\""))
        .await?;
    sink.connected();
    while let Some(payload) = rx.recv().await {
        match Notice::from_payload(&payload) {
            Some(notice) => sink.invalidate(&notice),
            None => tracing::warn!("session cache: ignored a malformed invalidation"),
        }
    }
    drop(client);
    Ok(())
}
