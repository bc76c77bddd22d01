//! The time series each panel draws, computed from a variant's buffer.
//!
//! A chart has a fixed number of pixels, so series are evaluated on a
//! [`Grid`] of evenly spaced times (aligned to the step, so points do not
//! wander between refreshes) rather than at every scrape. Each point is the
//! PromQL-style value over a lookback window ending at that time, like a
//! Prometheus range query with `rate(x[lookback])` and `step`.

use crate::{
    buffer::{Buffer, Window},
    extract::{Direction, HistPart, Histogram, Slot},
};

/// Evenly spaced evaluation times for a chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    /// First point, Unix ms (a multiple of `step_ms`).
    pub first_ms: i64,
    /// Distance between points, ms.
    pub step_ms: i64,
    /// Number of points.
    pub len: usize,
    /// How far back each point looks, ms.
    pub lookback_ms: i64,
}

impl Grid {
    /// A grid over `[start_ms, end_ms]` with at most `max_points` points,
    /// no closer than the scrape interval. The lookback is at least four
    /// scrape intervals (Grafana's `$__rate_interval` rule), so a rate
    /// always has samples to work with even when a scrape is missed.
    pub fn new(start_ms: i64, end_ms: i64, max_points: usize, scrape_ms: i64) -> Grid {
        let span = (end_ms - start_ms).max(1);
        let scrape_ms = scrape_ms.max(1);
        let step_ms = (span / max_points.max(1) as i64).max(scrape_ms);
        let first_ms = start_ms.div_euclid(step_ms) * step_ms + step_ms;
        let len = if end_ms >= first_ms {
            ((end_ms - first_ms) / step_ms + 1) as usize
        } else {
            0
        };
        Grid {
            first_ms,
            step_ms,
            len,
            lookback_ms: step_ms.max(4 * scrape_ms),
        }
    }

    /// The point times, Unix ms.
    pub fn times(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len as i64).map(|i| self.first_ms + i * self.step_ms)
    }
}

/// One named line on a chart: a value per grid point, `NaN` for a gap.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend name, e.g. `"200"` or `"p95"`.
    pub name: String,
    /// One value per grid point.
    pub values: Vec<f64>,
}

