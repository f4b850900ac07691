//! The verifier against every way a chain can break.

use super::*;
use crate::audit::AuditKind;
use crate::time::from_millis;

fn chain(n: u64) -> Vec<ChainedEvent> {
    let mut head = ChainLink::GENESIS;
    (1..=n)
        .map(|i| {
            let e = AuditEvent::new(AuditKind::LoginSuccess, from_millis(i as i64 * 1000))
                .username("ann");
            let r = ChainedEvent::after(head, e);
            head = r.link();
            r
        })
        .collect()
}

fn verify(
    records: &[ChainedEvent],
    ends: ChainEnds,
    anchors: Vec<ChainLink>,
) -> Result<Verified, ChainBreak> {
    let mut v = Verifier::new(ends, anchors)?;
    records.iter().try_for_each(|r| v.feed(r))?;
    v.finish()
}

fn ends_of(records: &[ChainedEvent]) -> ChainEnds {
    ChainEnds {
        base: ChainLink::GENESIS,
        head: records
            .last()
            .map_or(ChainLink::GENESIS, ChainedEvent::link),
        unchained: 0,
        base_at: None,
    }
}

#[test]
fn an_intact_chain_verifies_with_its_anchors() {
    let c = chain(5);
    let got = verify(&c, ends_of(&c), vec![c[1].link(), c[4].link()]).unwrap();
    assert_eq!((got.records, got.anchors_checked), (5, 2));
    assert_eq!(
        verify(&[], ChainEnds::default(), vec![]).unwrap().records,
        0
    );
}

#[test]
fn each_kind_of_tampering_names_the_first_broken_link() {
    let c = chain(6);
    let ends = ends_of(&c);

    let mut modified = c.clone();
    modified[2].event.username = Some("mallory".into());
    assert_eq!(
        verify(&modified, ends, vec![]),
        Err(ChainBreak::Modified { seq: 3 })
    );

    let mut deleted = c.clone();
    deleted.remove(3);
    assert_eq!(
        verify(&deleted, ends, vec![]),
        Err(ChainBreak::Missing { seq: 4 })
    );

    let mut reordered = c.clone();
    reordered.swap(1, 2);
    (reordered[1].seq, reordered[2].seq) = (2, 3);
    assert_eq!(
        verify(&reordered, ends, vec![]),
        Err(ChainBreak::Unlinked { seq: 2, prev: 1 })
    );

    let truncated = &c[..4];
    assert_eq!(
        verify(truncated, ends, vec![]),
        Err(ChainBreak::Truncated { last: 4, head: 6 })
    );
}

#[test]
fn a_rewritten_chain_is_caught_by_an_anchor() {
    let c = chain(4);
    let anchor = c[3].link();
    // Change record 2 and recompute every hash after it, head included.
    let mut forged = Vec::new();
    let mut head = ChainLink::GENESIS;
    for (i, r) in c.iter().enumerate() {
        let mut e = r.event.clone();
        if i == 1 {
            e.username = Some("mallory".into());
        }
        let f = ChainedEvent::after(head, e);
        head = f.link();
        forged.push(f);
    }
    assert!(verify(&forged, ends_of(&forged), vec![]).is_ok());
    assert_eq!(
        verify(&forged, ends_of(&forged), vec![anchor]),
        Err(ChainBreak::AnchorMismatch { seq: 4 })
    );
    // Cut the tail and move the head back: the anchor past the head shows it.
    let cut = &c[..2];
    assert_eq!(
        verify(cut, ends_of(cut), vec![anchor]),
        Err(ChainBreak::Truncated { last: 2, head: 4 })
    );
}

#[test]
fn a_purged_prefix_verifies_from_its_base_but_not_against_an_anchor_it_deleted() {
    let c = chain(5);
    let ends = ChainEnds {
        base: c[1].link(),
        head: c[4].link(),
        unchained: 0,
        base_at: None,
    };
    let got = verify(&c[2..], ends, vec![c[3].link()]).unwrap();
    assert_eq!((got.records, got.anchors_checked), (3, 1));
    // Deleting the first remaining record without moving the base is a gap.
    assert_eq!(
        verify(&c[3..], ends, vec![]),
        Err(ChainBreak::Missing { seq: 3 })
    );
    // The tail cut and the base moved past an anchor: the anchor cannot vouch, so it fails.
    assert_eq!(
        verify(&c[2..], ends, vec![c[0].link()]),
        Err(ChainBreak::AnchorBeforeBase { anchor: 1, base: 2 })
    );
}

#[test]
fn records_outside_the_chain_fail_verification() {
    let c = chain(3);
    let ends = ChainEnds {
        unchained: 2,
        ..ends_of(&c)
    };
    assert_eq!(
        verify(&c, ends, vec![]),
        Err(ChainBreak::Unchained { count: 2 })
    );
}

#[test]
fn anchors_round_trip_as_text() {
    let link = chain(1)[0].link();
    assert_eq!(link.to_string().parse::<ChainLink>().unwrap(), link);
    assert!("7".parse::<ChainLink>().is_err());
    assert!("x:00".parse::<ChainLink>().is_err());
}
