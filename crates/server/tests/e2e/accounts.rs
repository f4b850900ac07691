//! An account's life after `users add`: enabled again after a disable, renamed, deleted
//! (docs/api.md has no route for these yet: the CLI and the service make them).

use sessiond_testkit::{PASSWORD, TestServer};

#[tokio::test]
async fn a_disabled_user_is_enabled_again_and_logs_in() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let service = &srv.state.service;
    service.admin().disable_user("alice").await.unwrap();
    assert_eq!(srv.browser().login("alice", PASSWORD).await.status, 401);
    let user = service.admin().enable_user("ALICE").await.unwrap();
    assert!(user.enabled);
    assert_eq!(srv.browser().login("alice", PASSWORD).await.status, 200);
    assert_eq!(srv.audited("USER_ENABLED").await.len(), 1);
    // Enabling an enabled user changes nothing and records nothing.
    service.admin().enable_user("alice").await.unwrap();
    assert_eq!(srv.audited("USER_ENABLED").await.len(), 1);
}

#[tokio::test]
async fn a_renamed_user_logs_in_by_the_new_name_and_their_sessions_end() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    srv.add_user("bob", "oss").await;
    let b = srv.logged_in("alice").await;
    let service = &srv.state.service;
    assert_eq!(
        service
            .admin()
            .rename_user("alice", "Alicia")
            .await
            .unwrap(),
        1
    );
    assert_eq!(b.check().await.body["code"], "revoked");
    assert_eq!(srv.browser().login("alice", PASSWORD).await.status, 401);
    let r = srv.browser().login("alicia", PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["username"], "Alicia");
    let renamed = &srv.audited("USER_RENAMED").await[0];
    assert_eq!(renamed.details["from"], "alice");
    assert_eq!(renamed.details["to"], "Alicia");
    // A name taken (in any case) or outside the rule is refused, and nothing changes.
    assert!(service.admin().rename_user("alicia", "BOB").await.is_err());
    assert!(
        service
            .admin()
            .rename_user("alicia", "two words")
            .await
            .is_err()
    );
    assert_eq!(srv.browser().login("alicia", PASSWORD).await.status, 200);
}

#[tokio::test]
async fn a_deleted_users_sessions_end_and_their_audit_records_stay() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("bob", "oss").await;
    let b = srv.logged_in("bob").await;
    let service = &srv.state.service;
    assert_eq!(service.admin().delete_user("bob").await.unwrap(), 1);
    assert_eq!(b.check().await.body["code"], "revoked");
    assert_eq!(srv.browser().login("bob", PASSWORD).await.status, 401);
    assert!(service.admin().user("bob").await.is_err());
    let logins = srv.audited("LOGIN_SUCCESS").await;
    assert!(logins.iter().any(|e| e.username.as_deref() == Some("bob")));
    let deleted = &srv.audited("USER_DELETED").await[0];
    assert_eq!(deleted.username.as_deref(), Some("bob"));
    // The name is free for someone new, who is not the old bob.
    srv.add_user("bob", "netadmin").await;
    let r = srv.logged_in("bob").await.check().await;
    assert_eq!(r.body["role"], "netadmin");
}

#[tokio::test]
async fn the_last_superadmin_cannot_be_deleted() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("root", "superadmin").await;
    let service = &srv.state.service;
    let refused = service.admin().delete_user("root").await.unwrap_err();
    assert!(refused.to_string().contains("last superadmin"), "{refused}");
    srv.add_user("second", "superadmin").await;
    service.admin().delete_user("root").await.unwrap();
}
