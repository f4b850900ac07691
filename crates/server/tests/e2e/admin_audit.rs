//! The audit trail over the admin API: filters, keyset pages, and the chain's status.

use sessiond_testkit::stores::{Backend, SharedStore};
use sessiond_testkit::{Browser, TestServer, config_with};

async fn pages(root: &Browser, query: &str, limit: u32) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = root
            .get(&format!("/api/admin/audit?limit={limit}{query}{cursor}"))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        for e in r.body["events"].as_array().unwrap() {
            out.push((
                e["seq"].as_u64().unwrap(),
                e["event_type"].as_str().unwrap().to_owned(),
            ));
        }
        match r.body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return out,
        }
    }
}

async fn the_audit_trail_pages_and_verifies(backend: Backend) {
    let store = SharedStore::new(backend);
    let srv = TestServer::start_with(config_with(&[]), store.open().await).await;
    srv.add_user("root", "superadmin").await;
    srv.add_user("alice", "oss").await;
    for _ in 0..3 {
        let b = srv.logged_in("alice").await;
        srv.advance(1);
        b.post("/api/session/logout", None).await;
    }
    let bad = srv.browser().login("alice", "wrong password").await;
    assert_eq!(bad.status, 401);
    let root = srv.logged_in("root").await;

    let all = pages(&root, "", 500).await;
    let paged = pages(&root, "", 2).await;
    assert_eq!(paged, all, "pages of two hold the same records, each once");
    assert!(
        all.windows(2).all(|w| w[0].0 > w[1].0),
        "newest stored first"
    );
    let alice = pages(&root, "&user=alice&type=SESSION_LOGGED_OUT", 1).await;
    assert_eq!(alice.len(), 3, "{alice:?}");
    let failed = pages(&root, "&type=login_failed", 10).await;
    assert_eq!(failed.len(), 1);
    let later = pages(&root, &format!("&since={}", srv.now()), 500).await;
    assert!(later.len() < all.len() && !later.is_empty());
    for bad in ["cursor=x", "limit=501", "type=no-such!", "until=soon"] {
        let r = root.get(&format!("/api/admin/audit?{bad}")).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
    }

    let r = root.get("/api/admin/audit/verify").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["intact"], true, "{}", r.body);
    assert!(r.body["records"].as_u64().unwrap() >= all.len() as u64);
}

mod the_audit_trail_pages_and_verifies {
    sessiond_testkit::on_every_store!(super::the_audit_trail_pages_and_verifies);
}
