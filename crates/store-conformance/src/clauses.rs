//! One function per clause of the store contract.

use std::sync::Arc;

use sessiond_core::audit::{AuditEvent, AuditKind, AuditQuery};
use sessiond_core::audit_chain::{ChainLink, verify_store};
use sessiond_core::counter::{CounterKey, Limit, Lockee};
use sessiond_core::{SessionState, SessionStore, StoreError, Token, UserId};

use crate::fixtures::{at, session, t0, user};

type Store = Arc<dyn SessionStore>;

pub async fn create_then_find_by_token(store: Store) {
    let (s, token) = session(None, 0);
    store.create_session(&s).await.unwrap();
    assert_eq!(
        store.session_by_token(&token.hash(), at(1)).await.unwrap(),
        Some(s.clone())
    );
    assert_eq!(store.session_by_id(&s.id).await.unwrap(), Some(s));
    let stranger = Token::generate().unwrap();
    assert_eq!(
        store
            .session_by_token(&stranger.hash(), at(1))
            .await
            .unwrap(),
        None
    );
}

pub async fn create_is_insert_if_absent(store: Store) {
    let (s, _) = session(None, 0);
    store.create_session(&s).await.unwrap();
    let mut same_id = session(None, 0).0;
    same_id.id = s.id;
    assert!(matches!(
        store.create_session(&same_id).await,
        Err(StoreError::Conflict(_))
    ));
    let mut same_token = session(None, 0).0;
    same_token.token_hash = s.token_hash;
    assert!(matches!(
        store.create_session(&same_token).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.session_by_id(&s.id).await.unwrap(),
        Some(s),
        "the original is untouched"
    );
}

pub async fn previous_token_finds_the_session(store: Store) {
    let (mut s, old) = session(None, 0);
    store.create_session(&s).await.unwrap();
    let new = Token::generate().unwrap();
    s.prev_token_hash = Some(s.token_hash);
    s.prev_token_expires_at = Some(at(30));
    s.token_hash = new.hash();
    store.update_session(&s).await.unwrap();
    let by_old = store
        .session_by_token(&old.hash(), at(1))
        .await
        .unwrap()
        .unwrap();
    let by_new = store
        .session_by_token(&new.hash(), at(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_old.id, s.id);
    assert_eq!(by_new.token_hash, new.hash());
}

pub async fn lookup_hides_records_past_lookup_until(store: Store) {
    let (s, token) = session(None, 0);
    store.create_session(&s).await.unwrap();
    assert!(
        store
            .session_by_token(&token.hash(), at(159))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .session_by_token(&token.hash(), at(160))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store.session_by_id(&s.id).await.unwrap().is_some(),
        "hidden, not deleted"
    );
}

pub async fn update_requires_the_current_version(store: Store) {
    let (s, _) = session(None, 0);
    store.create_session(&s).await.unwrap();
    let mut first = s.clone();
    first.last_activity = at(5);
    store.update_session(&first).await.unwrap();
    let stored = store.session_by_id(&s.id).await.unwrap().unwrap();
    assert_eq!(stored.version, s.version + 1);
    let mut stale = s.clone();
    stale.last_activity = at(9);
    assert!(matches!(
        store.update_session(&stale).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store
            .session_by_id(&s.id)
            .await
            .unwrap()
            .unwrap()
            .last_activity,
        at(5)
    );
    let (ghost, _) = session(None, 0);
    assert!(matches!(
        store.update_session(&ghost).await,
        Err(StoreError::Conflict(_))
    ));
}

pub async fn update_reindexes_tokens(store: Store) {
    let (mut s, old) = session(None, 0);
    store.create_session(&s).await.unwrap();
    let new = Token::generate().unwrap();
    s.token_hash = new.hash();
    store.update_session(&s).await.unwrap();
    assert!(
        store
            .session_by_token(&old.hash(), at(1))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .session_by_token(&new.hash(), at(1))
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn parallel_updates_let_exactly_one_win(store: Store) {
    let (s, _) = session(None, 0);
    store.create_session(&s).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let (store, mut mine) = (store.clone(), s.clone());
        mine.last_activity = at(i + 1);
        tasks.push(tokio::spawn(
            async move { store.update_session(&mine).await },
        ));
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
        store.session_by_id(&s.id).await.unwrap().unwrap().version,
        s.version + 1
    );
}

pub async fn session_round_trips_every_field(store: Store) {
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
    store.create_session(&s).await.unwrap();
    assert_eq!(store.session_by_id(&s.id).await.unwrap(), Some(s));
}

pub async fn user_sessions_lists_only_that_users_active_sessions(store: Store) {
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
        store.create_session(s).await.unwrap();
    }
    let ids: Vec<_> = store
        .user_sessions(&alice, at(50))
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, vec![a1.id, a2.id], "active only, oldest first");
    // a1's idle deadline is at 100, a2's at 110.
    let ids: Vec<_> = store
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

pub async fn count_active_sessions_counts_only_active(store: Store) {
    let (a, _) = session(None, 0);
    let (b, _) = session(None, 50);
    let (mut c, _) = session(None, 0);
    c.state = SessionState::Evicted;
    for s in [&a, &b, &c] {
        store.create_session(s).await.unwrap();
    }
    assert_eq!(store.count_active_sessions(at(10)).await.unwrap(), 2);
    assert_eq!(store.count_active_sessions(at(120)).await.unwrap(), 1);
    assert_eq!(store.count_active_sessions(at(200)).await.unwrap(), 0);
}

pub async fn sessions_due_are_earliest_deadline_first(store: Store) {
    let (late, _) = session(None, 30);
    let (early, _) = session(None, 0);
    let (mid, _) = session(None, 10);
    let (mut ended, _) = session(None, 0);
    ended.state = SessionState::LoggedOut;
    for s in [&late, &early, &mid, &ended] {
        store.create_session(s).await.unwrap();
    }
    assert_eq!(store.count_sessions_due(at(99)).await.unwrap(), 0);
    assert_eq!(store.count_sessions_due(at(200)).await.unwrap(), 3);
    let due: Vec<_> = store
        .sessions_due(at(200), 2)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(due, vec![early.id, mid.id]);
}

pub async fn purge_sessions_works_in_batches(store: Store) {
    let mut ids = Vec::new();
    for i in 0..5 {
        let (s, _) = session(None, i);
        store.create_session(&s).await.unwrap();
        ids.push(s.id);
    }
    let (keep, _) = session(None, 500);
    store.create_session(&keep).await.unwrap();
    assert_eq!(store.count_purgeable_sessions(at(400)).await.unwrap(), 5);
    assert_eq!(store.purge_sessions(at(400), 2).await.unwrap(), 2);
    assert_eq!(store.purge_sessions(at(400), 10).await.unwrap(), 3);
    assert_eq!(store.purge_sessions(at(400), 10).await.unwrap(), 0);
    for id in ids {
        assert!(store.session_by_id(&id).await.unwrap().is_none());
    }
    assert!(store.session_by_id(&keep.id).await.unwrap().is_some());
}

pub async fn users_are_unique_without_regard_to_case(store: Store) {
    let alice = user("Alice");
    store.create_user(&alice).await.unwrap();
    assert_eq!(
        store.user_by_name("aLiCe").await.unwrap(),
        Some(alice.clone())
    );
    assert!(matches!(
        store.create_user(&user("ALICE")).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.user_by_id(&alice.id).await.unwrap(), Some(alice));
    assert_eq!(store.user_by_name("bob").await.unwrap(), None);
}

pub async fn users_update_list_and_count(store: Store) {
    let (mut bob, alice) = (user("bob"), user("alice"));
    store.create_user(&bob).await.unwrap();
    store.create_user(&alice).await.unwrap();
    bob.enabled = false;
    bob.role = "netadmin".into();
    bob.password_hash = None;
    store.update_user(&bob).await.unwrap();
    assert_eq!(store.user_by_name("bob").await.unwrap(), Some(bob.clone()));
    let names: Vec<_> = store
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, vec!["alice", "bob"]);
    assert_eq!(store.count_users().await.unwrap(), 2);
    let mut rename = bob.clone();
    rename.username = "ALICE".into();
    assert!(matches!(
        store.update_user(&rename).await,
        Err(StoreError::Conflict(_))
    ));
}

pub async fn audit_events_filter_newest_first(store: Store) {
    let (s, _) = session(Some(UserId::generate(t0()).unwrap()), 0);
    for (i, kind) in [
        AuditKind::LoginSuccess,
        AuditKind::SessionExtended,
        AuditKind::SessionLoggedOut,
    ]
    .into_iter()
    .enumerate()
    {
        let e = AuditEvent::new(kind, at(i as i64))
            .session(&s)
            .detail("n", i);
        store.append_audit(std::slice::from_ref(&e)).await.unwrap();
    }
    let other = AuditEvent::new(AuditKind::LoginFailed, at(5)).username("Mallory");
    store
        .append_audit(std::slice::from_ref(&other))
        .await
        .unwrap();
    let all = store
        .audit_events(&AuditQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all[0], other, "newest first, every field kept");
    let by_user = AuditQuery {
        username: Some("ALICE".into()),
        limit: 10,
        ..Default::default()
    };
    let types: Vec<_> = store
        .audit_events(&by_user)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        types,
        vec!["SESSION_LOGGED_OUT", "SESSION_EXTENDED", "LOGIN_SUCCESS"]
    );
    let by_session = AuditQuery {
        session_id: Some(s.id),
        since: Some(at(1)),
        limit: 1,
        ..Default::default()
    };
    let got = store.audit_events(&by_session).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].event_type, "SESSION_LOGGED_OUT");
    assert_eq!(got[0].details["n"], 2);
}

