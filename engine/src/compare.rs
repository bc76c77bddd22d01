//! Canary against production on one chart: both overlaid, or one line per
//! series of canary − production or canary ÷ production, so a difference
//! the overlay hides between two close lines reads off a 0 or a 1.0 line.
//!
//! Missing is not zero here either: a compared point is a gap wherever
//! either side has no value, and a ratio is a gap where production is 0
//! (never ∞, never 0/0). A series only one side has is all gaps, and
//! [`Compared::missing`] says why, so the chart can tell "not drawn: the
//! canary has no 500s" from a line at 0.

use crate::{
    series::Series,
    units::{AxisLabels, Unit},
};

/// How a chart shows the two variants.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Both variants' lines: production solid, canary dashed.
    #[default]
    Overlay,
    /// Canary − production, per series, around a 0 line.
    Difference,
    /// Canary ÷ production, per series, around a 1.0 line.
    Ratio,
}

impl Mode {
    /// Every mode, in the order the chart's control offers them.
    pub const ALL: [Mode; 3] = [Mode::Overlay, Mode::Difference, Mode::Ratio];

    /// The URL spelling (`cmp=latency:ratio`).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Overlay => "overlay",
            Mode::Difference => "diff",
            Mode::Ratio => "ratio",
        }
    }

    /// Reads the URL spelling ([`Mode::as_str`]).
    pub fn parse(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// What the chart's control calls the mode.
    pub fn title(self) -> &'static str {
        match self {
            Mode::Overlay => "overlay",
            Mode::Difference => "canary − production",
            Mode::Ratio => "canary ÷ production",
        }
    }

    /// The legend label of series `name` compared: `p95 canary − production`.
    pub fn label(self, name: &str) -> String {
        match self {
            Mode::Overlay => name.to_owned(),
            _ => format!("{name} {}", self.title()),
        }
    }

    /// The value the compared lines sit on when the variants agree, drawn
    /// as a reference line: 0 for a difference, 1.0 for a ratio.
    pub fn reference(self) -> Option<f64> {
        match self {
            Mode::Overlay => None,
            Mode::Difference => Some(0.0),
            Mode::Ratio => Some(1.0),
        }
    }

    /// The unit of the values shown for a chart in `unit`: a difference
    /// keeps it, a ratio has none of its own ([`Unit::Ratio`]).
    pub fn unit(self, unit: Unit) -> Unit {
        match self {
            Mode::Ratio => Unit::Ratio,
            _ => unit,
        }
    }

    /// A value as the tooltip and the summary table write it: a difference
    /// with its sign (`+1.00/s`, `-5.00 ms`, `0/s`), a ratio as `1.24×`.
    pub fn format(self, unit: Unit, v: f64) -> String {
        let text = self.unit(unit).format(v);
        if self == Mode::Difference && v > 0.0 {
            format!("+{text}")
        } else {
            text
        }
    }

    /// The value axis' labels ([`Unit::axis`]), signed for a difference
    /// (`-1`, `0`, `+1`), in `×` for a ratio.
    pub fn axis(self, unit: Unit, ticks: &[f64]) -> AxisLabels {
        let mut axis = self.unit(unit).axis(ticks);
        if self == Mode::Difference {
            for (label, tick) in axis.ticks.iter_mut().zip(ticks) {
                if *tick > 0.0 {
                    label.insert(0, '+');
                }
            }
        }
        axis
    }

    /// One compared point from canary's and production's values and
    /// whether each is only a floor: the value (NaN for a gap) and whether
    /// it is only a floor.
    ///
    /// A floor (a quantile in the `+Inf` bucket: the truth is at least the
    /// value) carries through only where the bound keeps its direction:
    /// canary's floor against an exact production is a floor of the
    /// difference (c' ≥ c gives c' − p ≥ c − p) and, production being
    /// positive, of the ratio. Against production's floor the compared
    /// value is a ceiling (p' ≥ p gives c − p' ≤ c − p), and with both
    /// floors its direction is unknown; the chart can only say "≥", so a
    /// ceiling would be misread as a floor, and those points are gaps (the
    /// overlay still shows both floors).
    fn point(self, (c, c_floor): (f64, bool), (p, p_floor): (f64, bool)) -> (f64, bool) {
        let value = match self {
            _ if c.is_nan() || p.is_nan() || p_floor => f64::NAN,
            Mode::Ratio if p == 0.0 => f64::NAN,
            Mode::Ratio => c / p,
            _ => c - p,
        };
        (value, c_floor && !value.is_nan())
    }
}

