//! Rows of docs/security.md, one test each, named after the row, with the ASVS
//! requirements it covers. docs/security.md maps every row to its test.

use reqwest::Method;
use serde_json::json;
use sessiond_core::audit::AuditQuery;
use sessiond_testkit::{Browser, PASSWORD, TestServer};

/// A server whose store answers only after `latency`, so parallel requests overlap.
async fn slow_server(vars: &[(&str, &str)], latency: std::time::Duration) -> TestServer {
    let config = sessiond_testkit::config_with(vars);
    let store = sessiond_testkit::OutageStore::new(
        sessiond_server::open_store(&config.server).await.unwrap(),
    );
    let srv = TestServer::start_with(config, store.stores()).await;
    srv.add_user("alice", "oss").await;
    store.set_latency(latency);
    srv
}

async fn server(vars: &[(&str, &str)]) -> TestServer {
    let srv = TestServer::start(vars).await;
    srv.add_user("alice", "oss").await;
    srv
}

async fn audited(srv: &TestServer, kind: &str) -> usize {
    srv.audited(kind).await.len()
}

async fn logout_with(b: &Browser, headers: &[(&str, &str)]) -> (u16, String) {
    let r = b
        .request_with(Method::POST, "/api/session/logout", None, headers)
        .await;
    (r.status, r.body["code"].as_str().unwrap_or("").to_owned())
}

const REFUSED: (u16, &str) = (403, "csrf_failed");

/// ASVS 4: 4.2.2, 13.2.3 · 5: 3.5.1
#[tokio::test]
async fn row17_missing_or_wrong_csrf_token_is_refused() {
    let srv = server(&[]).await;
    let b = srv.logged_in("alice").await;
    let good = b.csrf().unwrap();
    let other = srv.logged_in("alice").await.csrf().unwrap();
    let mut flipped = good.clone().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let id = b.check().await.body["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (what, token) in [
        ("no token", None),
        ("another session's token", Some(other.as_str())),
        ("one character changed", Some(flipped.as_str())),
    ] {
        b.set_csrf(token);
        let (status, code) = logout_with(&b, &[]).await;
        assert_eq!((status, code.as_str()), REFUSED, "{what}");
        b.set_csrf(token);
        let r = b.delete(&format!("/api/session/sessions/{id}")).await;
        assert_eq!(r.status, 403, "{what}: revoke");
        assert_eq!(b.check().await.status, 200, "{what}: nothing happened");
    }
    assert!(audited(&srv, "MALICIOUS_CSRF").await >= 6);
    b.set_csrf(Some(&good));
    assert_eq!(logout_with(&b, &[]).await.0, 200, "the right token works");
}

/// ASVS 4: 13.2.3 · 5: 3.5.1 (HMAC bound to the session; constant-time compare in SecretKey)
#[tokio::test]
async fn row18_csrf_token_is_bound_to_its_session() {
    let srv = server(&[]).await;
    let a = srv.logged_in("alice").await;
    let b = srv.logged_in("alice").await;
    b.set_csrf(a.csrf().as_deref());
    assert_eq!(b.keepalive().await.status, 403);
    assert_eq!(a.keepalive().await.status, 200);
}

