//! Token sessions in the service (docs/api.md, "Tokens"): login, rotation, the reuse grace,
//! theft, lifetimes, bearer access and the revocations feed, on the memory store with a manual
//! clock. The end-to-end suite runs the same rules through the binary on every store.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::{Harness, PASSWORD, browser, code};
use sessiond_core::access_token::Verifier;
use sessiond_core::audit::AuditQuery;
use sessiond_core::service::{
    CleanupOptions, CleanupPhase, FeedCursor, Presented, TokenLogin, TokenPair,
};
use sessiond_core::{Clock as _, EndCode, SessionState};

async fn login(h: &Harness) -> TokenPair {
    h.service
        .tokens()
        .token_login(
            TokenLogin {
                username: "alice",
                password: PASSWORD,
                context: None,
                device: None,
            },
            &browser(),
        )
        .await
        .unwrap()
}

async fn events(h: &Harness, kind: &str) -> usize {
    let query = AuditQuery {
        event_types: vec![kind.into()],
        limit: 1000,
        ..Default::default()
    };
    h.stores.audit.audit_events(&query).await.unwrap().len()
}

/// The end code a refresh with `raw` is refused with.
async fn refused(h: &Harness, raw: &str) -> EndCode {
    code(
        h.service
            .tokens()
            .refresh(raw, &browser())
            .await
            .unwrap_err(),
    )
}

/// Cleanup options that run `phases` to the end.
fn cleanup(phases: &[CleanupPhase]) -> CleanupOptions {
    CleanupOptions {
        phases: phases.to_vec(),
        max_batches: None,
        dry_run: false,
    }
}

async fn state(h: &Harness, pair: &TokenPair) -> SessionState {
    let id = pair.session.id;
    let s = h.stores.sessions.session_by_id(&id).await.unwrap();
    s.unwrap().state
}

#[tokio::test]
async fn a_token_login_is_a_session_with_a_signed_access_token() {
    let h = Harness::new(|_| {}).await;
    let pair = login(&h).await;
    assert_eq!(pair.expires_in, 900);
    assert_eq!(pair.refresh_expires_in, 86_400);
    let mut verifier = Verifier::new("sessiond", "sessiond", 0);
    for jwk in h.service.tokens().jwks().await.unwrap() {
        assert!(verifier.trust_jwk(&jwk));
    }
    let claims = verifier.verify(&pair.access_token, h.clock.now()).unwrap();
    assert_eq!(claims.sid, pair.session.id.to_string());
    assert_eq!(claims.name, "alice");
    assert_eq!(claims.role, "oss");
    assert_eq!(claims.ctx.as_deref(), Some("lab"));
    assert_eq!(claims.exp - claims.iat, 900);
    // Listed with the user's sessions, and usable with the bearer on the session routes.
    let (current, listed) = h
        .service
        .browser()
        .list_sessions(Presented::Bearer(&pair.access_token))
        .await
        .unwrap();
    assert_eq!(current, pair.session.id);
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn row25_a_refresh_rotates_and_the_old_token_is_then_theft() {
    let h = Harness::new(|_| {}).await;
    let r0 = login(&h).await;
    h.advance(60);
    let r1 = h
        .service
        .tokens()
        .refresh(r0.refresh_token.expose(), &browser())
        .await
        .unwrap();
    assert_ne!(r1.refresh_token.expose(), r0.refresh_token.expose());
    assert_ne!(r1.access_token, r0.access_token);
    assert_eq!(r1.session.id, r0.session.id, "the same session");
    assert_eq!(
        r1.session.idle_expires_at,
        sessiond_core::time::plus_secs(h.clock.now(), 86_400).min(r1.session.absolute_expires_at),
        "a refresh is activity"
    );

    // Row 26: after the grace, R0 again is theft: the whole family ends.
    h.advance(11);
    assert_eq!(
        refused(&h, r0.refresh_token.expose()).await,
        EndCode::RefreshTokenReused
    );
    assert_eq!(state(&h, &r0).await, SessionState::Revoked);
    assert_eq!(
        refused(&h, r1.refresh_token.expose()).await,
        EndCode::Revoked,
        "the current token of the family too"
    );
    let e = h
        .service
        .browser()
        .check(Presented::Bearer(&r1.access_token), &browser())
        .await
        .unwrap_err();
    assert_eq!(code(e), EndCode::Revoked, "and its access tokens, at once");
    assert_eq!(events(&h, "TOKEN_REUSE_DETECTED").await, 1);
}

#[tokio::test]
async fn row28_within_the_grace_a_replay_gets_the_current_pair_of_the_same_lineage() {
    let h = Harness::new(|_| {}).await;
    let r0 = login(&h).await;
    let r1 = h
        .service
        .tokens()
        .refresh(r0.refresh_token.expose(), &browser())
        .await
        .unwrap();
    h.advance(9);
    let again = h
        .service
        .tokens()
        .refresh(r0.refresh_token.expose(), &browser())
        .await
        .unwrap();
    assert_eq!(
        again.refresh_token.expose(),
        r1.refresh_token.expose(),
        "the lineage's current token, not a second lineage"
    );
    assert_eq!(state(&h, &r0).await, SessionState::Active);
    let r2 = h
        .service
        .tokens()
        .refresh(r1.refresh_token.expose(), &browser())
        .await
        .unwrap();
    assert_ne!(r2.refresh_token.expose(), r1.refresh_token.expose());
    assert_eq!(events(&h, "TOKEN_REFRESHED").await, 2);
}

#[tokio::test]
async fn row27_a_token_two_rotations_behind_is_theft_whatever_the_grace() {
    let h = Harness::new(|s| s.tokens.reuse_grace_secs = 30).await;
    let r0 = login(&h).await;
    let r1 = h
        .service
        .tokens()
        .refresh(r0.refresh_token.expose(), &browser())
        .await
        .unwrap();
    let _r2 = h
        .service
        .tokens()
        .refresh(r1.refresh_token.expose(), &browser())
        .await
        .unwrap();
    assert_eq!(
        refused(&h, r0.refresh_token.expose()).await,
        EndCode::RefreshTokenReused
    );
    assert_eq!(state(&h, &r0).await, SessionState::Revoked);
}

#[tokio::test]
async fn row28_with_no_grace_any_replay_is_theft() {
    let h = Harness::new(|s| s.tokens.reuse_grace_secs = 0).await;
    let r0 = login(&h).await;
    h.service
        .tokens()
        .refresh(r0.refresh_token.expose(), &browser())
        .await
        .unwrap();
    assert_eq!(
        refused(&h, r0.refresh_token.expose()).await,
        EndCode::RefreshTokenReused
    );
}

#[tokio::test]
async fn row29_parallel_refreshes_commit_one_rotation_and_agree_on_its_token() {
    let h = Arc::new(Harness::new(|_| {}).await);
    let r0 = login(&h).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let h = h.clone();
            let raw = r0.refresh_token.expose().to_owned();
            tokio::spawn(async move { h.service.tokens().refresh(&raw, &browser()).await })
        })
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for t in tasks {
        tokens.insert(t.await.unwrap().unwrap().refresh_token.expose().to_owned());
    }
    assert_eq!(tokens.len(), 1, "one lineage");
    assert_eq!(events(&h, "TOKEN_REFRESHED").await, 1, "one rotation");
    assert_eq!(state(&h, &r0).await, SessionState::Active);
}

