//! A session's data map through the backend API: merged patches that lose nothing under
//! parallel writers on every store, versions, the size limit.

use super::*;

/// Twenty merge patches of one session's data, at once, split over two nodes: every one lands.
async fn parallel_patches_lose_nothing(backend: sessiond_testkit::stores::Backend) {
    let store = sessiond_testkit::stores::SharedStore::new(backend);
    let vars = sessiond_testkit::config_with(&[]);
    let a = TestServer::start_with(vars.clone(), store.open().await).await;
    let b = TestServer::start_with(vars, store.open().await).await;
    a.add_user("alice", "oss").await;
    let app = key(&a, "shop", &[Scope::SessionsWrite]).await;
    let r = api(
        &a,
        &app,
        Method::POST,
        "/api/v1/sessions",
        Some(json!({"username": "alice"})),
    );
    let id = r.await.body["session_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/sessions/{id}/data");
    let patches = (0..20).map(|i| {
        let srv = if i % 2 == 0 { &a } else { &b };
        api(
            srv,
            &app,
            Method::PATCH,
            &path,
            Some(json!({ format!("k{i}"): i })),
        )
    });
    let statuses: Vec<u16> = futures_util::future::join_all(patches)
        .await
        .iter()
        .map(|r| r.status)
        .collect();
    assert!(
        statuses.iter().all(|s| *s == 200),
        "{backend:?}: {statuses:?}"
    );
    let data = api(&b, &app, Method::GET, &path, None).await.body["data"].clone();
    for i in 0..20 {
        assert_eq!(
            data[format!("k{i}")],
            json!(i),
            "{backend:?}: k{i} was lost: {data}"
        );
    }
}

mod parallel_data_patches_lose_nothing {
    sessiond_testkit::on_every_store!(super::parallel_patches_lose_nothing);
}

#[tokio::test]
async fn data_is_versioned_size_limited_and_patching_it_is_not_activity() {
    let (srv, app, r) = app_session().await;
    let (id, idle) = (
        r.body["session_id"].as_str().unwrap().to_owned(),
        r.body["idle_expires_at"].clone(),
    );
    let path = format!("/api/v1/sessions/{id}/data");

    srv.advance(120);
    let patch = json!({"cart": {"items": 2, "coupon": "X"}});
    let r = api(&srv, &app, Method::PATCH, &path, Some(patch)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let etag = r.header("etag").unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", r.body["version"].as_str().unwrap()));
    let auth = format!("Bearer {app}");
    let with_etag = |etag: &str| {
        [
            ("authorization", auth.clone()),
            ("if-match", etag.to_owned()),
        ]
    };
    let h = with_etag(&etag);
    let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = srv
        .browser()
        .request_with(
            Method::PATCH,
            &path,
            Some(json!({"cart": {"coupon": null}})),
            &h,
        )
        .await;
    assert_eq!(r.status, 200, "the current version: {}", r.body);
    assert_eq!(r.body["data"], json!({"cart": {"items": 2}}));
    let r = srv
        .browser()
        .request_with(Method::PATCH, &path, Some(json!({"late": true})), &h)
        .await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (412, &json!("precondition_failed"))
    );

    let big = json!({"blob": "x".repeat(9000)});
    let r = api(&srv, &app, Method::PATCH, &path, Some(big)).await;
    assert_eq!(
        (r.status, &r.body["code"]),
        (413, &json!("payload_too_large"))
    );

    let r = api(
        &srv,
        &app,
        Method::GET,
        &format!("/api/v1/sessions/{id}"),
        None,
    )
    .await;
    assert_eq!(
        r.body["idle_expires_at"], idle,
        "a data patch is not activity"
    );
    let activity = json!({"type": "page_view", "details": {"path": "/cart"}});
    let path = format!("/api/v1/sessions/{id}/activity");
    let r = api(&srv, &app, Method::POST, &path, Some(activity)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_ne!(r.body["idle_expires_at"], idle, "an activity is activity");
    let recorded = srv.audited("SESSION_ACTIVITY").await;
    assert_eq!(recorded[0].details["activity"], "page_view");
    assert_eq!(recorded[0].details["details"]["path"], "/cart");
}
