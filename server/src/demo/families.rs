//! The table of every metric family a zai-proxy registers: name, help,
//! type, buckets or quantiles, and label names, exactly as client_golang
//! exports them (reference §1).
//!
//! It is data, kept apart from the simulation that writes the series, so
//! the exposition's shape can be checked against the reference in one
//! place, and from the registry that stores them, so the table has no
//! behaviour to read around.

use zai_dash_engine::parse::MetricType;

/// What a family is and how its samples are laid out.
#[derive(Debug)]
pub(super) enum Kind {
    Counter,
    Gauge,
    /// Upper bounds of the buckets, without `+Inf`.
    Histogram(&'static [f64]),
    /// Quantiles reported.
    Summary(&'static [f64]),
}

/// One registered family. `labels` are in exposition order (sorted by name,
/// as client_golang writes them); `variant` is filled in at render time.
#[derive(Debug)]
pub(super) struct FamilySpec {
    pub(super) name: &'static str,
    pub(super) help: &'static str,
    pub(super) kind: Kind,
    pub(super) labels: &'static [&'static str],
}

impl FamilySpec {
    const fn new(
        name: &'static str,
        help: &'static str,
        kind: Kind,
        labels: &'static [&'static str],
    ) -> Self {
        Self {
            name,
            help,
            kind,
            labels,
        }
    }

    /// The `# TYPE` of the family.
    pub(super) fn metric_type(&self) -> MetricType {
        match self.kind {
            Kind::Counter => MetricType::Counter,
            Kind::Gauge => MetricType::Gauge,
            Kind::Histogram(_) => MetricType::Histogram,
            Kind::Summary(_) => MetricType::Summary,
        }
    }
}

const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];
/// `prometheus.ExponentialBuckets(100, 10, 8)`.
const SIZE_BUCKETS: &[f64] = &[100.0, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const WAIT_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0,
];
const TOKEN_COUNT_BUCKETS: &[f64] = &[0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1];
const TOKEN_RATE_SECONDS_BUCKETS: &[f64] = &[
    0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1,
];
const TOKEN_RATE_BUCKETS: &[f64] = &[
    10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 25000.0, 50000.0, 100000.0,
];
pub(super) const GC_QUANTILES: &[f64] = &[0.0, 0.25, 0.5, 0.75, 1.0];

const REQUEST_LABELS: &[&str] = &["method", "path", "status_code", "variant"];
const TOKEN_LABELS: &[&str] = &["direction", "model", "pricing_tier", "variant"];
const TOKEN_RATE_LABELS: &[&str] = &["direction", "model", "variant"];
const QUOTA_LABELS: &[&str] = &["limit_type", "variant", "window"];
const CLIENT_LABELS: &[&str] = &["client", "variant"];
const VARIANT: &[&str] = &["variant"];

use Kind::{Counter, Gauge, Histogram, Summary};

pub(super) static GO_GC_DURATION: FamilySpec = FamilySpec::new(
    "go_gc_duration_seconds",
    "A summary of the pause duration of garbage collection cycles.",
    Summary(GC_QUANTILES),
    &[],
);
pub(super) static GO_GOROUTINES: FamilySpec = FamilySpec::new(
    "go_goroutines",
    "Number of goroutines that currently exist.",
    Gauge,
    &[],
);
pub(super) static GO_INFO: FamilySpec = FamilySpec::new(
    "go_info",
    "Information about the Go environment.",
    Gauge,
    &["version"],
);
pub(super) static GO_ALLOC: FamilySpec = FamilySpec::new(
    "go_memstats_alloc_bytes",
    "Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes.",
    Gauge,
    &[],
);
pub(super) static GO_THREADS: FamilySpec =
    FamilySpec::new("go_threads", "Number of OS threads created.", Gauge, &[]);
