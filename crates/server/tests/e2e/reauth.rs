//! Fresh authentication and the user's own password change: docs/security.md rows 16, 34, 35, 37.

use serde_json::json;
use sessiond_testkit::{PASSWORD, TestServer};

/// Revoking the others while staying signed in follows one rule whether it is done one at a time
/// or with `logout-all {keep_current: true}`: fresh authentication. Logging out everywhere,
/// this browser included, is a logout and needs none.
#[tokio::test]
async fn logout_all_keeping_this_session_needs_fresh_authentication_as_a_revocation_does() {
    let srv = TestServer::start(&[("SESSIOND_REAUTH_WINDOW_SECONDS", "60")]).await;
    srv.add_user("alice", "oss").await;
    let (a1, a2) = (srv.logged_in("alice").await, srv.logged_in("alice").await);
    srv.advance(61);
    let keep = Some(json!({"keep_current": true}));
    let r = a1.post("/api/session/logout-all", keep.clone()).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("reauth_required"))
    );
    let a2_id = session_id(&a2.check().await);
    let r = a1.delete(&format!("/api/session/sessions/{a2_id}")).await;
    assert_eq!(r.body["code"], "reauth_required", "the same rule");
    assert_eq!(a2.check().await.status, 200, "nothing was ended");

    let r = a1
        .post("/api/session/reauth", Some(json!({"password": PASSWORD})))
        .await;
    assert_eq!(r.status, 200);
    let r = a1.post("/api/session/logout-all", keep).await;
    assert_eq!(
        (r.status, r.body["ended_sessions"].as_u64()),
        (200, Some(1))
    );
    assert_eq!(a2.check().await.status, 401);
    assert_eq!(a1.check().await.status, 200);

    let a3 = srv.logged_in("alice").await;
    srv.advance(61);
    let r = a1.post("/api/session/logout-all", None).await;
    assert_eq!(
        r.status, 200,
        "everywhere, this browser included: {}",
        r.body
    );
    assert_eq!(a3.check().await.status, 401);
}

fn session_id(r: &sessiond_testkit::Resp) -> String {
    r.body["session_id"].as_str().unwrap().to_owned()
}

/// Rows 35 and 37 (ASVS 4: 3.3.4, 3.7.1 · 5: 7.5.1, 7.5.2, 7.5.3): revoking another of one's
/// sessions needs a password entered within the window; re-entering it gives a new session
/// (new id, token and CSRF token) that may.
#[tokio::test]
async fn row37_revoking_another_session_needs_fresh_authentication() {
    let srv = TestServer::start(&[("SESSIOND_REAUTH_WINDOW_SECONDS", "60")]).await;
    srv.add_user("alice", "oss").await;
    let (a1, a2, a3) = (
        srv.logged_in("alice").await,
        srv.logged_in("alice").await,
        srv.logged_in("alice").await,
    );
    let a2_id = session_id(&a2.check().await);
    let a3_id = session_id(&a3.check().await);
    let r = a1.delete(&format!("/api/session/sessions/{a2_id}")).await;
    assert_eq!(r.status, 200, "a fresh login may: {:?}", r.body);

    srv.advance(61);
    let r = a1.delete(&format!("/api/session/sessions/{a3_id}")).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("reauth_required"))
    );
    assert_eq!(a3.check().await.status, 200, "nothing was revoked");
    let r = a1
        .delete(&format!(
            "/api/session/sessions/{}",
            session_id(&a1.check().await)
        ))
        .await;
    assert_eq!(
        r.status, 200,
        "ending one's own current session is a logout, never refused"
    );

    let a1 = srv.logged_in("alice").await;
    srv.advance(61);
    let r = a1
        .post("/api/session/reauth", Some(json!({"password": "not it"})))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("invalid_credentials"))
    );
    assert_eq!(
        a1.check().await.status,
        200,
        "a wrong password leaves the session alone"
    );

    let (old_token, old_csrf) = (a1.token().unwrap(), a1.csrf().unwrap());
    let old_id = session_id(&a1.check().await);
    let r = a1
        .post("/api/session/reauth", Some(json!({"password": PASSWORD})))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_ne!(session_id(&r), old_id);
    assert_ne!(a1.token().unwrap(), old_token);
    assert_ne!(r.body["csrf_token"].as_str().unwrap(), old_csrf);
    let stale = srv.browser();
    stale.set_token(Some(&old_token));
    assert_eq!(stale.check().await.status, 401, "the previous id is gone");
    let r = a1.delete(&format!("/api/session/sessions/{a3_id}")).await;
    assert_eq!(
        r.status, 200,
        "after re-authentication it may: {:?}",
        r.body
    );
    assert_eq!(a3.check().await.status, 401);

    let login = &srv.audited("LOGIN_SUCCESS").await[0];
    assert_eq!(login.details["reauthenticated_from"], old_id.as_str());
}

/// Rows 16 and 34 (ASVS 4: 3.3.3 · 5: 7.2.4, 7.4.3): changing the password needs the current
/// one, rotates this session's id, token and CSRF token, and ends the other sessions unless
/// asked not to.
#[tokio::test]
async fn row34_a_password_change_rotates_this_session_and_ends_the_others() {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    let (a1, a2) = (srv.logged_in("alice").await, srv.logged_in("alice").await);
    let new_password = "a brand new passphrase";

    let r = a1
        .post(
            "/api/session/password",
            Some(json!({"current_password": "not it", "new_password": new_password})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("invalid_credentials"))
    );
    let r = a1
        .post(
            "/api/session/password",
            Some(json!({"current_password": PASSWORD, "new_password": "short"})),
        )
        .await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(a1.check().await.status, 200);

    let (old_token, old_csrf) = (a1.token().unwrap(), a1.csrf().unwrap());
    let old_id = session_id(&a1.check().await);
    let r = a1
        .post(
            "/api/session/password",
            Some(json!({"current_password": PASSWORD, "new_password": new_password})),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_ne!(session_id(&r), old_id);
    assert_ne!(a1.token().unwrap(), old_token);
    assert_ne!(r.body["csrf_token"].as_str().unwrap(), old_csrf);
    assert_eq!(
        a1.check().await.status,
        200,
        "this session continues, renewed"
    );
    let stale = srv.browser();
    stale.set_token(Some(&old_token));
    assert_eq!(stale.check().await.status, 401);
    assert_eq!(
        a2.check().await.body["code"],
        "revoked",
        "the other session ended"
    );

    assert_eq!(srv.browser().login("alice", PASSWORD).await.status, 401);
    let a3 = srv.browser();
    assert_eq!(a3.login("alice", new_password).await.status, 200);

    // Keeping the other sessions is the user's choice.
    let r = a1
        .post(
            "/api/session/password",
            Some(json!({
                "current_password": new_password,
                "new_password": PASSWORD,
                "end_other_sessions": false,
            })),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(a3.check().await.status, 200);
    let changed = srv.audited("PASSWORD_CHANGED").await;
    assert_eq!(changed.len(), 2);
    assert_eq!(changed[0].details["ended_other_sessions"], false);
}
