//! Seed 000's session fields, `display_name` and `auth_method`, wherever a session is shown:
//! the browser's answers, the backend API's, forward auth's headers and the token claims.

use reqwest::Method;
use serde_json::json;
use sessiond_core::api_key::Scope;
use sessiond_core::service::NewUser;
use sessiond_testkit::{PASSWORD, TestServer};

use crate::backend_api::key;
use crate::contexts::claims;

#[tokio::test]
async fn a_session_carries_its_users_display_name_and_how_they_signed_in() {
    let srv = TestServer::start(&[]).await;
    let user = NewUser {
        username: "zoe".into(),
        display_name: Some("Zoë Ångström".into()),
        role: "oss".into(),
        password: PASSWORD.into(),
        contexts: vec![],
    };
    srv.state.service.admin().create_user(user).await.unwrap();

    let b = srv.logged_in("zoe").await;
    let check = b.check().await;
    assert_eq!(check.body["display_name"], "Zoë Ångström");
    assert_eq!(check.body["auth_method"], "local");

    let verified = b.get("/auth/verify").await;
    assert_eq!(verified.status, 200);
    let header = verified.headers.get("x-session-display-name").unwrap();
    assert_eq!(
        header.as_bytes(),
        "Zoë Ångström".as_bytes(),
        "UTF-8, as the others"
    );

    let r = srv
        .browser()
        .post(
            "/api/token/login",
            Some(json!({"username": "zoe", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let c = claims(&r.body["access_token"]);
    assert_eq!(
        (&c["display_name"], &c["auth_method"]),
        (&json!("Zoë Ångström"), &json!("local"))
    );

    // A session the application asserted says so.
    let app = key(&srv, "shop", &[Scope::SessionsWrite]).await;
    let auth = format!("Bearer {app}");
    let made = srv
        .browser()
        .request_with(
            Method::POST,
            "/api/v1/sessions",
            Some(json!({"username": "zoe"})),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let id = made.body["session_id"].as_str().unwrap();
    let got = srv
        .browser()
        .request_with(
            Method::GET,
            &format!("/api/v1/sessions/{id}"),
            None,
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(
        (&got.body["auth_method"], &got.body["display_name"]),
        (&json!("app"), &json!("Zoë Ångström")),
        "{}",
        got.body
    );
}
