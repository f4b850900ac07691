//! Tamper evidence for the audit trail (docs/security.md row 48).
//!
//! Every stored event is a link of a hash chain: `hash_n = SHA-256(hash_{n-1} ‖ entry_n)`, where
//! `entry_n` is [`entry_bytes`] and the first link follows 32 zero bytes. Stores assign `seq` and
//! link each event to the current head atomically, so nodes sharing a store build one chain.
//! Retention deletes only a prefix and records the last deleted link as the chain's *base*.
//!
//! The [`Verifier`] walks the chain from the base to the head and names the first broken link: a
//! modified, missing or reordered record, or a truncated tail. Someone who can write the store can
//! also recompute every hash after a change; *anchors* (a `seq:hash` pair taken earlier and kept
//! elsewhere, e.g. from the log line `audit chain head` that cleanup writes) catch that.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256};

use crate::audit::AuditEvent;
use crate::store::{AuditLog, StoreError, StoreResult};
use crate::time::to_millis;
use crate::token::TokenHash;

/// A SHA-256 value of the chain.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    pub fn to_hex(self) -> String {
        TokenHash::from_bytes(self.0).to_hex()
    }

    pub fn from_hex(hex: &str) -> Option<Self> {
        TokenHash::from_hex(hex).map(|h| Self(*h.as_bytes()))
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The bytes an event contributes to its link: a JSON array of its fields in a fixed order, with
/// the time in milliseconds (what every store keeps). JSON is self-delimiting, so no two events
/// share an encoding.
pub fn entry_bytes(e: &AuditEvent) -> Vec<u8> {
    serde_json::json!([
        to_millis(e.at),
        e.event_type,
        e.user_id.map(|u| u.to_string()),
        e.username,
        e.session_id.map(|s| s.to_string()),
        e.ip,
        e.user_agent,
        e.details,
    ])
    .to_string()
    .into_bytes()
}

/// One position in the chain: the sequence number of a record and its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainLink {
    pub seq: u64,
    pub hash: Digest,
}

impl ChainLink {
    /// Before the first record.
    pub const GENESIS: Self = Self {
        seq: 0,
        hash: Digest([0; 32]),
    };

    /// The link that appending `event` after this one makes.
    pub fn next(&self, event: &AuditEvent) -> Self {
        let mut h = Sha256::new();
        h.update(self.hash.0);
        h.update(entry_bytes(event));
        Self {
            seq: self.seq + 1,
            hash: Digest(h.finalize().into()),
        }
    }
}

/// `seq:hex`, the form anchors are written and read in.
impl fmt::Display for ChainLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash.to_hex())
    }
}

impl FromStr for ChainLink {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not SEQ:HASH (a number, a colon, 64 hex digits)");
        let (seq, hash) = s.split_once(':').ok_or_else(bad)?;
        Ok(Self {
            seq: seq.parse().map_err(|_| bad())?,
            hash: Digest::from_hex(hash).ok_or_else(bad)?,
        })
    }
}

/// A stored record with its place in the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainedEvent {
    pub seq: u64,
    pub prev_hash: Digest,
    pub hash: Digest,
    pub event: AuditEvent,
}

impl ChainedEvent {
    /// The record that appending `event` after `head` stores.
    pub fn after(head: ChainLink, event: AuditEvent) -> Self {
        let link = head.next(&event);
        Self {
            seq: link.seq,
            prev_hash: head.hash,
            hash: link.hash,
            event,
        }
    }

    pub fn link(&self) -> ChainLink {
        ChainLink {
            seq: self.seq,
            hash: self.hash,
        }
    }
}

/// A page of the chain in seq order. `next` continues after it; None when nothing follows.
/// The cursor is the store's own (a seq, a stream id): pass it back unchanged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChainPage {
    pub records: Vec<ChainedEvent>,
    pub next: Option<String>,
}

impl ChainPage {
    /// For stores whose cursor is the last seq of a page: the seq to continue after.
    pub fn seq_after(cursor: Option<&str>) -> StoreResult<u64> {
        cursor.map_or(Ok(0), |c| {
            c.parse()
                .map_err(|_| StoreError::corrupt(format!("audit chain cursor {c:?}")))
        })
    }

    /// A page of records read by seq with `limit`: full pages continue after their last seq.
    pub fn by_seq(records: Vec<ChainedEvent>, limit: u32) -> Self {
        let next = match records.last() {
            Some(last) if records.len() >= limit as usize => Some(last.seq.to_string()),
            _ => None,
        };
        Self { records, next }
    }
}

/// Where a store's chain starts (the last purged link, or genesis) and ends, and how many
/// stored audit records have no place in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainEnds {
    pub base: ChainLink,
    pub head: ChainLink,
    /// Records the store holds outside the chain: sessiond writes none, so each was put there
    /// by someone else (or predates the chain). Read with the ends, in one snapshot.
    pub unchained: u64,
}

impl Default for ChainEnds {
    fn default() -> Self {
        Self {
            base: ChainLink::GENESIS,
            head: ChainLink::GENESIS,
            unchained: 0,
        }
    }
}

