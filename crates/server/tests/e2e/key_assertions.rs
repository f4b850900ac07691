//! What a backend API key may assert (second review, items 2 and 9): a `sessions:write` key
//! creates sessions and users only with the roles (and users) it carries, never a superadmin's,
//! and every field it sends is held to the rule it has on the other paths.

use reqwest::Method;
use serde_json::{Value, json};
use sessiond_core::api_key::Scope;
use sessiond_core::service::NewApiKey;
use sessiond_testkit::{Resp, TestServer};

async fn key(srv: &TestServer, new: NewApiKey) -> String {
    let secret = srv.state.service.admin().create_api_key(new).await.unwrap();
    secret.expose().to_owned()
}

async fn create(srv: &TestServer, key: &str, body: Value) -> Resp {
    let auth = format!("Bearer {key}");
    srv.browser()
        .request_with(
            Method::POST,
            "/api/v1/sessions",
            Some(body),
            &[("authorization", &auth)],
        )
        .await
}

async fn server() -> TestServer {
    let srv = TestServer::start(&[]).await;
    srv.add_user("alice", "oss").await;
    srv.add_user("bob", "oss").await;
    srv.add_user("nina", "netadmin").await;
    srv.add_user("admin", "superadmin").await;
    srv
}

fn refused(r: &Resp) -> bool {
    r.status == 403 && r.body["code"] == "insufficient_scope"
}

#[tokio::test]
async fn a_write_key_asserts_only_its_roles_and_never_a_superadmin() {
    let srv = server().await;
    let shop = key(
        &srv,
        NewApiKey::new("shop", &[Scope::SessionsWrite]).roles(&["oss"]),
    )
    .await;
    let r = create(&srv, &shop, json!({"username": "alice"})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["role"], "oss");

    for body in [
        json!({"username": "admin"}),
        json!({"username": "nina"}),
        json!({"username": "eve", "create_user": true, "role": "superadmin"}),
        json!({"username": "eve", "create_user": true, "role": "netadmin"}),
    ] {
        let r = create(&srv, &shop, body.clone()).await;
        assert!(refused(&r), "{body}: {} {}", r.status, r.body);
    }
    assert!(
        srv.state.service.admin().user("eve").await.is_err(),
        "no user was made"
    );
    let refusals = srv.audited("API_ASSERTION_REFUSED").await;
    assert_eq!(refusals.len(), 4);
    assert_eq!(refusals.last().unwrap().details["role"], "superadmin");
    assert_eq!(refusals.last().unwrap().details["api_key"], "shop");

    let r = create(
        &srv,
        &shop,
        json!({"username": "carol", "create_user": true}),
    )
    .await;
    assert_eq!(
        (r.status, &r.body["role"]),
        (201, &json!("oss")),
        "{}",
        r.body
    );

    // Only the users it carries, when it names any.
    let one = key(
        &srv,
        NewApiKey {
            users: vec!["Alice".into()],
            ..NewApiKey::new("one", &[Scope::SessionsWrite]).roles(&["oss"])
        },
    )
    .await;
    assert_eq!(
        create(&srv, &one, json!({"username": "alice"}))
            .await
            .status,
        201
    );
    assert!(refused(
        &create(&srv, &one, json!({"username": "bob"})).await
    ));

    // An admin key asserts anyone, the superadmin included.
    let root = key(&srv, NewApiKey::new("root", &[Scope::Admin])).await;
    let r = create(&srv, &root, json!({"username": "admin"})).await;
    assert_eq!((r.status, &r.body["role"]), (201, &json!("superadmin")));
}

