//! One zai-proxy process: what it records about each finished request,
//! its AIMD rate limiter, its quota poller and the Go runtime it runs on.
//!
//! Everything here dies with the process: a restart replaces the whole
//! [`Process`] with a fresh one, which is what resets every counter. The
//! little that survives (the limiter's persisted rate and ceiling, the
//! provider's quota) is passed in from outside.

use fastrand::Rng;

use super::{
    families::*, profile::Profile, quota::QuotaAccount, random::log_normal, registry::Registry,
};

/// The method of every simulated request.
pub(super) const METHOD: &str = "POST";
/// The path of every simulated request: the Anthropic messages API.
pub(super) const PATH: &str = "/api/anthropic/v1/messages";
/// `TOKENIZER_MODEL`: the model label of the tiktoken-fallback histograms.
const TOKENIZER_MODEL: &str = "glm-4";
/// The AIMD limiter's evaluation window and its `RATE_LIMIT_*` settings.
pub(super) const LIMITER_WINDOW_MS: i64 = 30_000;
pub(super) const RATE_INITIAL: f64 = 10.0;
const RATE_MIN: f64 = 1.0;
const RATE_MAX: f64 = 50.0;
const CEILING_ALPHA: f64 = 0.3;
const HOLD_MARGIN: f64 = 0.02;
const PROBE_INTERVAL: u32 = 10;

/// Quota poller settings (`QUOTA_POLL_INTERVAL`, `QUOTA_STALE_AFTER`); the
/// first poll runs shortly after start, so "no sample yet" is visible.
const QUOTA_POLL_MS: i64 = 60_000;
const QUOTA_FIRST_POLL_MS: i64 = 5_000;
const QUOTA_STALE_AFTER_MS: i64 = 15 * 60 * 1_000;

/// The scrape interval assumed for `promhttp_metric_handler_requests_total`.
const SCRAPE_INTERVAL_MS: i64 = 5_000;
/// Token directions with their off-peak USD price per 1K tokens; peak is 2x.
pub(super) const DIRECTIONS: [(&str, f64); 4] = [
    ("input", 0.00060),
    ("output", 0.00220),
    ("cache_read", 0.00011),
    ("cache_write", 0.0),
];

/// Whether a periodic task runs at `now_ms`: true once `next_ms` has come,
/// which then moves one period on (one period from now after a skipped gap,
/// so a long jump fires the task once, not once per missed period).
pub(super) fn due(next_ms: &mut i64, now_ms: i64, period_ms: i64) -> bool {
    if now_ms < *next_ms {
        return false;
    }
    *next_ms += period_ms;
    if *next_ms <= now_ms {
        *next_ms = now_ms + period_ms;
    }
    true
}

/// The limiter state written to the proxy's ceiling file and restored at
/// start, so a restart does not reset the learned rate.
#[derive(Debug, Clone)]
pub(super) struct Persisted {
    pub(super) rate: f64,
    pub(super) ceiling: Option<f64>,
}

/// A request admitted and not yet finished.
#[derive(Debug, Clone)]
pub(super) struct Pending {
    pub(super) end_ms: i64,
    pub(super) outcome: Outcome,
}

/// Everything the proxy records about one finished request.
#[derive(Debug, Clone)]
pub(super) struct Outcome {
    pub(super) client: &'static str,
    pub(super) model: &'static str,
    pub(super) status: &'static str,
    pub(super) duration_s: f64,
    pub(super) request_bytes: f64,
    /// Bytes written; only on the normal end path (not 422, 429, 502).
    pub(super) response_bytes: Option<f64>,
    pub(super) count_duration_s: f64,
    /// Limiter wait of each upstream attempt.
    pub(super) waits: Vec<f64>,
    /// `error_type` of each failed attempt.
    pub(super) errors: Vec<&'static str>,
    /// Cause of each retry (each also counts as `reason="retry"`).
    pub(super) retries: Vec<&'static str>,
    /// Usage in [`DIRECTIONS`] order; zero is not recorded.
    pub(super) tokens: [f64; 4],
    /// Local output-token counting time on the tiktoken-fallback path.
    pub(super) tokenizer_s: Option<f64>,
}

