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
    let magnitude = 10f64.powf(raw.log10().floor());
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

/// One vertex of a decimated line; `None` breaks the line (a gap).
pub type Vertex = Option<(f64, f64)>;

/// Reduces points `(x_px, y)` sorted by x to at most four vertices per
/// pixel column (first, min, max, last), which draws the same picture as
/// every point. A NaN `y`, or a jump in x of more than `max_gap_px`,
/// becomes a gap so missing data is never bridged by a line.
pub fn decimate(points: &[(f64, f64)], max_gap_px: f64) -> Vec<Vertex> {
    let mut out: Vec<Vertex> = Vec::with_capacity(points.len().min(4096));
    let mut column: Option<Column> = None;
    let mut last_x = f64::NAN;
    for &(x, y) in points {
        if y.is_nan() {
            flush(&mut out, column.take());
            push_gap(&mut out);
            continue;
        }
        if x - last_x > max_gap_px {
            flush(&mut out, column.take());
            push_gap(&mut out);
        }
        last_x = x;
        let px = x.floor();
        match &mut column {
            Some(c) if c.px == px => c.add(x, y),
            _ => {
                flush(&mut out, column.take());
                column = Some(Column::new(px, x, y));
            }
        }
    }
    flush(&mut out, column);
    while out.last() == Some(&None) {
        out.pop();
    }
    out
}

fn push_gap(out: &mut Vec<Vertex>) {
    if out.last().is_some_and(|v| v.is_some()) {
        out.push(None);
    }
}

/// The points of one pixel column, reduced.
struct Column {
    px: f64,
    first: (f64, f64),
    min: (f64, f64),
    max: (f64, f64),
    last: (f64, f64),
}

impl Column {
    fn new(px: f64, x: f64, y: f64) -> Self {
        Column {
            px,
            first: (x, y),
            min: (x, y),
            max: (x, y),
            last: (x, y),
        }
    }

    fn add(&mut self, x: f64, y: f64) {
        if y < self.min.1 {
            self.min = (x, y);
        }
        if y > self.max.1 {
            self.max = (x, y);
        }
        self.last = (x, y);
    }
}

fn flush(out: &mut Vec<Vertex>, column: Option<Column>) {
    let Some(c) = column else { return };
    let (lo, hi) = if c.min.0 <= c.max.0 {
        (c.min, c.max)
    } else {
        (c.max, c.min)
    };
    for v in [c.first, lo, hi, c.last] {
        if out.last() != Some(&Some(v)) {
            out.push(Some(v));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn value_range_starts_at_zero_with_headroom() {
        assert_eq!(value_range(&[2.0, 10.0, f64::NAN]), (0.0, 11.0));
        assert_eq!(value_range(&[-5.0, 5.0]), (-5.0, 6.0));
        assert_eq!(value_range(&[]), (0.0, 1.0));
        assert_eq!(value_range(&[0.0, 0.0]), (0.0, 1.0));
    }

    #[test]
    fn decimation_keeps_extremes_of_each_pixel_column() {
        // Five points in pixel column 0, two in column 1.
        let pts = [
            (0.1, 5.0),
            (0.2, 9.0),
            (0.3, 1.0),
            (0.4, 4.0),
            (0.5, 3.0),
            (1.2, 2.0),
            (1.7, 2.0),
        ];
        let out = decimate(&pts, 10.0);
        assert_eq!(
            out,
            vec![
                Some((0.1, 5.0)),
                Some((0.2, 9.0)),
                Some((0.3, 1.0)),
                Some((0.5, 3.0)),
                Some((1.2, 2.0)),
                Some((1.7, 2.0)),
            ]
        );
    }

    #[test]
    fn missing_data_breaks_the_line() {
        let pts = [(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0), (50.0, 4.0)];
        let out = decimate(&pts, 10.0);
        assert_eq!(
            out,
            vec![
                Some((0.0, 1.0)),
                None,
                Some((2.0, 3.0)),
                None,
                Some((50.0, 4.0))
            ]
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
