//! Cleanup (seed 001): expire sessions whose deadline passed, purge records past their
//! retention, purge old audit events; in batches, on a schedule or on demand.

use serde::Serialize;

use crate::audit::{AuditEvent, AuditKind};
use crate::session::EndReason;
use crate::session::{EndCode, Refusal, Session, SessionState};
use crate::time::{Timestamp, plus_secs, secs_between};

use super::faces::Admin;
use super::{CleanupSettings, SessionError, SessionResult, SessionService};

/// One part of a cleanup run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CleanupPhase {
    /// Mark active sessions past their deadline as expired (and audit each).
    Expire,
    /// Delete session records past `SESSION_EXPIRED_RETENTION_DAYS`.
    PurgeSessions,
    /// Delete audit events past `SESSION_AUDIT_RETENTION_DAYS`.
    PurgeAudit,
}

impl CleanupPhase {
    /// Every phase, in the order a run takes them.
    pub const ALL: [CleanupPhase; 3] = [Self::Expire, Self::PurgeSessions, Self::PurgeAudit];

    /// Its name in the CLI and the log.
    pub fn label(self) -> &'static str {
        match self {
            Self::Expire => "expiring sessions",
            Self::PurgeSessions => "purging old sessions",
            Self::PurgeAudit => "purging old audit events",
        }
    }
}

/// What `sessiond cleanup` asks for.
#[derive(Debug, Clone)]
pub struct CleanupOptions {
    /// The phases to run.
    pub phases: Vec<CleanupPhase>,
    /// `None`: run batches until nothing is left.
    pub max_batches: Option<u32>,
    /// Count only; change nothing.
    pub dry_run: bool,
}

/// How far a phase is, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct CleanupProgress {
    /// The phase.
    pub phase: CleanupPhase,
    /// Records handled so far.
    pub done: u64,
    /// Records it expects to handle.
    pub total: u64,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CleanupReport {
    /// Sessions ended by their deadline.
    pub expired: u64,
    /// Dead session records deleted.
    pub purged_sessions: u64,
    /// Audit records past retention deleted.
    pub purged_audit: u64,
    /// Store batches used.
    pub batches: u32,
    /// Nothing was changed.
    pub dry_run: bool,
}

impl SessionService {
    async fn count_phase(
        &self,
        phase: CleanupPhase,
        now: Timestamp,
        c: &CleanupSettings,
    ) -> SessionResult<u64> {
        Ok(match phase {
            CleanupPhase::Expire => self.stores.sweep.count_sessions_due(now).await?,
            CleanupPhase::PurgeSessions => {
                self.stores
                    .sweep
                    .count_purgeable_sessions(days_before(now, c.expired_retention_days))
                    .await?
            }
            CleanupPhase::PurgeAudit => {
                self.stores
                    .audit
                    .count_audit_before(days_before(now, c.audit_retention_days))
                    .await?
            }
        })
    }

    async fn run_batch(
        &self,
        phase: CleanupPhase,
        now: Timestamp,
        c: &CleanupSettings,
    ) -> SessionResult<u64> {
        match phase {
            CleanupPhase::Expire => self.expire_batch(now, c.batch_size).await,
            CleanupPhase::PurgeSessions => Ok(self
                .stores
                .sweep
                .purge_sessions(days_before(now, c.expired_retention_days), c.batch_size)
                .await?),
            CleanupPhase::PurgeAudit => Ok(self
                .stores
                .audit
                .purge_audit(days_before(now, c.audit_retention_days), c.batch_size)
                .await?),
        }
    }

    /// Expires a batch, up to `EXPIRING_AT_ONCE` sessions at a time, so the auditor commits
    /// their records together (one after the other, each expiry waited for a commit of its
    /// own). Every expiry of the batch runs to its end before an error is answered, so none is
    /// cut off between its write and its audit record.
    async fn expire_batch(&self, now: Timestamp, batch_size: u32) -> SessionResult<u64> {
        use futures_util::StreamExt as _;
        let due = self.stores.sweep.sessions_due(now, batch_size).await?;
        let results: Vec<SessionResult<bool>> = futures_util::stream::iter(due)
            .map(|s| self.mark_expired(s, now))
            .buffer_unordered(EXPIRING_AT_ONCE)
            .collect()
            .await;
        let mut n = 0;
        for expired in results {
            n += u64::from(expired?);
        }
        Ok(n)
    }

