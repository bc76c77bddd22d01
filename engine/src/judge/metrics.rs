//! The key metrics the judge compares, and their per-interval samples.
//!
//! The test compares distributions, so each variant needs many
//! observations of a metric, not one figure over the whole window: one per
//! interval between two consecutive scrape rounds, computed over that
//! interval by the same [`Window`] queries the panels use (exact counter
//! increases, `histogram_quantile` of the bucket increases). Every metric
//! is a ratio or a quantile, never a per-second rate, so a canary taking a
//! smaller share of the traffic is not "better" for it; an interval
//! without the traffic a metric divides by gives no sample, never 0.

use serde::Serialize;

use crate::{
    buffer::{Buffer, Window},
    extract::{Direction, Family, HistPart, Histogram, Slot},
    prices::PriceTable,
};

/// A metric the judge can compare. The URL spelling is [`Metric::key`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// 5xx responses as a share of all requests.
    ErrorRate,
    /// 429 responses as a share of all requests.
    RateLimited,
    /// Upstream errors (every type, retried or not) per request.
    UpstreamErrors,
    /// Median request duration, ms.
    P50,
    /// 95th percentile request duration, ms.
    P95,
    /// 99th percentile request duration, ms.
    P99,
    /// Request time per output token: duration sum over output tokens, ms.
    MsPerToken,
    /// Tokens of every direction per request.
    TokensPerRequest,
    /// Estimated USD per request.
    CostPerRequest,
    /// Token-weighted prompt-cache hits: cache reads over all prompt
    /// tokens (input + cache read + cache write).
    CacheHit,
}

/// Which way a metric may not move: a move the other way passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bad {
    /// Higher is worse (errors, latency, cost).
    Higher,
    /// Lower is worse (cache hits).
    Lower,
    /// Any move is suspect (tokens per request: truncated answers or
    /// runaway prompts).
    Either,
}

/// How a metric's values read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A fraction, shown as a percentage.
    Ratio,
    /// Milliseconds.
    Ms,
    /// Tokens.
    Tokens,
    /// US dollars.
    Usd,
}

impl Metric {
    /// Every metric, in display order.
    pub const ALL: [Metric; 10] = [
        Metric::ErrorRate,
        Metric::RateLimited,
        Metric::UpstreamErrors,
        Metric::P50,
        Metric::P95,
        Metric::P99,
        Metric::MsPerToken,
        Metric::TokensPerRequest,
        Metric::CostPerRequest,
        Metric::CacheHit,
    ];

    /// Its spelling in settings strings, JSON and the CLI.
    pub fn key(self) -> &'static str {
        match self {
            Metric::ErrorRate => "error_rate",
            Metric::RateLimited => "rate_limited",
            Metric::UpstreamErrors => "upstream_errors",
            Metric::P50 => "p50",
            Metric::P95 => "p95",
            Metric::P99 => "p99",
            Metric::MsPerToken => "ms_per_token",
            Metric::TokensPerRequest => "tokens_per_request",
            Metric::CostPerRequest => "cost_per_request",
            Metric::CacheHit => "cache_hit",
        }
    }

    /// The metric spelled `key`.
    pub fn from_key(key: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.key() == key)
    }

    /// A short human name, for tables and tooltips.
    pub fn label(self) -> &'static str {
        match self {
            Metric::ErrorRate => "5xx share",
            Metric::RateLimited => "429 share",
            Metric::UpstreamErrors => "upstream errors/request",
            Metric::P50 => "latency p50",
            Metric::P95 => "latency p95",
            Metric::P99 => "latency p99",
            Metric::MsPerToken => "latency/output token",
            Metric::TokensPerRequest => "tokens/request",
            Metric::CostPerRequest => "cost/request",
            Metric::CacheHit => "cache-hit ratio",
        }
    }

    /// Which move fails it.
    pub fn bad(self) -> Bad {
        match self {
            Metric::CacheHit => Bad::Lower,
            Metric::TokensPerRequest => Bad::Either,
            _ => Bad::Higher,
        }
    }

    /// The unit of its values.
    pub fn unit(self) -> Unit {
        match self {
            Metric::ErrorRate | Metric::RateLimited | Metric::UpstreamErrors | Metric::CacheHit => {
                Unit::Ratio
            }
            Metric::P50 | Metric::P95 | Metric::P99 | Metric::MsPerToken => Unit::Ms,
            Metric::TokensPerRequest => Unit::Tokens,
            Metric::CostPerRequest => Unit::Usd,
        }
    }

    /// Its value over one interval; `None` without the traffic it needs.
    /// Cost comes from the proxy's own estimate, else from `prices` (the
    /// `prices=` table), as the economics panel prices it.
    pub fn over(self, window: &Window<'_>, prices: &PriceTable) -> Option<f64> {
        Metric::all_over(window, prices)[self as usize]
    }

    /// Every metric's value over one interval, in [`Metric::ALL`] order,
    /// each as [`Metric::over`] gives it. The request total is read once
    /// and the three latency quantiles come from one pass over the bucket
    /// increases: the same figures from fewer window scans.
    pub fn all_over(window: &Window<'_>, prices: &PriceTable) -> [Option<f64>; Metric::ALL.len()] {
        let requests = window
            .sum_total(|s| matches!(s, Slot::Requests(_)))
            .filter(|&n| n > 0.0);
        let per_request = |count: Option<f64>| Some(count? / requests?);
        let code = |pred: fn(&str) -> bool| {
            requests?;
            per_request(Some(
                window
                    .sum_total(|s| matches!(s, Slot::Requests(c) if pred(c)))
                    .unwrap_or(0.0),
            ))
        };
        let tokens = |d| window.sum_total(|s| s.is_tokens(d));
        let [p50, p95, p99] = window
            .quantile_estimates(Histogram::Duration, [0.5, 0.95, 0.99])
            .map(|e| e.map(|e| e.value * 1000.0));
        let ms_per_token = || {
            let seconds = window.total(&Slot::Hist(Histogram::Duration, HistPart::Sum))?;
            let out = tokens(Direction::Output).filter(|&n| n > 0.0)?;
            Some(seconds * 1000.0 / out)
        };
        let cache_hit = || {
            // A direction without a series is a measured 0 only where
            // the token family was watched, as in the snapshot.
            let token = |d| window.or_watched_zero(Family::Tokens, tokens(d));
            let read = token(Direction::CacheRead)?;
            let prompt = read + token(Direction::Input)? + token(Direction::CacheWrite)?;
            (prompt > 0.0).then(|| read / prompt)
        };
        [
            code(|c| c.starts_with('5')),
            code(|c| c == "429"),
            per_request(window.or_watched_zero(
                Family::UpstreamErrors,
                window.sum_total(|s| matches!(s, Slot::UpstreamErrors(_))),
            )),
            p50,
            p95,
            p99,
            ms_per_token(),
            per_request(window.sum_total(|s| matches!(s, Slot::Tokens(..)))),
            per_request(if window.has_family(Family::Cost) {
                window.sum_total(|s| matches!(s, Slot::Cost(..)))
            } else {
                prices.cost(window)
            }),
            cache_hit(),
        ]
    }
}

