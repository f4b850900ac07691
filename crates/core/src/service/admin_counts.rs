//! Counts without listing (docs/api.md, "Admin API"): read from the tallies the store keeps
//! and the per-hour counters, never by counting sessions or records per call.

use crate::counter::{CounterKey, Hourly};
use crate::store::Tallies;
use crate::time::Timestamp;

use super::SessionResult;
use super::admin_api::AdminApi;

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
        })
    }
}
