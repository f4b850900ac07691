//! The CLI against a store, and beside a running server: users, cleanup, and a change that
//! reaches a caching server.

use super::*;

#[test]
fn users_add_list_disable_through_the_cli() {
    let dir = workdir();
    sessiond_fed(
        &dir,
        &[],
        &[
            "users",
            "add",
            "Carol",
            "--role",
            "netadmin",
            "--display-name",
            "Carol C",
            "--password-stdin",
        ],
        "a long enough password\n",
    );
    let list = sessiond(&dir, &[])
        .args(["users", "list"])
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.lines()
            .any(|l| l.starts_with("Carol") && l.contains("netadmin") && l.contains("yes")),
        "{list}"
    );

    let mut dup = sessiond(&dir, &[])
        .args(["users", "add", "carol", "--role", "oss", "--password-stdin"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    dup.stdin
        .take()
        .unwrap()
        .write_all(b"another long password\n")
        .unwrap();
    let out = dup.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    assert!(
        sessiond(&dir, &[])
            .args(["users", "disable", "CAROL"])
            .output()
            .unwrap()
            .status
            .success()
    );
    let list = sessiond(&dir, &[])
        .args(["users", "list"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&list.stdout)
            .lines()
            .any(|l| l.starts_with("Carol") && l.contains(" no "))
    );
    let audit = sessiond(&dir, &[])
        .args(["audit", "list", "--user", "carol", "--json"])
        .output()
        .unwrap();
    let audit = String::from_utf8_lossy(&audit.stdout);
    assert!(
        audit.contains("USER_DISABLED") && audit.contains("USER_CREATED"),
        "{audit}"
    );
}

#[test]
fn cleanup_reports_a_summary() {
    let dir = workdir();
    sessiond_ok(&dir, &["migrate"]);
    let out = sessiond_ok(&dir, &["cleanup", "--dry-run"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("dry run") && text.contains("would be marked expired"),
        "{text}"
    );
    let out = sessiond(&dir, &[]).args(["cleanup"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("cleanup done"));
}

/// Second review, L15: on SQLite with the session cache, a change the CLI makes beside a
/// running server (`users disable`, `api-keys revoke`) reaches the server's cache through the
/// file within a second; it used to wait for the cache's TTL (here a minute).
#[test]
fn the_cli_reaches_a_caching_server_on_sqlite_within_a_second() {
    let dir = workdir();
    let cached = [
        ("SESSION_FEATURE_CACHING", "true"),
        ("SESSIOND_CACHE_TTL_SECONDS", "60"),
    ];
    let run = |args: &[&str], stdin: Option<&str>| {
        sessiond_fed(&dir, &cached, args, stdin.unwrap_or_default())
    };
    run(
        &["users", "add", "alice", "--role", "oss", "--password-stdin"],
        Some("a long password\n"),
    );
    let key = run(
        &["api-keys", "create", "shop", "--scope", "sessions:read"],
        None,
    );
    let key = key.trim();
    let (_server, addr, _) = start_with(&dir, &cached);
    let login = r#"{"username":"alice","password":"a long password"}"#;
    let (status, token, _) = exchange(&addr, "POST", "/api/session/login", &[], login).unwrap();
    assert_eq!(status, 200);
    let cookie = format!("sessiond={}", token.unwrap());
    let check = || {
        exchange(
            &addr,
            "POST",
            "/api/session/check",
            &[("Cookie", &cookie)],
            "",
        )
        .unwrap()
        .0
    };
    let auth = format!("Bearer {key}");
    let list = || {
        let headers = [("Authorization", auth.as_str())];
        exchange(&addr, "GET", "/api/v1/users/alice/sessions", &headers, "")
            .unwrap()
            .0
    };
    // Cached now, for a minute.
    for _ in 0..3 {
        assert_eq!((check(), list()), (200, 200));
    }
    let refused_within = |what: &str, probe: &dyn Fn() -> u16| {
        let started = Instant::now();
        while probe() != 401 {
            assert!(
                started.elapsed() < Duration::from_millis(1500),
                "{what} has not reached the server after {:?}",
                started.elapsed()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    run(&["users", "disable", "alice"], None);
    refused_within("users disable", &check);
    run(&["api-keys", "revoke", "shop"], None);
    refused_within("api-keys revoke", &list);
}

/// `sessiond config reference | head`: a reader that goes away ends the output, quietly. The
/// reading end is closed before the command writes, so every write fails.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let dir = workdir();
    sessiond_fed(
        &dir,
        &[],
        &["users", "add", "alice", "--role", "oss", "--password-stdin"],
        "a long password\n",
    );
    for args in [
        &["config", "reference"][..],
        &["config", "show"],
        &["audit", "list"],
    ] {
        let mut child = sessiond(&dir, &[])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// The CLI run from another folder, or without the server's `SESSIOND_STORE_URL`, used to make
/// an empty store of its own and then find nothing in it. A command that reads or changes
/// records now refuses a missing store and names where it looked; one that makes the first
/// records creates it and says where.
#[test]
fn the_cli_never_makes_an_empty_store_to_look_in() {
    let (server_dir, elsewhere) = (workdir(), workdir());
    sessiond_fed(
        &server_dir,
        &[],
        &["users", "add", "admin", "--role", "oss", "--password-stdin"],
        "a long password\n",
    );
    for args in [
        &["users", "set-password", "admin", "--password-stdin"][..],
        &["users", "list"],
        &["audit", "list"],
        &["api-keys", "revoke", "nobody"],
        &["keys", "rotate"],
    ] {
        let out = sessiond(&elsewhere, &[])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        let missing = elsewhere.join("data/sessiond.db");
        assert!(
            stderr.contains(&format!("no store at {}", missing.display())),
            "{args:?}: {stderr}"
        );
        assert!(!missing.exists(), "{args:?} made a store");
    }

    // Where the store is, a name it lacks is named with the store.
    let out = sessiond(&server_dir, &[])
        .args(["users", "disable", "carol"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let db = server_dir.join("data/sessiond.db");
    assert!(
        stderr.contains(&format!(
            "no user named \"carol\" in the store sqlite://data/sessiond.db ({})",
            db.display()
        )),
        "{stderr}"
    );

    // The first records may make the store, and the CLI says where.
    let out = sessiond(&elsewhere, &[])
        .args(["users", "add", "bob", "--role", "oss", "--password-stdin"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"a long password\n")?;
            child.wait_with_output()
        })
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("created a new store at"), "{stderr}");

    // A store in the server's memory is out of the CLI's reach, and it says so.
    let out = sessiond(&elsewhere, &[("SESSIOND_STORE_URL", "memory://")])
        .args(["users", "list"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the CLI cannot reach it"), "{stderr}");
}

/// `users enable`, `rename` and `delete` through the binary, as an operator runs them.
#[test]
fn users_are_enabled_renamed_and_deleted_from_the_cli() {
    let dir = workdir();
    let add = ["users", "add", "carol", "--role", "oss", "--password-stdin"];
    sessiond_fed(&dir, &[], &add, "a long enough password\n");
    sessiond_ok(&dir, &["users", "disable", "carol"]);
    let out = sessiond_ok(&dir, &["users", "enable", "carol"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "enabled carol");
    let out = sessiond_ok(&dir, &["users", "rename", "carol", "caroline"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("renamed carol to caroline"));
    let refused = sessiond(&dir, &[])
        .args(["users", "delete", "caroline"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "delete asks for --yes");
    let out = sessiond_ok(&dir, &["users", "delete", "caroline", "--yes"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("their audit records stay"));
    let list = sessiond_ok(&dir, &["users", "list"]);
    assert!(!String::from_utf8_lossy(&list.stdout).contains("carol"));

    // The trail keeps what happened to the account, under a header row.
    let audit = sessiond_ok(&dir, &["audit", "list", "--event", "user_deleted"]);
    let audit = String::from_utf8_lossy(&audit.stdout);
    let mut lines = audit.lines();
    assert!(lines.next().unwrap().starts_with("  AT (UTC)"), "{audit}");
    assert!(lines.next().unwrap().contains("USER_DELETED"), "{audit}");
    let typo = sessiond(&dir, &[])
        .args(["audit", "list", "--event", "USER_DELETD"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&typo.stderr);
    assert!(
        stderr.contains("no such event type") && stderr.contains("USER_DELETED"),
        "{stderr}"
    );
}

#[test]
fn store_check_shows_the_pool() {
    let dir = workdir();
    sessiond_fed(
        &dir,
        &[],
        &["users", "add", "carol", "--role", "oss", "--password-stdin"],
        "a long enough password\n",
    );
    let out = sessiond(&dir, &[("SESSIOND_STORE_POOL_SIZE", "3")])
        .args(["store", "check"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let pool = text.lines().find(|l| l.starts_with("pool:")).expect(&text);
    assert!(
        pool.contains("of 4 at most"),
        "three readers and the writer: {pool}"
    );
    assert!(pool.contains("0 waiting"), "{pool}");
}