/// One variant's per-interval samples of every metric over a range.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Samples {
    /// Intervals the range held (consecutive pairs of scrape rounds).
    pub intervals: usize,
    /// Per metric, in [`Metric::ALL`] order, one value per interval that
    /// had the traffic the metric needs.
    pub values: Vec<(Metric, Vec<f64>)>,
}

impl Samples {
    /// The samples of `metric` (empty if it has none).
    pub fn of(&self, metric: Metric) -> &[f64] {
        self.values
            .iter()
            .find(|(m, _)| *m == metric)
            .map_or(&[], |(_, v)| v)
    }
}

/// The most intervals [`judge_interval`] lets a window have: several times
/// the judge's 50 samples, and few enough that judging a day on every
/// poll costs what judging an hour does (each interval is a window query
/// per metric: a day of 5 s polls at 60 s intervals was 2,879 of them,
/// 24 ms natively, against 2.8 ms for an hour).
pub const MAX_INTERVALS: i64 = 300;

/// The interval to judge `[start_ms, end_ms]` over when its rows are
/// `resolution_ms` apart: the resolution, or longer where that would give
/// more than [`MAX_INTERVALS`]. A new round starts once a row is half an
/// interval after the round's first, so there are at most twice as many
/// intervals as the span holds whole ones.
pub fn judge_interval(start_ms: i64, end_ms: i64, resolution_ms: i64) -> i64 {
    resolution_ms.max((end_ms - start_ms) * 2 / MAX_INTERVALS)
}

/// The per-interval samples of every metric of one variant's `buffer` over
/// `[start_ms, end_ms]`, costs at `prices` where the proxy exports none.
/// [`SamplesCache`](super::SamplesCache) gives the same, reusing the
/// intervals that cannot have changed.
pub fn interval_samples(
    buffer: &Buffer,
    range: (i64, i64),
    interval_ms: i64,
    prices: &PriceTable,
) -> Samples {
    let values: Vec<_> = intervals(buffer, range, interval_ms)
        .into_iter()
        .map(|(from, to)| Metric::all_over(&buffer.window(from, to), prices))
        .collect();
    Samples::of_intervals(&values)
}

/// Every metric's value per interval, in time order.
pub(super) type IntervalValues = [Option<f64>; Metric::ALL.len()];

/// The intervals to sample over `[start_ms, end_ms]`, as the `(from, to)`
/// of each one's window, in time order.
///
/// Scrapes less than `interval_ms / 2` apart (the pods of one poll round,
/// fetched concurrently) form one round; each interval runs from the first
/// scrape of a round to the last of the next, so every pod contributes its
/// own pair of consecutive scrapes to it, and the pods' counts add up.
pub(super) fn intervals(
    buffer: &Buffer,
    (start_ms, end_ms): (i64, i64),
    interval_ms: i64,
) -> Vec<(i64, i64)> {
    let mut rounds: Vec<(i64, i64)> = Vec::new();
    for t in buffer.row_times(start_ms, end_ms) {
        match rounds.last_mut() {
            Some((first, last)) if t - *first < interval_ms / 2 => *last = t,
            _ => rounds.push((t, t)),
        }
    }
    rounds
        .windows(2)
        .map(|pair| (pair[0].0, pair[1].1))
        .collect()
}

impl Samples {
    /// The samples of per-interval `values`: per metric, the intervals
    /// that had one.
    pub(super) fn of_intervals(values: &[IntervalValues]) -> Samples {
        Samples {
            intervals: values.len(),
            values: Metric::ALL
                .into_iter()
                .map(|m| (m, values.iter().filter_map(|v| v[m as usize]).collect()))
                .collect(),
        }
    }
}
