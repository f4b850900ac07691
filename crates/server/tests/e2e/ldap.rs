//! LDAP login against a real OpenLDAP `slapd` (seed 000's `windows_ad` auth method).

use sessiond_testkit::{LDAP_PASSWORD, PASSWORD, PrivateSlapd, TestServer};

async fn server(slapd: &PrivateSlapd) -> TestServer {
    let url = slapd.url();
    TestServer::start(&[
        ("SESSIOND_LDAP_URL", &url),
        (
            "SESSIOND_LDAP_USER_DN",
            "uid={username},ou=people,dc=example,dc=org",
        ),
        ("SESSIOND_LDAP_GROUP_BASE", "ou=groups,dc=example,dc=org"),
        ("SESSIOND_LDAP_GROUP_ROLES", "netadmins=netadmin"),
        ("SESSIOND_LDAP_DEFAULT_ROLE", "oss"),
    ])
    .await
}

#[tokio::test]
async fn directory_users_log_in_and_their_groups_give_their_role() {
    let slapd = PrivateSlapd::start();
    let srv = server(&slapd).await;

    let alice = srv.browser();
    let r = alice.login("alice", LDAP_PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["role"], "netadmin", "member of netadmins");
    let user = srv.state.service.user("alice").await.unwrap();
    assert_eq!(user.auth_method.as_str(), "ldap");
    assert_eq!(user.display_name, "Alice Admin");
    assert!(
        user.password_hash.is_none(),
        "the directory keeps the password"
    );

    let r = srv.browser().login("bob", "bob password").await;
    assert_eq!((r.status, r.body["role"].as_str()), (200, Some("oss")));

    let wrong = srv.browser().login("alice", "not her password").await;
    let unknown = srv.browser().login("carol", "whatever it is").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.body, unknown.body, "the same answer for both");
    for forged in ["*", "alice,ou=people", "alice)(uid=*", "uid=alice"] {
        let r = srv.browser().login(forged, LDAP_PASSWORD).await;
        assert_ne!(r.status, 200, "{forged:?} must not log in");
    }
}

#[tokio::test]
async fn local_users_still_use_their_own_password() {
    let slapd = PrivateSlapd::start();
    let srv = server(&slapd).await;
    srv.add_user("dave", "oss").await;
    assert_eq!(srv.browser().login("dave", PASSWORD).await.status, 200);
    assert_eq!(
        srv.browser().login("dave", "wrong").await.status,
        401,
        "a local user is not looked up in the directory"
    );
}

#[tokio::test]
async fn an_unreachable_directory_is_a_503_not_a_wrong_password() {
    let slapd = PrivateSlapd::start();
    let srv = server(&slapd).await;
    slapd.stop();
    let r = srv.browser().login("alice", LDAP_PASSWORD).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (503, Some("directory_unavailable"))
    );
    assert!(r.header("retry-after").is_some());
}
