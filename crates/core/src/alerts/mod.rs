//! Seed 001's alert thresholds (`SESSION_ALERT_*`), evaluated in the process for sites without
//! Prometheus. [`AlertCounts`] sees every audit event and keeps running totals; every
//! `SESSION_METRICS_INTERVAL_SECONDS` a job hands a [`Sample`] of them to the [`Evaluator`],
//! which keeps at most `SESSION_METRICS_BUFFER_SIZE` samples, compares each alert's value over
//! its window with its threshold, and keeps the last `SESSION_EVENTS_BUFFER_SIZE` times one
//! fired or cleared. Each node evaluates what it sees itself; the shipped Prometheus rules sum
//! across nodes (docs/monitoring.md).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::Timestamp;
use crate::audit::{AuditEvent, EventObserver};

/// The rates are taken over five minutes, as seed 000's Prometheus rules take theirs, or over
/// four sampling intervals when those are longer, so that a window always holds several samples.
const WINDOW_SECONDS: i64 = 300;

/// One of seed 001's five thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// `SESSION_ALERT_CREATION_RATE`: sessions created per minute.
    CreationRate,
    /// `SESSION_ALERT_FAILURE_RATE`: failed logins per minute.
    FailureRate,
    /// `SESSION_ALERT_AVG_DURATION`: mean length, in seconds, of the sessions that ended in the
    /// window.
    AvgDuration,
    /// `SESSION_ALERT_CONCURRENT_SESSIONS`: active sessions in the store.
    ConcurrentSessions,
    /// `SESSION_ALERT_SUSPICIOUS_RATE`: suspicious events per minute (drift, a suspicion score
    /// reached, session-id guessing, a forged CSRF request, a refresh token reused).
    SuspiciousRate,
}

impl AlertKind {
    /// Every alert, in the order of the configuration guide.
    pub const ALL: [AlertKind; 5] = [
        Self::CreationRate,
        Self::FailureRate,
        Self::AvgDuration,
        Self::ConcurrentSessions,
        Self::SuspiciousRate,
    ];

    /// The name in metrics labels and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreationRate => "creation_rate",
            Self::FailureRate => "failure_rate",
            Self::AvgDuration => "avg_duration",
            Self::ConcurrentSessions => "concurrent_sessions",
            Self::SuspiciousRate => "suspicious_rate",
        }
    }

    /// The variable that sets its threshold.
    pub fn variable(self) -> &'static str {
        match self {
            Self::CreationRate => "SESSION_ALERT_CREATION_RATE",
            Self::FailureRate => "SESSION_ALERT_FAILURE_RATE",
            Self::AvgDuration => "SESSION_ALERT_AVG_DURATION",
            Self::ConcurrentSessions => "SESSION_ALERT_CONCURRENT_SESSIONS",
            Self::SuspiciousRate => "SESSION_ALERT_SUSPICIOUS_RATE",
        }
    }
}

/// The thresholds; an alert fires while its value is above its threshold. A threshold of 0
/// switches that alert off (decision 0050).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Sessions created per minute.
    pub creation_rate: f64,
    /// Failed logins per minute.
    pub failure_rate: f64,
    /// Mean session length in seconds.
    pub avg_duration: f64,
    /// Active sessions.
    pub concurrent_sessions: f64,
    /// Suspicious events per minute.
    pub suspicious_rate: f64,
}

impl Default for Thresholds {
    /// Seed 001's defaults.
    fn default() -> Self {
        Self {
            creation_rate: 100.0,
            failure_rate: 10.0,
            avg_duration: 3600.0,
            concurrent_sessions: 1000.0,
            suspicious_rate: 5.0,
        }
    }
}

impl Thresholds {
    /// The threshold of `kind`.
    pub fn of(&self, kind: AlertKind) -> f64 {
        match kind {
            AlertKind::CreationRate => self.creation_rate,
            AlertKind::FailureRate => self.failure_rate,
            AlertKind::AvgDuration => self.avg_duration,
            AlertKind::ConcurrentSessions => self.concurrent_sessions,
            AlertKind::SuspiciousRate => self.suspicious_rate,
        }
    }
}

/// Running totals of what the alerts watch, fed by the audit events; reading them is a few
/// atomic loads.
#[derive(Debug, Default)]
pub struct AlertCounts {
    created: AtomicU64,
    failures: AtomicU64,
    suspicious: AtomicU64,
    ended: AtomicU64,
    ended_millis: AtomicU64,
}

impl AlertCounts {
    /// The totals now, with the active sessions read from the store's tallies, at `at`.
    pub fn sample(&self, at: Timestamp, active: u64) -> Sample {
        Sample {
            at,
            created: self.created.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            suspicious: self.suspicious.load(Ordering::Relaxed),
            ended: self.ended.load(Ordering::Relaxed),
            ended_millis: self.ended_millis.load(Ordering::Relaxed),
            active,
        }
    }
}

impl EventObserver for AlertCounts {
    fn observe(&self, e: &AuditEvent) {
        let add = |c: &AtomicU64, n: u64| {
            c.fetch_add(n, Ordering::Relaxed);
        };
        match e.event_type.as_str() {
            "SESSION_CREATED" => add(&self.created, 1),
            "LOGIN_FAILED" => add(&self.failures, 1),
            "SESSION_DRIFT"
            | "SUSPICIOUS_ACTIVITY"
            | "SESSION_GUESSING_DETECTED"
            | "MALICIOUS_CSRF"
            | "TOKEN_REUSE_DETECTED" => add(&self.suspicious, 1),
            _ => {}
        }
        if let Some(d) = e.details.get("duration_seconds").and_then(|d| d.as_f64()) {
            add(&self.ended, 1);
            // Whole milliseconds keep the sum an integer an atomic can hold.
            add(&self.ended_millis, (d.max(0.0) * 1000.0) as u64);
        }
    }
}

