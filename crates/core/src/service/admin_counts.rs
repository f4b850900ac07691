//! Counts without listing (docs/api.md, "Admin API"): read from the tallies the store keeps
//! and the per-hour counters, never by counting sessions or records per call.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::counter::{CounterKey, Hourly};
use crate::session::SessionState;
use crate::store::Tallies;
use crate::time::{Timestamp, secs_between};

use super::admin_api::AdminApi;
use super::faces::Admin;
use super::{SessionResult, SessionService};

/// How often the active sessions are sampled, and how many samples are kept: a day's.
const SAMPLE_EVERY_SECS: i64 = 300;
const SAMPLES: usize = 288;

/// The active sessions over time, sampled by this node: the store keeps the tallies of now, not
/// their history, which Prometheus keeps for sites that run it (`active_sessions`).
#[derive(Default)]
pub(super) struct History(Mutex<VecDeque<(Timestamp, u64)>>);

impl History {
    fn note(&self, at: Timestamp, active: u64) {
        let mut h = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Within the last sample's five minutes, the sample takes the newer count.
        if let Some(last) = h.back_mut()
            && secs_between(last.0, at) < SAMPLE_EVERY_SECS
        {
            last.1 = active;
            return;
        }
        if h.len() == SAMPLES {
            h.pop_front();
        }
        h.push_back((at, active));
    }

    fn read(&self) -> Vec<(Timestamp, u64)> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .copied()
            .collect()
    }
}

fn active_total(t: &Tallies) -> u64 {
    t.sessions
        .iter()
        .filter(|t| t.state == SessionState::Active)
        .map(|t| t.n)
        .sum()
}

impl SessionService {
    fn note_active(&self, tallies: &Tallies) {
        self.active_history.note(self.now(), active_total(tallies));
    }
}

impl Admin<'_> {
    /// Samples the active sessions for the dashboard's chart (every five minutes at most; the
    /// server calls it every minute) and answers how many there are, read from the tallies the
    /// store keeps as sessions change: the same cost at any number of sessions. Sessions past a
    /// deadline that no request has seen yet count until the cleanup marks them.
    pub async fn sample_active_sessions(&self) -> SessionResult<u64> {
        let tallies = self.stores.listing.tallies().await?;
        self.note_active(&tallies);
        Ok(active_total(&tallies))
    }
}

/// Expiries a counts call marks at most, of those no request has seen yet; the cleanup marks
/// the rest, and `pending_expiries` says how many are left.
const MARK_AT_MOST: u32 = 1000;

/// One hour's counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourCounts {
    /// The hour's start.
    pub hour: Timestamp,
    /// Each [`Hourly`] and its count, in [`Hourly::ALL`]'s order.
    pub counts: Vec<(Hourly, u64)>,
}

/// The admin API's counts.
#[derive(Debug, Clone)]
pub struct Counts {
    /// Sessions by state, role and context, and the users with an active session.
    pub tallies: Tallies,
    /// Sessions past a deadline still held as active (beyond what this call marked): the
    /// active tallies count them until the cleanup marks them.
    pub pending_expiries: u64,
    /// The last 24 hours, oldest first, the current one last.
    pub hourly: Vec<HourCounts>,
    /// The active sessions as this node sampled them, every five minutes for a day at most,
    /// oldest first (a node that just started has few).
    pub active_history: Vec<(Timestamp, u64)>,
}

impl<G> AdminApi<'_, G> {
    /// The counts. Sessions past a deadline that no request has seen yet are marked expired
    /// first (up to [`MARK_AT_MOST`]), so the active tallies are exact.
    pub async fn counts(&self) -> SessionResult<Counts> {
        let now = self.now();
        for s in self.stores.sweep.sessions_due(now, MARK_AT_MOST).await? {
            self.mark_expired(s, now).await?;
        }
        let pending_expiries = self.stores.sweep.count_sessions_due(now).await?;
        let tallies = self.stores.listing.tallies().await?;
        self.note_active(&tallies);
        let current = now.as_second().div_euclid(3600);
        let mut hourly = Vec::with_capacity(24);
        for hour in current - 23..=current {
            let mut counts = Vec::with_capacity(Hourly::ALL.len());
            for what in Hourly::ALL {
                let key = CounterKey::Hourly(what, hour);
                let n = self.stores.counters.counter(&key, now).await?;
                counts.push((what, n.map_or(0, |c| c.value)));
            }
            hourly.push(HourCounts {
                hour: Timestamp::from_second(hour * 3600).unwrap_or(now),
                counts,
            });
        }
        Ok(Counts {
            tallies,
            pending_expiries,
            hourly,
            active_history: self.active_history.read(),
        })
    }
}
