//! One dashboard tick with a full day of history: for each of the two
//! variants, parse a new scrape, push it into a 24 h buffer (17,280 rows
//! at 5 s) and recompute what the panels show for a 1 h window.
//!
//! Benchmarks:
//! - `tick`: per variant, parse + push + `snapshot()` over 1 h + every
//!   chart series of [`zai_dash_engine::series`] on the app's 200-point
//!   grid, through [`series::Cache`] as the app does (only points that new
//!   data can change are recomputed);
//! - `tick_cold`: the same with empty caches, as after a window change;
//! - `parse+push`, `snapshot_1h`, `all_panels_1h`: the parts alone, on one
//!   variant's full buffer;
//! - `parse_fixture`: the shared 36 KB fixture scrape;
//! - `verdict_{1h,24h}_{cached,fresh}`: the verdict strip per poll, after a
//!   new scrape of both variants (not measured): both variants' interval
//!   samples over the window and the judge, through [`SamplesCache`] as
//!   the app does or from scratch with [`interval_samples`].
//!
//! Scrapes are the shared reconstructed fixture with every zai-proxy
//! counter advancing at each step (see [`advance`]), so rates, quantiles
//! and means have traffic to work on.
//!
//! Run with `cargo bench -p zai-dash-engine --bench tick`
//! (add `-- --warm-up-time 1 --measurement-time 3` for a short run).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use zai_dash_engine::buffer::{Buffer, DEFAULT_MAX_ROWS, Window};
use zai_dash_engine::format::write_float;
use zai_dash_engine::judge::{self, SamplesCache, Settings, Verdict, interval_samples};
use zai_dash_engine::parse::{Sample, parse};
use zai_dash_engine::prices::PriceTable;
use zai_dash_engine::series::{self, Cache, Grid, Series};
use zai_dash_engine::snapshot::{MetricSnapshot, snapshot};

const FIXTURE: &str = zai_dash_fixtures::VARIANT;

/// Scrape interval.
const STEP_MS: i64 = 5_000;
/// The window the panels show.
const HOUR_MS: i64 = 3_600_000;
/// Time of the first scrape (Unix ms).
const T0: i64 = 1_757_000_000_000;
/// The app's point budget per chart line (app/src/panels/mod.rs).
const MAX_POINTS: usize = 200;

/// How much a fixture sample grows per scrape: every zai-proxy counter by
/// one event (tokens by 400), histograms by one observation in the lowest
/// bucket with `le ≥ 10` (so durations land in (5, 10] s and sizes in
/// (0, 100] B), gauges and other families not at all.
fn advance(name: &str, le: Option<&str>) -> f64 {
    if !name.starts_with("zai_proxy_") {
        return 0.0;
    }
    if name.ends_with("_bucket") {
        let le = le.map_or(f64::NAN, |le| match le {
            "+Inf" => f64::INFINITY,
            other => other.parse().unwrap_or(f64::NAN),
        });
        f64::from(u8::from(le >= 10.0))
    } else if name.ends_with("_count") {
        1.0
    } else if name.ends_with("_sum") {
        7.5
    } else if name.starts_with("zai_proxy_tokens_total") {
        400.0
    } else if name.ends_with("_total") {
        1.0
    } else {
        0.0
    }
}

fn sample_advance(sample: &Sample<'_>) -> f64 {
    advance(sample.name, sample.labels.get("le").as_deref())
}

