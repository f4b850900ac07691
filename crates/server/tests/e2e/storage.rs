//! The default SQLite store, end to end: sessions survive a restart, secrets never reach it.

use sessiond_testkit::TestServer;

fn temp_db() -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!(
        "sessiond-e2e-{}",
        sessiond_core::Token::generate().unwrap().hash().to_hex()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("sessiond.db").display());
    (dir, url)
}

#[tokio::test]
async fn sessions_survive_a_restart_on_sqlite() {
    let (dir, url) = temp_db();
    let token = {
        let srv = TestServer::start(&[("SESSIOND_STORE_URL", &url)]).await;
        srv.add_user("alice", "oss").await;
        srv.logged_in("alice").await.token().unwrap()
    };
    let srv = TestServer::start(&[("SESSIOND_STORE_URL", &url)]).await;
    let b = srv.browser();
    b.set_token(Some(&token));
    let r = b.check().await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["username"], "alice");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn the_database_never_holds_a_token_or_csrf_token() {
    let (dir, url) = temp_db();
    let srv = TestServer::start(&[("SESSIOND_STORE_URL", &url)]).await;
    srv.add_user("alice", "oss").await;
    let b = srv.browser();
    let mut secrets = Vec::new();
    let r = b.login("alice", sessiond_testkit::PASSWORD).await;
    secrets.push(r.body["csrf_token"].as_str().unwrap().to_owned());
    secrets.push(b.token().unwrap());
    for _ in 0..2 {
        srv.advance(500);
        b.keepalive().await;
    }
    srv.advance(300);
    let r = b.keepalive().await;
    assert_eq!(r.body["rotated"], true);
    secrets.push(r.body["csrf_token"].as_str().unwrap().to_owned());
    secrets.push(b.token().unwrap());
    b.post("/api/session/logout", None).await;
    drop(srv);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let haystack = String::from_utf8_lossy(&bytes);
    assert!(
        !haystack.contains(sessiond_testkit::PASSWORD),
        "no plaintext password"
    );
    for s in &secrets {
        assert!(
            !haystack.contains(s.as_str()),
            "a secret reached the database files"
        );
    }
    std::fs::remove_dir_all(dir).ok();
}
