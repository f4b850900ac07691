//! The admin API through the real binary, as an operator first meets it: a read-only key made
//! with the CLI lists the sessions and shows the configuration without its secrets, and the
//! dashboard is served.

use super::raw_http::{send, status};
use super::*;

#[test]
fn an_admin_read_key_from_the_cli_sees_the_sessions_and_no_secret() {
    let dir = workdir();
    let secret = "binary-admin-secret-0123456789abcdef";
    let vars = [("SESSIOND_SECRET_KEY", secret)];
    let out = sessiond(&dir, &vars)
        .args(["api-keys", "create", "soc", "--scope", "admin:read"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let (_server, addr, _) = start_with(&dir, &vars);
    let auth = format!("Authorization: Bearer {key}");

    let listed = send(
        &addr,
        &format!("GET /api/admin/sessions HTTP/1.1\r\n{auth}"),
        "",
    );
    assert_eq!(status(&listed), 200, "{listed}");
    assert!(listed.contains("\"next_cursor\":null"), "{listed}");
    let config = send(
        &addr,
        &format!("GET /api/admin/config HTTP/1.1\r\n{auth}"),
        "",
    );
    assert_eq!(status(&config), 200, "{config}");
    assert!(
        config.contains("<redacted>") && !config.contains(secret),
        "{config}"
    );
    let change = send(
        &addr,
        &format!("POST /api/admin/users/admin/disable HTTP/1.1\r\n{auth}"),
        "",
    );
    assert_eq!(
        status(&change),
        403,
        "a read-only key changes nothing: {change}"
    );
    assert!(change.contains("insufficient_scope"), "{change}");
    let page = send(&addr, "GET /admin/ HTTP/1.1", "");
    assert_eq!(status(&page), 200);
    assert!(
        page.contains("content-security-policy: default-src 'none'"),
        "{page}"
    );
}
