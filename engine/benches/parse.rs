//! Parser throughput: `zai_dash_engine::parse` next to prometheus-parse 0.2.5
//! on a deterministic ~1 MB synthetic exposition (about 10k samples of
//! counters, two histogram families, a summary and gauges, written by
//! `format` in client_golang's style) and on the shared reconstructed
//! fixture, a real-size 36 KB scrape.
//!
//! Run with `cargo bench -p zai-dash-engine --bench parse`
//! (add `-- --quick` for a short run).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use zai_dash_engine::format::{write_family_header, write_float, write_sample};
use zai_dash_engine::parse::{MetricType, parse};

const FIXTURE: &str = zai_dash_fixtures::VARIANT;

/// xorshift64: deterministic values without a `rand` dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A float in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Appends one histogram series: cumulative buckets, `_sum` and `_count`.
fn histogram_series(
    out: &mut String,
    rng: &mut Rng,
    name: &str,
    labels: &[(&str, &str)],
    bounds: &[f64],
) {
    let mut count = 0.0;
    let mut le = String::new();
    let bucket = format!("{name}_bucket");
    for &bound in bounds.iter().chain([f64::INFINITY].iter()) {
        count += (rng.unit() * 500.0).floor();
        le.clear();
        write_float(&mut le, bound);
        let mut with_le = labels.to_vec();
        with_le.push(("le", &le));
        write_sample(out, &bucket, &with_le, count);
    }
    write_sample(
        out,
        &format!("{name}_sum"),
        labels,
        count * rng.unit() * 3.0,
    );
    write_sample(out, &format!("{name}_count"), labels, count);
}

/// A ~1 MB exposition shaped like the one the parser survey measured
/// (reference section A1): about 10.5k samples with zai-proxy's names and
/// label shapes.
fn synthetic() -> String {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(1 << 20);
    let variants = ["production", "canary"];
    let models = ["glm-4.7", "glm-4.6", "glm-4.5-air", "glm-4"];
    let directions = ["input", "output", "cache_read", "cache_write"];
    let statuses = ["200", "400", "429", "500", "502", "503"];
    let paths: Vec<String> = (0..20).map(|i| format!("/api/v1/messages/{i}")).collect();
    let sources: Vec<String> = (0..950).map(|i| format!("source-{i:03}")).collect();

    write_family_header(
        &mut out,
        "zai_proxy_tokens_total",
        "Total number of tokens processed by direction, model, deployment variant, and pricing tier",
        MetricType::Counter,
    );
    for model in models {
        for direction in directions {
            for tier in ["peak", "off_peak"] {
                for variant in variants {
                    for source in &sources[..10] {
                        let labels = [
                            ("client", source.as_str()),
                            ("direction", direction),
                            ("model", model),
                            ("pricing_tier", tier),
                            ("variant", variant),
                        ];
                        let value = (rng.unit() * 2e8).floor();
                        write_sample(&mut out, "zai_proxy_tokens_total", &labels, value);
                    }
                }
            }
        }
    }

    write_family_header(
        &mut out,
        "zai_proxy_requests_total",
        "Total number of requests by method, path, status code, and variant",
        MetricType::Counter,
    );
    for path in &paths {
        for status in statuses {
            for variant in variants {
                let labels = [
                    ("method", "POST"),
                    ("path", path.as_str()),
                    ("status_code", status),
                    ("variant", variant),
                ];
                let value = (rng.unit() * 20000.0).floor();
                write_sample(&mut out, "zai_proxy_requests_total", &labels, value);
            }
        }
    }

    let name = "zai_proxy_request_duration_seconds";
    write_family_header(
        &mut out,
        name,
        "Request duration in seconds",
        MetricType::Histogram,
    );
    let seconds = [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
    for path in &paths {
        for status in statuses {
            for variant in variants {
                let labels = [
                    ("method", "POST"),
                    ("path", path.as_str()),
                    ("status_code", status),
                    ("variant", variant),
                ];
                histogram_series(&mut out, &mut rng, name, &labels, &seconds);
            }
        }
    }

    let name = "zai_proxy_response_size_bytes";
    write_family_header(
        &mut out,
        name,
        "Response size in bytes",
        MetricType::Histogram,
    );
    let bytes = [100.0, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
    for path in &paths {
        for model in models {
            for variant in variants {
                let labels = [
                    ("model", model),
                    ("path", path.as_str()),
                    ("variant", variant),
                ];
                histogram_series(&mut out, &mut rng, name, &labels, &bytes);
            }
        }
    }

    let name = "zai_proxy_upstream_latency_seconds";
    write_family_header(
        &mut out,
        name,
        "Upstream latency quantiles over the last 10 minutes",
        MetricType::Summary,
    );
    let mut q = String::new();
    for path in &paths {
        for model in models {
            let mut count = 0.0;
            for quantile in [0.0, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0] {
                q.clear();
                write_float(&mut q, quantile);
                let labels = [("model", model), ("path", path.as_str()), ("quantile", &q)];
                count += rng.unit() * 4.0;
                write_sample(&mut out, name, &labels, count);
            }
            let labels = [("model", model), ("path", path.as_str())];
            write_sample(&mut out, &format!("{name}_sum"), &labels, count * 1000.0);
            write_sample(&mut out, &format!("{name}_count"), &labels, 1000.0);
        }
    }

    for (name, help) in [
        (
            "zai_proxy_concurrent_requests",
            "Number of requests currently being processed",
        ),
        (
            "zai_proxy_rate_limit_requests_per_second",
            "Current rate limit in requests per second",
        ),
    ] {
        write_family_header(&mut out, name, help, MetricType::Gauge);
        for variant in variants {
            for source in &sources {
                let labels = [("client", source.as_str()), ("variant", variant)];
                write_sample(&mut out, name, &labels, (rng.unit() * 100.0).round() / 10.0);
            }
        }
    }
    out
}

fn prometheus_parse(text: &str) -> prometheus_parse::Scrape {
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("in-memory lines cannot fail")
}

fn bench_input(c: &mut Criterion, group_name: &str, text: &str) {
    let scrape = parse(text);
    assert!(scrape.errors.is_empty(), "{:?}", scrape.errors);
    println!(
        "{group_name}: {} bytes, {} samples (prometheus-parse: {} grouped samples)",
        text.len(),
        scrape.samples.len(),
        prometheus_parse(text).samples.len()
    );
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("zai_dash_engine", |b| b.iter(|| parse(black_box(text))));
    group.bench_function("prometheus_parse", |b| {
        b.iter(|| prometheus_parse(black_box(text)))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_input(c, "synthetic_1mb", &synthetic());
    bench_input(c, "fixture_36kb", FIXTURE);
}

criterion_group!(parse_benches, benches);
criterion_main!(parse_benches);
