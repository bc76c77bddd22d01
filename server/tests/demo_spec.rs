//! Specification of `--demo`'s simulated zai-proxies: what their `/metrics`
//! must look like for the dashboard to be developed and tested against them
//! (families, types, labels and buckets of reference §1, client_golang's
//! layout, counter semantics, restarts, and a canary worse than production).
//!
//! Time only moves through `advance_to`, so nothing here depends on the
//! wall clock.

use std::collections::BTreeMap;

use zai_dash_engine::parse::{MetricType, Sample, Scrape, parse};
use zai_dash_server::demo::{Profile, Simulator};

use MetricType::{Counter, Gauge, Histogram, Summary};

/// 2026-09-12T02:42:00Z (21:42 in the proxy's UTC-5 zone): an off-peak start.
const START_MS: i64 = 1_789_180_920_000;
/// The dashboard's scrape interval.
const SCRAPE_MS: i64 = 5_000;

const REQUEST: &[&str] = &["method", "path", "status_code", "variant"];
const TOKEN: &[&str] = &["direction", "model", "pricing_tier", "variant"];
const QUOTA: &[&str] = &["limit_type", "variant", "window"];

/// Every family a zai-proxy without quota polling exports once it has served
/// traffic: name, type and label names (without `le`/`quantile`), in
/// client_golang's order.
const PROXY_FAMILIES: &[(&str, MetricType, &[&str])] = &[
    ("go_gc_duration_seconds", Summary, &[]),
    ("go_goroutines", Gauge, &[]),
    ("go_info", Gauge, &["version"]),
    ("go_memstats_alloc_bytes", Gauge, &[]),
    ("go_threads", Gauge, &[]),
    ("process_cpu_seconds_total", Counter, &[]),
    ("process_resident_memory_bytes", Gauge, &[]),
    ("process_start_time_seconds", Gauge, &[]),
    ("promhttp_metric_handler_requests_in_flight", Gauge, &[]),
    ("promhttp_metric_handler_requests_total", Counter, &["code"]),
    (
        "zai_proxy_build_info",
        Gauge,
        &["build_time", "commit", "variant", "version"],
    ),
    ("zai_proxy_concurrent_requests", Gauge, &["variant"]),
    ("zai_proxy_estimated_cost_usd_total", Counter, TOKEN),
    ("zai_proxy_max_workers", Gauge, &["variant"]),
    (
        "zai_proxy_rate_limit_adjustments_total",
        Counter,
        &["direction", "variant"],
    ),
    (
        "zai_proxy_rate_limit_rejections_total",
        Counter,
        &["client", "variant"],
    ),
    (
        "zai_proxy_rate_limit_requests_per_second",
        Gauge,
        &["variant"],
    ),
    (
        "zai_proxy_rate_limit_wait_seconds",
        Histogram,
        &["client", "variant"],
    ),
    ("zai_proxy_request_duration_seconds", Histogram, REQUEST),
    (
        "zai_proxy_request_size_bytes",
        Histogram,
        &["method", "path", "variant"],
    ),
    ("zai_proxy_requests_total", Counter, REQUEST),
    ("zai_proxy_response_size_bytes", Histogram, REQUEST),
    (
        "zai_proxy_retry_attempts_total",
        Counter,
        &["reason", "variant"],
    ),
    (
        "zai_proxy_token_count_duration_seconds",
        Histogram,
        &["variant"],
    ),
    (
        "zai_proxy_token_rate",
        Histogram,
        &["direction", "model", "variant"],
    ),
    (
        "zai_proxy_token_rate_seconds",
        Histogram,
        &["direction", "model", "variant"],
    ),
    ("zai_proxy_tokens_total", Counter, TOKEN),
    (
        "zai_proxy_upstream_errors_total",
        Counter,
        &["error_type", "variant"],
    ),
    ("zai_proxy_worker_utilization_ratio", Gauge, &["variant"]),
];

/// The families a zai-proxy adds with `QUOTA_POLL_ENABLED=true`.
const QUOTA_FAMILIES: &[(&str, MetricType, &[&str])] = &[
    (
        "zai_proxy_quota_poll_total",
        Counter,
        &["result", "variant"],
    ),
    ("zai_proxy_quota_remaining_ratio", Gauge, QUOTA),
    ("zai_proxy_quota_reset_time_seconds", Gauge, QUOTA),
    ("zai_proxy_quota_sample_age_seconds", Gauge, &["variant"]),
    ("zai_proxy_quota_usage_ratio", Gauge, QUOTA),
];

