//! The specification of `series::Cache`: whatever a user does (scrapes
//! arriving, windows changed, a pause, a drag-zoom, a return to live), a
//! cached chart is exactly the chart a fresh computation draws, and
//! updating it never panics.
//!
//! The cache once mapped a live grid onto a paused one past the paused
//! grid's end and panicked with "index out of bounds"; the property test
//! below drives every such sequence instead of the one that was seen. A
//! variant has up to three pods whose scrapes arrive out of step (a pod's
//! row can be older than another's newest), restart, go away and come
//! back under the same id.

// proptest has no wasm32 random source.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use zai_dash_engine::{
    buffer::Buffer,
    parse::parse,
    series::{self, Cache, Grid, Series},
};

/// One thing a user (or the network) does to a chart.
#[derive(Clone, Debug)]
enum Step {
    /// `n` rounds of scrapes arrive, `gap_ms` apart, from the pods in
    /// `pods` (a bit each); every `reset_every`-th scrape of a pod restarts
    /// its process (a new start time, counters back near 0), and from
    /// `new_code_at` on a 500 series exists.
    Scrapes {
        n: usize,
        gap_ms: i64,
        reset_every: usize,
        new_code_at: usize,
        pods: u8,
    },
    /// A pod goes away (its id may come back later, as a new target).
    Retire { pod: usize },
    /// A live window of `window_ms` ending `lag_ms` after the newest row.
    Live {
        window_ms: i64,
        lag_ms: i64,
        points: usize,
    },
    /// A paused (or zoomed) range: starting `back_ms` before the newest
    /// row, `span_ms` long.
    Fixed {
        back_ms: i64,
        span_ms: i64,
        points: usize,
    },
    /// The poll interval changes (and with it the grid's lookback).
    Refresh { scrape_ms: i64 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1..12usize, 1..9_000i64, 2..30usize, 0..40usize, 1..8u8).prop_map(
            |(n, gap_ms, reset_every, new_code_at, pods)| Step::Scrapes {
                n,
                gap_ms,
                reset_every,
                new_code_at,
                pods,
            }
        ),
        (0..3usize).prop_map(|pod| Step::Retire { pod }),
        (1_000..400_000i64, 0..7_000i64, 1..80usize).prop_map(|(window_ms, lag_ms, points)| {
            Step::Live {
                window_ms,
                lag_ms,
                points,
            }
        }),
        (0..300_000i64, 1..200_000i64, 1..80usize).prop_map(|(back_ms, span_ms, points)| {
            Step::Fixed {
                back_ms,
                span_ms,
                points,
            }
        }),
        prop_oneof![Just(1_000i64), Just(2_000), Just(5_000)]
            .prop_map(|scrape_ms| Step::Refresh { scrape_ms }),
    ]
}

/// The simulated variant: a buffer small enough that eviction happens,
/// and three pods whose clocks are out of step with each other.
struct Variant {
    buffer: Buffer,
    t_ms: i64,
    pods: [Pod; 3],
}

/// One pod's process.
#[derive(Default)]
struct Pod {
    t_ms: i64,
    scrapes: usize,
    start: u32,
    ok: f64,
    failed: f64,
}

/// How far each pod's scrape times are from the shared clock: pod 1's
/// rows land before pod 0's of the same round, after them in the buffer.
const SKEW_MS: [i64; 3] = [0, -700, 1_300];

impl Variant {
    fn new(max_rows: usize) -> Self {
        Variant {
            buffer: Buffer::new(10 * 60_000, max_rows),
            t_ms: 1_700_000_000_000,
            pods: Default::default(),
        }
    }

    /// A round of scrapes of the pods in `mask`, in pod order.
    fn round(&mut self, gap_ms: i64, reset_every: usize, new_code_at: usize, mask: u8) {
        self.t_ms += gap_ms;
        for i in (0..3).filter(|i| mask & (1 << i) != 0) {
            let t_ms = self.t_ms + SKEW_MS[i];
            let pod = &mut self.pods[i];
            if t_ms <= pod.t_ms {
                continue;
            }
            pod.t_ms = t_ms;
            let text = pod.scrape(reset_every, new_code_at);
            self.buffer
                .push_target(&format!("pod-{i}"), t_ms, &parse(&text))
                .expect("rows arrive in order per pod");
        }
    }

    /// `n` scrapes of the only pod, `gap_ms` apart.
    fn scrape(&mut self, gap_ms: i64, reset_every: usize, new_code_at: usize) {
        self.round(gap_ms, reset_every, new_code_at, 1);
    }
}

