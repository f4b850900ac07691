//! The listing role ([`sessiond_core::store::Listing`]): lists by keyset, a page and the cursor
//! of the next one at a time.

use sessiond_core::store::FeedCursor::{After, Since};
use sessiond_core::store::{ListKey, SessionFilter, StateFilter, Tallies};
use sessiond_core::{SessionState, Stores};

use crate::fixtures::{at, session};

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

    let listing = &stores.listing;
    let all = listing
        .ended_sessions(Since(at(0)), 100)
        .await
        .unwrap()
        .items;
    let ids: Vec<_> = all.iter().map(|e| e.session.id).collect();
    assert_eq!(ids, committed, "in commit order; the active one left out");
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq), "places rise");

    // Paging two at a time loses and repeats nothing.
    let mut paged = Vec::new();
    let mut cursor = After(0);
    loop {
        let page = listing.ended_sessions(cursor, 2).await.unwrap();
        if page.items.is_empty() {
            assert_eq!(page.next, cursor, "an empty page keeps its cursor");
            break;
        }
        assert_eq!(page.next, After(page.items.last().unwrap().seq));
        cursor = page.next;
        paged.extend(page.items.into_iter().map(|e| e.session.id));
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
    let next = listing.ended_sessions(cursor, 10).await.unwrap().items;
    let next: Vec<_> = next.into_iter().map(|e| e.session.id).collect();
    assert_eq!(next, vec![late.id], "only the new end, after the cursor");

    let since_20: Vec<_> = listing
        .ended_sessions(Since(at(20)), 10)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.session.id)
        .collect();
    assert_eq!(
        since_20,
        vec![committed[0], committed[2]],
        "ended at or after the instant"
    );
}

/// Every page of `filter`, `limit` at a time, until the list ends.
async fn every_page(
    stores: &Stores,
    filter: &SessionFilter,
    limit: u32,
) -> Vec<sessiond_core::SessionId> {
    let mut out = Vec::new();
    let mut before = None;
    for _ in 0..1000 {
        let page = stores
            .listing
            .sessions_before(filter, before, limit)
            .await
            .unwrap();
        assert!(page.sessions.len() <= limit as usize, "at most the limit");
        out.extend(page.sessions.iter().map(|s| s.id));
        match page.next {
            Some(next) => before = Some(next),
            None => return out,
        }
    }
    panic!("the list never ended");
}

