//! The PostgreSQL store ([`sessiond_core::store::Backend`]), for several sessiond nodes that
//! share one database.
//!
//! Every acknowledged write is a committed PostgreSQL statement. Migrations are embedded and run
//! on open under an advisory lock, so nodes that start together apply them exactly once. The
//! pool is sized by `SESSIOND_STORE_POOL_SIZE`, and no request waits longer than
//! `SESSIOND_STORE_TIMEOUT_SECONDS` for a connection.

mod bus;
mod migrations;
mod rows;
mod store;

use std::str::FromStr;
use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use sessiond_core::StoreError;
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

pub use bus::PgBus;
pub use sessiond_store_sql::PoolSettings;

pub struct PostgresStore {
    pool: Pool,
    bus: Arc<PgBus>,
}

fn invalid(message: String) -> StoreError {
    StoreError::unavailable(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        message,
    ))
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db`) and applies pending migrations.
    pub async fn open(url: &str, settings: PoolSettings) -> Result<Self, StoreError> {
        Self::open_in_schema(url, settings, None).await
    }

    /// The same, with every table in `schema` (created if missing): the conformance suite gives
    /// each test its own.
    pub async fn open_in_schema(
        url: &str,
        settings: PoolSettings,
        schema: Option<&str>,
    ) -> Result<Self, StoreError> {
        let mut config = tokio_postgres::Config::from_str(url).map_err(StoreError::unavailable)?;
        config.connect_timeout(settings.acquire_timeout);
        if let Some(schema) = schema {
            // The name is interpolated into SQL, so only plain identifiers are allowed.
            if schema.is_empty()
                || !schema
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(invalid(format!("invalid schema name {schema:?}")));
            }
            config.options(format!("-c search_path={schema}"));
        }
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(settings.max_connections.max(1) as usize)
            .wait_timeout(Some(settings.acquire_timeout))
            .create_timeout(Some(settings.acquire_timeout))
            .recycle_timeout(Some(settings.acquire_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(StoreError::unavailable)?;
        let bus = Arc::new(PgBus::new(pool.clone(), config, schema));
        let store = Self { pool, bus };
        let client = store.client().await?;
        migrations::migrate(&client, schema).await?;
        Ok(store)
    }

    /// Every table in `schema`, sessiond's own (created if missing), so that a database the
    /// application also uses is shared without a collision. A database whose sessiond tables
    /// are in `public`, from before the schema setting, keeps using them unless `schema` was
    /// chosen `explicitly`: the answer then says `true`, for the caller to warn.
    pub async fn open_own_schema(
        url: &str,
        settings: PoolSettings,
        schema: &str,
        explicitly: bool,
    ) -> Result<(Self, bool), StoreError> {
        let legacy =
            !explicitly && schema != "public" && tables_in_public(url, &settings, schema).await?;
        let schema = if legacy { "public" } else { schema };
        Ok((
            Self::open_in_schema(url, settings, Some(schema)).await?,
            legacy,
        ))
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(StoreError::unavailable)
    }

    /// Every role, with the bus on which nodes sharing this store tell each other of changed
    /// sessions.
    pub fn into_stores(self) -> sessiond_core::Stores {
        let bus = self.bus.clone();
        sessiond_core::Stores::shared(std::sync::Arc::new(self), bus)
    }
}

/// Whether sessiond's tables are in `public` and `schema` does not exist yet.
async fn tables_in_public(
    url: &str,
    settings: &PoolSettings,
    schema: &str,
) -> Result<bool, StoreError> {
    let mut config = tokio_postgres::Config::from_str(url).map_err(StoreError::unavailable)?;
    config.connect_timeout(settings.acquire_timeout);
    let (client, connection) = config.connect(NoTls).await.map_err(store_error)?;
    let connection = tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT to_regclass('public.sessiond_migrations') IS NOT NULL \
                    AND to_regnamespace($1::text) IS NULL",
            &[&schema],
        )
        .await
        .map_err(store_error);
    drop(client);
    let _ = connection.await;
    Ok(row?.get(0))
}

/// Maps driver errors onto the store contract, keeping the source.
pub(crate) fn store_error(e: tokio_postgres::Error) -> StoreError {
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        return StoreError::Conflict(e.to_string());
    }
    StoreError::unavailable(e)
}
