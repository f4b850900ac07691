//! What operators and the jobs do through `admin()` and the backend API's gate, on the memory
//! store with a manual clock: the backend API's reads counted and flushed, and the signing keys
//! rotated.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sessiond_core::ClientInfo;
use sessiond_core::service::NewApiKey;

mod common;

use common::{Harness, browser};

#[tokio::test]
async fn api_reads_are_counted_within_a_bound_and_writes_recorded_at_once() {
    use sessiond_core::api_key::Scope;
    use sessiond_core::audit::AuditQuery;
    let h = Harness::new(|_| {}).await;
    let secret = h
        .service
        .admin()
        .create_api_key(NewApiKey::new("shop", &[Scope::SessionsWrite]).roles(&["oss"]))
        .await
        .unwrap();
    use sessiond_core::service::{Read, Write};
    let stored = || async {
        let query = AuditQuery {
            event_types: vec!["API_REQUEST".into()],
            limit: 20_000,
            ..AuditQuery::default()
        };
        h.stores.audit.audit_events(&query).await.unwrap()
    };
    let key = Some(secret.expose());
    h.service
        .backend_api::<Write>(key, "create_session", &browser())
        .await
        .unwrap();
    assert_eq!(
        stored().await.len(),
        1,
        "a write is recorded before it is answered"
    );
    // One more caller than the table holds: the last one is recorded on its own.
    for i in 0..=10_000u32 {
        let caller = ClientInfo {
            ip: Some(format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255)),
            user_agent: None,
        };
        h.service
            .backend_api::<Read>(key, "validate", &caller)
            .await
            .unwrap();
    }
    assert_eq!(
        stored().await.len(),
        2,
        "the reads wait for the flush, but one"
    );
    assert_eq!(h.service.admin().flush_api_reads().await.unwrap(), 10_000);
    let events = stored().await;
    assert_eq!(events.len(), 10_002);
    let counted: u64 = events
        .iter()
        .filter(|e| e.details["operation"] == "validate")
        .map(|e| e.details["count"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 10_001, "every read is accounted for");
}

#[tokio::test]
async fn a_rotated_key_signs_and_the_old_one_verifies_for_an_access_lifetime() {
    use sessiond_core::access_token::{ACCESS_LIFETIME_SECS, AccessClaims, Verifier};
    let h = Harness::new(|_| {}).await;
    let first = h.service.tokens().current_signing_key().await.unwrap();
    assert_eq!(
        h.service
            .tokens()
            .current_signing_key()
            .await
            .unwrap()
            .kid(),
        first.kid(),
        "made once"
    );
    use sessiond_core::Clock as _;
    let now = h.clock.now().as_second();
    let claims = AccessClaims {
        iss: "sessiond".into(),
        aud: "sessiond".into(),
        sub: "u".into(),
        sid: "s".into(),
        name: "alice".into(),
        role: "oss".into(),
        ctx: None,
        display_name: None,
        auth_method: None,
        iat: now,
        nbf: now,
        exp: now + ACCESS_LIFETIME_SECS,
        jti: "j".into(),
    };
    let old_token = first.sign(&claims).unwrap();

    h.advance(10);
    let kid = h.service.admin().rotate_signing_key().await.unwrap();
    let current = h.service.tokens().current_signing_key().await.unwrap();
    assert_eq!(
        current.kid(),
        first.kid(),
        "published ahead: not signing yet"
    );
    h.advance(sessiond_core::service::PUBLISH_AHEAD_SECS);
    let current = h.service.tokens().current_signing_key().await.unwrap();
    assert_eq!(current.kid(), kid, "the newest key signs");
    let verifier = |jwks: &[sessiond_core::access_token::Jwk]| {
        let mut v = Verifier::new("sessiond", "sessiond", 0);
        assert!(jwks.iter().all(|k| v.trust_jwk(k)));
        v
    };
    let jwks = h.service.tokens().jwks().await.unwrap();
    let kids: Vec<_> = jwks.iter().map(|k| k.kid.as_str()).collect();
    assert_eq!(kids, [first.kid(), kid.as_str()]);
    assert!(
        verifier(&jwks).verify(&old_token, h.clock.now()).is_ok(),
        "still verifies"
    );

    // Once every token the old key signed has expired (and the leeway passed), it is no
    // longer shown.
    h.advance(ACCESS_LIFETIME_SECS + h.service.settings().tokens.leeway_secs);
    let jwks = h.service.tokens().jwks().await.unwrap();
    assert_eq!(jwks.len(), 1);
    assert_eq!(jwks[0].kid, kid);
    let query = sessiond_core::audit::AuditQuery {
        event_types: vec!["SIGNING_KEY_ROTATED".into()],
        limit: 10,
        ..Default::default()
    };
    let rotated = h.stores.audit.audit_events(&query).await.unwrap();
    assert_eq!(rotated.len(), 2, "the first key and the rotation");
}
