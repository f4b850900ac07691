//! Walking the chain: the [`Verifier`] and [`verify_store`].

use super::{ChainEnds, ChainLink, ChainedEvent};
use crate::store::{AuditLog, StoreResult};

/// The first thing wrong with a chain. Each variant's message says what it means.
#[allow(missing_docs)]
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
         were inserted outside it (or predate the chain); `sessiond audit list` marks them"
    )]
    Unchained { count: u64 },
    #[error(
        "the chain starts after record {base}, written at {at}, inside the retention window \
         (records before {oldest_kept} are kept): retention deletes only older records, so \
         recent history was deleted"
    )]
    PurgedEarly {
        base: u64,
        at: crate::time::Timestamp,
        oldest_kept: crate::time::Timestamp,
    },
}

/// What a walk that found nothing wrong saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Where the walk started.
    pub base: ChainLink,
    /// When the base's record was written, if the store knows.
    pub base_at: Option<crate::time::Timestamp>,
    /// Where it ended.
    pub head: ChainLink,
    /// How many records it checked.
    pub records: u64,
    /// How many anchors it matched.
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
    /// A walk of the chain with these ends, checking `anchors` on the way.
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

    /// Checks the next record.
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

    /// Checks that the walk reached the head and every anchor.
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
            base_at: self.ends.base_at,
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
/// `oldest_kept` is the start of the retention window (`now - SESSION_AUDIT_RETENTION_DAYS`):
/// a base written after it means records were deleted before retention would have, which an
/// anchor would catch and, without one, this does.
pub async fn verify_store(
    store: &dyn AuditLog,
    anchors: Vec<ChainLink>,
    oldest_kept: Option<crate::time::Timestamp>,
) -> StoreResult<Result<Verified, ChainBreak>> {
    let ends = store.audit_chain_ends().await?;
    let mut v = match Verifier::new(ends, anchors) {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    if let (Some(at), Some(oldest_kept)) = (ends.base_at, oldest_kept)
        && at >= oldest_kept
    {
        return Ok(Err(ChainBreak::PurgedEarly {
            base: ends.base.seq,
            at,
            oldest_kept,
        }));
    }
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
