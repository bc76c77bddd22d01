//! The statistics of the judge, by hand: the Mann–Whitney U test and the
//! Hodges–Lehmann shift with its confidence interval, as R's
//! `wilcox.test(x, y, exact = FALSE, correct = TRUE, conf.int = TRUE)`
//! computes them, plus the normal distribution they rest on.
//!
//! Written here rather than taken from a statistics crate: they are a few
//! hundred lines, and the engine ships in a wasm bundle with a size budget.
//!
//! Everything is O((n + m) log(n + m)) or close: the shift and its interval
//! are order statistics of the n·m pairwise differences, found by a binary
//! search over `f64` values with a linear count per step, so a day of
//! 5-second intervals (17,280 per variant, 3·10⁸ differences) never
//! materialises the differences.

use serde::Serialize;

/// The outcome of a two-sided Mann–Whitney U test.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MannWhitney {
    /// R's `W`: the rank sum of `x` minus n(n+1)/2, i.e. the number of
    /// pairs with x > y plus half the ties.
    pub w: f64,
    /// The standardised statistic, tie- and continuity-corrected.
    pub z: f64,
    /// The two-sided p-value from the normal approximation.
    pub p: f64,
}

/// The location shift of `x` against `y` and its confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Shift {
    /// Hodges–Lehmann estimate: the median of all pairwise differences
    /// x_i − y_j.
    pub estimate: f64,
    /// Lower end of the confidence interval.
    pub lower: f64,
    /// Upper end of the confidence interval.
    pub upper: f64,
}

/// The median of `values` (sorted or not); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let sorted = sorted(values);
    let n = sorted.len();
    (n > 0).then(|| (sorted[(n - 1) / 2] + sorted[n / 2]) / 2.0)
}

/// The two-sided Mann–Whitney U test of `x` against `y` (NaNs dropped), as
/// R's `wilcox.test(x, y, exact = FALSE, correct = TRUE)`: normal
/// approximation with the tie correction of the variance and a continuity
/// correction of ½ towards zero. `None` when a sample is empty.
///
/// When every observation is tied the variance is 0 and R's z is NaN;
/// here the samples are indistinguishable, so z = 0 and p = 1.
pub fn mann_whitney(x: &[f64], y: &[f64]) -> Option<MannWhitney> {
    let (x, y) = (sorted(x), sorted(y));
    if x.is_empty() || y.is_empty() {
        return None;
    }
    let Some(z) = standardised(&x, &y, 0.0) else {
        let w = x.len() as f64 * y.len() as f64 / 2.0;
        return Some(MannWhitney { w, z: 0.0, p: 1.0 });
    };
    let w = u_statistic(&x, &y, 0.0);
    let p = (2.0 * normal_cdf(-z.abs())).min(1.0);
    Some(MannWhitney { w, z, p })
}

