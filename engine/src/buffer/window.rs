//! [`Window`]: the queries over a time window of a [`Buffer`] (rates,
//! increases, exact totals, latest gauges, histogram quantiles), walking
//! its columns in place.

use std::collections::VecDeque;

use super::Buffer;
use crate::{
    extract::{Family, HistPart, Histogram, Slot},
    promql::{self, Bucket, CounterWalk, Point, Span},
};

/// A time window of a [`Buffer`]: the rows it covers and the PromQL span
/// used for extrapolation.
#[derive(Clone, Copy)]
pub struct Window<'a> {
    pub(super) buffer: &'a Buffer,
    /// The first row in the window.
    pub(super) lo: usize,
    /// One past the last row in the window.
    pub(super) hi: usize,
    pub(super) span: Span,
}

impl<'a> Window<'a> {
    /// Number of rows in the window.
    pub fn len(&self) -> usize {
        self.hi - self.lo
    }

    /// Whether the window holds no row.
    pub fn is_empty(&self) -> bool {
        self.hi == self.lo
    }

    /// The window's bounds in seconds, as a PromQL range selector's.
    pub fn span(&self) -> Span {
        self.span
    }

    /// Time of the newest row in the window (Unix ms).
    pub fn last_time(&self) -> Option<i64> {
        (!self.is_empty()).then(|| self.buffer.times[self.hi - 1])
    }

    /// Whether `family` was present in any row of the window.
    pub fn has_family(&self, family: Family) -> bool {
        self.buffer
            .families
            .range(self.lo..self.hi)
            .any(|f| f.contains(family))
    }

    /// Whether `family` was present in the newest row of the window.
    pub fn has_family_now(&self, family: Family) -> bool {
        !self.is_empty() && self.buffer.families[self.hi - 1].contains(family)
    }

    /// Per-series counter resets seen inside the window (the first row's
    /// resets happened before it and are not counted).
    pub fn resets(&self) -> u32 {
        if self.is_empty() {
            return 0;
        }
        self.buffer.resets.range(self.lo + 1..self.hi).sum()
    }

    /// The slots of the buffer matching `pred`.
    pub fn slots(&self, mut pred: impl FnMut(&Slot) -> bool) -> impl Iterator<Item = &'a Slot> {
        self.buffer.schema().iter().filter(move |s| pred(s))
    }

    /// A slot's samples in the window, as PromQL points (absent rows are
    /// skipped).
    pub fn points(&self, slot: &Slot) -> impl Iterator<Item = Point> + 'a {
        let window = *self;
        let column = self.buffer.extractor.slot_index(slot);
        column
            .into_iter()
            .flat_map(move |i| window.column_points(i))
    }

    /// PromQL `increase()` of a counter slot over the window, with
    /// Prometheus' extrapolation; `None` with fewer than two samples.
    pub fn increase(&self, slot: &Slot) -> Option<f64> {
        self.column_increase(self.buffer.extractor.slot_index(slot)?)
    }

    /// PromQL `rate()` of a counter slot, per second.
    pub fn rate(&self, slot: &Slot) -> Option<f64> {
        self.column_rate(self.buffer.extractor.slot_index(slot)?)
    }

    /// `sum(rate())` over the counter slots matching `pred`; `None` when
    /// none of them has two samples.
    pub fn sum_rate(&self, pred: impl FnMut(&Slot) -> bool) -> Option<f64> {
        self.sum_of(pred, |i| self.column_rate(i))
    }

    /// `sum(increase())` over the counter slots matching `pred`.
    pub fn sum_increase(&self, pred: impl FnMut(&Slot) -> bool) -> Option<f64> {
        self.sum_of(pred, |i| self.column_increase(i))
    }

    /// Exact increase of a counter slot between the window's first and last
    /// samples: reset-stitched per series, never extrapolated.
    pub fn total(&self, slot: &Slot) -> Option<f64> {
        self.column_total(self.buffer.extractor.slot_index(slot)?)
    }

    /// Exact totals summed over the counter slots matching `pred`.
    pub fn sum_total(&self, pred: impl FnMut(&Slot) -> bool) -> Option<f64> {
        self.sum_of(pred, |i| self.column_total(i))
    }

    /// The newest value of a gauge slot, if its newest row has one.
    pub fn latest(&self, slot: &Slot) -> Option<f64> {
        let i = self.buffer.extractor.slot_index(slot)?;
        if self.is_empty() {
            return None;
        }
        let v = self.buffer.columns[i][self.hi - 1];
        (!v.is_nan()).then_some(v)
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

    /// `rate(_sum) / rate(_count)` of a histogram: its mean observation.
    pub fn mean(&self, hist: Histogram) -> Option<f64> {
        let sum = self.increase(&Slot::Hist(hist, HistPart::Sum))?;
        let count = self.increase(&Slot::Hist(hist, HistPart::Count))?;
        promql::ratio(sum, count)
    }

    /// The windowed bucket increases of a histogram, sorted by bound.
    fn buckets(&self, hist: Histogram) -> Vec<Bucket> {
        let mut buckets: Vec<Bucket> = self
            .buffer
            .schema()
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| match slot {
                Slot::Hist(h, HistPart::Bucket(bits)) if *h == hist => Some(Bucket {
                    le: f64::from_bits(*bits),
                    count: self.column_increase(i)?,
                }),
                _ => None,
            })
            .collect();
        crate::sort_short_by(&mut buckets, |a, b| a.le.total_cmp(&b.le).is_lt());
        buckets
    }

    /// Adds `f(column)` over the columns whose slot matches `pred`; `None`
    /// when `f` gave nothing for any of them.
    fn sum_of(
        &self,
        mut pred: impl FnMut(&Slot) -> bool,
        mut f: impl FnMut(usize) -> Option<f64>,
    ) -> Option<f64> {
        self.buffer
            .schema()
            .iter()
            .enumerate()
            .filter(|(_, slot)| pred(slot))
            .filter_map(|(i, _)| f(i))
            .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
    }

    // Column-index versions of the public queries: the aggregations above
    // walk the schema, so they need no slot lookup per column.

    /// The points of column `i` in the window. The time and value deques
    /// wrap at different places, so the rows are walked as up to three
    /// runs that are contiguous in both, each a plain slice zip.
    fn column_points(&self, i: usize) -> ColumnPoints<'a> {
        let buffer: &'a Buffer = self.buffer;
        let times = range_slices(&buffer.times, self.lo, self.hi);
        let values = range_slices(&buffer.columns[i], self.lo, self.hi);
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

    fn column_increase(&self, i: usize) -> Option<f64> {
        self.column_points(i).walk()?.increase(self.span)
    }

    fn column_rate(&self, i: usize) -> Option<f64> {
        self.column_points(i).walk()?.rate(self.span)
    }

    /// Last minus first present value, each found from its end of the
    /// window: stitching already made that difference the exact total, so
    /// the rows in between need not be read.
    fn column_total(&self, i: usize) -> Option<f64> {
        let mut values = self.buffer.columns[i]
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
