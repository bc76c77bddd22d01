//! The specification of `extract` + `buffer` + `snapshot`, written as tests:
//! what a variant's `MetricSnapshot` says about a window of scrapes.
//!
//! Every scenario builds small zai-proxy expositions as text, pushes them
//! into a [`Buffer`] at explicit timestamps (5 s apart unless said
//! otherwise) and reads [`Window`] methods or [`snapshot`] fields. Each
//! expected value carries its hand derivation next to it.
//!
//! Sections: the shared fixture pair (and how it differs from the original
//! dashboard's test oracle), counter resets, series that appear, disappear
//! and reappear, histograms over several series, windows with one row, no
//! traffic or missing families, quota, buffer bounds and memory, window
//! bounds.

use std::collections::BTreeMap;

use zai_dash_engine::buffer::{Buffer, DEFAULT_MAX_ROWS, DEFAULT_RETENTION_MS, PushError};
use zai_dash_engine::extract::{Direction, Family, HistPart, Histogram, Slot};
use zai_dash_engine::parse::parse;
use zai_dash_engine::series::{self, Grid};
use zai_dash_engine::snapshot::{MetricSnapshot, QuotaWindowState, snapshot};

const FIXTURE: &str = zai_dash_fixtures::VARIANT;
const FIXTURE_T5S: &str = zai_dash_fixtures::VARIANT_T5S;

// ---------------------------------------------------------------- helpers

/// Time of the first row in every scenario (Unix ms, 2025-09-04).
const T0: i64 = 1_757_000_000_000;

/// Time of row `row`: scrapes are 5 s apart.
fn at(row: usize) -> i64 {
    T0 + 5_000 * row as i64
}

/// Parses `text`, which must be clean, and pushes it at `t_ms`.
#[track_caller]
fn push(buffer: &mut Buffer, t_ms: i64, text: &str) {
    let scrape = parse(text);
    assert_eq!(scrape.errors, [], "parse errors in:\n{text}");
    buffer.push(t_ms, &scrape).expect("timestamps increase");
}

/// A default (24 h) buffer holding `scrapes` as rows 0, 1, 2... (5 s apart).
#[track_caller]
fn buffer_of<S: AsRef<str>>(scrapes: &[S]) -> Buffer {
    let mut buffer = Buffer::default();
    for (row, text) in scrapes.iter().enumerate() {
        push(&mut buffer, at(row), text.as_ref());
    }
    buffer
}

/// The snapshot over rows `first..=last`.
fn snap(buffer: &Buffer, first: usize, last: usize) -> MetricSnapshot {
    snapshot("production", &buffer.window(at(first), at(last)))
}

/// `actual` is `Some` and within float noise of `expected`.
#[track_caller]
fn assert_close(actual: Option<f64>, expected: f64) {
    let Some(a) = actual else {
        panic!("expected {expected}, got None");
    };
    let tolerance = 1e-9 * expected.abs().max(1e-3);
    assert!(
        (a - expected).abs() <= tolerance,
        "expected {expected}, got {a}"
    );
}

/// `zai_proxy_requests_total`, one series per `(status_code, value)`.
fn requests(series: &[(&str, f64)]) -> String {
    let mut out = String::from("# TYPE zai_proxy_requests_total counter\n");
    for (code, v) in series {
        out += &format!(
            "zai_proxy_requests_total{{method=\"POST\",status_code=\"{code}\",variant=\"production\"}} {v}\n"
        );
    }
    out
}

/// `zai_proxy_tokens_total` (off-peak), one series per `(direction, value)`.
fn tokens(series: &[(&str, f64)]) -> String {
    let mut out = String::from("# TYPE zai_proxy_tokens_total counter\n");
    for (direction, v) in series {
        out += &format!(
            "zai_proxy_tokens_total{{direction=\"{direction}\",model=\"glm-4.7\",pricing_tier=\"off_peak\"}} {v}\n"
        );
    }
    out
}

/// A gauge family with one unlabelled-but-for-variant series.
fn gauge(name: &str, v: f64) -> String {
    format!("# TYPE {name} gauge\n{name}{{variant=\"production\"}} {v}\n")
}

/// Bucket bounds of the small duration histograms below.
const LE: [&str; 3] = ["1", "10", "+Inf"];

/// `zai_proxy_request_duration_seconds`, one series per
/// `(status_code, cumulative counts for le = 1, 10, +Inf, sum)`; `_count`
/// is the `+Inf` bucket.
fn duration(series: &[(&str, [f64; 3], f64)]) -> String {
    let name = "zai_proxy_request_duration_seconds";
    let mut out = format!("# TYPE {name} histogram\n");
    for (code, counts, sum) in series {
        let labels = format!("status_code=\"{code}\",variant=\"production\"");
        for (le, count) in LE.iter().zip(counts) {
            out += &format!("{name}_bucket{{{labels},le=\"{le}\"}} {count}\n");
        }
        out += &format!("{name}_sum{{{labels}}} {sum}\n");
        out += &format!("{name}_count{{{labels}}} {}\n", counts[2]);
    }
    out
}

// ------------------------------------------------- the shared fixture pair

/// The reconstructed production pair, t0 and t0 + 5 s, as rows 0 and 1.
fn fixture_pair() -> Buffer {
    buffer_of(&[FIXTURE, FIXTURE_T5S])
}

#[test]
fn fixture_pair_request_rates_are_the_three_new_200s_over_5_s() {
    let s = snap(&fixture_pair(), 0, 1);
    assert_eq!(s.variant, "production");
    assert_eq!(s.timestamp, at(1)); // the window's end
    assert_eq!(s.window_seconds, 5.0);
    // requests_total{200}: 18342 → 18345 = 3 in 5 s; the samples sit on
    // both window bounds, so nothing is extrapolated: 3 / 5 = 0.6/s.
    assert_close(s.req_rate, 0.6);
    // Every code present in the scrape gets a rate; only 200 moved
    // (400: 37, 429: 212, 500: 9, 502: 14, 503: 61 in both scrapes).
    let codes: Vec<&str> = s.status_code_rates.keys().map(String::as_str).collect();
    assert_eq!(codes, ["200", "400", "429", "500", "502", "503"]);
    assert_close(s.status_code_rates.get("200").copied(), 0.6);
    for code in ["400", "429", "500", "502", "503"] {
        assert_eq!(s.status_code_rates[code], 0.0, "{code}");
    }
    // Exact counts in the window: 3 × 200, no 4xx, no 5xx.
    assert_eq!(s.requests_2xx, Some(3.0));
    assert_eq!(s.requests_4xx, Some(0.0));
    assert_eq!(s.requests_5xx, Some(0.0));
    assert_eq!(s.resets, 0);
}