/// The Hodges–Lehmann shift of `x` against `y` (NaNs dropped) with its
/// two-sided confidence interval at `confidence` (0.98 for 98 %), as R's
/// `wilcox.test(x, y, exact = FALSE, correct = TRUE, conf.int = TRUE)`.
/// `None` when a sample is empty.
///
/// The interval is R's: the shifts d at which the corrected statistic of
/// `x − d` against `y` crosses ∓z₁₋α/₂, or the range of the pairwise
/// differences where it never does. That statistic only changes at a
/// pairwise difference, so each end is exactly one (R's `uniroot` finds it
/// to within 10⁻⁴). The estimate is the median of the pairwise
/// differences, which R's asymptotic estimate (a root of the uncorrected
/// statistic) approximates. With every observation tied (R stops there)
/// the shift is 0, exactly.
pub fn hodges_lehmann(x: &[f64], y: &[f64], confidence: f64) -> Option<Shift> {
    let (x, y) = (sorted(x), sorted(y));
    if x.is_empty() || y.is_empty() {
        return None;
    }
    let pairs = x.len() as u64 * y.len() as u64;
    let middle = |k| kth_difference(&x, &y, k);
    let estimate = if pairs % 2 == 1 {
        middle(pairs / 2 + 1)
    } else {
        (middle(pairs / 2) + middle(pairs / 2 + 1)) / 2.0
    };
    let sigma = sigma(&x, &y, ties(&x) + ties(&y));
    if sigma == 0.0 {
        return Some(Shift {
            estimate,
            lower: estimate,
            upper: estimate,
        });
    }
    let zq = normal_quantile(1.0 - (1.0 - confidence) / 2.0);
    let (lowest, highest) = (x[0] - y[y.len() - 1], x[x.len() - 1] - y[0]);
    // W(d) − zq at the ends, ties included, as R checks before `uniroot`.
    let at = |d: f64| standardised(&x, &y, d).unwrap_or(0.0);
    let (w_lowest, w_highest) = (at(lowest), at(highest));
    let root = |zq: f64| {
        if w_lowest - zq <= 0.0 {
            return lowest;
        }
        if w_highest - zq >= 0.0 {
            return highest;
        }
        // Between two pairwise differences, with c of them ≤ d, the count
        // of pairs above d is U = n·m − c and W = (dz − ½·sign dz) / σ with
        // dz = n·m/2 − c. W falls as c grows: the root is the c-th
        // difference for the smallest c with W ≤ zq.
        let half = pairs as f64 / 2.0;
        let bound = zq * sigma;
        let c = if bound >= 0.0 {
            // dz > 0 side (or dz = 0, where W = 0 ≤ bound).
            (half - bound - 0.5).ceil()
        } else {
            (half - bound + 0.5).ceil()
        };
        middle((c.max(1.0) as u64).min(pairs))
    };
    Some(Shift {
        estimate,
        lower: root(zq),
        upper: root(-zq),
    })
}

/// The standard normal distribution function Φ(z), to about 1e-14
/// (Hart's algorithm as given by West, "Better approximations to
/// cumulative normal functions", 2005).
pub fn normal_cdf(z: f64) -> f64 {
    let a = z.abs();
    let tail = if a > 37.0 {
        0.0
    } else if a < 7.071_067_811_865_47 {
        let e = (-a * a / 2.0).exp();
        let num = [
            0.035_262_496_599_891_1,
            0.700_383_064_443_688,
            6.373_962_203_531_65,
            33.912_866_078_383,
            112.079_291_497_871,
            221.213_596_169_931,
            220.206_867_912_376,
        ]
        .iter()
        .fold(0.0, |acc, c| acc * a + c);
        let den = [
            0.088_388_347_648_318_4,
            1.755_667_163_182_64,
            16.064_177_579_207,
            86.780_732_202_946_1,
            296.564_248_779_674,
            637.333_633_378_831,
            793.826_512_519_948,
            440.413_735_824_752,
        ]
        .iter()
        .fold(0.0, |acc, c| acc * a + c);
        e * num / den
    } else {
        let e = (-a * a / 2.0).exp();
        let b = a + 1.0 / (a + 2.0 / (a + 3.0 / (a + 4.0 / (a + 0.65))));
        e / b / 2.506_628_274_631
    };
    if z > 0.0 { 1.0 - tail } else { tail }
}

/// The standard normal quantile Φ⁻¹(p) for 0 < p < 1: Acklam's rational
/// approximation, refined by one Halley step on [`normal_cdf`] to full
/// precision.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let poly = |coefs: &[f64], x: f64| coefs.iter().fold(0.0, |acc, c| acc * x + c);
    let tail = |q: f64| {
        let r = (-2.0 * q.ln()).sqrt();
        poly(&C, r) / (poly(&D, r) * r + 1.0)
    };
    let x = if p < 0.024_25 {
        tail(p)
    } else if p > 1.0 - 0.024_25 {
        -tail(1.0 - p)
    } else {
        let q = p - 0.5;
        let r = q * q;
        poly(&A, r) * q / (poly(&B, r) * r + 1.0)
    };
    let u = (normal_cdf(x) - p) * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// `values` without NaNs, in ascending order.
fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// Σ (t³ − t) over the runs of equal values of a sorted sample.
fn ties(sorted: &[f64]) -> f64 {
    sorted
        .chunk_by(|a, b| a == b)
        .map(|run| {
            let t = run.len() as f64;
            t * t * t - t
        })
        .sum()
}

/// The tie-corrected standard deviation of U under the null hypothesis.
fn sigma(x: &[f64], y: &[f64], ties: f64) -> f64 {
    let (n, m) = (x.len() as f64, y.len() as f64);
    let total = n + m;
    // Both samples are non-empty, so total ≥ 2.
    let correction = ties / (total * (total - 1.0));
    (n * m / 12.0 * (total + 1.0 - correction)).max(0.0).sqrt()
}

/// U of `x − d` against `y`: pairs with x − d > y, plus half the ties.
fn u_statistic(x: &[f64], y: &[f64], d: f64) -> f64 {
    let mut below = 0;
    let mut not_above = 0;
    let (mut lo, mut hi) = (0, 0);
    for &xi in x {
        let v = xi - d;
        while lo < y.len() && y[lo] < v {
            lo += 1;
        }
        while hi < y.len() && y[hi] <= v {
            hi += 1;
        }
        below += lo;
        not_above += hi;
    }
    (below + not_above) as f64 / 2.0
}

/// R's standardised statistic of `x − d` against `y` (both sorted): the
/// centred U, continuity-corrected, over its tie-corrected σ. `None` when
/// σ is 0 (every observation tied).
fn standardised(x: &[f64], y: &[f64], d: f64) -> Option<f64> {
    let shifted: Vec<f64> = x.iter().map(|v| v - d).collect();
    let mut all = [shifted.as_slice(), y].concat();
    all.sort_unstable_by(f64::total_cmp);
    let sigma = sigma(x, y, ties(&all));
    if sigma == 0.0 {
        return None;
    }
    let dz = u_statistic(x, y, d) - x.len() as f64 * y.len() as f64 / 2.0;
    // R's `sign(dz) * 0.5`: no correction at dz = 0.
    let correction = if dz != 0.0 { dz.signum() * 0.5 } else { 0.0 };
    Some((dz - correction) / sigma)
}

