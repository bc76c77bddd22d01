//! [`Window`]: the queries over a time window of a [`Buffer`] (rates,
//! increases, exact totals, latest gauges, histogram quantiles), walking
//! its columns in place.

use std::collections::VecDeque;

use super::{
    Buffer,
    store::{FLIP, RESTART, Store},
};
use crate::{
    extract::{Family, HistPart, Histogram, Slot},
    promql::{self, Bucket, CounterWalk, Point, Span},
};

/// How far back a gauge's newest value still counts at the end of a
/// window: Prometheus's default lookback delta. A target whose newest row
/// is older than this (its pod went away) adds nothing to "now" figures.
const LOOKBACK_MS: i64 = 5 * 60_000;

/// A time window of a [`Buffer`]: per target, the rows it covers, and the
/// PromQL span used for extrapolation. Every query sums over targets as
/// PromQL's `sum()` over a variant's pods would.
#[derive(Clone)]
pub struct Window<'a> {
    parts: Vec<Part<'a>>,
    schema: &'a [Slot],
    span: Span,
}

// The queries below each loop over the targets; inlined into every panel's
// computation they made the app 3 KB gzip larger (`make app`), and a call
// per query costs nothing next to the column walks inside them. Hence
// `#[inline(never)]`.
impl<'a> Window<'a> {
    pub(super) fn new(buffer: &'a Buffer, start_ms: i64, end_ms: i64) -> Self {
        // Before its first row the buffer knows nothing: the dashboard was
        // not watching, which is unknown, not zero traffic. So the range
        // starts no earlier than that row, and a 1 h rate taken a minute
        // after the page opened is a rate over that minute, not a sixtieth
        // of it. Prometheus, holding the whole history, would see the same.
        // A target that appeared later is a new pod: PromQL's range applies.
        let start = buffer.first_time().map_or(start_ms, |f| start_ms.max(f));
        let span = seconds(start, end_ms);
        let parts = buffer
            .stores
            .iter()
            .map(|store| Part::new(store, start_ms, end_ms, span))
            .collect();
        Window {
            parts,
            schema: buffer.schema(),
            span,
        }
    }

    /// Rows in the window of its best-sampled target.
    pub fn len(&self) -> usize {
        self.parts.iter().map(Part::len).max().unwrap_or(0)
    }

