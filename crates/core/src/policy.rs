//! The timeout policy (the timeout rules (README, "Timeouts")): idle, absolute and renewal timeouts, the two grace periods and
//! the warning threshold, and the arithmetic every part of the service shares.

use serde::Serialize;

use crate::session::Session;
use crate::time::{Timestamp, plus_secs, secs_between};

/// Timeouts in seconds, already validated by the configuration layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Timeouts {
    /// `SESSION_IDLE_TIMEOUT_SECONDS`.
    pub idle_secs: i64,
    /// `SESSION_ABSOLUTE_TIMEOUT_SECONDS`.
    pub absolute_secs: i64,
    /// Renewal interval: a token older than this is rotated on its next use.
    pub lifetime_secs: i64,
    /// How long a rotated-out token is still honoured.
    pub expiration_grace_secs: i64,
    /// How long an ended session still answers with why it ended.
    pub cleanup_grace_secs: i64,
    /// `SESSION_WARNING_THRESHOLD_SECONDS`.
    pub warning_secs: i64,
}

impl Default for Timeouts {
    /// Seed 001's defaults.
    fn default() -> Self {
        Self {
            idle_secs: 86_400,
            absolute_secs: 604_800,
            lifetime_secs: 172_800,
            expiration_grace_secs: 300,
            cleanup_grace_secs: 600,
            warning_secs: 900,
        }
    }
}

impl Timeouts {
    /// The idle deadline after activity at `now`, never past the absolute deadline.
    pub fn idle_deadline(&self, now: Timestamp, absolute: Timestamp) -> Timestamp {
        plus_secs(now, self.idle_secs).min(absolute)
    }

    /// Seconds of access left (never negative).
    pub fn remaining_secs(&self, session: &Session, now: Timestamp) -> i64 {
        secs_between(now, session.deadline()).max(0)
    }

    /// Whether a session with `remaining_secs` left is in its warning period.
    pub fn warning(&self, remaining_secs: i64) -> bool {
        remaining_secs < self.warning_secs
    }

    /// Whether the session's token is older than the renewal interval.
    pub fn needs_rotation(&self, session: &Session, now: Timestamp) -> bool {
        secs_between(session.renewed_at, now) >= self.lifetime_secs
    }

    /// Activity writes are coalesced: `last_activity` moves in the store at most this often
    /// unless something else changed (max(1 s, idle / 100)).
    pub fn activity_write_interval_secs(&self) -> i64 {
        (self.idle_secs / 100).max(1)
    }

    /// When the token of `session` stops finding the record, given its current state.
    pub fn lookup_until(&self, session: &Session) -> Timestamp {
        let end = session.ended_at.unwrap_or_else(|| session.deadline());
        plus_secs(end, self.cleanup_grace_secs)
    }
}