impl Pod {
    fn scrape(&mut self, reset_every: usize, new_code_at: usize) -> String {
        self.scrapes += 1;
        if self.scrapes.is_multiple_of(reset_every) {
            self.start += 1;
            self.ok = 0.0;
            self.failed = 0.0;
        }
        self.ok += (self.scrapes % 7) as f64 + 1.0;
        let mut text = format!(
            "process_start_time_seconds {}\n\
             zai_proxy_requests_total{{status_code=\"200\"}} {}\n\
             zai_proxy_request_duration_seconds_bucket{{le=\"0.5\"}} {}\n\
             zai_proxy_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n\
             zai_proxy_request_duration_seconds_sum {}\n\
             zai_proxy_request_duration_seconds_count {}\n",
            self.start,
            self.ok,
            (self.ok / 2.0).floor(),
            self.ok,
            self.ok * 0.4,
            self.ok
        );
        if self.scrapes >= new_code_at {
            self.failed += 1.0;
            text += &format!(
                "zai_proxy_requests_total{{status_code=\"500\"}} {}\n",
                self.failed
            );
        }
        text
    }
}

/// Point-for-point equality, where `NaN` (a gap) equals `NaN`.
fn same(cached: &[Series], fresh: &[Series]) -> Result<(), TestCaseError> {
    prop_assert_eq!(cached.len(), fresh.len());
    for (c, f) in cached.iter().zip(fresh) {
        prop_assert_eq!(&c.name, &f.name);
        prop_assert_eq!(&c.at_least, &f.at_least, "{}", c.name);
        prop_assert_eq!(c.values.len(), f.values.len(), "{}", c.name);
        for (i, (a, b)) in c.values.iter().zip(&f.values).enumerate() {
            prop_assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{} point {}: cached {} vs fresh {}",
                c.name,
                i,
                a,
                b
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn a_cached_chart_always_equals_a_fresh_computation(
        steps in prop::collection::vec(step(), 1..40),
        max_rows in 8..200usize,
    ) {
        let mut variant = Variant::new(max_rows);
        let mut rates = Cache::default();
        let mut latency = Cache::default();
        let mut scrape_ms = 5_000;
        for step in steps {
            let grid = match step {
                Step::Scrapes { n, gap_ms, reset_every, new_code_at, pods } => {
                    for _ in 0..n {
                        variant.round(gap_ms, reset_every, new_code_at, pods);
                    }
                    continue;
                }
                Step::Retire { pod } => {
                    variant.buffer.retire(&format!("pod-{pod}"));
                    continue;
                }
                Step::Refresh { scrape_ms: ms } => {
                    scrape_ms = ms;
                    continue;
                }
                Step::Live { window_ms, lag_ms, points } => {
                    let end = variant.t_ms + lag_ms;
                    Grid::new(end - window_ms, end, points, scrape_ms)
                }
                Step::Fixed { back_ms, span_ms, points } => {
                    let start = variant.t_ms - back_ms;
                    Grid::new(start, start + span_ms, points, scrape_ms)
                }
            };
            let buffer = &variant.buffer;
            same(rates.update(buffer, &grid, series::request_rates), &series::request_rates(buffer, &grid))?;
            same(latency.update(buffer, &grid, series::latency), &series::latency(buffer, &grid))?;
        }
    }
}

/// The sequence a user hit within two minutes: history builds, pause (the
/// grid freezes), more scrapes arrive, then back to live with a grid whose
/// reusable range reaches past the paused grid's last point.
#[test]
fn returning_to_live_after_a_pause_reuses_only_the_paused_grid() {
    let mut variant = Variant::new(17_280);
    let mut cache = Cache::default();
    for _ in 0..30 {
        variant.scrape(1_000, 1_000, 1_000);
    }
    let paused_end = variant.t_ms - 4_000;
    let paused = Grid::new(paused_end - 20_000, paused_end, 600, 1_000);
    cache.update(&variant.buffer, &paused, series::request_rates);
    for _ in 0..10 {
        variant.scrape(1_000, 1_000, 1_000);
    }
    let live = Grid::new(variant.t_ms - 60_000, variant.t_ms, 600, 1_000);
    let cached = cache
        .update(&variant.buffer, &live, series::request_rates)
        .to_vec();
    let fresh = series::request_rates(&variant.buffer, &live);
    same(&cached, &fresh).unwrap();
}
