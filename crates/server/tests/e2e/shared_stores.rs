//! The real server on the stores several nodes share (PostgreSQL, Redis, Redis Cluster): the
//! same flows as on SQLite, through HTTP, each in a namespace of its own (schema, key prefix).

use std::time::{Duration, Instant};

use sessiond_testkit::stores::{Backend, SharedStore};
use sessiond_testkit::{TestServer, config_with};

/// Login, keep-alive, a second device that logs out, logout everywhere from a third, and a
/// session that survives a restart of the server. Returns the secrets handed to clients.
async fn scenario(store: &SharedStore, kind: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    let token = {
        let srv = TestServer::start_with(config_with(&[]), store.open().await).await;
        srv.add_user("alice", "oss").await;
        let b = srv.browser();
        let r = b.login("alice", sessiond_testkit::PASSWORD).await;
        secrets.push(r.body["csrf_token"].as_str().unwrap().to_owned());
        secrets.push(b.token().unwrap());
        srv.advance(100);
        assert_eq!(b.keepalive().await.status, 200);
        let other = srv.logged_in("alice").await;
        secrets.push(other.token().unwrap());
        assert_eq!(other.post("/api/session/logout", None).await.status, 200);
        let replay = srv.browser();
        replay.set_token(secrets.last().map(String::as_str));
        assert_eq!(replay.check().await.body["code"], "logged_out");
        let third = srv.logged_in("alice").await;
        let r = third
            .post(
                "/api/session/logout-all",
                Some(serde_json::json!({"keep_current": true})),
            )
            .await;
        assert_eq!(r.body["ended_sessions"], 1);
        assert_eq!(third.get("/api/session/sessions").await.body["count"], 1);
        assert_eq!(b.get("/readyz").await.body["store"], kind);
        assert_eq!(
            b.check().await.body["code"],
            "logged_out",
            "logged out everywhere"
        );
        third.token().unwrap()
    };
    let srv = TestServer::start_with(config_with(&[]), store.open().await).await;
    let b = srv.browser();
    b.set_token(Some(&token));
    let r = b.check().await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["username"], "alice");
    secrets
}

/// The scenario above on each shared store, and nothing handed to a client found at rest (the
/// Cluster spreads its keys over three servers; the single Redis is read whole).
async fn sessions_work_end_to_end(backend: Backend) {
    let store = SharedStore::new(backend);
    let kind = match backend {
        Backend::Postgres => "postgres",
        Backend::Redis => "redis",
        _ => "redis-cluster",
    };
    let secrets = scenario(&store, kind).await;
    match backend {
        Backend::Postgres => assert_no_secret_in_postgres(store.name(), &secrets).await,
        Backend::Redis => assert_no_secret_in_redis(store.name(), &secrets).await,
        _ => {}
    }
}

mod sessions_work_end_to_end {
    sessiond_testkit::on_every_shared_store!(super::sessions_work_end_to_end);
}

/// A browser holding `token` on `srv`, with the CSRF token a check hands out.
async fn on(srv: &TestServer, token: &str) -> sessiond_testkit::Browser {
    let browser = srv.browser();
    browser.set_token(Some(token));
    browser.check().await;
    browser
}

