//! The traffic model: the world around one proxy process and the clock
//! that moves it.
//!
//! Clients arrive as a Poisson process whose rate swings slowly around the
//! profile's mean; each admitted request meets the upstream API (its
//! congestion bursts, 429s and transport faults), is retried with
//! backoff, and is recorded by the process when it completes, as the
//! proxy does at the end of `ServeHTTP`. The simulation advances in fixed
//! one-second steps and draws every number from one seeded generator, so
//! the same seed and the same calls always give the same traffic.

use fastrand::Rng;

use super::{
    families::{REJECTIONS, REQUESTS},
    process::{
        LIMITER_WINDOW_MS, METHOD, Outcome, PATH, Pending, Persisted, Process, RATE_INITIAL, due,
    },
    profile::Profile,
    quota::QuotaAccount,
    random::{exponential, log_normal, pick},
};

/// Length of one simulation step.
pub(super) const STEP_MS: i64 = 1_000;
/// A jump longer than this (a sleeping laptop, a stalled scraper) is not
/// simulated in full: only its last part is, as if the proxy had been idle.
const MAX_CATCH_UP_MS: i64 = 15 * 60 * 1_000;

/// `MAX_RETRIES`: retries after the first upstream attempt.
const MAX_RETRIES: usize = 3;

/// Offered load swings slowly around the profile's mean by this fraction.
const LOAD_SWING: f64 = 0.3;
const LOAD_PERIOD_MS: i64 = 20 * 60 * 1_000;
/// Share of successful responses whose output tokens are counted locally
/// (the non-streaming tiktoken fallback, the only path of `token_rate*`).
const TOKENIZER_FALLBACK: f64 = 0.005;

/// One simulated zai-proxy process and the world around it (its clients,
/// the upstream API and the account's quota), advanced on a simulated
/// clock; [`Simulator`](super::Simulator) names it and renders it.
#[derive(Debug, Clone)]
pub(super) struct World {
    profile: Profile,
    rng: Rng,
    /// The end of the last step (Unix ms).
    pub(super) clock_ms: i64,
    /// Restarts since the start.
    pub(super) restarts: u32,
    /// Phase of the slow load swing, so two variants do not peak together.
    load_phase_ms: i64,
    next_arrival_ms: i64,
    congestion: Congestion,
    /// The limiter state the proxy persists across restarts (ceiling file).
    persisted: Persisted,
    /// Provider-side quota; only simulated when the profile polls it.
    account: Option<QuotaAccount>,
    /// The process now running.
    pub(super) process: Process,
}

impl World {
    /// A process started at `start_ms` (Unix ms), with traffic drawn from
    /// `seed`.
    pub(super) fn new(profile: Profile, seed: u64, start_ms: i64) -> Self {
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
            profile,
            rng,
            clock_ms: start_ms,
            restarts: 0,
            load_phase_ms,
            next_arrival_ms: start_ms,
            congestion: Congestion {
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
    pub(super) fn advance_to(&mut self, now_ms: i64) {
        let backlog = now_ms - self.clock_ms;
        if backlog > MAX_CATCH_UP_MS {
            self.clock_ms += (backlog - MAX_CATCH_UP_MS) / STEP_MS * STEP_MS;
            self.next_arrival_ms = self.next_arrival_ms.max(self.clock_ms);
        }
        while self.clock_ms + STEP_MS <= now_ms {
            self.step();
        }
    }

    /// Restarts the process now: every counter, histogram and gauge returns
    /// to its fresh-process state and in-flight requests are lost.
    pub(super) fn restart(&mut self) {
        self.restarts += 1;
        self.process = Process::start(&self.profile, self.clock_ms, self.persisted.rate);
    }

    /// One step: maybe a restart, the arrivals and completions within it,
    /// then the periodic work at its end.
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
        let burst = if self.congestion.burst { 0.25 } else { 1.0 };
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
        if due(
            &mut self.congestion.next_change_ms,
            now_ms,
            LIMITER_WINDOW_MS,
        ) {
            let stay_or_start = if self.congestion.burst {
                0.65
            } else {
                self.profile.burst_start
            };
            self.congestion.burst = self.rng.f64() < stay_or_start;
        }
        if due(
            &mut self.process.limiter.next_window_ms,
            now_ms,
            LIMITER_WINDOW_MS,
        ) {
            self.process.adjust_rate(&mut self.persisted);
        }
        if let Some(account) = &mut self.account {
            account.roll(now_ms, STEP_MS);
            self.process.poll_quota(&mut self.rng, account, now_ms);
        }
        self.process.tick_runtime(&mut self.rng, now_ms);
    }
}

/// Whether the upstream API is congested (429 bursts), re-drawn every 30 s.
#[derive(Debug, Clone)]
struct Congestion {
    burst: bool,
    next_change_ms: i64,
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

/// Token usage of one successful response, in [`DIRECTIONS`](super::process::DIRECTIONS) order: most
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::families::{DURATION, REQUEST_SIZE};

    /// 2026-09-11T00:00:00Z.
    const DAY_MS: i64 = 1_789_084_800_000;

    #[test]
    fn a_capacity_reject_counts_a_503_and_a_rejection_but_no_duration() {
        let profile = Profile {
            max_workers: 0,
            ..Profile::production()
        };
        let mut sim = World::new(profile, 1, DAY_MS);
        sim.advance_to(DAY_MS + 60_000);
        let metrics = &sim.process.metrics;
        let rejected = metrics.value(&REQUESTS, &[METHOD, PATH, "503"]).unwrap();
        let per_client: f64 = Profile::production()
            .clients
            .iter()
            .filter_map(|(client, _)| metrics.value(&REJECTIONS, &[client]))
            .sum();
        assert!(rejected > 10.0);
        assert_eq!(per_client, rejected);
        assert!(metrics.families[DURATION.name].series.is_empty());
        assert!(metrics.families[REQUEST_SIZE.name].series.is_empty());
    }
}