#[test]
fn fixture_pair_token_rates_match_the_oracle_in_all_four_directions() {
    let s = snap(&fixture_pair(), 0, 1);
    // Only the off_peak series moved (peak: 402118 / 611790 / 3.102208e7 /
    // 9034 in both scrapes). Δ / 5 s:
    // input      1.834211e6 → 1.836622e6:    2411 → 482.2/s   (oracle 482.2)
    assert_close(s.token_rate_in, 482.2);
    assert_eq!(s.tokens_input, Some(2411.0));
    // output     2.911345e6 → 2.913222e6:    1877 → 375.4/s   (oracle 375.4)
    assert_close(s.token_rate_out, 375.4);
    assert_eq!(s.tokens_output, Some(1877.0));
    // cache_read 1.52338944e8 → 1.52457472e8: 118528 → 23705.6/s (oracle)
    assert_close(s.token_rate_cache_read, 23705.6);
    assert_eq!(s.tokens_cache_read, Some(118528.0));
    // cache_write 48211 and 9034 in both scrapes: 0, and a present 0.
    assert_eq!(s.token_rate_cache_write, Some(0.0));
    assert_eq!(s.tokens_cache_write, Some(0.0));
}

#[test]
fn fixture_pair_cost_is_the_windowed_increase_per_direction() {
    let s = snap(&fixture_pair(), 0, 1);
    // estimated_cost_usd_total{off_peak}, t5s − t0, which is also tokens ×
    // the off-peak price per 1K tokens:
    // input      1.1019732 − 1.1005266   = 0.0014466  (2411 × 0.00060/1K)
    assert_close(s.estimated_cost_usd_input, 0.0014466);
    // output     6.4090884 − 6.404959    = 0.0041294  (1877 × 0.00220/1K)
    assert_close(s.estimated_cost_usd_output, 0.0041294);
    // cache_read 16.77032192 − 16.75728384 = 0.01303808 (118528 × 0.00011/1K)
    assert_close(s.estimated_cost_usd_cache_read, 0.01303808);
    // cache_write is free: both series are 0 throughout.
    assert_eq!(s.estimated_cost_usd_cache_write, Some(0.0));
    // 0.0014466 + 0.0041294 + 0.01303808 + 0
    assert_close(s.estimated_cost_usd_total, 0.01861408);
}

#[test]
fn fixture_pair_error_rate_is_windowed_not_lifetime() {
    let s = snap(&fixture_pair(), 0, 1);
    // In the window: 0 5xx among 3 requests → 0 %. The original's 0.44973
    // is the lifetime ratio at t5s: (500: 9 + 502: 14 + 503: 61 = 84) /
    // (18345 + 37 + 212 + 84 = 18678) × 100, which barely moves however bad
    // the last minutes were.
    assert_eq!(s.error_rate_pct, Some(0.0));
}

#[test]
fn fixture_pair_retries_count_reason_retry_only() {
    let s = snap(&fixture_pair(), 0, 1);
    // One retried 429: reason="retry" 490 → 491 and reason="429" 428 → 429.
    // Every retry is counted twice (once as "retry", once under its cause),
    // so actual retries are the "retry" series alone: 1, i.e. 0.2/s. The
    // original's 982 is the lifetime sum over every reason at t5s
    // (429 + 4 + 47 + 491 + 11), about twice the real lifetime retries.
    assert_eq!(s.retry_attempts, Some(1.0));
    assert_close(s.retry_rate, 0.2);
    // upstream_errors_total{429}: 640 → 641, the attempt that was retried.
    assert_eq!(s.upstream_errors, Some(1.0));
    assert_close(s.upstream_error_rate, 0.2);
    // No rejections (41 + 20 both times), no limiter adjustments.
    assert_eq!(s.rate_limit_rejections, Some(0.0));
    assert_eq!(s.rate_limit_rejection_rate, Some(0.0));
    assert_eq!(s.rate_limit_adj_increase, Some(0.0));
    assert_eq!(s.rate_limit_adj_decrease, Some(0.0));
}

#[test]
fn fixture_pair_latency_comes_from_windowed_buckets_summed_over_series() {
    let s = snap(&fixture_pair(), 0, 1);
    // Bucket deltas t5s − t0 summed over the five status_code series (only
    // 200 moved): le ≤ 2.5: 0, 5: 1, 10: 1, 30: 2, 60: 3, 120: 3, 300: 3,
    // +Inf: 3.
    // p50: rank 0.5 × 3 = 1.5 → bucket (10, 30] holding counts 1 → 2:
    //      10 + 20 × (1.5 − 1) / (2 − 1) = 20 s
    assert_close(s.latency_p50, 20_000.0);
    // p95: rank 2.85 → bucket (30, 60] holding 2 → 3: 30 + 30 × 0.85 = 55.5 s
    assert_close(s.latency_p95, 55_500.0);
    // p99: rank 2.97 → (30, 60]: 30 + 30 × 0.97 = 59.1 s
    assert_close(s.latency_p99, 59_100.0);
    // All three within finite buckets: estimates, not floors.
    assert_eq!(s.latency_at_least, [false; 3]);
    // The original's 24285.7 / 78000 / 111600 ms are the lifetime buckets
    // of the *last* series in exposition order (status_code="502", whose
    // buckets overwrote all others): p50 rank 7 of 14 → 10 + 20 × 5/7 s.
}

