//! PromQL's counter and histogram math, computed client-side: `rate`,
//! `increase` and `histogram_quantile`, plus a "no traffic"-aware ratio.
//!
//! Each function transcribes the Prometheus source, so a number on screen is
//! the number the same PromQL query would return from a Prometheus server:
//! `promql/functions.go` (`extrapolatedRate`, `instantValue`),
//! `promql/quantile.go` (`BucketQuantile`, `coalesceBuckets`,
//! `ensureMonotonicAndIgnoreSmallDeltas`) and `util/almost/almost.go`
//! (`Equal`), all in prometheus/prometheus. Where
//! `shared/reference/metric-semantics.md` says something different, the
//! source wins and a comment at that spot says so.
//!
//! # Input contract
//!
//! Series functions take the points of **one** series, sorted by ascending
//! time, with NaN values already removed. They neither sort nor filter: the
//! caller selects the points of the window. Since Prometheus 3.0 a range
//! selector `x[range]` evaluated at `end` is left-open, (end − range, end], so
//! a sample exactly at [`Span::start`] is not part of the selection; if one is
//! passed anyway it is used like any other point. Series functions consume
//! their iterator once; nothing in this module allocates.
//!
//! Aggregation (`sum`) comes after `rate`/`increase`, per series, never before:
//! a sum of counters cannot show which series reset.

/// One sample of a series: time in seconds and value.
///
/// Time is `f64` seconds where Prometheus uses integer milliseconds; the
/// arithmetic is otherwise the same.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Sample time in seconds (any epoch, as long as one series shares it).
    pub t: f64,
    /// Sample value.
    pub v: f64,
}

/// The span of a range selector, in seconds: PromQL `x[range]` evaluated at
/// `end` covers (end − range, end]. (Not [`view::Range`](crate::view::Range),
/// the time range on screen, live or fixed.)
///
/// `start` is where extrapolation may reach back to and `end − start` is the
/// divisor of [`rate`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    /// Lower bound (exclusive in Prometheus ≥ 3.0), i.e. `end − range`.
    pub start: f64,
    /// Upper bound (inclusive): the evaluation time.
    pub end: f64,
}

/// PromQL `increase(x[range])` for one counter series: the raw increase
/// (counter resets compensated) extrapolated towards the range bounds, so it is
/// usually not an integer even for integer counters.
///
/// Follows `extrapolatedRate(isCounter=true, isRate=false)`: a sample is
/// extrapolated all the way to a bound only when it lies within 1.1 average
/// sample intervals of it, otherwise by half an interval; towards the start,
/// never past the point where the counter would have been zero.
///
/// `None` when fewer than 2 points are given: Prometheus drops the series
/// (no output, not 0). Also `None` when all points share one timestamp, which
/// Prometheus' storage cannot hold and which leaves no interval to scale by.
pub fn increase<I: IntoIterator<Item = Point>>(points: I, span: Span) -> Option<f64> {
    CounterWalk::new(points)?.increase(span)
}

/// PromQL `rate(x[range])` for one counter series: [`increase`] divided by the
/// selector's range `end − start` (not by the sampled span), in units per
/// second.
///
/// `None` in the cases where [`increase`] is `None`, and for an empty or
/// inverted range (PromQL rejects a zero range at parse time).
pub fn rate<I: IntoIterator<Item = Point>>(points: I, span: Span) -> Option<f64> {
    CounterWalk::new(points)?.rate(span)
}

/// One pass over a counter series' points (one series, ascending time):
/// all that [`increase`] and [`rate`] read of them. A caller holding the
/// points in its own layout (the buffer's columns) walks them itself with
/// [`reset_compensation`] and builds this.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CounterWalk {
    /// The first point.
    pub first: Point,
    /// The last point.
    pub last: Point,
    /// The number of points after the first.
    pub intervals: usize,
    /// The sum of [`reset_compensation`] over consecutive points.
    pub reset_compensation: f64,
}

/// What a counter reset between consecutive values adds to `last − first`:
/// `if currPoint.F < prevPoint.F { resultFloat += prevPoint.F }`.
///
/// Prometheus adds these to `last − first` one at a time; a single pass
/// cannot know `last` yet, so the compensation is summed first. The two
/// orders agree exactly for integer-valued counters below 2^53.
/// (Prometheus 3 also treats a changed created/start timestamp as a reset;
/// scraped text carries none, so only value drops count here.)
pub fn reset_compensation(previous: f64, next: f64) -> f64 {
    if next < previous { previous } else { 0.0 }
}

impl CounterWalk {
    /// Walks `points`; `None` when there are none.
    pub fn new<I: IntoIterator<Item = Point>>(points: I) -> Option<Self> {
        let mut iter = points.into_iter();
        let first = iter.next()?;
        let mut walk = CounterWalk {
            first,
            last: first,
            intervals: 0,
            reset_compensation: 0.0,
        };
        for point in iter {
            walk.reset_compensation += reset_compensation(walk.last.v, point.v);
            walk.last = point;
            walk.intervals += 1;
        }
        Some(walk)
    }