pub async fn the_session_list_pages_newest_first_and_filters_as_the_rule_says(stores: Stores) {
    use sessiond_core::session::EndReason;
    let alice = sessiond_core::UserId::generate(at(0)).unwrap();
    let bob = sessiond_core::UserId::generate(at(0)).unwrap();
    let mut all = Vec::new();
    // Several in one millisecond: the id breaks the tie.
    for (i, created) in [0, 5, 5, 5, 9, 12, 12, 20].into_iter().enumerate() {
        let user = if i % 2 == 0 { Some(alice) } else { Some(bob) };
        let (mut s, _) = session(user, created);
        s.client.ip = Some(format!("10.0.{}.{}", i % 3, i));
        s.context = (i % 4 == 0).then(|| "lab".to_owned());
        s.role = Some(if i == 3 { "netadmin" } else { "oss" }.to_owned());
        s.last_activity = at(created + i as i64);
        stores.sessions.create_session(&s).await.unwrap();
        if i == 1 || i == 6 {
            s.state = SessionState::Revoked;
            s.end_reason = Some(EndReason::ApiRevoked);
            s.ended_at = Some(at(created + 1));
            s.ended_by = Some("admin:root".into());
            s.end_note = Some("left the company".into());
            stores.sessions.update_session(&s).await.unwrap();
            s.version += 1;
        }
        all.push(s);
    }
    let (anonymous, _) = session(None, 3);
    stores.sessions.create_session(&anonymous).await.unwrap();
    all.push(anonymous);
    all.sort_by_key(|s| std::cmp::Reverse(ListKey::of(s)));

    let now = at(10);
    let cases = [
        SessionFilter::default(),
        SessionFilter {
            user: Some(alice),
            ..Default::default()
        },
        SessionFilter {
            state: StateFilter::Live,
            ..Default::default()
        },
        SessionFilter {
            state: StateFilter::Ended,
            ..Default::default()
        },
        SessionFilter {
            state: StateFilter::Is(SessionState::Revoked),
            user: Some(bob),
            ..Default::default()
        },
        SessionFilter {
            network: Some("10.0.1.0/24".parse().unwrap()),
            ..Default::default()
        },
        SessionFilter {
            network: Some("10.0.2.5/32".parse().unwrap()),
            ..Default::default()
        },
        SessionFilter {
            context: Some("lab".into()),
            ..Default::default()
        },
        SessionFilter {
            role: Some("netadmin".into()),
            ..Default::default()
        },
        SessionFilter {
            created_from: Some(at(5)),
            created_until: Some(at(12)),
            active_from: Some(at(8)),
            ..Default::default()
        },
        SessionFilter {
            active_until: Some(at(9)),
            ..Default::default()
        },
    ];
    for filter in cases {
        let filter = SessionFilter { now, ..filter };
        let expected: Vec<_> = all
            .iter()
            .filter(|s| filter.matches(s))
            .map(|s| s.id)
            .collect();
        for limit in [1, 2, 3, 100] {
            assert_eq!(
                every_page(&stores, &filter, limit).await,
                expected,
                "{filter:?}, {limit} a page"
            );
        }
    }

    // What an ended session says of its end reads back.
    let page = stores
        .listing
        .sessions_before(
            &SessionFilter {
                state: StateFilter::Is(SessionState::Revoked),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(page.sessions.len(), 2);
    for s in &page.sessions {
        assert_eq!(s.ended_by.as_deref(), Some("admin:root"));
        assert_eq!(s.end_note.as_deref(), Some("left the company"));
        assert_eq!(s.display_name.as_deref(), Some("Alice Liddell"));
        assert_eq!(s.auth_method.as_deref(), Some("local"));
    }
}

pub async fn the_session_list_goes_on_past_a_session_purged_under_its_cursor(stores: Stores) {
    let mut made = Vec::new();
    for created in [1, 2, 3, 4] {
        let (s, _) = session(None, created);
        stores.sessions.create_session(&s).await.unwrap();
        made.push(s);
    }
    let filter = SessionFilter::default();
    let first = stores
        .listing
        .sessions_before(&filter, None, 2)
        .await
        .unwrap();
    let ids: Vec<_> = first.sessions.iter().map(|s| s.id).collect();
    assert_eq!(ids, [made[3].id, made[2].id]);
    // The cursor's own session is purged before the next page is asked for.
    let cursor = first.next.expect("the list goes on");
    let mut gone = made[2].clone();
    gone.lookup_until = at(3);
    stores.sessions.update_session(&gone).await.unwrap();
    assert!(stores.sweep.purge_sessions(at(4), 100).await.unwrap() >= 1);
    let rest = stores
        .listing
        .sessions_before(&filter, Some(cursor), 10)
        .await
        .unwrap();
    let ids: Vec<_> = rest.sessions.iter().map(|s| s.id).collect();
    assert_eq!(ids, [made[1].id, made[0].id]);
}

async fn tallies_are(
    stores: &Stores,
    kept: &std::collections::HashMap<sessiond_core::SessionId, sessiond_core::Session>,
    when: &str,
) {
    let expected = Tallies::count(kept.values());
    assert_eq!(stores.listing.tallies().await.unwrap(), expected, "{when}");
}

pub async fn tallies_follow_every_create_end_change_and_purge(stores: Stores) {
    use sessiond_core::session::EndReason;
    let mut kept = std::collections::HashMap::new();
    let alice = sessiond_core::UserId::generate(at(0)).unwrap();
    let bob = sessiond_core::UserId::generate(at(0)).unwrap();
    let mut made = Vec::new();
    for (user, role, context) in [
        (Some(alice), "oss", None),
        (Some(alice), "oss", Some("lab")),
        // A role named like a state must not pass for one.
        (Some(bob), "active", None),
        (None, "", None),
    ] {
        let (mut s, _) = session(user, 1);
        s.role = (!role.is_empty()).then(|| role.to_owned());
        s.context = context.map(str::to_owned);
        stores.sessions.create_session(&s).await.unwrap();
        kept.insert(s.id, s.clone());
        made.push(s);
    }
    let (mut born_ended, _) = session(Some(bob), 2);
    born_ended.state = SessionState::Evicted;
    born_ended.ended_at = Some(at(2));
    stores.sessions.create_session(&born_ended).await.unwrap();
    kept.insert(born_ended.id, born_ended);
    tallies_are(&stores, &kept, "after creates").await;
    assert_eq!(stores.listing.tallies().await.unwrap().active_users, 2);

    let end = |mut s: sessiond_core::Session, state| {
        s.state = state;
        s.end_reason = Some(EndReason::ApiRevoked);
        s.ended_at = Some(at(5));
        s
    };
    let revoked = end(made[0].clone(), SessionState::Revoked);
    stores.sessions.update_session(&revoked).await.unwrap();
    let mut moved = made[1].clone();
    moved.context = Some("ops".into());
    stores.sessions.update_session(&moved).await.unwrap();
    let mut touched = moved.clone();
    touched.version += 1;
    touched.last_activity = at(6);
    stores.sessions.update_session(&touched).await.unwrap();
    let expired = end(made[2].clone(), SessionState::Expired);
    stores.sessions.update_session(&expired).await.unwrap();
    for s in [revoked, touched, expired.clone()] {
        kept.insert(s.id, s);
    }
    tallies_are(&stores, &kept, "after ends, a context change and activity").await;
    assert_eq!(
        stores.listing.tallies().await.unwrap().active_users,
        1,
        "alice alone"
    );

    let mut gone = expired;
    gone.version += 1;
    gone.lookup_until = at(3);
    stores.sessions.update_session(&gone).await.unwrap();
    assert_eq!(stores.sweep.purge_sessions(at(4), 100).await.unwrap(), 1);
    kept.remove(&gone.id);
    tallies_are(&stores, &kept, "after a purge").await;

    // Parallel logins of one new user count each, and the user once.
    let carol = sessiond_core::UserId::generate(at(0)).unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let stores = stores.clone();
            let (s, _) = session(Some(carol), 7);
            tokio::spawn(async move {
                stores.sessions.create_session(&s).await.unwrap();
                s
            })
        })
        .collect();
    for t in tasks {
        let s = t.await.unwrap();
        kept.insert(s.id, s);
    }
    tallies_are(&stores, &kept, "after parallel creates").await;
    assert_eq!(stores.listing.tallies().await.unwrap().active_users, 2);
}