    /// Whether the window holds no row.
    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(|p| p.len() == 0)
    }

    /// The window's bounds in seconds, as a PromQL range selector's.
    pub fn span(&self) -> Span {
        self.span
    }

    /// Time of the oldest row in the window (Unix ms).
    pub fn first_time(&self) -> Option<i64> {
        self.parts
            .iter()
            .filter(|p| p.len() > 0)
            .map(|p| p.store.times[p.lo])
            .min()
    }

    /// Time of the newest row in the window (Unix ms).
    pub fn last_time(&self) -> Option<i64> {
        self.parts.iter().filter_map(Part::last_time).max()
    }

    /// Whether `family` was present in any row of the window.
    #[inline(never)]
    pub fn has_family(&self, family: Family) -> bool {
        self.parts.iter().any(|p| {
            p.store
                .families
                .range(p.lo..p.hi)
                .any(|f| f.contains(family))
        })
    }

    /// Whether `family` was present in the newest row of a current target.
    #[inline(never)]
    pub fn has_family_now(&self, family: Family) -> bool {
        self.current()
            .any(|p| p.store.families[p.hi - 1].contains(family))
    }

    /// Whether two successive scrapes of one process both had `family`:
    /// then a counter of that family with no series did not count
    /// anything. Across a restart the gap before it is unknown.
    #[inline(never)]
    pub fn watched(&self, family: Family) -> bool {
        self.parts.iter().any(|p| {
            (p.lo + 1..p.hi).any(|i| {
                let s = p.store;
                s.flags[i] & (RESTART | FLIP) == 0
                    && s.families[i].contains(family)
                    && s.families[i - 1].contains(family)
            })
        })
    }

    /// A counter query's `value`, or a measured 0 where it has none but
    /// [`Window::watched`] `family` (a counter series appears at its first
    /// increment); `None` otherwise: missing is not zero.
    pub fn or_watched_zero(&self, family: Family, value: Option<f64>) -> Option<f64> {
        value.or_else(|| self.watched(family).then_some(0.0))
    }

    /// Per-series counter resets seen inside the window (the first row's
    /// happened before it and are not counted): a restart counts each
    /// counter series of the process once.
    #[inline(never)]
    pub fn resets(&self) -> u32 {
        self.parts
            .iter()
            .filter(|p| p.len() > 0)
            .map(|p| p.store.resets.range(p.lo + 1..p.hi).sum::<u32>())
            .sum()
    }

    /// Whether a target of the window answered from another, older process
    /// (a load-balanced URL): its counters compare two processes, so
    /// figures over the window are not to be trusted.
    #[inline(never)]
    pub fn unreliable(&self) -> bool {
        self.parts
            .iter()
            .any(|p| p.store.flags.range(p.lo..p.hi).any(|f| f & FLIP != 0))
    }

    /// The slots of the buffer matching `pred`.
    pub fn slots(&self, mut pred: impl FnMut(&Slot) -> bool) -> impl Iterator<Item = &'a Slot> {
        self.schema.iter().filter(move |s| pred(s))
    }

    /// A slot's samples in the window as PromQL points, target after
    /// target (absent rows are skipped).
    pub fn points(&self, slot: &Slot) -> impl Iterator<Item = Point> + 'a {
        let parts = self.parts.clone();
        let slot = slot.clone();
        parts.into_iter().flat_map(move |p| {
            p.column(&slot)
                .into_iter()
                .flat_map(move |i| p.column_points(i))
        })
    }

    /// PromQL `sum(increase())` of a counter slot over its targets, with
    /// Prometheus' extrapolation; `None` with fewer than two samples.
    #[inline(never)]
    pub fn increase(&self, slot: &Slot) -> Option<f64> {
        self.sum_parts(|p| p.increase(p.column(slot)?))
    }

    /// PromQL `sum(rate())` of a counter slot over its targets, per second.
    #[inline(never)]
    pub fn rate(&self, slot: &Slot) -> Option<f64> {
        self.sum_parts(|p| p.rate(p.column(slot)?))
    }

    /// `sum(rate())` over the counter slots matching `pred`; `None` when
    /// none of them has two samples.
    #[inline(never)]
    pub fn sum_rate(&self, mut pred: impl FnMut(&Slot) -> bool) -> Option<f64> {
        self.sum_parts(|p| p.sum_of(&mut pred, |i| p.rate(i)))
    }

    /// `sum(increase())` over the counter slots matching `pred`.
    #[inline(never)]
    pub fn sum_increase(&self, mut pred: impl FnMut(&Slot) -> bool) -> Option<f64> {
        self.sum_parts(|p| p.sum_of(&mut pred, |i| p.increase(i)))
    }

    /// Exact increase of a counter slot between each target's first and
    /// last samples in the window, summed: reset-stitched per series,
    /// never extrapolated.
    #[inline(never)]
    pub fn total(&self, slot: &Slot) -> Option<f64> {
        self.sum_parts(|p| p.total(p.column(slot)?))
    }

    /// Exact totals summed over the counter slots matching `pred`.
    #[inline(never)]
    pub fn sum_total(&self, mut pred: impl FnMut(&Slot) -> bool) -> Option<f64> {
        self.sum_parts(|p| p.sum_of(&mut pred, |i| p.total(i)))
    }

    /// The newest value of a gauge slot over the current targets whose
    /// newest row has one: summed where pods add up (requests in flight,
    /// workers, limits), averaged for utilisation, and for the quota,
    /// which every pod reads from the same account, the most cautious
    /// pod's reading (highest usage, least remaining, oldest sample).
    #[inline(never)]
    pub fn latest(&self, slot: &Slot) -> Option<f64> {
        let values = self.current().filter_map(|p| {
            let v = p.store.columns[p.column(slot)?][p.hi - 1];
            (!v.is_nan()).then_some(v)
        });
        match slot {
            Slot::Utilization => {
                let (total, n) = values.fold((0.0, 0u32), |(t, n), v| (t + v, n + 1));
                (n > 0).then(|| total / f64::from(n))
            }
            Slot::QuotaUsage(_) | Slot::QuotaReset(_) | Slot::QuotaSampleAge => {
                values.reduce(f64::max)
            }
            Slot::QuotaRemaining(_) => values.reduce(f64::min),
            _ => sum(values),
        }
    }

    /// `histogram_quantile(q, sum by (le) (increase(hist_bucket[w])))`, in
    /// the histogram's unit; `None` without traffic in the window.
    pub fn quantile(&self, hist: Histogram, q: f64) -> Option<f64> {
        let [v] = self.quantiles(hist, [q]);
        v
    }

    /// [`Window::quantile`] at several `qs` at once, computing the bucket
    /// increases only once (a panel's p50, p95 and p99).
    pub fn quantiles<const N: usize>(&self, hist: Histogram, qs: [f64; N]) -> [Option<f64>; N] {
        self.quantile_estimates(hist, qs)
            .map(|e| e.map(|e| e.value))
    }

    /// [`Window::quantiles`], each saying whether it is only a floor: a
    /// quantile in the `+Inf` bucket is reported as the highest finite
    /// bound, and the truth is at least that ("≥ 10 s", not "10 s").
    #[inline(never)]
    pub fn quantile_estimates<const N: usize>(
        &self,
        hist: Histogram,
        qs: [f64; N],
    ) -> [Option<Estimate>; N] {
        let buckets = self.buckets(hist);
        qs.map(|q| {
            let value = promql::histogram_quantile(q, &buckets);
            let at_least =
                promql::quantile_bucket(q, &buckets).is_some_and(|b| b.upper.is_infinite());
            (!value.is_nan()).then_some(Estimate { value, at_least })
        })
    }

    /// `sum(rate(_sum)) / sum(rate(_count))` of a histogram: its mean
    /// observation.
    #[inline(never)]
    pub fn mean(&self, hist: Histogram) -> Option<f64> {
        let sum = self.increase(&Slot::Hist(hist, HistPart::Sum))?;
        let count = self.increase(&Slot::Hist(hist, HistPart::Count))?;
        promql::ratio(sum, count)
    }

    /// The windowed bucket increases of a histogram summed by bound over
    /// every target, sorted by bound.
    fn buckets(&self, hist: Histogram) -> Vec<Bucket> {
        let mut buckets: Vec<Bucket> = Vec::new();
        for p in &self.parts {
            for (i, slot) in p.store.extractor.schema().iter().enumerate() {
                let Slot::Hist(h, HistPart::Bucket(bits)) = slot else {
                    continue;
                };
                let Some(count) = (*h == hist).then(|| p.increase(i)).flatten() else {
                    continue;
                };
                let le = f64::from_bits(*bits);
                match buckets.iter_mut().find(|b| b.le == le) {
                    Some(b) => b.count += count,
                    None => buckets.push(Bucket { le, count }),
                }
            }
        }
        crate::sort_short_by(&mut buckets, |a, b| a.le.total_cmp(&b.le).is_lt());
        buckets
    }

    /// The targets with a row in the window no older than [`LOOKBACK_MS`]
    /// before the window's newest row.
    fn current(&self) -> impl Iterator<Item = &Part<'a>> {
        let newest = self.last_time().unwrap_or(i64::MIN);
        self.parts.iter().filter(move |p| {
            p.last_time()
                .is_some_and(|t| t >= newest.saturating_sub(LOOKBACK_MS))
        })
    }

    /// Adds `f(target)` over the targets; `None` when `f` gave nothing for
    /// any of them.
    fn sum_parts(&self, f: impl FnMut(&Part<'a>) -> Option<f64>) -> Option<f64> {
        sum(self.parts.iter().filter_map(f))
    }
}