    /// [`increase`] of the points walked.
    pub fn increase(&self, span: Span) -> Option<f64> {
        let (delta, factor) = self.extrapolated(span)?;
        Some(delta * factor)
    }

    /// [`rate`] of the points walked.
    pub fn rate(&self, span: Span) -> Option<f64> {
        let seconds = span.end - span.start;
        if seconds <= 0.0 {
            return None;
        }
        let (delta, factor) = self.extrapolated(span)?;
        // `factor /= ms.Range.Seconds()` before `resultFloat *= factor`, in
        // that order, so the result is bit-identical to Prometheus'.
        Some(delta * (factor / seconds))
    }

    /// The raw increase and the extrapolation factor of `extrapolatedRate`
    /// (prometheus/prometheus promql/functions.go), for a counter.
    ///
    /// `increase = delta · factor`; `rate = delta · (factor / range)`.
    fn extrapolated(&self, span: Span) -> Option<(f64, f64)> {
        let CounterWalk {
            first,
            last,
            intervals,
            reset_compensation,
        } = *self;
        if intervals == 0 {
            // "TODO: add RangeTooShortWarning": the series is dropped silently.
            return None;
        }
        let sampled = last.t - first.t;
        if sampled <= 0.0 {
            return None;
        }
        let delta = last.v - first.v + reset_compensation;

        let mut to_start = first.t - span.start;
        let mut to_end = span.end - last.t;
        let average = sampled / intervals as f64;
        let threshold = average * 1.1;
        // `>=`, as in the source: a gap of exactly 1.1 intervals counts as "the
        // series starts inside the range".
        if to_start >= threshold {
            to_start = average / 2.0;
        }
        // Counter zero clamp, applied after the threshold and to the start only.
        let to_zero = if delta > 0.0 && first.v >= 0.0 {
            sampled * (first.v / delta)
        } else {
            to_start
        };
        if to_zero < to_start {
            to_start = to_zero;
        }
        if to_end >= threshold {
            to_end = average / 2.0;
        }
        Some((delta, (sampled + to_start + to_end) / sampled))
    }
}

/// One classic-histogram bucket: the cumulative `count` of observations
/// `≤ le`, e.g. a `_bucket{le="0.5"}` sample or its windowed increase.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    /// Upper bound (the `le` label); the last bucket must be `+Inf`.
    pub le: f64,
    /// Cumulative count of observations at or below `le`.
    pub count: f64,
}

/// PromQL `histogram_quantile(q, …)` over classic buckets, exactly as
/// `BucketQuantile` computes it: linear interpolation inside the bucket that
/// holds rank `q · count(+Inf)`.
///
/// **Precondition:** `buckets` sorted ascending by `le` (exposition order
/// already is; Prometheus sorts, this function does not, so unsorted input
/// gives a meaningless number but never panics), counts not NaN. Buckets with
/// equal `le` are merged by adding their counts, as Prometheus'
/// `coalesceBuckets` does, so the caller may pass them side by side.
///
/// Results, in the source's order of checks:
/// - `q` NaN → NaN; `q < 0` → −Inf; `q > 1` → +Inf;
/// - highest bucket not `+Inf` → NaN;
/// - counts are repaired: a relative difference to the last accepted count
///   below 1e-12 is float noise and flattened, any other decrease is raised
///   to the running maximum (`ensureMonotonicAndIgnoreSmallDeltas`);
/// - fewer than 2 buckets after merging → NaN; 0 observations → NaN (show
///   "no traffic", not 0);
/// - rank in the `+Inf` bucket → the second-highest `le` (an understatement:
///   [`Window::quantile_estimates`](crate::buffer::Window::quantile_estimates)
///   says when to label it "≥ X");
/// - rank in the lowest bucket → interpolated from 0 if its `le > 0`, else that
///   `le` itself.
///
/// Reads the slice twice (total, then search) and allocates nothing.
pub fn histogram_quantile(q: f64, buckets: &[Bucket]) -> f64 {
    match locate(q, buckets) {
        Located::NoBucket(value) => value,
        Located::InfBucket { highest_finite } => highest_finite,
        Located::LowestNonPositive { le } => le,
        Located::Interpolate {
            start,
            end,
            rank,
            count,
        } => start + (end - start) * (rank / count),
    }
}

/// The bucket a quantile falls in, so a panel can say "p99 ≥ 120 s" when the
/// interpolated value would be a floor rather than an estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct QuantileBounds {
    /// Lower edge: the previous bucket's `le`, 0 for a lowest bucket with
    /// `le > 0`, −Inf for a lowest bucket with `le ≤ 0`.
    pub lower: f64,
    /// Upper edge: the bucket's `le`; `+Inf` when the quantile falls in the
    /// `+Inf` bucket (display "≥ lower").
    pub upper: f64,
}