#[tokio::test]
async fn a_key_without_roles_asserts_nobody_until_it_is_given_some() {
    let srv = server().await;
    let legacy = key(&srv, NewApiKey::new("legacy", &[Scope::SessionsWrite])).await;
    assert!(refused(
        &create(&srv, &legacy, json!({"username": "alice"})).await
    ));
    let service = &srv.state.service;
    assert!(
        service
            .admin()
            .set_api_key_roles("legacy", vec!["oss".into()], vec![])
            .await
            .unwrap()
    );
    assert_eq!(
        create(&srv, &legacy, json!({"username": "alice"}))
            .await
            .status,
        201,
        "at once"
    );
    let changed = &srv.audited("API_KEY_ROLES_CHANGED").await[0];
    assert_eq!(changed.details["roles"], json!(["oss"]));
    assert!(
        !service
            .admin()
            .set_api_key_roles("nobody", vec!["oss".into()], vec![])
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn keys_that_would_assert_too_much_are_refused_when_made() {
    let srv = server().await;
    let service = &srv.state.service;
    for (new, why) in [
        (
            NewApiKey::new("a", &[Scope::SessionsWrite]).roles(&["superadmin"]),
            "superadmin takes admin",
        ),
        (
            NewApiKey::new("b", &[Scope::SessionsWrite]).roles(&["pope"]),
            "an unknown role",
        ),
        (
            NewApiKey::new("c", &[Scope::SessionsRead]).roles(&["oss"]),
            "a read key asserts nobody",
        ),
        (
            NewApiKey {
                users: vec!["alice".into()],
                ..NewApiKey::new("d", &[Scope::SessionsWrite])
            },
            "users without roles",
        ),
    ] {
        assert!(service.admin().create_api_key(new).await.is_err(), "{why}");
    }
    let admin = service.admin();
    let made = admin
        .create_api_key(NewApiKey::new("e", &[Scope::SessionsWrite]).roles(&["oss", "netadmin"]));
    made.await.unwrap();
    let created = &srv.audited("API_KEY_CREATED").await[0];
    assert_eq!(created.details["roles"], json!(["netadmin", "oss"]));
}

/// Item 9: what `POST /api/v1/sessions` stores is held to the rules of the other paths: a
/// context with CR/LF (which would end the `X-Session-Context` header), data over 8 KiB, a
/// 5,000-character user agent and an `ip` that is not an address are refused with a code.
#[tokio::test]
async fn the_create_route_holds_every_field_to_the_rules_of_the_other_paths() {
    let srv = server().await;
    let shop = key(
        &srv,
        NewApiKey::new("shop", &[Scope::SessionsWrite]).roles(&["oss"]),
    )
    .await;
    let new_user = |extra: Value| {
        let mut body = json!({"username": "dora", "create_user": true});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let big = "x".repeat(9 * 1024);
    for (body, status, code) in [
        (
            new_user(json!({"context": "lab\r\nX-Evil: 1"})),
            400,
            "invalid_request",
        ),
        (new_user(json!({"context": ""})), 400, "invalid_request"),
        (
            new_user(json!({"display_name": "Dora\u{0}"})),
            400,
            "invalid_request",
        ),
        (
            new_user(json!({"user_agent": "A".repeat(5000)})),
            400,
            "invalid_request",
        ),
        (
            new_user(json!({"user_agent": "curl\n"})),
            400,
            "invalid_request",
        ),
        (
            new_user(json!({"ip": "not an address"})),
            400,
            "invalid_request",
        ),
        (
            new_user(json!({"ip": "10.0.0.1, 10.0.0.2"})),
            400,
            "invalid_request",
        ),
        (
            new_user(json!({"data": {"big": big}})),
            413,
            "payload_too_large",
        ),
        (json!({"username": "dora\u{0}"}), 400, "invalid_request"),
        (json!({"username": "x".repeat(65)}), 400, "invalid_request"),
    ] {
        let r = create(&srv, &shop, body.clone()).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (status, Some(code)),
            "{body}: {}",
            r.body
        );
    }
    assert!(
        srv.state.service.admin().user("dora").await.is_err(),
        "nothing was stored"
    );
    let r = create(&srv, &shop, new_user(json!({"ip": "::ffff:10.0.0.1"}))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["session_id"].as_str().unwrap().parse().unwrap();
    let stored = srv
        .stores
        .sessions
        .session_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.client.ip.as_deref(), Some("10.0.0.1"), "canonical");
}
