//! The latency distribution over a window: per request-duration bucket,
//! the share of a variant's requests that fell in it, and between canary
//! and production the mass that moved from bucket to bucket.
//!
//! Percentiles hide where requests went: a canary can keep p50 and p95
//! while a tenth of its requests move from the 250 ms bucket to the 1 s
//! one. The shares here are exact bucket increases over the window
//! ([`Window::total`]: reset-stitched, never extrapolated), so a table is
//! hand-checkable from two scrapes. The shift is summed up by the largest
//! gap between the two cumulative distributions (a Kolmogorov–Smirnov
//! distance), read as "this many more points of canary's requests take
//! longer than this bound".

use crate::{
    buffer::Window,
    extract::{Family, HistPart, Histogram, Slot},
    promql::Bucket,
    units,
};

/// Fewest requests whose shares are shown: below this one request moves
/// a share by more than 5 points, and a "shift" is noise.
pub const MIN_REQUESTS: f64 = 20.0;

/// What a variant's window says about its latency distribution.
#[derive(Clone, Debug, PartialEq)]
pub enum Reading {
    /// No duration histogram in the window: the proxy does not export it,
    /// or nothing was scraped.
    NoData,
    /// Too few requests for shares: how many the window counted, `None`
    /// when it cannot count any (fewer than two scrapes of one process).
    NotEnough(Option<f64>),
    /// Enough requests: their distribution.
    Measured(Distribution),
}

/// A variant's request-duration histogram over a window: cumulative
/// bucket increases, sorted by bound, raised to their running maximum
/// (summed stitched series can dip by rounding), ending at `+Inf`.
#[derive(Clone, Debug, PartialEq)]
pub struct Distribution {
    cumulative: Vec<Bucket>,
}

impl Distribution {
    /// Builds one from windowed cumulative bucket counts in any order. A
    /// histogram without its `+Inf` bucket (malformed) is read as if
    /// nothing lay past its largest bound.
    pub fn new(mut cumulative: Vec<Bucket>) -> Self {
        crate::sort_short_by(&mut cumulative, |a, b| a.le < b.le);
        let mut max = 0.0_f64;
        for b in &mut cumulative {
            max = max.max(b.count);
            b.count = max;
        }
        if cumulative.last().is_none_or(|b| b.le.is_finite()) {
            cumulative.push(Bucket {
                le: f64::INFINITY,
                count: max,
            });
        }
        Distribution { cumulative }
    }

    /// Requests in the window (the `+Inf` bucket's increase).
    pub fn total(&self) -> f64 {
        self.cumulative.last().map_or(0.0, |b| b.count)
    }

    /// The cumulative count at bound `le`, if the histogram has it.
    fn at(&self, le: f64) -> Option<f64> {
        self.cumulative.iter().find(|b| b.le == le).map(|b| b.count)
    }
}

/// The request-duration reading of `window`: one pass over the bucket
/// slots, each an exact increase (two values per target read).
pub fn reading(window: &Window<'_>) -> Reading {
    if !window.has_family(Family::Duration) {
        return Reading::NoData;
    }
    let cumulative: Vec<Bucket> = window
        .slots(|s| matches!(s, Slot::Hist(Histogram::Duration, HistPart::Bucket(_))))
        .filter_map(|slot| match slot {
            Slot::Hist(_, HistPart::Bucket(bits)) => Some(Bucket {
                le: f64::from_bits(*bits),
                count: window.total(slot)?,
            }),
            _ => None,
        })
        .collect();
    if cumulative.is_empty() {
        // A histogram series appears at its first observation: a watched
        // family without one counted no request.
        return Reading::NotEnough(window.watched(Family::Duration).then_some(0.0));
    }
    let distribution = Distribution::new(cumulative);
    match distribution.total() {
        n if n < MIN_REQUESTS => Reading::NotEnough(Some(n)),
        _ => Reading::Measured(distribution),
    }
}

/// One bucket of the table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Upper bound, seconds (`+Inf` for the last).
    pub le: f64,
    /// What the row covers: `≤ 250 ms`, `> 10 s`.
    pub label: String,
    /// Production's and canary's shares of their requests, percent.
    pub shares: [Option<f64>; 2],
    /// Canary's share less production's, percentage points.
    pub moved: Option<f64>,
    /// Whether the moved mass reads worse for the canary (`Some(false)`:
    /// better; `None`: nothing moved). Past the shift's bound more canary
    /// mass is slower, so worse; at or below it, less is.
    pub worse: Option<bool>,
}

