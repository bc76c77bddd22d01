//! The time series each panel draws, computed from a variant's buffer.
//!
//! A chart has a fixed number of pixels, so series are evaluated on a
//! [`Grid`] of evenly spaced times (aligned to the step, so points do not
//! wander between refreshes) rather than at every scrape. Each point is the
//! PromQL-style value over a lookback window ending at that time, like a
//! Prometheus range query with `rate(x[lookback])` and `step`.

use crate::{
    buffer::{Buffer, Estimate, Window},
    extract::{Direction, Histogram, Slot},
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
    /// Per grid point, whether the value is only a floor: a quantile in
    /// the `+Inf` bucket reads as the highest finite bound, and the truth
    /// is at least that. False everywhere for all but quantile lines.
    pub at_least: Vec<bool>,
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
    let values = sample(buffer, grid, |w| f(w).unwrap_or(f64::NAN));
    Series {
        name: name.into(),
        at_least: vec![false; values.len()],
        values,
    }
}

/// A quantile line from one estimate per grid point, scaled by `scale`
/// (seconds to ms), with its floors.
fn estimates(name: String, points: impl Iterator<Item = Option<Estimate>>, scale: f64) -> Series {
    let (values, at_least) = points
        .map(|e| e.map_or((f64::NAN, false), |e| (e.value * scale, e.at_least)))
        .unzip();
    Series {
        name,
        values,
        at_least,
    }
}

/// The rate of every slot `label` picks out, one series per label, sorted
/// by label: requests by status code, upstream errors by type.
fn rates_by_label(
    buffer: &Buffer,
    grid: &Grid,
    label: fn(&Slot) -> Option<&str>,
    slot: fn(&str) -> Slot,
) -> Vec<Series> {
    let mut labels: Vec<&str> = buffer.schema().iter().filter_map(label).collect();
    crate::sort_short_by(&mut labels, |a, b| a < b);
    labels
        .into_iter()
        .map(|l| {
            let s = slot(l);
            line(l, buffer, grid, |w| w.rate(&s))
        })
        .collect()
}

/// Requests per second, one series per status code (sorted, so 2xx comes
/// first: the bottom of the stack), then [`SERVER_ERRORS`]: all 5xx codes
/// together, for a line of its own that a stack cannot hide. It is 0 where
/// requests were answered and none with a 5xx (a measured zero, as the
/// 5xx figure's), and a gap where no request rate is known.
pub fn request_rates(buffer: &Buffer, grid: &Grid) -> Vec<Series> {
    let mut out = rates_by_label(
        buffer,
        grid,
        |s| match s {
            Slot::Requests(code) => Some(code),
            _ => None,
        },
        |code| Slot::Requests(code.into()),
    );
    if !out.is_empty() {
        out.push(line(SERVER_ERRORS, buffer, grid, |w| {
            w.sum_rate(|s| matches!(s, Slot::Requests(_)))?;
            let errors = w.sum_rate(|s| matches!(s, Slot::Requests(c) if c.starts_with('5')));
            Some(errors.unwrap_or(0.0))
        }));
    }
    out
}

/// The name of the request chart's line of every 5xx code together.
pub const SERVER_ERRORS: &str = "5xx";

/// A token direction as the dashboard names it everywhere (legend, figures,
/// tooltip): the proxy's label with spaces, `cache read`.
fn direction_name(d: Direction) -> String {
    d.label().replace('_', " ")
}

/// Latency p50, p95 and p99 in milliseconds.
pub fn latency(buffer: &Buffer, grid: &Grid) -> Vec<Series> {
    const QS: [f64; 3] = [0.5, 0.95, 0.99];
    let per_point = sample(buffer, grid, |w| {
        w.quantile_estimates(Histogram::Duration, QS)
    });
    QS.iter()
        .enumerate()
        .map(|(i, q)| {
            let name = format!("p{}", (q * 100.0).round() as u32);
            estimates(name, per_point.iter().map(|p| p[i]), 1000.0)
        })
        .collect()
}

/// Tokens per second in each direction.
pub fn token_rates(buffer: &Buffer, grid: &Grid) -> Vec<Series> {
    Direction::ALL
        .into_iter()
        .map(|d| {
            line(direction_name(d), buffer, grid, |w| {
                w.sum_rate(|s| s.is_tokens(d))
            })
        })
        .collect()
}

