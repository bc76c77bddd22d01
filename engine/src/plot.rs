//! The geometry of a time-series chart, with no drawing in it: axis ranges,
//! readable ticks, and min/max decimation to the pixel grid.
//!
//! The app's canvas code only turns what this module returns into drawing
//! calls, so every decision about what a chart shows is tested natively.

/// A linear map from a data interval onto a pixel interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    /// Data value drawn at `r0`.
    pub d0: f64,
    /// Data value drawn at `r1`.
    pub d1: f64,
    /// Pixel coordinate of `d0`.
    pub r0: f64,
    /// Pixel coordinate of `d1`.
    pub r1: f64,
}

impl Scale {
    /// Pixel coordinate of data value `d`.
    pub fn px(&self, d: f64) -> f64 {
        if self.d1 == self.d0 {
            return (self.r0 + self.r1) / 2.0;
        }
        self.r0 + (d - self.d0) * (self.r1 - self.r0) / (self.d1 - self.d0)
    }

    /// [`Scale::px`] as a closure that multiplies rather than divides: for
    /// mapping many points (a division is several times slower).
    pub fn px_fn(&self) -> impl Fn(f64) -> f64 + use<> {
        let Scale { d0, d1, r0, r1 } = *self;
        let (k, mid) = if d1 == d0 {
            (0.0, (r0 + r1) / 2.0)
        } else {
            ((r1 - r0) / (d1 - d0), r0)
        };
        move |d| mid + (d - d0) * k
    }

    /// Data value at pixel coordinate `r` (inverse of [`Scale::px`]).
    pub fn value(&self, r: f64) -> f64 {
        if self.r1 == self.r0 {
            return self.d0;
        }
        self.d0 + (r - self.r0) * (self.d1 - self.d0) / (self.r1 - self.r0)
    }
}

/// Up to about `max_ticks` round values (1, 2 or 5 × 10ⁿ apart) covering
/// `[min, max]`; the values to label a value axis with.
pub fn nice_ticks(min: f64, max: f64, max_ticks: usize) -> Vec<f64> {
    if !(min.is_finite() && max.is_finite()) || max <= min || max_ticks < 2 {
        return if min.is_finite() {
            vec![min]
        } else {
            Vec::new()
        };
    }
    let step = nice_step((max - min) / (max_ticks - 1) as f64);
    let first = (min / step).ceil() as i64;
    let last = (max / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// The smallest of 1, 2, 5 × 10ⁿ at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let magnitude = 10f64.powi(raw.log10().floor() as i32);
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude)
}

/// Steps a time axis may use, in ms: round to a person reading a clock.
const TIME_STEPS_MS: [i64; 16] = [
    1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
    1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000,
];

/// Tick times (Unix ms, multiples of a round step) for a time axis from
/// `start_ms` to `end_ms` with at most `max_ticks` ticks. Steps are whole
/// seconds, minutes or hours, aligned to UTC multiples of the step.
pub fn time_ticks(start_ms: i64, end_ms: i64, max_ticks: usize) -> Vec<i64> {
    if end_ms <= start_ms || max_ticks == 0 {
        return Vec::new();
    }
    let span = end_ms - start_ms;
    let step = TIME_STEPS_MS
        .into_iter()
        .find(|s| span / s < max_ticks as i64)
        .unwrap_or(43_200_000);
    let first = start_ms.div_euclid(step) * step + if start_ms % step == 0 { 0 } else { step };
    (0..)
        .map(|i| first + i * step)
        .take_while(|&t| t <= end_ms)
        .collect()
}

