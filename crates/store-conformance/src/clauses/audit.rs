//! The audit role ([`sessiond_core::store::AuditLog`]): queries, purges and the hash chain.

use sessiond_core::audit::{AuditEvent, AuditKind, AuditQuery};
use sessiond_core::audit_chain::{ChainBreak, ChainLink, verify_store};
use sessiond_core::{Stores, UserId};

use crate::fixtures::{at, session, t0};

pub async fn audit_events_filter_newest_first(stores: Stores) {
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
        stores
            .audit
            .append_audit(std::slice::from_ref(&e))
            .await
            .unwrap();
    }
    let other = AuditEvent::new(AuditKind::LoginFailed, at(5)).username("Mallory");
    stores
        .audit
        .append_audit(std::slice::from_ref(&other))
        .await
        .unwrap();
    let all = stores
        .audit
        .audit_events(&AuditQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
    let read = AuditEvent {
        seq: None,
        ..all[0].clone()
    };
    assert_eq!(read, other, "newest first, every field kept");
    let seqs: Vec<_> = all.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        [Some(4), Some(3), Some(2), Some(1)],
        "read with their places"
    );
    let by_user = AuditQuery {
        username: Some("ALICE".into()),
        limit: 10,
        ..Default::default()
    };
    let types: Vec<_> = stores
        .audit
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
    let got = stores.audit.audit_events(&by_session).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].event_type, "SESSION_LOGGED_OUT");
    assert_eq!(got[0].details["n"], 2);
}

pub async fn audit_events_filter_by_type_and_session_expired_finds_both_timeouts(stores: Stores) {
    for (i, kind) in [
        AuditKind::SessionExpiredIdle,
        AuditKind::LoginSuccess,
        AuditKind::SessionExpiredAbsolute,
    ]
    .into_iter()
    .enumerate()
    {
        let e = AuditEvent::new(kind, at(i as i64)).username("alice");
        stores
            .audit
            .append_audit(std::slice::from_ref(&e))
            .await
            .unwrap();
    }
    let types = |names: &[&str]| {
        let q = AuditQuery {
            event_types: names.iter().flat_map(|n| AuditKind::matching(n)).collect(),
            limit: 10,
            ..Default::default()
        };
        let stores = stores.clone();
        async move {
            let got = stores.audit.audit_events(&q).await.unwrap();
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

pub async fn audit_purge_works_in_batches(stores: Stores) {
    for i in 0..5 {
        stores
            .audit
            .append_audit(&[AuditEvent::new(AuditKind::LoginFailed, at(i))])
            .await
            .unwrap();
    }
    assert_eq!(stores.audit.count_audit_before(at(3)).await.unwrap(), 3);
    assert_eq!(stores.audit.purge_audit(at(3), 2).await.unwrap(), 2);
    assert_eq!(stores.audit.purge_audit(at(3), 2).await.unwrap(), 1);
    let left = stores
        .audit
        .audit_events(&AuditQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(left.len(), 2);
    // What remains is one chain from a base that is the last purged link.
    let ends = stores.audit.audit_chain_ends().await.unwrap();
    assert_eq!((ends.base.seq, ends.head.seq), (3, 5));
    assert_eq!(ends.unchained, 0, "every record left is in the chain");
    assert_eq!(ends.base_at, Some(at(2)), "the base's own time is kept");
    let verified = verify_store(&*stores.audit, vec![], Some(at(3)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(verified.records, 2);
    // Had retention kept records from 2 s on, the base's record was deleted early.
    let early = verify_store(&*stores.audit, vec![], Some(at(2)))
        .await
        .unwrap();
    assert!(
        matches!(early, Err(ChainBreak::PurgedEarly { base: 3, .. })),
        "{early:?}"
    );
}

pub async fn audit_events_form_one_hash_chain(stores: Stores) {
    assert_eq!(
        stores.audit.audit_chain_ends().await.unwrap().head,
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
        stores
            .audit
            .append_audit(std::slice::from_ref(e))
            .await
            .unwrap();
    }
    stores.audit.append_audit(&events[2..]).await.unwrap();
    stores.audit.append_audit(&[]).await.unwrap();
    // The store links with the same hash the verifier recomputes.
    let ends = stores.audit.audit_chain_ends().await.unwrap();
    assert_eq!((ends.head, ends.unchained), (expected, 0));
    let mut seqs = Vec::new();
    let mut cursor = None;
    loop {
        let page = stores
            .audit
            .audit_chain(cursor.as_deref(), 2)
            .await
            .unwrap();
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
    let verified = verify_store(&*stores.audit, vec![expected], None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((verified.records, verified.anchors_checked), (5, 1));
}

pub async fn parallel_appends_build_one_chain(stores: Stores) {
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let stores = stores.clone();
            tokio::spawn(async move {
                let events: Vec<_> = (0..5)
                    .map(|i| AuditEvent::new(AuditKind::SessionExtended, at(i)).detail("task", t))
                    .collect();
                // Half the tasks append one by one, half in one batch.
                if t % 2 == 0 {
                    stores.audit.append_audit(&events).await.unwrap();
                } else {
                    for e in &events {
                        stores
                            .audit
                            .append_audit(std::slice::from_ref(e))
                            .await
                            .unwrap();
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let verified = verify_store(&*stores.audit, vec![], None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((verified.records, verified.head.seq), (40, 40));
}

pub async fn audit_events_page_by_place_and_time(stores: Stores) {
    // Stored in this order, with instants that do not follow it: a page goes by place.
    for (i, t) in [3, 1, 4, 1, 5].into_iter().enumerate() {
        let e = AuditEvent::new(AuditKind::LoginFailed, at(t)).detail("n", i);
        stores.audit.append_audit(&[e]).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let q = AuditQuery {
            before_seq: before,
            limit: 2,
            ..Default::default()
        };
        let page = stores.audit.audit_events(&q).await.unwrap();
        let Some(last) = page.last() else { break };
        before = last.seq;
        seen.extend(page.iter().map(|e| e.details["n"].as_u64().unwrap()));
    }
    assert_eq!(seen, [4, 3, 2, 1, 0], "newest stored first, each once");
    let q = AuditQuery {
        since: Some(at(1)),
        until: Some(at(4)),
        limit: 10,
        ..Default::default()
    };
    let n: Vec<_> = stores
        .audit
        .audit_events(&q)
        .await
        .unwrap()
        .iter()
        .map(|e| e.details["n"].as_u64().unwrap())
        .collect();
    assert_eq!(n, [3, 1, 0], "from `since` up to, not including, `until`");
}
