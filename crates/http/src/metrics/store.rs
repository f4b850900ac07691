//! The store's operations, counted and timed by role and operation through the store decorator
//! ([`sessiond_core::store::Decorated`]): what a slow or failing store does to each request.

use std::time::Instant;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use sessiond_core::StoreError;
use sessiond_core::store::{Around, Call, Operation};

pub(super) type OpLabels = [(&'static str, &'static str); 2];
pub(super) type ErrorLabels = [(&'static str, &'static str); 3];
pub(super) type OpHistograms = Family<OpLabels, Histogram, fn() -> Histogram>;

/// The hook: cheap clones of the metric families it writes.
#[derive(Clone)]
pub struct StoreMetrics {
    pub(super) operations: Family<OpLabels, Counter>,
    pub(super) errors: Family<ErrorLabels, Counter>,
    /// With `SESSION_ENABLE_PERFORMANCE_MONITORING`.
    pub(super) latency: Option<OpHistograms>,
}

impl Around for StoreMetrics {
    fn around<'a, T: Send + 'a>(&'a self, call: Call, op: Operation<'a, T>) -> Operation<'a, T> {
        Box::pin(async move {
            let started = Instant::now();
            let result = op.await;
            let labels = [("role", call.role), ("operation", call.operation)];
            if let Some(latency) = &self.latency {
                latency
                    .get_or_create(&labels)
                    .observe(started.elapsed().as_secs_f64());
            }
            self.operations.get_or_create(&labels).inc();
            if let Err(e) = &result {
                let error = match e {
                    StoreError::Conflict(_) => "conflict",
                    StoreError::Unavailable(_) => "unavailable",
                    StoreError::Corrupt(_) => "corrupt",
                };
                self.errors
                    .get_or_create(&[
                        ("role", call.role),
                        ("operation", call.operation),
                        ("error", error),
                    ])
                    .inc();
            }
            result
        })
    }
}