/// The compared series of a chart, and why any of them draws nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct Compared {
    /// One series per name either variant has (production's order, then
    /// canary's others), named as the variants name it.
    pub series: Vec<Series>,
    /// Per series with no compared point, why: `500: production has no
    /// data`, `5xx: production is 0` (a ratio), `p99: production is only a
    /// floor (≥)`, `p50: no point where both have a value`.
    pub missing: Vec<String>,
}

/// Pairs `production`'s and `canary`'s series (on the same grid) by name
/// and compares each point in `mode`; `None` for [`Mode::Overlay`], which
/// compares nothing. O(points), after the per-variant series caches.
pub fn compare(mode: Mode, production: &[Series], canary: &[Series]) -> Option<Compared> {
    if mode == Mode::Overlay {
        return None;
    }
    let mut names: Vec<&str> = production.iter().map(|s| s.name.as_str()).collect();
    for s in canary {
        if !names.contains(&s.name.as_str()) {
            names.push(&s.name);
        }
    }
    let mut missing = Vec::new();
    let series = names
        .into_iter()
        .map(|name| {
            let (p, c) = (named(production, name), named(canary, name));
            let len = p
                .map_or(0, |s| s.values.len())
                .max(c.map_or(0, |s| s.values.len()));
            let at = |s: Option<&Series>, i: usize| {
                s.and_then(|s| Some((*s.values.get(i)?, *s.at_least.get(i)?)))
                    .unwrap_or((f64::NAN, false))
            };
            let pairs: Vec<Pair> = (0..len).map(|i| (at(c, i), at(p, i))).collect();
            let (values, at_least): (Vec<f64>, Vec<bool>) =
                pairs.iter().map(|&(c, p)| mode.point(c, p)).unzip();
            if values.iter().all(|v| v.is_nan()) {
                missing.extend(why_missing(name, &pairs));
            }
            Series {
                name: name.to_owned(),
                values,
                at_least,
            }
        })
        .collect();
    Some(Compared { series, missing })
}

/// The series of `side` called `name`.
fn named<'a>(side: &'a [Series], name: &str) -> Option<&'a Series> {
    side.iter().find(|s| s.name == name)
}

/// One grid point of a series: canary's and production's (value, only a
/// floor), NaN where a side has none.
type Pair = ((f64, bool), (f64, bool));