/// Two nodes on one store behave as one service: what one ends, the other refuses at once.
async fn two_nodes_act_as_one(backend: Backend) {
    let store = SharedStore::new(backend);
    let a = TestServer::start_with(config_with(&[]), store.open().await).await;
    let b = TestServer::start_with(config_with(&[]), store.open().await).await;
    a.add_user("alice", "oss").await;

    // Logged in on A, known on B; logged out on B, refused on A.
    let t1 = a.logged_in("alice").await.token().unwrap();
    assert_eq!(on(&b, &t1).await.check().await.status, 200);
    assert_eq!(
        on(&b, &t1)
            .await
            .post("/api/session/logout", None)
            .await
            .status,
        200
    );
    assert_eq!(on(&a, &t1).await.check().await.body["code"], "logged_out");

    // Revoked from A, refused on B.
    let t2 = b.logged_in("alice").await.token().unwrap();
    let t3 = a.logged_in("alice").await.token().unwrap();
    let id2 = on(&b, &t2).await.check().await.body["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        on(&a, &t3)
            .await
            .delete(&format!("/api/session/sessions/{id2}"))
            .await
            .status,
        200
    );
    assert_eq!(on(&b, &t2).await.check().await.body["code"], "revoked");

    // Logged out everywhere from B, refused on A.
    assert_eq!(
        on(&b, &t3)
            .await
            .post("/api/session/logout-all", None)
            .await
            .status,
        200
    );
    assert_eq!(on(&a, &t3).await.check().await.body["code"], "logged_out");
}

mod two_nodes_act_as_one {
    sessiond_testkit::on_every_shared_store!(super::two_nodes_act_as_one);
}

/// Two nodes' configuration with `SESSION_FEATURE_CACHING` on, and cached copies that never age
/// out in a test (the longest TTL, clock stopped): only an invalidation notice can end them.
pub(crate) fn cached_config() -> sessiond_server::Config {
    config_with(&[
        ("SESSION_FEATURE_CACHING", "true"),
        ("SESSIOND_CACHE_TTL_SECONDS", "60"),
    ])
}

/// Logs alice in on node A, waits until node B answers her checks from its cache, ends the
/// session on A (`how`: logout, revoke, logout-all) and asserts B refuses it within 100 ms of A's
/// answer. Only the notice sent over the store's channel can make B refuse it.
pub(crate) async fn ended_on_a_is_refused_by_cached_b(a: &TestServer, b: &TestServer, how: &str) {
    let on_a = a.logged_in("alice").await;
    let on_b = b.browser();
    on_b.set_token(on_a.token().as_deref());
    b.wait_for_cache_hit(&on_b).await;

    let ended = Instant::now();
    let status = match how {
        "logout" => on_a.post("/api/session/logout", None).await.status,
        "revoke" => {
            let id = on_a.check().await.body["session_id"]
                .as_str()
                .unwrap()
                .to_owned();
            let admin = a.logged_in("alice").await;
            admin
                .delete(&format!("/api/session/sessions/{id}"))
                .await
                .status
        }
        _ => on_a.post("/api/session/logout-all", None).await.status,
    };
    assert_eq!(status, 200, "{how} on node A");
    let acknowledged = ended.elapsed();
    let refused_after = loop {
        if on_b.check().await.status == 401 {
            break ended.elapsed();
        }
        assert!(
            ended.elapsed() < Duration::from_secs(5),
            "node B still accepts the session 5 s after {how} on node A"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    assert!(
        refused_after - acknowledged < Duration::from_millis(100),
        "node B refused the session {refused_after:?} after {how} on node A \
         (acknowledged after {acknowledged:?})"
    );
}

async fn cached_nodes_refuse_ended_sessions_within_100ms(backend: Backend) {
    let store = SharedStore::new(backend);
    let a = TestServer::start_with(cached_config(), store.open().await).await;
    let b = TestServer::start_with(cached_config(), store.open().await).await;
    a.add_user("alice", "oss").await;
    for how in ["logout", "revoke", "logout-all"] {
        ended_on_a_is_refused_by_cached_b(&a, &b, how).await;
    }
}

mod cached_nodes_refuse_ended_sessions_within_100ms {
    sessiond_testkit::on_every_shared_store!(
        super::cached_nodes_refuse_ended_sessions_within_100ms
    );
}

/// Every row of every table, as text, contains none of the secrets handed to clients.
async fn assert_no_secret_in_postgres(schema: &str, secrets: &[String]) {
    let url = sessiond_testkit::stores::postgres_url();
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut dump = String::new();
    for table in ["sessions", "users", "audit_events"] {
        let sql = format!("SELECT COALESCE(string_agg(t::text, ' '), '') FROM {schema}.{table} t");
        dump.push_str(
            &client
                .query_one(&sql, &[])
                .await
                .unwrap()
                .get::<_, String>(0),
        );
    }
    assert_clean(&dump, secrets);
}

/// Every key and value under the prefix contains none of the secrets handed to clients.
async fn assert_no_secret_in_redis(prefix: &str, secrets: &[String]) {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "for k in $(redis-cli --scan --pattern 'test:{prefix}:*'); do echo \"$k\"; \
             t=$(redis-cli type \"$k\"); case $t in string) redis-cli get \"$k\";; hash) redis-cli hgetall \"$k\";; \
             zset) redis-cli zrange \"$k\" 0 -1;; set) redis-cli smembers \"$k\";; stream) redis-cli xrange \"$k\" - +;; esac; done"
        ))
        .output()
        .unwrap();
    assert_clean(&String::from_utf8_lossy(&out.stdout), secrets);
}