/// A value-axis range for series `values` (NaN ignored): from 0 (or the
/// minimum if negative) to the maximum plus headroom, so lines never touch
/// the top edge; `[0, 1]` when there is nothing to show.
pub fn value_range<'a>(values: impl IntoIterator<Item = &'a f64>) -> (f64, f64) {
    let (min, max) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((0.0f64, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if !max.is_finite() || max <= min {
        return (min.min(0.0), if max > 0.0 { max * 1.1 } else { 1.0 });
    }
    (min, max + (max - min) * 0.1)
}

/// How far a drawn line may stray from a data point, in CSS px: half a
/// pixel, which antialiasing blurs anyway (simplify.js, a common choice
/// for charts, defaults to a whole one).
const TOLERANCE_PX: f64 = 0.5;

/// What the canvas strokes for one line: its runs of connected points in
/// pixel coordinates, split where a value is missing (NaN) or consecutive
/// points are more than `max_gap_px` apart, so missing data is never
/// bridged.
///
/// Each pixel column keeps its first, lowest, highest and last points,
/// which draws the same picture as all of them; then points the line
/// passes within half a pixel of are dropped (a "sleeve" pass). Every
/// vertex left is a browser call on every redraw, which made up most of
/// one (browser benchmark, README): this is one pass, with no
/// intermediate buffers.
pub fn line_runs(
    times: &[i64],
    values: &[f64],
    x: &Scale,
    y: &Scale,
    max_gap_px: f64,
) -> Vec<Vec<(f64, f64)>> {
    let mut runs = Vec::new();
    let mut sleeve = Sleeve::new(TOLERANCE_PX);
    let mut column: Option<Column> = None;
    let mut last_x = f64::NAN;
    let (x, y) = (x.px_fn(), y.px_fn());
    for (&t, &v) in times.iter().zip(values) {
        let p = (x(t as f64), y(v));
        if v.is_nan() || p.0 - last_x > max_gap_px {
            end_run(column.take(), &mut sleeve, &mut runs);
        }
        if v.is_nan() {
            continue;
        }
        last_x = p.0;
        let px = p.0.floor();
        match &mut column {
            Some(c) if c.px == px => c.add(p),
            _ => {
                if let Some(c) = column.replace(Column::new(px, p)) {
                    c.emit(&mut sleeve);
                }
            }
        }
    }
    end_run(column, &mut sleeve, &mut runs);
    runs
}

/// Ends the run being traced: the last column's points, then the run
/// itself if it has any.
fn end_run(column: Option<Column>, sleeve: &mut Sleeve, runs: &mut Vec<Vec<(f64, f64)>>) {
    if let Some(c) = column {
        c.emit(sleeve);
    }
    let run = sleeve.finish();
    if !run.is_empty() {
        runs.push(run);
    }
}

/// The points of one pixel column, reduced to those that shape it.
struct Column {
    px: f64,
    /// More than one point: the common case, fewer points than pixels,
    /// has nothing to reduce.
    several: bool,
    first: (f64, f64),
    min: (f64, f64),
    max: (f64, f64),
    last: (f64, f64),
}

impl Column {
    fn new(px: f64, p: (f64, f64)) -> Self {
        Column {
            px,
            several: false,
            first: p,
            min: p,
            max: p,
            last: p,
        }
    }

    fn add(&mut self, p: (f64, f64)) {
        if p.1 < self.min.1 {
            self.min = p;
        }
        if p.1 > self.max.1 {
            self.max = p;
        }
        self.last = p;
        self.several = true;
    }

    /// Feeds the column's points to `sleeve` in x order.
    fn emit(self, sleeve: &mut Sleeve) {
        if !self.several {
            sleeve.push(self.first);
            return;
        }
        let (lo, hi) = if self.min.0 <= self.max.0 {
            (self.min, self.max)
        } else {
            (self.max, self.min)
        };
        for p in [self.first, lo, hi, self.last] {
            sleeve.push(p);
        }
    }
}

/// Simplifies a line (pixel coordinates, x increasing) as its points
/// arrive: drops every point that the line through the points kept passes
/// within `tolerance` px of, vertically. A flat or straight stretch
/// becomes its two ends; a spike stays.
///
/// From the last kept point (the anchor), the slopes that pass within
/// `tolerance` of every point since form an interval (the sleeve); a point
/// whose own slope falls outside it ends the stretch at the point before.
struct Sleeve {
    tolerance: f64,
    kept: Vec<(f64, f64)>,
    candidate: Option<(f64, f64)>,
    lo: f64,
    hi: f64,
}

impl Sleeve {
    fn new(tolerance: f64) -> Self {
        Sleeve {
            tolerance,
            kept: Vec::new(),
            candidate: None,
            lo: f64::NEG_INFINITY,
            hi: f64::INFINITY,
        }
    }

    fn push(&mut self, p: (f64, f64)) {
        let Some(&anchor) = self.kept.last() else {
            self.kept.push(p);
            return;
        };
        if self.candidate.unwrap_or(anchor) == p {
            return;
        }
        let dx = p.0 - anchor.0;
        if dx > 0.0 {
            let inverse = 1.0 / dx;
            let slope = (p.1 - anchor.1) * inverse;
            if (self.lo..=self.hi).contains(&slope) {
                self.narrow(slope, inverse);
                self.candidate = Some(p);
                return;
            }
        }
        let anchor = match self.candidate.take() {
            Some(q) => {
                self.kept.push(q);
                q
            }
            None => anchor,
        };
        let dx = p.0 - anchor.0;
        (self.lo, self.hi) = (f64::NEG_INFINITY, f64::INFINITY);
        if dx > 0.0 {
            let inverse = 1.0 / dx;
            self.narrow((p.1 - anchor.1) * inverse, inverse);
            self.candidate = Some(p);
        } else {
            self.kept.push(p);
        }
    }

    /// Narrows the sleeve to the slopes within tolerance of a point whose
    /// own slope from the anchor is `slope`, `1 / inverse` px away.
    fn narrow(&mut self, slope: f64, inverse: f64) {
        let margin = self.tolerance * inverse;
        self.lo = self.lo.max(slope - margin);
        self.hi = self.hi.min(slope + margin);
    }

    /// The points kept since the last call, ready for a new line.
    fn finish(&mut self) -> Vec<(f64, f64)> {
        self.kept.extend(self.candidate.take());
        (self.lo, self.hi) = (f64::NEG_INFINITY, f64::INFINITY);
        std::mem::take(&mut self.kept)
    }
}

/// The index of the sample nearest to `t` in sorted `times`, if any is
/// within `max_distance`: what a crosshair at `t` points at.
pub fn nearest(times: &[i64], t: i64, max_distance: i64) -> Option<usize> {
    let i = times.partition_point(|&x| x < t);
    let candidates = [i.checked_sub(1), (i < times.len()).then_some(i)];
    candidates
        .into_iter()
        .flatten()
        .min_by_key(|&j| (times[j] - t).abs())
        .filter(|&j| (times[j] - t).abs() <= max_distance)
}

/// The values each line is drawn at, in order: a line in a stack group
/// (`Some(group)`) sits on the lines of that group before it, so its
/// values are the running sum; a gap (NaN) stays a gap and adds nothing
/// to the lines above it. Lines in no group are drawn as they are.
pub fn stacked<'a>(lines: impl IntoIterator<Item = (Option<usize>, &'a [f64])>) -> Vec<Vec<f64>> {
    let mut sums: Vec<(usize, Vec<f64>)> = Vec::new();
    let mut out = Vec::new();
    for (group, values) in lines {
        let Some(group) = group else {
            out.push(values.to_vec());
            continue;
        };
        let pos = match sums.iter().position(|(g, _)| *g == group) {
            Some(pos) => pos,
            None => {
                sums.push((group, vec![0.0; values.len()]));
                sums.len() - 1
            }
        };
        let acc = &mut sums[pos].1;
        acc.resize(values.len(), 0.0);
        out.push(
            values
                .iter()
                .zip(acc.iter_mut())
                .map(|(v, a)| {
                    if v.is_nan() {
                        f64::NAN
                    } else {
                        *a += v;
                        *a
                    }
                })
                .collect(),
        );
    }
    out
}

