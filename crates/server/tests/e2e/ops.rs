//! Health, readiness, metrics, the audit trail and cleanup, seen from outside.

use sessiond_core::audit::AuditQuery;
use sessiond_core::service::{CleanupOptions, CleanupPhase};
use sessiond_testkit::TestServer;

#[tokio::test]
async fn health_and_readiness_answer() {
    let srv = TestServer::start(&[]).await;
    let b = srv.browser();
    let r = b.get("/healthz").await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ok")));
    let r = b.get("/readyz").await;
    assert_eq!((r.status, r.body["store"].as_str()), (200, Some("memory")));
}

#[tokio::test]
async fn metrics_and_health_endpoints_can_be_switched_off() {
    let srv = TestServer::start(&[
        ("SESSION_ENABLE_METRICS_COLLECTION", "false"),
        ("SESSION_ENABLE_HEALTH_CHECKS", "false"),
    ])
    .await;
    let b = srv.browser();
    for path in ["/metrics", "/healthz", "/readyz"] {
        assert_eq!(b.get(path).await.status, 404, "{path}");
    }
}

#[tokio::test]
async fn metrics_count_the_seed_metrics_and_logins() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    srv.browser().login("alice", "wrong password").await;
    srv.advance(10);
    b.keepalive().await;
    srv.advance(700);
    srv.state
        .service
        .admin()
        .cleanup(
            &CleanupOptions {
                phases: vec![CleanupPhase::Expire],
                max_batches: None,
                dry_run: false,
            },
            &|_| {},
        )
        .await
        .unwrap();
    sessiond_server::refresh_gauges(&srv.state).await;
    let text = reqwest::get(format!("{}/metrics", srv.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "session_extensions_total 1",
        "session_expirations_total 1",
        "session_duration_seconds_count 1",
        "active_sessions 0",
        "session_logins_total{result=\"success\"} 1",
        "session_logins_total{result=\"failure\"} 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
}

#[tokio::test]
async fn every_session_event_is_audited_with_who_where_and_when() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    let id = b.check().await.body["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    srv.advance(10);
    b.keepalive().await;
    b.post("/api/session/logout", None).await;
    let events = srv
        .stores
        .audit
        .audit_events(&AuditQuery {
            username: Some("alice".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    let types: Vec<_> = events.iter().rev().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "USER_CREATED",
            "LOGIN_SUCCESS",
            "SESSION_CREATED",
            "SESSION_EXTENDED",
            "SESSION_LOGGED_OUT"
        ]
    );
    let logout = &events[0];
    assert_eq!(logout.session_id.unwrap().to_string(), id);
    assert_eq!(logout.ip.as_deref(), Some("127.0.0.1"));
    assert!(logout.user_agent.as_deref().unwrap().contains("Firefox"));
    assert_eq!(logout.at, srv.now());
    assert_eq!(logout.details["duration_seconds"], 10);
}

/// Runs the cleanup now, as the background job would.
async fn cleanup(srv: &TestServer, opts: &CleanupOptions) -> sessiond_core::service::CleanupReport {
    srv.state
        .service
        .admin()
        .cleanup(opts, &|_| {})
        .await
        .unwrap()
}

/// Audit writes so far, as `/metrics` counts them.
async fn audit_appends(srv: &TestServer) -> u64 {
    let text = srv.browser().get("/metrics").await.body;
    let prefix = "sessiond_store_operations_total{role=\"audit\",operation=\"append_audit\"} ";
    let text = text.as_str().unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(prefix)?.parse().ok())
        .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
}

/// A cleanup batch expires its sessions side by side, so the auditor commits their records
/// together: one after the other, each expiry waited for an audit write of its own, and a
/// million expiries took a million commits (docs/performance.md, "Cleanup").
#[tokio::test]
async fn a_cleanup_batchs_expiries_share_their_audit_writes() {
    let srv = TestServer::start(&[
        ("SESSION_MAX_CONCURRENT_PER_USER", "100"),
        ("SESSIOND_LOGIN_RATE_LIMIT", "1000"),
    ])
    .await;
    srv.add_user("alice", "oss").await;
    for _ in 0..32 {
        srv.logged_in("alice").await;
    }
    srv.advance(601);
    let before = audit_appends(&srv).await;
    let opts = CleanupOptions {
        phases: vec![CleanupPhase::Expire],
        max_batches: None,
        dry_run: false,
    };
    let report = cleanup(&srv, &opts).await;
    assert_eq!(report.expired, 32);
    let writes = audit_appends(&srv).await - before;
    assert!(writes <= 8, "{writes} audit writes for 32 expiries");
}

#[tokio::test]
async fn cleanup_expires_in_batches_and_the_session_then_says_expired() {
    let srv = TestServer::start(&[("SESSION_CLEANUP_BATCH_SIZE", "2")]).await;
    srv.add_user("alice", "oss").await;
    let browsers = [
        srv.logged_in("alice").await,
        srv.logged_in("alice").await,
        srv.logged_in("alice").await,
    ];
    srv.advance(601);
    let opts = CleanupOptions {
        phases: CleanupPhase::ALL.to_vec(),
        max_batches: None,
        dry_run: true,
    };
    let dry = cleanup(&srv, &opts).await;
    assert_eq!(dry.expired, 3);
    let opts = CleanupOptions {
        dry_run: false,
        ..opts
    };
    let report = cleanup(&srv, &opts).await;
    assert_eq!(report.expired, 3);
    assert!(
        report.batches >= 2,
        "batch size 2 needs two batches for three sessions"
    );
    for b in &browsers {
        assert_eq!(b.check().await.body["code"], "expired_idle");
    }
    let q = AuditQuery {
        username: Some("alice".into()),
        limit: 10,
        ..Default::default()
    };
    let events = srv.stores.audit.audit_events(&q).await.unwrap();
    let expired = events
        .iter()
        .filter(|e| e.event_type == "SESSION_EXPIRED_IDLE")
        .count();
    assert_eq!(expired, 3);
    // A week later the records are purged.
    srv.advance(8 * 86_400);
    let report = cleanup(&srv, &opts).await;
    assert_eq!(report.purged_sessions, 3);
}

/// Every response names its request (`X-Request-Id`): the id the log lines of that request
/// carry, so a 5xx a client reports can be found in the log.
#[tokio::test]
async fn every_response_carries_its_request_id() {
    let srv = sessiond_testkit::TestServer::start(&[]).await;
    let b = srv.browser();
    let first = b.get("/healthz").await;
    let second = b.check().await;
    let ids: Vec<_> = [&first, &second]
        .iter()
        .map(|r| r.header("x-request-id").unwrap().to_owned())
        .collect();
    assert_ne!(ids[0], ids[1]);
    assert!(ids.iter().all(|id| id.len() > 9), "{ids:?}");
}

/// Second review: a request id tells nothing of how many requests the node has served. Ids of
/// consecutive requests are unique, 128 random-looking bits, share no prefix, and do not rise.
#[tokio::test]
async fn request_ids_do_not_count_the_nodes_requests() {
    let srv = sessiond_testkit::TestServer::start(&[]).await;
    let b = srv.browser();
    let mut ids = Vec::new();
    for _ in 0..64 {
        ids.push(
            b.get("/healthz")
                .await
                .header("x-request-id")
                .unwrap()
                .to_owned(),
        );
    }
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len());
    assert!(
        ids.iter()
            .all(|id| id.len() == 32 && id.bytes().all(|c| c.is_ascii_hexdigit())),
        "{ids:?}"
    );
    let shared = |a: &str, b: &str| a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    assert!(
        ids.windows(2).all(|w| shared(&w[0], &w[1]) < 6),
        "consecutive ids share a prefix: {ids:?}"
    );
    let rising = ids.windows(2).filter(|w| w[0] < w[1]).count();
    assert!(
        (10..=53).contains(&rising),
        "ids follow the count: {rising} of 63 rise"
    );
}