#[test]
fn fixture_pair_size_averages_are_windowed_sum_over_count() {
    let s = snap(&fixture_pair(), 0, 1);
    // request_size_bytes (one series): Δsum 2.643825249e9 − 2.6431879e9 =
    // 637349 bytes over Δcount 18617 − 18614 = 3 requests = 212449.67 bytes,
    // the mean size of the 3 requests made in the window. The original's
    // 142011.35 is the lifetime mean at t5s (2.643825249e9 / 18617).
    assert_close(s.request_size_avg, 637_349.0 / 3.0);
    // response_size_bytes summed over its 3 series (200, 400, 500), only 200
    // moved: Δsum 3.49213332e8 − 3.49152e8 = 61332 over Δcount 3 = 20444
    // bytes. The original's 137 is the lifetime mean of the last series
    // alone (status_code="500": 1233 / 9), an error page's size.
    assert_close(s.response_size_avg, 20_444.0);
}

#[test]
fn fixture_pair_size_p90s_interpolate_in_the_windowed_buckets() {
    let s = snap(&fixture_pair(), 0, 1);
    // Request sizes, bucket increases (le 1e5, 1e6, ..., +Inf): 1, 3, ..., 3.
    // Rank 0.9 × 3 = 2.7 falls in (1e5, 1e6]: 1e5 + 9e5 × (2.7 − 1)/(3 − 1)
    // = 865,000 bytes.
    assert_close(s.request_size_p90, 865_000.0);
    // Response sizes summed per le over 200, 400 and 500 (only 200 moved):
    // le 1e4: 1, le 1e5: 3. Rank 2.7 in (1e4, 1e5]: 1e4 + 9e4 × 0.85 =
    // 86,500 bytes.
    assert_close(s.response_size_p90, 86_500.0);
    assert_eq!(s.size_p90_at_least, [false, false]);
}

#[test]
fn fixture_pair_gauges_come_from_the_current_scrape() {
    let s = snap(&fixture_pair(), 0, 1);
    // t0 has concurrent 4 and utilisation 0.4; the window ends at t5s.
    assert_eq!(s.concurrent_requests, Some(5.0));
    assert_eq!(s.max_workers, Some(10.0));
    assert_eq!(s.rate_limit_rps, Some(6.86));
    assert_eq!(s.worker_utilization, Some(0.5));
}

#[test]
fn fixture_pair_has_no_quota_and_serialises_it_as_null() {
    let buffer = fixture_pair();
    let s = snap(&buffer, 0, 1);
    // Production does not set QUOTA_POLL_ENABLED: no zai_proxy_quota_*
    // family, so no quota block at all (not an empty one).
    assert_eq!(s.quota, None);
    let json = serde_json::to_value(&s).unwrap();
    assert!(json["quota"].is_null());
    assert_close(json["req_rate"].as_f64(), 0.6);
    assert_eq!(json["status_code_rates"]["503"], serde_json::json!(0.0));
}

// ---------------------------------------------------------- counter resets

/// A restart between rows 1 and 2: every series starts again from 0.
fn restart() -> Buffer {
    buffer_of(&[
        requests(&[("200", 100.0), ("500", 4.0)]) + &tokens(&[("input", 1000.0)]),
        requests(&[("200", 110.0), ("500", 5.0)]) + &tokens(&[("input", 1600.0)]),
        // restart: all three series are lower than before
        requests(&[("200", 3.0), ("500", 1.0)]) + &tokens(&[("input", 250.0)]),
        requests(&[("200", 8.0), ("500", 1.0)]) + &tokens(&[("input", 400.0)]),
    ])
}

#[test]
fn a_restart_mid_window_is_stitched_per_series() {
    let s = snap(&restart(), 0, 3);
    // Per-series deltas, a drop counting its new value (the counter
    // restarted from 0):
    // 200:   (110 − 100) + 3 + (8 − 3) = 18   (naive last − first: −92)
    assert_eq!(s.requests_2xx, Some(18.0));
    // 500:   (5 − 4) + 1 + (1 − 1) = 2
    assert_eq!(s.requests_5xx, Some(2.0));
    // input: (1600 − 1000) + 250 + (400 − 250) = 1000
    assert_eq!(s.tokens_input, Some(1000.0));
    // Three series dropped, all between rows 1 and 2.
    assert_eq!(s.resets, 3);
}

#[test]
fn a_restart_mid_window_gives_rates_of_the_stitched_series() {
    let s = snap(&restart(), 0, 3);
    // The stitched 200 column reads 100, 110, 113, 118 at 0, 5, 10, 15 s;
    // samples on both bounds, so rate = 18 / 15 s = 1.2/s, what Prometheus'
    // rate() gives on the raw series (8 − 100 + 110 reset compensation).
    assert_close(s.status_code_rates.get("200").copied(), 1.2);
    // 500: 2 / 15 s.
    assert_close(s.status_code_rates.get("500").copied(), 2.0 / 15.0);
    // req_rate: (18 + 2) / 15 s.
    assert_close(s.req_rate, 20.0 / 15.0);
    // input tokens: 1000 / 15 s.
    assert_close(s.token_rate_in, 1000.0 / 15.0);
    // 5xx share of the window's requests: 2 / 20 = 10 %.
    assert_close(s.error_rate_pct, 10.0);
}

#[test]
fn resets_are_counted_only_inside_the_window() {
    let buffer = restart();
    // Rows 1..=3 contain the drop (row 1 → row 2).
    assert_eq!(snap(&buffer, 1, 3).resets, 3);
    // Rows 2..=3 start after it: the drop happened before the window's
    // first row and is not counted; 200 grew 3 → 8.
    let after = snap(&buffer, 2, 3);
    assert_eq!(after.resets, 0);
    assert_eq!(after.requests_2xx, Some(5.0));
}

#[test]
fn a_restart_that_empties_the_family_for_a_while_is_a_gap_then_a_reset() {
    // After a restart client_golang exposes no requests_total series at
    // all until the first request: rows 2 and 3 have only gauges.
    let workers = gauge("zai_proxy_max_workers", 10.0);
    let buffer = buffer_of(&[
        requests(&[("200", 100.0)]) + &workers,
        requests(&[("200", 110.0)]) + &workers,
        workers.clone(),
        workers.clone(),
        requests(&[("200", 2.0)]) + &workers,
        requests(&[("200", 5.0)]) + &workers,
    ]);
    let s = snap(&buffer, 0, 5);
    // 10 before, then 2 (a reset: 2 < 110, the series' last value), then 3.
    assert_eq!(s.requests_2xx, Some(15.0));
    assert_eq!(s.resets, 1);
    // The stitched column: 100, 110, –, –, 112, 115 over 0..25 s, on the
    // bounds: 15 / 25 s.
    assert_close(s.req_rate, 0.6);
    // Inside the gap there is no requests data at all: null, not 0.
    let gap = snap(&buffer, 2, 3);
    assert_eq!(gap.requests_2xx, None);
    assert_eq!(gap.req_rate, None);
    assert_eq!(gap.max_workers, Some(10.0));
}