/// The times of the first and last points at which any of `lines` has a
/// value: the span a chart actually draws (`None`: it draws nothing).
pub fn drawn_span<'a>(
    times: &[i64],
    lines: impl IntoIterator<Item = &'a [f64]> + Clone,
) -> Option<(i64, i64)> {
    let has_value = |&i: &usize| {
        lines
            .clone()
            .into_iter()
            .any(|l| l.get(i).is_some_and(|v| !v.is_nan()))
    };
    let first = (0..times.len()).find(has_value)?;
    let last = (0..times.len()).rev().find(has_value)?;
    Some((times[first], times[last]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two stack groups (production, canary) and a free line: each group
    /// sums on its own, in order, and gaps stay gaps.
    #[test]
    fn stacked_lines_sum_within_their_group_and_keep_gaps() {
        let nan = f64::NAN;
        let ok = [10.0, 20.0, nan];
        let err = [1.0, nan, 3.0];
        let canary = [5.0, 5.0, 5.0];
        let free = [7.0, nan, 9.0];
        let drawn = stacked([
            (Some(0), &ok[..]),
            (Some(0), &err[..]),
            (Some(1), &canary[..]),
            (None, &free[..]),
        ]);
        let same = |a: &[f64], b: &[f64]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
        };
        assert!(same(&drawn[0], &[10.0, 20.0, nan]));
        // 10 + 1; a gap; 0 (the gap below adds nothing) + 3.
        assert!(same(&drawn[1], &[11.0, nan, 3.0]));
        assert!(same(&drawn[2], &[5.0, 5.0, 5.0]));
        assert!(same(&drawn[3], &free));
    }

    #[test]
    fn the_drawn_span_runs_from_the_first_to_the_last_value_of_any_line() {
        let nan = f64::NAN;
        let times = [0, 10, 20, 30, 40];
        let a = [nan, 1.0, nan, nan, nan];
        let b = [nan, nan, nan, 2.0, nan];
        assert_eq!(drawn_span(&times, [&a[..], &b[..]]), Some((10, 30)));
        assert_eq!(drawn_span(&times, [&[nan; 5][..]]), None);
        assert_eq!(drawn_span(&times, std::iter::empty::<&[f64]>()), None);
    }

    #[test]
    fn a_scale_maps_both_ways() {
        let s = Scale {
            d0: 0.0,
            d1: 100.0,
            r0: 200.0,
            r1: 0.0,
        };
        assert_eq!(s.px(25.0), 150.0);
        assert_eq!(s.value(150.0), 25.0);
    }

    #[test]
    fn value_ticks_are_round_numbers() {
        assert_eq!(
            nice_ticks(0.0, 10.0, 6),
            vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
        );
        // 0..0.7 over 5 ticks: raw step 0.175 → 0.2.
        assert_eq!(
            nice_ticks(0.0, 0.7, 5),
            vec![0.0, 0.2, 0.4, 0.6000000000000001]
        );
        assert_eq!(nice_ticks(3.0, 3.0, 5), vec![3.0]);
        assert!(nice_ticks(f64::NAN, 1.0, 5).is_empty());
    }

    #[test]
    fn time_ticks_fall_on_round_clock_times() {
        // 5 minutes with at most 6 ticks: 60 s steps (300/60 = 5 < 6).
        let ticks = time_ticks(1_000_030_000, 1_000_330_000, 6);
        assert!(ticks.iter().all(|t| t % 60_000 == 0), "{ticks:?}");
        assert_eq!(ticks.len(), 5);
        // 24 hours with at most 8 ticks: 3 h steps give 86400/10800 = 8,
        // not < 8, so 6 h steps.
        let day = time_ticks(0, 86_400_000, 8);
        assert_eq!(day, vec![0, 21_600_000, 43_200_000, 64_800_000, 86_400_000]);
    }

    #[test]
    fn px_fn_maps_like_px() {
        let s = Scale {
            d0: 10.0,
            d1: 30.0,
            r0: 100.0,
            r1: 0.0,
        };
        let f = s.px_fn();
        for d in [10.0, 15.0, 30.0, -5.0] {
            assert!((f(d) - s.px(d)).abs() < 1e-12, "{d}");
        }
        let flat = Scale { d1: 10.0, ..s };
        assert_eq!(flat.px_fn()(123.0), 50.0);
    }

    #[test]
    fn value_range_starts_at_zero_with_headroom() {
        assert_eq!(value_range(&[2.0, 10.0, f64::NAN]), (0.0, 11.0));
        assert_eq!(value_range(&[-5.0, 5.0]), (-5.0, 6.0));
        assert_eq!(value_range(&[]), (0.0, 1.0));
        assert_eq!(value_range(&[0.0, 0.0]), (0.0, 1.0));
    }

    /// x: 1 px per ms from 0; y: 1 px per unit, downwards from 100.
    const X: Scale = Scale {
        d0: 0.0,
        d1: 100.0,
        r0: 0.0,
        r1: 100.0,
    };
    const Y: Scale = Scale {
        d0: 0.0,
        d1: 100.0,
        r0: 100.0,
        r1: 0.0,
    };

    /// `line_runs` over points `(x px, y value)` given as (ms, value) on
    /// the [`X`] and [`Y`] scales, back in value units for readability.
    fn runs(points: &[(f64, f64)], max_gap_px: f64) -> Vec<Vec<(f64, f64)>> {
        // Times in tenths of a px, as the scale needs whole ms.
        let x = Scale { d1: 1_000.0, ..X };
        let times: Vec<i64> = points.iter().map(|p| (p.0 * 10.0).round() as i64).collect();
        let values: Vec<f64> = points.iter().map(|p| p.1).collect();
        line_runs(&times, &values, &x, &Y, max_gap_px)
            .into_iter()
            .map(|run| {
                run.into_iter()
                    .map(|(x, y)| (round(x), round(100.0 - y)))
                    .collect()
            })
            .collect()
    }

    /// `v` to 9 decimals: what a test can spell.
    fn round(v: f64) -> f64 {
        (v * 1e9).round() / 1e9
    }

    /// Every point through a [`Sleeve`] of `tolerance`.
    fn simplify(points: &[(f64, f64)], tolerance: f64) -> Vec<(f64, f64)> {
        let mut sleeve = Sleeve::new(tolerance);
        points.iter().for_each(|&p| sleeve.push(p));
        sleeve.finish()
    }

    #[test]
    fn a_pixel_column_keeps_its_first_lowest_highest_and_last_points() {
        // Five points in pixel column 0, two in column 1.
        let pts = [
            (0.1, 5.0),
            (0.2, 9.0),
            (0.3, 1.0),
            (0.4, 4.0),
            (0.5, 3.0),
            (1.2, 2.0),
            (1.7, 6.0),
        ];
        assert_eq!(
            runs(&pts, 10.0),
            vec![vec![
                (0.1, 5.0),
                (0.2, 9.0),
                (0.3, 1.0),
                (0.5, 3.0),
                (1.2, 2.0),
                (1.7, 6.0)
            ]]
        );
    }

    #[test]
    fn missing_or_distant_points_break_the_line() {
        let pts = [
            (0.0, 1.0),
            (1.0, f64::NAN),
            (2.0, 3.0),
            (3.0, 4.0),
            (50.0, 4.0),
        ];
        assert_eq!(
            runs(&pts, 10.0),
            vec![
                vec![(0.0, 1.0)],
                vec![(2.0, 3.0), (3.0, 4.0)],
                vec![(50.0, 4.0)]
            ]
        );
        assert!(runs(&[(1.0, f64::NAN)], 10.0).is_empty());
        assert!(runs(&[], 10.0).is_empty());
    }

    #[test]
    fn line_runs_map_times_and_values_to_pixels() {
        // 10 px per second from t = 0; values 0..10 onto 100..0 px.
        let x = Scale { d1: 10_000.0, ..X };
        let y = Scale { d1: 10.0, ..Y };
        let times = [0, 1_000, 2_000, 3_000];
        let values = [1.0, 2.0, 3.0, 7.0];
        // Straight from 0 to 2 s: the middle point goes.
        assert_eq!(
            line_runs(&times, &values, &x, &y, 25.0),
            vec![vec![(0.0, 90.0), (20.0, 70.0), (30.0, 30.0)]]
        );
    }

    /// The largest vertical distance from `points` to the polyline through
    /// `kept` (both sorted by x): for each point, to the nearest segment
    /// over its x (a vertical segment covers an interval of y).
    fn max_error(points: &[(f64, f64)], kept: &[(f64, f64)]) -> f64 {
        points
            .iter()
            .map(|&(x, y)| {
                kept.windows(2)
                    .filter(|w| w[0].0 <= x && x <= w[1].0)
                    .map(|w| {
                        let (a, b) = (w[0], w[1]);
                        if b.0 == a.0 {
                            (y.clamp(a.1.min(b.1), a.1.max(b.1)) - y).abs()
                        } else {
                            (a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0) - y).abs()
                        }
                    })
                    .fold(f64::INFINITY, f64::min)
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn a_straight_stretch_becomes_its_ends() {
        let line: Vec<(f64, f64)> = (0..100)
            .map(|i| (f64::from(i), 3.0 + 0.5 * f64::from(i)))
            .collect();
        assert_eq!(simplify(&line, 0.25), vec![(0.0, 3.0), (99.0, 52.5)]);
    }

    #[test]
    fn corners_and_spikes_stay() {
        let points = [
            (0.0, 10.0),
            (1.0, 10.0),
            (2.0, 10.0),
            (3.0, 50.0),
            (4.0, 10.0),
            (5.0, 10.0),
            (6.0, 10.0),
        ];
        assert_eq!(
            simplify(&points, 0.5),
            vec![
                (0.0, 10.0),
                (2.0, 10.0),
                (3.0, 50.0),
                (4.0, 10.0),
                (6.0, 10.0)
            ]
        );
    }

    #[test]
    fn every_dropped_point_is_within_the_tolerance() {
        // A curve with noise, and a pixel column of min/max points.
        let mut points: Vec<(f64, f64)> = (0..400)
            .map(|i| {
                let x = f64::from(i) * 1.3;
                let jitter = f64::from((i * 7919) % 13) * 0.05;
                (x, 60.0 + 40.0 * (x / 37.0).sin() + jitter)
            })
            .collect();
        points.insert(200, (points[199].0, 5.0));
        for tolerance in [0.1, 0.5, 2.0] {
            let kept = simplify(&points, tolerance);
            assert!(kept.len() < points.len(), "nothing dropped at {tolerance}");
            assert_eq!(kept.first(), points.first());
            assert_eq!(kept.last(), points.last());
            assert!(kept.contains(&(points[199].0, 5.0)), "the spike is kept");
            let error = max_error(&points, &kept);
            assert!(error <= tolerance + 1e-9, "error {error} at {tolerance}");
        }
    }

    #[test]
    fn short_lines_and_repeats_are_kept_as_they_are() {
        assert!(simplify(&[], 0.5).is_empty());
        assert_eq!(simplify(&[(1.0, 2.0)], 0.5), vec![(1.0, 2.0)]);
        assert_eq!(simplify(&[(1.0, 2.0), (1.0, 2.0)], 0.5), vec![(1.0, 2.0)]);
        assert_eq!(
            simplify(&[(1.0, 2.0), (1.0, 4.0)], 0.5),
            vec![(1.0, 2.0), (1.0, 4.0)]
        );
    }

    #[test]
    fn the_crosshair_snaps_to_the_nearest_sample_within_reach() {
        let times = [1000, 2000, 3000];
        assert_eq!(nearest(&times, 2400, 600), Some(1));
        assert_eq!(nearest(&times, 2600, 600), Some(2));
        assert_eq!(nearest(&times, 5000, 600), None);
        assert_eq!(nearest(&[], 5000, 600), None);
    }
}