/// The k-th smallest (1-based) of the pairwise differences x_i − y_j of two
/// sorted samples, found by binary search over the `f64`s in their total
/// order, each step counting the differences ≤ a candidate in linear time.
fn kth_difference(x: &[f64], y: &[f64], k: u64) -> f64 {
    let (mut lo, mut hi) = (
        order_key(x[0] - y[y.len() - 1]),
        order_key(x[x.len() - 1] - y[0]),
    );
    // Invariant: count(≤ hi) ≥ k; the answer is the least such key.
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if count_at_most(x, y, from_order_key(mid)) >= k {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    // `+ 0.0` turns a −0 (the least key equal to 0) into 0.
    from_order_key(lo) + 0.0
}

/// How many differences x_i − y_j are ≤ `t`. For a fixed x_i they are ≤ t
/// for a suffix of the sorted y, which starts later as x_i grows.
fn count_at_most(x: &[f64], y: &[f64], t: f64) -> u64 {
    let mut start = 0;
    let mut count = 0;
    for &xi in x {
        while start < y.len() && xi - y[start] > t {
            start += 1;
        }
        count += (y.len() - start) as u64;
    }
    count
}

/// A key whose unsigned order is the numeric order of finite `f64`s.
fn order_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The inverse of [`order_key`].
fn from_order_key(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts `actual` equals `expected` to 1e-9 relative.
    #[track_caller]
    fn close(actual: f64, expected: f64) {
        let tolerance = 1e-9 * expected.abs().max(1.0);
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} is not {expected}"
        );
    }

    /// R's `airquality` Ozone (ppb) for May and August, `NA` as NaN: the
    /// data of the example in R's `?wilcox.test`.
    const NA: f64 = f64::NAN;
    const MAY: [f64; 31] = [
        41., 36., 12., 18., NA, 28., 23., 19., 8., NA, 7., 16., 11., 14., 18., 14., 34., 6., 30.,
        11., 1., 11., 4., 32., NA, NA, NA, 23., 45., 115., 37.,
    ];
    const AUGUST: [f64; 31] = [
        39., 9., 16., 78., 35., 66., 122., 89., 110., NA, NA, 44., 28., 65., NA, 22., 59., 23.,
        31., 44., 21., 9., NA, 45., 168., 73., NA, 76., 118., 84., 85.,
    ];

    #[test]
    fn the_normal_distribution_matches_published_tables() {
        close(normal_cdf(0.0), 0.5);
        close(normal_cdf(1.0), 0.841_344_746_068_542_9);
        close(normal_cdf(-3.0), 0.001_349_898_031_630_094_6);
        close(normal_cdf(-8.0), 6.220_960_574_271_784e-16);
        close(normal_quantile(0.975), 1.959_963_984_540_054);
        close(normal_quantile(0.99), 2.326_347_874_040_841);
        close(normal_quantile(0.001), -3.090_232_306_167_813_5);
    }

    #[test]
    fn mann_whitney_matches_r_on_its_own_airquality_example() {
        // R: wilcox.test(Ozone ~ Month, data = airquality,
        //                subset = Month %in% c(5, 8))
        // "W = 127.5, p-value = 0.0001208" (tied values: normal
        // approximation with continuity correction). The NAs are dropped.
        let test = mann_whitney(&MAY, &AUGUST).unwrap();
        assert_eq!(test.w, 127.5);
        assert!((test.p - 0.000_120_8).abs() < 5e-8, "{}", test.p);
    }

    #[test]
    fn mann_whitney_with_ties_by_hand() {
        // x = 1..5, y = 3..8. Pooled ranks: 1→1, 2→2, 3→3.5 (twice),
        // 4→5.5 (twice), 5→7.5 (twice), 6→9, 7→10, 8→11.
        // W = (1 + 2 + 3.5 + 5.5 + 7.5) − 5·6/2 = 4.5; centred: 4.5 − 15 = −10.5.
        // Three pairs of ties: Σ(t³ − t) = 18; σ² = (30/12)(12 − 18/110).
        // z = (−10.5 + 0.5)/σ = −1.838 320…, p = 2Φ(z).
        let test = mann_whitney(&[1., 2., 3., 4., 5.], &[3., 4., 5., 6., 7., 8.]).unwrap();
        let sigma = (30.0_f64 / 12.0 * (12.0 - 18.0 / 110.0)).sqrt();
        assert_eq!(test.w, 4.5);
        close(test.z, -10.0 / sigma);
        close(test.p, 2.0 * normal_cdf(-10.0 / sigma));
        close(test.p, 0.066_015_431_521_231);
    }

    #[test]
    fn mann_whitney_of_single_observations_and_identical_samples_finds_nothing() {
        // n = 1 each: W = 1, centred 0.5, corrected to 0: p = 1 (as R).
        let one = mann_whitney(&[3.0], &[1.0]).unwrap();
        assert_eq!((one.w, one.z, one.p), (1.0, 0.0, 1.0));
        let same = mann_whitney(&[1., 2., 3., 4., 5.], &[5., 4., 3., 2., 1.]).unwrap();
        assert_eq!((same.w, same.p), (12.5, 1.0));
        // All observations tied: R's z is 0/0; here p = 1.
        let zeros = mann_whitney(&[0.0; 4], &[0.0; 7]).unwrap();
        assert_eq!((zeros.w, zeros.z, zeros.p), (14.0, 0.0, 1.0));
        assert_eq!(mann_whitney(&[], &[1.0]), None);
        assert_eq!(mann_whitney(&[NA], &[1.0]), None, "NaNs are dropped");
    }

    #[test]
    fn hodges_lehmann_interval_matches_r_on_airquality() {
        // R's interval is the shifts where W crosses ∓z; both ends are
        // pairwise differences (R's uniroot returns them to 1e-4). Values
        // from a line-by-line transcription of R's algorithm, bisected.
        let s95 = hodges_lehmann(&MAY, &AUGUST, 0.95).unwrap();
        assert_eq!((s95.estimate, s95.lower, s95.upper), (-32.0, -53.0, -15.0));
        let s98 = hodges_lehmann(&MAY, &AUGUST, 0.98).unwrap();
        assert_eq!((s98.estimate, s98.lower, s98.upper), (-32.0, -55.0, -12.0));
        // Swapping the samples mirrors the shift.
        let back = hodges_lehmann(&AUGUST, &MAY, 0.95).unwrap();
        assert_eq!((back.estimate, back.lower, back.upper), (32.0, 15.0, 53.0));
    }

    #[test]
    fn hodges_lehmann_by_hand() {
        // x = 1..5, y = 3..8: the 30 differences x − y run from −7 to 2,
        // their median is −2.5. No ties within a sample: σ = √30. At 95 %,
        // zσ = 10.74: the lower end is the ⌈15 − 10.74 − 0.5⌉ = 4th
        // smallest difference (−7, −6, −6, −5: −5), the upper the
        // ⌈15 + 10.74 + 0.5⌉ = 27th (0).
        let x = [1., 2., 3., 4., 5.];
        let y = [3., 4., 5., 6., 7., 8.];
        let s = hodges_lehmann(&x, &y, 0.95).unwrap();
        assert_eq!((s.estimate, s.lower, s.upper), (-2.5, -5.0, 0.0));
        // At 98 %, zσ = 12.74: the 2nd (−6) and 29th (1) differences.
        let s = hodges_lehmann(&x, &y, 0.98).unwrap();
        assert_eq!((s.estimate, s.lower, s.upper), (-2.5, -6.0, 1.0));
    }

    #[test]
    fn hodges_lehmann_at_the_edges() {
        // A lone canary observation against ten: the interval is the whole
        // range of differences (R: "in extreme cases we need to return
        // endpoints"), the estimate the median difference.
        let y = [1., 2., 3., 4., 6., 7., 8., 9., 10., 11.];
        let s = hodges_lehmann(&[5.0], &y, 0.98).unwrap();
        assert_eq!((s.estimate, s.lower, s.upper), (-1.5, -6.0, 4.0));
        // One observation each: the single difference (R stops, as every
        // observation is tied at that shift).
        let s = hodges_lehmann(&[3.0], &[1.0], 0.98).unwrap();
        assert_eq!((s.estimate, s.lower, s.upper), (2.0, 2.0, 2.0));
        // Identical samples: no shift, a symmetric interval.
        let same = [1., 2., 3., 4., 5.];
        let s = hodges_lehmann(&same, &same, 0.98).unwrap();
        assert_eq!((s.estimate, s.lower, s.upper), (0.0, -4.0, 4.0));
        // All zeros: exactly 0, never −0.
        let s = hodges_lehmann(&[0.0; 60], &[0.0; 60], 0.98).unwrap();
        assert_eq!((s.estimate, s.lower, s.upper), (0.0, 0.0, 0.0));
        assert!(s.estimate.is_sign_positive());
        assert_eq!(hodges_lehmann(&[NA, NA], &[1.0], 0.98), None);
    }

    #[test]
    fn the_shift_of_large_samples_is_found_without_listing_the_differences() {
        // 20,000 × 20,000 differences; y is x shifted by 3, so the
        // estimate is exactly 3.
        let x: Vec<f64> = (0..20_000).map(|i| f64::from(i % 997) * 0.5).collect();
        let y: Vec<f64> = x.iter().map(|v| v - 3.0).collect();
        let s = hodges_lehmann(&x, &y, 0.98).unwrap();
        assert_eq!(s.estimate, 3.0);
        assert!(s.lower <= 3.0 && 3.0 <= s.upper, "{s:?}");
    }

    #[test]
    fn median_ignores_nans_and_averages_the_middle_pair() {
        assert_eq!(median(&[3.0, NA, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[NA]), None);
    }
}
