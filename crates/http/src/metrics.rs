//! Prometheus metrics, fed by the audit events (seed 000's four metrics, plus logins and
//! a count of every event type).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use sessiond_core::audit::{AuditEvent, EventObserver};
use sessiond_core::cache::CacheStats;

type Labels = Vec<(String, String)>;

pub struct Metrics {
    registry: Registry,
    extensions: Counter,
    expirations: Counter,
    duration: Histogram,
    active: Gauge<i64, AtomicI64>,
    logins: Family<Labels, Counter>,
    events: Family<Labels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let extensions = Counter::default();
        let expirations = Counter::default();
        let buckets = [
            60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14_400.0, 28_800.0, 86_400.0, 259_200.0,
            604_800.0,
        ];
        let duration = Histogram::new(buckets);
        let active = Gauge::<i64, AtomicI64>::default();
        let logins = Family::<Labels, Counter>::default();
        let events = Family::<Labels, Counter>::default();
        registry.register(
            "session_extensions",
            "Total session extensions",
            extensions.clone(),
        );
        registry.register(
            "session_expirations",
            "Total session expirations",
            expirations.clone(),
        );
        registry.register(
            "session_duration_seconds",
            "Session duration distribution",
            duration.clone(),
        );
        registry.register(
            "active_sessions_count",
            "Number of active sessions",
            active.clone(),
        );
        registry.register("session_logins", "Login attempts by result", logins.clone());
        registry.register("session_events", "Audit events by type", events.clone());
        Self {
            registry,
            extensions,
            expirations,
            duration,
            active,
            logins,
            events,
        }
    }

    /// Adds the session cache's counters (`SESSION_FEATURE_CACHING`) to the exposition.
    pub fn with_cache(mut self, stats: Option<Arc<CacheStats>>) -> Self {
        if let Some(stats) = stats {
            self.registry
                .register_collector(Box::new(CacheCollector(stats)));
        }
        self
    }

    pub fn set_active_sessions(&self, n: u64) {
        self.active.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// Reads the cache's own atomic counters at scrape time, so the hot path pays nothing extra.
#[derive(Debug)]
struct CacheCollector(Arc<CacheStats>);

impl Collector for CacheCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let s = &self.0;
        for (name, help, value) in [
            (
                "session_cache_hits",
                "Session lookups answered by the node's cache",
                &s.hits,
            ),
            (
                "session_cache_misses",
                "Session lookups that went to the store",
                &s.misses,
            ),
            (
                "session_cache_invalidations",
                "Invalidation notices received",
                &s.invalidations,
            ),
            (
                "session_cache_publish_failures",
                "Invalidation notices that could not be sent",
                &s.publish_failures,
            ),
        ] {
            let counter = ConstCounter::new(value.load(Ordering::Relaxed));
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        Ok(())
    }
}

impl EventObserver for Metrics {
    fn observe(&self, e: &AuditEvent) {
        self.events
            .get_or_create(&vec![("event_type".into(), e.event_type.clone())])
            .inc();
        let ended = |m: &Self| {
            if let Some(d) = e.details.get("duration_seconds").and_then(|d| d.as_f64()) {
                m.duration.observe(d);
            }
        };
        match e.event_type.as_str() {
            "SESSION_EXTENDED" => {
                self.extensions.inc();
            }
            "SESSION_EXPIRED_IDLE" | "SESSION_EXPIRED_ABSOLUTE" => {
                self.expirations.inc();
                ended(self);
            }
            "SESSION_LOGGED_OUT" | "SESSION_REVOKED" | "SESSION_EVICTED" => ended(self),
            "LOGIN_SUCCESS" => {
                self.logins
                    .get_or_create(&vec![("result".into(), "success".into())])
                    .inc();
            }
            "LOGIN_FAILED" => {
                self.logins
                    .get_or_create(&vec![("result".into(), "failure".into())])
                    .inc();
            }
            _ => {}
        }
    }
}