/// Writes moving sessions between the same two contexts in opposite directions at once all
/// succeed (none is lost to locks taken in opposite orders), and the tallies, read while they
/// run, are exact after.
pub async fn tallies_stay_exact_while_moves_race_in_opposite_directions(stores: Stores) {
    let mut kept = std::collections::HashMap::new();
    let mut movers = Vec::new();
    for i in 0..16 {
        let user = sessiond_core::UserId::generate(at(0)).unwrap();
        let (mut s, _) = session(Some(user), 1);
        s.context = Some(if i % 2 == 0 { "east" } else { "lab" }.to_owned());
        stores.sessions.create_session(&s).await.unwrap();
        kept.insert(s.id, s.clone());
        let stores = stores.clone();
        movers.push(tokio::spawn(async move {
            for _ in 0..20 {
                let to = if s.context.as_deref() == Some("east") {
                    "lab"
                } else {
                    "east"
                };
                s.context = Some(to.to_owned());
                stores.sessions.update_session(&s).await.unwrap();
                s.version += 1;
            }
            s
        }));
    }
    let reader = stores.clone();
    let reader = tokio::spawn(async move {
        for _ in 0..20 {
            reader.listing.tallies().await.unwrap();
        }
    });
    for mover in movers {
        let s = mover.await.unwrap();
        kept.insert(s.id, s);
    }
    reader.await.unwrap();
    tallies_are(&stores, &kept, "after racing moves").await;
}