// ------------------------------------- series that appear, vanish, return

#[test]
fn a_series_that_appears_mid_window_counts_from_zero() {
    let buffer = buffer_of(&[
        requests(&[("200", 50.0)]),
        requests(&[("200", 55.0)]),
        // the first 502: client_golang creates the series at its first
        // increment, so it appears with value 1
        requests(&[("200", 60.0), ("502", 1.0)]),
        requests(&[("200", 62.0), ("502", 3.0)]),
    ]);
    let s = snap(&buffer, 0, 3);
    // 502: 0 (absent) → 1 → 3: all 3 happened in the window. (Prometheus'
    // rate() would only see 1 → 3 and miss the first.)
    assert_eq!(s.requests_5xx, Some(3.0));
    assert_eq!(s.requests_2xx, Some(12.0)); // 62 − 50
    // Rates over 15 s: the 502 column reads 0, 0, 1, 3.
    assert_close(s.status_code_rates.get("502").copied(), 3.0 / 15.0);
    assert_close(s.status_code_rates.get("200").copied(), 12.0 / 15.0);
    // 3 of 15 requests were 5xx.
    assert_close(s.error_rate_pct, 20.0);
    assert_eq!(s.resets, 0);
    // A window starting at row 2 already has the 502 series: its first
    // value is the baseline, so only 1 → 3 counts.
    assert_eq!(snap(&buffer, 2, 3).requests_5xx, Some(2.0));
    // A window ending before it appeared: no 502 requests.
    assert_eq!(snap(&buffer, 0, 1).requests_5xx, Some(0.0));
}

#[test]
fn a_series_that_disappears_stays_flat_and_one_that_returns_lower_reset() {
    let buffer = buffer_of(&[
        requests(&[("200", 10.0), ("429", 4.0), ("503", 7.0)]),
        requests(&[("200", 12.0), ("429", 5.0)]), // 503 missing
        requests(&[("200", 15.0), ("503", 7.0)]), // 429 missing, 503 back equal
        requests(&[("200", 15.0), ("429", 2.0), ("503", 8.0)]), // 429 back lower
        requests(&[("200", 16.0), ("429", 2.0), ("503", 8.0)]),
    ]);
    // Rows 0..=2: 429 went 4 → 5 and then vanished: 1, and vanishing is not
    // a reset. 503 vanished and came back at the same value: 0.
    let s = snap(&buffer, 0, 2);
    assert_eq!(s.requests_4xx, Some(1.0));
    assert_eq!(s.requests_5xx, Some(0.0));
    assert_eq!(s.resets, 0);
    // Rows 0..=4: 429 returned at 2 < 5 (its last value): a reset that
    // contributes 2, so 1 + 2 = 3. 503: 7 → 8 = 1. 200: 16 − 10 = 6.
    let s = snap(&buffer, 0, 4);
    assert_eq!(s.requests_4xx, Some(3.0));
    assert_eq!(s.requests_5xx, Some(1.0));
    assert_eq!(s.requests_2xx, Some(6.0));
    assert_eq!(s.resets, 1);
}

// -------------------------------------------- histograms over many series

#[test]
fn histogram_buckets_are_summed_per_le_after_per_series_deltas() {
    let buffer = buffer_of(&[
        duration(&[
            ("200", [10.0, 20.0, 20.0], 50.0),
            ("500", [0.0, 1.0, 3.0], 80.0),
        ]),
        duration(&[
            ("200", [13.0, 26.0, 26.0], 70.0),
            ("500", [1.0, 4.0, 7.0], 200.0),
        ]),
    ]);
    let s = snap(&buffer, 0, 1);
    // Per-series deltas (le 1, 10, +Inf): 200: 3, 6, 6; 500: 1, 3, 4.
    // Summed per le: 4, 9, 10.
    // p50: rank 5 → bucket (1, 10] holding 4 → 9: 1 + 9 × (5 − 4)/(9 − 4)
    //      = 2.8 s. (The original, from the last series' lifetime buckets
    //      — 500: 1, 4, 7 — would say 1 + 9 × (3.5 − 1)/(4 − 1) = 8.5 s.)
    assert_close(s.latency_p50, 2_800.0);
    // p95: rank 9.5 > 9 falls in the +Inf bucket → the highest finite
    // bound, 10 s (a floor: "≥ 10 s"). Same for p99.
    assert_close(s.latency_p95, 10_000.0);
    assert_close(s.latency_p99, 10_000.0);
    assert_eq!(
        s.latency_at_least,
        [false, true, true],
        "p95 and p99 are floors"
    );
    // The latency chart marks the same floors, point by point.
    let grid = Grid {
        first_ms: at(1),
        step_ms: 5_000,
        len: 1,
        lookback_ms: 5_000,
    };
    let lines = series::latency(&buffer, &grid);
    let floors: Vec<(&str, f64, bool)> = lines
        .iter()
        .map(|l| (l.name.as_str(), l.values[0], l.at_least[0]))
        .collect();
    assert_eq!(
        floors,
        [
            ("p50", 2_800.0, false),
            ("p95", 10_000.0, true),
            ("p99", 10_000.0, true)
        ]
    );
    let w = buffer.window(at(0), at(1));
    // Mean: Δsum (20 + 120) / Δcount (6 + 4) = 14 s.
    assert_close(w.mean(Histogram::Duration), 14.0);
    // Each bucket of each le is one column, whatever the series.
    let bucket_columns = w
        .slots(|s| matches!(s, Slot::Hist(Histogram::Duration, HistPart::Bucket(_))))
        .count();
    assert_eq!(bucket_columns, 3);
}

