//! Prometheus metrics: the session metrics fed by the audit events (seed 000's four, logins and
//! every event type), the HTTP requests by route template and status class, and, read at
//! scrape time from memory, the session cache, the in-process alerts and the health check.
//! Every label's values are bounded: a route template, a method of a fixed list, a status class.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
mod collectors;
mod store;

pub use store::StoreMetrics;

use collectors::{CacheCollector, MonitorCollector, PoolCollector};
use sessiond_core::alerts::Monitor;
use sessiond_core::audit::{AuditEvent, EventObserver};
use sessiond_core::cache::CacheStats;
use sessiond_core::store::Health;

type Labels = Vec<(String, String)>;
type RequestLabels = [(&'static str, Cow<'static, str>); 3];
type RouteLabel = [(&'static str, Cow<'static, str>); 1];
type Histograms = Family<RouteLabel, Histogram, fn() -> Histogram>;

/// The keep-alive routes, whose refusals and failures `session_extension_errors_total` counts.
const KEEPALIVES: [&str; 1] = ["/api/session/keepalive"];

pub struct Metrics {
    registry: Registry,
    extensions: Counter,
    expirations: Counter,
    duration: Histogram,
    active: Gauge<i64, AtomicI64>,
    logins: Family<Labels, Counter>,
    events: Family<Labels, Counter>,
    extension_errors: Family<Labels, Counter>,
    requests: Family<RequestLabels, Counter>,
    /// Only with `SESSION_ENABLE_PERFORMANCE_MONITORING`.
    latency: Option<Histograms>,
    store: StoreMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new(true)
    }
}

/// A store operation: from a cached read (under a millisecond) to a slow write.
fn store_histogram() -> Histogram {
    Histogram::new([
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
    ])
}

fn latency_histogram() -> Histogram {
    Histogram::new([
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    ])
}

impl Metrics {
    /// The metrics; `performance` (`SESSION_ENABLE_PERFORMANCE_MONITORING`) adds the latency
    /// histograms.
    pub fn new(performance: bool) -> Self {
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
            "active_sessions",
            "Active sessions in the store, from its tallies",
            active.clone(),
        );
        registry.register("session_logins", "Login attempts by result", logins.clone());
        registry.register("session_events", "Audit events by type", events.clone());
        let extension_errors = Family::<Labels, Counter>::default();
        registry.register(
            "session_extension_errors",
            "Keep-alives that did not extend the session, by status class",
            extension_errors.clone(),
        );
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "sessiond_http_requests",
            "HTTP requests by method, route template and status class",
            requests.clone(),
        );
        let latency = performance.then(|| {
            let latency = Histograms::new_with_constructor(latency_histogram);
            registry.register(
                "sessiond_http_request_duration_seconds",
                "Time to answer an HTTP request, by route template",
                latency.clone(),
            );
            latency
        });
        let store = StoreMetrics {
            operations: Family::default(),
            errors: Family::default(),
            latency: performance.then(|| {
                let latency = store::OpHistograms::new_with_constructor(store_histogram);
                registry.register(
                    "sessiond_store_operation_duration_seconds",
                    "Time a store operation took, by role and operation",
                    latency.clone(),
                );
                latency
            }),
        };
        registry.register(
            "sessiond_store_operations",
            "Store operations by role and operation",
            store.operations.clone(),
        );
        registry.register(
            "sessiond_store_errors",
            "Store operations that failed, by role, operation and error (conflict, unavailable, corrupt)",
            store.errors.clone(),
        );
        Self {
            store,
            registry,
            extensions,
            expirations,
            duration,
            active,
            logins,
            events,
            extension_errors,
            requests,
            latency,
        }
    }

    /// The store decorator's hook that feeds `sessiond_store_*`.
    pub fn store_hook(&self) -> StoreMetrics {
        self.store.clone()
    }

    /// Adds the store's pool status (`sessiond_store_pool_*`), read at each scrape.
    pub fn with_pool(mut self, health: Arc<dyn Health>) -> Self {
        self.registry
            .register_collector(Box::new(PoolCollector(health)));
        self
    }

    /// Adds the in-process alerts and the last health check (`sessiond_alert_*`,
    /// `sessiond_health_check_ok`), read from `monitor` at each scrape.
    pub fn with_monitor(mut self, monitor: Arc<Monitor>) -> Self {
        self.registry
            .register_collector(Box::new(MonitorCollector(monitor)));
        self
    }

    /// Counts one answered request; `route` is its template, `None` for no route.
    pub fn observe_request(
        &self,
        method: &axum::http::Method,
        route: Option<&str>,
        status: u16,
        elapsed: std::time::Duration,
    ) {
        let class: &'static str = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        let route: Cow<'static, str> = match route {
            Some(r) => Cow::Owned(r.to_owned()),
            None => Cow::Borrowed("unmatched"),
        };
        if class != "2xx" && KEEPALIVES.contains(&route.as_ref()) {
            self.extension_errors
                .get_or_create(&vec![("status_class".into(), class.into())])
                .inc();
        }
        if let Some(latency) = &self.latency {
            latency
                .get_or_create(&[("route", route.clone())])
                .observe(elapsed.as_secs_f64());
        }
        self.requests
            .get_or_create(&[
                ("method", Cow::Borrowed(method_label(method))),
                ("route", route),
                ("status_class", Cow::Borrowed(class)),
            ])
            .inc();
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

    /// The Prometheus text exposition (format 0.0.4, which `promtool check metrics` lints):
    /// the encoder writes OpenMetrics, whose counter families are named without `_total`; here
    /// their `HELP` and `TYPE` lines take the samples' name, and the `# EOF` line goes.
    pub fn render(&self) -> String {
        let mut open_metrics = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut open_metrics, &self.registry);
        let counters: std::collections::HashSet<&str> = open_metrics
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
            .collect();
        let mut out = String::with_capacity(open_metrics.len() + 16 * counters.len());
        for line in open_metrics.lines() {
            let comment = ["# HELP ", "# TYPE "]
                .into_iter()
                .find_map(|p| Some((p, line.strip_prefix(p)?)));
            match comment {
                _ if line == "# EOF" => continue,
                Some((prefix, rest)) => {
                    let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                    let total = if counters.contains(name) {
                        "_total"
                    } else {
                        ""
                    };
                    out.push_str(&format!("{prefix}{name}{total} {tail}"));
                }
                None => out.push_str(line),
            }
            out.push('\n');
        }
        out
    }
}

/// A method of the fixed list, or `other`: a client cannot grow the label set.
fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
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
