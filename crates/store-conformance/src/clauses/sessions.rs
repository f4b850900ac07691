//! The session role ([`sessiond_core::store::Sessions`]): the hot path.

use sessiond_core::{SessionState, StoreError, Stores, Token, UserId};

use crate::fixtures::{at, session, t0};

pub async fn create_then_find_by_token(stores: Stores) {
    let (s, token) = session(None, 0);
    stores.sessions.create_session(&s).await.unwrap();
    assert_eq!(
        stores
            .sessions
            .session_by_token(&token.hash(), at(1))
            .await
            .unwrap(),
        Some(s.clone())
    );
    assert_eq!(stores.sessions.session_by_id(&s.id).await.unwrap(), Some(s));
    let stranger = Token::generate().unwrap();
    assert_eq!(
        stores
            .sessions
            .session_by_token(&stranger.hash(), at(1))
            .await
            .unwrap(),
        None
    );
}

pub async fn create_is_insert_if_absent(stores: Stores) {
    let (s, _) = session(None, 0);
    stores.sessions.create_session(&s).await.unwrap();
    let mut same_id = session(None, 0).0;
    same_id.id = s.id;
    assert!(matches!(
        stores.sessions.create_session(&same_id).await,
        Err(StoreError::Conflict(_))
    ));
    let mut same_token = session(None, 0).0;
    same_token.token_hash = s.token_hash;
    assert!(matches!(
        stores.sessions.create_session(&same_token).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        stores.sessions.session_by_id(&s.id).await.unwrap(),
        Some(s),
        "the original is untouched"
    );
}

pub async fn previous_token_finds_the_session(stores: Stores) {
    let (mut s, old) = session(None, 0);
    stores.sessions.create_session(&s).await.unwrap();
    let new = Token::generate().unwrap();
    s.prev_token_hash = Some(s.token_hash);
    s.prev_token_expires_at = Some(at(30));
    s.token_hash = new.hash();
    stores.sessions.update_session(&s).await.unwrap();
    let by_old = stores
        .sessions
        .session_by_token(&old.hash(), at(1))
        .await
        .unwrap()
        .unwrap();
    let by_new = stores
        .sessions
        .session_by_token(&new.hash(), at(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_old.id, s.id);
    assert_eq!(by_new.token_hash, new.hash());
}

pub async fn lookup_hides_records_past_lookup_until(stores: Stores) {
    let (s, token) = session(None, 0);
    stores.sessions.create_session(&s).await.unwrap();
    assert!(
        stores
            .sessions
            .session_by_token(&token.hash(), at(159))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        stores
            .sessions
            .session_by_token(&token.hash(), at(160))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        stores
            .sessions
            .session_by_id(&s.id)
            .await
            .unwrap()
            .is_some(),
        "hidden, not deleted"
    );
}

pub async fn update_requires_the_current_version(stores: Stores) {
    let (s, _) = session(None, 0);
    stores.sessions.create_session(&s).await.unwrap();
    let mut first = s.clone();
    first.last_activity = at(5);
    stores.sessions.update_session(&first).await.unwrap();
    let stored = stores.sessions.session_by_id(&s.id).await.unwrap().unwrap();
    assert_eq!(stored.version, s.version + 1);
    let mut stale = s.clone();
    stale.last_activity = at(9);
    assert!(matches!(
        stores.sessions.update_session(&stale).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        stores
            .sessions
            .session_by_id(&s.id)
            .await
            .unwrap()
            .unwrap()
            .last_activity,
        at(5)
    );
    let (ghost, _) = session(None, 0);
    assert!(matches!(
        stores.sessions.update_session(&ghost).await,
        Err(StoreError::Conflict(_))
    ));
}

pub async fn update_reindexes_tokens(stores: Stores) {
    let (mut s, old) = session(None, 0);
    stores.sessions.create_session(&s).await.unwrap();
    let new = Token::generate().unwrap();
    s.token_hash = new.hash();
    stores.sessions.update_session(&s).await.unwrap();
    assert!(
        stores
            .sessions
            .session_by_token(&old.hash(), at(1))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        stores
            .sessions
            .session_by_token(&new.hash(), at(1))
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn parallel_updates_let_exactly_one_win(stores: Stores) {
    let (s, _) = session(None, 0);
    stores.sessions.create_session(&s).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let (stores, mut mine) = (stores.clone(), s.clone());
        mine.last_activity = at(i + 1);
        tasks.push(tokio::spawn(async move {
            stores.sessions.update_session(&mine).await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => wins += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(
        stores
            .sessions
            .session_by_id(&s.id)
            .await
            .unwrap()
            .unwrap()
            .version,
        s.version + 1
    );
}

pub async fn session_round_trips_every_field(stores: Stores) {
    let uid = UserId::generate(t0()).unwrap();
    let (mut s, _) = session(Some(uid), 0);
    s.prev_token_hash = Some(Token::generate().unwrap().hash());
    s.prev_token_expires_at = Some(at(7));
    s.state = SessionState::Revoked;
    s.end_reason = Some(sessiond_core::EndReason::UserRevoked);
    s.ended_at = Some(at(8));
    s.context = Some("mastodon-1".into());
    s.persistent = true;
    s.data.insert(
        "theme".into(),
        serde_json::json!({"dark": true, "n": [1, 2]}),
    );
    s.client.user_agent = Some("quote \" and \r\n newline ☃".into());
    stores.sessions.create_session(&s).await.unwrap();
    assert_eq!(stores.sessions.session_by_id(&s.id).await.unwrap(), Some(s));
}

pub async fn user_sessions_lists_only_that_users_active_sessions(stores: Stores) {
    let (alice, bob) = (
        UserId::generate(t0()).unwrap(),
        UserId::generate(t0()).unwrap(),
    );
    let (a1, _) = session(Some(alice), 0);
    let (a2, _) = session(Some(alice), 10);
    let (mut a3, _) = session(Some(alice), 20);
    a3.state = SessionState::LoggedOut;
    let (b1, _) = session(Some(bob), 0);
    for s in [&a2, &a1, &a3, &b1] {
        stores.sessions.create_session(s).await.unwrap();
    }
    let ids: Vec<_> = stores
        .sessions
        .user_sessions(&alice, at(50))
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, vec![a1.id, a2.id], "active only, oldest first");
    // a1's idle deadline is at 100, a2's at 110.
    let ids: Vec<_> = stores
        .sessions
        .user_sessions(&alice, at(105))
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(
        ids,
        vec![a2.id],
        "past its deadline a session is not active"
    );
}