    /// Marks `s`, still active in the store but past a deadline, as expired, with its audit
    /// record (`SESSION_EXPIRED_IDLE` or `_ABSOLUTE`, which `session_expirations_total`
    /// counts). One conditional write: `false` when a request, another node or the cleanup
    /// changed it first; whoever did records it, so an expiry is recorded once.
    pub(super) async fn mark_expired(&self, mut s: Session, now: Timestamp) -> SessionResult<bool> {
        let code = s.expiry_code();
        let deadline = s.deadline();
        s.state = SessionState::Expired;
        s.end_reason = Some(if code == EndCode::ExpiredAbsolute {
            EndReason::Absolute
        } else {
            EndReason::Idle
        });
        // The session ended at its deadline, not when it was noticed.
        s.ended_at = Some(deadline);
        match self.save(&mut s).await {
            Ok(()) => {}
            Err(SessionError::Conflict(_)) => return Ok(false),
            Err(e) => return Err(e),
        }
        let kind = match code {
            EndCode::ExpiredAbsolute => AuditKind::SessionExpiredAbsolute,
            _ => AuditKind::SessionExpiredIdle,
        };
        let event = AuditEvent::new(kind, now)
            .session(&s)
            .duration(&s, deadline);
        self.audit
            .record(event.detail("expired_at", deadline.to_string()))
            .await?;
        Ok(true)
    }

    /// Why `session` grants no access at `now`, if it grants none. The first request to see
    /// an expiry the store does not know yet records it (decision 0047): a live session is
    /// never written here.
    pub(super) async fn refusal(&self, session: &Session, now: Timestamp) -> Option<Refusal> {
        let refusal = session.refusal_at(now)?;
        if session.state == SessionState::Active
            && let Err(e) = self.mark_expired(session.clone(), now).await
        {
            tracing::warn!(error = %e, session = %session.id, "an expiry could not be recorded now; the cleanup will");
        }
        Some(refusal)
    }
}

impl CleanupReport {
    fn slot(&mut self, phase: CleanupPhase) -> &mut u64 {
        match phase {
            CleanupPhase::Expire => &mut self.expired,
            CleanupPhase::PurgeSessions => &mut self.purged_sessions,
            CleanupPhase::PurgeAudit => &mut self.purged_audit,
        }
    }
}

/// Expiries in flight at once in a cleanup batch: enough for the auditor to commit their
/// records together (and SQLite their session writes), few enough to leave the store's pool to
/// the requests. 64 expired a SQLite store half again as fast, and cost keep-alives running
/// meanwhile 40% of their rate and doubled their p99 (docs/performance.md, "Cleanup").
const EXPIRING_AT_ONCE: usize = 16;

fn days_before(now: Timestamp, days: i64) -> Timestamp {
    plus_secs(now, -days.saturating_mul(86_400))
}

/// When the background job runs which phase (seed 001's intervals and thresholds):
/// - `Expire` every `SESSION_CLEANUP_INTERVAL_SECONDS`, or sooner once
///   `SESSION_CLEANUP_TRIGGER_THRESHOLD` sessions are waiting;
/// - `PurgeSessions` every `SESSION_BATCH_CLEANUP_INTERVAL_SECONDS`;
/// - `PurgeAudit` every `SESSION_DEEP_CLEANUP_INTERVAL_SECONDS`;
/// - at most `SESSION_MAX_CLEANUP_BATCHES` batches a run, unless more than
///   `SESSION_MAX_EXPIRED_THRESHOLD` are waiting: then it runs until the backlog is gone.
#[derive(Debug, Clone, Default)]
pub struct CleanupSchedule {
    last: [Option<Timestamp>; 3],
}

