//! The periodic health check (`SESSION_HEALTH_CHECK_INTERVAL_SECONDS`): `/readyz` says whether
//! the store answers now; this also says whether the cleanup keeps up and the clock is sane.

use crate::alerts::{HealthCheck, HealthReport};
use crate::time::Timestamp;

use super::faces::Admin;

impl Admin<'_> {
    /// Runs every check; never fails, since a failure is what it reports. `previous` is when
    /// the last check ran on this node: a clock now behind it has gone back.
    pub async fn health_check(&self, previous: Option<Timestamp>) -> HealthReport {
        let now = self.now();
        let kind = self.stores.health.kind();
        let store = match self.stores.health.ping().await {
            Ok(()) => check("store", true, format!("the {kind} store answers")),
            Err(e) => check(
                "store",
                false,
                format!("the {kind} store does not answer: {e}"),
            ),
        };
        let most = self.settings().cleanup.max_expired_threshold;
        let cleanup = match self.stores.sweep.count_sessions_due(now).await {
            Ok(due) if due < most => check(
                "cleanup",
                true,
                format!("{due} sessions past a deadline wait to be marked"),
            ),
            Ok(due) => check(
                "cleanup",
                false,
                format!(
                    "{due} sessions past a deadline wait to be marked, at least \
                     SESSION_MAX_EXPIRED_THRESHOLD ({most}): the cleanup is behind"
                ),
            ),
            Err(e) => check(
                "cleanup",
                false,
                format!("could not count the backlog: {e}"),
            ),
        };
        let clock = match previous {
            Some(before) if now < before => check(
                "clock",
                false,
                format!(
                    "the clock went back {} s since the last check: deadlines move with it",
                    before.duration_since(now).as_secs()
                ),
            ),
            _ => check("clock", true, format!("now is {now}")),
        };
        HealthReport {
            at: now,
            checks: vec![store, cleanup, clock],
        }
    }
}

fn check(name: &'static str, ok: bool, detail: String) -> HealthCheck {
    HealthCheck { name, ok, detail }
}