/// `GetPricingTier`: peak from 02:00 to 06:00 in a fixed UTC-5 zone.
fn pricing_tier(at_ms: i64) -> &'static str {
    let hour = (at_ms.div_euclid(1_000) - 5 * 3_600)
        .div_euclid(3_600)
        .rem_euclid(24);
    if (2..6).contains(&hour) {
        "peak"
    } else {
        "off_peak"
    }
}

/// Everything that lives and dies with one proxy process.
#[derive(Debug, Clone)]
pub(super) struct Process {
    started_ms: i64,
    pub(super) metrics: Registry,
    pub(super) in_flight: Vec<Pending>,
    pub(super) limiter: Limiter,
    /// Present when the profile polls the quota.
    poller: Option<Poller>,
    runtime: Runtime,
}

impl Process {
    /// A fresh process: only what `main.go` sets at start is exported.
    pub(super) fn start(profile: &Profile, now_ms: i64, rate: f64) -> Self {
        let mut metrics = Registry::new();
        metrics.set(
            &BUILD_INFO,
            &[profile.build_time, profile.commit, profile.version],
            1.0,
        );
        metrics.set(&MAX_WORKERS, &[], f64::from(profile.max_workers));
        metrics.set(&RATE_LIMIT, &[], rate);
        metrics.set(&GO_INFO, &["go1.23.4"], 1.0);
        metrics.set(&PROCESS_START, &[], now_ms as f64 / 1_000.0);
        metrics.add(&PROCESS_CPU, &[], 0.05);
        // The Go collector exports the GC summary before the first cycle.
        metrics.dist_mut(&GO_GC_DURATION, &[]);
        for code in ["200", "500", "503"] {
            metrics.add(&SCRAPES, &[code], 0.0);
        }
        let mut process = Self {
            started_ms: now_ms,
            metrics,
            in_flight: Vec::new(),
            limiter: Limiter {
                rate,
                next_window_ms: now_ms + LIMITER_WINDOW_MS,
                clean_windows: 0,
                attempts: 0,
                rate_limited: 0,
            },
            poller: profile.quota_polling.then_some(Poller {
                next_poll_ms: now_ms + QUOTA_FIRST_POLL_MS,
                last_success_ms: None,
                stale: false,
            }),
            runtime: Runtime::default(),
        };
        process.set_runtime_gauges(now_ms);
        process
    }

    /// Sets the concurrency gauges, as the handler does on entry and exit.
    pub(super) fn set_concurrency(&mut self, max_workers: u32) {
        let current = self.in_flight.len() as f64;
        self.metrics.set(&CONCURRENT, &[], current);
        self.metrics
            .set(&WORKER_UTILIZATION, &[], current / f64::from(max_workers));
    }

