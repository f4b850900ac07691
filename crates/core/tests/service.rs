//! The session rules where they live: `SessionService` on the memory store with a manual clock
//! and a fixed key. Fast and deterministic; the end-to-end suite keeps the wire behaviour.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sessiond_core::service::{ConcurrentPolicy, Suspicion, SuspiciousResponse};
use sessiond_core::{ClientInfo, EndCode, EndReason, SessionError, Token};

mod common;

use common::{Harness, PASSWORD, browser, code, end_reason};

#[tokio::test]
async fn a_login_opens_a_session_and_every_refusal_looks_the_same() {
    let h = Harness::new(|_| {}).await;
    let issued = h.login().await;
    let status = h
        .service
        .browser()
        .check(Some(&issued.token), &browser())
        .await
        .unwrap();
    assert_eq!(status.session.username.as_deref(), Some("alice"));
    assert!(issued.device.is_some(), "a device cookie with the session");
    for (name, password) in [("alice", "wrong password"), ("nobody", PASSWORD)] {
        let e = h
            .service
            .browser()
            .login(name, password, false, &browser(), None, None)
            .await
            .unwrap_err();
        assert!(
            matches!(e, SessionError::InvalidCredentials),
            "{name}: {e:?}"
        );
    }
}

#[tokio::test]
async fn the_token_rotates_after_the_lifetime_and_the_old_one_lasts_its_grace() {
    let h = Harness::new(|_| {}).await;
    let t = *h.service.timeouts();
    let issued = h.login().await;
    let mut token = issued.token;
    let mut elapsed = 0;
    let rotated = loop {
        h.advance(t.idle_secs / 2);
        elapsed += t.idle_secs / 2;
        let activity = h
            .service
            .browser()
            .keepalive(Some(&token), &browser())
            .await
            .unwrap();
        if let Some(new) = activity.new_token {
            break new;
        }
        assert!(elapsed <= t.lifetime_secs, "no rotation by the lifetime");
    };
    assert!(elapsed >= t.lifetime_secs);
    // The stores keep a token's key beside its session's by this byte (decision 0057).
    let id = issued.session.id;
    assert_eq!(token.hash().affinity(), id.affinity(), "the first token");
    assert_eq!(rotated.hash().affinity(), id.affinity(), "a rotated token");
    assert!(
        h.service
            .browser()
            .check(Some(&token), &browser())
            .await
            .is_ok(),
        "in grace"
    );
    h.advance(t.expiration_grace_secs);
    let e = h
        .service
        .browser()
        .check(Some(&token), &browser())
        .await
        .unwrap_err();
    assert_eq!(
        code(e),
        EndCode::NoSession,
        "past its grace the old token is unknown"
    );
    token = rotated;
    assert!(
        h.service
            .browser()
            .check(Some(&token), &browser())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn the_cap_evicts_the_least_recently_active_or_refuses_with_deny_new() {
    let h = Harness::new(|s| s.max_concurrent_per_user = 2).await;
    let (first, second) = (h.login().await, h.login().await);
    // Past the coalescing interval (idle / 100), so the keep-alive is written.
    h.advance(h.service.timeouts().activity_write_interval_secs() + 1);
    h.service
        .browser()
        .keepalive(Some(&first.token), &browser())
        .await
        .unwrap();
    let third = h.login().await;
    let e = h
        .service
        .browser()
        .check(Some(&second.token), &browser())
        .await
        .unwrap_err();
    assert_eq!(code(e), EndCode::Evicted, "the least recently active goes");
    for kept in [&first, &third] {
        assert!(
            h.service
                .browser()
                .check(Some(&kept.token), &browser())
                .await
                .is_ok()
        );
    }

    let h = Harness::new(|s| {
        s.max_concurrent_per_user = 1;
        s.concurrent_policy = ConcurrentPolicy::DenyNew;
    })
    .await;
    let only = h.login().await;
    let e = h.login_from(&browser()).await.unwrap_err();
    assert!(matches!(e, SessionError::TooManySessions), "{e:?}");
    assert!(
        h.service
            .browser()
            .check(Some(&only.token), &browser())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn suspicion_reaching_the_threshold_applies_the_configured_response() {
    let curl = ClientInfo {
        user_agent: Some("curl/8.5.0".into()),
        ..browser()
    };
    let h = Harness::new(|s| {
        s.suspicion = Some(Suspicion {
            threshold: 10,
            response: SuspiciousResponse::Reauth,
        })
    })
    .await;
    let issued = h.login().await;
    let e = h
        .service
        .browser()
        .check(Some(&issued.token), &curl)
        .await
        .unwrap_err();
    assert_eq!(
        code(e),
        EndCode::Revoked,
        "another client: 10 points, reauth"
    );

    let h = Harness::new(|s| {
        s.suspicion = Some(Suspicion {
            threshold: 10,
            response: SuspiciousResponse::Log,
        })
    })
    .await;
    let issued = h.login().await;
    assert!(
        h.service
            .browser()
            .check(Some(&issued.token), &curl)
            .await
            .is_ok(),
        "log only"
    );

    let h = Harness::new(|_| {}).await;
    let issued = h.login().await;
    let moved = ClientInfo {
        ip: Some("198.51.100.7".into()),
        ..browser()
    };
    assert!(
        h.service
            .browser()
            .check(Some(&issued.token), &moved)
            .await
            .is_ok(),
        "one new network is 5 points, under the threshold"
    );
}

#[tokio::test]
async fn revoking_another_session_needs_the_password_within_the_window() {
    let h = Harness::new(|s| s.reauth_window_secs = 60).await;
    let (mine, other) = (h.login().await, h.login().await);
    h.advance(61);
    let e = h
        .service
        .browser()
        .revoke_own(Some(&mine.token), &other.session.id)
        .await
        .unwrap_err();
    assert!(matches!(e, SessionError::ReauthRequired), "{e:?}");
    let e = h
        .service
        .browser()
        .logout_all(Some(&mine.token), true, &Default::default())
        .await
        .unwrap_err();
    assert!(
        matches!(e, SessionError::ReauthRequired),
        "the same rule: {e:?}"
    );
    let fresh = h
        .service
        .browser()
        .reauthenticate(Some(&mine.token), PASSWORD, &browser(), None)
        .await
        .unwrap();
    assert_ne!(fresh.session.id, mine.session.id, "a new session");
    let was_current = h
        .service
        .browser()
        .revoke_own(Some(&fresh.token), &other.session.id)
        .await
        .unwrap();
    assert!(!was_current);
    let e = h
        .service
        .browser()
        .check(Some(&other.token), &browser())
        .await
        .unwrap_err();
    assert_eq!(code(e), EndCode::Revoked);
}

#[tokio::test]
async fn contexts_switch_among_the_users_own_within_the_hourly_limit() {
    let h = Harness::new(|s| s.context_switches_per_hour = 2).await;
    let issued = h.login().await;
    let t = Some(&issued.token);
    let status = h
        .service
        .browser()
        .switch_context(t, "prod", &browser())
        .await
        .unwrap();
    assert_eq!(status.session.context.as_deref(), Some("prod"));
    let e = h
        .service
        .browser()
        .switch_context(t, "admin", &browser())
        .await
        .unwrap_err();
    assert!(
        matches!(e, SessionError::NotAllowed("context_not_allowed")),
        "{e:?}"
    );
    h.service
        .browser()
        .switch_context(t, "lab", &browser())
        .await
        .unwrap();
    let e = h
        .service
        .browser()
        .switch_context(t, "prod", &browser())
        .await
        .unwrap_err();
    assert!(matches!(e, SessionError::RateLimited { .. }), "{e:?}");
    h.advance(3600);
    assert!(
        h.service
            .browser()
            .switch_context(t, "prod", &browser())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn idle_and_absolute_timeouts_end_sessions_with_their_own_codes() {
    let h = Harness::new(|s| {
        s.timeouts.idle_secs = 600;
        s.timeouts.absolute_secs = 1800;
        s.timeouts.lifetime_secs = 1200;
        s.keepalive_per_minute = 1000;
    })
    .await;
    let idle = h.login().await;
    h.advance(599);
    assert!(
        h.service
            .browser()
            .check(Some(&idle.token), &browser())
            .await
            .is_ok()
    );
    h.advance(1);
    let e = h
        .service
        .browser()
        .check(Some(&idle.token), &browser())
        .await;
    assert_eq!(code(e.unwrap_err()), EndCode::ExpiredIdle);

    // Activity every five minutes keeps it past the idle timeout, never past the absolute one.
    let busy = h.login().await;
    let mut token = busy.token;
    for _ in 0..5 {
        h.advance(300);
        let activity = h
            .service
            .browser()
            .keepalive(Some(&token), &browser())
            .await
            .unwrap();
        if let Some(new) = activity.new_token {
            token = new;
        }
    }
    h.advance(300);
    let e = h
        .service
        .browser()
        .keepalive(Some(&token), &browser())
        .await;
    assert_eq!(code(e.unwrap_err()), EndCode::ExpiredAbsolute);
}

#[tokio::test]
async fn the_lockout_refuses_even_the_right_password_until_it_lapses() {
    let h = Harness::new(|s| {
        s.lockout_threshold = 3;
        s.lockout_secs = 60;
    })
    .await;
    for _ in 0..3 {
        let e = h
            .service
            .browser()
            .login("alice", "wrong password", false, &browser(), None, None)
            .await;
        assert!(matches!(e, Err(SessionError::InvalidCredentials)));
    }
    let e = h.login_from(&browser()).await;
    assert!(
        matches!(e, Err(SessionError::InvalidCredentials)),
        "locked: the right password gets the same answer"
    );
    h.advance(61);
    assert!(h.login_from(&browser()).await.is_ok(), "the lock lapsed");
}

#[tokio::test]
async fn a_refusal_says_why_the_session_ended() {
    let h = Harness::new(|s| s.max_concurrent_per_user = 2).await;
    let check = |token| {
        let service = &h.service;
        async move { service.browser().check(Some(token), &browser()).await }
    };

    let unknown = Token::generate().unwrap();
    let e = check(&unknown).await.unwrap_err();
    assert_eq!(end_reason(e), None, "no record, no reason");

    let out = h.login().await;
    h.service.browser().logout(Some(&out.token)).await.unwrap();
    let e = check(&out.token).await.unwrap_err();
    assert_eq!(end_reason(e), Some(EndReason::UserLogout));

    let (first, second, _third) = (h.login().await, h.login().await, h.login().await);
    let e = match check(&first.token).await {
        Err(e) => e,
        Ok(_) => check(&second.token).await.unwrap_err(),
    };
    assert_eq!(end_reason(e), Some(EndReason::MaxConcurrentSessions));

    // Past the idle timeout and before any cleanup has recorded it.
    let idle = h.login().await;
    h.advance(h.service.timeouts().idle_secs);
    let e = check(&idle.token).await.unwrap_err();
    assert_eq!(end_reason(e), Some(EndReason::Idle));

    let changed = h.login().await;
    h.service
        .admin()
        .set_password("alice", "another good passphrase")
        .await
        .unwrap();
    let e = check(&changed.token).await.unwrap_err();
    assert_eq!(code(e), EndCode::Revoked);
    let e = check(&changed.token).await.unwrap_err();
    assert_eq!(end_reason(e), Some(EndReason::PasswordChanged));
}
