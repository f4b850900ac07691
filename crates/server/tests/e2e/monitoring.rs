//! Seed 001's alert thresholds evaluated by sessiond itself, and the periodic health check,
//! through the real server with a manual clock: what `/metrics` and `GET /api/admin/alerts`
//! show, and that each alert is reported once when it fires and once when it clears.

use serde_json::Value;
use sessiond_testkit::{OutageStore, TestServer, config_with};

fn firing(alerts: &Value, name: &str) -> bool {
    let alert = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["alert"] == name)
        .unwrap_or_else(|| panic!("no {name} in {alerts}"));
    alert["firing"].as_bool().unwrap()
}

async fn metric_line(srv: &TestServer, line: &str) -> bool {
    let text = srv.browser().get("/metrics").await.body;
    text.as_str().unwrap().lines().any(|l| l == line)
}

#[tokio::test]
async fn a_threshold_fires_once_and_clears_once_as_the_window_moves() {
    let srv = TestServer::start(&[
        ("SESSION_ALERT_FAILURE_RATE", "1"),
        ("SESSION_ALERT_CONCURRENT_SESSIONS", "2"),
        ("SESSIOND_LOGIN_LOCKOUT_THRESHOLD", "100"),
    ])
    .await;
    srv.add_user("root", "superadmin").await;
    srv.add_user("alice", "oss").await;
    let root = srv.logged_in("root").await;
    assert!(sessiond_server::refresh_gauges(&srv.state).await.is_empty());

    // Ten failed logins in a minute, against one a minute.
    for _ in 0..10 {
        srv.browser().login("alice", "wrong password").await;
    }
    srv.advance(60);
    let fired = sessiond_server::refresh_gauges(&srv.state).await;
    let names: Vec<_> = fired.iter().map(|e| (e.alert.as_str(), e.firing)).collect();
    assert_eq!(names, [("failure_rate", true)]);
    assert!(metric_line(&srv, "sessiond_alert_firing{alert=\"failure_rate\"} 1").await);
    assert!(metric_line(&srv, "sessiond_alert_value{alert=\"failure_rate\"} 10.0").await);
    let alerts = root.get("/api/admin/alerts").await;
    assert_eq!(alerts.status, 200, "{}", alerts.body);
    assert!(firing(&alerts.body, "failure_rate"), "{}", alerts.body);
    assert!(!firing(&alerts.body, "concurrent_sessions"));

    // Two more sessions make three, against two: that one fires; the other is not said again.
    let _a = srv.logged_in("alice").await;
    let _b = srv.logged_in("alice").await;
    srv.advance(60);
    let fired = sessiond_server::refresh_gauges(&srv.state).await;
    let names: Vec<_> = fired.iter().map(|e| (e.alert.as_str(), e.firing)).collect();
    assert_eq!(names, [("concurrent_sessions", true)]);

    // Five minutes on, the failures have left the window.
    srv.advance(300);
    let cleared = sessiond_server::refresh_gauges(&srv.state).await;
    let names: Vec<_> = cleared
        .iter()
        .map(|e| (e.alert.as_str(), e.firing))
        .collect();
    assert_eq!(names, [("failure_rate", false)]);
    assert!(sessiond_server::refresh_gauges(&srv.state).await.is_empty());
    assert!(metric_line(&srv, "sessiond_alert_firing{alert=\"failure_rate\"} 0").await);
    let alerts = root.get("/api/admin/alerts").await.body;
    assert!(!firing(&alerts, "failure_rate"));
    let events: Vec<_> = alerts["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["alert"].as_str().unwrap(), e["firing"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        events,
        [
            ("failure_rate", false),
            ("concurrent_sessions", true),
            ("failure_rate", true)
        ],
        "newest first"
    );
}

#[tokio::test]
async fn with_alerting_off_no_threshold_fires() {
    let srv = TestServer::start(&[
        ("SESSION_ENABLE_ALERTING", "false"),
        ("SESSION_ALERT_CONCURRENT_SESSIONS", "1"),
    ])
    .await;
    srv.add_user("root", "superadmin").await;
    let root = srv.logged_in("root").await;
    let _again = srv.logged_in("root").await;
    sessiond_server::refresh_gauges(&srv.state).await;
    srv.advance(60);
    assert!(sessiond_server::refresh_gauges(&srv.state).await.is_empty());
    let alerts = root.get("/api/admin/alerts").await.body;
    assert_eq!(alerts["alerting"], false);
    assert!(!firing(&alerts, "concurrent_sessions"));
}