fn assert_clean(dump: &str, secrets: &[String]) {
    assert!(dump.contains("alice"), "the dump is real: {dump:.200}");
    assert!(!dump.contains(sessiond_testkit::PASSWORD));
    for s in secrets {
        assert!(!dump.contains(s.as_str()), "a secret reached the store");
    }
}

/// Two nodes on one store, each with its store slowed to 20 ms per operation, share 12
/// parallel logins of one user. The per-user login lock is per node; the count after each
/// create keeps the cap across nodes (row 38).
async fn two_nodes_keep_the_session_cap(backend: Backend) {
    for policy in ["evict_oldest", "deny_new"] {
        let store = SharedStore::new(backend);
        let vars = [
            ("SESSION_MAX_CONCURRENT_PER_USER", "3"),
            ("SESSIOND_CONCURRENT_POLICY", policy),
        ];
        let slow_a = sessiond_testkit::OutageStore::new(store.open().await);
        let slow_b = sessiond_testkit::OutageStore::new(store.open().await);
        let a = TestServer::start_with(config_with(&vars), slow_a.stores()).await;
        let b = TestServer::start_with(config_with(&vars), slow_b.stores()).await;
        a.add_user("alice", "oss").await;
        for s in [&slow_a, &slow_b] {
            s.set_latency(Duration::from_millis(20));
        }
        let browsers: Vec<_> = (0..12)
            .map(|i| if i % 2 == 0 { a.browser() } else { b.browser() })
            .collect();
        let logins = browsers
            .iter()
            .map(|br| br.login("alice", sessiond_testkit::PASSWORD));
        let statuses: Vec<u16> = futures_util::future::join_all(logins)
            .await
            .into_iter()
            .map(|r| r.status)
            .collect();
        let mut alive = 0;
        for br in &browsers {
            alive += usize::from(br.check().await.status == 200);
        }
        assert!(
            alive <= 3,
            "{policy}: {alive} sessions alive, cap 3: {statuses:?}"
        );
        assert!(alive >= 1, "{policy}: someone got in: {statuses:?}");
        let ok = statuses.iter().filter(|s| **s == 200).count();
        match policy {
            "deny_new" => {
                assert_eq!(ok, alive, "every 200 is a live session: {statuses:?}");
                assert!(
                    statuses.iter().all(|s| *s == 200 || *s == 409),
                    "{statuses:?}"
                );
            }
            _ => assert_eq!(ok, 12, "{statuses:?}"),
        }
    }
}

mod two_nodes_keep_the_session_cap {
    sessiond_testkit::on_every_shared_store!(super::two_nodes_keep_the_session_cap);
}

