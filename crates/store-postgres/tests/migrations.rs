//! Several nodes starting at once on an empty database apply the migrations exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sessiond_store_postgres::{PoolSettings, PostgresStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_together_migrate_once() {
    let url = std::env::var("SESSIOND_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let schema = format!(
        "conformance_{}",
        &sessiond_core::Token::generate().unwrap().hash().to_hex()[..16]
    );
    let settings = PoolSettings {
        max_connections: 2,
        ..PoolSettings::default()
    };
    let mut nodes = Vec::new();
    for _ in 0..6 {
        let (url, schema) = (url.clone(), schema.clone());
        nodes.push(tokio::spawn(async move {
            PostgresStore::open_in_schema(&url, settings, Some(&schema)).await
        }));
    }
    let mut stores = Vec::new();
    for n in nodes {
        stores.push(
            n.await
                .unwrap()
                .unwrap_or_else(|e| panic!("a node failed to start: {e}")),
        );
    }
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let row = client
        .query_one(
            &format!("SELECT COUNT(*) FROM {schema}.sessiond_migrations"),
            &[],
        )
        .await
        .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter(|f| f.as_ref().unwrap().path().extension() == Some("sql".as_ref()))
        .count();
    assert_eq!(
        row.get::<_, i64>(0),
        i64::try_from(files).unwrap(),
        "one row per migration file, each applied once"
    );
}
