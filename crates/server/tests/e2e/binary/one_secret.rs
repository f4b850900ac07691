//! Every node shares one server secret (docs/deployment.md, "One secret"): the store keeps a
//! check value of the secret it was first opened with, and a node, or a CLI, with another one
//! refuses to start (exit 2) instead of failing every CSRF token, access token and signing key
//! the others made. `keys adopt-secret` changes it on purpose.

use super::*;

const SECRET_A: &str = "the-first-nodes-secret-0123456789abcdef";
const SECRET_B: &str = "a-rotated-secret-0123456789abcdef-rotated";

/// Runs `sessiond args...`, which must exit 2 (within 30 s: a `serve` that was not refused would
/// otherwise run on) saying why and what to do.
fn refused(dir: &Path, vars: &[(&str, &str)], args: &[&str]) -> String {
    let mut child = sessiond(dir, vars)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("sessiond {args:?} was not refused");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "sessiond {args:?}: {stderr}");
    assert!(
        stderr.contains("was first opened with another server secret")
            && stderr.contains("SESSIOND_SECRET_KEY")
            && stderr.contains("keys adopt-secret"),
        "{stderr}"
    );
    stderr
}

fn two_nodes(store: &str) {
    let (first, second) = (workdir(), workdir());
    let with_a = [
        ("SESSIOND_STORE_URL", store),
        ("SESSIOND_SECRET_KEY", SECRET_A),
    ];
    let (node_a, _, _) = start_with(&first, &with_a);

    // A node started from its own folder generates a secret of its own there.
    let alone = [
        ("SESSIOND_STORE_URL", store),
        ("SESSIOND_BIND", "127.0.0.1:0"),
    ];
    let stderr = refused(&second, &alone, &["serve"]);
    let generated = std::fs::read_to_string(second.join("data/secret.key")).unwrap();
    assert!(
        !stderr.contains(generated.trim()),
        "the message names no secret"
    );
    refused(&second, &alone, &["users", "list"]);

    // With the same secret it starts beside the first.
    let (node_b, _, _) = start_with(&second, &with_a);
    drop((node_a, node_b));

    // Changed on purpose: every node stopped, the new secret adopted, the old one refused.
    let with_b = [
        ("SESSIOND_STORE_URL", store),
        ("SESSIOND_SECRET_KEY", SECRET_B),
    ];
    let out = sessiond_fed(&first, &with_b, &["keys", "adopt-secret"], "");
    assert!(out.contains("now holds this secret"), "{out}");
    let (_node, _, _) = start_with(&second, &with_b);
    refused(&first, &with_a, &["serve"]);
}

#[test]
fn a_node_with_another_secret_refuses_to_start_on_postgres() {
    let db = FreshDatabase::create("sessiond_secret");
    two_nodes(&db.url);
}

#[test]
fn a_node_with_another_secret_refuses_to_start_on_redis() {
    // A database of Redis's own for this test (the binary has no key prefix), emptied first: a
    // run before left its secret's check value.
    let base = std::env::var("SESSIOND_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let url = format!("{}/9", base.trim_end_matches('/'));
    let flushed = Command::new("redis-cli")
        .args(["-u", &url, "FLUSHDB"])
        .output()
        .unwrap();
    assert!(flushed.status.success(), "redis-cli: run scripts/test");
    two_nodes(&url);
}

/// A store from before the check holds no check value; its signing keys, sealed under the old
/// secret, still keep a node with another one out.
#[test]
fn a_store_from_before_the_check_is_held_to_its_signing_keys() {
    let dir = workdir();
    let with_a = [("SESSIOND_SECRET_KEY", SECRET_A)];
    sessiond_fed(&dir, &with_a, &["migrate"], "");
    sessiond_fed(&dir, &with_a, &["keys", "rotate"], "");
    let db = rusqlite::Connection::open(dir.join("data/sessiond.db")).unwrap();
    assert_eq!(db.execute("DELETE FROM meta", []).unwrap(), 1);
    drop(db);
    refused(&dir, &[("SESSIOND_SECRET_KEY", SECRET_B)], &["serve"]);
    drop(start_with(&dir, &with_a));
}
