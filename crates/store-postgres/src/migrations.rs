//! Embedded schema migrations. They run in one transaction under a transaction-scoped advisory
//! lock: several nodes starting at once queue on the lock, and each finds the work done by the
//! one before it.

use sessiond_core::StoreError;
use tokio_postgres::Client;

use crate::store_error;

const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_audit_chain.sql")),
    (3, include_str!("../migrations/0003_counters.sql")),
    (4, include_str!("../migrations/0004_api_keys.sql")),
    (5, include_str!("../migrations/0005_signing_keys.sql")),
    (6, include_str!("../migrations/0006_ended_sessions.sql")),
    (7, include_str!("../migrations/0007_api_key_roles.sql")),
    (8, include_str!("../migrations/0008_revocations_feed.sql")),
    (9, include_str!("../migrations/0009_audit_base_time.sql")),
    (10, include_str!("../migrations/0010_meta.sql")),
    (11, include_str!("../migrations/0011_admin.sql")),
    (12, include_str!("../migrations/0012_tallies.sql")),
    (13, include_str!("../migrations/0013_tally_deltas.sql")),
    (14, include_str!("../migrations/0014_audit_indexes.sql")),
];

/// An arbitrary constant that names sessiond's migration lock.
const LOCK_KEY: i64 = 0x5e55_10d0;

/// Applies pending migrations, creating `schema` first when given, under the same lock:
/// concurrent `CREATE SCHEMA IF NOT EXISTS` can still collide in PostgreSQL.
pub(crate) async fn migrate(client: &Client, schema: Option<&str>) -> Result<(), StoreError> {
    let mut sql = String::from("BEGIN;\n");
    sql.push_str(&format!("SELECT pg_advisory_xact_lock({LOCK_KEY});\n"));
    if let Some(schema) = schema {
        sql.push_str(&format!("CREATE SCHEMA IF NOT EXISTS {schema};\n"));
    }
    sql.push_str("CREATE TABLE IF NOT EXISTS sessiond_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());\n");
    client.batch_execute(&sql).await.map_err(store_error)?;
    let result = apply(client).await;
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    client.batch_execute(end).await.map_err(store_error)?;
    result
}

/// A table of another's where sessiond would make its own (the application's `users` in a
/// shared schema) is said as what it is, not as an outage.
fn collision(e: tokio_postgres::Error) -> StoreError {
    if e.code() == Some(&tokio_postgres::error::SqlState::DUPLICATE_TABLE) {
        let what = e
            .as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_owned());
        return StoreError::unavailable(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!(
                "the schema already holds a table sessiond did not make ({what}): give sessiond \
                 a schema of its own (SESSIOND_POSTGRES_SCHEMA, `sessiond` by default)"
            ),
        ));
    }
    store_error(e)
}

async fn apply(client: &Client) -> Result<(), StoreError> {
    let applied: i32 = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM sessiond_migrations",
            &[],
        )
        .await
        .map_err(store_error)?
        .get(0);
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > applied) {
        client.batch_execute(sql).await.map_err(collision)?;
        client
            .execute(
                "INSERT INTO sessiond_migrations (version) VALUES ($1)",
                &[version],
            )
            .await
            .map_err(store_error)?;
        tracing::info!(version, "applied PostgreSQL migration");
    }
    Ok(())
}
