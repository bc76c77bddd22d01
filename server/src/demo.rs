//! Simulated zai-proxies for `zai-dash serve --demo`.
//!
//! The dashboard is only worth trying against something that behaves like a
//! real zai-proxy: counters that grow at a few requests per second, lazily
//! created series, 429 bursts answered by the AIMD limiter, retries counted
//! twice, restarts that reset every counter, a canary that is measurably
//! worse than production, and quota gauges only where quota polling is on.
//! A [`Simulator`] reproduces all of that as one process's `/metrics` text in
//! client_golang's exact layout (reference §1), so every engine path (parse,
//! counter-reset stitching, histogram math, "missing is not zero") is
//! exercised without a proxy.
//!
//! The simulation is deterministic: it advances in fixed one-second steps on
//! its own clock and draws every random number from one seeded generator, so
//! the same seed and the same [`Simulator::advance_to`] calls always give the
//! same text. Requests are recorded when they complete, as the proxy does at
//! the end of `ServeHTTP`; a restart drops the ones still in flight.

use std::collections::BTreeMap;

use fastrand::Rng;
use zai_dash_engine::{
    format::{write_family_header, write_float, write_sample},
    parse::MetricType,
};

/// Length of one simulation step.
const STEP_MS: i64 = 1_000;
/// A jump longer than this (a sleeping laptop, a stalled scraper) is not
/// simulated in full: only its last part is, as if the proxy had been idle.
const MAX_CATCH_UP_MS: i64 = 15 * 60 * 1_000;

const METHOD: &str = "POST";
const PATH: &str = "/api/anthropic/v1/messages";
/// `TOKENIZER_MODEL`: the model label of the tiktoken-fallback histograms.
const TOKENIZER_MODEL: &str = "glm-4";
/// `MAX_RETRIES`: retries after the first upstream attempt.
const MAX_RETRIES: usize = 3;

/// The AIMD limiter's evaluation window and its `RATE_LIMIT_*` settings.
const LIMITER_WINDOW_MS: i64 = 30_000;
const RATE_INITIAL: f64 = 10.0;
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
/// Offered load swings slowly around the profile's mean by this fraction.
const LOAD_SWING: f64 = 0.3;
const LOAD_PERIOD_MS: i64 = 20 * 60 * 1_000;
/// Share of successful responses whose output tokens are counted locally
/// (the non-streaming tiktoken fallback, the only path of `token_rate*`).
const TOKENIZER_FALLBACK: f64 = 0.005;

/// Token directions with their off-peak USD price per 1K tokens; peak is 2x.
const DIRECTIONS: [(&str, f64); 4] = [
    ("input", 0.00060),
    ("output", 0.00220),
    ("cache_read", 0.00011),
    ("cache_write", 0.0),
];

/// How one simulated zai-proxy deployment behaves: traffic, upstream health,
/// limits and build. Fields are public so tests and callers can derive
/// variations (`Profile { mean_restart_interval_s: None, ..Profile::canary() }`).
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Mean request arrivals per second (Poisson, with a slow ±30 % swing).
    pub request_rate: f64,
    /// Median duration of a successful upstream attempt, in seconds.
    pub latency_median_s: f64,
    /// Log-normal spread of that duration (sigma of its logarithm).
    pub latency_sigma: f64,
    /// Request rate the upstream tolerates before it answers 429s; a
    /// limiter set above it sees a steeply growing share of 429s.
    pub upstream_capacity_rps: f64,
    /// Chance that an attempt is answered 429 even below that capacity.
    pub rate_limited_base: f64,
    /// Chance, every 30 s, that an upstream congestion burst starts (the
    /// capacity drops to a quarter until it ends).
    pub burst_start: f64,
    /// Chance that an attempt fails in transit (connection, truncated or
    /// empty stream); the proxy retries it.
    pub transient_fault: f64,
    /// Chance that a request meets an upstream that fails every attempt, so
    /// the proxy answers 502 once its retries are exhausted.
    pub broken_upstream: f64,
    /// Chance of an upstream 500, passed through (not retried).
    pub server_error: f64,
    /// Chance of an upstream 400, passed through.
    pub bad_request: f64,
    /// Chance of an upstream 422 (never retried).
    pub unprocessable: f64,
    /// `MAX_WORKERS`: concurrent requests above it are refused with a 503.
    pub max_workers: u32,
    /// `QUOTA_POLL_ENABLED`: export the `zai_proxy_quota_*` families.
    pub quota_polling: bool,
    /// Mean time between process restarts in seconds; `None` never restarts.
    pub mean_restart_interval_s: Option<f64>,
    /// Request models (the body's `"model"`) with relative weights; non-empty.
    pub models: &'static [(&'static str, u32)],
    /// Active `client` buckets (`source-NN`) with relative weights; non-empty.
    pub clients: &'static [(&'static str, u32)],
    /// Version label of `zai_proxy_build_info`.
    pub version: &'static str,
    /// Short commit of the build.
    pub commit: &'static str,
    /// Build time, RFC 3339.
    pub build_time: &'static str,
}

impl Profile {
    /// The stable deployment: about 1.2 requests/s, under 1 % 5xx, rare 429
    /// bursts, no quota polling, a restart every 45 minutes on average.
    pub fn production() -> Self {
        Self {
            request_rate: 1.2,
            latency_median_s: 1.6,
            latency_sigma: 0.8,
            upstream_capacity_rps: 20.0,
            rate_limited_base: 0.003,
            burst_start: 0.03,
            transient_fault: 0.004,
            broken_upstream: 0.001,
            server_error: 0.002,
            bad_request: 0.002,
            unprocessable: 0.001,
            max_workers: 10,
            quota_polling: false,
            mean_restart_interval_s: Some(45.0 * 60.0),
            models: &[("glm-4.7", 9), ("glm-4.5-air", 1)],
            clients: &[("source-07", 6), ("source-23", 4), ("source-41", 1)],
            version: "1.11.1",
            commit: "224ff4c",
            build_time: "2026-09-04T18:22:10Z",
        }
    }