/// The largest gap between the two cumulative distributions, at a bound:
/// the share of each variant's requests that took longer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shift {
    /// The bound, seconds.
    pub over: f64,
    /// Production's requests over the bound, percent.
    pub production: f64,
    /// Canary's requests over the bound, percent.
    pub canary: f64,
}

impl Shift {
    /// Canary's share over the bound less production's, points: positive
    /// when canary is slower (its CDF is below production's there).
    pub fn points(&self) -> f64 {
        self.canary - self.production
    }
}

/// The distribution table of one or two variants.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// One row per bound, fastest first.
    pub rows: Vec<Row>,
    /// Bounds only one variant has, merged into the next shared bound.
    pub merged: usize,
    /// With both variants, where they differ most.
    pub shift: Option<Shift>,
}

/// The table of `production` and `canary`, either possibly absent. With
/// both, rows are the bounds both histograms have: a bucket of one
/// variant between two shared bounds is merged into the upper one, as
/// the cumulative count at a shared bound already contains it.
pub fn table(production: Option<&Distribution>, canary: Option<&Distribution>) -> Table {
    let present = [production, canary];
    let Some(first) = production.or(canary) else {
        return Table {
            rows: Vec::new(),
            merged: 0,
            shift: None,
        };
    };
    let bounds: Vec<f64> = first
        .cumulative
        .iter()
        .map(|b| b.le)
        .filter(|&le| present.iter().flatten().all(|d| d.at(le).is_some()))
        .collect();
    let merged = present
        .iter()
        .flatten()
        .map(|d| d.cumulative.len() - bounds.len())
        .sum();
    // Each variant's cumulative share at each shared bound, percent
    // (scaled before dividing, so whole counts give exact shares).
    let cdf = |d: Option<&Distribution>| -> Option<Vec<f64>> {
        let d = d?;
        let total = d.total();
        Some(
            bounds
                .iter()
                .map(|&le| d.at(le).unwrap_or(0.0) * 100.0 / total)
                .collect(),
        )
    };
    let cdfs = present.map(cdf);
    let shift = shift(&bounds, &cdfs);
    let rows = bounds
        .iter()
        .enumerate()
        .map(|(i, &le)| {
            let share = |c: &Option<Vec<f64>>| {
                let c = c.as_ref()?;
                Some(c[i] - if i == 0 { 0.0 } else { c[i - 1] })
            };
            let shares = [share(&cdfs[0]), share(&cdfs[1])];
            let moved = shares[1].zip(shares[0]).map(|(c, p)| c - p);
            let worse = moved.zip(shift).and_then(|(m, s)| {
                let slower = if le > s.over { m } else { -m };
                (m != 0.0).then_some(slower > 0.0)
            });
            Row {
                le,
                label: label(le, i.checked_sub(1).map(|j| bounds[j])),
                shares,
                moved,
                worse,
            }
        })
        .collect();
    Table {
        rows,
        merged,
        shift,
    }
}

/// The first bound (fastest) where the cumulative shares differ most;
/// `None` unless both variants are there. `+Inf`, where both are 1, is
/// never it.
fn shift(bounds: &[f64], [p, c]: &[Option<Vec<f64>>; 2]) -> Option<Shift> {
    let (p, c) = (p.as_ref()?, c.as_ref()?);
    let mut best: Option<(usize, f64)> = None;
    for i in 0..bounds.len().saturating_sub(1) {
        let gap = (p[i] - c[i]).abs();
        if best.is_none_or(|(_, g)| gap > g) {
            best = Some((i, gap));
        }
    }
    let (i, _) = best?;
    Some(Shift {
        over: bounds[i],
        production: 100.0 - p[i],
        canary: 100.0 - c[i],
    })
}

