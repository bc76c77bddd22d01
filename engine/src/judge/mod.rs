//! The canary verdict: is the canary worse than production?
//!
//! The method is Kayenta's NetflixACAJudge, the judge Spinnaker's canary
//! analysis uses, run on the samples the dashboard already holds:
//!
//! 1. For each key metric ([`Metric`]), each variant gives one sample per
//!    interval between two scrape rounds ([`interval_samples`]); NaNs are
//!    dropped.
//! 2. A metric with no samples on a side is [`Class::NoData`], one with
//!    fewer than `min` samples on a side [`Class::NotEnoughData`]: neither
//!    is judged (a *required* metric without data counts as failed).
//! 3. Otherwise the Mann–Whitney U test compares the two samples, and the
//!    Hodges–Lehmann estimate gives the canary's shift (canary −
//!    production) with its confidence interval ([`stats`]).
//! 4. The tolerance band is ±`tol` % of production's median. The metric is
//!    [`Class::High`] when the whole interval lies above the band and
//!    higher is bad for it, [`Class::Low`] when it lies below and lower is
//!    bad, and [`Class::Pass`] otherwise: a shift the data cannot tell
//!    from zero, one within tolerance, and an improvement all pass.
//!    When production's median is 0 there is nothing to be relative to:
//!    the band is the single point 0, so any shift whose whole interval is
//!    on one side of 0 counts.
//! 5. The score is the judged metrics that passed, as a percentage of
//!    those judged. A failed *critical* metric fails the verdict whatever
//!    the score; otherwise the score reads Pass from `pass`, Marginal from
//!    `marginal`, and Fail below. With nothing judged the verdict is
//!    [`Outcome::NotEnoughData`].
//!
//! Everything is a pure function of the samples and the [`Settings`], and
//! every result serialises, so the app can show the verdict, the URL can
//! carry the settings, and the CLI can print both.

pub mod cache;
pub mod metrics;
pub mod settings;
pub mod stats;

use serde::Serialize;

pub use self::{
    cache::SamplesCache,
    metrics::{Bad, MAX_INTERVALS, Metric, Samples, Unit, interval_samples, judge_interval},
    settings::{Settings, SettingsError},
    stats::Shift,
};

/// How one metric compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum Class {
    /// No shift beyond tolerance in the direction that is bad.
    Pass,
    /// The canary is higher beyond tolerance, and higher is bad.
    High,
    /// The canary is lower beyond tolerance, and lower is bad.
    Low,
    /// A variant has no sample at all.
    NoData,
    /// A variant has fewer samples than the judge needs.
    NotEnoughData {
        /// The smaller of the two variants' sample counts.
        n: usize,
        /// Samples needed per variant.
        min: usize,
    },
}

/// One variant's side of a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Side {
    /// Samples (intervals) after NaNs are dropped.
    pub n: usize,
    /// Their median; `None` without samples.
    pub median: Option<f64>,
}

/// One metric's comparison: the class and everything a tooltip shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricResult {
    /// Which metric.
    pub metric: Metric,
    /// Pass, High, Low, NoData or NotEnoughData.
    #[serde(flatten)]
    pub class: Class,
    /// Whether its failure fails the verdict.
    pub critical: bool,
    /// Whether it fails without data.
    pub required: bool,
    /// Production's samples.
    pub production: Side,
    /// The canary's samples.
    pub canary: Side,
    /// Canary − production: Hodges–Lehmann estimate and interval; `None`
    /// when not compared.
    pub shift: Option<Shift>,
    /// The tolerance band around 0 the interval is held against.
    pub band: Option<[f64; 2]>,
    /// The Mann–Whitney two-sided p-value.
    pub p: Option<f64>,
    /// Why it was not judged, or why a clear shift still passes.
    pub reason: Option<String>,
}

impl MetricResult {
    /// Whether it counts in the score, and whether it failed there.
    fn scored(&self) -> Option<bool> {
        match self.class {
            Class::Pass => Some(false),
            Class::High | Class::Low => Some(true),
            Class::NoData | Class::NotEnoughData { .. } => self.required.then_some(true),
        }
    }
}