/// Bucket bounds of each histogram family, as written in `le`.
const BUCKETS: &[(&str, &[&str])] = &[
    (
        "zai_proxy_rate_limit_wait_seconds",
        &[
            "0.001", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2", "5", "10",
            "+Inf",
        ],
    ),
    (
        "zai_proxy_request_duration_seconds",
        &[
            "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30",
            "60", "120", "300", "+Inf",
        ],
    ),
    (
        "zai_proxy_request_size_bytes",
        &[
            "100", "1000", "10000", "100000", "1e+06", "1e+07", "1e+08", "1e+09", "+Inf",
        ],
    ),
    (
        "zai_proxy_response_size_bytes",
        &[
            "100", "1000", "10000", "100000", "1e+06", "1e+07", "1e+08", "1e+09", "+Inf",
        ],
    ),
    (
        "zai_proxy_token_count_duration_seconds",
        &[
            "0.0001", "0.0005", "0.001", "0.005", "0.01", "0.025", "0.05", "0.1", "+Inf",
        ],
    ),
    (
        "zai_proxy_token_rate",
        &[
            "10", "50", "100", "250", "500", "1000", "2500", "5000", "10000", "25000", "50000",
            "100000", "+Inf",
        ],
    ),
    (
        "zai_proxy_token_rate_seconds",
        &[
            "1e-05", "5e-05", "0.0001", "0.0005", "0.001", "0.005", "0.01", "0.05", "0.1", "+Inf",
        ],
    ),
];

/// The two deployments the demo serves, by `variant` label.
fn both_variants() -> [(&'static str, Profile); 2] {
    [
        ("production", Profile::production()),
        ("canary", Profile::canary()),
    ]
}

/// The profile without random restarts, for comparing renders over time.
fn steady(profile: Profile) -> Profile {
    Profile {
        mean_restart_interval_s: None,
        ..profile
    }
}

/// Advances the way the dashboard polls: one scrape every 5 s.
fn scrape_for(sim: &mut Simulator, minutes: i64) {
    let end = sim.clock_ms() + minutes * 60_000;
    while sim.clock_ms() < end {
        sim.advance_to(sim.clock_ms() + SCRAPE_MS);
    }
}

/// A steady simulator of `profile` after `minutes` of traffic.
fn after(variant: &str, profile: Profile, seed: u64, minutes: i64) -> Simulator {
    let mut sim = Simulator::new(variant, steady(profile), seed, START_MS);
    scrape_for(&mut sim, minutes);
    sim
}

/// Parses `text`, failing the test on any rejected line.
fn parsed(text: &str) -> Scrape<'_> {
    let scrape = parse(text);
    assert!(
        scrape.errors.is_empty(),
        "parse errors: {:?}",
        scrape.errors
    );
    scrape
}

/// The unescaped value of the label `name`.
fn label(sample: &Sample, name: &str) -> Option<String> {
    sample.labels.get(name).map(|v| v.into_owned())
}

