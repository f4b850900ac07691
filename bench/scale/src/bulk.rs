//! Copies of the template sessions, made by SQL in one statement: a million sessions through the
//! store's `create_session` would take a SQLite or PostgreSQL store a quarter of an hour, one
//! transaction each. The copies get new ids and token hashes and start `k × templates` seconds
//! after their template; the store's triggers (the revocations feed, the tallies) see every one.

use sessiond_store_sql::SESSION_COLUMNS;

const TIMES: [&str; 8] = [
    "created_at",
    "last_activity",
    "idle_expires_at",
    "absolute_expires_at",
    "deadline",
    "renewed_at",
    "lookup_until",
    "ended_at",
];

/// The select list of a copy: `id` and `token_hash` as given, times shifted by `shift`.
fn copied(id: &str, hash: &str, shift: &str) -> String {
    SESSION_COLUMNS
        .split(", ")
        .map(|c| match c {
            "id" => id.to_owned(),
            "token_hash" => hash.to_owned(),
            "prev_token_hash" => "NULL".to_owned(),
            c if TIMES.contains(&c) => format!("t.{c} + {shift}"),
            c => format!("t.{c}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Makes `copies` copies of every session in the SQLite file at `path`.
pub fn sqlite(path: &str, copies: u64, templates: u64) {
    let c = rusqlite::Connection::open(path).expect("sqlite file");
    // A page cache that holds the indexes being filled (random token hashes touch all of
    // them): with SQLite's 2 MiB, ten million copies spilled and rewrote the same pages in the
    // WAL for tens of gigabytes.
    c.execute_batch("PRAGMA synchronous = OFF; PRAGMA cache_size = -4194304")
        .unwrap();
    let id = "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-7' || substr(hex(randomblob(2)), 2) \
              || '-8' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))";
    let shift = format!("k.i * {templates} * 1000");
    // In transactions of 50 copies: one transaction of ten million rows outgrew any cache.
    for first in (1..=copies).step_by(50) {
        let last = (first + 49).min(copies);
        let sql = format!(
            "WITH RECURSIVE k(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM k WHERE i < {last}) \
             INSERT INTO sessions ({SESSION_COLUMNS}) SELECT {} FROM \
             (SELECT * FROM sessions ORDER BY rowid LIMIT {templates}) t, k",
            copied(id, "randomblob(32)", &shift)
        );
        c.execute_batch(&format!("BEGIN; {sql}; COMMIT"))
            .expect("bulk insert");
    }
    c.execute_batch("ANALYZE").expect("analyze");
}

/// The same in the PostgreSQL schema `schema`.
pub async fn postgres(url: &str, schema: &str, copies: u64, templates: u64) {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("postgres");
    tokio::spawn(conn);
    let id = "gen_random_uuid()::text";
    let hash = "decode(md5(random()::text) || md5(random()::text), 'hex')";
    let shift = format!("k.i::bigint * {templates} * 1000");
    // A row trigger would append a million tally deltas for the next read to fold: the
    // tallies are recounted once instead, as the migrations that made them count them.
    let sql = format!(
        "SET search_path TO {schema}; BEGIN; ALTER TABLE sessions DISABLE TRIGGER sessions_tally; \
         INSERT INTO sessions ({SESSION_COLUMNS}) SELECT {} FROM (SELECT * FROM sessions) t, \
         generate_series(1, {copies}) AS k(i); \
         ALTER TABLE sessions ENABLE TRIGGER sessions_tally; \
         DELETE FROM session_tally; DELETE FROM user_tally; \
         INSERT INTO session_tally (state, role, context, n) \
           SELECT state, COALESCE(role, ''), COALESCE(context, ''), COUNT(*) FROM sessions GROUP BY 1, 2, 3; \
         INSERT INTO user_tally (user_id, n) SELECT user_id, COUNT(*) FROM sessions \
           WHERE state = 'active' AND user_id IS NOT NULL GROUP BY user_id; \
         DELETE FROM tally_users; INSERT INTO tally_users (n) SELECT COUNT(*) FROM user_tally; COMMIT; ANALYZE sessions",
        copied(id, hash, &shift)
    );
    client.batch_execute(&sql).await.expect("bulk insert");
}