/// The overall verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The score reached `pass` and no critical metric failed.
    Pass,
    /// The score reached `marginal` only.
    Marginal,
    /// A critical metric failed, or the score is below `marginal`.
    Fail,
    /// No metric could be judged.
    NotEnoughData,
}

/// The canary's verdict against production.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    /// Pass, Marginal, Fail or NotEnoughData.
    pub outcome: Outcome,
    /// Passed ÷ judged × 100; `None` with nothing judged.
    pub score: Option<f64>,
    /// Metrics that passed.
    pub passed: usize,
    /// Metrics that counted in the score.
    pub judged: usize,
    /// Critical metrics that failed.
    pub failed_critical: Vec<Metric>,
    /// Every selected metric, in [`Metric::ALL`] order.
    pub metrics: Vec<MetricResult>,
}

/// Compares one metric's samples, canary against production (NaNs are
/// dropped), by the rules in the [module documentation](self).
pub fn compare(
    metric: Metric,
    production: &[f64],
    canary: &[f64],
    settings: &Settings,
) -> MetricResult {
    // Sorted once here: the median, the test and the shift each sort
    // their own copy, which costs a single pass over sorted input.
    let clean = |v: &[f64]| -> Vec<f64> {
        let mut v: Vec<f64> = v.iter().copied().filter(|v| !v.is_nan()).collect();
        v.sort_unstable_by(f64::total_cmp);
        v
    };
    let (production, canary) = (clean(production), clean(canary));
    let side = |v: &[f64]| Side {
        n: v.len(),
        median: stats::median(v),
    };
    let mut result = MetricResult {
        metric,
        class: Class::NoData,
        critical: settings.critical.contains(&metric),
        required: settings.required.contains(&metric),
        production: side(&production),
        canary: side(&canary),
        shift: None,
        band: None,
        p: None,
        reason: None,
    };
    let short = [("production", &production), ("canary", &canary)];
    if let Some((name, _)) = short.iter().find(|(_, v)| v.is_empty()) {
        result.reason = Some(format!(
            "no samples from {name}: no interval had the traffic this metric needs"
        ));
        return result;
    }
    let min = settings.min_samples;
    if let Some((name, v)) = short.iter().find(|(_, v)| v.len() < min) {
        result.class = Class::NotEnoughData {
            n: production.len().min(canary.len()),
            min,
        };
        result.reason = Some(format!(
            "{name} has {} of the {min} samples needed",
            v.len()
        ));
        return result;
    }
    let (Some(shift), Some(test)) = (
        stats::hodges_lehmann(&canary, &production, settings.confidence_pct / 100.0),
        stats::mann_whitney(&canary, &production),
    ) else {
        unreachable!("both samples are non-empty")
    };
    let half = settings.tolerance_pct / 100.0 * result.production.median.unwrap_or(0.0).abs();
    let higher = shift.lower > half;
    let lower = shift.upper < -half;
    let bad = metric.bad();
    result.class = match (higher, lower, bad) {
        (true, _, Bad::Higher | Bad::Either) => Class::High,
        (_, true, Bad::Lower | Bad::Either) => Class::Low,
        _ => Class::Pass,
    };
    if result.class == Class::Pass && (higher || lower) {
        let way = if higher { "higher" } else { "lower" };
        result.reason = Some(format!(
            "the canary is {way} beyond tolerance, which is not bad for this metric"
        ));
    }
    result.shift = Some(shift);
    // `0.0 - half`, not `-half`: a zero band is [0, 0], never [−0, 0].
    result.band = Some([0.0 - half, half]);
    result.p = Some(test.p);
    result
}

