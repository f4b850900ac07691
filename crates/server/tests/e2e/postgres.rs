//! The real server on PostgreSQL: the same flows as on SQLite, through HTTP, in a fresh schema.

use std::sync::Arc;

use sessiond_store_postgres::{PoolSettings, PostgresStore};
use sessiond_testkit::{TestServer, config_with};

async fn store(schema: &str) -> Arc<PostgresStore> {
    let url = std::env::var("SESSIOND_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let store = PostgresStore::open_in_schema(&url, PoolSettings::default(), Some(schema)).await;
    Arc::new(store.unwrap_or_else(|e| {
        panic!("PostgreSQL at {url} is not reachable ({e}): run scripts/test, which starts it")
    }))
}

#[tokio::test]
async fn sessions_work_end_to_end_on_postgres_and_survive_a_restart() {
    let schema = format!(
        "conformance_{}",
        &sessiond_core::Token::generate().unwrap().hash().to_hex()[..16]
    );
    let token = {
        let srv = TestServer::start_with(config_with(&[]), store(&schema).await).await;
        srv.add_user("alice", "oss").await;
        let b = srv.browser();
        let r = b.login("alice", sessiond_testkit::PASSWORD).await;
        let mut secrets = vec![
            r.body["csrf_token"].as_str().unwrap().to_owned(),
            b.token().unwrap(),
        ];
        srv.advance(100);
        assert_eq!(b.keepalive().await.status, 200);
        let other = srv.logged_in("alice").await;
        secrets.push(other.token().unwrap());
        assert_eq!(other.post("/api/session/logout", None).await.status, 200);
        assert_eq!(other.check().await.status, 401);
        assert_eq!(b.get("/readyz").await.body["store"], "postgres");
        assert_no_secret_at_rest(&schema, &secrets).await;
        b.token().unwrap()
    };
    let srv = TestServer::start_with(config_with(&[]), store(&schema).await).await;
    let b = srv.browser();
    b.set_token(Some(&token));
    let r = b.check().await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["username"], "alice");
}

/// Every row of every table, as text, contains none of the secrets handed to clients.
async fn assert_no_secret_at_rest(schema: &str, secrets: &[String]) {
    let url = std::env::var("SESSIOND_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut dump = String::new();
    for table in ["sessions", "users", "audit_events"] {
        let sql = format!("SELECT COALESCE(string_agg(t::text, ' '), '') FROM {schema}.{table} t");
        dump.push_str(
            &client
                .query_one(&sql, &[])
                .await
                .unwrap()
                .get::<_, String>(0),
        );
    }
    assert!(dump.contains("alice"), "the dump is real");
    assert!(!dump.contains(sessiond_testkit::PASSWORD));
    for s in secrets {
        assert!(!dump.contains(s.as_str()), "a secret reached PostgreSQL");
    }
}