/// Sum of the samples named `name` whose labels include every `filter` pair.
fn sum(scrape: &Scrape, name: &str, filter: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| {
            s.name == name
                && filter
                    .iter()
                    .all(|(k, v)| s.labels.get(k).as_deref() == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

/// The samples that may only grow within one process: counters, histogram
/// buckets, sums and counts, and summary sums and counts.
fn monotonic(scrape: &Scrape) -> BTreeMap<String, f64> {
    scrape
        .samples
        .iter()
        .filter(|s| match s.kind {
            Counter | Histogram => true,
            Summary => s.labels.get("quantile").is_none(),
            _ => false,
        })
        .map(|s| (format!("{}{{{}}}", s.name, s.labels.raw()), s.value))
        .collect()
}

/// Label values of a sample except `le` and `quantile`: its series identity.
fn series_values(sample: &Sample) -> Vec<String> {
    sample
        .labels
        .iter()
        .filter(|(name, _)| *name != "le" && *name != "quantile")
        .map(|(_, value)| value.into_owned())
        .collect()
}

/// A series: its family name and its label values.
type SeriesKey = (String, Vec<String>);

/// The family a sample belongs to: the longest announced name it starts with.
fn family_of<'a>(scrape: &'a Scrape, sample: &Sample) -> &'a str {
    scrape
        .families
        .iter()
        .filter(|f| sample.name.starts_with(f.name))
        .max_by_key(|f| f.name.len())
        .map(|f| f.name)
        .expect("every sample has a HELP/TYPE header")
}

#[test]
fn the_same_seed_and_the_same_calls_give_the_same_text() {
    let mut a = Simulator::new("canary", Profile::canary(), 7, START_MS);
    let mut b = Simulator::new("canary", Profile::canary(), 7, START_MS);
    for offset_ms in [1_000, 4_300, 60_000, 61_500, 600_000, 3_000_000] {
        a.advance_to(START_MS + offset_ms);
        b.advance_to(START_MS + offset_ms);
        assert_eq!(a.render(), b.render());
    }
    let mut other = Simulator::new("canary", Profile::canary(), 8, START_MS);
    other.advance_to(START_MS + 3_000_000);
    assert_ne!(a.render(), other.render());
}

#[test]
fn how_the_advance_is_split_does_not_change_the_result() {
    let mut at_once = Simulator::new("production", Profile::production(), 3, START_MS);
    at_once.advance_to(START_MS + 14 * 60_000);
    let mut polled = Simulator::new("production", Profile::production(), 3, START_MS);
    scrape_for(&mut polled, 14);
    assert_eq!(at_once.clock_ms(), polled.clock_ms());
    assert_eq!(at_once.render(), polled.render());
}

#[test]
fn the_output_parses_with_zero_errors_from_start_through_restarts() {
    for (variant, profile) in both_variants() {
        let fast_restarts = Profile {
            mean_restart_interval_s: Some(600.0),
            ..profile
        };
        let mut sim = Simulator::new(variant, fast_restarts, 11, START_MS);
        parsed(&sim.render());
        for _ in 0..12 {
            scrape_for(&mut sim, 10);
            let text = sim.render();
            let scrape = parsed(&text);
            assert!(scrape.samples.len() > 50, "{variant}: {text}");
        }
        assert!(sim.restarts() > 0, "{variant} never restarted");
    }
}

#[test]
fn production_exports_every_proxy_family_with_its_type_and_labels_and_no_quota() {
    let sim = after("production", Profile::production(), 1, 120);
    assert_families(&sim.render(), PROXY_FAMILIES, "production");
}

#[test]
fn canary_exports_the_quota_families_as_well() {
    let sim = after("canary", Profile::canary(), 1, 120);
    let mut expected = [PROXY_FAMILIES, QUOTA_FAMILIES].concat();
    expected.sort_by_key(|(name, _, _)| *name);
    assert_families(&sim.render(), &expected, "canary");
}

/// The exposition has exactly `expected` families, in that order, and each
/// sample carries exactly its family's labels (`variant` = `variant`).
fn assert_families(text: &str, expected: &[(&str, MetricType, &[&str])], variant: &str) {
    let scrape = parsed(text);
    let found: Vec<(&str, MetricType)> = scrape.families.iter().map(|f| (f.name, f.kind)).collect();
    let wanted: Vec<(&str, MetricType)> = expected.iter().map(|(n, k, _)| (*n, *k)).collect();
    assert_eq!(found, wanted);
    for sample in &scrape.samples {
        let family = family_of(&scrape, sample);
        let (_, _, labels) = expected.iter().find(|(n, _, _)| *n == family).unwrap();
        let names: Vec<&str> = sample
            .labels
            .iter()
            .map(|(name, _)| name)
            .filter(|name| *name != "le" && *name != "quantile")
            .collect();
        assert_eq!(&names, labels, "{}", sample.name);
        if labels.contains(&"variant") {
            assert_eq!(label(sample, "variant").as_deref(), Some(variant));
        }
    }
    for never_written in ["zai_proxy_quota_rate_cap", "zai_proxy_quota_gate_open"] {
        assert!(
            !text.contains(never_written),
            "{never_written} is never written"
        );
    }
}

#[test]
fn a_fresh_process_exports_only_what_the_proxy_sets_at_start() {
    let sim = Simulator::new("canary", Profile::canary(), 5, START_MS);
    let text = sim.render();
    let scrape = parsed(&text);
    assert_eq!(sum(&scrape, "zai_proxy_max_workers", &[]), 10.0);
    assert_eq!(
        sum(&scrape, "zai_proxy_rate_limit_requests_per_second", &[]),
        10.0
    );
    assert_eq!(sum(&scrape, "zai_proxy_build_info", &[]), 1.0);
    assert_eq!(
        sum(&scrape, "process_start_time_seconds", &[]),
        START_MS as f64 / 1_000.0
    );
    for lazy in [
        "zai_proxy_requests_total",
        "zai_proxy_tokens_total",
        "zai_proxy_concurrent_requests",
        "zai_proxy_quota_usage_ratio",
        "zai_proxy_quota_sample_age_seconds",
    ] {
        assert!(!text.contains(lazy), "{lazy} before its first write");
    }
}

#[test]
fn counters_never_decrease_between_renders_without_a_restart() {
    for (variant, profile) in both_variants() {
        let mut sim = Simulator::new(variant, steady(profile), 2, START_MS);
        let mut previous = BTreeMap::new();
        for _ in 0..360 {
            sim.advance_to(sim.clock_ms() + SCRAPE_MS);
            let text = sim.render();
            let current = monotonic(&parsed(&text));
            for (series, before) in &previous {
                let now = current.get(series).copied();
                assert!(
                    now.is_some_and(|v| v >= *before),
                    "{series}: {before} -> {now:?}"
                );
            }
            previous = current;
        }
        assert_eq!(sim.restarts(), 0);
    }
}

#[test]
fn a_restart_resets_every_counter_and_moves_the_start_time() {
    let mut sim = after("production", Profile::production(), 4, 20);
    let before_text = sim.render();
    let before = parsed(&before_text);
    let requests_before = sum(&before, "zai_proxy_requests_total", &[]);
    assert!(requests_before > 100.0);

    sim.restart();
    assert_eq!(sim.restarts(), 1);
    let fresh_text = sim.render();
    let fresh = parsed(&fresh_text);
    assert_eq!(
        sum(&fresh, "process_start_time_seconds", &[]),
        sim.clock_ms() as f64 / 1_000.0
    );
    let counters_before = monotonic(&before);
    for (series, value) in monotonic(&fresh) {
        assert!(
            !series.starts_with("zai_proxy_"),
            "{series} exists before its first write"
        );
        assert!(
            value == 0.0 || value < counters_before[&series],
            "{series} did not reset"
        );
    }

    scrape_for(&mut sim, 5);
    let later_text = sim.render();
    let requests_later = sum(&parsed(&later_text), "zai_proxy_requests_total", &[]);
    assert!(requests_later > 0.0 && requests_later < requests_before);
}

#[test]
fn restarts_happen_at_about_the_profile_mean_interval() {
    let every_minute = Profile {
        mean_restart_interval_s: Some(60.0),
        ..Profile::canary()
    };
    let mut sim = Simulator::new("canary", every_minute, 9, START_MS);
    scrape_for(&mut sim, 120);
    assert!((60..=180).contains(&sim.restarts()), "{}", sim.restarts());
    assert_eq!(after("canary", Profile::canary(), 9, 120).restarts(), 0);
}

#[test]
fn each_retry_counts_once_as_retry_and_once_as_its_cause() {
    for (variant, profile) in both_variants() {
        let mut sim = Simulator::new(variant, profile, 6, START_MS);
        for _ in 0..6 {
            scrape_for(&mut sim, 10);
            let text = sim.render();
            let scrape = parsed(&text);
            let family = "zai_proxy_retry_attempts_total";
            let retries = sum(&scrape, family, &[("reason", "retry")]);
            let causes = sum(&scrape, family, &[]) - retries;
            assert_eq!(causes, retries, "{variant}");
            let upstream_429 = sum(
                &scrape,
                "zai_proxy_upstream_errors_total",
                &[("error_type", "429")],
            );
            assert!(upstream_429 >= sum(&scrape, family, &[("reason", "429")]));
        }
    }
}

#[test]
fn histogram_buckets_are_the_proxys_sorted_cumulative_and_end_at_count() {
    let sim = after("canary", Profile::canary(), 3, 90);
    let text = sim.render();
    let scrape = parsed(&text);
    let mut buckets: BTreeMap<SeriesKey, Vec<(String, f64)>> = BTreeMap::new();
    let mut counts: BTreeMap<SeriesKey, f64> = BTreeMap::new();
    for sample in scrape.samples.iter().filter(|s| s.kind == Histogram) {
        let family = family_of(&scrape, sample).to_owned();
        let key = (family, series_values(sample));
        match &sample.name[key.0.len()..] {
            "_bucket" => buckets
                .entry(key)
                .or_default()
                .push((label(sample, "le").unwrap(), sample.value)),
            "_count" => {
                counts.insert(key, sample.value);
            }
            suffix => assert_eq!(suffix, "_sum"),
        }
    }
    assert_eq!(buckets.len(), counts.len());
    for ((family, series), points) in &buckets {
        let (_, bounds) = BUCKETS.iter().find(|(f, _)| f == family).unwrap();
        let les: Vec<&str> = points.iter().map(|(le, _)| le.as_str()).collect();
        assert_eq!(&les, bounds, "{family}{series:?}");
        assert!(
            points.windows(2).all(|w| w[0].1 <= w[1].1),
            "{family}{series:?}"
        );
        let inf = points.last().unwrap().1;
        assert_eq!(inf, counts[&(family.clone(), series.clone())]);
    }
    let histograms: Vec<&str> = buckets.keys().map(|(f, _)| f.as_str()).collect();
    for (family, _) in BUCKETS {
        assert!(histograms.contains(family), "{family} has no series");
    }
}

#[test]
fn canary_is_worse_than_production_over_a_simulated_hour() {
    let share_5xx_and_mean_latency = |scrape: &Scrape| {
        let total = sum(scrape, "zai_proxy_requests_total", &[]);
        let server_errors: f64 = ["500", "502", "503"]
            .iter()
            .map(|code| sum(scrape, "zai_proxy_requests_total", &[("status_code", code)]))
            .sum();
        let latency = sum(scrape, "zai_proxy_request_duration_seconds_sum", &[])
            / sum(scrape, "zai_proxy_request_duration_seconds_count", &[]);
        let rate_limited = sum(
            scrape,
            "zai_proxy_upstream_errors_total",
            &[("error_type", "429")],
        );
        (server_errors / total, latency, rate_limited / total)
    };
    for seed in [1, 2, 3] {
        let production_text = after("production", Profile::production(), seed, 60).render();
        let canary_text = after("canary", Profile::canary(), seed, 60).render();
        let (prod_5xx, prod_latency, prod_429) =
            share_5xx_and_mean_latency(&parsed(&production_text));
        let (canary_5xx, canary_latency, canary_429) =
            share_5xx_and_mean_latency(&parsed(&canary_text));
        assert!(prod_5xx < 0.01, "production 5xx share {prod_5xx}");
        assert!(
            (0.02..0.06).contains(&canary_5xx),
            "canary 5xx share {canary_5xx}"
        );
        assert!(
            canary_latency > 1.5 * prod_latency,
            "{canary_latency} vs {prod_latency}"
        );
        assert!(canary_429 > prod_429, "{canary_429} vs {prod_429}");
    }
}

#[test]
fn values_of_a_million_and_more_are_written_in_exponent_form() {
    let text = after("production", Profile::production(), 1, 30).render();
    let mut large = 0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (_, value) = line.rsplit_once(' ').unwrap();
        let number: f64 = value.parse().unwrap_or(f64::INFINITY);
        if number.is_finite() && number.abs() >= 1e6 {
            large += 1;
            let (mantissa, exponent) = value.split_once("e+").expect(line);
            assert!(
                mantissa.parse::<f64>().is_ok() && exponent.len() >= 2,
                "{line}"
            );
        } else {
            assert!(!value.contains('e') || number.abs() < 1e-4, "{line}");
        }
    }
    assert!(
        large >= 3,
        "expected token totals, sizes and the start time"
    );
    assert!(text.contains(r#"le="1e+06""#));
}

#[test]
fn series_are_sorted_like_client_golang() {
    let sim = after("canary", Profile::canary(), 4, 60);
    let text = sim.render();
    let scrape = parsed(&text);
    let names: Vec<&str> = scrape.families.iter().map(|f| f.name).collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
    let mut last: Option<(&str, Vec<String>)> = None;
    for sample in &scrape.samples {
        let family = family_of(&scrape, sample);
        let values = series_values(sample);
        if let Some((last_family, last_values)) = &last
            && *last_family == family
        {
            assert!(
                *last_values <= values,
                "{family}: {last_values:?} before {values:?}"
            );
        }
        last = Some((family, values));
    }
}

#[test]
fn estimated_cost_follows_the_price_table_and_peak_doubles_it() {
    // 06:30 UTC = 01:30 in the proxy's fixed UTC-5 zone: the hour crosses
    // into the 02:00-06:00 peak.
    let start = 1_789_108_200_000;
    let mut sim = Simulator::new("production", steady(Profile::production()), 2, start);
    scrape_for(&mut sim, 60);
    let text = sim.render();
    let scrape = parsed(&text);
    let mut tiers = Vec::new();
    for cost in scrape
        .samples
        .iter()
        .filter(|s| s.name == "zai_proxy_estimated_cost_usd_total")
    {
        let direction = label(cost, "direction").unwrap();
        let tier = label(cost, "pricing_tier").unwrap();
        let filter = [
            ("direction", direction.as_str()),
            ("model", &label(cost, "model").unwrap()),
            ("pricing_tier", tier.as_str()),
        ];
        let tokens = sum(&scrape, "zai_proxy_tokens_total", &filter);
        assert!(tokens > 0.0, "a cost series exists only with its tokens");
        let per_1k = match direction.as_str() {
            "input" => 0.00060,
            "output" => 0.00220,
            "cache_read" => 0.00011,
            _ => 0.0,
        };
        let multiplier = if tier == "peak" { 2.0 } else { 1.0 };
        let expected = tokens / 1_000.0 * per_1k * multiplier;
        assert!(
            (cost.value - expected).abs() <= 1e-9 * expected.max(1.0),
            "{filter:?}"
        );
        tiers.push(tier);
    }
    assert!(tiers.contains(&"peak".to_owned()) && tiers.contains(&"off_peak".to_owned()));
    assert!(
        scrape
            .samples
            .iter()
            .filter(|s| s.name == "zai_proxy_tokens_total")
            .all(|s| s.value > 0.0)
    );
}

#[test]
fn canary_quota_gauges_are_consistent_and_evolve_slowly() {
    let sim = after("canary", Profile::canary(), 8, 30);
    let text = sim.render();
    let scrape = parsed(&text);
    let now_s = sim.clock_ms() as f64 / 1_000.0;
    for window in ["five_hour", "weekly"] {
        let filter = [("limit_type", "credit_limit"), ("window", window)];
        let used = sum(&scrape, "zai_proxy_quota_usage_ratio", &filter);
        let left = sum(&scrape, "zai_proxy_quota_remaining_ratio", &filter);
        let reset = sum(&scrape, "zai_proxy_quota_reset_time_seconds", &filter);
        assert!((0.0..=1.0).contains(&used) && (used + left - 1.0).abs() < 1e-12);
        assert!(reset > now_s, "{window} resets in the future");
    }
    let age = sum(&scrape, "zai_proxy_quota_sample_age_seconds", &[]);
    assert!((0.0..15.0 * 60.0).contains(&age), "{age}");
    assert!(
        sum(
            &scrape,
            "zai_proxy_quota_poll_total",
            &[("result", "success")]
        ) >= 20.0
    );
}

#[test]
fn pods_behind_one_service_share_its_traffic() {
    let requests = |sim: &Simulator| {
        let text = sim.render();
        sum(&parsed(&text), "zai_proxy_requests_total", &[])
    };
    let one_process = requests(&after("production", Profile::production(), 1, 60));
    let pods: f64 = [1, 2]
        .map(|seed| after("production", Profile::production().per_pod(2), seed, 60))
        .iter()
        .map(requests)
        .sum();
    assert!(
        (pods / one_process - 1.0).abs() < 0.15,
        "two pods served {pods} requests, one process {one_process}"
    );
}

#[test]
fn a_long_jump_costs_at_most_fifteen_simulated_minutes() {
    let mut sim = Simulator::new("production", steady(Profile::production()), 1, START_MS);
    let month_ms = 30 * 86_400_000;
    sim.advance_to(START_MS + month_ms);
    assert_eq!(sim.clock_ms(), START_MS + month_ms);
    let text = sim.render();
    let requests = sum(&parsed(&text), "zai_proxy_requests_total", &[]);
    assert!((500.0..2_000.0).contains(&requests), "{requests} requests");
}
