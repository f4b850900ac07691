//! What the browser client relies on: its settings, the events it reports, the files and pages
//! sessiond serves for it. (The client itself is tested in Chromium: clients/js/test/browser.)

use serde_json::json;
use sessiond_testkit::TestServer;

#[tokio::test]
async fn client_config_carries_timeouts_sync_settings_and_flags() {
    let srv = TestServer::start(&[
        ("SESSION_IDLE_TIMEOUT_SECONDS", "600"),
        ("SESSION_WARNING_THRESHOLD_SECONDS", "90"),
        ("SESSION_HEARTBEAT_INTERVAL_SECONDS", "20"),
        ("SESSION_LOCALSTORAGE_PREFIX", "myapp_"),
        ("SESSION_FEATURE_OPTIMISTIC_UI", "false"),
    ])
    .await;
    let r = srv.browser().get("/api/session/client-config").await;
    assert_eq!(r.status, 200, "no session needed: {}", r.body);
    assert_eq!(r.body["idle_timeout_seconds"], 600);
    assert_eq!(r.body["warning_threshold_seconds"], 90);
    assert_eq!(r.body["keepalive_max_retries"], 3);
    assert_eq!(r.body["login_url"], "/login");
    let sync = &r.body["sync"];
    assert_eq!(sync["heartbeat_interval_seconds"], 20);
    assert_eq!(sync["localstorage_prefix"], "myapp_");
    for key in [
        "check_interval_seconds",
        "sync_timeout_seconds",
        "tab_response_timeout_seconds",
        "max_sync_data_size",
    ] {
        assert!(sync[key].is_u64(), "{key} in {sync}");
    }
    assert_eq!(r.body["features"]["optimistic_ui"], false);
    assert_eq!(r.body["features"]["cross_tab_sync"], true);
}

#[tokio::test]
async fn client_events_are_audited_against_the_session() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    let id = b.check().await.body["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for kind in ["SESSION_WARNING_SHOWN", "SESSION_EXTENDED_BY_USER"] {
        let r = b
            .post(
                "/api/session/events",
                Some(json!({"event_type": kind, "time_remaining_seconds": 42})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let events = srv.audited(kind).await;
        assert_eq!(events.len(), 1, "{kind}");
        assert_eq!(events[0].session_id.unwrap().to_string(), id);
        assert_eq!(events[0].details["time_remaining_seconds"], 42);
    }
}

#[tokio::test]
async fn the_expiry_notice_is_recorded_after_the_session_ended() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    srv.advance(srv.state.service.timeouts().idle_secs + 1);
    assert_eq!(b.check().await.body["code"], "expired_idle");
    let r = b
        .post(
            "/api/session/events",
            Some(json!({"event_type": "SESSION_EXPIRED_SHOWN"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(srv.audited("SESSION_EXPIRED_SHOWN").await.len(), 1);
}

/// An ended session still takes its expiry notice, but only with its own CSRF token; a token
/// rotated out past its grace is unknown there as everywhere.
#[tokio::test]
async fn client_events_of_ended_or_rotated_out_sessions_need_their_own_csrf_token() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let event = || Some(json!({"event_type": "SESSION_EXPIRED_SHOWN"}));
    let b = srv.logged_in("alice").await;
    let token = b.token();
    assert_eq!(b.post("/api/session/logout", None).await.status, 200);
    let ended = srv.browser();
    ended.set_token(token.as_deref());
    for csrf in ["forged", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        ended.set_csrf(Some(csrf));
        let r = ended.post("/api/session/events", event()).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (403, Some("csrf_failed"))
        );
    }
    assert_eq!(srv.audited("SESSION_EXPIRED_SHOWN").await.len(), 0);

    // Rotated out: the lifetime passes, a keep-alive rotates, the grace passes.
    let b = srv.logged_in("alice").await;
    let (old_token, old_csrf) = (b.token().unwrap(), b.csrf().unwrap());
    let t = *srv.state.service.timeouts();
    let mut rotated = false;
    while !rotated {
        srv.advance(t.idle_secs / 2);
        rotated = b.keepalive().await.body["rotated"] == true;
    }
    srv.advance(t.expiration_grace_secs + 1);
    let old = srv.browser();
    old.set_token(Some(&old_token));
    old.set_csrf(Some(&old_csrf));
    let r = old.post("/api/session/events", event()).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (401, Some("no_session")),
        "{}",
        r.body
    );
    assert_eq!(srv.audited("SESSION_EXPIRED_SHOWN").await.len(), 0);
}

#[tokio::test]
async fn client_events_refuse_unknown_types_missing_sessions_and_floods() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let stranger = srv.browser();
    let r = stranger
        .post(
            "/api/session/events",
            Some(json!({"event_type": "SESSION_WARNING_SHOWN"})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (401, Some("no_session"))
    );

    let b = srv.logged_in("alice").await;
    for body in [
        json!({"event_type": "LOGIN_SUCCESS"}),
        json!({"event_type": "SESSION_WARNING_SHOWN\r\nforged"}),
    ] {
        let r = b.post("/api/session/events", Some(body)).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.body["code"], "invalid_event_type");
    }
    let r = b
        .post(
            "/api/session/events",
            Some(json!({"event_type": "SESSION_WARNING_SHOWN", "extra": 1})),
        )
        .await;
    assert_eq!(r.status, 400, "unknown fields are refused: {}", r.body);

    let mut statuses = Vec::new();
    for _ in 0..40 {
        let body = json!({"event_type": "SESSION_WARNING_SHOWN"});
        statuses.push(b.post("/api/session/events", Some(body)).await.status);
    }
    assert!(statuses.contains(&429), "a page cannot flood the audit log");
}

#[tokio::test]
async fn check_hands_a_reloaded_page_its_csrf_token() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.browser();
    let login = b.login("alice", sessiond_testkit::PASSWORD).await;
    let check = b.check().await;
    assert_eq!(check.body["csrf_token"], login.body["csrf_token"]);
}

#[tokio::test]
async fn the_client_and_pages_are_served_from_the_binary() {
    let srv = TestServer::start(&[]).await;
    let b = srv.browser();
    for (path, kind, needle) in [
        ("/static/sessiond.js", "text/javascript", "sessiond"),
        ("/static/sessiond.mjs", "text/javascript", "export"),
        ("/static/pages.js", "text/javascript", "login"),
        ("/static/pages.css", "text/css", "body"),
        ("/login", "text/html", "login-form"),
        ("/", "text/html", "/static/sessiond.js"),
    ] {
        let r = b.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(
            r.header("content-type").unwrap().starts_with(kind),
            "{path}"
        );
        assert!(r.body.as_str().unwrap().contains(needle), "{path}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
    }
    let page = b.get("/login").await;
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
}