pub async fn audit_events_filter_by_type_and_seed_000s_expired_finds_both_timeouts(store: Store) {
    for (i, kind) in [
        AuditKind::SessionExpiredIdle,
        AuditKind::LoginSuccess,
        AuditKind::SessionExpiredAbsolute,
    ]
    .into_iter()
    .enumerate()
    {
        let e = AuditEvent::new(kind, at(i as i64)).username("alice");
        store.append_audit(std::slice::from_ref(&e)).await.unwrap();
    }
    let types = |names: &[&str]| {
        let q = AuditQuery {
            event_types: names.iter().flat_map(|n| AuditKind::matching(n)).collect(),
            limit: 10,
            ..Default::default()
        };
        let store = store.clone();
        async move {
            let got = store.audit_events(&q).await.unwrap();
            got.into_iter().map(|e| e.event_type).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        types(&["session_expired"]).await,
        ["SESSION_EXPIRED_ABSOLUTE", "SESSION_EXPIRED_IDLE"]
    );
    assert_eq!(types(&["LOGIN_SUCCESS"]).await, ["LOGIN_SUCCESS"]);
    assert_eq!(types(&[]).await.len(), 3, "no filter: every type");
    assert!(types(&["NO_SUCH_EVENT"]).await.is_empty());
}

pub async fn audit_purge_works_in_batches(store: Store) {
    for i in 0..5 {
        store
            .append_audit(&[AuditEvent::new(AuditKind::LoginFailed, at(i))])
            .await
            .unwrap();
    }
    assert_eq!(store.count_audit_before(at(3)).await.unwrap(), 3);
    assert_eq!(store.purge_audit(at(3), 2).await.unwrap(), 2);
    assert_eq!(store.purge_audit(at(3), 2).await.unwrap(), 1);
    let left = store
        .audit_events(&AuditQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(left.len(), 2);
    // What remains is one chain from a base that is the last purged link.
    let ends = store.audit_chain_ends().await.unwrap();
    assert_eq!((ends.base.seq, ends.head.seq), (3, 5));
    assert_eq!(ends.unchained, 0, "every record left is in the chain");
    let verified = verify_store(&*store, vec![]).await.unwrap().unwrap();
    assert_eq!(verified.records, 2);
}

pub async fn audit_events_form_one_hash_chain(store: Store) {
    assert_eq!(
        store.audit_chain_ends().await.unwrap().head,
        ChainLink::GENESIS
    );
    let mut expected = ChainLink::GENESIS;
    let events: Vec<_> = (0..5)
        .map(|i| {
            AuditEvent::new(AuditKind::LoginSuccess, at(i))
                .username("Alice")
                .detail("ua", "line\r\nbreak \u{2028} \"quoted\"")
        })
        .collect();
    for e in &events {
        expected = expected.next(e);
    }
    // One at a time, then a batch: the same chain.
    for e in &events[..2] {
        store.append_audit(std::slice::from_ref(e)).await.unwrap();
    }
    store.append_audit(&events[2..]).await.unwrap();
    store.append_audit(&[]).await.unwrap();
    // The store links with the same hash the verifier recomputes.
    let ends = store.audit_chain_ends().await.unwrap();
    assert_eq!((ends.head, ends.unchained), (expected, 0));
    let mut seqs = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.audit_chain(cursor.as_deref(), 2).await.unwrap();
        seqs.extend(page.records.iter().map(|r| r.seq));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(
        seqs,
        vec![1, 2, 3, 4, 5],
        "pages follow one another in seq order"
    );
    let verified = verify_store(&*store, vec![expected])
        .await
        .unwrap()
        .unwrap();
    assert_eq!((verified.records, verified.anchors_checked), (5, 1));
}

pub async fn parallel_appends_build_one_chain(store: Store) {
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                let events: Vec<_> = (0..5)
                    .map(|i| AuditEvent::new(AuditKind::SessionExtended, at(i)).detail("task", t))
                    .collect();
                // Half the tasks append one by one, half in one batch.
                if t % 2 == 0 {
                    store.append_audit(&events).await.unwrap();
                } else {
                    for e in &events {
                        store.append_audit(std::slice::from_ref(e)).await.unwrap();
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let verified = verify_store(&*store, vec![]).await.unwrap().unwrap();
    assert_eq!((verified.records, verified.head.seq), (40, 40));
}

/// A counter of a per-address limit, for the clauses below.
fn limit(address: &str) -> CounterKey {
    CounterKey::Limit(Limit::Logins, address.to_owned())
}

pub async fn counters_add_lapse_and_delete(store: Store) {
    let key = &limit("192.0.2.1");
    let c = store.add_to_counter(key, 1, at(0), at(60)).await.unwrap();
    assert_eq!((c.value, c.expires_at), (1, at(60)));
    let c = store.add_to_counter(key, 2, at(10), at(70)).await.unwrap();
    assert_eq!((c.value, c.expires_at), (3, at(60)), "the expiry stays");
    assert_eq!(store.counter(key, at(59)).await.unwrap(), Some(c));
    assert_eq!(
        store.counter(key, at(60)).await.unwrap(),
        None,
        "lapsed at its expiry"
    );
    let c = store.add_to_counter(key, 1, at(60), at(120)).await.unwrap();
    assert_eq!(
        (c.value, c.expires_at),
        (1, at(120)),
        "a lapsed counter starts again"
    );
    store.delete_counter(key).await.unwrap();
    assert_eq!(store.counter(key, at(61)).await.unwrap(), None);
    assert_eq!(
        store.counter(&limit("never counted"), at(0)).await.unwrap(),
        None
    );
    // Namespaces are apart: the same text in another kind of key is another counter.
    let other = CounterKey::Limit(Limit::UnknownTokens, "192.0.2.1".into());
    store
        .add_to_counter(key, 5, at(200), at(300))
        .await
        .unwrap();
    assert_eq!(store.counter(&other, at(200)).await.unwrap(), None);
    let (old, young) = (limit("old"), limit("young"));
    store.add_to_counter(&old, 1, at(0), at(5)).await.unwrap();
    store
        .add_to_counter(&young, 1, at(0), at(500))
        .await
        .unwrap();
    assert!(store.purge_counters(at(10), 100).await.unwrap() <= 1);
    assert_eq!(store.counter(&old, at(6)).await.unwrap(), None);
    assert_eq!(
        store.counter(&young, at(10)).await.unwrap().unwrap().value,
        1
    );
}

pub async fn parallel_counter_adds_all_count(store: Store) {
    let adds: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            let key = CounterKey::LoginFailures(Lockee::Account("alice".into()));
            tokio::spawn(async move { store.add_to_counter(&key, 1, at(0), at(60)).await })
        })
        .collect();
    let mut seen = Vec::new();
    for a in adds {
        seen.push(a.await.unwrap().unwrap().value);
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=20).collect::<Vec<u64>>(),
        "every add counted once"
    );
}