#[tokio::test]
async fn the_health_check_sees_a_store_outage_and_a_clock_gone_back() {
    let config = config_with(&[]);
    let store = OutageStore::new(sessiond_server::open_store(&config.server).await.unwrap());
    let srv = TestServer::start_with(config, store.stores()).await;
    srv.add_user("root", "superadmin").await;
    let root = srv.logged_in("root").await;
    assert!(!metric_line(&srv, "sessiond_health_check_ok{check=\"store\"} 1").await);
    sessiond_server::run_health_check(&srv.state).await;
    for check in ["store", "cleanup", "clock"] {
        let line = format!("sessiond_health_check_ok{{check=\"{check}\"}} 1");
        assert!(metric_line(&srv, &line).await, "{line}");
    }
    let health = &root.get("/api/admin/alerts").await.body["health"];
    assert_eq!(health["ok"], true, "{health}");

    store.set_down(true);
    srv.advance(300);
    sessiond_server::run_health_check(&srv.state).await;
    store.set_down(false);
    assert!(metric_line(&srv, "sessiond_health_check_ok{check=\"store\"} 0").await);
    let health = &root.get("/api/admin/alerts").await.body["health"];
    assert_eq!(health["ok"], false);
    let store_check = &health["checks"][0];
    assert_eq!(store_check["name"], "store");
    assert!(
        store_check["detail"]
            .as_str()
            .unwrap()
            .contains("does not answer"),
        "{store_check}"
    );

    srv.advance(-120);
    sessiond_server::run_health_check(&srv.state).await;
    assert!(metric_line(&srv, "sessiond_health_check_ok{check=\"store\"} 1").await);
    assert!(metric_line(&srv, "sessiond_health_check_ok{check=\"clock\"} 0").await);
}

#[tokio::test]
async fn requests_are_counted_by_route_template_and_failed_keepalives_by_class() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    assert_eq!(b.check().await.status, 200);
    assert_eq!(b.keepalive().await.status, 200);
    // A keep-alive without a session does not extend one.
    let r = srv.browser().post("/api/session/keepalive", None).await;
    assert_eq!(r.status / 100, 4, "{}", r.body);
    let id = b.check().await.body["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = b.get(&format!("/api/admin/sessions/{id}")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let text = srv.browser().get("/metrics").await.body;
    let text = text.as_str().unwrap();
    for line in [
        "session_extension_errors_total{status_class=\"4xx\"} 1",
        "sessiond_http_requests_total{method=\"POST\",route=\"/api/session/check\",status_class=\"2xx\"} 2",
        "sessiond_http_requests_total{method=\"POST\",route=\"/api/session/keepalive\",status_class=\"2xx\"} 1",
        // The template, never the id in the path.
        "sessiond_http_requests_total{method=\"GET\",route=\"/api/admin/sessions/{session_id}\",status_class=\"4xx\"} 1",
        "sessiond_http_request_duration_seconds_count{route=\"/api/session/check\"} 2",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    assert!(!text.contains(&id), "a session id in a label");

    let quiet = TestServer::start(&[("SESSION_ENABLE_PERFORMANCE_MONITORING", "false")]).await;
    assert_eq!(quiet.browser().get("/healthz").await.status, 200);
    let text = quiet.browser().get("/metrics").await.body;
    let text = text.as_str().unwrap();
    assert!(text.contains("sessiond_http_requests_total{"), "{text}");
    assert!(
        !text.contains("sessiond_http_request_duration_seconds"),
        "{text}"
    );
}

#[tokio::test]
async fn without_analytics_no_activity_is_recorded_and_no_timeline_served() {
    let srv = TestServer::start(&[("SESSION_FEATURE_ANALYTICS", "false")]).await;
    srv.add_user("root", "superadmin").await;
    let root = srv.logged_in("root").await;
    let id = root.check().await.body["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = root
        .post(
            "/api/session/activity",
            Some(serde_json::json!({"type": "page_view"})),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = root
        .get(&format!("/api/admin/sessions/{id}/timeline"))
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let doc = srv.browser().get("/openapi.json").await.body;
    assert!(doc["paths"].get("/api/session/activity").is_none());
    assert!(
        doc["paths"]
            .get("/api/admin/sessions/{session_id}/timeline")
            .is_none()
    );
    assert!(doc["paths"].get("/api/admin/alerts").is_some());
}

#[tokio::test]
async fn store_operations_are_counted_and_timed_and_an_outage_counted_as_errors() {
    use sessiond_testkit::stores::{Backend, SharedStore};
    let store = SharedStore::new(Backend::Sqlite);
    let srv = TestServer::start_with(config_with(&[]), store.open().await).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    assert_eq!(b.check().await.status, 200);
    let text = srv.browser().get("/metrics").await.body;
    let text = text.as_str().unwrap();
    let count = |prefix: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
    };
    let ops = "sessiond_store_operations_total{role=\"sessions\",operation=\"session_by_token\"}";
    assert!(count(ops) >= 1);
    let timed = "sessiond_store_operation_duration_seconds_count{role=\"sessions\",operation=\"session_by_token\"}";
    assert_eq!(count(timed), count(ops));
    assert_eq!(
        count("sessiond_store_pool_max"),
        9,
        "eight readers and the writer"
    );
    assert_eq!(count("sessiond_store_pool_waiting"), 0);

    let config = config_with(&[]);
    let down = OutageStore::new(sessiond_server::open_store(&config.server).await.unwrap());
    let srv = TestServer::start_with(config, down.stores()).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    down.set_down(true);
    assert_eq!(b.check().await.status, 503);
    down.set_down(false);
    let text = srv.browser().get("/metrics").await.body;
    let prefix = "sessiond_store_errors_total{role=\"sessions\",operation=\"session_by_token\",error=\"unavailable\"} ";
    let text = text.as_str().unwrap();
    let errors: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix(prefix)?.parse().ok())
        .unwrap_or_else(|| panic!("missing {prefix} in\n{text}"));
    assert!(errors >= 1);
    assert!(
        !text.contains("sessiond_store_pool_"),
        "the memory store has no pool"
    );
}