pub(super) static PROCESS_CPU: FamilySpec = FamilySpec::new(
    "process_cpu_seconds_total",
    "Total user and system CPU time spent in seconds.",
    Counter,
    &[],
);
pub(super) static PROCESS_RSS: FamilySpec = FamilySpec::new(
    "process_resident_memory_bytes",
    "Resident memory size in bytes.",
    Gauge,
    &[],
);
pub(super) static PROCESS_START: FamilySpec = FamilySpec::new(
    "process_start_time_seconds",
    "Start time of the process since unix epoch in seconds.",
    Gauge,
    &[],
);
pub(super) static SCRAPES_IN_FLIGHT: FamilySpec = FamilySpec::new(
    "promhttp_metric_handler_requests_in_flight",
    "Current number of scrapes being served.",
    Gauge,
    &[],
);
pub(super) static SCRAPES: FamilySpec = FamilySpec::new(
    "promhttp_metric_handler_requests_total",
    "Total number of scrapes by HTTP status code.",
    Counter,
    &["code"],
);
pub(super) static BUILD_INFO: FamilySpec = FamilySpec::new(
    "zai_proxy_build_info",
    "Build information including version, variant, commit, and build time",
    Gauge,
    &["build_time", "commit", "variant", "version"],
);
pub(super) static CONCURRENT: FamilySpec = FamilySpec::new(
    "zai_proxy_concurrent_requests",
    "Number of requests currently being processed",
    Gauge,
    VARIANT,
);
pub(super) static COST: FamilySpec = FamilySpec::new(
    "zai_proxy_estimated_cost_usd_total",
    "Estimated Z.AI API cost in USD by token direction, model, deployment variant, and pricing tier",
    Counter,
    TOKEN_LABELS,
);
pub(super) static MAX_WORKERS: FamilySpec = FamilySpec::new(
    "zai_proxy_max_workers",
    "Maximum number of concurrent workers allowed",
    Gauge,
    VARIANT,
);
/// Registered by the proxy but never written (enforcement is not built),
/// so, like client_golang with an empty vector, it is never exported.
pub(super) static QUOTA_GATE_OPEN: FamilySpec = FamilySpec::new(
    "zai_proxy_quota_gate_open",
    "Whether confirmed quota exhaustion is rejecting new work",
    Gauge,
    &["variant", "window"],
);
pub(super) static QUOTA_POLLS: FamilySpec = FamilySpec::new(
    "zai_proxy_quota_poll_total",
    "Quota poll outcomes by result (success, error, malformed, stale)",
    Counter,
    &["result", "variant"],
);
/// Registered but never written, like [`QUOTA_GATE_OPEN`].
pub(super) static QUOTA_RATE_CAP: FamilySpec = FamilySpec::new(
    "zai_proxy_quota_rate_cap",
    "Account-level admission rate cap derived from quota pacing",
    Gauge,
    VARIANT,
);
pub(super) static QUOTA_REMAINING: FamilySpec = FamilySpec::new(
    "zai_proxy_quota_remaining_ratio",
    "Remaining fraction of the provider-reported quota after no local policy adjustment",
    Gauge,
    QUOTA_LABELS,
);
pub(super) static QUOTA_RESET: FamilySpec = FamilySpec::new(
    "zai_proxy_quota_reset_time_seconds",
    "Provider quota reset time as a Unix timestamp",
    Gauge,
    QUOTA_LABELS,
);
pub(super) static QUOTA_SAMPLE_AGE: FamilySpec = FamilySpec::new(
    "zai_proxy_quota_sample_age_seconds",
    "Age of the last valid account quota sample",
    Gauge,
    VARIANT,
);
pub(super) static QUOTA_USAGE: FamilySpec = FamilySpec::new(
    "zai_proxy_quota_usage_ratio",
    "Normalized provider-reported quota usage ratio by window and limit type",
    Gauge,
    QUOTA_LABELS,
);
pub(super) static ADJUSTMENTS: FamilySpec = FamilySpec::new(
    "zai_proxy_rate_limit_adjustments_total",
    "Total number of rate limit adjustments",
    Counter,
    &["direction", "variant"],
);
pub(super) static REJECTIONS: FamilySpec = FamilySpec::new(
    "zai_proxy_rate_limit_rejections_total",
    "Total number of requests rejected due to proxy capacity, by bounded source bucket",
    Counter,
    CLIENT_LABELS,
);
pub(super) static RATE_LIMIT: FamilySpec = FamilySpec::new(
    "zai_proxy_rate_limit_requests_per_second",
    "Current rate limit in requests per second",
    Gauge,
    VARIANT,
);
pub(super) static WAIT: FamilySpec = FamilySpec::new(
    "zai_proxy_rate_limit_wait_seconds",
    "Time spent waiting for the rate limiter, by bounded source bucket",
    Histogram(WAIT_BUCKETS),
    CLIENT_LABELS,
);
pub(super) static DURATION: FamilySpec = FamilySpec::new(
    "zai_proxy_request_duration_seconds",
    "Request duration in seconds",
    Histogram(DURATION_BUCKETS),
    REQUEST_LABELS,
);
pub(super) static REQUEST_SIZE: FamilySpec = FamilySpec::new(
    "zai_proxy_request_size_bytes",
    "Request size in bytes",
    Histogram(SIZE_BUCKETS),
    &["method", "path", "variant"],
);
pub(super) static REQUESTS: FamilySpec = FamilySpec::new(
    "zai_proxy_requests_total",
    "Total number of requests by method, path, status code, and variant",
    Counter,
    REQUEST_LABELS,
);
pub(super) static RESPONSE_SIZE: FamilySpec = FamilySpec::new(
    "zai_proxy_response_size_bytes",
    "Response size in bytes",
    Histogram(SIZE_BUCKETS),
    REQUEST_LABELS,
);
pub(super) static RETRIES: FamilySpec = FamilySpec::new(
    "zai_proxy_retry_attempts_total",
    "Total number of retry attempts",
    Counter,
    &["reason", "variant"],
);
pub(super) static TOKEN_COUNT_DURATION: FamilySpec = FamilySpec::new(
    "zai_proxy_token_count_duration_seconds",
    "Duration of token counting operations",
    Histogram(TOKEN_COUNT_BUCKETS),
    VARIANT,
);
pub(super) static TOKEN_RATE: FamilySpec = FamilySpec::new(
    "zai_proxy_token_rate",
    "Token processing rate in tokens per second (throughput). Labels: direction (input/output), model (glm-4, etc.), variant (stable/canary)",
    Histogram(TOKEN_RATE_BUCKETS),
    TOKEN_RATE_LABELS,
);
pub(super) static TOKEN_RATE_SECONDS: FamilySpec = FamilySpec::new(
    "zai_proxy_token_rate_seconds",
    "Token processing rate histogram - tracks time taken to process tokens (lower is faster). Labels: direction (input/output), model (glm-4, etc.), variant (stable/canary)",
    Histogram(TOKEN_RATE_SECONDS_BUCKETS),
    TOKEN_RATE_LABELS,
);
pub(super) static TOKENS: FamilySpec = FamilySpec::new(
    "zai_proxy_tokens_total",
    "Total number of tokens processed by direction (input/output), model, deployment variant, and pricing tier",
    Counter,
    TOKEN_LABELS,
);
pub(super) static UPSTREAM_ERRORS: FamilySpec = FamilySpec::new(
    "zai_proxy_upstream_errors_total",
    "Total number of upstream errors by type",
    Counter,
    &["error_type", "variant"],
);
pub(super) static WORKER_UTILIZATION: FamilySpec = FamilySpec::new(
    "zai_proxy_worker_utilization_ratio",
    "Current worker utilization ratio (concurrent_requests/max_workers)",
    Gauge,
    VARIANT,
);

