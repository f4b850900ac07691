//! The listing role ([`sessiond_core::store::Listing`]): lists by keyset, a page and the cursor
//! of the next one at a time.

use sessiond_core::store::FeedCursor::{After, Since};
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
