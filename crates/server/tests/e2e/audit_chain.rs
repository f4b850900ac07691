//! docs/security.md row 48 (ASVS 4: 7.3.3 · 5: 16.4.2, 16.4.3): the audit trail is a hash chain;
//! `sessiond audit verify` names the first broken link after a record is changed, deleted,
//! reordered or the tail is cut, and the database refuses changes to audit records.

use std::path::{Path, PathBuf};

use sessiond_core::audit_chain::{ChainBreak, verify_store};
use sessiond_testkit::TestServer;

use crate::binary::{sessiond, start_with, workdir};

/// A SQLite database with a few sessions' worth of audit events, written by the real server.
async fn audited_database() -> PathBuf {
    let dir = workdir();
    let url = format!("sqlite://{}", dir.join("sessiond.db").display());
    let srv = TestServer::start(&[("SESSIOND_STORE_URL", &url)]).await;
    srv.add_user("alice", "oss").await;
    for _ in 0..2 {
        let b = srv.browser();
        b.login("alice", sessiond_testkit::PASSWORD).await;
        b.keepalive().await;
        b.post("/api/session/logout", None).await;
    }
    srv.browser().login("alice", "not the password").await;
    drop(srv);
    dir
}

/// A copy of the database (with its WAL), changed by `tamper` the way someone with the file
/// would: with their own connection, triggers and all.
fn tampered(original: &Path, tamper: &str) -> PathBuf {
    let dir = workdir();
    for entry in std::fs::read_dir(original).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("sessiond.db")
        {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    let db = rusqlite::Connection::open(dir.join("sessiond.db")).unwrap();
    db.execute_batch(tamper).unwrap();
    dir
}

/// Each copy is in a folder of its own: one secret for all of them, as for nodes.
const SECRET: (&str, &str) = (
    "SESSIOND_SECRET_KEY",
    "audit-chain-test-secret-0123456789abcdef",
);

fn audit(dir: &Path, args: &[&str]) -> (bool, String) {
    let url = format!("sqlite://{}", dir.join("sessiond.db").display());
    let out = sessiond(dir, &[("SESSIOND_STORE_URL", &url), SECRET])
        .arg("audit")
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn row48_the_audit_chain_names_the_first_broken_link() {
    let dir = audited_database().await;
    let (ok, text) = audit(&dir, &["verify"]);
    assert!(ok && text.contains("audit chain intact"), "{text}");
    let (ok, anchor) = audit(&dir, &["head"]);
    assert!(ok, "{anchor}");
    let anchor = anchor.trim().to_owned();
    let head: u64 = anchor.split(':').next().unwrap().parse().unwrap();
    assert!(
        head >= 8,
        "logins, keep-alives, logouts and a failure were chained: {anchor}"
    );

    // sessiond's own database refuses to change a record.
    let db = rusqlite::Connection::open(dir.join("sessiond.db")).unwrap();
    let refused = db
        .execute(
            "UPDATE audit_events SET username = 'mallory' WHERE seq = 3",
            [],
        )
        .unwrap_err();
    assert!(refused.to_string().contains("append-only"), "{refused}");
    drop(db);

    let unchecked = "DROP TRIGGER audit_events_append_only;";
    let cases = [
        (
            format!("{unchecked} UPDATE audit_events SET username = 'mallory' WHERE seq = 3;"),
            "record 3 was changed",
        ),
        (
            "DELETE FROM audit_events WHERE seq = 4;".to_owned(),
            "record 4 is missing",
        ),
        (
            format!(
                "{unchecked} UPDATE audit_events SET seq = -5 WHERE seq = 5; \
                 UPDATE audit_events SET seq = 5 WHERE seq = 6; \
                 UPDATE audit_events SET seq = 6 WHERE seq = -5;"
            ),
            "record 5 does not follow record 4",
        ),
        (
            format!("DELETE FROM audit_events WHERE seq > {};", head - 2),
            "the tail was cut",
        ),
    ];
    for (tamper, verdict) in cases {
        let copy = tampered(&dir, &tamper);
        let (ok, text) = audit(&copy, &["verify"]);
        assert!(!ok, "{tamper}: verify passed: {text}");
        assert!(
            text.contains(verdict),
            "{tamper}: expected {verdict:?}, got {text}"
        );
    }

    // Cutting the tail and moving the head back leaves a consistent chain: only an anchor
    // taken before shows it.
    let copy = tampered(
        &dir,
        &format!(
            "DELETE FROM audit_events WHERE seq > {cut}; \
             UPDATE audit_chain SET head_seq = {cut}, head_hash = (SELECT hash FROM audit_events WHERE seq = {cut});",
            cut = head - 2
        ),
    );
    assert!(
        audit(&copy, &["verify"]).0,
        "without an anchor the cut is invisible"
    );
    let (ok, text) = audit(&copy, &["verify", "--anchor", &anchor]);
    assert!(!ok && text.contains("the tail was cut"), "{text}");
    assert!(audit(&dir, &["verify", "--anchor", &anchor]).0);

    // The same cut, with the base moved past the anchor as if retention had deleted it: an
    // anchor that can no longer be checked is a failure, not "not checked".
    let copy = tampered(
        &dir,
        &format!(
            "DELETE FROM audit_events WHERE seq > {cut} OR seq < {cut}; \
             UPDATE audit_chain SET head_seq = {cut}, head_hash = (SELECT hash FROM audit_events WHERE seq = {cut}), \
             base_seq = {base}, base_hash = (SELECT prev_hash FROM audit_events WHERE seq = {cut});",
            cut = head - 2,
            base = head - 3
        ),
    );
    let early: String = rusqlite::Connection::open(dir.join("sessiond.db"))
        .unwrap()
        .query_row(
            "SELECT hex(hash) FROM audit_events WHERE seq = 3",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let early = format!("3:{}", early.to_lowercase());
    assert!(audit(&dir, &["verify", "--anchor", &early]).0);
    let (ok, text) = audit(&copy, &["verify", "--anchor", &early]);
    assert!(!ok, "{text}");
    assert!(text.contains("older than the chain's base"), "{text}");

    // A record inserted with no place in the chain shows in `audit list`, marked; verify
    // names it.
    let copy = tampered(
        &dir,
        "INSERT INTO audit_events (at, event_type, username, username_key, details) \
         VALUES (1, 'LOGIN_SUCCESS', 'mallory', 'mallory', '{}');",
    );
    let (ok, text) = audit(&copy, &["verify"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("1 stored audit records have no place in the chain"),
        "{text}"
    );
    let (ok, listed) = audit(&copy, &["list", "--limit", "100"]);
    assert!(ok, "{listed}");
    for line in listed.lines() {
        let outside = line.starts_with('!');
        assert_eq!(
            outside,
            line.contains("mallory"),
            "only mallory's row is marked: {line}"
        );
    }
    let (_, json) = audit(&copy, &["list", "--user", "mallory", "--json"]);
    assert!(json.contains("\"outside_chain\":true"), "{json}");
    let (_, json) = audit(&copy, &["list", "--user", "alice", "--json"]);
    assert!(
        !json.contains("outside_chain") && json.contains("\"seq\":"),
        "{json}"
    );
}

/// Second review, M5: recent history deleted the way retention deletes it (a prefix gone, the
/// base moved to its last link) verifies without an anchor, unless the base's own time is
/// checked: it lies inside the retention window, where retention deletes nothing.
#[tokio::test]
async fn recent_history_deleted_as_retention_would_is_named_without_an_anchor() {
    let dir = audited_database().await;
    let purge = "UPDATE audit_chain SET base_seq = 4, \
         base_hash = (SELECT hash FROM audit_events WHERE seq = 4), \
         base_at = (SELECT at FROM audit_events WHERE seq = 4); \
         DELETE FROM audit_events WHERE seq <= 4;";
    let copy = tampered(&dir, purge);
    let (ok, text) = audit(&copy, &["verify"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("inside the retention window") && text.contains("recent history was deleted"),
        "{text}"
    );
    // A base without a time (moved before sessiond kept one, or by hand) is said to be so.
    let copy = tampered(
        &dir,
        &purge.replace(
            "base_at = (SELECT at FROM audit_events WHERE seq = 4)",
            "base_at = NULL",
        ),
    );
    let (ok, text) = audit(&copy, &["verify"]);
    assert!(ok, "{text}");
    assert!(text.contains("has no recorded time"), "{text}");
}

#[tokio::test]
async fn row48_postgres_refuses_changes_to_audit_records() {
    let url = std::env::var("SESSIOND_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let schema = format!(
        "audit_{}",
        &sessiond_core::Token::generate().unwrap().hash().to_hex()[..16]
    );
    let store = sessiond_store_postgres::PostgresStore::open_in_schema(
        &url,
        Default::default(),
        Some(&schema),
    )
    .await
    .unwrap()
    .into_stores();
    let srv = TestServer::start_with(sessiond_testkit::config_with(&[]), store.clone()).await;
    srv.add_user("alice", "oss").await;
    let b = srv.browser();
    b.login("alice", sessiond_testkit::PASSWORD).await;
    b.post("/api/session/logout", None).await;
    let audit = srv.stores.audit.clone();
    assert!(verify_store(&*audit, vec![], None).await.unwrap().is_ok());

    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    for sql in [
        format!("UPDATE {schema}.audit_events SET username = 'mallory'"),
        format!("TRUNCATE {schema}.audit_events"),
    ] {
        let err = client.batch_execute(&sql).await.unwrap_err();
        let text = format!("{err:?}");
        assert!(text.contains("append-only"), "{sql}: {text}");
    }
    client
        .batch_execute(&format!("DELETE FROM {schema}.audit_events WHERE seq = 2"))
        .await
        .unwrap();
    assert_eq!(
        verify_store(&*store.audit, vec![], None).await.unwrap(),
        Err(ChainBreak::Missing { seq: 2 })
    );
}

/// The server logs the chain's head when it starts and every
/// `SESSION_SECURITY_CHECK_INTERVAL_SECONDS`: an anchor kept outside the store, which
/// `sessiond audit verify --anchor` checks.
#[test]
fn the_server_logs_anchors_that_verify_checks() {
    let dir = workdir();
    let url = format!("sqlite://{}", dir.join("sessiond.db").display());
    let (server, _, printed) = start_with(&dir, &[("SESSIOND_STORE_URL", &url), SECRET]);
    drop(server);
    let line = printed
        .lines()
        .find(|l| l.contains("audit chain head"))
        .unwrap_or_else(|| panic!("no anchor logged:\n{printed}"));
    let at = line.find("anchor").unwrap();
    let anchor: String = line[at..]
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_hexdigit() || *c == ':')
        .collect();
    assert!(
        anchor.starts_with("1:"),
        "the admin's creation is record 1: {line}"
    );
    let (ok, text) = audit(&dir, &["verify", "--anchor", &anchor]);
    assert!(ok, "{text}");
    let last = if anchor.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &anchor[..anchor.len() - 1]);
    let (ok, text) = audit(&dir, &["verify", "--anchor", &forged]);
    assert!(!ok && text.contains("does not match the anchor"), "{text}");
}