    /// The canary: less traffic but attempts about 1.9x slower, 3-4 % 5xx,
    /// a tighter upstream with twice as many 429 bursts, quota polling on,
    /// a restart every 20 minutes on average.
    pub fn canary() -> Self {
        Self {
            request_rate: 0.7,
            latency_median_s: 3.0,
            latency_sigma: 0.9,
            upstream_capacity_rps: 8.0,
            rate_limited_base: 0.01,
            burst_start: 0.06,
            transient_fault: 0.03,
            broken_upstream: 0.006,
            server_error: 0.02,
            bad_request: 0.002,
            unprocessable: 0.003,
            max_workers: 10,
            quota_polling: true,
            mean_restart_interval_s: Some(20.0 * 60.0),
            models: &[("glm-4.7", 6), ("glm-4.5-air", 4)],
            clients: &[("source-12", 3), ("source-23", 2), ("source-50", 1)],
            version: "1.12.0-rc.1",
            commit: "87825fd",
            build_time: "2026-09-05T09:41:55Z",
        }
    }
}

/// One simulated zai-proxy process and the world around it (its clients, the
/// upstream API and the account's quota), advanced on a simulated clock.
#[derive(Debug, Clone)]
pub struct Simulator {
    variant: String,
    profile: Profile,
    rng: Rng,
    clock_ms: i64,
    restarts: u32,
    /// Phase of the slow load swing, so two variants do not peak together.
    load_phase_ms: i64,
    next_arrival_ms: i64,
    upstream: Upstream,
    /// The limiter state the proxy persists across restarts (ceiling file).
    persisted: Persisted,
    /// Provider-side quota; only simulated when the profile polls it.
    account: Option<QuotaAccount>,
    process: Process,
}

impl Simulator {
    /// A process of `variant` (the `variant` label) started at `start_ms`
    /// (Unix ms), with traffic drawn from `seed`.
    pub fn new(variant: &str, profile: Profile, seed: u64, start_ms: i64) -> Self {
        let mut rng = Rng::with_seed(seed);
        let load_phase_ms = rng.i64(0..LOAD_PERIOD_MS);
        let account = profile
            .quota_polling
            .then(|| QuotaAccount::new(&mut rng, start_ms));
        let persisted = Persisted {
            rate: RATE_INITIAL,
            ceiling: None,
        };
        let process = Process::start(&profile, start_ms, persisted.rate);
        Self {
            variant: variant.to_owned(),
            profile,
            rng,
            clock_ms: start_ms,
            restarts: 0,
            load_phase_ms,
            next_arrival_ms: start_ms,
            upstream: Upstream {
                burst: false,
                next_change_ms: start_ms + LIMITER_WINDOW_MS,
            },
            persisted,
            account,
            process,
        }
    }

    /// Runs the simulation up to `now_ms` in whole steps; earlier times are a
    /// no-op. Only the last 15 minutes of a longer jump are simulated, so one
    /// call costs at most 900 steps. Within that bound the result depends
    /// only on the final time, not on how the calls split the way there.
    pub fn advance_to(&mut self, now_ms: i64) {
        let backlog = now_ms - self.clock_ms;
        if backlog > MAX_CATCH_UP_MS {
            self.clock_ms += (backlog - MAX_CATCH_UP_MS) / STEP_MS * STEP_MS;
            self.next_arrival_ms = self.next_arrival_ms.max(self.clock_ms);
        }
        while self.clock_ms + STEP_MS <= now_ms {
            self.step();
        }
    }