    /// Records a finished request at `at_ms`; returns its estimated cost.
    pub(super) fn record(&mut self, o: &Outcome, at_ms: i64) -> f64 {
        let m = &mut self.metrics;
        m.add(&REQUESTS, &[METHOD, PATH, o.status], 1.0);
        m.observe(&DURATION, &[METHOD, PATH, o.status], o.duration_s);
        m.observe(&REQUEST_SIZE, &[METHOD, PATH], o.request_bytes);
        if let Some(bytes) = o.response_bytes {
            m.observe(&RESPONSE_SIZE, &[METHOD, PATH, o.status], bytes);
        }
        m.observe(&TOKEN_COUNT_DURATION, &[], o.count_duration_s);
        for &wait in &o.waits {
            m.observe(&WAIT, &[o.client], wait);
        }
        for &error_type in &o.errors {
            m.add(&UPSTREAM_ERRORS, &[error_type], 1.0);
        }
        for &reason in &o.retries {
            m.add(&RETRIES, &["retry"], 1.0);
            m.add(&RETRIES, &[reason], 1.0);
        }
        let tier = pricing_tier(at_ms);
        let multiplier = if tier == "peak" { 2.0 } else { 1.0 };
        let mut cost = 0.0;
        for (&(direction, price), &count) in DIRECTIONS.iter().zip(&o.tokens) {
            if count > 0.0 {
                let usd = count / 1_000.0 * (price * multiplier);
                m.add(&TOKENS, &[direction, o.model, tier], count);
                m.add(&COST, &[direction, o.model, tier], usd);
                cost += usd;
            }
        }
        if let Some(seconds) = o.tokenizer_s {
            m.observe(&TOKEN_RATE_SECONDS, &["output", TOKENIZER_MODEL], seconds);
            m.observe(
                &TOKEN_RATE,
                &["output", TOKENIZER_MODEL],
                o.tokens[1] / seconds,
            );
        }
        self.limiter.attempts += o.waits.len() as u32;
        self.limiter.rate_limited += o.errors.iter().filter(|e| **e == "429").count() as u32;
        self.runtime.allocated += 3.0 * o.request_bytes;
        self.runtime.cpu_s += 0.004 + 0.01 * o.waits.len() as f64;
        cost
    }

    /// `tryAdjustRate` at the end of a 30 s window. A 429 share above 5 %
    /// updates the learned ceiling (an EWMA of the rates that drew 429s) and
    /// backs off to at most 3/4 of the rate; below 1 % closes half the gap to
    /// the hold just under the ceiling (to the maximum while none is known),
    /// and after [`PROBE_INTERVAL`] clean windows there probes 10 % higher;
    /// in between the rate holds. Only a change is counted and exported.
    pub(super) fn adjust_rate(&mut self, persisted: &mut Persisted) {
        let l = &mut self.limiter;
        let (attempts, limited) = (l.attempts, l.rate_limited);
        l.attempts = 0;
        l.rate_limited = 0;
        if attempts == 0 {
            return;
        }
        let share = f64::from(limited) / f64::from(attempts);
        let (direction, rate) = if share > 0.05 {
            l.clean_windows = 0;
            let ceiling = persisted.ceiling.map_or(l.rate, |c| {
                CEILING_ALPHA * l.rate + (1.0 - CEILING_ALPHA) * c
            });
            persisted.ceiling = Some(ceiling);
            (
                "decrease",
                (l.rate * 0.75).min(ceiling * (1.0 - HOLD_MARGIN)),
            )
        } else if share < 0.01 {
            l.clean_windows += 1;
            let target = persisted
                .ceiling
                .map_or(RATE_MAX, |c| c * (1.0 - HOLD_MARGIN));
            if target - l.rate > 0.05 {
                ("increase", l.rate + 0.5 * (target - l.rate))
            } else if let Some(ceiling) = persisted.ceiling
                && l.clean_windows >= PROBE_INTERVAL
            {
                l.clean_windows = 0;
                let raised = (ceiling * 1.1).min(RATE_MAX);
                persisted.ceiling = Some(raised);
                ("probe", raised * (1.0 - HOLD_MARGIN))
            } else {
                return;
            }
        } else {
            l.clean_windows = 0;
            return;
        };
        l.rate = ((rate.clamp(RATE_MIN, RATE_MAX)) * 100.0).round() / 100.0;
        persisted.rate = l.rate;
        self.metrics.add(&ADJUSTMENTS, &[direction], 1.0);
        self.metrics.set(&RATE_LIMIT, &[], l.rate);
    }