/// A sweep role that counts how often the active sessions are counted.
struct CountingSweep {
    inner: std::sync::Arc<dyn sessiond_core::store::SessionSweep>,
    counts: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl sessiond_core::store::SessionSweep for CountingSweep {
    async fn count_active_sessions(
        &self,
        now: sessiond_core::Timestamp,
    ) -> sessiond_core::store::StoreResult<u64> {
        self.counts
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.count_active_sessions(now).await
    }
    async fn sessions_due(
        &self,
        now: sessiond_core::Timestamp,
        limit: u32,
    ) -> sessiond_core::store::StoreResult<Vec<sessiond_core::Session>> {
        self.inner.sessions_due(now, limit).await
    }
    async fn count_sessions_due(
        &self,
        now: sessiond_core::Timestamp,
    ) -> sessiond_core::store::StoreResult<u64> {
        self.inner.count_sessions_due(now).await
    }
    async fn purge_sessions(
        &self,
        before: sessiond_core::Timestamp,
        limit: u32,
    ) -> sessiond_core::store::StoreResult<u64> {
        self.inner.purge_sessions(before, limit).await
    }
    async fn count_purgeable_sessions(
        &self,
        before: sessiond_core::Timestamp,
    ) -> sessiond_core::store::StoreResult<u64> {
        self.inner.count_purgeable_sessions(before).await
    }
}

/// Second review, L10: a scrape reads memory only; the active-sessions gauge is read by a job,
/// once an interval, from the tallies the store keeps as sessions change: no count of the
/// sessions, per scrape or per interval.
#[tokio::test]
async fn a_scrape_never_counts_the_sessions_in_the_store() {
    let mut stores = sessiond_core::memory::MemoryStore::stores();
    let sweep = std::sync::Arc::new(CountingSweep {
        inner: stores.sweep.clone(),
        counts: Default::default(),
    });
    stores.sweep = sweep.clone();
    let srv = TestServer::start_with(sessiond_testkit::config_with(&[]), stores).await;
    srv.add_user("alice", "oss").await;
    let _a = srv.logged_in("alice").await;
    let _b = srv.logged_in("alice").await;
    for _ in 0..5 {
        assert_eq!(srv.browser().get("/metrics").await.status, 200);
    }
    assert_eq!(sweep.counts.load(std::sync::atomic::Ordering::SeqCst), 0);
    let job =
        sessiond_server::spawn_gauges(srv.state.clone(), std::time::Duration::from_secs(3600));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let text = srv.browser().get("/metrics").await.body;
        if text
            .as_str()
            .unwrap()
            .lines()
            .any(|l| l == "active_sessions 2")
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{text}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    job.abort();
    assert_eq!(
        sweep.counts.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "read from the tallies"
    );
}

/// Second review, L10: `/metrics` is not public. With `SESSIOND_METRICS_TOKEN` a scrape must
/// send it; without a token it answers only this host.
#[tokio::test]
async fn metrics_need_the_token_when_one_is_set() {
    let token = "a-metrics-token-0123456789";
    let srv = TestServer::start(&[("SESSIOND_METRICS_TOKEN", token)]).await;
    let b = srv.browser();
    let r = b.get("/metrics").await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (401, Some("invalid_metrics_token"))
    );
    for wrong in ["Bearer a-metrics-token-012345678", "Basic eDp5"] {
        let r = b
            .request_with(
                reqwest::Method::GET,
                "/metrics",
                None,
                &[("authorization", wrong)],
            )
            .await;
        assert_eq!(r.status, 401, "{wrong}");
    }
    let auth = format!("Bearer {token}");
    let r = b
        .request_with(
            reqwest::Method::GET,
            "/metrics",
            None,
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.as_str().unwrap().contains("session_logins"));
}