    /// The process's `/metrics` exposition now, in client_golang's layout.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(64 * 1024);
        self.process.metrics.render(&self.variant, &mut out);
        out
    }

    /// How many times the process has restarted since [`Simulator::new`].
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// Restarts the process now: every counter, histogram and gauge returns
    /// to its fresh-process state and in-flight requests are lost.
    pub fn restart(&mut self) {
        self.restarts += 1;
        self.process = Process::start(&self.profile, self.clock_ms, self.persisted.rate);
    }

    /// The simulated clock (Unix ms): the end of the last step.
    pub fn clock_ms(&self) -> i64 {
        self.clock_ms
    }

    fn step(&mut self) {
        let end = self.clock_ms + STEP_MS;
        if let Some(mean_s) = self.profile.mean_restart_interval_s
            && self.rng.f64() < STEP_MS as f64 / 1_000.0 / mean_s
        {
            self.restart();
        }
        while self.next_arrival_ms < end {
            let at = self.next_arrival_ms;
            self.complete_until(at);
            self.arrive(at);
            let mean_gap_s = 1.0 / self.arrival_rate(at);
            let gap_s = exponential(&mut self.rng, mean_gap_s);
            self.next_arrival_ms = at + ((gap_s * 1_000.0) as i64).max(1);
        }
        self.complete_until(end);
        self.clock_ms = end;
        self.tick(end);
    }

    /// Offered load at `at_ms`, requests per second.
    fn arrival_rate(&self, at_ms: i64) -> f64 {
        let phase =
            (at_ms + self.load_phase_ms).rem_euclid(LOAD_PERIOD_MS) as f64 / LOAD_PERIOD_MS as f64;
        self.profile.request_rate * (1.0 + LOAD_SWING * (phase * std::f64::consts::TAU).sin())
    }

    /// Admits a request arriving at `at_ms`, or refuses it at the
    /// concurrency cap with a 503, as the handler's entry does.
    fn arrive(&mut self, at_ms: i64) {
        let client = pick(&mut self.rng, self.profile.clients);
        let current = self.process.in_flight.len() + 1;
        if current > self.profile.max_workers as usize {
            let metrics = &mut self.process.metrics;
            metrics.add(&REQUESTS, &[METHOD, PATH, "503"], 1.0);
            metrics.add(&REJECTIONS, &[client], 1.0);
            self.process.set_concurrency(self.profile.max_workers);
            return;
        }
        let load = self.arrival_rate(at_ms) / self.process.limiter.rate;
        let outcome = self.serve(client, load);
        self.process.in_flight.push(Pending {
            end_ms: at_ms + (outcome.duration_s * 1_000.0) as i64,
            outcome,
        });
        self.process.set_concurrency(self.profile.max_workers);
    }

    /// Draws what happens to one admitted request: its upstream attempts,
    /// retries, final status, sizes and token usage.
    fn serve(&mut self, client: &'static str, load: f64) -> Outcome {
        let rate_limited = self.rate_limited_chance();
        let p = &self.profile;
        let rng = &mut self.rng;
        let broken = rng.f64() < p.broken_upstream;
        let request_bytes = log_normal(rng, 8.0e4, 1.2).clamp(200.0, 2.0e7).round();
        let mut outcome = Outcome {
            client,
            model: pick(rng, p.models),
            status: "200",
            duration_s: 0.0,
            request_bytes,
            response_bytes: None,
            count_duration_s: log_normal(rng, 0.006, 0.9),
            waits: Vec::with_capacity(1),
            errors: Vec::new(),
            retries: Vec::new(),
            tokens: [0.0; 4],
            tokenizer_s: None,
        };
        for attempt in 0..=MAX_RETRIES {
            // The token bucket queues longer the closer load gets to the rate.
            let wait = exponential(rng, 0.003 + 0.05 * load * load);
            outcome.waits.push(wait);
            outcome.duration_s += wait;
            let fault = if rng.f64() < rate_limited {
                Some(("429", "429"))
            } else if broken || rng.f64() < p.transient_fault {
                Some(pick_fault(rng))
            } else {
                None
            };
            let Some((error_type, reason)) = fault else {
                outcome.finish(rng, p);
                break;
            };
            outcome.errors.push(error_type);
            outcome.duration_s += log_normal(rng, 0.6, 0.7);
            if attempt == MAX_RETRIES {
                outcome.status = if error_type == "429" { "429" } else { "502" };
                break;
            }
            outcome.retries.push(reason);
            // Exponential backoff: 1, 2, 4 s.
            outcome.duration_s += f64::from(1u32 << attempt);
        }
        outcome
    }

    /// Chance that one attempt is answered 429: the base chance plus a steep
    /// rise once the limiter lets more through than the upstream's capacity.
    /// This is what the AIMD limiter reacts to, and what keeps it bounded.
    fn rate_limited_chance(&self) -> f64 {
        let burst = if self.upstream.burst { 0.25 } else { 1.0 };
        let capacity = self.profile.upstream_capacity_rps * burst;
        let excess = (self.process.limiter.rate / capacity - 1.0).max(0.0);
        (self.profile.rate_limited_base + 0.5 * excess).min(0.6)
    }

    /// Retires every in-flight request that has ended by `until_ms`, in end
    /// order, recording it.
    fn complete_until(&mut self, until_ms: i64) {
        while let Some(index) = self
            .process
            .in_flight
            .iter()
            .enumerate()
            .filter(|(_, p)| p.end_ms <= until_ms)
            .min_by_key(|(_, p)| p.end_ms)
            .map(|(i, _)| i)
        {
            let done = self.process.in_flight.swap_remove(index);
            let cost = self.process.record(&done.outcome, done.end_ms);
            if let Some(account) = &mut self.account {
                account.consume(cost);
            }
            self.process.set_concurrency(self.profile.max_workers);
        }
    }

    /// Periodic work at the end of a step: upstream weather, the limiter's
    /// window, the quota poller and the Go runtime's own metrics.
    fn tick(&mut self, now_ms: i64) {
        if due(&mut self.upstream.next_change_ms, now_ms, LIMITER_WINDOW_MS) {
            let stay_or_start = if self.upstream.burst {
                0.65
            } else {
                self.profile.burst_start
            };
            self.upstream.burst = self.rng.f64() < stay_or_start;
        }
        if due(
            &mut self.process.limiter.next_window_ms,
            now_ms,
            LIMITER_WINDOW_MS,
        ) {
            self.process.adjust_rate(&mut self.persisted);
        }
        if let Some(account) = &mut self.account {
            account.roll(now_ms);
            self.process.poll_quota(&mut self.rng, account, now_ms);
        }
        self.process.tick_runtime(&mut self.rng, now_ms);
    }
}

/// Whether a periodic task runs at `now_ms`: true once `next_ms` has come,
/// which then moves one period on (one period from now after a skipped gap,
/// so a long jump fires the task once, not once per missed period).
fn due(next_ms: &mut i64, now_ms: i64, period_ms: i64) -> bool {
    if now_ms < *next_ms {
        return false;
    }
    *next_ms += period_ms;
    if *next_ms <= now_ms {
        *next_ms = now_ms + period_ms;
    }
    true
}

/// Whether the upstream API is congested (429 bursts), re-drawn every 30 s.
#[derive(Debug, Clone)]
struct Upstream {
    burst: bool,
    next_change_ms: i64,
}

/// The limiter state written to the proxy's ceiling file and restored at
/// start, so a restart does not reset the learned rate.
#[derive(Debug, Clone)]
struct Persisted {
    rate: f64,
    ceiling: Option<f64>,
}

/// A request admitted and not yet finished.
#[derive(Debug, Clone)]
struct Pending {
    end_ms: i64,
    outcome: Outcome,
}

/// Everything the proxy records about one finished request.
#[derive(Debug, Clone)]
struct Outcome {
    client: &'static str,
    model: &'static str,
    status: &'static str,
    duration_s: f64,
    request_bytes: f64,
    /// Bytes written; only on the normal end path (not 422, 429, 502).
    response_bytes: Option<f64>,
    count_duration_s: f64,
    /// Limiter wait of each upstream attempt.
    waits: Vec<f64>,
    /// `error_type` of each failed attempt.
    errors: Vec<&'static str>,
    /// Cause of each retry (each also counts as `reason="retry"`).
    retries: Vec<&'static str>,
    /// Usage in [`DIRECTIONS`] order; zero is not recorded.
    tokens: [f64; 4],
    /// Local output-token counting time on the tiktoken-fallback path.
    tokenizer_s: Option<f64>,
}

