//! An expiry is recorded when it is first seen (decision 0047): the request that finds a
//! session past its deadline marks it and records `SESSION_EXPIRED_*` once, however many see it
//! at once, on every store; a check of a live session still writes nothing.

use sessiond_testkit::stores::{Backend, SharedStore};
use sessiond_testkit::{TestServer, config_with};

const AT_ONCE: usize = 20;

async fn an_expiry_is_recorded_once_by_the_requests_that_see_it(backend: Backend) {
    let store = SharedStore::new(backend);
    let vars = [("SESSION_IDLE_TIMEOUT_SECONDS", "600")];
    let srv = TestServer::start_with(config_with(&vars), store.open().await).await;
    let other = TestServer::start_with(config_with(&vars), store.open().await).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    let live = srv.stored_session(&b).await;
    for _ in 0..3 {
        assert_eq!(b.check().await.status, 200);
    }
    let after = srv.stored_session(&b).await;
    assert_eq!(
        after.version, live.version,
        "checks of a live session write nothing"
    );

    srv.advance(700);
    other.advance(700);
    let token = b.token().unwrap();
    let tasks: Vec<_> = (0..AT_ONCE)
        .map(|i| {
            let browser = if i % 2 == 0 {
                srv.browser()
            } else {
                other.browser()
            };
            browser.set_token(Some(&token));
            tokio::spawn(async move { browser.check().await })
        })
        .collect();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (401, Some("expired_idle"))
        );
    }
    // No cleanup ran: the requests recorded it, once.
    let recorded = srv.audited("SESSION_EXPIRED_IDLE").await;
    assert_eq!(recorded.len(), 1, "{backend:?}: {recorded:?}");
    let stored = srv
        .stores
        .sessions
        .session_by_id(&live.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.state, sessiond_core::SessionState::Expired);
    assert_eq!(
        stored.ended_at,
        Some(live.idle_expires_at),
        "ended at its deadline"
    );
    let metrics = |srv: &TestServer| {
        let url = format!("{}/metrics", srv.base);
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let counted: u64 = [metrics(&srv).await, metrics(&other).await]
        .iter()
        .flat_map(|text| text.lines().map(str::to_owned).collect::<Vec<_>>())
        .filter_map(|l| {
            l.strip_prefix("session_expirations_total ")
                .map(|n| n.parse::<u64>().unwrap())
        })
        .sum();
    assert_eq!(counted, 1, "counted once across the nodes");
}

mod an_expiry_is_recorded_once_by_the_requests_that_see_it {
    sessiond_testkit::on_every_store!(
        super::an_expiry_is_recorded_once_by_the_requests_that_see_it
    );
}