    /// One poll of the provider's quota endpoint when it is due, plus the
    /// sample-age gauge, which exists once a poll has succeeded.
    pub(super) fn poll_quota(&mut self, rng: &mut Rng, account: &QuotaAccount, now_ms: i64) {
        let Some(poller) = &mut self.poller else {
            return;
        };
        if due(&mut poller.next_poll_ms, now_ms, QUOTA_POLL_MS) {
            let draw = rng.f64();
            let result = if draw < 0.95 {
                "success"
            } else if draw < 0.99 {
                "error"
            } else {
                "malformed"
            };
            self.metrics.add(&QUOTA_POLLS, &[result], 1.0);
            if result == "success" {
                poller.last_success_ms = Some(now_ms);
                poller.stale = false;
                for window in &account.windows {
                    let used = window.usage();
                    let key = ["credit_limit", window.name];
                    self.metrics.set(&QUOTA_USAGE, &key, used);
                    self.metrics.set(&QUOTA_REMAINING, &key, 1.0 - used);
                    self.metrics
                        .set(&QUOTA_RESET, &key, (window.resets_at_ms / 1_000) as f64);
                }
            } else if !poller.stale
                && poller
                    .last_success_ms
                    .is_some_and(|at| now_ms - at > QUOTA_STALE_AFTER_MS)
            {
                poller.stale = true;
                self.metrics.add(&QUOTA_POLLS, &["stale"], 1.0);
            }
        }
        if let Some(at) = poller.last_success_ms {
            let age_s = (now_ms - at) as f64 / 1_000.0;
            self.metrics.set(&QUOTA_SAMPLE_AGE, &[], age_s);
        }
    }

    /// Advances the Go runtime: heap growth and GC cycles, CPU time, and
    /// the scrapes served so far (one every [`SCRAPE_INTERVAL_MS`]).
    pub(super) fn tick_runtime(&mut self, rng: &mut Rng, now_ms: i64) {
        let rt = &mut self.runtime;
        let live = 5.0e6 + 4.0e5 * self.in_flight.len() as f64;
        rt.heap = rt.heap.max(live) + 6.0e4 + std::mem::take(&mut rt.allocated);
        rt.peak_heap = rt.peak_heap.max(rt.heap);
        if rt.heap >= rt.next_gc || now_ms - rt.last_gc_ms >= 120_000 {
            rt.heap = live;
            rt.next_gc = 2.0 * live;
            rt.last_gc_ms = now_ms;
            let pause = log_normal(rng, 6.0e-5, 0.6);
            rt.pauses.push(pause);
            if rt.pauses.len() > 32 {
                rt.pauses.remove(0);
            }
            let mut sorted = rt.pauses.clone();
            sorted.sort_by(f64::total_cmp);
            let gc = self.metrics.dist_mut(&GO_GC_DURATION, &[]);
            for (point, q) in gc.points.iter_mut().zip(GC_QUANTILES) {
                *point = sorted[((sorted.len() - 1) as f64 * q).round() as usize];
            }
            gc.sum += pause;
            gc.count += 1.0;
        }
        let cpu = 0.001 + std::mem::take(&mut rt.cpu_s);
        self.metrics.add(&PROCESS_CPU, &[], cpu);
        self.set_runtime_gauges(now_ms);
    }

    /// Sets the runtime gauges and the scrape counter from the current state.
    fn set_runtime_gauges(&mut self, now_ms: i64) {
        let rt = &mut self.runtime;
        let in_flight = self.in_flight.len() as f64;
        rt.threads = rt.threads.max(7.0 + (in_flight / 2.0).floor());
        let polling = if self.poller.is_some() { 1.0 } else { 0.0 };
        let m = &mut self.metrics;
        m.set(&GO_GOROUTINES, &[], 10.0 + 2.0 * in_flight + polling);
        m.set(&GO_THREADS, &[], rt.threads);
        m.set(&GO_ALLOC, &[], rt.heap.round());
        let rss = 2.2e7 + 1.5 * rt.peak_heap;
        m.set(&PROCESS_RSS, &[], (rss / 4_096.0).round() * 4_096.0);
        m.set(&SCRAPES_IN_FLIGHT, &[], 1.0);
        let scrapes = ((now_ms - self.started_ms) / SCRAPE_INTERVAL_MS) as f64;
        m.set(&SCRAPES, &["200"], scrapes);
    }
}