impl Outcome {
    /// The attempt that reached the upstream without a transport fault: a
    /// passthrough error or a success with usage.
    fn finish(&mut self, rng: &mut Rng, p: &Profile) {
        let draw = rng.f64();
        let (status, median_s, response) = if draw < p.unprocessable {
            ("422", 0.3, None)
        } else if draw < p.unprocessable + p.bad_request {
            ("400", 0.12, Some(log_normal(rng, 200.0, 0.3)))
        } else if draw < p.unprocessable + p.bad_request + p.server_error {
            ("500", 1.5, Some(log_normal(rng, 137.0, 0.2)))
        } else {
            self.tokens = usage(rng);
            if rng.f64() < TOKENIZER_FALLBACK {
                self.tokens[2..].fill(0.0);
                self.tokenizer_s = Some(log_normal(rng, 0.008, 0.8));
            }
            let body = log_normal(rng, 1.5e4, 1.0).clamp(300.0, 5.0e6);
            ("200", p.latency_median_s, Some(body))
        };
        if status != "200" {
            self.errors.push(status);
        }
        self.status = status;
        self.response_bytes = response.map(f64::round);
        let sigma = if status == "200" {
            p.latency_sigma
        } else {
            0.6
        };
        self.duration_s += log_normal(rng, median_s, sigma);
    }
}

/// Token usage of one successful response, in [`DIRECTIONS`] order: most
/// requests read a large cached prefix, a few write one.
fn usage(rng: &mut Rng) -> [f64; 4] {
    let mut draw = |median: f64, sigma: f64, share: f64| {
        if rng.f64() < share {
            log_normal(rng, median, sigma).round().max(1.0)
        } else {
            0.0
        }
    };
    [
        draw(100.0, 1.0, 1.0),
        draw(150.0, 1.0, 1.0),
        draw(8_000.0, 0.8, 0.85),
        draw(2_000.0, 1.0, 0.05),
    ]
}

