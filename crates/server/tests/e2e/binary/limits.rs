//! What bounds a server under load or abuse: memory under a login flood, slow headers and
//! bodies, the connection cap, proxy headers from strangers, and `/metrics` off the main
//! listener.

use super::*;

/// Resident and peak memory of a process, in KiB, from /proc.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A login flood: 200 parallel logins. Argon2 runs on a pool of about one thread per core
/// with a bounded queue, so the server's peak memory stays under 128 MiB, the logins it cannot
/// queue are told 503 with Retry-After, and its memory settles back near the idle figure.
#[test]
fn a_login_flood_keeps_memory_bounded_and_gives_it_back() {
    let dir = workdir();
    let (server, addr, _) = start_with(&dir, &[("SESSIOND_LOGIN_RATE_LIMIT", "100000")]);
    let pid = server.0.id();
    let password = std::fs::read_to_string(dir.join("data/initial-admin-password")).unwrap();
    let body = format!("{{\"username\":\"admin\",\"password\":\"{password}\"}}");
    let (idle, _) = memory_kib(pid);
    let started = Instant::now();
    let logins: Vec<_> = (0..200)
        .map(|_| {
            let (addr, body) = (addr.clone(), body.clone());
            std::thread::spawn(move || {
                exchange(&addr, "POST", "/api/session/login", &[], &body).map(|(s, _, _)| s)
            })
        })
        .collect();
    let statuses: Vec<u16> = logins
        .into_iter()
        .map(|t| t.join().unwrap().unwrap_or(0))
        .collect();
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert!(ok >= 2, "some logins got through: {statuses:?}");
    let (_, peak) = memory_kib(pid);
    assert!(
        peak < 128 * 1024,
        "peak RSS {} MiB under 200 parallel logins",
        peak / 1024
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (now, _) = memory_kib(pid);
        if now <= idle + 16 * 1024 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "RSS stays at {} MiB after the flood (idle {} MiB)",
            now / 1024,
            idle / 1024
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(started.elapsed() < Duration::from_secs(60));
}

/// Slowloris: a client that sends its headers slowly, or nothing at all, loses its connection
/// after `SESSIOND_HEADER_READ_TIMEOUT_SECONDS`; and with `SESSIOND_MAX_CONNECTIONS` taken by
/// such clients, a real one waits for a place rather than the server growing without bound.
#[test]
fn slow_headers_are_cut_off_and_connections_are_capped() {
    use std::io::Read as _;
    let dir = workdir();
    let vars = [
        ("SESSIOND_HEADER_READ_TIMEOUT_SECONDS", "1"),
        ("SESSIOND_MAX_CONNECTIONS", "3"),
    ];
    let (_server, addr, _) = start_with(&dir, &vars);
    let closed_within = |mut s: std::net::TcpStream| {
        let started = Instant::now();
        s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        let mut buf = [0u8; 512];
        // EOF, or a short error answer and then EOF.
        while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
        started.elapsed()
    };
    let mut partial = std::net::TcpStream::connect(&addr).unwrap();
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    let waited = closed_within(partial);
    assert!(
        waited < Duration::from_secs(5),
        "partial headers held the connection {waited:?}"
    );

    let silent: Vec<_> = (0..3)
        .map(|_| std::net::TcpStream::connect(&addr).unwrap())
        .collect();
    let started = Instant::now();
    let (status, _, _) = exchange(&addr, "GET", "/healthz", &[], "").unwrap();
    assert_eq!(status, 200);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(500) && waited < Duration::from_secs(5),
        "with every place taken by silent clients, a request is served once they time out: {waited:?}"
    );
    drop(silent);
}

/// Second review, L6: a body that never arrives no longer holds its connection: past
/// `SESSIOND_BODY_READ_TIMEOUT_SECONDS` the request is answered 408 `request_timeout` and the
/// connection closes, whether the route reads its body or not.
#[test]
fn a_body_that_never_arrives_is_cut_off() {
    use std::io::Read as _;
    let dir = workdir();
    let (_server, addr, _) = start_with(&dir, &[("SESSIOND_BODY_READ_TIMEOUT_SECONDS", "1")]);
    for head in [
        "POST /api/session/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n",
        "POST /api/session/check HTTP/1.1\r\nHost: x\r\n",
    ] {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.write_all(format!("{head}Content-Length: 100\r\n\r\n{{\"user").as_bytes())
            .unwrap();
        let started = Instant::now();
        s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
        }
        let waited = started.elapsed();
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            waited < Duration::from_secs(5),
            "{head}: the connection was held {waited:?}: {answer}"
        );
        if head.contains("login") {
            assert!(
                answer.starts_with("HTTP/1.1 408") && answer.contains("request_timeout"),
                "{answer}"
            );
        }
    }
}

/// Second review, M10: a proxy header from a peer that is not a trusted proxy is ignored, and
/// the log says so (once per peer), since that is usually a proxy left out of the setting.
#[test]
fn a_proxy_header_from_an_untrusted_peer_is_named_in_the_log_once() {
    let dir = workdir();
    let (_server, addr, log) = start_with_log(&dir, &[]);
    assert_eq!(exchange(&addr, "GET", "/healthz", &[], "").unwrap().0, 200);
    let forwarded = [("X-Forwarded-For", "198.51.100.7")];
    for _ in 0..3 {
        assert_eq!(
            exchange(&addr, "GET", "/healthz", &forwarded, "")
                .unwrap()
                .0,
            200
        );
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let warned = loop {
        let text = std::fs::read_to_string(&log).unwrap();
        let warned = text
            .lines()
            .filter(|l| l.contains("not in SESSIOND_TRUSTED_PROXIES"))
            .count();
        if warned > 0 || Instant::now() > deadline {
            break (warned, text);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(warned.0, 1, "once for the peer:\n{}", warned.1);
    assert!(warned.1.contains("x-forwarded-for") && warned.1.contains("127.0.0.1"));
}

/// Second review, L10: with `SESSIOND_METRICS_BIND`, `/metrics` is served on a listener of its
/// own, and the main listener does not serve it.
#[test]
fn metrics_can_have_a_listener_of_their_own() {
    let dir = workdir();
    let (_server, addr, log) = start_with_log(&dir, &[("SESSIOND_METRICS_BIND", "127.0.0.1:0")]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let metrics_addr = loop {
        let text = std::fs::read_to_string(&log).unwrap();
        let found = text.split("metrics on http://").nth(1);
        if let Some(addr) = found.and_then(|rest| rest.split('/').next()) {
            break addr.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no metrics listener in the log:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(exchange(&addr, "GET", "/metrics", &[], "").unwrap().0, 404);
    let (status, _, body) = exchange(&metrics_addr, "GET", "/metrics", &[], "").unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("active_sessions"), "{body}");
    assert_eq!(
        exchange(&metrics_addr, "GET", "/healthz", &[], "")
            .unwrap()
            .0,
        404
    );
}