/// ASVS 5: 3.5.3, 3.5.1
#[tokio::test]
async fn row19_fetch_metadata_decides_for_browsers() {
    let srv = server(&[]).await;
    let b = srv.logged_in("alice").await;
    for site in ["cross-site", "same-site"] {
        let r = b
            .request_with(
                Method::POST,
                "/api/session/keepalive",
                None,
                &[("sec-fetch-site", site)],
            )
            .await;
        assert_eq!(r.status, 403, "{site}, even with the token");
        assert!(r.header("vary").unwrap().contains("Sec-Fetch-Site"));
    }
    b.set_csrf(None);
    let same = b
        .request_with(
            Method::POST,
            "/api/session/keepalive",
            None,
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
    assert_eq!(same.status, 200, "same-origin needs no token");
    let absent = b.keepalive().await;
    assert_eq!(absent.status, 403, "no metadata, no Origin, no token");
}

/// ASVS 4: 13.2.3, 14.5.3 · 5: 3.4.2, 3.5.2
#[tokio::test]
async fn row20_origin_must_be_this_site() {
    let srv = server(&[]).await;
    let b = srv.logged_in("alice").await;
    let host = srv.base.trim_start_matches("http://").to_owned();
    for origin in [
        "https://evil.example",
        &format!("https://{host}.evil.com"),
        "null",
    ] {
        let r = b
            .request_with(
                Method::POST,
                "/api/session/keepalive",
                None,
                &[("origin", origin)],
            )
            .await;
        assert_eq!(r.status, 403, "Origin {origin}");
    }
    b.set_csrf(None);
    let own = format!("http://{host}");
    let r = b
        .request_with(
            Method::POST,
            "/api/session/keepalive",
            None,
            &[("origin", &own)],
        )
        .await;
    assert_eq!(r.status, 200, "our own origin");
    let r = b
        .request_with(
            Method::OPTIONS,
            "/api/session/keepalive",
            None,
            &[("origin", "https://evil.example")],
        )
        .await;
    assert!(
        r.header("access-control-allow-origin").is_none(),
        "no CORS grant"
    );
}

/// With `SESSIOND_PUBLIC_URL`, the Origin fallback compares scheme, host and port: a plain
/// http page of the same host is another origin.
#[tokio::test]
async fn row20_with_a_public_url_the_origin_must_match_its_scheme_and_port() {
    let srv = server(&[("SESSIOND_PUBLIC_URL", "https://app.example.com")]).await;
    let b = srv.logged_in("alice").await;
    b.set_csrf(None);
    let keepalive = |origin: &'static str| {
        let b = &b;
        async move {
            let headers = [("origin", origin)];
            b.request_with(Method::POST, "/api/session/keepalive", None, &headers)
                .await
        }
    };
    for origin in ["http://app.example.com", "https://app.example.com:8443"] {
        assert_eq!(keepalive(origin).await.status, 403, "{origin}");
    }
    for origin in ["https://app.example.com", "https://app.example.com:443"] {
        assert_eq!(keepalive(origin).await.status, 200, "{origin}");
    }
}