/// Every family the proxy's default registry holds, quota ones included
/// (they are registered even when polling is off, and then stay empty).
pub(super) static FAMILIES: &[&FamilySpec] = &[
    &GO_GC_DURATION,
    &GO_GOROUTINES,
    &GO_INFO,
    &GO_ALLOC,
    &GO_THREADS,
    &PROCESS_CPU,
    &PROCESS_RSS,
    &PROCESS_START,
    &SCRAPES_IN_FLIGHT,
    &SCRAPES,
    &BUILD_INFO,
    &CONCURRENT,
    &COST,
    &MAX_WORKERS,
    &QUOTA_GATE_OPEN,
    &QUOTA_POLLS,
    &QUOTA_RATE_CAP,
    &QUOTA_REMAINING,
    &QUOTA_RESET,
    &QUOTA_SAMPLE_AGE,
    &QUOTA_USAGE,
    &ADJUSTMENTS,
    &REJECTIONS,
    &RATE_LIMIT,
    &WAIT,
    &DURATION,
    &REQUEST_SIZE,
    &REQUESTS,
    &RESPONSE_SIZE,
    &RETRIES,
    &TOKEN_COUNT_DURATION,
    &TOKEN_RATE,
    &TOKEN_RATE_SECONDS,
    &TOKENS,
    &UPSTREAM_ERRORS,
    &WORKER_UTILIZATION,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_family_table_follows_client_golang_conventions() {
        let mut names: Vec<&str> = FAMILIES.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FAMILIES.len(), "family names are unique");
        for def in FAMILIES {
            assert!(
                def.labels.windows(2).all(|w| w[0] < w[1]),
                "{}: labels sorted by name, each once",
                def.name
            );
            if let Kind::Histogram(bounds) | Kind::Summary(bounds) = def.kind {
                assert!(bounds.windows(2).all(|w| w[0] < w[1]), "{}", def.name);
            }
        }
    }
}
