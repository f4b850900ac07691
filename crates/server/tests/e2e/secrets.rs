//! docs/security.md row 45: the real binary, logging at debug level, never writes a session token,
//! CSRF token or password to its log or to an error body.

use std::io::{Read as _, Write as _};
use std::time::Duration;

use crate::binary::{exchange, workdir};

const PASSWORD: &str = "a long enough password";

/// Method, path, headers, body.
type Step = (
    &'static str,
    &'static str,
    Vec<(&'static str, String)>,
    String,
);

/// ASVS 4: 7.1.1, 7.2.1 · 5: 16.2.5, 16.5.1
#[test]
fn row45_no_secret_reaches_the_log_or_an_error_body() {
    let dir = workdir();
    crate::binary::sessiond_fed(
        &dir,
        &[],
        &["users", "add", "alice", "--role", "oss", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );

    let (server, addr, log_path) = crate::binary::start_with_log(
        &dir,
        &[
            ("SESSIOND_LOG", "debug"),
            ("SESSIOND_LOG_FORMAT", "json"),
            // A replayed refresh token is then theft at once, and logged as such.
            ("SESSIOND_REFRESH_REUSE_GRACE_SECONDS", "0"),
        ],
    );

    let login = format!("{{\"username\":\"alice\",\"password\":\"{PASSWORD}\"}}");
    let (status, token, body) = exchange(&addr, "POST", "/api/session/login", &[], &login).unwrap();
    assert_eq!(status, 200, "{body}");
    let token = token.unwrap();
    let csrf = serde_json::from_str::<serde_json::Value>(&body).unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let cookie = format!("sessiond={token}");
    let mut error_bodies = Vec::new();
    let with = |extra: &[(&'static str, String)]| -> Vec<(&'static str, String)> {
        let mut h = vec![("Cookie", cookie.clone())];
        h.extend(extra.iter().cloned());
        h
    };
    let steps: Vec<Step> = vec![
        ("POST", "/api/session/check", with(&[]), String::new()),
        (
            "POST",
            "/api/session/keepalive",
            with(&[("X-CSRF-Token", csrf.clone())]),
            String::new(),
        ),
        (
            "POST",
            "/api/session/keepalive",
            with(&[("X-CSRF-Token", format!("{csrf}x"))]),
            String::new(),
        ),
        ("POST", "/api/session/logout", with(&[]), String::new()),
        (
            "POST",
            "/api/session/login",
            vec![],
            format!("{{\"username\":\"alice\",\"password\":\"{PASSWORD}x\"}}"),
        ),
        (
            "POST",
            "/api/session/login",
            vec![],
            format!("{{\"username\":\"alice\",\"password\":{PASSWORD:?},\"bad\":1}}"),
        ),
        (
            "POST",
            "/api/session/logout",
            with(&[("X-CSRF-Token", csrf.clone())]),
            String::new(),
        ),
        ("POST", "/api/session/check", with(&[]), String::new()),
    ];
    for (method, path, headers, body) in &steps {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _, answer) = exchange(&addr, method, path, &headers, body).unwrap();
        if status >= 400 {
            error_bodies.push(answer);
        }
    }
    // The token API: a login, a refresh, the first refresh token again (theft), and the
    // access token of the revoked session.
    let json = |body: &str| serde_json::from_str::<serde_json::Value>(body).unwrap();
    let (_, _, pair) = exchange(&addr, "POST", "/api/token/login", &[], &login).unwrap();
    let pair = json(&pair);
    let field = |v: &serde_json::Value, f: &str| v[f].as_str().unwrap().to_owned();
    let first = format!("{{\"refresh_token\":{:?}}}", field(&pair, "refresh_token"));
    let (status, _, next) = exchange(&addr, "POST", "/api/token/refresh", &[], &first).unwrap();
    assert_eq!(status, 200, "{next}");
    let next = json(&next);
    let (status, _, reused) = exchange(&addr, "POST", "/api/token/refresh", &[], &first).unwrap();
    assert_eq!(status, 401, "{reused}");
    error_bodies.push(reused);
    let bearer = format!("Bearer {}", field(&next, "access_token"));
    let auth = [("Authorization", bearer.as_str())];
    let (_, _, refused) = exchange(&addr, "GET", "/api/session/check", &auth, "").unwrap();
    error_bodies.push(refused);
    let token_secrets = [
        field(&pair, "refresh_token"),
        field(&pair, "access_token"),
        field(&next, "refresh_token"),
        field(&next, "access_token"),
    ];
    assert!(
        error_bodies.len() >= 4,
        "the flow produced errors to inspect: {error_bodies:?}"
    );
    drop(server);

    let log = std::fs::read_to_string(&log_path).unwrap();
    for event in [
        "LOGIN_SUCCESS",
        "SESSION_EXTENDED",
        "MALICIOUS_CSRF",
        "LOGIN_FAILED",
    ] {
        assert!(log.contains(event), "the flow was logged ({event}):\n{log}");
    }
    // Each line logged while a request is served names the request it belongs to.
    let success = log.lines().find(|l| l.contains("LOGIN_SUCCESS")).unwrap();
    assert!(
        success.contains("\"span\":{") && success.contains("\"name\":\"request\""),
        "{success}"
    );
    assert!(log.contains("TOKEN_REUSE_DETECTED"), "the theft was logged");
    let secrets = [token.as_str(), csrf.as_str(), PASSWORD]
        .into_iter()
        .chain(token_secrets.iter().map(String::as_str));
    for secret in secrets {
        assert!(!log.contains(secret), "a secret in the log");
        for body in &error_bodies {
            assert!(!body.contains(secret), "a secret in an error body: {body}");
        }
    }
}

/// Sends raw bytes and returns the status line's code (0 when the server just closed).
fn raw_status(addr: &str, request: &str) -> u16 {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// ASVS 4: 13.1.5, 14.5.1 · 5: 4.1.4, 4.2.1, 4.2.4, 13.4.4
#[test]
fn row50_malformed_headers_smuggling_and_methods_are_refused() {
    let dir = workdir();
    let (_server, addr, _) = crate::binary::start_with(&dir, &[]);
    let login = "{\"username\":\"a\",\"password\":\"b\"}";
    let n = login.len();
    let head = format!("POST /api/session/login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (what, request, allowed) in [
        (
            "Content-Length and Transfer-Encoding",
            format!(
                "{head}Content-Type: application/json\r\nContent-Length: {n}\r\nTransfer-Encoding: chunked\r\n\r\n{login}"
            ),
            &[400, 0][..],
        ),
        (
            "two Content-Lengths",
            format!(
                "{head}Content-Type: application/json\r\nContent-Length: {n}\r\nContent-Length: 5\r\n\r\n{login}"
            ),
            &[400, 0][..],
        ),
        (
            "a bare CR in a header",
            format!(
                "{head}Content-Type: application/json\rX: y\r\nContent-Length: {n}\r\n\r\n{login}"
            ),
            &[400, 0][..],
        ),
    ] {
        let status = raw_status(&addr, &request);
        assert!(allowed.contains(&status), "{what}: {status}");
    }
    for content_type in [
        "invalid/@@##",
        "</><script>alert(1)</script>",
        "text",
        "text/[html]",
        "",
    ] {
        let request =
            format!("{head}Content-Type: {content_type}\r\nContent-Length: {n}\r\n\r\n{login}");
        let status = raw_status(&addr, &request);
        assert!(
            [400, 415].contains(&status),
            "Content-Type {content_type:?}: {status}"
        );
    }
    for method in ["TRACE", "PUT", "DELETE", "PATCH"] {
        let request = format!(
            "{method} /api/session/login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        );
        assert_eq!(raw_status(&addr, &request), 405, "{method} on login");
    }
}