#[tokio::test]
async fn row30_refreshing_every_minute_still_ends_at_the_absolute_deadline() {
    let h = Harness::new(|s| {
        s.timeouts.absolute_secs = 3600;
        s.timeouts.idle_secs = 600;
    })
    .await;
    let mut pair = login(&h).await;
    assert_eq!(pair.expires_in, 600, "never past the session's deadline");
    for _ in 0..59 {
        h.advance(60);
        pair = h
            .service
            .tokens()
            .refresh(pair.refresh_token.expose(), &browser())
            .await
            .unwrap();
        assert!(pair.refresh_expires_in <= 600);
    }
    assert_eq!(
        pair.expires_in, 60,
        "the access token stops at the absolute deadline"
    );
    h.advance(61);
    assert_eq!(
        refused(&h, pair.refresh_token.expose()).await,
        EndCode::ExpiredAbsolute
    );

    // The sliding idle deadline is enforced as well.
    let pair = login(&h).await;
    h.advance(601);
    assert_eq!(
        refused(&h, pair.refresh_token.expose()).await,
        EndCode::ExpiredIdle
    );
}

#[tokio::test]
async fn a_refresh_token_is_good_for_its_own_lifetime_only() {
    let h = Harness::new(|s| s.tokens.refresh_lifetime_secs = 600).await;
    let pair = login(&h).await;
    assert_eq!(pair.refresh_expires_in, 600);
    // A bearer keep-alive keeps the session alive without renewing the refresh token.
    h.advance(500);
    h.service
        .browser()
        .keepalive(Presented::Bearer(&pair.access_token), &browser())
        .await
        .unwrap();
    h.advance(100);
    assert_eq!(
        refused(&h, pair.refresh_token.expose()).await,
        EndCode::ExpiredIdle
    );
    assert_eq!(state(&h, &pair).await, SessionState::Expired);
}

#[tokio::test]
async fn row14_ending_a_session_stops_its_access_token_on_sessiond_at_once() {
    let h = Harness::new(|_| {}).await;
    let pair = login(&h).await;
    let bearer = Presented::Bearer(&pair.access_token);
    h.service
        .browser()
        .keepalive(bearer, &browser())
        .await
        .unwrap();
    h.service.admin().disable_user("alice").await.unwrap();
    let e = h
        .service
        .browser()
        .check(bearer, &browser())
        .await
        .unwrap_err();
    assert_eq!(code(e), EndCode::Revoked);
    assert_eq!(
        refused(&h, pair.refresh_token.expose()).await,
        EndCode::Revoked
    );
}