#[test]
fn a_histogram_reset_is_stitched_per_bucket_series() {
    let buffer = buffer_of(&[
        duration(&[("200", [5.0, 8.0, 10.0], 40.0)]),
        duration(&[("200", [6.0, 10.0, 12.0], 50.0)]),
        duration(&[("200", [1.0, 1.0, 2.0], 6.0)]), // restart
        duration(&[("200", [2.0, 3.0, 4.0], 16.0)]),
    ]);
    let s = snap(&buffer, 0, 3);
    // Per bucket: le 1: 1 + 1 + 1 = 3; le 10: 2 + 1 + 2 = 5;
    // +Inf: 2 + 2 + 2 = 6.
    // p50: rank 3 → (0, 1] holding 0 → 3: 0 + 1 × 3/3 = 1 s.
    assert_close(s.latency_p50, 1_000.0);
    // p95: rank 5.7 → +Inf bucket (5 < 5.7): 10 s.
    assert_close(s.latency_p95, 10_000.0);
    // Every part dropped at the restart: 3 buckets, _sum and _count.
    assert_eq!(s.resets, 5);
    // Mean: Δsum 10 + 6 + 10 = 26 over Δcount 6.
    assert_close(
        buffer.window(at(0), at(3)).mean(Histogram::Duration),
        26.0 / 6.0,
    );
}

// ------------------------------------------ one row, no traffic, no family

#[test]
fn a_window_with_one_row_has_gauges_but_no_rates_totals_or_quantiles() {
    let buffer = fixture_pair();
    for window in [
        buffer.window(at(1), at(1)),         // exactly one row
        buffer.window(at(1) - 1, at(1) + 1), // a 2 ms window around it
    ] {
        assert_eq!(window.len(), 1);
        let s = snapshot("production", &window);
        // One sample says nothing about growth: absent, never 0.
        assert_eq!(s.req_rate, None);
        assert_eq!(s.requests_2xx, None);
        assert_eq!(s.tokens_input, None);
        assert_eq!(s.token_rate_in, None);
        assert_eq!(s.token_rate_cache_write, None);
        assert_eq!(s.estimated_cost_usd_total, None);
        assert_eq!(s.upstream_errors, None);
        assert_eq!(s.retry_attempts, None);
        assert_eq!(s.retry_rate, None);
        assert_eq!(s.rate_limit_rejections, None);
        assert_eq!(s.error_rate_pct, None);
        assert_eq!(s.latency_p50, None);
        assert_eq!(s.latency_p99, None);
        assert_eq!(s.request_size_avg, None);
        assert_eq!(s.response_size_avg, None);
        assert!(s.status_code_rates.is_empty());
        // Gauges are instantaneous: the row's own values.
        assert_eq!(s.concurrent_requests, Some(5.0));
        assert_eq!(s.max_workers, Some(10.0));
        assert_eq!(s.rate_limit_rps, Some(6.86));
        assert_eq!(s.worker_utilization, Some(0.5));
    }
    // The same holds for the very first scrape of a buffer, even in a
    // window reaching back further than it.
    let first = buffer_of(&[FIXTURE]);
    let s = snapshot("production", &first.window(T0 - 60_000, T0));
    assert_eq!(s.req_rate, None);
    assert_eq!(s.concurrent_requests, Some(4.0));
}

#[test]
fn an_empty_window_has_nothing_at_all() {
    let buffer = fixture_pair();
    let window = buffer.window(at(5), at(9));
    assert!(window.is_empty());
    let s = snapshot("production", &window);
    assert_eq!(
        s,
        MetricSnapshot {
            timestamp: at(9),
            variant: "production".into(),
            window_seconds: 20.0,
            ..MetricSnapshot::default()
        }
    );
}

#[test]
fn an_absent_family_is_null_and_a_missing_direction_of_a_present_one_is_zero() {
    // Requests and tokens only, and only input/output tokens: no histogram,
    // cost, error, retry, limiter, gauge or quota family.
    let scrape = |n: f64| {
        requests(&[("200", 10.0 + n)]) + &tokens(&[("input", 100.0 * n), ("output", 40.0 * n)])
    };
    let buffer = buffer_of(&[scrape(1.0), scrape(2.0)]);
    let s = snap(&buffer, 0, 1);
    let json = serde_json::to_value(&s).unwrap();
    for field in [
        "estimated_cost_usd_input",
        "estimated_cost_usd_total",
        "concurrent_requests",
        "max_workers",
        "rate_limit_rps",
        "worker_utilization",
        "rate_limit_rejections",
        "rate_limit_adj_increase",
        "upstream_errors",
        "retry_attempts",
        "latency_p50",
        "latency_p95",
        "latency_p99",
        "request_size_avg",
        "response_size_avg",
        "request_size_p90",
        "response_size_p90",
        "rate_limit_rejection_rate",
        "upstream_error_rate",
        "retry_rate",
        "quota",
    ] {
        assert!(
            json[field].is_null(),
            "{field} should be null: {}",
            json[field]
        );
    }
    // The tokens family is present; cache_read/cache_write have no series
    // (the proxy skips counts ≤ 0, so a series appears at its first
    // non-zero use): with two rows that is a known 0, not a gap.
    assert_eq!(json["tokens_cache_read"], serde_json::json!(0.0));
    assert_eq!(json["tokens_cache_write"], serde_json::json!(0.0));
    assert_eq!(json["token_rate_cache_write"], serde_json::json!(0.0));
    // The directions that are there: 200 − 100 and 80 − 40 in 5 s.
    assert_eq!(s.tokens_input, Some(100.0));
    assert_close(s.token_rate_out, 8.0);
    // With a single row, the missing direction is as unknown as the rest.
    let one = snap(&buffer, 1, 1);
    assert_eq!(one.tokens_cache_write, None);
    assert_eq!(one.token_rate_cache_write, None);
}

#[test]
fn no_traffic_means_no_latency_but_a_zero_request_rate() {
    // The same counters twice: nothing happened in those 5 s.
    let buffer = buffer_of(&[FIXTURE, FIXTURE]);
    let s = snap(&buffer, 0, 1);
    assert_eq!(s.req_rate, Some(0.0));
    assert_eq!(s.requests_2xx, Some(0.0));
    assert_eq!(s.token_rate_in, Some(0.0));
    assert!(s.status_code_rates.values().all(|&r| r == 0.0));
    // No observation in the window: a quantile or a mean of nothing is
    // "no traffic", not 0 ms.
    assert_eq!(s.latency_p50, None);
    assert_eq!(s.latency_p95, None);
    assert_eq!(s.latency_p99, None);
    assert_eq!(s.request_size_avg, None);
    assert_eq!(s.response_size_avg, None);
    assert_eq!(s.request_size_p90, None);
    assert_eq!(s.response_size_p90, None);
    // 0 errors among 0 requests is no traffic, not a 0 % error rate (the
    // original printed 0 here).
    assert_eq!(s.error_rate_pct, None);
}