/// The bucket [`histogram_quantile`] interpolates in, under the same
/// preconditions and repairs.
///
/// `None` exactly when `histogram_quantile` returns a special value without
/// choosing a bucket: `q` NaN or outside [0, 1], no `+Inf` bucket, fewer than 2
/// buckets, or 0 observations. (For `q = 0` with an empty lowest bucket the
/// bucket is still reported, although Prometheus' interpolation gives 0/0 =
/// NaN there.)
pub(crate) fn quantile_bucket(q: f64, buckets: &[Bucket]) -> Option<QuantileBounds> {
    match locate(q, buckets) {
        Located::NoBucket(_) => None,
        Located::InfBucket { highest_finite } => Some(QuantileBounds {
            lower: highest_finite,
            upper: f64::INFINITY,
        }),
        Located::LowestNonPositive { le } => Some(QuantileBounds {
            lower: f64::NEG_INFINITY,
            upper: le,
        }),
        Located::Interpolate { start, end, .. } => Some(QuantileBounds {
            lower: start,
            upper: end,
        }),
    }
}

/// Where `BucketQuantile`'s search ends, shared by [`histogram_quantile`] and
/// [`quantile_bucket`].
enum Located {
    /// A special result decided before any bucket is chosen.
    NoBucket(f64),
    /// The rank lies beyond every finite bucket.
    InfBucket { highest_finite: f64 },
    /// The rank lies in the lowest bucket, whose `le ≤ 0`.
    LowestNonPositive { le: f64 },
    /// Interpolate: `start + (end − start) · (rank / count)`, with `rank` and
    /// `count` already relative to the bucket's start.
    Interpolate {
        start: f64,
        end: f64,
        rank: f64,
        count: f64,
    },
}

/// `BucketQuantile` (prometheus/prometheus promql/quantile.go) minus the
/// final interpolation.
fn locate(q: f64, buckets: &[Bucket]) -> Located {
    if q.is_nan() {
        return Located::NoBucket(f64::NAN);
    }
    if q < 0.0 {
        return Located::NoBucket(f64::NEG_INFINITY);
    }
    if q > 1.0 {
        return Located::NoBucket(f64::INFINITY);
    }
    // Empty input cannot reach BucketQuantile in Prometheus; NaN here.
    match buckets.last() {
        Some(highest) if highest.le == f64::INFINITY => {}
        _ => return Located::NoBucket(f64::NAN),
    }
    // First pass: the number of merged buckets and the repaired +Inf count.
    // The count is taken *after* the repair, as in the source, so a +Inf
    // bucket lower than a finite one is raised before the rank is computed.
    let (merged, observations) =
        Repaired::new(buckets).fold((0_usize, 0.0), |(n, _), bucket| (n + 1, bucket.count));
    if merged < 2 || observations == 0.0 {
        return Located::NoBucket(f64::NAN);
    }
    let rank = q * observations;
    // Second pass: the first bucket with count ≥ rank. Prometheus binary
    // searches (`sort.Search(len(buckets)-1, …)`, so the +Inf bucket is never
    // tested); on repaired, non-decreasing counts a linear scan finds the same
    // bucket. A bucket whose count equals its predecessor's is never chosen,
    // because the predecessor already satisfied `count ≥ rank`, so the
    // interpolation divides by zero only for the lowest bucket at rank 0
    // (`q = 0` with an empty lowest bucket): 0/0 = NaN, as in Prometheus.
    let mut below: Option<Bucket> = None;
    for bucket in Repaired::new(buckets).take(merged - 1) {
        if bucket.count >= rank {
            return match below {
                None if bucket.le <= 0.0 => Located::LowestNonPositive { le: bucket.le },
                None => Located::Interpolate {
                    start: 0.0,
                    end: bucket.le,
                    rank,
                    count: bucket.count,
                },
                Some(previous) => Located::Interpolate {
                    start: previous.le,
                    end: bucket.le,
                    rank: rank - previous.count,
                    count: bucket.count - previous.count,
                },
            };
        }
        below = Some(bucket);
    }
    // `merged ≥ 2`, so the loop saw at least one bucket and `below` is set.
    Located::InfBucket {
        highest_finite: below.map_or(f64::NAN, |bucket| bucket.le),
    }
}

/// Relative tolerance under which neighbouring bucket counts are float noise
/// (`smallDeltaTolerance` in promql/quantile.go).
const SMALL_DELTA_TOLERANCE: f64 = 1e-12;

/// `almost.Equal(a, b, SMALL_DELTA_TOLERANCE)` (prometheus/prometheus
/// util/almost/almost.go): the difference is compared with the *sum* of the
/// magnitudes and strictly (`<`). metric-semantics.md says "relative
/// differences ≤ 1e-12"; the source wins, so 1 vs 1 + 1.5e-12 is noise here.
fn almost_equal(a: f64, b: f64) -> bool {
    if a.is_nan() && b.is_nan() {
        return true;
    }
    if a == b {
        return true;
    }
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    // `minNormal` in the source is the smallest positive normal f64.
    if a == 0.0 || b == 0.0 || abs_sum < f64::MIN_POSITIVE {
        return diff < SMALL_DELTA_TOLERANCE * f64::MIN_POSITIVE;
    }
    diff / abs_sum.min(f64::MAX) < SMALL_DELTA_TOLERANCE
}

/// The sorted buckets as Prometheus sees them after `coalesceBuckets` and
/// `ensureMonotonicAndIgnoreSmallDeltas`, produced on the fly instead of by
/// rewriting a copy.
struct Repaired<'a> {
    rest: &'a [Bucket],
    /// The last count accepted as a real increase (`prev` in the source).
    accepted: Option<f64>,
}

