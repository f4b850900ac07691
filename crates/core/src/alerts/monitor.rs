//! [`Monitor`]: what a node's monitoring job writes and its readers (`/metrics`, the admin API)
//! read: the alerts and the last health check.

use serde::Serialize;

use std::sync::atomic::{AtomicBool, Ordering};

use super::{AlertCounts, AlertEvent, AlertStatus, Evaluator, Thresholds};
use crate::Timestamp;

/// What a node's monitoring job and its readers share: the running totals (an observer of the
/// audit events), the evaluator, and the last health check.
#[derive(Debug)]
pub struct Monitor {
    counts: std::sync::Arc<AlertCounts>,
    evaluator: std::sync::Mutex<Evaluator>,
    health: std::sync::Mutex<Option<HealthReport>>,
    /// `SESSION_ENABLE_ALERTING`, and `SESSION_ENABLE_CONSOLE_ALERTS`: both reloadable.
    alerting: AtomicBool,
    console: AtomicBool,
}

impl Default for Monitor {
    /// Seed 001's defaults: sampled every minute, 1,000 samples, 500 events, alerting on.
    fn default() -> Self {
        Self::new(Evaluator::new(super::Thresholds::default(), 60, 1000, 500))
    }
}

impl Monitor {
    /// A monitor with `evaluator`, alerting, not on the console; [`Monitor::configure`] says
    /// otherwise.
    pub fn new(evaluator: Evaluator) -> Self {
        Self {
            counts: std::sync::Arc::default(),
            evaluator: std::sync::Mutex::new(evaluator),
            health: std::sync::Mutex::default(),
            alerting: AtomicBool::new(true),
            console: AtomicBool::new(false),
        }
    }

    /// Whether the thresholds are evaluated (`SESSION_ENABLE_ALERTING`).
    pub fn alerting(&self) -> bool {
        self.alerting.load(Ordering::Relaxed)
    }

    /// Whether alerts are also printed to standard error (`SESSION_ENABLE_CONSOLE_ALERTS`).
    pub fn console(&self) -> bool {
        self.console.load(Ordering::Relaxed)
    }

    /// Puts new settings in force (at start, and on `SIGHUP`): the samples are kept, so the
    /// next tick compares the same windows with the new thresholds. Turning alerting off
    /// clears what was firing, silently.
    pub fn configure(&self, thresholds: Thresholds, alerting: bool, console: bool) {
        self.alerting.store(alerting, Ordering::Relaxed);
        self.console.store(console, Ordering::Relaxed);
        self.evaluator().set_thresholds(thresholds, alerting);
    }

    /// The observer to register with the auditor.
    pub fn counts(&self) -> std::sync::Arc<AlertCounts> {
        self.counts.clone()
    }

    /// Samples the totals at `at` with `active` sessions and answers what fired or cleared.
    pub fn tick(&self, at: Timestamp, active: u64) -> Vec<AlertEvent> {
        if !self.alerting() {
            return Vec::new();
        }
        let sample = self.counts.sample(at, active);
        self.evaluator().feed(sample)
    }

    /// Every alert as it stands and the kept events, newest first.
    pub fn alerts(&self) -> (Vec<AlertStatus>, Vec<AlertEvent>) {
        let e = self.evaluator();
        (e.status().to_vec(), e.events().rev().cloned().collect())
    }

    /// Keeps `report` as the last health check and answers the checks whose result changed.
    pub fn record_health(&self, report: HealthReport) -> Vec<HealthCheck> {
        let mut last = self.health.lock().unwrap_or_else(|p| p.into_inner());
        let changed = report
            .checks
            .iter()
            .filter(|c| {
                last.as_ref().map_or(!c.ok, |l| {
                    l.checks
                        .iter()
                        .find(|o| o.name == c.name)
                        .is_none_or(|o| o.ok != c.ok)
                })
            })
            .cloned()
            .collect();
        *last = Some(report);
        changed
    }

    /// The last health check, if one ran.
    pub fn health(&self) -> Option<HealthReport> {
        self.health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn evaluator(&self) -> std::sync::MutexGuard<'_, Evaluator> {
        // A panic while holding it leaves plain numbers behind: still usable.
        self.evaluator.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One periodic health check (`SESSION_HEALTH_CHECK_INTERVAL_SECONDS`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthReport {
    /// When it ran.
    pub at: Timestamp,
    /// Each check, in a fixed order: `store`, `cleanup`, `clock`.
    pub checks: Vec<HealthCheck>,
}

impl HealthReport {
    /// Whether every check passed.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

/// One check of a [`HealthReport`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthCheck {
    /// `store`, `cleanup` or `clock`.
    pub name: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// What was seen, for a person.
    pub detail: String,
}