impl CleanupSchedule {
    /// The run that is due at `now` with `due` sessions waiting, if any; marks its phases as run.
    pub fn plan(
        &mut self,
        now: Timestamp,
        due: u64,
        c: &CleanupSettings,
    ) -> Option<CleanupOptions> {
        let intervals = [c.interval_secs, c.batch_interval_secs, c.deep_interval_secs];
        let mut phases = Vec::new();
        for (i, phase) in CleanupPhase::ALL.into_iter().enumerate() {
            let elapsed = self.last[i].is_none_or(|t| secs_between(t, now) >= intervals[i]);
            let triggered = phase == CleanupPhase::Expire && due >= c.trigger_threshold && due > 0;
            if elapsed || triggered {
                self.last[i] = Some(now);
                phases.push(phase);
            }
        }
        let max_batches = (due < c.max_expired_threshold).then_some(c.max_batches);
        (!phases.is_empty()).then_some(CleanupOptions {
            phases,
            max_batches,
            dry_run: false,
        })
    }
}

impl Admin<'_> {
    /// Runs the phases `opts` asks for, telling `progress` how far each one is.
    pub async fn cleanup(
        &self,
        opts: &CleanupOptions,
        progress: &(dyn Fn(CleanupProgress) + Send + Sync),
    ) -> SessionResult<CleanupReport> {
        let now = self.now();
        let c = self.settings.cleanup;
        let mut report = CleanupReport {
            dry_run: opts.dry_run,
            ..Default::default()
        };
        for &phase in &opts.phases {
            let total = self.count_phase(phase, now, &c).await?;
            progress(CleanupProgress {
                phase,
                done: 0,
                total,
            });
            if opts.dry_run {
                *report.slot(phase) = total;
                continue;
            }
            let mut done = 0;
            while opts.max_batches.is_none_or(|max| report.batches < max) {
                let n = self.run_batch(phase, now, &c).await?;
                report.batches += 1;
                done += n;
                progress(CleanupProgress {
                    phase,
                    done,
                    total: total.max(done),
                });
                // A short batch means nothing is left; an empty one means no progress is
                // possible now (every row was busy), so stop rather than spin.
                if n < u64::from(c.batch_size) || n == 0 {
                    break;
                }
            }
            *report.slot(phase) = done;
        }
        if !opts.dry_run && report.expired + report.purged_sessions + report.purged_audit > 0 {
            let event = AuditEvent::new(AuditKind::SessionsCleanedUp, now)
                .detail("expired", report.expired)
                .detail("purged_sessions", report.purged_sessions)
                .detail("purged_audit", report.purged_audit)
                .detail("batches", report.batches);
            self.audit.record(event).await?;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Clock, ManualClock};

    #[test]
    fn schedule_follows_intervals_and_trigger_threshold() {
        let clock = ManualClock::at_epoch();
        let c = CleanupSettings::default();
        let mut s = CleanupSchedule::default();
        let first = s.plan(clock.now(), 0, &c).unwrap();
        assert_eq!(
            first.phases,
            CleanupPhase::ALL.to_vec(),
            "everything runs at start-up"
        );
        clock.advance_secs(60);
        assert!(
            s.plan(clock.now(), 10, &c).is_none(),
            "nothing is due a minute later"
        );
        let triggered = s.plan(clock.now(), c.trigger_threshold, &c).unwrap();
        assert_eq!(triggered.phases, vec![CleanupPhase::Expire]);
        assert_eq!(triggered.max_batches, Some(c.max_batches));
        let backlog = s.plan(clock.now(), c.max_expired_threshold, &c).unwrap();
        assert_eq!(
            backlog.max_batches, None,
            "a large backlog is drained without a batch cap"
        );
        clock.advance_secs(c.interval_secs);
        assert_eq!(
            s.plan(clock.now(), 0, &c).unwrap().phases,
            vec![CleanupPhase::Expire]
        );
        clock.advance_secs(c.batch_interval_secs);
        let phases = s.plan(clock.now(), 0, &c).unwrap().phases;
        assert!(
            phases.contains(&CleanupPhase::PurgeSessions)
                && !phases.contains(&CleanupPhase::PurgeAudit)
        );
    }
}
