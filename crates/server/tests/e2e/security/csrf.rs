//! docs/security.md rows 17-22: the CSRF token, Fetch Metadata, the Origin, simple content
//! types and login CSRF.

use super::*;

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
