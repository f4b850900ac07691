//! The sweep role ([`sessiond_core::store::SessionSweep`]): deadlines passed and dead records.

use sessiond_core::{SessionState, Stores};

use crate::fixtures::{at, session};

pub async fn count_active_sessions_counts_only_active(stores: Stores) {
    let (a, _) = session(None, 0);
    let (b, _) = session(None, 50);
    let (mut c, _) = session(None, 0);
    c.state = SessionState::Evicted;
    for s in [&a, &b, &c] {
        stores.sessions.create_session(s).await.unwrap();
    }
    assert_eq!(stores.sweep.count_active_sessions(at(10)).await.unwrap(), 2);
    assert_eq!(
        stores.sweep.count_active_sessions(at(120)).await.unwrap(),
        1
    );
    assert_eq!(
        stores.sweep.count_active_sessions(at(200)).await.unwrap(),
        0
    );
}

pub async fn sessions_due_are_earliest_deadline_first(stores: Stores) {
    let (late, _) = session(None, 30);
    let (early, _) = session(None, 0);
    let (mid, _) = session(None, 10);
    let (mut ended, _) = session(None, 0);
    ended.state = SessionState::LoggedOut;
    for s in [&late, &early, &mid, &ended] {
        stores.sessions.create_session(s).await.unwrap();
    }
    assert_eq!(stores.sweep.count_sessions_due(at(99)).await.unwrap(), 0);
    assert_eq!(stores.sweep.count_sessions_due(at(200)).await.unwrap(), 3);
    let due: Vec<_> = stores
        .sweep
        .sessions_due(at(200), 2)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(due, vec![early.id, mid.id]);
}

pub async fn purge_sessions_works_in_batches(stores: Stores) {
    let mut ids = Vec::new();
    for i in 0..5 {
        let (s, _) = session(None, i);
        stores.sessions.create_session(&s).await.unwrap();
        ids.push(s.id);
    }
    let (keep, _) = session(None, 500);
    stores.sessions.create_session(&keep).await.unwrap();
    assert_eq!(
        stores
            .sweep
            .count_purgeable_sessions(at(400))
            .await
            .unwrap(),
        5
    );
    assert_eq!(stores.sweep.purge_sessions(at(400), 2).await.unwrap(), 2);
    assert_eq!(stores.sweep.purge_sessions(at(400), 10).await.unwrap(), 3);
    assert_eq!(stores.sweep.purge_sessions(at(400), 10).await.unwrap(), 0);
    for id in ids {
        assert!(stores.sessions.session_by_id(&id).await.unwrap().is_none());
    }
    assert!(
        stores
            .sessions
            .session_by_id(&keep.id)
            .await
            .unwrap()
            .is_some()
    );
}
