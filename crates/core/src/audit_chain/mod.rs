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
use crate::store::{StoreError, StoreResult};
use crate::time::to_millis;
use crate::token::TokenHash;

/// A SHA-256 value of the chain.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// From 32 bytes; `None` for any other length.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    /// Lower-case hex, as stored and as anchors print it.
    pub fn to_hex(self) -> String {
        TokenHash::from_bytes(self.0).to_hex()
    }

    /// From 64 hex digits.
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
    /// Its place in the chain, from 1.
    pub seq: u64,
    /// The chain's hash up to and including it.
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
    /// Its place in the chain, from 1.
    pub seq: u64,
    /// The hash of the link before it.
    pub prev_hash: Digest,
    /// `SHA-256(prev_hash ‖ entry_bytes(event))`.
    pub hash: Digest,
    /// The record itself.
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

    /// Its `seq:hash` pair.
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
    /// In `seq` order.
    pub records: Vec<ChainedEvent>,
    /// The cursor of the next page; none after the last.
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
    /// The last link retention deleted (the genesis when none was).
    pub base: ChainLink,
    /// The newest link.
    pub head: ChainLink,
    /// Records the store holds outside the chain: sessiond writes none, so each was put there
    /// by someone else (or predates the chain). Read with the ends, in one snapshot.
    pub unchained: u64,
    /// When the base's record was written: retention deletes only records older than its
    /// window, so a base newer than `now - SESSION_AUDIT_RETENTION_DAYS` means records were
    /// deleted before their time. `None` when nothing was deleted, or not since stores kept it.
    pub base_at: Option<crate::time::Timestamp>,
}

impl Default for ChainEnds {
    fn default() -> Self {
        Self {
            base: ChainLink::GENESIS,
            head: ChainLink::GENESIS,
            unchained: 0,
            base_at: None,
        }
    }
}

mod verify;

pub use verify::{ChainBreak, Verified, Verifier, verify_store};

#[cfg(test)]
mod tests;