/// The AIMD limiter's current rate and the counts of its open window.
#[derive(Debug, Clone)]
pub(super) struct Limiter {
    pub(super) rate: f64,
    pub(super) next_window_ms: i64,
    clean_windows: u32,
    attempts: u32,
    rate_limited: u32,
}

/// The quota poller's schedule and freshness.
#[derive(Debug, Clone)]
struct Poller {
    next_poll_ms: i64,
    last_success_ms: Option<i64>,
    stale: bool,
}

/// Go runtime state behind the `go_*` and `process_*` families.
#[derive(Debug, Clone, Default)]
struct Runtime {
    heap: f64,
    peak_heap: f64,
    next_gc: f64,
    last_gc_ms: i64,
    /// Bytes allocated by requests since the last step.
    allocated: f64,
    /// CPU seconds spent on requests since the last step.
    cpu_s: f64,
    threads: f64,
    /// Recent GC pauses, the summary's quantile source.
    pauses: Vec<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-09-11T00:00:00Z.
    const DAY_MS: i64 = 1_789_084_800_000;
    const HOUR_MS: i64 = 3_600_000;

    #[test]
    fn peak_pricing_is_two_to_six_in_a_fixed_utc_minus_five_zone() {
        let two_am_et = DAY_MS + 7 * HOUR_MS;
        assert_eq!(pricing_tier(two_am_et - 1), "off_peak");
        assert_eq!(pricing_tier(two_am_et), "peak");
        assert_eq!(pricing_tier(two_am_et + 4 * HOUR_MS - 1), "peak");
        assert_eq!(pricing_tier(two_am_et + 4 * HOUR_MS), "off_peak");
    }

    /// Closes one limiter window with `limited` 429s out of `attempts`.
    fn window(
        process: &mut Process,
        persisted: &mut Persisted,
        attempts: u32,
        limited: u32,
    ) -> f64 {
        process.limiter.attempts = attempts;
        process.limiter.rate_limited = limited;
        process.adjust_rate(persisted);
        process.limiter.rate
    }

    #[test]
    fn the_limiter_backs_off_on_429s_climbs_back_and_then_probes() {
        let mut persisted = Persisted {
            rate: RATE_INITIAL,
            ceiling: None,
        };
        let mut process = Process::start(&Profile::production(), 0, persisted.rate);
        let backed_off = window(&mut process, &mut persisted, 40, 4);
        assert_eq!(backed_off, 7.5);
        assert_eq!(persisted.ceiling, Some(10.0));

        assert_eq!(
            window(&mut process, &mut persisted, 40, 1),
            backed_off,
            "1-5 %: hold"
        );
        let mut rate = backed_off;
        for _ in 0..8 {
            rate = window(&mut process, &mut persisted, 40, 0);
        }
        assert!(
            (9.7..=9.8).contains(&rate),
            "back under the ceiling: {rate}"
        );
        assert_eq!(
            window(&mut process, &mut persisted, 0, 0),
            rate,
            "no traffic: no change"
        );
        while process.metrics.value(&ADJUSTMENTS, &["probe"]).is_none() {
            rate = window(&mut process, &mut persisted, 40, 0);
        }
        assert_eq!(rate, 10.78, "a probe lifts the ceiling by 10 %");
        assert_eq!(persisted.rate, rate, "the rate survives a restart");
        assert_eq!(
            process.metrics.value(&ADJUSTMENTS, &["decrease"]),
            Some(1.0)
        );
        assert!(process.metrics.value(&ADJUSTMENTS, &["increase"]) >= Some(5.0));
        assert_eq!(process.metrics.value(&RATE_LIMIT, &[]), Some(rate));
    }

    #[test]
    fn a_periodic_task_fires_once_after_a_gap_then_keeps_its_period() {
        let mut next = 30_000;
        assert!(!due(&mut next, 29_999, 30_000));
        assert!(due(&mut next, 30_000, 30_000));
        assert_eq!(next, 60_000);
        assert!(due(&mut next, 500_000, 30_000));
        assert_eq!(next, 530_000);
        assert!(!due(&mut next, 501_000, 30_000));
    }
}
