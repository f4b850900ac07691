//! `sessiond api-keys` through the real binary, and the counted reads it stores when it stops.

use super::*;

#[test]
fn api_keys_are_printed_once_listed_without_secrets_and_revoked_at_once() {
    let dir = workdir();
    let out = sessiond_ok(
        &dir,
        &[
            "api-keys",
            "create",
            "shop",
            "--scope",
            "sessions:write",
            "--roles",
            "oss,netadmin",
            "--users",
            "alice",
        ],
    );
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let out = sessiond(&dir, &[])
        .args(["api-keys", "create", "root", "--scope", "sessions:write"])
        .args(["--roles", "superadmin"])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a write key never asserts superadmin"
    );
    let out = sessiond(&dir, &[])
        .args(["api-keys", "create", "bare", "--scope", "sessions:write"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && said.contains("--roles"), "{said}");
    assert!(secret.starts_with("sk_") && secret.len() == 46, "{secret}");
    let out = sessiond(&dir, &[])
        .args(["api-keys", "create", "x", "--scope", "sessions:delete"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "an unknown scope is refused");

    let out = sessiond(&dir, &[])
        .args(["api-keys", "list"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("shop")
            && listed.contains("sessions:write")
            && listed.contains("netadmin,oss (alice)"),
        "{listed}"
    );
    sessiond_ok(&dir, &["api-keys", "set-roles", "bare", "--roles", "oss"]);
    assert!(!listed.contains(&secret[3..]), "no secret in the list");
    let db = std::fs::read(dir.join("data/sessiond.db")).unwrap_or_default();
    let stored = db.windows(secret.len()).any(|w| w == secret.as_bytes());
    assert!(!stored, "only a hash of the key is stored");

    let (_server, addr, _) = start_with(&dir, &[]);
    let call = || {
        let head =
            format!("GET /api/v1/users/admin/sessions HTTP/1.1\r\nAuthorization: Bearer {secret}");
        crate::binary::raw_http::status(&crate::binary::raw_http::send(&addr, &head, ""))
    };
    assert_eq!(call(), 200);
    sessiond_ok(&dir, &["api-keys", "revoke", "shop"]);
    assert_eq!(
        call(),
        401,
        "a revoked key stops at once, on the running server too"
    );
}

/// The reads an application made are counted, and a server that is stopped stores the counts
/// it holds before it exits.
#[test]
fn counted_reads_are_stored_when_the_server_stops() {
    let dir = workdir();
    let out = sessiond(&dir, &[])
        .args(["api-keys", "create", "shop", "--scope", "sessions:read"])
        .output()
        .unwrap();
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let (mut server, addr, _) = start_with(&dir, &[]);
    let head =
        format!("GET /api/v1/users/admin/sessions HTTP/1.1\r\nAuthorization: Bearer {secret}");
    for _ in 0..3 {
        let answer = crate::binary::raw_http::send(&addr, &head, "");
        assert_eq!(crate::binary::raw_http::status(&answer), 200);
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(server.0.wait().unwrap().success());
    let out = sessiond(&dir, &[])
        .args(["audit", "list", "--event", "API_REQUEST", "--json"])
        .output()
        .unwrap();
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 1, "{events:?}");
    let d = &events[0]["details"];
    assert_eq!(
        (&d["api_key"], &d["operation"], &d["count"]),
        (&json!("shop"), &json!("user_sessions"), &json!(3))
    );
}
