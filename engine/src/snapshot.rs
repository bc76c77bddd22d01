//! A variant's `MetricSnapshot` over a window: every field of the original
//! dashboard's snapshot (same JSON names and units), computed correctly.
//!
//! Differences from the original, each a bug it had:
//! - counts (`requests_2xx`, `tokens_*`, `upstream_errors`, ...) are exact
//!   increases over the window, reset-stitched per series, instead of
//!   lifetime totals that silently restart with the proxy;
//! - `error_rate_pct` is 5xx over all requests within the window;
//! - `retry_attempts` counts `reason="retry"` only (every retry is also
//!   counted under its cause);
//! - latency percentiles come from the windowed bucket increases summed
//!   over all series, not from the last series' lifetime buckets;
//! - a family the exporter does not send gives `null`, never `0`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{
    buffer::Window,
    extract::{Direction, Family, Histogram, QuotaWindow, Slot},
};

/// The snapshot of one variant over one window.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MetricSnapshot {
    /// End of the window, Unix ms.
    pub timestamp: i64,
    /// The variant's configured name.
    pub variant: String,
    /// Length of the window, seconds.
    pub window_seconds: f64,
    /// The oldest row in the window, Unix ms: where the data starts, which
    /// is later than the window's start while the page is still collecting.
    pub data_from_ms: Option<i64>,
    /// The newest row in the window, Unix ms.
    pub data_to_ms: Option<i64>,
    /// Scrapes in the window (of the best-sampled target).
    pub scrapes: usize,
    /// 2xx requests in the window (exact).
    pub requests_2xx: Option<f64>,
    /// 4xx requests in the window (exact).
    pub requests_4xx: Option<f64>,
    /// 5xx requests in the window (exact).
    pub requests_5xx: Option<f64>,
    /// Uncached input tokens in the window (exact).
    pub tokens_input: Option<f64>,
    /// Output tokens in the window (exact).
    pub tokens_output: Option<f64>,
    /// Cache-read tokens in the window (exact).
    pub tokens_cache_read: Option<f64>,
    /// Cache-write tokens in the window (exact).
    pub tokens_cache_write: Option<f64>,
    /// Estimated USD for input tokens in the window (exact).
    pub estimated_cost_usd_input: Option<f64>,
    /// Estimated USD for output tokens in the window (exact).
    pub estimated_cost_usd_output: Option<f64>,
    /// Estimated USD for cache reads in the window (exact).
    pub estimated_cost_usd_cache_read: Option<f64>,
    /// Estimated USD for cache writes in the window (exact).
    pub estimated_cost_usd_cache_write: Option<f64>,
    /// Estimated USD, all directions (exact).
    pub estimated_cost_usd_total: Option<f64>,
    /// Requests in flight now.
    pub concurrent_requests: Option<f64>,
    /// The worker cap now.
    pub max_workers: Option<f64>,
    /// The adaptive limiter's rate now, req/s.
    pub rate_limit_rps: Option<f64>,
    /// In-flight over max workers now (0–1, briefly above 1).
    pub worker_utilization: Option<f64>,
    /// Concurrency-cap rejections in the window (exact).
    pub rate_limit_rejections: Option<f64>,
    /// Limiter increases in the window (exact).
    pub rate_limit_adj_increase: Option<f64>,
    /// Limiter decreases in the window (exact).
    pub rate_limit_adj_decrease: Option<f64>,
    /// Upstream errors of every type in the window (exact).
    pub upstream_errors: Option<f64>,
    /// Retries in the window (exact; `reason="retry"` only).
    pub retry_attempts: Option<f64>,
    /// Requests per second, all codes.
    pub req_rate: Option<f64>,
    /// Input tokens per second.
    pub token_rate_in: Option<f64>,
    /// Output tokens per second.
    pub token_rate_out: Option<f64>,
    /// Cache-read tokens per second.
    pub token_rate_cache_read: Option<f64>,
    /// Cache-write tokens per second.
    pub token_rate_cache_write: Option<f64>,
    /// Requests per second by status code.
    pub status_code_rates: BTreeMap<String, f64>,
    /// 5xx as a percentage of all requests in the window.
    pub error_rate_pct: Option<f64>,
    /// Median latency, ms.
    pub latency_p50: Option<f64>,
    /// 95th percentile latency, ms.
    pub latency_p95: Option<f64>,
    /// 99th percentile latency, ms.
    pub latency_p99: Option<f64>,
    /// Which of p50, p95, p99 are only floors (their quantile fell in the
    /// `+Inf` bucket): shown "≥ X", never as if X were measured.
    pub latency_at_least: [bool; 3],
    /// Mean request size, bytes.
    pub request_size_avg: Option<f64>,
    /// Mean response size, bytes.
    pub response_size_avg: Option<f64>,
    /// 90th percentile request size, bytes.
    pub request_size_p90: Option<f64>,
    /// 90th percentile response size, bytes.
    pub response_size_p90: Option<f64>,
    /// Which of the request and response p90s are only floors (past the
    /// largest bucket).
    pub size_p90_at_least: [bool; 2],
    /// Rejections per second.
    pub rate_limit_rejection_rate: Option<f64>,
    /// Upstream errors per second.
    pub upstream_error_rate: Option<f64>,
    /// Retries per second.
    pub retry_rate: Option<f64>,
    /// Per-series counter resets seen in the window (proxy restarts).
    pub resets: u32,
    /// Whether a target answered from another, older process within the
    /// window (a load-balanced URL): its figures compare two processes
    /// and are not to be trusted.
    pub unreliable: bool,
    /// Quota telemetry, when the proxy exports it.
    pub quota: Option<QuotaState>,
}

