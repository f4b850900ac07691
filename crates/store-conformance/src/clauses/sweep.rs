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

pub async fn ended_sessions_come_in_the_order_their_ends_were_committed(stores: Stores) {
    use sessiond_core::session::EndReason;
    // Ended in this order, with end times that do not follow it: an end's instant is taken
    // before its write, which may commit later than another's.
    let mut committed = Vec::new();
    for end in [30, 10, 20, 10] {
        let (mut s, _) = session(None, 0);
        stores.sessions.create_session(&s).await.unwrap();
        s.state = SessionState::Revoked;
        s.end_reason = Some(EndReason::UserRevoked);
        s.ended_at = Some(at(end));
        stores.sessions.update_session(&s).await.unwrap();
        committed.push(s.id);
    }
    let (active, _) = session(None, 0);
    stores.sessions.create_session(&active).await.unwrap();
    // Stored already ended: it has its place too.
    let (mut born_ended, _) = session(None, 0);
    born_ended.state = SessionState::Evicted;
    born_ended.ended_at = Some(at(5));
    stores.sessions.create_session(&born_ended).await.unwrap();
    committed.push(born_ended.id);

    let sweep = &stores.sweep;
    let all = sweep.ended_sessions(0, at(0), 100).await.unwrap();
    let ids: Vec<_> = all.iter().map(|e| e.session.id).collect();
    assert_eq!(ids, committed, "in commit order; the active one left out");
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq), "places rise");

    // Paging two at a time loses and repeats nothing.
    let mut paged = Vec::new();
    let mut cursor = 0;
    loop {
        let page = sweep.ended_sessions(cursor, at(0), 2).await.unwrap();
        let Some(last) = page.last() else { break };
        cursor = last.seq;
        paged.extend(page.into_iter().map(|e| e.session.id));
    }
    assert_eq!(paged, committed);

    // Writing an ended session again keeps its place; a later end comes after every cursor
    // already handed out.
    let mut again = stores
        .sessions
        .session_by_id(&committed[0])
        .await
        .unwrap()
        .unwrap();
    again.data.insert("k".into(), 1.into());
    stores.sessions.update_session(&again).await.unwrap();
    let (mut late, _) = session(None, 0);
    stores.sessions.create_session(&late).await.unwrap();
    late.state = SessionState::LoggedOut;
    late.ended_at = Some(at(1));
    stores.sessions.update_session(&late).await.unwrap();
    let next = sweep.ended_sessions(cursor, at(0), 10).await.unwrap();
    let next: Vec<_> = next.into_iter().map(|e| e.session.id).collect();
    assert_eq!(next, vec![late.id], "only the new end, after the cursor");

    let since_20: Vec<_> = sweep
        .ended_sessions(0, at(20), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.session.id)
        .collect();
    assert_eq!(
        since_20,
        vec![committed[0], committed[2]],
        "ended at or after the instant"
    );
}