impl Table {
    /// The one line someone deciding on promotion reads: how many more
    /// points of canary's requests than production's took longer than
    /// the bound where they differ most, and on which buckets; `None`
    /// without two variants to compare.
    pub fn summary(&self) -> Option<String> {
        let Some(s) = self.shift else {
            // Bounds were merged, so both variants are here, but they
            // share no finite bound: only their totals compare.
            return (self.merged > 0)
                .then(|| "canary and production share no bucket bound to compare".to_owned());
        };
        let points = s.points();
        let mut text = if units::fixed(points.abs(), 1) == "0.0" {
            "canary's requests fall in the same buckets as production's".to_owned()
        } else {
            format!(
                "{} pp {} of canary's requests take over {}: {}% against production's {}%",
                units::fixed(points.abs(), 1),
                if points > 0.0 { "more" } else { "fewer" },
                bound(s.over),
                units::fixed(s.canary, 1),
                units::fixed(s.production, 1),
            )
        };
        if self.merged > 0 {
            text += &format!(
                " (on the {} bounds both have; {} merged)",
                self.rows.len(),
                self.merged
            );
        }
        Some(text)
    }
}

/// Moved mass in points with its sign: `+4.2 pp`, `−12.5 pp`, `0.0 pp`.
pub fn points(pp: Option<f64>) -> String {
    let Some(pp) = pp else {
        return units::NO_DATA.to_owned();
    };
    let digits = units::fixed(pp.abs(), 1);
    let sign = match pp {
        _ if digits == "0.0" => "",
        p if p > 0.0 => "+",
        _ => "−",
    };
    format!("{sign}{digits} pp")
}

/// A bucket bound in seconds as a duration: `5 ms`, `250 ms`, `2.5 s`.
pub fn bound(le: f64) -> String {
    let (v, unit) = if le < 1.0 {
        (le * 1000.0, "ms")
    } else {
        (le, "s")
    };
    let digits = units::fixed(v, 3);
    let digits = digits.trim_end_matches('0').trim_end_matches('.');
    format!("{digits} {unit}")
}