/// A transport fault as (`error_type`, retry `reason`).
fn pick_fault(rng: &mut Rng) -> (&'static str, &'static str) {
    match rng.u32(0..9) {
        0..6 => ("upstream_connection", "network_error"),
        6..8 => ("truncated_response", "truncated_response"),
        _ => ("empty_streaming", "empty_streaming"),
    }
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
struct Process {
    started_ms: i64,
    metrics: Registry,
    in_flight: Vec<Pending>,
    limiter: Limiter,
    /// Present when the profile polls the quota.
    poller: Option<Poller>,
    runtime: Runtime,
}

impl Process {
    /// A fresh process: only what `main.go` sets at start is exported.
    fn start(profile: &Profile, now_ms: i64, rate: f64) -> Self {
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
    fn set_concurrency(&mut self, max_workers: u32) {
        let current = self.in_flight.len() as f64;
        self.metrics.set(&CONCURRENT, &[], current);
        self.metrics
            .set(&WORKER_UTILIZATION, &[], current / f64::from(max_workers));
    }

    /// Records a finished request at `at_ms`; returns its estimated cost.
    fn record(&mut self, o: &Outcome, at_ms: i64) -> f64 {
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
    fn adjust_rate(&mut self, persisted: &mut Persisted) {
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
    fn poll_quota(&mut self, rng: &mut Rng, account: &QuotaAccount, now_ms: i64) {
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
    fn tick_runtime(&mut self, rng: &mut Rng, now_ms: i64) {
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
struct Limiter {
    rate: f64,
    next_window_ms: i64,
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

/// The Z.AI account's quota as the provider reports it; it outlives proxy
/// restarts. Other tenants of the account burn it too.
#[derive(Debug, Clone)]
struct QuotaAccount {
    windows: [QuotaWindow; 2],
}

/// One quota window: spend against a credit limit until its reset.
#[derive(Debug, Clone)]
struct QuotaWindow {
    name: &'static str,
    length_ms: i64,
    limit_usd: f64,
    used_usd: f64,
    resets_at_ms: i64,
}

/// USD per second spent on the account by everything but this proxy.
const QUOTA_BACKGROUND_USD_PER_S: f64 = 0.002;

impl QuotaAccount {
    /// An account met mid-window: partly used, resetting at a random time.
    fn new(rng: &mut Rng, now_ms: i64) -> Self {
        let mut window = |name, length_ms: i64, limit_usd: f64| QuotaWindow {
            name,
            length_ms,
            limit_usd,
            used_usd: limit_usd * (0.05 + 0.45 * rng.f64()),
            resets_at_ms: now_ms + rng.i64(length_ms / 10..length_ms),
        };
        Self {
            windows: [
                window("five_hour", 5 * 3_600_000, 80.0),
                window("weekly", 7 * 86_400_000, 2_400.0),
            ],
        }
    }

    fn consume(&mut self, usd: f64) {
        for window in &mut self.windows {
            window.used_usd += usd;
        }
    }

    /// Background spend for one step, and resets of windows that ended.
    fn roll(&mut self, now_ms: i64) {
        for window in &mut self.windows {
            window.used_usd += QUOTA_BACKGROUND_USD_PER_S * STEP_MS as f64 / 1_000.0;
            while now_ms >= window.resets_at_ms {
                window.used_usd = 0.0;
                window.resets_at_ms += window.length_ms;
            }
        }
    }
}

impl QuotaWindow {
    /// Used fraction, clamped to [0, 1] like the proxy's normalizer.
    fn usage(&self) -> f64 {
        (self.used_usd / self.limit_usd).clamp(0.0, 1.0)
    }
}

// ---------------------------------------------------------------------------
// Metric families: the table of everything the proxy registers, and a small
// client_golang-like registry that stores and renders their series.
// ---------------------------------------------------------------------------

/// What a family is and how its samples are laid out.
#[derive(Debug)]
enum Kind {
    Counter,
    Gauge,
    /// Upper bounds of the buckets, without `+Inf`.
    Histogram(&'static [f64]),
    /// Quantiles reported.
    Summary(&'static [f64]),
}

/// One registered family. `labels` are in exposition order (sorted by name,
/// as client_golang writes them); `variant` is filled in at render time.
#[derive(Debug)]
struct FamilyDef {
    name: &'static str,
    help: &'static str,
    kind: Kind,
    labels: &'static [&'static str],
}

impl FamilyDef {
    const fn new(
        name: &'static str,
        help: &'static str,
        kind: Kind,
        labels: &'static [&'static str],
    ) -> Self {
        Self {
            name,
            help,
            kind,
            labels,
        }
    }

    fn metric_type(&self) -> MetricType {
        match self.kind {
            Kind::Counter => MetricType::Counter,
            Kind::Gauge => MetricType::Gauge,
            Kind::Histogram(_) => MetricType::Histogram,
            Kind::Summary(_) => MetricType::Summary,
        }
    }
}

const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];
/// `prometheus.ExponentialBuckets(100, 10, 8)`.
const SIZE_BUCKETS: &[f64] = &[100.0, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const WAIT_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0,
];
const TOKEN_COUNT_BUCKETS: &[f64] = &[0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1];
const TOKEN_RATE_SECONDS_BUCKETS: &[f64] = &[
    0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1,
];
const TOKEN_RATE_BUCKETS: &[f64] = &[
    10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 25000.0, 50000.0, 100000.0,
];
const GC_QUANTILES: &[f64] = &[0.0, 0.25, 0.5, 0.75, 1.0];

const REQUEST_LABELS: &[&str] = &["method", "path", "status_code", "variant"];
const TOKEN_LABELS: &[&str] = &["direction", "model", "pricing_tier", "variant"];
const TOKEN_RATE_LABELS: &[&str] = &["direction", "model", "variant"];
const QUOTA_LABELS: &[&str] = &["limit_type", "variant", "window"];
const CLIENT_LABELS: &[&str] = &["client", "variant"];
const VARIANT: &[&str] = &["variant"];

use Kind::{Counter, Gauge, Histogram, Summary};

static GO_GC_DURATION: FamilyDef = FamilyDef::new(
    "go_gc_duration_seconds",
    "A summary of the pause duration of garbage collection cycles.",
    Summary(GC_QUANTILES),
    &[],
);
static GO_GOROUTINES: FamilyDef = FamilyDef::new(
    "go_goroutines",
    "Number of goroutines that currently exist.",
    Gauge,
    &[],
);
static GO_INFO: FamilyDef = FamilyDef::new(
    "go_info",
    "Information about the Go environment.",
    Gauge,
    &["version"],
);
static GO_ALLOC: FamilyDef = FamilyDef::new(
    "go_memstats_alloc_bytes",
    "Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes.",
    Gauge,
    &[],
);
static GO_THREADS: FamilyDef =
    FamilyDef::new("go_threads", "Number of OS threads created.", Gauge, &[]);
static PROCESS_CPU: FamilyDef = FamilyDef::new(
    "process_cpu_seconds_total",
    "Total user and system CPU time spent in seconds.",
    Counter,
    &[],
);
static PROCESS_RSS: FamilyDef = FamilyDef::new(
    "process_resident_memory_bytes",
    "Resident memory size in bytes.",
    Gauge,
    &[],
);
static PROCESS_START: FamilyDef = FamilyDef::new(
    "process_start_time_seconds",
    "Start time of the process since unix epoch in seconds.",
    Gauge,
    &[],
);
static SCRAPES_IN_FLIGHT: FamilyDef = FamilyDef::new(
    "promhttp_metric_handler_requests_in_flight",
    "Current number of scrapes being served.",
    Gauge,
    &[],
);
static SCRAPES: FamilyDef = FamilyDef::new(
    "promhttp_metric_handler_requests_total",
    "Total number of scrapes by HTTP status code.",
    Counter,
    &["code"],
);
static BUILD_INFO: FamilyDef = FamilyDef::new(
    "zai_proxy_build_info",
    "Build information including version, variant, commit, and build time",
    Gauge,
    &["build_time", "commit", "variant", "version"],
);
static CONCURRENT: FamilyDef = FamilyDef::new(
    "zai_proxy_concurrent_requests",
    "Number of requests currently being processed",
    Gauge,
    VARIANT,
);
static COST: FamilyDef = FamilyDef::new(
    "zai_proxy_estimated_cost_usd_total",
    "Estimated Z.AI API cost in USD by token direction, model, deployment variant, and pricing tier",
    Counter,
    TOKEN_LABELS,
);
static MAX_WORKERS: FamilyDef = FamilyDef::new(
    "zai_proxy_max_workers",
    "Maximum number of concurrent workers allowed",
    Gauge,
    VARIANT,
);
/// Registered by the proxy but never written (enforcement is not built),
/// so, like client_golang with an empty vector, it is never exported.
static QUOTA_GATE_OPEN: FamilyDef = FamilyDef::new(
    "zai_proxy_quota_gate_open",
    "Whether confirmed quota exhaustion is rejecting new work",
    Gauge,
    &["variant", "window"],
);
static QUOTA_POLLS: FamilyDef = FamilyDef::new(
    "zai_proxy_quota_poll_total",
    "Quota poll outcomes by result (success, error, malformed, stale)",
    Counter,
    &["result", "variant"],
);
/// Registered but never written, like [`QUOTA_GATE_OPEN`].
static QUOTA_RATE_CAP: FamilyDef = FamilyDef::new(
    "zai_proxy_quota_rate_cap",
    "Account-level admission rate cap derived from quota pacing",
    Gauge,
    VARIANT,
);
static QUOTA_REMAINING: FamilyDef = FamilyDef::new(
    "zai_proxy_quota_remaining_ratio",
    "Remaining fraction of the provider-reported quota after no local policy adjustment",
    Gauge,
    QUOTA_LABELS,
);
static QUOTA_RESET: FamilyDef = FamilyDef::new(
    "zai_proxy_quota_reset_time_seconds",
    "Provider quota reset time as a Unix timestamp",
    Gauge,
    QUOTA_LABELS,
);
static QUOTA_SAMPLE_AGE: FamilyDef = FamilyDef::new(
    "zai_proxy_quota_sample_age_seconds",
    "Age of the last valid account quota sample",
    Gauge,
    VARIANT,
);
static QUOTA_USAGE: FamilyDef = FamilyDef::new(
    "zai_proxy_quota_usage_ratio",
    "Normalized provider-reported quota usage ratio by window and limit type",
    Gauge,
    QUOTA_LABELS,
);
static ADJUSTMENTS: FamilyDef = FamilyDef::new(
    "zai_proxy_rate_limit_adjustments_total",
    "Total number of rate limit adjustments",
    Counter,
    &["direction", "variant"],
);
static REJECTIONS: FamilyDef = FamilyDef::new(
    "zai_proxy_rate_limit_rejections_total",
    "Total number of requests rejected due to proxy capacity, by bounded source bucket",
    Counter,
    CLIENT_LABELS,
);
static RATE_LIMIT: FamilyDef = FamilyDef::new(
    "zai_proxy_rate_limit_requests_per_second",
    "Current rate limit in requests per second",
    Gauge,
    VARIANT,
);
static WAIT: FamilyDef = FamilyDef::new(
    "zai_proxy_rate_limit_wait_seconds",
    "Time spent waiting for the rate limiter, by bounded source bucket",
    Histogram(WAIT_BUCKETS),
    CLIENT_LABELS,
);
static DURATION: FamilyDef = FamilyDef::new(
    "zai_proxy_request_duration_seconds",
    "Request duration in seconds",
    Histogram(DURATION_BUCKETS),
    REQUEST_LABELS,
);
static REQUEST_SIZE: FamilyDef = FamilyDef::new(
    "zai_proxy_request_size_bytes",
    "Request size in bytes",
    Histogram(SIZE_BUCKETS),
    &["method", "path", "variant"],
);
static REQUESTS: FamilyDef = FamilyDef::new(
    "zai_proxy_requests_total",
    "Total number of requests by method, path, status code, and variant",
    Counter,
    REQUEST_LABELS,
);
static RESPONSE_SIZE: FamilyDef = FamilyDef::new(
    "zai_proxy_response_size_bytes",
    "Response size in bytes",
    Histogram(SIZE_BUCKETS),
    REQUEST_LABELS,
);
static RETRIES: FamilyDef = FamilyDef::new(
    "zai_proxy_retry_attempts_total",
    "Total number of retry attempts",
    Counter,
    &["reason", "variant"],
);
static TOKEN_COUNT_DURATION: FamilyDef = FamilyDef::new(
    "zai_proxy_token_count_duration_seconds",
    "Duration of token counting operations",
    Histogram(TOKEN_COUNT_BUCKETS),
    VARIANT,
);
static TOKEN_RATE: FamilyDef = FamilyDef::new(
    "zai_proxy_token_rate",
    "Token processing rate in tokens per second (throughput). Labels: direction (input/output), model (glm-4, etc.), variant (stable/canary)",
    Histogram(TOKEN_RATE_BUCKETS),
    TOKEN_RATE_LABELS,
);
static TOKEN_RATE_SECONDS: FamilyDef = FamilyDef::new(
    "zai_proxy_token_rate_seconds",
    "Token processing rate histogram - tracks time taken to process tokens (lower is faster). Labels: direction (input/output), model (glm-4, etc.), variant (stable/canary)",
    Histogram(TOKEN_RATE_SECONDS_BUCKETS),
    TOKEN_RATE_LABELS,
);
static TOKENS: FamilyDef = FamilyDef::new(
    "zai_proxy_tokens_total",
    "Total number of tokens processed by direction (input/output), model, deployment variant, and pricing tier",
    Counter,
    TOKEN_LABELS,
);
static UPSTREAM_ERRORS: FamilyDef = FamilyDef::new(
    "zai_proxy_upstream_errors_total",
    "Total number of upstream errors by type",
    Counter,
    &["error_type", "variant"],
);
static WORKER_UTILIZATION: FamilyDef = FamilyDef::new(
    "zai_proxy_worker_utilization_ratio",
    "Current worker utilization ratio (concurrent_requests/max_workers)",
    Gauge,
    VARIANT,
);

/// Every family the proxy's default registry holds, quota ones included
/// (they are registered even when polling is off, and then stay empty).
static FAMILIES: &[&FamilyDef] = &[
    &GO_GC_DURATION,
    &GO_GOROUTINES,
    &GO_INFO,
    &GO_ALLOC,
    &GO_THREADS,
    &PROCESS_CPU,
    &PROCESS_RSS,
    &PROCESS_START,
    &SCRAPES_IN_FLIGHT,
    &SCRAPES,
    &BUILD_INFO,
    &CONCURRENT,
    &COST,
    &MAX_WORKERS,
    &QUOTA_GATE_OPEN,
    &QUOTA_POLLS,
    &QUOTA_RATE_CAP,
    &QUOTA_REMAINING,
    &QUOTA_RESET,
    &QUOTA_SAMPLE_AGE,
    &QUOTA_USAGE,
    &ADJUSTMENTS,
    &REJECTIONS,
    &RATE_LIMIT,
    &WAIT,
    &DURATION,
    &REQUEST_SIZE,
    &REQUESTS,
    &RESPONSE_SIZE,
    &RETRIES,
    &TOKEN_COUNT_DURATION,
    &TOKEN_RATE,
    &TOKEN_RATE_SECONDS,
    &TOKENS,
    &UPSTREAM_ERRORS,
    &WORKER_UTILIZATION,
];

/// A client_golang-like registry: families by name (so they render sorted),
/// each with its series keyed by label values (so series render sorted).
/// Keys leave out `variant`, which is the same for every series of a
/// process, so the order is unchanged and lookups never allocate.
#[derive(Debug, Clone)]
struct Registry {
    families: BTreeMap<&'static str, Family>,
}

#[derive(Debug, Clone)]
struct Family {
    def: &'static FamilyDef,
    /// Sample names and the extra label of histogram and summary points.
    layout: Option<DistLayout>,
    series: BTreeMap<Vec<&'static str>, Series>,
}

/// How a histogram or summary's samples are written.
#[derive(Debug, Clone)]
struct DistLayout {
    /// `name_bucket` for histograms, `name` for summaries.
    point_name: String,
    /// `le` or `quantile`.
    point_label: &'static str,
    /// Formatted bounds (with `+Inf`) or quantiles.
    points: Vec<String>,
    sum_name: String,
    count_name: String,
}

#[derive(Debug, Clone)]
enum Series {
    Value(f64),
    Dist(Dist),
}

/// A histogram (cumulative bucket counts) or a summary (quantile values).
#[derive(Debug, Clone)]
struct Dist {
    points: Vec<f64>,
    sum: f64,
    count: f64,
}

impl Registry {
    fn new() -> Self {
        let families = FAMILIES
            .iter()
            .map(|&def| {
                let family = Family {
                    def,
                    layout: DistLayout::of(def),
                    series: BTreeMap::new(),
                };
                (def.name, family)
            })
            .collect();
        Self { families }
    }

    /// The series of `def` with `key` (label values except `variant`),
    /// created at its first use, as `WithLabelValues` does.
    fn series_mut(&mut self, def: &'static FamilyDef, key: &[&'static str]) -> &mut Series {
        let family = self
            .families
            .get_mut(def.name)
            .expect("every family is registered");
        debug_assert_eq!(
            key.len(),
            def.labels.iter().filter(|l| **l != "variant").count(),
            "label values of {}",
            def.name
        );
        if !family.series.contains_key(key) {
            let fresh = match family.layout {
                Some(ref layout) => Series::Dist(Dist {
                    points: vec![0.0; layout.points.len()],
                    sum: 0.0,
                    count: 0.0,
                }),
                None => Series::Value(0.0),
            };
            family.series.insert(key.to_vec(), fresh);
        }
        family.series.get_mut(key).expect("inserted above")
    }

    fn value_mut(&mut self, def: &'static FamilyDef, key: &[&'static str]) -> &mut f64 {
        match self.series_mut(def, key) {
            Series::Value(v) => v,
            Series::Dist(_) => panic!("{} is not a counter or gauge", def.name),
        }
    }

    fn dist_mut(&mut self, def: &'static FamilyDef, key: &[&'static str]) -> &mut Dist {
        match self.series_mut(def, key) {
            Series::Dist(d) => d,
            Series::Value(_) => panic!("{} is not a histogram or summary", def.name),
        }
    }

    /// Counter `Add` (also creates a zero series when `delta` is 0).
    fn add(&mut self, def: &'static FamilyDef, key: &[&'static str], delta: f64) {
        *self.value_mut(def, key) += delta;
    }

    /// Gauge `Set`.
    fn set(&mut self, def: &'static FamilyDef, key: &[&'static str], value: f64) {
        *self.value_mut(def, key) = value;
    }

    /// Histogram `Observe`.
    fn observe(&mut self, def: &'static FamilyDef, key: &[&'static str], value: f64) {
        let Kind::Histogram(bounds) = def.kind else {
            panic!("{} is not a histogram", def.name);
        };
        let dist = self.dist_mut(def, key);
        for (count, bound) in dist
            .points
            .iter_mut()
            .zip(bounds.iter().chain([&f64::INFINITY]))
        {
            if value <= *bound {
                *count += 1.0;
            }
        }
        dist.sum += value;
        dist.count += 1.0;
    }

    /// Writes every non-empty family: HELP, TYPE, then its series.
    fn render(&self, variant: &str, out: &mut String) {
        let mut labels: Vec<(&str, &str)> = Vec::with_capacity(8);
        for family in self.families.values() {
            let def = family.def;
            if family.series.is_empty() {
                continue;
            }
            write_family_header(out, def.name, def.help, def.metric_type());
            for (key, series) in &family.series {
                labels.clear();
                let mut values = key.iter();
                for &name in def.labels {
                    let value = if name == "variant" {
                        variant
                    } else {
                        values.next().expect("one value per label")
                    };
                    labels.push((name, value));
                }
                match (series, &family.layout) {
                    (Series::Value(v), _) => write_sample(out, def.name, &labels, *v),
                    (Series::Dist(d), Some(layout)) => layout.write(out, &mut labels, d),
                    (Series::Dist(_), None) => unreachable!("distributions have a layout"),
                }
            }
        }
    }
}

impl DistLayout {
    fn of(def: &FamilyDef) -> Option<Self> {
        let (suffix, point_label, bounds, inf) = match def.kind {
            Kind::Histogram(bounds) => ("_bucket", "le", bounds, true),
            Kind::Summary(quantiles) => ("", "quantile", quantiles, false),
            Kind::Counter | Kind::Gauge => return None,
        };
        let mut points: Vec<String> = bounds
            .iter()
            .map(|&b| {
                let mut s = String::new();
                write_float(&mut s, b);
                s
            })
            .collect();
        if inf {
            points.push("+Inf".to_owned());
        }
        Some(Self {
            point_name: format!("{}{suffix}", def.name),
            point_label,
            points,
            sum_name: format!("{}_sum", def.name),
            count_name: format!("{}_count", def.name),
        })
    }

    /// Writes one series: its points with the extra label, then sum and count.
    fn write<'a>(&'a self, out: &mut String, labels: &mut Vec<(&'a str, &'a str)>, d: &Dist) {
        for (point, value) in self.points.iter().zip(&d.points) {
            labels.push((self.point_label, point));
            write_sample(out, &self.point_name, labels, *value);
            labels.pop();
        }
        write_sample(out, &self.sum_name, labels, d.sum);
        write_sample(out, &self.count_name, labels, d.count);
    }
}

