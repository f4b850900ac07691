//! What `/metrics` reads from elsewhere at scrape time, never on the request path: the session
//! cache's counters, the in-process alerts, the health check and the store's pool.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use sessiond_core::alerts::Monitor;
use sessiond_core::cache::CacheStats;
use sessiond_core::store::Health;

/// Reads the cache's own atomic counters at scrape time, so the hot path pays nothing extra.
#[derive(Debug)]
pub(super) struct CacheCollector(pub(super) Arc<CacheStats>);

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

/// The alerts and the health check as gauges, read from the monitor at scrape time.
#[derive(Debug)]
pub(super) struct MonitorCollector(pub(super) Arc<Monitor>);

impl Collector for MonitorCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let (alerts, _) = self.0.alerts();
        let mut firing = encoder.encode_descriptor(
            "sessiond_alert_firing",
            "1 while the in-process alert (SESSION_ALERT_*) is firing",
            None,
            MetricType::Gauge,
        )?;
        for a in &alerts {
            let labels = [("alert", a.alert.as_str())];
            ConstGauge::new(i64::from(a.firing)).encode(firing.encode_family(&labels)?)?;
        }
        let mut value = encoder.encode_descriptor(
            "sessiond_alert_value",
            "The in-process alert's value over its window (absent before two samples)",
            None,
            MetricType::Gauge,
        )?;
        for a in &alerts {
            if let Some(v) = a.value {
                let labels = [("alert", a.alert.as_str())];
                ConstGauge::new(v).encode(value.encode_family(&labels)?)?;
            }
        }
        let mut threshold = encoder.encode_descriptor(
            "sessiond_alert_threshold",
            "The in-process alert's threshold (0: off)",
            None,
            MetricType::Gauge,
        )?;
        for a in &alerts {
            let labels = [("alert", a.alert.as_str())];
            ConstGauge::new(a.threshold).encode(threshold.encode_family(&labels)?)?;
        }
        if let Some(report) = self.0.health() {
            let mut ok = encoder.encode_descriptor(
                "sessiond_health_check_ok",
                "1 when the periodic health check (SESSION_HEALTH_CHECK_INTERVAL_SECONDS) passed",
                None,
                MetricType::Gauge,
            )?;
            for c in &report.checks {
                let labels = [("check", c.name)];
                ConstGauge::new(i64::from(c.ok)).encode(ok.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

/// The store's connection pool (seed 004's pool status), for a store that pools.
pub(super) struct PoolCollector(pub(super) Arc<dyn Health>);

impl std::fmt::Debug for PoolCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PoolCollector")
    }
}

impl Collector for PoolCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(pool) = self.0.pool() else {
            return Ok(());
        };
        for (name, help, value) in [
            (
                "sessiond_store_pool_max",
                "Most store connections the pool opens",
                pool.max,
            ),
            (
                "sessiond_store_pool_open",
                "Store connections open",
                pool.open,
            ),
            (
                "sessiond_store_pool_idle",
                "Open store connections waiting for a request",
                pool.idle,
            ),
            (
                "sessiond_store_pool_waiting",
                "Requests waiting for a store connection",
                pool.waiting,
            ),
        ] {
            let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
            gauge.encode(encoder.encode_descriptor(name, help, None, MetricType::Gauge)?)?;
        }
        Ok(())
    }
}