/// What a row covers: `≤ 250 ms`, past the largest finite bound
/// `> 10 s`, and everything when the histogram has only `+Inf`.
fn label(le: f64, previous: Option<f64>) -> String {
    match (le.is_finite(), previous) {
        (true, _) => format!("≤ {}", bound(le)),
        (false, Some(p)) => format!("> {}", bound(p)),
        (false, None) => "all".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{buffer::Buffer, parse::parse};

    /// An exposition of the duration histogram with these cumulative
    /// bucket counts (`le` as written), and a request counter.
    fn exposition(buckets: &[(&str, u32)]) -> String {
        let mut text = "# TYPE zai_proxy_requests_total counter\n\
                        zai_proxy_requests_total{status_code=\"200\"} 1\n\
                        # TYPE zai_proxy_request_duration_seconds histogram\n"
            .to_owned();
        for (le, n) in buckets {
            text += &format!("zai_proxy_request_duration_seconds_bucket{{le=\"{le}\"}} {n}\n");
        }
        text
    }

    /// The reading of a buffer holding `scrapes`, 10 s apart.
    fn read(scrapes: &[String]) -> Reading {
        let t0 = 1_700_000_000_000;
        let mut buffer = Buffer::default();
        for (i, text) in scrapes.iter().enumerate() {
            buffer.push(t0 + i as i64 * 10_000, &parse(text)).unwrap();
        }
        reading(&buffer.window(t0, t0 + 3_600_000))
    }

    fn measured(scrapes: &[String]) -> Distribution {
        match read(scrapes) {
            Reading::Measured(d) => d,
            other => panic!("not measured: {other:?}"),
        }
    }

    /// Two scrapes whose bucket increases are `increases` (cumulative).
    fn increased(bounds: &[&str], increases: &[u32]) -> Distribution {
        let first: Vec<_> = bounds.iter().map(|&le| (le, 5)).collect();
        let second: Vec<_> = bounds
            .iter()
            .zip(increases)
            .map(|(&le, n)| (le, 5 + n))
            .collect();
        measured(&[exposition(&first), exposition(&second)])
    }

    /// Production: cumulative increases 20, 30, 40, 40 at 0.1, 0.25, 1,
    /// +Inf, so 20, 10, 10, 0 per bucket: 50 %, 25 %, 25 %, 0 % of 40.
    fn production() -> Distribution {
        increased(&["0.1", "0.25", "1", "+Inf"], &[20, 30, 40, 40])
    }

    /// Canary: cumulative 10, 24, 36, 40, so 10, 14, 12, 4 per bucket:
    /// 25 %, 35 %, 30 %, 10 % of 40.
    fn canary() -> Distribution {
        increased(&["0.1", "0.25", "1", "+Inf"], &[10, 24, 36, 40])
    }

    fn shares(t: &Table, i: usize) -> Vec<Option<f64>> {
        t.rows.iter().map(|r| r.shares[i]).collect()
    }

    #[test]
    fn a_histogram_not_exported_is_no_data() {
        let text = "# TYPE zai_proxy_requests_total counter\n\
                    zai_proxy_requests_total{status_code=\"200\"} 5\n";
        assert_eq!(read(&[text.to_owned(), text.to_owned()]), Reading::NoData);
    }

    #[test]
    fn too_few_requests_are_not_enough_and_say_how_many() {
        let before = exposition(&[("0.1", 1), ("+Inf", 2)]);
        // One scrape: nothing counted yet.
        assert_eq!(
            read(std::slice::from_ref(&before)),
            Reading::NotEnough(None)
        );
        // Unchanged: 0 requests, measured.
        assert_eq!(
            read(&[before.clone(), before.clone()]),
            Reading::NotEnough(Some(0.0))
        );
        // +Inf went from 2 to 5: 3 requests.
        let after = exposition(&[("0.1", 3), ("+Inf", 5)]);
        assert_eq!(read(&[before, after]), Reading::NotEnough(Some(3.0)));
        // A histogram family with no series yet, watched: 0 requests.
        let empty = "# TYPE zai_proxy_request_duration_seconds histogram\n\
                     zai_proxy_request_duration_seconds_count 0\n"
            .to_owned();
        assert_eq!(read(&[empty.clone(), empty]), Reading::NotEnough(Some(0.0)));
    }

    #[test]
    fn shares_moved_points_and_the_shift_are_the_hand_derived_ones() {
        let (p, c) = (production(), canary());
        assert_eq!(p.total(), 40.0);
        let t = table(Some(&p), Some(&c));
        let labels: Vec<&str> = t.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["≤ 100 ms", "≤ 250 ms", "≤ 1 s", "> 1 s"]);
        assert_eq!(
            shares(&t, 0),
            [Some(50.0), Some(25.0), Some(25.0), Some(0.0)]
        );
        assert_eq!(
            shares(&t, 1),
            [Some(25.0), Some(35.0), Some(30.0), Some(10.0)]
        );
        // Canary less production, per bucket.
        let moved: Vec<String> = t.rows.iter().map(|r| points(r.moved)).collect();
        assert_eq!(moved, ["−25.0 pp", "+10.0 pp", "+5.0 pp", "+10.0 pp"]);
        // CDFs: production 50, 75, 100 %; canary 25, 60, 90 %. Gaps 25,
        // 15, 10 points: the largest at 100 ms, where production has
        // 50 % over it and canary 75 %.
        let s = t.shift.unwrap();
        assert_eq!((s.over, s.production, s.canary), (0.1, 50.0, 75.0));
        assert_eq!(
            t.summary().unwrap(),
            "25.0 pp more of canary's requests take over 100 ms: 75.0% against production's 50.0%"
        );
        // Less mass at or under 100 ms, more above it: all worse.
        let worse: Vec<Option<bool>> = t.rows.iter().map(|r| r.worse).collect();
        assert_eq!(worse, [Some(true); 4]);
        assert_eq!(t.merged, 0);
    }

    #[test]
    fn a_faster_canary_reads_fewer_and_better() {
        // The same two distributions, swapped.
        let t = table(Some(&canary()), Some(&production()));
        assert_eq!(
            t.summary().unwrap(),
            "25.0 pp fewer of canary's requests take over 100 ms: 50.0% against production's 75.0%"
        );
        assert!(t.rows.iter().all(|r| r.worse == Some(false)));
    }

    #[test]
    fn identical_distributions_read_the_same_and_nothing_moved() {
        let t = table(Some(&production()), Some(&production()));
        assert_eq!(
            t.summary().unwrap(),
            "canary's requests fall in the same buckets as production's"
        );
        assert!(t.rows.iter().all(|r| r.worse.is_none()));
        assert_eq!(points(t.rows[0].moved), "0.0 pp");
    }

    #[test]
    fn different_buckets_compare_on_the_shared_bounds() {
        // Production at 0.1, 0.25, 0.5, 1, +Inf: cumulative 10, 20, 30,
        // 40, 40; canary at 0.1, 0.5, 1, 2, +Inf: 10, 20, 30, 35, 40.
        // Shared: 0.1, 0.5, 1, +Inf (production's 0.25 and canary's 2
        // merged). Production 10, 30, 40, 40: 25, 50, 25, 0 %; canary 10,
        // 20, 30, 40: 25, 25, 25, 25 %.
        let p = increased(&["0.1", "0.25", "0.5", "1", "+Inf"], &[10, 20, 30, 40, 40]);
        let c = increased(&["0.1", "0.5", "1", "2", "+Inf"], &[10, 20, 30, 35, 40]);
        let t = table(Some(&p), Some(&c));
        assert_eq!(t.merged, 2);
        assert_eq!(
            shares(&t, 0),
            [Some(25.0), Some(50.0), Some(25.0), Some(0.0)]
        );
        assert_eq!(shares(&t, 1), [Some(25.0); 4]);
        assert_eq!(t.rows[3].label, "> 1 s");
        // CDF gaps 0, 25, 25 points: the first, at 500 ms, where production
        // has 25 % over it and canary 50 %.
        assert_eq!(
            t.summary().unwrap(),
            "25.0 pp more of canary's requests take over 500 ms: 50.0% against production's 25.0% \
             (on the 4 bounds both have; 2 merged)"
        );
    }

    #[test]
    fn histograms_sharing_no_finite_bound_say_so() {
        let p = increased(&["0.1", "+Inf"], &[10, 20]);
        let c = increased(&["0.2", "+Inf"], &[10, 20]);
        let t = table(Some(&p), Some(&c));
        assert_eq!((t.merged, t.rows.len()), (2, 1));
        assert_eq!(t.rows[0].label, "all");
        assert_eq!(
            t.summary().unwrap(),
            "canary and production share no bucket bound to compare"
        );
    }

    #[test]
    fn counter_resets_are_stitched() {
        // 100 → 120 → restart → 10 at 0.1 s: 20 + 10 = 30; 100 → 130 →
        // 20 at +Inf: 30 + 20 = 50. So 30 and 20 of 50: 60 % and 40 %.
        let d = measured(&[
            exposition(&[("0.1", 100), ("+Inf", 100)]),
            exposition(&[("0.1", 120), ("+Inf", 130)]),
            exposition(&[("0.1", 10), ("+Inf", 20)]),
        ]);
        assert_eq!(d.total(), 50.0);
        let t = table(Some(&d), None);
        assert_eq!(shares(&t, 0), [Some(60.0), Some(40.0)]);
    }

    #[test]
    fn one_variant_has_its_shares_and_nothing_compared() {
        let t = table(None, Some(&canary()));
        assert_eq!(shares(&t, 0), [None; 4]);
        assert_eq!(
            shares(&t, 1),
            [Some(25.0), Some(35.0), Some(30.0), Some(10.0)]
        );
        assert!(
            t.rows
                .iter()
                .all(|r| r.moved.is_none() && r.worse.is_none())
        );
        assert_eq!((t.shift, t.summary()), (None, None));
        assert!(table(None, None).rows.is_empty());
    }

    #[test]
    fn a_missing_inf_bucket_and_dips_are_mended() {
        // 0.25 dips below 0.1 (summed series rounding): raised to 30;
        // no +Inf: one is added at the largest count.
        let d = Distribution::new(vec![
            Bucket {
                le: 0.25,
                count: 29.5,
            },
            Bucket {
                le: 0.1,
                count: 30.0,
            },
        ]);
        assert_eq!(d.total(), 30.0);
        let t = table(Some(&d), None);
        assert_eq!(shares(&t, 0), [Some(100.0), Some(0.0), Some(0.0)]);
        let only_inf = Distribution::new(vec![Bucket {
            le: f64::INFINITY,
            count: 25.0,
        }]);
        assert_eq!(table(Some(&only_inf), None).rows[0].label, "all");
    }

    #[test]
    fn bounds_and_points_read_as_durations_and_signed_points() {
        let labels: Vec<String> = [0.005, 0.25, 1.0, 2.5, 10.0, 300.0]
            .into_iter()
            .map(bound)
            .collect();
        assert_eq!(labels, ["5 ms", "250 ms", "1 s", "2.5 s", "10 s", "300 s"]);
        assert_eq!(points(Some(4.24)), "+4.2 pp");
        assert_eq!(points(Some(-0.04)), "0.0 pp");
        assert_eq!(points(None), units::NO_DATA);
    }
}