/// The sum of `values`; `None` when there are none (missing is not zero).
fn sum(values: impl Iterator<Item = f64>) -> Option<f64> {
    values.fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
}

/// `[start_ms, end_ms]` in seconds.
fn seconds(start_ms: i64, end_ms: i64) -> Span {
    Span {
        start: start_ms as f64 / 1000.0,
        end: end_ms as f64 / 1000.0,
    }
}

/// One target's rows in a window, and the span its extrapolation uses.
#[derive(Clone, Copy)]
struct Part<'a> {
    store: &'a Store,
    /// The first row in the window.
    lo: usize,
    /// One past the last row in the window.
    hi: usize,
    span: Span,
}

impl<'a> Part<'a> {
    fn new(store: &'a Store, start_ms: i64, end_ms: i64, span: Span) -> Self {
        let (lo, hi) = store.rows(start_ms, end_ms);
        Part {
            store,
            lo,
            hi,
            span,
        }
    }

    fn len(&self) -> usize {
        self.hi - self.lo
    }

    fn last_time(&self) -> Option<i64> {
        (self.hi > self.lo).then(|| self.store.times[self.hi - 1])
    }

    /// The column of `slot` in this target, if it has one.
    fn column(&self, slot: &Slot) -> Option<usize> {
        self.store.extractor.slot_index(slot)
    }

    /// Adds `f(column)` over the columns whose slot matches `pred`; `None`
    /// when `f` gave nothing for any of them.
    fn sum_of(
        &self,
        pred: &mut impl FnMut(&Slot) -> bool,
        mut f: impl FnMut(usize) -> Option<f64>,
    ) -> Option<f64> {
        sum(self
            .store
            .extractor
            .schema()
            .iter()
            .enumerate()
            .filter(|(_, slot)| pred(slot))
            .filter_map(|(i, _)| f(i)))
    }