/// Evaluates `f` on the lookback window ending at every grid point.
pub fn sample<T>(buffer: &Buffer, grid: &Grid, mut f: impl FnMut(&Window<'_>) -> T) -> Vec<T> {
    grid.times()
        .map(|t| f(&buffer.window(t - grid.lookback_ms, t)))
        .collect()
}

/// Like [`sample`] for a single number, with `None` as a gap.
fn line(
    name: impl Into<String>,
    buffer: &Buffer,
    grid: &Grid,
    f: impl FnMut(&Window<'_>) -> Option<f64>,
) -> Series {
    let mut f = f;
    Series {
        name: name.into(),
        values: sample(buffer, grid, |w| f(w).unwrap_or(f64::NAN)),
    }
}

/// Requests per second, one series per status code (sorted).
pub fn request_rates(buffer: &Buffer, grid: &Grid) -> Vec<Series> {
    let mut codes: Vec<&str> = buffer
        .schema()
        .iter()
        .filter_map(|s| match s {
            Slot::Requests(code) => Some(&**code),
            _ => None,
        })
        .collect();
    codes.sort_unstable();
    codes
        .into_iter()
        .map(|code| {
            let slot = Slot::Requests(code.into());
            line(code, buffer, grid, |w| w.rate(&slot))
        })
        .collect()
}

/// Latency p50, p95 and p99 in milliseconds.
pub fn latency(buffer: &Buffer, grid: &Grid) -> Vec<Series> {
    quantiles(
        buffer,
        grid,
        Histogram::Duration,
        &[0.5, 0.95, 0.99],
        1000.0,
    )
}

/// `histogram_quantile` of `hist` at each of `qs`, scaled by `scale`,
/// named `p50`, `p95`...
fn quantiles(buffer: &Buffer, grid: &Grid, hist: Histogram, qs: &[f64], scale: f64) -> Vec<Series> {
    qs.iter()
        .map(|&q| {
            line(format!("p{}", (q * 100.0).round()), buffer, grid, |w| {
                w.quantile(hist, q).map(|v| v * scale)
            })
        })
        .collect()
}

/// Tokens per second in each direction.
pub fn token_rates(buffer: &Buffer, grid: &Grid) -> Vec<Series> {
    Direction::ALL
        .into_iter()
        .map(|d| line(d.label(), buffer, grid, |w| w.rate(&Slot::Tokens(d))))
        .collect()
}

/// Estimated USD per hour in each direction, and their total.
pub fn cost_rates(buffer: &Buffer, grid: &Grid) -> Vec<Series> {
    let per_hour = |v: Option<f64>| v.map(|r| r * 3600.0);
    let mut out: Vec<Series> = Direction::ALL
        .into_iter()
        .map(|d| {
            line(d.label(), buffer, grid, |w| {
                per_hour(w.rate(&Slot::Cost(d)))
            })
        })
        .collect();
    out.push(line("total", buffer, grid, |w| {
        per_hour(w.sum_rate(|s| matches!(s, Slot::Cost(_))))
    }));
    out
}

/// In-flight requests and the worker cap.
pub fn concurrency(buffer: &Buffer, grid: &Grid) -> Vec<Series> {
    vec![
        line("in flight", buffer, grid, |w| w.latest(&Slot::Concurrent)),
        line("max workers", buffer, grid, |w| w.latest(&Slot::MaxWorkers)),
    ]
}

/// Worker utilisation in percent.
pub fn utilisation(buffer: &Buffer, grid: &Grid) -> Vec<Series> {
    vec![line("utilisation", buffer, grid, |w| {
        w.latest(&Slot::Utilization).map(|u| u * 100.0)
    })]
}

/// The limiter's current rate (req/s) with rejections and adjustments per
/// second, each as a rate (the original plotted cumulative counts).
pub fn limiter(buffer: &Buffer, grid: &Grid) -> Vec<Series> {
    let mut out = vec![
        line("limit", buffer, grid, |w| w.latest(&Slot::RateLimit)),
        line("rejections", buffer, grid, |w| w.rate(&Slot::Rejections)),
    ];
    for dir in ["increase", "decrease", "probe"] {
        let slot = Slot::Adjustments(dir.into());
        if buffer.schema().contains(&slot) {
            out.push(line(format!("adjust {dir}"), buffer, grid, |w| {
                w.rate(&slot)
            }));
        }
    }
    out
}

/// Upstream errors per second by type, and retries per second.
pub fn errors(buffer: &Buffer, grid: &Grid) -> Vec<Series> {
    let mut types: Vec<&str> = buffer
        .schema()
        .iter()
        .filter_map(|s| match s {
            Slot::UpstreamErrors(t) => Some(&**t),
            _ => None,
        })
        .collect();
    types.sort_unstable();
    let mut out: Vec<Series> = types
        .into_iter()
        .map(|t| {
            let slot = Slot::UpstreamErrors(t.into());
            line(t, buffer, grid, |w| w.rate(&slot))
        })
        .collect();
    let retry = Slot::Retries("retry".into());
    out.push(line("retries", buffer, grid, |w| w.rate(&retry)));
    out
}

/// Mean and p90 of request and response sizes, bytes.
pub fn sizes(buffer: &Buffer, grid: &Grid) -> Vec<Series> {
    let mut out = Vec::new();
    for (name, hist) in [
        ("request", Histogram::RequestSize),
        ("response", Histogram::ResponseSize),
    ] {
        out.push(line(format!("{name} avg"), buffer, grid, |w| w.mean(hist)));
        out.push(line(format!("{name} p90"), buffer, grid, |w| {
            w.quantile(hist, 0.9)
        }));
    }
    out
}

/// Whether the buffer has seen any part of `hist`.
pub fn has_histogram(buffer: &Buffer, hist: Histogram) -> bool {
    buffer.schema().contains(&Slot::Hist(hist, HistPart::Count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_is_aligned_to_its_step_and_spans_the_window() {
        // One hour at 5 s scrapes, 600 points at most: step 6 s, and the
        // first point is the first multiple of 6 s after the start.
        let g = Grid::new(1_000_000, 4_600_000, 600, 5_000);
        assert_eq!(g.step_ms, 6_000);
        assert_eq!(g.first_ms, 1_002_000);
        assert_eq!(g.times().last(), Some(4_596_000));
        assert_eq!(g.len, 600);
        // Lookback: four scrapes (20 s) beats one step (6 s).
        assert_eq!(g.lookback_ms, 20_000);
    }

    #[test]
    fn a_grid_is_never_finer_than_the_scrapes() {
        let g = Grid::new(0, 60_000, 1000, 5_000);
        assert_eq!(g.step_ms, 5_000);
        assert_eq!(g.len, 12);
    }
}