/// The lockout and the per-address login limit are counted in the store, so failures spread
/// over two nodes lock the account on both, and logins from one address count on both
/// (rows 39 and 40 across nodes).
async fn two_nodes_share_lockouts_and_login_limits(backend: Backend) {
    let store = SharedStore::new(backend);
    let (store_a, store_b) = (store.open().await, store.open().await);
    let vars = [
        ("SESSIOND_LOGIN_LOCKOUT_THRESHOLD", "3"),
        ("SESSIOND_LOGIN_RATE_LIMIT", "8"),
        ("SESSIOND_TRUSTED_PROXIES", "127.0.0.1"),
    ];
    let a = TestServer::start_with(config_with(&vars), store_a).await;
    let b = TestServer::start_with(config_with(&vars), store_b).await;
    a.add_user("alice", "oss").await;
    let login = |srv: &TestServer, password: &str, ip: &'static str| {
        let browser = srv.browser();
        let body = serde_json::json!({"username": "alice", "password": password});
        async move {
            browser
                .request_with(
                    reqwest::Method::POST,
                    "/api/session/login",
                    Some(body),
                    &[("x-forwarded-for", ip)],
                )
                .await
        }
    };
    for (srv, ip) in [(&a, "10.0.0.1"), (&b, "10.0.0.2"), (&a, "10.0.0.3")] {
        assert_eq!(login(srv, "wrong", ip).await.status, 401);
    }
    for srv in [&a, &b] {
        let r = login(srv, sessiond_testkit::PASSWORD, "10.0.0.4").await;
        assert_eq!(r.status, 401, "locked on both nodes: {}", r.body);
    }
    assert_eq!(a.audited("ACCOUNT_LOCKED").await.len(), 1, "locked once");

    // Eight attempts a minute from one address, wherever they land.
    for i in 0..8 {
        let srv = if i % 2 == 0 { &a } else { &b };
        assert_eq!(login(srv, "wrong", "10.0.0.9").await.status, 401);
    }
    let r = login(&b, "wrong", "10.0.0.9").await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (429, Some("rate_limited")),
        "the ninth from one address"
    );
}

mod two_nodes_share_lockouts_and_login_limits {
    sessiond_testkit::on_every_shared_store!(super::two_nodes_share_lockouts_and_login_limits);
}

/// Suspicion scores are kept in the store: a new network seen by node A and another seen by
/// node B add up to the threshold, and a network both see counts once (rows 23 and 24 across
/// nodes).
async fn two_nodes_share_suspicion_scores(backend: Backend) {
    let store = SharedStore::new(backend);
    let (store_a, store_b) = (store.open().await, store.open().await);
    let vars = [("SESSIOND_TRUSTED_PROXIES", "127.0.0.1")];
    let a = TestServer::start_with(config_with(&vars), store_a).await;
    let b = TestServer::start_with(config_with(&vars), store_b).await;
    a.add_user("alice", "oss").await;
    let browser = a.browser();
    let body = serde_json::json!({"username": "alice", "password": sessiond_testkit::PASSWORD});
    let r = browser
        .request_with(
            reqwest::Method::POST,
            "/api/session/login",
            Some(body),
            &[("x-forwarded-for", "10.1.0.1")],
        )
        .await;
    assert_eq!(r.status, 200);
    let token = browser.token().unwrap();
    let check = |srv: &TestServer, ip: &'static str| {
        let b = srv.browser();
        b.set_token(Some(&token));
        async move {
            b.request_with(
                reqwest::Method::POST,
                "/api/session/check",
                None,
                &[("x-forwarded-for", ip)],
            )
            .await
            .status
        }
    };
    assert_eq!(check(&a, "10.2.0.1").await, 200, "5 of 10, on A");
    assert_eq!(
        check(&b, "10.2.0.9").await,
        200,
        "the same network on B adds nothing"
    );
    assert_eq!(
        check(&b, "10.3.0.1").await,
        401,
        "another network on B: 10 of 10"
    );
    assert_eq!(a.audited("SUSPICIOUS_ACTIVITY").await.len(), 1);
}

mod two_nodes_share_suspicion_scores {
    sessiond_testkit::on_every_shared_store!(super::two_nodes_share_suspicion_scores);
}
