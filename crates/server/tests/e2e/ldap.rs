//! LDAP login against a real OpenLDAP `slapd` (seed 000's `windows_ad` auth method).

use sessiond_testkit::{LDAP_PASSWORD, PASSWORD, PrivateSlapd, TestServer};

async fn server(slapd: &PrivateSlapd) -> TestServer {
    server_with(&[("SESSIOND_LDAP_URL", &slapd.url())]).await
}

async fn server_with(vars: &[(&str, &str)]) -> TestServer {
    let mut all = vars.to_vec();
    all.extend([
        (
            "SESSIOND_LDAP_USER_DN",
            "uid={username},ou=people,dc=example,dc=org",
        ),
        ("SESSIOND_LDAP_GROUP_BASE", "ou=groups,dc=example,dc=org"),
        ("SESSIOND_LDAP_GROUP_ROLES", "netadmins=netadmin"),
        ("SESSIOND_LDAP_DEFAULT_ROLE", "oss"),
    ]);
    TestServer::start(&all).await
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

/// The password travels only inside TLS: LDAPS and StartTLS, with the server's certificate
/// checked against the configured CA. A certificate the CA did not sign is a 503, never a login.
#[tokio::test]
async fn ldaps_and_starttls_verify_the_servers_certificate() {
    let slapd = PrivateSlapd::start();
    let ca = slapd.ca_file().display().to_string();
    let (ldap, ldaps) = (slapd.url(), slapd.ldaps_url());
    for vars in [
        vec![
            ("SESSIOND_LDAP_URL", ldaps.as_str()),
            ("SESSIOND_LDAP_CA_FILE", &ca),
        ],
        vec![
            ("SESSIOND_LDAP_URL", ldap.as_str()),
            ("SESSIOND_LDAP_STARTTLS", "true"),
            ("SESSIOND_LDAP_CA_FILE", &ca),
        ],
    ] {
        let srv = server_with(&vars).await;
        let r = srv.browser().login("alice", LDAP_PASSWORD).await;
        assert_eq!(
            (r.status, r.body["role"].as_str()),
            (200, Some("netadmin")),
            "{vars:?}"
        );
        let r = srv.browser().login("alice", "not her password").await;
        assert_eq!(r.status, 401, "{vars:?}");
    }
    // Without the CA, the system's roots do not vouch for the test server.
    for vars in [
        vec![("SESSIOND_LDAP_URL", ldaps.as_str())],
        vec![
            ("SESSIOND_LDAP_URL", ldap.as_str()),
            ("SESSIOND_LDAP_STARTTLS", "true"),
        ],
    ] {
        let srv = server_with(&vars).await;
        let r = srv.browser().login("alice", LDAP_PASSWORD).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (503, Some("directory_unavailable")),
            "{vars:?}"
        );
    }
}