/// Second review, L13: without `SESSIOND_PUBLIC_URL` the Origin is compared with the request's
/// own origin, scheme and port included: `https` when the cookie is `Secure` (or a trusted
/// proxy's `X-Forwarded-Proto` says so), `http` otherwise.
#[tokio::test]
async fn row20_without_a_public_url_the_origin_must_match_the_requests_scheme_and_port() {
    async fn keepalive(b: &sessiond_testkit::Browser, headers: &[(&str, String)]) -> u16 {
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        b.request_with(Method::POST, "/api/session/keepalive", None, &h)
            .await
            .status
    }
    let srv = server(&[]).await;
    let b = srv.logged_in("alice").await;
    b.set_csrf(None);
    let host = srv.base.trim_start_matches("http://").to_owned();
    let (name, port) = host.rsplit_once(':').unwrap();
    let other_port = format!("http://{name}:{}", port.parse::<u16>().unwrap() ^ 1);
    for origin in [
        format!("https://{host}"),
        other_port,
        format!("http://{name}"),
    ] {
        assert_eq!(
            keepalive(&b, &[("origin", origin.clone())]).await,
            403,
            "{origin}"
        );
    }
    assert_eq!(
        keepalive(&b, &[("origin", format!("http://{host}"))]).await,
        200
    );

    // Behind a trusted proxy that says the browser came over https.
    let srv = server(&[("SESSIOND_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let b = srv.logged_in("alice").await;
    b.set_csrf(None);
    let host = srv.base.trim_start_matches("http://").to_owned();
    let https = |origin: String| [("origin", origin), ("x-forwarded-proto", "https".into())];
    assert_eq!(keepalive(&b, &https(format!("http://{host}"))).await, 403);
    assert_eq!(keepalive(&b, &https(format!("https://{host}"))).await, 200);
}

/// ASVS 4: 13.1.5, 13.2.5 · 5: 3.5.2, 3.5.3
#[tokio::test]
async fn row21_simple_content_types_and_get_are_refused() {
    let srv = server(&[]).await;
    let b = srv.logged_in("alice").await;
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let r = b
            .request_with(
                Method::POST,
                "/api/session/logout-all",
                None,
                &[("content-type", ct), ("content-length", "0")],
            )
            .await;
        assert_eq!(r.status, 415, "{ct}");
    }
    for path in [
        "/api/session/logout",
        "/api/session/logout-all",
        "/api/session/keepalive",
    ] {
        assert_eq!(b.get(path).await.status, 405, "GET {path}");
    }
    assert_eq!(b.check().await.status, 200);
}

/// ASVS 4: 4.2.2 · 5: 3.5.1 (login CSRF)
#[tokio::test]
async fn row22_cross_site_login_is_refused() {
    let srv = server(&[]).await;
    let body = json!({"username": "alice", "password": PASSWORD});
    for headers in [
        [("origin", "https://evil.example")],
        [("sec-fetch-site", "cross-site")],
        [("origin", "null")],
    ] {
        let b = srv.browser();
        let r = b
            .request_with(
                Method::POST,
                "/api/session/login",
                Some(body.clone()),
                &headers,
            )
            .await;
        assert_eq!(r.status, 403, "{headers:?}");
        assert!(b.token().is_none(), "no session was made");
    }
    let b = srv.browser();
    let r = b
        .request_with(
            Method::POST,
            "/api/session/login",
            Some(body.clone()),
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
    assert_eq!(r.status, 200, "from our own login page");
    assert_eq!(
        srv.browser().login("alice", PASSWORD).await.status,
        200,
        "an API client"
    );
}

/// ASVS 4: 3.3.1 · 5: 7.4.1, 14.3.1
#[tokio::test]
async fn row33_logout_invalidates_and_clears_the_browser() {
    let srv = server(&[]).await;
    let b = srv.logged_in("alice").await;
    let token = b.token().unwrap();
    let r = b.post("/api/session/logout", None).await;
    assert_eq!(r.status, 200);
    let cleared = r.set_cookie().unwrap();
    assert!(
        cleared.starts_with("sessiond=;")
            && cleared.contains("Max-Age=0")
            && cleared.contains("Path=/"),
        "{cleared}"
    );
    assert_eq!(
        r.header("clear-site-data"),
        Some("\"cookies\", \"storage\"")
    );
    let replay = srv.browser();
    replay.set_token(Some(&token));
    assert_eq!(replay.check().await.body["code"], "logged_out");
}

/// ASVS 4: 2.2.1 · 5: 6.1.1, 6.3.1
#[tokio::test]
async fn row39_lockout_refuses_even_the_right_password() {
    let srv = server(&[
        ("SESSIOND_LOGIN_LOCKOUT_THRESHOLD", "3"),
        ("SESSIOND_LOGIN_LOCKOUT_SECONDS", "60"),
    ])
    .await;
    let b = srv.browser();
    let wrong = b.login("Alice", "wrong password").await;
    b.login("ALICE", "wrong password").await;
    b.login("alice", "wrong password").await;
    let locked = b.login("alice", PASSWORD).await;
    assert_eq!(locked.status, wrong.status);
    assert_eq!(locked.body, wrong.body, "the same generic answer");
    assert_eq!(audited(&srv, "ACCOUNT_LOCKED").await, 1);
    srv.advance(60);
    assert_eq!(
        b.login("alice", PASSWORD).await.status,
        200,
        "the lock lifts"
    );
}

/// ASVS 5: 2.4.1, 15.3.4
#[tokio::test]
async fn row40_logins_are_rate_limited_per_address() {
    let srv = server(&[
        ("SESSIOND_LOGIN_RATE_LIMIT", "3"),
        ("SESSIOND_TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let body = json!({"username": "alice", "password": "wrong"});
    let from = |ip: &'static str| [("x-forwarded-for", ip)];
    let b = srv.browser();
    for _ in 0..3 {
        let r = b
            .request_with(
                Method::POST,
                "/api/session/login",
                Some(body.clone()),
                &from("10.0.0.66"),
            )
            .await;
        assert_eq!(r.status, 401);
    }
    let r = b
        .request_with(
            Method::POST,
            "/api/session/login",
            Some(body.clone()),
            &from("10.0.0.66"),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (429, Some("rate_limited"))
    );
    assert!(r.header("retry-after").is_some());
    assert_eq!(audited(&srv, "EXCESS_RATE_LIMIT_EXCEEDED").await, 1);
    let good = json!({"username": "alice", "password": PASSWORD});
    let r = b
        .request_with(
            Method::POST,
            "/api/session/login",
            Some(good),
            &from("10.0.0.7"),
        )
        .await;
    assert_eq!(r.status, 200, "another address is unaffected");
}

/// ASVS 5: 2.4.1, 16.3.3
#[tokio::test]
async fn row41_session_id_guessing_is_throttled() {
    let srv = server(&[
        ("SESSIOND_UNKNOWN_TOKEN_LIMIT", "20"),
        ("SESSIOND_TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let user = srv.logged_in("alice").await;
    let attacker = srv.browser();
    let xff = [("x-forwarded-for", "10.0.0.66")];
    for _ in 0..20 {
        attacker.set_token(Some(sessiond_core::Token::generate().unwrap().expose()));
        let r = attacker
            .request_with(Method::POST, "/api/session/check", None, &xff)
            .await;
        assert_eq!(r.status, 401);
    }
    attacker.set_token(Some(sessiond_core::Token::generate().unwrap().expose()));
    let r = attacker
        .request_with(Method::POST, "/api/session/check", None, &xff)
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (429, Some("rate_limited"))
    );
    assert_eq!(audited(&srv, "SESSION_GUESSING_DETECTED").await, 1);
    let r = user
        .request_with(
            Method::POST,
            "/api/session/check",
            None,
            &[("x-forwarded-for", "10.0.0.7")],
        )
        .await;
    assert_eq!(
        r.status, 200,
        "legitimate sessions elsewhere are unaffected"
    );
    // A valid session from the guesser's own address (one NAT, one office) is served; its
    // unknown tokens still are not. IPv6 addresses count by their /64.
    let r = user
        .request_with(Method::POST, "/api/session/check", None, &xff)
        .await;
    assert_eq!(
        r.status, 200,
        "the limit stops guessing, not valid sessions"
    );
    let r = attacker
        .request_with(Method::POST, "/api/session/check", None, &xff)
        .await;
    assert_eq!(r.status, 429);
    for i in 0..21 {
        attacker.set_token(Some(sessiond_core::Token::generate().unwrap().expose()));
        let ip = format!("2001:db8:7:7:{i:x}::1");
        let r = attacker
            .request_with(
                Method::POST,
                "/api/session/check",
                None,
                &[("x-forwarded-for", &ip)],
            )
            .await;
        assert_eq!(r.status, if i < 20 { 401 } else { 429 }, "{ip}");
    }
}

/// Logs alice in `n` times at once, each from a browser of its own; returns the statuses.
async fn parallel_logins(srv: &TestServer, n: usize) -> Vec<u16> {
    let browsers: Vec<Browser> = (0..n).map(|_| srv.browser()).collect();
    let logins = browsers.iter().map(|b| b.login("alice", PASSWORD));
    futures_util::future::join_all(logins)
        .await
        .into_iter()
        .map(|r| r.status)
        .collect()
}

async fn active_sessions(srv: &TestServer) -> usize {
    let alice = srv.logged_in("alice").await;
    let n = alice.get("/api/session/sessions").await.body["count"]
        .as_u64()
        .unwrap() as usize;
    alice.post("/api/session/logout", None).await;
    n
}

/// ASVS 5: 7.1.2 · WSTG-SESS-11
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn row38_the_session_cap_holds_under_parallel_logins() {
    // Every store operation takes 20 ms: without the per-user login lock, logins that checked
    // the count at the same time would all create a session.
    let latency = std::time::Duration::from_millis(20);
    let srv = slow_server(&[("SESSION_MAX_CONCURRENT_PER_USER", "3")], latency).await;
    let statuses = parallel_logins(&srv, 12).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert!(
        active_sessions(&srv).await <= 3,
        "evict_oldest keeps the cap"
    );
    assert!(audited(&srv, "SESSION_EVICTED").await >= 9);

    let srv = slow_server(
        &[
            ("SESSION_MAX_CONCURRENT_PER_USER", "3"),
            ("SESSIOND_CONCURRENT_POLICY", "deny_new"),
        ],
        latency,
    )
    .await;
    let statuses = parallel_logins(&srv, 12).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        3,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    let refused = srv.browser().login("alice", PASSWORD).await;
    assert_eq!(refused.body["code"], "too_many_sessions");
}

/// ASVS 4: 7.3.1 · 5: 16.4.1
#[tokio::test]
async fn row47_audit_records_are_injection_safe() {
    let srv = server(&[]).await;
    let forged =
        "mallory\r\n2030-01-01T00:00:00Z  LOGIN_SUCCESS  admin\u{1b}[2J\u{2028}\"},{\"x\":\"";
    let mut b = srv.browser();
    b.user_agent = "evil\"},{\"agent".into();
    assert_eq!(b.login(forged, "wrong password").await.status, 401);
    let q = AuditQuery {
        limit: 10,
        ..AuditQuery::default()
    };
    let events = srv
        .state
        .service
        .stores()
        .audit
        .audit_events(&q)
        .await
        .unwrap();
    let failed = events
        .iter()
        .find(|e| e.event_type == "LOGIN_FAILED")
        .unwrap();
    assert_eq!(failed.username.as_deref(), Some(forged), "stored exactly");
    let json = serde_json::to_string(failed).unwrap();
    assert!(
        !json.contains('\n') && !json.contains('\r'),
        "one record, one line"
    );
    let back: sessiond_core::audit::AuditEvent = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, failed, "JSON-breaking input round-trips");
    let line = sessiond_server::cli::audit::render_line(failed);
    assert!(!line.chars().any(char::is_control), "{line:?}");
    assert!(!line.contains('\u{2028}'));
}

const FIREFOX_141: &str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/141.0";

/// ASVS 5: 6.3.5 · CS-SM SM-24/25
#[tokio::test]
async fn row23_a_different_browser_ends_the_session_and_an_update_does_not() {
    let srv = server(&[]).await;
    let mut b = srv.logged_in("alice").await;
    b.user_agent = FIREFOX_141.into();
    assert_eq!(b.check().await.status, 200, "a browser update is tolerated");
    assert_eq!(audited(&srv, "SESSION_DRIFT").await, 0);
    b.user_agent = "curl/8.5.0".into();
    let r = b.check().await;
    assert_eq!((r.status, r.body["code"].as_str()), (401, Some("revoked")));
    assert_eq!(audited(&srv, "SESSION_DRIFT").await, 1);
    assert_eq!(audited(&srv, "SUSPICIOUS_ACTIVITY").await, 1);
    b.user_agent = FIREFOX_141.into();
    assert_eq!(b.check().await.status, 401, "the session stays ended");
}

/// The lockout is no free denial of service: a browser that logged in as the user before
/// (its device cookie) gets past the account's lock with the right password, while every other
/// client, right password and all, still gets the generic answer. The device's own failures
/// lock it, and a forged or foreign device cookie counts for nothing.
#[tokio::test]
async fn row39_the_owners_browser_gets_past_a_lock_that_strangers_keep_up() {
    let srv = server(&[("SESSIOND_LOGIN_LOCKOUT_THRESHOLD", "3")]).await;
    let device_cookie = format!("{}_device", srv.state.cookie.name);
    let owner = srv.logged_in("alice").await;
    let device = owner
        .cookie(&device_cookie)
        .expect("a device cookie after login");
    assert_eq!(owner.post("/api/session/logout", None).await.status, 200);

    let attacker = srv.browser();
    for _ in 0..3 {
        assert_eq!(attacker.login("alice", "guess!guess").await.status, 401);
    }
    assert_eq!(audited(&srv, "ACCOUNT_LOCKED").await, 1);
    let stranger = srv.browser();
    assert_eq!(
        stranger.login("alice", PASSWORD).await.status,
        401,
        "locked for strangers"
    );
    let forged = srv.browser();
    forged.set_cookie(&device_cookie, Some(&format!("{device}x")));
    assert_eq!(
        forged.login("alice", PASSWORD).await.status,
        401,
        "a forged device cookie"
    );
    srv.add_user("bob", "oss").await;
    let other_user = srv.logged_in("bob").await;
    let bobs = other_user.cookie(&device_cookie).unwrap();
    let borrowed = srv.browser();
    borrowed.set_cookie(&device_cookie, Some(&bobs));
    assert_eq!(
        borrowed.login("alice", PASSWORD).await.status,
        401,
        "another user's device"
    );

    let r = owner.login("alice", PASSWORD).await;
    assert_eq!(r.status, 200, "the owner's browser gets in: {}", r.body);
    assert_ne!(
        owner.cookie(&device_cookie).unwrap(),
        device,
        "a fresh device cookie"
    );
    assert_eq!(
        stranger.login("alice", PASSWORD).await.status,
        401,
        "still locked for others"
    );

    // The device's own guesses lock it; then it is a stranger like any other.
    let stolen = srv.browser();
    stolen.set_cookie(&device_cookie, owner.cookie(&device_cookie).as_deref());
    for _ in 0..3 {
        assert_eq!(stolen.login("alice", "guess!guess").await.status, 401);
    }
    assert_eq!(stolen.login("alice", PASSWORD).await.status, 401);
}

/// Refusals of anonymous requests cannot grow the audit trail at will: an address gets ten
/// `MALICIOUS_CSRF` records a minute, then 429 without a record; another address is unaffected.
#[tokio::test]
async fn a_flood_of_refused_requests_is_limited_not_audited_one_by_one() {
    let srv = server(&[("SESSIOND_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let b = srv.browser();
    let from = |ip: &'static str| [("sec-fetch-site", "cross-site"), ("x-forwarded-for", ip)];
    let mut statuses = Vec::new();
    for _ in 0..300 {
        let r = b
            .request_with(Method::POST, "/api/session/logout", None, &from("10.9.9.9"))
            .await;
        statuses.push(r.status);
    }
    assert!(statuses[..10].iter().all(|s| *s == 403), "{statuses:?}");
    assert!(statuses[10..].iter().all(|s| *s == 429), "{statuses:?}");
    assert_eq!(audited(&srv, "MALICIOUS_CSRF").await, 10);
    let r = b
        .request_with(
            Method::POST,
            "/api/session/logout",
            None,
            &from("10.9.9.10"),
        )
        .await;
    assert_eq!(r.status, 403, "another address has its own budget");
    srv.advance(60);
    let r = b
        .request_with(Method::POST, "/api/session/logout", None, &from("10.9.9.9"))
        .await;
    assert_eq!(r.status, 403, "a new minute");
}

/// Second review, L14: an IPv6 /48 holds 65,536 /64s, each an address of its own to the
/// per-address budget; the site as a whole gets forty records a minute, then 429.
#[tokio::test]
async fn a_flood_of_refusals_from_one_ipv6_site_is_limited_as_a_site() {
    let srv = server(&[("SESSIOND_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let b = srv.browser();
    let mut statuses = Vec::new();
    for i in 0..200 {
        let ip = format!("2001:db8:7:{i:x}::1");
        let headers = [
            ("sec-fetch-site", "cross-site"),
            ("x-forwarded-for", ip.as_str()),
        ];
        let r = b
            .request_with(Method::POST, "/api/session/logout", None, &headers)
            .await;
        statuses.push(r.status);
    }
    assert!(statuses[..40].iter().all(|s| *s == 403), "{statuses:?}");
    assert!(statuses[40..].iter().all(|s| *s == 429), "{statuses:?}");
    assert_eq!(audited(&srv, "MALICIOUS_CSRF").await, 40);
    let headers = [
        ("sec-fetch-site", "cross-site"),
        ("x-forwarded-for", "2001:db8:8::1"),
    ];
    let r = b
        .request_with(Method::POST, "/api/session/logout", None, &headers)
        .await;
    assert_eq!(r.status, 403, "another site has its own budget");
}

/// Dropping the User-Agent header is a change of client too: it cannot hide one.
#[tokio::test]
async fn row23_a_request_without_a_user_agent_is_drift() {
    let srv = server(&[]).await;
    let mut b = srv.logged_in("alice").await;
    b.user_agent = String::new();
    let r = b.check().await;
    assert_eq!((r.status, r.body["code"].as_str()), (401, Some("revoked")));
    assert_eq!(audited(&srv, "SESSION_DRIFT").await, 1);
}

/// A check from `ip` (through the trusted local proxy).
async fn check_from(b: &Browser, ip: &str) -> u16 {
    b.request_with(
        Method::POST,
        "/api/session/check",
        None,
        &[("x-forwarded-for", ip)],
    )
    .await
    .status
}

/// A session long in use is worth more to a thief: past `SESSIOND_LONG_SESSION_SECONDS` it
/// scores 5 points once, so one new network is then enough to reach the threshold (issue 5's
/// "long sessions").
#[tokio::test]
async fn a_long_session_adds_to_the_suspicion_score() {
    let srv = server(&[
        ("SESSIOND_TRUSTED_PROXIES", "127.0.0.1"),
        ("SESSIOND_LONG_SESSION_SECONDS", "300"),
    ])
    .await;
    let b = srv.browser();
    let body = json!({"username": "alice", "password": PASSWORD});
    let home = [("x-forwarded-for", "10.1.0.1")];
    let r = b
        .request_with(Method::POST, "/api/session/login", Some(body), &home)
        .await;
    assert_eq!(r.status, 200);
    srv.advance(299);
    assert_eq!(check_from(&b, "10.1.0.1").await, 200);
    assert_eq!(audited(&srv, "SESSION_DRIFT").await, 0, "not long yet");
    let r = b
        .request_with(Method::POST, "/api/session/keepalive", None, &home)
        .await;
    assert_eq!(r.status, 200);
    srv.advance(2);
    assert_eq!(check_from(&b, "10.1.0.1").await, 200, "5 of 10");
    assert_eq!(check_from(&b, "10.1.0.1").await, 200, "counted once");
    let drift = srv.audited("SESSION_DRIFT").await;
    assert_eq!(drift.len(), 1);
    assert_eq!(
        (
            drift[0].details["reason"].as_str(),
            drift[0].details["score"].as_u64()
        ),
        (Some("long_session"), Some(5))
    );
    assert_eq!(
        check_from(&b, "10.2.0.1").await,
        401,
        "a new network now reaches 10"
    );
    assert_eq!(audited(&srv, "SUSPICIOUS_ACTIVITY").await, 1);
}

/// ASVS 5: 4.1.3, 15.3.4 · CS-SM SM-25
#[tokio::test]
async fn row24_network_drift_is_scored_against_the_threshold() {
    let proxies = ("SESSIOND_TRUSTED_PROXIES", "127.0.0.1");
    let login_from = |srv: &TestServer, ip: &'static str| {
        let b = srv.browser();
        async move {
            let body = json!({"username": "alice", "password": PASSWORD});
            let r = b
                .request_with(
                    Method::POST,
                    "/api/session/login",
                    Some(body),
                    &[("x-forwarded-for", ip)],
                )
                .await;
            assert_eq!(r.status, 200);
            b
        }
    };

    let srv = server(&[proxies]).await;
    let b = login_from(&srv, "10.1.0.1").await;
    assert_eq!(check_from(&b, "10.1.9.9").await, 200, "the same network");
    assert_eq!(
        check_from(&b, "10.2.0.1").await,
        200,
        "one new network: 5 of 10"
    );
    assert_eq!(
        check_from(&b, "10.2.7.7").await,
        200,
        "that network again adds nothing"
    );
    assert_eq!(
        check_from(&b, "10.3.0.1").await,
        401,
        "a second new network: 10 of 10"
    );
    assert_eq!(audited(&srv, "SUSPICIOUS_ACTIVITY").await, 1);

    let srv = server(&[proxies, ("SESSIOND_SUSPICIOUS_RESPONSE", "log")]).await;
    let b = login_from(&srv, "10.1.0.1").await;
    for ip in ["10.2.0.1", "10.3.0.1", "10.4.0.1"] {
        assert_eq!(check_from(&b, ip).await, 200, "log only");
    }
    assert_eq!(
        audited(&srv, "SUSPICIOUS_ACTIVITY").await,
        1,
        "once per session"
    );

    let srv = server(&[proxies, ("SESSIOND_SUSPICIOUS_RESPONSE", "revoke")]).await;
    let other = login_from(&srv, "10.9.0.1").await;
    let b = login_from(&srv, "10.1.0.1").await;
    check_from(&b, "10.2.0.1").await;
    assert_eq!(check_from(&b, "10.3.0.1").await, 401);
    assert_eq!(
        check_from(&other, "10.9.0.1").await,
        401,
        "every session of the user ended"
    );

    let srv = server(&[proxies, ("SESSION_ENABLE_SUSPICIOUS_DETECTION", "false")]).await;
    let b = login_from(&srv, "10.1.0.1").await;
    for ip in ["10.2.0.1", "10.3.0.1", "10.4.0.1"] {
        assert_eq!(check_from(&b, ip).await, 200, "detection off");
    }
}

/// ASVS 4: 3.2.1 · 5: 7.2.4 · WSTG-SESS-03: a visitor's anonymous session is upgraded on login
/// with a new id and a new token; the anonymous token is then worthless.
#[tokio::test]
async fn row15_an_anonymous_session_is_upgraded_with_a_new_token() {
    let srv = server(&[("SESSION_FEATURE_ANONYMOUS_SESSIONS", "true")]).await;
    let b = srv.browser();
    let r = b.post("/api/session/anonymous", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["anonymous"], true);
    assert!(r.body["username"].is_null());
    let visitor_id = r.body["session_id"].as_str().unwrap().to_owned();
    let visitor_token = b.token().unwrap();
    let again = b.post("/api/session/anonymous", None).await;
    assert_eq!(
        again.body["session_id"],
        visitor_id.as_str(),
        "one per browser"
    );
    assert!(again.set_cookie().is_none());

    let login = b.login("alice", PASSWORD).await;
    assert_eq!(login.status, 200);
    assert_ne!(login.body["session_id"], visitor_id.as_str(), "a new id");
    assert_ne!(b.token().unwrap(), visitor_token, "a new token");
    let replay = srv.browser();
    replay.set_token(Some(&visitor_token));
    assert_eq!(
        replay.check().await.status,
        401,
        "the anonymous token is dead"
    );
    assert_eq!(audited(&srv, "SESSION_UPGRADED").await, 1);

    let off = server(&[]).await;
    assert_eq!(
        off.browser()
            .post("/api/session/anonymous", None)
            .await
            .status,
        404
    );
}

/// ASVS 5: 7.2.4, 7.5.1 · CS-SM SM-15: a privilege change renews the session (id, token, CSRF).
#[tokio::test]
async fn row16_a_role_change_renews_the_session() {
    let srv = server(&[]).await;
    let b = srv.logged_in("alice").await;
    let (old_id, old_token, old_csrf) = (
        b.check().await.body["session_id"].clone(),
        b.token().unwrap(),
        b.csrf().unwrap(),
    );
    let ended = srv
        .state
        .service
        .set_role("alice", "netadmin")
        .await
        .unwrap();
    assert_eq!(ended, 1);
    assert_eq!(
        b.check().await.body["code"],
        "revoked",
        "the old session is over"
    );
    let r = b.login("alice", PASSWORD).await;
    assert_eq!(r.body["role"], "netadmin");
    assert_ne!(r.body["session_id"], old_id);
    assert_ne!(b.token().unwrap(), old_token);
    assert_ne!(b.csrf().unwrap(), old_csrf);
    assert_eq!(audited(&srv, "USER_ROLE_CHANGED").await, 1);
}