    /// The points of column `i` in the window. The time and value deques
    /// wrap at different places, so the rows are walked as up to three
    /// runs that are contiguous in both, each a plain slice zip.
    fn column_points(&self, i: usize) -> ColumnPoints<'a> {
        let store: &'a Store = self.store;
        let times = range_slices(&store.times, self.lo, self.hi);
        let values = range_slices(&store.columns[i], self.lo, self.hi);
        let (a, b) = (times.0.len(), values.0.len());
        let cuts = [a.min(b), a.max(b)];
        let run = |a: usize, b: usize| (sub(times, a, b), sub(values, a, b));
        let (ts, vs) = run(0, cuts[0]);
        ColumnPoints {
            current: ts.iter().zip(vs),
            rest: [run(cuts[0], cuts[1]), run(cuts[1], self.hi - self.lo)],
            next_run: 0,
        }
    }

    fn increase(&self, i: usize) -> Option<f64> {
        self.column_points(i).walk()?.increase(self.span)
    }

    fn rate(&self, i: usize) -> Option<f64> {
        self.column_points(i).walk()?.rate(self.span)
    }

    /// Last minus first present value, each found from its end of the
    /// window: stitching already made that difference the exact total, so
    /// the rows in between need not be read.
    fn total(&self, i: usize) -> Option<f64> {
        let mut values = self.store.columns[i]
            .range(self.lo..self.hi)
            .filter(|v| !v.is_nan());
        let first = values.next()?;
        let last = values.next_back()?;
        Some(last - first)
    }
}

/// A quantile from a histogram, and whether it is only a lower bound.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The value `histogram_quantile` gives.
    pub value: f64,
    /// The quantile fell in the `+Inf` bucket: `value` is the highest
    /// finite bound and the truth is at least that.
    pub at_least: bool,
}

/// The present (non-`NaN`) points of one column over some rows, walked as
/// runs of rows that are contiguous in both the time and the value deque.
struct ColumnPoints<'a> {
    current: std::iter::Zip<std::slice::Iter<'a, i64>, std::slice::Iter<'a, f64>>,
    rest: [(&'a [i64], &'a [f64]); 2],
    next_run: usize,
}

impl Iterator for ColumnPoints<'_> {
    type Item = Point;

    fn next(&mut self) -> Option<Point> {
        loop {
            for (&t, &v) in self.current.by_ref() {
                if !v.is_nan() {
                    return Some(point(t, v));
                }
            }
            let &(ts, vs) = self.rest.get(self.next_run)?;
            self.next_run += 1;
            self.current = ts.iter().zip(vs);
        }
    }
}

impl ColumnPoints<'_> {
    /// The points reduced for PromQL `increase` and `rate`, in one plain
    /// loop per run of slices, with times turned into seconds only for the
    /// first and last points: this walk is most of every window
    /// computation, and walking it through the `Point` iterator made
    /// snapshots about 1.5× slower (criterion, `snapshot_1h`).
    fn walk(self) -> Option<CounterWalk> {
        let rest = self.rest[self.next_run.min(2)..].iter();
        let runs = std::iter::once(self.current).chain(rest.map(|&(ts, vs)| ts.iter().zip(vs)));
        let mut first = None;
        let mut last = (0, f64::NAN);
        let mut intervals = 0;
        let mut compensation = 0.0;
        for run in runs {
            for (&t, &v) in run {
                if v.is_nan() {
                    continue;
                }
                if first.is_none() {
                    first = Some((t, v));
                } else {
                    compensation += promql::reset_compensation(last.1, v);
                    intervals += 1;
                }
                last = (t, v);
            }
        }
        let (t, v) = first?;
        Some(CounterWalk {
            first: point(t, v),
            last: point(last.0, last.1),
            intervals,
            reset_compensation: compensation,
        })
    }
}

/// A row's time (Unix ms) and value as a PromQL point.
fn point(t: i64, v: f64) -> Point {
    Point {
        t: t as f64 / 1000.0,
        v,
    }
}

/// Rows `lo..hi` of `deque` as its two contiguous pieces (the second may be
/// empty).
fn range_slices<T>(deque: &VecDeque<T>, lo: usize, hi: usize) -> (&[T], &[T]) {
    let (a, b) = deque.as_slices();
    if hi <= a.len() {
        (&a[lo..hi], &[])
    } else if lo >= a.len() {
        (&b[lo - a.len()..hi - a.len()], &[])
    } else {
        (&a[lo..], &b[..hi - a.len()])
    }
}

/// Items `a..b` of the concatenation of two slices, where `a..b` does not
/// straddle their boundary.
fn sub<'a, T>((first, second): (&'a [T], &'a [T]), a: usize, b: usize) -> &'a [T] {
    if a == b {
        &[]
    } else if b <= first.len() {
        &first[a..b]
    } else {
        &second[a - first.len()..b - first.len()]
    }
}
