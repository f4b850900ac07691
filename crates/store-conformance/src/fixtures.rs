//! Building blocks for the clauses.

use sessiond_core::time::plus_secs;
use sessiond_core::user::{AuthMethod, User};
use sessiond_core::{
    ClientInfo, Clock, ManualClock, Session, SessionId, SessionState, Timestamp, Token, UserId,
};

/// A fixed instant every clause starts from.
pub fn t0() -> Timestamp {
    ManualClock::at_epoch().now()
}

pub fn at(secs: i64) -> Timestamp {
    plus_secs(t0(), secs)
}

/// An active session of `user` created at `created` (seconds after `t0`), idle 100 s,
/// absolute 1000 s, looked up until 60 s after its deadline.
pub fn session(user: Option<UserId>, created: i64) -> (Session, Token) {
    let token = Token::generate().unwrap();
    let now = at(created);
    let s = Session {
        // As the service makes them: the id shares its token's affinity.
        id: SessionId::generate_with_affinity(now, token.hash().affinity()).unwrap(),
        user_id: user,
        username: user.map(|_| "alice".to_owned()),
        role: user.map(|_| "oss".to_owned()),
        token_hash: token.hash(),
        prev_token_hash: None,
        prev_token_expires_at: None,
        created_at: now,
        last_activity: now,
        idle_expires_at: at(created + 100),
        absolute_expires_at: at(created + 1000),
        renewed_at: now,
        state: SessionState::Active,
        end_reason: None,
        ended_at: None,
        lookup_until: at(created + 160),
        client: ClientInfo {
            ip: Some("192.0.2.1".into()),
            user_agent: Some("Firefox/140.0".into()),
        },
        device: Some("Firefox".into()),
        fingerprint: Some("abcd".into()),
        context: None,
        persistent: false,
        data: Default::default(),
        version: 1,
        display_name: user.map(|_| "Alice Liddell".to_owned()),
        auth_method: user.map(|_| "local".to_owned()),
        ended_by: None,
        end_note: None,
    };
    (s, token)
}

pub fn user(name: &str) -> User {
    User {
        id: UserId::generate(t0()).unwrap(),
        username: name.to_owned(),
        display_name: format!("{name} display"),
        role: "oss".into(),
        auth_method: AuthMethod::Local,
        password_hash: Some(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"
                .into(),
        ),
        enabled: true,
        contexts: vec!["default".into(), "mastodon-1".into()],
        created_at: t0(),
        updated_at: t0(),
    }
}