#[tokio::test]
async fn logout_takes_either_token_and_logout_all_ends_every_session() {
    let h = Harness::new(|_| {}).await;
    let a = login(&h).await;
    h.service
        .tokens()
        .logout_refresh(a.refresh_token.expose(), &browser())
        .await
        .unwrap();
    assert_eq!(state(&h, &a).await, SessionState::LoggedOut);
    let b = login(&h).await;
    h.service
        .tokens()
        .logout_bearer(&b.access_token, &browser())
        .await
        .unwrap();
    assert_eq!(state(&h, &b).await, SessionState::LoggedOut);

    let c = login(&h).await;
    let cookie = h.login().await;
    let ended = h
        .service
        .browser()
        .logout_all(Presented::Bearer(&c.access_token), false, &browser())
        .await
        .unwrap();
    assert_eq!(ended, 2, "the caller's session and the browser's");
    let e = h
        .service
        .browser()
        .check(Some(&cookie.token), &browser())
        .await
        .unwrap_err();
    assert_eq!(code(e), EndCode::LoggedOut);
}

#[tokio::test]
async fn the_revocations_feed_pages_through_ended_sessions_but_not_timeouts() {
    let h = Harness::new(|s| s.timeouts.idle_secs = 100).await;
    let epoch = FeedCursor::After(0);
    let a = login(&h).await;
    let b = login(&h).await;
    let _idle = login(&h).await;
    h.advance(10);
    h.service
        .tokens()
        .logout_bearer(&a.access_token, &browser())
        .await
        .unwrap();
    h.advance(1);
    h.service
        .tokens()
        .logout_refresh(b.refresh_token.expose(), &browser())
        .await
        .unwrap();
    let (page, _) = h.backend_read().await.revocations(epoch, 10).await.unwrap();
    assert_eq!(page.len(), 2, "served as soon as they are committed");
    h.advance(200);
    h.service
        .admin()
        .cleanup(&cleanup(&[CleanupPhase::Expire]), &|_| {})
        .await
        .unwrap();
    let (page, next) = h.backend_read().await.revocations(epoch, 1).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].session_id, a.session.id);
    let (page, next) = h.backend_read().await.revocations(next, 10).await.unwrap();
    let ids: Vec<_> = page.iter().map(|r| r.session_id).collect();
    assert_eq!(ids, [b.session.id], "the idle timeout is not a revocation");
    let (page, _) = h.backend_read().await.revocations(next, 10).await.unwrap();
    assert!(page.is_empty());
}

#[tokio::test]
async fn keys_rotated_elsewhere_sign_here_after_the_reload_and_retire_after_their_tokens() {
    let h = Harness::new(|s| s.tokens.key_rotation_secs = 3600).await;
    login(&h).await;
    h.advance(3000);
    let before = login(&h).await;
    h.advance(600);
    let (rotated, retired) = h.service.admin().maintain_signing_keys().await.unwrap();
    assert_eq!((rotated, retired), (1, 0));
    let kid = |t: &str| jsonwebtoken_kid(t);
    let published = login(&h).await;
    assert_eq!(
        kid(&before.access_token),
        kid(&published.access_token),
        "published ahead: the new key does not sign yet"
    );
    h.advance(5);
    let after = login(&h).await;
    assert_ne!(kid(&before.access_token), kid(&after.access_token));
    // The old key's tokens still verify for their lifetime.
    h.service
        .browser()
        .check(Presented::Bearer(&before.access_token), &browser())
        .await
        .unwrap();
    h.advance(905);
    let (_, retired) = h.service.admin().maintain_signing_keys().await.unwrap();
    assert_eq!(retired, 1);
    assert_eq!(h.service.tokens().jwks().await.unwrap().len(), 1);
    assert_eq!(events(&h, "SIGNING_KEY_RETIRED").await, 1);
}

/// The `kid` of a JWT's header, read without any JWT library.
fn jsonwebtoken_kid(token: &str) -> String {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap();
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    v["kid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_cleanup_job_removes_expired_token_sessions_and_their_tokens_are_then_unknown() {
    let h = Harness::new(|s| s.timeouts.idle_secs = 3600).await;
    let pair = login(&h).await;
    let days = h.service.settings().cleanup.expired_retention_days;
    h.advance(3600 + 600 + days * 86_400 + 1);
    let report = h
        .service
        .admin()
        .cleanup(&cleanup(&CleanupPhase::ALL), &|_| {})
        .await
        .unwrap();
    assert_eq!((report.expired, report.purged_sessions), (1, 1));
    let id = pair.session.id;
    assert!(
        h.stores
            .sessions
            .session_by_id(&id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        refused(&h, pair.refresh_token.expose()).await,
        EndCode::InvalidToken
    );
}