impl<'a> Repaired<'a> {
    fn new(buckets: &'a [Bucket]) -> Self {
        Repaired {
            rest: buckets,
            accepted: None,
        }
    }
}

impl Iterator for Repaired<'_> {
    type Item = Bucket;

    fn next(&mut self) -> Option<Bucket> {
        let (head, tail) = self.rest.split_first()?;
        // coalesceBuckets: neighbours with an equal bound are added up, in
        // order, starting from the first one's count.
        let same = tail
            .iter()
            .take_while(|bucket| bucket.le == head.le)
            .count();
        let (group, rest) = tail.split_at(same);
        self.rest = rest;
        let merged = group
            .iter()
            .fold(head.count, |sum, bucket| sum + bucket.count);
        // ensureMonotonicAndIgnoreSmallDeltas: the first count is taken as is;
        // later ones equal to, within noise of, or below the last accepted
        // count become that count (which then stays the reference); anything
        // else is a real increase and becomes the new reference.
        let count = match self.accepted {
            Some(previous) if merged == previous || almost_equal(previous, merged) => previous,
            Some(previous) if merged < previous => previous,
            _ => {
                self.accepted = Some(merged);
                merged
            }
        };
        Some(Bucket { le: head.le, count })
    }
}

/// `numerator / denominator` for averages such as
/// `rate(x_sum) / rate(x_count)`, with `None` for "no traffic" instead of a
/// misleading 0 or a NaN/Inf that would break display and JSON.
///
/// `None` when the denominator is 0 (either sign) or either operand is NaN.
pub fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    if denominator == 0.0 || numerator.is_nan() || denominator.is_nan() {
        None
    } else {
        Some(numerator / denominator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts `actual` equals `expected` up to float rounding (1e-9 relative).
    #[track_caller]
    fn assert_close(actual: f64, expected: f64) {
        let tolerance = 1e-9 * expected.abs().max(1.0);
        assert!(
            (actual - expected).abs() <= tolerance,
            "expected {expected}, got {actual}"
        );
    }

    fn points(samples: &[(f64, f64)]) -> impl Iterator<Item = Point> + '_ {
        samples.iter().map(|&(t, v)| Point { t, v })
    }

    fn buckets(pairs: &[(f64, f64)]) -> Vec<Bucket> {
        pairs
            .iter()
            .map(|&(le, count)| Bucket { le, count })
            .collect()
    }

    const INF: f64 = f64::INFINITY;
    const WINDOW_0_60: Span = Span {
        start: 0.0,
        end: 60.0,
    };
    /// metric-semantics.md §2a test vector.
    const SPEC_SERIES: [(f64, f64); 4] = [(5.0, 10.0), (20.0, 25.0), (35.0, 40.0), (50.0, 55.0)];

    // ---- increase / rate ----------------------------------------------------

    #[test]
    fn spec_vector_increase_60_rate_1_per_second() {
        // delta 55−10 = 45, sampled 45, avg 45/3 = 15, threshold 16.5;
        // toStart 5 < 16.5 kept; toZero 45·(10/45) = 10 > 5 no clamp;
        // toEnd 60−50 = 10 < 16.5 kept → 45·(45+5+10)/45 = 60.
        assert_close(increase(points(&SPEC_SERIES), WINDOW_0_60).unwrap(), 60.0);
        // rate divides by the selector range (60 s), not the sampled 45 s: 60/60.
        assert_close(rate(points(&SPEC_SERIES), WINDOW_0_60).unwrap(), 1.0);
    }

    #[test]
    fn reset_mid_window_adds_the_pre_reset_value() {
        // 10 → 25, reset to 5, → 20. delta = 20−10 + 25 (value before the reset) = 35.
        // avg 15, threshold 16.5; toStart 5 kept; toZero 45·(10/35) ≈ 12.86 > 5
        // no clamp; toEnd 10 kept → 35·60/45 = 46.666…
        let series = [(5.0, 10.0), (20.0, 25.0), (35.0, 5.0), (50.0, 20.0)];
        assert_close(
            increase(points(&series), WINDOW_0_60).unwrap(),
            35.0 * 60.0 / 45.0,
        );
        // 46.666… / 60 s
        assert_close(rate(points(&series), WINDOW_0_60).unwrap(), 35.0 / 45.0);
    }

    #[test]
    fn multiple_resets_each_add_their_pre_reset_value() {
        // 8, reset to 2, → 6, reset to 1. delta = 1−8 + 8 + 6 = 7.
        // sampled 30, avg 10, threshold 11; toStart 5 kept; toZero 30·(8/7) ≈ 34.3
        // no clamp; toEnd 40−35 = 5 kept → 7·(30+5+5)/30 = 9.333…
        let series = [(5.0, 8.0), (15.0, 2.0), (25.0, 6.0), (35.0, 1.0)];
        let span = Span {
            start: 0.0,
            end: 40.0,
        };
        assert_close(increase(points(&series), span).unwrap(), 7.0 * 40.0 / 30.0);
    }

    #[test]
    fn zero_clamp_stops_extrapolation_where_the_counter_was_zero() {
        // delta 46−1 = 45, sampled 45, avg 15, threshold 16.5; toStart 10 kept
        // by the threshold, but toZero = 45·(1/45) = 1 < 10 → toStart 1;
        // toEnd 5 kept → 45·(45+1+5)/45 = 51 (without the clamp: 60).
        let series = [(10.0, 1.0), (25.0, 16.0), (40.0, 31.0), (55.0, 46.0)];
        assert_close(increase(points(&series), WINDOW_0_60).unwrap(), 51.0);
    }

    #[test]
    fn gap_to_start_beyond_threshold_extrapolates_half_an_interval() {
        // delta 30, sampled 30, avg 10, threshold 11; toStart 25 ≥ 11 → avg/2 = 5;
        // toZero 30·(100/30) = 100 > 5 no clamp; toEnd 5 kept → 30·(30+5+5)/30 = 40.
        let series = [(25.0, 100.0), (35.0, 110.0), (45.0, 120.0), (55.0, 130.0)];
        assert_close(increase(points(&series), WINDOW_0_60).unwrap(), 40.0);
        // 40 / 60 s
        assert_close(rate(points(&series), WINDOW_0_60).unwrap(), 40.0 / 60.0);
    }

    #[test]
    fn gap_to_end_beyond_threshold_extrapolates_half_an_interval() {
        // Mirror image: toStart 5 kept; toZero 100 no clamp; toEnd 25 ≥ 11 → 5
        // → 30·(30+5+5)/30 = 40.
        let series = [(5.0, 100.0), (15.0, 110.0), (25.0, 120.0), (35.0, 130.0)];
        assert_close(increase(points(&series), WINDOW_0_60).unwrap(), 40.0);
    }

    #[test]
    fn gap_of_exactly_the_threshold_counts_as_beyond_it() {
        // The source compares `durationToStart >= extrapolationThreshold`.
        // avg 8 (a power of two, so 8·1.1 is exact), threshold 8·1.1 = 8.8;
        // first sample exactly 8.8 s after the start → toStart = avg/2 = 4;
        // toZero 8·(100/8) = 100 no clamp; toEnd 4 kept → 8·(8+4+4)/8 = 16.
        // With `>` it would be 8·(8+8.8+4)/8 = 20.8.
        let threshold = 8.0 * 1.1;
        let series = [(threshold, 100.0), (threshold + 8.0, 108.0)];
        let span = Span {
            start: 0.0,
            end: threshold + 12.0,
        };
        assert_close(increase(points(&series), span).unwrap(), 16.0);
    }

    #[test]
    fn points_on_both_bounds_are_not_extrapolated() {
        // toStart 0, toEnd 0; toZero 60·(10/60) = 10 > 0 no clamp → factor 1,
        // increase = delta = 70−10 = 60, rate 60/60 = 1. (With Prometheus ≥ 3.0's
        // left-open selector the sample at t = start would not be selected; this
        // checks the arithmetic on whatever the caller passes.)
        let series = [(0.0, 10.0), (60.0, 70.0)];
        assert_eq!(increase(points(&series), WINDOW_0_60), Some(60.0));
        assert_eq!(rate(points(&series), WINDOW_0_60), Some(1.0));
    }

    #[test]
    fn fewer_than_two_points_drop_the_series() {
        // Not Some(0.0): Prometheus emits nothing for the series.
        let one = [(30.0, 5.0)];
        assert_eq!(increase(points(&one), WINDOW_0_60), None);
        assert_eq!(rate(points(&one), WINDOW_0_60), None);
        assert_eq!(increase(points(&[]), WINDOW_0_60), None);
    }

    #[test]
    fn no_time_span_or_no_range_gives_none() {
        // sampled = 0 leaves nothing to scale by (0/0); Prometheus' storage
        // cannot even hold two samples at one timestamp.
        let same_time = [(30.0, 5.0), (30.0, 7.0)];
        assert_eq!(increase(points(&same_time), WINDOW_0_60), None);
        // A zero-length range has no per-second meaning (PromQL rejects `x[0s]`).
        let empty = Span {
            start: 60.0,
            end: 60.0,
        };
        assert_eq!(rate(points(&SPEC_SERIES), empty), None);
    }

    #[test]
    fn flat_counter_increases_by_zero() {
        // delta 0: Some(0.0), not None; the zero clamp needs delta > 0.
        let series = [(10.0, 7.0), (40.0, 7.0)];
        assert_eq!(increase(points(&series), WINDOW_0_60), Some(0.0));
    }

    // ---- histogram_quantile --------------------------------------------------

    /// metric-semantics.md §2b (ClickHouse quantilePrometheusHistogram docs).
    const SPEC_BUCKETS: [(f64, f64); 4] = [(0.0, 6.0), (0.5, 11.0), (1.0, 14.0), (INF, 19.0)];

    #[test]
    fn spec_vector_median_is_0_35() {
        // rank 0.5·19 = 9.5; first count ≥ 9.5 is le=0.5 (11), previous le=0 (6):
        // 0 + (0.5−0)·(9.5−6)/(11−6) = 0.5·3.5/5 = 0.35.
        assert_close(histogram_quantile(0.5, &buckets(&SPEC_BUCKETS)), 0.35);
    }

    #[test]
    fn q_outside_0_1_is_infinite_and_nan_q_is_nan() {
        let spec = buckets(&SPEC_BUCKETS);
        assert_eq!(histogram_quantile(-0.1, &spec), f64::NEG_INFINITY);
        assert_eq!(histogram_quantile(1.1, &spec), f64::INFINITY);
        assert!(histogram_quantile(f64::NAN, &spec).is_nan());
        // q is checked before the buckets, as in the source.
        assert_eq!(histogram_quantile(-1.0, &[]), f64::NEG_INFINITY);
        // The ends of [0, 1] are valid: q=1 → rank 19 lands in +Inf → le=1.
        assert_eq!(histogram_quantile(1.0, &spec), 1.0);
    }

    #[test]
    fn missing_inf_bucket_is_nan() {
        assert!(histogram_quantile(0.5, &buckets(&[(0.5, 3.0), (1.0, 5.0)])).is_nan());
        assert!(histogram_quantile(0.5, &[]).is_nan());
    }

    #[test]
    fn fewer_than_two_buckets_is_nan() {
        assert!(histogram_quantile(0.5, &buckets(&[(INF, 5.0)])).is_nan());
        // Two +Inf entries merge into one bucket (count 5): still fewer than 2.
        assert!(histogram_quantile(0.5, &buckets(&[(INF, 2.0), (INF, 3.0)])).is_nan());
    }

    #[test]
    fn zero_observations_is_nan_not_zero() {
        // No traffic in the window: every bucket delta is 0.
        let idle = buckets(&[(0.5, 0.0), (1.0, 0.0), (INF, 0.0)]);
        assert!(histogram_quantile(0.5, &idle).is_nan());
        assert_eq!(quantile_bucket(0.5, &idle), None);
    }

    #[test]
    fn rank_in_inf_bucket_returns_highest_finite_bound() {
        // rank 0.9·19 = 17.1 > 14 (le=1): the +Inf bucket → 1, meaning "≥ 1".
        let spec = buckets(&SPEC_BUCKETS);
        assert_eq!(histogram_quantile(0.9, &spec), 1.0);
        assert_eq!(
            quantile_bucket(0.9, &spec),
            Some(QuantileBounds {
                lower: 1.0,
                upper: INF
            })
        );
    }

    #[test]
    fn lowest_bucket_interpolates_from_zero_when_its_bound_is_positive() {
        // rank 0.25·8 = 2 in le=2 (count 4), lower edge 0: 0 + 2·(2/4) = 1.
        let positive = buckets(&[(2.0, 4.0), (4.0, 8.0), (INF, 8.0)]);
        assert_eq!(histogram_quantile(0.25, &positive), 1.0);
    }

    #[test]
    fn lowest_bucket_with_non_positive_bound_returns_that_bound() {
        // rank 0.3·10 = 3 ≤ 5 in the lowest bucket le=−1 ≤ 0 → −1, no interpolation.
        let negative = buckets(&[(-1.0, 5.0), (0.0, 8.0), (1.0, 10.0), (INF, 10.0)]);
        assert_eq!(histogram_quantile(0.3, &negative), -1.0);
        // rank 7.5 in le=0 (8), previous le=−1 (5): −1 + 1·(2.5/3) = −1/6.
        assert_close(histogram_quantile(0.75, &negative), -1.0 / 6.0);
        // le = 0 exactly: rank 0.2·10 = 2 ≤ 4 → 0.
        let zero = buckets(&[(0.0, 4.0), (1.0, 10.0), (INF, 10.0)]);
        assert_eq!(histogram_quantile(0.2, &zero), 0.0);
    }

    #[test]
    fn non_monotonic_counts_are_raised_to_the_running_maximum() {
        // le=3 has 6 < 10 (le=2): raised to 10. rank (11/12)·12 = 11 → le=4 (12),
        // previous le=3 now 10: 3 + 1·(11−10)/(12−10) = 3.5 (unrepaired: 3.833…).
        let dirty = buckets(&[
            (1.0, 4.0),
            (2.0, 10.0),
            (3.0, 6.0),
            (4.0, 12.0),
            (INF, 12.0),
        ]);
        assert_close(histogram_quantile(11.0 / 12.0, &dirty), 3.5);
    }

    #[test]
    fn inf_bucket_below_a_finite_one_is_raised_before_the_rank() {
        // +Inf 8 < 10 (le=2) → 10, so rank = 0.5·10 = 5 (not 0.5·8 = 4):
        // le=2, previous le=1 (4): 1 + 1·(5−4)/(10−4) = 1.1666…
        let dirty = buckets(&[(1.0, 4.0), (2.0, 10.0), (INF, 8.0)]);
        assert_close(histogram_quantile(0.5, &dirty), 1.0 + 1.0 / 6.0);
    }

    #[test]
    fn float_noise_between_buckets_is_flattened() {
        // 100 vs 100+1e-10: |Δ|/(|a|+|b|) = 5e-13 < 1e-12 → noise, le=2 and +Inf
        // become 100. q=1: rank 100 → le=1 (100): 0 + 1·(100/100) = 1.
        // Unflattened, rank 100+1e-10 would land in le=2: 1 + 1·(1e-10/1e-10) = 2.
        let noisy = buckets(&[(1.0, 100.0), (2.0, 100.0 + 1e-10), (INF, 100.0 + 1e-10)]);
        assert_eq!(histogram_quantile(1.0, &noisy), 1.0);
    }

    #[test]
    fn float_noise_tolerance_is_relative_to_the_sum_and_strict() {
        // Source: almost.Equal, |a−b| / (|a|+|b|) < 1e-12. For 1 vs 1+1.5e-12 that
        // is 7.5e-13: noise (the reference's "relative difference ≤ 1e-12" would
        // keep it, giving 2). Flattened: rank 1 → le=1 → 1.
        let noise = buckets(&[(1.0, 1.0), (2.0, 1.0 + 1.5e-12), (INF, 1.0 + 1.5e-12)]);
        assert_eq!(histogram_quantile(1.0, &noise), 1.0);
        // 1 vs 1+3e-12: 1.5e-12 ≥ 1e-12, a real increase: rank 1+3e-12 → le=2,
        // 1 + 1·(3e-12/3e-12) = 2.
        let real = buckets(&[(1.0, 1.0), (2.0, 1.0 + 3e-12), (INF, 1.0 + 3e-12)]);
        assert_eq!(histogram_quantile(1.0, &real), 2.0);
    }

    #[test]
    fn plateau_resolves_to_the_first_bucket_reaching_the_rank() {
        // count(le=3) == count(le=2) = 5. rank 0.5·10 = 5: le=2 is the first with
        // count ≥ 5, so interpolation never divides by the plateau's 0:
        // 1 + 1·(5−2)/(5−2) = 2.
        let plateau = buckets(&[(1.0, 2.0), (2.0, 5.0), (3.0, 5.0), (INF, 10.0)]);
        assert_eq!(histogram_quantile(0.5, &plateau), 2.0);
    }

    #[test]
    fn q_zero_with_empty_lowest_bucket_is_nan_like_prometheus() {
        // The only count == count_prev case reachable: rank 0, lowest bucket
        // count 0 ≥ 0 → 0 + 1·(0/0) = NaN in BucketQuantile (the original
        // dashboard returned the lower edge 0 here).
        let empty_lowest = buckets(&[(1.0, 0.0), (2.0, 5.0), (INF, 5.0)]);
        assert!(histogram_quantile(0.0, &empty_lowest).is_nan());
        // With observations in the lowest bucket: 0 + 1·(0/3) = 0.
        let filled_lowest = buckets(&[(1.0, 3.0), (2.0, 5.0), (INF, 5.0)]);
        assert_eq!(histogram_quantile(0.0, &filled_lowest), 0.0);
    }

    #[test]
    fn duplicate_bounds_are_merged_by_adding_counts() {
        // (1:2)+(1:3) → (1:5). rank 0.5·10 = 5 → le=1: 0 + 1·(5/5) = 1.
        let split = buckets(&[(1.0, 2.0), (1.0, 3.0), (2.0, 10.0), (INF, 10.0)]);
        assert_eq!(histogram_quantile(0.5, &split), 1.0);
    }

    // ---- quantile_bucket -----------------------------------------------------

    #[test]
    fn quantile_bucket_reports_the_interpolation_bucket() {
        let spec = buckets(&SPEC_BUCKETS);
        // rank 9.5 in le=0.5, previous le=0.
        assert_eq!(
            quantile_bucket(0.5, &spec),
            Some(QuantileBounds {
                lower: 0.0,
                upper: 0.5
            })
        );
        // rank 0.7·19 = 13.3 in le=1 (14), previous le=0.5.
        assert_eq!(
            quantile_bucket(0.7, &spec),
            Some(QuantileBounds {
                lower: 0.5,
                upper: 1.0
            })
        );
        // Lowest bucket le=2 > 0: lower edge 0, as histogram_quantile assumes.
        let positive = buckets(&[(2.0, 4.0), (4.0, 8.0), (INF, 8.0)]);
        assert_eq!(
            quantile_bucket(0.25, &positive),
            Some(QuantileBounds {
                lower: 0.0,
                upper: 2.0
            })
        );
        // Lowest bucket le=−1 ≤ 0: (−Inf, −1].
        let negative = buckets(&[(-1.0, 5.0), (0.0, 8.0), (INF, 10.0)]);
        assert_eq!(
            quantile_bucket(0.3, &negative),
            Some(QuantileBounds {
                lower: f64::NEG_INFINITY,
                upper: -1.0
            })
        );
    }

    #[test]
    fn quantile_bucket_is_none_without_a_bucket() {
        let spec = buckets(&SPEC_BUCKETS);
        assert_eq!(quantile_bucket(f64::NAN, &spec), None);
        assert_eq!(quantile_bucket(-0.5, &spec), None);
        assert_eq!(quantile_bucket(1.5, &spec), None);
        assert_eq!(quantile_bucket(0.5, &buckets(&[(1.0, 3.0)])), None);
        assert_eq!(quantile_bucket(0.5, &buckets(&[(INF, 3.0)])), None);
    }

    // ---- ratio ---------------------------------------------------------------

    #[test]
    fn ratio_is_none_for_no_traffic() {
        assert_eq!(ratio(3.0, 2.0), Some(1.5));
        assert_eq!(ratio(0.0, 5.0), Some(0.0));
        // rate(_count) = 0: no requests, so no average (not 0, not NaN).
        assert_eq!(ratio(0.0, 0.0), None);
        assert_eq!(ratio(4.0, 0.0), None);
        assert_eq!(ratio(4.0, -0.0), None);
        assert_eq!(ratio(f64::NAN, 2.0), None);
        assert_eq!(ratio(2.0, f64::NAN), None);
    }

    // ---- fixtures ----------------------------------------------------------

    const T0: &str = zai_dash_fixtures::VARIANT;
    const T5: &str = zai_dash_fixtures::VARIANT_T5S;

    /// `(labels other than le, le, value)` of every
    /// `zai_proxy_request_duration_seconds_bucket` line; `le` is the last label
    /// in client_golang's output.
    fn duration_buckets(text: &str) -> Vec<(&str, f64, f64)> {
        text.lines()
            .filter_map(|line| {
                let rest = line.strip_prefix("zai_proxy_request_duration_seconds_bucket{")?;
                let (labels, value) = rest.rsplit_once("} ")?;
                let (series, le) = labels.rsplit_once(",le=\"")?;
                let le = match le.strip_suffix('"')? {
                    "+Inf" => INF,
                    finite => finite.parse().ok()?,
                };
                Some((series, le, value.trim().parse().ok()?))
            })
            .collect()
    }

    /// `sum by (le)` of per-series values, sorted by `le`.
    fn sum_by_le(samples: impl Iterator<Item = (f64, f64)>) -> Vec<Bucket> {
        let mut sums: Vec<Bucket> = Vec::new();
        for (le, count) in samples {
            match sums.iter_mut().find(|bucket| bucket.le == le) {
                Some(bucket) => bucket.count += count,
                None => sums.push(Bucket { le, count }),
            }
        }
        sums.sort_by(|a, b| a.le.total_cmp(&b.le));
        sums
    }

    #[test]
    fn fixture_pair_latency_quantiles_from_windowed_bucket_deltas() {
        let t0 = duration_buckets(T0);
        let t5 = duration_buckets(T5);
        // 5 status codes × 16 buckets (15 finite + +Inf) in each scrape.
        assert_eq!((t0.len(), t5.len()), (80, 80));

        // Per series and le, the exact increase between the two scrapes (rate
        // before sum), then summed across series by le.
        let deltas = t5.iter().map(|&(series, le, now)| {
            let &(_, _, before) = t0
                .iter()
                .find(|&&(s, l, _)| s == series && l == le)
                .expect("same series in both scrapes");
            // No counter reset between the two scrapes: the increase is the
            // difference.
            assert!(now >= before, "no reset between the fixture scrapes");
            (le, now - before)
        });
        let window = sum_by_le(deltas);
        // Only status_code="200" moved: le ≤ 2.5 +0, le=5 +1, le=10 +1, le=30 +2,
        // le=60/120/300/+Inf +3. So 3 requests: one in (2.5,5], none in (5,10],
        // one in (10,30], one in (30,60].
        let increase_at = |le: f64| window.iter().find(|b| b.le == le).unwrap().count;
        assert_eq!(
            [5.0, 10.0, 30.0, 60.0, INF].map(increase_at),
            [1.0, 1.0, 2.0, 3.0, 3.0]
        );

        let ms = |q: f64| histogram_quantile(q, &window) * 1000.0;
        // p50: rank 0.5·3 = 1.5 → le=30 (2), previous le=10 (1):
        //      10 + 20·(0.5/1) = 20 s.
        assert_close(ms(0.5), 20_000.0);
        // p95: rank 2.85 → le=60 (3), previous le=30 (2): 30 + 30·(0.85/1) = 55.5 s.
        assert_close(ms(0.95), 55_500.0);
        // p99: rank 2.97 → le=60: 30 + 30·0.97 = 59.1 s.
        assert_close(ms(0.99), 59_100.0);
        // All three as the reference (§2, end) states: 20000/55500/59100 ms.
    }

    #[test]
    fn fixture_lifetime_quantiles_summed_across_series() {
        // The reference's other comparison: cumulative (lifetime) buckets of the
        // t5s scrape, summed across series, ≈ 9890/53492/103264 ms. E.g. p50:
        // rank 0.5·18617 = 9308.5 → le=10 (Σ 9407), previous le=5 (Σ 4921):
        // 5 + 5·(4387.5/4486) = 9.890 s.
        let lifetime = sum_by_le(duration_buckets(T5).into_iter().map(|(_, le, v)| (le, v)));
        let ms = |q: f64| (histogram_quantile(q, &lifetime) * 1000.0).round();
        assert_eq!([ms(0.5), ms(0.95), ms(0.99)], [9890.0, 53492.0, 103264.0]);
    }
}