/// The totals at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// When it was taken.
    pub at: Timestamp,
    /// Sessions created so far.
    pub created: u64,
    /// Failed logins so far.
    pub failures: u64,
    /// Suspicious events so far.
    pub suspicious: u64,
    /// Sessions ended so far.
    pub ended: u64,
    /// Their summed length in milliseconds.
    pub ended_millis: u64,
    /// Active sessions at `at`.
    pub active: u64,
}

/// One alert as it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertStatus {
    /// Which alert.
    pub alert: AlertKind,
    /// Its value over the window at the last sample (`None` before there are two samples, or,
    /// for the mean duration, while no session ended in the window).
    pub value: Option<f64>,
    /// Its threshold; 0 means off.
    pub threshold: f64,
    /// Whether it is firing.
    pub firing: bool,
    /// Since when it has been firing.
    pub since: Option<Timestamp>,
}

/// An alert that fired or cleared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertEvent {
    /// Which alert.
    pub alert: AlertKind,
    /// `true` when it fired, `false` when it cleared.
    pub firing: bool,
    /// Its value then.
    pub value: f64,
    /// Its threshold.
    pub threshold: f64,
    /// When.
    pub at: Timestamp,
}

/// Keeps the samples and the state of each alert.
#[derive(Debug)]
pub struct Evaluator {
    window_seconds: i64,
    samples: VecDeque<Sample>,
    samples_cap: usize,
    events: VecDeque<AlertEvent>,
    events_cap: usize,
    status: Vec<AlertStatus>,
}

impl Evaluator {
    /// An evaluator sampled every `interval_seconds`, keeping `samples_cap` samples and
    /// `events_cap` events (each at least 2 and 1).
    pub fn new(
        thresholds: Thresholds,
        interval_seconds: u64,
        samples_cap: usize,
        events_cap: usize,
    ) -> Self {
        let interval = i64::try_from(interval_seconds).unwrap_or(i64::MAX / 8);
        Self {
            window_seconds: WINDOW_SECONDS.max(interval.saturating_mul(4)),
            samples: VecDeque::new(),
            samples_cap: samples_cap.max(2),
            events: VecDeque::new(),
            events_cap: events_cap.max(1),
            status: AlertKind::ALL
                .iter()
                .map(|&alert| AlertStatus {
                    alert,
                    value: None,
                    threshold: thresholds.of(alert),
                    firing: false,
                    since: None,
                })
                .collect(),
        }
    }

    /// Takes a sample in and answers the alerts that fired or cleared with it.
    pub fn feed(&mut self, sample: Sample) -> Vec<AlertEvent> {
        if self.samples.len() == self.samples_cap {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
        // The oldest sample still inside the window is the base of every rate.
        // However long the configured interval, the window's start is an instant.
        let start = sample
            .at
            .checked_sub(jiff::SignedDuration::from_secs(self.window_seconds))
            .unwrap_or(Timestamp::MIN);
        let base = self
            .samples
            .iter()
            .find(|s| s.at >= start)
            .copied()
            .unwrap_or(sample);
        let mut changed = Vec::new();
        for status in &mut self.status {
            status.value = value(status.alert, &base, &sample);
            let firing =
                status.threshold > 0.0 && status.value.is_some_and(|v| v > status.threshold);
            if firing == status.firing {
                continue;
            }
            status.firing = firing;
            status.since = firing.then_some(sample.at);
            changed.push(AlertEvent {
                alert: status.alert,
                firing,
                value: status.value.unwrap_or(0.0),
                threshold: status.threshold,
                at: sample.at,
            });
        }
        for e in &changed {
            if self.events.len() == self.events_cap {
                self.events.pop_front();
            }
            self.events.push_back(e.clone());
        }
        changed
    }

    /// New thresholds; with `alerting` off, nothing stays firing.
    pub fn set_thresholds(&mut self, thresholds: Thresholds, alerting: bool) {
        for status in &mut self.status {
            status.threshold = thresholds.of(status.alert);
            if !alerting {
                status.firing = false;
                status.since = None;
            }
        }
    }

    /// Every alert as it stands.
    pub fn status(&self) -> &[AlertStatus] {
        &self.status
    }

    /// The kept events, oldest first.
    pub fn events(&self) -> impl DoubleEndedIterator<Item = &AlertEvent> {
        self.events.iter()
    }
}

/// An alert's value between `base` and `now`.
fn value(kind: AlertKind, base: &Sample, now: &Sample) -> Option<f64> {
    let minutes = now.at.duration_since(base.at).as_secs_f64() / 60.0;
    let per_minute = |a: u64, b: u64| (minutes > 0.0).then(|| b.saturating_sub(a) as f64 / minutes);
    match kind {
        AlertKind::CreationRate => per_minute(base.created, now.created),
        AlertKind::FailureRate => per_minute(base.failures, now.failures),
        AlertKind::SuspiciousRate => per_minute(base.suspicious, now.suspicious),
        AlertKind::ConcurrentSessions => Some(now.active as f64),
        AlertKind::AvgDuration => {
            let ended = now.ended.saturating_sub(base.ended);
            (ended > 0).then(|| {
                now.ended_millis.saturating_sub(base.ended_millis) as f64 / 1000.0 / ended as f64
            })
        }
    }
}

mod monitor;
pub use monitor::{HealthCheck, HealthReport, Monitor};

#[cfg(test)]
mod tests;