/// Judges the canary's samples against production's on every selected
/// metric, and scores the whole.
pub fn judge(production: &Samples, canary: &Samples, settings: &Settings) -> Verdict {
    let metrics: Vec<MetricResult> = settings
        .metrics
        .iter()
        .map(|&m| compare(m, production.of(m), canary.of(m), settings))
        .collect();
    let scored: Vec<(&MetricResult, bool)> = metrics
        .iter()
        .filter_map(|r| Some((r, r.scored()?)))
        .collect();
    let judged = scored.len();
    let passed = scored.iter().filter(|(_, failed)| !failed).count();
    let failed_critical: Vec<Metric> = scored
        .iter()
        .filter(|(r, failed)| *failed && r.critical)
        .map(|(r, _)| r.metric)
        .collect();
    let score = (judged > 0).then(|| passed as f64 / judged as f64 * 100.0);
    let outcome = match score {
        None => Outcome::NotEnoughData,
        Some(_) if !failed_critical.is_empty() => Outcome::Fail,
        Some(s) if s >= settings.pass => Outcome::Pass,
        Some(s) if s >= settings.marginal => Outcome::Marginal,
        Some(_) => Outcome::Fail,
    };
    Verdict {
        outcome,
        score,
        passed,
        judged,
        failed_critical,
        metrics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{buffer::Buffer, parse::parse, prices::PriceTable};

    /// `n` samples spread evenly around `centre` (±10 %).
    fn around(centre: f64, n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| centre * (0.9 + 0.2 * i as f64 / (n - 1) as f64))
            .collect()
    }

    fn class(metric: Metric, production: &[f64], canary: &[f64]) -> Class {
        compare(metric, production, canary, &Settings::default()).class
    }

    #[test]
    fn a_clear_shift_beyond_tolerance_fails_only_in_the_bad_direction() {
        let base = around(100.0, 60);
        let (up, down) = (around(150.0, 60), around(50.0, 60));
        assert_eq!(class(Metric::P95, &base, &up), Class::High);
        assert_eq!(class(Metric::P95, &base, &down), Class::Pass);
        assert_eq!(class(Metric::CacheHit, &base, &down), Class::Low);
        assert_eq!(class(Metric::CacheHit, &base, &up), Class::Pass);
        assert_eq!(class(Metric::TokensPerRequest, &base, &up), Class::High);
        assert_eq!(class(Metric::TokensPerRequest, &base, &down), Class::Low);
        let improved = compare(Metric::P95, &base, &down, &Settings::default());
        assert!(improved.reason.unwrap().contains("lower beyond tolerance"));
    }

    #[test]
    fn a_significant_shift_within_tolerance_passes() {
        // +10 % is clear in the data but inside ±25 % of production's median.
        let r = compare(
            Metric::P50,
            &around(100.0, 60),
            &around(110.0, 60),
            &Settings::default(),
        );
        assert_eq!(r.class, Class::Pass);
        let shift = r.shift.unwrap();
        assert!(shift.lower > 0.0 && shift.upper < 25.0, "{shift:?}");
        assert_eq!(r.band, Some([-25.0, 25.0]));
        assert!(r.p.unwrap() < 0.02);
        // With tol:5 the same shift is beyond tolerance.
        let strict: Settings = "tol:5".parse().unwrap();
        let r = compare(Metric::P50, &around(100.0, 60), &around(110.0, 60), &strict);
        assert_eq!(r.class, Class::High);
    }

    #[test]
    fn a_zero_production_median_leaves_no_tolerance() {
        // Production never failed; the canary failed in most intervals.
        let production = vec![0.0; 60];
        let canary: Vec<f64> = (0..60)
            .map(|i| if i % 4 == 0 { 0.0 } else { 0.02 })
            .collect();
        let r = compare(
            Metric::ErrorRate,
            &production,
            &canary,
            &Settings::default(),
        );
        assert_eq!(r.band, Some([0.0, 0.0]));
        assert_eq!(r.class, Class::High);
        // Both all zero: identical, a pass with no shift.
        let r = compare(
            Metric::ErrorRate,
            &production,
            &production,
            &Settings::default(),
        );
        assert_eq!(r.class, Class::Pass);
        assert_eq!(r.p, Some(1.0));
    }

    #[test]
    fn missing_and_scarce_samples_are_not_judged_and_say_why() {
        let r = compare(
            Metric::P99,
            &around(1.0, 60),
            &[f64::NAN; 3],
            &Settings::default(),
        );
        assert_eq!(r.class, Class::NoData);
        assert!(r.reason.unwrap().contains("no samples from canary"));
        let r = compare(
            Metric::P99,
            &around(1.0, 12),
            &around(1.0, 70),
            &Settings::default(),
        );
        assert_eq!(r.class, Class::NotEnoughData { n: 12, min: 50 });
        assert_eq!(
            r.reason.as_deref(),
            Some("production has 12 of the 50 samples needed")
        );
        assert_eq!((r.production.n, r.canary.n), (12, 70));
        assert_eq!(r.shift, None);
    }

    /// Samples where each listed metric takes the given values, for both
    /// variants.
    fn samples(values: &[(Metric, Vec<f64>)]) -> Samples {
        Samples {
            intervals: 60,
            values: values.to_vec(),
        }
    }

    #[test]
    fn the_score_is_passes_over_judged_and_sets_the_outcome() {
        let base = around(100.0, 60);
        let worse = around(200.0, 60);
        let production = samples(&[
            (Metric::P50, base.clone()),
            (Metric::P95, base.clone()),
            (Metric::P99, base.clone()),
            (Metric::CostPerRequest, base.clone()),
        ]);
        let canary = |bad: usize| {
            let metrics = [
                Metric::P50,
                Metric::P95,
                Metric::P99,
                Metric::CostPerRequest,
            ];
            samples(
                &metrics
                    .iter()
                    .enumerate()
                    .map(|(i, &m)| (m, if i < bad { worse.clone() } else { base.clone() }))
                    .collect::<Vec<_>>(),
            )
        };
        let settings = Settings::default();
        // Six metrics have no data on either side: not judged.
        let v = judge(&production, &canary(0), &settings);
        assert_eq!(
            (v.outcome, v.score, v.passed, v.judged),
            (Outcome::Pass, Some(100.0), 4, 4)
        );
        let v = judge(&production, &canary(1), &settings);
        assert_eq!((v.outcome, v.score), (Outcome::Marginal, Some(75.0)));
        let v = judge(&production, &canary(2), &settings);
        assert_eq!((v.outcome, v.score), (Outcome::Fail, Some(50.0)));
        // A critical metric's failure fails a score that would pass.
        let critical: Settings = "critical:p50,pass:75".parse().unwrap();
        let v = judge(&production, &canary(1), &critical);
        assert_eq!((v.outcome, v.score), (Outcome::Fail, Some(75.0)));
        assert_eq!(v.failed_critical, [Metric::P50]);
    }

    #[test]
    fn no_data_fails_only_a_required_metric_and_nothing_judged_is_not_enough_data() {
        let empty = Samples::default();
        let v = judge(&empty, &empty, &Settings::default());
        assert_eq!(
            (v.outcome, v.score, v.judged),
            (Outcome::NotEnoughData, None, 0)
        );
        assert_eq!(v.metrics.len(), Metric::ALL.len());
        let production = samples(&[(Metric::P50, around(1.0, 60))]);
        let required: Settings = "required:p95".parse().unwrap();
        let v = judge(&production, &production, &required);
        assert_eq!(
            (v.outcome, v.score, v.judged),
            (Outcome::Fail, Some(50.0), 2)
        );
        let only: Settings = "metrics:p50".parse().unwrap();
        assert_eq!(judge(&production, &production, &only).metrics.len(), 1);
    }

    #[test]
    fn results_serialise_with_their_class_inline() {
        let r = compare(
            Metric::P99,
            &around(1.0, 12),
            &around(1.0, 70),
            &Settings::default(),
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["metric"], "p99");
        assert_eq!(json["class"], "not_enough_data");
        assert_eq!(
            (json["n"].clone(), json["min"].clone()),
            (12.into(), 50.into())
        );
        assert_eq!(json["production"]["n"], 12);
    }

    /// One pod's exposition: request counts by code, and a latency
    /// histogram with every request in the (0.5, 1] s bucket.
    fn exposition(ok: u32, failed: u32) -> String {
        let all = ok + failed;
        format!(
            "zai_proxy_requests_total{{status_code=\"200\"}} {ok}\n\
             zai_proxy_requests_total{{status_code=\"500\"}} {failed}\n\
             zai_proxy_request_duration_seconds_bucket{{le=\"0.5\"}} 0\n\
             zai_proxy_request_duration_seconds_bucket{{le=\"1\"}} {all}\n\
             zai_proxy_request_duration_seconds_bucket{{le=\"+Inf\"}} {all}\n\
             zai_proxy_request_duration_seconds_sum {all}\n\
             zai_proxy_request_duration_seconds_count {all}\n"
        )
    }

    #[test]
    fn a_family_the_proxy_does_not_export_gives_no_sample_not_zero() {
        // Requests and input tokens only: no upstream errors family, no
        // cache directions, so neither may read as a measured 0.
        let text = |n: u64| {
            format!(
                "zai_proxy_requests_total{{status_code=\"200\"}} {n}\n\
                 zai_proxy_tokens_total{{direction=\"input\"}} {}\n",
                n * 100
            )
        };
        let mut buffer = Buffer::default();
        buffer.push(0, &parse(&text(10))).unwrap();
        buffer.push(5_000, &parse(&text(20))).unwrap();
        let window = buffer.window(0, 5_000);
        let none = PriceTable::default();
        assert_eq!(Metric::UpstreamErrors.over(&window, &none), None);
        // The token family was watched: missing directions are 0 there.
        assert_eq!(Metric::CacheHit.over(&window, &none), Some(0.0));
        let errors = "zai_proxy_upstream_errors_total{error_type=\"timeout\"} 0\n";
        let mut watched = Buffer::default();
        watched.push(0, &parse(&(text(10) + errors))).unwrap();
        watched.push(5_000, &parse(&(text(20) + errors))).unwrap();
        assert_eq!(
            Metric::UpstreamErrors.over(&watched.window(0, 5_000), &none),
            Some(0.0)
        );
    }

    #[test]
    fn cost_per_request_comes_from_the_proxy_else_from_the_price_table() {
        // 10 requests and, per model, input and output tokens in 5 s.
        let text = |n: u64, cost: bool| {
            let mut t = format!(
                "zai_proxy_requests_total{{status_code=\"200\"}} {}\n\
                 zai_proxy_tokens_total{{direction=\"input\",model=\"a\"}} {}\n\
                 zai_proxy_tokens_total{{direction=\"output\",model=\"a\"}} {}\n\
                 zai_proxy_tokens_total{{direction=\"input\",model=\"b\"}} {}\n",
                10 * n,
                1_000 * n,
                200 * n,
                500 * n
            );
            if cost {
                t += &format!(
                    "zai_proxy_estimated_cost_usd_total{{direction=\"input\",model=\"a\"}} {}\n",
                    0.5 * n as f64
                );
            }
            t
        };
        let window_of = |cost: bool| {
            let mut buffer = Buffer::default();
            buffer.push(0, &parse(&text(1, cost))).unwrap();
            buffer.push(5_000, &parse(&text(2, cost))).unwrap();
            buffer
        };
        let table: PriceTable = "input:2,output:10,b/input:4".parse().unwrap();
        // No cost exported: model a's 1,000 input at $2/M and 200 output at
        // $10/M, model b's 500 input at its own $4/M: 0.002 + 0.002 + 0.002
        // = $0.006 over 10 requests, $0.0006 each.
        let unpriced = window_of(false);
        let cost = Metric::CostPerRequest.over(&unpriced.window(0, 5_000), &table);
        assert!(cost.is_some_and(|c| (c - 0.0006).abs() < 1e-12), "{cost:?}");
        // No table: nothing known, not $0.
        let none = PriceTable::default();
        assert_eq!(
            Metric::CostPerRequest.over(&unpriced.window(0, 5_000), &none),
            None
        );
        // Output without a price: no partial sum.
        let partial: PriceTable = "input:2".parse().unwrap();
        assert_eq!(
            Metric::CostPerRequest.over(&unpriced.window(0, 5_000), &partial),
            None
        );
        // The proxy's own cost wins over the table: $0.5 over 10 requests.
        let priced = window_of(true);
        let cost = Metric::CostPerRequest.over(&priced.window(0, 5_000), &table);
        assert!(cost.is_some_and(|c| (c - 0.05).abs() < 1e-12), "{cost:?}");
    }

    #[test]
    fn a_long_window_is_judged_over_longer_intervals_not_more_of_them() {
        let (min, hour, day) = (60_000, 3_600_000, 86_400_000);
        // Five minutes of 5 s polls, an hour of 15 s history: as they are
        // (2 × 300 s / 300 = 2 s, 2 × 3,600 s / 300 = 24 s).
        assert_eq!(judge_interval(0, 5 * min, 5_000), 5_000);
        assert_eq!(judge_interval(0, hour, 15_000), 24_000);
        // A day of 1 min history: 2 × 86,400 s / 300 = 576 s.
        assert_eq!(judge_interval(0, day, 60_000), 576_000);
        // And so at most MAX_INTERVALS intervals, whatever the rows.
        let mut buffer = Buffer::default();
        let text = |n: u64| format!("zai_proxy_requests_total{{status_code=\"200\"}} {n}\n");
        for i in 0..17_280 {
            buffer.push(i * 5_000, &parse(&text(i as u64))).unwrap();
        }
        let s = interval_samples(
            &buffer,
            (0, day),
            judge_interval(0, day, 5_000),
            &PriceTable::default(),
        );
        assert!(s.intervals <= MAX_INTERVALS as usize, "{}", s.intervals);
        assert!(s.intervals >= MAX_INTERVALS as usize / 2, "{}", s.intervals);
    }

    #[test]
    fn interval_samples_take_each_pair_of_scrape_rounds_over_every_pod() {
        // Two pods scraped a few ms apart every 5 s. Pod a: 10 requests
        // per interval, 1 of them failed; pod b: 10, none failed; then an
        // interval with no traffic at all.
        let mut buffer = Buffer::default();
        let counts = [(0, 0), (9, 1), (18, 2), (27, 3), (27, 3)];
        for (i, &(ok, failed)) in counts.iter().enumerate() {
            let t = 1_000_000 + 5_000 * i as i64;
            buffer
                .push_target("a", t, &parse(&exposition(ok, failed)))
                .unwrap();
            let b = exposition(10 * i.min(3) as u32, 0);
            buffer.push_target("b", t + 7, &parse(&b)).unwrap();
        }
        let s = interval_samples(&buffer, (0, 2_000_000), 5_000, &PriceTable::default());
        assert_eq!(s.intervals, 4);
        // 1 of 20 requests per busy interval; the idle one gives no sample.
        assert_eq!(s.of(Metric::ErrorRate), [0.05, 0.05, 0.05]);
        // Every request took 0.5–1 s: the median interpolates to 750 ms.
        assert_eq!(s.of(Metric::P50), [750.0, 750.0, 750.0]);
        // Duration sum over no output tokens: no sample, not 0.
        assert!(s.of(Metric::MsPerToken).is_empty());
    }

    #[test]
    fn a_metric_indexes_its_place_in_all() {
        // `Metric::over` picks its value out of `Metric::all_over` by
        // discriminant, which must be its position in `Metric::ALL`.
        for (i, m) in Metric::ALL.into_iter().enumerate() {
            assert_eq!(m as usize, i, "{m:?}");
        }
    }
}