/// The fixture as it would read `step` scrapes later, as text.
fn scrape_text(step: usize) -> String {
    let mut out = String::with_capacity(FIXTURE.len() + 4096);
    for line in FIXTURE.lines() {
        let sample = (!line.starts_with('#'))
            .then(|| line.rsplit_once(' '))
            .flatten();
        let Some((series, value)) = sample else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let name = series.split('{').next().unwrap_or(series);
        let le = series
            .split_once("le=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(le, _)| le);
        let value: f64 = value.parse().expect("fixture values are plain floats");
        out.push_str(series);
        out.push(' ');
        write_float(&mut out, value + step as f64 * advance(name, le));
        out.push('\n');
    }
    out
}

/// A variant's buffer holding a full day: `DEFAULT_MAX_ROWS` scrapes,
/// the last one at step `DEFAULT_MAX_ROWS - 1`. The parsed fixture's
/// values are rewritten in place, so setup parses only once.
fn full_buffer() -> Buffer {
    let mut scrape = parse(FIXTURE);
    let base: Vec<(f64, f64)> = scrape
        .samples
        .iter()
        .map(|s| (s.value, sample_advance(s)))
        .collect();
    let mut buffer = Buffer::default();
    for step in 0..DEFAULT_MAX_ROWS {
        for (sample, &(value, per_step)) in scrape.samples.iter_mut().zip(&base) {
            sample.value = value + step as f64 * per_step;
        }
        buffer.push(at(step), &scrape).expect("in order");
    }
    assert_eq!(buffer.len(), DEFAULT_MAX_ROWS);
    buffer
}

fn at(step: usize) -> i64 {
    T0 + STEP_MS * step as i64
}

/// Every chart the app draws, as in app/src/panels/mod.rs `CHARTS`.
const PANELS: [fn(&Buffer, &Grid) -> Vec<Series>; 8] = [
    series::request_rates,
    series::latency,
    series::token_rates,
    series::cost_rates,
    series::concurrency,
    series::limiter,
    series::errors,
    series::sizes,
];

/// The app's grid for the hour ending at `end_ms`.
fn hour_grid(end_ms: i64) -> Grid {
    Grid::new(end_ms - HOUR_MS, end_ms, MAX_POINTS, STEP_MS)
}

/// Every chart series, computed from scratch.
fn all_panels(buffer: &Buffer, end_ms: i64) -> Vec<Series> {
    let grid = hour_grid(end_ms);
    PANELS
        .iter()
        .flat_map(|panel| panel(buffer, &grid))
        .collect()
}

/// Every chart series through per-chart caches; returns the line count.
fn all_panels_cached(caches: &mut [Cache; 8], buffer: &Buffer, end_ms: i64) -> usize {
    let grid = hour_grid(end_ms);
    caches
        .iter_mut()
        .zip(PANELS)
        .map(|(cache, panel)| cache.update(buffer, &grid, panel).len())
        .sum()
}

/// Parses and pushes one scrape per variant (the same text for both: each
/// variant has its own extractor and buffer), then computes the snapshot
/// over the last hour and, per variant, `charts`.
fn tick<T>(
    variants: &mut [(&'static str, Buffer); 2],
    text: &str,
    t_ms: i64,
    mut charts: impl FnMut(&Buffer, &Window<'_>) -> T,
) -> [(MetricSnapshot, T); 2] {
    variants.each_mut().map(|(name, buffer)| {
        let scrape = parse(text);
        buffer.push(t_ms, &scrape).expect("in order");
        let window = buffer.window(t_ms - HOUR_MS, t_ms);
        (snapshot(name, &window), charts(buffer, &window))
    })
}

/// The verdict over `range` at the app's interval for 5 s rows, each
/// variant's samples through its `caches` entry or, unless `cached`, from
/// scratch.
fn verdict(
    variants: &[(&'static str, Buffer); 2],
    caches: &mut [SamplesCache; 2],
    range: (i64, i64),
    cached: bool,
) -> Verdict {
    let interval = judge::judge_interval(range.0, range.1, STEP_MS);
    let prices = PriceTable::default();
    let [production, canary] = [0, 1].map(|i| {
        let buffer = &variants[i].1;
        if cached {
            caches[i].update(buffer, range, interval, &prices)
        } else {
            interval_samples(buffer, range, interval, &prices)
        }
    });
    judge::judge(&production, &canary, &Settings::default())
}

fn benches(c: &mut Criterion) {
    let mut variants = [("production", full_buffer()), ("canary", full_buffer())];
    let mut next_step = DEFAULT_MAX_ROWS;
    eprintln!(
        "setup: two buffers of {} rows, {} columns, {} bytes each",
        variants[0].1.len(),
        variants[0].1.schema().len(),
        variants[0].1.heap_bytes()
    );

    // Each iteration scrapes 5 s after the previous one; making the text
    // is setup, not measured.
    let mut next_scrape = || {
        let step = next_step;
        next_step += 1;
        (scrape_text(step), at(step))
    };
    let mut caches: [[Cache; 8]; 2] = Default::default();
    c.bench_function("tick", |b| {
        b.iter_batched(
            &mut next_scrape,
            |(text, t)| {
                let mut i = 0;
                tick(&mut variants, &text, t, |buffer, _| {
                    i += 1;
                    all_panels_cached(&mut caches[i - 1], buffer, t)
                })
            },
            BatchSize::SmallInput,
        )
    });
    c.bench_function("tick_cold", |b| {
        b.iter_batched(
            &mut next_scrape,
            |(text, t)| tick(&mut variants, &text, t, |buffer, _| all_panels(buffer, t)),
            BatchSize::SmallInput,
        )
    });

    // The verdict strip per poll: each iteration first adds a scrape to
    // both variants (not timed), as a poll does.
    for (name, span) in [("1h", HOUR_MS), ("24h", 24 * HOUR_MS)] {
        let mut caches: [SamplesCache; 2] = Default::default();
        for cached in [true, false] {
            let how = if cached { "cached" } else { "fresh" };
            c.bench_function(&format!("verdict_{name}_{how}"), |b| {
                b.iter_custom(|iters| {
                    let mut time = Duration::ZERO;
                    for _ in 0..iters {
                        let (text, t) = next_scrape();
                        for (_, buffer) in &mut variants {
                            buffer.push(t, &parse(&text)).expect("in order");
                        }
                        let start = Instant::now();
                        black_box(verdict(&variants, &mut caches, (t - span, t), cached));
                        time += start.elapsed();
                    }
                    time
                })
            });
        }
    }

    // One variant's parse + push alone (the buffer is full, so the oldest
    // row goes at each push).
    c.bench_function("parse+push", |b| {
        b.iter_batched(
            &mut next_scrape,
            |(text, t)| {
                let scrape = parse(&text);
                variants[0].1.push(t, &scrape).expect("in order");
            },
            BatchSize::SmallInput,
        )
    });

    let buffer = &variants[0].1;
    let end = buffer.last_time().expect("full buffer");
    let window = buffer.window(end - HOUR_MS, end);
    eprintln!("1 h window: {} rows", window.len());
    c.bench_function("snapshot_1h", |b| {
        b.iter(|| snapshot("production", black_box(&window)))
    });
    let day = buffer.window(end - 24 * HOUR_MS, end);
    c.bench_function("snapshot_24h", |b| {
        b.iter(|| snapshot("production", black_box(&day)))
    });
    c.bench_function("all_panels_1h", |b| {
        b.iter(|| all_panels(buffer, black_box(end)))
    });
    c.bench_function("parse_fixture", |b| b.iter(|| parse(black_box(FIXTURE))));
}

criterion_group!(tick_benches, benches);
criterion_main!(tick_benches);