// ------------------------------------------------------------------ quota

/// A quota exposition: `(metric suffix, window, limit_type, value)`.
fn quota(series: &[(&str, &str, &str, f64)], ages: &[f64]) -> String {
    let mut out = String::new();
    for (metric, window, limit, v) in series {
        out += &format!(
            "zai_proxy_quota_{metric}{{limit_type=\"{limit}\",variant=\"canary\",window=\"{window}\"}} {v}\n"
        );
    }
    for (i, age) in ages.iter().enumerate() {
        out += &format!("zai_proxy_quota_sample_age_seconds{{variant=\"v{i}\"}} {age}\n");
    }
    out
}

#[test]
fn quota_prefers_credit_then_tokens_limit_case_insensitively() {
    let text = quota(
        &[
            // five_hour: credit_limit (written upper-case) beats tokens_limit
            ("usage_ratio", "five_hour", "tokens_limit", 0.9),
            ("usage_ratio", "five_hour", "CREDIT_LIMIT", 0.25),
            ("remaining_ratio", "five_hour", "CREDIT_LIMIT", 0.75),
            (
                "reset_time_seconds",
                "five_hour",
                "Credit_Limit",
                1_757_003_600.0,
            ),
            (
                "reset_time_seconds",
                "five_hour",
                "tokens_limit",
                1_757_009_999.0,
            ),
            // weekly: tokens_limit beats the lexicographically smaller
            // "a_limit"; its reset time 0 means "none advertised"
            ("usage_ratio", "weekly", "a_limit", 0.1),
            ("usage_ratio", "weekly", "tokens_limit", 0.4),
            ("remaining_ratio", "weekly", "tokens_limit", 0.6),
            ("reset_time_seconds", "weekly", "tokens_limit", 0.0),
            // an unknown window is ignored
            ("usage_ratio", "unknown", "credit_limit", 1.0),
        ],
        // sample age: the oldest of the series
        &[12.0, 40.0, 3.0],
    );
    let buffer = buffer_of(&[text]);
    let q = snap(&buffer, 0, 0).quota.expect("quota present");
    assert_eq!(
        q.five_hour,
        Some(QuotaWindowState {
            usage_ratio: Some(0.25),
            remaining_ratio: Some(0.75),
            reset_time_unix: Some(1_757_003_600.0),
        })
    );
    assert_eq!(
        q.weekly,
        Some(QuotaWindowState {
            usage_ratio: Some(0.4),
            remaining_ratio: Some(0.6),
            reset_time_unix: None, // 0 is not a time
        })
    );
    assert_eq!(q.sample_age_seconds, Some(40.0));
}

#[test]
fn quota_falls_back_to_the_smallest_limit_type() {
    let text = quota(
        &[
            ("usage_ratio", "weekly", "b_limit", 0.7),
            ("usage_ratio", "weekly", "A_LIMIT", 0.2),
            ("remaining_ratio", "weekly", "b_limit", 0.3),
        ],
        &[],
    );
    let q = snap(&buffer_of(&[text]), 0, 0)
        .quota
        .expect("quota present");
    // Neither preferred type: "a_limit" < "b_limit" (after lower-casing);
    // it has no remaining ratio, and b_limit's is not mixed in.
    assert_eq!(
        q.weekly,
        Some(QuotaWindowState {
            usage_ratio: Some(0.2),
            remaining_ratio: None,
            reset_time_unix: None,
        })
    );
    assert_eq!(q.five_hour, None);
    // No sample-age series yet: "no sample yet", not 0 s.
    assert_eq!(q.sample_age_seconds, None);
}

#[test]
fn quota_is_read_from_the_newest_row_only() {
    let with = |usage: f64| {
        quota(
            &[("usage_ratio", "five_hour", "credit_limit", usage)],
            &[5.0],
        )
    };
    let buffer = buffer_of(&[with(0.1), with(0.3), requests(&[("200", 1.0)])]);
    let q = snap(&buffer, 0, 1).quota.unwrap();
    assert_eq!(q.five_hour.unwrap().usage_ratio, Some(0.3));
    // The poller's series vanished in the newest row: telemetry unavailable.
    assert_eq!(snap(&buffer, 0, 2).quota, None);
}

#[test]
fn quota_series_of_unknown_windows_alone_are_no_quota_block() {
    // The proxy maps any window it does not know to "unknown"; with nothing
    // else there is no usable telemetry: null, as the original's
    // buildQuotaState (no window, no age, no enforcement → nil).
    let text = quota(&[("usage_ratio", "unknown", "credit_limit", 0.5)], &[]);
    let buffer = buffer_of(&[text]);
    assert_eq!(snap(&buffer, 0, 0).quota, None);
    // A sample age alone is telemetry ("sample 7s old", no windows yet).
    let buffer = buffer_of(&[quota(&[], &[7.0])]);
    let q = snap(&buffer, 0, 0).quota.expect("quota present");
    assert_eq!((q.five_hour, q.weekly), (None, None));
    assert_eq!(q.sample_age_seconds, Some(7.0));
}

// ------------------------------------------------- buffer bounds, memory

#[test]
fn rows_older_than_the_retention_are_dropped() {
    let mut buffer = Buffer::new(60_000, 1_000);
    for row in 0..=24 {
        push(&mut buffer, at(row), &requests(&[("200", row as f64)]));
    }
    // Newest row at 120 s; rows up to exactly 60 s old are kept: 60..=120 s.
    assert_eq!(buffer.len(), 13);
    assert_eq!(buffer.first_time(), Some(at(12)));
    assert_eq!(buffer.last_time(), Some(at(24)));
    // What was dropped is gone from every window.
    assert_eq!(buffer.window(at(0), at(24)).len(), 13);
    assert_eq!(
        snap(&buffer, 0, 24).requests_2xx,
        Some(12.0) // 24 − 12: only the kept rows count
    );
}