/// The first thing wrong with a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("record {seq} was changed: its content does not give its hash")]
    Modified { seq: u64 },
    #[error("record {seq} is missing (deleted)")]
    Missing { seq: u64 },
    #[error("record {seq} does not follow record {prev}: records were reordered or relinked")]
    Unlinked { seq: u64, prev: u64 },
    #[error("the chain ends at record {last} but its head is record {head}: the tail was cut")]
    Truncated { last: u64, head: u64 },
    #[error("record {seq} is not the head the store records: the head was rewritten")]
    HeadMismatch { seq: u64 },
    #[error("record {seq} does not match the anchor: the chain was rewritten since it was taken")]
    AnchorMismatch { seq: u64 },
    #[error(
        "the anchor at record {anchor} is older than the chain's base (record {base}): the \
         records it vouches for are gone, so it cannot be checked. Retention deletes records \
         older than SESSION_AUDIT_RETENTION_DAYS; anything else deleted them. Verify against \
         a newer anchor"
    )]
    AnchorBeforeBase { anchor: u64, base: u64 },
    #[error(
        "{count} stored audit records have no place in the chain: sessiond writes none, so they \
         were inserted outside it (or predate the chain)"
    )]
    Unchained { count: u64 },
}

/// What a walk that found nothing wrong saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub base: ChainLink,
    pub head: ChainLink,
    pub records: u64,
    pub anchors_checked: usize,
}

/// Walks records in `seq` order; feed it pages, then [`Verifier::finish`].
#[derive(Debug)]
pub struct Verifier {
    ends: ChainEnds,
    at: ChainLink,
    records: u64,
    anchors: Vec<ChainLink>,
    anchors_checked: usize,
}

impl Verifier {
    pub fn new(ends: ChainEnds, mut anchors: Vec<ChainLink>) -> Result<Self, ChainBreak> {
        anchors.sort_by_key(|a| a.seq);
        // An anchor is evidence only if what it points at can be read: one below the base could
        // be hiding the deletion of everything after it, base moved to match.
        if let Some(old) = anchors.first().filter(|a| a.seq < ends.base.seq) {
            return Err(ChainBreak::AnchorBeforeBase {
                anchor: old.seq,
                base: ends.base.seq,
            });
        }
        let mut v = Self {
            ends,
            at: ends.base,
            records: 0,
            anchors,
            anchors_checked: 0,
        };
        v.check_anchor(ends.base)?;
        Ok(v)
    }

    fn check_anchor(&mut self, link: ChainLink) -> Result<(), ChainBreak> {
        while let Some(a) = self.anchors.first().copied() {
            if a.seq > link.seq {
                break;
            }
            if a != link {
                return Err(ChainBreak::AnchorMismatch { seq: link.seq });
            }
            self.anchors.remove(0);
            self.anchors_checked += 1;
        }
        Ok(())
    }

    pub fn feed(&mut self, r: &ChainedEvent) -> Result<(), ChainBreak> {
        let expected = self.at.seq + 1;
        if r.seq > expected {
            return Err(ChainBreak::Missing { seq: expected });
        }
        if r.seq < expected || r.prev_hash != self.at.hash {
            return Err(ChainBreak::Unlinked {
                seq: r.seq,
                prev: self.at.seq,
            });
        }
        if self.at.next(&r.event) != r.link() {
            return Err(ChainBreak::Modified { seq: r.seq });
        }
        self.at = r.link();
        self.records += 1;
        self.check_anchor(self.at)
    }

    pub fn finish(self) -> Result<Verified, ChainBreak> {
        let head = self.ends.head;
        if self.at.seq < head.seq {
            return Err(ChainBreak::Truncated {
                last: self.at.seq,
                head: head.seq,
            });
        }
        if self.at != head {
            return Err(ChainBreak::HeadMismatch { seq: self.at.seq });
        }
        // An anchor past the head: records after the head were cut and the head moved back.
        if let Some(a) = self.anchors.first() {
            return Err(ChainBreak::Truncated {
                last: head.seq,
                head: a.seq,
            });
        }
        if self.ends.unchained > 0 {
            return Err(ChainBreak::Unchained {
                count: self.ends.unchained,
            });
        }
        Ok(Verified {
            base: self.ends.base,
            head,
            records: self.records,
            anchors_checked: self.anchors_checked,
        })
    }
}

/// Records read per round trip while verifying.
const VERIFY_PAGE: u32 = 1000;

/// Walks a store's whole chain. The outer error is the store's; the inner one is the verdict.
/// Records appended while it runs (after the head it read first) are left for the next run.
pub async fn verify_store(
    store: &dyn AuditLog,
    anchors: Vec<ChainLink>,
) -> StoreResult<Result<Verified, ChainBreak>> {
    let ends = store.audit_chain_ends().await?;
    let mut v = match Verifier::new(ends, anchors) {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    let mut cursor = None;
    loop {
        let page = store.audit_chain(cursor.as_deref(), VERIFY_PAGE).await?;
        for r in page.records.iter().take_while(|r| r.seq <= ends.head.seq) {
            if let Err(e) = v.feed(r) {
                return Ok(Err(e));
            }
        }
        match page.next {
            Some(next) if page.records.last().is_some_and(|r| r.seq < ends.head.seq) => {
                cursor = Some(next);
            }
            _ => return Ok(v.finish()),
        }
    }
}

#[cfg(test)]
mod tests {
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
}
