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
        (
            "SESSIOND_LDAP_GROUP_ROLES",
            "cn=netadmins, ou=groups, dc=example, dc=org=netadmin",
        ),
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
    let user = srv.state.service.admin().user("alice").await.unwrap();
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
    assert_eq!(wrong.answer(), unknown.answer(), "the same answer for both");
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

/// With the directory down, a directory name and a local name with a wrong password get the
/// same answer, so an outage tells nobody which names are the directory's. The operator sees
/// it in the log and the audit trail.
#[tokio::test]
async fn an_unreachable_directory_answers_directory_and_local_names_alike() {
    let slapd = PrivateSlapd::start();
    let srv = server(&slapd).await;
    srv.add_user("dave", "oss").await;
    slapd.stop();
    let directory = srv.browser().login("alice", LDAP_PASSWORD).await;
    let local = srv.browser().login("dave", "not his password").await;
    assert_eq!(directory.status, 401);
    assert_eq!(
        (directory.status, directory.answer()),
        (local.status, local.answer())
    );
    let failed = srv.audited("LOGIN_FAILED").await;
    assert!(
        failed
            .iter()
            .any(|e| e.details["reason"] == "directory_unavailable"),
        "{failed:?}"
    );
    assert_eq!(
        srv.browser().login("dave", PASSWORD).await.status,
        200,
        "local users carry on"
    );
}

/// A locked account is never bound to the directory (no timing oracle, and the directory's
/// own lockout is not tripped): with the directory gone, a locked name still gets the generic
/// answer, as it would have with it up.
#[tokio::test]
async fn a_locked_account_is_not_checked_against_the_directory() {
    let slapd = PrivateSlapd::start();
    let srv = server_with(&[
        ("SESSIOND_LDAP_URL", &slapd.url()),
        ("SESSIOND_LOGIN_LOCKOUT_THRESHOLD", "2"),
    ])
    .await;
    for _ in 0..2 {
        assert_eq!(srv.browser().login("alice", "wrong one").await.status, 401);
    }
    assert_eq!(srv.audited("ACCOUNT_LOCKED").await.len(), 1);
    // Were the directory asked, its absence would show (a 503, or another reason).
    slapd.stop();
    let r = srv.browser().login("alice", LDAP_PASSWORD).await;
    assert_eq!(
        r.status, 401,
        "locked: the right password gets the generic answer"
    );
    let last = srv.audited("LOGIN_FAILED").await;
    assert_eq!(last[0].details["reason"], "account_locked", "{:?}", last[0]);
    // A variant of the name shares the lockout (NFKC and case folding).
    let r = srv.browser().login("\u{FF21}LICE", LDAP_PASSWORD).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        srv.audited("LOGIN_FAILED").await[0].details["reason"],
        "account_locked"
    );
}

/// A role the directory takes away at login ends the user's other sessions, as
/// `users set-role` does; the login itself gets the new role.
#[tokio::test]
async fn a_role_change_seen_at_directory_login_ends_the_other_sessions() {
    let slapd = PrivateSlapd::start();
    // Two nodes on one store whose mappings differ, as if alice had left the netadmins group
    // between her two logins.
    let shared =
        sessiond_testkit::stores::SharedStore::new(sessiond_testkit::stores::Backend::Memory);
    let url = slapd.url();
    let vars = |roles| {
        sessiond_testkit::config_with(&[
            ("SESSIOND_LDAP_URL", url.as_str()),
            (
                "SESSIOND_LDAP_USER_DN",
                "uid={username},ou=people,dc=example,dc=org",
            ),
            ("SESSIOND_LDAP_GROUP_BASE", "ou=groups,dc=example,dc=org"),
            ("SESSIOND_LDAP_GROUP_ROLES", roles),
        ])
    };
    let before = TestServer::start_with(
        vars("cn=netadmins,ou=groups,dc=example,dc=org=netadmin"),
        shared.open().await,
    )
    .await;
    let after = TestServer::start_with(
        vars("cn=other,ou=groups,dc=example,dc=org=netadmin"),
        shared.open().await,
    )
    .await;
    let old = before.browser();
    assert_eq!(
        old.login("alice", LDAP_PASSWORD).await.body["role"],
        "netadmin"
    );
    let new = after.browser();
    let r = new.login("alice", LDAP_PASSWORD).await;
    assert_eq!((r.status, r.body["role"].as_str()), (200, Some("oss")));
    assert_eq!(
        old.check().await.body["code"],
        "revoked",
        "the netadmin session ended"
    );
    assert_eq!(new.check().await.status, 200);
}

/// The password travels only inside TLS: LDAPS and StartTLS, with the server's certificate
/// checked against the configured CA. A certificate the CA did not sign is never a login: the
/// directory counts as unreachable.
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
        assert_eq!(r.status, 401, "never a login: {vars:?}");
        let failed = srv.audited("LOGIN_FAILED").await;
        assert_eq!(
            failed[0].details["reason"], "directory_unavailable",
            "{vars:?}"
        );
    }
}

/// Second review, item 2: with LDAP on, a backend API key cannot create a local user under a
/// name the directory has (it would then own that name, with a role of its choosing). A name
/// the directory does not have is created; a directory that cannot be asked refuses with 503.
#[tokio::test]
async fn a_key_cannot_create_a_user_under_a_directory_users_name() {
    use sessiond_core::api_key::Scope;
    use sessiond_core::service::NewApiKey;
    let slapd = PrivateSlapd::start();
    let srv = server(&slapd).await;
    let key = srv
        .state
        .service
        .admin()
        .create_api_key(NewApiKey::new("shop", &[Scope::SessionsWrite]).roles(&["oss"]))
        .await
        .unwrap();
    let auth = format!("Bearer {}", key.expose());
    let create = |name: &str| {
        let body = serde_json::json!({"username": name, "create_user": true});
        let b = srv.browser();
        let auth = auth.clone();
        async move {
            b.request_with(
                reqwest::Method::POST,
                "/api/v1/sessions",
                Some(body),
                &[("authorization", &auth)],
            )
            .await
        }
    };
    let r = create("alice").await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("user_in_directory")),
        "{}",
        r.body
    );
    assert!(srv.state.service.admin().user("alice").await.is_err());
    assert_eq!(create("zed").await.status, 201, "not the directory's");
    slapd.stop();
    let r = create("yan").await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (503, Some("directory_unavailable")),
        "{}",
        r.body
    );
    assert!(srv.state.service.admin().user("yan").await.is_err());
}