/// Estimated USD per hour in each direction, and their total.
pub fn cost_rates(buffer: &Buffer, grid: &Grid) -> Vec<Series> {
    let per_hour = |v: Option<f64>| v.map(|r| r * 3600.0);
    let mut out: Vec<Series> = Direction::ALL
        .into_iter()
        .map(|d| {
            line(direction_name(d), buffer, grid, |w| {
                per_hour(w.sum_rate(|s| s.is_cost(d)))
            })
        })
        .collect();
    out.push(line("total", buffer, grid, |w| {
        per_hour(w.sum_rate(|s| matches!(s, Slot::Cost(..))))
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
    let mut out = rates_by_label(
        buffer,
        grid,
        |s| match s {
            Slot::UpstreamErrors(t) => Some(t),
            _ => None,
        },
        |t| Slot::UpstreamErrors(t.into()),
    );
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
        let p90 = sample(buffer, grid, |w| w.quantile_estimates(hist, [0.9])[0]);
        out.push(estimates(format!("{name} p90"), p90.into_iter(), 1.0));
    }
    out
}

/// A chart's series for one variant, recomputed only where new data can
/// change them.
///
/// A point at grid time `t` looks at rows in `[t - lookback, t]`. A
/// target's rows only ever arrive later than its newest one, so once every
/// target still scraped has a row newer than `t` the point is final —
/// unless eviction at the old end of the buffer has reached into its
/// lookback, or a new target has appeared since (its first row may be
/// older than the others' newest). A live chart therefore recomputes a
/// point or two per refresh instead of hundreds; only a change of grid
/// step (another window), a new column (a new series, back-filled), a
/// new series name or another buffer (history refilled the variant)
/// recomputes everything.
#[derive(Clone, Debug, Default)]
pub struct Cache {
    /// The [`Buffer::id`] the points were computed from.
    buffer: Option<u64>,
    grid: Option<Grid>,
    /// Grid times in `[final_from, final_to)` are final.
    final_from: i64,
    final_to: i64,
    /// Targets the buffer had added when the points were computed.
    targets: usize,
    /// Columns the buffer had added when the points were computed.
    columns: usize,
    series: Vec<Series>,
}

impl Cache {
    /// The series of `compute` on `grid`, reusing what is still valid.
    pub fn update(
        &mut self,
        buffer: &Buffer,
        grid: &Grid,
        compute: impl Fn(&Buffer, &Grid) -> Vec<Series>,
    ) -> &[Series] {
        // Another buffer's counters say nothing about this one's.
        let same_buffer = self.buffer.replace(buffer.id()) == Some(buffer.id());
        let (targets, new_first) = buffer.added_since(self.targets);
        let (Some(first_row), Some(settled)) = (buffer.first_time(), buffer.settled_until()) else {
            self.grid = None;
            self.series = compute(buffer, grid);
            return &self.series;
        };
        let intact = buffer.intact_from().map_or(first_row, |t| t.max(first_row));
        let columns = buffer.columns_added();
        let reused = self
            .grid
            .filter(|_| same_buffer && columns == self.columns)
            .and_then(|old| {
                let (from, to) = self.reusable(old, grid, intact)?;
                let to = new_first.map_or(to, |t| to.min(t));
                (from < to).then_some((old, (from, to)))
            })
            .and_then(|(old, (from, to))| self.merge(buffer, grid, old, from, to, &compute));
        self.series = reused.unwrap_or_else(|| compute(buffer, grid));
        self.grid = Some(*grid);
        self.targets = targets;
        self.columns = columns;
        self.final_from = intact + grid.lookback_ms;
        // A point at a target's newest row's time is final too: its later
        // rows are strictly later.
        self.final_to = settled;
        &self.series
    }

    /// The times `[from, to)` whose cached points `grid` can reuse: on the
    /// old grid (same step, alignment and lookback, so a new point there
    /// *is* an old point), final when cached, and untouched by eviction
    /// since (their lookback starts at or after `intact`, where history
    /// is as it was). `None` when nothing qualifies.
    fn reusable(&self, old: Grid, grid: &Grid, intact: i64) -> Option<(i64, i64)> {
        let same_points = old.step_ms == grid.step_ms
            && old.lookback_ms == grid.lookback_ms
            && old.first_ms.rem_euclid(old.step_ms) == grid.first_ms.rem_euclid(grid.step_ms);
        let old_end = old.first_ms + old.len as i64 * old.step_ms;
        let from = self
            .final_from
            .max(intact + grid.lookback_ms)
            .max(old.first_ms);
        let to = self.final_to.min(old_end);
        (same_points && from < to).then_some((from, to))
    }

    /// The new grid's series from cached points in `[from, to)` (a range
    /// [`Cache::reusable`] vouched for) and fresh ones elsewhere; `None`
    /// when the series names changed.
    fn merge(
        &self,
        buffer: &Buffer,
        grid: &Grid,
        old: Grid,
        from: i64,
        to: i64,
        compute: &impl Fn(&Buffer, &Grid) -> Vec<Series>,
    ) -> Option<Vec<Series>> {
        let ceil_index = |t: i64| {
            let d = (t - grid.first_ms).max(0);
            (d / grid.step_ms + usize::from(d % grid.step_ms != 0) as i64) as usize
        };
        let mid_start = ceil_index(from).min(grid.len);
        let mid_end = ceil_index(to).min(grid.len).max(mid_start);
        let part = |start: usize, end: usize| {
            compute(
                buffer,
                &Grid {
                    first_ms: grid.first_ms + start as i64 * grid.step_ms,
                    len: end - start,
                    ..*grid
                },
            )
        };
        let prefix = part(0, mid_start);
        let suffix = part(mid_end, grid.len);
        let same_names = |fresh: &[Series]| {
            fresh.len() == self.series.len()
                && fresh
                    .iter()
                    .zip(&self.series)
                    .all(|(a, b)| a.name == b.name)
        };
        if !same_names(&prefix) || !same_names(&suffix) {
            return None;
        }
        let old_index = |i: usize| {
            let t = grid.first_ms + i as i64 * grid.step_ms;
            ((t - old.first_ms) / old.step_ms) as usize
        };
        Some(
            self.series
                .iter()
                .zip(prefix.into_iter().zip(suffix))
                .map(|(cached, (pre, suf))| {
                    let middle = mid_start..mid_end;
                    Series {
                        name: cached.name.clone(),
                        values: splice(
                            pre.values,
                            middle.clone().map(|i| cached.values[old_index(i)]),
                            suf.values,
                        ),
                        at_least: splice(
                            pre.at_least,
                            middle.map(|i| cached.at_least[old_index(i)]),
                            suf.at_least,
                        ),
                    }
                })
                .collect(),
        )
    }
}

/// A fresh prefix, the cached middle and a fresh suffix, in one vector.
fn splice<T: Copy>(prefix: Vec<T>, cached: impl Iterator<Item = T>, suffix: Vec<T>) -> Vec<T> {
    let mut out = prefix;
    out.reserve(suffix.len() + cached.size_hint().0);
    out.extend(cached);
    out.extend(suffix);
    out
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

    use crate::parse::parse;

    /// Adds scrapes `rows` (5 s apart from 1,000,000) of a request counter
    /// that grows by a varying amount (`i % 7` at scrape `i`), with a new
    /// status code counting one a scrape from scrape `new_code_at`.
    fn grow(buffer: &mut Buffer, rows: std::ops::Range<usize>, new_code_at: usize) {
        for i in rows {
            let ok: usize = (0..=i).map(|j| j % 7).sum();
            let mut text = format!("zai_proxy_requests_total{{status_code=\"200\"}} {ok}\n");
            if i >= new_code_at {
                let failed = i + 1 - new_code_at;
                text += &format!("zai_proxy_requests_total{{status_code=\"500\"}} {failed}\n");
            }
            buffer
                .push(1_000_000 + 5_000 * i as i64, &parse(&text))
                .unwrap();
        }
    }

    /// A buffer of `rows` such scrapes.
    fn growing(rows: usize, new_code_at: usize) -> Buffer {
        let mut buffer = Buffer::default();
        grow(&mut buffer, 0..rows, new_code_at);
        buffer
    }

    fn assert_same(a: &[Series], b: &[Series]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert_eq!(x.name, y.name);
            assert_eq!(x.values.len(), y.values.len(), "{}", x.name);
            assert_eq!(x.at_least, y.at_least, "{}", x.name);
            for (i, (p, q)) in x.values.iter().zip(&y.values).enumerate() {
                assert!(
                    p == q || (p.is_nan() && q.is_nan()),
                    "{} point {i}: {p} vs {q}",
                    x.name
                );
            }
        }
    }

    #[test]
    fn a_cached_chart_equals_a_fresh_computation_as_the_window_slides() {
        let mut cache = Cache::default();
        let computed = std::cell::Cell::new(0);
        let counting = |b: &Buffer, g: &Grid| {
            computed.set(computed.get() + g.len);
            request_rates(b, g)
        };
        let mut buffer = Buffer::default();
        let mut had = 0;
        for rows in [40, 41, 42, 45, 60, 61] {
            grow(&mut buffer, had..rows, 1000);
            had = rows;
            let end = 1_000_000 + 5_000 * rows as i64 + 1_234;
            let grid = Grid::new(end - 120_000, end, 50, 5_000);
            computed.set(0);
            let cached = cache.update(&buffer, &grid, counting).to_vec();
            assert_same(&cached, &request_rates(&buffer, &grid));
            if rows == 41 {
                // One more row, 5 s later: of the 24 points (2 minutes at
                // 5 s steps) only the two after the previous newest row
                // are computed, the one the new row lands on and the new
                // right edge.
                assert_eq!(grid.len, 24);
                assert_eq!(computed.get(), 2);
            }
        }
    }

    #[test]
    fn a_new_series_or_a_new_window_recomputes_everything() {
        let mut cache = Cache::default();
        let mut buffer = growing(50, 1000);
        let grid = Grid::new(1_000_000, 1_250_000, 50, 5_000);
        // The 200 line and the 5xx line.
        assert_eq!(cache.update(&buffer, &grid, request_rates).len(), 2);
        // A 500 series appears: it gets its whole history, not a gap.
        grow(&mut buffer, 50..51, 49);
        let grid = Grid::new(1_005_000, 1_255_000, 50, 5_000);
        let cached = cache.update(&buffer, &grid, request_rates).to_vec();
        assert_same(&cached, &request_rates(&buffer, &grid));
        // Another step: nothing reusable, still the same as fresh.
        let grid = Grid::new(1_000_000, 1_255_000, 10, 5_000);
        let cached = cache.update(&buffer, &grid, request_rates).to_vec();
        assert_same(&cached, &request_rates(&buffer, &grid));
    }

    #[test]
    fn a_cache_recomputes_everything_for_a_new_buffer_with_the_same_counters() {
        // Buffer A: the 200 counter grows by i % 7 a scrape. Buffer B,
        // made anew as a refill from history makes one, at the same 50
        // times from 1,000 by 3 a scrape.
        let a = growing(50, 1000);
        let mut b = Buffer::default();
        for i in 0..50 {
            let text = format!(
                "zai_proxy_requests_total{{status_code=\"200\"}} {}\n",
                1_000 + 3 * i
            );
            b.push(1_000_000 + 5_000 * i, &parse(&text)).unwrap();
        }
        // Every counter the cache reads is the same for both.
        assert_eq!(a.added_since(0), b.added_since(0));
        assert_eq!(a.columns_added(), b.columns_added());
        assert_eq!(a.intact_from(), b.intact_from());
        assert_eq!(a.settled_until(), b.settled_until());
        assert_eq!(a.first_time(), b.first_time());
        assert_ne!(a.id(), b.id());
        let grid = Grid::new(1_000_000, 1_250_000, 50, 5_000);
        let mut cache = Cache::default();
        cache.update(&a, &grid, request_rates);
        let cached = cache.update(&b, &grid, request_rates).to_vec();
        assert_same(&cached, &request_rates(&b, &grid));
        // The grid: 5 s steps from 1,005,000, each looking back 20 s. From
        // t = 1,020,000 (point 3) to B's last row at 1,245,000 (point 48)
        // the lookback holds five rows spanning exactly its 20 s: +12,
        // 0.6/s with nothing to extrapolate. A's points there vary with
        // i % 7 (e.g. +6 over 0 + 1 + 2 + 3): none of them may remain.
        for (i, v) in cached[0].values.iter().enumerate().take(49).skip(3) {
            assert!((v - 0.6).abs() < 1e-12, "point {i}: {v}");
        }
    }

    #[test]
    fn request_rates_end_with_every_5xx_together_and_zero_when_there_is_none() {
        // 200 grows by i % 7 a scrape, 500 by 1 a scrape from scrape 30.
        let grid = Grid::new(1_000_000, 1_250_000, 50, 5_000);
        let names = |b: &Buffer| {
            request_rates(b, &grid)
                .into_iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
        };
        let ok_only = growing(50, 1000);
        assert_eq!(names(&ok_only), ["200", SERVER_ERRORS]);
        let errors = &request_rates(&ok_only, &grid)[1];
        // No 5xx series while requests are answered: a measured 0/s.
        assert!(
            errors.values.iter().skip(5).all(|v| *v == 0.0),
            "{errors:?}"
        );
        let failing = growing(50, 30);
        let rates = request_rates(&failing, &grid);
        assert_eq!(names(&failing), ["200", "500", SERVER_ERRORS]);
        // One 500 a scrape, 5 s apart: 0.2/s, once the lookback (20 s)
        // lies after scrape 30 (t = 1,150,000) entirely.
        let last = rates[2].values.last().copied();
        assert!(last.is_some_and(|v| (v - 0.2).abs() < 1e-9), "{last:?}");
        let tail = |i: usize| rates[i].values[45..].to_vec();
        assert_eq!(tail(2), tail(1), "5xx is the 500 line");
    }

    #[test]
    fn a_grid_is_never_finer_than_the_scrapes() {
        let g = Grid::new(0, 60_000, 1000, 5_000);
        assert_eq!(g.step_ms, 5_000);
        assert_eq!(g.len, 12);
    }
}