#[test]
fn rows_beyond_the_row_cap_are_dropped() {
    let mut buffer = Buffer::new(DEFAULT_RETENTION_MS, 10);
    for row in 0..25 {
        push(&mut buffer, at(row), &requests(&[("200", row as f64)]));
    }
    assert_eq!(buffer.len(), 10);
    assert_eq!(buffer.first_time(), Some(at(15)));
    // A cap below 2 would leave nothing to take a rate from: it is 2.
    let mut tiny = Buffer::new(DEFAULT_RETENTION_MS, 0);
    for row in 0..5 {
        push(&mut tiny, at(row), &requests(&[("200", 2.0 * row as f64)]));
    }
    assert_eq!(tiny.len(), 2);
    assert_close(
        tiny.window(at(3), at(4))
            .rate(&Slot::Requests("200".into())),
        0.4,
    );
}

#[test]
fn a_scrape_not_newer_than_the_last_row_is_refused_and_forgotten() {
    let mut buffer = Buffer::default();
    push(&mut buffer, at(2), &requests(&[("200", 10.0)]));
    let late = requests(&[("200", 100.0)]);
    let scrape = parse(&late);
    assert_eq!(buffer.push(at(1), &scrape), Err(PushError::OutOfOrder));
    assert_eq!(buffer.push(at(2), &scrape), Err(PushError::OutOfOrder));
    assert_eq!(buffer.len(), 1);
    // The refused scrape did not reach the extractor: had 200 = 100 been
    // taken as the series' last value, 12 would look like a reset (+12).
    push(&mut buffer, at(3), &requests(&[("200", 12.0)]));
    assert_eq!(snap(&buffer, 2, 3).requests_2xx, Some(2.0));
    assert_eq!(snap(&buffer, 2, 3).resets, 0);
}

#[test]
fn a_full_day_of_scrapes_fits_in_16_mb_per_variant() {
    // 17,280 rows (24 h at 5 s) of the fixture scrape, every zai-proxy
    // counter, bucket, _sum and _count advancing by 1 per scrape.
    let mut scrape = parse(FIXTURE);
    assert_eq!(scrape.errors, []);
    let base: Vec<f64> = scrape.samples.iter().map(|s| s.value).collect();
    let advances: Vec<bool> = scrape
        .samples
        .iter()
        .map(|s| {
            s.name.starts_with("zai_proxy_")
                && ["_total", "_bucket", "_sum", "_count"]
                    .iter()
                    .any(|suffix| s.name.ends_with(suffix))
        })
        .collect();
    let mut buffer = Buffer::default();
    for row in 0..DEFAULT_MAX_ROWS {
        for ((sample, &b), &adv) in scrape.samples.iter_mut().zip(&base).zip(&advances) {
            if adv {
                sample.value = b + row as f64;
            }
        }
        buffer.push(at(row), &scrape).unwrap();
    }
    assert_eq!(buffer.len(), 17_280);
    // 17,279 intervals of 5 s: 86,395 s, inside the 24 h retention.
    assert_eq!(buffer.first_time(), Some(T0));
    let bytes = buffer.heap_bytes();
    let columns = buffer.schema().len();
    eprintln!(
        "full 24 h buffer: {columns} columns, {bytes} bytes = {:.1} MB per variant, \
         {} bytes per scrape",
        bytes as f64 / 1e6,
        bytes / buffer.len()
    );
    // One f64 per column plus a timestamp (8), a family set (4) and a
    // reset count (4) per row: (73 × 8 + 16) = 600 bytes for the fixture.
    assert_eq!(columns, 73);
    assert!(bytes <= 16_000_000, "{bytes} bytes per variant");
    assert!(
        2 * bytes <= 32_000_000,
        "{} bytes for two variants",
        2 * bytes
    );
    // The counters advanced by one per scrape all day long.
    let day = buffer.window(T0, at(DEFAULT_MAX_ROWS - 1));
    assert_eq!(day.total(&Slot::Requests("200".into())), Some(17_279.0));
    // And a push past the cap keeps the row count (the oldest row goes).
    buffer.push(at(DEFAULT_MAX_ROWS), &scrape).unwrap();
    assert_eq!(buffer.len(), 17_280);
    assert_eq!(buffer.first_time(), Some(at(1)));
    assert!(buffer.heap_bytes() <= bytes + bytes / 1000);
}

#[test]
fn columns_that_wrap_at_different_places_still_line_up_with_their_rows() {
    // A 7-row ring: the time column and every value column are separate
    // ring buffers, created at different rows and grown at different
    // moments, so they wrap at different places. Row r has requests 200 = r
    // and a gauge = r; a 500 series appears (value 1, then +1 a row) only
    // at row 10, when the ring is already full and wrapping; the requests
    // family is absent from every fifth row.
    let mut buffer = Buffer::new(DEFAULT_RETENTION_MS, 7);
    let ok = Slot::Requests("200".into());
    let err = Slot::Requests("500".into());
    for r in 0..30_usize {
        let mut text = gauge("zai_proxy_concurrent_requests", r as f64);
        if r % 5 != 4 {
            let mut series = vec![("200", r as f64)];
            if r >= 10 {
                series.push(("500", (r - 9) as f64));
            }
            text += &requests(&series);
        }
        push(&mut buffer, at(r), &text);
        let kept = r.saturating_sub(6)..=r;
        for a in kept.clone() {
            for b in a..=r {
                let w = buffer.window(at(a), at(b));
                let rows = a..=b;
                let present = |row: &usize| row % 5 != 4;
                let times = |rows: Vec<usize>| -> Vec<f64> {
                    rows.iter().map(|&row| at(row) as f64 / 1000.0).collect()
                };
                let got = |slot: &Slot| -> (Vec<f64>, Vec<f64>) {
                    w.points(slot).map(|p| (p.t, p.v)).unzip()
                };
                // 200: the stitched total is the raw value (first seen at 0).
                let ok_rows: Vec<usize> = rows.clone().filter(present).collect();
                let ok_values: Vec<f64> = ok_rows.iter().map(|&row| row as f64).collect();
                assert_eq!(
                    got(&ok),
                    (times(ok_rows.clone()), ok_values),
                    "200 rows {a}..={b} at {r}"
                );
                // 500: row − 9 once it exists. Before that its column reads
                // 0 in every row, even those without the family: its
                // stitched total was 0 then (a counter created later was
                // not incremented before).
                if r >= 10 {
                    let err_rows: Vec<usize> = rows
                        .clone()
                        .filter(|row| *row < 10 || present(row))
                        .collect();
                    let values = err_rows
                        .iter()
                        .map(|&row| row.saturating_sub(9) as f64)
                        .collect();
                    assert_eq!(got(&err), (times(err_rows), values), "500 rows {a}..={b}");
                }
                // The gauge is in every row.
                let all: Vec<usize> = rows.clone().collect();
                let gauge_values = all.iter().map(|&row| row as f64).collect();
                assert_eq!(got(&Slot::Concurrent), (times(all), gauge_values));
                // Totals and rates agree with the points they come from.
                let (first, last) = (ok_rows.first(), ok_rows.last());
                let expected_total = match (first, last) {
                    (Some(f), Some(l)) if f != l => Some((l - f) as f64),
                    _ => None,
                };
                assert_eq!(w.total(&ok), expected_total, "total rows {a}..={b}");
                assert_eq!(
                    w.rate(&ok),
                    zai_dash_engine::promql::rate(w.points(&ok), w.span())
                );
            }
        }
    }
}