/// Quota telemetry of one variant, from the newest row of the window.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct QuotaState {
    /// The provider's five-hour window.
    pub five_hour: Option<QuotaWindowState>,
    /// The provider's weekly window.
    pub weekly: Option<QuotaWindowState>,
    /// Age of the proxy's last quota sample, seconds.
    pub sample_age_seconds: Option<f64>,
}

/// One quota window.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct QuotaWindowState {
    /// Fraction used, 0–1.
    pub usage_ratio: Option<f64>,
    /// Fraction left, 0–1.
    pub remaining_ratio: Option<f64>,
    /// When the window resets, Unix seconds.
    pub reset_time_unix: Option<f64>,
}

fn code_class(slot: &Slot, class: char) -> bool {
    matches!(slot, Slot::Requests(code) if code.starts_with(class))
}

fn is_request(slot: &Slot) -> bool {
    matches!(slot, Slot::Requests(_))
}

/// Computes the snapshot of `variant` over `window`.
///
/// # Example
///
/// ```
/// use zai_dash_engine::{buffer::Buffer, parse::parse, snapshot::snapshot};
///
/// let exposition = |ok: u32, failed: u32, in_flight: u32| {
///     format!(
///         "# TYPE zai_proxy_requests_total counter\n\
///          zai_proxy_requests_total{{status_code=\"200\"}} {ok}\n\
///          zai_proxy_requests_total{{status_code=\"500\"}} {failed}\n\
///          ## TYPE zai_proxy_concurrent_requests gauge\n\
///          zai_proxy_concurrent_requests {in_flight}\n"
///     )
/// };
/// let t0 = 1_700_000_000_000;
/// let mut buffer = Buffer::default();
/// buffer.push(t0, &parse(&exposition(90, 10, 2)))?;
/// buffer.push(t0 + 10_000, &parse(&exposition(108, 12, 5)))?;
///
/// let s = snapshot("production", &buffer.window(t0, t0 + 10_000));
/// assert_eq!(s.window_seconds, 10.0);
/// assert_eq!((s.requests_2xx, s.requests_5xx), (Some(18.0), Some(2.0)));
/// assert_eq!(s.req_rate, Some(2.0)); // 20 requests in 10 s
/// assert_eq!(s.error_rate_pct, Some(10.0));
/// assert_eq!(s.concurrent_requests, Some(5.0));
/// // No latency histogram in the exposition: no figure, never 0.
/// assert_eq!(s.latency_p50, None);
/// # Ok::<(), zai_dash_engine::buffer::PushError>(())
/// ```
pub fn snapshot(variant: &str, window: &Window<'_>) -> MetricSnapshot {
    let span = window.span();
    // A counter series appears at its first increment, so within a family
    // that is present a missing series means 0 — given two scrapes of one
    // process to compare. A family that is absent, a single row, or two
    // rows with a restart between them (what happened before the restart
    // is unknown) stays `None`.
    let counter = |family: Family, v: Option<f64>| window.or_watched_zero(family, v);
    let tokens = |d| counter(Family::Tokens, window.sum_total(|s| s.is_tokens(d)));
    let cost = |d| counter(Family::Cost, window.sum_total(|s| s.is_cost(d)));
    let token_rate = |d| counter(Family::Tokens, window.sum_rate(|s| s.is_tokens(d)));
    let requests = |class| counter(Family::Requests, window.sum_total(|s| code_class(s, class)));
    let ms = |v: Option<f64>| v.map(|s| s * 1000.0);
    let retry = Slot::Retries("retry".into());
    let is_error = |s: &Slot| matches!(s, Slot::UpstreamErrors(_));

    // `extend`, not `collect`: collecting into a map sorts first, which
    // links core's sort into the app's wasm for this one call.
    let mut status_code_rates = BTreeMap::new();
    status_code_rates.extend(window.slots(is_request).filter_map(|slot| match slot {
        Slot::Requests(code) => Some((code.to_string(), window.rate(slot)?)),
        _ => None,
    }));
    let error_rate_pct = match (
        counter(
            Family::Requests,
            window.sum_increase(|s| code_class(s, '5')),
        ),
        window.sum_increase(is_request),
    ) {
        // No request at all is "no traffic", not a 0 % error rate.
        (Some(errors), Some(all)) if all > 0.0 => Some(errors / all * 100.0),
        _ => None,
    };
    let quantiles = window.quantile_estimates(Histogram::Duration, [0.50, 0.95, 0.99]);
    let [p50, p95, p99] = quantiles.map(|e| e.map(|e| e.value));
    let [request_p90, response_p90] = [Histogram::RequestSize, Histogram::ResponseSize]
        .map(|hist| window.quantile_estimates(hist, [0.9])[0]);
    let adjustments = |dir: &str| {
        counter(
            Family::Adjustments,
            window.total(&Slot::Adjustments(dir.into())),
        )
    };

    MetricSnapshot {
        timestamp: (span.end * 1000.0).round() as i64,
        variant: variant.to_owned(),
        window_seconds: span.end - span.start,
        data_from_ms: window.first_time(),
        data_to_ms: window.last_time(),
        scrapes: window.len(),
        requests_2xx: requests('2'),
        requests_4xx: requests('4'),
        requests_5xx: requests('5'),
        tokens_input: tokens(Direction::Input),
        tokens_output: tokens(Direction::Output),
        tokens_cache_read: tokens(Direction::CacheRead),
        tokens_cache_write: tokens(Direction::CacheWrite),
        estimated_cost_usd_input: cost(Direction::Input),
        estimated_cost_usd_output: cost(Direction::Output),
        estimated_cost_usd_cache_read: cost(Direction::CacheRead),
        estimated_cost_usd_cache_write: cost(Direction::CacheWrite),
        estimated_cost_usd_total: counter(
            Family::Cost,
            window.sum_total(|s| matches!(s, Slot::Cost(..))),
        ),
        concurrent_requests: window.latest(&Slot::Concurrent),
        max_workers: window.latest(&Slot::MaxWorkers),
        rate_limit_rps: window.latest(&Slot::RateLimit),
        worker_utilization: window.latest(&Slot::Utilization),
        rate_limit_rejections: counter(Family::Rejections, window.total(&Slot::Rejections)),
        rate_limit_adj_increase: adjustments("increase"),
        rate_limit_adj_decrease: adjustments("decrease"),
        upstream_errors: counter(Family::UpstreamErrors, window.sum_total(is_error)),
        retry_attempts: counter(Family::Retries, window.total(&retry)),
        req_rate: window.sum_rate(is_request),
        token_rate_in: token_rate(Direction::Input),
        token_rate_out: token_rate(Direction::Output),
        token_rate_cache_read: token_rate(Direction::CacheRead),
        token_rate_cache_write: token_rate(Direction::CacheWrite),
        status_code_rates,
        error_rate_pct,
        latency_p50: ms(p50),
        latency_p95: ms(p95),
        latency_p99: ms(p99),
        latency_at_least: quantiles.map(|e| e.is_some_and(|e| e.at_least)),
        request_size_avg: window.mean(Histogram::RequestSize),
        response_size_avg: window.mean(Histogram::ResponseSize),
        request_size_p90: request_p90.map(|e| e.value),
        response_size_p90: response_p90.map(|e| e.value),
        size_p90_at_least: [request_p90, response_p90].map(|e| e.is_some_and(|e| e.at_least)),
        rate_limit_rejection_rate: counter(Family::Rejections, window.rate(&Slot::Rejections)),
        upstream_error_rate: counter(Family::UpstreamErrors, window.sum_rate(is_error)),
        retry_rate: counter(Family::Retries, window.rate(&retry)),
        resets: window.resets(),
        unreliable: window.unreliable(),
        quota: quota(window),
    }
}

fn quota(window: &Window<'_>) -> Option<QuotaState> {
    if !window.has_family_now(Family::Quota) {
        return None;
    }
    let state = |w: QuotaWindow| {
        let s = QuotaWindowState {
            usage_ratio: window.latest(&Slot::QuotaUsage(w)),
            remaining_ratio: window.latest(&Slot::QuotaRemaining(w)),
            reset_time_unix: window.latest(&Slot::QuotaReset(w)),
        };
        (s != QuotaWindowState::default()).then_some(s)
    };
    let q = QuotaState {
        five_hour: state(QuotaWindow::FiveHour),
        weekly: state(QuotaWindow::Weekly),
        sample_age_seconds: window.latest(&Slot::QuotaSampleAge),
    };
    // As the original's `buildQuotaState`: no known window and no sample
    // age (e.g. only `window="unknown"` series) is no telemetry, not an
    // empty block.
    (q != QuotaState::default()).then_some(q)
}
