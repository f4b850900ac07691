//! sessiond's tables in a PostgreSQL schema of their own (`SESSIOND_POSTGRES_SCHEMA`, default
//! `sessiond`): pointed at the application's database, it used to fail with "relation users
//! already exists".

use super::*;

/// One value from `sql` on `url`.
fn psql_value(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([url, "-tAc", sql])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

const ADD: [&str; 6] = ["users", "add", "alice", "--role", "oss", "--password-stdin"];

#[test]
fn sessiond_shares_the_applications_database_in_a_schema_of_its_own() {
    let db = FreshDatabase::create("sessiond_schema");
    psql_value(
        &db.url,
        "CREATE TABLE users (id serial PRIMARY KEY, email text)",
    );
    psql_value(&db.url, "CREATE TABLE sessions (id int)");
    let dir = workdir();
    let vars = [("SESSIOND_STORE_URL", db.url.as_str())];
    sessiond_fed(&dir, &vars, &ADD, "a long password\n");
    drop(start_with(&dir, &vars));
    assert_eq!(
        psql_value(&db.url, "SELECT username FROM sessiond.users"),
        "alice"
    );
    assert_eq!(
        psql_value(&db.url, "SELECT count(*) FROM public.users"),
        "0"
    );

    // Told to share the application's schema, it says what is in the way.
    let out = sessiond(
        &workdir(),
        &[vars[0], ("SESSIOND_POSTGRES_SCHEMA", "public")],
    )
    .arg("migrate")
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("already holds a table sessiond did not make")
            && stderr.contains("SESSIOND_POSTGRES_SCHEMA"),
        "{stderr}"
    );
}

#[test]
fn tables_an_older_version_left_in_public_stay_in_use() {
    let db = FreshDatabase::create("sessiond_legacy");
    let dir = workdir();
    let old = [
        ("SESSIOND_STORE_URL", db.url.as_str()),
        ("SESSIOND_POSTGRES_SCHEMA", "public"),
    ];
    sessiond_fed(&dir, &old, &ADD, "a long password\n");
    let out = sessiond(&dir, &old[..1])
        .args(["users", "list"])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("alice"), "{stdout}");
    assert!(stderr.contains("from an older version"), "{stderr}");
    assert_eq!(
        psql_value(&db.url, "SELECT to_regnamespace('sessiond') IS NULL"),
        "t",
        "no empty schema beside them"
    );
}
