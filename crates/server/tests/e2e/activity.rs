//! `POST /api/session/activity`: the browser records an activity of its own session (seed
//! 002), kept in the audit trail and counted as activity, within a rate and a size, and only
//! with the session's CSRF token.

use serde_json::json;
use sessiond_testkit::TestServer;

#[tokio::test]
async fn an_activity_is_audited_against_the_session_and_counts_as_activity() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    let before = b.check().await.body["idle_expires_at"].clone();
    srv.advance(120);
    let body = json!({"type": "report_viewed", "details": {"report": "ports", "rows": 12}});
    let r = b.post("/api/session/activity", Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["extended"], true);
    assert_ne!(r.body["idle_expires_at"], before, "the idle deadline moved");
    let token = b.token();
    let events = srv.audited("SESSION_ACTIVITY").await;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.session_id.unwrap().to_string(), r.body["session_id"]);
    assert_eq!(event.details["activity"], "report_viewed");
    assert_eq!(event.details["by"], "browser");
    assert_eq!(
        event.details["details"],
        json!({"report": "ports", "rows": 12})
    );
    assert_eq!(b.token(), token, "an activity never renews the token");
}

#[tokio::test]
async fn an_activity_needs_a_session_its_csrf_token_a_valid_type_and_small_details() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let stranger = srv.browser();
    let r = stranger
        .post("/api/session/activity", Some(json!({"type": "x"})))
        .await;
    assert_eq!((r.status, &r.body["code"]), (401, &json!("no_session")));

    let b = srv.logged_in("alice").await;
    let csrf = b.csrf();
    b.set_csrf(None);
    let r = b
        .post("/api/session/activity", Some(json!({"type": "x"})))
        .await;
    assert_eq!((r.status, &r.body["code"]), (403, &json!("csrf_failed")));
    b.set_csrf(csrf.as_deref());

    for bad in [
        json!({"type": "two words"}),
        json!({"type": "x", "extra": 1}),
    ] {
        let r = b.post("/api/session/activity", Some(bad.clone())).await;
        assert_eq!(
            (r.status, &r.body["code"]),
            (400, &json!("invalid_request")),
            "{bad}"
        );
    }
    let big = json!({"type": "x", "details": {"text": "a".repeat(8300)}});
    let r = b.post("/api/session/activity", Some(big)).await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (413, &json!("payload_too_large"))
    );
    assert!(srv.audited("SESSION_ACTIVITY").await.is_empty());
}

#[tokio::test]
async fn a_session_records_at_most_sixty_activities_a_minute() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    for i in 0..60 {
        let r = b
            .post("/api/session/activity", Some(json!({"type": "tick"})))
            .await;
        assert_eq!(r.status, 200, "activity {i}: {}", r.body);
    }
    let r = b
        .post("/api/session/activity", Some(json!({"type": "tick"})))
        .await;
    assert_eq!((r.status, &r.body["code"]), (429, &json!("rate_limited")));
    assert!(r.header("retry-after").is_some());
    srv.advance(61);
    let r = b
        .post("/api/session/activity", Some(json!({"type": "tick"})))
        .await;
    assert_eq!(r.status, 200, "a minute later: {}", r.body);
    assert_eq!(srv.audited("SESSION_ACTIVITY").await.len(), 61);
}