/// Why series `name`, with these points, compares to no point at all;
/// `None` when neither side has data (the overlay draws nothing either,
/// so there is nothing to explain). Where both have a value a point is a
/// gap only over production's floor or, for a ratio, its 0.
fn why_missing(name: &str, pairs: &[Pair]) -> Option<String> {
    let has = |side: fn(&Pair) -> f64| pairs.iter().any(|p| !side(p).is_nan());
    let both: Vec<bool> = pairs
        .iter()
        .filter(|((c, _), (p, _))| !c.is_nan() && !p.is_nan())
        .map(|(_, (_, floor))| *floor)
        .collect();
    let floors = both.iter().filter(|f| **f).count();
    let reason = match (has(|p| p.1.0), has(|p| p.0.0)) {
        (false, false) => return None,
        (false, true) => "production has no data",
        (true, false) => "canary has no data",
        _ if both.is_empty() => "no point where both have a value",
        _ if floors == both.len() => "production is only a floor (≥)",
        _ if floors == 0 => "production is 0",
        _ => "production is 0 or only a floor (≥)",
    };
    Some(format!("{name}: {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GAP: f64 = f64::NAN;

    fn series(name: &str, values: &[f64]) -> Series {
        Series {
            name: name.to_owned(),
            values: values.to_vec(),
            at_least: vec![false; values.len()],
        }
    }

    fn floors(name: &str, values: &[f64], at_least: &[bool]) -> Series {
        Series {
            at_least: at_least.to_vec(),
            ..series(name, values)
        }
    }

    /// Values with gaps spelt `None`, comparable with `assert_eq!`.
    fn points(s: &Series) -> Vec<Option<f64>> {
        s.values
            .iter()
            .map(|v| (!v.is_nan()).then_some(*v))
            .collect()
    }

    fn run(mode: Mode, production: &[Series], canary: &[Series]) -> Compared {
        compare(mode, production, canary).expect("a comparing mode")
    }

    #[test]
    fn modes_round_trip_their_url_spelling_and_overlay_compares_nothing() {
        for mode in Mode::ALL {
            assert_eq!(Mode::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(Mode::parse("difference"), None);
        assert_eq!(Mode::parse("Ratio"), None);
        assert_eq!(compare(Mode::Overlay, &[series("200", &[1.0])], &[]), None);
    }

    #[test]
    fn difference_and_ratio_pair_lines_by_name() {
        // Canary 2 req/s against production 1 req/s: difference 2 − 1 = 1,
        // ratio 2 ÷ 1 = 2; 3 against 4: −1 and 0.75. The canary's lines
        // come in another order, and are paired by name, not position.
        let production = [series("200", &[1.0, 4.0]), series("5xx", &[0.5, 0.5])];
        let canary = [series("5xx", &[1.0, 0.0]), series("200", &[2.0, 3.0])];
        let diff = run(Mode::Difference, &production, &canary);
        assert_eq!(diff.series[0].name, "200");
        assert_eq!(points(&diff.series[0]), [Some(1.0), Some(-1.0)]);
        // 5xx: 1 − 0.5 = 0.5; 0 − 0.5 = −0.5.
        assert_eq!(points(&diff.series[1]), [Some(0.5), Some(-0.5)]);
        let ratio = run(Mode::Ratio, &production, &canary);
        assert_eq!(points(&ratio.series[0]), [Some(2.0), Some(0.75)]);
        // 5xx: 1 ÷ 0.5 = 2; a canary 0 is a measured ratio of 0.
        assert_eq!(points(&ratio.series[1]), [Some(2.0), Some(0.0)]);
        assert!(diff.missing.is_empty() && ratio.missing.is_empty());
    }

    #[test]
    fn a_point_missing_on_either_side_is_a_gap_never_zero() {
        // The canary answered from the second point on, production missed
        // the third scrape window: only the second and fourth compare.
        let production = [series("p95", &[100.0, 120.0, GAP, 80.0])];
        let canary = [series("p95", &[GAP, 150.0, 90.0, 80.0])];
        let diff = run(Mode::Difference, &production, &canary);
        // 150 − 120 = 30; 80 − 80 = 0, a measured zero.
        assert_eq!(points(&diff.series[0]), [None, Some(30.0), None, Some(0.0)]);
        let ratio = run(Mode::Ratio, &production, &canary);
        // 150 ÷ 120 = 1.25; 80 ÷ 80 = 1.
        assert_eq!(
            points(&ratio.series[0]),
            [None, Some(1.25), None, Some(1.0)]
        );
    }

    #[test]
    fn a_line_only_one_variant_has_is_all_gaps_and_says_why() {
        let production = [series("200", &[1.0, 1.0])];
        let canary = [series("200", &[1.0, 2.0]), series("500", &[0.5, 0.5])];
        let diff = run(Mode::Difference, &production, &canary);
        assert_eq!(diff.series[1].name, "500");
        assert_eq!(points(&diff.series[1]), [None, None]);
        assert_eq!(diff.missing, ["500: production has no data"]);
        // A series the canary has with no value in the window is no data too.
        let canary = [series("200", &[GAP, GAP])];
        let diff = run(Mode::Difference, &production, &canary);
        assert_eq!(diff.missing, ["200: canary has no data"]);
        // Neither side has data: nothing to explain, as nothing is drawn.
        let diff = run(Mode::Difference, &[series("429", &[GAP])], &[]);
        assert_eq!(points(&diff.series[0]), [None]);
        assert!(diff.missing.is_empty());
    }

    #[test]
    fn a_ratio_over_a_production_zero_is_a_gap_never_infinite() {
        // 1 ÷ 0 would be ∞ and 0 ÷ 0 undefined: both gaps; 1 ÷ 2 = 0.5.
        let production = [series("5xx", &[0.0, 0.0, 2.0])];
        let canary = [series("5xx", &[1.0, 0.0, 1.0])];
        let ratio = run(Mode::Ratio, &production, &canary);
        assert_eq!(points(&ratio.series[0]), [None, None, Some(0.5)]);
        // The difference of the same points is defined: 1, 0, −1.
        let diff = run(Mode::Difference, &production, &canary);
        assert_eq!(points(&diff.series[0]), [Some(1.0), Some(0.0), Some(-1.0)]);
        // Production 0 wherever both have data: the ratio says so.
        let production = [series("5xx", &[0.0, 0.0])];
        let canary = [series("5xx", &[1.0, 0.0])];
        let ratio = run(Mode::Ratio, &production, &canary);
        assert_eq!(ratio.missing, ["5xx: production is 0"]);
        // Both have values but never at the same point: production's 0
        // is not why.
        let production = [series("p50", &[0.0, GAP])];
        let canary = [series("p50", &[GAP, 1.0])];
        let diff = run(Mode::Difference, &production, &canary);
        assert_eq!(diff.missing, ["p50: no point where both have a value"]);
    }

    #[test]
    fn only_a_canary_floor_over_exact_production_stays_a_floor() {
        // Point by point (canary, production): floor 5000 ms over exact
        // 1000 is a difference of at least 4000 and a ratio of at least 5;
        // exact over production's floor would be a ceiling, floor over
        // floor unknown: gaps; exact over exact is exact.
        let production = [floors(
            "p99",
            &[1000.0, 2000.0, 2000.0, 1000.0],
            &[false, true, true, false],
        )];
        let canary = [floors(
            "p99",
            &[5000.0, 3000.0, 5000.0, 1500.0],
            &[true, false, true, false],
        )];
        let diff = run(Mode::Difference, &production, &canary);
        assert_eq!(
            points(&diff.series[0]),
            [Some(4000.0), None, None, Some(500.0)]
        );
        assert_eq!(diff.series[0].at_least, [true, false, false, false]);
        let ratio = run(Mode::Ratio, &production, &canary);
        // 5000 ÷ 1000 = 5, 1500 ÷ 1000 = 1.5.
        assert_eq!(points(&ratio.series[0]), [Some(5.0), None, None, Some(1.5)]);
        assert_eq!(ratio.series[0].at_least, [true, false, false, false]);
        // Production only ever a floor where the canary has a value: said.
        let production = [floors("p99", &[2000.0, 1000.0], &[true, false])];
        let canary = [series("p99", &[3000.0, GAP])];
        let diff = run(Mode::Difference, &production, &canary);
        assert_eq!(diff.missing, ["p99: production is only a floor (≥)"]);
        // A ratio over a floor at one point and a 0 at another.
        let production = [floors("p99", &[2000.0, 0.0], &[true, false])];
        let canary = [series("p99", &[3000.0, 1.0])];
        let ratio = run(Mode::Ratio, &production, &canary);
        assert_eq!(ratio.missing, ["p99: production is 0 or only a floor (≥)"]);
    }

    #[test]
    fn values_read_signed_for_a_difference_and_in_times_for_a_ratio() {
        let req = Unit::PerSecond("req");
        assert_eq!(Mode::Difference.format(req, 1.0), "+1.00/s");
        assert_eq!(Mode::Difference.format(req, -1.0), "-1.00/s");
        assert_eq!(Mode::Difference.format(req, 0.0), "0/s");
        assert_eq!(Mode::Difference.format(req, GAP), crate::units::NO_DATA);
        assert_eq!(Mode::Ratio.format(req, 1.24), "1.24×");
        assert_eq!(Mode::Ratio.format(req, GAP), crate::units::NO_DATA);
        assert_eq!(Mode::Overlay.format(req, 1.0), "1.00/s");
        assert_eq!(Mode::Difference.label("p95"), "p95 canary − production");
        assert_eq!(Mode::Ratio.label("p95"), "p95 canary ÷ production");
    }

    #[test]
    fn the_axis_keeps_the_unit_for_a_difference_and_is_in_times_for_a_ratio() {
        // Ticks −1, 0, 1 req/s: a step of 1, no decimals; positives signed.
        let diff = Mode::Difference.axis(Unit::PerSecond("req"), &[-1.0, 0.0, 1.0]);
        assert_eq!(diff.unit, "req/s");
        assert_eq!(diff.ticks, ["-1", "0", "+1"]);
        // Ticks 0, 0.5, 1, 1.5: a step of 0.5, one decimal.
        let ratio = Mode::Ratio.axis(Unit::Millis, &[0.0, 0.5, 1.0, 1.5]);
        assert_eq!(ratio.unit, "×");
        assert_eq!(ratio.ticks, ["0", "0.5", "1.0", "1.5"]);
    }
}