// ----------------------------------------------------------------- windows

#[test]
fn window_bounds_are_inclusive_at_both_ends() {
    let buffer = buffer_of(
        &(0..5)
            .map(|n| requests(&[("200", n as f64)]))
            .collect::<Vec<_>>(),
    );
    // rows at 0, 5, 10, 15, 20 s
    assert_eq!(buffer.window(at(1), at(3)).len(), 3); // 5, 10, 15
    assert_eq!(buffer.window(at(1) + 1, at(3) - 1).len(), 1); // 10 only
    assert_eq!(buffer.window(at(2), at(2)).len(), 1);
    assert_eq!(buffer.window(at(4) + 1, at(9)).len(), 0);
    assert_eq!(buffer.window(at(3), at(1)).len(), 0); // inverted
    assert_eq!(buffer.window(at(4) + 1, at(9)).last_time(), None);
    assert_eq!(buffer.window(at(0), at(3) + 4_999).last_time(), Some(at(3)));
    // A window's totals run from its first row to its last: 3 − 1.
    assert_eq!(
        buffer
            .window(at(1), at(3))
            .total(&Slot::Requests("200".into())),
        Some(2.0)
    );
}

#[test]
fn a_window_reaching_before_the_first_row_starts_at_that_row() {
    // Rows at 0, 5, 10 s with 200 = 10, 20, 30; a 60 s window ending at
    // 10 s. The buffer knows nothing before its first row (the dashboard
    // was not watching: unknown, not zero), so the range is clipped to
    // [0 s, 10 s]. Both ends then sit on samples: nothing to extrapolate,
    // increase = 30 − 10 = 20 over 10 s, rate = 2/s. Dividing by the full
    // 60 s, as a Prometheus without that history would, gives 25/60 and
    // reads a fresh page's 1 h rate as a sixtieth of the truth.
    let buffer = buffer_of(&[10.0, 20.0, 30.0].map(|v| requests(&[("200", v)])));
    let window = buffer.window(at(2) - 60_000, at(2));
    let s = snapshot("production", &window);
    assert_close(s.req_rate, 2.0);
    assert_eq!(s.requests_2xx, Some(20.0));
    assert_eq!(s.window_seconds, 10.0);
}

#[test]
fn family_presence_is_tracked_per_row() {
    let buffer = buffer_of(&[
        requests(&[("200", 1.0)]),
        requests(&[("200", 2.0)]) + &gauge("zai_proxy_max_workers", 10.0),
        requests(&[("200", 3.0)]),
    ]);
    let w = buffer.window(at(0), at(2));
    assert!(w.has_family(Family::MaxWorkers));
    assert!(!w.has_family_now(Family::MaxWorkers));
    // A gauge that vanished is absent now, not its last value.
    assert_eq!(w.latest(&Slot::MaxWorkers), None);
    assert_eq!(
        buffer.window(at(0), at(1)).latest(&Slot::MaxWorkers),
        Some(10.0)
    );
    // Gauge columns read absent before they first appear.
    assert_eq!(buffer.window(at(0), at(0)).latest(&Slot::MaxWorkers), None);
}

#[test]
fn counters_of_every_direction_land_in_their_own_columns() {
    let buffer = fixture_pair();
    let w = buffer.window(at(0), at(1));
    // Each direction sums its model × pricing_tier series.
    for (d, expected) in [
        (Direction::Input, 2411.0),
        (Direction::Output, 1877.0),
        (Direction::CacheRead, 118_528.0),
        (Direction::CacheWrite, 0.0),
    ] {
        assert_eq!(w.sum_total(|s| s.is_tokens(d)), Some(expected), "{d:?}");
        // The fixture's only model holds them all.
        assert_eq!(
            w.total(&Slot::Tokens(d, "glm-4.7".into())),
            Some(expected),
            "{d:?}"
        );
    }
    let by_code: BTreeMap<String, f64> = w
        .slots(|s| matches!(s, Slot::Requests(_)))
        .map(|s| match s {
            Slot::Requests(code) => (code.to_string(), w.total(s).unwrap()),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(by_code["200"], 3.0);
    assert_eq!(by_code.values().sum::<f64>(), 3.0);
}

#[test]
fn a_snapshot_says_how_much_of_its_window_the_data_covers() {
    let scrape = |n: f64| requests(&[("200", n)]);
    let buffer = buffer_of(&[scrape(1.0), scrape(2.0), scrape(3.0)]);
    // An hour's window over three scrapes 5 s apart: 10 s of data.
    let s = snapshot("production", &buffer.window(at(2) - 3_600_000, at(2)));
    assert_eq!(
        (s.data_from_ms, s.data_to_ms, s.scrapes),
        (Some(at(0)), Some(at(2)), 3)
    );
    // A window inside the data covers its own rows only.
    let s = snap(&buffer, 1, 2);
    assert_eq!(
        (s.data_from_ms, s.data_to_ms, s.scrapes),
        (Some(at(1)), Some(at(2)), 2)
    );
}