/// Weighted choice among `(item, weight)` pairs; the slice must be non-empty.
fn pick(rng: &mut Rng, items: &[(&'static str, u32)]) -> &'static str {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut draw = rng.u32(0..total);
    for &(item, weight) in items {
        if draw < weight {
            return item;
        }
        draw -= weight;
    }
    unreachable!("draw is below the total weight")
}

/// Exponential variate with the given mean.
fn exponential(rng: &mut Rng, mean: f64) -> f64 {
    -mean * (1.0 - rng.f64()).ln()
}

/// Log-normal variate with the given median and sigma of its logarithm
/// (Box-Muller for the normal part).
fn log_normal(rng: &mut Rng, median: f64, sigma: f64) -> f64 {
    let u = 1.0 - rng.f64();
    let normal = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * rng.f64()).cos();
    median * (sigma * normal).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-09-11T00:00:00Z.
    const DAY_MS: i64 = 1_789_084_800_000;
    const HOUR_MS: i64 = 3_600_000;

    /// A series' value without creating it.
    fn value(registry: &Registry, def: &FamilyDef, key: &[&str]) -> Option<f64> {
        match registry.families[def.name].series.get(key)? {
            Series::Value(v) => Some(*v),
            Series::Dist(d) => Some(d.count),
        }
    }

    #[test]
    fn the_family_table_follows_client_golang_conventions() {
        let mut names: Vec<&str> = FAMILIES.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FAMILIES.len(), "family names are unique");
        for def in FAMILIES {
            assert!(
                def.labels.windows(2).all(|w| w[0] < w[1]),
                "{}: labels sorted by name, each once",
                def.name
            );
            if let Kind::Histogram(bounds) | Kind::Summary(bounds) = def.kind {
                assert!(bounds.windows(2).all(|w| w[0] < w[1]), "{}", def.name);
            }
        }
    }

    #[test]
    fn series_render_in_label_order_with_the_variant_in_its_place() {
        let mut registry = Registry::new();
        assert_eq!(render(&registry), "");
        registry.set(&QUOTA_USAGE, &["credit_limit", "weekly"], 0.25);
        registry.set(&QUOTA_USAGE, &["credit_limit", "five_hour"], 0.5);
        registry.observe(&TOKEN_COUNT_DURATION, &[], 0.003);
        registry.observe(&TOKEN_COUNT_DURATION, &[], 2e-5);
        let expected = "\
# HELP zai_proxy_quota_usage_ratio Normalized provider-reported quota usage ratio by window and limit type
# TYPE zai_proxy_quota_usage_ratio gauge
zai_proxy_quota_usage_ratio{limit_type=\"credit_limit\",variant=\"canary\",window=\"five_hour\"} 0.5
zai_proxy_quota_usage_ratio{limit_type=\"credit_limit\",variant=\"canary\",window=\"weekly\"} 0.25
# HELP zai_proxy_token_count_duration_seconds Duration of token counting operations
# TYPE zai_proxy_token_count_duration_seconds histogram
zai_proxy_token_count_duration_seconds_bucket{variant=\"canary\",le=\"0.0001\"} 1
zai_proxy_token_count_duration_seconds_bucket{variant=\"canary\",le=\"0.0005\"} 1
zai_proxy_token_count_duration_seconds_bucket{variant=\"canary\",le=\"0.001\"} 1
zai_proxy_token_count_duration_seconds_bucket{variant=\"canary\",le=\"0.005\"} 2
zai_proxy_token_count_duration_seconds_bucket{variant=\"canary\",le=\"0.01\"} 2
zai_proxy_token_count_duration_seconds_bucket{variant=\"canary\",le=\"0.025\"} 2
zai_proxy_token_count_duration_seconds_bucket{variant=\"canary\",le=\"0.05\"} 2
zai_proxy_token_count_duration_seconds_bucket{variant=\"canary\",le=\"0.1\"} 2
zai_proxy_token_count_duration_seconds_bucket{variant=\"canary\",le=\"+Inf\"} 2
zai_proxy_token_count_duration_seconds_sum{variant=\"canary\"} 0.00302
zai_proxy_token_count_duration_seconds_count{variant=\"canary\"} 2
";
        assert_eq!(render(&registry), expected);
    }

    fn render(registry: &Registry) -> String {
        let mut out = String::new();
        registry.render("canary", &mut out);
        out
    }

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
        while value(&process.metrics, &ADJUSTMENTS, &["probe"]).is_none() {
            rate = window(&mut process, &mut persisted, 40, 0);
        }
        assert_eq!(rate, 10.78, "a probe lifts the ceiling by 10 %");
        assert_eq!(persisted.rate, rate, "the rate survives a restart");
        assert_eq!(
            value(&process.metrics, &ADJUSTMENTS, &["decrease"]),
            Some(1.0)
        );
        assert!(value(&process.metrics, &ADJUSTMENTS, &["increase"]) >= Some(5.0));
        assert_eq!(value(&process.metrics, &RATE_LIMIT, &[]), Some(rate));
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

    #[test]
    fn a_capacity_reject_counts_a_503_and_a_rejection_but_no_duration() {
        let profile = Profile {
            max_workers: 0,
            ..Profile::production()
        };
        let mut sim = Simulator::new("production", profile, 1, DAY_MS);
        sim.advance_to(DAY_MS + 60_000);
        let metrics = &sim.process.metrics;
        let rejected = value(metrics, &REQUESTS, &[METHOD, PATH, "503"]).unwrap();
        let per_client: f64 = Profile::production()
            .clients
            .iter()
            .filter_map(|(client, _)| value(metrics, &REJECTIONS, &[client]))
            .sum();
        assert!(rejected > 10.0);
        assert_eq!(per_client, rejected);
        assert!(metrics.families[DURATION.name].series.is_empty());
        assert!(metrics.families[REQUEST_SIZE.name].series.is_empty());
    }
}
